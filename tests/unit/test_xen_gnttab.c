/* xen_gnttab.c: a back end's access to a frame a Linux PV domain granted
 * it, on plain memory: only a GTF_permit_access entry naming that back
 * end's domain, only reads of a read-only grant, only the domain's own
 * RAM frames that are in; a write access holds the frame writable (it
 * cannot become a page table meanwhile) and GTF_writing set; the flags
 * go back when the last access does; a failure leaves the entry as it was. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include "../../hypervisor/src/xen_public.h"
#include "../../hypervisor/src/xen_gnttab.h"

#define NF 64
#define P XMM_PTE_P
#define RW XMM_PTE_RW

static uint64_t *ram;
static uint8_t shared[5 * 4096] __attribute__((aligned(4096)));
static struct xen_mm m;
static struct xgnt g;

static void grant(unsigned ref, uint16_t flags, uint16_t dom, uint64_t frame)
{
	g.e[ref].flags = flags;
	g.e[ref].domid = dom;
	g.e[ref].frame = (uint32_t)frame;
}

int main(void)
{
	ram = aligned_alloc(4096, NF * 4096ULL);
	memset(ram, 0, NF * 4096ULL);
	CHECK_EQ(xmm_init(&m, ram, NF, NF, shared, NULL), 0);
	m.shared_n = 5;
	g.e = (grant_entry_v1_t *)(shared + 4096);
	g.nr = 512;                    /* one frame set up */
	uint64_t mfn = 0;

	/* Read and write access to a good grant; flags as Xen sets them. */
	grant(1, GTF_permit_access, 0, 10);
	CHECK_EQ(xgnt_acquire(&g, &m, 1, 0, false, &mfn), 0);
	CHECK_EQ(mfn, 10);
	CHECK_EQ(g.e[1].flags, GTF_permit_access | GTF_reading);
	CHECK_EQ(xgnt_acquire(&g, &m, 1, 0, true, &mfn), 0);
	CHECK_EQ(g.e[1].flags, GTF_permit_access | GTF_reading | GTF_writing);
	CHECK_EQ(m.pg[10].type, XMM_WRITABLE);
	CHECK_EQ(m.pg[10].count, 1);
	/* While written, the frame cannot become a table. */
	CHECK_EQ(xmm_pin(&m, 10, XMM_L1), -EINVAL);
	xgnt_release(&g, &m, 1, true, 10);
	CHECK_EQ(g.e[1].flags, GTF_permit_access | GTF_reading);   /* the read access is still held */
	CHECK_EQ(m.pg[10].count, 0);
	xgnt_release(&g, &m, 1, false, 10);
	CHECK_EQ(g.e[1].flags, GTF_permit_access);
	xgnt_release(&g, &m, 1, false, 10);                          /* one too many: nothing */
	CHECK_EQ(g.e[1].flags, GTF_permit_access);
	CHECK_EQ(xmm_pin(&m, 10, XMM_L1), 0);                        /* free again: it may */

	/* Refusals, each leaving the entry's flags as they were. */
	CHECK_EQ(xgnt_acquire(&g, &m, 512, 0, false, &mfn), -EINVAL);          /* beyond the frames set up */
	CHECK_EQ(xgnt_acquire(&g, &m, 0xffffffffu, 0, false, &mfn), -EINVAL);
	grant(2, GTF_permit_access, 3, 11);
	CHECK_EQ(xgnt_acquire(&g, &m, 2, 0, false, &mfn), -EINVAL);            /* granted to domain 3 */
	CHECK_EQ(g.e[2].flags, GTF_permit_access);
	grant(3, GTF_accept_transfer, 0, 11);
	CHECK_EQ(xgnt_acquire(&g, &m, 3, 0, false, &mfn), -EINVAL);            /* not an access grant */
	grant(4, GTF_invalid, 0, 11);
	CHECK_EQ(xgnt_acquire(&g, &m, 4, 0, false, &mfn), -EINVAL);
	grant(5, GTF_permit_access | GTF_readonly, 0, 12);
	CHECK_EQ(xgnt_acquire(&g, &m, 5, 0, true, &mfn), -EPERM);              /* write to a read-only grant */
	CHECK_EQ(g.e[5].flags, GTF_permit_access | GTF_readonly);
	CHECK_EQ(xgnt_acquire(&g, &m, 5, 0, false, &mfn), 0);                  /* a read of it is fine */
	xgnt_release(&g, &m, 5, false, mfn);
	grant(6, GTF_permit_access, 0, 10);                                    /* frame 10 is a pinned L1 now */
	CHECK_EQ(xgnt_acquire(&g, &m, 6, 0, true, &mfn), -EPERM);
	CHECK_EQ(g.e[6].flags, GTF_permit_access);
	CHECK_EQ(xgnt_acquire(&g, &m, 6, 0, false, &mfn), 0);                  /* reading a table is Xen's rule too */
	xgnt_release(&g, &m, 6, false, mfn);
	grant(7, GTF_permit_access, 0, NF);                                    /* the shared-info frame */
	CHECK_EQ(xgnt_acquire(&g, &m, 7, 0, false, &mfn), -EINVAL);
	grant(8, GTF_permit_access, 0, 0xfffff);
	CHECK_EQ(xgnt_acquire(&g, &m, 8, 0, true, &mfn), -EINVAL);
	CHECK_EQ(g.e[8].flags, GTF_permit_access);
	CHECK_EQ(xmm_balloon_out(&m, 13), 0);
	grant(9, GTF_permit_access, 0, 13);
	CHECK_EQ(xgnt_acquire(&g, &m, 9, 0, false, &mfn), -EINVAL);            /* ballooned out */
	CHECK_EQ(xmm_balloon_in(&m, 13), 0);
	CHECK_EQ(xgnt_acquire(&g, &m, 9, 0, false, &mfn), 0);
	xgnt_release(&g, &m, 9, false, mfn);

	/* A write access failing while a read is held keeps GTF_reading. */
	CHECK_EQ(xgnt_acquire(&g, &m, 6, 0, false, &mfn), 0);
	CHECK_EQ(xgnt_acquire(&g, &m, 6, 0, true, &mfn), -EPERM);
	CHECK_EQ(g.e[6].flags, GTF_permit_access | GTF_reading);
	xgnt_release(&g, &m, 6, false, 10);
	CHECK_EQ(g.e[6].flags, GTF_permit_access);

	/* The table set up larger: entries of the second frame count. */
	grant(600, GTF_permit_access, 0, 14);
	CHECK_EQ(xgnt_acquire(&g, &m, 600, 0, false, &mfn), -EINVAL);
	g.nr = 1024;
	CHECK_EQ(xgnt_acquire(&g, &m, 600, 0, false, &mfn), 0);
	xgnt_release(&g, &m, 600, false, mfn);

	xmm_destroy(&m);
	free(ram);
	return CHECK_DONE();
}
