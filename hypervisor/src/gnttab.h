/* Grant tables: a domain lets another map, copy through, or receive (page
 * flip) one of its frames. The entries live in the granting domain's RAM
 * (include/pvlab/pv.h); pvmon reads them once, checks them, and marks them in use
 * with an atomic compare-and-swap. */
#ifndef PVMON_GNTTAB_H
#define PVMON_GNTTAB_H
#include <stdint.h>
#include "pvlab/pv.h"

struct domain;
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
#endif
