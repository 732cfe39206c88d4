"""goscope serve --otlp: OTLP/HTTP push, received and decoded, against the runtime's own readings.

The receiver (tests/otlp_receiver.py) decodes every request with the OpenTelemetry project's own
protobuf bindings: Debian's Prometheus is built without its OTLP receiver, and no other Debian
package receives OTLP/HTTP metrics. Quiescent workloads of every Go release report their own
runtime/metrics values; each pushed data point must equal the value the runtime computes for the
metric the semantic conventions name. Then the receiver is stopped, refuses, throttles and
comes back, and every data point goscope made must be accounted for: pushed or dropped, in
goscope_otlp_dropped_points_total and on stderr, while scrapes keep being answered at once.
"""
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import GO_MINORS, GOSCOPE, factory, kill_if_running, run_goscope, wait_for
from otlp_receiver import OtlpReceiver, refused

NEWEST = GO_MINORS[-1]
# Data points per quiescent process and request: go.memory.used twice, no go.memory.limit (none
# set), the six others.
POINTS = 8


class Serve:
    """goscope serve with --otlp; stderr to a file."""

    def __init__(self, args, tmp_path):
        self.err = tmp_path / f"serve-{time.monotonic_ns()}.stderr"
        self.proc = subprocess.Popen([str(GOSCOPE), "serve"] + [str(a) for a in args],
                                     stdout=subprocess.DEVNULL, stderr=open(self.err, "w"))
        assert wait_for(lambda: "pushing OTLP" in self.stderr() or self.proc.poll() is not None,
                        20), self.stderr()
        assert self.proc.poll() is None, self.stderr()
        m = re.search(r"serving http://(\S+)/metrics", self.stderr())
        self.addr = m.group(1) if m else None

    def stderr(self):
        return self.err.read_text()

    def scrape(self):
        with urllib.request.urlopen(f"http://{self.addr}/metrics", timeout=5) as r:
            return r.read().decode()

    def counter(self, name, text=None, **labels):
        """One counter, from `text` (an exposition already scraped) or from a new scrape."""
        want = ",".join(f'{k}="{v}"' for k, v in labels.items())
        m = re.search(rf"^{name}(?:{{{want}}})? (\d+)$", text or self.scrape(), re.M)
        assert m, f"{name}{{{want}}} not in the exposition"
        return int(m.group(1))

    def stop(self, sig=signal.SIGINT):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=15)


@pytest.fixture
def serve(tmp_path):
    yield from factory(lambda args: Serve(args, tmp_path), kill_if_running)


@pytest.fixture
def receiver():
    made = []

    def start(**kw):
        rx = OtlpReceiver(**kw).start()
        made.append(rx)
        return rx

    yield start
    for rx in made:
        rx.stop()


def clock_ns(clock):
    return time.clock_gettime_ns(clock)


def start_unix_ns(pid):
    """When the process started, as goscope should compute it: boot time plus start ticks."""
    ticks = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[19])
    boot_ns = ticks * (10**9 // os.sysconf("SC_CLK_TCK"))
    return clock_ns(time.CLOCK_REALTIME) - (clock_ns(time.CLOCK_BOOTTIME) - boot_ns)


def listening_ports(pid):
    """TCP ports the process listens on (its socket inodes in /proc/net/tcp{,6})."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        link = os.readlink(f"/proc/{pid}/fd/{fd}")
        if link.startswith("socket:["):
            inodes.add(int(link[8:-1]))
    ports = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in open(table).read().splitlines()[1:]:
            f = line.split()
            if f[3] == "0A" and int(f[9]) in inodes:
                ports.append(int(f[1].rsplit(":", 1)[1], 16))
    return ports


def now_ns():
    return clock_ns(time.CLOCK_REALTIME)


def fresh(rx, pids, since_ns):
    """The newest points of every pid, once each has points sampled after since_ns (wall time)."""
    def ready():
        return pids <= {p["resource"]["process.pid"] for p in rx.points() if p["time"] > since_ns}
    assert wait_for(ready, 20, step=0.1), f"no new push: {len(rx.requests())} requests"
    return {pid: rx.latest(pid) for pid in pids}


def value(points, key):
    assert key in points, f"{key} not pushed: {sorted(map(str, points))}"
    return points[key]["value"]


# The runtime/metrics values the pushed points are compared with (not /cpu/classes/..., which
# the quiescent workload's spinners keep moving).
COMPARED = ["/memory/classes/heap/stacks:bytes", "/memory/classes/total:bytes",
            "/memory/classes/heap/released:bytes", "/gc/heap/allocs:bytes",
            "/gc/heap/allocs:objects", "/gc/heap/goal:bytes", "/sched/goroutines:goroutines"]


def bracketed(rx, q, tries=10):
    """A sample goscope pushed between two snapshots of the runtime that agree: the background
    scavenger may return memory to the OS at any time, so a sample is compared with the runtime
    only when nothing moved around it. Returns ({key: point} of that sample, the snapshot)."""
    for _ in range(tries):
        first = q.snapshot()
        after = now_ns()
        fresh(rx, {q.pid}, after)
        before = now_ns()
        second = q.snapshot()
        if [first["metrics"][k] for k in COMPARED] != [second["metrics"][k] for k in COMPARED]:
            continue
        inside = {}
        for p in rx.points():
            if p["resource"].get("process.pid") == q.pid and after < p["time"] < before:
                key = (p["name"],) + tuple(sorted(p["attributes"].values())) \
                    if p["attributes"] else p["name"]
                inside[key] = p
        return inside, first
    raise AssertionError(f"PID {q.pid}: its runtime never held still across a push")


def check_against_runtime(points, snap, minor):
    """Each pushed value equals the runtime's own value of the metric the convention names."""
    m = snap["metrics"]
    assert value(points, ("go.memory.used", "stack")) == m["/memory/classes/heap/stacks:bytes"]
    assert value(points, ("go.memory.used", "stack")) + value(points, ("go.memory.used", "other")) \
        == m["/memory/classes/total:bytes"] - m["/memory/classes/heap/released:bytes"]
    assert value(points, "go.memory.allocated") == m["/gc/heap/allocs:bytes"]
    assert value(points, "go.memory.allocations") == m["/gc/heap/allocs:objects"]
    assert value(points, "go.memory.gc.goal") == m["/gc/heap/goal:bytes"]
    assert value(points, "go.goroutine.count") == m["/sched/goroutines:goroutines"]
    assert value(points, "go.processor.limit") == snap["gomaxprocs"]
    assert value(points, "go.config.gogc") == snap.get("gogc", 100)
    assert "go.memory.limit" not in points, "no limit is set: the convention leaves it out"


def test_push_only_matches_runtime(quiescent, serve, receiver):
    """Push only: no scrape endpoint; every Go release's values equal its runtime's."""
    rx = receiver()
    qs = {m: quiescent(m, extra=["-alloc", "8"]) for m in GO_MINORS}
    pids = {q.pid for q in qs.values()}
    s = serve(["--otlp", f"http://127.0.0.1:{rx.port}", "-i", "500ms"] + sorted(pids))
    assert "serving http://" not in s.stderr() and listening_ports(s.proc.pid) == []
    assert f"pushing OTLP metrics to http://127.0.0.1:{rx.port}/v1/metrics" in s.stderr()
    fresh(rx, pids, 0)
    host = socket.gethostname()
    for minor, q in qs.items():
        points, snap = bracketed(rx, q)
        check_against_runtime(points, snap, minor)
        p = points["go.goroutine.count"]
        res = p["resource"]
        assert res["process.runtime.version"].startswith(f"go1.{minor}")
        assert res["process.runtime.name"] == "go" and res["host.name"] == host
        assert res["process.executable.name"] == res["service.name"] == "quiescent"
        assert res["service.instance.id"] == f"{host}/{q.pid}"
        assert p["scope"] == "goscope" and p["schema_url"].startswith("https://opentelemetry.io/")
        assert abs(p["start"] - start_unix_ns(q.pid)) < 50_000_000
        assert abs(p["time"] - now_ns()) < 5 * 10**9
    # What a program changes about itself shows in the next push (SIGUSR2: GOMAXPROCS 1, GOGC 50,
    # a 512 MiB memory limit).
    q = qs[NEWEST]
    snap = q.snapshot(signal.SIGUSR2)
    points = fresh(rx, {q.pid}, now_ns())[q.pid]
    assert value(points, "go.memory.limit") == snap["memory_limit"] == 512 << 20
    assert value(points, "go.config.gogc") == 50 and value(points, "go.processor.limit") == 1
    # Every request carried the content type, the user agent and the processes' points.
    for r in rx.requests():
        assert r.headers["Content-Type"] == "application/x-protobuf"
        assert r.headers["User-Agent"].startswith("goscope/")
    start = time.monotonic()
    assert s.stop() == 0 and time.monotonic() - start < 5


def dropped(s, text=None):
    """Dropped data points over every reason, all read from one exposition (the counters keep
    moving between scrapes)."""
    text = text or s.scrape()
    return sum(s.counter("goscope_otlp_dropped_points_total", text, reason=r)
               for r in ("queue_full", "retries_exhausted", "rejected", "shutdown"))


def timed_scrape(s):
    start = time.monotonic()
    text = s.scrape()
    return time.monotonic() - start, text


def test_receiver_down_then_back(quiescent, serve, receiver):
    """Beside the scrape endpoint: the receiver stops, the queue fills and drops its oldest
    requests (counted, reported on stderr a few times, not per request), scrapes are answered at
    once meanwhile; the receiver comes back and pushes resume, the backlog first. At the end every
    data point goscope made is either in the receiver or counted as dropped."""
    rx = receiver()
    qs = [quiescent(m) for m in (GO_MINORS[0], NEWEST)]
    pids = {q.pid for q in qs}
    s = serve(["--listen", "127.0.0.1:0", "--otlp", rx.url, "-i", "100ms", "-v"] + sorted(pids))
    assert s.addr and listening_ports(s.proc.pid) == [int(s.addr.rsplit(":", 1)[1])]
    fresh(rx, pids, 0)
    assert wait_for(lambda: s.counter("goscope_otlp_pushed_points_total") > 0, 10)
    assert dropped(s) == 0
    rx.stop()
    assert refused(rx.port)
    down = time.monotonic()
    # 64 requests wait at most: at 10 requests a second the queue is full in about 6.4 s.
    worst = 0
    while dropped(s) == 0 and time.monotonic() - down < 30:
        took, _ = timed_scrape(s)
        worst = max(worst, took)
        time.sleep(0.2)
    text = s.scrape()
    assert dropped(s, text) > 0 and s.counter("goscope_otlp_dropped_points_total", text,
                                              reason="queue_full") == dropped(s, text)
    assert s.counter("goscope_otlp_queued_requests") == 64
    assert worst < 1, f"a scrape took {worst:.3f} s while the receiver was down"
    for _ in range(20):
        took, text = timed_scrape(s)
        assert took < 1 and "go_goroutines{" in text
        time.sleep(0.1)
    assert wait_for(lambda: "data points dropped" in s.stderr(), 15)
    assert "failing: " in s.stderr() and "Couldn't connect to server" in s.stderr()
    before = len(rx.requests())
    rx.start()
    up = time.monotonic()
    # The backoff grew while it was down (1, 2, 4, 8, 10 s, ±50 %): within 15 s it tries again.
    assert wait_for(lambda: len(rx.requests()) > before + 64, 40, step=0.2), \
        f"{len(rx.requests()) - before} requests after the receiver came back"
    assert wait_for(lambda: "works again" in s.stderr(), 5)
    assert wait_for(lambda: s.counter("goscope_otlp_queued_requests") <= 1, 10)
    log = s.stderr()
    reports = log.count("data points dropped")
    assert 1 <= reports <= 2 + (time.monotonic() - down) / 10, log
    assert s.stop() == 0
    log = s.stderr()
    m = re.search(r"(\d+) data points pushed in (\d+) requests, (\d+) dropped", log)
    assert m, log
    pushed, requests, lost = map(int, m.groups())
    got = sum(len(r.points()) for r in rx.requests())
    assert pushed == got and requests == len(rx.requests())
    assert lost > 0 and (pushed + lost) % POINTS == 0
    assert time.monotonic() - up < 60


def answer(status, headers=None, body=b""):
    return lambda msg: (status, headers or {}, body)


def gaps(attempts, first, n):
    """Seconds between the attempts first, first+1, ... (n of them)."""
    t = [a.time for a in attempts[first:first + n + 1]]
    return [b - a for a, b in zip(t, t[1:])]


def test_retry_rules(quiescent, serve, receiver):
    """As the OTLP specification says: 503 and 429 are retried, after Retry-After when given,
    else with a growing backoff; 400 is not retried, its points dropped as rejected; a partial
    success drops the points the receiver names. The headers given arrive with every request."""
    from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as ms
    rx = receiver(path="/otlp/v1/metrics")
    q = quiescent(NEWEST)
    rx.respond = answer(503, {"Retry-After": "2"}, b"busy")
    s = serve(["--listen", "127.0.0.1:0", "--otlp", rx.url, "-i", "2s", "-v",
               "--otlp-header", "Authorization=Bearer s3cret", "--otlp-header", "X-Scope-OrgID=7",
               q.pid])
    assert wait_for(lambda: len(rx.attempts) >= 3, 15)
    rx.respond = None
    # The same request each time, two seconds apart (Retry-After), then delivered.
    assert all(1.9 < g < 3.5 for g in gaps(rx.attempts, 0, 2)), gaps(rx.attempts, 0, 2)
    assert rx.attempts[0].msg == rx.attempts[1].msg == rx.attempts[2].msg
    assert wait_for(lambda: len(rx.requests()) >= 1, 5)
    assert rx.requests()[0].msg == rx.attempts[0].msg
    assert "HTTP 503: busy; retrying with backoff" in s.stderr()
    for a in rx.attempts:
        assert a.headers["Authorization"] == "Bearer s3cret" and a.headers["X-Scope-OrgID"] == "7"
    assert wait_for(lambda: "works again" in s.stderr(), 5)
    # 429 without Retry-After: the backoff (1 s, then 2 s, each ±50 %).
    n = len(rx.attempts)
    rx.respond = answer(429)
    assert wait_for(lambda: len(rx.attempts) >= n + 3, 20)
    g = gaps(rx.attempts, n, 2)
    assert 0.45 < g[0] < 2 and 0.95 < g[1] < 3.5, g
    # 400: not retried; its points are dropped as rejected.
    rx.respond = answer(400, {"Content-Type": "text/plain"}, b"bad data\nsecond line")
    n = len(rx.attempts)
    assert wait_for(lambda: len(rx.attempts) >= n + 2, 15)
    assert wait_for(lambda: "rejected in all; last error: HTTP 400: bad data)" in s.stderr(), 12)
    # Partial success: 3 of the points rejected, the rest pushed.
    partial = ms.ExportMetricsServiceResponse()
    partial.partial_success.rejected_data_points = 3
    partial.partial_success.error_message = "three too many"
    rx.respond = answer(200, {"Content-Type": "application/x-protobuf"},
                        partial.SerializeToString())
    n = len(rx.attempts)
    assert wait_for(lambda: len(rx.attempts) >= n + 2, 15)
    rx.respond = None
    assert s.stop() == 0
    # Every point accounted for, by the answer each attempt had.
    m = re.search(r"(\d+) data points pushed in (\d+) requests, (\d+) dropped \(([^)]*)\)",
                  s.stderr())
    assert m, s.stderr()
    by_status = {}
    for a in rx.attempts:
        by_status.setdefault((a.status, a.answer), []).append(a)
    n400 = len(by_status[(400, b"bad data\nsecond line")])
    npartial = len(by_status[(200, partial.SerializeToString())])
    nok = len(rx.requests()) - npartial
    assert int(m.group(1)) == POINTS * nok + (POINTS - 3) * npartial
    assert int(m.group(2)) == len(rx.requests())
    assert f"{POINTS * n400 + 3 * npartial} rejected" in m.group(4)
    # A 400 is never retried: each one answered a different request.
    bad = [a.msg.SerializeToString() for a in by_status[(400, b"bad data\nsecond line")]]
    assert len(set(bad)) == len(bad)


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def pki(tmp_path):
    """A CA, a server certificate for 127.0.0.1 and a client certificate, made by openssl."""
    d = tmp_path / "pki"
    d.mkdir()
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=goscope test CA", cwd=d)
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1"), ("client", "extendedKeyUsage=clientAuth")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
                f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
        (d / f"{name}.ext").write_text(ext + "\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext",
                cwd=d)
    return d


def test_https_private_ca_and_client_certificate(quiescent, serve, receiver, pki, tmp_path):
    q = quiescent(NEWEST)
    # A receiver that wants a client certificate: with --otlp-ca and --otlp-cert/--otlp-key, pushed.
    rx = receiver(tls=(pki / "server.pem", pki / "server.key", pki / "ca.pem"))
    assert rx.url.startswith("https://")
    s = serve(["--otlp", rx.url, "-i", "300ms", "--otlp-ca", pki / "ca.pem",
               "--otlp-cert", pki / "client.pem", "--otlp-key", pki / "client.key", q.pid])
    fresh(rx, {q.pid}, 0)
    assert "failing" not in s.stderr()
    assert s.stop() == 0
    # Without the client certificate: the handshake fails, and says so.
    s = serve(["--otlp", rx.url, "-i", "300ms", "--otlp-ca", pki / "ca.pem", "-v", q.pid])
    assert wait_for(lambda: "failing: " in s.stderr(), 10), s.stderr()
    assert s.stop() == 0
    # Without the private CA, the server is not trusted.
    rx2 = receiver(tls=(pki / "server.pem", pki / "server.key", None))
    s = serve(["--otlp", rx2.url, "-i", "300ms", q.pid])
    assert wait_for(lambda: "failing: " in s.stderr(), 10), s.stderr()
    assert re.search(r"failing: .*(certificate|issuer|verif)", s.stderr(), re.I), s.stderr()
    assert rx2.requests() == []
    assert s.stop() == 0


@pytest.mark.parametrize("args,code,says", [
    (["--otlp", "127.0.0.1:4318"], 2, "invalid --otlp URL '127.0.0.1:4318'"),
    (["--otlp", "ftp://127.0.0.1/x"], 2, "not http:// or https://"),
    (["--otlp", "http://"], 2, "invalid --otlp URL"),
    (["--otlp", "http://user:pw@127.0.0.1:4318"], 2, "no credentials in the URL"),
    (["--otlp", "http://127.0.0.1:1", "--otlp", "http://127.0.0.1:2"], 2, "--otlp given twice"),
    (["--otlp", "http://127.0.0.1:1", "--otlp-header", "Authorization"], 2,
     "invalid --otlp-header 'Authorization': write it as Name=Value"),
    (["--otlp", "http://127.0.0.1:1", "--otlp-header", "Bad Name=x"], 2, "invalid --otlp-header"),
    (["--otlp", "http://127.0.0.1:1", "--otlp-header", "X=a\nb"], 2, "control character"),
    (["--otlp", "http://127.0.0.1:1", "--otlp-header", "Content-Type=text/plain"], 2,
     "goscope sets it"),
    (["--otlp-header", "A=b"], 2, "the --otlp-* options need --otlp URL"),
    (["--otlp", "http://127.0.0.1:1", "--otlp-ca", "/etc/hostname"], 2, "are for an https:// URL"),
    (["--otlp", "https://127.0.0.1:1", "--otlp-ca", "/nonexistent.pem"], 1,
     "cannot read --otlp-ca /nonexistent.pem: No such file or directory"),
    (["--otlp", "https://127.0.0.1:1", "--otlp-key", "/etc/hostname"], 2, "--otlp-key needs --otlp-cert"),
    (["--otlp", "http://127.0.0.1:1", "--otlp-timeout", "0"], 2, "invalid --otlp-timeout '0'"),
    (["--otlp", "http://127.0.0.1:1", "--web.config.file", "/nonexistent.yml"], 2,
     "--web.config.file is for the scrape endpoint, which --otlp alone does not open"),
])
def test_bad_options(args, code, says, quiescent):
    q = quiescent(NEWEST)
    res = run_goscope(["serve"] + args + [q.pid], timeout=20)
    lines = res.stderr.strip().splitlines()
    assert res.returncode == code and len(lines) == 1 and says in lines[0], res


def test_stop_flushes_briefly(quiescent, serve, receiver):
    """SIGTERM: what is queued gets one short try; a receiver that is gone costs at most the
    flush deadline, and what could not be sent is counted as dropped at shutdown."""
    rx = receiver()
    q = quiescent(NEWEST)
    s = serve(["--otlp", rx.url, "-i", "200ms", "-v", q.pid])
    fresh(rx, {q.pid}, 0)
    rx.stop()
    assert wait_for(lambda: "failing: " in s.stderr(), 10)
    start = time.monotonic()
    assert s.stop(signal.SIGTERM) == 0
    took = time.monotonic() - start
    assert took < 4, f"stopping took {took:.1f} s"
    m = re.search(r"(\d+) dropped \(([^)]*)\)$", s.stderr(), re.M)
    assert m and "shutdown" in m.group(2), s.stderr()
    # A slow receiver (0.4 s an answer, 5 requests a second): at SIGTERM a request is being sent
    # and more wait; goscope still ends within the flush deadline, and what it says it pushed
    # is what the receiver has.
    rx = receiver()

    def slow(msg):
        time.sleep(0.4)
        return 200, {"Content-Type": "application/x-protobuf"}, b""
    rx.respond = slow
    s = serve(["--otlp", rx.url, "-i", "200ms", "-v", q.pid])
    assert wait_for(lambda: len(rx.requests()) >= 3, 10)
    start = time.monotonic()
    assert s.stop(signal.SIGTERM) == 0
    assert time.monotonic() - start < 4
    m = re.search(r"(\d+) data points pushed in (\d+) requests", s.stderr())
    assert m and int(m.group(2)) == len(rx.requests()), s.stderr()


def test_no_path_means_v1_metrics(quiescent, serve, receiver):
    rx = receiver(path="/v1/metrics")
    q = quiescent(NEWEST)
    s = serve(["--otlp", f"http://127.0.0.1:{rx.port}", "-i", "300ms", q.pid])
    fresh(rx, {q.pid}, 0)
    assert rx.requests()[0].path == "/v1/metrics"
    assert s.stop() == 0
    # A path, even "/", is used as it is.
    rx_root = receiver(path="/")
    s = serve(["--otlp", f"http://127.0.0.1:{rx_root.port}/", "-i", "300ms", q.pid])
    fresh(rx_root, {q.pid}, 0)
    assert s.stop() == 0


def test_host_name_in_a_uts_namespace_of_its_own(quiescent, receiver, tmp_path):
    """goscope in a UTS namespace of its own, as in a pod without hostNetwork, whose host name is
    the pod's: host.name is still the machine's (its /etc/hostname, through /proc/1/root when
    that can be read: this VM refuses PID 1's root even to root, so here it is /etc/hostname)."""
    rx = receiver()
    q = quiescent(NEWEST)
    err = open(tmp_path / "serve.err", "w")
    p = subprocess.Popen(["unshare", "--uts", "sh", "-c", f"hostname goscope-pod-7 && exec "
                          f"{GOSCOPE} serve --otlp {rx.url} -i 300ms {q.pid}"],
                         stdout=subprocess.DEVNULL, stderr=err)
    try:
        fresh(rx, {q.pid}, 0)
    finally:
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=15) == 0
    try:
        want = open("/proc/1/root/etc/hostname").readline().strip()
    except PermissionError:
        want = open("/etc/hostname").readline().strip()
    assert want and want != "goscope-pod-7"
    res = rx.latest(q.pid)["go.goroutine.count"]["resource"]
    assert res["host.name"] == want and res["service.instance.id"] == f"{want}/{q.pid}"
