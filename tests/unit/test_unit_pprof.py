"""Root-free: goscope's pprof writer (user/format/pprof.c) read back by Go's own `go tool pprof`.

build/tests/test_pprof writes profiles whose contents are known (see tests/unit/test_pprof.c);
the newest installed Go toolchain's pprof must parse them and show exactly those samples,
functions, files, lines and addresses, the period, the default sample type, and stacks added
more than once as one sample with the values summed.
"""
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD

DRIVER = BUILD / "tests" / "test_pprof"
SRC = "/src/main.go"
PROC = "/usr/lib/go/src/runtime/proc.go"
ASM = "/usr/lib/go/src/runtime/asm_amd64.s"
SUMMARY_RE = re.compile(r"^(\d+) passed, 0 failed$", re.M)


def newest_go():
    found = []
    for go in Path("/usr/lib").glob("go-1.*/bin/go"):
        m = re.fullmatch(r"go-1\.(\d+)", go.parent.parent.name)
        if m and os.access(go, os.X_OK):
            found.append((int(m.group(1)), go))
    assert found, "no Go toolchain under /usr/lib/go-1.*: run scripts/install-deps.sh --test"
    return max(found)[1]


@pytest.fixture(scope="module")
def pprof(tmp_path_factory):
    """pprof(*args): run `go tool pprof`, offline, sharing the build cache of the Go targets."""
    go = newest_go()
    env = {k: v for k, v in os.environ.items()
           if k not in ("GOROOT", "GOPATH", "GOBIN", "GOOS", "GOARCH", "GOEXPERIMENT", "GOFLAGS",
                        "GODEBUG", "PPROF_TMPDIR", "PPROF_BINARY_PATH", "PPROF_TOOLS")}
    home = tmp_path_factory.mktemp("home")
    # The tool is built on first use: keep it in the cache tests/build-targets.sh fills.
    (BUILD / "gocache").mkdir(parents=True, exist_ok=True)
    env.update(GOTOOLCHAIN="local", GOPROXY="off", GOSUMDB="off", GOFLAGS="-buildvcs=false",
               GOWORK="off", GOENV="off", GOTELEMETRY="off", GOCACHE=str(BUILD / "gocache"),
               GOPATH=str(home / "gopath"), HOME=str(home), TZ="UTC")

    def run(*args):
        res = subprocess.run([str(go), "tool", "pprof"] + [str(a) for a in args], env=env,
                             capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, res.stderr
        # Nothing to complain about: no binary to look for, no symbolization attempted.
        assert res.stderr == "", res.stderr
        return res.stdout

    return run


def drive(*args, stdout_bytes=False):
    assert DRIVER.exists(), f"{DRIVER} missing: run make unit"
    res = subprocess.run([str(DRIVER)] + [str(a) for a in args], capture_output=True, timeout=120)
    out, err = res.stdout, res.stderr.decode(errors="replace")
    assert res.returncode == 0, (out[-2000:], err)
    summary = err if stdout_bytes else out.decode()
    assert SUMMARY_RE.search(summary), summary
    return out


def gzip_ok(path):
    res = subprocess.run(["gzip", "-t", str(path)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


LOC_RE = re.compile(r"\s*(\d+): 0x([0-9a-f]+) M=(\d+) ?(.*)")
LINE_RE = re.compile(r"(\S*) (.*):(-?\d+):\d+ s=\d+")


def parse_raw(text):
    """`pprof -raw`: header fields, the sample types line, samples as (values, stack).

    A stack is a list of (address, function, file, line), leaf first; (address, None, None, None)
    for a location without line information.
    """
    head, types, raw_samples, locs, mappings = {}, None, [], {}, []
    section = "head"
    for line in text.splitlines():
        if line in ("Samples:", "Locations", "Mappings"):
            section = line
        elif section == "head":
            key, _, val = line.partition(": ")
            head[key] = val
        elif section == "Samples:" and types is None:
            types = line
        elif section == "Samples:":
            vals, _, ids = line.partition(":")
            raw_samples.append((tuple(int(v) for v in vals.split()), [int(i) for i in ids.split()]))
        elif section == "Locations":
            m = LOC_RE.fullmatch(line)
            assert m, f"unexpected location line {line[:200]!r}"
            assert m.group(3) == "1", line
            where = (None, None, None)
            if m.group(4):
                lm = LINE_RE.fullmatch(m.group(4))
                assert lm, f"unexpected line info {line[:200]!r}"
                where = (lm.group(1), lm.group(2), int(lm.group(3)))
            locs[int(m.group(1))] = (int(m.group(2), 16),) + where
        elif section == "Mappings":
            mappings.append(line)
    samples = [(vals, [locs[i] for i in ids]) for vals, ids in raw_samples]
    return head, types, samples, locs, mappings


def total_line(text):
    m = re.search(r"^Showing nodes accounting for .* of (\S+) total$", text, re.M)
    assert m, text
    return m.group(1)


def traces(text):
    """`pprof -traces -lines`: one (value, [frame text]) per sample, leaf first."""
    blocks = text.split("-----------+-------------------------------------------------------\n")
    out = []
    for block in blocks[1:]:
        lines = block.splitlines()
        if not lines:
            continue
        value, leaf = lines[0].split(None, 1)
        out.append((value, [leaf.strip()] + [ln.strip() for ln in lines[1:]]))
    return out


MAIN = (0x401200, "main.main", SRC, 20)
RUNTIME_MAIN = (0x430000, "runtime.main", PROC, 283)
KNOWN = {
    ((5, 5000000), ((0x401010, "main.big", SRC, 10), MAIN, RUNTIME_MAIN)),
    # Added four times as {25, 25000}.
    ((100, 100000), ((0x401100, "main.small", SRC, 30), (0x401210, "main.main", SRC, 21),
                     RUNTIME_MAIN)),
    ((1, 4096), ((0x460000, "runtime.goexit", ASM, 1700),)),
    # Added as {2, 1024} and {5, 2048}.
    ((7, 3072), ((0x401018, "main.big", SRC, 11), MAIN, RUNTIME_MAIN)),
}


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    path = tmp_path_factory.mktemp("pprof") / "heap.pb.gz"
    drive(path)
    return path


def test_known_profile_is_gzip(known):
    gzip_ok(known)
    assert not Path(str(known) + ".tmp").exists()


def test_known_profile_raw(known, pprof):
    head, types, samples, locs, mappings = parse_raw(pprof("-raw", known))
    assert types == "alloc_objects/count alloc_space/bytes[dflt]"
    assert head["PeriodType"] == "space bytes"
    assert head["Period"] == "524288"
    assert head["Time"] == "2023-11-14 22:13:20.123456789 +0000 UTC"
    assert head["Duration"] == "10s"
    assert head["Comment"] == "goscope unit test"
    # Exactly one sample per distinct stack, duplicates summed.
    assert len(samples) == len(KNOWN)
    assert {(v, tuple(s)) for v, s in samples} == KNOWN
    # Locations are shared between stacks: main.main:20 and runtime.main appear once each.
    assert sorted(locs.values()) == sorted({f for _, s in KNOWN for f in s})
    assert mappings == ["1: 0x400000/0x500000/0x0 /src/app abc123 [FN][FL][LN]"]


def test_known_profile_top(known, pprof):
    out = pprof("-top", "-sample_index=alloc_space", "-unit=B", "-nodefraction=0", known)
    assert "Type: alloc_space" in out
    assert total_line(out) == "5107168B"
    flat = {}
    for line in out.splitlines():
        m = re.fullmatch(r"\s*(\S+)\s+\S+%\s+\S+%\s+(\S+)\s+\S+%\s+(\S+)", line)
        if m:
            flat[m.group(3)] = (m.group(1), m.group(2))
    assert flat == {
        "main.big": ("5003072B", "5003072B"),
        "main.small": ("100000B", "100000B"),
        "runtime.goexit": ("4096B", "4096B"),
        "main.main": ("0", "5103072B"),
        "runtime.main": ("0", "5103072B"),
    }
    out = pprof("-top", "-sample_index=alloc_objects", known)
    assert "Type: alloc_objects" in out
    assert total_line(out) == "113"


def test_known_profile_default_type(known, pprof):
    # Without -sample_index pprof shows the default sample type.
    out = pprof("-top", "-unit=B", known)
    assert "Type: alloc_space" in out
    assert total_line(out) == "5107168B"


def test_known_profile_traces(known, pprof):
    got = traces(pprof("-traces", "-lines", "-unit=B", known))
    assert got == [
        ("5000000B", ["main.big /src/main.go:10", "main.main /src/main.go:20",
                      f"runtime.main {PROC}:283"]),
        ("100000B", ["main.small /src/main.go:30", "main.main /src/main.go:21",
                     f"runtime.main {PROC}:283"]),
        ("4096B", [f"runtime.goexit {ASM}:1700"]),
        ("3072B", ["main.big /src/main.go:11", "main.main /src/main.go:20",
                   f"runtime.main {PROC}:283"]),
    ]


def test_stdout_is_the_same_profile(known):
    """"-" writes to standard output: the same bytes as the file (zlib puts no time in them)."""
    assert drive("-", stdout_bytes=True) == known.read_bytes()


@pytest.fixture(scope="module")
def unusual(tmp_path_factory):
    path = tmp_path_factory.mktemp("pprof") / "unusual.pb.gz"
    drive("--unusual", path)
    return path


STRESS = 10000


def test_unusual_profile(unusual, pprof):
    gzip_ok(unusual)
    # -symbolize=none: pprof otherwise "simplifies" names it takes for C++ (brackets, parens).
    head, types, samples, _, _ = parse_raw(pprof("-symbolize=none", "-raw", unusual))
    assert types == "alloc_objects/count alloc_space/bytes[dflt]"
    odd = {v[1]: s for v, s in samples if v[1] < 1000 and v[0] == 1}
    assert odd[10] == [(0x1234, None, None, None), MAIN]
    assert odd[20] == [(0x2000, "main.nofile", "", 7)]
    assert odd[40] == [(0x3000, "", "/src/x.go", 9)]
    assert odd[80] == []
    assert odd[160] == [(0x4000, "main." + "x" * 99995, "/" + "d" * 4999, 123456)]
    assert odd[320] == [(0x5000, "main.(*Tür).Método[go.shape.int]", SRC, 3)]
    assert odd[640] == [(0x6000, "main.inlined", "/src/a.go", 1),
                        (0x6000, "main.outer", "/src/a.go", 2)]
    assert len(odd) == 7

    stress = [(v, s) for v, s in samples if s and (s[0][1] or "").startswith("stress.leaf")]
    assert len(stress) == STRESS
    assert len(samples) == STRESS + len(odd)
    seen = set()
    for vals, stack in stress:
        i = int(stack[0][1][len("stress.leaf"):])
        seen.add(i)
        # Every stack was added twice with {1, i + 1}.
        assert vals == (2, 2 * (i + 1)), stack[0]
        assert stack[0] == (0x500000 + i * 16, stack[0][1], "/src/stress.go", i)
        assert stack[1] == (0x600000 + i % 50, f"stress.mid{i % 50:02d}", "/src/stress.go", 5)
        assert stack[2:] == [(0x700000 + d, "stress.up", "/src/up.go", d)
                             for d in range(2, 2 + i % 6)]
    assert seen == set(range(STRESS))


def test_unusual_profile_totals(unusual, pprof):
    objects = 7 + 2 * STRESS
    space = 1270 + 2 * STRESS * (STRESS + 1) // 2
    assert total_line(pprof("-top", "-sample_index=alloc_objects", unusual)) == str(objects)
    assert total_line(pprof("-top", "-unit=B", unusual)) == f"{space}B"
    # The empty stack has no trace to show.
    assert len(traces(pprof("-traces", unusual))) == STRESS + 6


def test_errors(tmp_path):
    drive("--errors", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_out_of_memory(tmp_path, pprof):
    path = tmp_path / "oom.pb.gz"
    out = drive("--oom", path).decode()
    if out.startswith("skipped"):
        return
    m = re.search(r"^samples (\d+)$", out, re.M)
    assert m, out
    gzip_ok(path)
    # Each sample is one object: the profile holds every add that succeeded.
    got = pprof("-top", "-sample_index=alloc_objects", "-nodecount=1", path)
    assert total_line(got) == m.group(1)
