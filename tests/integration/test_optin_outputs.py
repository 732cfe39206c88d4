"""The opt-in probes' findings in record, serve and top, against the runtime's own oracles.

The workload is tests/targets/lifecycle (see tests/lifecycle.py): its `sites` command prints the
runtime's own live goroutines per creation site (its goroutine profile), `memprof` the runtime's
own raw allocation samples; `// SITE:<name>` markers in its source give file:line.
"""
import json
import re
import signal
import subprocess
import time
import urllib.request

import jsonschema
import pytest

from conftest import GO_MINORS, GOSCOPE, REPO, factory, free_port, kill_if_running, wait_for
from lifecycle import at
from test_top import Tmux

NEWEST = GO_MINORS[-1]
SCHEMA = json.loads((REPO / "docs" / "record.schema.json").read_text())
WHOLE = jsonschema.Draft7Validator(SCHEMA)


class Agent:
    """A goscope command in the background, stderr to a file."""

    def __init__(self, args, tmp_path, stdout=subprocess.DEVNULL):
        self.err = tmp_path / f"goscope-{time.monotonic_ns()}.stderr"
        self.proc = subprocess.Popen([str(GOSCOPE)] + [str(a) for a in args], stdout=stdout,
                                     stderr=open(self.err, "w"))

    def stderr(self):
        return self.err.read_text()

    def wait_attached(self, what, timeout=20):
        assert wait_for(lambda: what in self.stderr() or self.proc.poll() is not None, timeout), \
            self.stderr()
        assert self.proc.poll() is None, self.stderr()

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        rc = self.proc.wait(timeout=30)
        assert rc == 0, self.stderr()


@pytest.fixture
def agent(tmp_path):
    yield from factory(lambda args, **kw: Agent(args, tmp_path, **kw), kill_if_running)


def records(path):
    out = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        obj = json.loads(line)
        errors = [e.message for e in WHOLE.iter_errors(obj)]
        assert not errors, f"line {n} ({obj.get('kind')}): {errors[:3]}\n{line[:400]}"
        out.append(obj)
    return out


def site_of(rec, where):
    file, line = where.rsplit(":", 1)
    found = [s for s in rec["sites"] if s["file"] == file and s["line"] == int(line)]
    assert len(found) == 1, (where, rec["sites"])
    return found[0]


@pytest.mark.parametrize("minor", [19, NEWEST])
def test_record_sites_equal_the_runtime(minor, lifecycle, agent, tmp_path):
    t = lifecycle(minor)
    t.do("spawn 20")
    out = tmp_path / "rec.jsonl"
    a = agent(["record", "--goroutines", "--allocs", "--budget", "50", "-o", out, t.pid])
    a.wait_attached("allocation sampling attached")
    before = t.runtime_samples()
    t.do("spawn 15")
    t.do("release 5")
    t.do("alloc 1")
    after = t.runtime_samples()
    oracle = t.runtime_sites()
    a.stop()
    recs = records(out)
    kinds = [r["kind"] for r in recs]
    # The last ones come just before the detach record.
    g = [r for r in recs if r["kind"] == "goroutine_sites"][-1]
    al = [r for r in recs if r["kind"] == "alloc_sites"][-1]
    assert kinds.index("detach") > kinds.index("goroutine_sites"), kinds[-5:]
    leak = site_of(g, at("leak"))
    assert (leak["created_by"], leak["function"]) == ("main.spawnLeaks", "main.leakWorker")
    assert leak["live"] == oracle[("main.spawnLeaks", at("leak"))] == 30
    assert (leak["created"], leak["exited"], leak["alive_at_attach"]) == (15, 5, 20)
    assert leak["runtime"] is False and leak["growth"] == 10
    assert al["mode"] == "sampled" and al["mem_profile_rate"] == 512 * 1024
    assert not al["breaker_tripped"], al["note"]
    first = al["sites"][0]
    assert (first["function"], f"{first['file']}:{first['line']}") == \
        ("main.allocDominant", at("alloc-dominant"))
    # The record's samples are the runtime's own, one for one (bar one, as in test_profile's
    # test_alloc_sites: a single extra sample was seen once and is not understood yet).
    for fn in ("main.allocDominant", "main.allocMinor"):
        mine = [s["samples"] for s in al["sites"] if s["function"] == fn]
        want = after[fn] - before.get(fn, 0)
        assert len(mine) == 1 and 0 <= mine[0] - want <= 1, (fn, mine, before, after)


@pytest.mark.parametrize("minor", [19, NEWEST])
def test_record_wrapped_sites(minor, lifecycle, agent, tmp_path):
    # `go leakyWorker(i)` and `go p.park(i)` start their goroutines in compiler-made wrappers;
    # "function" is what the runtime's own goroutine dump shows them running, in a stripped build.
    t = lifecycle(minor, "stripped")
    t.do("spawnwrap 2")
    out = tmp_path / "rec.jsonl"
    a = agent(["record", "--goroutines", "--budget", "50", "-o", out, t.pid])
    a.wait_attached("goroutine probes attached")
    t.do("spawnwrap 1")
    runs = t.runtime_runs()
    a.stop()
    g = [r for r in records(out) if r["kind"] == "goroutine_sites"][-1]
    for name, want in (("wrap", "main.leakyWorker"), ("wrap-method", "main.(*parker).park")):
        s = site_of(g, at(name))
        assert runs[("main.spawnWrapped", at(name))] == want, runs
        assert (s["created_by"], s["function"], s["live"]) == ("main.spawnWrapped", want, 3), s


def test_record_breaker(lifecycle, agent, tmp_path):
    t = lifecycle(NEWEST)
    out = tmp_path / "rec.jsonl"
    a = agent(["record", "--allocs", "-o", out, t.pid])
    a.wait_attached("allocation sampling attached")
    t.do("alloc 2")           # thousands of samples a second: over 1 % of a CPU
    assert wait_for(lambda: "circuit breaker" in a.stderr(), 5), a.stderr()
    a.stop()
    recs = records(out)
    br = [r for r in recs if r["kind"] == "breaker"]
    assert len(br) == 1 and br[0]["probes"] == "allocs", br
    assert br[0]["probe_cpu_ratio"] > 0.01 and br[0]["probe_hits"] > 0, br
    assert "circuit breaker" in br[0]["note"]
    last = [r for r in recs if r["kind"] == "alloc_sites"][-1]
    assert last["breaker_tripped"] and not last["probes_attached"], last


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return r.read().decode()


def test_serve_sites(lifecycle, agent):
    t = lifecycle(NEWEST)
    port = free_port()
    a = agent(["serve", "--goroutines", "-l", f"127.0.0.1:{port}", t.pid])
    a.wait_attached("goroutine probes attached")
    t.do("spawn 12")
    t.do("spawnother 3")
    t.do("spawnwrap 2")
    oracle = t.runtime_sites()
    runs = t.runtime_runs()
    # function is what the runtime shows the goroutines run, past `go leakyWorker(i)`'s wrapper.
    want = {at(s): (fn, runs[(fn, at(s))], oracle[(fn, at(s))])
            for s, fn in (("leak", "main.spawnLeaks"), ("other", "main.spawnOthers"),
                          ("wrap", "main.spawnWrapped"), ("wrap-method", "main.spawnWrapped"))}
    assert want == {at("leak"): ("main.spawnLeaks", "main.leakWorker", 12),
                    at("other"): ("main.spawnOthers", "main.otherWorker", 3),
                    at("wrap"): ("main.spawnWrapped", "main.leakyWorker", 2),
                    at("wrap-method"): ("main.spawnWrapped", "main.(*parker).park", 2)}
    row = re.compile(r'^goscope_goroutines_by_site\{[^}]*site="([^"]+)",created_by="([^"]+)",'
                     r'function="([^"]+)"\} (\d+)$', re.M)
    seen = {}

    def check():
        text = scrape(port)
        seen.clear()
        seen.update({m[1]: (m[2], m[3], int(m[4])) for m in row.finditer(text)})
        return all(seen.get(k) == v for k, v in want.items())
    assert wait_for(check, 10, step=0.3), (want, seen)
    text = scrape(port)
    res = subprocess.run(["/usr/bin/promtool", "check", "metrics"], input=text,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert re.search(r'^goscope_optin_probes_attached\{[^}]*probes="goroutines"\} 1$', text, re.M)
    a.stop()


def test_top_detail_lists_sites(lifecycle, tmp_path):
    t = lifecycle(NEWEST)
    tm = Tmux(tmp_path, f"{GOSCOPE} top --goroutines --allocs --budget 50 {t.pid}", height=45)
    try:
        tm.wait_screen(lambda s: "goroutines by creation site:" in s, 20)
        t.do("spawn 9")
        t.do("alloc 1")
        oracle = t.runtime_sites()[("main.spawnLeaks", at("leak"))]
        assert oracle == 9
        # The panel names files without their directories.
        leak, dominant = (re.escape("main.go:" + at(n).rsplit(":", 1)[1])
                          for n in ("leak", "alloc-dominant"))
        screen = tm.wait_screen(
            lambda s: re.search(rf"^\s+{oracle} live\s+\+{oracle} in \d+s\s+main\.spawnLeaks -> "
                                rf"main\.leakWorker\s+{leak}$", s, re.M) and
            re.search(r"^allocation sites:", s, re.M) and
            re.search(rf"main\.allocDominant\s+{dominant}$", s, re.M), 15)
        lines = screen.splitlines()
        i = next(k for k, ln in enumerate(lines) if ln.startswith("allocation sites:"))
        assert "main.allocDominant" in lines[i + 1], lines[i:i + 3]
        tm.keys("q")
        assert tm.exit_code() == 0
    finally:
        tm.kill()


def test_top_detail_names_wrapped_sites(lifecycle, tmp_path):
    # The panel's "created by -> runs" names what the runtime shows, past the go statement's
    # compiler-made wrapper. It lists three sites; with five of six goroutines each, the go
    # statements last in the code come first, among them wrap-inlined, whose closure the
    # compiler inlines into the wrapper (main.spawnWrapped.gowrap5).
    t = lifecycle(NEWEST, "stripped")
    tm = Tmux(tmp_path, f"{GOSCOPE} top --goroutines --budget 50 {t.pid}", height=45)
    try:
        tm.wait_screen(lambda s: "goroutines by creation site:" in s, 20)
        t.do("spawnwrap 6")
        fn = t.runtime_runs()[("main.spawnWrapped", at("wrap-inlined"))]
        assert fn == "main.spawnWrapped.func2"
        where = re.escape("main.go:" + at("wrap-inlined").rsplit(":", 1)[1])
        tm.wait_screen(lambda s: re.search(rf"^\s+6 live\s+\+6 in \d+s\s+main\.spawnWrapped -> "
                                           rf"{re.escape(fn)}\s+{where}$", s, re.M), 15)
        tm.keys("q")
        assert tm.exit_code() == 0
    finally:
        tm.kill()
