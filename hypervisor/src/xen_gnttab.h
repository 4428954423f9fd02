/* Grant tables v1 of a Linux PV domain, the part that is bookkeeping (no
 * KVM, unit tested on plain memory): a back end in pvmon taking and
 * giving back access to a frame the guest granted it, with Xen's rules
 * (xen/common/grant_table.c: _set_status_v1, acquire_grant_for_copy).
 * The entries live in frames the guest maps writable: each is read once,
 * its flags and domid changed by one compare-and-exchange, as in Xen. */
#ifndef PVMON_XEN_GNTTAB_H
#define PVMON_XEN_GNTTAB_H
#include <stdbool.h>
#include <stdint.h>
#include "xen_mm.h"

struct grant_entry_v1;

#define XGNT_MAX_ENTRIES (4 * 4096 / 8)     /* XENLAYOUT_GNT_FRAMES of 8-byte v1 entries */

struct xgnt {
	struct grant_entry_v1 *e;  /* the entries, in Xen's frames */
	unsigned nr;               /* entries of the frames the guest set up */
	uint16_t rpin[XGNT_MAX_ENTRIES], wpin[XGNT_MAX_ENTRIES];   /* accesses held, per entry */
};

/* Back end `dom` takes entry ref for reading (and writing, write): 0 with
 * the granted frame in *mfn; the entry gains GTF_reading (GTF_writing).
 * A write access holds a writable type reference on the frame (so it
 * cannot become a page table meanwhile), as Xen's does. -EINVAL: ref out
 * of range, not GTF_permit_access, another domain's grant, a frame that
 * is not the domain's RAM or is ballooned out; -EPERM: a write to a
 * read-only grant or to a frame that is a table; -EAGAIN: the guest kept
 * changing the entry. Under the domain's lock (it guards m). */
int xgnt_acquire(struct xgnt *g, struct xen_mm *m, uint32_t ref, uint16_t dom, bool write, uint64_t *mfn);
/* Give back what xgnt_acquire took (same ref, write and mfn). */
void xgnt_release(struct xgnt *g, struct xen_mm *m, uint32_t ref, bool write, uint64_t mfn);
#endif
