"""What a running goscope keeps: capabilities after attaching, and listening sockets.

docs/threat-model.md promises: with PIDs named, only CAP_SYS_PTRACE stays (bounding set too) and
no_new_privs is set; --all keeps the attaching set of user/caps.h and nothing else; nothing
listens unless `goscope serve` runs, and serve listens once, on 127.0.0.1. Every thread of
goscope is checked: capabilities are per thread.
"""
import os
import socket

import pytest

from conftest import GO_MINORS, GOSCOPE, target_path, wait_for
from test_top import Tmux, tmux  # noqa: F401 (the fixture)

CAP_SYS_PTRACE = 1 << 19
# CAPS_ATTACHING in user/caps.h: CAP_SYS_PTRACE, CAP_BPF, CAP_PERFMON, CAP_DAC_READ_SEARCH,
# CAP_SYS_ADMIN.
CAPS_ATTACHING = CAP_SYS_PTRACE | 1 << 39 | 1 << 38 | 1 << 2 | 1 << 21
TCP_LISTEN = "0A"


def status(pid):
    """{field: value} of /proc/PID/status for every thread: {tid: {...}}."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            text = open(f"/proc/{pid}/task/{tid}/status").read()
        except FileNotFoundError:
            continue
        out[tid] = dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)
    return out


def caps(pid, field):
    """The set of values of field (e.g. CapEff) across goscope's threads, as integers."""
    return {int(s[field].strip(), 16) for s in status(pid).values()}


def wait_dropped(pid, want, g=None):
    """Wait until every thread of pid has CapEff want. With g (a Goscope), its output is read
    meanwhile: --all writes a record per Go process on the machine before it drops, and a pipe
    nobody reads would stop it there."""
    def dropped():
        if g is not None:
            g.wait_lines(0, timeout=0)
        return caps(pid, "CapEff") == {want}
    assert wait_for(dropped, timeout=20), \
        f"CapEff never became {want:#x}: {sorted(hex(c) for c in caps(pid, 'CapEff'))}"


def listening(pid):
    """(address, port) of every TCP socket of pid in state LISTEN."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    out = []
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        for line in open(f"/proc/{pid}/net/{table}").read().splitlines()[1:]:
            f = line.split()
            if f[3] == TCP_LISTEN and f[9] in inodes:
                addr, port = f[1].split(":")
                raw = bytes.fromhex(addr)
                # /proc shows the address as host-order 32-bit words.
                raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                out.append((socket.inet_ntop(family, raw), int(port, 16)))
    return out


@pytest.fixture
def target(go_target):
    return go_target(target_path(GO_MINORS[-1], "default"))


def test_gctrace_keeps_only_ptrace(target, goscope):
    g = goscope(["gctrace", target.pid])
    assert wait_for(lambda: "attached to PID" in g.stderr(), timeout=20), g.stderr()
    wait_dropped(g.proc.pid, CAP_SYS_PTRACE)
    for field in ("CapPrm", "CapBnd"):
        assert caps(g.proc.pid, field) == {CAP_SYS_PTRACE}, field
    assert caps(g.proc.pid, "CapInh") == {0} and caps(g.proc.pid, "CapAmb") == {0}
    assert {s["NoNewPrivs"].strip() for s in status(g.proc.pid).values()} == {"1"}
    assert listening(g.proc.pid) == []
    assert g.finish() == 0, g.stderr()


@pytest.mark.parametrize("how", ["pids", "all"])
def test_record(how, target, goscope):
    g = goscope(["record", "--all"] if how == "all" else ["record", target.pid])
    assert g.wait_lines(1, timeout=20), g.stderr()
    want = CAPS_ATTACHING if how == "all" else CAP_SYS_PTRACE
    wait_dropped(g.proc.pid, want, g)
    assert caps(g.proc.pid, "CapPrm") == {want}
    if how == "pids":
        assert caps(g.proc.pid, "CapBnd") == {CAP_SYS_PTRACE}
        assert {s["NoNewPrivs"].strip() for s in status(g.proc.pid).values()} == {"1"}
    assert listening(g.proc.pid) == []
    assert g.finish() == 0, g.stderr()


@pytest.mark.parametrize("how", ["pids", "all"])
def test_serve_listens_once_on_loopback(how, target, goscope):
    args = ["serve", "--all"] if how == "all" else ["serve", target.pid]
    # The default address, unless another exporter already holds it.
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 9464))
        default = True
    except OSError:
        default = False
        args += ["--listen", "127.0.0.1:0"]
    finally:
        s.close()
    g = goscope(args)
    assert wait_for(lambda: "serving http://" in g.stderr(), timeout=20), g.stderr()
    wait_dropped(g.proc.pid, CAPS_ATTACHING if how == "all" else CAP_SYS_PTRACE)
    socks = listening(g.proc.pid)
    assert len(socks) == 1 and socks[0][0] == "127.0.0.1", socks
    if default:
        assert socks[0][1] == 9464
    assert g.finish() == 0, g.stderr()


def goscope_pids(args):
    want = [str(GOSCOPE)] + [str(a) for a in args]
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if open(f"/proc/{p}/cmdline", "rb").read().split(b"\0")[:-1] == \
                        [a.encode() for a in want]:
                    out.append(int(p))
            except OSError:
                pass
    return out


def test_top_keeps_only_ptrace_and_listens_nowhere(target, tmux):
    t = tmux(["top", target.pid])
    pids = []
    assert wait_for(lambda: pids.extend(goscope_pids(["top", target.pid])) or pids, timeout=20)
    wait_dropped(pids[0], CAP_SYS_PTRACE)
    assert caps(pids[0], "CapBnd") == {CAP_SYS_PTRACE}
    assert listening(pids[0]) == []
    t.keys("q")
