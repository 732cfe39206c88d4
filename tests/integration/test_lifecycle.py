"""Attach, detach, exit and crash behaviour: the target is never harmed and nothing stays loaded."""
import os
import signal
import subprocess
import time

import pytest

from conftest import (GO_MINORS, GOSCOPE, RINGBUF_256K, check_parity, held_by, of_this_run,
                      run_goscope, target_path, wait_for)

NEWEST = GO_MINORS[-1]


def test_sigterm_detaches_and_exits_zero(go_target, goscope, bpf_leftovers):
    t = go_target(target_path(NEWEST, "default"))
    g = goscope(["gctrace", t.pid])
    g.wait_lines(5, timeout=30)
    assert held_by(g.proc.pid), "no goscope BPF program held by this goscope while attached"
    assert g.finish(signal.SIGTERM) == 0, g.stderr()
    assert "detached" in g.stderr()
    bpf_leftovers.assert_none(after="after SIGTERM")
    assert t.alive()


def test_sigkill_leaves_target_running_and_uninstrumented(go_target, goscope, bpf_leftovers):
    t = go_target(target_path(NEWEST, "default"))
    g = goscope(["gctrace", t.pid])
    g.wait_lines(5, timeout=30)
    g.proc.kill()
    g.proc.wait()
    bpf_leftovers.assert_none(after="after SIGKILL")
    before = max(t.runtime_lines())
    time.sleep(1.0)
    assert t.alive(), "target died after goscope was killed"
    assert max(t.runtime_lines()) > before + 5, "the target's own gctrace stopped advancing"


def test_target_exit_is_reported_and_ends_goscope(go_target, goscope, bpf_leftovers):
    t = go_target(target_path(NEWEST, "default"))
    g = goscope(["gctrace", t.pid])
    g.wait_lines(5, timeout=30)
    t.stop()
    assert g.proc.wait(timeout=10) == 0
    rc = g.finish()
    assert rc == 0
    assert f"PID {t.pid} exited" in g.stderr()
    bpf_leftovers.assert_none(after="after the target exited")


def outsider_goscope(pid):
    """A goscope gctrace on pid that is not of this test run (its parent exits at once, so it is
    nobody's child here): the programs of another goscope on the machine. Returns its PID."""
    sh = subprocess.run(["sh", "-c", f"{GOSCOPE} gctrace {pid} >/dev/null 2>&1 </dev/null & echo $!"],
                        capture_output=True, text=True, check=True)
    return int(sh.stdout)


def test_leftover_check_tells_ours_from_another_goscopes(go_target, goscope, bpf_leftovers):
    # The check the other tests rely on (conftest.Leftovers): the programs of a goscope of this
    # run that has not ended are leftovers, named with their holder; those of another goscope
    # (a deployed agent, another test run) loaded meanwhile are not; once ours is gone, none is.
    t = go_target(target_path(NEWEST, "default"))
    other = outsider_goscope(t.pid)
    try:
        assert not of_this_run(other)
        assert wait_for(lambda: len(held_by(other)) > 0, 20), "the outsider goscope loaded nothing"
        theirs = set(held_by(other))
        g = goscope(["gctrace", t.pid])
        g.wait_lines(3, timeout=30)
        g.send(signal.SIGSTOP)              # attached, holding its programs, and going nowhere
        ours = set(held_by(g.proc.pid))
        assert ours and not ours & theirs, (ours, theirs)
        left = bpf_leftovers.progs()
        assert ours <= set(left), f"leftovers {sorted(left)}, but our stopped goscope holds {sorted(ours)}"
        assert not theirs & set(left), f"the outsider's {sorted(theirs & set(left))} counted as ours"
        assert all((g.proc.pid, "goscope") in left[p] for p in ours), left
        # (Anything else is a program another goscope closed a moment ago, not yet freed: no holder.)
        assert all(not left[p] for p in set(left) - ours), left
        with pytest.raises(pytest.fail.Exception) as failed:
            bpf_leftovers.assert_none(timeout=1, after="while stopped")
        msg = str(failed.value)
        assert all(f"program {p} held by PID {g.proc.pid} (goscope, of this test run)" in msg
                   for p in ours), msg
        g.proc.kill()                       # SIGKILL ends a stopped process too
        g.proc.wait()
        bpf_leftovers.assert_none(after="after SIGKILL")
        assert theirs <= set(held_by(other)), "the outsider's programs went away with ours"
    finally:
        try:
            os.kill(other, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert t.alive()


def test_several_targets_prefix_each_line(go_target, goscope):
    a = go_target(target_path(NEWEST, "default"))
    b = go_target(target_path(GO_MINORS[0], "pie"))
    time.sleep(0.5)
    g = goscope(["gctrace", a.pid, b.pid])
    g.wait_lines(80, timeout=60)
    assert g.finish() == 0, g.stderr()
    time.sleep(0.2)
    for t, minor in ((a, NEWEST), (b, GO_MINORS[0])):
        mine = [line for line in g.lines if line.startswith(f"[{t.pid}] ")]
        assert len(mine) >= 10, f"PID {t.pid}: {len(mine)} lines"
        check_parity(mine, t.runtime_lines(), prefix=f"[{t.pid}] ", minor=minor)
    assert len(g.lines) == sum(1 for line in g.lines if line.startswith("["))


def test_one_target_has_no_prefix(go_target, goscope):
    t = go_target(target_path(NEWEST, "default"))
    g = goscope(["gctrace", t.pid])
    g.wait_lines(3, timeout=30)
    g.finish()
    assert g.lines and all(line.startswith("gc ") for line in g.lines)


def test_ring_buffer_overflow_is_reported(go_target, goscope):
    # Freeze goscope so the 256 KiB ring buffer fills up while the target keeps collecting: the
    # loss must be reported both as dropped events and as missed GC cycles, and the missed count
    # must match the gap in the printed cycle numbers.
    t = go_target(target_path(NEWEST, "default"))
    g = goscope(["gctrace", t.pid], env=RINGBUF_256K)
    g.wait_lines(3, timeout=30)
    g.send(signal.SIGSTOP)
    frozen_at = max(t.runtime_lines())
    # 208 bytes per GC end event in the ring (Go 1.21+ has no start event): 256 KiB holds
    # roughly 1,260 cycles.
    assert wait_for(lambda: max(t.runtime_lines()) > frozen_at + 1600, 90, step=0.5), \
        "the target did not run enough GC cycles"
    g.send(signal.SIGCONT)
    seen_after = len(g.wait_lines(len(g.lines) + 20, timeout=30))
    assert g.finish() == 0
    err = g.stderr()
    assert "lost" in err and "ring buffer was full" in err, err
    assert "missed" in err, err
    numbers = [int(line.split()[1]) for line in g.lines]
    gap = sum(b - a - 1 for a, b in zip(numbers, numbers[1:]) if b > a + 1)
    import re
    reported = sum(int(m) for m in re.findall(r"missed (\d+) GC cycle", err))
    assert gap > 0 and reported == gap, f"gap {gap}, reported {reported}"
    assert seen_after > 0


def test_ps_lists_matrix_targets(go_target):
    started = {}
    for minor, mode in ((GO_MINORS[0], "default"), (NEWEST, "pie"), (NEWEST, "cgo"), (NEWEST, "stripped")):
        started[(minor, mode)] = go_target(target_path(minor, mode))
    res = run_goscope(["ps"])
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["PID", "COMM", "GO", "PIE", "STRIPPED", "CGO", "RUNTIME",
                                "CONTAINER", "POD", "ATTACH"], lines[0]
    rows = {int(line.split()[0]): line.split() for line in lines[1:]}
    for (minor, mode), t in started.items():
        row = rows.get(t.pid)
        assert row, f"PID {t.pid} ({mode}) not listed:\n{res.stdout}"
        pid, comm, version, pie, stripped, cgo, runtime, container, pod = row[:9]
        attach = " ".join(row[9:])
        assert runtime == "exe"
        assert (container, pod) == ("-", "-"), "a process of this test's runs in no container"
        assert version.startswith(f"go1.{minor}.")
        assert pie == ("yes" if mode == "pie" else "no")
        assert stripped == ("yes" if mode == "stripped" else "no")
        assert cgo == ("yes" if mode == "cgo" else "no")
        assert attach == "yes"
