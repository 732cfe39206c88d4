"""gctrace parity: every line goscope prints equals the runtime's own GODEBUG=gctrace=1 line.

For each Go release of the matrix and each build mode (default, PIE, cgo with external linking,
stripped with -ldflags=-s -w, and the default build run through binutils strip, where symbols and offsets come from .gopclntab, the code and the
built-in layout tables instead of .symtab and DWARF) a
GC-heavy workload runs with GODEBUG=gctrace=1; goscope attaches after it has been running a while,
stays for at least MIN_CYCLES cycles, and every line it printed must appear verbatim in the
runtime's output for the same cycle, with no cycle in between missing.

Go 1.21+ also build the workload with profile-guided optimization (the compiler's own profile) and
-s -w, as Go's toolchain binaries are built: the runtime's code is inlined differently there, and
its globals are found in that code.
"""
import signal
import time

import pytest

from conftest import BUILD, GO_MINORS, MODES, check_parity, target_path

MIN_CYCLES = 100
# The PGO builds are one more build of releases the matrix covers in every mode: a shorter run
# keeps the seven of them within 30 s.
PGO_MIN_CYCLES = 20
PGO_SETTLE = 0.5
PGO_MINORS = [m for m in GO_MINORS if m >= 21]


def gctrace_parity(target, goscope, minor, min_cycles=MIN_CYCLES, settle=1.0):
    """Attach goscope gctrace to a target running settle seconds, stay min_cycles cycles, and hold
    every line against the runtime's own. Returns goscope and the cycle numbers compared."""
    time.sleep(settle)  # attach mid-run, not at start-up
    assert target.runtime_lines(), "the workload printed no gctrace lines before attach"
    g = goscope(["gctrace", target.pid])
    g.wait_lines(min_cycles + 1, timeout=60)
    rc = g.finish(signal.SIGINT)
    assert rc == 0, f"goscope exited {rc}: {g.stderr()}"
    assert target.alive(), "the target died while goscope was attached"
    time.sleep(0.2)  # the runtime prints its line just after the probe fires
    numbers = check_parity(g.lines, target.runtime_lines(), minor=minor)
    assert len(numbers) >= min_cycles, f"only {len(numbers)} cycles seen: {g.stderr()}"
    assert "missed" not in g.stderr() and "lost" not in g.stderr(), g.stderr()
    return g, numbers


@pytest.mark.parametrize("mode", MODES + ["stripped", "strip"])
@pytest.mark.parametrize("minor", GO_MINORS)
def test_gctrace_lines_equal_runtime(minor, mode, go_target, goscope):
    _, numbers = gctrace_parity(go_target(target_path(minor, mode)), goscope, minor)
    with open(BUILD / "parity-cycles.txt", "a") as f:
        f.write(f"go1.{minor} {mode} {len(numbers)} cycles gc {numbers[0]}..{numbers[-1]}\n")


@pytest.mark.parametrize("minor", [GO_MINORS[0], GO_MINORS[-1]])
def test_binary_without_section_headers(minor, go_target, goscope, tmp_path):
    # As sstrip leaves a binary: no section header table, program headers only. Build info,
    # .gopclntab and the runtime's globals are found without one (tests/unit/test_unit_pclntab.py).
    data = bytearray(target_path(minor, "stripped").read_bytes())
    data[0x28:0x30] = bytes(8)  # e_shoff
    data[0x3C:0x40] = bytes(4)  # e_shnum, e_shstrndx
    bare = tmp_path / "churn"
    bare.write_bytes(bytes(data))
    bare.chmod(0o755)
    gctrace_parity(go_target(bare), goscope, minor, min_cycles=PGO_MIN_CYCLES, settle=PGO_SETTLE)


@pytest.mark.parametrize("minor", PGO_MINORS)
def test_gctrace_lines_equal_runtime_pgo(minor, go_target, goscope):
    _, numbers = gctrace_parity(go_target(target_path(minor, "pgo")), goscope, minor,
                                min_cycles=PGO_MIN_CYCLES, settle=PGO_SETTLE)
    with open(BUILD / "parity-cycles.txt", "a") as f:
        f.write(f"go1.{minor} pgo {len(numbers)} cycles gc {numbers[0]}..{numbers[-1]}\n")
