"""goscope top: the real dashboard, driven inside tmux against real Go processes.

tmux gives the dashboard a real terminal; the tests type keys with send-keys and read the screen
with capture-pane, as a user would. The oracles are the targets' own readings (the quiescent
workload's runtime/metrics and MemStats snapshot, Go's debug/buildinfo through gobininfo) and the
runtime's own GODEBUG=gctrace=1 lines. Each test runs its own tmux server on a private socket.
"""
import json
import os
import re
import shlex
import signal
import subprocess
import time

import pytest

from conftest import (GCTRACE_RE, GO_MINORS, GOSCOPE, TARGETS, check_parity, target_path,
                      factory, tool_path, wait_for)

UNITS = {"B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


class Tmux:
    """One tmux server (private socket) with one window running a shell command."""

    def __init__(self, tmp_path, cmd, width=120, height=40, env=None):
        self.sock = f"goscope-test-{os.getpid()}-{time.monotonic_ns()}"
        self.rc_file = tmp_path / f"rc-{time.monotonic_ns()}"
        environ = {"TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        environ.update(env or {})
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in environ.items())
        # The shell stays after goscope exits, so the restored screen can be inspected.
        shell = f"env {exports} {cmd}; echo $? > {self.rc_file}; echo GOSCOPE-DONE; exec sleep 600"
        self._tmux("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height), shell)

    def _tmux(self, *args, check=True):
        return subprocess.run(["tmux", "-L", self.sock] + list(args), capture_output=True,
                              text=True, check=check)

    def screen(self, escapes=False):
        args = ["capture-pane", "-p", "-t", "t"] + (["-e"] if escapes else [])
        return self._tmux(*args).stdout

    def lines(self):
        return self.screen().splitlines()

    def keys(self, *keys):
        self._tmux("send-keys", "-t", "t", *keys)

    def resize(self, width, height):
        self._tmux("resize-window", "-t", "t", "-x", str(width), "-y", str(height))

    def display(self, fmt):
        return self._tmux("display", "-p", "-t", "t", fmt).stdout.strip()

    def wait_screen(self, pred, timeout):
        """Wait until pred(screen text) is true; returns the last screen seen."""
        seen = [""]

        def check():
            seen[0] = self.screen()
            return pred(seen[0])
        assert wait_for(check, timeout, step=0.2), f"screen never matched; last screen:\n{seen[0]}"
        return seen[0]

    def exit_code(self, timeout=10):
        assert wait_for(lambda: self.rc_file.exists() and self.rc_file.read_text().strip(), timeout), \
            f"goscope did not exit; screen:\n{self.screen()}"
        return int(self.rc_file.read_text())

    def goscope_pids(self):
        """goscope processes running in the pane (children of its shell)."""
        out = self._tmux("display", "-p", "-t", "t", "#{pane_pid}", check=False).stdout.strip()
        if not out.isdigit():
            return []
        found = []
        for d in os.listdir("/proc"):
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{d}/comm") as f:
                    comm = f.read().strip()
            except (OSError, IndexError):
                continue
            if fields[1] == out and comm == "goscope":
                found.append(int(d))
        return found

    def kill(self):
        """Close the terminal; goscope must go away with it (SIGHUP), leaving nothing attached."""
        pids = self.goscope_pids()
        self._tmux("kill-server", check=False)
        gone = wait_for(lambda: not any(os.path.exists(f"/proc/{p}") for p in pids), 10)
        assert gone, f"goscope {pids} still running after its terminal closed"


@pytest.fixture
def tmux(tmp_path):
    def make(args, **kw):
        return Tmux(tmp_path, " ".join([str(GOSCOPE)] + [shlex.quote(str(a)) for a in args]), **kw)

    yield from factory(make, lambda t: t.kill())


def parse_bytes(s):
    m = re.fullmatch(r"([\d.]+)([BKMGT])", s)
    assert m, f"not a size: {s!r}"
    return float(m.group(1)) * UNITS[m.group(2)]


def size_close(shown, want):
    """A size as the table prints it (one decimal below 100 units, none above) matches want."""
    m = re.fullmatch(r"([\d.]+)([BKMGT])", shown)
    step = 0.1 if "." in m.group(1) else 1
    return abs(parse_bytes(shown) - want) <= (step / 2) * UNITS[m.group(2)] + 0.005 * want


def overview_row(screen, pid):
    """The overview's cells for pid: flag, then the columns by title."""
    header = None
    for line in screen.splitlines():
        if re.match(r"^\s+.?\s*PID\s+COMM", line):
            header = line
        cells = line[1:].split()
        if header and cells and cells[0] == str(pid):
            titles = ["PID", "COMM", "GO", "PROCS", "GOROUT", "HEAP", "GOAL", "ALLOC/s", "GC/s",
                      "GC CPU", "PAUSE", "MAX 60s"]
            if " GO " not in header:
                titles.remove("GO")
            row = dict(zip(titles, cells))
            row["flag"] = line[0]
            return row
    return None


def go_version(path):
    out = subprocess.run([tool_path("gobininfo"), str(path)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)["go_version"]


def quit_and_check_restored(t):
    t.keys("q")
    check_restored(t)


def check_restored(t):
    """goscope in t, told to quit, exited 0 and left the terminal as a shell needs it."""
    assert t.exit_code() == 0
    t.wait_screen(lambda s: "GOSCOPE-DONE" in s, 5)
    # Back on the normal screen with a visible cursor: what a shell needs.
    assert t.display("#{alternate_on}") == "0", "alternate screen still on"
    assert t.display("#{cursor_flag}") == "1", "cursor left hidden"


def test_overview_lists_targets_with_their_own_readings(quiescent, tmux):
    minors = [GO_MINORS[0], 23, GO_MINORS[-1]]
    targets = {m: quiescent(m) for m in minors}
    t = tmux(["top", "-i", "250ms"])
    t.wait_screen(lambda s: all(overview_row(s, q.pid) and overview_row(s, q.pid)["HEAP"] != "-"
                                for q in targets.values()), 20)
    for minor, q in targets.items():
        want = q.snapshot()
        screen = t.wait_screen(lambda s: overview_row(s, q.pid) is not None, 5)
        row = overview_row(screen, q.pid)
        assert row["COMM"] == "quiescent"
        assert "go" + row["GO"] == go_version(target_path(minor, "default", "quiescent"))
        assert int(row["PROCS"]) == want["gomaxprocs"], row
        assert int(row["GOROUT"]) == want["num_goroutine"], row
        assert size_close(row["HEAP"], want["memstats"]["HeapAlloc"]), (row, want["memstats"])
        assert size_close(row["GOAL"], want["memstats"]["NextGC"]), (row, want["memstats"])
        # A quiescent process allocates nothing and runs no GC.
        wait_for(lambda: overview_row(t.screen(), q.pid)["ALLOC/s"] == "0B", 8)
        row = overview_row(t.screen(), q.pid)
        assert row["ALLOC/s"] == "0B" and row["GC/s"] == "0.0", row
        assert row["flag"] == " ", row
    quit_and_check_restored(t)


@pytest.mark.parametrize("minor", [GO_MINORS[0], GO_MINORS[-1]])
def test_detail_gctrace_lines_are_the_runtimes(minor, go_target, tmux):
    g = go_target(target_path(minor, "default"))
    t = tmux(["top", str(g.pid)], width=250, height=50)
    screen = t.wait_screen(lambda s: len([l for l in s.splitlines() if GCTRACE_RE.match(l)]) >= 8, 20)
    assert f"PID {g.pid} churn" in screen
    shown = [l.rstrip() for l in screen.splitlines() if GCTRACE_RE.match(l)]
    time.sleep(0.5)  # let the runtime finish writing those lines to its stderr
    # Equal byte for byte, consecutive, none missing (with Go 1.19's own "(forced)" race allowed
    # for, see conftest.check_parity: churn calls runtime.GC() every 250 ms).
    numbers = check_parity(shown, g.runtime_lines(), minor=minor)
    assert len(numbers) >= 7, shown
    quit_and_check_restored(t)


def test_enter_opens_detail_and_escape_returns(quiescent, go_target, tmux):
    q = quiescent(GO_MINORS[-1])
    g = go_target(target_path(GO_MINORS[-1], "default"))
    t = tmux(["top", "-i", "250ms", str(q.pid), str(g.pid)], width=220, height=40)
    t.wait_screen(lambda s: overview_row(s, q.pid) and overview_row(s, g.pid), 15)
    # Select the churn row whatever the sort order, then open it.
    for _ in range(3):
        if f"PID {g.pid} churn" in t.lines()[-3]:
            break
        t.keys("j")
        time.sleep(0.3)
        if f"PID {g.pid} churn" in t.lines()[-3]:
            break
        t.keys("k", "k")
        time.sleep(0.3)
    t.keys("Enter")
    screen = t.wait_screen(lambda s: "GC cycles, as GODEBUG=gctrace=1 prints them" in s, 5)
    assert re.search(rf"^PID {g.pid} churn go", screen, re.M), screen
    assert "goroutines" in screen and "run queues: global" in screen
    screen = t.wait_screen(lambda s: len(re.findall(r"^gc \d+ @", s, re.M)) >= 3, 10)
    time.sleep(0.5)  # the runtime's own lines reach its stderr file
    shown = [l.rstrip() for l in screen.splitlines() if GCTRACE_RE.match(l)]
    assert len(check_parity(shown, g.runtime_lines(), minor=GO_MINORS[-1])) >= 3, shown
    t.keys("Escape")
    t.wait_screen(lambda s: "overview" in s.splitlines()[0], 5)
    t.keys("BSpace")
    quit_and_check_restored(t)


def rows_in_order(screen, pids):
    order = []
    for line in screen.splitlines():
        cells = line[1:].split()
        if cells and cells[0].isdigit() and int(cells[0]) in pids:
            order.append(int(cells[0]))
    return order


def test_sorting_by_column_and_reverse(quiescent, tmux):
    # Three processes with different goroutine counts: 1, 11 and 41 blocked receivers more.
    qs = [quiescent(GO_MINORS[-1], extra=["-chan", str(n)]) for n in (1, 11, 41)]
    pids = [q.pid for q in qs]
    counts = {q.pid: q.snapshot()["num_goroutine"] for q in qs}
    t = tmux(["top", "-i", "250ms"] + pids)
    t.wait_screen(lambda s: all(overview_row(s, p) and overview_row(s, p)["GOROUT"] != "-"
                                for p in pids), 15)
    # PID is the first column: 's' from the default (GC CPU) walks right to it and on to GOROUT.
    for _ in range(12):
        header = next(l for l in t.lines() if "PID" in l and "COMM" in l)
        if re.search(r"[▼v]GOROUT", header):
            break
        t.keys("s")
        time.sleep(0.2)
    by_count = sorted(pids, key=lambda p: -counts[p])
    t.wait_screen(lambda s: rows_in_order(s, set(pids)) == by_count, 5)
    t.keys("r")
    t.wait_screen(lambda s: rows_in_order(s, set(pids)) == by_count[::-1], 5)
    quit_and_check_restored(t)


def test_resize_to_80x24_and_back(quiescent, tmux):
    q = quiescent(GO_MINORS[-1])
    t = tmux(["top", "-i", "250ms", str(q.pid), str(q.pid)], width=140, height=40)
    t.wait_screen(lambda s: overview_row(s, q.pid) is not None, 15)
    assert overview_row(t.screen(), q.pid)["GO"].startswith("1.")
    t.resize(80, 24)
    screen = t.wait_screen(lambda s: len(s.splitlines()[0].rstrip()) <= 80 and
                           "q quit" in s and overview_row(s, q.pid) is not None, 5)
    lines = screen.splitlines()
    assert len(lines) == 24 and all(len(l) <= 80 for l in lines), screen
    row = overview_row(screen, q.pid)
    assert row["PID"] == str(q.pid) and row["PROCS"].isdigit(), row
    t.resize(60, 20)
    t.wait_screen(lambda s: "terminal too small" in s, 5)
    t.resize(140, 40)
    screen = t.wait_screen(lambda s: (overview_row(s, q.pid) or {}).get("GO", "").startswith("1."), 5)
    quit_and_check_restored(t)


def test_target_exit_is_marked_not_a_crash(go_target, tmux):
    g = go_target(target_path(GO_MINORS[-1], "default"))
    t = tmux(["top", "-i", "250ms", str(g.pid)])
    t.wait_screen(lambda s: re.search(r"^gc \d+ @", s, re.M), 15)
    g.proc.kill()
    g.proc.wait()
    screen = t.wait_screen(lambda s: "TARGET EXITED" in s, 5)
    assert f"PID {g.pid} churn" in screen
    t.keys("Escape")
    screen = t.wait_screen(lambda s: overview_row(s, g.pid) is not None, 5)
    row = overview_row(screen, g.pid)
    assert row["flag"] == "x" and "exited" in screen, screen
    quit_and_check_restored(t)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signals_restore_the_terminal(sig, quiescent, tmux):
    q = quiescent(GO_MINORS[-1])
    t = tmux(["top", str(q.pid)])
    t.wait_screen(lambda s: f"PID {q.pid} quiescent" in s, 15)
    pid = int(subprocess.run(["pgrep", "-f", f"goscope top {q.pid}", "-n"], capture_output=True,
                             text=True).stdout.split()[0])
    os.kill(pid, sig)
    assert t.exit_code() == 0
    assert t.display("#{alternate_on}") == "0" and t.display("#{cursor_flag}") == "1"


def test_ascii_fallback_and_no_color(quiescent, go_target, tmux):
    g = go_target(target_path(GO_MINORS[-1], "default"))
    t = tmux(["top", "-i", "250ms", str(g.pid)], env={"LANG": "C", "LC_ALL": "C", "NO_COLOR": "1"})
    screen = t.wait_screen(lambda s: "#" in s and re.search(r"^gc \d+ @", s, re.M), 20)
    assert all(ord(c) < 128 for c in screen), "non-ASCII on a C locale screen"
    colored = re.findall(r"\x1b\[[0-9;]*(?:3[0-7]|38;5;\d+|9[0-7])m", t.screen(escapes=True))
    assert not colored, f"colors despite NO_COLOR: {colored[:3]}"
    quit_and_check_restored(t)


def test_colors_and_unicode_by_default(go_target, tmux):
    g = go_target(target_path(GO_MINORS[-1], "default"))
    t = tmux(["top", "-i", "250ms", str(g.pid)])
    t.wait_screen(lambda s: any(c in s for c in "▁▂▃▄▅▆▇█"), 20)
    assert re.search(r"\x1b\[[0-9;]*3[0-7]m", t.screen(escapes=True)), "no colors"
    quit_and_check_restored(t)


def test_help_screen_and_pause(quiescent, tmux):
    q = quiescent(GO_MINORS[-1])
    t = tmux(["top", "-i", "250ms", str(q.pid), str(q.pid)])
    t.wait_screen(lambda s: overview_row(s, q.pid) is not None, 15)
    t.keys("?")
    t.wait_screen(lambda s: "goscope top - keys" in s and "Esc, Backspace" in s, 5)
    t.keys("x")
    t.wait_screen(lambda s: "goscope top - keys" not in s, 5)
    t.keys("p")
    screen = t.wait_screen(lambda s: "[PAUSED]" in s, 5)
    clock = screen.splitlines()[0].split()[-1]
    time.sleep(2.5)
    assert t.lines()[0].split()[-1] == clock, "the display moved while paused"
    t.keys("p")
    t.wait_screen(lambda s: "[PAUSED]" not in s and s.splitlines()[0].split()[-1] != clock, 5)
    quit_and_check_restored(t)


def test_gc_heavy_target_is_highlighted(go_target, tmux):
    # Allocating fast on one P with GOGC=10 while 20,000 goroutine stacks must be scanned every
    # cycle: GC runs all the time, and assists come on top of its 25 % background worker (about
    # 50 % of the P on a quiet machine).
    g = go_target(TARGETS / "manyg", env={"GOGC": "10", "GOMAXPROCS": "1"},
                  args=["-n", "20000", "-depth", "8", "-work"])
    t = tmux(["top", "-i", "250ms", str(g.pid), str(g.pid)])
    screen = t.wait_screen(lambda s: (overview_row(s, g.pid) or {}).get("flag") == "!" and
                           "GC CPU" in s.splitlines()[-3], 30)
    row = overview_row(screen, g.pid)
    # The mark, the highlighted cell and the reason under the table agree on the same screen.
    reason = re.search(r"GC CPU (\d+)% > 25%", screen.splitlines()[-3])
    assert reason and float(row["GC CPU"].rstrip("%")) > 25, (row, screen.splitlines()[-3])
    assert abs(float(row["GC CPU"].rstrip("%")) - int(reason.group(1))) <= 1, row
    quit_and_check_restored(t)


def test_a_calm_target_is_not_highlighted(quiescent, tmux):
    q = quiescent(GO_MINORS[-1])
    t = tmux(["top", "-i", "250ms", str(q.pid), str(q.pid)])
    screen = t.wait_screen(lambda s: (overview_row(s, q.pid) or {}).get("ALLOC/s", "-") != "-", 15)
    assert overview_row(screen, q.pid)["flag"] == " "
    assert "GC CPU" not in screen.splitlines()[-3] and "pause of" not in screen, screen
    quit_and_check_restored(t)


def test_without_a_terminal_it_says_so():
    res = subprocess.run([str(GOSCOPE), "top"], capture_output=True, text=True, timeout=20,
                         stdin=subprocess.DEVNULL)
    assert res.returncode == 2, res
    assert res.stderr.count("\n") == 1 and "needs a terminal" in res.stderr, res.stderr


@pytest.mark.parametrize("arg", ["-i0", "-i10ms", "-inope", "notapid"])
def test_bad_arguments(arg):
    res = subprocess.run([str(GOSCOPE), "top", arg], capture_output=True, text=True, timeout=20)
    assert res.returncode == 2, res
    assert res.stderr.startswith("goscope: ") and res.stderr.count("\n") == 1, res.stderr


def test_all_finds_new_processes_and_drops_exited_ones(go_target, tmux):
    t = tmux(["top", "-i", "250ms"])
    t.wait_screen(lambda s: "goscope top - overview" in s, 10)
    # Started after goscope: found by the continuous scan.
    g = go_target(target_path(GO_MINORS[0], "pie"))
    t.wait_screen(lambda s: (overview_row(s, g.pid) or {}).get("HEAP", "-") != "-", 10)
    g.proc.kill()
    g.proc.wait()
    screen = t.wait_screen(lambda s: (overview_row(s, g.pid) or {}).get("flag") == "x", 5)
    assert re.search(rf"^x\s+{g.pid} .*exited", screen, re.M), screen
    # Marked for a while, then gone.
    t.wait_screen(lambda s: overview_row(s, g.pid) is None, 20)
    quit_and_check_restored(t)


def test_not_a_go_program_is_one_line_before_the_screen(tmp_path, tmux):
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        t = tmux(["top", str(sleeper.pid)])
        assert t.exit_code() == 4
        screen = t.wait_screen(lambda s: "GOSCOPE-DONE" in s, 5)
        msg = [l for l in screen.splitlines() if l.startswith("goscope:")]
        assert len(msg) == 1 and "not a Go program" in msg[0], screen
        assert t.display("#{alternate_on}") == "0"
    finally:
        sleeper.kill()
        sleeper.wait()


def test_goroutines_growing_for_a_minute_is_highlighted(go_target, tmux):
    # The demo's leak phase alone, 120 s long: 3000 goroutines pile up in 20 steps over 72 s.
    g = go_target(TARGETS / "demo", args=["-only", "2", "-cycle", "600s", "-quiet"])
    t = tmux(["top", "-i", "500ms", str(g.pid), str(g.pid)])
    t.wait_screen(lambda s: (overview_row(s, g.pid) or {}).get("GOROUT", "-") != "-", 15)
    started = time.monotonic()
    # Not before a minute of growth has been seen …
    screen = t.wait_screen(lambda s: (overview_row(s, g.pid) or {}).get("flag") == "!", 90)
    assert time.monotonic() - started >= 55, "marked before a minute of growth"
    assert "goroutines growing for a minute" in screen, screen
    row = overview_row(screen, g.pid)
    assert int(row["GOROUT"]) > 1000, row
    quit_and_check_restored(t)


# ---- the goroutine groups panel (key t in the detail view) ----

def groups_panel(screen):
    """The goroutine groups panel on screen: (header line, [row dicts]); (None, []) if none.

    Columns are cut where the column titles start (COUNT and OLDEST are right-aligned)."""
    lines = screen.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("goroutine groups of PID ") or " no goroutines to read" in line:
            break
    else:
        return None, []
    head = lines[i]
    if i + 1 >= len(lines) or "COUNT" not in lines[i + 1]:
        return head, []
    titles = lines[i + 1]
    state_x, runs_x, top_x = titles.index("STATE"), titles.index("RUNS"), titles.index("TOP FRAME")
    oldest_end = titles.index("OLDEST") + len("OLDEST")
    rows = []
    for line in lines[i + 2:]:
        if not line[:state_x].strip().isdigit():
            break
        rows.append({"COUNT": int(line[:state_x]), "STATE": line[state_x:oldest_end - 7].strip(),
                     "OLDEST": line[oldest_end - 7:oldest_end].strip(),
                     "RUNS": line[runs_x:top_x].strip(), "TOP FRAME": line[top_x:].strip()})
    return head, rows


def hidden_by_default(func):
    """A frame the runtime's default traceback (GOTRACEBACK=single, pprof debug=2) leaves out:
    an unexported runtime function (showfuncinfo, isExportedRuntime)."""
    if not func.startswith("runtime."):
        return False
    rest = func[len("runtime."):]
    return not (rest[:1].isupper())


def sigquit_groups(text):
    """The runtime's own dump on SIGQUIT (every goroutine, every frame: GOTRACEBACK=system),
    grouped as debug=1 groups: goroutines with the same frames. Returns, per group of user
    goroutines, {count, states, runs, top}: runs is the outermost frame the default traceback
    shows, top the innermost with its source file's base name and line. Goroutines with no
    frame the default traceback shows are the runtime's own and left out."""
    groups = {}
    for block in re.split(r"\n\s*\n", text):
        m = re.match(r"goroutine (\d+)(?: gp=\S+ m=\S+(?: mp=\S+)?)? \[([^\]]*)\]:\n", block)
        if not m or m.group(1) == "0":
            continue
        state = m.group(2).split(",")[0]
        minutes = re.search(r", (\d+) minutes", m.group(2))
        body = block[m.end():].split("\ncreated by ")[0].splitlines()
        frames = []
        for fn_line, pos_line in zip(body[0::2], body[1::2]):
            fn = re.match(r"^(.*)\(.*\)$", fn_line)
            pos = re.match(r"^\t(.*):(\d+)(?: |$)", pos_line)
            assert fn and pos, f"unexpected frame lines {fn_line!r} {pos_line!r}"
            frames.append((fn.group(1), os.path.basename(pos.group(1)), int(pos.group(2))))
        shown = [f for f in frames if f[0] != "runtime.goexit" and not hidden_by_default(f[0])]
        if not shown:
            continue
        g = groups.setdefault(tuple(frames), {"count": 0, "states": set(), "minutes": 0,
                                              "runs": shown[-1][0],
                                              "top": "%s %s:%d" % shown[0]})
        g["count"] += 1
        g["states"].add(state)
        g["minutes"] = max(g["minutes"], int(minutes.group(1)) if minutes else 0)
    return list(groups.values())


def open_groups(t, pid, timeout=15):
    """Wait for the detail view of pid, press t, return the screen once the panel shows."""
    t.wait_screen(lambda s: re.search(rf"^PID {pid} ", s, re.M), timeout)
    t.keys("t")
    return t.wait_screen(lambda s: groups_panel(s)[1], 5)


@pytest.mark.parametrize("minor", [GO_MINORS[0], GO_MINORS[-1]])
def test_goroutine_groups_are_the_runtimes(minor, lifecycle, tmux):
    lc = lifecycle(minor)
    lc.do("spawn 7")
    lc.do("spawnother 3")
    t = tmux(["top", "-i", "250ms", str(lc.pid)], width=200, height=40)
    screen = open_groups(t, lc.pid)
    head, rows = groups_panel(screen)
    assert re.fullmatch(rf"goroutine groups of PID {lc.pid} — taken \d\d:\d\d:\d\d, "
                        r"(\d+) goroutines?, [\d.]+ ms", head.rstrip()), head
    leak = [r for r in rows if r["RUNS"] == "main.leakWorker"]
    assert len(leak) == 1 and leak[0]["COUNT"] == 7, rows

    # On demand only: goroutines started now do not show until the panel is read again.
    lc.do("spawn 5")
    taken = head.split("taken ")[1][:8]
    time.sleep(1.5)     # six refreshes
    head, rows = groups_panel(t.screen())
    assert taken in head and [r["COUNT"] for r in rows if r["RUNS"] == "main.leakWorker"] == [7]
    t.keys("r")
    screen = t.wait_screen(lambda s: [r["COUNT"] for r in groups_panel(s)[1]
                                      if r["RUNS"] == "main.leakWorker"] == [12], 5)
    head, rows = groups_panel(screen)
    # The header's count is the rows' sum, and what the runtime itself counts.
    total = int(re.search(r", (\d+) goroutines?,", head).group(1))
    assert sum(r["COUNT"] for r in rows) == total, (head, rows)
    assert total == int(lc.do("count")["goroutines"]), head

    # The runtime's own dump of the same goroutines (they hold still): every group it has is on
    # the panel with the same count, state, function and innermost frame.
    lc.proc.send_signal(signal.SIGQUIT)
    lc.proc.wait(timeout=10)
    want = sigquit_groups(lc.err_file.read_text())
    assert [g["count"] for g in want if g["runs"] == "main.leakWorker"] == [12], want
    assert sorted(g["count"] for g in want) == sorted(r["COUNT"] for r in rows), (want, rows)
    for g in want:
        match = [r for r in rows if r["COUNT"] == g["count"] and r["RUNS"] == g["runs"] and
                 r["TOP FRAME"] == g["top"] and r["STATE"] == ", ".join(sorted(g["states"]))]
        assert len(match) == 1, f"runtime group {g} not on the panel: {rows}"
        # The runtime prints whole minutes from 1 on; goscope "<1 min", or "-" before the
        # runtime has timed the wait.
        assert match[0]["OLDEST"] in (["-", "<1 min"] if not g["minutes"] else
                                      [f"{g['minutes']} min", f"{g['minutes'] + 1} min"]), g

    # Gone: reading again says so in one line.
    t.keys("r")
    t.wait_screen(lambda s: f"PID {lc.pid} has exited: no goroutines to read" in s, 5)
    t.keys("Escape")
    t.wait_screen(lambda s: "t goroutine groups" in s.splitlines()[-1], 5)
    quit_and_check_restored(t)


def test_goroutine_groups_narrow_ascii_no_color(quiescent, tmux):
    q = quiescent(GO_MINORS[-1])
    t = tmux(["top", "-i", "250ms", str(q.pid)], width=80, height=24,
             env={"LANG": "C", "LC_ALL": "C", "NO_COLOR": "1"})
    screen = open_groups(t, q.pid)
    head, rows = groups_panel(screen)
    assert head.startswith(f"goroutine groups of PID {q.pid} - taken "), head
    # Cut to the width, never wrapped: every line of the 80x24 screen is one screen line.
    lines = screen.splitlines()
    assert len(lines) == 24 and all(len(l) <= 80 for l in lines), screen
    assert all(ord(c) < 128 for c in screen), "non-ASCII on a C locale screen"
    colored = re.findall(r"\x1b\[[0-9;]*(?:3[0-7]|38;5;\d+|9[0-7])m", t.screen(escapes=True))
    assert not colored, f"colors despite NO_COLOR: {colored[:3]}"
    # Every goroutine of the program's own is in one group: as many as its runtime counts.
    assert sum(r["COUNT"] for r in rows) == q.snapshot()["num_goroutine"], rows
    assert "t/r take again" in lines[-1] and "Esc/q close" in lines[-1], lines[-1]
    # q closes the panel (back to the detail view), the next q quits.
    t.keys("q")
    t.wait_screen(lambda s: groups_panel(s)[0] is None and "GC cycles, as GODEBUG" in s, 5)
    quit_and_check_restored(t)


SIZE_RE = re.compile(r"([0-9.]+)([KMGT]?)")


def compact_bytes(text):
    m = SIZE_RE.fullmatch(text)
    assert m, text
    return float(m.group(1)) * 1024 ** " KMGT".index(m.group(2) or " ")


def duration_ns(text):
    m = re.fullmatch(r"([0-9.]+)(ns|µs|us|ms|s)", text)
    assert m, text
    return float(m.group(1)) * {"ns": 1, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}[m.group(2)]


@pytest.mark.parametrize("minor", [GO_MINORS[0], GO_MINORS[-1]])
def test_detail_shows_runtime_metrics_over_the_last_minute(minor, go_target, tmux):
    g = go_target(target_path(minor, "default"))
    t = tmux(["top", str(g.pid)], width=250, height=50)
    # The window needs two points five seconds apart, and a GC cycle in between for the CPU.
    screen = t.wait_screen(lambda s: re.search(r"^GC CPU ", s, re.M) and
                           re.search(r"sched latency p50", s), 30)
    if minor < 20:
        # Go 1.19 has no CPU classes: said so, not made up.
        assert "GC CPU by class: - (Go 1.20+" in screen
    else:
        screen = t.wait_screen(lambda s: re.search(r"^GC CPU [0-9.]+% of GOMAXPROCS", s, re.M), 30)
    lat = re.search(r"^last (\d+)s: sched latency p50 <(\S+) p99 <(\S+) max <(\S+) \((\d+)\)", screen, re.M)
    assert lat, screen
    p50, p99, mx = (duration_ns(lat.group(i)) for i in (2, 3, 4))
    assert 0 < p50 <= p99 <= mx and int(lat.group(5)) > 0
    cpu = re.search(r"^GC CPU ([0-9.]+)% of GOMAXPROCS: assist ([0-9.]+)%  dedicated ([0-9.]+)%  "
                    r"idle ([0-9.]+)%  pause ([0-9.]+)% \| scavenger ([0-9.]+)%  idle Ps ([0-9.]+)%  "
                    r"user ([0-9.]+)%", screen, re.M)
    if minor >= 20:
        assert cpu, screen
        v = [float(x) for x in cpu.groups()]
        # The classes add up to their totals (each rounded to 0.1 %).
        assert abs(v[0] - sum(v[1:5])) <= 0.25, v
        assert abs(100 - (v[0] + v[5] + v[6] + v[7])) <= 0.5, v
        assert v[0] > 0, "churn collects all the time"
    mem = re.search(r"^memory (\S+) \[([oufrsmx ]+)\] o objects (\S+) u unused (\S+) f free (\S+) "
                    r"r released (\S+) s stacks (\S+) m metadata (\S+) x (?:other )?(\S+)?", screen, re.M)
    assert mem, screen
    total = compact_bytes(mem.group(1))
    parts = [compact_bytes(x) for x in mem.groups()[2:] if x]
    assert abs(sum(parts) - total) <= 0.05 * total, (parts, total)
    assert "o" in mem.group(2)
    quit_and_check_restored(t)
