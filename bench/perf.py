#!/usr/bin/env python3
"""goscope's performance suite (numbers, not pass/fail): what goscope costs a Go program, how fast
it attaches, how quickly its lines come out, and what it costs itself with 1 to 50 targets.

    bench/perf.py [--build DIR] [--out FILE] [--smoke] [--only SECTION,...]

Needs root (the probes), the build (make) and the Go targets (tests/build-targets.sh DIR). Writes
a Markdown report (tables, machine details, raw figures) to --out (default DIR/bench/perf.md) and
to stdout. Target-side costs are ratios measured in one run, phases with and without alternating on
the same process, several repetitions, median and spread: never absolute times alone. --smoke runs
every section for seconds (one repetition, short phases) so the code keeps working; its figures
mean nothing.

Sections (--only picks some): overhead, json, hits, attach, latency, footprint.
"""
import argparse
import glob
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

SECTIONS = ["overhead", "json", "hits", "attach", "latency", "footprint"]
GO_NEWEST = None  # set in main: the newest toolchain's minor version with built targets
JSON_BENCHES = ("BenchmarkCodeEncoder$|BenchmarkCodeDecoder$|BenchmarkCodeMarshal$|"
                "BenchmarkCodeUnmarshal$|BenchmarkDecoderStream$|BenchmarkUnicodeDecoder$|"
                "BenchmarkEncodeMarshaler$|BenchmarkIssue10335$")


class Fail(Exception):
    pass


def log(msg):
    print("perf: " + msg, file=sys.stderr, flush=True)


def mono():
    return time.monotonic()


# ---------------------------------------------------------------------------------------------
# Processes

class Lines:
    """Reads a pipe in a thread; keeps (arrival monotonic time, line) pairs."""

    def __init__(self, pipe, keep=True, match=None):
        self.lines = []
        self.count = 0
        self.keep = keep
        self.match = match
        self.cond = threading.Condition()
        self.t = threading.Thread(target=self._run, args=(pipe,), daemon=True)
        self.t.start()

    def _run(self, pipe):
        for raw in iter(pipe.readline, b""):
            now = mono()
            line = raw.decode(errors="replace").rstrip("\n")
            if self.match and not line.startswith(self.match):
                continue
            with self.cond:
                self.count += 1
                if self.keep:
                    self.lines.append((now, line))
                self.cond.notify_all()

    def wait_for(self, pred, timeout):
        end = mono() + timeout
        with self.cond:
            while True:
                for i, (_, line) in enumerate(self.lines):
                    if pred(line):
                        return self.lines[i]
                left = end - mono()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def between(self, a, b):
        with self.cond:
            return [(t, l) for t, l in self.lines if a <= t <= b]


class Workload:
    """A Go program that prints '<pid> ready' and, for benchload, '<ns> <ops>' lines; run with
    GODEBUG=gctrace=1 so the runtime itself reports every GC cycle on stderr."""

    def __init__(self, argv, env=None, gctrace=True):
        e = dict(os.environ)
        e.update(env or {})
        if gctrace:
            e["GODEBUG"] = "gctrace=1"
        self.argv = argv
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL, env=e)
        self.out = Lines(self.p.stdout)
        self.gc = Lines(self.p.stderr, match="gc ")
        if not self.out.wait_for(lambda l: l.endswith(" ready"), 20):
            self.stop()
            raise Fail("%s did not start" % argv[0])
        self.pid = self.p.pid

    def alive(self):
        return self.p.poll() is None

    def check(self):
        if not self.alive():
            raise Fail("workload %s died (status %s)" % (self.argv[0], self.p.returncode))

    def rate(self, a, b):
        """Operations per second between monotonic times a and b, from the workload's own clock."""
        pts = []
        for _, line in self.out.between(a, b):
            f = line.split()
            if len(f) == 2 and f[0].isdigit():
                pts.append((int(f[0]), int(f[1])))
        if len(pts) < 2:
            return None
        (t0, o0), (t1, o1) = pts[0], pts[-1]
        return (o1 - o0) / ((t1 - t0) / 1e9)

    def gc_rate(self, a, b):
        n = [int(l.split()[1]) for _, l in self.gc.between(a, b) if l.split()[1].isdigit()]
        if len(n) < 2:
            return 0.0
        return (n[-1] - n[0]) / (b - a)

    def stop(self):
        if self.p.poll() is None:
            end_process(self.p, signal.SIGTERM, 10)


def end_process(p, sig, timeout):
    """Send sig and wait; past timeout, SIGKILL. True if it exited on its own."""
    p.send_signal(sig)
    try:
        p.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return False


def cpu_seconds(pid):
    """utime + stime of every thread of pid, in seconds (None once it is gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    f = s[s.rindex(")") + 2:].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def status_kib(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class Agent:
    """One observer attached to a PID: goscope (any command) or bpftrace. start() returns once it
    is attached: goscope's first record / output line, bpftrace's 'Attaching' line."""

    def __init__(self, ctx, kind, argv, ready, out_path=None):
        self.ctx, self.kind, self.argv, self.ready = ctx, kind, argv, ready
        self.out_path = out_path
        self.p = None

    def start(self, timeout=30):
        out = open(self.out_path, "wb") if self.out_path else subprocess.PIPE
        self.t0 = mono()
        self.p = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL)
        if self.out_path:
            out.close()
        self.err = Lines(self.p.stderr)
        self.out = None if self.out_path else Lines(self.p.stdout)
        end = mono() + timeout
        while mono() < end:
            if self.p.poll() is not None:
                raise Fail("%s exited %s: %s" % (" ".join(self.argv), self.p.returncode,
                                                 " / ".join(l for _, l in self.err.lines)))
            if self.ready(self):
                self.attached = mono()
                return self
            time.sleep(0.01)
        self.stop()
        raise Fail("%s did not attach within %d s" % (" ".join(self.argv), timeout))

    def stop(self):
        if not self.p or self.p.poll() is not None:
            return None
        t = mono()
        if not end_process(self.p, signal.SIGINT, 120):
            raise Fail("%s did not exit within 120 s of SIGINT" % self.argv[0])
        if self.p.returncode != 0 and self.kind not in ("bpftrace", "control"):
            raise Fail("%s exited %d: %s" % (" ".join(self.argv), self.p.returncode,
                                            " / ".join(l for _, l in self.err.lines[-5:])))
        return mono() - t


def file_has(path, needle):
    try:
        with open(path, "rb") as f:
            return needle in f.read(65536)
    except OSError:
        return False


def goscope_record(ctx, pids, extra=()):
    path = os.path.join(ctx.tmp, "record-%d.jsonl" % len(os.listdir(ctx.tmp)))
    argv = [ctx.goscope, "record", "-q", "-o", path] + list(extra) + [str(p) for p in pids]
    n = len(pids) if pids else 0
    ready = (lambda a: file_has(path, b'"kind":"sample"')) if n <= 1 else \
        (lambda a: _count_in(path, b'"kind":"sample"') >= n)
    return Agent(ctx, "record", argv, ready, out_path=path)


def _count_in(path, needle):
    try:
        with open(path, "rb") as f:
            return f.read().count(needle)
    except OSError:
        return 0


def goscope_gctrace(ctx, pid):
    path = os.path.join(ctx.tmp, "gctrace-%d.txt" % len(os.listdir(ctx.tmp)))
    argv = [ctx.goscope, "gctrace", "-q", str(pid)]
    # gctrace prints nothing until a cycle ends; every workload here collects within 0.1 s.
    return Agent(ctx, "gctrace", argv, lambda a: os.path.getsize(path) > 0, out_path=path)


def bpftrace_mallocgc(ctx, pid):
    exe = os.readlink("/proc/%d/exe" % pid)
    prog = 'uprobe:%s:runtime.mallocgc { @allocs = count(); }' % exe
    argv = [ctx.bpftrace, "-p", str(pid), "-e", prog]
    return Agent(ctx, "bpftrace", argv,
                 lambda a: any("Attaching" in l for _, l in a.out.lines))


# ---------------------------------------------------------------------------------------------
# Statistics and output

def med(xs):
    return statistics.median(xs) if xs else None


def spread(xs, fmt="%.3f"):
    if not xs:
        return "-"
    return (fmt + "–" + fmt) % (min(xs), max(xs))


def pct(x):
    return "-" if x is None else "%+.1f %%" % (x * 100)


class Report:
    def __init__(self):
        self.parts = []

    def h(self, title):
        self.parts.append("\n## %s\n" % title)

    def p(self, text):
        self.parts.append(text + "\n")

    def table(self, head, rows):
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in rows:
            out.append("| " + " | ".join(str(c) for c in r) + " |")
        self.parts.append("\n".join(out) + "\n")
        print("\n".join(out), flush=True)

    def text(self):
        return "\n".join(self.parts)


# ---------------------------------------------------------------------------------------------
# Alternating phases on one process

def alternate(ctx, w, modes, reps, phase, settle):
    """Phases none, m1, none, m2, ..., none, repeated: each with-phase is compared with the mean
    of the none phases just before and after it. Returns {mode: [ratios]}, {mode: [GC/s]},
    {mode: [agent CPU %]} and the none rates."""
    ratios = {m: [] for m in modes}
    gcs = {m: [] for m in modes}
    agent_cpu = {m: [] for m in modes}
    nones = []

    def none_phase():
        a = mono()
        time.sleep(phase)
        w.check()
        r = w.rate(a + settle, mono())
        if r is None:
            raise Fail("the workload reported nothing for %.0f s" % phase)
        nones.append(r)
        return r, w.gc_rate(a + settle, mono())

    before, none_gc = none_phase()
    for rep in range(reps):
        for m in modes:
            ag = modes[m](w.pid).start()
            time.sleep(settle)
            a = mono()
            c0 = cpu_seconds(ag.p.pid)
            time.sleep(phase - settle)
            b = mono()
            c1 = cpu_seconds(ag.p.pid)
            ag.stop()
            w.check()
            r = w.rate(a, b)
            after, _ = none_phase()
            base = (before + after) / 2
            ratios[m].append(r / base)
            gcs[m].append(w.gc_rate(a, b))
            if c0 is not None and c1 is not None:
                agent_cpu[m].append((c1 - c0) / (b - a) * 100)
            log("  rep %d %-22s %.4g ops/s vs %.4g  ratio %.3f  %.0f GC/s" %
                (rep + 1, m, r, base, r / base, gcs[m][-1]))
            before = after
    return ratios, gcs, agent_cpu, nones, none_gc


def sec_overhead(ctx, rep):
    """Target overhead of goscope's default modes on three workloads, next to bpftrace."""
    rep.h("Target overhead, default mode")
    known = {
        "record": ("goscope record", lambda pid: goscope_record(ctx, [pid])),
        "record-no-stw": ("goscope record --no-stw",
                          lambda pid: goscope_record(ctx, [pid], ["--no-stw"])),
        "gctrace": ("goscope gctrace", lambda pid: goscope_gctrace(ctx, pid)),
        "bpftrace": ("bpftrace mallocgc count", lambda pid: bpftrace_mallocgc(ctx, pid)),
        # A/A control: a process that looks at nothing, started and stopped like the others;
        # its ratios show how far apart two phases without any observer are on this machine.
        "control": ("nothing (A/A control)",
                    lambda pid: Agent(ctx, "control", ["sleep", "3600"], lambda a: True)),
    }
    modes = {}
    for m in ctx.modes:
        if m not in known:
            raise Fail("unknown observer '%s' (%s)" % (m, ", ".join(known)))
        if m == "bpftrace" and not ctx.bpftrace:
            continue
        modes[known[m][0]] = known[m][1]
    rows = []
    for wl, desc in (("alloc", "allocation-heavy"), ("gc", "GC-heavy"),
                     ("server", "goroutine-heavy HTTP server"),
                     ("gcloop", "runtime.GC() loop")):
        if wl not in ctx.workloads:
            continue
        log("overhead: %s workload" % wl)
        w = Workload([ctx.benchload, "-mode", wl], env={"GOMAXPROCS": str(ctx.gomaxprocs)})
        try:
            ratios, gcs, cpu, nones, none_gc = alternate(ctx, w, modes, ctx.reps, ctx.phase,
                                                         ctx.settle)
        finally:
            w.stop()
        for m in modes:
            r = ratios[m]
            rows.append([desc, "%.0f" % none_gc, m, "%.4f" % med(r), spread(r),
                         pct(1 - med(r)), "%.1f %%" % med(cpu[m]) if cpu[m] else "-"])
        ctx.raw.append("overhead %s: without goscope %s ops/s; ratios %s" % (
            wl, " ".join("%.4g" % x for x in nones),
            "; ".join("%s %s" % (m, " ".join("%.4f" % x for x in ratios[m])) for m in modes)))
    rep.p("benchload (Go 1.%d) throughput with the observer attached / without, phases of %g s "
          "alternating on one process (%g s settling after each attach left out), %d repetitions. "
          "Slowdown = 1 − median ratio." % (GO_NEWEST, ctx.phase, ctx.settle, ctx.reps))
    rep.table(["workload", "GC/s", "observer", "ratio (median)", "spread", "slowdown",
               "observer CPU"], rows)


def build_json_test(ctx):
    root = "/usr/lib/go-1.%d" % GO_NEWEST
    out = os.path.join(ctx.build, "bench", "json.test")
    src = os.path.join(root, "src", "encoding", "json")
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(root + "/VERSION"):
        os.makedirs(os.path.dirname(out), exist_ok=True)
        env = dict(os.environ, GOTOOLCHAIN="local", GOPROXY="off", GOFLAGS="-buildvcs=false",
                   GOCACHE=os.path.join(ctx.build, "gocache"), GOTELEMETRY="off")
        env.pop("GOROOT", None)
        subprocess.run([root + "/bin/go", "test", "-c", "-o", out + ".tmp", "."], cwd=src,
                       env=env, check=True)
        os.rename(out + ".tmp", out)
    return out, src


def run_json(ctx, test, src, agent):
    """One run of the json benchmarks; with an agent, it attaches while the test is stopped."""
    p = subprocess.Popen([test, "-test.run=^$", "-test.bench=" + JSON_BENCHES,
                          "-test.benchtime=%s" % ctx.json_benchtime], cwd=src,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ag = None
    if agent:
        os.kill(p.pid, signal.SIGSTOP)
        ag = agent(p.pid).start()
        os.kill(p.pid, signal.SIGCONT)
    out = p.stdout.read().decode()
    p.wait()
    if ag:
        ag.stop()
    if p.returncode != 0:
        raise Fail("json.test failed:\n" + out)
    res = {}
    for m in re.finditer(r"^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op", out, re.M):
        res[m.group(1)] = float(m.group(2))
    return res


def sec_json(ctx, rep):
    rep.h("Target overhead on a standard-library benchmark: encoding/json")
    test, src = build_json_test(ctx)
    agents = {"goscope record": lambda pid: goscope_record(ctx, [pid])}
    per = {}  # (agent, bench) -> [ratio]
    for i in range(ctx.reps):
        base = run_json(ctx, test, src, None)
        for name, ag in agents.items():
            with_ = run_json(ctx, test, src, ag)
            base2 = run_json(ctx, test, src, None)
            for b in with_:
                if b in base and b in base2:
                    # Speed ratio: time per op without / with.
                    per.setdefault((name, b), []).append(((base[b] + base2[b]) / 2) / with_[b])
            base = base2
        log("json: rep %d done" % (i + 1))
    rows = []
    for (name, b), r in sorted(per.items()):
        rows.append([b, name, "%.4f" % med(r), spread(r), pct(1 - med(r))])
    allr = {}
    for (name, b), r in per.items():
        allr.setdefault(name, []).append(med(r))
    for name, meds in allr.items():
        g = statistics.geometric_mean(meds)
        rows.append(["**geometric mean**", name, "**%.4f**" % g, "", "**%s**" % pct(1 - g)])
    rep.p("`go test -c encoding/json` (Go 1.%d), benchmarks %s at -test.benchtime=%s; runs "
          "alternate without / with goscope (attached while the test binary is stopped, before "
          "its first benchmark), %d repetitions; speed ratio = ns/op without (mean of the runs "
          "around) / with." % (GO_NEWEST, JSON_BENCHES.replace("|", ", ").replace("$", ""),
                               ctx.json_benchtime, ctx.reps))
    rep.table(["benchmark", "observer", "speed ratio (median)", "spread", "slowdown"], rows)


def bpf_run_counts(gs_pid):
    """Run counts of the BPF programs process gs_pid has attached, by program name: the
    programs come from the kernel's list of perf-event attachments (bpftool perf), their counts
    from bpftool prog (kernel.bpf_stats_enabled must be 1)."""
    perf = subprocess.run(["bpftool", "-j", "perf", "list"], capture_output=True, check=True)
    ids = {a["prog_id"] for a in json.loads(perf.stdout or b"[]") if a.get("pid") == gs_pid}
    out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, check=True)
    res = {}
    for p in json.loads(out.stdout or b"[]"):
        if p.get("id") in ids:
            res[p.get("name", "?")] = p.get("run_cnt", 0)
    return res


def sec_hits(ctx, rep):
    rep.h("Probe hits per GC cycle")
    path = "/proc/sys/kernel/bpf_stats_enabled"
    with open(path) as f:
        old = f.read().strip()
    rows = []
    try:
        with open(path, "w") as f:
            f.write("1")
        for minor in ctx.minors:
            churn = os.path.join(ctx.build, "targets", "go1.%d" % minor, "default", "churn")
            w = Workload([churn, "-rate", "256", "-force", "1s"])
            try:
                for name, mk in (("record", lambda pid: goscope_record(ctx, [pid])),
                                 ("gctrace", lambda pid: goscope_gctrace(ctx, pid)),
                                 ("record --stw (opt-in)",
                                  lambda pid: goscope_record(ctx, [pid], ["--stw"]))):
                    ag = mk(w.pid).start()
                    time.sleep(0.3)
                    a = mono()
                    h0 = bpf_run_counts(ag.p.pid)
                    time.sleep(ctx.hits_window)
                    h1 = bpf_run_counts(ag.p.pid)
                    b = mono()
                    ag.stop()
                    time.sleep(0.3)
                    lines = w.gc.between(a, b)
                    cycles = len(lines)
                    hits = {k: h1.get(k, 0) - h0.get(k, 0) for k in h1}
                    total = sum(hits.values())
                    rows.append(["1.%d" % minor, name, cycles, total,
                                 "%.2f" % (total / cycles) if cycles else "-",
                                 ", ".join("%s %d" % (k, v) for k, v in sorted(hits.items()) if v)])
            finally:
                w.stop()
    finally:
        with open(path, "w") as f:
            f.write(old)
    rep.p("tests/targets/churn (256 MiB/s, runtime.GC() every second) per release, %g s window; "
          "hits are the kernel's run counts of goscope's BPF programs (bpftool, "
          "kernel.bpf_stats_enabled), cycles are the runtime's own gctrace lines in the window. "
          "Budget: 4 per cycle in the default mode." % ctx.hits_window)
    rep.table(["Go", "goscope", "GC cycles", "probe hits", "hits per cycle", "by program"], rows)


def first_sample_ms(ctx, pid):
    t0 = mono()
    g = subprocess.Popen([ctx.goscope, "record", str(pid)], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    ms = None
    for line in g.stdout:
        if b'"kind":"sample"' in line:
            ms = (mono() - t0) * 1e3
            break
    g.send_signal(signal.SIGINT)
    g.wait()
    if ms is None:
        raise Fail("goscope record %d printed no sample" % pid)
    return ms


def sec_attach(ctx, rep):
    rep.h("Attach latency")
    rows = []
    for label, argv in (("small: benchload", [ctx.benchload, "-mode", "server"]),
                        ("large: bigbin", [ctx.bigbin])):
        w = Workload(argv, gctrace=False)
        try:
            exe = os.readlink("/proc/%d/exe" % w.pid)
            size = os.path.getsize(exe)
            nsyms = len(subprocess.run(["nm", exe], capture_output=True).stdout.splitlines())
            ms = [first_sample_ms(ctx, w.pid) for _ in range(ctx.attach_reps)]
        finally:
            w.stop()
        rows.append([label, "%.1f MB" % (size / 1e6), nsyms, "%.0f ms" % med(ms),
                     spread(ms, "%.0f") + " ms"])
    rep.p("From starting `goscope record PID` to its first full snapshot (the first sample "
          "record, read from its stdout), %d runs each, target running (Go 1.%d). Budget: 150 ms "
          "for the small binary." % (ctx.attach_reps, GO_NEWEST))
    rep.table(["binary", "size", "symbols", "median", "spread"], rows)


def sec_latency(ctx, rep):
    rep.h("Event path: GC end to line")
    rows = []
    for label, mode, env in ctx.latency_loads:
        w = Workload([ctx.benchload, "-mode", mode], env=env)
        try:
            g = subprocess.Popen([ctx.goscope, "record", str(w.pid)], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
            lat, nums, lost = [], [], 0
            first_rt = None

            def reader():
                nonlocal lost
                for raw in g.stdout:
                    now = time.time_ns()
                    r = json.loads(raw)
                    if r["kind"] == "gc":
                        lat.append((now - r["unix_nano"]) / 1e6)
                        nums.append(r["num"])
                    elif r["kind"] == "lost":
                        lost += r["lost_events"] + r["missed_gc_cycles"]
            th = threading.Thread(target=reader, daemon=True)
            th.start()
            while not nums:
                time.sleep(0.01)
                if g.poll() is not None:
                    raise Fail("goscope record exited %s" % g.returncode)
            first_rt = nums[0]
            time.sleep(ctx.latency_window)
            g.send_signal(signal.SIGINT)
            g.wait()
            th.join(10)
            last = nums[-1]
            time.sleep(0.2)
            rt = [int(l.split()[1]) for _, l in w.gc.lines if l.split()[1].isdigit()]
            rt_cycles = len([n for n in rt if first_rt <= n <= last])
            seen = len(set(n for n in nums if first_rt <= n <= last))
            secs = ctx.latency_window
            lat.sort()
            rows.append([label, "%.0f" % (rt_cycles / secs), rt_cycles, seen, lost,
                         "%.2f ms" % lat[len(lat) // 2],
                         "%.2f ms" % lat[min(len(lat) - 1, int(len(lat) * 0.99))],
                         "%.2f ms" % lat[-1]])
        finally:
            w.stop()
    rep.p("benchload (Go 1.%d) from a few GC cycles a second (alloc) to as many as it can "
          "run (gcloop: runtime.GC() in a loop); `goscope record PID` on a pipe, each gc record read as it comes: latency = read time − the record's "
          "unix_nano (when the GC-end probe fired). Cycles: the runtime's own gctrace lines "
          "between goscope's first and last cycle, against goscope's records; lost = events and "
          "cycles goscope's lost records report (none expected). Below 100 cycles a second every "
          "cycle's end wakes goscope; above, goscope polls every 10 ms while events flow, "
          "which bounds the wait." % GO_NEWEST)
    rep.table(["workload", "GC/s", "runtime's cycles", "goscope's cycles", "lost", "p50", "p99",
               "max"], rows)


def spawn_targets(ctx, n):
    """n Go processes of every release, round robin: tests/targets/churn, half of them at
    8 MiB/s (a few GC cycles a second), half nearly idle (0.5 MiB/s)."""
    ws = []
    try:
        for i in range(n):
            minor = ctx.minors[i % len(ctx.minors)]
            churn = os.path.join(ctx.build, "targets", "go1.%d" % minor, "default", "churn")
            rate = "8" if i % 2 == 0 else "0.5"
            ws.append(Workload([churn, "-rate", rate, "-workers", "1", "-force", "0",
                                "-min-live", "2", "-max-live", "8"], gctrace=False))
    except Exception:
        for w in ws:
            w.stop()
        raise
    return ws


def sec_footprint(ctx, rep):
    rep.h("Agent footprint and scale")
    rows = []
    for n in ctx.footprint_ns:
        ws = spawn_targets(ctx, n)
        try:
            pids = [w.pid for w in ws]
            use_all = n >= 50
            t0 = mono()
            ag = goscope_record(ctx, [] if use_all else pids,
                                ["--all"] if use_all else [])
            if use_all:
                ag.ready = lambda a: _count_in(ag.out_path, b'"kind":"sample"') >= n
            ag.start(timeout=120)
            attach_s = mono() - t0
            time.sleep(ctx.settle)
            c0, a = cpu_seconds(ag.p.pid), mono()
            time.sleep(ctx.footprint_window)
            c1, b = cpu_seconds(ag.p.pid), mono()
            rss = status_kib(ag.p.pid, "VmRSS")
            hwm = status_kib(ag.p.pid, "VmHWM")
            exit_s = ag.stop()
            gcs = _count_in(ag.out_path, b'"kind":"gc"')
        finally:
            for w in ws:
                w.stop()
        rows.append([n, "--all" if use_all else "PIDs", "%.2f s" % attach_s,
                     "%.2f %%" % ((c1 - c0) / (b - a) * 100), "%.1f MiB" % (rss / 1024),
                     "%.1f MiB" % (hwm / 1024), "%.1f s" % exit_s, gcs])
    rep.p("`goscope record` (samples every 1 s, to a file) over N Go processes of every "
          "release (tests/targets/churn, half at 8 MiB/s, half at 0.5 MiB/s); CPU over %g s after "
          "%g s settling; attach = start to the first sample of every target; exit = SIGINT to "
          "exit (it detaches every probe). Budget for 1 target: < 0.5 %% of one CPU, < 20 MB RSS."
          % (ctx.footprint_window, ctx.settle))
    rep.table(["targets", "how", "attach", "agent CPU", "RSS", "peak RSS", "exit", "gc records"],
              rows)


# ---------------------------------------------------------------------------------------------

def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = open("/proc/loadavg").read().split()[:3]
    rev = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                         cwd=os.path.dirname(os.path.abspath(__file__))).stdout.decode().strip()
    return ("%s, %d CPUs (%s), Linux %s, load average %s at the start; goscope %s" %
            (platform.node(), os.cpu_count(), cpu, platform.release(), " ".join(load), rev or "?"))


def main():
    global GO_NEWEST
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build", help="build directory (default: build)")
    ap.add_argument("--out", help="report file (default: BUILD/bench/perf.md)")
    ap.add_argument("--smoke", action="store_true",
                    help="seconds, not minutes: exercise every section, figures meaningless")
    ap.add_argument("--only", help="comma-separated sections: " + ", ".join(SECTIONS))
    ap.add_argument("--workloads", default="alloc,gc,server,gcloop",
                    help="overhead section: which benchload modes (default: alloc,gc,server,gcloop)")
    ap.add_argument("--reps", type=int, help="repetitions (default 5; smoke 1)")
    ap.add_argument("--phase", type=float, help="seconds per overhead phase (default 5)")
    ap.add_argument("--gomaxprocs", type=int, default=1,
                    help="overhead section: the workloads' GOMAXPROCS (default 1, see the report)")
    ap.add_argument("--modes", help="overhead section: observers, comma-separated, from: "
                    "record, gctrace, record-no-stw, bpftrace, control (default: "
                    "record,gctrace,control,bpftrace)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("perf: needs root (the probes)")
    build = os.path.abspath(a.build)
    sections = a.only.split(",") if a.only else SECTIONS
    for s in sections:
        if s not in SECTIONS:
            sys.exit("perf: unknown section '%s' (%s)" % (s, ", ".join(SECTIONS)))

    class Ctx:
        pass
    ctx = Ctx()
    ctx.build = build
    ctx.tmp = tempfile.mkdtemp(prefix="goscope-perf.")
    minors = sorted(int(m.group(1)) for m in
                    (re.search(r"go1\.(\d+)$", d) for d in glob.glob(build + "/targets/go1.*"))
                    if m)
    if not minors:
        sys.exit("perf: no Go targets in %s/targets: run tests/build-targets.sh %s" % (build, a.build))
    ctx.minors = minors
    GO_NEWEST = minors[-1]
    # Private copies: a rebuild during the run changes nothing here.
    for name, src in (("goscope", build + "/goscope"), ("benchload", build + "/targets/benchload"),
                      ("bigbin", build + "/targets/bigbin")):
        if not os.path.exists(src):
            sys.exit("perf: %s is missing: make && tests/build-targets.sh %s" % (src, a.build))
        dst = os.path.join(ctx.tmp, name)
        shutil.copy2(src, dst)
        setattr(ctx, name, dst)
    ctx.bpftrace = shutil.which("bpftrace")
    ctx.raw = []
    ctx.workloads = a.workloads.split(",")
    ctx.modes = (a.modes or "record,gctrace,control,bpftrace").split(",")
    if a.smoke:
        ctx.workloads, ctx.modes = ["gc"], ["record", "bpftrace"]
        ctx.reps, ctx.phase, ctx.settle = 1, 1.5, 0.5
        ctx.json_benchtime, ctx.hits_window, ctx.attach_reps = "20ms", 1.0, 2
        ctx.latency_loads, ctx.latency_window = [("gc", "gc", {})], 1.0
        ctx.footprint_ns, ctx.footprint_window = [1, 3], 1.0
        ctx.minors = [minors[0], minors[-1]]
    else:
        ctx.reps, ctx.phase, ctx.settle = 5, 5.0, 1.0
        ctx.json_benchtime, ctx.hits_window, ctx.attach_reps = "1s", 5.0, 7
        ctx.latency_loads = [("alloc", "alloc", {}), ("gc", "gc", {}),
                             ("gc, GOGC=25", "gc", {"GOGC": "25"}), ("gcloop", "gcloop", {})]
        ctx.latency_window = 10.0
        ctx.footprint_ns, ctx.footprint_window = [1, 10, 50], 30.0
    ctx.gomaxprocs = a.gomaxprocs
    if a.reps:
        ctx.reps = a.reps
    if a.phase:
        ctx.phase = a.phase
    rep = Report()
    rep.p("# goscope performance%s\n\nMachine: %s.\nGenerated by `bench/perf.py%s` on %s." % (
        " (smoke run: figures meaningless)" if a.smoke else "", machine(),
        " --smoke" if a.smoke else "", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
    if not ctx.bpftrace:
        rep.p("bpftrace is not installed: the naive-probe comparison is left out.")
    funcs = {"overhead": sec_overhead, "json": sec_json, "hits": sec_hits, "attach": sec_attach,
             "latency": sec_latency, "footprint": sec_footprint}
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
    out = a.out or os.path.join(build, "bench", "perf.md")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(rep.text())
    log("report written to %s" % out)
    shutil.rmtree(ctx.tmp, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
