/* Xen's page types over a Linux PV domain's own RAM frames: pure
 * bookkeeping, no KVM (as pagetable.c is for pvos's pool), fuzzed and unit
 * tested on plain memory. A frame is untyped, writable (counted by the
 * writable L1 entries naming it) or a table of one level (counted by the
 * entries, pins and base pointers naming it), never two of these at once:
 * a frame typed as a table is never writable through any mapping, so
 * under nested paging the CPU walks only tables pvmon has validated.
 * The rules are Xen's (xen/arch/x86/mm.c: get_page_type, get_page_from_lNe,
 * the *_DISALLOW_MASKs); the numbers are libxen-dev's. */
#ifndef PVMON_XEN_MM_H
#define PVMON_XEN_MM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum xmm_type { XMM_NONE, XMM_WRITABLE, XMM_L1, XMM_L2, XMM_L3, XMM_L4 };

struct xmm_page {
	uint8_t type;          /* enum xmm_type; XMM_NONE when count is 0 */
	uint8_t pinned;        /* a pin holds one of count */
	uint8_t out;           /* ballooned out: not the domain's until populated again */
	uint8_t walked;        /* a table since the last shadow drop (KVM may shadow it) */
	uint32_t count;        /* references of this type */
	uint64_t wstamp;       /* tlb_clock when its last writable reference went; 0: never writable */
};

#define XMM_HV_FIRST 256       /* L4 slots of the hypervisor's range (xen-x86_64.h) */
#define XMM_HV_LAST  271
#define XMM_PTE_P    0x001ULL
#define XMM_PTE_RW   0x002ULL
#define XMM_PTE_US   0x004ULL
#define XMM_PTE_A    0x020ULL
#define XMM_PTE_D    0x040ULL
#define XMM_PTE_PS   0x080ULL
#define XMM_PTE_G    0x100ULL
#define XMM_PTE_ADDR 0x000ffffffffff000ULL
#define XMM_PTE_NX   (1ULL << 63)
/* Xen's disallow mask of an L1 entry of a 64-bit PV domain without I/O
 * memory: PWT PCD PAT and the available bits 52..62 (G is allowed, and
 * dropped); L2-L4 also refuse PSE (no superpages) and G. */
#define XMM_L1_DISALLOW (0x008ULL | 0x010ULL | 0x080ULL | 0x7ff0000000000000ULL)

struct xen_mm {
	uint64_t *ram;             /* the domain's RAM: frame f is ram[f * 512 ..] */
	uint64_t nr_frames;
	uint64_t shared_mfn;       /* the shared-info frame: mappable, never a table */
	void *shared;              /* its host page */
	uint64_t shared_n;         /* Xen's frames from shared_mfn (the shared info, then the grant
	                            * table's), host pages after shared: mappable, never a table,
	                            * never ballooned; xmm_init makes it 1 */
	uint64_t hv_l4e[XMM_HV_LAST - XMM_HV_FIRST + 1];   /* pvmon's entries of those slots */
	struct xmm_page *pg;       /* per RAM frame */
	bool pg_given;             /* pg is the caller's (xmm_init), not freed here */
	const char *corrupt;       /* set when a count would go wrong: every later call fails */
	/* Xen's TLB clock (flush_tlb_mask's filter): a frame whose last
	 * writable mapping went at wstamp may still be writable in the TLB
	 * of a vCPU that has not reloaded CR3 since; before such a frame
	 * becomes a table, flush(ctx, wstamp) makes every such vCPU reload
	 * (0, or -errno and the type is refused). The clock is read and
	 * advanced atomically by the vCPU threads too (and read by pvmon's
	 * entry stub, where pvmon points tlb_clock); NULL flush: none. */
	uint64_t *tlb_clock;       /* &tlb_clock_own unless the caller moves it */
	uint64_t tlb_clock_own;
	int (*flush)(void *ctx, uint64_t stamp);
	void *flush_ctx;
	uint64_t validations, updates, flushes;   /* statistics */
	uint64_t out_frames;       /* frames ballooned out now */
	/* Shadow paging: KVM's shadow MMU builds its translations from the
	 * tables it walked and sees only the guest's writes to them, never
	 * pvmon's. So pvmon notes what its own writes took away: the frames
	 * an L1 entry stopped mapping (or mapping writable), or "all" for an
	 * upper-level entry or a store into a frame that was a table; a flush
	 * makes KVM forget those (xen_shadow_flush). And a frame becoming a
	 * table has KVM's translations of it dropped at once (zap), so no
	 * writable one outlives the entry that made it. */
	bool shadow;               /* track it (set when the host has no nested paging) */
	void (*zap)(void *ctx, uint64_t mfn);
	void *zap_ctx;
	uint64_t lost[64];
	unsigned nlost;
	bool lost_all;
	uint64_t given, taken;     /* frames ballooned out and back in, ever */
};

/* pg: nr_frames zeroed entries of the caller's (pvmon's domain keeps
 * them where its entry stub reaches them), or NULL: allocated here. */
int xmm_init(struct xen_mm *m, uint64_t *ram, uint64_t nr_frames, uint64_t shared_mfn, void *shared,
             struct xmm_page *pg);
void xmm_destroy(struct xen_mm *m);
/* One of Xen's frames (shared info, grant table), not the domain's RAM. */
static inline bool xmm_xen_frame(const struct xen_mm *m, uint64_t mfn)
{
	return mfn - m->shared_mfn < m->shared_n;
}

/* Xen's get_page_type / put_page_type: take a reference of type t on mfn,
 * validating it whole (and what it names) when it becomes a table.
 * -EINVAL: another type holds it, a bad entry, not RAM; -EOVERFLOW. */
int xmm_get_type(struct xen_mm *m, uint64_t mfn, enum xmm_type t);
void xmm_put_type(struct xen_mm *m, uint64_t mfn);
/* A frame's wstamp as its last writable reference goes (after its entry changed). */
uint64_t xmm_tlb_stamp(const struct xen_mm *m);

/* mmuext_op pin / unpin: -EINVAL when already pinned (pin) or not (unpin). */
int xmm_pin(struct xen_mm *m, uint64_t mfn, enum xmm_type level);
int xmm_unpin(struct xen_mm *m, uint64_t mfn);

/* mmu_update MMU_NORMAL_PT_UPDATE (preserve_ad: MMU_PT_UPDATE_PRESERVE_AD):
 * the entry at machine address ptr becomes val, validated at its table's
 * level; a write into an untyped or writable frame is a plain store.
 * -EPERM for the hypervisor's L4 slots. */
int xmm_update(struct xen_mm *m, uint64_t ptr, uint64_t val, bool preserve_ad);

/* The balloon (memory_op decrease_reservation, populate_physmap): a frame
 * goes out unless it is out already, not RAM, the shared-info frame or a
 * table; from then on no entry may name it, no type take it, and
 * xmm_host/xmm_walk refuse it, until it comes back in (only an out frame
 * does). Mappings made before it went out stay, as in Xen, where a freed
 * frame lives on while mapped; the caller gives its memory to the host,
 * so such a mapping sees a fresh zero page of the domain's own memory. */
int xmm_balloon_out(struct xen_mm *m, uint64_t mfn);
int xmm_balloon_in(struct xen_mm *m, uint64_t mfn);

/* After a shadow drop: the tables of now are the walked ones, nothing lost. */
void xmm_shadow_reset(struct xen_mm *m);

/* The value an entry of level lvl holds once validated: Xen adds
 * _PAGE_USER (the PV kernel runs at CPL3) and drops _PAGE_GLOBAL. */
uint64_t xmm_adjust(uint64_t e, enum xmm_type lvl);

/* Translate va through the L4 at machine frame l4: 0 with the data's
 * machine address (and the L1 entry's, if l1e is not NULL); -EFAULT when not
 * mapped, not writable (write), non-canonical or in the hypervisor's range. */
int xmm_walk(const struct xen_mm *m, uint64_t l4, uint64_t va, bool write, uint64_t *maddr, uint64_t *l1e);
/* Host pointer to [maddr, maddr+len) inside one RAM frame or one of Xen's
 * (shared info, grant table), else NULL. */
void *xmm_host(const struct xen_mm *m, uint64_t maddr, size_t len);

/* Recompute every count from the typed tables' entries, the pins and the
 * nbase base references in base[]: 0, or -EINVAL with why. */
int xmm_check(const struct xen_mm *m, const uint64_t *base, unsigned nbase, char *why, size_t len);
#endif
