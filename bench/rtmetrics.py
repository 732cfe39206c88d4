#!/usr/bin/env python3
"""What reading all of runtime/metrics and MemStats costs (numbers, not pass/fail).

    bench/rtmetrics.py [--build DIR] [--out FILE] [--smoke]

goscope reads every runtime/metrics metric (histograms included) and every MemStats field of a
target with process_vm_readv only: no probe, no stop, nothing written. bench/sampler_bench runs
the engine's sampling loop exactly as stat, record, serve and top do, with (-m) and without the
full read. Three sections:

  read    one quiescent target per Go release of the matrix, sampled 10 times a second for
          --secs seconds without and with the full read: agent CPU per tick, so the difference
          is the cost of one full read of that release's metrics.
  fleet   --procs quiescent targets of every release at once, sampled at 1 Hz (the default
          interval) for --secs seconds, without and with, alternating --rounds times: goscope's
          CPU as a share of one CPU, and per process per tick.
  target  manyg -n 10000 -work (a CPU + allocation loop printing its operations per second)
          sampled at 10 Hz with the full read, in phases alternating with none: the throughput
          ratio with/without, and every thread's state polled at 50 Hz: a stopped thread (T, t)
          would be counted.

Writes a Markdown report to --out (default DIR/bench/rtmetrics.md) and stdout; progress on
stderr. --smoke shrinks everything to seconds so the script keeps working (the tests run it).
"""
import argparse
import glob
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(msg):
    print("rtmetrics: " + msg, file=sys.stderr, flush=True)


def releases(build):
    out = []
    for d in sorted(glob.glob(os.path.join(build, "targets", "go1.*"))):
        minor = int(d.rsplit(".", 1)[1])
        if os.path.exists(os.path.join(d, "default", "quiescent")):
            out.append(minor)
    return sorted(out)


class Quiescent:
    def __init__(self, build, minor, tmp):
        path = os.path.join(build, "targets", f"go1.{minor}", "default", "quiescent")
        self.out = os.path.join(tmp, f"q{minor}-{time.monotonic_ns()}.json")
        self.p = subprocess.Popen([path, "-out", self.out, "-chan", "10", "-sleep", "5", "-alloc", "8",
                                   "-gc", "2"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True)
        line = self.p.stdout.readline()
        if not line.strip().endswith("ready"):
            raise SystemExit(f"rtmetrics: quiescent go1.{minor} did not start: {line!r}")
        self.pid = self.p.pid

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=10)


def sampler(build, pids, rate, secs, metrics):
    cmd = [os.path.join(build, "bench", "sampler_bench")] + (["-m"] if metrics else []) + \
        [",".join(str(p) for p in pids), str(rate), str(secs)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=secs * 3 + 60)
    if res.returncode:
        raise SystemExit(f"rtmetrics: {' '.join(cmd)}: {res.stderr.strip()}")
    line = res.stdout.strip()
    m = re.search(r"cpu/sample ([0-9.]+) us.*metrics (\d+)\s+cpu ([0-9.]+) %", line)
    samples = int(re.search(r"samples (\d+)", line).group(1))
    if metrics and int(m.group(2)) != samples:
        raise SystemExit(f"rtmetrics: only {m.group(2)} of {samples} samples read the metrics: {line}")
    return {"tick_us": float(m.group(1)), "proc_tick_us": float(m.group(1)), "cpu_pct": float(m.group(3))}


def section_read(a, build, tmp):
    rows = []
    for minor in releases(build):
        q = Quiescent(build, minor, tmp)
        try:
            base = sampler(build, [q.pid], 10, a.secs, False)
            full = sampler(build, [q.pid], 10, a.secs, True)
        finally:
            q.stop()
        rows.append((minor, base["tick_us"], full["tick_us"]))
        log(f"read go1.{minor}: {base['tick_us']:.0f} -> {full['tick_us']:.0f} us/tick")
    lines = ["## One full read per target", "",
             f"One quiescent target (10 parked, 5 sleeping goroutines), sampled at 10 Hz for {a.secs} s.",
             "", "| Go | CPU per tick, gauges only | with all of runtime/metrics and MemStats | one full read |",
             "|---|---|---|---|"]
    for minor, b, f in rows:
        lines.append(f"| 1.{minor} | {b:.0f} us | {f:.0f} us | {f - b:+.0f} us |")
    return lines


def section_fleet(a, build, tmp):
    minors = releases(build)
    qs = []
    try:
        for i in range(a.procs):
            qs.append(Quiescent(build, minors[i % len(minors)], tmp))
        pids = [q.pid for q in qs]
        got = {False: [], True: []}
        for r in range(a.rounds):
            for metrics in (False, True):
                res = sampler(build, pids, 1, a.secs, metrics)
                got[metrics].append(res)
                log(f"fleet round {r + 1} {'with' if metrics else 'without'}: {res['cpu_pct']:.2f} % CPU")
    finally:
        for q in qs:
            q.stop()
    med = {k: (statistics.median(x["cpu_pct"] for x in v), statistics.median(x["proc_tick_us"] for x in v))
           for k, v in got.items()}
    return ["## 50 targets at 1 Hz" if a.procs == 50 else f"## {a.procs} targets at 1 Hz", "",
            f"{a.procs} quiescent targets, every release of the matrix, sampled once a second for "
            f"{a.secs} s, {a.rounds} rounds alternating (medians).", "",
            "| | goscope CPU, % of one CPU | per process sampled |", "|---|---|---|",
            f"| gauges only (before) | {med[False][0]:.2f} % | {med[False][1]:.0f} us |",
            f"| all of runtime/metrics and MemStats (after) | {med[True][0]:.2f} % | {med[True][1]:.0f} us |"]


def thread_states(pid):
    states = []
    for t in glob.glob(f"/proc/{pid}/task/*/stat"):
        try:
            with open(t) as f:
                states.append(f.read().rsplit(")", 1)[1].split()[0])
        except OSError:
            pass
    return states


def section_target(a, build, tmp):
    path = os.path.join(build, "targets", "manyg")
    p = subprocess.Popen([path, "-n", "10000", "-work"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True)
    rates, stop, polls, stopped = [], threading.Event(), [0], [0]

    def reader():
        for line in p.stdout:
            m = re.match(r"ops (\d+)", line)
            if m:
                rates.append((time.monotonic(), float(m.group(1))))

    def poller():
        while not stop.is_set():
            st = thread_states(p.pid)
            polls[0] += 1
            stopped[0] += sum(1 for s in st if s in ("T", "t"))
            time.sleep(0.02)

    threading.Thread(target=reader, daemon=True).start()
    threading.Thread(target=poller, daemon=True).start()
    time.sleep(2)
    phases = []
    try:
        for r in range(a.rounds):
            for metrics in (False, True):
                t0 = time.monotonic()
                if metrics:
                    sampler(build, [p.pid], 10, a.secs, True)
                else:
                    time.sleep(a.secs)
                t1 = time.monotonic()
                ops = [v for t, v in rates if t0 + 1 <= t <= t1]
                phases.append((metrics, statistics.median(ops) if ops else float("nan")))
                log(f"target round {r + 1} {'with' if metrics else 'without'}: {phases[-1][1]:.0f} ops/s")
    finally:
        stop.set()
        p.terminate()
        p.wait(timeout=10)
    ratios = []
    for i, (metrics, v) in enumerate(phases):
        if metrics and i > 0:
            ratios.append(v / phases[i - 1][1])
    spread = f"{min(ratios):.3f}-{max(ratios):.3f}" if ratios else "-"
    return ["## The target", "",
            f"manyg -n 10000 -work, sampled at 10 Hz with the full read, {a.rounds} "
            f"phases of {a.secs} s against the phases without before them.", "",
            f"- throughput with/without: median {statistics.median(ratios) if ratios else float('nan'):.3f} "
            f"(range {spread})",
            f"- thread states polled {polls[0]} times at 50 Hz: {stopped[0]} stopped or traced threads seen"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("GOSCOPE_BUILD", os.path.join(REPO, "build")))
    ap.add_argument("--out")
    ap.add_argument("--smoke", action="store_true")
    a = ap.parse_args()
    a.secs, a.procs, a.rounds = (2, 4, 1) if a.smoke else (10, 50, 3)
    out = a.out or os.path.join(a.build, "bench", "rtmetrics.md")
    with tempfile.TemporaryDirectory() as tmp:
        lines = ["# runtime/metrics from outside: what it costs", ""]
        lines += section_read(a, a.build, tmp) + [""]
        lines += section_fleet(a, a.build, tmp) + [""]
        lines += section_target(a, a.build, tmp) + [""]
    text = "\n".join(lines)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
