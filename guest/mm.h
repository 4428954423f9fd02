/* pvos memory: RAM frames (a bitmap allocator over the domain's frames)
 * and the page tables, which live in pvmon's pool and change only through
 * batched mmu_update (or, with pt=trap, direct writes pvmon emulates). */
#ifndef PVOS_MM_H
#define PVOS_MM_H
#include <stddef.h>
#include <stdint.h>

/* ---- RAM (frames.c) ---- */
void mm_init(uint64_t first_free, uint64_t nr_pages);
void *page_alloc(size_t pages);     /* zeroed, contiguous, page aligned; NULL when out */
void page_free(void *p, size_t pages);
void *page_take(void);              /* one frame, not zeroed (the balloon gives it away) */
void *kalloc(size_t bytes);         /* zeroed, 16-byte aligned, never freed */
uint64_t mm_free_bytes(void);
uint64_t mm_free_frames(void);

/* ---- page tables (pt.c) ---- */
#define PTE_P   1ULL
#define PTE_RW  2ULL
#define PTE_US  4ULL
#define PTE_PS  0x80ULL
#define PTE_NX  (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL

extern uint64_t kernel_pml4;        /* the kernel's address space (start info pt_base) */
extern int pt_trap_mode;            /* 1: write entries directly, each a trap to pvmon */
/* Direct writes trap only behind a read-only pool slot; under nested paging
 * (PV_SIF_pt_ro_maps) the pool is mapped read-only and a write is a #PF. */
int pt_trap_supported(void);
#define PT_TRAP_UNSUPPORTED "nested paging (PV_SIF_pt_ro_maps): the pool is mapped read-only, " \
                            "so a direct page-table write faults instead of trapping to pvmon"

void pt_init(void);
uint64_t pt_alloc(void);            /* an empty pool frame (gpa), 0 when out */
void pt_free(uint64_t gpa);
uint64_t pt_read(uint64_t ptr);     /* entry at gpa ptr, queued writes included */
void pt_set(uint64_t ptr, uint64_t val);   /* queued; pt_flush applies */
int pt_flush(void);                 /* issue queued updates; 0 or the first error */
uint64_t pt_pool_free(void);
/* Entry for va at level 1 under pml4, creating tables; 0 when out of pool. */
uint64_t pt_slot(uint64_t pml4, uint64_t va, int create);
int pt_map(uint64_t pml4, uint64_t va, uint64_t pa, uint64_t flags);   /* queued */
uint64_t pt_unmap(uint64_t pml4, uint64_t va);   /* queued; returns the old entry */
uint64_t pt_lookup(uint64_t pml4, uint64_t va);  /* leaf entry or 0 */
/* Release a whole address space no longer loaded: unpin it in pvmon (if
 * pinned) and free its table frames (data frames are the caller's). */
void pt_destroy(uint64_t pml4, int pinned);
void tlb_flush(void);
#endif
