/* The lines of workloads/lmbench.c as pvbench reads them, wherever they
 * ran: "lmbench: NAME VALUE UNIT", "lmbench: NAME unsupported WHY",
 * "lmbench: begin NAME ops=N" before each row, "lmbench: done", after any
 * prefix (pvmon's "[domain] "). Under `pvmon --console-counters` a stamp
 * "{key=N ...}" (pvmon_domstats.h's PVMON_CONSOLE_COUNTERS) comes before
 * the text; a row whose begin and end lines both carry one gets each
 * counter per operation: measured, the row's setup included. */
#ifndef PVBENCH_LMROWS_H
#define PVBENCH_LMROWS_H
#include <stdbool.h>
#include <stdint.h>
#include "pvmon_domstats.h"

#define LM_NROWS 8
extern const char *const lm_row_names[LM_NROWS];

struct lm_row {
	double v;                  /* value, when ok */
	char unit[8];
	char note[160];            /* why not, when unsupported */
	int ok;
	long ops;                  /* operations, from its begin line (0: none seen) */
	bool has[CONSCNT_NR];      /* per_op[i] measured: both lines carried counter i */
	double per_op[CONSCNT_NR];
	uint64_t at[CONSCNT_NR];   /* the begin line's stamp */
	bool at_has[CONSCNT_NR];
};

struct lm_side {
	struct lm_row rows[LM_NROWS];
	int done;                  /* saw "lmbench: done" */
	int bad;                   /* malformed begin lines or stamps */
	char mode[160];            /* pvos's boot line on how it takes faults and forks */
};

/* The stamp "{key=N ...}" that starts at p: counters by key into v and
 * has (keys pvbench does not know are skipped). Returns the text after
 * "} ", or NULL when p holds no well-formed stamp. */
const char *lm_stamp(const char *p, uint64_t v[CONSCNT_NR], bool has[CONSCNT_NR]);
/* Feed one line of output to s (lines that are not lmbench's are ignored). */
void lm_parse_line(struct lm_side *s, const char *line);
/* Whether row r has any counter per operation. */
bool lm_row_counted(const struct lm_row *r);
#endif
