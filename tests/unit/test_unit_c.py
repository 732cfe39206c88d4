"""Root-free: the C unit tests of the engine's arithmetic and of the shared writers, and every JSON
writer fed non-finite numbers and hostile strings, read back by a strict parser.

tests/unit/test_engine.c: GC accounting (gaps, stale cycles, uint32 wrap, drops), the circuit
breaker's window and trip rule, pause derivation per release, pause statistics, rates, GC CPU.
tests/unit/test_container.c: container identity from every case of the cgroup corpus, names from
a node's runtime state (tests/unit/data/noderoot), the selectors, the identity in JSON, labels
and columns.
tests/unit/test_webcfg.c: the exporter web config: every key, errors naming the key, the file's
permissions, bcrypt logins.
tests/unit/test_format.c: JSON escaping and non-finite numbers, Prometheus pause quantiles,
runtime/metrics as client_golang exports them (names, Go's number formatting, re-bucketed
histograms, the families), the unit formatters, duration and budget parsing.
tests/unit/json_writers.c: stat --json and every record kind with NaN/±Inf in float64 fields and
control characters, quotes and invalid UTF-8 in strings.
"""
import json
import re
import subprocess

import jsonschema
import pytest

from conftest import BUILD, REPO

SUMMARY_RE = re.compile(r"^(\d+) passed, (\d+) failed$")


@pytest.mark.parametrize("name,least", [("test_engine", 70), ("test_format", 70),
                                        ("test_container", 140), ("test_webcfg", 40),
                                        ("test_otlp", 200)])
def test_c_unit_tests(name, least):
    res = subprocess.run([BUILD / "tests" / name, REPO / "tests" / "unit" / "data"],
                         capture_output=True, text=True)
    lines = res.stdout.strip().splitlines()
    m = SUMMARY_RE.fullmatch(lines[-1]) if lines else None
    assert m and res.returncode == 0 and m.group(2) == "0", res.stdout + res.stderr
    assert int(m.group(1)) >= least, f"only {m.group(1)} checks ran"


def refuse(constant):
    raise ValueError(f"not JSON: {constant}")


def strict(line):
    """json.loads without Python's NaN/Infinity extension."""
    return json.loads(line, parse_constant=refuse)


def test_every_json_writer_is_strict_json():
    res = subprocess.run([BUILD / "tests" / "json_writers"], capture_output=True, check=True)
    lines = res.stdout.decode("utf-8").splitlines()
    assert len(lines) >= 10, lines
    for line in lines:
        for bad in ("NaN", "Infinity", "nan", "inf"):
            assert not re.search(rf"[:,\[]\s*-?{bad}\b", line), f"{bad} in {line}"
    docs = [strict(line) for line in lines]

    stat = docs[0]
    assert stat["metrics"]["GCCPUFraction"] is None
    assert stat["rates"]["alloc_bytes_per_second"] is None
    assert stat["rates"]["alloc_objects_per_second"] is None
    assert stat["rates"]["gc_cycles_per_second"] is None
    assert stat["rates"]["gc_cpu_percent"] is None
    assert stat["comm"] == 'we"ird\\\x01\ufffd'
    container = {"id": "a702bb6705b95adb9d8376e24e32b231193c7bd4547ca174d1fb5f798cf809bf",
                 "runtime": "cri-o", "name": 'ctr"\x02\ufffd', "pod": "p\\od\n",
                 "namespace": "ns", "pod_uid": "7d9e2b41-33c0-4f1a-b6a8-0e5c2f9d1b47"}
    assert stat["container"] == container and stat["nspid"] == 7
    assert stat["goroutines"]["wait_reasons"] == {"reason 7": 3}
    assert stat["goroutines"]["walk_partial"] is False
    assert stat["pauses"]["other_pauses"] == [{"reason": "reason 99", "duration_ns": 1000,
                                               "approximate": False}]

    schema = json.loads((REPO / "docs" / "record.schema.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    records = docs[1:]
    kinds = [r["kind"] for r in records]
    for kind in ("attach", "gc", "pause", "sample", "sched", "breaker", "lost", "exit", "detach"):
        assert kind in kinds, f"no {kind} record in {kinds}"
    for r in records:
        assert r["container"] == container and r["nspid"] == 7, r
        errors = sorted(validator.iter_errors(r), key=str)
        assert not errors, f"{r['kind']}: {errors[0].message}"
        assert r["exe"] == '/tmp/a "quoted"\npath'
    gc = records[kinds.index("gc")]
    assert gc["gc_cpu_fraction"] is None
    sample = records[kinds.index("sample")]
    assert sample["metrics"]["GCCPUFraction"] is None
    assert sample["goroutines"] == {k: stat["goroutines"][k] for k in sample["goroutines"]}, \
        "stat --json and record's sample write the same goroutines object"
    assert sample["metrics"] == stat["metrics"], "and the same metrics"
    assert records[kinds.index("breaker")]["probe_cpu_ratio"] is None
