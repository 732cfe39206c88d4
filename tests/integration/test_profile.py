"""goscope profile: the opt-in goroutine-lifecycle and allocation probes, on real Go processes.

The workload is tests/targets/lifecycle, driven line by line on its stdin. The oracles are the Go
runtime's own: its goroutine profile per creation site (the `sites` command), runtime.NumGoroutine
(`count`), the bytes and objects the workload reports it allocated, the `// SITE:<name>` markers
of its source for file:line, and Go's own `go tool pprof` reading what `-o` wrote. Nothing is
compared with goscope's earlier output.

About 2.5 minutes: every Go release of the matrix for the goroutine table and the allocation
table and profile, a few for the rest, one after the other.
"""
import os
import re
import subprocess
import time

import pytest

from conftest import (GO_MINORS, GOSCOPE, bpftool_json, factory, kill_if_running, run_goscope,
                      wait_for)
from lifecycle import SRC, at, site

NEWEST = GO_MINORS[-1]
NOPROF_MINORS = [19, 22, 24, NEWEST]
BREAKER_MINORS = [NEWEST, 19]
LARGE = 1 << 20                 # main.allocLarge's slice
RUNTIME_TAG = " (runtime)"
UNITS = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}


# ---- goscope profile ----

class Profile:
    """A `goscope profile` run in the background; stdout and stderr go to files."""

    def __init__(self, args, tmp_path):
        stamp = time.monotonic_ns()
        self.out_file = tmp_path / f"profile-{stamp}.stdout"
        self.err_file = tmp_path / f"profile-{stamp}.stderr"
        self._out = open(self.out_file, "wb")
        self._err = open(self.err_file, "wb")
        self.proc = subprocess.Popen([str(GOSCOPE), "profile"] + [str(a) for a in args],
                                     stdout=self._out, stderr=self._err)

    def stderr(self):
        return self.err_file.read_text(errors="replace")

    def stdout(self):
        return self.out_file.read_text(errors="replace")

    def wait_stderr(self, text, timeout=20):
        ok = wait_for(lambda: text in self.stderr() or self.proc.poll() is not None, timeout)
        assert ok and text in self.stderr(), f"no {text!r} on stderr:\n{self.stderr()}"

    def wait_profiling(self, pid):
        """Until the probes are attached and the clock of -d runs."""
        self.wait_stderr(f"profiling PID {pid} for the duration given")

    def wait(self, timeout=30):
        rc = self.proc.wait(timeout=timeout)
        self._out.close()
        self._err.close()
        self.ended = time.monotonic()
        return rc


@pytest.fixture
def profile(tmp_path):
    yield from factory(lambda *args: Profile(args, tmp_path), kill_if_running)


G_HEAD_RE = re.compile(r"Goroutines by creation site: (\d+) alive \((\d+) created and (\d+) exited "
                       r"while watched\)")
G_ROW_RE = re.compile(r"\s*(\d+)\s+([+-]\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+) -> (\S+)\s+(\S+:\d+)"
                      r"( \(runtime\))?")
A_HEAD_RE = re.compile(r"Allocation sites: ([\d.]+ (?:B|kB|MB|GB)) estimated from (\d+) samples "
                       r"\((.*)\)")
A_ROW_RE = re.compile(r"\s*([\d.]+ (?:B|kB|MB|GB))\s+([\d.]+)%\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+:\d+)")


def size(text):
    num, unit = text.split()
    return float(num) * UNITS[unit]


def section(out, head_re):
    """(header match, notes, table lines) of one table of the report."""
    lines = out.splitlines()
    for i, ln in enumerate(lines):
        m = head_re.fullmatch(ln)
        if m:
            break
    else:
        raise AssertionError(f"no {head_re.pattern!r} in:\n{out}")
    notes, rows = [], []
    for ln in lines[i + 1:]:
        if not ln.strip():
            break
        if ln.startswith("  note: "):
            notes.append(ln[len("  note: "):])
        elif not ln.lstrip().startswith(("LIVE", "BYTES", "…")):
            rows.append(ln)
    return m, notes, rows


def goroutine_table(out):
    m, notes, lines = section(out, G_HEAD_RE)
    rows = []
    for ln in lines:
        r = G_ROW_RE.fullmatch(ln)
        assert r, f"not a goroutine row: {ln!r}"
        rows.append(dict(live=int(r[1]), growth=int(r[2]), created=int(r[3]), exited=int(r[4]),
                         oldest=r[5], by=r[6], runs=r[7], at=r[8], runtime=bool(r[9])))
    head = dict(alive=int(m[1]), created=int(m[2]), exited=int(m[3]))
    return head, notes, rows


def alloc_table(out):
    m, notes, lines = section(out, A_HEAD_RE)
    rows = []
    for ln in lines:
        r = A_ROW_RE.fullmatch(ln)
        assert r, f"not an allocation row: {ln!r}"
        rows.append(dict(bytes=size(r[1]), pct=float(r[2]), objects=int(r[3]), samples=int(r[4]),
                         func=r[5], at=r[6]))
    head = dict(bytes=size(m[1]), samples=int(m[2]), how=m[3])
    return head, notes, rows


def row_at(rows, where):
    found = [r for r in rows if r["at"] == where]
    assert len(found) == 1, f"want one row at {where}, got {found}: {rows}"
    return found[0]


# ---- go tool pprof (the pprof fixture is conftest's) ----

TOP_RE = re.compile(r"\s*(\S+)\s+[\d.]+%\s+[\d.]+%\s+(\S+)\s+[\d.]+%\s+(\S+)")


def pprof_top(text):
    """`pprof -top` rows: [(flat, cum, function)], in its order (by flat)."""
    rows, started = [], False
    for ln in text.splitlines():
        if ln.strip().startswith("flat"):
            started = True
            continue
        m = TOP_RE.fullmatch(ln) if started else None
        if m:
            rows.append((m[1], m[2], m[3]))
    return rows


# ---- BPF leftovers ----

def attached_to(pid, by):
    """The probes goscope process by has on process pid: {BPF program id: name} of the uprobes on
    /proc/PID/exe that by holds (another goscope on the machine may probe pid too)."""
    names = {p["id"]: p.get("name") for p in bpftool_json("prog", "show")}
    return {e["prog_id"]: names.get(e["prog_id"]) for e in bpftool_json("perf", "list")
            if e.get("filename") == f"/proc/{pid}/exe" and e.get("pid") == by}


# ---- 1, 2: goroutines by creation site ----

@pytest.mark.parametrize("minor", GO_MINORS)
def test_goroutine_sites_match_runtime(minor, lifecycle, profile):
    t = lifecycle(minor)
    t.do("spawn 40")                    # alive at attach: found by walking allgs
    p = profile("--goroutines", "--budget", "50", "-d", "3s", t.pid)
    p.wait_stderr(f"PID {t.pid}: goroutine probes attached")
    p.wait_profiling(t.pid)
    for cmd in ("spawn 25", "release 10", "spawnother 7", "releaseother 3"):
        t.do(cmd)
    done = time.monotonic()
    assert p.wait() == 0, p.stderr()
    assert p.ended > done
    assert "circuit breaker" not in p.stderr()
    oracle = t.runtime_sites()
    count = int(t.do("count")["goroutines"])
    head, notes, rows = goroutine_table(p.stdout())
    assert notes == []
    assert p.stdout().startswith(f"goscope profile: PID {t.pid} (lifecycle, {t.version}), ")

    leak = row_at(rows, at("leak"))
    assert (leak["by"], leak["runs"]) == ("main.spawnLeaks", "main.leakWorker")
    assert (leak["live"], leak["created"], leak["exited"]) == (55, 25, 10), leak
    assert leak["oldest"] == "attach" and not leak["runtime"]
    other = row_at(rows, at("other"))
    assert (other["by"], other["runs"]) == ("main.spawnOthers", "main.otherWorker")
    assert (other["live"], other["created"], other["exited"]) == (4, 7, 3), other
    assert re.fullmatch(r"\d+\.\ds", other["oldest"]) and not other["runtime"], other

    # The runtime's goroutine profile: the same sites, with the same live counts.
    assert oracle[("main.spawnLeaks", at("leak"))] == 55, oracle
    assert oracle[("main.spawnOthers", at("other"))] == 4, oracle
    for (fn, pos), n in oracle.items():
        r = row_at(rows, pos)
        assert (r["by"], r["live"]) == (fn, n), (r, fn, n)
    # runtime.NumGoroutine counts what is not the runtime's own: the sites not marked (runtime).
    assert sum(r["live"] for r in rows if not r["runtime"]) == count, (rows, count)
    # The header adds up the rows.
    assert head["alive"] == sum(r["live"] for r in rows)
    assert (head["created"], head["exited"]) == (sum(r["created"] for r in rows),
                                                 sum(r["exited"] for r in rows))
    assert (head["created"], head["exited"]) == (32, 13), head


@pytest.mark.parametrize("minor", [19, NEWEST])
def test_leak_is_top_user_site(minor, lifecycle, profile):
    t = lifecycle(minor)
    t.do("spawnother 12")
    t.do("spawn 5")
    p = profile("--goroutines", "--budget", "50", "-d", "2s", t.pid)
    p.wait_stderr(f"PID {t.pid}: goroutine probes attached")
    p.wait_profiling(t.pid)
    t.do("spawn 30")                    # the leak grows while watched
    t.do("releaseother 2")
    assert p.wait() == 0, p.stderr()
    oracle = t.runtime_sites()
    _, _, rows = goroutine_table(p.stdout())
    user = [r for r in rows if not r["runtime"]]
    top = user[0]
    assert (top["by"], top["runs"], top["at"]) == ("main.spawnLeaks", "main.leakWorker", at("leak"))
    assert top["live"] == 35, top
    # The runtime's own ranking agrees: its most populous site is the same go statement.
    n, fn, pos = t.sites[0]
    assert (fn, pos, n) == (top["by"], top["at"], top["live"]), t.sites
    second = user[1]
    want = oracle[("main.spawnOthers", at("other"))]
    assert (second["at"], second["live"]) == (at("other"), want), second


def test_growth_since_attach(lifecycle, profile):
    # Shorter than a minute, GROWTH is "live now minus live at attach": every change made after
    # the attach message counts, also the ones made in its first second.
    t = lifecycle(NEWEST)
    t.do("spawn 40")
    p = profile("--goroutines", "--budget", "50", "-d", "2s", t.pid)
    p.wait_profiling(t.pid)
    for cmd in ("spawn 25", "release 10", "spawnother 7", "releaseother 3"):
        t.do(cmd)
    assert p.wait() == 0, p.stderr()
    _, _, rows = goroutine_table(p.stdout())
    leak, other = row_at(rows, at("leak")), row_at(rows, at("other"))
    assert (leak["live"], other["live"]) == (55, 4)
    assert (leak["growth"], other["growth"]) == (+15, +4), \
        (f"GROWTH {leak['growth']:+d} and {other['growth']:+d}: the changes made after "
         f"attaching are missing")


def test_goroutine_pprof_output(lifecycle, profile, pprof, tmp_path):
    t = lifecycle(NEWEST)
    t.do("spawn 12")
    out = tmp_path / "goroutines.pb.gz"
    p = profile("--goroutines", "--budget", "50", "-d", "2s", "-o", out, t.pid)
    p.wait_profiling(t.pid)
    t.do("spawn 9")
    t.do("release 4")
    assert p.wait() == 0, p.stderr()
    assert p.stdout() == "" and f"wrote {out}" in p.stderr()
    assert out.read_bytes()[:2] == b"\x1f\x8b"
    assert out.stat().st_mode & 0o7777 == 0o640
    assert [f for f in tmp_path.iterdir() if f.name.startswith("goroutines")] == [out]
    live = t.runtime_sites()[("main.spawnLeaks", at("leak"))]
    assert live == 17
    text = pprof("-top", out)
    assert "Type: goroutines" in text, text
    rows = pprof_top(text)
    assert rows[0] == (str(live), str(live), "main.leakWorker"), text
    assert ("0", str(live), "main.spawnLeaks") in rows, text
    # The second sample type: goroutines created while watched.
    rows = pprof_top(pprof("-top", "-sample_index=created", out))
    assert rows[0] == ("9", "9", "main.leakWorker"), rows


# ---- goroutines of go statements with arguments: named by the function they run ----

WRAP_SITES = ["wrap", "wrap-method", "wrap-methodvalue", "wrap-closure", "wrap-inlined"]
WRAPPER_RE = re.compile(r"main\.spawnWrapped\.(gowrap|func)\d+")


def wrapper_calls_a_value(s, minor):
    """The go statements whose wrapper calls through a func value, which code alone does not
    resolve: a method value, a closure the compiler does not inline into the wrapper (all
    releases; tests/unit/test_unit_gotarget.py checks the code), and, before Go 1.22, even an
    inlinable one. goscope names their site by the wrapper."""
    return s in ("wrap-methodvalue", "wrap-closure") or (s == "wrap-inlined" and minor < 22)


@pytest.mark.parametrize("mode", ["default", "stripped"])
@pytest.mark.parametrize("minor", GO_MINORS)
def test_wrapped_sites_named_by_what_they_run(minor, mode, lifecycle, profile):
    # `go leakyWorker(i)` starts its goroutines in main.spawnWrapped.gowrap1 (Go 1.22+) or
    # main.spawnWrapped.func3 (before); the runtime's own goroutine dump hides that wrapper and
    # shows main.leakyWorker as what they run, and so must goscope.
    t = lifecycle(minor, mode)
    t.do("spawnwrap 3")                 # alive at attach: found by walking allgs
    p = profile("--goroutines", "--budget", "50", "-d", "2s", t.pid)
    p.wait_profiling(t.pid)
    t.do("spawnwrap 2")                 # created while watched: from the probes
    assert p.wait() == 0, p.stderr()
    runs = t.runtime_runs()
    _, _, rows = goroutine_table(p.stdout())
    assert runs[("main.spawnWrapped", at("wrap"))] == "main.leakyWorker", runs
    for s in WRAP_SITES:
        r, want = row_at(rows, at(s)), runs[("main.spawnWrapped", at(s))]
        assert (r["by"], r["live"], r["created"]) == ("main.spawnWrapped", 5, 2), r
        if wrapper_calls_a_value(s, minor):
            assert WRAPPER_RE.fullmatch(r["runs"]) and r["runs"] != want, (s, r, want)
        else:
            assert r["runs"] == want, (s, r, want)
    assert row_at(rows, at("wrap"))["runs"] == "main.leakyWorker"
    assert row_at(rows, at("wrap-method"))["runs"] == "main.(*parker).park"


def test_wrapped_sites_pprof(lifecycle, profile, pprof, tmp_path):
    t = lifecycle(NEWEST, "stripped")
    t.do("spawnwrap 4")
    out = tmp_path / "goroutines.pb.gz"
    p = profile("--goroutines", "--budget", "50", "-d", "2s", "-o", out, t.pid)
    p.wait_profiling(t.pid)
    t.do("spawnwrap 3")
    assert p.wait() == 0, p.stderr()
    runs = t.runtime_runs()
    rows = pprof_top(pprof("-top", out))
    for s in ("wrap", "wrap-method", "wrap-inlined"):
        assert ("7", "7", runs[("main.spawnWrapped", at(s))]) in rows, (s, rows)
    assert ("7", "7", "main.leakyWorker") in rows, rows
    assert not [r for r in rows if r[2] in ("main.spawnWrapped.gowrap1",
                                            "main.spawnWrapped.gowrap2")], rows
    # A frame's source line is the function's own: main.leakyWorker's is in main.go.
    raw = pprof("-raw", out)
    assert re.search(rf"main\.leakyWorker {re.escape(str(SRC))}:\d+", raw), raw


# ---- 3, 4: allocation sites ----

def profile_allocs(t, profile, *extra, work="alloc 2", dur="3.5s"):
    """Profile while the target runs one allocation command; returns (reply, the run)."""
    p = profile("--allocs", "--budget", "50", "-d", dur, *extra, t.pid)
    p.wait_profiling(t.pid)
    t.send(work)
    got = t.reply(work.split()[0], timeout=30)
    done = time.monotonic()
    assert p.wait() == 0, p.stderr()
    assert p.ended > done, "the profile ended before the allocation loop did: raise -d"
    assert "circuit breaker" not in p.stderr()
    return got, p


@pytest.mark.parametrize("minor", GO_MINORS)
def test_alloc_sites(minor, lifecycle, profile):
    t = lifecycle(minor)
    before = t.runtime_samples()
    got, p = profile_allocs(t, profile)
    after = t.runtime_samples()
    dom, minor_b = int(got["bytes_dominant"]), int(got["bytes_minor"])
    head, notes, rows = alloc_table(p.stdout())
    assert notes == [] and head["how"] == "the runtime's MemProfileRate sampling, weighted"
    first, second = rows[0], rows[1]
    assert (first["func"], first["at"]) == ("main.allocDominant", at("alloc-dominant")), rows
    assert 80 <= first["pct"] <= 97, first
    assert (second["func"], second["at"]) == ("main.allocMinor", at("alloc-minor")), rows
    actual = dom + minor_b
    ratio = head["bytes"] / actual
    print(f"go1.{minor}: estimated {head['bytes']:.4g} B, allocated {actual} B: {ratio:.3f}x")
    assert 0.75 <= ratio <= 1.25, \
        f"estimated {head['bytes']:.4g} B, the target allocated {actual} B ({ratio:.3f}x)"
    # Objects: 8 KiB and 1 KiB ones.
    assert first["objects"] == pytest.approx(first["bytes"] / 8192, rel=0.01)
    assert second["objects"] == pytest.approx(second["bytes"] / 1024, rel=0.01)
    # Each sample is one the runtime took: its own profile has as many, no more, no fewer.
    want = {fn: after.get(fn, 0) - before.get(fn, 0) for fn in ("main.allocDominant",
                                                                 "main.allocMinor")}
    have = {r["func"]: r["samples"] for r in (first, second)}
    # Exact, bar one: a CI run once saw goscope count 16,070 samples where the runtime recorded
    # 16,069 (Go 1.25; 36 reruns matched exactly). Not understood yet; an entry probe re-run by
    # morestack was 8-90 % over, so anything systematic still fails here.
    assert all(0 <= have[fn] - want[fn] <= 1 for fn in want), \
        (f"goscope's samples {have}, the runtime's own {want} (more: is the probe at the "
         f"function's entry, which runs again after morestack?)")


def test_alloc_sites_by_objects(lifecycle, profile):
    t = lifecycle(NEWEST)
    _, p = profile_allocs(t, profile, "--sort", "objects", "-n", "5", work="alloc 1")
    _, _, rows = alloc_table(p.stdout())
    objects = [r["objects"] for r in rows]
    assert objects == sorted(objects, reverse=True), rows
    assert {r["func"] for r in rows} >= {"main.allocDominant", "main.allocMinor"}, rows


@pytest.mark.parametrize("minor", GO_MINORS)
def test_alloc_pprof_output(minor, lifecycle, profile, pprof, tmp_path):
    t = lifecycle(minor)
    out = tmp_path / "allocs.pb.gz"
    got, p = profile_allocs(t, profile, "-o", out)
    assert p.stdout() == "" and f"wrote {out}" in p.stderr()
    assert out.read_bytes()[:2] == b"\x1f\x8b"
    actual = int(got["bytes_dominant"]) + int(got["bytes_minor"])
    top = pprof_top(pprof("-top", "-sample_index=alloc_space", out))
    assert top[0][2] == "main.allocDominant", top
    assert top[1][2] == "main.allocMinor", top
    raw = pprof("-raw", out)
    assert re.search(r"^PeriodType: space bytes$", raw, re.M), raw
    assert re.search(r"^Period: 524288$", raw, re.M), raw
    assert re.search(r"^alloc_objects/count alloc_space/bytes\[dflt\]$", raw, re.M), raw
    space = sum(int(m[1]) for m in re.finditer(r"^\s+\d+\s+(\d+): [\d ]+$", raw, re.M))
    assert 0.75 * actual <= space <= 1.25 * actual, (space, actual, space / actual)
    assert re.search(rf"main\.allocDominant {re.escape(str(SRC))}:{site('alloc-dominant')}:", raw)


@pytest.mark.parametrize("minor", NOPROF_MINORS)
def test_alloc_fallback_without_memprofile(minor, lifecycle, profile):
    t = lifecycle(minor, "noprof")
    got, p = profile_allocs(t, profile, work="large 2")
    count = int(got["count"])
    assert int(got["bytes"]) == count * LARGE
    head, notes, rows = alloc_table(p.stdout())
    assert head["how"] == "every allocation over 32 KiB"
    assert any("memory profiling is compiled out" in n for n in notes), notes
    top = rows[0]
    assert (top["func"], top["at"]) == ("main.allocLarge", at("alloc-large")), rows
    # Every large allocation is seen, each once.
    assert (top["objects"], top["samples"]) == (count, count), \
        (f"main.allocLarge: {top['objects']} objects, {top['samples']} samples; the target made "
         f"{count} (more: is the probe at the function's entry, which runs again after morestack?)")
    assert top["bytes"] == pytest.approx(count * LARGE, abs=0.01e6)


# ---- 5: the circuit breaker ----

@pytest.mark.parametrize("minor", BREAKER_MINORS)
def test_circuit_breaker(minor, lifecycle, profile, bpf_leftovers):
    t = lifecycle(minor)
    base = float(t.do("churn 1")["per_sec"])        # unprobed
    p = profile("--goroutines", "-d", "4s", t.pid)  # the default budget: 1% of a CPU
    p.wait_stderr(f"PID {t.pid}: goroutine probes attached")
    p.wait_profiling(t.pid)
    probes = attached_to(t.pid, p.proc.pid)
    assert {"g_create", "g_exit"} <= set(probes.values()), probes
    t.send("churn 5")
    started = time.monotonic()
    p.wait_stderr(f"PID {t.pid}: goroutine probes detached by the circuit breaker", timeout=3)
    assert time.monotonic() - started < 3
    # While goscope still runs: the goroutine probes are off the process, the GC probes stay.
    assert p.proc.poll() is None
    now = set(attached_to(t.pid, p.proc.pid).values())
    assert not now & {"g_create", "g_exit"}, now
    assert "gc_end" in now, now
    assert p.wait() == 0, p.stderr()
    _, notes, rows = goroutine_table(p.stdout())
    assert any("detached by the circuit breaker" in n for n in notes), notes
    assert rows and row_at(rows, at("churn"))["by"] == "main.churnLoop"
    got = t.reply("churn", timeout=30)
    rate = float(got["per_sec"])
    assert rate > 0 and int(got["goroutines"]) > 0
    # Probed for a fraction of a second only: the churn kept most of its unprobed speed.
    assert rate >= 0.3 * base, (rate, base)
    assert t.proc.poll() is None
    # Nothing of this goscope's is left on the process or in the kernel, the opt-in probes' programs
    # (those the breaker detached) included.
    gone = [e for e in bpftool_json("perf", "list") if e.get("prog_id") in probes]
    assert gone == [], gone
    bpf_leftovers.assert_none(after="after goscope profile ended")


# ---- 7: bad input ----

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
        assert w in lines[0], (w, lines[0])
    assert res.stdout == ""


def test_errors(tmp_path):
    one_line_error(run_goscope(["profile", "1234"]), 2, "--allocs", "--goroutines")
    f = tmp_path / "f"
    one_line_error(run_goscope(["profile", "--allocs", "--goroutines", "-o", f, "1234"]), 2, "-o")
    assert not f.exists()
    # The output is checked before anything is attached, and a symbolic link is never followed.
    one_line_error(run_goscope(["profile", "--allocs", "-o", tmp_path / "no" / "f", "1234"]), 1,
                   "cannot create", "No such file")
    os.symlink(f, tmp_path / "link")
    one_line_error(run_goscope(["profile", "--allocs", "-o", tmp_path / "link", "1234"]), 1,
                   "refusing", "symbolic link")
    assert not f.exists()
    # A run that fails leaves no empty file behind.
    one_line_error(run_goscope(["profile", "--allocs", "-o", f, free_pid()]), 3, "no process")
    assert not f.exists()
    one_line_error(run_goscope(["profile", "--goroutines"]), 2, "PID")
    one_line_error(run_goscope(["profile", "--allocs", "-d", "0", "1234"]), 2, "duration")
    one_line_error(run_goscope(["profile", "--allocs", free_pid()]), 3, "no process")
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        time.sleep(0.1)
        one_line_error(run_goscope(["profile", "--goroutines", sleeper.pid]), 4, "not a Go program")
    finally:
        sleeper.kill()
        sleeper.wait()
