/* Guest memory access: every guest-physical range and guest-virtual
 * pointer is checked against the domain before pvmon touches it. */
#ifndef PVMON_GUESTMEM_H
#define PVMON_GUESTMEM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GM_MAX_EXTRA 3

/* A guest-physical range outside RAM that pvmon may reach: the page-table
 * pool (read-only to copies into the guest) and the grant windows. */
struct guestmem_region {
	uint64_t gpa, size;
	uint8_t *host;
	bool writable;
};

struct guestmem {
	uint8_t *base;             /* host address of guest-physical 0 (RAM) */
	uint64_t size;             /* RAM bytes */
	const uint8_t *ram_flags;  /* NULL, or per RAM frame: bit 0 set = given back, absent */
	struct guestmem_region extra[GM_MAX_EXTRA];
	int nr_extra;
};

/* Host pointer to [gpa, gpa+len) for reading, or NULL if any byte is
 * outside the domain (or in a frame it gave back); a range may not span
 * two regions. guestmem_gpa_write also refuses read-only regions. */
void *guestmem_gpa(const struct guestmem *m, uint64_t gpa, uint64_t len);
void *guestmem_gpa_write(const struct guestmem *m, uint64_t gpa, uint64_t len);
/* Walk the 4-level table at cr3; 0 and *gpa on success, -EFAULT if not
 * mapped (or not writable when write), a table outside memory included. */
int guestmem_translate(const struct guestmem *m, uint64_t cr3, uint64_t gva, bool write, uint64_t *gpa);
int guestmem_copy_from(const struct guestmem *m, uint64_t cr3, void *dst, uint64_t gva, size_t len);
int guestmem_copy_to(const struct guestmem *m, uint64_t cr3, uint64_t gva, const void *src, size_t len);
#endif
