"""The performance suite (bench/perf.py) in its seconds-long smoke version, so the bench code does
not rot between full runs. Nothing about timing is asserted: only that every section ran against
real processes and measured something."""
import re
import subprocess
import sys

from conftest import BUILD, GO_MINORS, REPO


def rows(report, heading):
    """Table rows (lists of cells) of the section under heading."""
    part = report.split("## " + heading, 1)
    assert len(part) == 2, f"no section {heading!r} in:\n{report}"
    body = part[1].split("\n## ", 1)[0]
    return [[c.strip() for c in line.strip("|").split("|")]
            for line in body.splitlines()
            if line.startswith("|") and not line.startswith("|---")][1:]


def smoke(script, tmp_path, timeout):
    """Run bench/SCRIPT --smoke against this build; its Markdown report (the run must succeed)."""
    out = tmp_path / (script.rsplit(".", 1)[0] + ".md")
    res = subprocess.run([sys.executable, str(REPO / "bench" / script), "--smoke",
                          "--build", str(BUILD), "--out", str(out)],
                         capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, res.stdout + res.stderr
    return out.read_text()


def test_perf_smoke(tmp_path, bpf_leftovers):
    report = smoke("perf.py", tmp_path, 600)
    assert "failed" not in report, report

    over = rows(report, "Target overhead, default mode")
    observers = {r[2] for r in over}
    assert {"goscope record", "bpftrace mallocgc count"} <= observers, over
    for r in over:
        assert float(r[3]) > 0, r           # a throughput ratio was measured
    # The naive probe on mallocgc is not subtle: even a one-second phase shows it.
    naive = [r for r in over if r[2].startswith("bpftrace")]
    assert all(float(r[3]) < 0.5 for r in naive), naive

    json_rows = rows(report, "Target overhead on a standard-library benchmark: encoding/json")
    assert any(r[0].startswith("BenchmarkCode") for r in json_rows), json_rows

    hits = rows(report, "Probe hits per GC cycle")
    assert hits and all(int(r[2]) > 0 and int(r[3]) > 0 for r in hits), hits

    attach = rows(report, "Attach latency")
    assert [r[0].split(":")[0] for r in attach] == ["small", "large"], attach
    assert float(re.match(r"([\d.]+) MB", attach[1][1]).group(1)) >= 30, attach

    lat = rows(report, "Event path: GC end to line")
    assert lat and int(lat[0][3]) > 0, lat

    foot = rows(report, "Agent footprint and scale")
    assert [int(r[0]) for r in foot] == [1, 3], foot

    # Every goscope the bench started has gone, and its programs with it.
    bpf_leftovers.assert_none(after="after the bench")


def test_stacks_smoke(tmp_path):
    """bench/stacks.py --smoke: 200 goroutines, both sections in seconds. Timings are not
    asserted; what is: every dump was complete and checked, the target's seconds were counted,
    and no /proc poll found one of its threads stopped (no ptrace, no signal: hard rule 1)."""
    report = smoke("stacks.py", tmp_path, 300)
    assert "failed" not in report, report

    dump = rows(report, "Dump time and goscope's memory")
    assert [r[:3] for r in dump] == [["200", "10", "text"], ["200", "10", "pprof"],
                                     ["200", "50", "text"], ["200", "50", "pprof"]], dump
    for r in dump:
        assert int(r[8]) >= 200, r          # every parked goroutine is in the output
        assert r[6].endswith("MiB"), r      # peak RSS measured

    target = rows(report, "The target while `goscope stacks` runs every second")
    assert [r[0] for r in target] == ["without goscope", "`goscope stacks` every second"], target
    for r in target:
        assert int(r[2]) > 0, r             # per-second lines counted in the phase
        stopped, polls = re.fullmatch(r"(\d+) of (\d+)", r[6]).group(1, 2)
        assert int(polls) > 0 and int(stopped) == 0, r
    assert re.search(r"Throughput ratio with/without .*: \*\*[\d.]+\*\*", report), report


def test_rtmetrics_smoke(tmp_path):
    """bench/rtmetrics.py --smoke: every release's full read, a small fleet, the target. Timings
    are not asserted; what is: a row per release of the matrix, every tick of the with-runs read
    the metrics (the script checks), and no stopped thread was seen."""
    report = smoke("rtmetrics.py", tmp_path, 600)
    read = rows(report, "One full read per target")
    assert [r[0] for r in read] == [f"1.{m}" for m in GO_MINORS], read
    assert re.search(r"thread states polled [1-9]\d* times at 50 Hz: 0 stopped", report), report
