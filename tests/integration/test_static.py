"""`make static`: $BUILD/static/goscope needs no shared library and does what goscope does.

It has no dynamic section and no program interpreter (readelf), says the same version as the
dynamically linked build, lists Go processes, and passes the gctrace parity check
(conftest.check_parity, as test_gctrace_parity.py runs it) on the oldest, a middle and the newest
Go release, plain and PIE (1.19, 1.23, 1.27).
"""
import subprocess

import pytest

import conftest
from conftest import BUILD, GO_MINORS, GOSCOPE, target_path
from test_gctrace_parity import gctrace_parity

STATIC = BUILD / "static" / "goscope"


def static_binary():
    assert STATIC.exists(), f"{STATIC} missing: run make O={BUILD} static"
    return STATIC


def test_no_dynamic_dependencies():
    res = subprocess.run(["readelf", "--dynamic", "--program-headers", static_binary()],
                         capture_output=True, text=True, check=True)
    assert "There is no dynamic section in this file." in res.stdout, res.stdout
    assert "NEEDED" not in res.stdout
    assert "INTERP" not in res.stdout, "a program interpreter means a dynamic loader"


def test_version_and_ps(go_target):
    want = subprocess.run([GOSCOPE, "--version"], capture_output=True, text=True).stdout
    got = subprocess.run([static_binary(), "--version"], capture_output=True, text=True)
    assert got.returncode == 0 and got.stdout == want, got
    target = go_target(target_path(GO_MINORS[-1], "default"))
    res = subprocess.run([static_binary(), "ps"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    rows = [line.split() for line in res.stdout.splitlines()[1:]]
    assert any(r[0] == str(target.pid) and r[-1] == "yes" for r in rows), res.stdout


@pytest.mark.parametrize("mode", ["default", "pie"])
@pytest.mark.parametrize("minor", [19, 23, 27])
def test_gctrace_parity(minor, mode, go_target, goscope, monkeypatch):
    # The goscope fixture runs conftest.GOSCOPE: here, the static binary.
    monkeypatch.setattr(conftest, "GOSCOPE", static_binary())
    g, _ = gctrace_parity(go_target(target_path(minor, mode)), goscope, minor)
    assert g.proc.args[0] == str(STATIC)


def test_no_otlp_push_says_so(go_target):
    """libcurl cannot be linked statically from Debian's packages: the static build refuses
    --otlp with one line, before attaching anything."""
    target = go_target(target_path(GO_MINORS[-1], "default"))
    res = subprocess.run([static_binary(), "serve", "--otlp", "http://127.0.0.1:4318", str(target.pid)],
                         capture_output=True, text=True, timeout=30)
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 1 and len(lines) == 1, res
    assert "this static build of goscope has no OTLP push" in lines[0]
