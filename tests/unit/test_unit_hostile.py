"""Root-free: goscope's Go binary readers on hostile files.

tests/fuzz/corpus-hostile/ holds small Go-looking ELF files, each broken in one way on purpose
(tests/fuzz/make_hostile.py writes them): truncated ELF headers, section headers past the end of
the file, .gopclntab with nfunc = 2^60 or offsets out of range, pc-value tables that never end,
.go.buildinfo with huge varint lengths, DWARF references to themselves. gobin_dump must read
each one and either print what it found or a clean {"error": ...}: no crash, no hang.
"""
import json
import signal
import subprocess
import sys

import pytest

from conftest import BUILD, REPO

FUZZ = REPO / "tests" / "fuzz"
CORPUS = FUZZ / "corpus-hostile"
FILES = sorted(CORPUS.iterdir())
DUMP = BUILD / "tests" / "gobin_dump"
ARGS = ["--func", "main.main", "--func-count", "--pcline", "0x401000", "--resolve",
        "--field", "runtime.workType:cpuStats.gcAssistTime", "--field", "runtime.cpuStatsT:"]


def test_corpus_is_what_the_generator_writes(tmp_path):
    subprocess.run([sys.executable, str(FUZZ / "make_hostile.py"), str(tmp_path)], check=True,
                   capture_output=True)
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == [p.name for p in FILES], "corpus-hostile/ is stale: rerun make_hostile.py"
    for p in FILES:
        assert (tmp_path / p.name).read_bytes() == p.read_bytes(), f"{p.name} is stale"
    assert len(FILES) >= 50


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_hostile_binary(path):
    res = subprocess.run([str(DUMP)] + ARGS + [str(path)], capture_output=True, text=True,
                         timeout=5)
    assert res.returncode >= 0, f"killed by {signal.Signals(-res.returncode).name}"
    assert res.returncode == 0, f"exit {res.returncode}: {res.stderr!r}"
    out = json.loads(res.stdout)
    if "error" in out and "go_version" not in out:
        assert isinstance(out["error"], str) and out["error"], out
        assert set(out) == {"error", "code"}, out
    else:
        assert "func_count" in out and "pclines" in out, out


@pytest.mark.parametrize("fuzzer", ["fuzz_pclntab", "fuzz_buildinfo", "fuzz_elf"])
def test_fuzzers_over_corpus(fuzzer):
    # The fuzzers as tests/fuzz/run.sh last built them (ASan + UBSan); run.sh also seeds every
    # fuzzing run with this corpus.
    exe = BUILD / "fuzz" / fuzzer
    if not exe.exists():
        pytest.skip(f"{exe} not built (tests/fuzz/run.sh builds it)")
    res = subprocess.run([str(exe), "-runs=0", "-timeout=5", str(CORPUS)], capture_output=True,
                         text=True, timeout=120)
    bad = [ln for ln in res.stderr.splitlines() if "ERROR:" in ln or "runtime error:" in ln]
    assert res.returncode == 0 and not bad, res.stderr[-3000:]
    assert f"Done {len(FILES)} runs" in res.stderr, res.stderr[-500:]
