#!/usr/bin/env python3
"""Writes the seed kernel files of fuzz_xenelf (tests/fuzz/seeds/xenelf/):
an ELF with Linux's set of Xen notes (as Debian 6.1's), the same with a
hypercall-page note, one with pvos's pvlab note, and the first wrapped in
bzImages (boot protocol 2.15) compressed with xz and gzip, the unpacked
size appended as Linux does. Small, so the fuzzer mutates headers and
notes rather than compressed bytes."""
import gzip, lzma, os, struct

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "xenelf")
VBASE, PADDR, MEMSZ = 0xffffffff80000000, 0x1000000, 0x200000

def note(name, typ, desc):
    n = name.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(n), len(desc), typ) + pad(n) + pad(desc)

def q(v): return struct.pack("<Q", v)
def l(v): return struct.pack("<I", v)

LINUX = [(6, b"linux\0"), (7, b"2.6\0"), (5, b"xen-3.0\0"), (3, q(VBASE)), (15, q(0x8000000000)),
         (1, q(VBASE + PADDR + 0x40)), (10, b"!writable_page_tables|pae_pgdir_above_4gb"),
         (17, l(0x801)), (9, b"yes\0"), (8, b"generic\0"), (13, q(1) + q(1)), (14, l(1)), (16, l(1)),
         (12, q(0xffff800000000000)), (4, q(0)), (18, l(PADDR + 0x850))]

def elf(notes):
    ph_off, text_off, notes_off = 64, 0x200, 0x300
    ehdr = (b"\x7fELF\x02\x01\x01" + b"\0" * 9 +
            struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, PADDR, ph_off, 0, 0, 64, 56, 2, 64, 0, 0))
    load = struct.pack("<IIQQQQQQ", 1, 5, text_off, VBASE + PADDR, PADDR, 0x40, MEMSZ, 0x1000)
    nt = struct.pack("<IIQQQQQQ", 4, 4, notes_off, 0, 0, len(notes), len(notes), 4)
    img = bytearray(notes_off + len(notes))
    img[0:64] = ehdr
    img[ph_off:ph_off + 112] = load + nt
    img[text_off:text_off + 0x40] = b"\x90" * 0x40
    img[notes_off:] = notes
    return bytes(img)

def bzimage(payload):
    pm, at = 2048, 0x100
    b = bytearray(pm + at + len(payload) + 16)
    b[0x1f1] = 3
    b[0x1fe:0x200] = b"\x55\xaa"
    b[0x202:0x206] = b"HdrS"
    b[0x206:0x208] = struct.pack("<H", 0x20f)
    b[0x248:0x250] = struct.pack("<II", at, len(payload))
    b[pm + at:pm + at + len(payload)] = payload
    return bytes(b)

linux = elf(b"".join(note("Xen", t, d) for t, d in LINUX))
seeds = {
    "linux": linux,
    "linux_hypercall_page": elf(b"".join(note("Xen", t, d) for t, d in LINUX + [(2, q(VBASE + PADDR + 0x1000))])),
    "pvos": elf(note("pvlab", 1, l(0x40001))),
    "bzimage_xz": bzimage(lzma.compress(linux, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32) + l(len(linux))),
    "bzimage_gzip": bzimage(gzip.compress(linux, mtime=0)),
}
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
