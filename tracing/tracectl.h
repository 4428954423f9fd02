/* LTTng session control for pvmon (`run --trace`), pvctl trace and pvbench,
 * through liblttng-ctl loaded at run time. Errors: -errno and one line. */
#ifndef PVLAB_TRACECTL_H
#define PVLAB_TRACECTL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Event groups, comma-separated: all, hypercall, sched, tlb, pageflip, exit,
 * evtchn, domain. Fills up to max "pvmon:..." patterns; returns how many. */
int tracectl_patterns(const char *events, char pats[][64], int max, char *err, size_t n);

struct tracectl_opts {
	const char *session;
	const char *url;             /* a directory, file://DIR, or net://HOST[:CTRL:DATA] for lttng-relayd */
	const char *events;          /* groups as above; NULL: all */
	bool snapshot;               /* flight recorder: buffers overwrite, written by tracectl_snapshot */
	bool live;                   /* live session: url must be net:// (default net://127.0.0.1) */
	unsigned live_timer_us;      /* live: how often buffers go to the relayd; 0: 1 s */
	int pid;                     /* > 0: record only this process ($ctx.vpid filter) */
	uint64_t subbuf_size;        /* per-CPU sub-buffer bytes, power of 2; 0: 1 MiB */
	unsigned num_subbuf;         /* sub-buffers per CPU, power of 2; 0: 4 */
};

/* Create and start a user-space session: one channel "pvmon" with the
 * process id (vpid) as context on every event, the groups enabled. Starts
 * a session daemon if none runs. */
int tracectl_start_opts(const struct tracectl_opts *o, char *err, size_t n);
/* The same with defaults, recording every pvmon on the host (pvctl). */
int tracectl_start(const char *session, const char *url, const char *events, char *err, size_t n);
/* The same, recording only the calling process (`pvmon run --trace`): other
 * pvmons on the host neither appear in the trace nor crowd its buffers. */
int tracectl_start_self(const char *session, const char *url, const char *events, char *err, size_t n);
/* Snapshot session: write the buffers' current content under the session's
 * output (one new snapshot-* directory); where is copied into where[]. */
int tracectl_snapshot(const char *session, char *where, size_t wn, char *err, size_t n);
/* Stop (flushes), count what the tracer lost, destroy. lost_events: events
 * discarded because the buffers were full (discard mode); lost_packets:
 * packets lost or, for a snapshot session, overwritten. */
int tracectl_stop_counts(const char *session, uint64_t *lost_events, uint64_t *lost_packets, char *err,
                         size_t n);
int tracectl_stop(const char *session, uint64_t *lost, char *err, size_t n);
#endif
