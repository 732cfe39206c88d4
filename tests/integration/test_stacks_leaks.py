"""goscope stacks --leaks: leak suspects from repeated dumps, against the runtime's own leak finder.

Go 1.27's runtime has a goroutineleak profile: a GC cycle that finds the goroutines blocked on
channels and locks nothing else can reach. In the stackshapes workload (tests/targets/stackshapes)
it reports the two leakyWorker goroutines, the receive from a nil channel and the select with no
cases. Every goroutine that profile reports must be among goscope's suspects, found from outside
before the runtime looked (the same place they block, at least as many). After the runtime has
looked, those goroutines are marked leaked for good, and goscope ranks them first. Go 1.19-1.26
have no such profile (1.26 only behind a GOEXPERIMENT), and goscope works the same there: the
leakyWorker goroutines are suspects, named by the function they run (main.leakyWorker, not the
compiler's wrapper of `go leakyWorker(i)`), in every release.
"""
import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import GO_MINORS, GOSCOPE, target_path

NEWEST = max(GO_MINORS)


class Shapes:
    def __init__(self, minor, out_dir):
        env = dict(os.environ, STACKSHAPES_OUT=str(out_dir))
        self.out = out_dir
        self.proc = subprocess.Popen([str(target_path(minor, "default", "stackshapes"))],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=env)
        line = self.proc.stdout.readline().strip()
        assert line == "ready", f"stackshapes said {line!r}: {self.proc.stderr.read()}"
        self.pid = self.proc.pid

    def dump(self):
        self.proc.send_signal(signal.SIGUSR1)
        line = self.proc.stdout.readline().strip()
        assert line == "dumped", line

    def stop(self):
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def shapes(tmp_path):
    started = []

    def start(minor):
        s = Shapes(minor, tmp_path)
        started.append(s)
        return s
    yield start
    for s in started:
        s.stop()


def suspects(pid, *extra):
    res = subprocess.run([str(GOSCOPE), "stacks", "--leaks", "-d", "2s", "-i", "500ms", "--json",
                          *extra, str(pid)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    out = [json.loads(line) for line in res.stdout.splitlines()]
    assert out, f"no suspects at all: {res.stderr}"
    assert [s["rank"] for s in out] == list(range(1, len(out) + 1))
    return out


def leak_records(text):
    """The goroutineleak profile (debug=1): (count, (function, file, line) of its first shown
    frame) per record; the runtime's printStackRecord hides the leading runtime frames."""
    recs = []
    for block in text.split("\n\n"):
        m = re.search(r"^(\d+) @", block, re.M)
        if not m:
            continue
        frames = re.findall(r"^#\t0x[0-9a-f]+\t(\S+)\+0x[0-9a-f]+\t+(\S+):(\d+)$", block, re.M)
        if not frames:
            continue    # 1.27's phantom record of a `select {}` in main: no frame at all
        fn, file, line = frames[0]
        recs.append((int(m.group(1)), (fn, file, int(line))))
    return recs


@pytest.mark.parametrize("minor", GO_MINORS)
def test_leaky_workers_are_suspects_everywhere(minor, shapes):
    s = shapes(minor)
    got = suspects(s.pid)
    leaky = [x for x in got if x["runs"] == "main.leakyWorker"]
    assert len(leaky) == 1, [x["runs"] for x in got]
    assert leaky[0]["count"] == 2 and leaky[0]["wait_reason"] == "chan receive", leaky[0]
    assert leaky[0]["blocks_at"]["function"] == "main.leakyWorker"
    assert leaky[0]["blocks_at"]["file"].endswith("/stackshapes/shapes.go")
    # Goroutines that are not blocked on a channel, select, sync or network wait never are.
    reasons = {x["wait_reason"] for x in got}
    assert not reasons & {"sleep", "syscall", None}, reasons
    assert all(x["growth"] == 0 for x in got), got     # nothing grows in a quiet workload


def test_runtime_leak_profile_within_suspects(shapes):
    s = shapes(NEWEST)
    before = suspects(s.pid)
    s.dump()
    path = s.out / "goroutineleak1.txt"
    assert path.exists(), f"go1.{NEWEST} wrote no goroutineleak profile"
    recs = leak_records(path.read_text())
    assert recs, path.read_text()
    found = {}
    for x in before:
        b = x["blocks_at"]
        key = (b["function"], b["file"], b["line"])
        found[key] = found.get(key, 0) + x["count"]
    want = {}
    for count, key in recs:
        want[key] = want.get(key, 0) + count
    assert sum(want.values()) >= 4, want    # leakyWorker x2, nil channel, select {}
    for key, count in want.items():
        assert key in found, f"the runtime says {count} leaked at {key}; goscope's suspects: " \
                             f"{sorted(found)}"
        assert found[key] >= count, (key, found[key], count)
    # The runtime has now marked them leaked: they rank first, and say so.
    after = suspects(s.pid)
    marked = [x for x in after if x["runtime_leaked"]]
    assert sum(x["runtime_leaked"] for x in marked) == sum(want.values()), after
    assert [x["rank"] for x in marked] == list(range(1, len(marked) + 1)), after
    text = subprocess.run([str(GOSCOPE), "stacks", "--leaks", "-d", "1s", str(s.pid)],
                          capture_output=True, text=True, timeout=60)
    assert text.returncode == 0, text.stderr
    assert "(leaked, says the runtime)" in text.stdout, text.stdout
    # And the debug=2 text shows them as the runtime does, "(leaked)" in the header.
    dump = subprocess.run([str(GOSCOPE), "stacks", "--state", "leaked", str(s.pid)],
                          capture_output=True, text=True, timeout=60)
    assert dump.returncode == 0, dump.stderr
    assert dump.stdout.count(" (leaked)]:") == sum(want.values()), dump.stdout


def test_leaks_stops_early_on_sigint_with_a_ranking(shapes):
    s = shapes(NEWEST)
    g = subprocess.Popen([str(GOSCOPE), "stacks", "--leaks", "-d", "60s", str(s.pid)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        g.stderr.readline()     # "watching PID … for 60 s"
        time.sleep(1.5)
        g.send_signal(signal.SIGINT)
        out, err = g.communicate(timeout=20)
    finally:
        if g.poll() is None:
            g.kill()
    assert g.returncode == 0, err
    assert "main.leakyWorker" in out and "suspect group" in out, out
