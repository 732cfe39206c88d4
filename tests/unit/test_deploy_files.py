"""The deployment files, checked without running them (tests/integration/test_deploy.py runs them).

- deploy/systemd/goscope.service passes `systemd-analyze verify` (with ExecStart pointing at the
  built binary and the man page on MANPATH, as `make install` would put them);
- deploy/kubernetes/*.yaml parse, and the DaemonSet keeps the promises of its comments: host PID
  namespace, every capability dropped but the ones goscope needs, read-only root, no privilege
  escalation, no host path, the metrics port the annotations, the Service and the ServiceMonitor
  name; the unit and the DaemonSet grant the same capabilities.
"""
import shutil
import subprocess

import yaml

from conftest import GOSCOPE, REPO

UNIT = REPO / "deploy/systemd/goscope.service"
K8S = REPO / "deploy/kubernetes"

# What goscope needs (deploy/kubernetes/goscope-daemonset.yaml says why for each): BPF and PERFMON
# for the programs and uprobes, SYS_ADMIN for uprobe perf events on Linux 6.16+, SYS_PTRACE and
# DAC_READ_SEARCH for other processes' memory, executables and /proc files.
CAPS = {"BPF", "PERFMON", "SYS_ADMIN", "SYS_PTRACE", "DAC_READ_SEARCH"}


def docs(name):
    return [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]


def one(documents, kind):
    (d,) = [d for d in documents if d["kind"] == kind]
    return d


def test_systemd_unit_verifies(tmp_path):
    unit = UNIT.read_text()
    assert "ExecStart=/usr/local/bin/goscope " in unit, "make install's PREFIX is /usr/local"
    (tmp_path / "goscope.service").write_text(
        unit.replace("ExecStart=/usr/local/bin/goscope ", f"ExecStart={GOSCOPE} "))
    man = tmp_path / "man" / "man1"
    man.mkdir(parents=True)
    shutil.copy(REPO / "docs/goscope.1", man)
    res = subprocess.run(["systemd-analyze", "verify", tmp_path / "goscope.service"],
                         capture_output=True, text=True, env={"MANPATH": str(tmp_path / "man"),
                                                              "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0 and not res.stderr.strip(), res.stderr


def unit_service():
    out, section = {}, None
    for line in UNIT.read_text().splitlines():
        if line.startswith("["):
            section = line.strip()
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            out[k] = v
    return out


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
