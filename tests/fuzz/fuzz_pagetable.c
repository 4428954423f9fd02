/* libFuzzer target for the page-table validator (pagetable.c): the input is a
 * program of mmu_update / pin / unpin / base / balloon steps on a small
 * domain; after every step the counts recomputed from the entries must
 * equal mm's own (pt_check), and no rule may be broken (a RAM frame as a
 * table, an upper-half entry, a mapping of a frame given back, a writable
 * mapping of a pool frame under ro_pool_maps). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../hypervisor/src/pagetable.h"

#define RAM 1024
#define POOL 24
#define POOL_GPA (8ULL << 20)
#define WIN_GPA (16ULL << 20)
#define STEP 12

static uint64_t flags_of(uint8_t b)
{
	uint64_t f = 0;
	if (b & 1) f |= PTE_P;
	if (b & 2) f |= PTE_RW;
	if (b & 4) f |= PTE_US;
	if (b & 8) f |= PTE_PS;
	if (b & 16) f |= PTE_NX;
	if (b & 32) f |= 0x18;          /* PWT PCD */
	return f;
}

static uint64_t value(const uint8_t *b)
{
	uint16_t n = (uint16_t)(b[1] | b[2] << 8);
	switch (b[0] % 6) {
	case 0: return (POOL_GPA + (uint64_t)(n % POOL) * 4096) | flags_of(b[3]);
	case 1: return (uint64_t)(n % (RAM + 8)) * 4096 | flags_of(b[3]);
	case 2: return ((uint64_t)(n % 4) << 21) | ((b[3] & 1) ? 0x1000 : 0) | PTE_PS | flags_of(b[3]);
	case 3: return (WIN_GPA + (uint64_t)(n % 6) * 4096) | flags_of(b[3]);
	case 4: { uint64_t v; memcpy(&v, b + 1, 7); return v; }
	default: return 0;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t pool[POOL * 512];
	struct pagetable m;
	memset(pool, 0, sizeof(pool));
	if (pt_init(&m, RAM, pool, POOL_GPA, POOL, 1))
		return 0;
	m.leaf_ok[0] = (struct pt_range){ WIN_GPA, 4 };
	/* An odd tail after the last step: the nested-paging rule (no writable
	 * map of a pool frame), which pt_check verifies too. */
	m.ro_pool_maps = (size % STEP) & 1;
	for (size_t off = 0; off + STEP <= size; off += STEP) {
		const uint8_t *b = data + off;
		uint64_t frame = POOL_GPA + (uint64_t)(b[1] % POOL) * 4096;
		unsigned idx = (unsigned)(b[2] | b[3] << 8) % 512;
		switch (b[0] % 7) {
		case 0: case 1:
			pt_update(&m, frame + idx * 8, value(b + 4));
			break;
		case 2: pt_pin(&m, frame, b[2] % 5); break;
		case 3: pt_unpin(&m, frame); break;
		case 4: pt_get_base(&m, frame); break;
		case 5: pt_put_base(&m, frame); break;
		case 6: {
			/* The balloon's rule: only a frame free to give is given back. */
			uint64_t g = (uint64_t)(b[2] | b[3] << 8) % RAM;
			if (m.ram_flags[g] & MMF_GIVEN_BACK)
				m.ram_flags[g] = 0;
			else if (pt_ram_free_to_give(&m, g))
				m.ram_flags[g] |= MMF_GIVEN_BACK;
			break;
		}
		}
		char why[256];
		if (pt_check(&m, why, sizeof(why))) {
			fprintf(stderr, "fuzz_pagetable: inconsistent after step %zu: %s\n", off / STEP, why);
			abort();
		}
	}
	pt_destroy(&m);
	return 0;
}
