#!/usr/bin/env python3
"""What `goscope stacks` costs (numbers, not pass/fail): the dump itself, and the program it reads.

    bench/stacks.py [--build DIR] [--out FILE] [--smoke] [--only dump,target]

`goscope stacks` reads every goroutine's stack with process_vm_readv only: no probe, no signal,
nothing written. Two sections (issue 19's cost section), on tests/targets/manyg (newest Go):

  dump    manyg -n N -depth D-1: N goroutines parked on a channel receive, each D frames of
          main.parkAt deep as the dump shows them (plus the runtime's gopark/chanrecv frames, which
          the text dump elides and the pprof profile keeps), for N in 1k, 10k, 100k and D in 10,
          50. Per case and output (text to /dev/null, `-o FILE` pprof), --reps dumps with
          --budget 60s: median and spread of the wall time (fork to exit), goscope's CPU and peak
          RSS (wait4's rusage through a small helper, the largest of the runs). One more text
          dump to a file gives the output's size and checks it: N × D parkAt frames; the pprof
          file is decoded (its goroutine count). Every dump's stderr must be silent about
          goroutines not reached; goscope's exit status must be 0.
  target  manyg -n 10000 -depth 49 -work -gaps: a work loop (allocate 64 B, fill, FNV-hash)
          printing its operations per second, the longest gap between its heartbeats (one every
          256 operations, tens of microseconds apart) and how many gaps reached 1 ms. Phases of
          --phase seconds alternate in one run of the process: none, then --cycles times (with,
          none); "with" starts `goscope stacks PID > /dev/null` (default budget) every second.
          Each with-phase is compared with the mean of the none phases around it. All the while
          every thread's state is polled in /proc (50 Hz): a stopped or traced thread (T, t)
          would be counted. A stopped program shows a gap as long as the stop.

Writes a Markdown report to --out (default DIR/bench/stacks.md) and stdout; progress on stderr.
--smoke runs both sections for seconds with tiny sizes so the script keeps working (the tests
run it); its figures mean nothing. Root is not needed when the targets are your own processes.
"""
import argparse
import glob
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from perf import (Fail, Lines, Report, cpu_seconds, end_process, machine, med,  # noqa: E402
                  mono, spread)

SECTIONS = ["dump", "target"]


def log(msg):
    print("stacks: " + msg, file=sys.stderr, flush=True)


class Manyg:
    """tests/targets/manyg with N parked goroutines; with -work, its per-second lines kept."""

    def __init__(self, path, n, depth, work=False):
        argv = [path, "-n", str(n), "-depth", str(depth)] + (["-work", "-gaps"] if work else [])
        self.argv = argv
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  stdin=subprocess.DEVNULL)
        self.out = Lines(self.p.stdout)
        if not self.out.wait_for(lambda l: l.endswith(" ready"), 120):
            self.stop()
            raise Fail("manyg -n %d did not start" % n)
        self.pid = self.p.pid

    def check(self):
        if self.p.poll() is not None:
            raise Fail("manyg died (status %s)" % self.p.returncode)

    def seconds(self, a, b):
        """The per-second lines that arrived in [a, b]: (ops, maxgap_us, gaps_1ms)."""
        out = []
        for _, line in self.out.between(a, b):
            f = line.split()
            if len(f) == 6 and f[0] == "ops":
                out.append((int(f[1]), int(f[3]), int(f[5])))
        return out

    def stop(self):
        if self.p.poll() is None:
            end_process(self.p, 15, 10)


# A process started from this one inherits its peak RSS: the kernel counts the memory of the
# process that exec'd (this Python, through vfork) in the child's ru_maxrss. So goscope is
# started by a small helper that forks it and reports its rusage and wall time.
RUSAGE_HELPER = r"""
import os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
with open(sys.argv[1], "w") as f:
    f.write("%d %f %f %f %d" % (ru.ru_maxrss, ru.ru_utime, ru.ru_stime, wall,
                                os.waitstatus_to_exitcode(status)))
"""


def run_stacks(ctx, pid, args, stdout, err_path):
    """One `goscope stacks`: (wall s, CPU s, peak RSS KiB, stderr). Fails on a non-zero exit."""
    ru_path = err_path + ".rusage"
    with open(err_path, "w") as err:
        subprocess.run([sys.executable, "-S", "-c", RUSAGE_HELPER, ru_path, ctx.goscope,
                        "stacks"] + args + [str(pid)], stdout=stdout, stderr=err,
                       stdin=subprocess.DEVNULL, check=True)
    rss, utime, stime, wall, rc = open(ru_path).read().split()
    msg = open(err_path).read()
    if int(rc) != 0:
        raise Fail("goscope stacks %s exited %s: %s" % (" ".join(args), rc, msg.strip()))
    return float(wall), float(utime) + float(stime), int(rss), msg


def missed(msg):
    return "not reached" in msg or "kept changing" in msg


# ---------------------------------------------------------------------------------------------
# pprof: just enough protobuf to sum the goroutine counts of a profile

def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7f) << s
        s += 7
        if c < 0x80:
            return v, i


def fields(b):
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        wt = key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        yield key >> 3, wt, v


def pprof_goroutines(path):
    """(goroutines counted, samples, the deepest sample's frames) of a goroutine profile."""
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    total = samples = deepest = 0
    for num, wt, v in fields(data):
        if num != 2 or wt != 2:		# Profile.sample
            continue
        samples += 1
        for snum, swt, sv in fields(v):
            if snum == 1:		# Sample.location_id, packed or not
                deepest_here = 1 if swt == 0 else sum(1 for c in sv if c < 0x80)
                deepest = max(deepest, deepest_here)
            elif snum == 2:		# Sample.value
                if swt == 0:
                    total += sv
                else:
                    j = 0
                    while j < len(sv):
                        x, j = varint(sv, j)
                        total += x
    return total, samples, deepest


def count_in_file(path, needles):
    """Occurrences of each needle in a (possibly large) file, read in chunks."""
    counts = dict.fromkeys(needles, 0)
    keep = max(len(n) for n in needles) - 1
    tail = b""
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 24)
            if not chunk:
                break
            buf = tail + chunk
            for n in needles:
                # Matches that end inside the tail were counted with the previous chunk.
                counts[n] += buf.count(n) - tail.count(n)
            tail = buf[-keep:] if keep else b""
    return counts


# ---------------------------------------------------------------------------------------------

def sec_dump(ctx, rep):
    rep.h("Dump time and goscope's memory")
    rows = []
    for n in ctx.ns:
        for depth in ctx.depths:
            log("dump: %d goroutines, %d frames deep" % (n, depth))
            w = Manyg(ctx.manyg, n, depth - 1)
            try:
                time.sleep(ctx.settle)
                target_rss = status_mib(w.pid)
                for mode in ("text", "pprof"):
                    rows.append(dump_case(ctx, w, n, depth, mode, target_rss))
                    w.check()
            finally:
                w.stop()
    rep.p("`goscope stacks --budget 60s PID` against manyg with N goroutines parked D frames "
          "deep (D frames of main.parkAt, as the text dump shows them; the pprof profile also "
          "keeps runtime.gopark, chanrecv and chanrecv1). %d dumps per row: median wall time "
          "from fork to exit (spread in brackets), goscope's CPU (user + system, median) and the "
          "largest peak RSS (wait4's rusage, taken by a small helper process that starts "
          "goscope: a child of the bench would inherit the bench's own peak). "
          "Text goes to /dev/null for the timing; one more text dump to "
          "a file gives its size and is checked. The rows' few extra goroutines are manyg's own "
          "(main, its signal handler). Every dump was complete: nothing on stderr about "
          "goroutines not reached or changing." % ctx.reps)
    rep.table(["goroutines", "depth", "output", "wall (median)", "wall spread", "goscope CPU",
               "goscope peak RSS", "output size", "goroutines in output", "target RSS"], rows)


def status_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def dump_case(ctx, w, n, depth, mode, target_rss):
    walls, cpus, rsss = [], [], []
    err = os.path.join(ctx.tmp, "stacks.err")
    pb = os.path.join(ctx.tmp, "dump.pb.gz")
    args = ["--budget", "60s"] + (["-o", pb] if mode == "pprof" else [])
    for _ in range(ctx.reps):
        with open(os.devnull, "wb") as null:
            wall, cpu, rss, msg = run_stacks(ctx, w.pid, args, null, err)
        if missed(msg):
            raise Fail("a %s dump of %d goroutines was incomplete: %s" % (mode, n, msg.strip()))
        walls.append(wall)
        cpus.append(cpu)
        rsss.append(rss)
    if mode == "text":
        txt = os.path.join(ctx.tmp, "dump.txt")
        with open(txt, "wb") as f:
            _, _, _, msg = run_stacks(ctx, w.pid, args, f, err)
        if missed(msg):
            raise Fail("the text dump of %d goroutines was incomplete: %s" % (n, msg.strip()))
        size = os.path.getsize(txt)
        c = count_in_file(txt, [b"\ngoroutine ", b"main.parkAt(0x"])
        os.unlink(txt)
        # Every parked goroutine shows depth parkAt frames; each block starts "goroutine ".
        if c[b"main.parkAt(0x"] != n * depth:
            raise Fail("the text dump of %d goroutines shows %d parkAt frames, not %d" %
                       (n, c[b"main.parkAt(0x"], n * depth))
        got = c[b"\ngoroutine "] + (size > 0)
    else:
        size = os.path.getsize(pb)
        got, samples, deepest = pprof_goroutines(pb)
        ctx.raw.append("pprof, %d goroutines, depth %d: %d goroutines in %d samples, deepest "
                       "%d frames" % (n, depth, got, samples, deepest))
        if got < n:
            raise Fail("the pprof profile counts %d goroutines, not at least %d" % (got, n))
    ctx.raw.append("%s, %d goroutines, depth %d: wall %s s, CPU %s s, peak RSS %s KiB" % (
        mode, n, depth, " ".join("%.3f" % x for x in walls), " ".join("%.3f" % x for x in cpus),
        " ".join(str(x) for x in rsss)))
    return [n, depth, mode, fmt_s(med(walls)), "%s–%s" % (fmt_s(min(walls)), fmt_s(max(walls))),
            fmt_s(med(cpus)), "%.1f MiB" % (max(rsss) / 1024), fmt_bytes(size), got,
            "%.0f MiB" % target_rss]


def fmt_s(s):
    return "%.0f ms" % (s * 1e3) if s < 10 else "%.1f s" % s


def fmt_bytes(n):
    for unit, f in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= f:
            return "%.1f %s" % (n / f, unit)
    return "%d B" % n


# ---------------------------------------------------------------------------------------------

class StatePoll:
    """Every thread's state letter of pid, polled in a thread: counts of T (stopped) and t
    (tracing stop) seen, and the number of polls."""

    def __init__(self, pid, hz=50):
        self.pid, self.period = pid, 1.0 / hz
        self.polls = []		# (mono, stopped threads)
        self.done = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        task = "/proc/%d/task" % self.pid
        while not self.done.wait(self.period):
            stopped = 0
            try:
                for tid in os.listdir(task):
                    try:
                        with open("%s/%s/stat" % (task, tid)) as f:
                            s = f.read()
                    except OSError:
                        continue
                    if s[s.rindex(")") + 2] in "Tt":
                        stopped += 1
            except OSError:
                return
            self.polls.append((mono(), stopped))

    def between(self, a, b):
        xs = [s for t, s in self.polls if a <= t <= b]
        return len(xs), sum(1 for s in xs if s)

    def stop(self):
        self.done.set()
        self.t.join()


def with_phase(ctx, w, length):
    """`goscope stacks PID > /dev/null` every second for length seconds: the dumps' figures."""
    dumps = []
    err = os.path.join(ctx.tmp, "stacks.err")
    start = mono()
    k = 0
    while True:
        at = start + k
        if at >= start + length:
            break
        if mono() < at:
            time.sleep(at - mono())
        c0 = cpu_seconds(w.pid)
        with open(os.devnull, "wb") as null:
            wall, cpu, rss, msg = run_stacks(ctx, w.pid, [], null, err)
        tcpu = cpu_seconds(w.pid) - c0
        dumps.append((wall, cpu, rss, missed(msg), msg.strip(), tcpu))
        k = max(k + 1, int(mono() - start + 0.999))	# an overrun skips a start
    if mono() < start + length:
        time.sleep(start + length - mono())
    return dumps


def sec_target(ctx, rep):
    rep.h("The target while `goscope stacks` runs every second")
    n, depth = ctx.target_n, 50
    log("target: manyg -n %d -depth %d -work -gaps, %d cycles of %g s phases" %
        (n, depth - 1, ctx.cycles, ctx.phase))
    w = Manyg(ctx.manyg, n, depth - 1, work=True)
    poll = StatePoll(w.pid)
    phases = []		# (kind, a, b, dumps)
    tcpu = {}		# kind: [the target's CPU over the phase, in CPUs]
    try:
        time.sleep(ctx.settle)

        def phase(kind):
            a, c0 = mono(), cpu_seconds(w.pid)
            dumps = with_phase(ctx, w, ctx.phase) if kind == "with" else time.sleep(ctx.phase)
            b = mono()
            w.check()
            tcpu.setdefault(kind, []).append((cpu_seconds(w.pid) - c0) / (b - a))
            # A line covers the second before it: skip the first, which straddles the switch.
            phases.append((kind, a + 1.0, b, dumps or []))
            s = w.seconds(a + 1.0, b)
            log("  %-4s %s ops/s, max gap %s us" % (
                kind, "%.4g" % (sum(x[0] for x in s) / len(s)) if s else "-",
                max((x[1] for x in s), default="-")))
        phase("none")
        for _ in range(ctx.cycles):
            phase("with")
            phase("none")
        time.sleep(1.2)		# the last phase's last line
    finally:
        poll.stop()
        w.stop()
    rates = [None] * len(phases)
    for i, (kind, a, b, _) in enumerate(phases):
        s = w.seconds(a, b + 1.1 if i == len(phases) - 1 else b)
        if not s:
            raise Fail("manyg printed nothing in a %s phase" % kind)
        rates[i] = sum(x[0] for x in s) / len(s)
    ratios = [rates[i] / ((rates[i - 1] + rates[i + 1]) / 2)
              for i, p in enumerate(phases) if p[0] == "with"]
    agg = {}
    for kind in ("none", "with"):
        secs, dumps, polls, stopped = [], [], 0, 0
        for i, (k, a, b, d) in enumerate(phases):
            if k != kind:
                continue
            secs += w.seconds(a, b + 1.1 if i == len(phases) - 1 else b)
            dumps += d
            np_, ns_ = poll.between(a - 1.0, b)
            polls += np_
            stopped += ns_
        agg[kind] = (secs, dumps, polls, stopped)
    rows = []
    for kind, label in (("none", "without goscope"), ("with", "`goscope stacks` every second")):
        secs, dumps, polls, stopped = agg[kind]
        gaps = [x[1] / 1e3 for x in secs]
        rows.append([label, "%.3g M" % (med([x[0] for x in secs]) / 1e6), len(secs),
                     "%.1f ms" % max(gaps), "%.1f ms" % med(gaps),
                     "%.1f" % (sum(x[2] for x in secs) / len(secs)),
                     "%d of %d" % (stopped, polls)])
    _, dumps, _, _ = agg["with"]
    incomplete = [d for d in dumps if d[3]]
    ctx.raw.append("target phases (kind, ops/s): " + ", ".join(
        "%s %.4g" % (p[0], r) for p, r in zip(phases, rates)))
    ctx.raw.append("per-second lines, with: " + "; ".join(
        "%d %d %d" % x for x in agg["with"][0]))
    ctx.raw.append("per-second lines, none: " + "; ".join(
        "%d %d %d" % x for x in agg["none"][0]))
    if incomplete:
        ctx.raw.append("incomplete dumps: " + " / ".join(d[4] for d in incomplete[:3]))
    rep.p("manyg -n %d -depth %d -work -gaps (Go %s): %d goroutines parked %d frames deep and "
          "one work-loop goroutine; %d cycles of %g s phases in one run, none first and last. "
          "ops/s: median of the per-second counts (the first second of each phase skipped); max "
          "gap: the longest time between two heartbeats of the work loop (one every 256 "
          "operations) in any second of those phases, and the median of the per-second maxima; "
          "stopped: /proc polls (50 Hz, every thread) that found a thread stopped or traced." %
          (n, depth - 1, ctx.go, n, depth, ctx.cycles, ctx.phase))
    rep.table(["phase", "ops/s", "seconds", "max gap", "per-second max gap, median",
               "gaps ≥ 1 ms per second", "stopped"], rows)
    dwall = sum(d[0] for d in dumps)
    rep.p("\nThroughput ratio with/without (each with-phase against the mean of the none phases "
          "around it): **%.3f** (median; %s over %d cycles). The dumps: %d, wall %s median, "
          "%s max, goscope CPU %s median per dump, peak RSS %.1f MiB; %d incomplete (default "
          "1 s budget)." % (med(ratios), spread(ratios), len(ratios), len(dumps),
                            fmt_s(med([d[0] for d in dumps])), fmt_s(max(d[0] for d in dumps)),
                            fmt_s(med([d[1] for d in dumps])),
                            max(d[2] for d in dumps) / 1024, len(incomplete)))
    rep.p("\nThe target kept running during the dumps: it used %.0f %% of a CPU while they ran "
          "(its CPU time read just before each dump started and after it ended, summed: %.2f s "
          "over %.2f s of dumps), %.0f %% over the with-phases and %.0f %% over the none "
          "phases (median). A stopped program uses none." % (
              sum(d[5] for d in dumps) / dwall * 100, sum(d[5] for d in dumps), dwall,
              med(tcpu["with"]) * 100, med(tcpu["none"]) * 100))


# ---------------------------------------------------------------------------------------------

def go_version(path):
    """The Go release a binary was built with, as `go version FILE` reads it."""
    gos = sorted(glob.glob("/usr/lib/go-1.*/bin/go"),
                 key=lambda p: int(p.split("/")[3].split(".")[1]))
    if not gos:
        return "?"
    out = subprocess.run([gos[-1], "version", path], capture_output=True, text=True)
    return out.stdout.split()[-1] if out.returncode == 0 else "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build", help="build directory (default: build)")
    ap.add_argument("--out", help="report file (default: BUILD/bench/stacks.md)")
    ap.add_argument("--smoke", action="store_true",
                    help="seconds, tiny sizes: exercise both sections, figures meaningless")
    ap.add_argument("--only", help="comma-separated sections: " + ", ".join(SECTIONS))
    ap.add_argument("--reps", type=int, help="dumps per case (default 5; smoke 1)")
    ap.add_argument("--phase", type=float, help="seconds per target phase (default 10)")
    ap.add_argument("--cycles", type=int, help="(with, none) target cycles (default 6)")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    sections = a.only.split(",") if a.only else SECTIONS
    for s in sections:
        if s not in SECTIONS:
            sys.exit("stacks: unknown section '%s' (%s)" % (s, ", ".join(SECTIONS)))

    class Ctx:
        pass
    ctx = Ctx()
    ctx.tmp = tempfile.mkdtemp(prefix="goscope-stacks.")
    # Private copies: a rebuild during the run changes nothing here.
    for name, src in (("goscope", build + "/goscope"), ("manyg", build + "/targets/manyg")):
        if not os.path.exists(src):
            sys.exit("stacks: %s is missing: make && tests/build-targets.sh %s manyg" %
                     (src, a.build))
        dst = os.path.join(ctx.tmp, name)
        shutil.copy2(src, dst)
        setattr(ctx, name, dst)
    ctx.go = go_version(ctx.manyg)
    ctx.raw = []
    if a.smoke:
        ctx.ns, ctx.depths, ctx.reps, ctx.settle = [200], [10, 50], 1, 0.2
        ctx.target_n, ctx.phase, ctx.cycles = 200, 2.5, 1
    else:
        ctx.ns, ctx.depths, ctx.reps, ctx.settle = [1000, 10000, 100000], [10, 50], 5, 1.0
        ctx.target_n, ctx.phase, ctx.cycles = 10000, 10.0, 6
    ctx.reps = a.reps or ctx.reps
    ctx.phase = a.phase or ctx.phase
    ctx.cycles = a.cycles or ctx.cycles
    rep = Report()
    rep.p("# goscope stacks: cost%s\n\nMachine: %s.\nGenerated by `bench/stacks.py%s` on %s." % (
        " (smoke run: figures meaningless)" if a.smoke else "", machine(),
        " --smoke" if a.smoke else "", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
    funcs = {"dump": sec_dump, "target": sec_target}
    failed = False
    for s in sections:
        t = mono()
        log("section %s" % s)
        try:
            funcs[s](ctx, rep)
        except Fail as e:
            failed = True
            rep.p("**%s failed: %s**" % (s, e))
            log("%s failed: %s" % (s, e))
        log("section %s took %.0f s" % (s, mono() - t))
    if ctx.raw:
        rep.h("Raw figures")
        rep.p("\n".join("    " + r for r in ctx.raw))
    out = a.out or os.path.join(build, "bench", "stacks.md")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(rep.text())
    log("report written to %s" % out)
    shutil.rmtree(ctx.tmp, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
