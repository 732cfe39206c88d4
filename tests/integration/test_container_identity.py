"""Which container and pod a target is: goscope ps, record, serve and top name each one, and
--container / --pod select by it (issue 17; the contract is notes/issue17-contract.md).

One fleet of containers for the module, of two runtimes:
  podman      plain Podman container (a name, no pod)
  podman-k8s  Podman with CRI-O's Kubernetes annotations, in a kubepods cgroupfs-driver parent
  cri         containerd (ctr, namespace k8s.io) with exactly the annotations containerd's CRI
              plugin writes, cgroup /kubepods/burstable/pod<uid>/<id> (the kubelet's cgroupfs shape)
  cri-systemd containerd with the CRI names but no pod UID annotation, in the kubelet's systemd-
              driver shape (kubepods-burstable-pod<uid_>.slice/cri-containerd-<id>.scope): the
              pod UID can only come from the cgroup path
  containerd  plain containerd container (namespace "default", cgroup /default/<id>, no name)
and one Go process on the host. The expected identity of each is what the runtime itself says
(podman inspect, ctr container info: the annotations as the runtime stored them), never
goscope's own output.
"""
import json
import re
import signal
import subprocess
import time

import pytest

from conftest import GOSCOPE, GoTarget, check_parity, run_goscope, target_path, wait_for
from containers import (CTR, PODMAN, TOKEN, containerd, cri_annotations,  # noqa: F401
                        crio_annotations, ctr, ctr_module, images, kubepods_parent, pod_uid,
                        podman, podman_module, random_id, run, _session_dir)
from test_record import lines_with, of, records
from test_serve import parse_exposition, serve  # noqa: F401
from test_top import Tmux

GCTRACE = {"GODEBUG": "gctrace=1"}
NS = f"gs{TOKEN}"               # a Kubernetes namespace of this run only
LABELS = ("container_id", "container", "pod", "namespace")


def expected_identity(c):
    """The identity of container c as its runtime reports it: the contract's container object."""
    if c.runtime == "podman":
        info = json.loads(run(PODMAN + ["inspect", c.id]).stdout)[0]
        ann = info["Config"].get("Annotations") or {}
        want = {"id": info["Id"], "runtime": "podman", "name": info["Name"]}
        if "io.kubernetes.pod.name" in ann:
            want.update(pod=ann["io.kubernetes.pod.name"],
                        namespace=ann["io.kubernetes.pod.namespace"],
                        pod_uid=ann["io.kubernetes.pod.uid"],
                        name=ann["io.kubernetes.container.name"])
        return want
    info = json.loads(run(CTR + ["-n", c.ns, "container", "info", c.id]).stdout)
    ann = info["Spec"].get("annotations") or {}
    want = {"id": info["ID"], "runtime": "containerd"}
    if "io.kubernetes.cri.sandbox-name" in ann:
        want.update(pod=ann["io.kubernetes.cri.sandbox-name"],
                    namespace=ann["io.kubernetes.cri.sandbox-namespace"],
                    name=ann["io.kubernetes.cri.container-name"])
        if "io.kubernetes.cri.sandbox-uid" in ann:
            want["pod_uid"] = ann["io.kubernetes.cri.sandbox-uid"]
    m = re.search(r"kubepods-[a-z]+-pod([0-9a-f_]{36})\.slice", info["Spec"]["linux"]["cgroupsPath"])
    if m:
        want["pod_uid"] = m.group(1).replace("_", "-")
    return want


def nspid(c):
    """The PID the workload itself printed in its ready line (its own PID namespace's view)."""
    return int(c.ready_line.split()[0])


class Fleet:
    def __init__(self, podman, ctr, tmp_path):
        churn = target_path(27, "default")
        self.uid_k8s, self.uid_cri, self.uid_sd = pod_uid(), pod_uid(), pod_uid()
        k8s_name = f"gstest-{TOKEN}-api"    # Podman's name and the Kubernetes container name
        self.c = {}
        self.c["podman"] = podman(target_path(22, "default"), env=GCTRACE)
        ann = crio_annotations(f"api-{TOKEN}", NS, self.uid_k8s, k8s_name)
        self.c["podman-k8s"] = podman(churn, env=GCTRACE, name=k8s_name, annotations=ann,
                                      cgroup_parent=kubepods_parent(self.uid_k8s))
        cid = random_id()
        ann = cri_annotations(f"web-{TOKEN}", NS, self.uid_cri, f"web-{TOKEN}")
        self.c["cri"] = ctr(target_path(25, "default"), env=GCTRACE, cid=cid, annotations=ann,
                            cgroup=f"{kubepods_parent(self.uid_cri)}/{cid}")
        cid = random_id()
        ann = cri_annotations(f"db-{TOKEN}", NS, self.uid_sd, f"exporter-{TOKEN}")
        del ann["io.kubernetes.cri.sandbox-uid"]
        sd_uid = self.uid_sd.replace("-", "_")
        self.c["cri-systemd"] = ctr(churn, env=GCTRACE, cid=cid, annotations=ann,
                                    cgroup=f"/kubepods.slice/kubepods-burstable.slice/"
                                           f"kubepods-burstable-pod{sd_uid}.slice/"
                                           f"cri-containerd-{cid}.scope")
        self.c["containerd"] = ctr(target_path(19, "default"), env=GCTRACE, ns="default")
        self.want = {k: expected_identity(c) for k, c in self.c.items()}
        assert self.want["cri-systemd"]["pod_uid"] == self.uid_sd
        for k, c in self.c.items():
            assert nspid(c) == 1, (k, c.ready_line)
        self.host = GoTarget(target_path(27, "default"), tmp_path)  # last: nothing fails after

    def pids(self):
        return [c.pid for c in self.c.values()] + [self.host.pid]

    def stop(self):
        self.host.stop()


@pytest.fixture(scope="module")
def fleet(podman_module, ctr_module, tmp_path_factory):
    f = Fleet(podman_module, ctr_module, tmp_path_factory.mktemp("fleet"))
    yield f
    f.stop()


def short_name(want):
    """CONTAINER in ps: the name, else the first 12 hex of the ID."""
    return want.get("name") or want["id"][:12]


def pod_column(want):
    return f"{want['namespace']}/{want['pod']}" if "pod" in want else "-"


def top_column(want):
    """CONTAINER/POD in top: namespace/pod/container when the pod is known, else the name or
    the short ID."""
    if "pod" in want:
        return f"{want['namespace']}/{want['pod']}/{short_name(want)}"
    return short_name(want)


def ps_json(args=()):
    res = run_goscope(["ps", "--json"] + list(args))
    assert res.returncode == 0, res.stderr
    return {o["pid"]: o for o in map(json.loads, res.stdout.splitlines())}


def test_ps_json_names_each_container(fleet):
    rows = ps_json()
    for k, c in fleet.c.items():
        row = rows.get(c.pid)
        assert row, f"{k}: PID {c.pid} not listed"
        assert row["container"] == fleet.want[k], k
        assert row["nspid"] == nspid(c), k
        assert row["attachable"] is True, row
    host = rows[fleet.host.pid]
    assert "container" not in host, host
    assert host.get("nspid", fleet.host.pid) == fleet.host.pid


def test_ps_table_container_and_pod_columns(fleet):
    res = run_goscope(["ps"])
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    header = lines[0].split()
    assert header == ["PID", "COMM", "GO", "PIE", "STRIPPED", "CGO", "RUNTIME", "CONTAINER", "POD",
                      "ATTACH"]
    rows = {int(ln.split()[0]): ln.split() for ln in lines[1:]}
    for k, c in fleet.c.items():
        cells = rows[c.pid]
        assert cells[7] == short_name(fleet.want[k]), (k, cells)
        assert cells[8] == pod_column(fleet.want[k]), (k, cells)
    assert rows[fleet.host.pid][7:9] == ["-", "-"]


def test_record_carries_container_on_every_line(fleet, goscope, tmp_path):
    out = tmp_path / "record.jsonl"
    g = goscope(["record", "-o", out, "-i", "300ms"] + fleet.pids())
    assert wait_for(lambda: all(len(lines_with(out, '"kind":"gc"', f'"pid":{p},')) >= 3 and
                                lines_with(out, '"kind":"sample"', f'"pid":{p},')
                                for p in fleet.pids()), 30), g.stderr()
    assert g.finish() == 0, g.stderr()
    recs = records(out)     # every line valid against docs/record.schema.json
    assert {r["schema"] for r in recs} == {"goscope.record/3"}
    for k, c in fleet.c.items():
        mine = [r for r in recs if r["pid"] == c.pid]
        assert {r["kind"] for r in mine} >= {"attach", "gc", "sample", "detach"}, k
        bad = [r for r in mine if r.get("container") != fleet.want[k]]
        assert not bad, f"{k}: {len(bad)} lines without the right container object, want " \
                        f"{fleet.want[k]}; e.g. {bad[0]}"
        assert all(r.get("nspid", c.pid) == nspid(c) for r in mine), k
        check_parity([r["line"] for r in of(mine, "gc")], c.runtime_lines(),
                     minor=int(mine[0]["go_version"].split(".")[1]))
    host = [r for r in recs if r["pid"] == fleet.host.pid]
    assert host and not any("container" in r or "nspid" in r for r in host)


def test_serve_labels_every_series(fleet, serve):
    s = serve(["--listen", "127.0.0.1:0", "-i", "300ms"] + fleet.pids())
    # Every target has its per-cycle series once it has had a GC cycle.
    def cycled():
        got = {dict(lb).get("pid") for (n, lb) in parse_exposition(s.get()[2])
               if n == "goscope_gc_cycles_total"}
        return all(str(p) in got for p in fleet.pids())
    assert wait_for(cycled, 20, step=0.3), s.stderr()
    status, _, text = s.get()
    assert status == 200
    assert s.stop() == 0, s.stderr()
    by_pid = {}
    for (name, labels), _ in parse_exposition(text).items():
        d = dict(labels)
        if "pid" in d:
            by_pid.setdefault(int(d["pid"]), []).append((name, d))
    for k, c in fleet.c.items():
        want = fleet.want[k]
        labels = {"container_id": want["id"], "container": want.get("name"),
                  "pod": want.get("pod"), "namespace": want.get("namespace")}
        series = by_pid.get(c.pid)
        assert series and len(series) > 20, f"{k}: {len(series or [])} series"
        for name, d in series:
            got = {lb: d.get(lb) for lb in LABELS}
            assert got == labels, f"{k}: {name}{d}: want {labels}"
    for name, d in by_pid[fleet.host.pid]:
        assert not any(lb in d for lb in LABELS), f"host process series {name}{d}"
    res = subprocess.run(["/usr/bin/promtool", "check", "metrics"], input=text,
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stdout + res.stderr


def overview_cell(screen, pid, title):
    """The cell of column title in pid's overview row: the token under the title."""
    header = next((ln for ln in screen.splitlines() if re.match(r"^\s+.?\s*PID\s+COMM", ln)), None)
    if not header or title not in header:
        return None
    lo, hi = header.index(title), header.index(title) + len(title)
    for line in screen.splitlines():
        cells = line[1:].split()
        if cells and cells[0] == str(pid):
            for m in re.finditer(r"\S+", line):
                if m.start() < hi and m.end() > lo:
                    return m.group(0)
            return ""
    return None


def test_top_overview_and_detail_name_containers(fleet, tmp_path):
    t = Tmux(tmp_path, " ".join([str(GOSCOPE), "top", "-i", "250ms"] +
                                [str(p) for p in fleet.pids()]), width=220, height=40)
    try:
        pids = fleet.pids()
        screen = t.wait_screen(lambda s: all(overview_cell(s, p, "CONTAINER/POD") for p in pids) or
                               "PID" in s and "CONTAINER/POD" not in s, 20)
        assert "CONTAINER/POD" in screen, f"no CONTAINER/POD column:\n{screen}"
        for k, c in fleet.c.items():
            assert overview_cell(screen, c.pid, "CONTAINER/POD") == top_column(fleet.want[k]), \
                f"{k}:\n{screen}"
        assert overview_cell(screen, fleet.host.pid, "CONTAINER/POD") == "-", screen
    finally:
        t.kill()
    # The detail view's header: the full identity.
    c, want = fleet.c["cri"], fleet.want["cri"]
    t = Tmux(tmp_path, f"{GOSCOPE} top -i 250ms {c.pid}", width=220, height=50)
    try:
        screen = t.wait_screen(lambda s: want["pod_uid"] in s or "TARGET EXITED" in s, 15)
        for k, v in want.items():
            assert v in screen, f"{k} {v} not in the detail view's header:\n{screen}"
    finally:
        t.kill()


# ---- selection ----

def gctrace_selected(goscope, args, container, cycles=20):
    g = goscope(["gctrace"] + args)
    g.wait_lines(cycles + 1, timeout=30)
    rc = g.finish(signal.SIGINT)
    assert rc == 0, f"goscope {args} exited {rc}: {g.stderr()}"
    assert f"attached to PID {container.pid} " in g.stderr(), g.stderr()
    time.sleep(0.3)
    minor = int(re.search(r"go1\.(\d+)", g.stderr()).group(1))
    assert len(check_parity(g.lines, container.runtime_lines(), minor=minor)) >= cycles
    return g


@pytest.mark.parametrize("key,how", [("podman", "name"), ("podman", "id-prefix"),
                                     ("cri", "name"), ("cri", "id-prefix"), ("containerd", "id-prefix"),
                                     ("podman-k8s", "pod"), ("cri", "pod"), ("cri-systemd", "pod-name")])
def test_select_by_container_or_pod(key, how, fleet, goscope):
    c, want = fleet.c[key], fleet.want[key]
    args = {"name": ["--container", want.get("name", "")],
            "id-prefix": ["--container", want["id"][:12]],
            "pod": ["--pod", f"{want.get('namespace')}/{want.get('pod')}"],
            "pod-name": ["--pod", want.get("pod", "")]}[how]
    gctrace_selected(goscope, args, c)


def test_unknown_selectors_exit_3(fleet):
    for args in (["--container", f"gstest-{TOKEN}-nosuch"], ["--pod", f"{NS}/nosuch"],
                 ["--container", "0" * 12 + TOKEN]):
        res = run_goscope(["gctrace"] + args, timeout=20)
        assert res.returncode == 3, (args, res.returncode, res.stderr)
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and args[1] in lines[0], (args, res.stderr)


def test_ambiguous_selectors_exit_3(ctr):
    # Two containers whose IDs share a prefix, of two pods of one name in two namespaces, with
    # one container name.
    prefix, pod, name = random_id()[:10], f"amb-{TOKEN}", f"dup-{TOKEN}"
    made = []
    for ns in (f"{NS}a", f"{NS}b"):
        cid, uid = prefix + random_id()[10:], pod_uid()
        made.append(ctr(target_path(27, "default"), cid=cid, cgroup=f"{kubepods_parent(uid)}/{cid}",
                        annotations=cri_annotations(pod, ns, uid, name)))
    a, b = made
    for args in (["--container", prefix], ["--container", name], ["--pod", pod]):
        res = run_goscope(["gctrace"] + args, timeout=20)
        assert res.returncode == 3, (args, res.returncode, res.stderr)
        err = res.stderr.strip()
        assert len(err.splitlines()) == 1 and args[1] in err and "ambiguous" in err, err
        # Both candidates named, so the user can pick.
        assert a.id[:12] in err and b.id[:12] in err, err
    # A longer prefix, or the namespace, picks one.
    for args, want in ((["--container", a.id[:16]], a), (["--pod", f"{NS}b/{pod}"], b)):
        res = run_goscope(["stat", "--json", "-i", "0"] + args, timeout=20)
        assert res.returncode == 0, (args, res.stderr)
        assert json.loads(res.stdout)["pid"] == want.pid, args


def test_record_pod_follows_a_container_started_later(ctr, goscope, tmp_path):
    uid, pod = pod_uid(), f"late-{TOKEN}"
    sandbox = random_id()

    def start(name, minor, pod_name=pod, pod_id=uid):
        cid = random_id()
        return ctr(target_path(minor, "default"), env=GCTRACE, cid=cid,
                   cgroup=f"{kubepods_parent(pod_id)}/{cid}",
                   annotations=cri_annotations(pod_name, NS, pod_id, name, sandbox_id=sandbox))

    first = start("app", 27)
    out = tmp_path / "record.jsonl"
    g = goscope(["record", "-o", out, "-i", "300ms", "--pod", f"{NS}/{pod}"])
    assert wait_for(lambda: lines_with(out, '"kind":"gc"', f'"pid":{first.pid},'), 20), g.stderr()
    second = start("sidecar", 22)
    other = start("app", 27, pod_name=f"other-{TOKEN}", pod_id=pod_uid())
    assert wait_for(lambda: len(lines_with(out, '"kind":"gc"', f'"pid":{second.pid},')) >= 5, 30), \
        g.stderr()
    assert g.finish() == 0, g.stderr()
    recs = records(out)
    pids = {r["pid"] for r in recs}
    assert other.pid not in pids, "record --pod attached to a container of another pod"
    # A new container's first process is the runtime's init (runc:[2:INIT], a Go program) until
    # it executes the workload: that is not a target of the pod.
    runc = [(r["kind"], r["pid"], r["comm"], r["exe"]) for r in recs if r["comm"] != "server"]
    assert not runc, f"records of processes other than the workload: {runc[:4]}"
    assert pids == {first.pid, second.pid}, pids
    for c, name in ((first, "app"), (second, "sidecar")):
        mine = [r for r in recs if r["pid"] == c.pid]
        assert mine[0]["kind"] == "attach"
        assert all(r["container"] == expected_identity(c) for r in mine)
        assert mine[0]["container"]["name"] == name and mine[0]["container"]["pod"] == pod
        check_parity([r["line"] for r in of(mine, "gc")], c.runtime_lines(),
                     minor=int(mine[0]["go_version"].split(".")[1]))


def start_in_pod(ctr, pod, uid, name):
    """A containerd container of pod NS/pod (UID uid) as the CRI plugin makes it."""
    cid = random_id()
    return ctr(target_path(27, "default"), cid=cid, cgroup=f"{kubepods_parent(uid)}/{cid}",
               annotations=cri_annotations(pod, NS, uid, name))


def test_serve_pod_follows_a_container_started_later(ctr, serve):
    uid, pod = pod_uid(), f"svc-{TOKEN}"

    def labelled(text, c):
        want = expected_identity(c)
        return [d for (n, lb), _ in parse_exposition(text).items() for d in [dict(lb)]
                if n == "goscope_gc_cycles_total" and d.get("pid") == str(c.pid) and
                d.get("container_id") == want["id"] and d.get("container") == want["name"] and
                d.get("pod") == pod and d.get("namespace") == NS]

    first = start_in_pod(ctr, pod, uid, "app")
    s = serve(["--listen", "127.0.0.1:0", "-i", "300ms", "--pod", f"{NS}/{pod}"])
    assert wait_for(lambda: labelled(s.get()[2], first), 20), s.stderr()
    second = start_in_pod(ctr, pod, uid, "worker")
    assert wait_for(lambda: labelled(s.get()[2], second), 20), s.stderr()
    assert s.stop() == 0, s.stderr()


def test_one_image_each_container_its_own_identity(podman, goscope, tmp_path):
    # The parsed binary may be shared between processes of one image; the identity may not.
    cs = [podman(target_path(27, "default"), env=GCTRACE) for _ in range(3)]
    assert len({c.inspect["Image"] for c in cs}) == 1
    out = tmp_path / "record.jsonl"
    g = goscope(["record", "-o", out] + [c.pid for c in cs])
    assert wait_for(lambda: all(len(lines_with(out, '"kind":"gc"', f'"pid":{c.pid},')) >= 3
                                for c in cs), 30), g.stderr()
    assert g.finish() == 0, g.stderr()
    recs = records(out)
    for c in cs:
        want = expected_identity(c)
        mine = [r for r in recs if r["pid"] == c.pid]
        assert mine and all(r.get("container") == want for r in mine), (want, mine[0])


def test_top_pod_follows_a_container_started_later(ctr, tmp_path):
    uid, pod = pod_uid(), f"dash-{TOKEN}"
    first = start_in_pod(ctr, pod, uid, f"a-{TOKEN}")
    t = Tmux(tmp_path, f"{GOSCOPE} top -i 250ms --pod {NS}/{pod}", width=220, height=40)
    try:
        want = top_column(expected_identity(first))
        t.wait_screen(lambda s: overview_cell(s, first.pid, "CONTAINER/POD") == want, 20)
        second = start_in_pod(ctr, pod, uid, f"b-{TOKEN}")
        want2 = top_column(expected_identity(second))
        screen = t.wait_screen(lambda s: overview_cell(s, second.pid, "CONTAINER/POD") == want2, 20)
        assert overview_cell(screen, first.pid, "CONTAINER/POD") == want
    finally:
        t.kill()
