/* Validated page tables: typed, reference-counted pool frames, as in Xen.
 * This is pure bookkeeping over two arrays (the pool's entries and the
 * per-frame counts); it knows nothing of KVM, so unit tests and the fuzzer
 * drive it directly. The rules are those of include/pvlab/pv.h. */
#ifndef PVMON_PAGETABLE_H
#define PVMON_PAGETABLE_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PTE_P    (1ULL << 0)
#define PTE_RW   (1ULL << 1)
#define PTE_US   (1ULL << 2)
#define PTE_A    (1ULL << 5)
#define PTE_D    (1ULL << 6)
#define PTE_PS   (1ULL << 7)
#define PTE_NX   (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL

enum pt_type { PT_FREE = 0, PT_L1, PT_L2, PT_L3, PT_L4, PT_HV };

/* The L4 slot pvmon owns in every address space: the hypervisor area
 * (PV_HV_AREA_VA). The guest can neither write it nor name what it maps;
 * pvmon puts hv_l4e there whenever a frame becomes an L4, as Xen fills
 * its own slots of every guest L4. */
#define PT_HV_SLOT 255

struct pool_frame {
	uint8_t type;        /* enum pt_type */
	uint8_t pinned;      /* a pin holds one reference */
	uint16_t bases;      /* base pointers (vCPU CR3s) holding it, each one reference */
	uint32_t count;      /* references to it as its type */
};

/* Per RAM frame flags. */
#define MMF_GIVEN_BACK (1u << 0)   /* ballooned out: no memory behind it */
#define MMF_GNTTAB     (1u << 1)   /* holds the domain's grant table */
#define MMF_RESERVED   (1u << 2)   /* start info, shared info: pvmon writes them */
#define MMF_TAKING     (1u << 3)   /* being taken back by increase_reservation (memory.c) */

struct pt_range {
	uint64_t gpa, frames;
};

struct pagetable {
	pthread_mutex_t lock;       /* guards all below; taken by the callers */
	uint64_t ram_frames;
	uint32_t *map_count;        /* per RAM frame: leaf entries of typed tables naming it */
	uint8_t *ram_flags;         /* per RAM frame: MMF_* */
	uint16_t *foreign;          /* per RAM frame: grant maps of it held by other domains */
	uint64_t *pool;             /* the pool's entries, pvmon's view (512 a frame) */
	uint64_t pool_gpa, pool_frames, hv_frames;
	struct pool_frame *pf;
	struct pt_range leaf_ok[2]; /* other ranges an L1 entry may name (grant windows) */
	bool stale;                 /* a present entry lost rights since the last flush */
	/* Nested paging hosts: the pool's slot is writable (the CPU's walks
	 * would fault on a read-only one), so no L1 entry may map a pool
	 * frame writable (-EPERM), Xen's rule. Set by the owner after pt_init. */
	bool ro_pool_maps;
	uint64_t hv_l4e;            /* the entry every L4 holds at PT_HV_SLOT (owner sets it) */
	/* Defence in depth: set when an entry read back from the pool does not
	 * match the counts (the pool is writable to the CPU under nested
	 * paging). Every later call fails with -EIO; the owner crashes the
	 * domain with this reason. No count or index is used unchecked. */
	const char *corrupt;
	uint64_t given_back;        /* frames ballooned out now */
	/* Fast path: each pool frame f has a pair of root frames at
	 * twins[2f] (kernel root) and twins[2f+1] (user root), mirroring it
	 * while it is an L4 (NULL: no fast path). */
	uint64_t *twins;
	uint64_t twin_gpa;          /* gpa of twins[0], 8 KiB aligned */
	uint64_t twin_top;          /* slot 511 of every kernel root: the entry stub */
};

int pt_init(struct pagetable *m, uint64_t ram_frames, uint64_t *pool, uint64_t pool_gpa,
            uint64_t pool_frames, uint64_t hv_frames);
void pt_destroy(struct pagetable *m);

/* The calls below expect m->lock held. Errors are negative errno. */
/* One mmu_update request: the entry at gpa ptr becomes val. */
int pt_update(struct pagetable *m, uint64_t ptr, uint64_t val);
int pt_pin(struct pagetable *m, uint64_t gpa, int level);
int pt_unpin(struct pagetable *m, uint64_t gpa);
int pt_clear(struct pagetable *m, uint64_t gpa);     /* zero a free pool frame */
/* A base pointer (CR3) takes and drops an L4 reference. */
int pt_get_base(struct pagetable *m, uint64_t gpa);
void pt_put_base(struct pagetable *m, uint64_t gpa);
/* True (and cleared) when a flush must drop stale translations. */
bool pt_take_stale(struct pagetable *m);
/* Pool frame index of gpa, or -1 when gpa is not in the pool. */
int64_t pt_pool_index(const struct pagetable *m, uint64_t gpa);
/* A RAM frame the domain could give away: not mapped by a typed table, not
 * holding the grant table, not mapped by another domain, not given back. */
bool pt_ram_free_to_give(const struct pagetable *m, uint64_t gfn);
/* Recompute every count from the entries and compare: 0 when consistent,
 * else -EIO with the first difference in why. For tests and the fuzzer. */
int pt_check(const struct pagetable *m, char *why, size_t n);
const char *pt_type_name(int type);
/* The reason the accounting was found corrupt, or NULL (mm->corrupt). */
const char *pt_corrupt(const struct pagetable *m);

/* The fast path's L4 twins (PVM runs each address space as a pair of roots,
 * the kernel one 8 KiB aligned and the user one right after it). While a
 * pool frame is an L4, its pair holds copies of its lower half, kept in
 * step by every update; the kernel root adds top at slot 511. The pair is
 * pvmon's and outside the pool, so no guest table can name it. */
void pt_set_twins(struct pagetable *m, uint64_t *twins, uint64_t twin_gpa, uint64_t top);
/* Kernel root of the pair mirroring the L4 at l4_gpa; 0 if there is none. */
uint64_t pt_twin(const struct pagetable *m, uint64_t l4_gpa);
#endif
