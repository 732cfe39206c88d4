"""Go built with GOEXPERIMENT: the version says so ("go1.26.11-X:nogreenteagc"; Go 1.25 writes
"go1.25.12 X:greenteagc", with a space), `ps` keeps its columns in place however long the version,
and gctrace is still the runtime's own line, byte for byte (issue 21, part 5).

tests/build-targets.sh builds churn with the GC experiment switched on where it is opt-in (1.25)
and off where it is the default (1.26): mode goexp. The version's oracle is the binary's own
build info, read by Go's debug/buildinfo (tests/oracle/gobininfo).
"""
import json
import subprocess

import pytest

from conftest import run_goscope, target_path, tool_path
from test_gctrace_parity import gctrace_parity

# As GOEXPERIMENTS in tests/build-targets.sh.
GOEXPERIMENTS = {25: "greenteagc", 26: "nogreenteagc"}


def build_version(path):
    out = subprocess.run([tool_path("gobininfo"), str(path)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)["go_version"]


@pytest.mark.parametrize("minor", sorted(GOEXPERIMENTS))
def test_experiment_build_ps_and_gctrace(minor, go_target, goscope):
    path = target_path(minor, "goexp")
    version = build_version(path)
    assert version.startswith(f"go1.{minor}.") and version.endswith(f"X:{GOEXPERIMENTS[minor]}")
    t = go_target(path)
    res = run_goscope(["ps"])
    assert res.returncode == 0, res.stderr
    header, *lines = res.stdout.splitlines()
    row = [ln for ln in lines if ln.split()[0] == str(t.pid)]
    assert row, f"PID {t.pid} not listed:\n{res.stdout}"
    row = row[0]
    # Every column starts under its header: the version fits its column, and the columns after
    # it are where the header says.
    assert row[header.index("GO"):].startswith(version + " "), row
    for col, want in (("PIE", "no"), ("STRIPPED", "no"), ("CGO", "no"), ("ATTACH", "yes")):
        at = header.index(col)
        assert row[at - 1] == " " and row[at:].split()[0] == want, (col, header, row)
    gctrace_parity(t, goscope, minor)
