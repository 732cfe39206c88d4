"""The Debian package from `make deb` ($BUILD/deb/goscope_VERSION_amd64.deb), checked and installed.

- lintian reports no error, and no warning but the ones listed in LINTIAN_KEPT with their reason.
- Its version is scripts/deb-version.sh's for this checkout (a stale .deb fails), its binary says
  the checkout's version; Depends names the package of every shared library the binary needs, and
  nothing else; it ships exactly its files and conffiles, the unit and /etc/default/goscope as
  they are in debian/; `make deb` left no build artefact in the checkout.
- On a Debian machine booted with systemd: `apt-get install ./goscope_….deb` installs the package
  and nothing that is not one of its dependencies; `goscope --version` runs from /usr/bin; the
  unit passes `systemd-analyze verify`; the service is installed disabled and not started;
  enabled, it serves the metrics of a Go program with the options of /etc/default/goscope;
  `logrotate` with the package's configuration rotates the file of a `goscope record -o` in
  /var/log/goscope, which goes on in the new file, and leaves the service (which SIGHUP would
  stop) running; `apt-get purge`, the service running, stops it and leaves nothing: no file of
  `dpkg -L`, no conffile, no systemd symlink or state, and /var/log/goscope only if it holds
  records (what an administrator recorded is kept; without them the directory goes too).

Where it is installed: this machine's root file system as an overlay whose writes go to a
directory of the test's own (test_deploy.machine_root), booted by the machine's own systemd in a
container (this machine's PID 1 is not systemd, and the decision the package makes, installed but
not started, only shows under systemd). So the machine's own dpkg database, files and services
are never written: a goscope package someone installed on this machine (a deployed agent) is
neither replaced nor removed. In the overlay it is purged first (with the records it kept), so
that the test installs on a machine without goscope, as a first installation does.
"""
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, REPO, free_port, target_path, wait_for
from test_deploy import PODMAN, machine_root, metrics, podman, probed, sh  # noqa: F401 (fixtures)

DEB_DIR = BUILD / "deb"
DEBIAN = REPO / "debian"
UNIT_PATH = "lib/systemd/system/goscope.service"

# lintian warnings kept, each with its reason: none. (Its only remark is the info tag
# package-supports-alternative-init-but-no-init.d-script: no sysvinit script, since the service's
# confinement is systemd's.)
LINTIAN_KEPT = {}

# Every file of the package (directories aside), and which of them are conffiles.
FILES = {"etc/default/goscope", "etc/logrotate.d/goscope", UNIT_PATH, "usr/bin/goscope",
         "usr/share/doc/goscope/changelog.gz", "usr/share/doc/goscope/copyright",
         "usr/share/man/man1/goscope.1.gz"}
CONFFILES = {"/etc/default/goscope", "/etc/logrotate.d/goscope"}


def checkout_version():
    """(goscope's VERSION, the package's version) for this checkout, as make deb derives them."""
    version = sh(["git", "-C", REPO, "describe", "--always", "--dirty"]).stdout.strip()
    return version, sh([REPO / "scripts/deb-version.sh"], cwd=REPO).stdout.strip()


def deb():
    """The package make deb built for this checkout."""
    found = sorted(DEB_DIR.glob("goscope_*_amd64.deb"))
    assert found, f"no {DEB_DIR}/goscope_*_amd64.deb: run make O={BUILD} deb"
    assert len(found) == 1, f"more than one package in {DEB_DIR}: {found}"
    want = f"goscope_{checkout_version()[1]}_amd64.deb"
    assert found[0].name == want, f"{found[0].name} is not this checkout's {want}: run make deb"
    return found[0]


def control(path):
    """{field: value} of a package's control file."""
    out = {}
    for m in re.finditer(r"^(\S+): (.*(?:\n .*)*)", sh(["dpkg-deb", "-f", path]).stdout, re.M):
        out[m.group(1)] = m.group(2)
    return out


def package_names(relation):
    """The package names of a Depends-style field, versions and alternatives aside."""
    return {alt.split()[0].split(":")[0] for part in relation.split(",") if part.strip()
            for alt in part.split("|")}


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory):
    root = tmp_path_factory.mktemp("deb") / "root"
    sh(["dpkg-deb", "-x", deb(), root])
    return root


# ---- the package file ----

def test_lintian_no_errors():
    res = sh(["lintian", "--tag-display-limit", "0", deb()], check=False, timeout=300)
    tags = [line for line in res.stdout.splitlines() if re.match(r"^[EW]: ", line)]
    errors = [t for t in tags if t.startswith("E: ")]
    assert not errors, "\n".join(errors)
    warnings = {t.split()[2] for t in tags if t.startswith("W: ")}
    assert warnings == set(LINTIAN_KEPT), \
        f"lintian warnings {sorted(warnings)}; kept (with a reason): {sorted(LINTIAN_KEPT)}\n{res.stdout}"
    assert res.returncode == 0, res.stdout + res.stderr


def test_version_and_binary(unpacked):
    version, deb_version = checkout_version()
    c = control(deb())
    assert c["Package"] == "goscope" and c["Architecture"] == "amd64"
    assert c["Version"] == deb_version
    res = sh([unpacked / "usr/bin/goscope", "--version"])
    assert res.stdout == f"goscope {version}\n", "the packaged binary is not this checkout's"
    # The snapshot's changelog entry names the commit, and comes first.
    log = sh(["zcat", unpacked / "usr/share/doc/goscope/changelog.gz"]).stdout
    assert log.startswith(f"goscope ({deb_version}) unstable; urgency=medium\n"), log[:200]
    assert version.removesuffix("-dirty") in log.split("\n\n")[1]


def needed_packages(binary):
    """The packages holding the shared libraries binary names (NEEDED), as ld.so finds them."""
    dyn = sh(["readelf", "--dynamic", binary]).stdout
    sonames = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+)\]", dyn)
    assert sonames, dyn
    cache = sh(["ldconfig", "-p"]).stdout
    pkgs = set()
    for so in sonames:
        m = re.search(rf"^\s+{re.escape(so)} \(libc6,x86-64[^)]*\) => (\S+)$", cache, re.M)
        assert m, f"{so} is not in the dynamic linker's cache"
        owner = sh(["dpkg", "-S", m.group(1)], check=False).stdout
        if not owner:  # /lib is /usr/lib (merged /usr): dpkg knows one of the two names
            path = m.group(1)
            other = path[4:] if path.startswith("/usr/") else "/usr" + path
            owner = sh(["dpkg", "-S", other]).stdout
        pkgs |= {p.split(":")[0] for p in owner.split(": ", 1)[0].split(", ")}
    return pkgs


def test_depends_are_the_libraries_it_links(unpacked):
    """dpkg-shlibdeps' Depends, checked from the other side: each package named there holds a
    library the binary needs (NEEDED), and each such library's package is named. Nothing else is
    declared that apt would install (Recommends) or that could stop an installation."""
    c = control(deb())
    declared = package_names(c["Depends"])
    assert declared == needed_packages(unpacked / "usr/bin/goscope"), c["Depends"]
    for field in ("Pre-Depends", "Recommends", "Conflicts", "Breaks", "Replaces", "Provides"):
        assert field not in c, f"{field}: {c[field]}"


def test_contents(unpacked):
    files = {str(p.relative_to(unpacked)) for p in unpacked.rglob("*") if not p.is_dir()}
    assert files == FILES
    assert (unpacked / "var/log/goscope").is_dir()
    conffiles = set(sh(["dpkg-deb", "-I", deb(), "conffiles"]).stdout.split())
    assert conffiles == CONFFILES
    assert (unpacked / UNIT_PATH).read_text() == (DEBIAN / "goscope.service").read_text()
    assert (unpacked / "etc/default/goscope").read_text() == \
        (DEBIAN / "goscope.default").read_text()
    assert (unpacked / "etc/logrotate.d/goscope").read_text() == \
        (DEBIAN / "goscope.logrotate").read_text()
    man = sh(["zcat", unpacked / "usr/share/man/man1/goscope.1.gz"]).stdout
    assert man == (REPO / "docs/goscope.1").read_text()
    # Stripped (the symbols are in goscope-dbgsym); built with the hardening flags.
    elf = sh(["readelf", "--section-headers", "--dynamic", unpacked / "usr/bin/goscope"]).stdout
    assert ".symtab" not in elf and ".debug_info" not in elf
    assert re.search(r"\(FLAGS_1\)\s+Flags: NOW PIE", elf), "not built with the hardening flags"


def test_checkout_left_clean():
    """make deb builds in a copy under $BUILD/deb: nothing of dpkg-buildpackage in the checkout."""
    left = [p for p in ("debian/files", "debian/goscope", "debian/.debhelper", "debian/build",
                        "debian/debhelper-build-stamp", "debian/goscope.substvars")
            if (REPO / p).exists()]
    assert not left, f"build artefacts in the checkout: {left}"


# ---- installed on a machine with systemd ----

# The capabilities goscope's unit keeps; apt, dpkg and systemd in the box need podman's defaults.
CAPS = re.search(r"^CapabilityBoundingSet=(.*)$", (DEBIAN / "goscope.service").read_text(),
                 re.M).group(1).split()


class Box:
    """This machine, booted by its own systemd in a container, over an overlay of its root."""

    def __init__(self, podman, root):
        self.root = root
        # A policy-rc.d that forbids starting services (this machine has Docker's; install-deps.sh
        # puts one while it installs) would hide what the package's scripts do on an ordinary
        # Debian machine.
        (root / "usr/sbin/policy-rc.d").unlink(missing_ok=True)
        (root / "opt/goscope-test").mkdir(parents=True, exist_ok=True)
        self.deb = "/opt/goscope-test/" + deb().name
        shutil.copy2(deb(), root / self.deb.lstrip("/"))
        flags = ["--network", "host", "--systemd=always",
                 "--cap-add", ",".join(c.removeprefix("CAP_") for c in CAPS),
                 "--rootfs", root]
        self.name, _ = podman.run("deb", None, flags, ["/lib/systemd/systemd", "--unit=basic.target"])
        self.podman = podman
        ok = wait_for(lambda: self.sh("systemctl", "is-system-running", check=False).stdout.strip()
                      in ("running", "degraded"), 60, step=0.5)
        assert ok, podman.logs(self.name)
        # A goscope package of this machine's is purged from the overlay only (see the docstring),
        # and so are the records it may have kept in /var/log/goscope.
        if self.installed():
            self.sh("apt-get", "purge", "-y", "goscope")
        self.sh("rm", "-rf", "/var/log/goscope")

    def sh(self, *cmd, check=True, timeout=180):
        return sh(PODMAN + ["exec", "-e", "DEBIAN_FRONTEND=noninteractive", self.name] + list(cmd),
                  check=check, timeout=timeout)

    def out(self, *cmd, check=True):
        return self.sh(*cmd, check=check).stdout.strip()

    def exists(self, path):
        return self.sh("test", "-e", path, check=False).returncode == 0

    def installed(self):
        return self.out("dpkg-query", "-W", "-f", "${Status}", "goscope", check=False).endswith(
            " installed")

    def install(self):
        """apt-get install ./goscope_….deb, after checking with -s what it would install."""
        plan = self.out("apt-get", "install", "-s", self.deb)
        inst = set(re.findall(r"^Inst (\S+)", plan, re.M))
        assert "goscope" in inst, plan
        extra = inst - {"goscope"}
        if extra:  # only what the package's dependencies need
            deps = package_names(control(deb())["Depends"])
            closure = self.out("apt-cache", "depends", "--recurse", "--important", *deps)
            allowed = {line.split(":")[0] for line in closure.splitlines() if not line[:1].isspace()}
            assert extra <= allowed, f"apt would also install {sorted(extra - allowed)}:\n{plan}"
        self.sh("apt-get", "install", "-y", self.deb)
        assert self.installed()

    def goscope_pids(self):
        """PIDs in the box whose command is goscope."""
        out = self.out("sh", "-c", "grep -lx goscope /proc/[0-9]*/comm || true")
        return {int(p.split("/")[2]) for p in out.split()}

    def purge_leaves_nothing(self, user_files=()):
        """apt-get purge; then nothing of the package is left, but the user's files (names in
        /var/log/goscope), which must be left as they were."""
        listed = self.out("dpkg", "-L", "goscope").splitlines()
        kept = {f: self.out("sha256sum", f"/var/log/goscope/{f}") for f in user_files}
        self.sh("apt-get", "purge", "-y", "goscope")
        status = self.out("dpkg-query", "-W", "-f", "${Status}", "goscope", check=False)
        assert status in ("", "unknown ok not-installed"), status
        left = []
        for path in listed:
            if path in ("/.", "") or not self.exists(path):
                continue
            if path == "/var/log/goscope" and user_files:
                continue
            # A directory that other packages also own (/usr/bin) stays.
            if self.sh("test", "-d", path, check=False).returncode == 0 and \
                    self.sh("dpkg-query", "-S", path, check=False).returncode == 0:
                continue
            left.append(path)
        assert not left, f"left after purge: {left}"
        for path in CONFFILES:
            assert not self.exists(path), path
        if user_files:
            names = set(self.out("ls", "-A", "/var/log/goscope").split())
            assert names == set(user_files), f"/var/log/goscope holds {sorted(names)}"
            for f, digest in kept.items():
                assert self.out("sha256sum", f"/var/log/goscope/{f}") == digest, f"{f} changed"
        else:
            assert not self.exists("/var/log/goscope")
        # No unit, no enablement symlink, no state of deb-systemd-helper's.
        found = self.out("find", "/etc/systemd", "/lib/systemd/system", "/var/lib/systemd",
                         "-name", "*goscope*")
        assert not found, f"systemd files left: {found}"
        assert self.out("systemctl", "is-enabled", "goscope", check=False) in ("", "not-found")
        assert not self.goscope_pids(), "a goscope still runs"


@pytest.fixture
def box(podman, machine_root):
    return Box(podman, machine_root)


def test_install_and_purge(box):
    """A first installation: the package alone, disabled and not started; purge removes all."""
    box.install()
    assert box.out("goscope", "--version") == f"goscope {checkout_version()[0]}"
    assert box.out("sh", "-c", "command -v goscope") == "/usr/bin/goscope"
    res = box.sh("systemd-analyze", "verify", "/" + UNIT_PATH, check=False)
    assert res.returncode == 0 and not res.stderr.strip(), res.stderr
    assert box.out("systemctl", "is-enabled", "goscope", check=False) == "disabled"
    assert box.out("systemctl", "is-active", "goscope", check=False) == "inactive"
    assert not box.goscope_pids()
    assert box.out("man", "-w", "goscope") == "/usr/share/man/man1/goscope.1.gz"
    box.purge_leaves_nothing()


def gc_nums(text):
    return [int(n) for n in re.findall(r'"kind":"gc".*?"num":(\d+)', text)]


def test_service_logrotate_and_purge(box):
    """Enabled with its options from /etc/default/goscope, the service serves a Go program's
    metrics; logrotate rotates a goscope record's file and only that goscope reopens; purge
    stops the service and keeps the records."""
    box.install()
    port = free_port()
    default = box.root / "etc/default/goscope"
    text = default.read_text()
    assert 'ARGS="--all --listen 127.0.0.1:9464"\n' in text
    default.write_text(text.replace("127.0.0.1:9464", f"127.0.0.1:{port}"))
    workload = "/opt/goscope-test/churn"
    shutil.copy2(target_path(27, "default"), box.root / workload.lstrip("/"))
    box.sh("systemd-run", "--unit", "gotarget", workload)
    pid = int(box.out("systemctl", "show", "-P", "MainPID", "gotarget"))
    box.sh("systemctl", "enable", "--now", "goscope")
    assert box.exists("/etc/systemd/system/multi-user.target.wants/goscope.service")
    ok = wait_for(lambda: pid in probed(metrics(port)), 30, step=0.5)
    journal = box.out("journalctl", "-u", "goscope", "--no-pager", check=False)
    assert ok, f"goscope.service serves no probed series of PID {pid} on :{port}:\n{journal}"
    service_pid = int(box.out("systemctl", "show", "-P", "MainPID", "goscope"))

    # goscope record into /var/log/goscope, rotated by the package's configuration.
    log = "/var/log/goscope/test.jsonl"
    host_log = box.root / log.lstrip("/")
    box.sh("systemd-run", "--unit", "gsrecord", "/usr/bin/goscope", "record", "-o", log, str(pid))
    assert wait_for(lambda: host_log.exists() and len(gc_nums(host_log.read_text())) >= 5, 30), \
        box.out("journalctl", "-u", "gsrecord", "--no-pager", check=False)
    box.sh("logrotate", "-f", "-s", "/root/goscope-test-logrotate.state", "/etc/logrotate.d/goscope")
    rotated = host_log.with_name("test.jsonl.1")
    assert rotated.exists(), "logrotate did not rotate"
    assert wait_for(lambda: host_log.exists() and len(gc_nums(host_log.read_text())) >= 5, 30), \
        box.out("journalctl", "-u", "gsrecord", "--no-pager", check=False)
    box.sh("systemctl", "stop", "gsrecord")
    before, after = gc_nums(rotated.read_text()), gc_nums(host_log.read_text())
    nums = before + after
    assert nums == list(range(nums[0], nums[0] + len(nums))), "a cycle is missing or repeated"
    # The service got no SIGHUP (it would have stopped): the same process still serves.
    assert box.out("systemctl", "is-active", "goscope") == "active"
    assert int(box.out("systemctl", "show", "-P", "MainPID", "goscope")) == service_pid
    assert pid in probed(metrics(port))

    box.purge_leaves_nothing(user_files=("test.jsonl", "test.jsonl.1"))
    assert not metrics(port), "the service still serves after purge"
