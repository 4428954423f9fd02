/* libpvcounters: a few performance counters around a run, for pvbench and
 * pvtrace. libpfm4 names the hardware events (cycles, instructions, LLC and
 * dTLB misses) and encodes them for perf_event_open; where the host has no
 * PMU (a VM such as this project's machines), the set falls back to the
 * kernel's software events and pvc_note() says so.
 *
 *   char err[256];
 *   struct pvc *c = pvc_open(0, false, err, sizeof(err));  // this thread
 *   pvc_start(c); work(); pvc_stop(c);
 *   for (int i = 0; i < pvc_count(c); i++)
 *           printf("%s %llu\n", pvc_name(c, i), (unsigned long long)pvc_value(c, i));
 *   pvc_close(c);
 *
 * Link with build/lib/libpvcounters.a -lpfm. Errors are -errno with one line
 * in err. Not thread-safe: one struct pvc per user. */
#ifndef PVLAB_COUNTERS_H
#define PVLAB_COUNTERS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pvc;

/* Count for thread/process tid (0: the calling thread), user and kernel
 * mode. inherit: also count threads and children it creates after the
 * start. Opens the hardware set when every one of its events opens, else
 * the software set. NULL on failure (err says why: e.g. no such task, or
 * perf_event_paranoid forbids it). */
struct pvc *pvc_open(pid_t tid, bool inherit, char *err, size_t n);
/* Reset to zero and start counting / stop counting (values stay readable). */
int pvc_start(struct pvc *c);
int pvc_stop(struct pvc *c);
/* Counters in the set, their names ("cycles", "task-clock", ...) and values
 * as of the last pvc_stop (scaled up if the kernel multiplexed them). */
int pvc_count(const struct pvc *c);
const char *pvc_name(const struct pvc *c, int i);
uint64_t pvc_value(const struct pvc *c, int i);
/* Unit of counter i: "ns" for the clocks, "" for counts. */
const char *pvc_unit(const struct pvc *c, int i);
bool pvc_hardware(const struct pvc *c);
/* How the set was chosen, e.g. "hardware: amd64_fam19h PMU" or "no PMU
 * (cycles: No such file or directory): software events". */
const char *pvc_note(const struct pvc *c);
void pvc_close(struct pvc *c);
#endif
