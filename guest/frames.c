/* RAM frames for pvos: a bitmap over every frame of the domain; those up to
 * first_free (start info, kernel, boot stack) and the bitmap itself start
 * used. The kernel sees all RAM identity-mapped, so a frame's address is
 * also a pointer to it. */
#include "kernel.h"
#include "mm.h"

static uint64_t *bitmap, nr_frames, free_frames, hint;
static uint8_t *small;
static size_t small_left;

static int used(uint64_t f) { return (bitmap[f / 64] >> (f % 64)) & 1; }
static void mark(uint64_t f, int u)
{
	if (u)
		bitmap[f / 64] |= 1ULL << (f % 64);
	else
		bitmap[f / 64] &= ~(1ULL << (f % 64));
}

void mm_init(uint64_t first_free, uint64_t nr_pages)
{
	uint64_t first = (first_free + 4095) / 4096;
	uint64_t words = (nr_pages + 63) / 64;
	bitmap = (uint64_t *)(first * 4096);
	uint64_t bm_frames = (words * 8 + 4095) / 4096;
	memset(bitmap, 0, bm_frames * 4096);
	nr_frames = nr_pages;
	for (uint64_t f = 0; f < first + bm_frames && f < nr_pages; f++)
		mark(f, 1);
	free_frames = nr_pages > first + bm_frames ? nr_pages - first - bm_frames : 0;
	hint = first + bm_frames;
}

/* First fit from a moving hint: allocations are mostly single frames. */
static void *alloc(size_t pages, int zero)
{
	if (!pages)
		return 0;
	int m = irq_save();
	uint64_t found = 0;
	for (int pass = 0; pass < 2 && !found; pass++) {
		uint64_t start = pass ? 0 : hint, run = 0;
		for (uint64_t f = start; f < nr_frames; f++) {
			run = used(f) ? 0 : run + 1;
			if (run == pages) {
				found = f + 1 - pages;
				break;
			}
		}
	}
	if (found) {
		for (uint64_t f = found; f < found + pages; f++)
			mark(f, 1);
		free_frames -= pages;
		hint = found + pages;
	}
	irq_restore(m);
	if (!found)
		return 0;
	if (zero)
		memset((void *)(found * 4096), 0, pages * 4096);
	return (void *)(found * 4096);
}

void *page_alloc(size_t pages)
{
	return alloc(pages, 1);
}

void *page_take(void)
{
	return alloc(1, 0);
}

void page_free(void *p, size_t pages)
{
	uint64_t f0 = (uint64_t)p / 4096;
	int m = irq_save();
	for (uint64_t f = f0; f < f0 + pages && f < nr_frames; f++) {
		if (!used(f))
			panic("page_free: frame %lu is not allocated", (unsigned long)f);
		mark(f, 0);
	}
	free_frames += pages;
	if (f0 < hint)
		hint = f0;
	irq_restore(m);
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

uint64_t mm_free_frames(void)
{
	return free_frames;
}

uint64_t mm_free_bytes(void)
{
	return free_frames * 4096;
}
