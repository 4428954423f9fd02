/* guestmem.c: the software page walk that guards every hypercall pointer. */
#include <errno.h>
#include <stdlib.h>
#include "check.h"
#include "../../hypervisor/src/guestmem.h"

#define MB (1ULL << 20)
static uint8_t *mem;
static struct guestmem gm;
static uint64_t *T(uint64_t gpa) { return (uint64_t *)(mem + gpa); }

int main(void)
{
	gm.size = 8 * MB;
	mem = calloc(1, gm.size);
	gm.base = mem;
	/* PML4 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000 */
	T(0x1000)[0] = 0x2000 | 7;
	T(0x2000)[0] = 0x3000 | 7;
	T(0x3000)[0] = 0x4000 | 7;             /* 0..2M: 4 KiB pages */
	T(0x4000)[1] = 0x10000 | 7;            /* va 0x1000 -> pa 0x10000 rw */
	T(0x4000)[2] = 0x5000 | 5;             /* va 0x2000 -> pa 0x5000 read-only */
	T(0x4000)[3] = 0x30000 | 7;            /* va 0x3000 -> pa 0x30000: not contiguous with va 0x2000 */
	T(0x4000)[4] = 0x7ffff000ULL | 7;      /* leaf outside memory */
	T(0x3000)[1] = 0x200000 | 0x87;        /* 2M..4M: one 2 MiB page at pa 2M */
	T(0x3000)[2] = 0x40000000ULL | 0x87;   /* 2 MiB page outside memory */
	T(0x3000)[3] = 0x9000000ULL | 7;       /* next-level table outside memory */
	T(0x2000)[1] = 0 | 0x87;               /* 1 GiB page at pa 0 (memory is 8 MiB) */

	uint64_t gpa = 0;
	CHECK_EQ(guestmem_translate(&gm, 0x1000, 0x1234, false, &gpa), 0);
	CHECK_EQ(gpa, 0x10234);
	CHECK_EQ(guestmem_translate(&gm, 0x1000, 0x2010, false, &gpa), 0);
	CHECK_EQ(gpa, 0x5010);
	CHECK_EQ(guestmem_translate(&gm, 0x1000, 0x2010, true, &gpa), -EFAULT);      /* read-only */
	CHECK_EQ(guestmem_translate(&gm, 0x1000, 0x5000, false, &gpa), -EFAULT);     /* not present */
	CHECK_EQ(guestmem_translate(&gm, 0x1000, 0x4000, false, &gpa), -EFAULT);     /* leaf outside */
	CHECK_EQ(guestmem_translate(&gm, 0x1000, 0x200000 + 0x1234, true, &gpa), 0); /* 2 MiB page */
	CHECK_EQ(gpa, 0x201234);
	CHECK_EQ(guestmem_translate(&gm, 0x1000, 0x400000, false, &gpa), -EFAULT);   /* 2 MiB page outside */
	CHECK_EQ(guestmem_translate(&gm, 0x1000, 0x600000, false, &gpa), -EFAULT);   /* table outside */
	CHECK_EQ(guestmem_translate(&gm, 0x1000, (1ULL << 30) + 0x123456, false, &gpa), 0); /* 1 GiB page */
	CHECK_EQ(gpa, 0x123456);
	CHECK_EQ(guestmem_translate(&gm, 0x1000, (1ULL << 30) + 0x900000, false, &gpa), -EFAULT);
	CHECK_EQ(guestmem_translate(&gm, 0x1000, 1ULL << 47, false, &gpa), -EFAULT);  /* upper half */
	CHECK_EQ(guestmem_translate(&gm, 0x1000, ~0ULL, false, &gpa), -EFAULT);
	CHECK_EQ(guestmem_translate(&gm, 0x7fffff000ULL, 0x1000, false, &gpa), -EFAULT); /* cr3 outside */

	CHECK(guestmem_gpa(&gm, 0, gm.size) == mem);
	CHECK(guestmem_gpa(&gm, gm.size - 1, 1) != NULL);
	CHECK(guestmem_gpa(&gm, gm.size - 1, 2) == NULL);
	CHECK(guestmem_gpa(&gm, gm.size, 0) != NULL);
	CHECK(guestmem_gpa(&gm, ~0ULL - 4, 8) == NULL);                /* no wrap-around */
	CHECK(guestmem_gpa(&gm, 16, ~0ULL - 8) == NULL);

	/* A copy across va 0x2000|0x3000 lands in frames 0x5000 and 0x30000. */
	char src[32], dst[32];
	for (int i = 0; i < 32; i++)
		src[i] = (char)(i + 1);
	CHECK_EQ(guestmem_copy_to(&gm, 0x1000, 0x1ff0, src, 32), -EFAULT);  /* rw page, then a read-only one */
	T(0x4000)[2] = 0x5000 | 7;                               /* make it writable */
	CHECK_EQ(guestmem_copy_to(&gm, 0x1000, 0x2ff0, src, 32), 0);
	CHECK_EQ(memcmp(mem + 0x5ff0, src, 16), 0);
	CHECK_EQ(memcmp(mem + 0x30000, src + 16, 16), 0);
	CHECK_EQ(guestmem_copy_from(&gm, 0x1000, dst, 0x2ff0, 32), 0);
	CHECK_EQ(memcmp(dst, src, 32), 0);
	CHECK_EQ(guestmem_copy_from(&gm, 0x1000, dst, 0x3ff0, 32), -EFAULT); /* runs into the leaf outside */
	CHECK_EQ(guestmem_copy_from(&gm, 0x1000, dst, ~0ULL - 8, 32), -EFAULT); /* wraps */
	free(mem);
	return CHECK_DONE();
}
