#!/usr/bin/env python3
"""Generate user/goruntime/layout_tables.c: built-in struct layouts for binaries without DWARF.

    scripts/gen-layout-tables.py [--build DIR] [--output FILE] [--check]

For every Go minor release of the test matrix (MATRIX in tests/build-targets.sh) this takes the
reference build DIR/targets/go1.MINOR/default/churn and
  * asks goscope which struct member offsets and type sizes its layout needs for that release
    (DIR/tests/gobin_dump --layout-needs, i.e. the rows of specs[] in user/goruntime/layout.c), and
  * takes those of packages churn does not link (internal/godebug...) from DIR/targets/go1.MINOR/
    default/quiescent, built by the same toolchain, and
  * takes their values from the independent oracle DIR/tools/gobininfo (Go's debug/dwarf, with
    -field TYPE:PATH, and TYPE: for a size), never from goscope's own DWARF reader.
The output is deterministic: releases in order, entries sorted by type then member (size first).

--check regenerates in memory and exits 1, printing a diff, when the checked-in file differs.
Needs `make unit` and `tests/build-targets.sh build` (DIR defaults to $GOSCOPE_BUILD or build/).
"""
import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "user" / "goruntime" / "layout_tables.c"
COLS = 100
ABOUT = """\
Offsets of the runtime struct members goscope reads (member NULL: the size of the type), per
Go minor release, as Go's debug/dwarf (tests/oracle/gobininfo) reads them in the DWARF of
build/targets/go1.MINOR/default/churn. goscope uses them only for binaries without DWARF."""


def die(msg):
    print(f"gen-layout-tables: error: {msg}", file=sys.stderr)
    sys.exit(2)


def matrix_minors():
    """The Go minors of the matrix, as tests/build-targets.sh builds them."""
    text = (REPO / "tests" / "build-targets.sh").read_text()
    m = re.search(r'^MATRIX="([0-9 ]+)"', text, re.M)
    if not m:
        die("no MATRIX=\"...\" line in tests/build-targets.sh")
    return sorted(int(x) for x in m.group(1).split())


def run_json(cmd):
    res = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if res.returncode != 0:
        die(f"{' '.join(str(c) for c in cmd[:1])} failed ({res.returncode}): {res.stderr.strip()}")
    return json.loads(res.stdout)


def need_key(need):
    """The oracle's -field argument: TYPE:PATH, or TYPE: for the size of TYPE."""
    return f"{need['type']}:{need['member'] or ''}"


def table_for(build, minor):
    """(toolchain version, sorted [(type, member or None, value)]) for one release."""
    binary = build / "targets" / f"go1.{minor}" / "default" / "churn"
    dump = build / "tests" / "gobin_dump"
    oracle = build / "tools" / "gobininfo"
    targets = f"tests/build-targets.sh {build}"
    for p, how in ((binary, targets), (oracle, targets), (dump, "make unit")):
        if not p.exists():
            die(f"{p} missing: run {how}")
    ours = run_json([dump, "--layout-needs", binary])
    if ours.get("version_minor") != minor:
        die(f"{binary}: gobin_dump reads Go minor {ours.get('version_minor')}, expected {minor}")
    needs = ours["layout_needs"]
    if not needs:
        die(f"{binary}: goscope needs no struct layout for Go 1.{minor}?")
    args = []
    for n in needs:
        if n["kind"] != ("field" if n["member"] else "size"):
            die(f"inconsistent need {n}")
        args += ["-field", need_key(n)]
    theirs = run_json([oracle] + args + [binary])
    version = theirs.get("go_version")
    if not theirs.get("has_dwarf") or not version:
        die(f"{binary}: the oracle finds no DWARF or no Go version: {theirs.get('dwarf_error')}")
    if not re.fullmatch(rf"go1\.{minor}(\.\d+)?", version) or version != ours["go_version"]:
        die(f"{binary}: version {version!r} (goscope reads {ours['go_version']!r}) "
            f"is not Go 1.{minor}")
    # Types of packages churn does not link (internal/godebug, internal/godebugs) come from the
    # quiescent workload of the same toolchain, which does (it reads runtime/metrics).
    missing = [n for n in needs if theirs["fields"].get(need_key(n)) is None]
    if missing:
        other = binary.parent / "quiescent"
        if not other.exists():
            die(f"{other} missing: run {targets}")
        args = [a for n in missing for a in ("-field", need_key(n))]
        more = run_json([oracle] + args + [other])
        if more.get("go_version") != version:
            die(f"{other}: version {more.get('go_version')!r}, expected {version!r}")
        for n in missing:
            theirs["fields"][need_key(n)] = more["fields"].get(need_key(n))
            theirs.setdefault("field_errors", {}).update(more.get("field_errors") or {})
    entries = set()
    for n in needs:
        value = theirs["fields"].get(need_key(n))
        if value is None:
            err = (theirs.get("field_errors") or {}).get(need_key(n), "not found")
            die(f"{binary}: the oracle cannot resolve {need_key(n)}: {err}")
        entries.add((n["type"], n["member"], value))
    return version, sorted(entries, key=lambda e: (e[0], e[1] is not None, e[1] or ""))


def c_str(s):
    assert re.fullmatch(r"[A-Za-z0-9_./()*\[\] -]+", s), s
    return f'"{s}"'


def render(tables):
    versions = ", ".join(v for _, v, _ in tables)
    head = textwrap.wrap(f"generated by scripts/gen-layout-tables.py from {versions} reference "
                         "builds; do not edit", COLS - 3, break_on_hyphens=False)
    out = ["// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause", "/*"]
    out += [f" * {line}" for line in head]
    out += [" *"] + [f" * {line}" for line in ABOUT.splitlines()]
    out += [" */", '#include "goruntime/layout.h"']
    for minor, version, entries in tables:
        out += ["", f"static const struct layout_table_entry go1_{minor}[] = {{"]
        for typ, member, value in entries:
            out.append(f"\t{{ {c_str(typ)}, {c_str(member) if member else 'NULL'}, {value} }},")
        out.append("};")
    out += ["", "const struct layout_table layout_tables[] = {"]
    for minor, version, _ in tables:
        out.append(f"\t{{ {minor}, {c_str(version)}, go1_{minor}, "
                   f"sizeof(go1_{minor}) / sizeof(go1_{minor}[0]) }},")
    out += ["};", "",
            "const size_t layout_nr_tables = sizeof(layout_tables) / sizeof(layout_tables[0]);", ""]
    for line in out:
        assert len(line.expandtabs(8)) <= COLS, line
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", type=Path,
                    default=Path(os.environ.get("GOSCOPE_BUILD", REPO / "build")),
                    help="build directory (default: $GOSCOPE_BUILD or build/)")
    ap.add_argument("--output", type=Path, default=OUTPUT,
                    help=f"default: {OUTPUT.relative_to(REPO)}")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 with a diff when --output differs from a fresh generation")
    args = ap.parse_args()
    build = args.build.resolve()

    tables = []
    for minor in matrix_minors():
        version, entries = table_for(build, minor)
        tables.append((minor, version, entries))
    text = render(tables)

    if args.check:
        try:
            old = args.output.read_text()
        except FileNotFoundError:
            old = ""
        if old == text:
            print(f"{args.output}: up to date ({len(tables)} releases)")
            return 0
        sys.stdout.writelines(difflib.unified_diff(
            old.splitlines(keepends=True), text.splitlines(keepends=True),
            fromfile=f"{args.output} (checked in)", tofile=f"{args.output} (regenerated)"))
        print(f"{args.output} is stale: run scripts/gen-layout-tables.py", file=sys.stderr)
        return 1
    tmp = args.output.with_name(args.output.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(args.output)
    print(f"wrote {args.output}: {len(tables)} releases, "
          f"{sum(len(e) for _, _, e in tables)} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
