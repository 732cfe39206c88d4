#!/usr/bin/env python3
"""Scrape latency of `goscope serve` over TLS with basic auth against plain HTTP, in one run.

    bench/scrape_tls.py [--build DIR] [--targets 50] [--scrapes 300]

One goscope serve watches N Go processes (tests/targets/churn of every built release, round robin,
at 0.5 MiB/s: a GC cycle every few seconds, as bench/perf.py's footprint section runs them); the
scrape endpoint is scraped alternately plain and over TLS (a CA and certificate made by openssl
here, a bcrypt user), several rounds each, both on a kept-alive connection (what Prometheus does)
and on a new connection per scrape (a TLS handshake each). Prints the median and 99th percentile
per mode, the TLS/plain ratio, and goscope's CPU time per scrape and RSS in each mode. Numbers,
not pass/fail; needs root and the built targets (tests/build-targets.sh DIR).
"""
import argparse
import base64
import glob
import http.client
import os
import re
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "bench-password"


def openssl(d, *args):
    subprocess.run(["openssl"] + list(args), cwd=d, check=True, capture_output=True)


def make_pki(d):
    openssl(d, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=bench CA")
    with open(os.path.join(d, "ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    openssl(d, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "s.key", "-out", "s.csr", "-subj", "/CN=localhost")
    openssl(d, "x509", "-req", "-in", "s.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "s.crt", "-extfile", "ext", "-days", "1")
    h = crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10))
    cfg = os.path.join(d, "web.yml")
    with open(cfg, "w") as f:
        f.write(f"tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n"
                f"basic_auth_users:\n  prom: {h}\n")
    os.chmod(cfg, 0o600)
    return cfg, os.path.join(d, "ca.crt")


def serve(build, pids, extra, err):
    p = subprocess.Popen([os.path.join(build, "goscope"), "serve", "--listen", "127.0.0.1:0"] +
                         extra + [str(x) for x in pids], stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        m = re.search(r"serving https?://127\.0\.0\.1:(\d+)/metrics", open(err.name).read())
        if m:
            return p, int(m.group(1))
        time.sleep(0.1)
    sys.exit("scrape_tls: goscope serve did not start: " + open(err.name).read())


def cpu_s(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def scrape_times(port, tls_ctx, n, keepalive):
    headers = {}
    if tls_ctx:
        headers["Authorization"] = "Basic " + base64.b64encode(f"prom:{PASSWORD}".encode()).decode()
    conn, out, size = None, [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        if conn is None:
            conn = (http.client.HTTPSConnection("127.0.0.1", port, context=tls_ctx, timeout=10)
                    if tls_ctx else http.client.HTTPConnection("127.0.0.1", port, timeout=10))
        conn.request("GET", "/metrics", headers=headers)
        r = conn.getresponse()
        body = r.read()
        out.append(time.perf_counter() - t0)
        assert r.status == 200, r.status
        size = len(body)
        if not keepalive:
            conn.close()
            conn = None
    if conn:
        conn.close()
    return out, size


def pctl(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--targets", type=int, default=50)
    ap.add_argument("--scrapes", type=int, default=300, help="per mode and round")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    churns = sorted(glob.glob(os.path.join(a.build, "targets/go1.*/default/churn")))
    if not churns:
        sys.exit(f"scrape_tls: no targets in {a.build}/targets: run tests/build-targets.sh {a.build}")
    tmp = tempfile.mkdtemp(prefix="gs-scrape-")
    cfg, ca = make_pki(tmp)
    targets = [subprocess.Popen([churns[i % len(churns)], "-rate", "0.5", "-workers", "1",
                                 "-force", "0", "-min-live", "2", "-max-live", "8"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for i in range(a.targets)]
    procs = []
    try:
        time.sleep(2)
        pids = [t.pid for t in targets]
        plain, pport = serve(a.build, pids, [], open(os.path.join(tmp, "plain.err"), "w"))
        tls, tport = serve(a.build, pids, ["--web.config.file", cfg],
                           open(os.path.join(tmp, "tls.err"), "w"))
        procs = [plain, tls]
        ctx = ssl.create_default_context(cafile=ca)
        time.sleep(3)
        modes = {"plain, kept-alive": (plain, pport, None, True),
                 "TLS + basic auth, kept-alive": (tls, tport, ctx, True),
                 "plain, new connection": (plain, pport, None, False),
                 "TLS + basic auth, new connection": (tls, tport, ctx, False)}
        res = {m: [] for m in modes}
        cpu = {m: 0.0 for m in modes}
        size = 0
        for _ in range(a.rounds):
            for m, (p, port, c, keep) in modes.items():
                c0 = cpu_s(p.pid)
                ts, size = scrape_times(port, c, a.scrapes, keep)
                cpu[m] += cpu_s(p.pid) - c0
                res[m] += ts
        print(f"goscope serve, {a.targets} Go processes ({len(churns)} releases), exposition {size / 1024:.0f} KiB, {a.rounds} rounds x {a.scrapes} scrapes per mode\n")
        print("| mode | median | p99 | goscope CPU per scrape | goscope RSS |")
        print("|---|---|---|---|---|")
        for m, (p, *_rest) in modes.items():
            xs = res[m]
            print(f"| {m} | {statistics.median(xs) * 1e3:.2f} ms | {pctl(xs, 0.99) * 1e3:.2f} ms | "
                  f"{cpu[m] / len(xs) * 1e3:.2f} ms | {rss_mib(p.pid):.1f} MiB |")
        for kind in ("kept-alive", "new connection"):
            r = statistics.median(res[f"TLS + basic auth, {kind}"]) / statistics.median(res[f"plain, {kind}"])
            print(f"\nTLS/plain median latency ratio, {kind}: {r:.2f}")
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=20)
        for t in targets:
            t.kill()
            t.wait()


if __name__ == "__main__":
    main()
