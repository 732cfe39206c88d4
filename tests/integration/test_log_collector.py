"""goscope record's JSON lines read by a real log collector, across logrotate rotations.

rsyslog (Debian's rsyslogd, an instance of its own: its own configuration, work directory and pid
file under tmp_path, no network input, no /dev/log) tails `goscope record -o FILE` with imfile
and parses each line with mmjsonparse, running docs/examples/rsyslog-goscope.conf itself: the
test replaces only the paths the shipped file names (SHIPPED_PATHS), so the example cannot rot.
The real logrotate rotates the file twice while a GC-heavy workload runs, the way docs/record.md
says for a file a collector tails (rename, nocreate, SIGHUP), with lines written to the renamed
file after every rename.

The oracle is goscope's own output: every record in the rotated files and the current one must be
in the collector's output exactly once, as the same JSON (numbers as numbers of the same type,
objects as objects; not a message string), and no line anywhere is torn.
"""
import collections
import json
import os
import re
import signal
import subprocess

import pytest

from conftest import GO_MINORS, REPO, factory, kill_if_running, target_path, wait_for

NEWEST = GO_MINORS[-1]
RSYSLOGD = "/usr/sbin/rsyslogd"
CONF = REPO / "docs" / "examples" / "rsyslog-goscope.conf"
# The paths the shipped configuration names (in quotes, each once), and what the test puts in
# their place (under tmp_path); it names no other path in quotes.
SHIPPED_PATHS = {
    "/var/lib/goscope-rsyslog": "rsyslog-work",
    "/var/log/goscope/record.jsonl": "goscope/record.jsonl",
    "/var/log/goscope-collected.jsonl": "collected.jsonl",
    "/var/log/goscope-collected.unparsed": "collected.unparsed",
}
ROTATIONS = 2
GC_PER_FILE = 30


def instance_conf(tmp_path):
    """The shipped configuration with each of its paths moved under tmp_path."""
    text = CONF.read_text()
    for shipped, mine in SHIPPED_PATHS.items():
        assert text.count(f'"{shipped}"') == 1, f"{CONF} no longer names {shipped} once"
        text = text.replace(f'"{shipped}"', f'"{tmp_path / mine}"')
    others = [p for p in re.findall(r'"(/[^"]*)"', text) if not p.startswith(f"{tmp_path}/")]
    assert not others, f"{CONF} names paths the test does not replace: {others}"
    conf = tmp_path / "rsyslog.conf"
    conf.write_text(text)
    (tmp_path / SHIPPED_PATHS["/var/lib/goscope-rsyslog"]).mkdir()
    (tmp_path / "goscope").mkdir()
    return conf


class Rsyslog:
    """rsyslogd in the foreground (-n) with its own configuration and pid file."""

    def __init__(self, tmp_path):
        assert os.access(RSYSLOGD, os.X_OK), \
            f"{RSYSLOGD} missing: scripts/install-deps.sh --test installs rsyslog"
        conf = instance_conf(tmp_path)
        check = subprocess.run([RSYSLOGD, "-N1", "-f", conf], capture_output=True, text=True,
                               timeout=30)
        assert check.returncode == 0, f"rsyslogd -N1 rejects the configuration:\n{check.stderr}"
        self.err = tmp_path / "rsyslogd.stderr"
        self.pidfile = tmp_path / "rsyslogd.pid"
        self._err = open(self.err, "wb")
        self.proc = subprocess.Popen([RSYSLOGD, "-n", "-f", conf, "-i", self.pidfile],
                                     stdout=subprocess.DEVNULL, stderr=self._err)
        assert wait_for(lambda: self.pidfile.exists() or self.proc.poll() is not None, 30), \
            self.stderr()
        assert self.proc.poll() is None, f"rsyslogd exited {self.proc.returncode}: {self.stderr()}"

    def stderr(self):
        return self.err.read_text(errors="replace")

    def stop(self):
        """SIGTERM: rsyslogd drains its queue, saves imfile's state and exits 0."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        finally:
            kill_if_running(self)
            self._err.close()


@pytest.fixture
def rsyslog(tmp_path):
    """Factory: rsyslog() starts the collector; it is killed at the end if still running."""
    yield from factory(lambda: Rsyslog(tmp_path), kill_if_running)


def logrotate(log, pid, state):
    """One forced rotation as docs/record.md configures it for a file a collector tails: rename,
    no new file (nocreate), SIGHUP; goscope creates the new file when it reopens.

    The postrotate script waits until goscope has written another gc record to the renamed file
    before it sends SIGHUP (bounded: 60 s), so every rotation has lines written after the rename:
    the collector must read them from the renamed file. With `create` instead, rsyslog closes the
    renamed file as soon as the new one appears and those lines are lost."""
    rotated = log.parent / f"{log.name}.1"
    count = f"grep -c '\"kind\":\"gc\"' {rotated}"
    conf = state.with_suffix(".conf")
    conf.write_text(f"""{log} {{
    rotate {ROTATIONS + 1}
    nocreate
    nocompress
    missingok
    postrotate
        n=$({count}); i=0
        while [ "$({count})" = "$n" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done
        kill -HUP {pid}
        [ $i -lt 1200 ] || {{ echo "no gc record reached {rotated} in 60 s" >&2; exit 1; }}
    endscript
}}
""")
    res = subprocess.run(["/usr/sbin/logrotate", "-f", "-s", state, conf],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr


def lines(path):
    """The complete lines of a file that is written whole lines at a time; a torn end fails."""
    raw = path.read_bytes()
    assert not raw or raw.endswith(b"\n"), f"{path.name} ends in the middle of a line"
    return raw.decode().splitlines()


def gc_count(path):
    try:
        return path.read_bytes().count(b'"kind":"gc"')
    except FileNotFoundError:
        return 0


def canonical(obj):
    """One string per JSON value, types and member order included: 78, 78.0 and "78" differ."""
    return json.dumps(obj, separators=(",", ":"))


def test_rsyslog_collects_every_record_once_across_rotations(go_target, goscope, rsyslog,
                                                             tmp_path):
    log = tmp_path / SHIPPED_PATHS["/var/log/goscope/record.jsonl"]
    collected = tmp_path / SHIPPED_PATHS["/var/log/goscope-collected.jsonl"]
    unparsed = tmp_path / SHIPPED_PATHS["/var/log/goscope-collected.unparsed"]
    # The collector runs first, as on a host: it finds the file when goscope creates it.
    r = rsyslog()
    t = go_target(target_path(NEWEST, "default"), args=["-rate", "300"])
    g = goscope(["record", "-o", log, t.pid])
    assert wait_for(lambda: gc_count(log) >= GC_PER_FILE, 60), g.stderr()
    for n in range(1, ROTATIONS + 1):
        logrotate(log, g.proc.pid, tmp_path / "logrotate.state")
        assert (log.parent / f"{log.name}.{n}").exists()
        assert wait_for(lambda: gc_count(log) >= GC_PER_FILE, 60), g.stderr()
    assert g.finish() == 0, g.stderr()
    # goscope's own output, oldest file first: the ground truth.
    files = [log.parent / f"{log.name}.{n}" for n in range(ROTATIONS, 0, -1)] + [log]
    written = [json.loads(ln) for f in files for ln in lines(f)]
    gcs = [w for w in written if w["kind"] == "gc"]
    nums = [w["num"] for w in gcs]
    assert nums == sorted(set(nums)), "goscope wrote a cycle twice or out of order"
    assert [w["kind"] for w in written][-1] == "detach"
    # Every file got gc records: each rotation happened with cycles on both sides of it.
    for f in files:
        assert gc_count(f) > 0, f"{f.name} has no gc record"

    # Stop the collector once it has as many lines as goscope wrote (or after a minute: what is
    # missing is then named below).
    wait_for(lambda: collected.exists() and
             collected.read_bytes().count(b"\n") >= len(written), 60)
    assert r.stop() == 0, r.stderr()
    assert collected.exists(), f"rsyslog wrote nothing: {r.stderr()}"
    assert not unparsed.exists(), f"lines rsyslog could not parse:\n{unparsed.read_text()[:2000]}"

    got = [json.loads(ln) for ln in lines(collected)]
    # Parsed, not a message: the fields are JSON values of the type goscope wrote.
    got_gcs = [x for x in got if x.get("kind") == "gc"]
    assert got_gcs, f"no gc record collected; first line: {lines(collected)[:1]}"
    for x in got_gcs:
        assert type(x["num"]) is int and type(x["heap_goal_bytes"]) is int, x
        assert type(x["gc_cpu_fraction"]) in (int, float) and type(x["forced"]) is bool, x
        assert x["line"].startswith(f"gc {x['num']} @"), x
    samples = [x for x in got if x.get("kind") == "sample"]
    assert samples and all(type(s["metrics"]) is dict and type(s["goroutines"]) is dict
                           for s in samples)
    # Every gc record exactly once, equal field for field; then every record of every kind.
    want_gc = collections.Counter(canonical(w) for w in gcs)
    got_gc = collections.Counter(canonical(x) for x in got_gcs)
    missing, extra = want_gc - got_gc, got_gc - want_gc
    assert not missing and not extra, \
        (f"{len(gcs)} gc records written, {len(got_gcs)} collected; "
         f"missing cycles {sorted(json.loads(m)['num'] for m in missing)}, "
         f"extra or altered {sorted(json.loads(e).get('num') for e in extra)}; "
         f"first difference: {next(iter(missing or extra))[:600]}")
    want_all = collections.Counter(canonical(w) for w in written)
    got_all = collections.Counter(canonical(x) for x in got)
    assert want_all == got_all, \
        (f"{len(written)} records written, {len(got)} collected; differ: "
         f"{[s[:300] for s in list((want_all - got_all) + (got_all - want_all))[:3]]}")
