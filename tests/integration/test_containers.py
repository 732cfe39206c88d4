"""goscope against Go programs in real containers (Podman, and containerd through ctr).

Attaching: the runtime's own GODEBUG=gctrace=1 lines (the container's stderr) are the oracle for
gctrace parity, the quiescent workload's own runtime/metrics and MemStats snapshot (written to a
directory mounted into the container) the oracle for stat. The containers that make attaching
harder (issue 17) are each run for real: binary only inside the container, deleted or replaced
after start, several containers of one image, read-only root, a user namespace, GOMAXPROCS from
the cgroup on Go 1.25+. The harness and the facts it rests on are in containers.py.
"""
import os
import shutil
import signal
import time

import pytest

from conftest import check_parity, target_path, wait_for
from containers import (QUIESCENT_ARGS, containerd, ctr, images, oracle_dir,  # noqa: F401
                        podman, _session_dir)
from test_record import lines_with, of, records
from test_stat import check_against_oracle, stat_json

MIN_CYCLES = 40
GCTRACE = {"GODEBUG": "gctrace=1"}


def parity(goscope, containers, minor, cycles=MIN_CYCLES, args=()):
    """goscope gctrace on the containers' PIDs: at least `cycles` lines each, every one equal to
    the runtime's own line for the cycle, none missing. Returns goscope's stderr."""
    pids = [c.pid for c in containers]
    g = goscope(["gctrace"] + list(args) + pids)
    prefixes = [f"[{pid}] " for pid in pids] if len(pids) > 1 else [""]

    def enough():
        lines = g.wait_lines(0, 0)
        return all(sum(ln.startswith(p) for ln in lines) > cycles for p in prefixes)
    wait_for(lambda: enough() or g.proc.poll() is not None, 60, step=0.1)
    rc = g.finish(signal.SIGINT)
    assert rc == 0, f"goscope exited {rc}: {g.stderr()}"
    for c in containers:
        assert c.alive(), f"the target in {c.name or c.id} died while goscope was attached"
    time.sleep(0.3)  # the runtime prints its line just after the probe fires
    for c in containers:
        prefix = f"[{c.pid}] " if len(pids) > 1 else ""
        mine = [ln for ln in g.lines if ln.startswith(prefix)] if prefix else g.lines
        numbers = check_parity(mine, c.runtime_lines(), prefix=prefix, minor=minor)
        assert len(numbers) >= cycles, f"{c.pid}: only {len(numbers)} cycles: {g.stderr()}"
    err = g.stderr()
    assert "missed" not in err and "lost" not in err, err
    return err


@pytest.mark.parametrize("minor", [19, 22, 25, 27])
def test_gctrace_parity_in_podman_container(minor, podman, goscope):
    c = podman(target_path(minor, "default"), env=GCTRACE)
    time.sleep(0.5)  # attach mid-run
    assert c.runtime_lines(), "the workload printed no gctrace lines before attach"
    err = parity(goscope, [c], minor)
    assert f"attached to PID {c.pid} " in err, err


@pytest.mark.parametrize("minor", [22, 27])
def test_gctrace_parity_in_containerd_container(minor, ctr, goscope):
    c = ctr(target_path(minor, "default"), env=GCTRACE)
    time.sleep(0.5)
    assert c.runtime_lines(), "the workload printed no gctrace lines before attach"
    parity(goscope, [c], minor)


@pytest.mark.parametrize("runtime,minor", [("podman", 19), ("podman", 27), ("containerd", 25)])
def test_stat_in_container_equals_runtime_readings(runtime, minor, podman, ctr, tmp_path):
    out = oracle_dir(tmp_path)
    if runtime == "podman":
        q = podman(target_path(minor, "default", "quiescent"), args=QUIESCENT_ARGS,
                   volumes=[(out, "/out")])
    else:
        q = ctr(target_path(minor, "default", "quiescent"), args=QUIESCENT_ARGS,
                mounts=[(out, "/out")])
    want = q.snapshot(out)
    got = stat_json(q.pid)
    assert got["go_version"].startswith(f"go1.{minor}")
    check_against_oracle(minor, got, want)


def test_binary_only_inside_the_container(podman, goscope):
    c = podman(target_path(27, "stripped"), env=GCTRACE)  # static: a scratch image has no ld.so
    exe = os.readlink(f"/proc/{c.pid}/exe")
    assert exe == "/server", exe
    # The host's /server is not the container's: the file exists only in its mount namespace.
    host = os.stat("/server") if os.path.exists("/server") else None
    inside = os.stat(f"/proc/{c.pid}/exe")
    assert host is None or (host.st_dev, host.st_ino) != (inside.st_dev, inside.st_ino)
    time.sleep(0.3)
    parity(goscope, [c], 27)


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_binary_deleted_or_replaced_after_start(how, podman, goscope):
    c = podman(target_path(25, "default"), env=GCTRACE)
    path = f"/proc/{c.pid}/root/server"    # the container's own /server, through its root
    os.unlink(path)
    if how == "replaced":
        # Another Go release's binary under the same name: goscope must read the running one.
        shutil.copy2(target_path(19, "default"), path)
        assert os.readlink(f"/proc/{c.pid}/exe") == "/server (deleted)"
    else:
        assert not os.path.exists(path)
    assert os.readlink(f"/proc/{c.pid}/exe").endswith("(deleted)")
    err = parity(goscope, [c], 25)
    assert "go1.25" in err, err


def test_several_containers_of_one_image(podman, goscope, tmp_path):
    cs = [podman(target_path(27, "default"), env=GCTRACE) for _ in range(3)]
    assert len({c.inspect["Image"] for c in cs}) == 1
    time.sleep(0.3)
    parity(goscope, cs, 27, cycles=25)
    # One file of the image's layer, seen through each container's own overlay (its own device).
    exes = [os.stat(f"/proc/{c.pid}/exe") for c in cs]
    assert len({e.st_ino for e in exes}) == 1 and len({e.st_dev for e in exes}) == 3, exes
    out = tmp_path / "record.jsonl"
    g = goscope(["record", "-vv", "-o", out] + [c.pid for c in cs])
    assert wait_for(lambda: all(len(lines_with(out, '"kind":"gc"', f'"pid":{c.pid},')) >= 10
                                for c in cs), 30), g.stderr()
    assert g.finish() == 0, g.stderr()
    # The binary is parsed once: the second and third containers share the first one's parse.
    assert g.stderr().count("one parse for both") == 2, g.stderr()
    time.sleep(0.3)
    recs = records(out)
    for c in cs:
        gcs = of(recs, "gc", c.pid)
        assert len(gcs) >= 10, (c.pid, len(gcs))
        check_parity([r["line"] for r in gcs], c.runtime_lines(), minor=27)


@pytest.mark.parametrize("runtime", ["podman", "containerd"])
def test_read_only_root(runtime, podman, ctr, goscope):
    if runtime == "podman":
        c = podman(target_path(22, "default"), env=GCTRACE, read_only=True)
    else:
        c = ctr(target_path(22, "default"), env=GCTRACE, read_only=True)
    root = next(ln for ln in open(f"/proc/{c.pid}/mountinfo") if ln.split()[4] == "/")
    assert " ro," in f" {root.split()[5]},", root
    time.sleep(0.3)
    parity(goscope, [c], 22)


@pytest.mark.parametrize("runtime", ["podman", "containerd"])
def test_user_namespace(runtime, podman, ctr, goscope, tmp_path):
    # --userns=auto needs a "containers" range in /etc/subuid (none here); an explicit map works.
    out = oracle_dir(tmp_path)
    start = podman if runtime == "podman" else ctr
    c = start(target_path(27, "default"), env=GCTRACE, uidmap="0:200000:65536")
    with open(f"/proc/{c.pid}/uid_map") as f:
        assert f.read().split() == ["0", "200000", "65536"]
    assert os.readlink(f"/proc/{c.pid}/ns/user") != os.readlink("/proc/self/ns/user")
    time.sleep(0.3)
    parity(goscope, [c], 27)
    if runtime == "podman":
        q = podman(target_path(27, "default", "quiescent"), args=QUIESCENT_ARGS,
                   volumes=[(out, "/out")], uidmap="0:200000:65536")
    else:
        q = ctr(target_path(27, "default", "quiescent"), args=QUIESCENT_ARGS,
                mounts=[(out, "/out")], uidmap="0:200000:65536")
    want = q.snapshot(out)
    check_against_oracle(27, stat_json(q.pid), want)


def _cgroup_v1(pid, controller, name):
    rel = next(ln.split(":", 2)[2].strip() for ln in open(f"/proc/{pid}/cgroup")
               if controller in ln.split(":")[1].split(","))
    with open(f"/sys/fs/cgroup/{controller}{rel}/{name}") as f:
        return f.read().strip()


@pytest.mark.parametrize("minor", [25, 27])
def test_gomaxprocs_follows_the_cgroup(minor, podman, goscope, tmp_path):
    # The targets' go.mod says go 1.19, whose GODEBUG defaults turn the Go 1.25 behaviour off.
    # A CPU quota is rounded up to at least 2 by the runtime, and this VM has 2 CPUs: the quota
    # alone cannot lower GOMAXPROCS here (checked below), the cpuset can.
    out = oracle_dir(tmp_path)
    q = podman(target_path(minor, "default", "quiescent"), args=QUIESCENT_ARGS,
               volumes=[(out, "/out")], cpus=1, cpuset="0",
               env={"GODEBUG": "containermaxprocs=1,updatemaxprocs=1"})
    assert _cgroup_v1(q.pid, "cpu", "cpu.cfs_quota_us") == "100000"
    assert _cgroup_v1(q.pid, "cpu", "cpu.cfs_period_us") == "100000"
    want = q.snapshot(out)
    assert want["gomaxprocs"] == 1, want["gomaxprocs"]
    assert stat_json(q.pid)["metrics"]["/sched/gomaxprocs:threads"] == 1
    g = goscope(["schedtrace", "-i", "200ms", q.pid])
    g.wait_lines(2, timeout=10)
    assert all(" gomaxprocs=1 " in ln for ln in g.lines), g.lines
    q.update("--cpuset-cpus", "0-1")
    changed = time.monotonic()
    # The runtime re-reads the CPU count and limit about once a second.
    seen = {}

    def runtime_changed():
        seen["s"] = q.snapshot(out)
        return seen["s"]["gomaxprocs"] == 2
    assert wait_for(runtime_changed, 5, step=0.3), \
        f"the runtime kept GOMAXPROCS {seen['s']['gomaxprocs']}"
    runtime_after = time.monotonic() - changed
    assert wait_for(lambda: any(" gomaxprocs=2 " in ln for ln in g.wait_lines(0, 0)), 2), g.lines
    assert g.finish() == 0, g.stderr()
    # 1 CPU of quota, 2 CPUs allowed: the runtime's minimum of 2 applies.
    assert _cgroup_v1(q.pid, "cpu", "cpu.cfs_quota_us") == "100000"
    got = stat_json(q.pid)
    want = q.snapshot(out)
    assert got["metrics"]["/sched/gomaxprocs:threads"] == want["gomaxprocs"] == 2
    check_against_oracle(minor, got, want)
    print(f"runtime changed GOMAXPROCS {runtime_after:.1f}s after podman update")
