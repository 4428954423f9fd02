/* pagetable.c without KVM: page-table types, counts and every validation rule,
 * with pt_check (counts recomputed from the entries) after each step. */
#include <errno.h>
#include <stdlib.h>
#include "check.h"
#include "../../hypervisor/src/pagetable.h"

#define RAM 1024            /* frames: 4 MiB */
#define POOL 32
#define POOL_GPA (8ULL << 20)
#define WIN_GPA (16ULL << 20)
#define RW (PTE_P | PTE_RW | PTE_US)

static struct pagetable m;
static uint64_t *pool;

static uint64_t F(int i) { return POOL_GPA + (uint64_t)i * 4096; }     /* pool frame gpa */
static uint64_t E(int frame, int idx) { return F(frame) + (uint64_t)idx * 8; }  /* entry ptr */
static uint64_t at(int frame, int idx) { return pool[frame * 512 + idx]; }

static void consistent(int line)
{
	char why[256];
	int rc = pt_check(&m, why, sizeof(why));
	if (rc)
		fprintf(stderr, "line %d: %s\n", line, why);
	CHECK_EQ(rc, 0);
}
#define CONSISTENT() consistent(__LINE__)

/* L4 in frame 1 -> L3 frame 2 -> L2 frame 3 -> L1 frame 4 mapping RAM 16..19. */
static void build(void)
{
	CHECK_EQ(pt_update(&m, E(1, 0), F(2) | RW), 0);     /* free frames: stored as is */
	CHECK_EQ(pt_update(&m, E(2, 0), F(3) | RW), 0);
	CHECK_EQ(pt_update(&m, E(3, 0), F(4) | RW), 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(pt_update(&m, E(4, i), (uint64_t)(16 + i) * 4096 | RW), 0);
	CHECK_EQ(pt_pin(&m, F(1), PT_L4), 0);
}

int main(void)
{
	pool = calloc(POOL * 512, sizeof(uint64_t));
	CHECK_EQ(pt_init(&m, RAM, pool, POOL_GPA, POOL, 1), 0);
	m.leaf_ok[0] = (struct pt_range){ WIN_GPA, 4 };
	m.hv_l4e = F(0) | RW;                    /* every L4's hypervisor slot (PT_HV_SLOT) */

	/* Building then pinning types the whole tree and counts the mappings. */
	build();
	CONSISTENT();
	CHECK_EQ(m.pf[1].type, PT_L4);
	CHECK_EQ(m.pf[2].type, PT_L3);
	CHECK_EQ(m.pf[3].type, PT_L2);
	CHECK_EQ(m.pf[4].type, PT_L1);
	CHECK_EQ(m.pf[4].count, 1);
	CHECK_EQ(m.map_count[16], 1);
	CHECK(at(4, 0) & PTE_A);                 /* pvmon sets accessed and dirty */
	CHECK(at(4, 0) & PTE_D);
	CHECK(!pt_ram_free_to_give(&m, 16));
	CHECK(pt_ram_free_to_give(&m, 20));
	CHECK_EQ(pt_pin(&m, F(1), PT_L4), -EBUSY);           /* pinned twice */

	/* Rules for typed frames. */
	CHECK_EQ(pt_update(&m, E(1, 256), F(5) | RW), -EPERM);           /* upper half */
	CHECK_EQ(pt_update(&m, E(1, 1), 0x5000 | RW), -EINVAL);          /* RAM as a table */
	CHECK_EQ(pt_update(&m, E(1, 1), F(1) | RW), -EBUSY);             /* itself: an L4, not an L3 */
	CHECK_EQ(pt_update(&m, E(2, 1), F(4) | RW), -EBUSY);             /* an L1 as an L2 */
	CHECK_EQ(pt_update(&m, E(2, 1), F(0) | RW), -EINVAL);            /* the hypervisor area */
	CHECK_EQ(pt_update(&m, E(2, 1), PTE_PS | RW), -EINVAL);          /* 1 GiB page */
	CHECK_EQ(pt_update(&m, E(4, 5), (uint64_t)RAM * 4096 | RW), -EINVAL);  /* past RAM */
	CHECK_EQ(pt_update(&m, E(4, 5), (POOL_GPA - 4096) | RW), -EINVAL);     /* the hole */
	CHECK_EQ(pt_update(&m, E(4, 5), F(2) | RW), 0);                  /* a pool frame: read-only slot */
	CHECK_EQ(pt_update(&m, E(4, 6), WIN_GPA | RW), 0);               /* a grant window frame */
	CHECK_EQ(pt_update(&m, E(4, 7), (WIN_GPA + 4 * 4096) | RW), -EINVAL);  /* past the window */
	CHECK_EQ(pt_update(&m, E(3, 1), 0x200000 | PTE_PS | RW), 0);     /* 2 MiB page of RAM */
	CHECK_EQ(m.map_count[512], 1);
	CHECK_EQ(m.map_count[1023], 1);
	CHECK_EQ(pt_update(&m, E(3, 2), 0x400000 | PTE_PS | RW), -EINVAL);     /* runs past RAM */
	CHECK_EQ(pt_update(&m, E(3, 2), 0x202000 | PTE_PS | RW), -EINVAL);     /* misaligned */
	CHECK_EQ(pt_update(&m, E(0, 0), 1), -EPERM);                     /* hv area is pvmon's */
	CHECK_EQ(pt_update(&m, E(1, 0) + 1, 0), -EINVAL);                /* misaligned ptr */
	CHECK_EQ(pt_update(&m, POOL_GPA + POOL * 4096ULL, 0), -EFAULT);  /* ptr past the pool */
	CHECK_EQ(pt_update(&m, 0x1000, 0), -EFAULT);                     /* ptr in RAM */
	CHECK_EQ(pt_update(&m, E(1, 300), 0x1234), 0);                   /* not present: anything */
	CONSISTENT();

	/* Rights lost make the next flush drop cached translations; additions do not. */
	CHECK(pt_take_stale(&m) == false);
	CHECK_EQ(pt_update(&m, E(4, 10), 30 * 4096 | RW), 0);
	CHECK(pt_take_stale(&m) == false);
	CHECK_EQ(pt_update(&m, E(4, 10), 30 * 4096 | PTE_P | PTE_US | PTE_RW | PTE_NX), 0);
	CHECK(pt_take_stale(&m) == true);
	CHECK_EQ(pt_update(&m, E(4, 10), 30 * 4096 | PTE_P | PTE_US), 0);  /* read-only now */
	CHECK(pt_take_stale(&m) == true);
	CHECK_EQ(pt_update(&m, E(4, 10), 0), 0);
	CHECK(pt_take_stale(&m) == true);
	CHECK_EQ(m.map_count[30], 0);

	/* A frame given back cannot be mapped. */
	m.ram_flags[40] |= MMF_GIVEN_BACK;
	CHECK_EQ(pt_update(&m, E(4, 11), 40 * 4096 | RW), -EINVAL);
	CHECK_EQ(pt_update(&m, E(3, 3), 0 | PTE_PS | RW), -EINVAL);     /* a 2 MiB page over it */
	m.ram_flags[40] = 0;

	/* A promotion that fails leaves nothing behind: frame 6 holds a good
	 * entry and a bad one; linking it as an L1 is refused and undone. */
	CHECK_EQ(pt_update(&m, E(6, 0), 50 * 4096 | RW), 0);
	CHECK_EQ(pt_update(&m, E(6, 1), (uint64_t)RAM * 4096 | RW), 0);
	CHECK_EQ(pt_update(&m, E(3, 4), F(6) | RW), -EINVAL);
	CHECK_EQ(m.pf[6].type, PT_FREE);
	CHECK_EQ(m.map_count[50], 0);
	CONSISTENT();

	/* A base pointer holds the L4; unpinning leaves it typed until the base goes. */
	CHECK_EQ(pt_get_base(&m, F(1)), 0);
	CHECK_EQ(pt_unpin(&m, F(1)), 0);
	CHECK_EQ(m.pf[1].type, PT_L4);
	CHECK_EQ(pt_unpin(&m, F(1)), -EINVAL);
	CHECK_EQ(pt_clear(&m, F(1)), -EBUSY);                            /* typed: not cleared */
	pt_put_base(&m, F(1));
	CONSISTENT();
	for (int f = 1; f <= 6; f++)
		CHECK_EQ(m.pf[f].type, PT_FREE);
	for (int g = 0; g < RAM; g++)
		if (m.map_count[g])
			CHECK_EQ(m.map_count[g], 0);
	CHECK(pt_ram_free_to_give(&m, 16));
	CHECK(pt_take_stale(&m) == true);                                /* tables were freed */
	CHECK_EQ(pt_clear(&m, F(1)), 0);
	CHECK_EQ(at(1, 0), 0);

	/* Base pointers validate a free frame as an L4 too; a table shared by two
	 * parents is counted twice. */
	build();
	CHECK_EQ(pt_update(&m, E(7, 0), F(2) | RW), 0);
	CHECK_EQ(pt_get_base(&m, F(7)), 0);
	CHECK_EQ(m.pf[2].count, 2);
	CHECK_EQ(pt_get_base(&m, 0x1000), -EINVAL);                      /* RAM */
	CHECK_EQ(pt_get_base(&m, F(4)), -EBUSY);                         /* an L1 */
	CONSISTENT();
	pt_put_base(&m, F(7));
	CHECK_EQ(m.pf[2].count, 1);
	CONSISTENT();

	/* Nested paging (ro_pool_maps): the pool slot is writable, so no L1
	 * entry may map a pool frame writable. Frame 4 still holds the
	 * writable map of frame 2 made above: pt_check now sees it. */
	char why[256];
	m.ro_pool_maps = true;
	CHECK_EQ(pt_check(&m, why, sizeof(why)), -EIO);
	CHECK_EQ(pt_update(&m, E(4, 5), F(2) | PTE_P | PTE_US), 0);      /* read-only: allowed */
	CONSISTENT();
	CHECK_EQ(pt_update(&m, E(4, 5), F(2) | RW), -EPERM);             /* a table, writable */
	CHECK_EQ(pt_update(&m, E(4, 8), F(0) | RW), -EPERM);             /* the hypervisor area */
	CHECK_EQ(pt_update(&m, E(4, 8), F(POOL - 1) | RW), -EPERM);      /* a free pool frame */
	CHECK_EQ(pt_update(&m, E(4, 8), F(0) | PTE_P), 0);
	CHECK_EQ(pt_update(&m, E(4, 9), F(POOL) | PTE_P), -EINVAL);       /* past the pool (twins) */
	CHECK_EQ(pt_update(&m, E(4, 9), WIN_GPA | RW), 0);               /* grant windows and RAM stay */
	CHECK_EQ(pt_update(&m, E(4, 10), 60 * 4096 | RW), 0);
	CHECK_EQ(at(4, 5) & (PTE_A | PTE_D), PTE_A | PTE_D);            /* nothing left for the walker */
	CONSISTENT();
	/* Written while free, checked at promotion, and undone when refused. */
	CHECK_EQ(pt_update(&m, E(8, 0), 61 * 4096 | RW), 0);
	CHECK_EQ(pt_update(&m, E(8, 1), F(3) | RW), 0);
	CHECK_EQ(pt_update(&m, E(3, 5), F(8) | RW), -EPERM);
	CHECK_EQ(m.pf[8].type, PT_FREE);
	CHECK_EQ(m.map_count[61], 0);
	CHECK_EQ(pt_pin(&m, F(8), PT_L1), -EPERM);
	CHECK_EQ(pt_update(&m, E(8, 1), F(3) | PTE_P | PTE_NX), 0);
	CHECK_EQ(pt_pin(&m, F(8), PT_L1), 0);
	CONSISTENT();
	CHECK_EQ(pt_unpin(&m, F(8)), 0);
	CONSISTENT();

	/* The hypervisor slot: pvmon's entry in every L4, whatever the frame
	 * held while free; never a guest update; empty again once untyped. */
	CHECK_EQ(pt_update(&m, E(9, PT_HV_SLOT), F(10) | RW), 0);        /* free: stored */
	CHECK_EQ(pt_pin(&m, F(9), PT_L4), 0);
	CHECK_EQ(at(9, PT_HV_SLOT), F(0) | RW);
	CHECK_EQ(m.pf[10].type, PT_FREE);                                /* the guest's L3 was not taken */
	CHECK_EQ(pt_update(&m, E(9, PT_HV_SLOT), F(10) | RW), -EPERM);
	CHECK_EQ(pt_update(&m, E(9, PT_HV_SLOT), 0), -EPERM);
	CONSISTENT();
	pool[9 * 512 + PT_HV_SLOT] = 0;                                  /* changed behind mm's back */
	CHECK_EQ(pt_check(&m, why, sizeof(why)), -EIO);
	pool[9 * 512 + PT_HV_SLOT] = F(0) | RW;
	CHECK_EQ(pt_unpin(&m, F(9)), 0);
	CHECK_EQ(at(9, PT_HV_SLOT), 0);
	CONSISTENT();

	/* Defence in depth: an entry of a typed table rewritten behind mm's
	 * back (a CPU with the pool writable, under nested paging) names a
	 * 2 MiB page far outside RAM. Releasing it must not index the counts
	 * with it: mm marks itself corrupt, refuses everything after, and the
	 * owner crashes the domain with the reason. */
	CHECK_EQ(pt_update(&m, E(11, 0), 0x200000 | PTE_PS | RW), 0);
	CHECK_EQ(pt_pin(&m, F(11), PT_L2), 0);
	CHECK(pt_corrupt(&m) == NULL);
	pool[11 * 512] = (1ULL << 50) | PTE_PS | RW | PTE_A | PTE_D;     /* gfn 2^38 */
	CHECK_EQ(pt_unpin(&m, F(11)), 0);
	CHECK(pt_corrupt(&m) != NULL);
	CHECK_EQ(pt_update(&m, E(4, 11), 70 * 4096 | RW), -EIO);
	CHECK_EQ(pt_pin(&m, F(12), PT_L1), -EIO);
	CHECK_EQ(pt_check(&m, why, sizeof(why)), -EIO);
	fprintf(stderr, "corrupt, as it should be: %s\n", why);

	pt_destroy(&m);
	free(pool);
	return CHECK_DONE();
}
