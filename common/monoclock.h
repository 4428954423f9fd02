/* CLOCK_MONOTONIC, read one way by every host-side measurement that is not
 * pvmon's own (pvmon's clock is hypervisor/src/pvtime.c). */
#ifndef PVLAB_MONOCLOCK_H
#define PVLAB_MONOCLOCK_H
#include <stdint.h>
#include <time.h>

static inline uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
#endif
