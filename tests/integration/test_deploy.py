"""goscope's deployable artifacts, run for real: the image, the DaemonSet's settings, the unit's.

- The image archive from `make image` ($BUILD/goscope-image.tar): its OCI layout is sound (every
  blob has the digest it is named by), `scripts/mkimage.py` rebuilds it byte for byte, `podman load`
  and `ctr image import` (a containerd of the test's own) accept it, and the binary in it runs.
- goscope from that image with the settings of deploy/kubernetes/goscope-daemonset.yaml: the podman
  flags are derived from the manifest (host PID namespace, dropped and added capabilities,
  read-only root, user, no_new_privs, limits, args; a setting the test cannot translate fails it),
  Go programs run in other containers, and its /metrics carries their series, probed, by host PID,
  with the container labels of the contract (container_id, container).
- deploy/systemd/goscope.service started by systemd (this machine's PID 1 is not systemd: the
  machine's own systemd boots in a container over an overlay of the machine's root).

Everything a test starts is named with a prefix of its own and removed at the end, and nothing
else is touched: another goscope, other containers and images on the machine are left alone.
The network is the host's (no cluster network here), so the manifest's listen port is replaced by
a free one; every other argument is the manifest's.
"""
import gzip
import hashlib
import io
import json
import re
import shutil
import subprocess
import tarfile
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from conftest import BUILD, GOSCOPE, REPO, free_port, target_path, wait_for
from test_serve import parse_exposition

IMAGE_TAR = BUILD / "goscope-image.tar"
DAEMONSET = REPO / "deploy/kubernetes/goscope-daemonset.yaml"
UNIT = REPO / "deploy/systemd/goscope.service"

# Podman on this machine runs containers only this way (see /work/shared/reference/fleet.md: runc,
# since crun refuses the hybrid cgroup layout; no raising of rlimits without CAP_SYS_RESOURCE).
PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]
RUN = ["run", "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"]


def sh(cmd, timeout=120, check=True, **kw):
    res = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kw)
    if check:
        assert res.returncode == 0, f"{' '.join(map(str, cmd))} exited {res.returncode}:\n{res.stderr}"
    return res


def image_tar():
    assert IMAGE_TAR.exists(), f"{IMAGE_TAR} missing: run make O={BUILD} image"
    return IMAGE_TAR


def read_layout(path):
    """{name: bytes} of an image archive."""
    with tarfile.open(path) as t:
        return {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}


def blob(files, digest):
    return files["blobs/sha256/" + digest.split(":", 1)[1]]


def image_parts(files):
    """(index, manifest, config) of an image archive's files."""
    index = json.loads(files["index.json"])
    manifest = json.loads(blob(files, index["manifests"][0]["digest"]))
    return index, manifest, json.loads(blob(files, manifest["config"]["digest"]))


def daemonset():
    """The DaemonSet of the manifest file."""
    docs = [d for d in yaml.safe_load_all(DAEMONSET.read_text()) if d]
    (ds,) = [d for d in docs if d["kind"] == "DaemonSet"]
    return ds


def retag(src, dst, name):
    """A copy of image archive src whose image is called name, so that loading it touches no name
    someone else may use (goscope:latest): the same blobs (so the same image ID), index.json
    renamed, and Docker's manifest.json left out, so that what podman reads is the OCI layout."""
    files = read_layout(src)
    index = json.loads(files["index.json"])
    index["manifests"][0]["annotations"] = {"org.opencontainers.image.ref.name": name,
                                            "io.containerd.image.name": name}
    files["index.json"] = json.dumps(index).encode()
    del files["manifest.json"]
    with tarfile.open(dst, "w") as t:
        for n in sorted(files):
            ti = tarfile.TarInfo(n)
            ti.size = len(files[n])
            t.addfile(ti, io.BytesIO(files[n]))
    return dst


class Podman:
    """Containers and images a test made, all named with one unique prefix; removed at the end."""

    def __init__(self):
        self.prefix = f"gsdeploy-{uuid.uuid4().hex[:8]}"
        self.containers, self.images = [], []
        res = sh(PODMAN + ["info", "--format", "{{.Host.OCIRuntime.Name}}"], check=False)
        assert res.returncode == 0, f"podman cannot run here: {res.stderr}"

    def name(self, what):
        return f"{self.prefix}-{what}"

    def load(self, archive, name):
        out = sh(PODMAN + ["load", "-i", archive]).stdout
        self.images.append(name)
        return out

    def import_binary(self, path, what):
        """A one-file image holding the Go program at /NAME (how a FROM scratch Go image looks)."""
        name = f"localhost/{self.name(what)}:test"
        tar = subprocess.Popen(["tar", "-C", str(path.parent), "-c", path.name], stdout=subprocess.PIPE)
        res = subprocess.run(PODMAN + ["import", "--change", f'ENTRYPOINT ["/{path.name}"]', "-", name],
                             stdin=tar.stdout, capture_output=True, text=True, timeout=120)
        tar.wait()
        assert res.returncode == 0, res.stderr
        self.images.append(name)
        return name

    def run(self, what, image, flags=(), args=()):
        name = self.name(what)
        self.containers.append(name)
        image = [image] if image else []  # none with --rootfs
        res = sh(PODMAN + RUN + ["-d", "--name", name] + list(flags) + image + list(args))
        return name, res.stdout.strip()

    def inspect(self, name, fmt):
        return sh(PODMAN + ["inspect", "--format", fmt, name]).stdout.strip()

    def logs(self, name):
        res = sh(PODMAN + ["logs", name], check=False)
        return res.stdout + res.stderr

    def cleanup(self):
        for c in self.containers:
            sh(PODMAN + ["rm", "-f", "-t", "5", c], check=False)
        for i in self.images:
            sh(PODMAN + ["rmi", i], check=False)


@pytest.fixture
def podman():
    p = Podman()
    yield p
    p.cleanup()


# ---- the DaemonSet's container settings, as podman flags ----

def cpus(q):
    return str(int(q[:-1]) / 1000 if q.endswith("m") else float(q))


def memory(q):
    units = {"Ki": "k", "Mi": "m", "Gi": "g"}
    return q[:-2] + units[q[-2:]]


def podman_flags(pod, container, listen_port):
    """(flags, args) for `podman run` that apply the pod spec's and container's settings; a
    setting not translated here fails the test rather than being ignored."""
    flags = []
    handled = {"serviceAccountName", "automountServiceAccountToken", "tolerations",
               "terminationGracePeriodSeconds", "containers", "hostPID"}
    unknown = set(pod) - handled
    assert not unknown, f"the test does not apply the pod spec's {sorted(unknown)}"
    if pod.get("hostPID"):
        flags += ["--pid", "host"]
    unknown = set(container) - {"name", "image", "imagePullPolicy", "args", "ports", "resources",
                                "readinessProbe", "livenessProbe", "securityContext"}
    assert not unknown, f"the test does not apply the container's {sorted(unknown)}"
    sc = dict(container["securityContext"])
    caps = sc.pop("capabilities")
    flags += [f"--cap-drop={c}" for c in caps.get("drop", [])]
    flags += [f"--cap-add={c}" for c in caps.get("add", [])]
    if sc.pop("readOnlyRootFilesystem", False):
        # Kubernetes mounts no tmpfs of its own on a read-only root; podman would.
        flags += ["--read-only", "--read-only-tmpfs=false"]
    if "runAsUser" in sc:
        flags += ["--user", str(sc.pop("runAsUser"))]
    sc.pop("runAsNonRoot", None)
    if sc.pop("allowPrivilegeEscalation", True) is False:
        flags += ["--security-opt", "no-new-privileges"]
    if sc.pop("privileged", False):
        flags += ["--privileged"]
    seccomp = sc.pop("seccompProfile", {"type": "RuntimeDefault"})["type"]
    if seccomp == "Unconfined":
        flags += ["--security-opt", "seccomp=unconfined"]
    else:
        assert seccomp == "RuntimeDefault", seccomp  # podman's default profile
    assert not sc, f"the test does not apply securityContext {sorted(sc)}"
    limits = container.get("resources", {}).get("limits", {})
    if "memory" in limits:
        flags += ["--memory", memory(limits["memory"])]
    if "cpu" in limits:
        flags += ["--cpus", cpus(limits["cpu"])]
    # No cluster network: the host's, with the manifest's listen address on a free port.
    flags += ["--network", "host"]
    args = list(container.get("args", []))
    i = args.index("--listen") + 1
    host, port = args[i].rsplit(":", 1)
    assert int(port) == container["ports"][0]["containerPort"], "args and containerPort disagree"
    args[i] = f"{host}:{listen_port}"
    assert "command" not in container, "the test runs the image's entrypoint"
    return flags, args


def metrics(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            return r.read().decode()
    except OSError:
        return ""


def samples_of(text, name, pid):
    """[labels dict] of the samples named name of process pid."""
    return [dict(labels) for (n, labels) in parse_exposition(text)
            if n == name and ("pid", str(pid)) in labels]


def probed(text):
    """PIDs whose goscope_probed is 1: goscope's GC probes are attached to them."""
    return {int(dict(labels)["pid"]) for (n, labels), v in parse_exposition(text).items()
            if n == "goscope_probed" and v == 1}


# ---- the image ----

def test_image_layout_and_reproducible(tmp_path):
    """Every blob is named by its digest, the config is the node agent's, and mkimage.py rebuilds
    the same bytes from the same binary and labels."""
    files = read_layout(image_tar())
    assert json.loads(files["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    for name, data in files.items():
        if name.startswith("blobs/sha256/"):
            assert hashlib.sha256(data).hexdigest() == name.rsplit("/", 1)[1], name
    index, manifest, config = image_parts(files)
    assert index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] == "goscope:latest"
    assert manifest["config"]["size"] == len(blob(files, manifest["config"]["digest"]))
    c = config["config"]
    assert c["Entrypoint"] == ["/usr/bin/goscope"]
    ds = daemonset()
    (container,) = ds["spec"]["template"]["spec"]["containers"]
    assert c["Cmd"] == container["args"], "the image's default command is the DaemonSet's"
    assert container["image"] == "goscope:latest"
    assert c["ExposedPorts"] == {"9464/tcp": {}}
    labels = c["Labels"]
    assert labels["org.opencontainers.image.title"] == "goscope"
    # The layer: the binary, and terminfo; every entry root's, with one time stamp.
    layer = blob(files, manifest["layers"][0]["digest"])
    with tarfile.open(fileobj=io.BytesIO(layer)) as t:
        members = t.getmembers()
        goscope = t.extractfile("usr/bin/goscope").read()
    diff_id = "sha256:" + hashlib.sha256(gzip.decompress(layer)).hexdigest()
    assert config["rootfs"]["diff_ids"] == [diff_id]
    files_in_layer = {m.name for m in members if not m.isdir()}
    assert "usr/bin/goscope" in files_in_layer
    # Beside the binary: its program interpreter, the libraries it loads, where they come from.
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(\S+)\]",
                        sh(["readelf", "--dynamic", GOSCOPE]).stdout)
    assert needed and all(f"usr/lib/x86_64-linux-gnu/{n}" in files_in_layer for n in needed), needed
    assert "lib64/ld-linux-x86-64.so.2" in files_in_layer
    assert "usr/share/doc/libc6/copyright" in files_in_layer
    assert "etc/ssl/certs/ca-certificates.crt" in files_in_layer
    assert all(n == "usr/bin/goscope" or n == "lib64/ld-linux-x86-64.so.2" or
               n == "etc/ssl/certs/ca-certificates.crt" or
               re.fullmatch(r"usr/lib/x86_64-linux-gnu/[^/]+\.so[.\d]*", n) or
               re.fullmatch(r"usr/share/doc/[^/]+/copyright", n) or
               n.startswith("usr/share/terminfo/") for n in files_in_layer), files_in_layer
    assert goscope == GOSCOPE.read_bytes(), "the image holds the build's binary"
    assert {(m.uid, m.gid) for m in members} == {(0, 0)}
    assert len({m.mtime for m in members}) == 1
    epoch = members[0].mtime
    again = tmp_path / "again.tar"
    sh(["/usr/bin/python3", REPO / "scripts/mkimage.py", "--binary", GOSCOPE,
        "--name", "goscope:latest", "--revision", labels.get("org.opencontainers.image.revision", ""),
        "--epoch", epoch, "--terminfo", "/lib/terminfo",
        "--ca-certificates", "/etc/ssl/certs/ca-certificates.crt", "-o", again])
    assert again.read_bytes() == image_tar().read_bytes(), "mkimage.py is not reproducible"


def test_podman_loads_and_runs_image(podman, tmp_path):
    name = f"localhost/{podman.name('goscope')}:test"
    out = podman.load(retag(image_tar(), tmp_path / "image.tar", name), name)
    assert name in out, out
    _, _, config = image_parts(read_layout(image_tar()))
    res = sh(PODMAN + RUN + ["--rm", "--name", podman.name("version"), name, "--version"])
    assert res.stdout.startswith("goscope "), res.stdout
    assert res.stdout.split()[1] == config["config"]["Labels"]["org.opencontainers.image.version"]


@pytest.fixture
def containerd():
    """A containerd of this test's own (socket, root and state in a directory of its own, the CRI
    plugin off), so importing touches no other containerd's images. Stopped and removed at the
    end. Debian's containerd package does not start one: nothing else is needed."""
    d = Path(f"/tmp/gsdeploy-ctrd-{uuid.uuid4().hex[:8]}")  # short: a socket path has 108 bytes
    d.mkdir()
    (d / "config.toml").write_text(f"""version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{d}/sock"
[ttrpc]
  address = "{d}/sock.ttrpc"
[debug]
  address = "{d}/debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "{d}/opt"
""")
    # containerd 1.6's shims put their sockets under /run/containerd/s whatever the state path,
    # creating /run/containerd 0700 when it is missing; a containerd started later with the
    # default state then keeps that mode, and runc can no longer reach a user-namespaced
    # container's root file system through it (test_containers.test_user_namespace). So make it
    # as containerd itself does, 0711, when it is not there yet.
    Path("/run/containerd").mkdir(mode=0o711, exist_ok=True)
    log = open(d / "log", "w")
    proc = subprocess.Popen(["containerd", "-c", d / "config.toml"], stdout=log, stderr=log)
    ctr = ["ctr", "-a", d / "sock"]
    try:
        assert wait_for(lambda: proc.poll() is None and
                        sh(ctr + ["version"], check=False).returncode == 0, 20), \
            f"containerd did not start: {(d / 'log').read_text()[-2000:]}"
        yield ctr
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        # Snapshots a container left mounted, then the directory.
        for line in reversed(Path("/proc/self/mounts").read_text().splitlines()):
            if f" {d}/" in line:
                subprocess.run(["umount", "-l", line.split()[1]], check=False)
        shutil.rmtree(d, ignore_errors=True)


def test_ctr_imports_and_runs_image(containerd):
    res = sh(containerd + ["image", "import", image_tar()])
    assert "docker.io/library/goscope:latest" in res.stdout, res.stdout
    res = sh(containerd + ["image", "ls", "-q"])
    assert res.stdout.split() == ["docker.io/library/goscope:latest"], res.stdout
    res = sh(containerd + ["run", "--rm", "docker.io/library/goscope:latest", "gsdeploy-version",
                           "/usr/bin/goscope", "--version"])
    assert res.stdout.startswith("goscope "), res.stdout


# ---- the DaemonSet ----

# Static executables, as FROM-scratch Go images hold (a PIE needs the dynamic loader).
TARGETS = [(23, "default"), (27, "stripped")]


def test_daemonset_settings_watch_other_containers(podman, tmp_path):
    """goscope from its image, with the manifest's settings, serves the metrics of Go programs in
    two other containers: probed (its capabilities suffice), by host PID, with container labels."""
    name = f"localhost/{podman.name('goscope')}:test"
    podman.load(retag(image_tar(), tmp_path / "image.tar", name), name)
    targets = {}
    for minor, mode in TARGETS:
        image = podman.import_binary(target_path(minor, mode), f"go1{minor}-{mode}")
        cname, cid = podman.run(f"go1{minor}-{mode}", image, ["--network", "none"])
        assert wait_for(lambda: "ready" in podman.logs(cname), 20), podman.logs(cname)
        pid = int(podman.inspect(cname, "{{.State.Pid}}"))
        assert re.fullmatch(r"[0-9a-f]{64}", cid), cid
        targets[pid] = (cname, cid)
    ds = daemonset()
    pod = ds["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    port = free_port()
    flags, args = podman_flags(pod, container, port)
    agent, _ = podman.run("agent", name, flags, args)

    ok = wait_for(lambda: set(targets) <= probed(metrics(port)), 60, step=0.5)
    logs = podman.logs(agent)
    state = podman.inspect(agent, "{{.State.Status}} {{.State.ExitCode}}")
    assert ok, f"the agent ({state}) did not serve probed series of {sorted(targets)}:\n{logs}"
    assert "failed to attach" not in logs and "sampling only" not in logs, logs
    text = metrics(port)
    for pid, (cname, cid) in targets.items():
        (g,) = samples_of(text, "go_goroutines", pid)
        assert g["comm"] == "churn", g
        # The container labels of issue 17's contract.
        assert g.get("container_id") == cid, f"go_goroutines of PID {pid} lacks container_id={cid}: {g}"
        assert g.get("container") == cname, f"go_goroutines of PID {pid} lacks container={cname}: {g}"
        assert "pod" not in g and "namespace" not in g, g
    # It stops as Kubernetes stops it: SIGTERM, exit 0 within the grace period.
    grace = pod["terminationGracePeriodSeconds"]
    t0 = time.monotonic()
    sh(PODMAN + ["stop", "-t", str(grace), agent], timeout=grace + 30)
    assert time.monotonic() - t0 < grace, "the agent needed SIGKILL"
    assert podman.inspect(agent, "{{.State.ExitCode}}") == "0", podman.logs(agent)


def test_image_serves_tls_with_a_mounted_web_config(podman, tmp_path):
    """The image's GnuTLS and libcrypt work: goscope from the image, with the DaemonSet's settings
    and a web config mounted read-only as a Kubernetes Secret would be (docs/kubernetes.md),
    serves its metrics over TLS to a client with the password, and 401 to one without."""
    from test_web_config import PASSWORD, PKI, bcrypt, https_get
    name = f"localhost/{podman.name('goscope')}:test"
    podman.load(retag(image_tar(), tmp_path / "image.tar", name), name)
    minor, mode = TARGETS[0]
    image = podman.import_binary(target_path(minor, mode), f"go1{minor}-{mode}")
    cname, _ = podman.run(f"go1{minor}-{mode}", image, ["--network", "none"])
    assert wait_for(lambda: "ready" in podman.logs(cname), 20), podman.logs(cname)
    pid = int(podman.inspect(cname, "{{.State.Pid}}"))
    pki = PKI(tmp_path)
    secret = tmp_path / "secret"
    secret.mkdir()
    for src, dst in ((pki.server[0], "tls.crt"), (pki.server[1], "tls.key")):
        shutil.copy(src, secret / dst)
    (secret / "web.yml").write_text("tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n"
                                    f"basic_auth_users:\n  prom: {bcrypt(PASSWORD)}\n")
    for f in secret.iterdir():
        f.chmod(0o644)   # a Secret volume's default mode
    ds = daemonset()
    pod = ds["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    port = free_port()
    flags, args = podman_flags(pod, container, port)
    agent, _ = podman.run("agent-tls", name, flags + ["-v", f"{secret}:/etc/goscope:ro"],
                          args + ["--web.config.file", "/etc/goscope/web.yml"])
    addr = f"127.0.0.1:{port}"

    def scrape():
        try:
            return https_get(addr, pki.ca, "prom", PASSWORD)
        except OSError:
            return 0, {}, ""
    assert wait_for(lambda: f'pid="{pid}"' in scrape()[2], 60, step=0.5), podman.logs(agent)
    assert "serving https://" in podman.logs(agent)
    status, _, body = https_get(addr, pki.ca, "prom", "wrong")
    assert status == 401 and "go_goroutines" not in body
    sh(PODMAN + ["stop", "-t", "10", agent], timeout=40)
    assert podman.inspect(agent, "{{.State.ExitCode}}") == "0", podman.logs(agent)


# ---- the systemd unit ----

@pytest.fixture
def machine_root():
    """A writable copy of this machine's root file system for a container: an overlay over "/"
    whose writes go to a directory of the test's own, with empty /tmp and /run (podman would copy
    the machine's into the container, and fails on the sockets other programs keep there).
    Unmounted and removed at the end."""
    d = Path(f"/tmp/gsdeploy-root-{uuid.uuid4().hex[:8]}")
    root = d / "root"
    for sub in ("upper", "work", "root"):
        (d / sub).mkdir(parents=True)
    mounts = []
    try:
        sh(["mount", "-t", "overlay", "overlay", "-o",
            f"lowerdir=/,upperdir={d}/upper,workdir={d}/work", root])
        mounts.append(root)
        for sub in ("tmp", "run"):
            sh(["mount", "-t", "tmpfs", "tmpfs", root / sub])
            mounts.append(root / sub)
        yield root
    finally:
        for m in reversed(mounts):
            sh(["umount", "-l", m], check=False)
        shutil.rmtree(d, ignore_errors=True)


def test_systemd_unit_runs_under_systemd(podman, machine_root):
    """deploy/systemd/goscope.service started by a real systemd: this machine's PID 1 is not
    systemd, so the machine's own systemd boots as PID 1 of a container whose root is an overlay
    of the machine's (machine_root), holding the capabilities the unit bounds goscope to. Only
    the port changes. The unit, with all its sandboxing, must start, attach its probes to a Go
    program systemd runs next to it, and stop with success on SIGTERM. The binaries go into the
    overlay where make install and a deployment put them: the checkout may be under /tmp, which
    the box has empty."""
    port = free_port()
    unit = UNIT.read_text()
    exec_start = "ExecStart=/usr/local/bin/goscope serve --all --listen 127.0.0.1:9464\n"
    assert exec_start in unit
    unit = unit.replace(exec_start, exec_start.replace(":9464", f":{port}"))
    shutil.copy2(GOSCOPE, machine_root / "usr/local/bin/goscope")
    workload = "/opt/goscope-test/churn"
    (machine_root / "opt/goscope-test").mkdir(parents=True)
    shutil.copy2(target_path(27, "default"), machine_root / workload.lstrip("/"))
    caps = re.search(r"^CapabilityBoundingSet=(.*)$", unit, re.M).group(1).split()
    flags = ["--network", "host", "--systemd=always",
             "--cap-add", ",".join(c.removeprefix("CAP_") for c in caps),
             "--rootfs", machine_root]  # --rootfs: the image argument is a directory
    (machine_root / "etc/systemd/system/goscope.service").write_text(unit)  # into the overlay
    box, _ = podman.run("systemd", None, flags, ["/lib/systemd/systemd", "--unit=basic.target"])

    def in_box(*cmd, check=True):
        return sh(PODMAN + ["exec", box] + list(cmd), check=check).stdout.strip()

    assert wait_for(lambda: in_box("systemctl", "is-system-running", check=False)
                    in ("running", "degraded"), 60, step=0.5), podman.logs(box)
    in_box("systemd-run", "--unit", "gotarget", workload)
    pid = int(in_box("systemctl", "show", "-P", "MainPID", "gotarget"))
    in_box("systemctl", "start", "goscope")
    ok = wait_for(lambda: pid in probed(metrics(port)), 30, step=0.5)
    journal = in_box("journalctl", "-u", "goscope", "--no-pager", check=False)
    assert ok, f"goscope.service serves no probed series of PID {pid}:\n{journal}"
    in_box("systemctl", "stop", "goscope")
    show = in_box("systemctl", "show", "-p", "Result", "-p", "ExecMainStatus", "goscope")
    assert sorted(show.splitlines()) == ["ExecMainStatus=0", "Result=success"], show
    assert "failed to attach" not in journal, journal
