"""goscope serve, scraped by a real Prometheus server, against the runtime's own readings.

One goscope serve watches a quiescent workload of every Go release; the Debian prometheus binary
(its own process, temporary config and storage, loopback, a free port) scrapes it every second,
and the test asks Prometheus's HTTP API for the series. The values must equal what each runtime
reports about itself (NumGoroutine, MemStats.HeapObjects, ...). promtool checks the exposition.
"""
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import (COUNTS, GO_MINORS, GOSCOPE, factory, free_port, kill_if_running, run_goscope,
                      target_path, wait_for)

NEWEST = GO_MINORS[-1]


@pytest.fixture
def quiescents(quiescent):
    """A quiescent workload of every Go release of the matrix, by minor version."""
    return {m: quiescent(m, extra=["-alloc", "8"]) for m in GO_MINORS}


class Serve:
    def __init__(self, args, tmp_path):
        self.err = tmp_path / f"serve-{time.monotonic_ns()}.stderr"
        self.proc = subprocess.Popen([str(GOSCOPE), "serve"] + [str(a) for a in args],
                                     stdout=subprocess.DEVNULL, stderr=open(self.err, "w"))
        assert wait_for(lambda: "serving http" in self.stderr() or self.proc.poll() is not None, 20)
        m = re.search(r"serving (https?)://(\S+)/metrics", self.stderr())
        assert m, self.stderr()
        self.scheme, self.addr = m.group(1), m.group(2)
        self.host, self.port = self.addr.rsplit(":", 1)

    def stderr(self):
        return self.err.read_text()

    def get(self, path="/metrics", method="GET"):
        req = urllib.request.Request(f"http://{self.addr}{path}", method=method)
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=15)


@pytest.fixture
def serve(tmp_path):
    yield from factory(lambda args: Serve(args, tmp_path), kill_if_running)


@pytest.fixture
def prometheus(tmp_path):
    """Factory: prometheus(target, job=YAML) starts a Prometheus scraping target every second
    (job: more settings of its scrape job, indented as one) and returns its API's base URL."""
    def start(target, job=""):
        port = free_port()
        conf = tmp_path / "prometheus.yml"
        conf.write_text(f"""global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: goscope
{job}    static_configs:
      - targets: ['{target}']
""")
        proc = subprocess.Popen(["/usr/bin/prometheus", f"--config.file={conf}",
                                 f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                 f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                                stdout=subprocess.DEVNULL, stderr=open(tmp_path / "prometheus.log", "w"))
        procs.append(proc)
        return f"http://127.0.0.1:{port}"

    procs = []
    yield start
    for p in procs:
        p.terminate()
        p.wait(timeout=20)


def query(base, q):
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            body = json.loads(r.read())
    except (urllib.error.URLError, ConnectionError):
        return None
    assert body["status"] == "success", body
    return {int(s["metric"]["pid"]): s for s in body["data"]["result"]}


def parse_exposition(text):
    """{(name, frozenset(labels)): value} of every sample line."""
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$', line)
        assert m, f"bad sample line {line!r}"
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def series(samples, name, pid, **extra):
    for (n, labels), v in samples.items():
        d = dict(labels)
        if n == name and d.get("pid") == str(pid) and all(d.get(k) == x for k, x in extra.items()):
            return v
    raise AssertionError(f"{name}{{pid={pid},{extra}}} not exported")


def test_prometheus_scrapes_runtime_values(quiescents, serve, prometheus, tmp_path):
    s = serve(["--listen", "127.0.0.1:0", "-i", "500ms"] + [q.pid for q in quiescents.values()])
    base = prometheus(s.addr)
    pids = {q.pid for q in quiescents.values()}
    assert wait_for(lambda: set((query(base, "go_goroutines") or {})) == pids and
                    set((query(base, "go_memstats_heap_objects") or {})) == pids, 40, step=0.5), \
        (tmp_path / "prometheus.log").read_text()
    status, headers, text = s.get()
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = parse_exposition(text)
    goroutines = query(base, "go_goroutines")
    heap_objects = query(base, "go_memstats_heap_objects")
    info = query(base, "go_info")
    for minor, q in quiescents.items():
        want = q.snapshot()
        ms = want["memstats"]
        got = goroutines[q.pid]
        assert got["metric"]["go_version"].startswith(f"go1.{minor}")
        assert got["metric"]["comm"] == "quiescent" and got["metric"]["job"] == "goscope"
        assert int(got["value"][1]) == want["num_goroutine"]
        assert int(heap_objects[q.pid]["value"][1]) == ms["HeapObjects"]
        assert info[q.pid]["metric"]["version"] == got["metric"]["go_version"]
        # The exposition itself, against the same snapshot.
        assert series(samples, "go_memstats_alloc_bytes_total", q.pid) == ms["TotalAlloc"]
        assert series(samples, "go_memstats_mallocs_total", q.pid) == ms["Mallocs"]
        assert series(samples, "go_memstats_next_gc_bytes", q.pid) == ms["NextGC"]
        assert series(samples, "go_memstats_last_gc_time_seconds", q.pid) == pytest.approx(ms["LastGC"] / 1e9)
        assert series(samples, "go_sched_gomaxprocs_threads", q.pid) == want["gomaxprocs"]
        assert series(samples, "go_gc_gogc_percent", q.pid) == 100
        assert series(samples, "go_gc_gomemlimit_bytes", q.pid) == float(2**63 - 1)
        assert series(samples, "go_gc_duration_seconds_count", q.pid) == ms["NumGC"]
        assert series(samples, "go_gc_duration_seconds_sum", q.pid) == pytest.approx(ms["PauseTotalNs"] / 1e9)
        assert series(samples, "go_gc_duration_seconds", q.pid, quantile="1") >= ms["LastPauseNs"] / 1e9
        assert series(samples, "goscope_gc_cycles_total", q.pid) == ms["NumGC"]
        # main waits on the signal channel, then the parked ones (see the quiescent workload).
        assert series(samples, "goscope_goroutines", q.pid, state="waiting") == \
            1 + COUNTS["chan"] + COUNTS["sleep"] + COUNTS["mutex"]
        assert series(samples, "goscope_probed", q.pid) == 1
    res = subprocess.run(["/usr/bin/promtool", "check", "metrics"], input=text, capture_output=True,
                         text=True, timeout=30)
    assert res.returncode == 0, res.stdout + res.stderr
    # A process that exits leaves the exposition.
    gone = quiescents[GO_MINORS[0]]
    gone.stop()
    assert wait_for(lambda: f'pid="{gone.pid}"' not in s.get()[2], 10)
    assert s.stop() == 0


def raw_request(addr, data, timeout=5):
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as c:
        c.sendall(data)
        buf = b""
        while True:
            chunk = c.recv(65536)
            if not chunk:
                return buf
            buf += chunk


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_http_edges_and_slow_clients(go_target, serve):
    t = go_target(target_path(NEWEST, "default"))
    s = serve(["--listen", "127.0.0.1:0", t.pid])
    assert wait_for(lambda: f'pid="{t.pid}"' in s.get()[2], 10)
    # Slow clients: one sends half a request line and stalls, others connect and say nothing.
    slow = socket.create_connection(("127.0.0.1", int(s.port)))
    slow.sendall(b"GET /metr")
    idle = [socket.create_connection(("127.0.0.1", int(s.port))) for _ in range(10)]
    start = time.monotonic()
    status, _, text = s.get()
    assert status == 200 and "go_goroutines{" in text and time.monotonic() - start < 1
    # Malformed requests are refused: a 400 where libmicrohttpd can tell what was meant, else the
    # connection closed without an answer (at once for a request line without a space; at the
    # idle timeout for one that starts with a NUL), never metrics.
    assert raw_request(s.addr, b"GET garbage\n\n").startswith(b"HTTP/1.1 400 ")
    assert raw_request(s.addr, b"FOO /metrics HTTP/9.9\r\n\r\n").startswith(b"HTTP/1.1 505 ")
    assert raw_request(s.addr, b"NONSENSE\r\n\r\n") == b""
    assert raw_request(s.addr, b"\x00\xff\xfe garbage\n\n", timeout=10) == b""
    assert raw_request(s.addr, b"GET /metrics HTTP/1.1\r\n" + b"X: y\r\n" * 3000).startswith(b"HTTP/1.1 431 ")
    assert s.get("/nope")[0] == 404
    assert s.get("/metrics", method="POST")[0] == 405
    status, _, body = s.get("/")
    assert status == 200 and 'href="/metrics"' in body
    head = raw_request(s.addr, b"HEAD /metrics HTTP/1.0\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and head.endswith(b"\r\n\r\n")
    # The stalled client is cut off after the request timeout; scrapes went on meanwhile.
    slow.settimeout(10)
    assert slow.recv(100) == b""
    assert s.get()[0] == 200
    for c in idle + [slow]:
        c.close()
    # 200 clients connect and say nothing, more than the 64 connections goscope keeps: the oldest
    # silent ones are let go, a scrape is still answered at once, and nothing spins meanwhile.
    idle = [socket.create_connection(("127.0.0.1", int(s.port))) for _ in range(200)]
    start = time.monotonic()
    status, _, text = s.get()
    assert status == 200 and "go_goroutines{" in text and time.monotonic() - start < 1
    cpu = cpu_seconds(s.proc.pid)
    time.sleep(2)
    assert cpu_seconds(s.proc.pid) - cpu < 0.5, "goscope serve spins while connections are idle"
    assert s.get()[0] == 200
    for c in idle:
        c.close()
    assert s.stop() == 0


def test_port_in_use(go_target):
    t = go_target(target_path(NEWEST, "default"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = run_goscope(["serve", "--listen", f"127.0.0.1:{port}", t.pid], timeout=20)
    assert res.returncode == 1, res
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Address already in use" in lines[0], res.stderr


@pytest.mark.parametrize("addr", ["nonsense", "127.0.0.1", "127.0.0.1:99999", "127.0.0.1:http",
                                  "::1:9464", "[::1]9464", "256.1.1.1:9464", "127.0.0.1:"])
def test_invalid_listen(addr, go_target):
    t = go_target(target_path(NEWEST, "default"))
    res = run_goscope(["serve", "--listen", addr, t.pid], timeout=20)
    assert res.returncode == 2, res
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "invalid --listen" in lines[0], res.stderr


def test_ipv6_loopback_and_public_warning(go_target, serve):
    t = go_target(target_path(NEWEST, "default"))
    s6 = serve(["--listen", "[::1]:0", t.pid])
    assert s6.addr.startswith("[::1]:") and "WARNING" not in s6.stderr()
    assert wait_for(lambda: f'pid="{t.pid}"' in s6.get()[2], 10)
    assert s6.stop() == 0
    s = serve(["--listen", "0.0.0.0:0", t.pid])
    assert "WARNING" in s.stderr() and "not a loopback address" in s.stderr()
    assert s.stop() == 0
