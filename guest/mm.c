/* Boot-time memory allocation for pvos. Frames are identity-mapped in the
 * kernel's address space, so a pointer is also the guest-physical address. */
#include "kernel.h"
#include "mm.h"

static uint64_t next_free, mem_end;
static uint8_t *small;
static size_t small_left;

void mm_init(uint64_t first_free, uint64_t end)
{
	next_free = (first_free + 4095) & ~4095ULL;
	mem_end = end;
}

void *page_alloc(size_t pages)
{
	int m = irq_save();
	uint64_t need = pages * 4096;
	void *p = 0;
	if (next_free + need <= mem_end) {
		p = (void *)next_free;
		next_free += need;
	}
	irq_restore(m);
	if (p)
		memset(p, 0, need);
	return p;
}

void *kalloc(size_t bytes)
{
	bytes = (bytes + 15) & ~15ULL;
	if (bytes > 4096)
		return page_alloc((bytes + 4095) / 4096);
	int m = irq_save();
	if (small_left < bytes) {
		irq_restore(m);
		uint8_t *pg = page_alloc(1);
		m = irq_save();
		if (!pg) {
			irq_restore(m);
			return 0;
		}
		small = pg;
		small_left = 4096;
	}
	void *p = small;
	small += bytes;
	small_left -= bytes;
	irq_restore(m);
	return p;
}

uint64_t mm_free_bytes(void)
{
	return mem_end - next_free;
}
