"""All of runtime/metrics and MemStats, read from outside, against the runtime's own readings.

The quiescent workload (tests/targets/quiescent) parks known goroutines, stops allocating and,
on SIGUSR1, reads metrics.Read of all of metrics.All() (histograms too) and then ReadMemStats,
and writes them to a file. goscope reads the same process from outside just before. Every value
the runtime holds still must be equal; the few that move by themselves (the oracle's own
goroutine runs while it reads; its own wake-up is a scheduling-latency event; runtime locks are
taken by sysmon at any time) are held to the bounds below. A busy workload checks what must hold
of any reading: counters and histograms only grow, and classes add up to their totals.
"""
import json
import math
import time

import pytest

from conftest import COUNTS, GO_MINORS, run_goscope, target_path

MODES = ["default", "pie", "stripped"]

# Bounded, not exact: what the oracle's own reading changes. See check_metric.
GOROUTINE_STATES = ["/sched/goroutines/running:goroutines", "/sched/goroutines/runnable:goroutines",
                    "/sched/goroutines/not-in-go:goroutines", "/sched/goroutines/waiting:goroutines"]
# The oracle goroutine itself (and the signal watcher it woke) may run or be runnable while it
# reads: at most this many goroutines change state between the two readings.
STATE_SLACK = 2
# Scheduling-latency events between goscope's read and the oracle's: the signal watcher and the
# main goroutine waking for the snapshot, and timers of the sleepers (1 h: none).
LATENCY_SLACK = 8
# Values that only grow, for which goscope's earlier reading may be smaller.
GROWS = {"/sync/mutex/wait/total:seconds"}

# MemStats: ReadMemStats stops the world and flushes every P's caches first (mcaches, stack
# caches), which moves StackInuse between the heap's stacks and free spans; the rest is exact.
MS_BOUNDED = {"StackInuse": 0.12, "StackSys": 0.12, "HeapInuse": 0.01, "HeapIdle": 0.05,
              "HeapSys": 0.01, "HeapReleased": 0.05, "Sys": 0.01, "GCSys": 0.01}


def stat_json(pid):
    res = run_goscope(["stat", "--json", "-i", "0", pid])
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


# Recovered panic(nil)s the workload makes under GODEBUG=panicnil=1: Go 1.21+ counts each in
# /godebug/non-default-behavior/panicnil:events.
PANICNIL = 3


def start(quiescent, minor, mode):
    # No spinners: they would keep the scheduler's histograms moving.
    return quiescent(minor, mode, extra=("-spin", "0", "-panicnil", str(PANICNIL)),
                     env={"GODEBUG": "panicnil=1"})


def runtime_names(want, godebug=True):
    """Every metric the target's metrics.All() lists (without the godebug counters if not godebug)."""
    names = set(want["metrics"]) | set(want["histograms"])
    return {n for n in names if godebug or not n.startswith("/godebug/")}


def check_hist(name, got, want, slack=0):
    assert got["buckets"] == want["buckets"], f"{name}: bucket boundaries differ"
    assert len(got["counts"]) == len(want["counts"]) == len(want["buckets"]) - 1, name
    if not slack:
        assert got["counts"] == want["counts"], f"{name}: counts differ"
        return
    diff = [w - g for g, w in zip(got["counts"], want["counts"])]
    assert min(diff) >= 0, f"{name}: goscope's earlier reading has more events than the runtime's"
    assert sum(diff) <= slack, f"{name}: {sum(diff)} events between the readings (bound {slack})"


def check_metric(name, got, want):
    if name in GROWS:
        assert got <= want, f"{name}: goscope {got} > runtime {want}"
        return
    assert got == want, f"{name}: goscope {got!r}, runtime {want!r}"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("minor", GO_MINORS)
def test_every_runtime_metric_equals_the_runtimes(minor, mode, quiescent):
    q = start(quiescent, minor, mode)
    got = stat_json(q.pid)
    want = q.snapshot()
    rm = got["runtime_metrics"]
    assert rm is not None, "no runtime/metrics reading"
    assert got["runtime_metrics_unreadable"] == {}, got["runtime_metrics_unreadable"]
    names = runtime_names(want)
    own = set(rm) - set(got["runtime_metrics_backfilled"])
    # Exactly the metrics this release lists: none missing, none invented as the runtime's own.
    assert own == names, f"missing {sorted(names - own)}, extra {sorted(own - names)}"
    for name in sorted(names):
        if name in want["histograms"]:
            slack = LATENCY_SLACK if name == "/sched/latencies:seconds" else 0
            check_hist(name, rm[name], want["histograms"][name], slack)
        elif name in GOROUTINE_STATES:
            assert abs(rm[name] - want["metrics"][name]) <= STATE_SLACK, \
                f"{name}: goscope {rm[name]}, runtime {want['metrics'][name]}"
        else:
            check_metric(name, rm[name], want["metrics"][name])
    if minor >= 26:
        total = sum(rm[n] for n in GOROUTINE_STATES)
        assert total == rm["/sched/goroutines:goroutines"] == want["metrics"]["/sched/goroutines:goroutines"]
    if minor >= 21:
        # The counters are compared above like every metric; this one is known to have counted.
        assert rm["/godebug/non-default-behavior/panicnil:events"] == PANICNIL


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("minor", GO_MINORS)
def test_every_memstats_field_equals_the_runtimes(minor, mode, quiescent):
    q = start(quiescent, minor, mode)
    got = stat_json(q.pid)["memstats"]
    want = q.snapshot()["memstats"]
    assert got is not None, "no MemStats reading"
    fields = [k for k in want if k != "LastPauseNs"]
    assert set(fields) <= set(got), f"missing {sorted(set(fields) - set(got))}"
    for k in fields:
        if k in MS_BOUNDED:
            assert abs(got[k] - want[k]) <= MS_BOUNDED[k] * want[k], \
                f"{k}: goscope {got[k]}, runtime {want[k]} (bound {MS_BOUNDED[k]})"
        else:
            assert got[k] == want[k], f"{k}: goscope {got[k]!r}, runtime {want[k]!r}"
    assert len(got["PauseNs"]) == len(got["PauseEnd"]) == 256 and len(got["BySize"]) == 61


@pytest.mark.parametrize("minor", [m for m in GO_MINORS if m < 26])
def test_backfilled_goroutine_states_add_up(minor, quiescent):
    q = quiescent(minor)
    got = stat_json(q.pid)
    rm = got["runtime_metrics"]
    back = set(got["runtime_metrics_backfilled"])
    assert set(GOROUTINE_STATES) <= back
    want = q.snapshot()
    assert not set(GOROUTINE_STATES) & set(want["metrics"]), "the runtime has them: not a backfill"
    # Counted as Go 1.26 counts them: every goroutine, the runtime's own included.
    total = sum(rm[n] for n in GOROUTINE_STATES)
    assert total == got["metrics"]["NumGoroutine"] + got["goroutines"]["system"]
    # The blocked ones the workload parked, and its blocking readers in read(2).
    assert rm["/sched/goroutines/waiting:goroutines"] >= COUNTS["chan"] + COUNTS["sleep"] + COUNTS["mutex"]
    assert rm["/sched/goroutines/not-in-go:goroutines"] >= COUNTS["syscall"]
    assert rm["/sched/goroutines/running:goroutines"] <= COUNTS["spin"] + 1
    if minor >= 21:
        assert "/sched/threads/total:threads" in back
        assert rm["/sched/threads/total:threads"] == got["metrics"]["Threads"]
    if minor < 21:
        for n in ["/gc/gogc:percent", "/gc/gomemlimit:bytes", "/gc/heap/live:bytes"]:
            assert n in back
        assert rm["/gc/heap/live:bytes"] == got["metrics"]["/gc/heap/live:bytes"]


def ns(x):
    return round(x * 1e9)


def check_sums(rm, minor):
    if minor >= 21:
        c = {k.split("/cpu/classes/")[1]: ns(v) for k, v in rm.items() if k.startswith("/cpu/classes/")}
        assert c["gc/total:cpu-seconds"] == sum(c[f"gc/{p}:cpu-seconds"] for p in
                                                ("mark/assist", "mark/dedicated", "mark/idle", "pause"))
        assert c["scavenge/total:cpu-seconds"] == c["scavenge/assist:cpu-seconds"] + \
            c["scavenge/background:cpu-seconds"]
        # The runtime computes user time as the rest of the total at the end of each cycle, then
        # adds the next cycle's sweep-termination pause to the GC classes at its start: during a
        # cycle the parts exceed the total by that one pause's CPU time, never more.
        parts = c["gc/total:cpu-seconds"] + c["scavenge/total:cpu-seconds"] + \
            c["idle:cpu-seconds"] + c["user:cpu-seconds"]
        h = rm["/gc/pauses:seconds"]
        longest = max((h["buckets"][i + 1] for i, n in enumerate(h["counts"]) if n), default=0)
        assert 0 <= parts - c["total:cpu-seconds"] <= 2 * ns(longest) * rm["/sched/gomaxprocs:threads"], \
            (parts, c["total:cpu-seconds"], longest)
        g = {k: v for k, v in rm.items() if k.startswith("/gc/scan/") and k != "/gc/scan/total:bytes"}
        assert rm["/gc/scan/total:bytes"] == sum(g.values())
    classes = [v for k, v in rm.items() if k.startswith("/memory/classes/") and k != "/memory/classes/total:bytes"]
    assert rm["/memory/classes/total:bytes"] == sum(classes)
    assert rm["/gc/cycles/total:gc-cycles"] == rm["/gc/cycles/automatic:gc-cycles"] + rm["/gc/cycles/forced:gc-cycles"]
    assert rm["/gc/heap/objects:objects"] == rm["/gc/heap/allocs:objects"] - rm["/gc/heap/frees:objects"]
    assert sum(rm["/gc/heap/allocs-by-size:bytes"]["counts"]) == rm["/gc/heap/allocs:objects"]
    assert sum(rm["/gc/heap/frees-by-size:bytes"]["counts"]) == rm["/gc/heap/frees:objects"]


def cumulative(name, minor):
    """Counters and event histograms: what may never go down between two readings."""
    if name.startswith("/godebug/non-default-behavior/"):
        return True
    out = run_goscope(["metrics"]).stdout
    for line in out.splitlines():
        if line.startswith(name + " "):
            return line.split()[1] in ("counter", "histogram")
    raise AssertionError(f"{name} not in goscope metrics")


@pytest.mark.parametrize("minor", GO_MINORS)
def test_busy_program_metrics_only_grow_and_add_up(minor, go_target):
    t = go_target(target_path(minor, "default"))
    kinds = {}
    prev = None
    for _ in range(4):
        got = stat_json(t.pid)
        rm = got["runtime_metrics"]
        assert got["runtime_metrics_unreadable"] == {}
        check_sums(rm, minor)
        if prev is not None:
            for name, v in prev.items():
                if name not in kinds:
                    kinds[name] = cumulative(name, minor)
                if not kinds[name]:
                    continue
                if isinstance(v, dict):
                    assert all(a <= b for a, b in zip(v["counts"], rm[name]["counts"])), \
                        f"{name}: a bucket went down"
                else:
                    assert v <= rm[name], f"{name}: {v} then {rm[name]}"
        prev = rm
        time.sleep(0.3)
    # The churn workload collects all the time: its pauses and allocations are there.
    assert sum(prev["/gc/pauses:seconds"]["counts"]) > 0
    assert prev["/gc/heap/allocs:bytes"] > 0


@pytest.mark.parametrize("minor", GO_MINORS)
def test_metrics_lists_every_metric_of_the_release(minor, quiescent):
    q = quiescent(minor)
    names = runtime_names(q.snapshot(), godebug=False)
    listed = run_goscope(["metrics"]).stdout
    for name in names:
        assert f"\n{name} " in listed, f"goscope metrics does not list {name}"
    # The releases column of the runtime/metrics section includes this release for each.
    section = listed.split("\nruntime/metrics, all of them")[1]
    for line in section.splitlines():
        parts = line.split()
        if parts and parts[0] in names:
            first = int(parts[2].split("+")[0].split(".")[1].rstrip(","))
            assert first <= minor, line


# ---- record: histograms in full once, then what grew ----

def rebuild(lines, name):
    """The histogram at each sample line, from its last full form plus every delta since."""
    out, cur = [], None
    for rec in lines:
        h = rec["runtime_metrics"][name]
        if "buckets" in h:
            cur = {"buckets": h["buckets"], "counts": list(h["counts"])}
        else:
            assert cur is not None, f"{name}: a delta before any full form"
            for i, n in h["delta"]:
                assert n > 0
                cur["counts"][i] += n
        out.append({"buckets": cur["buckets"], "counts": list(cur["counts"])})
    return out


@pytest.mark.parametrize("minor", GO_MINORS)
def test_record_histograms_rebuild_to_the_runtimes(minor, quiescent, goscope, tmp_path):
    from test_record import records  # validates every line against docs/record.schema.json
    q = start(quiescent, minor, "default")
    out = tmp_path / "rec.jsonl"
    g = goscope(["record", "-i", "200ms", "-o", out, q.pid])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if out.exists() and out.read_text().count('"kind":"sample"') >= 4:
            break
        time.sleep(0.1)
    assert g.finish() == 0, g.stderr()
    want = q.snapshot()
    samples = [r for r in records(out) if r["kind"] == "sample"]
    assert len(samples) >= 4
    assert all(s["runtime_metrics_unreadable"] == {} for s in samples)
    names = [n for n in want["histograms"]]
    for name in names:
        full = [s for s in samples if "buckets" in s["runtime_metrics"][name]]
        assert len(full) == 1, f"{name}: written in full {len(full)} times"
        last = rebuild(samples, name)[-1]
        slack = LATENCY_SLACK if name == "/sched/latencies:seconds" else 0
        check_hist(name, last, want["histograms"][name], slack)
    # Only the first line carries the boundaries: later ones are much smaller.
    sizes = [len(json.dumps(s)) for s in samples]
    assert max(sizes[1:]) * 2 < sizes[0], sizes
