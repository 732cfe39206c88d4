"""Root-free: a short libFuzzer run over goscope's Go binary readers (user/gobin).

tests/fuzz/run.sh builds fuzz_pclntab, fuzz_buildinfo and fuzz_elf with ASan and UBSan, seeds
them with synthetic and real Go binaries and fuzzes each for the given number of seconds; any
crash, hang, leak or sanitizer report makes it exit non-zero.
"""
import os
import subprocess

from conftest import BUILD, REPO

SECONDS = 15


def test_fuzz_gobin_readers():
    env = dict(os.environ, GOSCOPE_BUILD=str(BUILD))
    res = subprocess.run([str(REPO / "tests" / "fuzz" / "run.sh"), str(SECONDS)], env=env,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, f"fuzzing failed:\n{res.stdout}\n{res.stderr}"
    for name in ("fuzz_pclntab", "fuzz_buildinfo", "fuzz_elf"):
        assert f"fuzz: {name} ok" in res.stdout, res.stdout
