"""Root-free: goscope's x86-64 decoding (user/gobin/disasm.c and globals.c) on every matrix binary.

RET offsets (where return probes go) must equal what `go tool objdump` and GNU objdump decode.

Globals recovered from code alone (for binaries built with -ldflags=-s, which have no .symtab)
must equal the .symtab answer, as Go's debug/elf reads it (tests/oracle/gobininfo):

  * default, pie, cgo: gobin_dump --recover-only ignores the binary's own .symtab, so the
    recovery is checked against the symbol table of the very same file;
  * stripped: -s -w drops only symbols and DWARF, but the build settings recorded in the binary
    ("-ldflags=-s -w") are longer than a default build's, which moves the data sections of some
    releases (Go 1.27: 0x20 bytes). So each stripped binary is compared with a copy built here
    from the same source and toolchain with "-ldflags=-w -w", a string of the same length that
    keeps .symtab; the test first checks that its code and data sections sit exactly where the
    stripped binary's do;
  * pgo (Go 1.21+: profile-guided optimization with the compiler's own profile, and -s -w, as
    Go's toolchain binaries are built), where some recipe functions are inlined away and others
    hold more inlined code: as stripped, against a twin built with the same profile;
  * lifecycle, default and noprof (memory profiling compiled out, so the linker sets
    runtime.disableMemoryProfiling and moves it out of .noptrbss): against its own .symtab, and
    a binutils-stripped copy against the same;
  * stackshapes and quiescent, which link runtime/metrics or internal/godebug and so have
    internal/godebugs.All, and internal/godebug (its cache) in every release from 1.21 on (churn
    has them only in some releases, and gets no address where it has not): as churn, in their
    build modes.

Every recipe row that applies must have agreed, and recovery must refuse (null), not guess, when
the file's contents or code are tampered with.
"""
import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD, GO_MINORS, REPO, target_path, tool_path

DUMP = BUILD / "tests" / "gobin_dump"
TARGETS_SRC = REPO / "tests" / "targets"

# Present in every release of the matrix, with a size fixed by the declaration or from DWARF.
STRUCTS = ["runtime.memstats", "runtime.work", "runtime.gcController", "runtime.sched",
           "runtime.mheap_", "runtime.gcCPULimiter"]
SCALARS = ["runtime.runtimeInitTime", "runtime.allp", "runtime.allgs", "runtime.allglen",
           "runtime.gomaxprocs", "runtime.MemProfileRate", "runtime.disableMemoryProfiling",
           "runtime.allm", "runtime.ncgocall", "runtime.startingStackSize"]
# Present from a release on (struct globals: size from DWARF, else 0).
SINCE = {"runtime.extraMInUse": 21, "runtime.extraMLength": 21, "runtime.finqueued": 25,
         "runtime.finexecuted": 25, "runtime.gcCleanups": 25}
LATE_STRUCTS = ["runtime.gcCleanups"]
# 1.21+, but only in programs that link runtime/metrics or internal/godebug (never an empty main):
# recovered exactly when .symtab has it.
GODEBUGS = "internal/godebugs.All"
# internal/godebug's sync.Map (a struct: size from DWARF, else 0), 1.21+, only in programs that
# link internal/godebug (os/exec, net, ...): recovered exactly when .symtab has it.
GODEBUG_CACHE = "internal/godebug.cache"
LINKED_ONLY = [GODEBUGS, GODEBUG_CACHE]
ALL_NAMES = STRUCTS + SCALARS + [
    "runtime.ncpu", "runtime.numCPUStartup", "runtime.class_to_size",
    "internal/runtime/gc.SizeClassToSize", "runtime.waitReasonStrings", "runtime.stwReasonStrings",
] + list(SINCE) + LINKED_ONLY
# Globals with one recipe row in a release (no second function addresses them there).
ONE_ROW = {("runtime.class_to_size", 19), ("runtime.stwReasonStrings", 21)}
# Only .symtab knows these (no recipe): gobin__global must still find them there.
SYMTAB_ONLY = ["runtime.m0", "runtime.forcegc"]
ABSENT = ["runtime.noSuchGlobal"]

RET_FUNCS = ["runtime.newproc1", "runtime.freeStackSpans"]
# More functions for GNU objdump, including hand-written AVX2 assembly (memeqbody, indexbytebody)
# whose VZEROUPPER Go 1.27's objdump misdecodes.
GNU_RET_FUNCS = RET_FUNCS + ["runtime.gcStart", "runtime.casgstatus", "runtime.mallocgc",
                             "runtime.gcMarkTermination", "runtime.schedule", "memeqbody",
                             "indexbytebody"]
MAX_SMALL_SIZE = 32768
MEM_PROFILE_RATE = 512 * 1024


def names_for(minor):
    """The globals goscope needs in this release that every program has (LINKED_ONLY aside)."""
    return STRUCTS + SCALARS + [
        "runtime.ncpu" if minor <= 24 else "runtime.numCPUStartup",
        "runtime.class_to_size" if minor <= 24 else "internal/runtime/gc.SizeClassToSize",
        "runtime.waitReasonStrings",
    ] + (["runtime.stwReasonStrings"] if minor >= 21 else []) + \
        [n for n, since in SINCE.items() if minor >= since]


def dump(path, args):
    out = subprocess.run([DUMP] + args + [str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert "error" not in res, res
    return res


def dump_globals(path, names, recover_only):
    args = ["--recover-only"] if recover_only else []
    for n in names:
        args += ["--global", n]
    return dump(path, args)


def symtab(path, names):
    args = []
    for n in names:
        args += ["-sym", n]
    out = subprocess.run([tool_path("gobininfo")] + args + [str(path)], capture_output=True,
                         text=True, check=True, timeout=120)
    return json.loads(out.stdout)["symbols"]


# ---- ELF, read directly: section and segment headers only ----

def elf_sections(path):
    """{name: (addr, size, type)} of every section."""
    data = Path(path).read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)
    hdrs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    strtab_off = hdrs[shstrndx][4]
    out = {}
    for h in hdrs:
        name = data[strtab_off + h[0]:data.index(b"\0", strtab_off + h[0])].decode()
        out[name] = (h[3], h[5], h[1])
    return out


def vaddr_to_offset(path, vaddr):
    data = Path(path).read_bytes()
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz, _, _ = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == 1 and p_vaddr <= vaddr < p_vaddr + p_filesz:
            return vaddr - p_vaddr + p_offset
    raise AssertionError(f"0x{vaddr:x} is in no loadable segment of {path}")


# ---- the unstripped twin of each stripped build ----

def go_env():
    """The hermetic environment of tests/build-targets.sh, sharing its build cache."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("GOROOT", "GOPATH", "GOBIN", "GOOS", "GOARCH", "GOAMD64", "GOEXPERIMENT",
                        "GOFLAGS", "GODEBUG")}
    env.update(GOTOOLCHAIN="local", GOPROXY="off", GOSUMDB="off", GOFLAGS="-buildvcs=false",
               GO111MODULE="on", GOWORK="off", GOENV="off", GOTELEMETRY="off", CGO_ENABLED="0",
               GOCACHE=str(BUILD / "gocache"), GOPATH=str(BUILD / "gopath"),
               GOMODCACHE=str(BUILD / "gopath" / "pkg" / "mod"))
    return env


def pgo_profile(minor):
    """The compiler's own profile, which tests/build-targets.sh builds the pgo targets with."""
    return f"/usr/lib/go-1.{minor}/src/cmd/compile/default.pgo"


@pytest.fixture(scope="session")
def twins(tmp_path_factory):
    """twins(minor, name, mode): a target built like its stripped (or pgo) build, but with .symtab
    ("-w -w")."""
    made = {}

    def get(minor, name="churn", mode="stripped"):
        if (minor, name, mode) not in made:
            go = Path(f"/usr/lib/go-1.{minor}/bin/go")
            assert go.exists(), f"{go} missing: run scripts/install-deps.sh --test"
            out = tmp_path_factory.mktemp(f"twin{minor}{mode}") / name
            args = ["-ldflags=-w -w"] + ([f"-pgo={pgo_profile(minor)}"] if mode == "pgo" else [])
            res = subprocess.run([str(go), "build", *args, "-o", str(out), "."],
                                 cwd=TARGETS_SRC / name, env=go_env(), capture_output=True,
                                 text=True, timeout=600)
            assert res.returncode == 0, res.stderr
            made[minor, name, mode] = out
        return made[minor, name, mode]

    return get


def twin_of_stripped(twins, minor, name="churn", mode="stripped"):
    stripped = target_path(minor, mode, name)
    twin = twins(minor, name, mode)
    a, b = elf_sections(stripped), elf_sections(twin)
    assert ".symtab" not in a and ".symtab" in b
    # Where the recovered globals and the code that addresses them live.
    for sec in [".text", ".noptrdata", ".data", ".bss", ".noptrbss"]:
        assert a[sec][:2] == b[sec][:2], \
            f"go1.{minor}: {sec} differs between {stripped} and its -w twin " \
            f"(is the stripped target stale? run tests/build-targets.sh {BUILD})"
    return stripped, twin


# ---- globals ----

def check_against_symtab(res, syms, minor, have_dwarf, one_row=ONE_ROW):
    wanted = names_for(minor)
    for n in ALL_NAMES:
        got, want = res["globals"][n], syms[n]
        if n in LINKED_ONLY:
            # 1.21+, where the program links it; the functions of its recipes come with it.
            assert minor >= 21 or want is None, (n, want)
            if want is None:
                assert got is None, (n, got)
                continue
        elif n not in wanted:
            assert want is None and got is None, (n, got, want)
            continue
        assert want is not None, f"{n} missing from .symtab of the go1.{minor} build"
        assert got is not None, f"{n} not recovered (go1.{minor})"
        assert got["addr"] == want["addr"], (n, hex(got["addr"]), hex(want["addr"]))
        assert got["recipes"] >= 1 and got["agreed"] == got["recipes"], (n, got)
        assert got["agreed"] >= 2 or (n, minor) in one_row, (n, got)
        if n in STRUCTS + LATE_STRUCTS + [GODEBUG_CACHE] and not have_dwarf:
            # Nothing in a binary without DWARF gives a struct's size.
            assert got["size"] == 0, (n, got)
        else:
            assert got["size"] == want["size"], (n, got["size"], want["size"])


@pytest.mark.parametrize("mode", ["default", "pie", "cgo"])
@pytest.mark.parametrize("minor", GO_MINORS)
def test_recovery_equals_own_symtab(minor, mode):
    path = target_path(minor, mode)
    res = dump_globals(path, ALL_NAMES, recover_only=True)
    assert res["has_symtab"] and res["has_dwarf"]
    check_against_symtab(res, symtab(path, ALL_NAMES), minor, have_dwarf=True)


@pytest.mark.parametrize("minor", GO_MINORS)
def test_stripped_recovery_equals_twin_symtab(minor, twins):
    stripped, twin = twin_of_stripped(twins, minor)
    res = dump_globals(stripped, ALL_NAMES, recover_only=True)
    assert not res["has_symtab"] and not res["has_dwarf"]
    check_against_symtab(res, symtab(twin, ALL_NAMES), minor, have_dwarf=False)
    # Without .symtab, gobin__global is the recovery.
    plain = dump_globals(stripped, ALL_NAMES, recover_only=False)
    for n in ALL_NAMES:
        r = res["globals"][n]
        assert plain["globals"][n] == (r and {"addr": r["addr"], "size": r["size"]}), n
    # The twin's own code gives the same answers as the stripped binary's.
    twin_res = dump_globals(twin, ALL_NAMES, recover_only=True)
    for n in names_for(minor):
        assert twin_res["globals"][n]["addr"] == res["globals"][n]["addr"], n


# ---- profile-guided optimization ----

PGO_MINORS = [m for m in GO_MINORS if m >= 21]
# Recipe functions that PGO, with the compiler's profile, inlines into every caller in some
# release (the linker then drops them); their rows give way to rows in the callers.
PGO_INLINED = ["runtime.(*mcentral).grow", "runtime.(*mheap).initSpan", "runtime.trygetfull",
               "runtime.mallocgcSmallNoscan", "runtime.mallocgcLarge"]
# Globals left with one row there: trygetfull's inlined code calls no work.full.pop() of its own.
PGO_ONE_ROW = ONE_ROW | {("runtime.work", 23)}


@pytest.mark.parametrize("minor", PGO_MINORS)
def test_pgo_recovery_equals_twin_symtab(minor, twins):
    """Built with profile-guided optimization and stripped, as Go's toolchain binaries are (with
    their profile): some recipe functions are inlined away, others hold more inlined code, moving
    the operands a count over all their code would pick. Every global must still be .symtab's,
    with every row that ran agreeing."""
    stripped, twin = twin_of_stripped(twins, minor, mode="pgo")
    args = sum((["--func", f] for f in PGO_INLINED), [])
    plain = dump(target_path(minor, "stripped"), args)["funcs"]
    pgo = dump(stripped, args)["funcs"]
    # The build is what it stands for: PGO inlined a function some row reads.
    assert any(plain[f] and not pgo[f] for f in PGO_INLINED), (minor, pgo)
    res = dump_globals(stripped, ALL_NAMES, recover_only=True)
    assert not res["has_symtab"] and not res["has_dwarf"]
    check_against_symtab(res, symtab(twin, ALL_NAMES), minor, have_dwarf=False,
                         one_row=PGO_ONE_ROW)
    # The twin's own code gives the same answers.
    twin_res = dump_globals(twin, ALL_NAMES, recover_only=True)
    for n in names_for(minor):
        assert twin_res["globals"][n]["addr"] == res["globals"][n]["addr"], n


def godebug_names(minor):
    """The setting names of internal/godebugs.All, in order, as the release's source lists them."""
    src = Path(f"/usr/lib/go-1.{minor}/src/internal/godebugs/table.go").read_text()
    table = src[src.index("var All = []Info{"):]
    return re.findall(r'(?m)^\t\{Name: "([^"]+)"', table[:table.index("\n}\n")])


# Targets that link internal/godebug in every release, so internal/godebugs.All and
# internal/godebug.cache are there from 1.21 on (churn has them in some releases only), in the
# modes they are built in.
GODEBUG_TARGETS = {"stackshapes": ["default", "pie", "cgo"], "quiescent": ["default", "pie"]}
# sync.Map: {mu, read, dirty, misses} up to 1.23, {_ noCopy; m HashTrieMap} from 1.24.
SYNC_MAP_SIZE = {21: 32, 22: 32, 23: 32}


@pytest.mark.parametrize("name", sorted(GODEBUG_TARGETS))
@pytest.mark.parametrize("minor", GO_MINORS)
def test_godebug_targets_recovery(minor, name, twins):
    for mode in GODEBUG_TARGETS[name]:
        path = target_path(minor, mode, name)
        res = dump_globals(path, ALL_NAMES, recover_only=True)
        syms = symtab(path, ALL_NAMES)
        for n in LINKED_ONLY:
            assert (syms[n] is not None) == (minor >= 21), (mode, n, syms[n])
        check_against_symtab(res, syms, minor, have_dwarf=True)
        if minor >= 21:
            got = res["globals"][GODEBUG_CACHE]
            assert got["size"] == SYNC_MAP_SIZE.get(minor, 48), (mode, got)
            assert got["recipes"] == got["agreed"] == 2, (mode, got)
    stripped, twin = twin_of_stripped(twins, minor, name)
    res = dump_globals(stripped, ALL_NAMES, recover_only=True)
    assert not res["has_symtab"] and not res["has_dwarf"]
    check_against_symtab(res, symtab(twin, ALL_NAMES), minor, have_dwarf=False)
    if minor < 21:
        return
    got = res["globals"][GODEBUG_CACHE]
    assert got["recipes"] == got["agreed"] == 2, got
    # Zeroed data, where a struct of pointers goes.
    bss = elf_sections(stripped)[".bss"]
    assert bss[0] <= got["addr"] < got["addr"] + SYNC_MAP_SIZE.get(minor, 48) <= bss[0] + bss[1]
    # The slice the stripped binary's own code points at lists the release's settings.
    data = Path(stripped).read_bytes()
    hdr = vaddr_to_offset(stripped, res["globals"][GODEBUGS]["addr"])
    ptr, length, cap = struct.unpack_from("<QQQ", data, hdr)
    want = godebug_names(minor)
    assert length == cap == len(want), (length, cap, len(want))
    got = []
    for i in range(length):
        sp, sl = struct.unpack_from("<QQ", data, vaddr_to_offset(stripped, ptr + 64 * i))
        off = vaddr_to_offset(stripped, sp)
        got.append(data[off:off + sl].decode())
    assert got == want


@pytest.mark.parametrize("minor", [m for m in GO_MINORS if m >= 21])
def test_refuses_tampered_godebugs(minor, tmp_path):
    """internal/godebugs.All must read as a slice of settings: len == cap, names [a-z0-9]+."""
    path = target_path(minor, "stripped", "stackshapes")
    names = [GODEBUGS, "runtime.allm"]
    glob = dump_globals(path, names, recover_only=False)["globals"]
    assert glob[GODEBUGS] is not None
    data = Path(path).read_bytes()
    hdr = vaddr_to_offset(path, glob[GODEBUGS]["addr"])
    ptr, length, _ = struct.unpack_from("<QQQ", data, hdr)
    name_ptr, _ = struct.unpack_from("<QQ", data, vaddr_to_offset(path, ptr + 64 * (length - 1)))

    def recovered(edits):
        return dump_globals(patched_copy(tmp_path, path, edits), names, False)["globals"]

    got = recovered([(hdr + 16, struct.pack("<Q", length + 1))])	# cap
    assert got[GODEBUGS] is None and got["runtime.allm"] == glob["runtime.allm"]
    got = recovered([(vaddr_to_offset(path, name_ptr), b"X")])	# the last setting's name
    assert got[GODEBUGS] is None and got["runtime.allm"] == glob["runtime.allm"]


@pytest.mark.parametrize("minor", [m for m in GO_MINORS if m >= 21])
def test_refuses_disagreeing_godebug_cache(minor, tmp_path):
    """lookup's and update's rows must agree: lookup's first LEA of the cache moved 8 bytes on
    (still in .bss, still aligned) gives no address, and leaves the other globals alone."""
    path = target_path(minor, "stripped", "quiescent")
    names = [GODEBUG_CACHE, GODEBUGS, "runtime.allm"]
    res = dump(path, sum((["--global", n] for n in names), []) +
               ["--func", "internal/godebug.lookup", "--func", "internal/godebug.update"])
    glob, funcs = res["globals"], res["funcs"]
    assert glob[GODEBUG_CACHE] is not None

    def recovered(edits):
        return dump_globals(patched_copy(tmp_path, path, edits), names, False)["globals"]

    for fn in ("internal/godebug.lookup", "internal/godebug.update"):
        f = funcs[fn]
        disp_off, disp = find_lea(path, f["entry"], f["end"], glob[GODEBUG_CACHE]["addr"])
        got = recovered([(disp_off, struct.pack("<i", disp + 8))])
        assert got[GODEBUG_CACHE] is None, fn
        assert got[GODEBUGS] == glob[GODEBUGS] and got["runtime.allm"] == glob["runtime.allm"]


@pytest.mark.parametrize("mode", ["default", "stripped"])
def test_global_uses_symtab_first(mode):
    """gobin__global answers from .symtab when it can, so it can stand in for gobin__sym."""
    for minor in GO_MINORS:
        path = target_path(minor, mode)
        names = names_for(minor) + SYMTAB_ONLY + ABSENT
        res = dump_globals(path, names, recover_only=False)
        if mode == "default":
            syms = symtab(path, names)
            for n in names:
                assert res["globals"][n] == syms[n], (minor, n)
        else:
            for n in SYMTAB_ONLY + ABSENT:
                assert res["globals"][n] is None, (minor, n)
        recovered = dump_globals(path, SYMTAB_ONLY + ABSENT, recover_only=True)
        assert all(v is None for v in recovered["globals"].values()), (minor, recovered)


def test_tables_by_contents():
    """The recovered tables hold what the Go sources declare; sizes agree with the bounds."""
    for minor in GO_MINORS:
        path = target_path(minor, "stripped")
        res = dump_globals(path, names_for(minor), recover_only=False)
        data = Path(path).read_bytes()
        sizes = "runtime.class_to_size" if minor <= 24 else "internal/runtime/gc.SizeClassToSize"
        g = res["globals"][sizes]
        assert g["size"] == 68 * 2, (minor, g)
        off = vaddr_to_offset(path, g["addr"])
        table = struct.unpack_from("<68H", data, off)
        assert table[:4] == (0, 8, 16, 24) and table[-1] == MAX_SMALL_SIZE, (minor, table)
        g = res["globals"]["runtime.waitReasonStrings"]
        off = vaddr_to_offset(path, g["addr"])
        assert struct.unpack_from("<QQ", data, off)[1] == 0, minor
        ptr, length = struct.unpack_from("<QQ", data, off + 16)
        s_off = vaddr_to_offset(path, ptr)
        assert data[s_off:s_off + length] == b"GC assist marking", minor


# ---- refusing rather than guessing ----

def patched_copy(tmp_path, path, edits):
    """A copy of path with bytes replaced at file offsets: edits is [(offset, bytes)]."""
    data = bytearray(Path(path).read_bytes())
    for off, new in edits:
        data[off:off + len(new)] = new
    out = tmp_path / "patched"
    out.write_bytes(bytes(data))
    return out


def find_lea(path, fn_entry, fn_end, target):
    """File offset of the disp32 of a 7-byte RIP-relative LEA in [entry, end) aimed at target."""
    data = Path(path).read_bytes()
    start = vaddr_to_offset(path, fn_entry)
    for i in range(fn_end - fn_entry - 7):
        b = data[start + i:start + i + 7]
        if (b[0] & 0xf8) == 0x48 and b[1] == 0x8d and (b[2] & 0xc7) == 0x05:
            disp, = struct.unpack_from("<i", b, 3)
            if fn_entry + i + 7 + disp == target:
                return start + i + 3, disp
    raise AssertionError(f"no LEA of 0x{target:x} in 0x{fn_entry:x}")


@pytest.mark.parametrize("minor", GO_MINORS)
def test_refuses_tampered_binaries(minor, tmp_path):
    path = target_path(minor, "stripped")
    names = names_for(minor)
    sizes = "runtime.class_to_size" if minor <= 24 else "internal/runtime/gc.SizeClassToSize"
    res = dump(path, sum((["--global", n] for n in names), []) +
               ["--func", "runtime.putfull", "--func", "runtime.waitReason.String"])
    glob, funcs = res["globals"], res["funcs"]

    def recovered(edits):
        return dump_globals(patched_copy(tmp_path, path, edits), names, False)["globals"]

    # A size class table that does not read {0, 8, 16, ...}.
    off = vaddr_to_offset(path, glob[sizes]["addr"])
    got = recovered([(off + 2, struct.pack("<H", 9))])
    assert got[sizes] is None and got["runtime.memstats"] == glob["runtime.memstats"]

    # waitReasonStrings[1] no longer "GC assist marking".
    off = vaddr_to_offset(path, glob["runtime.waitReasonStrings"]["addr"])
    got = recovered([(off + 24, struct.pack("<Q", 16))])
    assert got["runtime.waitReasonStrings"] is None
    assert got["runtime.work"] == glob["runtime.work"]

    # One bounds check says one entry fewer than the others: the recipes disagree on the size.
    count = glob["runtime.waitReasonStrings"]["size"] // 16
    fn = funcs["runtime.waitReason.String"]
    start = vaddr_to_offset(path, fn["entry"])
    code = Path(path).read_bytes()[start:start + 32]
    at = code.find(bytes([0x3c, count]))		# cmp al, imm8
    assert at >= 0, (minor, code.hex())
    got = recovered([(start + at + 1, bytes([count - 1]))])
    assert got["runtime.waitReasonStrings"] is None

    # putfull's LEA moved 8 bytes into runtime.work: it disagrees with trygetfull.
    fn = funcs["runtime.putfull"]
    disp_off, disp = find_lea(path, fn["entry"], fn["end"], glob["runtime.work"]["addr"])
    got = recovered([(disp_off, struct.pack("<i", disp + 8))])
    assert got["runtime.work"] is None
    assert got["runtime.sched"] == glob["runtime.sched"]

    # churn never reaches runtime.MemProfile, so the linker set disableMemoryProfiling: a 0
    # there is not what the linker writes.
    flag = glob["runtime.disableMemoryProfiling"]
    off = vaddr_to_offset(path, flag["addr"])
    assert Path(path).read_bytes()[off] == 1, minor
    got = recovered([(off, b"\0")])
    assert got["runtime.disableMemoryProfiling"] is None
    assert got["runtime.MemProfileRate"] == glob["runtime.MemProfileRate"]

    # startingStackSize's initialiser is not fixedStack.
    off = vaddr_to_offset(path, glob["runtime.startingStackSize"]["addr"])
    assert struct.unpack_from("<I", Path(path).read_bytes(), off)[0] == 2048, minor
    got = recovered([(off, struct.pack("<I", 4096))])
    assert got["runtime.startingStackSize"] is None
    assert got["runtime.allm"] == glob["runtime.allm"]

    # MemProfileRate's initialiser (statically initialised data since Go 1.20) is not 512 KiB.
    if minor >= 21:
        off = vaddr_to_offset(path, glob["runtime.MemProfileRate"]["addr"])
        assert struct.unpack_from("<q", Path(path).read_bytes(), off)[0] == MEM_PROFILE_RATE
        got = recovered([(off, struct.pack("<q", MEM_PROFILE_RATE + 8))])
        assert got["runtime.MemProfileRate"] is None
        assert got["runtime.memstats"] == glob["runtime.memstats"]


# ---- the lifecycle target: memory profiling compiled in (default) and out (noprof) ----

@pytest.mark.parametrize("mode", ["default", "noprof"])
@pytest.mark.parametrize("minor", GO_MINORS)
def test_lifecycle_recovery_equals_symtab(minor, mode, tmp_path):
    """disableMemoryProfiling is zeroed data unless the linker set it (noprof), so the section it
    lies in differs between the two builds; both, and a binutils-stripped copy of each, must
    recover every global at its .symtab address."""
    path = target_path(minor, mode, "lifecycle")
    names = names_for(minor)
    syms = symtab(path, names)
    res = dump_globals(path, names, recover_only=True)
    assert res["has_symtab"] and res["has_dwarf"]
    stripped = tmp_path / "lifecycle"
    subprocess.run(["strip", "-o", str(stripped), str(path)], check=True, timeout=120)
    plain = dump_globals(stripped, names, recover_only=False)
    assert not plain["has_symtab"] and not plain["has_dwarf"]
    for n in names:
        got, want = res["globals"][n], syms[n]
        assert want is not None and got is not None, (n, got, want)
        assert got["addr"] == want["addr"], (n, hex(got["addr"]), hex(want["addr"]))
        assert got["recipes"] >= 1 and got["agreed"] == got["recipes"], (n, got)
        assert plain["globals"][n] is not None, n
        assert plain["globals"][n]["addr"] == want["addr"], n
    for n in SCALARS:
        assert res["globals"][n]["size"] == syms[n]["size"], n

    secs = elf_sections(path)
    data = Path(path).read_bytes()

    def section(addr):
        return next(s for s in (".noptrdata", ".data", ".bss", ".noptrbss")
                    if secs[s][0] <= addr < secs[s][0] + secs[s][1])

    flag = syms["runtime.disableMemoryProfiling"]["addr"]
    if mode == "default":
        assert section(flag) == ".noptrbss", minor
    else:
        assert section(flag) == (".data" if minor <= 23 else ".noptrdata"), minor
        assert data[vaddr_to_offset(path, flag)] == 1, minor
    rate = syms["runtime.MemProfileRate"]["addr"]
    if minor <= 19:
        assert section(rate) == ".noptrbss", minor
    else:
        assert section(rate) == ".noptrdata", minor
        got = struct.unpack_from("<q", data, vaddr_to_offset(path, rate))[0]
        assert got == MEM_PROFILE_RATE, minor


# ---- RET offsets ----

def go_objdump_rets(minor, path, fn):
    out = subprocess.run([f"/usr/lib/go-1.{minor}/bin/go", "tool", "objdump", "-s",
                          "^" + re.escape(fn) + "$", str(path)],
                         capture_output=True, text=True, check=True, timeout=300).stdout
    addrs, rets = [], []
    for line in out.splitlines()[1:]:
        cols = re.split(r"\t+", line.strip())
        if len(cols) < 4:
            continue
        addrs.append(int(cols[1], 16))
        if cols[3].split()[0] == "RET":
            rets.append(addrs[-1])
    assert addrs, f"go tool objdump found no {fn} in {path}"
    return [a - addrs[0] for a in rets]


def gnu_objdump_rets(path, entry, end):
    objdump = shutil.which("objdump")
    assert objdump, "GNU objdump (binutils) missing"
    out = subprocess.run([objdump, "-d", "-w", "--no-show-raw-insn", f"--start-address={entry}",
                          f"--stop-address={end}", str(path)],
                         capture_output=True, text=True, check=True, timeout=300).stdout
    rets = []
    for line in out.splitlines():
        m = re.match(r"^\s*([0-9a-f]+):\s+(?:(?:rep|repz|bnd)\s+)?(ret[qw]?)\b", line)
        if m:
            rets.append(int(m.group(1), 16) - entry)
        assert "(bad)" not in line, line
    return rets


@pytest.mark.parametrize("mode", ["default", "pie", "cgo", "stripped"])
@pytest.mark.parametrize("minor", GO_MINORS)
def test_rets_match_go_objdump(minor, mode, twins):
    path = target_path(minor, mode)
    # go tool objdump needs symbols: for the stripped build, read its twin's identical code.
    listing = twin_of_stripped(twins, minor)[1] if mode == "stripped" else path
    res = dump(path, sum((["--rets", f] for f in RET_FUNCS), []))
    for fn in RET_FUNCS:
        want = go_objdump_rets(minor, listing, fn)
        assert want, fn
        assert res["rets"][fn] == want, (fn, res["rets"][fn], want)


@pytest.mark.parametrize("mode", ["default", "stripped"])
@pytest.mark.parametrize("minor", GO_MINORS)
def test_rets_match_gnu_objdump(minor, mode):
    path = target_path(minor, mode)
    args = []
    for fn in GNU_RET_FUNCS:
        args += ["--rets", fn, "--func", fn]
    res = dump(path, args)
    for fn in GNU_RET_FUNCS:
        f = res["funcs"][fn]
        assert f is not None, fn
        want = gnu_objdump_rets(path, f["entry"], f["end"])
        assert want, fn
        assert res["rets"][fn] == want, (fn, res["rets"][fn], want)


def test_rets_of_missing_function():
    res = dump(target_path(GO_MINORS[-1], "default"), ["--rets", "runtime.noSuchFunction"])
    assert res["rets"]["runtime.noSuchFunction"] is None


def test_not_go():
    out = subprocess.run([DUMP, "--global", "runtime.sched", "--rets", "main.main", "/bin/sh"],
                         capture_output=True, text=True)
    assert json.loads(out.stdout)["code"] == 4


@pytest.mark.parametrize("minor", GO_MINORS)
def test_binutils_stripped_build_recovers_the_default_builds_addresses(minor):
    # `strip` removes .symtab and DWARF from the very same file, so every recovered global must
    # equal the unstripped default build's .symtab address, and every function its entry.
    names = names_for(minor)
    stripped = target_path(minor, "strip")
    got = dump_globals(stripped, names, recover_only=False)
    assert not got["has_symtab"] and not got["has_dwarf"]
    want = symtab(target_path(minor, "default"), names)
    for n in names:
        assert got["globals"][n] is not None, n
        assert got["globals"][n]["addr"] == want[n]["addr"], n
    funcs = dump(stripped, ["--func", "runtime.freeStackSpans", "--func", "runtime.main"])["funcs"]
    syms = symtab(target_path(minor, "default"), ["runtime.freeStackSpans", "runtime.main"])
    for f in ("runtime.freeStackSpans", "runtime.main"):
        assert funcs[f]["entry"] == syms[f]["addr"], f


# ---- past the stack check (where the opt-in probes go) ----

def body_funcs(minor):
    return ["runtime.profilealloc", "runtime.(*mcache).allocLarge",
            "runtime.gdestroy" if minor >= 22 else "runtime.goexit0"] + \
        (["runtime.mallocgcLarge"] if minor >= 24 else [])


def go_objdump_body(minor, path, fn):
    """Offset past CMP …(R14) and its branch, whose target must call runtime.morestack."""
    out = subprocess.run([f"/usr/lib/go-1.{minor}/bin/go", "tool", "objdump", "-s",
                          "^" + re.escape(fn) + "$", str(path)],
                         capture_output=True, text=True, check=True, timeout=300).stdout
    insns = []
    for line in out.splitlines()[1:]:
        cols = re.split(r"\t+", line.strip())
        if len(cols) >= 4:
            insns.append((int(cols[1], 16), cols[3].strip()))
    assert insns, f"go tool objdump found no {fn} in {path}"
    entry = insns[0][0]
    for i, (_, text) in enumerate(insns[:4]):
        if text.startswith("CMPQ") and "(R14)" in text:
            branch = insns[i + 1][1]
            assert branch.split()[0] in ("JBE", "JB", "JCS", "JLS"), (fn, branch)
            target = int(branch.split()[1], 16)
            after = [t for a, t in insns if a >= target][:12]
            assert any("runtime.morestack" in t for t in after), (fn, after)
            return insns[i + 2][0] - entry
    return 0


@pytest.mark.parametrize("mode", ["default", "stripped"])
@pytest.mark.parametrize("minor", GO_MINORS)
def test_body_offsets_skip_the_stack_check(minor, mode, twins):
    path = target_path(minor, mode)
    listing = twin_of_stripped(twins, minor)[1] if mode == "stripped" else path
    fns = body_funcs(minor)
    res = dump(path, sum((["--body", f] for f in fns), []))
    for fn in fns:
        want = go_objdump_body(minor, listing, fn)
        assert want > 0, fn     # every probed function checks its stack
        assert res["bodies"][fn] == want, (fn, res["bodies"][fn], want)
