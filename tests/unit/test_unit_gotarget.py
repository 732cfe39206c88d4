"""Root-free: what a go statement's wrapper calls (user/gobin/gotarget.c), on every matrix binary.

`go f(x)` starts the goroutine in a closure the compiler makes (main.spawnWrapped.gowrap1 since
Go 1.22, main.spawnWrapped.func3 before) that calls f; goscope names the goroutine by f, read from
the wrapper's code. The lifecycle target's main.spawnWrapped has five such go statements (the
`// SITE:wrap*` lines). The oracle is the toolchain's own disassembler, `go tool objdump`, on the
default build:

  * the wrapper of a site is the main.spawnWrapped.* function the creator's code takes the
    address of (LEAQ) on the site's line, before it calls runtime.newproc;
  * what the wrapper calls is its first CALL that is not into the runtime: a direct call names
    the function goscope must name; a call through a register (a method value, a closure
    value) must leave goscope without an answer (-ENOEXEC) rather than a guess;
  * a closure inlined into the wrapper (site wrap-inlined, Go 1.22+) is named by the closure, and
    the closure's own body makes the same first call as the wrapper's inlined copy.

The stripped build (-ldflags=-s -w: no .symtab) must resolve every wrapper exactly as the default
build does, from .gopclntab and the code alone. The runtime's own view (its goroutine dump names
the same functions) is checked as root in tests/integration/test_profile.py.
"""
import json
import re
import subprocess

import pytest

from conftest import BUILD, GO_MINORS, target_path
from lifecycle import site

DUMP = BUILD / "tests" / "gobin_dump"
SITES = ["wrap", "wrap-method", "wrap-methodvalue", "wrap-closure", "wrap-inlined"]
ENOENT, ENOEXEC = -2, -8
# What the headline sites must resolve to, in every release.
WANT = {"wrap": "main.leakyWorker", "wrap-method": "main.(*parker).park"}


def objdump(minor, path, regex):
    """{function: [(line, instruction text)]} of the functions matching regex."""
    out = subprocess.run([f"/usr/lib/go-1.{minor}/bin/go", "tool", "objdump", "-s", regex,
                          str(path)], capture_output=True, text=True, check=True,
                         timeout=300).stdout
    funcs, cur = {}, None
    for ln in out.splitlines():
        m = re.match(r"TEXT (\S+)\(SB\)", ln)
        if m:
            cur = funcs.setdefault(m[1], [])
            continue
        cols = re.split(r"\t+", ln.strip())
        if cur is not None and len(cols) >= 4:
            cur.append((int(cols[0].rsplit(":", 1)[1]), cols[3].strip()))
    return funcs


def first_call(insns):
    """The wrapper's first call not into the runtime: a function name, or "indirect"."""
    for _, text in insns:
        m = re.fullmatch(r"CALL (\S+)", text)
        if not m:
            continue
        callee = m[1]
        if callee.endswith("(SB)"):
            if callee.startswith(("runtime.", "internal/runtime/")):
                continue
            return callee[:-len("(SB)")]
        return "indirect"
    return None


def wrappers(minor, path):
    """{site: wrapper name}, from main.spawnWrapped's code."""
    creator = objdump(minor, path, r"^main\.spawnWrapped$")["main.spawnWrapped"]
    out = {}
    for s in SITES:
        line = site(s)
        named = {m[1] for ln, text in creator if ln == line
                 for m in [re.fullmatch(r"LEAQ (main\.spawnWrapped\.[^(]+)\(SB\), \w+", text)] if m}
        assert len(named) == 1, (s, line, named)
        out[s] = named.pop()
    return out


def go_targets(path, names):
    args = []
    for n in names:
        args += ["--go-target", n]
    res = subprocess.run([DUMP] + args + [str(path)], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    assert "error" not in got, got
    return got["go_targets"]


@pytest.mark.parametrize("minor", GO_MINORS)
def test_wrappers_resolve_like_objdump(minor):
    path = target_path(minor, "default", "lifecycle")
    wraps = wrappers(minor, path)
    code = objdump(minor, path, r"^main\.")
    got = go_targets(path, list(wraps.values()))
    for s, w in wraps.items():
        oracle, res = first_call(code[w]), got[w]
        assert oracle, (s, w, code[w])
        if oracle == "indirect":
            assert (res["rc"], res["name"]) == (ENOEXEC, None), (s, w, res)
        elif res.get("inlined"):
            # The closure inlined into the wrapper, whose own body calls what the copy calls.
            assert s == "wrap-inlined", (s, w, res)
            assert first_call(code[res["name"]]) == oracle, (s, w, res, oracle)
        else:
            assert (res["rc"], res["name"]) == (0, oracle), (s, w, res)
    for s, want in WANT.items():
        assert got[wraps[s]]["name"] == want, (s, got[wraps[s]])
        assert got[wraps[s]]["line"] > 0 and got[wraps[s]]["file"].endswith("/main.go")
    # Go 1.22 and newer inline the closure into its wrapper; before, it is called as a value.
    inl = got[wraps["wrap-inlined"]]
    if minor >= 22:
        assert (inl["rc"], inl["name"], inl["inlined"]) == (0, "main.spawnWrapped.func2", True)
        assert inl["line"] == site("wrap-inlined"), inl
    else:
        assert inl["rc"] == ENOEXEC, inl


@pytest.mark.parametrize("minor", GO_MINORS)
def test_not_wrappers(minor):
    # A function a go statement without arguments starts, and the creator itself: no wrapper.
    path = target_path(minor, "default", "lifecycle")
    got = go_targets(path, ["main.leakWorker", "main.leakyWorker", "main.spawnWrapped"])
    assert all(v["rc"] == ENOENT for v in got.values()), got


@pytest.mark.parametrize("minor", GO_MINORS)
def test_stripped_resolves_the_same(minor):
    default, stripped = (target_path(minor, m, "lifecycle") for m in ("default", "stripped"))
    names = list(wrappers(minor, default).values()) + ["main.leakWorker"]
    want = go_targets(default, names)
    got = go_targets(stripped, names)
    assert subprocess.run(["readelf", "-S", str(stripped)], capture_output=True, text=True,
                          check=True).stdout.count(".symtab") == 0
    assert got == want
