/* A domain's guest-physical memory: RAM on a memfd (so single frames can be
 * remapped for grants and page flips, and given back to the host), the
 * page-table pool behind a read-only memory slot, the grant windows; the
 * initial page tables; the balloon (memory_op); TLB flushes. */
#ifndef PVMON_MEMORY_H
#define PVMON_MEMORY_H
#include <stddef.h>
#include <stdint.h>

struct domain;
struct vcpu;

/* A memfd that backs frames; referenced by every p2m entry naming it. */
struct memfile {
	int fd;
	_Atomic long refs;      /* p2m entries of any domain naming it (flips move them); closed at 0 */
};
/* What backs one guest frame (a page flip exchanges two of these). */
struct p2m_entry {
	struct memfile *file;
	uint64_t pgoff;
};

/* A memfd of pages pages, one reference for each (the caller's p2m
 * entries naming them); NULL with errno. */
struct memfile *memfile_new(const char *name, uint64_t pages);
/* Give the page e names back to the host and drop e's reference. */
void memory_free_entry(struct p2m_entry *e);

/* Lay out and map the domain's memory and create its KVM memory slots;
 * fills d->mem, pool, windows, mm, gm. err gets one line on failure. */
int memory_create(struct domain *d, char *err, size_t errlen);
/* The host side of memory_create, without KVM (unit tests, fuzzing). */
int memory_layout(struct domain *d, char *err, size_t errlen);
/* Build the initial kernel page tables in the pool (RAM and pool
 * identity-mapped with 4 KiB pages, the hypervisor area at PV_HV_AREA_VA)
 * and validate them; returns the L4's gpa, or 0 with err. */
uint64_t memory_build_tables(struct domain *d, uint64_t *nr_frames, char *err, size_t errlen);
void memory_destroy(struct domain *d);
/* pt_check on the live domain, one line on stderr (PVLAB_MM_CHECK=1). */
void memory_check_report(struct domain *d);

/* Stop every other vCPU of the domain and hold its mem_lock for writing.
 * self: the calling vCPU (it holds the lock for reading), or NULL. */
void memory_exclusive_begin(struct domain *d, struct vcpu *self);
void memory_exclusive_end(struct domain *d, struct vcpu *self);

/* Make page-table changes visible: drop KVM's cached translations when an
 * entry lost rights since the last flush. kind names it in the trace. */
void memory_flush(struct vcpu *v, const char *kind, uint64_t addr);
/* A write by the guest into the read-only pool (trap-and-emulate). */
void memory_pool_write(struct vcpu *v, uint64_t gpa, const void *data, uint32_t len);

/* Balloon. */
int memory_set_target(struct domain *d, uint64_t pages);   /* pvctl mem-set */
uint64_t memory_current_pages(struct domain *d);

/* Frame remapping for grants and page flips: back the hva page at host
 * with (file, pgoff). prot: PROT_READ or PROT_READ|PROT_WRITE. */
int memory_map_frame(void *host, const struct p2m_entry *e, int prot);
#endif
