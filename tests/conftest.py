"""Shared helpers for goscope's tests.

Everything here runs real things: the goscope binary built by `make`, real BPF programs loaded into
this machine's kernel, and real Go programs built by tests/build-targets.sh with every Go toolchain
of the matrix. The oracle is always the Go runtime (GODEBUG=gctrace=1 output) or Go's own standard
library, never goscope's earlier output.
"""
import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("GOSCOPE_BUILD", REPO / "build")).resolve()
GOSCOPE = BUILD / "goscope"
TARGETS = BUILD / "targets"
TOOLS = BUILD / "tools"

# The promised Go releases (Debian has no golang-1.20-go) and the build modes of the parity matrix.
GO_MINORS = [19, 21, 22, 23, 24, 25, 26, 27]
MODES = ["default", "pie", "cgo"]

GCTRACE_RE = re.compile(r"^gc (\d+) @")


# Set by tests/run-suites.py for the sanitized build: where ASan and UBSan write their reports.
SANITIZER_REPORTS = os.environ.get("GOSCOPE_SANITIZER_REPORTS")
SANITIZED = bool(SANITIZER_REPORTS)


@pytest.fixture(autouse=True)
def _no_sanitizer_report():
    """Under the sanitized build, a report written during a test fails that test, even from a
    goscope whose exit status the test does not look at."""
    if not SANITIZER_REPORTS:
        yield
        return
    reports = Path(SANITIZER_REPORTS)
    before = set(reports.iterdir())
    yield
    new = sorted(set(reports.iterdir()) - before)
    if new:
        text = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[:6000]}" for p in new)
        pytest.fail(f"sanitizer report(s) during this test:\n{text}", pytrace=False)


def target_path(minor, mode, name="churn"):
    """Path of a matrix-built Go workload; a missing one fails the test (never a skip)."""
    p = TARGETS / f"go1.{minor}" / mode / name
    assert p.exists(), f"{p} missing: run tests/build-targets.sh {BUILD}"
    return p


def tool_path(name):
    p = TOOLS / name
    assert p.exists(), f"{p} missing: run tests/build-targets.sh {BUILD}"
    return p


def gctrace_lines(path):
    """The gctrace lines a Go runtime wrote to the file at path, keyed by cycle number."""
    lines = {}
    for raw in Path(path).read_text(errors="replace").splitlines():
        m = GCTRACE_RE.match(raw)
        if m:
            lines[int(m.group(1))] = raw
    return lines


class GoTarget:
    """A Go workload started with GODEBUG=gctrace=1; its stderr (the runtime's own lines) goes to a file.

    It is running once it wrote "ready" to stdout. One without a stdout of its own (a program
    that imports nothing but runtime) is started with ready=None: it is running once the runtime
    printed its first line, which the caller waits for (wait_gctrace), after starting several."""

    def __init__(self, path, tmp_path, env=None, user=None, args=(), ready="stdout"):
        self.path = Path(path)
        self.trace_file = tmp_path / f"{self.path.parent.name}-{os.getpid()}-{time.monotonic_ns()}.gctrace"
        environ = dict(os.environ)
        environ["GODEBUG"] = "gctrace=1"
        environ.update(env or {})
        cmd = [str(self.path)] + [str(a) for a in args]
        if user is not None:
            cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + cmd
        self._err = open(self.trace_file, "wb")
        out = subprocess.PIPE if ready == "stdout" else subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=self._err, env=environ)
        self.pid = self.proc.pid
        if ready == "stdout":
            line = self.proc.stdout.readline().decode()
            assert "ready" in line, f"{path} did not start: {line!r}"
        else:
            assert ready is None, ready

    def wait_gctrace(self, timeout=30):
        """Until the runtime printed its first gctrace line; fails if it does not."""
        wait_for(lambda: self.runtime_lines() or not self.alive(), timeout)
        assert self.runtime_lines(), \
            f"{self.path} printed no gctrace line: {self.trace_file.read_text()!r}"

    def runtime_lines(self):
        """The runtime's own gctrace lines so far, keyed by cycle number."""
        return gctrace_lines(self.trace_file)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._err.close()


def factory(make, end):
    """The body of a factory fixture (`yield from factory(...)`): the test gets start(...), which
    returns make(...); when the test ends, end(x) runs for every x made."""
    made = []

    def start(*args, **kw):
        x = make(*args, **kw)
        made.append(x)
        return x

    yield start
    for x in made:
        end(x)


def kill_if_running(x):
    """End of a factory fixture for objects with a .proc still running."""
    if x.proc.poll() is None:
        x.proc.kill()
        x.proc.wait()


@pytest.fixture
def go_target(tmp_path):
    """Factory: go_target(path) starts a workload; all are stopped at the end of the test."""
    yield from factory(lambda path, **kw: GoTarget(path, tmp_path, **kw), lambda t: t.stop())


class Goscope:
    """A running goscope; stdout lines are collected as they come."""

    def __init__(self, args, tmp_path, user=None, env=None):
        self.err_file = tmp_path / f"goscope-{time.monotonic_ns()}.stderr"
        self._err = open(self.err_file, "wb")
        cmd = [str(GOSCOPE)] + [str(a) for a in args]
        if user is not None:
            cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._err, env=env)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self._buf = b""
        self.lines = []

    def _pump(self):
        try:
            chunk = self.proc.stdout.read()
        except BlockingIOError:
            chunk = None
        if chunk:
            self._buf += chunk
            *done, self._buf = self._buf.split(b"\n")
            self.lines.extend(d.decode() for d in done)

    def wait_lines(self, n, timeout):
        deadline = time.monotonic() + timeout
        while len(self.lines) < n and time.monotonic() < deadline and self.proc.poll() is None:
            self._pump()
            time.sleep(0.05)
        self._pump()
        return self.lines

    def stderr(self):
        return self.err_file.read_text(errors="replace")

    def send(self, sig):
        self.proc.send_signal(sig)

    def finish(self, sig=signal.SIGINT, timeout=15):
        """Stop goscope with sig; return its exit code after collecting all output."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        # Keep reading while it stops: what it still writes (a backlog of events drained at exit)
        # may be more than the pipe holds, and a writer blocked on a full pipe never exits.
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._pump()
            time.sleep(0.05)
        try:
            rc = self.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        os.set_blocking(self.proc.stdout.fileno(), True)
        rest = self.proc.stdout.read()
        self._buf += rest
        if self._buf:
            self.lines.extend(d.decode() for d in self._buf.split(b"\n") if d)
            self._buf = b""
        self._err.close()
        return rc


@pytest.fixture
def goscope(tmp_path):
    """Factory: goscope(args) runs the real binary; anything still running is killed at the end."""
    yield from factory(lambda args, **kw: Goscope(args, tmp_path, **kw), kill_if_running)


# The ring buffer size the overflow tests were written for: the default (1 MiB) takes minutes
# of GC cycles to fill.
RINGBUF_256K = dict(os.environ, GOSCOPE_TEST_RINGBUF_BYTES=str(256 * 1024))


# The goroutines the quiescent workload parks, by how they block (see tests/targets/quiescent).
COUNTS = {"chan": 10, "sleep": 5, "syscall": 3, "spin": 2, "mutex": 4}


class Quiescent:
    """The quiescent workload: holds still and writes its own runtime readings on SIGUSR1."""

    def __init__(self, path, tmp_path, extra=(), env=None):
        self.out = tmp_path / f"oracle-{time.monotonic_ns()}.json"
        args = [str(path), "-out", str(self.out), "-alloc", "32", "-gc", "3"]
        for k, v in COUNTS.items():
            args += [f"-{k}", str(v)]
        self.proc = subprocess.Popen(args + list(extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=None if env is None else dict(os.environ, **env))
        line = self.proc.stdout.readline()
        assert line.strip().endswith("ready"), f"quiescent did not start: {line!r} {self.proc.stderr.read()}"
        self.pid = self.proc.pid
        self.snapshots = 0

    def snapshot(self, sig=signal.SIGUSR1):
        self.proc.send_signal(sig)
        self.snapshots += 1
        line = self.proc.stdout.readline()
        assert line.strip().endswith(f"snapshot {self.snapshots}"), line
        return json.loads(self.out.read_text())

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def quiescent(tmp_path):
    yield from factory(lambda minor, mode="default", extra=(), env=None:
                       Quiescent(target_path(minor, mode, "quiescent"), tmp_path, extra, env),
                       lambda q: q.stop())


def run_goscope(args, timeout=60, user=None):
    cmd = [str(GOSCOPE)] + [str(a) for a in args]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


# ---- go tool pprof ----

NEWEST_GO = Path(f"/usr/lib/go-1.{GO_MINORS[-1]}/bin/go")


@pytest.fixture(scope="module")
def pprof(tmp_path_factory):
    """pprof(*args): the newest toolchain's `go tool pprof`, offline.

    The tool is built on first use; like tests/unit/test_unit_pprof.py it is kept in the build
    cache tests/build-targets.sh fills, so it is built once, not once per run.
    """
    assert NEWEST_GO.exists(), f"{NEWEST_GO} missing: run scripts/install-deps.sh --test"
    home = tmp_path_factory.mktemp("home")
    env = {k: v for k, v in os.environ.items()
           if k not in ("GOROOT", "GOPATH", "GOBIN", "GOFLAGS", "GODEBUG", "GOEXPERIMENT",
                        "PPROF_TMPDIR", "PPROF_BINARY_PATH", "PPROF_TOOLS")}
    (BUILD / "gocache").mkdir(parents=True, exist_ok=True)
    env.update(GOTOOLCHAIN="local", GOPROXY="off", GOSUMDB="off", GOWORK="off", GOENV="off",
               GOTELEMETRY="off", GOCACHE=str(BUILD / "gocache"), GOPATH=str(home / "gopath"),
               HOME=str(home), TZ="UTC")

    def run(*args):
        res = subprocess.run([str(NEWEST_GO), "tool", "pprof"] + [str(a) for a in args], env=env,
                             capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, res.stderr
        return res.stdout

    return run


# ---- BPF programs: what this test run loaded, and what it left ----
#
# The kernel's list of BPF programs is the whole machine's: another goscope (an agent deployed on
# it, a second test run) has programs of the same names loaded. A test judges only its own: the
# programs loaded since it began that a process of this test run holds, or that nobody holds.

# goscope's programs as bpftool names them: the kernel keeps 15 characters of a name, a bpftool
# that reads the program's BTF shows it whole.
GOSCOPE_PROGS = frozenset({"gc_start", "gc_end", "stw_stop", "stw_start", "g_create", "g_exit",
                           "alloc_sample", "alloc_large", "alloc_large_mcache", "alloc_large_mca"})


def bpftool_json(*args):
    res = subprocess.run(["bpftool", "-j"] + [str(a) for a in args], capture_output=True, text=True,
                         check=True)
    return json.loads(res.stdout or "[]")


def goscope_progs_loaded(names=GOSCOPE_PROGS):
    """{id: holders bpftool names, or []} of the programs named like goscope's loaded right now,
    whoever loaded them: never a leftover check alone (see Leftovers)."""
    return {p["id"]: [(h["pid"], h.get("comm", "?")) for h in p.get("pids", [])]
            for p in bpftool_json("prog", "show") if p.get("name") in names}


def prog_holders(ids, known=None):
    """{program id: [(pid, comm)]}: the processes with a descriptor on each of the programs ids, a
    program's or a link's (/proc/PID/fdinfo), or a perf event it is attached with (bpftool perf).
    bpftool itself, which opens every program while it lists them, is no holder."""
    ids = set(ids)
    out = {}

    def add(prog, pid, comm):
        if prog in ids and comm != "bpftool" and (pid, comm) not in out.get(prog, []):
            out.setdefault(prog, []).append((pid, comm))

    for prog, holders in (known or {}).items():
        for pid, comm in holders:
            add(prog, pid, comm)
    if not ids:
        return out
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    if not os.readlink(f"/proc/{pid}/fd/{fd}").startswith(("anon_inode:bpf-prog",
                                                                            "anon_inode:bpf_link")):
                        continue
                    with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                        prog = next((int(l.split()[1]) for l in f if l.startswith("prog_id:")), None)
                except (OSError, IndexError, ValueError):
                    continue
                if prog in ids:
                    add(prog, int(pid), process_name(int(pid)))
        except OSError:
            pass
    for e in bpftool_json("perf", "list"):
        if e.get("prog_id") in ids and "pid" in e:
            add(e["prog_id"], e["pid"], process_name(e["pid"]))
    return out


def process_name(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def of_this_run(pid):
    """Whether process pid descends from this pytest process (something a test started),
    following the parent PIDs in /proc/PID/stat."""
    me = os.getpid()
    try:
        while pid > 1:
            if pid == me:
                return True
            with open(f"/proc/{pid}/stat") as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return False


def held_by(pid, names=GOSCOPE_PROGS):
    """IDs of goscope's programs that process pid holds: what that one goscope loaded."""
    loaded = goscope_progs_loaded(names)
    held = prog_holders(loaded, loaded)
    return sorted(p for p, hs in held.items() if any(h == pid for h, _ in hs))


def describe_holders(holders):
    if not holders:
        return "no process (nothing holds it, yet it stays loaded)"
    return ", ".join(f"PID {pid} ({comm}{', of this test run' if of_this_run(pid) else ''})"
                     for pid, comm in holders)


class Leftovers:
    """What a test left loaded. The goscope programs loaded when it is made (as the test starts)
    are not the test's; of those loaded since, a leftover is one that a process of this test run
    still holds (a goscope it started that has not ended) or that no process holds (a leak). A
    program held by a process that is not of this run (another goscope on the machine) is none."""

    def __init__(self, names=GOSCOPE_PROGS):
        self.names = frozenset(names)
        self.before = set(goscope_progs_loaded(self.names))

    def progs(self):
        """{id: [(pid, comm)] holding it} of the leftovers right now."""
        loaded = goscope_progs_loaded(self.names)
        new = {p: hs for p, hs in loaded.items() if p not in self.before}
        if not new:
            return {}
        held = prog_holders(new, new)
        return {p: held.get(p, []) for p in sorted(new)
                if not held.get(p) or any(of_this_run(pid) for pid, _ in held[p])}

    def message(self, left, after):
        lines = [f"goscope BPF programs left loaded {after}: {sorted(left)}"]
        lines += [f"  program {p} held by {describe_holders(hs)}" for p, hs in sorted(left.items())]
        return "\n".join(lines)

    def assert_none(self, timeout=5, after="after goscope ended"):
        """Fails, naming each program and its holders, unless there is no leftover within timeout
        seconds (the kernel frees a program some time after its last descriptor closes)."""
        if wait_for(lambda: not self.progs(), timeout, step=0.1):
            return
        left = self.progs()
        if left:
            pytest.fail(self.message(left, f"{after} (waited {timeout}s)"))


@pytest.fixture
def bpf_leftovers():
    """A Leftovers made as the test starts: bpf_leftovers.assert_none() checks that what the test
    loaded is gone, whatever another goscope on the machine has loaded meanwhile."""
    return Leftovers()


def attached_probes(pid):
    """Names of the BPF programs goscope process pid has attached as uprobes, one per probe
    (bpftool perf: the kernel's own list of perf-event attachments)."""
    names = {p["id"]: p.get("name", "?") for p in bpftool_json("prog", "show")}
    return sorted(names.get(a["prog_id"], "?") for a in bpftool_json("perf", "list")
                  if a.get("pid") == pid and a.get("fd_type") == "uprobe")


def free_port():
    """A TCP port on 127.0.0.1 nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lifecycle(tmp_path):
    """Starts tests/targets/lifecycle processes (lifecycle.Lifecycle); all stopped at the end."""
    from lifecycle import Lifecycle  # lifecycle.py imports this module

    def end(t):
        kill_if_running(t)
        t.stop()

    yield from factory(lambda minor, mode="default": Lifecycle(minor, mode, tmp_path), end)


def wait_for(pred, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


FORCED = " (forced)"

# Go 1.19 sets work.userForced in gcStart before it takes worldsema, so a runtime.GC() that starts
# the next cycle can flip the flag while the previous cycle is printing its line: the runtime's own
# "(forced)" then describes the next cycle. goscope reports the trigger each cycle really had.
RACY_FORCED_MINORS = {19}


def check_parity(tool_lines, runtime, prefix="", minor=None):
    """Every goscope line equals the runtime's line for the same cycle; no cycle is missing.

    On a release in RACY_FORCED_MINORS a line may differ from the runtime's in the "(forced)"
    suffix alone, and only when the runtime's flag equals the flag goscope reported for the next
    cycle (that race, exactly); the last line has no successor to judge by and is not compared.
    Returns the cycle numbers compared.
    """
    parsed = []
    for line in tool_lines:
        assert line.startswith(prefix), f"line without the {prefix!r} prefix: {line!r}"
        body = line[len(prefix):]
        m = GCTRACE_RE.match(body)
        assert m, f"not a gctrace line: {line!r}"
        parsed.append((int(m.group(1)), body))
    racy = minor in RACY_FORCED_MINORS
    if racy:
        parsed = parsed[:-1]
    numbers = []
    for i, (n, body) in enumerate(parsed):
        assert n in runtime, f"gc {n}: the runtime printed no such cycle"
        want = runtime[n]
        if racy and body != want and body.removesuffix(FORCED) == want.removesuffix(FORCED):
            next_forced = i + 1 < len(tool_lines) and tool_lines[i + 1].endswith(FORCED)
            assert want.endswith(FORCED) == next_forced, \
                f"gc {n}: (forced) differs and is not the next cycle's:\n goscope: {body}\n runtime: {want}"
            numbers.append(n)
            continue
        assert body == want, f"gc {n} differs:\n goscope: {body}\n runtime: {want}"
        numbers.append(n)
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))) if numbers else True, \
        f"cycle numbers not consecutive: {numbers}"
    return numbers
