/* The three kinds of time, read from the shared-info page and the TSC
 * without a hypercall. */
#include "kernel.h"

uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static struct pv_vcpu_time *my_time(void)
{
	return &shared->vcpu[0].time;
}

static void snapshot(struct pv_vcpu_time *out)
{
	volatile struct pv_vcpu_time *t = my_time();
	uint32_t v;
	do {
		v = t->version;
		__asm__ volatile("" ::: "memory");
		out->tsc_timestamp = t->tsc_timestamp;
		out->system_time = t->system_time;
		out->tsc_mul = t->tsc_mul;
		out->virt_time = t->virt_time;
		out->virt_stamp = t->virt_stamp;
		__asm__ volatile("" ::: "memory");
	} while ((v & 1) || v != t->version);
}

static uint64_t now_from(const struct pv_vcpu_time *t)
{
	uint64_t d = rdtsc() - t->tsc_timestamp;
	if ((int64_t)d < 0)
		d = 0;
	return t->system_time + (uint64_t)(((unsigned __int128)d * t->tsc_mul) >> 32);
}

uint64_t system_time(void)
{
	struct pv_vcpu_time t;
	snapshot(&t);
	return now_from(&t);
}

uint64_t virtual_time(void)
{
	struct pv_vcpu_time t;
	snapshot(&t);
	uint64_t now = now_from(&t);
	return t.virt_time + (now > t.virt_stamp ? now - t.virt_stamp : 0);
}

uint64_t wall_time(void)
{
	volatile struct pv_shared_info *s = shared;
	uint32_t v;
	uint64_t sec, nsec;
	do {
		v = s->wc_version;
		sec = s->wc_sec;
		nsec = s->wc_nsec;
	} while ((v & 1) || v != s->wc_version);
	return sec * 1000000000ULL + nsec + system_time();
}

uint64_t ns_to_tsc_delta(uint64_t ns)
{
	uint64_t mul = my_time()->tsc_mul;
	return mul ? (uint64_t)(((unsigned __int128)ns << 32) / mul) : ns;
}
