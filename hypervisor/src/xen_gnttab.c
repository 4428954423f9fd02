/* Grant tables v1: a back end's access to a granted frame (xen_gnttab.h).
 * The guest may change an entry at any moment: its flags and domid are
 * one 32-bit word taken by compare-and-exchange, its frame read once
 * after the flags say "in use", when the guest must no longer change it. */
#include <errno.h>
#include "xen_public.h"
#include "xen_gnttab.h"

int xgnt_acquire(struct xgnt *g, struct xen_mm *m, uint32_t ref, uint16_t dom, bool write, uint64_t *mfn)
{
	if (ref >= g->nr || ref >= XGNT_MAX_ENTRIES)
		return -EINVAL;
	grant_entry_v1_t *e = &g->e[ref];
	uint32_t *word = (uint32_t *)e;              /* flags (low half), domid (high half) */
	uint32_t old = __atomic_load_n(word, __ATOMIC_ACQUIRE);
	for (int tries = 0;; tries++) {
		uint16_t flags = (uint16_t)old, domid = (uint16_t)(old >> 16);
		if ((flags & GTF_type_mask) != GTF_permit_access || domid != dom)
			return -EINVAL;
		if (write && (flags & GTF_readonly))
			return -EPERM;
		uint32_t new = old | GTF_reading | (write ? GTF_writing : 0);
		if (__atomic_compare_exchange_n(word, &old, new, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;
		if (tries == 3)
			return -EAGAIN;              /* Xen: "Shared grant entry is unstable" */
	}
	uint64_t f = __atomic_load_n(&e->frame, __ATOMIC_ACQUIRE);
	int rc = 0;
	if (f >= m->nr_frames || m->pg[f].out)
		rc = -EINVAL;
	else if (write)
		rc = xmm_get_type(m, f, XMM_WRITABLE) == -EINVAL ? -EPERM : 0;
	if (rc) {
		if (!g->rpin[ref] && !g->wpin[ref])
			__atomic_fetch_and(word, ~(uint32_t)(GTF_reading | GTF_writing), __ATOMIC_RELEASE);
		else if (write && !g->wpin[ref])
			__atomic_fetch_and(word, ~(uint32_t)GTF_writing, __ATOMIC_RELEASE);
		return rc;
	}
	if (write)
		g->wpin[ref]++;
	else
		g->rpin[ref]++;
	*mfn = f;
	return 0;
}

void xgnt_release(struct xgnt *g, struct xen_mm *m, uint32_t ref, bool write, uint64_t mfn)
{
	if (ref >= XGNT_MAX_ENTRIES)
		return;
	uint32_t *word = (uint32_t *)&g->e[ref];
	if (write) {
		if (!g->wpin[ref])
			return;
		xmm_put_type(m, mfn);
		if (!--g->wpin[ref])
			__atomic_fetch_and(word, ~(uint32_t)GTF_writing, __ATOMIC_RELEASE);
	} else {
		if (!g->rpin[ref])
			return;
		g->rpin[ref]--;
	}
	if (!g->rpin[ref] && !g->wpin[ref])
		__atomic_fetch_and(word, ~(uint32_t)GTF_reading, __ATOMIC_RELEASE);
}
