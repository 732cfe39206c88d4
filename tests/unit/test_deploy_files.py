"""The deployment files, checked without running them (tests/integration/test_deploy.py runs them).

- deploy/systemd/goscope.service passes `systemd-analyze verify` (with ExecStart pointing at the
  built binary and the man page on MANPATH, as `make install` would put them);
- deploy/kubernetes/*.yaml parse, and the DaemonSet keeps the promises of its comments: host PID
  namespace, every capability dropped but the ones goscope needs, read-only root, no privilege
  escalation, no host path, the metrics port the annotations, the Service and the ServiceMonitor
  name; the unit and the DaemonSet grant the same capabilities.
- debian/: the package's unit is deploy/systemd's but for where the binary is and where its
  options come from, and verifies too; /etc/default/goscope gives the unit's default options and
  documents them with options `goscope serve` has; the logrotate configuration parses, reopens by
  SIGHUP and creates files as goscope does; Build-Depends are what scripts/install-deps.sh
  installs for the build; scripts/deb-version.sh turns each kind of `git describe` into a Debian
  version that sorts as the releases do.
"""
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import GOSCOPE, REPO

UNIT = REPO / "deploy/systemd/goscope.service"
K8S = REPO / "deploy/kubernetes"
DEBIAN = REPO / "debian"
DEB_UNIT = DEBIAN / "goscope.service"

# What goscope needs (deploy/kubernetes/goscope-daemonset.yaml says why for each): BPF and PERFMON
# for the programs and uprobes, SYS_ADMIN for uprobe perf events on Linux 6.16+, SYS_PTRACE and
# DAC_READ_SEARCH for other processes' memory, executables and /proc files.
CAPS = {"BPF", "PERFMON", "SYS_ADMIN", "SYS_PTRACE", "DAC_READ_SEARCH"}


def docs(name):
    return [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]


def one(documents, kind):
    (d,) = [d for d in documents if d["kind"] == kind]
    return d


def verify_unit(unit, binary, tmp_path):
    """systemd-analyze verify of unit (a file) with its ExecStart's binary replaced by the built
    one, and the man page on MANPATH, as an installation would put them."""
    text = unit.read_text()
    assert f"ExecStart={binary} " in text
    (tmp_path / "goscope.service").write_text(
        text.replace(f"ExecStart={binary} ", f"ExecStart={GOSCOPE} "))
    man = tmp_path / "man" / "man1"
    man.mkdir(parents=True)
    shutil.copy(REPO / "docs/goscope.1", man)
    res = subprocess.run(["systemd-analyze", "verify", tmp_path / "goscope.service"],
                         capture_output=True, text=True, env={"MANPATH": str(tmp_path / "man"),
                                                              "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0 and not res.stderr.strip(), res.stderr


def test_systemd_unit_verifies(tmp_path):
    verify_unit(UNIT, "/usr/local/bin/goscope", tmp_path)  # make install's PREFIX


def unit_directives(path=UNIT):
    """[(section, key, value)] of a unit file, in order."""
    out, section = [], None
    for line in path.read_text().splitlines():
        if line.startswith("["):
            section = line.strip()
        elif "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            out.append((section, k, v))
    return out


def unit_service(path=UNIT):
    return {k: v for section, k, v in unit_directives(path) if section == "[Service]"}


def test_systemd_unit_hardening():
    s = unit_service()
    assert {c.removeprefix("CAP_") for c in s["CapabilityBoundingSet"].split()} == CAPS
    for key, want in [("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                      ("ProtectHome", "yes"), ("PrivateTmp", "yes"), ("MemoryDenyWriteExecute", "yes"),
                      ("ProtectKernelTunables", "yes"), ("SystemCallArchitectures", "native"),
                      ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX")]:
        assert s.get(key) == want, f"{key}={s.get(key)}, want {want}"
    # goscope reads every process's /proc directory.
    assert "ProtectProc" not in s and "ProcSubset" not in s
    assert "User" not in s and "DynamicUser" not in s


def test_daemonset_least_privilege():
    ds = one(docs("goscope-daemonset.yaml"), "DaemonSet")
    pod = ds["spec"]["template"]["spec"]
    assert pod["hostPID"] is True
    assert not pod.get("hostNetwork") and not pod.get("hostIPC")
    assert "volumes" not in pod, "no host path: the runtimes' state is read through /proc/1/root"
    assert pod["automountServiceAccountToken"] is False
    (c,) = pod["containers"]
    assert "volumeMounts" not in c
    sc = c["securityContext"]
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert set(sc["capabilities"]["add"]) == CAPS
    # The API refuses allowPrivilegeEscalation: false with the spelling CAP_SYS_ADMIN.
    assert not any(x.startswith("CAP_") for x in sc["capabilities"]["add"])
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["runAsUser"] == 0 and sc.get("privileged") is False
    assert c["imagePullPolicy"] in ("Never", "IfNotPresent")
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(c["resources"][kind]), kind


def test_metrics_port_agrees_everywhere():
    ds = one(docs("goscope-daemonset.yaml"), "DaemonSet")
    tmpl = ds["spec"]["template"]
    (c,) = tmpl["spec"]["containers"]
    (port,) = c["ports"]
    assert port["name"] == "metrics"
    listen = c["args"][c["args"].index("--listen") + 1]
    assert listen == f"0.0.0.0:{port['containerPort']}"
    ann = tmpl["metadata"]["annotations"]
    assert ann["prometheus.io/scrape"] == "true"
    assert ann["prometheus.io/port"] == str(port["containerPort"])
    assert ann["prometheus.io/path"] == "/metrics"
    assert ds["spec"]["selector"]["matchLabels"].items() <= tmpl["metadata"]["labels"].items()
    sm_docs = docs("servicemonitor.yaml")
    svc, sm = one(sm_docs, "Service"), one(sm_docs, "ServiceMonitor")
    assert svc["spec"]["clusterIP"] == "None"
    assert svc["spec"]["selector"].items() <= tmpl["metadata"]["labels"].items()
    assert svc["metadata"]["namespace"] == sm["metadata"]["namespace"] == ds["metadata"]["namespace"]
    (svc_port,) = svc["spec"]["ports"]
    assert svc_port["port"] == port["containerPort"] and svc_port["targetPort"] == "metrics"
    assert sm["apiVersion"] == "monitoring.coreos.com/v1"
    assert sm["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()
    (ep,) = sm["spec"]["endpoints"]
    assert ep["port"] == svc_port["name"] and ep["path"] == "/metrics"
    # goscope's own container, pod and namespace labels must not be renamed exported_*.
    drops = [r for r in ep["relabelings"] if r.get("action") == "labeldrop"]
    assert drops and set(drops[0]["regex"].split("|")) == {"container", "pod", "namespace"}


# ---- the Debian package ----

def shell_var(path, name):
    """The value a shell gives variable name after sourcing path (as systemd reads it here)."""
    res = subprocess.run(["sh", "-c", f'. "$1"; printf %s "${name}"', "sh", path],
                         capture_output=True, text=True, check=True)
    return res.stdout


def test_deb_unit_is_deploy_unit():
    """Every directive of deploy/systemd/goscope.service, in order, but ExecStart: the package's
    runs /usr/bin/goscope serve with the options of /etc/default/goscope, whose default is the
    deploy unit's."""
    deploy, deb = unit_directives(UNIT), unit_directives(DEB_UNIT)
    exec_start = [v for _, k, v in deploy if k == "ExecStart"]
    assert exec_start == ["/usr/local/bin/goscope serve --all --listen 127.0.0.1:9464"]
    args = exec_start[0].split(" ", 2)[2]
    i = deploy.index(("[Service]", "ExecStart", exec_start[0]))
    want = deploy[:i] + [("[Service]", "Environment", f'"ARGS={args}"'),
                         ("[Service]", "EnvironmentFile", "-/etc/default/goscope"),
                         ("[Service]", "ExecStart", "/usr/bin/goscope serve $ARGS")] + deploy[i + 1:]
    assert deb == want
    assert shell_var(DEBIAN / "goscope.default", "ARGS") == args


def test_deb_unit_verifies(tmp_path):
    verify_unit(DEB_UNIT, "/usr/bin/goscope", tmp_path)


def test_default_file_documents_real_options():
    """/etc/default/goscope: each option it passes is explained there, and each option it
    mentions is one `goscope serve` has."""
    text = (DEBIAN / "goscope.default").read_text()
    comments = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    args = shell_var(DEBIAN / "goscope.default", "ARGS").split()
    for opt in (a for a in args if a.startswith("--")):
        assert re.search(rf"^# {re.escape(opt)}\b", comments, re.M), f"{opt} is not explained"
    help_text = subprocess.run([GOSCOPE, "serve", "--help"], capture_output=True,
                               text=True).stdout
    goscope_lines = "\n".join(line for line in comments.splitlines() if "systemctl" not in line)
    mentioned = set(re.findall(r"(?<![\w-])(--[a-z][a-z.-]*|-[a-z])\b", goscope_lines))
    known = set(re.findall(r"(?<![\w-])(--[a-z][a-z.-]*|-[a-z])\b", help_text))
    assert mentioned and mentioned <= known, f"not options of goscope serve: {mentioned - known}"
    assert "systemctl enable --now goscope" in text


def test_logrotate_config(tmp_path):
    """It parses; it rotates by SIGHUP with nocreate, so that goscope creates the new file (with
    its own mode, 0640 in cmd_record.c) after its last line in the old one, as a log collector
    following the file needs (docs/log-collector.md); it keeps the rotated file uncompressed
    until the next rotation (goscope writes to it until it has handled the signal); the script is
    valid sh."""
    conf = DEBIAN / "goscope.logrotate"
    text = conf.read_text()
    lines = [line.strip() for line in text.splitlines()]
    assert "/var/log/goscope/*.jsonl {" in lines
    assert re.search(r"O_CREAT[^;]*, 0640\);", (REPO / "user/cmd_record.c").read_text())
    assert "nocreate" in lines and not any(line.startswith("create") for line in lines)
    assert "delaycompress" in lines and "copytruncate" not in lines
    script = re.search(r"postrotate\n(.*?)\n\s*endscript", text, re.S).group(1)
    assert "kill -HUP" in script
    subprocess.run(["sh", "-n", "-c", script], check=True)
    copy = tmp_path / "goscope"  # logrotate wants its configuration writable by its owner only
    copy.write_text(text)
    copy.chmod(0o644)
    res = subprocess.run(["/usr/sbin/logrotate", "-d", "-s", tmp_path / "state", copy],
                         capture_output=True, text=True)
    assert res.returncode == 0 and "error" not in res.stderr.lower(), res.stderr


def control_paragraph(field):
    """A field of debian/control (comments and continuation lines joined)."""
    text = "\n".join(line for line in (DEBIAN / "control").read_text().splitlines()
                     if not line.startswith("#"))
    m = re.search(rf"^{field}:(.*(?:\n[ \t].*)*)", text, re.M)
    return " ".join(m.group(1).split())


# In scripts/install-deps.sh's build_pkgs, not in Build-Depends: build-essential's, the demo's Go
# toolchain, make image's CA bundle, and two that no build step uses (an strace of make deb
# opened nothing of theirs).
NOT_BUILD_DEPENDS = {"make", "gcc", "libc6-dev", "golang-1.19-go", "ca-certificates", "llvm",
                     "pkg-config"}


def test_build_depends_match_install_deps():
    deps = re.search(r"^build_pkgs=\((.*?)\)", (REPO / "scripts/install-deps.sh").read_text(),
                     re.M | re.S).group(1).split()
    build_depends = {d.strip().split()[0] for d in control_paragraph("Build-Depends").split(",")}
    assert build_depends - {"debhelper-compat"} == set(deps) - NOT_BUILD_DEPENDS
    assert "debhelper-compat (= 13)" in control_paragraph("Build-Depends")


DEB_VERSIONS = [
    ("85df72e", "173", "0~git173.85df72e"),
    ("85df72e-dirty", "173", "0~git173.85df72e+dirty"),
    ("v0.3.0", "200", "0.3.0"),
    ("v0.3.0-5-g1a2b3c4", "205", "0.3.0+git5.1a2b3c4"),
    ("v0.3.0-5-g1a2b3c4-dirty", "205", "0.3.0+git5.1a2b3c4+dirty"),
    ("v1.0-rc1", "300", "1.0~rc1"),
    ("release-1-5-gabcdef0", "305", "0~git305.abcdef0"),
]


@pytest.mark.parametrize("describe,count,want", DEB_VERSIONS)
def test_deb_version(describe, count, want):
    res = subprocess.run([REPO / "scripts/deb-version.sh", describe, count], capture_output=True,
                         text=True, check=True)
    assert res.stdout == want + "\n"


def deb_version_lt(a, b):
    return subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0


def test_deb_versions_sort_as_releases():
    """Snapshots sort by commit count, and below the first release; a pre-release below its
    release, a snapshot after a release above it."""
    order = ["0~git173.85df72e", "0~git174.0a1b2c3", "0.3.0", "0.3.0+git5.1a2b3c4",
             "1.0~rc1", "1.0"]
    for a, b in zip(order, order[1:]):
        assert deb_version_lt(a, b), f"{a} does not sort before {b}"
    bad = subprocess.run([REPO / "scripts/deb-version.sh", "unknown", "0"], capture_output=True,
                         text=True)
    assert bad.returncode != 0 and "unknown" in bad.stderr
