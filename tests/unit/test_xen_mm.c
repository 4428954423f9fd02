/* xen_mm.c: Xen's page types over a Linux PV domain's RAM frames, on plain
 * memory: a valid four-level table pins and counts every frame it names;
 * a table is never writable through a validated entry, nor a writable
 * frame a table; disallowed bits, frames outside RAM, loops and the
 * hypervisor's slots are refused with the counts left as they were;
 * unpinning gives every reference back; walks stop where the rules say;
 * a ballooned-out frame is nobody's until it comes back. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "../../hypervisor/src/xen_mm.h"

#define NF 64                    /* RAM frames; the shared-info frame is NF */
#define P  XMM_PTE_P
#define RW XMM_PTE_RW
#define US XMM_PTE_US
#define F(n) ((uint64_t)(n) << 12)

static uint64_t *ram;
static uint8_t shared[4096];
static struct xen_mm m;
static char why[200];

static uint64_t *tab(unsigned f)
{
	return ram + f * 512ULL;
}

static int consistent(const uint64_t *base, unsigned n)
{
	int rc = xmm_check(&m, base, n, why, sizeof(why));
	if (rc)
		fprintf(stderr, "xmm_check: %s\n", why);
	return rc;
}

/* L4 1 -> L3 2 -> L2 3 -> L1 4: frame 10 writable at va 0, frame 11 read-only at 0x1000. */
static void build(void)
{
	memset(ram, 0, NF * 4096ULL);
	tab(1)[0] = F(2) | P | RW;
	tab(2)[0] = F(3) | P | RW;
	tab(3)[0] = F(4) | P | RW;
	tab(4)[0] = F(10) | P | RW;
	tab(4)[1] = F(11) | P;
}

static void fresh(void)
{
	xmm_destroy(&m);
	CHECK_EQ(xmm_init(&m, ram, NF, NF, shared, NULL), 0);
	m.hv_l4e[0] = 0x1234000ULL | P;            /* slot 256: pvmon's M2P */
	m.hv_l4e[1] = 0x5678000ULL | P | RW;       /* slot 257: the stub */
	build();
}

static void pin_valid(void)
{
	fresh();
	tab(1)[256] = F(7) | P | RW;               /* the guest's word in a hypervisor slot: replaced */
	CHECK_EQ(xmm_pin(&m, 1, XMM_L4), 0);
	CHECK_EQ(m.pg[1].type, XMM_L4);
	CHECK_EQ(m.pg[1].pinned, 1);
	CHECK_EQ(m.pg[2].type, XMM_L3);
	CHECK_EQ(m.pg[3].type, XMM_L2);
	CHECK_EQ(m.pg[4].type, XMM_L1);
	CHECK_EQ(m.pg[10].type, XMM_WRITABLE);
	CHECK_EQ(m.pg[10].count, 1);
	CHECK_EQ(m.pg[11].count, 0);               /* read-only: no reference */
	CHECK_EQ(m.pg[7].count, 0);
	CHECK_EQ(tab(1)[256], m.hv_l4e[0]);
	CHECK_EQ(tab(1)[257], m.hv_l4e[1]);
	CHECK(tab(4)[0] & US);                     /* Xen adds _PAGE_USER: the kernel runs at CPL3 */
	CHECK_EQ(consistent(NULL, 0), 0);
	CHECK_EQ(xmm_pin(&m, 1, XMM_L4), -EINVAL); /* pinned twice */

	/* A table is never writable, nor a writable frame a table. */
	CHECK_EQ(xmm_update(&m, F(4) + 2 * 8, F(4) | P | RW, false), -EINVAL);
	CHECK_EQ(xmm_update(&m, F(4) + 2 * 8, F(3) | P | RW, false), -EINVAL);
	CHECK_EQ(xmm_update(&m, F(4) + 2 * 8, F(4) | P, false), 0);    /* read-only is fine */
	CHECK_EQ(xmm_get_type(&m, 10, XMM_L1), -EINVAL);
	CHECK_EQ(xmm_pin(&m, 10, XMM_L1), -EINVAL);
	/* The hypervisor's slots are pvmon's. */
	CHECK_EQ(xmm_update(&m, F(1) + 256 * 8, F(2) | P, false), -EPERM);
	CHECK_EQ(xmm_update(&m, F(1) + 271 * 8, 0, false), -EPERM);
	/* Disallowed bits, frames outside RAM, the shared-info frame. */
	CHECK_EQ(xmm_update(&m, F(3) + 1 * 8, F(5) | P | RW | 0x80, false), -EINVAL);   /* PSE */
	CHECK_EQ(xmm_update(&m, F(3) + 1 * 8, F(5) | P | RW | 0x100, false), -EINVAL);  /* G above L1 */
	CHECK_EQ(xmm_update(&m, F(4) + 3 * 8, F(12) | P | 0x10, false), -EINVAL);       /* PCD */
	CHECK_EQ(xmm_update(&m, F(4) + 3 * 8, F(NF + 1) | P, false), -EINVAL);
	CHECK_EQ(xmm_update(&m, F(4) + 3 * 8, F(NF) | P | RW, false), 0);               /* shared info: mappable */
	CHECK_EQ(xmm_update(&m, F(2) + 1 * 8, F(NF) | P | RW, false), -EINVAL);         /* ... never a table */
	CHECK_EQ(xmm_update(&m, F(4) + 3 * 8 + 4, 0, false), -EINVAL);                  /* misaligned */
	CHECK_EQ(xmm_update(&m, F(NF) , 0, false), -EINVAL);
	CHECK_EQ(m.pg[5].count, 0);
	CHECK_EQ(consistent(NULL, 0), 0);

	/* A new L1 under L2 slot 1: validated when it is linked. */
	tab(5)[0] = F(12) | P | RW;
	CHECK_EQ(xmm_update(&m, F(3) + 1 * 8, F(5) | P | RW, false), 0);
	CHECK_EQ(m.pg[5].type, XMM_L1);
	CHECK_EQ(m.pg[12].type, XMM_WRITABLE);
	/* A write into an untyped frame is a plain store. */
	CHECK_EQ(xmm_update(&m, F(20) + 8, 0xabcULL, false), 0);
	CHECK_EQ(tab(20)[1], 0xabcULL);
	/* preserve_ad keeps the accessed and dirty bits the entry had. */
	tab(4)[0] |= XMM_PTE_A | XMM_PTE_D;
	CHECK_EQ(xmm_update(&m, F(4), F(10) | P | RW, true), 0);
	CHECK_EQ(tab(4)[0] & (XMM_PTE_A | XMM_PTE_D), XMM_PTE_A | XMM_PTE_D);
	CHECK_EQ(consistent(NULL, 0), 0);

	/* Walks. */
	uint64_t ma = 0, l1e = 0;
	CHECK_EQ(xmm_walk(&m, 1, 0x123, true, &ma, &l1e), 0);
	CHECK_EQ(ma, F(10) + 0x123);
	CHECK_EQ(l1e, F(4));
	CHECK_EQ(xmm_walk(&m, 1, 0x1008, false, &ma, NULL), 0);
	CHECK_EQ(ma, F(11) + 8);
	CHECK_EQ(xmm_walk(&m, 1, 0x1008, true, &ma, NULL), -EFAULT);    /* read-only */
	CHECK_EQ(xmm_walk(&m, 1, 0x4000, false, &ma, NULL), -EFAULT);   /* not present */
	CHECK_EQ(xmm_walk(&m, 1, 0xffff800000000000ULL, false, &ma, NULL), -EFAULT);   /* slot 256 */
	CHECK_EQ(xmm_walk(&m, 1, 0x0000800000000000ULL, false, &ma, NULL), -EFAULT);   /* not canonical */
	CHECK_EQ(xmm_walk(&m, NF + 5, 0, false, &ma, NULL), -EFAULT);
	CHECK(xmm_host(&m, F(NF) + 8, 8) == shared + 8);
	CHECK(xmm_host(&m, F(3) + 4090, 8) == NULL);                     /* crosses a frame */
	CHECK(xmm_host(&m, F(NF + 1), 1) == NULL);

	/* Unpinned, everything goes back; pvmon's slots stay in the frame (the
	 * CPU may still be on it until the stub loads the next CR3). */
	CHECK_EQ(xmm_unpin(&m, 1), 0);
	CHECK_EQ(xmm_unpin(&m, 1), -EINVAL);
	for (unsigned f = 0; f < NF; f++)
		CHECK_EQ(m.pg[f].count, 0);
	CHECK_EQ(tab(1)[256], m.hv_l4e[0]);
	CHECK(!m.corrupt);
}

/* A base reference (NEW_BASEPTR) keeps an unpinned L4 typed. */
static void base_reference(void)
{
	fresh();
	CHECK_EQ(xmm_pin(&m, 1, XMM_L4), 0);
	CHECK_EQ(xmm_get_type(&m, 1, XMM_L4), 0);
	uint64_t base = 1;
	CHECK_EQ(consistent(&base, 1), 0);
	CHECK_EQ(xmm_unpin(&m, 1), 0);
	CHECK_EQ(m.pg[1].type, XMM_L4);
	CHECK_EQ(m.pg[4].type, XMM_L1);
	CHECK_EQ(consistent(&base, 1), 0);
	xmm_put_type(&m, 1);
	CHECK_EQ(m.pg[4].count, 0);
	xmm_put_type(&m, 1);                        /* once too often: noticed, and every later call fails */
	CHECK(m.corrupt != NULL);
	CHECK_EQ(xmm_pin(&m, 1, XMM_L4), -EIO);
}

/* Refusals leave the counts as they were. */
static void refusals(void)
{
	fresh();
	tab(1)[1] = F(1) | P | RW;                  /* the L4 names itself */
	CHECK_EQ(xmm_pin(&m, 1, XMM_L4), -EINVAL);
	for (unsigned f = 0; f < NF; f++)
		CHECK_EQ(m.pg[f].count, 0);
	build();
	tab(4)[5] = F(3) | P | RW;                  /* an L1 maps a table writable, after valid entries */
	CHECK_EQ(xmm_pin(&m, 1, XMM_L4), -EINVAL);
	for (unsigned f = 0; f < NF; f++)
		CHECK_EQ(m.pg[f].count, 0);
	build();
	tab(2)[3] = F(3) | P | RW;                  /* two L3 entries name one L2: fine (count 2) */
	CHECK_EQ(xmm_pin(&m, 1, XMM_L4), 0);
	CHECK_EQ(m.pg[3].count, 2);
	CHECK_EQ(m.pg[4].count, 1);
	CHECK_EQ(consistent(NULL, 0), 0);
	CHECK_EQ(xmm_pin(&m, 2, XMM_L2), -EINVAL);  /* typed L3 already */
	CHECK_EQ(xmm_pin(&m, 3, XMM_L2), 0);        /* its own type: a pin is one more */
	CHECK_EQ(m.pg[3].count, 3);
	CHECK_EQ(xmm_unpin(&m, 1), 0);
	CHECK_EQ(m.pg[3].count, 1);
	CHECK_EQ(m.pg[4].type, XMM_L1);
	CHECK_EQ(xmm_unpin(&m, 3), 0);
	for (unsigned f = 0; f < NF; f++)
		CHECK_EQ(m.pg[f].count, 0);
	CHECK_EQ(xmm_pin(&m, NF, XMM_L1), -EINVAL);
	CHECK_EQ(xmm_pin(&m, 4, XMM_WRITABLE), -EINVAL);
	CHECK(!m.corrupt);
}

/* The balloon: out goes a data frame (even one still mapped, as in Xen),
 * never a table, the shared-info frame or a frame twice; while out no
 * entry, type, store, walk or host pointer reaches it. */
static void balloon(void)
{
	uint64_t ma;
	fresh();
	CHECK_EQ(xmm_pin(&m, 1, XMM_L4), 0);
	CHECK_EQ(xmm_balloon_out(&m, 4), -EBUSY);          /* the L1 */
	CHECK_EQ(xmm_balloon_out(&m, NF), -EINVAL);        /* shared info, outside RAM */
	CHECK_EQ(xmm_balloon_out(&m, 10), 0);              /* mapped writable at va 0: allowed */
	CHECK_EQ(xmm_balloon_out(&m, 10), -EINVAL);
	CHECK_EQ(xmm_balloon_out(&m, 20), 0);
	CHECK_EQ(m.out_frames, 2);
	CHECK_EQ(consistent(NULL, 0), 0);
	CHECK_EQ(xmm_update(&m, F(4) + 2 * 8, F(20) | P, false), -EINVAL);   /* no new mapping, read-only either */
	CHECK_EQ(xmm_update(&m, F(20), 0x1234, false), -EINVAL);             /* no store into it */
	CHECK_EQ(xmm_get_type(&m, 20, XMM_L1), -EINVAL);
	CHECK(xmm_host(&m, F(10), 8) == NULL);
	CHECK_EQ(xmm_walk(&m, 1, 0, false, &ma, NULL), -EFAULT);             /* the old mapping leads nowhere */
	CHECK_EQ(xmm_balloon_in(&m, 11), -EINVAL);         /* never out */
	CHECK_EQ(xmm_balloon_in(&m, 20), 0);
	CHECK_EQ(xmm_balloon_in(&m, 20), -EINVAL);
	CHECK_EQ(xmm_update(&m, F(4) + 2 * 8, F(20) | P | RW, false), 0);
	CHECK_EQ(m.pg[20].count, 1);
	CHECK_EQ(xmm_balloon_in(&m, 10), 0);
	CHECK_EQ(xmm_walk(&m, 1, 0, true, &ma, NULL), 0);
	CHECK_EQ(ma, F(10));
	CHECK_EQ(m.out_frames, 0);
	CHECK_EQ(m.given, 2);
	CHECK_EQ(m.taken, 2);
	CHECK_EQ(consistent(NULL, 0), 0);
	m.out_frames = 1;                                   /* a count gone wrong is found */
	CHECK_EQ(xmm_check(&m, NULL, 0, why, sizeof(why)), -EINVAL);
	m.out_frames = 0;
	CHECK(!m.corrupt);
}

/* Shadow paging: what pvmon's own writes took from KVM's translations. */
static unsigned zaps;
static void count_zap(void *ctx, uint64_t mfn)
{
	(void)ctx;
	(void)mfn;
	zaps++;
}

static void shadow(void)
{
	fresh();
	m.shadow = true;
	m.zap = count_zap;
	zaps = 0;
	CHECK_EQ(xmm_pin(&m, 1, XMM_L4), 0);
	CHECK_EQ(zaps, 4);                                   /* each frame that became a table: L4, L3, L2, L1 */
	CHECK_EQ(m.pg[4].walked, 1);
	CHECK_EQ(xmm_update(&m, F(4) + 2 * 8, F(12) | P, false), 0);         /* a new entry: nothing lost */
	CHECK_EQ(m.nlost, 0);
	CHECK_EQ(xmm_update(&m, F(4) + 2 * 8, F(12) | P | RW, false), 0);    /* a right added: nothing lost */
	CHECK_EQ(m.nlost, 0);
	CHECK_EQ(xmm_update(&m, F(4), F(10) | P, false), 0);                /* writable to read-only: 10 */
	CHECK_EQ(xmm_update(&m, F(4) + 8, F(13) | P, false), 0);            /* another frame: 11 */
	CHECK_EQ(xmm_update(&m, F(4) + 2 * 8, 0, false), 0);                /* cleared: 12 */
	CHECK_EQ(m.nlost, 3);
	CHECK_EQ(m.lost[0], 10);
	CHECK_EQ(m.lost[1], 11);
	CHECK_EQ(m.lost[2], 12);
	CHECK(!m.lost_all);
	tab(5)[0] = 0;
	CHECK_EQ(xmm_update(&m, F(3) + 8, F(5) | P | RW, false), 0);        /* an L2 entry added (5 becomes an L1) */
	CHECK_EQ(zaps, 5);
	CHECK(!m.lost_all);
	CHECK_EQ(xmm_update(&m, F(3) + 8, 0, false), 0);                    /* and taken away: everything */
	CHECK(m.lost_all);
	CHECK_EQ(m.pg[5].walked, 1);                          /* no longer a table, still maybe shadowed */
	xmm_shadow_reset(&m);
	CHECK(!m.lost_all);
	CHECK_EQ(m.nlost, 0);
	CHECK_EQ(m.pg[5].walked, 0);
	CHECK_EQ(m.pg[4].walked, 1);
	CHECK_EQ(xmm_update(&m, F(5), 0x1234, false), 0);                   /* a store into a frame KVM never walked */
	CHECK(!m.lost_all);
	CHECK_EQ(xmm_pin(&m, 5, XMM_L1), 0);
	CHECK_EQ(xmm_unpin(&m, 5), 0);
	CHECK_EQ(xmm_update(&m, F(5), 0x5678, false), 0);                   /* into one it may have: everything */
	CHECK(m.lost_all);
	CHECK_EQ(consistent(NULL, 0), 0);
	m.shadow = false;
	m.zap = NULL;
}

/* Xen's TLB clock: a frame whose last writable mapping went may become
 * a table only after the flush hook (with the stamp of that drop); a
 * frame never writable, or a refused hook, as the rules say. */
static int flush_calls, flush_rc;
static uint64_t flush_stamp;

static int flush_hook(void *ctx, uint64_t stamp)
{
	CHECK(ctx == &m);
	flush_calls++;
	flush_stamp = stamp;
	return flush_rc;
}

static void tlb_clock(void)
{
	fresh();
	m.flush = flush_hook;
	m.flush_ctx = &m;
	flush_calls = 0;
	flush_rc = 0;
	CHECK_EQ(xmm_pin(&m, 1, XMM_L4), 0);
	CHECK_EQ(m.pg[10].count, 1);
	CHECK_EQ(flush_calls, 0);                    /* none of the tables was ever writable */
	*m.tlb_clock = 7;
	CHECK_EQ(xmm_update(&m, F(4), F(10) | P, false), 0);   /* frame 10's writable mapping goes */
	CHECK_EQ(m.pg[10].count, 0);
	CHECK_EQ(m.pg[10].wstamp, 7);
	*m.tlb_clock = 9;
	flush_rc = -ETIMEDOUT;
	CHECK_EQ(xmm_pin(&m, 10, XMM_L1), -ETIMEDOUT);   /* the flush failed: no type */
	CHECK_EQ(m.pg[10].count, 0);
	CHECK_EQ(flush_calls, 1);
	CHECK_EQ(flush_stamp, 7);
	flush_rc = 0;
	CHECK_EQ(xmm_pin(&m, 10, XMM_L1), 0);
	CHECK_EQ(flush_calls, 2);
	CHECK_EQ(m.flushes, 1);
	CHECK_EQ(xmm_pin(&m, 12, XMM_L1), 0);            /* never writable: no flush */
	CHECK_EQ(flush_calls, 2);
	CHECK(!m.corrupt);
}

int main(void)
{
	ram = aligned_alloc(4096, NF * 4096ULL);
	if (!ram)
		return 1;
	pin_valid();
	base_reference();
	refusals();
	balloon();
	shadow();
	tlb_clock();
	xmm_destroy(&m);
	free(ram);
	return CHECK_DONE();
}
