#!/usr/bin/env python3
"""make test's runner: the whole suite twice, against two builds of the same code.

1. the release build ($BUILD/goscope, what `make install` ships);
2. the same sources built with AddressSanitizer and UndefinedBehaviorSanitizer ($BUILD-asan).
   The fuzzers are left out there: they are sanitized builds of their own and do not run goscope;
   so are the tests of the image and the Debian package (test_deploy, test_deb): they run what
   `make image` and `make deb` made from the release sources, which the first run already judged;
   and the benchmark smoke runs (test_bench_smoke): they check that bench/ still measures the
   release build, and every goscope path they reach is run by the rest of the suite.
   Every sanitizer report goes to a file under $BUILD-asan/sanitizer-reports/ as well as making
   the process exit 66; tests/conftest.py fails the test during which a report appeared, so a
   report from a process whose exit status a test does not look at still fails.

Both runs always happen (a failure in the first does not hide the second); the exit status is
non-zero if either failed. The last line sums both, in pytest's words.

usage: run-suites.py BUILD ASAN_BUILD [PYTEST_ARGS...]
"""
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def counts(xml):
    """(passed, failed, errors, skipped) from a pytest junit file; None if there is none."""
    try:
        root = ET.parse(xml).getroot()
    except (OSError, ET.ParseError):
        return None
    suites = [root] if root.tag == "testsuite" else list(root)
    tests = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) for s in suites)
    errors = sum(int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    return tests - failed - errors - skipped, failed, errors, skipped


def run(name, build, extra_env, args, results):
    xml = results / f"{name}.xml"
    xml.unlink(missing_ok=True)
    env = dict(os.environ, GOSCOPE_BUILD=str(build), **extra_env)
    print(f"\n=== {name} build: {build}/goscope ===", flush=True)
    start = time.monotonic()
    rc = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          f"--junitxml={xml}", "tests"] + args, cwd=REPO, env=env)
    return rc, counts(xml), time.monotonic() - start


# Not run against the sanitized build (see above): matched by pytest -k, in test or file names.
RELEASE_ONLY = "not fuzz and not test_deploy.py and not test_deb.py and not test_bench_smoke.py"


def sanitized_args(args):
    """args with the release-only tests deselected (folded into a -k given there)."""
    args = list(args)
    if "-k" in args[:-1]:
        i = args.index("-k") + 1
        args[i] = f"({args[i]}) and {RELEASE_ONLY}"
        return args
    return args + ["-k", RELEASE_ONLY]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    build, asan = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    args = sys.argv[3:]
    results = build / "test-results"
    results.mkdir(parents=True, exist_ok=True)
    reports = asan / "sanitizer-reports"
    shutil.rmtree(reports, ignore_errors=True)
    reports.mkdir(parents=True)
    san_env = {
        "ASAN_OPTIONS": f"detect_leaks=1:exitcode=66:log_path={reports}/asan",
        "UBSAN_OPTIONS": f"halt_on_error=1:print_stacktrace=1:log_path={reports}/ubsan",
        "GOSCOPE_SANITIZER_REPORTS": str(reports),
    }
    runs = [("release", build, {}, args), ("sanitized", asan, san_env, sanitized_args(args))]
    summary, total, worst = [], [0, 0, 0, 0], 0
    for name, b, env, a in runs:
        rc, c, secs = run(name, b, env, a, results)
        worst = worst or rc
        if c is None:
            summary.append(f"{name}: pytest exited {rc} without results")
            worst = worst or 1
            continue
        total = [x + y for x, y in zip(total, c)]
        summary.append(f"{name}: {c[0]} passed, {c[1]} failed, {c[2]} errors, {c[3]} skipped "
                       f"in {secs:.0f}s")
    left = sorted(p.name for p in reports.iterdir())
    if left:
        summary.append(f"sanitizer reports: {', '.join(left)} (in {reports})")
        worst = worst or 1
    print("\n=== both builds ===")
    for line in summary:
        print(line)
    print(f"{total[0]} passed, {total[1] + total[2]} failed"
          + (f", {total[3]} skipped" if total[3] else ""))
    sys.exit(1 if worst else 0)


if __name__ == "__main__":
    main()
