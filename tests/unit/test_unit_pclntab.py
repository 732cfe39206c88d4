"""Root-free: goscope's .gopclntab reader against Go's debug/gosym, on every matrix binary.

tests/oracle/gobininfo resolves function names through debug/gosym (its "pcln_funcs"); goscope's C
reader (build/tests/gobin_dump --func) must give the same entry and end addresses, in every build
mode, stripped binaries included. Where .symtab exists it must agree with that too.
"""
import json
import subprocess

import pytest

from conftest import BUILD, GO_MINORS, target_path, tool_path

DUMP = BUILD / "tests" / "gobin_dump"

# Functions goscope probes or may probe, and a few the runtime always links.
FUNCS = [
    "runtime.freeStackSpans", "runtime.(*gcControllerState).startCycle", "runtime.newproc1",
    "runtime.gdestroy", "runtime.goexit0", "runtime.schedtrace", "runtime.startTheWorldWithSema",
    "runtime.stopTheWorldWithSema", "runtime.profilealloc", "runtime.mallocgc",
    "runtime.ReadMemStats", "runtime.readmemstats_m", "main.main", "runtime.main",
    "runtime.gcStart", "runtime.gcMarkTermination", "runtime.gcBgMarkWorker", "runtime.bgsweep",
    "runtime.GC", "runtime.goexit", "runtime.morestack", "runtime.rt0_go", "runtime.mstart",
    "runtime.findRunnable",
]
# The churn target never calls runtime.ReadMemStats, so the linker drops it (and what only it
# reaches); both readers must agree that it is absent. gdestroy was split out of goexit0 in 1.22.
NOT_LINKED = {"runtime.ReadMemStats", "runtime.readmemstats_m"}
ABSENT = ["runtime.noSuchFunction", "runtime.text"]
# .symtab names assembly functions with their ABI ("runtime.goexit.abi0"); .gopclntab does not.
ABI0 = ".abi0"
# amd64 aligns functions to 32 bytes; the pclntab's end is the next function's entry.
FUNC_ALIGN = 32


def must_exist(name, minor):
    if name in NOT_LINKED:
        return False
    if name == "runtime.gdestroy":
        return minor >= 22
    return True


def dump(path, names):
    args = ["--func-count"]
    for n in names:
        args += ["--func", n, "--sym", n, "--sym", n + ABI0]
    out = subprocess.run([DUMP] + args + [str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def oracle(path, names):
    args = []
    for n in names:
        args += ["-sym", n]
    out = subprocess.run([tool_path("gobininfo")] + args + [str(path)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("mode", ["default", "pie", "cgo", "stripped"])
@pytest.mark.parametrize("minor", GO_MINORS)
def test_funcs_agree_with_debug_gosym(minor, mode):
    path = target_path(minor, mode)
    names = FUNCS + ABSENT
    ours, theirs = dump(path, names), oracle(path, names)
    assert "error" not in ours, ours
    assert "pclntab_error" not in theirs, theirs
    assert ours["has_symtab"] == (mode != "stripped")
    for n in names:
        assert ours["funcs"][n] == theirs["pcln_funcs"][n], n
    for n in FUNCS:
        if must_exist(n, minor):
            assert ours["funcs"][n] is not None, n
        elif n != "runtime.gdestroy":
            assert ours["funcs"][n] is None, n
    assert ours["funcs"]["runtime.gdestroy"] is None or minor >= 22
    for n in ABSENT:
        assert ours["funcs"][n] is None, n


# Go as a shared library and as an archive linked into a C program: the external linker merges
# .gopclntab into .data.rel.ro, where goscope finds it by its symbols or, stripped, by its header
# and the moduledata that points back at it.
MERGED = [("cshared", "libchurn.so"), ("carchive", "churn")]


@pytest.mark.parametrize("mode,name", [("default", "churn"), ("pie", "churn"), ("cgo", "churn")] +
                         MERGED)
@pytest.mark.parametrize("minor", GO_MINORS)
def test_funcs_agree_with_symtab(minor, mode, name):
    ours = dump(target_path(minor, mode, name), FUNCS)
    assert ours["func_count"] > 1000, ours
    for n in FUNCS:
        f, s = ours["funcs"][n], ours["symbols"][n] or ours["symbols"][n + ABI0]
        assert (f is None) == (s is None), n
        if f is None:
            continue
        assert f["entry"] == s["addr"], n
        # .symtab's size is the code alone; the table's end also covers the alignment padding.
        assert s["addr"] + s["size"] <= f["end"] < s["addr"] + s["size"] + FUNC_ALIGN, n


@pytest.mark.parametrize("minor", GO_MINORS)
def test_stripped_matches_unstripped(minor):
    """-s -w drops symbols and DWARF only: the same functions sit at the same addresses."""
    full = dump(target_path(minor, "default"), FUNCS)
    stripped = dump(target_path(minor, "stripped"), FUNCS)
    assert not stripped["has_symtab"]
    assert stripped["func_count"] == full["func_count"] > 1000
    for n in FUNCS:
        assert stripped["funcs"][n] == full["funcs"][n], n
        s = full["symbols"][n] or full["symbols"][n + ABI0]
        if s is not None:
            assert stripped["funcs"][n]["entry"] == s["addr"], n


@pytest.mark.parametrize("minor", GO_MINORS)
def test_stripped_shared_library_matches_unstripped(minor):
    """binutils strip drops .symtab and DWARF: the scan for the merged table finds the same one."""
    full = dump(target_path(minor, "cshared", "libchurn.so"), FUNCS)
    stripped = dump(target_path(minor, "cshared-strip", "libchurn.so"), FUNCS)
    assert not stripped["has_symtab"] and full["has_symtab"]
    assert stripped["func_count"] == full["func_count"] > 1000
    for n in FUNCS:
        assert stripped["funcs"][n] == full["funcs"][n], n


@pytest.mark.parametrize("mode", ["default", "pie", "cgo", "stripped"])
def test_every_mode_has_a_full_table(mode):
    for minor in GO_MINORS:
        assert dump(target_path(minor, mode), [])["func_count"] > 1000, (minor, mode)


def test_not_go(tmp_path):
    res = json.loads(subprocess.run([DUMP, "--func", "main.main", "/bin/sh"], capture_output=True,
                                    text=True).stdout)
    assert res["code"] == 4


@pytest.mark.parametrize("mode", ["default", "pie", "cgo", "stripped"])
@pytest.mark.parametrize("minor", GO_MINORS)
def test_source_lines_agree_with_debug_gosym(minor, mode):
    """File and line of ~600 PCs spread over the binary, as debug/gosym's PCToLine gives them."""
    path = target_path(minor, mode)
    out = subprocess.run([tool_path("gobininfo"), "-lines", "200", str(path)], capture_output=True,
                         text=True, check=True)
    want = json.loads(out.stdout)["pc_lines"]
    assert len(want) >= 500
    args = []
    for w in want:
        args += ["--pcline", str(w["pc"])]
    got = json.loads(subprocess.run([DUMP] + args + [str(path)], capture_output=True, text=True,
                                    check=True).stdout)["pclines"]
    known = 0
    for w in want:
        ours = got[str(w["pc"])]
        if w["line"] < 0:
            # Alignment padding after a function's code: no line there, for either reader.
            assert ours is None, (hex(w["pc"]), ours)
            continue
        assert ours == {"file": w["file"], "line": w["line"]}, (hex(w["pc"]), ours, w)
        known += 1
    assert known >= len(want) // 2


def drop_section_headers(src, dst):
    """What sstrip does to the headers: no section header table at all (e_shoff, e_shnum and
    e_shstrndx zero). The kernel runs such a file; only the program headers remain."""
    data = bytearray(src.read_bytes())
    data[0x28:0x30] = bytes(8)
    data[0x3C:0x40] = bytes(4)
    dst.write_bytes(bytes(data))
    dst.chmod(0o755)
    return dst


@pytest.mark.parametrize("mode", ["stripped", "pie", "cgo"])
@pytest.mark.parametrize("minor", GO_MINORS)
def test_binary_without_section_headers(minor, mode, tmp_path):
    """Build info, .gopclntab and every runtime address come out the same without section
    headers: found by the build info's magic, the table's header and moduledata, and recipes
    bounded by the moduledata's data sections."""
    path = target_path(minor, mode)
    bare = drop_section_headers(path, tmp_path / "bare")
    full, ours = dump(path, FUNCS), dump(bare, FUNCS)
    assert ours["go_version"] == full["go_version"]
    assert ours["func_count"] == full["func_count"] > 1000
    for n in FUNCS:
        assert ours["funcs"][n] == full["funcs"][n], n
    resolve = lambda p: json.loads(subprocess.run(  # noqa: E731
        [DUMP, "--resolve", str(p)], capture_output=True, text=True, check=True).stdout)["resolve"]
    want, got = resolve(path), resolve(bare)
    assert want["error"] is None and got["error"] is None, got
    # With headers, pie and cgo builds resolve through .symtab and DWARF: an independent oracle.
    # Optional types come from DWARF there and from the built-in tables here, so either may have
    # one the other lacks; everything both have agrees, and nothing the -s -w build finds is lost.
    common = set(want["values"]) & set(got["values"])
    assert {k: want["values"][k] for k in common} == {k: got["values"][k] for k in common}
    plain = resolve(target_path(minor, "stripped"))["values"]
    assert set(plain) <= set(got["values"])
    assert len(common) > 100
