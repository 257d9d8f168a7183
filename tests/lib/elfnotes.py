#!/usr/bin/python3
"""Print the notes of an ELF64 core file, for tests.

An independent reader (not the project's C code): it honours e_phoff and
PN_XNUM, walks every PT_NOTE segment and prints either the VMCOREINFO text
(--vmcoreinfo) or one line per note: NAME TYPE DESCSZ.
"""
import struct
import sys

PT_NOTE = 4
PN_XNUM = 0xFFFF


def program_headers(f):
    ident = f.read(64)
    if ident[:4] != b"\x7fELF" or ident[4] != 2:
        raise SystemExit(f"{f.name}: not an ELF64 file")
    (phoff, shoff) = struct.unpack_from("<QQ", ident, 32)
    (phentsize, phnum, shentsize) = struct.unpack_from("<HHH", ident, 54)
    if phnum == PN_XNUM:
        f.seek(shoff)
        sh0 = f.read(shentsize)
        phnum = struct.unpack_from("<I", sh0, 44)[0]
    f.seek(phoff)
    raw = f.read(phentsize * phnum)
    for i in range(phnum):
        yield struct.unpack_from("<IIQQQQQQ", raw, i * phentsize)


def notes(path):
    with open(path, "rb") as f:
        for ph in list(program_headers(f)):
            (ptype, _, offset, _, _, filesz, _, _) = ph
            if ptype != PT_NOTE:
                continue
            f.seek(offset)
            blob = f.read(filesz)
            pos = 0
            while pos + 12 <= len(blob):
                namesz, descsz, ntype = struct.unpack_from("<III", blob, pos)
                pos += 12
                name = blob[pos:pos + namesz].rstrip(b"\0").decode()
                pos += (namesz + 3) & ~3
                desc = blob[pos:pos + descsz]
                pos += (descsz + 3) & ~3
                if namesz == 0 and descsz == 0:
                    break
                yield name, ntype, desc


def main():
    args = sys.argv[1:]
    want_vmcoreinfo = "--vmcoreinfo" in args
    paths = [a for a in args if not a.startswith("--")]
    if len(paths) != 1:
        raise SystemExit("usage: elfnotes.py [--vmcoreinfo] FILE")
    for name, ntype, desc in notes(paths[0]):
        if want_vmcoreinfo:
            if name == "VMCOREINFO":
                sys.stdout.write(desc.rstrip(b"\0").decode())
        else:
            print(name, ntype, len(desc))


if __name__ == "__main__":
    main()
