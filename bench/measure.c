/* Measurements: which cells of one round of a group one measurement
 * serves, and making it. A cell is measured alone, through its
 * platform's run_rep, except: the cells of a nested environment, all
 * measured in one boot of the nested host (nested.c), native first where
 * the group has it; and the lmbench cells of native and pv, where one
 * `pvbench lmbench` run measures both sides and each cell keeps its own
 * rows, so that the two cells of a repetition come from one measurement
 * instead of two runs that each keep half. */
#include <string.h>
#include "platform.h"

bool measured_together(const struct db_cell *a, const struct db_cell *b)
{
	if (strcmp(a->env, b->env))
		return false;
	if (env_nested(a->env))
		return true;
	return !strcmp(a->workload, "lmbench") && !strcmp(b->workload, "lmbench") && a->domains == b->domains;
}

void measure(struct measured *m, int n)
{
	if (env_nested(m[0].ctx->cell->env)) {
		nested_measure(m, n);
		return;
	}
	if (n > 1) {
		lmbench_measure(m, n);
		return;
	}
	m->rc = m->ops->run_rep(m->ops, m->ctx, m->res);
}
