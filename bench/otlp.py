#!/usr/bin/env python3
"""OTLP push benchmark (numbers, not pass/fail): bench/otlp.py [BUILD_DIR]   (root, ~5 minutes)

Starts 20 Go processes of mixed Go versions (10 churn paced to 32 MiB/s, 10 quiescent, as
bench/top.sh does) and an OTLP/HTTP receiver on loopback (tests/otlp_receiver.py: it decodes every
request with the OpenTelemetry Python bindings), then runs `goscope serve` on the 20 PIDs:

  1. scrape only (--listen), push only (--otlp), and both: goscope's CPU (utime+stime of all its
     threads, % of one CPU) over a window after a warm-up, its VmRSS at the end and VmHWM, and
     for the push modes the data points and requests the receiver decoded per second;
  2. push only with the receiver stopped for DOWN seconds (default 90: longer than the queue of
     64 one-second requests and the one-minute retry budget), then started again: the data points
     dropped (by reason) and pushed, from goscope's own accounting (its -v summary at exit), and
     the time until pushes resumed.

Prints a Markdown report on stdout. Environment: WARMUP (s, default 5), WINDOW (s, 30),
DOWN (s, 90), INTERVAL (goscope -i, default 1s).
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from otlp_receiver import OtlpReceiver  # noqa: E402

WARMUP = float(os.environ.get("WARMUP", 5))
WINDOW = float(os.environ.get("WINDOW", 30))
DOWN = float(os.environ.get("DOWN", 90))
INTERVAL = os.environ.get("INTERVAL", "1s")
HZ = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / HZ


def status_kib(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None


def start_targets(build, tmp):
    versions = sorted(d for d in (build / "targets").glob("go1.*/default")
                      if (d / "churn").exists() and (d / "quiescent").exists())
    if not versions:
        sys.exit(f"otlp: no targets under {build}/targets: run tests/build-targets.sh {build}")
    procs = []
    for i in range(20):
        d = versions[i % len(versions)]
        if i < 10:
            argv = [d / "churn", "-workers", "1", "-rate", "32", "-max-live", "16"]
        else:
            argv = [d / "quiescent", "-out", tmp / f"q{i}.json", "-chan", "10", "-sleep", "5",
                    "-alloc", "4", "-gc", "1"]
        p = subprocess.Popen([str(a) for a in argv], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        line = p.stdout.readline().decode()
        if "ready" not in line:
            sys.exit(f"otlp: {argv[0]} did not start: {line!r}")
        procs.append(p)
    return procs, len(versions)


class Serve:
    def __init__(self, goscope, args, tmp):
        self.err_path = tmp / f"serve-{time.monotonic_ns()}.err"
        self.p = subprocess.Popen([str(goscope), "serve", "-i", INTERVAL, "-v"] + args,
                                  stdout=subprocess.DEVNULL, stderr=open(self.err_path, "w"))
        end = time.monotonic() + 30
        while not re.search(r"serving http|pushing OTLP", self.err()):
            if self.p.poll() is not None or time.monotonic() > end:
                sys.exit(f"otlp: goscope serve did not start: {self.err()}")
            time.sleep(0.05)

    def err(self):
        return self.err_path.read_text()

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        self.p.wait(timeout=30)
        return self.err()


def measure_mode(goscope, name, args, rx, tmp):
    s = Serve(goscope, args, tmp)
    time.sleep(WARMUP)
    c0, t0 = cpu_seconds(s.p.pid), time.monotonic()
    n0 = len(rx.requests()) if rx else 0
    p0 = sum(len(r.points()) for r in rx.requests()) if rx else 0
    time.sleep(WINDOW)
    c1, t1 = cpu_seconds(s.p.pid), time.monotonic()
    rss, hwm = status_kib(s.p.pid, "VmRSS"), status_kib(s.p.pid, "VmHWM")
    row = [name, f"{100 * (c1 - c0) / (t1 - t0):.2f} %", f"{rss / 1024:.1f} MiB",
           f"{hwm / 1024:.1f} MiB"]
    if rx:
        reqs = rx.requests()
        n1, p1 = len(reqs), sum(len(r.points()) for r in reqs)
        size = sum(int(r.headers.get("Content-Length", 0)) for r in reqs[n0:]) / max(1, n1 - n0)
        row += [f"{(p1 - p0) / (t1 - t0):.1f}", f"{(n1 - n0) / (t1 - t0):.2f}",
                f"{size / 1024:.1f} KiB"]
    else:
        row += ["-", "-", "-"]
    s.stop()
    return row


def measure_outage(goscope, pids, rx, tmp):
    s = Serve(goscope, ["--otlp", rx.url] + pids, tmp)
    time.sleep(WARMUP)
    rx.stop()
    down_at = time.monotonic()
    time.sleep(DOWN)
    before = len(rx.requests())
    rx.start()
    up_at = time.monotonic()
    while len(rx.requests()) == before and time.monotonic() - up_at < 120:
        time.sleep(0.05)
    resumed = time.monotonic() - up_at
    time.sleep(5)
    log = s.stop()
    m = re.search(r"(\d+) data points pushed in (\d+) requests, (\d+) dropped(?: \(([^)]*)\))?",
                  log)
    reports = log.count("data points dropped")
    return dict(down=up_at - down_at, resumed=resumed, summary=m.groups() if m else None,
                reports=reports, received=sum(len(r.points()) for r in rx.requests()))


def main():
    build = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "build").resolve()
    goscope = build / "goscope"
    if os.geteuid() != 0:
        sys.exit("otlp: run as root (goscope attaches its GC probes)")
    tmp = Path(tempfile.mkdtemp(prefix="goscope-otlp-bench-"))
    procs, nversions = start_targets(build, tmp)
    pids = [str(p.pid) for p in procs]
    rx = OtlpReceiver().start()
    try:
        rows = [measure_mode(goscope, "scrape only (--listen)", ["--listen", "127.0.0.1:0"] + pids,
                             None, tmp),
                measure_mode(goscope, "push only (--otlp)", ["--otlp", rx.url] + pids, rx, tmp),
                measure_mode(goscope, "both", ["--listen", "127.0.0.1:0", "--otlp", rx.url] + pids,
                             rx, tmp)]
        rx.received.clear()
        out = measure_outage(goscope, pids, rx, tmp)
    finally:
        rx.stop()
        for p in procs:
            p.kill()
            p.wait()
    print(f"## goscope serve with 20 Go processes ({nversions} Go releases), -i {INTERVAL}, "
          f"{WINDOW:.0f} s windows\n")
    print("| mode | goscope CPU | VmRSS | VmHWM | points/s pushed | requests/s | request size |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print(f"\n## Receiver stopped for {out['down']:.0f} s (push only)\n")
    if out["summary"]:
        pushed, reqs, dropped, reasons = out["summary"]
        print(f"- goscope's account at exit: {pushed} data points pushed in {reqs} requests, "
              f"{dropped} dropped ({reasons or 'none'}); the receiver decoded {out['received']}")
    print(f"- pushes resumed {out['resumed']:.1f} s after the receiver came back")
    print(f"- drop reports on stderr during the outage: {out['reports']}")


if __name__ == "__main__":
    main()
