/* Measurements: the gate a cell's platform passes first, which cells of
 * one round of a group one measurement serves, and making it. A cell is measured alone, through its
 * platform's run_rep, except: the cells of a nested environment, all
 * measured in one boot of the nested host (nested.c), native first where
 * the group has it; and the lmbench cells of native, pvos and pv, where
 * one `pvbench lmbench` run measures every side (pv: its Linux PV column)
 * and each cell keeps its own rows, so that the cells of a repetition
 * come from one measurement instead of runs that each keep a part. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "platform.h"
#include "spawn.h"

int platform_gate(struct plat_state *ps, const struct platform_ops *ops, const char *env, const char *workload,
                  struct progress *p, char *why, size_t n)
{
	if (!ps->detected) {
		ps->detected = 1;
		ps->det_rc = ops->detect(ops, ps->detail, sizeof(ps->detail), ps->reason, sizeof(ps->reason));
	}
	/* an interrupted probe says nothing about the platform */
	if (ps->det_rc == -EINTR || bench_interrupted) {
		ps->detected = 0;
		return -EINTR;
	}
	if (ps->det_rc) {
		snprintf(why, n, "%s", ps->reason);
		return -ENOTSUP;
	}
	int rc = ops->supports(workload, why, n);
	if (rc)
		return rc == -EINTR ? rc : -ENOTSUP;
	if (ops->prepare && !ps->prepared) {
		ps->prepared = 1;
		ps->prep_rc = ops->prepare(ops, env, p, ps->prep_reason, sizeof(ps->prep_reason));
		if (ps->prep_rc == -EINTR || bench_interrupted) {
			ps->prepared = 0;
			return -EINTR;
		}
		char detail[sizeof(ps->detail)], why2[512];
		if (!ps->prep_rc && !env_nested(env) && !ops->detect(ops, detail, sizeof(detail), why2, sizeof(why2)))
			memcpy(ps->detail, detail, sizeof(detail));
	}
	if (ops->prepare && ps->prep_rc) {
		snprintf(why, n, "%s", ps->prep_reason);
		return ps->prep_rc == -ENOTSUP ? -ENOTSUP : -EIO;
	}
	return 0;
}

bool measured_together(const struct db_cell *a, const struct db_cell *b)
{
	if (strcmp(a->env, b->env))
		return false;
	if (env_nested(a->env))
		return true;
	return !strcmp(a->workload, "lmbench") && !strcmp(b->workload, "lmbench") && a->domains == b->domains;
}

int round_unit(const struct db_cell *const *c, int n, bool *taken, int i, int *unit)
{
	int k = 0;
	for (int j = i; j < n; j++)
		if (j == i || (!taken[j] && measured_together(c[i], c[j])))
			unit[k++] = j, taken[j] = true;
	return k;
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
