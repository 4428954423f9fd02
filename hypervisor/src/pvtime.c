/* Clocks. Guests read time without exits: pvmon publishes (tsc, system
 * time) pairs and the TSC rate; the guest TSC equals the host TSC here
 * because pvmon never offsets it (checked at start, see host.c). */
#include <time.h>
#include <x86intrin.h>
#include "pvmon.h"
#include "pvtime.h"

uint64_t time_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void time_init(void)
{
	host.boot_ns = time_mono_ns();
}

uint64_t time_now(void)
{
	return time_mono_ns() - host.boot_ns;
}

struct timespec time_abs(uint64_t ns)
{
	uint64_t abs = host.boot_ns + ns;
	return (struct timespec){ (time_t)(abs / 1000000000ULL), (long)(abs % 1000000000ULL) };
}

uint64_t time_tsc_mul(uint64_t tsc_khz)
{
	if (!tsc_khz)
		return 0;
	return (1000000ULL << 32) / tsc_khz;
}

void time_publish(struct pv_vcpu_time *t, uint64_t virt_time, uint64_t virt_stamp)
{
	uint32_t v = __atomic_load_n(&t->version, __ATOMIC_RELAXED);
	__atomic_store_n(&t->version, v + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	uint64_t tsc = __rdtsc();
	t->system_time = time_now();
	t->tsc_timestamp = tsc;
	t->tsc_mul = time_tsc_mul(host.tsc_khz);
	t->virt_time = virt_time;
	t->virt_stamp = virt_stamp;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&t->version, v + 2, __ATOMIC_RELAXED);
}

void time_publish_wallclock(struct pv_shared_info *s)
{
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	uint64_t wall = (uint64_t)rt.tv_sec * 1000000000ULL + (uint64_t)rt.tv_nsec - time_now();
	s->wc_version++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	s->wc_sec = wall / 1000000000ULL;
	s->wc_nsec = (uint32_t)(wall % 1000000000ULL);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	s->wc_version++;
}
