#!/usr/bin/env python3
"""make_seeds.py OUTDIR [GO_BINARY...]

Seed inputs for the gobin fuzzers, generated at run time (no binaries are committed):

  * small synthetic Go ELF files, written from the formats' facts: .go.buildinfo (inline and
    pointer forms), .gopclntab (magic 0xfffffff0 with textStart, 0xfffffff1 with and without it,
    a runtime.firstmoduledata copy to find text by), .symtab, a little DWARF 4 with nested struct
    members, PIE and non-PIE. Small inputs keep the fuzzer fast and every mutation meaningful;
  * for each GO_BINARY (real matrix builds): the file itself, and a small synthetic binary that
    carries its real .go.buildinfo and the first functions of its real function names.
"""
import struct
import sys
from pathlib import Path

BASE = 0x400000
EM_X86_64 = 62
ET_EXEC, ET_DYN = 2, 3
SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_NOBITS = 1, 2, 3, 8
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
STT_OBJECT, STT_FUNC = 1, 2
STB_GLOBAL = 1
PT_LOAD = 1


def align(n, a):
    return (n + a - 1) // a * a


class Section:
    def __init__(self, name, data, type_=SHT_PROGBITS, flags=SHF_ALLOC, entsize=0, link=0,
                 info=0, addralign=8):
        self.name, self.data, self.type, self.flags = name, data, type_, flags
        self.entsize, self.link, self.info, self.addralign = entsize, link, info, addralign
        self.offset = self.addr = 0


def layout(sections, nphdr=1):
    """Give every section its file offset and, for allocated ones, an address = BASE + offset."""
    off = 64 + 56 * nphdr
    for s in sections:
        off = align(off, max(s.addralign, 1))
        s.offset = off
        s.addr = BASE + off if s.flags & SHF_ALLOC else 0
        off += len(s.data)
    return off


def write_elf(sections, etype=ET_EXEC):
    """An x86-64 ELF file: one PT_LOAD over the allocated sections, section headers at the end."""
    names = b"\0"
    name_off = {}
    for s in sections + [Section(".shstrtab", b"")]:
        name_off[s.name] = len(names)
        names += s.name.encode() + b"\0"
    shstr = Section(".shstrtab", names, SHT_STRTAB, 0, addralign=1)
    end = layout(sections + [shstr])
    alloc = [s for s in sections if s.flags & SHF_ALLOC]
    load_end = max((s.offset + len(s.data) for s in alloc), default=64 + 56)
    shoff = align(end, 8)
    shnum = len(sections) + 2
    out = bytearray(shoff + 64 * shnum)
    out[0:16] = b"\x7fELF\x02\x01\x01" + bytes(9)
    struct.pack_into("<HHIQQQIHHHHHH", out, 16, etype, EM_X86_64, 1, BASE + 64 + 56, 64, shoff,
                     0, 64, 56, 1, 64, shnum, shnum - 1)
    struct.pack_into("<IIQQQQQQ", out, 64, PT_LOAD, 7, 0, BASE, BASE, load_end, load_end, 0x1000)
    for i, s in enumerate(sections + [shstr], start=1):
        out[s.offset:s.offset + len(s.data)] = s.data
        struct.pack_into("<IIQQQQIIQQ", out, shoff + 64 * i, name_off[s.name], s.type, s.flags,
                         s.addr, s.offset, len(s.data), s.link, s.info, s.addralign, s.entsize)
    return bytes(out)


def uvarint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


MODINFO = ("path\texample.com/churn\nmod\texample.com/churn\t(devel)\t\n"
           "build\t-buildmode=exe\nbuild\t-compiler=gc\nbuild\t-ldflags=\"-s -w\"\n"
           "build\tCGO_ENABLED=1\nbuild\tGOARCH=amd64\nbuild\tGOOS=linux\n"
           "build\t\"odd key\"=\"x\\ty\\x41\\\"\"\n")


def buildinfo_inline(version="go1.27.0", modinfo=MODINFO):
    hdr = b"\xff Go buildinf:" + bytes([8, 2]) + bytes(16)
    v, m = version.encode(), modinfo.encode()
    return hdr + uvarint(len(v)) + v + uvarint(len(m)) + m


def pclntab(names, text_start, magic=0xFFFFFFF1, func_size=32):
    """A Go 1.18+ pc-line table for len(names) functions laid out func_size apart."""
    nfunc = len(names)
    funcnametab = b""
    nameoffs = []
    for n in names:
        nameoffs.append(len(funcnametab))
        funcnametab += n.encode() + b"\0"
    hdr_size = 8 + 8 * 8
    funcname_off = hdr_size
    cu_off = funcname_off + len(funcnametab)
    cutab = struct.pack("<I", 0)
    filetab_off = cu_off + len(cutab)
    filetab = b"x.go\0"
    pctab_off = filetab_off + len(filetab)
    pctab = b"\0\0"
    pcln_off = align(pctab_off + len(pctab), 8)
    functab_size = (2 * nfunc + 1) * 4
    funcs = b""
    ftab = b""
    for i in range(nfunc):
        funcoff = functab_size + len(funcs)
        ftab += struct.pack("<II", i * func_size, funcoff)
        # entryOff, nameOff, args, deferreturn, pcsp, pcfile, pcln, npcdata, cuOffset,
        # startLine, funcID/flag/pad/nfuncdata
        funcs += struct.pack("<IiiIIIIIIiI", i * func_size, nameoffs[i], 0, 0, 0, 0, 0, 0, 0,
                             1, 0)
    ftab += struct.pack("<I", nfunc * func_size)
    hdr = struct.pack("<IBBBB8Q", magic, 0, 0, 1, 8, nfunc, 1, text_start, funcname_off, cu_off,
                      filetab_off, pctab_off, pcln_off)
    body = hdr + funcnametab + cutab + filetab + pctab
    body += bytes(pcln_off - len(body))
    return body + ftab + funcs, funcname_off, pcln_off, nfunc


def moduledata(tab_addr, funcname_off, pcln_off, nfunc, text, etext):
    w = [0] * 24
    w[0] = tab_addr
    w[1] = tab_addr + funcname_off
    w[16], w[17], w[18] = tab_addr + pcln_off, nfunc + 1, nfunc + 1
    w[20], w[21], w[22], w[23] = text, etext, text, etext
    return struct.pack("<24Q", *w)


def symtab(syms, strtab_index):
    """syms: (name, section index, addr, size, type). Returns .symtab and .strtab sections."""
    strtab = b"\0"
    ent = bytes(24)
    for name, shndx, addr, size, typ in syms:
        off = len(strtab)
        strtab += name.encode() + b"\0"
        ent += struct.pack("<IBBHQQ", off, (STB_GLOBAL << 4) | typ, 0, shndx, addr, size)
    return (Section(".symtab", ent, SHT_SYMTAB, 0, 24, strtab_index, 1),
            Section(".strtab", strtab, SHT_STRTAB, 0, addralign=1))


# DWARF 4: a compile unit with base types, a typedef and structs with nested members.
DW_TAG_compile_unit, DW_TAG_structure_type, DW_TAG_member = 0x11, 0x13, 0x0D
DW_TAG_base_type, DW_TAG_typedef = 0x24, 0x16
DW_AT_name, DW_AT_byte_size, DW_AT_data_member_location, DW_AT_type = 0x03, 0x0B, 0x38, 0x49
DW_FORM_string, DW_FORM_udata, DW_FORM_ref4 = 0x08, 0x0F, 0x13


def debug_sections(typedef_loop=False):
    abbrev = b""
    for code, tag, children, attrs in [
        (1, DW_TAG_compile_unit, 1, [(DW_AT_name, DW_FORM_string)]),
        (2, DW_TAG_structure_type, 1, [(DW_AT_name, DW_FORM_string),
                                       (DW_AT_byte_size, DW_FORM_udata)]),
        (3, DW_TAG_member, 0, [(DW_AT_name, DW_FORM_string),
                               (DW_AT_data_member_location, DW_FORM_udata),
                               (DW_AT_type, DW_FORM_ref4)]),
        (4, DW_TAG_base_type, 0, [(DW_AT_name, DW_FORM_string), (DW_AT_byte_size, DW_FORM_udata)]),
        (5, DW_TAG_typedef, 0, [(DW_AT_name, DW_FORM_string), (DW_AT_type, DW_FORM_ref4)]),
    ]:
        abbrev += uvarint(code) + uvarint(tag) + bytes([children])
        for a, f in attrs:
            abbrev += uvarint(a) + uvarint(f)
        abbrev += b"\0\0"
    abbrev += b"\0"

    def s(x):
        return x.encode() + b"\0"

    # DIE offsets are CU-relative; the CU header is 11 bytes.
    int64_off = 11 + len(uvarint(1) + s("runtime"))
    die_int64 = uvarint(4) + s("int64") + uvarint(8)
    cpu_off = int64_off + len(die_int64)
    members = [("gcAssistTime", 0), ("gcTotalTime", 8)]
    die_cpu = uvarint(2) + s("runtime.cpuStats") + uvarint(16)
    for name, off in members:
        die_cpu += uvarint(3) + s(name) + uvarint(off) + struct.pack("<I", int64_off)
    die_cpu += b"\0"
    td_off = cpu_off + len(die_cpu)
    # A typedef that names itself: readers must not follow it forever.
    td_target = td_off if typedef_loop else cpu_off
    die_td = uvarint(5) + s("runtime.cpuStatsT") + struct.pack("<I", td_target)
    die_work = uvarint(2) + s("runtime.workType") + uvarint(64)
    die_work += uvarint(3) + s("tSweepTerm") + uvarint(0) + struct.pack("<I", int64_off)
    die_work += uvarint(3) + s("cpuStats") + uvarint(16) + struct.pack("<I", td_off)
    die_work += b"\0"
    die_ms = uvarint(2) + s("runtime.mstats") + uvarint(8)
    die_ms += uvarint(3) + s("numgc") + uvarint(4) + struct.pack("<I", int64_off) + b"\0"
    dies = uvarint(1) + s("runtime") + die_int64 + die_cpu + die_td + die_work + die_ms + b"\0"
    unit = struct.pack("<HIB", 4, 0, 8) + dies
    info = struct.pack("<I", len(unit)) + unit
    return [Section(".debug_abbrev", abbrev, flags=0, addralign=1),
            Section(".debug_info", info, flags=0, addralign=1)]


FUNC_NAMES = ["runtime.text_first", "runtime.main", "main.main", "runtime.freeStackSpans",
              "runtime.(*gcControllerState).startCycle", "main.main"]


def go_binary(names=FUNC_NAMES, magic=0xFFFFFFF1, header_text=True, with_md=False,
              with_syms=True, dwarf=False, pie=False, binfo=None, tab_name=".gopclntab",
              typedef_loop=False):
    """A synthetic Go binary; .text sits first so its address is known before the table is built."""
    nfunc = len(names)
    text = Section(".text", b"\xcc" * (32 * nfunc), flags=SHF_ALLOC | SHF_EXECINSTR, addralign=32)
    layout([text])
    tab, fn_off, pcln_off, _ = pclntab(names, text.addr if header_text else 0, magic)
    gotab = Section(tab_name, tab, flags=SHF_ALLOC | (SHF_WRITE if "rel.ro" in tab_name else 0))
    bi = Section(".go.buildinfo", binfo or buildinfo_inline(), flags=SHF_ALLOC | SHF_WRITE,
                 addralign=16)
    noptr = Section(".noptrdata", bytes(24 * 8), flags=SHF_ALLOC | SHF_WRITE)
    secs = [text, gotab, bi, noptr]
    layout(secs)
    if with_md:
        noptr.data = moduledata(gotab.addr, fn_off, pcln_off, nfunc, text.addr,
                                text.addr + 32 * nfunc)
    if dwarf:
        secs += debug_sections(typedef_loop)
    if with_syms:
        syms = [("runtime.text", 1, text.addr, 0, STT_FUNC),
                ("main.main", 1, text.addr + 64, 32, STT_FUNC),
                ("runtime.main", 1, text.addr + 32, 32, STT_FUNC),
                ("runtime.buildVersion", 4, noptr.addr, 16, STT_OBJECT)]
        st, sstr = symtab(syms, len(secs) + 2)
        secs += [st, sstr]
    return write_elf(secs, ET_DYN if pie else ET_EXEC)


def pointer_buildinfo_binary():
    """Pre-1.18 build info: two pointers to Go string headers in .noptrdata."""
    version, mod = b"go1.17.13", MODINFO.encode()
    text = Section(".text", b"\xcc" * 64, flags=SHF_ALLOC | SHF_EXECINSTR, addralign=32)
    bi = Section(".go.buildinfo", bytes(32), flags=SHF_ALLOC | SHF_WRITE, addralign=16)
    noptr = Section(".noptrdata", bytes(32) + version + mod, flags=SHF_ALLOC | SHF_WRITE)
    secs = [text, bi, noptr]
    layout(secs)
    vaddr, maddr = noptr.addr + 32, noptr.addr + 32 + len(version)
    noptr.data = struct.pack("<QQQQ", vaddr, len(version), maddr, len(mod)) + version + mod
    bi.data = b"\xff Go buildinf:" + bytes([8, 0]) + struct.pack("<QQ", noptr.addr,
                                                                  noptr.addr + 16)
    return write_elf(secs)


def section_bytes(data, name):
    """Contents of a named section of a real ELF file, or None."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def shdr(i):
        return struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
    stroff = shdr(shstrndx)[4]
    for i in range(shnum):
        h = shdr(i)
        n = data[stroff + h[0]:data.index(b"\0", stroff + h[0])].decode(errors="replace")
        if n == name:
            return data[h[4]:h[4] + h[5]]
    return None


def real_names(data, limit=12):
    """The first function names of a real binary's .gopclntab name table."""
    tab = section_bytes(data, ".gopclntab") or section_bytes(data, ".data.rel.ro.gopclntab")
    if not tab:
        return FUNC_NAMES
    fn_off, cu_off = struct.unpack_from("<QQ", tab, 32)
    names = [n.decode(errors="replace") for n in tab[fn_off:cu_off].split(b"\0") if n]
    return names[:limit] + ["main.main", "runtime.main"]


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    seeds = {
        "synth-f1": go_binary(),
        "synth-f0": go_binary(magic=0xFFFFFFF0),
        "synth-f1-text0-md": go_binary(header_text=False, with_md=True, with_syms=False),
        "synth-f1-text0-nosyms": go_binary(header_text=False, with_syms=False),
        "synth-f1-dwarf": go_binary(dwarf=True),
        "synth-pie": go_binary(pie=True, tab_name=".data.rel.ro.gopclntab"),
        "synth-version-only": go_binary(binfo=buildinfo_inline(modinfo="")),
        "synth-pointer-buildinfo": pointer_buildinfo_binary(),
        # Regressions: a module info length near 2^64, a typedef cycle in DWARF.
        "synth-modinfo-len-overflow": go_binary(
            binfo=buildinfo_inline(modinfo="")[:-1] + b"\xf0" + b"\xff" * 8 + b"\x01"),
        "synth-dwarf-typedef-loop": go_binary(dwarf=True, typedef_loop=True),
    }
    for i, path in enumerate(sys.argv[2:]):
        data = Path(path).read_bytes()
        seeds[f"real-{i}"] = data
        binfo = section_bytes(data, ".go.buildinfo")
        seeds[f"real-{i}-small"] = go_binary(names=real_names(data), binfo=binfo, dwarf=True)
    for name, data in seeds.items():
        (out / name).write_bytes(data)
    print(f"make_seeds: {len(seeds)} seeds in {out}")


if __name__ == "__main__":
    main()
