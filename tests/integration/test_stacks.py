"""goscope stacks: every goroutine's stack of a running Go program, read from outside, against what
the program's own runtime prints for the same goroutines at the same moment.

The workload is tests/targets/stackshapes: goroutines of known shapes (channel receive and send,
select, sync.Mutex, WaitGroup, Cond, a long sleep, a network read, a pipe read in a syscall, a
locked thread, a recursion 300 frames deep, inlined calls, a closure, a generic function, method
values, five identical workers, two leaked goroutines and, in cgo builds, a C call in progress),
parked for good before it prints "ready" and quiet from then on. On SIGUSR1 it writes the
runtime's own goroutine dumps: pprof's debug=2 text (runtime.Stack), the debug=1 counts and the
profile. Those, `go tool pprof`, and Go's debug/gosym (tests/oracle/gobininfo -pcs) are the
oracles; nothing is compared with goscope's earlier output.

Time: the runtime prints ", N minutes" once a goroutine has waited a minute (it knows when the wait
began once a GC cycle has seen it parked: the workload runs two before "ready"). So one fleet of
processes serves the whole module: every release of the matrix in every build mode, plus a twin of
each run with GOTRACEBACK=system for --system, all started at once. The tests that need no aged
goroutines (errors, --budget, the busy target) run while the minute passes; the first comparison
then waits for the rest of it, reads every process with goscope and signals it, and the comparison
tests only compare. About two minutes in all, most of it the busy targets' 640 dumps.

--system has no debug=2 oracle: runtime.Stack, which pprof's debug=2 is, forces the traceback
level that hides the runtime's goroutines whatever GOTRACEBACK says. The runtime shows them, as
GOTRACEBACK=system does, only in its crash dump, so the system twins are read with goscope and
then sent SIGQUIT.

The fleet runs with GOGC=off: with a GC percentage, sysmon forces a GC cycle after two minutes
without one, and a cycle may shrink a parked goroutine's stack between goscope's reading and the
runtime's dump, which changes argument words that point into that stack. runtime.GC() still runs.

Two goroutines move to answer the signal and are not compared block for block: main (it writes
the dumps) and os/signal's watcher (it delivers the signal). Both must still be listed.
"""
import collections
import concurrent.futures
import difflib
import json
import os
import re
import signal
import select
import struct
import subprocess
import time
import types

import pytest

from conftest import GO_MINORS, run_goscope, target_path, tool_path

STACK_MODES = ["default", "pie", "cgo", "stripped"]
MATRIX = [(m, mode) for m in GO_MINORS for mode in STACK_MODES]
MATRIX_IDS = [f"go1.{m}-{mode}" for m, mode in MATRIX]

# Seconds after the last "ready" before the fleet is read: every goroutine parked before the
# workload's GC cycles has then waited more than a minute.
AGED = 62

# The goroutines the workload parks, by a function the runtime shows in their blocks (its
# spelling: generic functions as F[...]), and how many of each.
SHAPES = {
    "main.chanRecv": 1, "main.chanSend": 1, "main.selectWait": 1, "main.selectNoCases": 1,
    "main.nilChanRecv": 1, "main.mutexWait": 1, "main.wgWait": 1, "main.condWait": 1,
    "main.sleeper": 1, "main.netReader": 1, "main.pipeReader": 1, "main.lockedWait": 1,
    "main.recurse": 1, "main.inlinedPath": 1, "main.smallWait": 1, "main.startShapes.func2": 1,
    "main.genericWait[...]": 2, "main.(*holder).run": 1, "main.(*holder).wait": 1,
    "main.poolWorker": 5, "main.leakyWorker": 2,
}
CGO_SHAPES = {"main.cgoBlocker": 1}

# The runtime's own goroutines that --system must show and compare (parked in every release).
SYSTEM_SHAPES = ["runtime.forcegchelper", "runtime.bgsweep", "runtime.bgscavenge",
                 "runtime.gcBgMarkWorker"]

# The functions of the two goroutines that move to answer a signal.
MOVERS = {"main.dumpAll", "os/signal.loop"}
# In goscope's reading (before the signal) main is still in main.main.
MOVER_FRAMES = {"main.main", "os/signal.loop"}

# Filters and the goroutines they must select, judged on the runtime's own debug=2 block.
FILTERS = {
    "state-waiting": (["--state", "waiting"], lambda h, fs: h.state == "waiting"),
    "state-syscall": (["--state", "syscall"], lambda h, fs: h.state == "syscall"),
    "reason-chan-receive": (["--wait-reason", "chan receive"],
                            lambda h, fs: h.wait_reason == "chan receive"),
    "reason-cond": (["--wait-reason", "sync.Cond.Wait"],
                    lambda h, fs: h.wait_reason == "sync.Cond.Wait"),
    "min-wait-1m": (["--min-wait", "1m"], lambda h, fs: (h.minutes or 0) >= 1),
    "min-wait-10m": (["--min-wait", "10m"], lambda h, fs: (h.minutes or 0) >= 10),
    "match": (["--match", r"poolWorker|^main\.genericWait"],
              lambda h, fs: any(re.search(r"poolWorker|^main\.genericWait", f) for f in fs)),
    "state-and-match": (["--state", "waiting", "--match", "^main\\.(leakyWorker|pipeReader)$"],
                        lambda h, fs: h.state == "waiting" and
                        any(re.fullmatch(r"main\.(leakyWorker|pipeReader)", f) for f in fs)),
}
EMPTY_FILTERS = {"min-wait-10m"}   # nothing in the fleet has waited ten minutes

PLAIN_RUNS = {"text": [], "json": ["--json"], "group": ["--group"],
              "group-json": ["--group", "--json"], "pprof": ["-o", "{out}/goscope.pb.gz"]}
PLAIN_RUNS.update({f"filter:{k}": args for k, (args, _) in FILTERS.items()})
SYSTEM_RUNS = {"system": ["--system"], "system-json": ["--system", "--json"]}


# ---- the runtime's text: goroutine blocks ----

HEADER_RE = re.compile(r"goroutine (\d+)((?: gp=0x[0-9a-f]+ m=(?:nil|\d+ mp=0x[0-9a-f]+))?) "
                       r"\[(.*)\]:")
MINUTES_RE = re.compile(r", (\d+) minutes")
CREATED_RE = re.compile(r"created by (\S+?)(?: in goroutine (\d+))?")
LOCATION_RE = re.compile(r"\t(.+):(\d+)(?: \+0x[0-9a-f]+)?(?: fp=0x[0-9a-f]+ sp=0x[0-9a-f]+ "
                         r"pc=0x[0-9a-f]+)?")
RUN_STATES = {"idle", "runnable", "running", "syscall", "dead", "copystack", "preempted"}


def goroutine_blocks(text):
    """The paragraphs of a dump that are goroutine blocks, in order."""
    return [p for p in re.split(r"\n{2,}", text.strip("\n"))
            if HEADER_RE.fullmatch(p.split("\n", 1)[0])]


def by_goid(blocks, what):
    out = {}
    for b in blocks:
        goid = int(HEADER_RE.fullmatch(b.split("\n", 1)[0]).group(1))
        assert goid not in out, f"{what}: goroutine {goid} printed twice"
        out[goid] = b
    return out


def header(block):
    """What a block's header says: goid, status, state, wait reason, minutes, locked."""
    m = HEADER_RE.fullmatch(block.split("\n", 1)[0])
    parts = m.group(3).split(", ")
    status = re.sub(r"( \((scan|leaked|durable)\))+$", "", parts[0])
    minutes = next((int(x.split()[0]) for x in parts[1:] if re.fullmatch(r"\d+ minutes", x)), None)
    state = status if status in RUN_STATES else "waiting"
    return types.SimpleNamespace(goid=int(m.group(1)), status=status, state=state,
                                 wait_reason=status if state == "waiting" and status != "waiting"
                                 else None,
                                 minutes=minutes, locked="locked to thread" in parts[1:])


def frame_function(line):
    """F of a frame line F(args): the parenthesis that opens the arguments is the one that
    matches the last character (receivers such as main.(*T).m have their own)."""
    assert line.endswith(")"), f"not a frame line: {line!r}"
    depth = 0
    for i in range(len(line) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(line[i], 0)
        if depth == 0:
            return line[:i]
    raise AssertionError(f"unbalanced frame line: {line!r}")


def shown_functions(block):
    """The functions of the frames a block shows, innermost first, as the runtime spells them."""
    return [frame_function(ln) for ln in block.split("\n")[1:]
            if not ln.startswith(("\t", "created by ", "..."))]


def created_by(block):
    """(function, creator goid or None, file, line) of the block's "created by", or None."""
    lines = block.split("\n")
    for i, ln in enumerate(lines):
        m = CREATED_RE.fullmatch(ln)
        if m:
            loc = LOCATION_RE.fullmatch(lines[i + 1])
            assert loc, f"no location after {ln!r}"
            return (m.group(1), int(m.group(2)) if m.group(2) else None, loc.group(1),
                    int(loc.group(2)))
    return None


def printed_name(name):
    """A function name as the runtime prints it: type arguments of a generic function as [...]."""
    return re.sub(r"\[.*\]", "[...]", name, count=1)


def without_minutes(block):
    head, _, body = block.partition("\n")
    return MINUTES_RE.sub("", head) + "\n" + body


def block_mismatch(got, want):
    """None when goscope's block equals the runtime's but for the wait minutes (off by at most
    one: goscope read earlier), else a diff."""
    gm, wm = header(got).minutes or 0, header(want).minutes or 0
    if without_minutes(got) == without_minutes(want) and abs(gm - wm) <= 1:
        return None
    return "\n".join(difflib.unified_diff(want.split("\n"), got.split("\n"), "runtime", "goscope",
                                          lineterm="", n=1))


def movers(rt):
    """goids of the goroutines that answered the signal, from the runtime's dump."""
    found = {g for g, b in rt.items() if MOVERS & set(shown_functions(b))}
    assert len(found) == 2, f"want main and os/signal's watcher in the runtime's dump: {found}"
    return found


def check_text_layout(out):
    """Goroutine blocks only, one blank line between them, a newline at the end."""
    assert out.endswith("\n") and not out.endswith("\n\n"), f"ends with {out[-40:]!r}"
    assert "\n\n\n" not in out, "more than one blank line between blocks"
    for para in out.rstrip("\n").split("\n\n"):
        assert HEADER_RE.fullmatch(para.split("\n", 1)[0]), f"not a goroutine block: {para[:200]!r}"


def compare_dumps(got, want, skip, what):
    """Every goroutine of got (goid -> block) that want has, but those in skip, is want's block
    but for the minutes. Returns the goids compared."""
    bad = []
    compared = set()
    for goid in sorted(set(got) & set(want) - skip):
        diff = block_mismatch(got[goid], want[goid])
        if diff:
            bad.append(f"goroutine {goid}:\n{diff}")
        compared.add(goid)
    assert not bad, f"{what}: {len(bad)} of {len(compared)} goroutines differ:\n" + "\n\n".join(bad)
    return compared


def check_shapes(blocks, shapes, what):
    """Each shape was among the blocks compared, as many times as the workload started it."""
    seen = collections.Counter()
    for b in blocks:
        fs = set(shown_functions(b))
        seen.update(name for name in shapes if name in fs)
    missing = {n: (seen[n], want) for n, want in shapes.items() if seen[n] != want}
    assert not missing, f"{what}: known shapes compared (seen, want): {missing}"


# ---- the workload ----

class Stackshapes:
    """One stackshapes process: stdout read line by line, stderr to a file."""

    def __init__(self, path, outdir, env, args=()):
        outdir.mkdir(parents=True, exist_ok=True)
        self.path, self.out = path, outdir
        self.err_path = outdir / "stderr"
        self._err = open(self.err_path, "wb")
        self.proc = subprocess.Popen([str(path)] + list(args), stdout=subprocess.PIPE,
                                     stderr=self._err, env=env, cwd=outdir)
        self.pid = self.proc.pid
        self._buf = b""

    def stderr(self):
        return self.err_path.read_text(errors="replace")

    def expect(self, word, timeout):
        """Wait for the next stdout line, which must be word."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            assert left > 0, f"{self.path} (PID {self.pid}): no {word!r} within {timeout}s: " \
                             f"{self.stderr()[-2000:]}"
            if select.select([fd], [], [], left)[0]:
                chunk = os.read(fd, 4096)
                assert chunk, f"{self.path} exited ({self.proc.wait()}) before {word!r}: " \
                              f"{self.stderr()[-2000:]}"
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        assert line.decode(errors="replace") == word, f"{self.path}: {line!r}, want {word!r}"

    def dump(self, sig=signal.SIGUSR1, timeout=60):
        self.proc.send_signal(sig)
        self.expect("dumped", timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._err.close()


def fleet_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("GOTRACEBACK", "GODEBUG", "GOGC", "GOMEMLIMIT", "GOMAXPROCS")}
    env.update(extra)
    return env


def completed(args):
    """goscope's result; a run that hangs is a failed result, not an exception."""
    try:
        return run_goscope(args, timeout=120)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(e.cmd, None, "", f"timed out after {e.timeout}s")


class Fleet:
    """Every release and mode of stackshapes, plain and with GOTRACEBACK=system, started once.
    snapshot() reads them all with goscope once they have aged, then has each runtime dump."""

    KINDS = {"plain": fleet_env(GOGC="off"), "system": fleet_env(GOGC="off", GOTRACEBACK="system")}

    def __init__(self, root):
        self.procs, self.errors = {}, {}
        for kind, env in self.KINDS.items():
            for minor, mode in MATRIX:
                key = (kind, minor, mode)
                try:
                    path = target_path(minor, mode, "stackshapes")
                except AssertionError as e:
                    self.errors[key] = str(e)
                    continue
                out = root / f"{kind}-go1.{minor}-{mode}"
                self.procs[key] = Stackshapes(path, out, dict(env, STACKSHAPES_OUT=str(out)))
        for key, p in self.procs.items():
            try:
                p.expect("ready", 120)
            except AssertionError as e:
                self.errors[key] = str(e)
        self.ready_at = time.monotonic()
        self._snaps = None

    def proc(self, minor, mode, kind="plain"):
        key = (kind, minor, mode)
        if key in self.errors:
            pytest.fail(self.errors[key], pytrace=False)
        return self.procs[key]

    def snapshot(self, minor, mode, kind="plain"):
        p = self.proc(minor, mode, kind)
        if self._snaps is None:
            self._take_all()
        snap = self._snaps[(kind, minor, mode)]
        if isinstance(snap, str):
            pytest.fail(f"go1.{minor} {mode} ({kind}): {snap}", pytrace=False)
        snap.proc = p
        return snap

    def _take_all(self):
        time.sleep(max(0.0, self.ready_at + AGED - time.monotonic()))
        live = {k: p for k, p in self.procs.items() if k not in self.errors}
        with concurrent.futures.ThreadPoolExecutor(max_workers=3) as ex:
            futs = {k: ex.submit(self._take_plain if k[0] == "plain" else self._take_system, p)
                    for k, p in live.items()}
            self._snaps = {}
            for k, f in futs.items():
                try:
                    self._snaps[k] = f.result()
                except AssertionError as e:
                    self._snaps[k] = str(e)

    @staticmethod
    def _runs(p, runs):
        return {name: completed(["stacks"] + [a.format(out=p.out) for a in args] + [p.pid])
                for name, args in runs.items()}

    def _take_plain(self, p):
        runs = self._runs(p, PLAIN_RUNS)
        p.dump()
        return types.SimpleNamespace(runs=runs, stacks2=(p.out / "stacks2.txt").read_text(),
                                     stacks1=(p.out / "stacks1.txt").read_text(),
                                     profile=p.out / "goroutine.pb.gz")

    def _take_system(self, p):
        runs = self._runs(p, SYSTEM_RUNS)
        p.dump(signal.SIGUSR2)          # debug=2 alone: which goroutines the runtime calls user's
        user = (p.out / "stacks2.txt").read_text()
        p.proc.send_signal(signal.SIGQUIT)
        try:
            rc = p.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"PID {p.pid} did not exit on SIGQUIT")
        crash = p.stderr()
        assert rc == 2 and "SIGQUIT: quit" in crash, f"SIGQUIT: exit {rc}: {crash[-2000:]}"
        return types.SimpleNamespace(runs=runs, user=user, crash=crash)

    def stop(self):
        for p in self.procs.values():
            p.stop()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    f = Fleet(tmp_path_factory.mktemp("stackshapes"))
    yield f
    f.stop()


def ok(res, what="goscope stacks"):
    assert res.returncode == 0, f"{what} {res.args[1:]}: exit {res.returncode}: {res.stderr}"
    return res.stdout


def json_lines(res, what):
    out = ok(res, what)
    objs = []
    for ln in out.splitlines():
        try:
            objs.append(json.loads(ln))
        except json.JSONDecodeError as e:
            raise AssertionError(f"{what}: not a JSON line ({e}): {ln[:300]!r}")
    return objs


# ---- errors and the time budget: these run while the fleet ages ----

def free_pid():
    pid_max = int(open("/proc/sys/kernel/pid_max").read())
    for pid in range(pid_max - 1, 1, -1):
        if not os.path.exists(f"/proc/{pid}"):
            return pid
    raise AssertionError("no free PID")


def one_line_error(res, code, *words):
    assert res.returncode == code, f"exit {res.returncode}, want {code}: {res.stderr!r}"
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("goscope: "), res.stderr
    for w in words:
        assert w in lines[0], f"{w!r} not in {lines[0]!r}"
    assert res.stdout == ""


def test_no_such_process(fleet):
    one_line_error(run_goscope(["stacks", free_pid()]), 3, "no process")


def test_not_a_go_program(fleet):
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        time.sleep(0.1)
        one_line_error(run_goscope(["stacks", sleeper.pid]), 4, "not a Go program", "sleep")
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.parametrize("minor,mode", MATRIX, ids=MATRIX_IDS)
def test_budget_reports_goroutines_not_reached(fleet, minor, mode):
    """A budget far too small for the dump: exit 0, and stderr says how many were not reached."""
    p = fleet.proc(minor, mode)
    res = run_goscope(["stacks", "--budget", "1us", p.pid])
    assert res.returncode == 0, f"exit {res.returncode}: {res.stderr}"
    m = re.search(r"(\d+)\b[^\n]*\bnot reached", res.stderr)
    assert m and int(m.group(1)) >= 1, f"no count of goroutines not reached: {res.stderr!r}"
    for para in [x for x in res.stdout.rstrip("\n").split("\n\n") if x]:
        assert HEADER_RE.fullmatch(para.split("\n", 1)[0]), f"not a goroutine block: {para[:200]!r}"


# ---- busy: never a frame that is not a real function at a real line ----

def load_bias(pid, exe):
    """What the kernel added to the binary's link-time addresses: 0 for ET_EXEC; for a PIE, where
    its first PT_LOAD segment is mapped minus that segment's page-aligned virtual address."""
    with open(exe, "rb") as f:
        ehdr = f.read(64)
        e_type, = struct.unpack_from("<H", ehdr, 16)
        if e_type == 2:
            return 0
        e_phoff, = struct.unpack_from("<Q", ehdr, 32)
        e_phentsize, e_phnum = struct.unpack_from("<HH", ehdr, 54)
        f.seek(e_phoff)
        phdrs = f.read(e_phentsize * e_phnum)
    loads = [struct.unpack_from("<IIQQ", phdrs, i * e_phentsize) for i in range(e_phnum)]
    _, _, p_offset, p_vaddr = min((ph for ph in loads if ph[0] == 1), key=lambda ph: ph[3])
    real = os.path.realpath(exe)
    with open(f"/proc/{pid}/maps") as maps:
        for ln in maps:
            parts = ln.split()
            if len(parts) >= 6 and parts[5] == real and int(parts[2], 16) == p_offset & ~0xfff:
                return int(parts[0].split("-")[0], 16) - (p_vaddr & ~0xfff)
    raise AssertionError(f"{exe} not mapped in PID {pid}")


def gosym(binary, pcs, tmp_path):
    """{pc: gobininfo's answer} for link-time pcs, and the binary's function name table."""
    pcs_file = tmp_path / "pcs"
    pcs_file.write_text("".join(f"{pc:#x}\n" for pc in sorted(pcs)))
    res = subprocess.run([str(tool_path("gobininfo")), "-pcs", str(pcs_file), "-funcnames",
                          str(binary)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    r = json.loads(res.stdout)
    assert not r.get("pclntab_error"), r["pclntab_error"]
    return {x["pc"]: x for x in r["pcs"]}, set(r["func_names"])


def physical_frames(frames):
    """Frames grouped by physical frame: the inlined calls listed before it, then itself. Only
    for frames as GOTRACEBACK=system shows them: every frame, none hidden."""
    group = []
    for f in frames:
        group.append(f)
        if not f["inlined"]:
            yield group
            group = []
    assert not group, f"inlined frames without the frame they are inlined into: {group}"


@pytest.mark.parametrize("minor,mode", MATRIX, ids=MATRIX_IDS)
def test_busy_frames_are_real(fleet, minor, mode, tmp_path):
    """20 dumps of a GC-heavy target whose goroutines come and go never show a frame that is not
    real. Every frame names a function of the binary (the pclntab's name table, which also has
    the functions that only exist inlined; a generic one may be spelt F[...], as the runtime's
    own runtime.Frame spells it); every physical frame's pc lies in that function (by
    debug/gosym, at pc-1 as the runtime looks a return address up, or at pc when that is the
    function's entry, a goroutine that has not run yet, or was interrupted: see where()); and so
    does where each goroutine was created. Half the dumps are --system --json, which shows every
    frame: there gosym's file:line at that pc must also be the innermost frame's of the physical
    frame (the call inlined deepest). Plain --json hides runtime frames, inlined ones too
    (runtime.goparkunlock in sync.runtime_notifyListWait, say), so its file:line has nothing to
    be compared with there.
    A goroutine that moved while read may be marked changed, never shown with a made-up frame."""
    path = target_path(minor, mode, "stackshapes")
    p = Stackshapes(path, tmp_path / "busy", fleet_env(), ["-busy"])
    try:
        p.expect("ready", 60)
        dumps = []
        for i in range(20):
            args = ["stacks", "--json"] + (["--system"] if i % 2 else []) + [p.pid]
            res = run_goscope(args, timeout=60)
            dumps.append((bool(i % 2), json_lines(res, " ".join(args[:-1]))))
        bias = load_bias(p.pid, path)
    finally:
        p.stop()
    pcs = set()
    for _, objs in dumps:
        for g in objs:
            for f in g["frames"] + ([g["created_by"]] if g.get("created_by") else []):
                pcs.update(pc for pc in (f["pc"] - bias, f["pc"] - bias - 1) if pc >= 0)
    info, names = gosym(path, pcs, tmp_path)
    names |= {printed_name(n) for n in names}

    injected = {"runtime.sigpanic"} | ({"runtime.asyncPreempt", "runtime.debugCallV2"}
                                       if minor >= 21 else set())

    def where(pc, callee=None):
        """gosym's answer for the address the runtime looks up for pc: the CALL before a return
        address, but pc itself at a function's entry (a goroutine that has not run yet) and
        where the callee was injected rather than called: a signal's runtime.sigpanic, and from
        Go 1.21 runtime.asyncPreempt and runtime.debugCallV2 (runtime/traceback.go); there pc
        is the interrupted instruction. The callee is known only where every frame is shown."""
        at = info.get(pc - bias, {"func": None})
        if at["func"] is not None and (at["entry"] == pc - bias or callee in injected):
            return at
        return info.get(pc - bias - 1, {"func": None, "file": None, "line": None})

    bad, frames, churn = [], 0, 0
    for n, (system, objs) in enumerate(dumps, 1):
        for g in objs:
            what = f"dump {n}{' (--system)' if system else ''} goroutine {g['goid']}"
            for f in g["frames"]:
                frames += 1
                churn += f["function"] == "main.churnRecurse"
                at = where(f["pc"])
                if f["function"] not in names:
                    bad.append(f"{what}: {f['function']} is no function of the binary")
                elif at["func"] is None:
                    bad.append(f"{what}: {f['function']} at pc {f['pc']:#x}, in no function")
                elif not f["inlined"] and printed_name(at["func"]) != printed_name(f["function"]):
                    bad.append(f"{what}: {f['function']} at pc {f['pc']:#x}, which is in "
                               f"{at['func']}")
            if system:
                callee = None
                for group in physical_frames(g["frames"]):
                    at, inner = where(group[-1]["pc"], callee), group[0]
                    callee = group[-1]["function"]
                    if (at["file"], at["line"]) != (inner["file"], inner["line"]):
                        bad.append(f"{what}: {inner['function']} at {inner['file']}:"
                                   f"{inner['line']}, gosym says {at['file']}:{at['line']}")
            c = g.get("created_by")
            if c:
                at = where(c["pc"])
                if (printed_name(at["func"]), at["file"], at["line"]) != \
                        (printed_name(c["function"]), c["file"], c["line"]):
                    bad.append(f"{what}: created by {c}, gosym says {at}")
    assert not bad, f"{len(bad)} frames not real:\n" + "\n".join(bad[:40])
    assert frames > 0 and churn > 0, f"{frames} frames checked, {churn} in main.churnRecurse"


# ---- the aged fleet: goscope against the runtime's own dumps ----

@pytest.mark.parametrize("minor,mode", MATRIX, ids=MATRIX_IDS)
def test_debug2_parity(fleet, minor, mode):
    """goscope's dump is the runtime's debug=2 text, goroutine for goroutine, byte for byte but
    for the wait minutes (off by at most one)."""
    s = fleet.snapshot(minor, mode)
    out = ok(s.runs["text"])
    check_text_layout(out)
    assert "\t(goscope:" not in out, "a goroutine of the quiet workload marked as changed"
    got = by_goid(goroutine_blocks(out), "goscope")
    want = by_goid(goroutine_blocks(s.stacks2), "runtime")
    moved = movers(want)
    assert set(got) == set(want), \
        f"goroutines only goscope printed: {sorted(set(got) - set(want))}; " \
        f"only the runtime: {sorted(set(want) - set(got))}"
    compared = compare_dumps(got, want, moved, f"go1.{minor} {mode}")
    shapes = dict(SHAPES, **(CGO_SHAPES if mode == "cgo" else {}))
    check_shapes([want[g] for g in compared], shapes, f"go1.{minor} {mode}")
    assert any(header(want[g]).minutes for g in compared), "no goroutine has waited a minute"


GROUP_FRAME_RE = re.compile(r"#\t0x[0-9a-f]+\t(.+?)\+0x[0-9a-f]+\t+(.+):(\d+)")


def debug1_counts(text):
    """{key: goroutines} of the runtime's debug=1 profile, keyed by the function and file:line
    of every frame not in package runtime (runtime groups with the same key are summed); the
    goroutines that answered the signal are left out."""
    counts, total, n, frames = collections.Counter(), None, None, []

    def close():
        if n is not None and not MOVER_FRAMES & {f for f, _ in frames}:
            counts[tuple(fr for fr in frames if not fr[0].startswith("runtime."))] += n

    for ln in text.splitlines():
        if ln.startswith("goroutine profile: total "):
            total = int(ln.split()[-1])
        elif re.match(r"\d+ @", ln):
            close()
            n, frames = int(ln.split()[0]), []
        elif ln.startswith("#\t0x"):
            m = GROUP_FRAME_RE.fullmatch(ln)
            assert m, f"debug=1 frame line: {ln!r}"
            frames.append((printed_name(m.group(1)), f"{m.group(2)}:{m.group(3)}"))
    close()
    assert total is not None, "no debug=1 header"
    return counts


@pytest.mark.parametrize("minor,mode", MATRIX, ids=MATRIX_IDS)
def test_group_counts(fleet, minor, mode):
    """--group --json counts equal the runtime's debug=1 counts; the groups partition the
    goroutines --json lists; their wait ranges hold the runtime's minutes; --group prints one
    block per group."""
    s = fleet.snapshot(minor, mode)
    groups = json_lines(s.runs["group-json"], "--group --json")
    want = debug1_counts(s.stacks1)
    got = collections.Counter()
    for gr in groups:
        fs = [(printed_name(f["function"]), f"{f['file']}:{f['line']}") for f in gr["frames"]]
        if not MOVER_FRAMES & {f for f, _ in fs}:
            got[tuple(fr for fr in fs if not fr[0].startswith("runtime."))] += gr["count"]
    assert got == want, "group counts differ:\n" + "\n".join(
        f"  goscope {got[k]} runtime {want[k]}: {k}" for k in sorted(set(got) | set(want),
                                                                    key=str) if got[k] != want[k])
    assert max(want.values()) == SHAPES["main.poolWorker"]

    goids = [g for gr in groups for g in gr["goids"]]
    assert all(len(gr["goids"]) == gr["count"] for gr in groups), "a group's count is not its goids"
    listed = [g["goid"] for g in json_lines(s.runs["json"], "--json")]
    assert sorted(goids) == sorted(listed), "the groups do not partition the goroutines"
    rt = by_goid(goroutine_blocks(s.stacks2), "runtime")
    moved = movers(rt)
    for gr in groups:
        minutes = [header(rt[g]).minutes or 0 for g in gr["goids"] if g not in moved]
        if minutes:
            lo, hi = gr["wait_minutes_min"] or 0, gr["wait_minutes_max"] or 0
            assert abs(lo - min(minutes)) <= 1 and abs(hi - max(minutes)) <= 1, \
                f"group {gr['goids']}: wait {lo}..{hi} minutes, the runtime says {minutes}"
    text = ok(s.runs["group"], "--group")
    assert len([p for p in text.rstrip("\n").split("\n\n") if p]) == len(groups), \
        f"--group printed another number of blocks than --group --json's {len(groups)} groups"


def pprof_traces(text):
    """{stack (functions, innermost first): goroutines} of `go tool pprof -traces`, without the
    goroutines that answered the signal. The stacks are compared as function sequences: pprof
    marks "(inline)" a function that shares its location with the one below, which depends on
    how the writer laid out its locations, not on the stack."""
    stacks, cur, started = collections.Counter(), None, False

    def close():
        if cur and not MOVER_FRAMES & {f.split(" ")[0] for f in cur[1]}:
            stacks[tuple(cur[1])] += cur[0]

    for ln in text.splitlines():
        if ln.startswith("-----------+"):
            close()
            cur, started = None, True
        elif started and ln.strip():
            if cur is None:
                m = re.fullmatch(r"\s*(\d+)\s+(\S.*)", ln)
                assert m, f"pprof -traces: {ln!r}"
                cur = [int(m.group(1)), [m.group(2).removesuffix(" (inline)")]]
            else:
                cur[1].append(ln.strip().removesuffix(" (inline)"))
    close()
    return stacks


@pytest.mark.parametrize("minor,mode", MATRIX, ids=MATRIX_IDS)
def test_pprof_profile(fleet, minor, mode, pprof):
    """-o writes a goroutine profile whose stacks and counts, as `go tool pprof -traces` reads
    them, are those of the runtime's own goroutine profile (same depth limit, same frames)."""
    s = fleet.snapshot(minor, mode)
    res = s.runs["pprof"]
    ok(res, "-o")
    path = res.args[res.args.index("-o") + 1]
    got = pprof_traces(pprof("-traces", path))
    want = pprof_traces(pprof("-traces", s.profile))
    assert got == want, "profile stacks differ:\n" + "\n".join(
        f"  goscope {got[k]} runtime {want[k]}: {' <- '.join(k)}"
        for k in sorted(set(got) | set(want)) if got[k] != want[k])
    assert max(want.values()) == SHAPES["main.poolWorker"]


@pytest.mark.parametrize("minor,mode", MATRIX, ids=MATRIX_IDS)
def test_json_fields(fleet, minor, mode):
    """--json says what the runtime's debug=2 header and creator line say, and lists every frame
    the runtime shows, in order."""
    s = fleet.snapshot(minor, mode)
    objs = json_lines(s.runs["json"], "--json")
    rt = by_goid(goroutine_blocks(s.stacks2), "runtime")
    moved = movers(rt)
    got = {o["goid"]: o for o in objs}
    assert len(got) == len(objs), "a goroutine listed twice"
    assert set(got) == set(rt), f"goids: goscope only {sorted(set(got) - set(rt))}, " \
                                f"runtime only {sorted(set(rt) - set(got))}"
    bad = []
    for goid in sorted(set(rt) - moved):
        o, h, block = got[goid], header(rt[goid]), rt[goid]
        want = {"state": h.state, "wait_reason": h.wait_reason, "locked": h.locked,
                "system": False, "changed": False}
        have = {k: o.get(k) for k in want}
        if have != want:
            bad.append(f"goroutine {goid}: {have}, the runtime says {want}")
        w = o.get("wait_minutes")
        if (w is None and h.minutes) or abs((w or 0) - (h.minutes or 0)) > 1:
            bad.append(f"goroutine {goid}: wait_minutes {w}, the runtime says {h.minutes}")
        c = created_by(block)
        if c is None:
            if o.get("created_by") is not None:
                bad.append(f"goroutine {goid}: created_by {o['created_by']}, the runtime "
                           f"shows none")
        else:
            func, parent, file, line = c
            cb = o.get("created_by") or {}
            have = (printed_name(cb.get("function", "")), cb.get("file"), cb.get("line"),
                    o.get("creator_goid"))
            if have != (func, file, line, parent):
                bad.append(f"goroutine {goid}: created by {have}, the runtime says {c}")
        shown = iter(printed_name(f["function"]) for f in o["frames"])
        if not all(any(f == x for x in shown) for f in shown_functions(block)):
            bad.append(f"goroutine {goid}: frames {[f['function'] for f in o['frames']]} lack "
                       f"some of the runtime's {shown_functions(block)}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("minor,mode", MATRIX, ids=MATRIX_IDS)
@pytest.mark.parametrize("name", list(FILTERS))
def test_filters(fleet, minor, mode, name):
    """Each filter selects exactly the goroutines whose runtime debug=2 block meets it."""
    s = fleet.snapshot(minor, mode)
    out = ok(s.runs[f"filter:{name}"], name)
    got = set(by_goid(goroutine_blocks(out), "goscope"))
    rt = by_goid(goroutine_blocks(s.stacks2), "runtime")
    moved = movers(rt)
    pred = FILTERS[name][1]
    want = {g for g, b in rt.items() if pred(header(b), shown_functions(b))}
    assert got - moved == want - moved, \
        f"{FILTERS[name][0]}: goscope only {sorted(got - want - moved)}, " \
        f"runtime only {sorted(want - got - moved)}"
    assert bool(want - moved) == (name not in EMPTY_FILTERS), f"{name}: expected set {want - moved}"


@pytest.mark.parametrize("minor,mode", MATRIX, ids=MATRIX_IDS)
def test_system_goroutines(fleet, minor, mode):
    """--system prints every goroutine as the runtime does under GOTRACEBACK=system, which only its
    crash dump shows (runtime.Stack, hence pprof's debug=2, forces the level that hides the
    runtime's own goroutines whatever GOTRACEBACK says): every runtime frame, fp/sp/pc, and from
    Go 1.22 gp= and m= in the header. The same twin's debug=2 text, taken before the crash, says
    which goroutines are the user's; --system --json marks the others system."""
    s = fleet.snapshot(minor, mode, "system")
    out = ok(s.runs["system"], "--system")
    check_text_layout(out)
    assert "\t(goscope:" not in out, "a goroutine of the quiet workload marked as changed"
    got = by_goid(goroutine_blocks(out), "goscope --system")
    crash_blocks = goroutine_blocks(s.crash)
    # The first block is the goroutine of the thread that took SIGQUIT, printed from the signal's
    # registers (goroutine 0 when that thread was idle): not comparable.
    first = header(crash_blocks[0]).goid
    want = by_goid(crash_blocks[1:], "runtime crash dump")
    user = by_goid(goroutine_blocks(s.user), "runtime debug=2")
    moved = movers(user)
    expect = set(want) | ({first} if first else set())
    assert set(got) == expect, f"goroutines only goscope printed: {sorted(set(got) - expect)}; " \
                               f"only the runtime: {sorted(expect - set(got))}"
    compared = compare_dumps(got, want, moved | {first}, f"go1.{minor} {mode} --system")
    system = set(want) - set(user)
    for fn in SYSTEM_SHAPES:
        assert any(fn in shown_functions(want[g]) for g in compared & system), \
            f"no {fn} goroutine compared"
    shapes = dict(SHAPES, **(CGO_SHAPES if mode == "cgo" else {}))
    took_signal = shown_functions(crash_blocks[0])
    shapes = {k: v - (k in took_signal) for k, v in shapes.items()}
    check_shapes([want[g] for g in compared], shapes, f"go1.{minor} {mode} --system")
    flags = {o["goid"]: o["system"] for o in json_lines(s.runs["system-json"], "--system --json")}
    assert set(flags) == expect, "--system --json lists other goroutines than --system"
    wrong = {g: flags[g] for g in expect - moved if flags[g] != (g in system)}
    assert not wrong, f"system flags that are not the runtime's: {wrong} (system: {sorted(system)})"
