/* Guest memory access: every guest-physical range and guest-virtual
 * pointer is checked against the domain before pvmon touches it. */
#ifndef PVMON_GUESTMEM_H
#define PVMON_GUESTMEM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guestmem {
	uint8_t *base;      /* host address of guest-physical 0 */
	uint64_t size;      /* bytes */
};

/* Host pointer to [gpa, gpa+len) or NULL if any byte is outside. */
void *gm_gpa(const struct guestmem *m, uint64_t gpa, uint64_t len);
/* Walk the 4-level table at cr3; 0 and *gpa on success, -EFAULT if not
 * mapped (or not writable when write), a table outside memory included. */
int gm_translate(const struct guestmem *m, uint64_t cr3, uint64_t gva, bool write, uint64_t *gpa);
int gm_copy_from(const struct guestmem *m, uint64_t cr3, void *dst, uint64_t gva, size_t len);
int gm_copy_to(const struct guestmem *m, uint64_t cr3, uint64_t gva, const void *src, size_t len);
#endif
