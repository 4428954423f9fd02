/* Time: system time (ns since pvmon started), the guest's TSC-based clock
 * parameters, per-vCPU virtual time and the wall clock. */
#ifndef PVMON_TIME_H
#define PVMON_TIME_H
#include <stdint.h>
#include <time.h>
#include "pvlab/pv.h"

void time_init(void);
uint64_t time_now(void);                   /* system time, ns */
uint64_t time_mono_ns(void);               /* CLOCK_MONOTONIC, ns */
struct timespec time_abs(uint64_t ns);     /* system time ns as an absolute CLOCK_MONOTONIC time */
uint64_t time_tsc_mul(uint64_t tsc_khz);   /* ns = delta * mul >> 32 */
/* Refresh a vCPU's time record (seqlock-style version bump). */
void time_publish(struct pv_vcpu_time *t, uint64_t virt_time, uint64_t virt_stamp);
void time_publish_wallclock(struct pv_shared_info *s);
#endif
