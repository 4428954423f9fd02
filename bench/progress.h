/* Progress of a pvbench run: a bar with an ETA redrawn in place when
 * stdout is a terminal, one plain line per event otherwise (logs, CI). */
#ifndef PVBENCH_PROGRESS_H
#define PVBENCH_PROGRESS_H
#include <stdbool.h>
#include <stdio.h>

struct progress_cell {
	char platform[16], workload[24];
	int domains, reps;
	bool finished;          /* done/unsupported/failed before this run */
	double weight;          /* expected cost, in units of one simple rep */
	double spent_s;         /* time it took in this session (ran: true) */
	bool ran;
};

struct progress {
	FILE *out;
	bool tty;
	struct progress_cell *cells;
	int n, cur, rep;
	double t0, cell_t0, rep_t0;
	char note[160];
};

/* Weight of a cell: reps, times the domains beyond the host's CPUs. */
double progress_weight(int reps, int domains, int ncpus);
void progress_init(struct progress *p, FILE *out, bool tty, struct progress_cell *cells, int n);
void progress_cell_begin(struct progress *p, int i);
void progress_rep(struct progress *p, int rep);
void progress_note(struct progress *p, const char *note);
/* Redraw the bar (its clock and ETA); nothing without a terminal. */
void progress_tick(struct progress *p);
/* status: done, unsupported, failed; why may be NULL. */
void progress_cell_end(struct progress *p, const char *status, const char *why);
void progress_finish(struct progress *p);
/* Seconds left, from the time per unit of weight spent so far; -1 unknown. */
double progress_eta(const struct progress *p);
/* "1h02m", "3m05s", "42s" */
void format_duration(double s, char *buf, size_t n);
#endif
