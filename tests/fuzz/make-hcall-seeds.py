#!/usr/bin/env python3
"""Writes the seed programs of fuzz_hcall (tests/fuzz/seeds/hcall/): each a
short guest that reaches a deep state the fuzzer then mutates around (the
balloon with a gfn named twice, a long mmu_update batch whose status copy
fails halfway, iret frames, event channels, poll). The step format is
fuzz_hcall.c's: 40 bytes a step; b[0] >= 0xc0 writes b[8:40] to the
argument page at 32 * (b[1] % 128); else b[0] is the hypercall number and
five 6-byte arguments follow at b[8:], each [kind, p1..p5]."""
import os, struct, sys

ARG = 0x10000
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "hcall")

def write(slot, data):
    data = data.ljust(32, b"\0")
    assert len(data) == 32
    return bytes([0xc0, slot]) + b"\0" * 6 + data

def small(v): return bytes([0, v, 0, 0, 0, 0])                   # kind 0: p1
def argp(off): return bytes([1, off & 0xff, off >> 8, 0, 0, 0])  # kind 1: ARG + off
def raw(v): return bytes([8]) + struct.pack("<Q", v)[:5]         # kind 8: 40 bits
def call(nr, *args):
    args = list(args) + [small(0)] * (5 - len(args))
    return bytes([nr]) + b"\0" * 7 + b"".join(args) + b"\0\0"

def wide(slot, data):                                            # several 32-byte writes
    data = data.ljust((len(data) + 31) // 32 * 32, b"\0")
    return b"".join(write(slot + i, data[32 * i:32 * i + 32]) for i in range(len(data) // 32))

HC = dict(console_io=0, sched_op=1, set_timer_op=2, event_channel_op=3, multicall=4, iret=8,
          mmuext_op=10, mmu_update=13, memory_op=14)
FRAMES = 4 << 8                       # the target's 4 MiB domain
seeds = {}
# The balloon: a frame the kernel left unmapped, named twice in each batch.
top = FRAMES - 1
seeds["balloon"] = (write(1, struct.pack("<QQ", top, top)) + write(0, struct.pack("<QII", ARG + 32, 2, 0)) +
                    call(HC["memory_op"], small(0), argp(0)) + call(HC["memory_op"], small(1), argp(0)) +
                    call(HC["memory_op"], small(2)))
# mmu_update: two requests applied whose status cannot be copied back (just
# past RAM), then 300 requests (two slices) whose status array ends at RAM's end.
reqs = struct.pack("<QQ", 0x600000 + 4 * 4096 + 8, 0) * 2
seeds["mmu_batch"] = (wide(0, reqs) + call(HC["mmu_update"], argp(0), small(2), argp(0x800)) +
                      call(HC["mmu_update"], argp(0), small(2), raw(4 << 20)) +
                      call(HC["mmu_update"], argp(0), raw(300), raw((4 << 20) - 256 * 4)))
# iret: a frame at the argument page, and one with an upper-half rsp.
frame = struct.pack("<23Q", *([0] * 18 + [0x100000, 0x202, 0x200000, 0, 0]))
bad = struct.pack("<23Q", *([0] * 18 + [0x100000, 0x202, 1 << 47, 0, 0]))
seeds["iret"] = (wide(0, frame) + call(HC["iret"], argp(0)) + wide(8, bad) + call(HC["iret"], argp(256)))
# Event channels: bind the timer VIRQ, send, mask by hand, unmask, status, close.
seeds["evtchn"] = (write(0, struct.pack("<III", 0, 0, 0)) + call(HC["event_channel_op"], small(2), argp(0)) +
                   write(1, struct.pack("<I", 1)) + call(HC["event_channel_op"], small(3), argp(32)) +
                   call(HC["event_channel_op"], small(6), argp(32)) + call(HC["event_channel_op"], small(5), argp(32)) +
                   call(HC["set_timer_op"], small(1)) + call(HC["event_channel_op"], small(4), argp(32)))
# poll with a timeout already past.
seeds["poll"] = (write(1, struct.pack("<I", 5)) + write(0, struct.pack("<QIIQ", ARG + 32, 1, 0, 1)) +
                 call(HC["sched_op"], small(3), argp(0)))
# A multicall of the above: nested calls, iret refused inside.
mc = struct.pack("<QQ5Q", HC["memory_op"], 0, 2, 0, 0, 0, 0) + struct.pack("<QQ5Q", HC["iret"], 0, ARG, 0, 0, 0, 0)
seeds["multicall"] = wide(0, mc) + call(HC["multicall"], argp(0), small(2))

os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    assert len(data) % 40 == 0, name
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print("wrote", len(seeds), "seeds to", out, file=sys.stderr)
