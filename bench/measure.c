/* Measurements: which cells of one round of a group one measurement
 * serves, and making it. A cell is measured alone, through its
 * platform's run_rep, except the lmbench cells of native and pv: one
 * `pvbench lmbench` run measures both sides and each cell keeps its own
 * rows, so that the two cells of a repetition come from one measurement
 * instead of two runs that each keep half. */
#include <string.h>
#include "platform.h"

bool measured_together(const struct db_cell *a, const struct db_cell *b)
{
	return !strcmp(a->workload, "lmbench") && !strcmp(b->workload, "lmbench") && a->domains == b->domains;
}

void measure(struct measured *m, int n)
{
	if (n > 1) {
		lmbench_measure(m, n);
		return;
	}
	m->rc = m->ops->run_rep(m->ops, m->ctx, m->res);
}
