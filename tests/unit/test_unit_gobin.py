"""Root-free: goscope's ELF, build-info, symbol and DWARF readers against Go's standard library.

tests/oracle/gobininfo reads every matrix binary with debug/buildinfo, debug/elf and debug/dwarf;
goscope's C readers (through build/tests/gobin_dump) must see exactly the same.
"""
import json
import subprocess

import pytest

from conftest import BUILD, GO_MINORS, tool_path, target_path

DUMP = BUILD / "tests" / "gobin_dump"

SYMBOLS = ["runtime.memstats", "runtime.work", "runtime.gcController", "runtime.runtimeInitTime",
           "runtime.freeStackSpans", "runtime.(*gcControllerState).startCycle", "main.main"]
SETTINGS = ["-buildmode", "CGO_ENABLED", "-ldflags", "GOARCH", "GOOS"]
COMMON_FIELDS = [
    "runtime.mstats:numgc", "runtime.mstats:gc_cpu_fraction", "runtime.mstats:pause_ns",
    "runtime.workType:tSweepTerm", "runtime.workType:tMark", "runtime.workType:tMarkTerm",
    "runtime.workType:tEnd", "runtime.workType:stwprocs", "runtime.workType:maxprocs",
    "runtime.workType:userForced", "runtime.workType:heap0", "runtime.workType:heap1",
    "runtime.workType:heap2", "runtime.workType:pauseNS",
    "runtime.gcControllerState:assistTime", "runtime.gcControllerState:dedicatedMarkTime",
    "runtime.gcControllerState:fractionalMarkTime", "runtime.gcControllerState:idleMarkTime",
    "runtime.gcControllerState:lastHeapGoal", "runtime.gcControllerState:maxStackScan",
    "runtime.gcControllerState:lastStackScan", "runtime.gcControllerState:globalsScan",
    "runtime.gcControllerState:heapLive",
]
# Nested paths, and one that does not exist in every release.
EXTRA_FIELDS = ["runtime.workType:cpuStats.gcAssistTime", "runtime.workType:cpuStats.GCAssistTime",
                "runtime.schedt:gFree.stack", "runtime.mstats:no_such_field", "runtime.noSuchType:x"]


def both(path):
    args = []
    for s in SYMBOLS:
        args += ["--sym", s]
    for f in COMMON_FIELDS + EXTRA_FIELDS:
        args += ["--field", f]
    ours = json.loads(subprocess.run([DUMP] + args + [f"--setting={k}" for k in SETTINGS] + [path],
                                     capture_output=True, text=True, check=True).stdout)
    oargs = []
    for s in SYMBOLS:
        oargs += ["-sym", s]
    for f in COMMON_FIELDS + EXTRA_FIELDS:
        oargs += ["-field", f]
    theirs = json.loads(subprocess.run([tool_path("gobininfo")] + oargs + [path],
                                       capture_output=True, text=True, check=True).stdout)
    return ours, theirs


@pytest.mark.parametrize("mode", ["default", "pie", "cgo", "stripped"])
@pytest.mark.parametrize("minor", GO_MINORS)
def test_readers_agree_with_go_stdlib(minor, mode):
    ours, theirs = both(target_path(minor, mode))
    assert "error" not in ours, ours
    assert ours["go_version"] == theirs["go_version"]
    assert ours["version_minor"] == minor
    assert ours["elf_type"] == theirs["elf_type"]
    assert ours["has_symtab"] == theirs["has_symtab"]
    assert ours["has_dwarf"] == theirs["has_dwarf"]
    assert ours["cgo"] == (mode == "cgo")
    for k in SETTINGS:
        assert ours["settings"][k] == theirs["settings"].get(k), k
    for s in SYMBOLS:
        want = theirs["symbols"].get(s)
        got = ours["symbols"][s]
        if want is None:
            assert got is None, s
        else:
            assert got == {"addr": want["addr"], "size": want["size"]}, s
    for f in COMMON_FIELDS + EXTRA_FIELDS:
        assert ours["fields"][f] == theirs["fields"].get(f), f
    if mode == "stripped":
        assert not ours["has_symtab"] and not ours["has_dwarf"]
    else:
        # The fields goscope's probes read exist in every supported release.
        assert all(ours["fields"][f] is not None for f in COMMON_FIELDS
                   if not f.endswith("maxStackScan") or True)


def test_not_go_and_not_elf(tmp_path):
    res = json.loads(subprocess.run([DUMP, "/bin/sh"], capture_output=True, text=True).stdout)
    assert res["code"] == 4
    text = tmp_path / "x.txt"
    text.write_text("hello")
    res = json.loads(subprocess.run([DUMP, text], capture_output=True, text=True).stdout)
    assert res["code"] == 4
