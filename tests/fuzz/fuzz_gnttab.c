/* libFuzzer target for grant tables (gnttab.c): three domains without KVM
 * (their memory laid out by memory.c, their kernel tables by the real
 * builder) run a program of guest-side entry writes and grant_table_op
 * calls taken from the input, plus page-table and balloon-flag changes.
 * After every step: each domain's page-table accounting is consistent
 * (pt_check); every foreign count equals the maps that exist; every mapped
 * window frame shows the granter's frame (the same page); the frames
 * behind all RAM are a permutation of the pages there were (a page flip
 * swaps, never duplicates or loses). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../hypervisor/src/domain.h"
#include "../../hypervisor/src/hypercall.h"
#include "../../hypervisor/src/gnttab.h"
#include "../../hypervisor/src/memory.h"
#include "../../hypervisor/src/pvmon.h"
#include "../unit/fakedom.h"

#define NDOM 3
#define MIB 4
#define FRAMES (MIB * 256)
#define ARG 0x10000ULL        /* guest-physical = kernel-virtual scratch for op structs */
#define TABLE 0x20000ULL      /* each domain's grant table (4 entries a frame... 512) */
#define STEP 16


/* The hypercall with its arguments in registers, as the dispatcher calls it. */
static long gnttab_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t count)
{
	const uint64_t a[5] = { cmd, arg, count };
	return hc_grant_table_op(v, a);
}

static struct domain *doms[NDOM];
static struct memfile *files[NDOM];  /* each domain's own RAM file, as created */

static void die(const char *why, int a, int b)
{
	fprintf(stderr, "fuzz_gnttab: %s (%d, %d)\n", why, a, b);
	abort();
}

static struct domain *mkdom(uint32_t id)
{
	struct domain *d = fakedom(id, MIB);
	files[id - 1] = d->p2m[0].file;
	return d;
}

static void check(void)
{
	char why[256];
	uint64_t foreign[NDOM][FRAMES] = { { 0 } };
	for (int i = 0; i < NDOM; i++) {
		struct domain *d = doms[i];
		if (pt_check(&d->pt, why, sizeof(why)))
			die(why, i, 0);
		for (int h = 0; h < 2 * PV_GNTTAB_WINDOW_FRAMES; h++) {
			struct gnt_map *m = &d->gnt.maps[h];
			if (!m->granter)
				continue;
			int gi = (int)m->granter->id - 1;
			foreign[gi][m->gfn]++;
			uint8_t *win = (h < PV_GNTTAB_WINDOW_FRAMES ? d->grant_rw : d->grant_ro) +
			               (uint64_t)(h % PV_GNTTAB_WINDOW_FRAMES) * 4096;
			if (memcmp(win, m->granter->mem + m->gfn * 4096, 4096))
				die("a mapped window frame is not the granter's frame", i, h);
		}
	}
	/* Every (file, page) behind RAM appears once: flips swap, never copy. */
	static uint8_t seen[NDOM][FRAMES];
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < NDOM; i++)
		for (uint64_t g = 0; g < FRAMES; g++) {
			if (doms[i]->pt.foreign[g] != foreign[i][g])
				die("a foreign count differs from the maps", i, (int)g);
			const struct p2m_entry *e = &doms[i]->p2m[g];
			int owner = -1;
			for (int j = 0; j < NDOM; j++)
				if (e->file == files[j])
					owner = j;
			if (owner < 0 || e->pgoff >= FRAMES || seen[owner][e->pgoff]++)
				die("a frame's backing is lost or doubled", i, (int)g);
		}
}

/* What a guest might put in an entry: a frame, a domain and flags. */
static void entry_write(struct domain *d, const uint8_t *b)
{
	uint32_t ref = b[1] % 8;
	struct pv_grant_entry e = {
		.flags = (uint16_t)(b[2] & 0x3f),
		.domid = (uint16_t)(b[3] % 5),
		.frame = (uint32_t)((b[4] | b[5] << 8) % (FRAMES + 16)),
	};
	memcpy(d->mem + TABLE + ref * sizeof(e), &e, sizeof(e));
}

static void op(struct domain *d, const uint8_t *b)
{
	struct vcpu *v = &d->vcpus[0];
	uint8_t *arg = d->mem + ARG;
	uint32_t peer = (uint32_t)(b[3] % 5);
	switch (b[1] % 6) {
	case 0: {
		struct pv_gnttab_setup s = { TABLE, 8, 0 };
		memcpy(arg, &s, sizeof(s));
		gnttab_op(v, PV_GNTTABOP_setup_table, ARG, 0);
		break;
	}
	case 1: {
		struct pv_gnttab_map m = { .dom = peer, .ref = b[4] % 9, .flags = b[5] & 1 };
		memcpy(arg, &m, sizeof(m));
		gnttab_op(v, PV_GNTTABOP_map_grant_ref, ARG, 1);
		break;
	}
	case 2: {
		struct pv_gnttab_unmap u = { (uint32_t)(b[4] | b[5] << 8) % 520, 0 };
		memcpy(arg, &u, sizeof(u));
		gnttab_op(v, PV_GNTTABOP_unmap_grant_ref, ARG, 1);
		break;
	}
	case 3: {
		struct pv_gnttab_copy c = {
			.source = { peer, b[4] % 9, b[6] * 16u, 0 },
			.dest = { (uint32_t)(b[7] % 5), (uint32_t)(b[8] | b[9] << 8) % (FRAMES + 4), b[10] * 16u, 0 },
			.len = (uint32_t)(b[11] | b[12] << 8) % 4200, .flags = b[5] & 3,
		};
		memcpy(arg, &c, sizeof(c));
		gnttab_op(v, PV_GNTTABOP_copy, ARG, 1);
		break;
	}
	case 4: {
		struct pv_gnttab_transfer t = { (uint64_t)(b[4] | b[5] << 8) % (FRAMES + 4), peer, b[6] % 9, 0, 0 };
		memcpy(arg, &t, sizeof(t));
		gnttab_op(v, PV_GNTTABOP_transfer, ARG, 1);
		break;
	}
	default: {
		/* The domain unmaps a frame from its kernel space (or maps it again),
		 * making it free to give away, or not. */
		uint64_t g = (uint64_t)(b[4] | b[5] << 8) % FRAMES;
		if (g < 0x40)
			break;                           /* its scratch and table stay mapped */
		uint64_t slot = 0, e = 0;
		int64_t f = -1;
		for (uint64_t t = v->kernel_cr3, lvl = 4; lvl >= 1; lvl--) {
			slot = t + (((g * 4096) >> (12 + 9 * (lvl - 1))) & 511) * 8;
			if ((f = pt_pool_index(&d->pt, slot)) < 0)
				return;
			e = d->pool[f * 512 + ((slot >> 3) & 511)];
			t = e & PTE_ADDR;
		}
		pthread_mutex_lock(&d->pt.lock);
		pt_update(&d->pt, slot, (e & PTE_P) ? 0 : (g * 4096) | PTE_P | PTE_RW | PTE_US);
		pthread_mutex_unlock(&d->pt.lock);
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		for (uint32_t i = 0; i < NDOM; i++)
			doms[i] = mkdom(i + 1);
		ready = 1;
	}
	for (size_t off = 0; off + STEP <= size; off += STEP) {
		const uint8_t *b = data + off;
		struct domain *d = doms[b[0] % NDOM];
		if (b[0] & 0x80)
			entry_write(d, b);
		else
			op(d, b);
		if (getenv("FUZZ_GNTTAB_VERBOSE")) {
			int32_t st;
			memcpy(&st, d->mem + ARG + (b[1] % 6 == 1 ? 12 : b[1] % 6 == 2 ? 4 : b[1] % 6 == 3 ? 40 : 16), 4);
			fprintf(stderr, "step %zu: dom %u %s %u: status %d, flips %lu\n", off / STEP, d->id,
			        b[0] & 0x80 ? "entry" : "op", b[1] % 6, st, (unsigned long)atomic_load(&d->page_flips));
		}
		check();
	}
	/* Leave no maps for the next input: the state of frames carries over,
	 * which the permutation check covers too. */
	for (int i = 0; i < NDOM; i++)
		gnttab_teardown(doms[i]);
	check();
	return 0;
}
