/* Grant tables, after Xen's grant_table.c. One lock (gnttab_lock) guards
 * the grant state of every domain: grant operations are rare next to
 * hypercalls, and one lock keeps map, unmap, copy and transfer between
 * any two domains free of ordering puzzles. An entry of the granter's
 * table is read once into a copy, checked on the copy, and marked in use
 * with a compare-and-swap of the whole entry, so a guest rewriting it at
 * the same moment either loses the race or is seen as it was. Another
 * domain's memory is only touched with its mem_lock held for reading,
 * taken with trylock: a domain busy changing its memory makes the caller
 * retry (-EAGAIN) rather than wait in a lock cycle. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "domain.h"
#include "gnttab.h"
#include "guest_access.h"
#include "hypercall.h"
#include "memory.h"
#include "pvmon.h"
#include "trace.h"

#define PAGE 4096ULL
#define WIN PV_GNTTAB_WINDOW_FRAMES
#define OP_MAX 64           /* structs one call takes */

static pthread_mutex_t gnttab_lock = PTHREAD_MUTEX_INITIALIZER;

union gent {
	struct pv_grant_entry e;
	uint64_t raw;
};

static uint64_t *entry_ptr(struct domain *g, uint32_t ref)
{
	return (uint64_t *)(g->mem + g->gnt.table_gpa + (uint64_t)ref * sizeof(struct pv_grant_entry));
}

/* The entry ref of g as the guest has it now; -EINVAL if there is none. */
static int entry_load(struct domain *g, uint32_t ref, union gent *out)
{
	if (!g->gnt.table_gpa || ref >= g->gnt.nr_entries)
		return -EINVAL;
	out->raw = __atomic_load_n(entry_ptr(g, ref), __ATOMIC_ACQUIRE);
	return 0;
}

/* Change the flags of an entry the guest may be rewriting: only if it is
 * still what was checked. */
static int entry_flags(struct domain *g, uint32_t ref, union gent seen, uint16_t set, uint16_t clear)
{
	union gent want = seen;
	want.e.flags = (uint16_t)((seen.e.flags | set) & ~clear);
	return __atomic_compare_exchange_n(entry_ptr(g, ref), &seen.raw, want.raw, false, __ATOMIC_ACQ_REL,
	                                   __ATOMIC_ACQUIRE) ? 0 : -EAGAIN;
}

/* Clear flags pvmon set, whatever else the guest changed meanwhile. */
static void entry_clear(struct domain *g, uint32_t ref, uint16_t clear)
{
	if (!g->gnt.table_gpa || ref >= g->gnt.nr_entries)
		return;
	__atomic_fetch_and((uint16_t *)entry_ptr(g, ref), (uint16_t)~clear, __ATOMIC_ACQ_REL);
}

/* Does entry e of granter g let domain mapper reach its frame? */
static int grant_ok(struct domain *g, union gent e, uint32_t mapper, bool write)
{
	if (!(e.e.flags & PV_GTF_permit_access))
		return -EACCES;                     /* never granted, or revoked */
	if (e.e.domid != mapper)
		return -EPERM;                      /* granted to another domain */
	if (write && (e.e.flags & PV_GTF_readonly))
		return -EPERM;                      /* a read-only grant, asked for writing */
	if (e.e.frame >= g->pt.ram_frames || (g->pt.ram_flags[e.e.frame] & (MMF_GIVEN_BACK | MMF_RESERVED)))
		return -EINVAL;
	return 0;
}

/* Another domain by id, with its memory held stable (mem_lock for reading). */
static int other_get(struct vcpu *v, uint32_t id, struct domain **out)
{
	if (id == PV_DOMID_SELF || id == v->dom->id)
		return -EINVAL;
	struct domain *g = domain_get(id);
	if (!g)
		return -ESRCH;
	if (atomic_load(&g->ended) || pthread_rwlock_tryrdlock(&g->mem_lock)) {
		int rc = atomic_load(&g->ended) ? -ESRCH : -EAGAIN;
		domain_put(g);
		return rc;
	}
	*out = g;
	return 0;
}

static void other_put(struct domain *g)
{
	pthread_rwlock_unlock(&g->mem_lock);
	domain_put(g);
}

static int window_slot(struct domain *d, bool ro, uint8_t **host, uint64_t *gpa)
{
	for (int i = 0; i < WIN; i++) {
		int h = ro ? WIN + i : i;
		if (!d->gnt.maps[h].granter) {
			*host = (ro ? d->grant_ro : d->grant_rw) + (uint64_t)i * PAGE;
			*gpa = (ro ? d->grant_ro_gpa : d->grant_rw_gpa) + (uint64_t)i * PAGE;
			return h;
		}
	}
	return -ENOSPC;
}

static uint8_t *window_host(struct domain *d, int h)
{
	return h < WIN ? d->grant_rw + (uint64_t)h * PAGE : d->grant_ro + (uint64_t)(h - WIN) * PAGE;
}

/* ---- setup ----------------------------------------------------------- */

static long setup_table(struct vcpu *v, const struct pv_gnttab_setup *s)
{
	struct domain *d = v->dom;
	uint64_t bytes = (uint64_t)s->nr_entries * sizeof(struct pv_grant_entry);
	if ((s->table & (PAGE - 1)) || s->nr_entries == 0 || s->nr_entries > PV_GNTTAB_MAX_ENTRIES ||
	    s->table >= d->mem_size || bytes > d->mem_size - s->table)
		return guest_reject(v, "gnttab table", s->table, -EINVAL);
	uint64_t f0 = s->table / PAGE, f1 = (s->table + bytes - 1) / PAGE;
	for (uint32_t i = 0; i < d->gnt.nr_entries; i++)
		if (d->gnt.readers[i] || d->gnt.writers[i])
			return guest_reject(v, "gnttab busy", i, -EBUSY);   /* old grants still mapped */
	uint16_t *r = calloc(s->nr_entries, sizeof(*r)), *w = calloc(s->nr_entries, sizeof(*w));
	if (!r || !w) {
		free(r);
		free(w);
		return -ENOMEM;
	}
	pthread_mutex_lock(&d->pt.lock);
	int rc = 0;
	for (uint64_t f = f0; f <= f1; f++)
		if (d->pt.ram_flags[f] & (MMF_GIVEN_BACK | MMF_RESERVED))
			rc = -EINVAL;
	if (!rc) {
		for (uint64_t f = 0; f < d->pt.ram_frames; f++)
			d->pt.ram_flags[f] &= (uint8_t)~MMF_GNTTAB;
		for (uint64_t f = f0; f <= f1; f++)
			d->pt.ram_flags[f] |= MMF_GNTTAB;     /* never given away while it is the table */
	}
	pthread_mutex_unlock(&d->pt.lock);
	if (rc) {
		free(r);
		free(w);
		return guest_reject(v, "gnttab table", s->table, rc);
	}
	free(d->gnt.readers);
	free(d->gnt.writers);
	d->gnt.readers = r;
	d->gnt.writers = w;
	d->gnt.table_gpa = s->table;
	d->gnt.nr_entries = s->nr_entries;
	return 0;
}

/* ---- map / unmap ------------------------------------------------------ */

static int map_one(struct vcpu *v, void *arg)
{
	struct pv_gnttab_map *m = arg;
	struct domain *d = v->dom, *g;
	bool ro = m->flags & PV_GNTMAP_readonly;
	if (m->flags & ~PV_GNTMAP_readonly)
		return -EINVAL;
	int rc = other_get(v, m->dom, &g);
	if (rc)
		return rc;
	union gent e;
	uint8_t *host;
	uint64_t gpa;
	uint16_t mark = PV_GTF_reading | (ro ? 0 : PV_GTF_writing);
	int h = window_slot(d, ro, &host, &gpa);
	if (h < 0) {
		other_put(g);
		return h;
	}
	/* Checked and counted under g's pt lock: g cannot give the frame away
	 * (balloon, transfer) between the check and the count. */
	pthread_mutex_lock(&g->pt.lock);
	if (!(rc = entry_load(g, m->ref, &e)) && !(rc = grant_ok(g, e, d->id, !ro)) &&
	    !(rc = entry_flags(g, m->ref, e, mark, 0))) {
		rc = memory_map_frame(host, &g->p2m[e.e.frame], ro ? PROT_READ : PROT_READ | PROT_WRITE);
		if (rc)
			entry_clear(g, m->ref, mark & ~e.e.flags);     /* only what this call set */
		else
			g->pt.foreign[e.e.frame]++;
	}
	pthread_mutex_unlock(&g->pt.lock);
	if (rc) {
		other_put(g);
		return rc;
	}
	g->gnt.readers[m->ref]++;
	if (!ro)
		g->gnt.writers[m->ref]++;
	atomic_fetch_add(&g->refs, 1);           /* the map holds the granter */
	d->gnt.maps[h] = (struct gnt_map){ g, m->ref, e.e.frame, ro };
	m->handle = (uint32_t)h;
	m->gpa = gpa;
	other_put(g);
	return 0;
}

/* Drop map h of d (gnttab_lock held). */
static void unmap_slot(struct domain *d, int h)
{
	struct gnt_map *m = &d->gnt.maps[h];
	struct domain *g = m->granter;
	/* A fresh zero page where the grant was: the guest's stale mappings of
	 * the window reach nothing of the granter's. */
	mmap(window_host(d, h), PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	g->gnt.readers[m->ref]--;
	if (!m->ro)
		g->gnt.writers[m->ref]--;
	if (!g->gnt.writers[m->ref])
		entry_clear(g, m->ref, g->gnt.readers[m->ref] ? PV_GTF_writing : PV_GTF_reading | PV_GTF_writing);
	pthread_mutex_lock(&g->pt.lock);
	g->pt.foreign[m->gfn]--;
	pthread_mutex_unlock(&g->pt.lock);
	m->granter = NULL;
	domain_put(g);
}

static int unmap_one(struct vcpu *v, void *arg)
{
	struct pv_gnttab_unmap *u = arg;
	if (u->handle >= 2 * WIN || !v->dom->gnt.maps[u->handle].granter)
		return -EINVAL;
	unmap_slot(v->dom, (int)u->handle);
	return 0;
}

void gnttab_teardown(struct domain *d)
{
	pthread_mutex_lock(&gnttab_lock);
	for (int h = 0; h < 2 * WIN; h++)
		if (d->gnt.maps[h].granter)
			unmap_slot(d, h);
	pthread_mutex_unlock(&gnttab_lock);
}

/* ---- copy ----------------------------------------------------------- */

/* Host address of one side of a copy; *g gets the other domain held, if any. */
static int copy_side(struct vcpu *v, const struct pv_gnttab_copy_ptr *p, bool gref, bool write, uint32_t len,
                     uint8_t **host, struct domain **g)
{
	struct domain *d = v->dom;
	*g = NULL;
	if (p->offset > PAGE || len > PAGE - p->offset)
		return -EINVAL;
	if (!gref) {
		const struct guestmem *gm = domain_gm(d);
		uint8_t *h = write ? guestmem_gpa_write(gm, (uint64_t)p->ref_or_gfn * PAGE, PAGE)
		                   : guestmem_gpa(gm, (uint64_t)p->ref_or_gfn * PAGE, PAGE);
		if (!h || p->ref_or_gfn >= d->pt.ram_frames)
			return -EFAULT;
		*host = h + p->offset;
		return 0;
	}
	int rc = other_get(v, p->dom, g);
	union gent e;
	if (!rc && !(rc = entry_load(*g, p->ref_or_gfn, &e)))
		rc = grant_ok(*g, e, d->id, write);
	if (rc) {
		if (*g)
			other_put(*g);
		*g = NULL;
		return rc;
	}
	*host = (*g)->mem + (uint64_t)e.e.frame * PAGE + p->offset;
	return 0;
}

static int copy_one(struct vcpu *v, void *arg)
{
	struct pv_gnttab_copy *c = arg;
	if (c->flags & ~(PV_GNTCOPY_source_gref | PV_GNTCOPY_dest_gref))
		return -EINVAL;
	uint8_t *src, *dst;
	struct domain *gs, *gd;
	int rc = copy_side(v, &c->source, c->flags & PV_GNTCOPY_source_gref, false, c->len, &src, &gs);
	if (rc)
		return rc;
	rc = copy_side(v, &c->dest, c->flags & PV_GNTCOPY_dest_gref, true, c->len, &dst, &gd);
	if (!rc) {
		memmove(dst, src, c->len);
		trace_grant_copy(v->dom->id, gs ? gs->id : gd ? gd->id : v->dom->id, c->len);
	}
	if (gs)
		other_put(gs);
	if (gd)
		other_put(gd);
	return rc;
}

/* ---- transfer (page flip) -------------------------------------------- */

/* Whether b's entry e offers domain from a transfer: 0 or -errno. */
static int offered(union gent e, uint32_t from)
{
	if (!(e.e.flags & PV_GTF_accept_transfer) || (e.e.flags & PV_GTF_transfer_completed))
		return -EINVAL;                   /* not offered for a transfer */
	return e.e.domid != from ? -EPERM : 0;
}

/* Whether the receiver's frame of entry e is unused (b's pt lock held). */
static int receiver_free(struct domain *b, union gent e)
{
	return e.e.frame < b->pt.ram_frames && pt_ram_free_to_give(&b->pt, e.e.frame) ? 0 : -EBUSY;
}

/* Exchange what backs the page at host (described by *mine) with what
 * backs b's frame gfn: no byte is copied. *mine then describes the page
 * b's frame had, mapped at host (b's pt lock held). */
static int exchange(struct p2m_entry *mine, uint8_t *host, struct domain *b, uint64_t gfn)
{
	struct p2m_entry theirs = b->p2m[gfn];
	int rc = memory_map_frame(b->mem + gfn * PAGE, mine, PROT_READ | PROT_WRITE);
	if (!rc && !(rc = memory_map_frame(host, &theirs, PROT_READ | PROT_WRITE))) {
		b->p2m[gfn] = *mine;
		*mine = theirs;
	}
	return rc;
}

static int transfer_one(struct vcpu *v, void *arg)
{
	struct pv_gnttab_transfer *t = arg;
	struct domain *a = v->dom, *b;
	int rc = other_get(v, t->dom, &b);
	if (rc)
		return rc;
	union gent e;
	struct domain *lo = a->id < b->id ? a : b, *hi = lo == a ? b : a;
	pthread_mutex_lock(&lo->pt.lock);
	pthread_mutex_lock(&hi->pt.lock);
	if (!(rc = entry_load(b, t->ref, &e)) && !(rc = offered(e, a->id))) {
		if (t->gfn >= a->pt.ram_frames || !pt_ram_free_to_give(&a->pt, t->gfn))
			rc = -EBUSY;                    /* mapped, pinned, granted, the grant table... */
		else
			rc = receiver_free(b, e);
	}
	if (!rc) {
		uint8_t *ha = a->mem + t->gfn * PAGE;
		struct p2m_entry mine = a->p2m[t->gfn];
		if (!(rc = exchange(&mine, ha, b, e.e.frame))) {
			a->p2m[t->gfn] = mine;
			memset(ha, 0, PAGE);            /* the sender gets a clean frame */
		}
	}
	pthread_mutex_unlock(&hi->pt.lock);
	pthread_mutex_unlock(&lo->pt.lock);
	if (!rc) {
		entry_flags(b, t->ref, e, PV_GTF_transfer_completed, PV_GTF_accept_transfer);
		atomic_fetch_add_explicit(&a->page_flips, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&b->page_flips, 1, memory_order_relaxed);
		trace_page_flip(a->id, b->id, t->gfn, e.e.frame);
	}
	other_put(b);
	return rc;
}

/* ---- back ends in pvmon (Domain 0) ----------------------------------------- */

int gnttab_backend_hold(struct domain *g, uint32_t ref, uint64_t *gfn)
{
	union gent e;
	uint16_t mark = PV_GTF_reading | PV_GTF_writing;
	pthread_mutex_lock(&gnttab_lock);
	pthread_mutex_lock(&g->pt.lock);
	int rc = entry_load(g, ref, &e);
	if (!rc && !(rc = grant_ok(g, e, PV_DOMID_BACKEND, true)) && !(rc = entry_flags(g, ref, e, mark, 0))) {
		g->pt.foreign[e.e.frame]++;         /* never given away while held */
		g->gnt.readers[ref]++;
		g->gnt.writers[ref]++;
		*gfn = e.e.frame;
	}
	pthread_mutex_unlock(&g->pt.lock);
	pthread_mutex_unlock(&gnttab_lock);
	return rc;
}

void gnttab_backend_release(struct domain *g, uint32_t ref, uint64_t gfn)
{
	pthread_mutex_lock(&gnttab_lock);
	if (ref < g->gnt.nr_entries && g->gnt.readers && g->gnt.readers[ref]) {
		g->gnt.readers[ref]--;
		g->gnt.writers[ref]--;
		if (!g->gnt.writers[ref])
			entry_clear(g, ref, g->gnt.readers[ref] ? PV_GTF_writing : PV_GTF_reading | PV_GTF_writing);
	}
	pthread_mutex_lock(&g->pt.lock);
	g->pt.foreign[gfn]--;
	pthread_mutex_unlock(&g->pt.lock);
	pthread_mutex_unlock(&gnttab_lock);
}

int gnttab_backend_copy(struct domain *g, uint32_t ref, const void *src, uint32_t len)
{
	union gent e;
	if (len > PAGE)
		return -EMSGSIZE;
	pthread_mutex_lock(&gnttab_lock);
	int rc = entry_load(g, ref, &e);
	if (!rc && !(rc = grant_ok(g, e, PV_DOMID_BACKEND, true)))
		memcpy(g->mem + (uint64_t)e.e.frame * PAGE, src, len);
	pthread_mutex_unlock(&gnttab_lock);
	if (!rc)
		trace_grant_copy(PV_DOMID_BACKEND, g->id, len);
	return rc;
}

int gnttab_backend_flip(struct domain *b, uint32_t ref, struct p2m_entry *page, uint8_t *host)
{
	union gent e;
	pthread_mutex_lock(&gnttab_lock);
	pthread_mutex_lock(&b->pt.lock);
	int rc = entry_load(b, ref, &e);
	if (!rc && !(rc = offered(e, PV_DOMID_BACKEND)) && !(rc = receiver_free(b, e)))
		rc = exchange(page, host, b, e.e.frame);
	pthread_mutex_unlock(&b->pt.lock);
	if (!rc) {
		entry_flags(b, ref, e, PV_GTF_transfer_completed, PV_GTF_accept_transfer);
		atomic_fetch_add_explicit(&b->page_flips, 1, memory_order_relaxed);
		trace_page_flip(PV_DOMID_BACKEND, b->id, 0, e.e.frame);
	}
	pthread_mutex_unlock(&gnttab_lock);
	return rc;
}

/* ---- the hypercall ------------------------------------------------------ */

/* Run fn on each of count structs at arg (size bytes each, an int32_t
 * status at status_off), copying each in and its status back out. */
typedef int (*op_fn)(struct vcpu *v, void *x);
static long each(struct vcpu *v, uint64_t arg, uint64_t count, size_t size, size_t status_off, op_fn fn,
                 const char *what)
{
	union {
		struct pv_gnttab_map m;
		struct pv_gnttab_unmap u;
		struct pv_gnttab_copy c;
		struct pv_gnttab_transfer t;
	} x;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t at = arg + i * size;
		long rc = guest_copy_from(v, &x, at, size);
		if (rc)
			return rc;
		pthread_mutex_lock(&gnttab_lock);
		int32_t st = fn(v, &x);
		pthread_mutex_unlock(&gnttab_lock);
		memcpy((char *)&x + status_off, &st, sizeof(st));
		if (st)
			guest_reject(v, what, i, st);
		if ((rc = guest_copy_to(v, at, &x, size)))
			return rc;
	}
	return 0;
}

#define EACH(type, fn) each(v, arg, count, sizeof(type), offsetof(type, status), fn, #fn)

/* grant_table_op(cmd, arg, count) */
long hc_grant_table_op(struct vcpu *v, const uint64_t a[5])
{
	uint64_t cmd = a[0], arg = a[1], count = a[2];
	long rc = 0;
	if (cmd == PV_GNTTABOP_setup_table) {
		struct pv_gnttab_setup s;
		if ((rc = guest_copy_from(v, &s, arg, sizeof(s))))
			return rc;
		pthread_mutex_lock(&gnttab_lock);
		rc = setup_table(v, &s);
		pthread_mutex_unlock(&gnttab_lock);
		return rc;
	}
	if (count == 0 || count > OP_MAX)
		return guest_reject(v, "count", count, -EINVAL);
	switch (cmd) {
	case PV_GNTTABOP_map_grant_ref:   return EACH(struct pv_gnttab_map, map_one);
	case PV_GNTTABOP_unmap_grant_ref: return EACH(struct pv_gnttab_unmap, unmap_one);
	case PV_GNTTABOP_copy:            return EACH(struct pv_gnttab_copy, copy_one);
	case PV_GNTTABOP_transfer:        return EACH(struct pv_gnttab_transfer, transfer_one);
	default:                          return guest_reject(v, "cmd", cmd, -EINVAL);
	}
}
