"""Minimal Go programs, through every command: tests/targets/rtonly (imports runtime only) and
rttime (runtime and time), on every release of the matrix, plain and stripped (-ldflags=-s -w).

The linker leaves out of such a program what os and the packages built on it would bring, and
with it runtime globals that only that code uses. Measured on the matrix: Go 1.21 drops
runtime.stwReasonStrings from both programs (1.19 has no such table; 1.22 and later keep it for
the execution tracer), and every release drops the GODEBUG tables (internal/godebugs.All,
internal/godebug.cache), which goscope never required. goscope must watch them all the same:

  * gctrace: every line equals the runtime's own GODEBUG=gctrace=1 line of that cycle;
  * stat --json: agrees with what the runtime printed about itself (cycle count, GOMAXPROCS,
    the live heap) and with what the program is (one goroutine);
  * record, serve (scraped) and top (its detail view's gctrace lines): the runtime's values;
  * ps: "attachable", by the rule every command above attached by;
  * where stwReasonStrings is missing, the one feature that needs it (naming stop-the-world
    pauses other than the GC's) says so, once, on stderr of the commands that show it; gctrace,
    which does not, says nothing.

One test per release runs its four programs and every command against them at once, so that
their waits (attaching, GC cycles, detaching) overlap: gctrace, stat and ps on every program,
record, serve and top on one program of each release in turn, and on two of Go 1.21, where the
table is dropped.
"""
import json
import re
import signal
import subprocess

import pytest

from conftest import GO_MINORS, check_parity, run_goscope, target_path, tool_path, wait_for
from test_serve import parse_exposition, serve, series  # noqa: F401 (serve: a fixture)
from test_top import check_restored, tmux  # noqa: F401 (tmux: a fixture)

PROGRAMS = ["rtonly", "rttime"]
MODES = ["default", "stripped"]
CASES = [(p, m) for p in PROGRAMS for m in MODES]
STW_TABLE = "runtime.stwReasonStrings"
# Releases whose linker drops runtime.stwReasonStrings from both programs, as measured (and
# checked below against each binary's own symbol table): Go 1.21 names a stop-the-world reason
# only in stopTheWorld, which a program without os never calls; from 1.22 the tracer names them.
DROPS_STW_TABLE = {21}
STW_NOTE = "stop-the-world pauses other than the GC's are shown with reason numbers"
# gctrace lines to compare (Go 1.19 leaves the last one out, see conftest.check_parity).
GCTRACE_LINES = 3
GCTRACE_RE = re.compile(r"^gc (\d+) @")
PROCS_RE = re.compile(r", (\d+) P( \(forced\))?$")
LIVE_RE = re.compile(r"\d+->\d+->(\d+) MB")


def everything_on(minor):
    """The programs of a release that also go through record, serve and top: one per release,
    in turn, and on a release that drops the table the other program in the other mode too."""
    i = GO_MINORS.index(minor) % len(CASES)
    return {CASES[i], CASES[-1 - i]} if minor in DROPS_STW_TABLE else {CASES[i]}


def symtab_has(path, name):
    """Whether the binary's own symbol table has name, read by Go's debug/elf."""
    out = subprocess.run([tool_path("gobininfo"), "-sym", name, str(path)], capture_output=True,
                         text=True, check=True, timeout=60)
    return json.loads(out.stdout)["symbols"][name] is not None


def last_cycle(target):
    lines = target.runtime_lines()
    return max(lines) if lines else 0


def runtime_lines_through(target, n, timeout=10):
    """The runtime's lines once it printed cycle n's: it prints each just after the cycle count
    moves, and a busy machine may keep it from writing for a while. Fails if it never does."""
    assert wait_for(lambda: last_cycle(target) >= n, timeout), \
        f"the runtime printed no line for gc {n} (its last: gc {last_cycle(target)})"
    return target.runtime_lines()


def cycle_of(line):
    m = GCTRACE_RE.match(line)
    assert m, f"not a gctrace line: {line!r}"
    return int(m.group(1))


def note_count(text):
    return text.count(STW_NOTE)


class Case:
    """One program of the matrix, running, and the goscope commands started against it."""

    def __init__(self, minor, name, mode, go_target):
        self.minor, self.name, self.mode = minor, name, mode
        self.full = (name, mode) in everything_on(minor)
        self.t = go_target(target_path(minor, mode, name), ready=None)
        # The symbol table of the default build says what the linker kept of the program.
        self.dropped = minor >= 21 and not symtab_has(target_path(minor, "default", name),
                                                      STW_TABLE)

    def start(self, goscope, tmux_factory, tmp_path):
        pid = self.t.pid
        self.gctrace = goscope(["gctrace", pid])
        self.stat_before = last_cycle(self.t)
        self.stat = goscope(["stat", "--json", "-i", "300ms", pid])
        if self.full:
            # Into a file: a pipe nobody reads while the other commands are checked would fill.
            self.record_out = tmp_path / f"record-{pid}.jsonl"
            self.record = goscope(["record", "--stw", "-i", "200ms", "-o", self.record_out, pid])
            self.top = tmux_factory(["top", "-i", "200ms", pid], width=250, height=50)

    def __str__(self):
        return f"go1.{self.minor} {self.name} {self.mode} (PID {self.t.pid})"


@pytest.mark.parametrize("minor", GO_MINORS)
def test_minimal_programs(minor, go_target, goscope, tmux, serve, tmp_path):
    cases = [Case(minor, name, mode, go_target) for name, mode in CASES]
    for c in cases:
        c.t.wait_gctrace()
        assert c.dropped == (minor in DROPS_STW_TABLE), \
            f"{c}: {STW_TABLE} {'dropped' if c.dropped else 'kept'}, unlike measured"
        c.start(goscope, tmux, tmp_path)
    # serve returns once it serves, which is once it attached: the others attach meanwhile.
    full = [c for c in cases if c.full]
    for c in full:
        c.serve = serve(["--listen", "127.0.0.1:0", "-i", "200ms", c.t.pid])

    check_ps(cases)
    for c in cases:
        check_stat(c)
    check_gctrace(cases)
    for c in full:
        check_serve(c)
    for c in full:
        check_top_screen(c)
    for c in full:
        assert wait_for(lambda: kinds(c, "gc") >= 3 and kinds(c, "sample") >= 1, 30), \
            f"{c}: {c.record.stderr()}"
        c.top.keys("q")
        c.record.send(signal.SIGINT)
    for c in full:
        check_restored(c.top)
        check_record(c)
    for c in cases:
        assert c.t.alive(), f"{c}: the target died while goscope was attached"


def check_ps(cases):
    """ps, while the commands attach: the rule they attached by says yes."""
    res = run_goscope(["ps", "--json"])
    assert res.returncode == 0, res.stderr
    rows = {r["pid"]: r for r in map(json.loads, filter(str.strip, res.stdout.splitlines()))}
    for c in cases:
        row = rows.get(c.t.pid)
        assert row, f"{c}: ps does not list it: {res.stdout}"
        assert row["attachable"] is True, (str(c), row)
        assert row["go_version"].startswith(f"go1.{c.minor}."), (str(c), row)
        assert row["stripped"] == (c.mode == "stripped"), (str(c), row)


def check_stat(c):
    """stat: one window, then it exits by itself; against what the runtime printed."""
    assert c.stat.proc.wait(timeout=30) == 0, f"{c}: {c.stat.stderr()}"
    c.stat.finish()
    out = json.loads("\n".join(c.stat.lines))
    m = out["metrics"]
    cycles = out["pauses"]["cycles"]
    assert out["pid"] == c.t.pid and out["go_version"].startswith(f"go1.{c.minor}."), str(c)
    # The cycle count is past the runtime's last line before stat, and every cycle stat saw is
    # one the runtime prints.
    assert c.stat_before <= m["NumGC"], (str(c), c.stat_before, m["NumGC"])
    lines = runtime_lines_through(c.t, max([m["NumGC"]] + [cyc["num"] for cyc in cycles]))
    procs = {int(PROCS_RE.search(line).group(1)) for line in lines.values()}
    assert procs == {m["/sched/gomaxprocs:threads"]}, (str(c), procs, m)
    assert m["NumGoroutine"] == 1, (str(c), m["NumGoroutine"])  # main: the program starts none
    # Until the next cycle the heap holds at least what the last one marked live (the runtime
    # prints it in MB, rounded down); the bound allows for a racy read of a running program.
    live = int(LIVE_RE.search(lines[m["NumGC"]]).group(1)) << 20
    assert m["HeapAlloc"] >= 0.99 * live, (str(c), m["HeapAlloc"], live)
    assert not out["runtime_metrics_unreadable"], (str(c), out["runtime_metrics_unreadable"])
    for cyc in cycles:
        assert cyc["num"] in lines, (str(c), cyc)
        if cyc["exact"]:
            assert cyc["sweep_termination_ns"] + cyc["mark_termination_ns"] == cyc["pause_ns"]
    assert note_count(c.stat.stderr()) == (1 if c.dropped else 0), f"{c}: {c.stat.stderr()}"


def check_gctrace(cases):
    """gctrace: the runtime's own lines, and not a word about pause reasons it never shows."""
    for c in cases:
        c.gctrace.wait_lines(GCTRACE_LINES, timeout=30)
    for c in cases:
        c.gctrace.send(signal.SIGINT)
    for c in cases:
        assert c.gctrace.finish(signal.SIGINT) == 0, f"{c}: {c.gctrace.stderr()}"
    for c in cases:
        err = c.gctrace.stderr()
        lines = runtime_lines_through(c.t, max(map(cycle_of, c.gctrace.lines), default=0))
        numbers = check_parity(c.gctrace.lines, lines, minor=c.minor)
        assert len(numbers) >= GCTRACE_LINES - 1, (str(c), c.gctrace.lines, err)
        assert note_count(err) == 0, f"{c}: {err}"
        assert "missed" not in err and "lost" not in err, f"{c}: {err}"


def check_serve(c):
    """serve: the exposition is remade every interval; it catches up with the runtime's cycle
    count and never passes it, and the program has one goroutine."""
    def scrape():
        status, _, body = c.serve.get()
        assert status == 200, body
        return parse_exposition(body)

    before = last_cycle(c.t)
    assert wait_for(lambda: series(scrape(), "goscope_gc_cycles_total", c.t.pid) >= before, 30), \
        f"{c}: {c.serve.stderr()}"
    samples = scrape()
    runtime_lines_through(c.t, int(series(samples, "goscope_gc_cycles_total", c.t.pid)))
    assert series(samples, "go_goroutines", c.t.pid) == 1, str(c)
    info = [dict(labels) for (n, labels) in samples if n == "go_info"]
    assert any(d.get("pid") == str(c.t.pid) and d["version"].startswith(f"go1.{c.minor}.")
               for d in info), (str(c), info)
    assert c.serve.stop() == 0, f"{c}: {c.serve.stderr()}"


def check_top_screen(c):
    """top's detail view: the latest gctrace lines, the runtime's own."""
    screen = c.top.wait_screen(lambda s: sum(bool(GCTRACE_RE.match(line))
                                             for line in s.splitlines()) >= 3, 30)
    shown = [line.rstrip() for line in screen.splitlines() if GCTRACE_RE.match(line)]
    lines = runtime_lines_through(c.t, max(map(cycle_of, shown)))
    numbers = check_parity(shown, lines, minor=c.minor)
    assert len(numbers) >= 2, (str(c), shown)


def records(c):
    return [json.loads(line) for line in c.record_out.read_text().splitlines()
            if line.endswith("}")]


def kinds(c, kind):
    """How many records of kind c's goscope record wrote so far."""
    return sum(r["kind"] == kind for r in records(c)) if c.record_out.exists() else 0


def check_record(c):
    """record, told to stop: gc records carry the runtime's lines, samples one goroutine, GC
    pauses the runtime's names (goscope's own when the table is missing)."""
    g = c.record
    assert g.finish() == 0, f"{c}: {g.stderr()}"
    recs = records(c)
    assert all(r["go_version"].startswith(f"go1.{c.minor}.") for r in recs), str(c)
    gcs = [r for r in recs if r["kind"] == "gc"]
    assert len(gcs) >= 3, f"{c}: {g.stderr()}"
    lines = runtime_lines_through(c.t, max(r["num"] for r in gcs))
    check_parity([r["line"] for r in gcs], lines, minor=c.minor)
    samples = [r for r in recs if r["kind"] == "sample"]
    assert samples and all(r["metrics"]["NumGoroutine"] == 1 for r in samples), str(c)
    names = {r["reason"] for r in recs if r["kind"] == "pause" and r["gc"]}
    assert names <= {"GC sweep termination", "GC mark termination"}, (str(c), names)
    assert note_count(g.stderr()) == (1 if c.dropped else 0), f"{c}: {g.stderr()}"
