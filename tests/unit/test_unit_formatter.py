"""Root-free: the gctrace formatter against the runtime's own lines and its own number formatting."""
import random
import re
import subprocess

from conftest import BUILD, REPO, tool_path

UNIT = BUILD / "tests" / "test_gctrace"


def test_formatter_unit_tests():
    res = subprocess.run([UNIT, REPO / "tests/unit/data/gctrace_vectors.txt"], capture_output=True, text=True)
    summary = res.stdout.strip().splitlines()[-1]
    m = re.fullmatch(r"(\d+) passed, (\d+) failed", summary)
    assert m and res.returncode == 0 and m.group(2) == "0", res.stdout + res.stderr
    assert int(m.group(1)) >= 30


def test_number_formatting_matches_the_go_runtime():
    # tests/oracle/fmtns calls the runtime's own fmtNSAsMS and itoaDiv; both sides format the
    # same 5,000 durations, spread over every magnitude from nanoseconds to hours.
    rng = random.Random(1234)
    values = [0, 1, 999, 1000, 99999, 100000, 9999999, 10000000, 2**63 - 1, 2**64 - 1]
    values += [int(10 ** rng.uniform(0, 13)) for _ in range(5000)]
    stdin = "".join(f"{v}\n" for v in values)
    want = subprocess.run([tool_path("fmtns")], input=stdin, capture_output=True, text=True, check=True).stdout
    got = subprocess.run([UNIT, "--fmt-ns"], input=stdin, capture_output=True, text=True, check=True).stdout
    assert got.splitlines() == want.splitlines()
