"""Bad input: one line on stderr saying what is wrong, a distinct exit code, nothing left attached."""
import os
import re
import subprocess
import time

import pytest

from conftest import GO_MINORS, GOSCOPE, check_parity, run_goscope, target_path, wait_for

NOBODY = 65534


def assert_one_line_error(left, res, code, *words):
    """res failed with exit code and one line naming words; nothing goscope loaded stays (left:
    the test's bpf_leftovers)."""
    assert res.returncode == code, f"exit {res.returncode}, want {code}: {res.stderr!r}"
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, f"want one line, got: {res.stderr!r}"
    assert lines[0].startswith("goscope: "), lines[0]
    for w in words:
        assert w in lines[0], f"{w!r} not in {lines[0]!r}"
    assert res.stdout == ""
    left.assert_none(after="after the error")


def relabel(src, old, new, dest):
    """A copy of a Go binary whose build info names another release (same length, same layout)."""
    assert len(old) == len(new)
    data = bytearray(src.read_bytes())
    at = data.index(b"\xff Go buildinf:")
    version = data.index(old.encode() + b".", at)
    assert version - at < 64, "version string not inline in .go.buildinfo"
    data[version:version + len(new)] = new.encode()
    dest.write_bytes(bytes(data))
    dest.chmod(0o755)
    return dest


def free_pid():
    pid_max = int(open("/proc/sys/kernel/pid_max").read())
    for pid in range(pid_max - 1, 1, -1):
        if not os.path.exists(f"/proc/{pid}"):
            return pid
    raise AssertionError("no free PID")


def test_no_such_pid(bpf_leftovers):
    assert_one_line_error(bpf_leftovers, run_goscope(["gctrace", free_pid()]), 3, "no process")


def test_not_a_go_program(bpf_leftovers):
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        time.sleep(0.1)
        assert_one_line_error(bpf_leftovers, run_goscope(["gctrace", sleeper.pid]), 4, "not a Go program",
                              "sleep")
    finally:
        sleeper.kill()
        sleeper.wait()


def test_kernel_thread(bpf_leftovers):
    assert_one_line_error(bpf_leftovers, run_goscope(["gctrace", 2]), 4, "kernel thread")
    assert_one_line_error(bpf_leftovers, run_goscope(["stat", 2]), 4, "kernel thread", "kthreadd")


@pytest.fixture
def zombie():
    """A child that has exited and is not reaped yet: /proc/PID exists, in state Z."""
    child = subprocess.Popen(["sh", "-c", "sleep 0.1"])
    try:
        def state():
            return open(f"/proc/{child.pid}/stat").read().rsplit(")", 1)[1].split()[0]
        wait_for(lambda: state() == "Z", timeout=10)
        yield child.pid
        assert state() == "Z", "the child was reaped during the test"
    finally:
        child.wait()


@pytest.mark.parametrize("cmd", ["stat", "gctrace"])
def test_zombie(zombie, cmd, bpf_leftovers):
    assert_one_line_error(bpf_leftovers, run_goscope([cmd, zombie]), 3,
                          f"process {zombie} has exited (zombie)")


@pytest.mark.parametrize("cmd", ["stat", "gctrace"])
def test_pid_1(cmd, bpf_leftovers):
    # Whatever PID 1 is here: a sandbox's init whose executable even root may not read (the
    # ptrace rules refuse it), an init that is not Go, or a Go program, which stat reads.
    try:
        exe = os.readlink("/proc/1/exe")
    except PermissionError:
        assert_one_line_error(bpf_leftovers, run_goscope([cmd, 1]), 7, "no permission", "even as root")
        return
    res = run_goscope([cmd, 1])
    if res.returncode == 4:
        assert_one_line_error(bpf_leftovers, res, 4, "not a Go program",
                              os.path.basename(exe.split(" (")[0]))
    elif cmd == "stat":
        assert res.returncode == 0 and res.stdout, f"PID 1 ({exe}): {res.stderr!r}"
    else:
        pytest.skip(f"PID 1 ({exe}) is a Go program; gctrace on it is tested like any other")


def test_usage_errors(bpf_leftovers):
    assert_one_line_error(bpf_leftovers, run_goscope(["gctrace", "12ab"]), 2, "not a process ID")
    assert_one_line_error(bpf_leftovers, run_goscope(["gctrace"]), 2, "needs at least one PID")
    res = run_goscope(["frobnicate"])
    assert res.returncode == 2 and "unknown command" in res.stderr


def test_unknown_future_release_without_dwarf_is_refused(tmp_path, go_target, bpf_leftovers):
    # A stripped binary carries no struct layouts; goscope reads it with its built-in table for
    # that release. A release newer than every table must be refused, not read with a guess.
    minor = GO_MINORS[-1]
    future = relabel(target_path(minor, "stripped"), f"go1.{minor}", "go1.99", tmp_path / "churn-go1.99")
    t = go_target(future)
    assert_one_line_error(bpf_leftovers, run_goscope(["gctrace", t.pid]), 5, "go1.99", f"go1.{minor}.",
                          "no DWARF")
    row = [line for line in run_goscope(["ps"]).stdout.splitlines() if line.split()[0] == str(t.pid)]
    assert row and row[0].endswith("no: stripped, Go release newer than goscope"), row


def test_binary_without_dwarf_but_with_symbols(tmp_path, go_target, goscope):
    # -ldflags=-w drops DWARF only: symbols from .symtab, layouts from the built-in table.
    minor = GO_MINORS[-1]
    path = tmp_path / "churn-w"
    env = dict(os.environ, GOTOOLCHAIN="local", GOPROXY="off", GOFLAGS="-buildvcs=false",
               CGO_ENABLED="0", GOCACHE=str(target_path(minor, "default").parents[3] / "gocache"))
    src = os.path.join(os.path.dirname(__file__), "..", "targets", "churn")
    subprocess.run([f"/usr/lib/go-1.{minor}/bin/go", "build", "-ldflags=-w", "-o", str(path), "."],
                   cwd=src, env=env, check=True)
    t = go_target(path)
    time.sleep(0.5)
    g = goscope(["gctrace", t.pid])
    g.wait_lines(20, timeout=30)
    assert g.finish() == 0, g.stderr()
    time.sleep(0.2)
    assert len(check_parity(g.lines, t.runtime_lines())) >= 20


def test_go_older_than_1_19(tmp_path, go_target, bpf_leftovers):
    # No Debian package ships a Go older than 1.19, so take a 1.19 build and make its build info
    # say 1.18 (same length, same layout): the version gate must refuse it before anything else.
    old = relabel(target_path(19, "default"), "go1.19", "go1.18", tmp_path / "churn-go1.18")
    t = go_target(old)
    assert_one_line_error(bpf_leftovers, run_goscope(["gctrace", t.pid]), 5, "go1.18", "Go 1.19 and newer")


def test_not_root_on_someone_elses_process(go_target, bpf_leftovers):
    t = go_target(target_path(GO_MINORS[-1], "default"))
    assert_one_line_error(bpf_leftovers, run_goscope(["gctrace", t.pid], user=NOBODY), 7, "CAP_SYS_PTRACE",
                          "root")


def test_not_root_on_own_process(go_target, bpf_leftovers):
    # The executable is readable, so the failure comes from loading BPF without privileges.
    t = go_target(target_path(GO_MINORS[-1], "default"), user=NOBODY)
    assert_one_line_error(bpf_leftovers, run_goscope(["gctrace", t.pid], user=NOBODY), 7, "CAP_BPF",
                          "CAP_PERFMON", "CAP_SYS_PTRACE", "root")


@pytest.mark.parametrize("drop,missing", [("-sys_admin,-bpf", "CAP_BPF"),
                                          ("-sys_admin,-perfmon", "CAP_PERFMON"),
                                          ("-sys_ptrace", "CAP_SYS_PTRACE")])
def test_root_without_one_capability(drop, missing, go_target, bpf_leftovers):
    # Root whose bounding set lacks a capability (a container, a systemd unit's
    # CapabilityBoundingSet=): the message names exactly what is missing.
    t = go_target(target_path(GO_MINORS[-1], "default"))
    res = subprocess.run(["setpriv", f"--bounding-set={drop}", str(GOSCOPE), "gctrace", str(t.pid)],
                         capture_output=True, text=True, timeout=30)
    assert_one_line_error(bpf_leftovers, res, 7, "bounding set")
    named = re.search(r"missing (CAP_\w+(?:, CAP_\w+)*)", res.stderr)
    assert named and named.group(1) == missing, res.stderr
    assert "sudo" not in res.stderr, "it is root already"


def test_help_everywhere():
    for args in (["--help"], ["gctrace", "--help"], ["ps", "--help"]):
        res = run_goscope(args)
        assert res.returncode == 0 and "Usage: goscope" in res.stdout, args


def test_kernel_without_uprobes(go_target, bpf_leftovers):
    # A kernel built without CONFIG_UPROBE_EVENTS has no uprobe PMU in sysfs, which is what goscope
    # checks. Hide it in a private mount namespace and run goscope there.
    t = go_target(target_path(GO_MINORS[-1], "default"))
    script = ("mount --make-rprivate / && mount -t tmpfs none /sys/bus/event_source/devices/uprobe && "
              f"exec {GOSCOPE} gctrace {t.pid}")
    res = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=30)
    assert_one_line_error(bpf_leftovers, res, 8, "uprobe support")
