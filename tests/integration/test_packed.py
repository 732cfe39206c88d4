"""Packed Go programs (UPX): refused by name, with the Go version their memory holds and what
works instead, never as "not a Go program"; `ps` lists them as Go programs (issue 21, part 4).

What UPX 4.2 (Debian's upx-ucl) does with Go binaries, measured on every release of the matrix:
it packs the default, stripped and cgo (externally linked) builds and refuses the internally
linked PIE ("CantPackException: bad DT_HASH"). The packed program unpacks itself into anonymous
memory, so its code is in no file a uprobe can name. tests/build-targets.sh packs the default and
the cgo churn of every release (modes upx and upx-cgo); the oracle for the version is the
unpacked binary's own build info, read by Go's debug/buildinfo (tests/oracle/gobininfo).
"""
import functools
import json
import subprocess

import pytest

from conftest import GO_MINORS, GoTarget, run_goscope, target_path, tool_path, wait_for
from test_errors import assert_one_line_error

# Sixteen targets at once: each idles (1 MiB/s, one worker, no forced GC) so they cost the machine
# nothing; a packed program needs no GC activity to be recognized.
QUIET = ("-rate", "1", "-workers", "1", "-force", "0", "-min-live", "1", "-max-live", "2")
PACKED = [(minor, mode) for minor in GO_MINORS for mode in ("upx", "upx-cgo")]
UNPACKED = {"upx": "default", "upx-cgo": "cgo"}
ATTACH = "no: packed with UPX (upx -d unpacks it)"


@functools.cache
def oracle_version(minor, mode):
    out = subprocess.run([tool_path("gobininfo"), str(target_path(minor, UNPACKED[mode]))],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["go_version"]


@pytest.fixture(scope="module")
def packed(tmp_path_factory):
    """{(minor, mode): running packed churn}, all started once for the module."""
    tmp = tmp_path_factory.mktemp("packed")
    running = {}
    try:
        for minor, mode in PACKED:
            path = target_path(minor, mode)
            assert b"UPX!" in path.read_bytes()[:1024], f"{path} is not packed with UPX"
            running[(minor, mode)] = GoTarget(path, tmp, args=QUIET)
        yield running
    finally:
        for t in running.values():
            t.stop()


def assert_packed_error(left, res, t, version):
    assert "not a Go program" not in res.stderr, res.stderr
    assert_one_line_error(left, res, 10, f"PID {t.pid}: ", f"is a Go program ({version}) packed "
                          "with UPX", "unpack the file with `upx -d`", "GODEBUG=gctrace=1")


@pytest.mark.parametrize("minor,mode", PACKED)
def test_gctrace_refuses_packed_by_name(minor, mode, packed, bpf_leftovers):
    t = packed[(minor, mode)]
    assert_packed_error(bpf_leftovers, run_goscope(["gctrace", t.pid]), t,
                        oracle_version(minor, mode))
    assert t.alive()


@pytest.mark.parametrize("mode", ["upx", "upx-cgo"])
@pytest.mark.parametrize("args", [["stat"], ["schedtrace"], ["record"], ["stacks"], ["serve"],
                                  ["profile", "--allocs", "-d", "1s"]],
                         ids=lambda a: a[0])
def test_every_command_refuses_packed_by_name(args, mode, packed, bpf_leftovers):
    minor = GO_MINORS[-1]
    t = packed[(minor, mode)]
    assert_packed_error(bpf_leftovers, run_goscope(args + [t.pid]), t, oracle_version(minor, mode))


def test_ps_lists_packed_go_programs(packed):
    table = run_goscope(["ps"])
    assert table.returncode == 0, table.stderr
    assert "not a Go program" not in table.stdout + table.stderr
    header, *lines = table.stdout.splitlines()
    rows = {int(ln.split()[0]): ln for ln in lines}
    res = run_goscope(["ps", "--json"])
    assert res.returncode == 0, res.stderr
    objs = {o["pid"]: o for o in map(json.loads, res.stdout.splitlines())}
    for (minor, mode), t in packed.items():
        version = oracle_version(minor, mode)
        row = rows.get(t.pid)
        assert row, f"go1.{minor} {mode}: PID {t.pid} not listed:\n{table.stdout}"
        assert row[header.index("GO"):].startswith(version + " "), row
        assert row.endswith(ATTACH), row
        o = objs[t.pid]
        assert (o["go_version"], o["attachable"], o["reason"]) == \
            (version, False, ATTACH[len("no: "):]), o
        assert (o["pie"], o["cgo"]) == (False, mode == "upx-cgo"), o


def test_record_all_lists_packed_as_unsupported(packed, goscope):
    # Discovery (record --all, serve --all, top) names a packed program among the Go programs.
    t = packed[(GO_MINORS[-1], "upx")]
    g = goscope(["record", "--all", "-i", "200ms"])
    assert wait_for(lambda: any(f'"pid":{t.pid},' in ln for ln in g.wait_lines(1 << 30, 0.1)),
                    20), g.stderr()
    assert g.finish() == 0, g.stderr()
    mine = [json.loads(ln) for ln in g.lines if f'"pid":{t.pid},' in ln]
    attach = [r for r in mine if r["kind"] == "attach"]
    assert attach and attach[0]["state"] == "unsupported", mine
    assert attach[0]["go_version"] == oracle_version(GO_MINORS[-1], "upx")
    assert "packed with UPX" in attach[0]["reason"], attach[0]
