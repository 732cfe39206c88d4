"""goscope record: JSON lines against the shipped schema and the runtime's own gctrace lines.

Every line goscope writes is validated against docs/record.schema.json with python3-jsonschema,
for every record kind, on every Go release of the matrix; the gc records' `line` must equal the
target's own GODEBUG=gctrace=1 line for the same cycle. Rotation is done by the real logrotate.
"""
import json
import os
import re
import signal
import subprocess
import time

import jsonschema
import pytest

from conftest import (GO_MINORS, GOSCOPE, REPO, RINGBUF_256K, attached_probes, check_parity,
                      run_goscope, target_path, wait_for)

NEWEST = GO_MINORS[-1]
SCHEMA = json.loads((REPO / "docs" / "record.schema.json").read_text())
KINDS = list(SCHEMA["definitions"])
# Each kind on its own, with "$ref"s resolved in the whole schema (goscope.record/2 shares the
# container object between kinds).
VALIDATORS = {k: jsonschema.Draft7Validator(SCHEMA["definitions"][k],
                                           resolver=jsonschema.RefResolver.from_schema(SCHEMA))
              for k in KINDS}
WHOLE = jsonschema.Draft7Validator(SCHEMA)
MB = re.compile(r"(\d+)->(\d+)->(\d+) MB, (\d+) MB goal, (\d+) MB stacks, (\d+) MB globals, (\d+) P")


def test_schema_is_valid_draft7():
    jsonschema.Draft7Validator.check_schema(SCHEMA)


def records(path):
    """Parse and validate every line; a torn or invalid line fails the test."""
    out = []
    raw = path.read_bytes()
    assert not raw or raw.endswith(b"\n"), "the file ends in the middle of a line"
    for n, line in enumerate(raw.decode().splitlines(), 1):
        obj = json.loads(line)
        kind = obj.get("kind")
        assert kind in VALIDATORS, f"line {n}: unknown kind {kind!r}"
        errors = [e.message for e in VALIDATORS[kind].iter_errors(obj)]
        assert not errors, f"line {n} ({kind}): {errors[:3]}\n{line[:400]}"
        assert WHOLE.is_valid(obj)
        out.append(obj)
    return out


def of(recs, kind, pid=None):
    return [r for r in recs if r["kind"] == kind and (pid is None or r["pid"] == pid)]


def count_in(path, pattern):
    try:
        return path.read_bytes().count(pattern.encode())
    except FileNotFoundError:
        return 0


def lines_with(path, *subs):
    """Complete lines containing every one of subs (the file may be growing)."""
    try:
        raw = path.read_text()
    except FileNotFoundError:
        return []
    return [ln for ln in raw.split("\n")[:-1] if all(s in ln for s in subs)]


def check_gc_values(gc):
    """The raw values are the ones the line prints."""
    m = MB.search(gc["line"])
    assert m, gc["line"]
    want = [gc[k] >> 20 for k in ("heap_start_bytes", "heap_end_bytes", "heap_marked_bytes",
                                  "heap_goal_bytes", "stacks_bytes", "globals_bytes")]
    assert [int(x) for x in m.groups()[:6]] == want, gc["line"]
    assert int(m.group(7)) == gc["procs"]
    assert gc["line"].startswith(f"gc {gc['num']} @{gc['since_start_ns'] // 1000000 / 1000:.3f}s")
    assert gc["line"].endswith(" (forced)") == gc["forced"]


@pytest.mark.parametrize("minor", GO_MINORS)
def test_every_kind_validates_and_gc_lines_match_runtime(minor, go_target, goscope, quiescent,
                                                         tmp_path):
    churn = go_target(target_path(minor, "default"))
    q = quiescent(minor, extra=["-alloc", "4"])
    out = tmp_path / "record.jsonl"
    g = goscope(["record", "--stw", "-o", out, "-i", "500ms", churn.pid, q.pid])
    assert wait_for(lambda: count_in(out, '"kind":"gc"') >= 30 and
                    count_in(out, '"kind":"sample"') >= 4, 30), g.stderr()
    want = q.snapshot()     # ReadMemStats stops the world: a pause with its reason (1.21+)
    if minor >= 21:
        assert wait_for(lambda: count_in(out, '"reason":"read mem stats"') >= 1, 10), g.stderr()
    q.stop()
    assert wait_for(lambda: count_in(out, '"kind":"exit"') >= 1, 10), g.stderr()
    assert g.finish() == 0, g.stderr()
    recs = records(out)
    kinds = {r["kind"] for r in recs}
    assert {"attach", "gc", "pause", "sample", "sched", "exit", "detach"} <= kinds, kinds
    assert [r["pid"] for r in of(recs, "exit")] == [q.pid]
    assert [r["pid"] for r in of(recs, "detach")] == [churn.pid]
    for r in recs:
        assert r["go_version"].startswith(f"go1.{minor}") and r["host"] == os.uname().nodename
    gcs = of(recs, "gc", churn.pid)
    check_parity([r["line"] for r in gcs], churn.runtime_lines(), minor=minor)
    for gc in gcs:
        check_gc_values(gc)
    # Two GC pauses per cycle, adding up to the runtime's pauseNS.
    pauses = {}
    for p in of(recs, "pause", churn.pid):
        if p["gc"]:
            pauses.setdefault(p["gc_num"], []).append(p["duration_ns"])
    exact = [gc for gc in gcs if gc["pauses_exact"]]
    assert len(exact) >= len(gcs) - 2, "pauses missing for most cycles"
    for gc in exact:
        assert sum(pauses[gc["num"]]) == gc["pause_ns"], gc["num"]
    # The samples are the process's own readings: quiescent's goroutine count never moves.
    qs = of(recs, "sample", q.pid)
    assert qs and all(s["metrics"]["NumGoroutine"] == want["num_goroutine"] for s in qs)
    assert all(len(s["p_runqueue"]) == s["gomaxprocs"] for s in of(recs, "sched"))


@pytest.mark.parametrize("minor", GO_MINORS)
def test_default_is_one_probe_per_cycle_with_pauses_from_the_runtimes_total(minor, go_target,
                                                                           goscope, tmp_path):
    # Without --stw: the GC end probe only (and the start before 1.21, for "(forced)"); each
    # cycle still has its two pause records, adding up to the runtime's own pauseNS, exact up
    # to 1.21 (the runtime's clock) and split by derivation from 1.22.
    churn = go_target(target_path(minor, "default"))
    out = tmp_path / "record.jsonl"
    g = goscope(["record", "-o", out, churn.pid])
    assert wait_for(lambda: count_in(out, '"kind":"gc"') >= 15, 30), g.stderr()
    assert attached_probes(g.proc.pid) == (["gc_end", "gc_start"] if minor < 21 else ["gc_end"])
    assert g.finish() == 0, g.stderr()
    recs = records(out)
    assert not of(recs, "attach")[0]["stw_probes"]
    gcs = of(recs, "gc", churn.pid)
    check_parity([r["line"] for r in gcs], churn.runtime_lines(), minor=minor)
    pauses = {}
    for p in of(recs, "pause", churn.pid):
        assert p["gc"], p       # no other pause is seen without the probe
        pauses.setdefault(p["gc_num"], []).append(p)
    for gc in gcs:
        ps = pauses[gc["num"]]
        assert [p["reason"] for p in ps] == ["GC sweep termination", "GC mark termination"]
        assert sum(p["duration_ns"] for p in ps) == gc["pause_ns"], gc
        assert gc["pauses_exact"] == (minor <= 21)
        assert all(p["approximate"] == (minor >= 22) for p in ps)
        # The sweep-termination pause as the runtime's clock spans it, bar the moment before
        # stopping began.
        assert ps[0]["duration_ns"] <= gc["clock_sweep_termination_ns"]


def test_lost_records(go_target, goscope, tmp_path):
    # Freeze goscope until the ring buffer overflows: a lost record with the missed cycles.
    t = go_target(target_path(NEWEST, "default"))
    out = tmp_path / "record.jsonl"
    g = goscope(["record", "-o", out, t.pid], env=RINGBUF_256K)
    assert wait_for(lambda: count_in(out, '"kind":"gc"') >= 3, 30)
    g.send(signal.SIGSTOP)
    frozen_at = max(t.runtime_lines())
    # One GC end event per cycle (208 bytes in the ring): about 1,260 cycles fill 256 KiB.
    assert wait_for(lambda: max(t.runtime_lines()) > frozen_at + 1600, 90, step=0.5)
    g.send(signal.SIGCONT)
    assert wait_for(lambda: count_in(out, '"kind":"lost"') >= 1, 20), g.stderr()
    assert g.finish() == 0
    recs = records(out)
    nums = [r["num"] for r in of(recs, "gc")]
    gap = sum(b - a - 1 for a, b in zip(nums, nums[1:]) if b > a + 1)
    lost = of(recs, "lost")
    assert sum(r["missed_gc_cycles"] for r in lost) == gap > 0
    assert sum(r["lost_events"] for r in lost) > 0


def logrotate(tmp_path, log, pid):
    conf = tmp_path / "logrotate.conf"
    conf.write_text(f"""{log} {{
    rotate 1
    create 0640
    nocompress
    missingok
    postrotate
        kill -HUP {pid}
    endscript
}}
""")
    res = subprocess.run(["/usr/sbin/logrotate", "-f", "-s", str(tmp_path / "logrotate.state"), str(conf)],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr


def test_logrotate_loses_and_repeats_nothing(go_target, goscope, tmp_path):
    t = go_target(target_path(NEWEST, "default"))
    log = tmp_path / "goscope.jsonl"
    g = goscope(["record", "-o", log, t.pid])
    assert wait_for(lambda: count_in(log, '"kind":"gc"') >= 20, 30), g.stderr()
    logrotate(tmp_path, log, g.proc.pid)
    rotated = tmp_path / "goscope.jsonl.1"
    assert rotated.exists()
    assert wait_for(lambda: count_in(log, '"kind":"gc"') >= 20, 30), g.stderr()
    assert g.finish() == 0
    before, after = records(rotated), records(log)
    assert of(before, "gc") and of(after, "gc")
    nums = [r["num"] for r in of(before, "gc") + of(after, "gc")]
    assert nums == list(range(nums[0], nums[0] + len(nums))), "a cycle is missing or repeated"
    assert max(r["num"] for r in of(before, "gc")) < min(r["num"] for r in of(after, "gc"))
    check_parity([r["line"] for r in of(before, "gc") + of(after, "gc")], t.runtime_lines(),
                 minor=NEWEST)
    assert of(before, "attach") and of(after, "detach")


def test_all_follows_new_processes(go_target, goscope, tmp_path):
    out = tmp_path / "record.jsonl"
    g = goscope(["record", "--all", "-o", out, "-i", "300ms"])
    time.sleep(1)
    t = go_target(target_path(NEWEST, "pie"))
    assert wait_for(lambda: count_in(out, f'"pid":{t.pid},') >= 3, 20), g.stderr()
    assert wait_for(lambda: lines_with(out, '"kind":"gc"', f'"pid":{t.pid},'), 20), g.stderr()
    assert g.finish() == 0
    recs = records(out)
    mine = [r for r in recs if r["pid"] == t.pid]
    assert mine[0]["kind"] == "attach" and mine[0]["state"] == "watching" and mine[0]["probed"]
    check_parity([r["line"] for r in of(mine, "gc")], t.runtime_lines(), minor=NEWEST)


def test_file_mode_and_append(go_target, tmp_path):
    t = go_target(target_path(NEWEST, "default"))
    out = tmp_path / "new.jsonl"
    old = os.umask(0o022)
    try:
        for _ in range(2):
            g = subprocess.Popen([str(GOSCOPE), "record", "-q", "-o", str(out), str(t.pid)])
            assert wait_for(lambda: count_in(out, '"kind":"sample"') >= 1, 10)
            time.sleep(0.3)
            g.send_signal(signal.SIGTERM)
            assert g.wait(timeout=10) == 0
    finally:
        os.umask(old)
    assert (os.stat(out).st_mode & 0o777) == 0o640
    recs = records(out)
    assert len(of(recs, "attach")) == 2, "the second run did not append"


def test_refuses_symlink(go_target, tmp_path):
    t = go_target(target_path(NEWEST, "default"))
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(victim)
    res = run_goscope(["record", "-o", link, t.pid], timeout=20)
    assert res.returncode == 1
    assert len(res.stderr.strip().splitlines()) == 1 and "symbolic link" in res.stderr, res.stderr
    assert victim.read_text() == "keep\n"


@pytest.mark.parametrize("path", ["/nonexistent-dir/x.jsonl", "DIR"])
def test_unwritable_output(path, go_target, tmp_path):
    t = go_target(target_path(NEWEST, "default"))
    res = run_goscope(["record", "-o", tmp_path if path == "DIR" else path, t.pid], timeout=20)
    assert res.returncode == 1, res
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("goscope: cannot open"), res.stderr


def test_closed_stdout_ends_cleanly(go_target):
    t = go_target(target_path(NEWEST, "default"))
    res = subprocess.run(["bash", "-c", f"set -o pipefail; {GOSCOPE} record -q {t.pid} | head -n 2"],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0 and len(res.stdout.splitlines()) == 2
    assert res.stderr == "", res.stderr


def test_bad_command_lines():
    for args in (["record"], ["record", "--all", "1"], ["record", "-i", "soon", "1"]):
        res = run_goscope(args)
        assert res.returncode == 2, (args, res)
        assert len(res.stderr.strip().splitlines()) == 1, res.stderr
