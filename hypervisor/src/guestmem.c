/* Guest memory access and the software page walk used to translate the
 * guest-virtual pointers that hypercalls carry. */
#include <errno.h>
#include <string.h>
#include "guestmem.h"

#define PTE_P    (1ULL << 0)
#define PTE_RW   (1ULL << 1)
#define PTE_PS   (1ULL << 7)
#define PTE_ADDR 0x000ffffffffff000ULL
#define GVA_LIMIT (1ULL << 47)    /* the guest owns the lower half only */

static void *lookup(const struct guestmem *m, uint64_t gpa, uint64_t len, bool write)
{
	if (gpa <= m->size && len <= m->size - gpa) {
		if (m->ram_flags && len) {
			for (uint64_t f = gpa >> 12; f <= (gpa + len - 1) >> 12; f++)
				if (m->ram_flags[f] & 1)
					return NULL;
		}
		return m->base + gpa;
	}
	for (int i = 0; i < m->nr_extra; i++) {
		const struct guestmem_region *r = &m->extra[i];
		if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
			return write && !r->writable ? NULL : r->host + (gpa - r->gpa);
	}
	return NULL;
}

void *guestmem_gpa(const struct guestmem *m, uint64_t gpa, uint64_t len)
{
	return lookup(m, gpa, len, false);
}

void *guestmem_gpa_write(const struct guestmem *m, uint64_t gpa, uint64_t len)
{
	return lookup(m, gpa, len, true);
}

static int read_pte(const struct guestmem *m, uint64_t table, unsigned idx, uint64_t *pte)
{
	uint64_t *t = guestmem_gpa(m, table & PTE_ADDR, 4096);
	if (!t)
		return -EFAULT;
	*pte = __atomic_load_n(&t[idx], __ATOMIC_RELAXED);
	return 0;
}

int guestmem_translate(const struct guestmem *m, uint64_t cr3, uint64_t gva, bool write, uint64_t *gpa)
{
	uint64_t table = cr3, pte = 0;
	if (gva >= GVA_LIMIT)
		return -EFAULT;
	for (int level = 3; level >= 0; level--) {
		unsigned idx = (gva >> (12 + 9 * level)) & 511;
		if (read_pte(m, table, idx, &pte))
			return -EFAULT;
		if (!(pte & PTE_P) || (write && !(pte & PTE_RW)))
			return -EFAULT;
		if (level > 0 && level < 3 && (pte & PTE_PS)) {
			uint64_t span = 1ULL << (12 + 9 * level);
			uint64_t base = pte & PTE_ADDR & ~(span - 1);
			*gpa = base | (gva & (span - 1));
			return guestmem_gpa(m, *gpa, 1) ? 0 : -EFAULT;
		}
		table = pte & PTE_ADDR;
	}
	*gpa = (pte & PTE_ADDR) | (gva & 4095);
	return guestmem_gpa(m, *gpa, 1) ? 0 : -EFAULT;
}

/* Copy page by page; the guest may map consecutive pages anywhere. */
static int copy(const struct guestmem *m, uint64_t cr3, uint64_t gva, void *buf, size_t len, bool to_guest)
{
	uint8_t *p = buf;
	if (len && gva + len < gva)
		return -EFAULT;
	while (len) {
		uint64_t gpa;
		size_t chunk = 4096 - (gva & 4095);
		if (chunk > len)
			chunk = len;
		if (guestmem_translate(m, cr3, gva, to_guest, &gpa))
			return -EFAULT;
		uint8_t *h = to_guest ? guestmem_gpa_write(m, gpa, chunk) : guestmem_gpa(m, gpa, chunk);
		if (!h)
			return -EFAULT;
		if (to_guest)
			memcpy(h, p, chunk);
		else
			memcpy(p, h, chunk);
		p += chunk;
		gva += chunk;
		len -= chunk;
	}
	return 0;
}

int guestmem_copy_from(const struct guestmem *m, uint64_t cr3, void *dst, uint64_t gva, size_t len)
{
	return copy(m, cr3, gva, dst, len, false);
}

int guestmem_copy_to(const struct guestmem *m, uint64_t cr3, uint64_t gva, const void *src, size_t len)
{
	return copy(m, cr3, gva, (void *)src, len, true);
}
