"""Real containers for goscope's tests: Podman and containerd (ctr), images made from the matrix's
own Go binaries, never pulled from a registry.

Facts measured on this machine (2026-12-02; Debian 12, kernel 6.18, podman 4.3.1, runc 1.1.5,
containerd and ctr 1.6.20, cgroups hybrid: every v1 controller plus an empty v2 at
/sys/fs/cgroup/unified, no systemd as PID 1):

- Podman runs containers here only as
  `podman --runtime runc --cgroup-manager cgroupfs run --ulimit nofile=4096:4096
  --ulimit nproc=4096:4096 ...` (crun refuses the hybrid hierarchy; without CAP_SYS_RESOURCE the
  default rlimits cannot be set). `podman run -d` takes about 0.5 s.
- An image is `tar -C DIR -c server | podman import - NAME:TAG` (0.2 s); the binary is then only in
  the container's mount namespace (overlay under /var/lib/containers/storage/overlay/).
- cgroup of a Podman container, in every v1 hierarchy and in the v2 line `0::`:
    default:                                    /libpod_parent/libpod-<64 hex id>
    --cgroup-parent /kubepods/burstable/pod<uid>: /kubepods/burstable/pod<uid>/libpod-<64 hex id>
      (conmon goes to /kubepods/burstable/pod<uid>/conmon; podman leaves both directories behind)
    --cgroup-parent kubepods-burstable-pod<uid_>.slice, or any parent ending in .slice: refused,
      "systemd slice received as cgroup parent when using cgroupfs: invalid argument".
- Podman's OCI config of a container is
  /var/lib/containers/storage/overlay-containers/<id>/userdata/config.json (not under /run: there
  /run/containers/storage/overlay-containers/<id>/userdata/ holds only conmon.pid, pidfile, hosts,
  hostname, resolv.conf, oci-log). `--annotation k=v` lands in its "annotations", next to Podman's
  own: io.container.manager=libpod, io.kubernetes.cri-o.Created, io.kubernetes.cri-o.TTY,
  io.podman.annotations.* (so an io.kubernetes.cri-o.* key does not mean CRI-O). The name is in
  /var/lib/containers/storage/overlay-containers/containers.json: [{"id", "names": [NAME],
  "metadata": "{\\"name\\": NAME, \\"image-name\\": ...}", ...}]. runc's state is /run/runc/<id>/.
- --read-only works (root is an ro overlay; Podman mounts tmpfs on /tmp, /var/tmp, /run).
- User namespaces: --userns=auto fails ("no subuid ranges found for user \"containers\" in
  /etc/subuid"); `--uidmap 0:200000:65536 --gidmap 0:200000:65536` works (host UID 200000, NSpid
  "PID 1"), and goscope attaches as root on the host (uprobes and process_vm_readv work).
- GOMAXPROCS from the cgroup (Go 1.25+): the matrix targets say `go 1.19` in go.mod, so their
  GODEBUG defaults are Go 1.19's: containermaxprocs=0 and updatemaxprocs=0; the feature needs
  GODEBUG=containermaxprocs=1,updatemaxprocs=1. The runtime rounds a CPU quota up to at least 2
  (runtime/cgroup_linux.go), so on this 2-CPU VM `--cpus 1` (cpu.cfs_quota_us 100000 / period
  100000) still gives GOMAXPROCS 2: a quota cannot lower it here. The CPU count part of the same
  computation can: `--cpuset-cpus 0` gives GOMAXPROCS 1, and `podman update --cpuset-cpus 0-1`
  raises it to 2 within about a second (sysmon re-reads it once a second).
- containerd: none runs here by default; `containerd` with the default configuration (root
  /var/lib/containerd, state /run/containerd) starts in well under a second (the CRI plugin loads;
  devmapper warns). Images are per containerd namespace: `podman save --format docker-archive` of
  the imported image, then `ctr -n NS image import FILE` (0.3 s), under the name
  localhost/goscope-test/...
- `ctr -n NS run -d --runtime io.containerd.runc.v2 --cgroup PATH --annotation k=v ... IMAGE ID
  CMD` (ctr 1.6 has --annotation; --label does not reach config.json). The bundle is
  /run/containerd/io.containerd.runtime.v2.task/<NS>/<ID>/ (config.json with the annotations and
  linux.cgroupsPath, init.pid, rootfs/). --cgroup /kubepods/burstable/pod<uid>/<id> gives exactly
  that path in /proc/PID/cgroup (the kubelet's cgroupfs-driver shape); with runc's cgroupfs manager
  a systemd-shaped path is just a path, so --cgroup /kubepods.slice/kubepods-burstable.slice/
  kubepods-burstable-pod<uid_>.slice/cri-containerd-<id>.scope gives that shape too. Without
  --cgroup the path is /<NS>/<ID>. ctr's default spec lowers RLIMIT_NOFILE to 1024 (allowed).
  --log-uri file:///PATH sends stdout and stderr to PATH; the task's host PID is in `ctr task ls`.
  `ctr image rm` against a containerd that is gone waits 10 s: remove images before stopping it.
  In namespace k8s.io the CRI plugin gives every imported image a second reference,
  sha256:<image ID> (labelled io.cri-containerd.image=managed): removing the name leaves it.
  `ctr run --uidmap 0:200000:65536 --gidmap ...` works without --remap-labels (the root-owned
  image files show up as nobody inside, and a 0755 binary still runs).
- A new container's first process is runc's init (comm "runc:[2:INIT]", a Go 1.19 program) in the
  container's cgroup until it executes the workload: anything following new Go processes sees it.
- PID 1 here (process_api) refuses /proc/1/root even to root (EACCES): the runtimes' state is
  reachable directly, not through PID 1's root.
- `podman kube play` needs the catatonit binary for its pause image (not installed here) and has
  no --ulimit; these tests use `podman run` and `ctr run` with the annotations instead.

Everything here is named gstest-<session token>-... and only what this module started is stopped
or removed. A runtime that does not work fails the test; nothing is skipped.
"""
import hashlib
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from conftest import gctrace_lines, wait_for

PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]
PODMAN_RUN = ["--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"]
CTR = ["ctr"]
CONTAINERD_SOCK = Path("/run/containerd/containerd.sock")
CONTAINERD_STATE = Path("/run/containerd")
PODMAN_STORAGE = Path("/var/lib/containers/storage/overlay-containers")
CGROUP_ROOT = Path("/sys/fs/cgroup")
READY_TIMEOUT = 30     # seconds for a container's workload to say "ready"

def reap(proc, timeout=10):
    """Wait for the attached podman or ctr client to end once its container is stopped; kill it
    if it does not."""
    if proc.poll() is None:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# Unique per pytest process: every container, image tag and pod UID this run makes carries it.
TOKEN = secrets.token_hex(3)
PREFIX = f"gstest-{TOKEN}"
_counter = [0]


def unique(what="c"):
    _counter[0] += 1
    return f"{PREFIX}-{what}{_counter[0]}"


def run(cmd, timeout=60, check=True, **kw):
    res = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kw)
    if check and res.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} exited {res.returncode}:\n{res.stderr.strip()}",
                    pytrace=False)
    return res


def pod_uid():
    """A Kubernetes-style pod UID (a random UUID)."""
    return str(uuid.uuid4())


def random_id():
    """A 64-hex container ID, as CRI runtimes make them."""
    return secrets.token_hex(32)


def cri_annotations(pod, namespace, uid, container, sandbox_id=None, image="goscope-test/server"):
    """The annotations containerd's CRI plugin writes into a container's config.json."""
    return {
        "io.kubernetes.cri.container-type": "container",
        "io.kubernetes.cri.container-name": container,
        "io.kubernetes.cri.image-name": image,
        "io.kubernetes.cri.sandbox-id": sandbox_id or random_id(),
        "io.kubernetes.cri.sandbox-name": pod,
        "io.kubernetes.cri.sandbox-namespace": namespace,
        "io.kubernetes.cri.sandbox-uid": uid,
    }


def crio_annotations(pod, namespace, uid, container):
    """The Kubernetes annotations CRI-O writes into a container's config.json."""
    return {
        "io.kubernetes.pod.name": pod,
        "io.kubernetes.pod.namespace": namespace,
        "io.kubernetes.pod.uid": uid,
        "io.kubernetes.container.name": container,
    }


def kubepods_parent(uid, qos="burstable"):
    """The kubelet's cgroupfs-driver parent of a pod's containers."""
    return f"/kubepods/{qos}/pod{uid}"


def remove_cgroup_tree(rel):
    """rmdir rel (a path under each hierarchy's root) and everything below it, deepest first, in
    every cgroup hierarchy: runtimes remove a container's own cgroup, never the parents a test
    made up (and Podman puts conmon in PARENT/conmon)."""
    rel = rel.strip("/")
    for h in CGROUP_ROOT.iterdir():
        top = h / rel
        if not top.is_dir():
            continue
        for d in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            try:
                d.rmdir()
            except OSError:
                pass
        try:
            top.rmdir()
        except OSError:
            pass


class Container:
    """One container running a Go workload. pid is the host PID of its process, id the full
    64-hex container ID, name the runtime's name ('' for containerd, which has none)."""

    runtime = None

    def __init__(self, tmp_dir, name):
        self.name = name
        self.id = None
        self.pid = None
        self.stderr_file = Path(tmp_dir) / f"{name}.stderr"
        self._err = open(self.stderr_file, "wb")
        self.proc = None
        self.snapshots = 0

    def _wait_ready(self, what):
        """The workload's first stdout line is '<pid> ready' (pid as its own namespace sees it)."""
        ready, _, _ = select.select([self.proc.stdout], [], [], READY_TIMEOUT)
        line = self.proc.stdout.readline().decode() if ready else ""
        if "ready" not in line:
            self._err.flush()
            pytest.fail(f"{what} did not start: stdout {line!r}, stderr "
                        f"{self.stderr_file.read_text(errors='replace')[-2000:]!r}", pytrace=False)
        self.ready_line = line.strip()

    def runtime_lines(self):
        """The runtime's own gctrace lines (the workload's stderr) so far, by cycle number."""
        return gctrace_lines(self.stderr_file)

    def alive(self):
        return self.pid is not None and os.path.exists(f"/proc/{self.pid}") and \
            _state(self.pid) not in ("Z", "X")

    def snapshot(self, out_dir, sig=signal.SIGUSR1):
        """For the quiescent workload: signal it, wait for its 'snapshot N' line, read the file."""
        os.kill(self.pid, sig)
        self.snapshots += 1
        line = self.proc.stdout.readline().decode()
        assert line.strip().endswith(f"snapshot {self.snapshots}"), line
        return json.loads((Path(out_dir) / "oracle.json").read_text())

    def short_id(self):
        return self.id[:12]


def _state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


class PodmanContainer(Container):
    runtime = "podman"

    def __init__(self, tmp_dir, image, args=(), env=None, annotations=None, cgroup_parent=None,
                 read_only=False, uidmap=None, cpus=None, cpuset=None, volumes=(), extra=(),
                 name=None):
        super().__init__(tmp_dir, name or unique())
        self.cgroup_parent = cgroup_parent
        cmd = PODMAN + ["run", "--name", self.name] + PODMAN_RUN
        for k, v in (env or {}).items():
            cmd += ["-e", f"{k}={v}"]
        for k, v in (annotations or {}).items():
            cmd += ["--annotation", f"{k}={v}"]
        if cgroup_parent:
            cmd += ["--cgroup-parent", cgroup_parent]
        if read_only:
            cmd += ["--read-only"]
        if uidmap:
            cmd += ["--uidmap", uidmap, "--gidmap", uidmap]
        if cpus is not None:
            cmd += ["--cpus", str(cpus)]
        if cpuset is not None:
            cmd += ["--cpuset-cpus", cpuset]
        for host, inside in volumes:
            cmd += ["-v", f"{host}:{inside}"]
        cmd += list(extra) + [image, "/server"] + [str(a) for a in args]
        self.cmd = cmd
        # Attached: the workload's stdout and stderr come straight back through conmon.
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._err)

    def wait_started(self):
        self._wait_ready(f"podman container {self.name}")
        info = json.loads(run(PODMAN + ["inspect", self.name]).stdout)[0]
        self.id = info["Id"]
        self.pid = info["State"]["Pid"]
        self.inspect = info
        assert self.pid > 0, info["State"]

    def update(self, *args):
        run(PODMAN + ["update"] + list(args) + [self.name])

    def stop(self):
        # SIGTERM ends every workload quietly; rm -f -t 2 kills what did not end in time.
        run(PODMAN + ["rm", "-f", "-t", "2", self.name], check=False)
        reap(self.proc)
        self._err.close()


class Containerd:
    """A containerd to talk to: the one already running (left alone), or one this session starts
    with the default configuration (stopped at the end)."""

    def __init__(self, tmp_dir):
        self.started = None
        if not self._answers():
            log = open(Path(tmp_dir) / "containerd.log", "wb")
            self.started = subprocess.Popen(["containerd"], stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=log, start_new_session=True)
            self.log = Path(tmp_dir) / "containerd.log"
            if not wait_for(self._answers, 20, step=0.1):
                text = self.log.read_text(errors="replace")[-3000:]
                self.stop()
                pytest.fail(f"containerd did not start (socket {CONTAINERD_SOCK}):\n{text}",
                            pytrace=False)

    def _answers(self):
        if self.started is not None and self.started.poll() is not None:
            return False
        if not CONTAINERD_SOCK.exists():
            return False
        return subprocess.run(CTR + ["version"], capture_output=True, timeout=10).returncode == 0

    def stop(self):
        if self.started is not None and self.started.poll() is None:
            self.started.terminate()
            try:
                self.started.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.started.kill()
                self.started.wait()


class CtrContainer(Container):
    """A containerd container made by ctr in namespace ns, ID a 64-hex string (as CRI makes)."""

    runtime = "containerd"

    def __init__(self, tmp_dir, image, ns, args=(), env=None, annotations=None, cgroup=None,
                 read_only=False, mounts=(), uidmap=None, cid=None):
        cid = cid or random_id()
        super().__init__(tmp_dir, "")
        self.name = ""
        self.id = cid
        self.ns = ns
        self.stderr_file = Path(tmp_dir) / f"ctr-{cid[:12]}.stderr"
        self._err.close()
        self._err = open(self.stderr_file, "wb")
        cmd = CTR + ["-n", ns, "run", "--runtime", "io.containerd.runc.v2"]
        if cgroup is not None:
            cmd += ["--cgroup", cgroup]
        for k, v in (env or {}).items():
            cmd += ["--env", f"{k}={v}"]
        for k, v in (annotations or {}).items():
            cmd += ["--annotation", f"{k}={v}"]
        if read_only:
            cmd += ["--read-only"]
        if uidmap:
            cmd += ["--uidmap", uidmap, "--gidmap", uidmap]
        for host, inside in mounts:
            cmd += ["--mount", f"type=bind,src={host},dst={inside},options=rbind:rw"]
        cmd += [image, cid, "/server"] + [str(a) for a in args]
        self.cmd = cmd
        # Attached (no -d): ctr relays the task's stdout and stderr until it ends.
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._err)
        self.bundle = CONTAINERD_STATE / "io.containerd.runtime.v2.task" / ns / cid

    def wait_started(self):
        self._wait_ready(f"containerd container {self.id}")
        self.pid = self.task_pid()
        assert self.pid, f"ctr task ls shows no PID for {self.id}"

    def task_pid(self):
        out = run(CTR + ["-n", self.ns, "task", "ls"]).stdout
        for line in out.splitlines()[1:]:
            f = line.split()
            if f and f[0] == self.id:
                return int(f[1])
        return None

    def info(self):
        return json.loads(run(CTR + ["-n", self.ns, "container", "info", self.id]).stdout)

    def stop(self):
        if self.task_pid():
            run(CTR + ["-n", self.ns, "task", "kill", "-s", "SIGTERM", self.id], check=False)
            if not wait_for(lambda: self.proc.poll() is not None, 5, step=0.1):
                run(CTR + ["-n", self.ns, "task", "kill", "-s", "SIGKILL", self.id], check=False)
        reap(self.proc)
        run(CTR + ["-n", self.ns, "task", "rm", "-f", self.id], check=False)
        run(CTR + ["-n", self.ns, "container", "rm", self.id], check=False)
        self._err.close()


class Images:
    """Session cache of images made from Go binaries: one Podman image per binary (by content),
    exported once and imported once per containerd namespace for ctr. Removes only its own."""

    def __init__(self, tmp_dir):
        self.tmp = Path(tmp_dir)
        self.podman = {}        # sha -> image reference
        self.archives = {}      # sha -> docker-archive path
        self.ctr = {}           # (ns, sha) -> image reference

    @staticmethod
    def _digest(path):
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()

    def podman_image(self, binary):
        """goscope-test/<go release>-<mode>-<name>:<token>-<content hash>, with /server in it."""
        binary = Path(binary)
        sha = self._digest(binary)
        if sha not in self.podman:
            ctx = Path(tempfile.mkdtemp(dir=self.tmp))
            shutil.copy2(binary, ctx / "server")
            parts = [binary.parent.parent.name, binary.parent.name, binary.name]
            repo = "goscope-test/" + "-".join(p for p in parts if p).lower().replace("go1.", "go1")
            ref = f"{repo}:{TOKEN}-{sha[:12]}"
            tar = subprocess.Popen(["tar", "-C", ctx, "-c", "server"], stdout=subprocess.PIPE)
            res = subprocess.run(["podman", "import", "-", ref], stdin=tar.stdout,
                                 capture_output=True, text=True, timeout=120)
            tar.stdout.close()
            tar.wait()
            shutil.rmtree(ctx)
            assert res.returncode == 0, f"podman import {ref}: {res.stderr}"
            self.podman[sha] = f"localhost/{ref}"
        return self.podman[sha]

    def ctr_image(self, binary, ns):
        sha = self._digest(binary)
        ref = self.podman_image(binary)
        if sha not in self.archives:
            archive = self.tmp / f"image-{sha[:12]}.tar"
            run(["podman", "save", "--format", "docker-archive", "-o", archive, ref], timeout=120)
            self.archives[sha] = archive
        if (ns, sha) not in self.ctr:
            run(CTR + ["-n", ns, "image", "import", self.archives[sha]], timeout=120)
            # In k8s.io the CRI plugin adds a second reference, sha256:<image ID>.
            image_id = run(["podman", "image", "inspect", "--format", "{{.Id}}", ref]).stdout
            self.ctr[(ns, sha)] = [ref, f"sha256:{image_id.strip()}"]
        return ref

    def cleanup_ctr(self):
        """Remove the images imported into containerd (before a containerd we started stops),
        by every reference they got."""
        for (ns, _), refs in self.ctr.items():
            found = set(run(CTR + ["-n", ns, "image", "ls", "-q"], check=False).stdout.split())
            mine = [r for r in refs if r in found]
            if mine:
                run(CTR + ["-n", ns, "image", "rm"] + mine, check=False)
        self.ctr.clear()

    def cleanup(self):
        """Remove every image this session imported (once; later calls find nothing to do)."""
        self.cleanup_ctr()
        for ref in self.podman.values():
            run(["podman", "rmi", ref], check=False)
        self.podman.clear()
        self.archives.clear()


# The session's shared objects. Test modules import the fixtures below, and pytest makes one
# fixture instance per importing module: the objects themselves are made once per process.
_shared = {}


def _once(key, make):
    if key not in _shared:
        _shared[key] = make()
    return _shared[key]


@pytest.fixture(scope="session")
def _session_dir():
    d = _once("dir", lambda: Path(tempfile.mkdtemp(prefix=f"{PREFIX}-")))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def images(_session_dir):
    imgs = _once("images", lambda: Images(_session_dir))
    yield imgs
    imgs.cleanup()


@pytest.fixture(scope="session")
def containerd(_session_dir, images):
    d = _once("containerd", lambda: Containerd(_session_dir))
    yield d
    images.cleanup_ctr()
    d.stop()


def _stop_all(made, cgroups):
    for c in reversed(made):
        c.stop()
    for rel in cgroups:
        remove_cgroup_tree(rel)


def _podman_factory(images, tmp_dir):
    made, cgroups = [], []

    def start(binary, **kw):
        c = PodmanContainer(tmp_dir, images.podman_image(binary), **kw)
        made.append(c)      # removed even if it does not start
        if c.cgroup_parent:
            cgroups.append(c.cgroup_parent)
        c.wait_started()
        return c

    yield start
    _stop_all(made, cgroups)


def _ctr_factory(images, tmp_dir):
    made, cgroups = [], []

    def start(binary, ns="k8s.io", cgroup=None, **kw):
        c = CtrContainer(tmp_dir, images.ctr_image(binary, ns), ns, cgroup=cgroup, **kw)
        made.append(c)      # removed even if it does not start
        if cgroup and cgroup.startswith("/kubepods"):
            cgroups.append(cgroup.rsplit("/", 1)[0])
        c.wait_started()
        return c

    yield start
    _stop_all(made, cgroups)


@pytest.fixture
def podman(images, tmp_path):
    """Factory: podman(binary, **options) starts a Podman container running that binary as /server
    (attached; stderr to a file) and returns a PodmanContainer; all are removed at the end, and
    any kubepods-shaped cgroup parent they used."""
    yield from _podman_factory(images, tmp_path)


@pytest.fixture
def ctr(images, containerd, tmp_path):
    """Factory: ctr(binary, ns=..., **options) starts a containerd container (ctr run, runc v2)
    and returns a CtrContainer; all are removed at the end, with the cgroup parents they used."""
    yield from _ctr_factory(images, tmp_path)


@pytest.fixture(scope="module")
def podman_module(images, tmp_path_factory):
    """podman, for containers that every test of a module shares."""
    yield from _podman_factory(images, tmp_path_factory.mktemp("podman"))


@pytest.fixture(scope="module")
def ctr_module(images, containerd, tmp_path_factory):
    """ctr, for containers that every test of a module shares."""
    yield from _ctr_factory(images, tmp_path_factory.mktemp("ctr"))


def oracle_dir(tmp_path, name="oracle"):
    """A directory the quiescent workload writes its snapshot into, from inside a container
    (mounted at /out; writable by any UID, for user namespaces)."""
    d = Path(tmp_path) / name
    d.mkdir(exist_ok=True)
    d.chmod(0o777)
    return d


QUIESCENT_ARGS = ["-out", "/out/oracle.json", "-alloc", "32", "-gc", "3",
                  "-chan", "10", "-sleep", "5", "-syscall", "3", "-spin", "2", "-mutex", "4"]
