/* --counters: libpvcounters (tracing/counters.h) around every workload
 * process of a repetition, its threads and children included; the sums go
 * into the repetition's result (table counters, docs/results.md). */
#ifndef PVBENCH_REP_COUNTERS_H
#define PVBENCH_REP_COUNTERS_H
#include "result.h"
/* From now on, count the workload processes spawn_run starts, into r. */
void rep_counters_begin(struct rep_result *r);
void rep_counters_end(void);
#endif
