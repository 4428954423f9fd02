/* LTTng session control for pvmon (`run --trace`) and dom0 tools,
 * through liblttng-ctl loaded at run time. Errors: -errno and one line. */
#ifndef PVMON_TRACECTL_H
#define PVMON_TRACECTL_H
#include <stddef.h>
#include <stdint.h>

/* Event groups, comma-separated: all, hypercall, sched, tlb, pageflip, exit,
 * evtchn, domain. Fills up to max "pvmon:..." patterns; returns how many. */
int tracectl_patterns(const char *events, char pats[][64], int max, char *err, size_t n);
/* Create and start a user-space session writing to url (a directory path,
 * file://..., or net://host for lttng-relayd), enabling the groups. Starts
 * a session daemon if none runs. */
int tracectl_start(const char *session, const char *url, const char *events, char *err, size_t n);
/* Stop (flushes), count the events the tracer discarded, destroy. */
int tracectl_stop(const char *session, uint64_t *lost, char *err, size_t n);
#endif
