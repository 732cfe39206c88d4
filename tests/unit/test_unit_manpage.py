"""Root-free: docs/goscope.1 stays true to the program it documents.

The page is written by hand; these checks keep it honest: it renders without a groff warning,
every command `goscope --help` lists has its own subsection, every long option a command's
`--help` prints is named in that command's subsection, every exit code of user/util/log.h is explained
under EXIT STATUS, and `make install` puts the page (and the binary) where man finds it.
"""
import re
import subprocess

import pytest

from conftest import BUILD, GOSCOPE, REPO

PAGE = REPO / "docs" / "goscope.1"
LOG_H = REPO / "user" / "util" / "log.h"

# Plain ASCII, no hyphenation, lines long enough that no word is ever split: what a reader sees,
# in a form a regular expression can search.
RENDER = ["groff", "-man", "-Tascii", "-rHY=0", "-rLL=400n", "-P-cbou"]


def run(*args, **kw):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def text():
    res = run(*RENDER, PAGE)
    assert res.returncode == 0, res.stderr
    return res.stdout


def sections(text):
    """{SECTION: [lines]} of the rendered page; section headings start in column 0."""
    out, cur = {}, None
    for line in text.splitlines():
        if re.match(r"^[A-Z][A-Z ]+$", line):
            cur = out.setdefault(line.strip(), [])
        elif cur is not None:
            cur.append(line)
    return out


def subsections(lines):
    """{heading: body text} of one section; subsection headings are indented by three spaces."""
    out, cur = {}, None
    for line in lines:
        m = re.match(r"^   (\S.*)$", line)
        if m:
            cur = out.setdefault(m.group(1).strip(), [])
        elif cur is not None:
            cur.append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def help_commands():
    res = run(GOSCOPE, "--help")
    assert res.returncode == 0, res.stderr
    block = res.stdout.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    cmds = [line.split()[0] for line in block.splitlines() if line.strip()]
    assert cmds, res.stdout
    return cmds


def long_options(s):
    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]*[a-z]", s))


def test_page_renders_without_warnings():
    for dev in ("utf8", "ascii"):
        res = run("groff", "-man", "-ww", "-z", f"-T{dev}", PAGE)
        assert res.returncode == 0 and res.stderr == "", f"-T{dev}:\n{res.stderr}"


def test_option_dashes_are_escaped():
    # An unescaped "-" is a hyphen: in UTF-8 it renders as U+2010 and a pasted option breaks.
    bad = []
    for n, line in enumerate(PAGE.read_text().splitlines(), 1):
        if line.startswith('.\\"'):
            continue
        if re.search(r'(?:^|[\s\[({|"])-{1,2}[A-Za-z]', line):
            bad.append(f"{n}: {line}")
    assert not bad, "write \\- for a dash in an option:\n" + "\n".join(bad)


def test_page_has_the_expected_sections(text):
    have = set(sections(text))
    for s in ["NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "EXIT STATUS", "ENVIRONMENT",
              "FILES", "SIGNALS", "EXAMPLES", "SEE ALSO"]:
        assert s in have, f"no {s} section; have {sorted(have)}"


def test_help_lists_every_command():
    # Every cmd_* entry point in user/ is reachable from, and listed by, goscope --help.
    defined = set()
    for f in (REPO / "user").glob("*.c"):
        defined |= set(re.findall(r"^int cmd_(\w+)\(int argc", f.read_text(), re.M))
    assert defined and set(help_commands()) == defined


def test_every_command_has_a_subsection_and_its_synopsis(text):
    secs = sections(text)
    subs = subsections(secs["COMMANDS"])
    synopsis = "\n".join(secs["SYNOPSIS"])
    for cmd in help_commands():
        assert f"goscope {cmd}" in subs, f"COMMANDS has no subsection 'goscope {cmd}'; has {sorted(subs)}"
        assert re.search(rf"^\s*goscope {cmd}\b", synopsis, re.M), f"SYNOPSIS lacks goscope {cmd}"
    extra = set(subs) - {f"goscope {c}" for c in help_commands()}
    assert not extra, f"subsections for commands goscope does not have: {extra}"


@pytest.mark.parametrize("cmd", help_commands())
def test_every_long_option_of_a_command_is_documented(text, cmd):
    res = run(GOSCOPE, cmd, "--help")
    assert res.returncode == 0, f"goscope {cmd} --help exited {res.returncode}: {res.stderr}"
    assert res.stdout.startswith(f"Usage: goscope {cmd}"), res.stdout
    body = subsections(sections(text)["COMMANDS"])[f"goscope {cmd}"]
    missing = long_options(res.stdout) - long_options(body)
    assert not missing, f"goscope {cmd} --help prints {sorted(missing)}, not in its man page subsection"
    # and the other way round: no option the command no longer has
    stale = long_options(body) - long_options(res.stdout) - {"--help"}
    assert not stale, f"the man page names {sorted(stale)} for goscope {cmd}; its --help does not"


def test_every_exit_code_is_explained(text):
    enum = re.search(r"enum gs_exit \{(.*?)\};", LOG_H.read_text(), re.S).group(1)
    codes = {int(v) for v in re.findall(r"GS_EXIT_\w+\s*=\s*(\d+)", enum)}
    assert codes == set(range(max(codes) + 1)), f"exit codes with a gap: {sorted(codes)}"
    documented = {int(m) for m in re.findall(r"^ {7}(\d+) {2,}\S", "\n".join(sections(text)["EXIT STATUS"]), re.M)}
    assert documented == codes, f"EXIT STATUS explains {sorted(documented)}, user/util/log.h has {sorted(codes)}"


def test_make_install_puts_the_page_and_the_binary_in_place(tmp_path):
    # -o: take the existing build as it is, even if older than the sources; never rebuild here.
    dest = tmp_path / "root"
    res = run("make", "-C", REPO, "--no-print-directory", f"O={BUILD}", "-o", GOSCOPE,
              f"DESTDIR={dest}", "PREFIX=/usr", "install")
    assert res.returncode == 0, res.stdout + res.stderr
    page = dest / "usr/share/man/man1/goscope.1"
    binary = dest / "usr/bin/goscope"
    assert page.read_bytes() == PAGE.read_bytes()
    assert page.stat().st_mode & 0o777 == 0o644
    assert binary.read_bytes() == GOSCOPE.read_bytes()
    assert binary.stat().st_mode & 0o777 == 0o755

    res = run("make", "-C", REPO, "--no-print-directory", f"O={BUILD}", f"DESTDIR={dest}",
              "PREFIX=/usr", "uninstall")
    assert res.returncode == 0, res.stdout + res.stderr
    assert not page.exists() and not binary.exists()
