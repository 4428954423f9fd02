/* Progress of a pvbench run: a bar with an ETA redrawn in place when
 * stdout is a terminal, one plain line per event otherwise (logs, CI). */
#ifndef PVBENCH_PROGRESS_H
#define PVBENCH_PROGRESS_H
#include <stdbool.h>
#include <stdio.h>

struct progress_cell {
	char platform[40], workload[24];   /* platform: "pvos", "pv@nested-svm" */
	int domains, reps;
	bool finished;          /* done/unsupported/failed before this session */
	double weight;          /* expected cost of one repetition (progress_weight) */
	int warmups;            /* warm-up repetitions begun in this session */
	int reps_run;           /* repetitions finished in this session, warm-ups included */
	double spent_s;         /* the time they took */
	bool started, ended;    /* in this session */
};

struct progress {
	FILE *out;
	bool tty;
	struct progress_cell *cells;
	int n, cur, rep;
	double t0, rep_t0;      /* rep_t0: start of the repetition under way, 0 if none */
	char note[160];
};

/* Cost of one repetition of a cell of N domains, in units of a one-domain
 * repetition: the domains beyond the host's CPUs share them. */
double progress_weight(int domains, int ncpus);
void progress_init(struct progress *p, FILE *out, bool tty, struct progress_cell *cells, int n);
/* Cell i is the one running now (cells of a group take turns); the first
 * time, it is announced. */
void progress_cell_begin(struct progress *p, int i);
/* A repetition of the current cell begins (rep 0: its warm-up) / ends. */
void progress_rep(struct progress *p, int rep);
void progress_rep_end(struct progress *p);
/* The repetition under way was one measurement for several cells (the
 * current one among them): each is credited its share of the time. */
void progress_rep_end_shared(struct progress *p, const int *cells, int n);
void progress_note(struct progress *p, const char *note);
/* Redraw the bar (its clock and ETA); nothing without a terminal. */
void progress_tick(struct progress *p);
/* status: done, unsupported, failed; why may be NULL. */
void progress_cell_end(struct progress *p, const char *status, const char *why);
void progress_finish(struct progress *p);
/* Seconds left, from the time per repetition (per unit of weight) each
 * platform/workload pair took so far; -1 unknown. */
double progress_eta(const struct progress *p);
/* "1h02m", "3m05s", "42s" */
void format_duration(double s, char *buf, size_t n);
#endif
