/* Latency samples and what is computed from them: nearest-rank percentiles
 * over the sorted samples, log-2 histogram buckets, and the integer
 * formatting the CSV writers use instead of printf. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pvtrace.h"

int pvt_lat_add(struct pvt_lat *l, uint64_t ns)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		uint64_t *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = ns;
	l->sum += ns;
	if (ns > l->max)
		l->max = ns;
	return 0;
}

int pvt_lat_merge(struct pvt_lat *dst, const struct pvt_lat *src)
{
	if (dst->n + src->n > dst->cap) {
		size_t cap = dst->n + src->n;
		uint64_t *v = realloc(dst->v, (cap ? cap : 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		dst->v = v;
		dst->cap = cap;
	}
	if (src->n)
		memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
	dst->n += src->n;
	dst->sum += src->sum;
	if (src->max > dst->max)
		dst->max = src->max;
	return 0;
}

void pvt_lat_free(struct pvt_lat *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void pvt_lat_sort(struct pvt_lat *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_u64);
}

/* Nearest rank: the smallest sample with at least p% of the samples at or
 * below it, i.e. v[ceil(p/100 * n) - 1]. */
uint64_t pvt_lat_pct(const struct pvt_lat *l, double p)
{
	if (!l->n)
		return 0;
	double r = p / 100.0 * (double)l->n;
	size_t rank = (size_t)r;
	if ((double)rank < r)
		rank++;
	if (rank < 1)
		rank = 1;
	if (rank > l->n)
		rank = l->n;
	return l->v[rank - 1];
}

int pvt_bucket(uint64_t ns)
{
	return ns < 2 ? 0 : 63 - __builtin_clzll(ns);
}

void pvt_bucket_bounds(int b, uint64_t *lo, uint64_t *hi_excl)
{
	*lo = b == 0 ? 0 : 1ULL << b;
	*hi_excl = b >= 63 ? UINT64_MAX : 1ULL << (b + 1);
}

int pvt_u64toa(uint64_t v, char *buf)
{
	char tmp[20];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (int i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

int pvt_i64toa(int64_t v, char *buf)
{
	if (v >= 0)
		return pvt_u64toa((uint64_t)v, buf);
	buf[0] = '-';
	return 1 + pvt_u64toa(-(uint64_t)v, buf + 1);
}
