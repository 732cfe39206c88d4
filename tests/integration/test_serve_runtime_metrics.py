"""goscope serve's runtime/metrics families, against two oracles.

The quiescent workload of every Go release writes, on SIGUSR1, every scalar runtime/metrics metric
and its MemStats as the runtime reports them from inside; each must be in goscope's exposition
under the name the Prometheus Go client gives it, with the same value.

promgo (tests/targets/promgo) is a program instrumented with the Prometheus Go client library
itself (Debian's client_golang, its Go collector with collectors.MetricsAll), built with every
toolchain of the matrix: goscope's families for that process must be client_golang's, with the
same types and the same histogram buckets, le labels written alike.
"""
import posixpath
import re
import signal
import subprocess
import time

import pytest

from conftest import GO_MINORS, factory, kill_if_running, target_path, wait_for
from test_serve import Serve, parse_exposition

# Families of the Go client's collector that are no runtime/metrics metric.
GO_BASE = {"go_goroutines", "go_threads", "go_info", "go_gc_duration_seconds"}
# Scalars that move in a quiescent process between the oracle's reading and goscope's: the
# goroutine states (the oracle reads while its own main goroutine runs and os/signal's watcher
# has just been woken: up to two goroutines in other states than goscope sees afterwards).
SCHED_STATES = {"/sched/goroutines/running:goroutines", "/sched/goroutines/runnable:goroutines",
                "/sched/goroutines/waiting:goroutines", "/sched/goroutines/not-in-go:goroutines"}


def prom_base(name):
    """client_golang's name for a runtime/metrics metric, without the _total of counters."""
    key, unit = name.split(":", 1)
    subsystem = posixpath.dirname(key[1:]).replace("/", "_").replace("-", "_")
    leaf = posixpath.basename(key).replace("-", "_")
    unit = unit.replace("-", "_").replace("*", "_").replace("/", "_per_")
    return f"go_{subsystem}_{leaf}_{unit}"


def families(text):
    """{family: type} of an exposition."""
    return dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))


def family_of(sample, types):
    """The family a sample line belongs to (histogram and summary lines have suffixes)."""
    if sample in types:
        return sample
    base, _, suffix = sample.rpartition("_")
    if suffix in ("bucket", "sum", "count") and base in types:
        return base
    return None


def of_pid(samples, pid):
    """{(name, labels without pid, comm, go_version): value} of one process."""
    out = {}
    for (name, labels), v in samples.items():
        d = dict(labels)
        if d.pop("pid", None) == str(pid):
            d.pop("comm", None)
            d.pop("go_version", None)
            out[(name, frozenset(d.items()))] = v
    return out


def series_of(samples, family, types):
    """{labels: value} of every sample of a family (bucket, sum and count lines included)."""
    return {(n, l): v for (n, l), v in samples.items() if family_of(n, types) == family}


def value(samples, name, **labels):
    want = frozenset(labels.items())
    got = [v for (n, l), v in samples.items() if n == name and l == want]
    assert len(got) == 1, f"{name}{labels}: {len(got)} samples"
    return got[0]


def promtool_ok(text):
    res = subprocess.run(["/usr/bin/promtool", "check", "metrics"], input=text,
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.fixture
def serve(tmp_path):
    yield from factory(lambda args: Serve(args, tmp_path), kill_if_running)


def scrape_when(s, pred, timeout=30):
    """The exposition once pred(text) holds."""
    box = {}

    def ok():
        status, _, text = s.get()
        box["text"] = text
        return status == 200 and pred(text)
    assert wait_for(ok, timeout, step=0.3), box.get("text", "")[-3000:]
    return box["text"]


def check_scalars(minor, mine, types, want):
    """Every scalar runtime/metrics metric of the release, under client_golang's name, equal."""
    for name, v in want["metrics"].items():
        base = prom_base(name)
        fams = [f for f in (base, base + "_total") if f in types]
        assert len(fams) == 1, f"go1.{minor}: {name}: families {fams}"
        got = value(mine, fams[0])
        if name in SCHED_STATES:
            assert abs(got - v) <= 2, f"go1.{minor}: {name}: goscope {got}, runtime {v}"
        else:
            # As Prometheus reads both: float64 (GOMEMLIMIT's default is 2^63-1).
            assert got == float(v), f"go1.{minor}: {name} ({fams[0]}): goscope {got}, runtime {v}"


def check_memstats(minor, mine, want):
    ms, m = want["memstats"], want["metrics"]
    exact = {"go_memstats_alloc_bytes_total": ms["TotalAlloc"],
             "go_memstats_mallocs_total": ms["Mallocs"], "go_memstats_frees_total": ms["Frees"],
             "go_memstats_heap_objects": ms["HeapObjects"],
             "go_memstats_next_gc_bytes": ms["NextGC"], "go_memstats_sys_bytes": ms["Sys"],
             "go_memstats_lookups_total": 0,
             # client_golang's go_memstats_* from runtime/metrics, as it derives them.
             "go_memstats_mspan_inuse_bytes": m["/memory/classes/metadata/mspan/inuse:bytes"],
             "go_memstats_mspan_sys_bytes": m["/memory/classes/metadata/mspan/inuse:bytes"] +
             m["/memory/classes/metadata/mspan/free:bytes"],
             "go_memstats_mcache_inuse_bytes": m["/memory/classes/metadata/mcache/inuse:bytes"],
             "go_memstats_mcache_sys_bytes": m["/memory/classes/metadata/mcache/inuse:bytes"] +
             m["/memory/classes/metadata/mcache/free:bytes"],
             "go_memstats_buck_hash_sys_bytes": m["/memory/classes/profiling/buckets:bytes"],
             "go_memstats_gc_sys_bytes": m["/memory/classes/metadata/other:bytes"],
             "go_memstats_other_sys_bytes": m["/memory/classes/other:bytes"]}
    for name, v in exact.items():
        assert value(mine, name) == float(v), \
            f"go1.{minor}: {name}: goscope {value(mine, name)}, runtime {v}"
    # As test_stat bounds them (ReadMemStats flushes per-P caches first).
    for name, k, bound in (("go_memstats_alloc_bytes", "HeapAlloc", 0.005),
                           ("go_memstats_heap_alloc_bytes", "HeapAlloc", 0.005),
                           ("go_memstats_heap_sys_bytes", "HeapSys", 0.01),
                           ("go_memstats_heap_inuse_bytes", "HeapInuse", 0.01),
                           ("go_memstats_stack_inuse_bytes", "StackInuse", 0.12)):
        assert abs(value(mine, name) - ms[k]) <= bound * ms[k], f"go1.{minor}: {name}"
    assert value(mine, "go_memstats_heap_idle_bytes") + value(mine, "go_memstats_heap_inuse_bytes") \
        == value(mine, "go_memstats_heap_sys_bytes")


def check_histograms(minor, mine, types):
    """Buckets cumulative, +Inf equal to _count; allocs-by-size's _sum is /gc/heap/allocs:bytes."""
    hists = [f for f, t in types.items() if t == "histogram" and f.startswith("go_")]
    assert len(hists) == (8 if minor >= 22 else 4), f"go1.{minor}: {hists}"
    for f in hists:
        buckets = sorted((float(dict(l)["le"]), v) for (n, l), v in mine.items()
                         if n == f + "_bucket")
        assert buckets and buckets[-1][0] == float("inf"), f
        counts = [v for _, v in buckets]
        assert counts == sorted(counts), f"{f}: not cumulative"
        assert counts[-1] == value(mine, f + "_count"), f
    assert value(mine, "go_gc_heap_allocs_by_size_bytes_sum") == \
        value(mine, "go_gc_heap_allocs_bytes_total")
    assert value(mine, "go_gc_heap_frees_by_size_bytes_sum") == \
        value(mine, "go_gc_heap_frees_bytes_total")


def check_backfilled(minor, samples, pid, types, want):
    """computed_by="goscope" on exactly the values of metrics the release does not list."""
    listed = {prom_base(n) for n in want["metrics"]}
    listed |= {b + "_total" for b in listed}
    backfilled = set()
    for (name, labels), v in samples.items():
        d = dict(labels)
        fam = family_of(name, types)
        if d.get("pid") != str(pid) or not fam or not fam.startswith("go_"):
            continue
        if d.get("computed_by") == "goscope":
            backfilled.add(fam)
            assert fam not in listed, f"go1.{minor}: {fam} is the runtime's own, not goscope's"
        elif types[fam] != "histogram" and fam not in GO_BASE and \
                not fam.startswith("go_memstats_"):
            assert fam in listed, f"go1.{minor}: {fam} is not in this release: no computed_by"
    return backfilled


def test_runtime_metrics_equal_the_runtimes(quiescent, serve):
    qs = {m: quiescent(m) for m in GO_MINORS}
    s = serve(["--listen", "127.0.0.1:0", "-i", "300ms"] + [q.pid for q in qs.values()])
    wants = {m: q.snapshot() for m, q in qs.items()}
    after = time.monotonic()
    # Two sampling rounds after the last snapshot (a quiescent process holds still meanwhile).
    time.sleep(0.7)
    text = scrape_when(s, lambda t: all(f'go_gc_heap_objects_objects{{pid="{q.pid}"' in t
                                         for q in qs.values()))
    assert time.monotonic() > after
    # The runtime's readings again, after the scrape. A quiescent process allocates nothing, but
    # its runtime may still move a little: once (1 run in about 8) heap/free grew by 32 KiB
    # between the snapshot and the scrape. goscope's values must then be the later reading.
    laters = {m: q.snapshot() for m, q in qs.items()}
    promtool_ok(text)
    samples = parse_exposition(text)
    types = families(text)
    assert len(types) == len(re.findall(r"^# HELP ", text, re.M)), "one HELP per family"
    for minor, q in qs.items():
        mine = of_pid(samples, q.pid)
        # Backfilled series differ from the runtime's by their label only.
        plain = {(n, frozenset(x for x in l if x[0] != "computed_by")): v for (n, l), v in mine.items()}
        try:
            check_scalars(minor, plain, types, wants[minor])
            check_memstats(minor, plain, wants[minor])
        except AssertionError as before:
            try:
                check_scalars(minor, plain, types, laters[minor])
                check_memstats(minor, plain, laters[minor])
            except AssertionError:
                raise before from None
        check_histograms(minor, plain, {f: t for f, t in types.items()
                                        if any(family_of(n, types) == f for n, _ in mine)})
        backfilled = check_backfilled(minor, samples, q.pid, types, wants[minor])
        if minor < 21:
            assert {"go_gc_gogc_percent", "go_gc_gomemlimit_bytes",
                    "go_gc_heap_live_bytes"} <= backfilled, backfilled
            assert value(mine, "go_gc_gogc_percent", computed_by="goscope") == wants[minor]["gogc"]
            assert value(mine, "go_gc_gomemlimit_bytes", computed_by="goscope") == \
                float(wants[minor]["memory_limit"])
        if minor < 26:
            assert "go_sched_goroutines_running_goroutines" in backfilled, backfilled
        if minor >= 26:
            assert not backfilled, f"go1.{minor}: {backfilled}"
    assert s.stop() == 0


def test_no_runtime_histograms(quiescent, serve):
    q = quiescent(GO_MINORS[-1])
    s = serve(["--listen", "127.0.0.1:0", "--no-runtime-histograms", q.pid])
    text = scrape_when(s, lambda t: f'go_gc_heap_objects_objects{{pid="{q.pid}"' in t)
    types = families(text)
    assert [f for f, t in types.items() if t == "histogram"] == ["goscope_gc_pause_seconds"]
    assert "go_cpu_classes_user_cpu_seconds_total" in types
    promtool_ok(text)
    assert s.stop() == 0


class PromGo:
    """tests/targets/promgo: the Go collector of client_golang, inside a program."""

    def __init__(self, minor, tmp_path):
        self.out = tmp_path / f"promgo-{minor}.txt"
        self.proc = subprocess.Popen([str(target_path(minor, "default", "promgo")), "-out",
                                      str(self.out), "-gc", "3"], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.strip().endswith("ready"), line
        self.pid = self.proc.pid
        self.n = 0

    def exposition(self):
        self.proc.send_signal(signal.SIGUSR1)
        self.n += 1
        line = self.proc.stdout.readline()
        assert line.strip().endswith(f"exposition {self.n}"), line
        return self.out.read_text()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def promgo(tmp_path):
    yield from factory(lambda minor: PromGo(minor, tmp_path), lambda p: p.stop())


def le_sets(samples, types):
    """{histogram family: [le labels, as written]}."""
    out = {}
    for (name, labels), _ in samples.items():
        fam = family_of(name, types)
        if fam and types[fam] == "histogram" and name.endswith("_bucket"):
            out.setdefault(fam, []).append(dict(labels)["le"])
    return {f: sorted(v, key=float) for f, v in out.items()}


# goscope's go_* families that client_golang's Go collector (1.17+ runtimes) does not export:
# GCCPUFraction, which only its Go 1.16 collector had.
GOSCOPE_ONLY = {"go_memstats_gc_cpu_fraction"}


def test_families_are_client_golangs(promgo, serve):
    ps = {m: promgo(m) for m in GO_MINORS}
    checked_pauses = []
    s = serve(["--listen", "127.0.0.1:0", "-i", "300ms"] + [p.pid for p in ps.values()])
    text = scrape_when(s, lambda t: all(f'go_gc_heap_objects_objects{{pid="{p.pid}"' in t
                                         for p in ps.values()))
    promtool_ok(text)
    types = families(text)
    samples = parse_exposition(text)
    for minor, p in ps.items():
        theirs_text = p.exposition()
        theirs_types = families(theirs_text)
        theirs = parse_exposition(theirs_text)
        mine = of_pid(samples, p.pid)
        mine_types = {}
        for (name, labels), _ in mine.items():
            fam = family_of(name, types)
            if fam and fam.startswith("go_") and ("computed_by", "goscope") not in labels:
                mine_types[fam] = types[fam]
        assert set(theirs_types) - set(mine_types) == set(), f"go1.{minor}: goscope lacks these"
        assert set(mine_types) - set(theirs_types) == GOSCOPE_ONLY, f"go1.{minor}: client_golang lacks these"
        wrong = {f: (t, mine_types[f]) for f, t in theirs_types.items() if mine_types[f] != t}
        assert not wrong, f"go1.{minor}: types (client_golang, goscope): {wrong}"
        theirs_le = le_sets(theirs, families(theirs_text))
        mine_le = {f: les for f, les in le_sets(mine, types).items() if f.startswith("go_")}
        assert set(theirs_le) == set(mine_le)
        for f, les in theirs_le.items():
            assert mine_le[f] == les, f"go1.{minor}: {f}: le {mine_le[f]} != client_golang's {les}"
        # Values that hold still in any program.
        for f in ("go_sched_gomaxprocs_threads", "go_gc_gogc_percent", "go_gc_gomemlimit_bytes",
                  "go_gc_stack_starting_size_bytes"):
            if f in theirs_types:
                assert value(mine, f) == value(theirs, f), f"go1.{minor}: {f}"
        # What only a GC cycle changes, unless the exposition's own allocations started one:
        # the pause histogram, its buckets and its approximate _sum added up as client_golang
        # adds them.
        cycles = "go_gc_cycles_total_gc_cycles_total"
        if value(mine, cycles) == value(theirs, cycles):
            pauses = {k: v for k, v in theirs.items() if family_of(k[0], theirs_types) ==
                      "go_gc_pauses_seconds"}
            assert value(theirs, "go_gc_pauses_seconds_count") >= 6, pauses
            for (n, l), v in pauses.items():
                assert value(mine, n, **dict(l)) == v, f"go1.{minor}: {n}{dict(l)}"
            checked_pauses.append(minor)
        version = [dict(l)["version"] for (n, l), _ in theirs.items() if n == "go_info"]
        assert value(mine, "go_info", version=version[0]) == 1
    assert len(checked_pauses) >= len(GO_MINORS) // 2, f"GCs during the expositions: {checked_pauses}"
    assert s.stop() == 0
