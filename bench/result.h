/* What one repetition of a cell produces, and the parsers that fill it
 * from the lines the workloads print: pvos/worker console lines
 * ("[d3] cpu: sort result=R best_ns=NS ok"), the platform contract
 * ("sample metric=... value=...") and pvmon's --stats-json lines. */
#ifndef PVBENCH_RESULT_H
#define PVBENCH_RESULT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "pvmon_domstats.h"

struct sample {
	int instance;          /* 0: the cell as a whole; k: domain/process k */
	char metric[48];
	char unit[16];
	int higher;            /* 1 if higher is better */
	int derived;           /* 1 if pvbench computed it from other samples */
	double value;
};

/* pvmon's per-domain accounting: the record of --stats-json, whose
 * statistics hypervisor/include/pvmon_domstats.h lists (DST_x is its
 * DOMSTAT_x; pvmon_domstat_key(i) names statistic i). */
enum {
#define DST_INDEX(NAME, key) DST_##NAME = DOMSTAT_##NAME,
	PVMON_DOMSTATS(DST_INDEX)
#undef DST_INDEX
	DST_NR = DOMSTAT_NR,
};

struct dom_stat {
	int instance;
	char name[32], state[16];
	int exit_code;
	uint64_t v[DST_NR];
};

/* A performance counter around the repetition's workload processes
 * (libpvcounters; --counters). */
struct counter_val {
	char name[32], unit[8];
	double value;
};
#define REP_MAX_COUNTERS 8

struct rep_result {
	struct sample *s;
	int ns, cap_s;
	struct dom_stat *d;
	int nd, cap_d;
	char detail[1024];     /* "key=value" words, space separated */
	char reason[512];      /* why it was unsupported or failed */
	char bad[256];         /* first wrong result a workload reported */
	double wall_s;
	struct counter_val c[REP_MAX_COUNTERS];
	int nc;
	char counter_note[256];  /* which counter set (hardware or software) and why */
};

void result_reset(struct rep_result *r);
void result_free(struct rep_result *r);
int result_add(struct rep_result *r, int instance, const char *metric, const char *unit, int higher,
               int derived, double value);
void result_detail(struct rep_result *r, const char *key, const char *value);
/* Every key=value word of words, as result_detail; -EINVAL if a word is
 * not one (the others are kept). */
int result_words(struct rep_result *r, const char *words);
/* Number of samples of instance whose metric ends in suffix. */
int result_count(const struct rep_result *r, int instance, const char *suffix);

/* "[dK] ..." console prefix: instance K, *rest after "] ". -EINVAL if absent. */
int parse_instance(const char *line, const char **rest);
/* A console line of the cpu or hcall programs; 1 if it gave a sample,
 * 0 if not such a line. A wrong result is noted in r->bad. */
int parse_console(struct rep_result *r, const char *line);
/* A platform-contract line (docs/results.md): 1 sample or detail added
 * (a sample at its instance=K where it names one, else at instance),
 * 2 "unsupported" (reason copied), 0 not a contract line, -EINVAL malformed. */
int parse_contract(struct rep_result *r, int instance, const char *line);
/* One --stats-json line; 0 or -EINVAL. */
int parse_stats_json(const char *line, struct dom_stat *d);

/* A repetition measured elsewhere (pvbench rep, in the nested host) comes
 * back as lines "pvbench-rep: KIND ...": sample INSTANCE DERIVED HIGHER
 * UNIT METRIC VALUE, dstat {--stats-json}, detail WORDS, wall_s S. */
#define REP_LINE "pvbench-rep: "
void result_print(FILE *f, const struct rep_result *r);
/* One such line into r: 1 taken, 0 not one of these, -EINVAL malformed. */
int parse_rep_line(struct rep_result *r, const char *line);
#endif
