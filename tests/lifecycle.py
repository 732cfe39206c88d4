"""The lifecycle workload (tests/targets/lifecycle), driven on its stdin, for the opt-in probe tests.

It answers each command with one `ok …` line; `sites` and `memprof` print the runtime's own
per-creation-site goroutine counts (with the function each site's goroutines run) and raw
allocation samples first (the oracles).
"""
import queue
import re
import subprocess
import threading
import time

from conftest import BUILD, REPO, target_path

SRC = REPO / "tests" / "targets" / "lifecycle" / "main.go"


def site(name):
    """Line number of the one line of main.go that ends with `// SITE:<name>`."""
    hits = [i for i, ln in enumerate(SRC.read_text().splitlines(), 1)
            if ln.rstrip().endswith(f"// SITE:{name}")]
    assert len(hits) == 1, f"SITE:{name} in {SRC}: {hits}"
    return hits[0]


def at(name):
    return f"{SRC}:{site(name)}"


# ---- the workload ----

class Lifecycle:
    """tests/targets/lifecycle: one command per line on stdin, one `ok …` reply per command."""

    def __init__(self, minor, mode, tmp_path):
        self.path = target_path(minor, mode, "lifecycle")
        # The SITE lines are read from main.go: a binary built from an older main.go has others.
        assert self.path.stat().st_mtime >= SRC.stat().st_mtime, \
            f"{self.path} is older than {SRC}: run tests/build-targets.sh {BUILD}"
        self.err_file = tmp_path / f"lifecycle-{time.monotonic_ns()}.stderr"
        self._err = open(self.err_file, "wb")
        self.proc = subprocess.Popen([str(self.path)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=self._err, text=True, bufsize=1)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        ready = self.lines.get(timeout=20)
        m = re.fullmatch(r"ready pid=(\d+) go=(\S+) memprof=([01])", ready or "")
        assert m, f"{self.path} did not start: {ready!r}"
        self.pid = self.proc.pid
        assert int(m.group(1)) == self.pid
        self.version = m.group(2)
        assert self.version.startswith(f"go1.{minor}"), self.version
        self.memprof = int(m.group(3))
        assert self.memprof == (0 if mode == "noprof" else 1), ready

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def send(self, cmd):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()

    def reply(self, name, timeout=30):
        """The reply to a command sent: its key=value fields; `site` and `memprof` lines before
        it in .sites and .memprof."""
        self.sites, self.memprof_lines, self.site_runs = [], [], {}
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no reply to {name!r} within {timeout}s") from None
            assert line is not None, f"the target exited: {self.err_file.read_text()[-2000:]}"
            if line.startswith("site "):
                _, n, fn, pos, runs = line.split(" ")
                self.sites.append((int(n), fn, pos))
                self.site_runs[(fn, pos)] = runs
                continue
            if line.startswith("memprof "):
                _, fn, n, b = line.split(" ")
                self.memprof_lines.append((fn, int(n), int(b)))
                continue
            assert line.split(" ")[:2] == ["ok", name], f"{name}: {line!r}"
            return dict(f.split("=", 1) for f in line.split(" ")[2:])

    def do(self, cmd, timeout=30):
        self.send(cmd)
        return self.reply(cmd.split()[0], timeout)

    def runtime_sites(self):
        """The runtime's own live goroutines per creation site: {(func, file:line): count}."""
        self.do("sites")
        return {(fn, pos): n for n, fn, pos in self.sites}

    def runtime_runs(self):
        """The function each creation site's live goroutines run, as the runtime's own goroutine
        dump shows it (it hides the compiler's wrappers of `go f(args)`): {(func, file:line):
        function}."""
        self.do("sites")
        return dict(self.site_runs)

    def runtime_samples(self):
        """The runtime's own allocation samples since start, raw: {function: samples}."""
        self.do("memprof")
        return {fn: n for fn, n, _ in self.memprof_lines}

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()     # EOF: it exits 0
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self._err.close()
