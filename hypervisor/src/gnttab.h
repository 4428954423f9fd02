/* Grant tables: a domain lets another map, copy through, or receive (page
 * flip) one of its frames. The entries live in the granting domain's RAM
 * (include/pvlab/pv.h); pvmon reads them once, checks them, and marks them in use
 * with an atomic compare-and-swap. */
#ifndef PVMON_GNTTAB_H
#define PVMON_GNTTAB_H
#include <stdint.h>
#include "pvlab/pv.h"

struct domain;
struct p2m_entry;
struct vcpu;

/* A grant mapped into this domain's window (mapper side). It holds a
 * reference on the granting domain: as in Xen, a granted page outlives its
 * owner until the last map of it goes. */
struct gnt_map {
	struct domain *granter; /* NULL: slot free */
	uint32_t ref;
	uint64_t gfn;           /* the granter's frame */
	uint8_t ro;
};

struct gnttab {
	uint64_t table_gpa;     /* the domain's own grant table, 0 none */
	uint32_t nr_entries;
	uint16_t *readers, *writers;   /* per entry: maps of it held by others */
	/* Handle h maps window frame h: 0..N-1 read-write, N..2N-1 read-only. */
	struct gnt_map maps[2 * PV_GNTTAB_WINDOW_FRAMES];
};

/* A domain ends: give back every grant it maps and forget its table. */
void gnttab_teardown(struct domain *d);

/* For a back end in pvmon (Domain 0, PV_DOMID_BACKEND), with g's
 * mem_lock held for reading. hold: g's entry ref grants domain 0 a frame
 * read-write; mark it in use as a map would (g cannot revoke, give away or
 * flip it) and give its gfn; release undoes it. copy: len bytes into the
 * frame g's entry ref grants domain 0 writable, at offset 0. flip: g's
 * entry ref offers domain 0 an unused frame for a transfer: exchange what
 * backs it with the page at host (*page), which then holds g's old page;
 * the entry is marked transfer_completed and the flip counted and traced.
 * Each returns 0 or the -errno a grant_table_op would (-EINVAL, -EPERM,
 * -EACCES, -EBUSY). */
int gnttab_backend_hold(struct domain *g, uint32_t ref, uint64_t *gfn);
void gnttab_backend_release(struct domain *g, uint32_t ref, uint64_t gfn);
int gnttab_backend_copy(struct domain *g, uint32_t ref, const void *src, uint32_t len);
int gnttab_backend_flip(struct domain *g, uint32_t ref, struct p2m_entry *page, uint8_t *host);
#endif
