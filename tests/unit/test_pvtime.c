/* pvtime.c: the TSC-to-ns scale guests use and the seqlock-style records. */
#include <stdlib.h>
#include <unistd.h>
#include "check.h"
#include "../../hypervisor/src/pvmon.h"
#include "../../hypervisor/src/pvtime.h"

int main(void)
{
	CHECK_EQ(time_tsc_mul(0), 0);
	const uint64_t khz[] = { 1000000, 2596124, 3000000, 4700000 };
	for (int i = 0; i < 4; i++) {
		uint64_t mul = time_tsc_mul(khz[i]);
		uint64_t one_s = khz[i] * 1000;                     /* ticks in a second */
		uint64_t ns = (uint64_t)(((unsigned __int128)one_s * mul) >> 32);
		CHECK(ns > 999999000ULL && ns <= 1000000000ULL);    /* within 1 us per second */
	}
	time_init();
	uint64_t t0 = time_now();
	usleep(20000);
	uint64_t t1 = time_now();
	CHECK(t1 - t0 >= 20000000ULL);
	host.tsc_khz = 2600000;
	struct pv_vcpu_time t = { 0 };
	time_publish(&t, 123, 456);
	CHECK_EQ(t.version, 2);
	CHECK_EQ(t.virt_time, 123);
	CHECK_EQ(t.virt_stamp, 456);
	CHECK_EQ(t.tsc_mul, time_tsc_mul(2600000));
	CHECK(t.system_time >= t1);
	time_publish(&t, 0, 0);
	CHECK_EQ(t.version, 4);
	struct pv_shared_info *s = calloc(1, sizeof(*s));
	time_publish_wallclock(s);
	CHECK_EQ(s->wc_version, 2);
	CHECK(s->wc_sec > 1600000000ULL);
	CHECK(s->wc_nsec < 1000000000U);
	free(s);
	return CHECK_DONE();
}
