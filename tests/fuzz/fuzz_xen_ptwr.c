/* libFuzzer target for Xen-mode emulated page-table writes (xen_ptwr.c,
 * as xen_trap.c's ptwr uses it, against xen_mm.c): a small Linux-like
 * domain whose L4 1 -> L3 2 -> L2 3 -> L1 4 is pinned, and a program of
 * steps, each an instruction's bytes, a source register, the
 * accumulator, the entry of L1 4 and the byte inside it written. Each
 * step decodes, applies and, where the instruction writes, validates the
 * new entry as pvmon does. After every step: the decoder's fields are in
 * range, the result fits the operand, a refused entry left the table as
 * it was, the counts recomputed from the tables equal xen_mm's (no table
 * writable, no frame two types), nothing is marked corrupt; a write that
 * went through is exactly the entry the instruction makes. */
#include <stdint.h>
#include <string.h>
#include "../../hypervisor/src/xen_ptwr.h"
#include "xmm_fuzz.h"

#define NF 16
#define STEP 34

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xen_mm m;
	uint64_t *ram = xmm_fuzz_domain(&m, NF);
	ram[1 * 512] = 2ULL << 12 | XMM_PTE_P | XMM_PTE_RW;
	ram[2 * 512] = 3ULL << 12 | XMM_PTE_P | XMM_PTE_RW;
	ram[3 * 512] = 4ULL << 12 | XMM_PTE_P | XMM_PTE_RW;
	for (unsigned i = 0; i < 8; i++)           /* data frames 8..15, writable and read-only */
		ram[4 * 512 + i] = (uint64_t)(8 + i) << 12 | XMM_PTE_P | (i & 1 ? 0 : XMM_PTE_RW);
	if (xmm_pin(&m, 1, XMM_L4))
		xmm_fuzz_fail("setup", "the tables do not pin");
	for (size_t at = 0; at + STEP <= size; at += STEP) {
		const uint8_t *s = data + at;
		uint8_t b[16] = { 0 };
		memcpy(b, s, 15);
		struct xen_ptwr_insn in;
		if (!xen_ptwr_decode(b, &in))
			continue;
		if (in.len == 0 || in.len > 15 || (in.size != 1 && in.size != 4 && in.size != 8) || in.reg > 15)
			xmm_fuzz_fail("decode", "a field out of range");
		uint64_t src, rax;
		memcpy(&src, s + 16, 8);
		memcpy(&rax, s + 24, 8);
		if (in.has_imm)
			src = in.imm;
		unsigned idx = s[32] % 16, off = s[33] & 7;   /* entries 0..15 of L1 4 */
		if (off + in.size > 8 || (off & (in.size - 1)))
			continue;                            /* ptwr: not inside one entry */
		uint64_t entry = 4 * 4096ULL + idx * 8, shift = off * 8ULL;
		uint64_t vmask = in.size == 8 ? ~0ULL : (1ULL << (in.size * 8)) - 1;
		uint64_t old = ram[entry / 8], val, fl;
		int write = xen_ptwr_apply(&in, (old >> shift) & vmask, src, rax, 0x202, &val, &fl);
		if (write < -1 || write > 1 || (val & ~vmask))
			xmm_fuzz_fail("apply", "a result outside the operand");
		if (write <= 0) {
			if (write == 0 && val != ((old >> shift) & vmask))
				xmm_fuzz_fail("apply", "no write, but a new value");
			continue;
		}
		uint64_t new = (old & ~(vmask << shift)) | (val << shift);
		int rc = xmm_update(&m, entry, new, false);
		if (rc && ram[entry / 8] != old)
			xmm_fuzz_fail("update", "a refused entry changed the table");
		if (!rc && ram[entry / 8] != xmm_adjust(new, XMM_L1))
			xmm_fuzz_fail("update", "the entry is not the one the instruction made");
		xmm_fuzz_check(&m, NULL, 0);
	}
	if (xmm_unpin(&m, 1))
		xmm_fuzz_fail("unpin", "the L4 is no longer pinned");
	xmm_fuzz_end(&m);
	return 0;
}
