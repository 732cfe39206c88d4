"""Go runtimes that are not the process's executable.

- A Go shared library (-buildmode=c-shared) that a C host dlopen()s, as a C, Python or Java process
  loads one: the runtime, its build info, .gopclntab and symbols live in the library, at the
  library's load address, and the probes go on the library's file.
- A Go archive (-buildmode=c-archive) linked into a C program: the executable holds the runtime, but
  the external linker merged .gopclntab into .data.rel.ro.
- A Go program started through the dynamic loader (`ld.so PROGRAM`): the executable is ld.so; the
  Go program is one of the files it mapped.

The workloads are churn and quiescent built as libraries (tests/targets/*/shlib.go) and run by
tests/targets/cgohost. The oracle is the runtime inside: its own GODEBUG=gctrace=1 lines and its
own ReadMemStats.
"""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import (GO_MINORS, TARGETS, Quiescent, check_parity, run_goscope,
                      target_path, wait_for)
from test_stat import check_against_oracle, stat_json

HOST = TARGETS / "cgohost"
LDSO = "/lib64/ld-linux-x86-64.so.2"
MIN_CYCLES = 40
# A spread of releases for the slower checks; the shared library's gctrace runs on every one.
SOME_MINORS = [GO_MINORS[0], 23, GO_MINORS[-1]]


def host():
    assert HOST.exists(), f"{HOST} missing: run tests/build-targets.sh"
    return HOST


def library(minor, mode="cshared", name="libchurn.so"):
    # Resolved: /proc/PID/maps names the file by its real path (build-asan/targets is a link).
    return target_path(minor, mode, name).resolve()


def parity(t, goscope, minor, cycles=MIN_CYCLES):
    """goscope gctrace on t for `cycles` cycles: every line equals the runtime's own."""
    time.sleep(0.5)
    assert t.runtime_lines(), "the workload printed no gctrace lines before attach"
    g = goscope(["gctrace", t.pid])
    g.wait_lines(cycles + 1, timeout=60)
    assert g.finish(signal.SIGINT) == 0, g.stderr()
    time.sleep(0.2)  # the runtime prints its line just after the probe fires
    numbers = check_parity(g.lines, t.runtime_lines(), minor=minor)
    assert len(numbers) >= cycles, g.stderr()
    return g


def ps_row(pid):
    res = run_goscope(["ps", "--json"])
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    mine = [r for r in rows if r["pid"] == pid]
    assert mine, f"PID {pid} not listed by goscope ps:\n{res.stdout}"
    return mine[0]


@pytest.mark.parametrize("minor", GO_MINORS)
def test_gctrace_in_a_stripped_shared_library(minor, go_target, goscope):
    lib = library(minor, "cshared-strip")
    t = go_target(host(), env={"GOSCOPE_GO_LIB": str(lib)}, args=["-workers", "2"])
    g = parity(t, goscope, minor)
    assert f"runtime in {lib.name}" in g.stderr(), g.stderr()
    row = ps_row(t.pid)
    assert row["attachable"], row
    assert row["go_version"].startswith(f"go1.{minor}.")
    assert row["runtime_object"] == str(lib)
    assert row["stripped"] and row["cgo"], row


def test_gctrace_in_a_python_process(go_target, goscope, tmp_path):
    # Python loads the library with ctypes; the Go runtime takes Python's argv as its own, and
    # churn's flag parsing stops at the script's name: churn runs with its defaults.
    minor = GO_MINORS[-1]
    script = tmp_path / "host.py"
    script.write_text("import ctypes, sys\nctypes.CDLL(sys.argv[1]).GoscopeMain()\n")
    t = go_target(sys.executable, args=[script, library(minor)])
    g = parity(t, goscope, minor)
    assert "runtime in libchurn.so" in g.stderr(), g.stderr()


@pytest.mark.parametrize("minor", SOME_MINORS)
def test_gctrace_in_a_c_program_linked_with_a_go_archive(minor, go_target, goscope):
    t = go_target(target_path(minor, "carchive", "churn"), args=["-workers", "2"])
    parity(t, goscope, minor)
    row = ps_row(t.pid)
    assert row["attachable"] and "runtime_object" not in row, row


@pytest.mark.parametrize("minor", SOME_MINORS)
def test_stat_of_a_shared_library_equals_its_own_readings(minor, tmp_path):
    env = {"GOSCOPE_GO_LIB": str(library(minor, "cshared", "libquiescent.so"))}
    q = Quiescent(host(), tmp_path, env=env)
    try:
        # The first signal the host's C thread takes binds an extra M to it, and for that moment
        # the runtime counts one more goroutine: read the oracle from the second snapshot on.
        q.snapshot()
        want = q.snapshot()
        got = stat_json(q.pid)
        assert got["go_version"].startswith(f"go1.{minor}")
        check_against_oracle(minor, got, want)
        again = q.snapshot()
        assert again["memstats"]["Mallocs"] == want["memstats"]["Mallocs"]
    finally:
        q.stop()


@pytest.mark.parametrize("cmd", [["stat", "-i", "0"], ["stacks"]])
def test_one_shot_commands_read_a_shared_library(cmd, go_target):
    t = go_target(host(), env={"GOSCOPE_GO_LIB": str(library(GO_MINORS[-1]))},
                  args=["-workers", "2"])
    res = run_goscope(cmd + [t.pid])
    assert res.returncode == 0, res.stderr
    assert "goroutine" in res.stdout if cmd[0] == "stacks" else "NumGC" in res.stdout, res.stdout


@pytest.mark.parametrize("cmd", [["record", "-i", "200ms"], ["schedtrace", "-i", "200ms"]])
def test_sampling_commands_read_a_shared_library(cmd, go_target, goscope):
    t = go_target(host(), env={"GOSCOPE_GO_LIB": str(library(GO_MINORS[-1]))},
                  args=["-workers", "2"])
    g = goscope(cmd + [t.pid])
    if cmd[0] == "record":
        want = {"attach", "gc", "sample"}
        kinds = set()
        deadline = time.monotonic() + 30
        while not want <= kinds and time.monotonic() < deadline:
            kinds = {json.loads(line)["kind"] for line in g.wait_lines(len(g.lines) + 1, 1)}
        assert want <= kinds, (g.lines, g.stderr())
        assert g.finish(signal.SIGINT) == 0, g.stderr()
    else:
        g.wait_lines(4, timeout=30)
        assert g.finish(signal.SIGINT) == 0, g.stderr()
        assert all(line.startswith("SCHED ") for line in g.lines), g.lines


def test_library_dlclosed_then_host_exits_mid_run(go_target, goscope):
    minor = GO_MINORS[-1]
    lib = library(minor)
    t = go_target(host(), env={"GOSCOPE_GO_LIB": str(lib), "GOSCOPE_HOST_DLCLOSE_MS": "1500",
                               "GOSCOPE_HOST_EXIT_MS": "1500"}, args=["-workers", "2"])
    g = goscope(["gctrace", t.pid])
    g.wait_lines(5, timeout=30)
    # dlclose() drops the host's reference; Go libraries are linked NODELETE, so the runtime stays
    # mapped and running, and goscope goes on reading it.
    assert t.proc.stdout.readline().decode().strip() == f"{t.pid} dlclosed"
    assert str(lib) in open(f"/proc/{t.pid}/maps").read()
    seen = len(g.wait_lines(0, timeout=0))
    assert len(g.wait_lines(seen + 5, timeout=10)) >= seen + 5, g.stderr()
    # Then the host exits from C while Go code runs: goscope notices and ends by itself.
    assert t.proc.wait(timeout=10) == 0
    g.wait_lines(1 << 30, timeout=15)   # returns once goscope has exited
    assert g.proc.poll() == 0, g.stderr()
    assert "exited" in g.stderr(), g.stderr()
    time.sleep(0.2)
    lines = g.lines
    runtime = t.runtime_lines()
    # The last cycle may have ended just before the exit, its line not yet written by the runtime.
    if lines and int(lines[-1].split()[1]) not in runtime:
        lines = lines[:-1]
    check_parity(lines, runtime, minor=minor)


def test_all_finds_a_go_library_loaded_after_start(go_target, goscope, tmp_path):
    # A C process, ruled out as not Go, that loads a Go library 2 s later (as Python imports an
    # extension): --all looks at young processes again and finds the runtime.
    out = tmp_path / "record.jsonl"
    g = goscope(["record", "--all", "-o", out, "-i", "300ms"])
    time.sleep(1)
    t = go_target(host(), env={"GOSCOPE_GO_LIB": str(library(GO_MINORS[-1])),
                               "GOSCOPE_HOST_LOAD_MS": "2000"}, args=["-workers", "2"])
    mine = lambda: [r for r in map(json.loads, out.read_text().splitlines())  # noqa: E731
                    if r["pid"] == t.pid] if out.exists() else []
    assert wait_for(lambda: any(r["kind"] == "gc" for r in mine()), 20), g.stderr()
    assert g.finish() == 0, g.stderr()
    assert mine()[0]["kind"] == "attach", mine()[0]
    check_parity([r["line"] for r in mine() if r["kind"] == "gc"], t.runtime_lines(),
                 minor=GO_MINORS[-1])


@pytest.mark.parametrize("minor,mode", [(m, "cgo") for m in SOME_MINORS] +
                         [(GO_MINORS[-1], "default")])
def test_program_started_through_the_dynamic_loader(minor, mode, go_target, goscope):
    path = target_path(minor, mode).resolve()
    t = go_target(LDSO, args=[path, "-workers", "2"])
    if mode == "cgo":
        # A dynamically linked program is mapped by ld.so, which stays the executable. (A static
        # one, ld.so execs: then the program is the executable again, and must work all the same.)
        assert os.readlink(f"/proc/{t.pid}/exe") == os.path.realpath(LDSO)
    g = parity(t, goscope, minor)
    row = ps_row(t.pid)
    assert row["attachable"], row
    if mode == "cgo":
        assert f"runtime in {path.name}" in g.stderr(), g.stderr()
        assert row["runtime_object"] == str(path), row


def test_a_process_that_only_reads_a_go_binary_is_not_go(tmp_path):
    # Mapping a Go binary to read it (a debugger, a file indexer, goscope itself) runs no Go
    # runtime: only a file whose code the process maps executable is looked at.
    reader = subprocess.Popen(
        [sys.executable, "-c", "import mmap, sys, time\n"
         "f = open(sys.argv[1], 'rb')\n"
         "m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)\n"
         "print('mapped', flush=True)\ntime.sleep(60)\n", str(library(GO_MINORS[-1]))],
        stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "mapped"
        assert str(library(GO_MINORS[-1])) in open(f"/proc/{reader.pid}/maps").read()
        res = run_goscope(["gctrace", reader.pid])
        assert res.returncode == 4 and "is not a Go program" in res.stderr, res.stderr
        res = run_goscope(["ps", "--json"])
        assert all(json.loads(line)["pid"] != reader.pid for line in res.stdout.splitlines())
    finally:
        reader.kill()
        reader.wait()
