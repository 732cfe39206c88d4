#!/usr/bin/env python3
"""make_hostile.py [OUTDIR]

Writes tests/fuzz/corpus-hostile/ (or OUTDIR): small Go-looking ELF files, each broken in one way
a hostile binary could be, for tests/unit/test_unit_hostile.py and a pass of every fuzzer. The
output is deterministic and committed; rerun this after changing it and commit the result.

Each file starts from make_seeds.py's synthetic Go binary (built with 130 functions, so that
.text covers 0x401000, the address the test asks a source line for) and breaks one thing:
the ELF header, the section headers, .gopclntab's header, function table and pc-value tables,
.go.buildinfo's varints, or DWARF references.
"""
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_seeds as ms  # noqa: E402

NAMES = [f"main.f{i}" for i in range(128)] + ["main.main", "runtime.main"]
OUT = Path(__file__).resolve().parent / "corpus-hostile"


def sections(data):
    """{name: (header offset, sh_offset, sh_size)} of an ELF file make_seeds wrote."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shnum, shstrndx = struct.unpack_from("<HH", data, 0x3C)
    stroff = struct.unpack_from("<Q", data, shoff + shstrndx * 64 + 24)[0]
    out = {}
    for i in range(shnum):
        h = shoff + i * 64
        name_at = struct.unpack_from("<I", data, h)[0]
        name = data[stroff + name_at:data.index(b"\0", stroff + name_at)].decode()
        off, size = struct.unpack_from("<QQ", data, h + 24)
        out[name] = (h, off, size)
    return out


def patch(data, at, fmt, *vals):
    out = bytearray(data)
    struct.pack_into(fmt, out, at, *vals)
    return bytes(out)


def base(**kw):
    return ms.go_binary(names=NAMES, dwarf=True, **kw)


def shdr(data, name, field_off, fmt, val):
    return patch(data, sections(data)[name][0] + field_off, fmt, val)


def pcln(data, name=".gopclntab"):
    return sections(data)[name][1]


# .gopclntab header (Go 1.18+): magic, pad, minLC, ptrSize, then nfunc, nfiles, textStart,
# funcnameOffset, cuOffset, filetabOffset, pctabOffset, pclnOffset (8 bytes each).
HDR_NFUNC, HDR_FUNCNAME, HDR_PCTAB, HDR_PCLN = 8, 32, 56, 64


def functab(data):
    """File offset of the function table (pairs of entryoff, funcoff) and of the first _func."""
    t = pcln(data)
    ftab = t + struct.unpack_from("<Q", data, t + HDR_PCLN)[0]
    funcoff = struct.unpack_from("<I", data, ftab + 4)[0]
    return ftab, ftab + funcoff


def all_funcs(data, field, val):
    """Set one _func field of every function."""
    ftab, _ = functab(data)
    for i in range(len(NAMES)):
        funcoff = struct.unpack_from("<I", data, ftab + 8 * i + 4)[0]
        data = patch(data, ftab + funcoff + field, "<I", val)
    return data


def with_pctab(data, table):
    """Point every function's pcfile and pcln at table, written over the end of the name table
    (the functions' names are lost; the test asks for them anyway)."""
    t = pcln(data)
    fn_off, cu_off = struct.unpack_from("<QQ", data, t + HDR_FUNCNAME)
    room = cu_off - fn_off - 1
    table = (table * (room // len(table) + 1))[:room] if len(table) < room else table[:room]
    out = bytearray(data)
    out[t + fn_off + 1:t + fn_off + 1 + len(table)] = table
    data = patch(bytes(out), t + HDR_PCTAB, "<Q", fn_off)
    return all_funcs(all_funcs(data, 20, 1), 24, 1)


def name_unterminated(data):
    """Every function named by the last byte of .gopclntab, made non-zero: no NUL before the end."""
    t, size = pcln(data), sections(data)[".gopclntab"][2]
    data = patch(data, t + size - 1, "<B", 0x41)
    return all_funcs(data, 4, size - 1 - struct.unpack_from("<Q", data, t + HDR_FUNCNAME)[0])


def corpus():
    good = base()
    n = len(good)
    s = sections(good)
    t = pcln(good)
    ftab, func0 = functab(good)
    bi = s[".go.buildinfo"][1]
    bi_hdr = b"\xff Go buildinf:" + bytes([8, 2]) + bytes(16)
    files = {
        # The ELF header.
        "elf-empty": b"",
        "elf-magic-only": b"\x7fELF",
        "elf-header-truncated-40": good[:40],
        "elf-header-truncated-63": good[:63],
        "elf-32bit-class": patch(good, 4, "<B", 1),
        "elf-big-endian": patch(good, 5, "<B", 2),
        "elf-shoff-past-eof": patch(good, 0x28, "<Q", n + 4096),
        "elf-shoff-2^63": patch(good, 0x28, "<Q", 1 << 63),
        "elf-shoff-wraps": patch(good, 0x28, "<Q", (1 << 64) - 64),
        "elf-shnum-65535": patch(good, 0x3C, "<H", 0xFFFF),
        "elf-shstrndx-out-of-range": patch(good, 0x3E, "<H", 0xFFF0),
        "elf-shentsize-0": patch(good, 0x3A, "<H", 0),
        "elf-phoff-past-eof": patch(good, 0x20, "<Q", 1 << 62),
        "elf-phnum-65535": patch(good, 0x38, "<H", 0xFFFF),
        "elf-truncated-half": good[:n // 2],
        "elf-no-section-headers": good[:s[".shstrtab"][1]],
        # Section headers pointing past the end of the file, or sized to wrap.
        "shdr-gopclntab-offset-past-eof": shdr(good, ".gopclntab", 24, "<Q", n + 0x10000),
        "shdr-gopclntab-size-2^63": shdr(good, ".gopclntab", 32, "<Q", 1 << 63),
        "shdr-gopclntab-offset-wraps": shdr(good, ".gopclntab", 24, "<Q", (1 << 64) - 8),
        "shdr-buildinfo-size-past-eof": shdr(good, ".go.buildinfo", 32, "<Q", n * 16),
        "shdr-symtab-size-2^62": shdr(good, ".symtab", 32, "<Q", 1 << 62),
        "shdr-symtab-link-out-of-range": shdr(good, ".symtab", 40, "<I", 0xFFFF),
        "shdr-symtab-entsize-0": shdr(good, ".symtab", 56, "<Q", 0),
        "shdr-shstrtab-offset-past-eof": shdr(good, ".shstrtab", 24, "<Q", n * 4),
        "shdr-name-offset-past-shstrtab": shdr(good, ".gopclntab", 0, "<I", 0xFFFFFF00),
        "shdr-debug-info-past-eof": shdr(good, ".debug_info", 32, "<Q", n * 8),
        "shdr-text-addr-wraps": shdr(good, ".text", 16, "<Q", (1 << 64) - 16),
        # .gopclntab header.
        "pclntab-nfunc-2^60": patch(good, t + HDR_NFUNC, "<Q", 1 << 60),
        "pclntab-nfunc-2^64-1": patch(good, t + HDR_NFUNC, "<Q", (1 << 64) - 1),
        "pclntab-nfunc-2^29": patch(good, t + HDR_NFUNC, "<Q", 1 << 29),
        "pclntab-pclnoffset-past-end": patch(good, t + HDR_PCLN, "<Q", 1 << 40),
        "pclntab-pclnoffset-wraps": patch(good, t + HDR_PCLN, "<Q", (1 << 64) - 4),
        "pclntab-funcnameoffset-past-end": patch(good, t + HDR_FUNCNAME, "<Q", 1 << 62),
        "pclntab-bad-magic": patch(good, t, "<I", 0xFFFFFFFB),
        "pclntab-ptrsize-0-minlc-0": patch(good, t + 6, "<BB", 0, 0),
        "pclntab-truncated-header": shdr(good, ".gopclntab", 32, "<Q", 20),
        # .gopclntab function table and _func records.
        "pclntab-funcoff-past-end": patch(good, ftab + 4, "<I", 0xFFFFFFFF),
        "pclntab-funcoff-at-end": patch(good, ftab + 4, "<I", s[".gopclntab"][2] - 8),
        "pclntab-entries-descending": patch(good, ftab + 8, "<I", 0xFFFFFF00),
        "pclntab-nameoff-past-end": all_funcs(good, 4, 0x7FFFFFFF),
        "pclntab-nameoff-negative": all_funcs(good, 4, 0xFFFFFFFF),
        "pclntab-name-unterminated": name_unterminated(good),
        "pclntab-cuoffset-past-end": all_funcs(with_pctab(good, b"\x02\x02\x00"), 32, 0x7FFFFFF0),
        "pclntab-pcln-offset-past-end": all_funcs(all_funcs(good, 20, 0xFFFFFFF0), 24, 0xFFFFFFF0),
        # pc-value tables that never terminate: a value step with no pc step, forever; a varint
        # whose continuation bit never clears; a varint longer than 32 bits.
        "pcvalue-pc-never-advances": with_pctab(good, b"\x02\x00"),
        "pcvalue-varint-never-ends": with_pctab(good, b"\xff"),
        "pcvalue-varint-too-long": with_pctab(good, b"\x02" + b"\xff" * 9 + b"\x01"),
        "pcvalue-pc-delta-2^32": with_pctab(good, b"\x02\xff\xff\xff\xff\x0f\x00"),
        # .go.buildinfo lengths.
        "buildinfo-version-len-2^63": base(binfo=bi_hdr + ms.uvarint(1 << 63) + b"go1.27.0"),
        "buildinfo-version-len-2^64-1": base(binfo=bi_hdr + ms.uvarint((1 << 64) - 1) + b"go"),
        "buildinfo-modinfo-len-2^62": base(
            binfo=bi_hdr + ms.uvarint(8) + b"go1.27.0" + ms.uvarint(1 << 62) + b"path\tx\n"),
        "buildinfo-varint-never-ends": base(binfo=bi_hdr + b"\xff" * 64),
        "buildinfo-varint-11-bytes": base(binfo=bi_hdr + b"\x88" * 10 + b"\x01" + b"go1.27.0"),
        "buildinfo-header-only": base(binfo=bi_hdr[:14]),
        "buildinfo-pointer-form-dangling": base(
            binfo=b"\xff Go buildinf:" + bytes([8, 0]) + struct.pack("<QQ", 1 << 63, 0x10)),
        "buildinfo-version-unterminated": base(binfo=bi_hdr + ms.uvarint(24) + b"go1." + b"9" * 20),
        # DWARF references.
        "dwarf-typedef-self": ms.go_binary(names=NAMES, dwarf=True, typedef_loop=True),
        "dwarf-unit-length-2^32-2": patch(good, sections(good)[".debug_info"][1], "<I", 0xFFFFFFFE),
        "dwarf-abbrev-offset-past-end": patch(good, sections(good)[".debug_info"][1] + 6, "<I",
                                              0x7FFFFFFF),
        "dwarf-abbrev-empty": shdr(good, ".debug_abbrev", 32, "<Q", 0),
    }
    files.update(dwarf_self_refs(good))
    return files


def dwarf_self_refs(good):
    """Members whose DW_AT_type is the member itself, or lies past the unit."""
    info = good[sections(good)[".debug_info"][1]:]
    out = {}
    # Member DIEs: abbrev 3, name, udata offset, ref4 type. Find "gcAssistTime"'s member.
    at = info.index(b"gcAssistTime\0")
    die = at - 1                                  # the abbrev code byte
    ref = at + len(b"gcAssistTime\0") + 1          # after the udata offset (one byte)
    base_off = sections(good)[".debug_info"][1]
    out["dwarf-member-type-self"] = patch(good, base_off + ref, "<I", die)
    out["dwarf-member-type-past-unit"] = patch(good, base_off + ref, "<I", 0x7FFFFFFF)
    out["dwarf-member-type-0"] = patch(good, base_off + ref, "<I", 0)
    work = info.index(b"cpuStats\0") + len(b"cpuStats\0") + 1
    # runtime.workType.cpuStats -> the workType struct itself (a struct containing itself).
    wt = info.index(b"runtime.workType\0") - 1
    out["dwarf-struct-contains-itself"] = patch(good, base_off + work, "<I", wt)
    return out


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    out.mkdir(parents=True, exist_ok=True)
    files = corpus()
    for old in out.iterdir():
        if old.name not in files:
            old.unlink()
    for name, data in sorted(files.items()):
        (out / name).write_bytes(data)
    print(f"make_hostile: {len(files)} files in {out}")


if __name__ == "__main__":
    main()
