/* What the kernel loader's files (bzimage.c, xenelf.c, xenlayout.c) share:
 * a refusal that says why, and the canonical-address test. */
#ifndef PVMON_KLOAD_H
#define PVMON_KLOAD_H
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Write the reason into err and return -EINVAL. */
__attribute__((format(printf, 3, 4)))
static inline int kload_refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* x86-64, 4-level paging: bits 63..47 all equal. */
static inline bool kload_canonical(uint64_t va)
{
	uint64_t top = va >> 47;
	return top == 0 || top == 0x1ffff;
}
#endif
