"""Bad command lines: exit 2, one line on stderr starting 'goscope: ' with a usage hint, nothing on
stdout, for every subcommand. No target is needed: every input here fails before anything is
attached. `--help` stays on stdout with exit 0.
"""
import os

import pytest

from conftest import run_goscope

COMMANDS = ["gctrace", "top", "ps", "stat", "schedtrace", "record", "serve", "metrics", "profile",
            "stacks"]
TAKES_INTERVAL = {"top", "stat", "schedtrace", "record", "serve"}
TAKES_PIDS = {"gctrace", "top", "stat", "schedtrace", "record", "serve", "profile", "stacks"}
TAKES_OPTIN = {"top", "record", "serve", "profile"}     # --goroutines, --allocs, --budget
# A PID that parses, so that only the argument under test is wrong.
PID = str(os.getpid())

BAD_DURATIONS = ["-1s", "0", "1e400s", "99999999999h", "99999999999m", "1e12m", "1x", "", "nan",
                 "inf", "infs", "nans", "0x10s", " 1s", "1s ", "-0.5", "+1s", "1e-400s"]
BAD_PIDS = ["0", "-5", "abc", "99999999999", "1.5", "", "12ab", " 7", "0x10", "2147483648", "+7"]
BAD_BUDGETS = ["0", "-1", "101", "1e400", "nan", "inf", "abc", "", "0x10", " 1", "1 ", "1%%", "%"]
BAD_COUNTS = ["0", "-1", "100001", "abc", "", "1.5", "99999999999999999999", " 5", "5x"]
BAD_LISTEN = [":99999", "1.2.3.4.5:1", "[::1", "host:", "::1:80", "127.0.0.1", "[::1]", ":",
              "127.0.0.1:-1", "127.0.0.1:80x", "[::1]80", "999.1.1.1:80"]


def hint_words(cmd):
    return (f"goscope {cmd} --help", "goscope --help")


def check(args, cmd=None):
    res = run_goscope(args, timeout=10)
    what = f"goscope {' '.join(map(repr, args))}"
    assert res.returncode == 2, f"{what}: exit {res.returncode}, stderr {res.stderr!r}"
    assert res.stdout == "", f"{what}: stdout {res.stdout!r}"
    lines = res.stderr.splitlines()
    assert len(lines) == 1, f"{what}: want one line on stderr, got {res.stderr!r}"
    assert lines[0].startswith("goscope: "), f"{what}: {lines[0]!r}"
    assert any(h in lines[0] for h in hint_words(cmd or (args[0] if args else ""))), \
        f"{what}: no usage hint in {lines[0]!r}"
    return lines[0]


def cases(cmd):
    """(args, words the message must contain) of bad command lines for cmd."""
    pid = [PID] if cmd in TAKES_PIDS else []
    if cmd in ("record", "serve"):
        pid = ["--all"]
    if cmd == "profile":
        pid = ["--allocs", PID]
    out = [
        ([cmd, "--nope"] + pid, "'--nope'"),
        ([cmd, "-Z"] + pid, "'-Z'"),
        ([cmd, "--nope=1"] + pid, "'--nope'"),
        ([cmd, "-"] + pid, ""),
    ]
    if cmd in ("gctrace", "record", "serve"):
        # An unknown short option in a group, after a good long one: named by its letter.
        out.append(([cmd, "--quiet", "-Zq"] + pid, "'-Z'"))
        out.append(([cmd, "--quiet=1"] + pid, "'--quiet'"))
    if cmd in TAKES_INTERVAL:
        out.append(([cmd] + pid + ["-i"], "'-i' needs a value"))
        out.append(([cmd] + pid + ["--interval"], "'--interval' needs a value"))
        for d in BAD_DURATIONS:
            if cmd == "stat" and d == "0":
                continue    # documented: one read, no window
            out.append(([cmd, "-i", d] + pid, "interval"))
            out.append(([cmd, f"--interval={d}"] + pid, "interval"))
    else:
        out.append(([cmd, "-i", "1s"] + pid, "'-i'"))
    if cmd in TAKES_PIDS:
        what = ["--goroutines"] if cmd == "profile" else []
        for p in BAD_PIDS:
            out.append(([cmd] + what + [p], ""))
            out.append(([cmd] + what + ["--", p], ""))
    else:
        out.append(([cmd, PID], ""))
    if cmd in TAKES_OPTIN:
        for b in BAD_BUDGETS:
            out.append(([cmd, "--budget", b] + pid, "budget"))
            out.append(([cmd, f"--budget={b}"] + pid, "budget"))
        out.append(([cmd] + pid + ["--budget"], "needs a value"))
        out.append(([cmd, "--allocs=1"] + pid, "'--allocs'"))
    if cmd in ("gctrace", "stat", "schedtrace", "record", "serve"):
        out.append(([cmd], "PID"))
    if cmd == "profile":
        out.append(([cmd, "--allocs"], "PID"))
        out.append(([cmd, "--allocs", PID, PID], "one PID"))
        out.append(([cmd, PID], "--allocs or --goroutines"))
        out.append(([cmd] + pid + ["-d"], "needs a value"))
        for d in BAD_DURATIONS:
            out.append(([cmd, "-d", d] + pid, "duration"))
            out.append(([cmd, f"--duration={d}"] + pid, "duration"))
        for n in BAD_COUNTS:
            out.append(([cmd, "-n", n] + pid, "row count"))
            out.append(([cmd, f"--top={n}"] + pid, "row count"))
        for sort in ["", "size", "Bytes", "bytes ", "objects,bytes"]:
            out.append(([cmd, "-s", sort] + pid, "bad sort"))
        out.append(([cmd, "-o", "/tmp/goscope-a.jsonl", "-o", "/tmp/goscope-b.jsonl"] + pid, "twice"))
        out.append(([cmd, "-o", ""] + pid, "file name"))
        out.append(([cmd, "--allocs", "--goroutines", "-o", "/tmp/goscope-a.jsonl", PID], "one profile"))
    if cmd == "stacks":
        out.append(([cmd], "PID"))
        out.append(([cmd, PID, PID], "exactly one PID"))
        out.append(([cmd, "-d", "30s", PID], "--leaks"))
        out.append(([cmd, "--leaks", PID, "-d"], "needs a value"))
        for d in BAD_DURATIONS:
            out.append(([cmd, "--leaks", "-d", d, PID], "duration"))
            out.append(([cmd, "--budget", d, PID], "budget"))
            if d != "0":
                out.append(([cmd, "--min-wait", d, PID], "min-wait"))
        for d in ["50ms", "0"] + BAD_DURATIONS:
            out.append(([cmd, "--leaks", "-i", d, PID], "interval"))
        for st in ["", "Waiting", "dead", "sleep", "waiting,running"]:
            out.append(([cmd, "--state", st, PID], "--state"))
        for n in ["-1", "101", "abc", "", "1.5"]:
            out.append(([cmd, "--retries", n, PID], "--retries"))
        for rx in ["(", "[a", "a{1"]:
            out.append(([cmd, "--match", rx, PID], "--match"))
        out.append(([cmd, "--match", "a", "--match", "b", PID], "--match"))
        out.append(([cmd, "-o", "/tmp/goscope-a.jsonl", "-o", "/tmp/goscope-b.jsonl", PID], "twice"))
        out.append(([cmd, "-o", "", PID], "file name"))
        out.append(([cmd, "-o", "/tmp/goscope-a.jsonl", "--json", PID], "pprof"))
        out.append(([cmd, "--leaks", "--group", PID], "--leaks"))
    if cmd in ("stat", "schedtrace"):
        out.append(([cmd, PID, PID], "exactly one PID"))
    if cmd in ("record", "serve"):
        out.append(([cmd, "--all", PID], "not both"))
    if cmd == "serve":
        for a in BAD_LISTEN:
            out.append(([cmd, "--listen", a, "--all"], "--listen"))
            out.append(([cmd, "-l", a, "--all"], "--listen"))
        out.append(([cmd, "--all", "--listen"], "needs a value"))
    if cmd == "record":
        out.append(([cmd, "-o", "/tmp/goscope-a.jsonl", "-o", "/tmp/goscope-b.jsonl", "--all"], "twice"))
        # -o DIRECTORY is not a usage error: open fails, exit 1 (test_record.py).
        out.append(([cmd, "-o", "", "--all"], "file name"))
        out.append(([cmd, "--all", "-o"], "needs a value"))
    return out


@pytest.mark.parametrize("cmd", COMMANDS)
def test_bad_arguments(cmd, bpf_leftovers):
    tried = 0
    for args, word in cases(cmd):
        line = check(args, cmd)
        assert word in line, f"{args!r}: {word!r} not in {line!r}"
        tried += 1
    bpf_leftovers.assert_none(after="after the bad command lines")
    assert not os.path.exists("/tmp/goscope-a.jsonl") and not os.path.exists("/tmp/goscope-b.jsonl")
    print(f"{cmd}: {tried} bad command lines")


def test_no_command_and_unknown_commands():
    check([])
    for name in ["frobnicate", "GCTRACE", "gc", "", "-Z", "--nope", "gctrace2"]:
        check([name])


@pytest.mark.parametrize("cmd", COMMANDS)
def test_help_unchanged(cmd):
    res = run_goscope([cmd, "--help"])
    assert res.returncode == 0 and res.stderr == "" and res.stdout.startswith("Usage: goscope"), cmd
    assert run_goscope([cmd, "-h"]).stdout == res.stdout
