/* The host side's one number parser (numparse.h). Written out digit by
 * digit rather than on strtoull, which takes a sign, leading spaces and
 * wraps negative numbers to huge ones. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include "numparse.h"

static int digit(char c, unsigned base)
{
	unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
	           : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
	           : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 99;
	return d < base ? (int)d : -1;
}

/* Digits of s (decimal, or hex after 0x) into *v; -ERANGE past 2^64 - 1. */
static int magnitude(const char *s, uint64_t *v)
{
	unsigned base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	uint64_t x = 0;
	bool big = false;
	for (; *s; s++) {
		int d = digit(*s, base);
		if (d < 0)
			return -EINVAL;
		if (x > (UINT64_MAX - (unsigned)d) / base)
			big = true;
		else
			x = x * base + (unsigned)d;
	}
	if (big)
		return -ERANGE;
	*v = x;
	return 0;
}

int num_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;
	if (!s)
		return -EINVAL;
	int rc = magnitude(s, &v);
	if (rc)
		return rc;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int num_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	uint64_t m;
	if (!s)
		return -EINVAL;
	bool neg = *s == '-';
	int rc = magnitude(s + neg, &m);
	if (rc)
		return rc;
	if (m > (uint64_t)INT64_MAX + neg)
		return -ERANGE;
	int64_t v = neg ? (int64_t)(0 - m) : (int64_t)m;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int num_double(const char *s, double min, double max, double *out)
{
	if (!s || !*s || (*s != '.' && *s != '-' && digit(*s, 10) < 0))
		return -EINVAL;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (*end || errno == EINVAL)
		return -EINVAL;
	if (errno == ERANGE || !isfinite(v) || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int num_int(const char *s, int min, int max, int *out)
{
	int64_t v;
	int rc = num_i64(s, min, max, &v);
	if (!rc)
		*out = (int)v;
	return rc;
}
