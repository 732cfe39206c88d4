"""goscope stat and schedtrace against the runtime's own readings.

The quiescent workload parks known numbers of goroutines, stops allocating, and on SIGUSR1 writes
what the runtime itself reports (runtime.ReadMemStats, runtime/metrics, NumGoroutine) to a file,
allocating nothing after ReadMemStats. goscope then reads the same process from outside; every
value the runtime holds still must be equal, the rest within the bounds stated below.
"""
import json
import os
import re
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import (COUNTS, GO_MINORS, attached_probes, run_goscope, target_path,
                      wait_for)

# Values the runtime holds still in a quiescent process: compared exactly.
EXACT = ["NumGC", "NumForcedGC", "TotalAlloc", "Mallocs", "Frees", "HeapObjects", "PauseTotalNs",
         "GCCPUFraction", "NextGC", "LastGC"]
# Relative bounds. ReadMemStats flushes the per-P caches before reading and nothing allocates
# afterwards, so HeapAlloc is exact in practice; the bound is the one measured for racy reads of
# a running program (reference §3.3: ≤ 0.46 %). StackInuse includes the per-P stack caches that
# ReadMemStats releases first: up to 12 % apart. The scavenger may return memory to the OS at any
# time, which moves HeapIdle/HeapReleased between the two reads but not HeapSys or HeapInuse much.
BOUNDS = {"HeapAlloc": 0.005, "StackInuse": 0.12, "HeapSys": 0.01, "HeapInuse": 0.01}


def stat_json(pid):
    res = run_goscope(["stat", "--json", "-i", "0", pid])
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def check_against_oracle(minor, got, want):
    m = got["metrics"]
    ms = want["memstats"]
    for k in EXACT:
        assert m[k] == ms[k], f"{k}: goscope {m[k]}, runtime {ms[k]}"
    for k, bound in BOUNDS.items():
        assert abs(m[k] - ms[k]) <= bound * ms[k], f"{k}: goscope {m[k]}, runtime {ms[k]} (bound {bound})"
    assert m["LastPauseNs"] == ms["LastPauseNs"]
    assert m["NumGoroutine"] == want["num_goroutine"]
    assert m["/sched/gomaxprocs:threads"] == want["gomaxprocs"]
    assert m["NumCPU"] == want["num_cpu"]
    metrics = want["metrics"]
    if "/gc/gogc:percent" in metrics:  # Go 1.21+
        assert m["/gc/gogc:percent"] == metrics["/gc/gogc:percent"]
        assert m["/gc/gomemlimit:bytes"] == metrics["/gc/gomemlimit:bytes"]
    if "/gc/heap/goal:bytes" in metrics:
        assert m["NextGC"] == metrics["/gc/heap/goal:bytes"]
    if minor >= 26:
        assert m["/sched/goroutines:goroutines"] == metrics["/sched/goroutines:goroutines"]
    else:
        assert "/sched/goroutines:goroutines" not in m


@pytest.mark.parametrize("minor", GO_MINORS)
def test_stat_equals_runtime_readings(minor, quiescent):
    q = quiescent(minor)
    want = q.snapshot()
    got = stat_json(q.pid)
    assert got["go_version"].startswith(f"go1.{minor}")
    check_against_oracle(minor, got, want)
    # Without GOGC/GOMEMLIMIT in the environment the runtime's defaults apply.
    assert got["metrics"]["/gc/gogc:percent"] == 100
    assert got["metrics"]["/gc/gomemlimit:bytes"] == 2**63 - 1


@pytest.mark.parametrize("minor", GO_MINORS)
def test_goroutine_states(minor, quiescent):
    q = quiescent(minor)
    want = q.snapshot()
    got = stat_json(q.pid)
    g = got["goroutines"]
    st = g["by_state"]
    c = COUNTS
    # main waits on the signal channel; os/signal's watcher sits in a syscall (see quiescent).
    assert st["waiting"] == c["chan"] + 1 + c["sleep"] + c["mutex"], g
    assert st["syscall"] == c["syscall"] + 1, g
    assert st["running"] + st["runnable"] == c["spin"], g
    assert st["other"] == 0, g
    assert sum(st.values()) == want["num_goroutine"]
    mutex_reason = "semacquire" if minor == 19 else "sync.Mutex.Lock"
    assert g["wait_reasons"] == {"chan receive": c["chan"] + 1, "sleep": c["sleep"],
                                 mutex_reason: c["mutex"]}, g
    assert g["system"] > 0
    assert g["walk_partial"] is False, g    # the walk reached every goroutine


@pytest.mark.parametrize("mode", ["pie", "stripped"])
@pytest.mark.parametrize("minor", GO_MINORS)
def test_stat_other_build_modes(minor, mode, quiescent):
    # Stripped: globals recovered from the code, layouts from the built-in tables.
    q = quiescent(minor, mode)
    want = q.snapshot()
    check_against_oracle(minor, stat_json(q.pid), want)


@pytest.mark.parametrize("minor", GO_MINORS)
def test_gomaxprocs_and_gogc_changes_are_seen_within_one_interval(minor, quiescent, goscope):
    q = quiescent(minor, extra=["-maxprocs2", "1", "-gogc2", "50", "-memlimit2", str(512 << 20)])
    before = q.snapshot()
    interval = 0.2
    g = goscope(["schedtrace", "-i", f"{int(interval * 1000)}ms", q.pid])
    g.wait_lines(2, timeout=10)
    assert all(f"gomaxprocs={before['gomaxprocs']} " in line for line in g.lines), g.lines
    after = q.snapshot(signal.SIGUSR2)
    changed_at = time.monotonic()
    assert after["gomaxprocs"] == 1
    assert wait_for(lambda: any("gomaxprocs=1 " in line for line in g.wait_lines(0, 0)), 2 * interval + 0.3)
    seen_after = time.monotonic() - changed_at
    g.finish()
    assert seen_after <= 2 * interval + 0.3
    got = stat_json(q.pid)
    check_against_oracle(minor, got, after)
    assert got["metrics"]["/gc/gogc:percent"] == 50
    assert got["metrics"]["/gc/gomemlimit:bytes"] == 512 << 20


SCHED_RE = {
    "old": re.compile(r"^SCHED (\d+)ms: gomaxprocs=(\d+) idleprocs=(\d+) threads=(\d+) "
                      r"spinningthreads=(\d+) idlethreads=(\d+) runqueue=(\d+) \[([\d ]*)\]$"),
    "mid": re.compile(r"^SCHED (\d+)ms: gomaxprocs=(\d+) idleprocs=(\d+) threads=(\d+) "
                      r"spinningthreads=(\d+) needspinning=(\d+) idlethreads=(\d+) runqueue=(\d+) "
                      r"\[([\d ]*)\]$"),
    "new": re.compile(r"^SCHED (\d+)ms: gomaxprocs=(\d+) idleprocs=(\d+) threads=(\d+) "
                      r"spinningthreads=(\d+) needspinning=(\d+) idlethreads=(\d+) runqueue=(\d+) "
                      r"\[ ([\d ]*) \] schedticks=\[ ([\d ]*) \]$"),
}


def shape(line):
    """Field names in order, and the structure of the bracketed lists."""
    names = re.findall(r"(\w+)=", line)
    brackets = re.sub(r"\d+", "N", re.sub(r"^.*?runqueue=\d+", "", line))
    return names, brackets


@pytest.mark.parametrize("mode", ["default", "stripped"])
@pytest.mark.parametrize("minor", GO_MINORS)
def test_schedtrace_format_matches_runtime(minor, mode, tmp_path, goscope):
    path = target_path(minor, mode, "quiescent")
    err = tmp_path / "schedtrace.stderr"
    with open(err, "w") as f:
        proc = subprocess.Popen([str(path), "-out", str(tmp_path / "o.json"), "-chan", "3"],
                                stdout=subprocess.PIPE, stderr=f, text=True,
                                env=dict(os.environ, GODEBUG="schedtrace=200"))
    try:
        assert proc.stdout.readline().strip().endswith("ready")
        g = goscope(["schedtrace", "-i", "200ms", proc.pid])
        g.wait_lines(4, timeout=10)
        assert g.finish() == 0
    finally:
        proc.terminate()
        proc.wait()
    runtime_lines = [line for line in err.read_text().splitlines() if line.startswith("SCHED ")]
    assert runtime_lines and len(g.lines) >= 4
    kind = "old" if minor == 19 else "mid" if minor <= 24 else "new"
    want_shape = shape(runtime_lines[-1])
    for line in g.lines:
        assert SCHED_RE[kind].match(line), f"go1.{minor} line not in its release's format: {line!r}"
        assert shape(line) == want_shape, f"{line!r} vs runtime {runtime_lines[-1]!r}"
        # Stable in a quiescent process: GOMAXPROCS and the number of Ps.
        mine = SCHED_RE[kind].match(line).groups()
        theirs = SCHED_RE[kind].match(runtime_lines[-1]).groups()
        assert mine[1] == theirs[1], "gomaxprocs"
    ms = [int(SCHED_RE[kind].match(line).group(1)) for line in g.lines]
    assert ms[0] == 0 and all(b > a for a, b in zip(ms, ms[1:])), ms


def test_stat_without_root_on_own_process():
    # Reading memory needs no BPF: a user can stat their own Go process.
    path = target_path(GO_MINORS[-1], "default", "quiescent")
    scratch = tempfile.mkdtemp(prefix="goscope-nobody-")
    os.chmod(scratch, 0o777)
    out = os.path.join(scratch, "o.json")
    proc = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(path),
                             "-out", str(out), "-chan", "2"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip().endswith("ready")
        res = run_goscope(["stat", "--json", "-i", "0", proc.pid], user=65534)
        assert res.returncode == 0, res.stderr
        assert json.loads(res.stdout)["metrics"]["NumGoroutine"] >= 3
    finally:
        proc.terminate()
        proc.wait()


def test_stat_table_has_units(quiescent):
    q = quiescent(GO_MINORS[-1])
    res = run_goscope(["stat", "-i", "200ms", q.pid])
    assert res.returncode == 0, res.stderr
    out = res.stdout
    for needle in ("HeapAlloc", "MiB", "NumGoroutine", "by state", "chan receive", "cycles/s", "objects/s"):
        assert needle in out, needle


@pytest.mark.parametrize("minor", GO_MINORS)
def test_gc_pauses_add_up_to_the_runtimes_pause_ns(minor, go_target):
    # Each cycle's two stop-the-world pauses (sweep termination, mark termination), measured by
    # the probes, must add up to the cycle's work.pauseNS as the runtime accounted it.
    t = go_target(target_path(minor, "default"))
    res = run_goscope(["stat", "--json", "-i", "1500ms", t.pid])
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    p = out["pauses"]
    cycles = p["cycles"]
    # The churn workload collects at a steady pace from its start, so GC CPU over the window
    # and the runtime's own cumulative GCCPUFraction describe the same load.
    frac = out["metrics"]["GCCPUFraction"] * 100
    assert 0.4 * frac <= out["rates"]["gc_cpu_percent"] <= 2.5 * frac, (out["rates"], frac)
    assert len(cycles) >= 20, cycles
    exact = [c for c in cycles if c["exact"]]
    # Only a cycle already running at attach, or one whose mark termination the runtime
    # abandoned and retried (1.22+), can lack an exact split.
    assert len(exact) >= len(cycles) - 2, [c for c in cycles if not c["exact"]]
    for c in exact:
        assert c["sweep_termination_ns"] + c["mark_termination_ns"] == c["pause_ns"], c
        assert c["sweep_termination_ns"] > 0 and c["mark_termination_ns"] > 0, c
    assert p["gc"]["count"] >= 2 * len(exact)
    assert p["gc"]["p50_ns"] <= p["gc"]["p99_ns"] <= p["gc"]["max_ns"]


@pytest.mark.parametrize("minor", GO_MINORS)
def test_other_stop_the_world_pauses_are_named(minor, quiescent, goscope):
    q = quiescent(minor)
    g = goscope(["stat", "--json", "-i", "3s", q.pid])
    # Stop the world only once its probes are in (attaching takes a moment on a loaded machine).
    assert wait_for(lambda: attached_probes(g.proc.pid) != [], 10), g.stderr()
    time.sleep(0.5)
    q.snapshot()  # ReadMemStats stops the world
    assert g.proc.wait(timeout=10) == 0
    g.finish()
    other = json.loads("\n".join(g.lines))["pauses"]["other_pauses"]
    if minor < 21:
        # Before 1.21 the runtime records no reason for a stop-the-world: only GC pauses.
        assert other == []
    else:
        reasons = [p["reason"] for p in other]
        assert "read mem stats" in reasons, other  # runtime.stwReasonStrings[stwReadMemStats]
        assert all(p["duration_ns"] > 0 and p["approximate"] for p in other)


def test_metrics_catalog_covers_stat(quiescent):
    # Every value stat reports is described, with a unit and a kind, in the catalog.
    q = quiescent(GO_MINORS[-1])
    got = stat_json(q.pid)
    res = run_goscope(["metrics"])
    assert res.returncode == 0
    # The first table: goscope's gauges (the runtime/metrics list follows, after a blank line).
    rows = {line.split()[0]: line.split() for line in res.stdout.split("\n\n")[0].splitlines()[1:]}
    for name in got["metrics"]:
        assert name in rows, name
        assert rows[name][2] in ("gauge", "counter"), rows[name]
    for name in got["rates"]:
        if name != "window_seconds":
            assert f"rates.{name}" in rows, name
    assert "goroutines.by_state" in rows and "goroutines.wait_reasons" in rows
