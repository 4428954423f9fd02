/* Workload pieces more than one platform shares: the cpu workload's
 * checks and derived throughput, lmbench rows, and the platform contract
 * driver (bench/platforms/run.sh). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bench.h"
#include "paths.h"
#include "platform.h"
#include "spawn.h"
#include "workloads/cpu.h"

int cpu_kernel_count(void)
{
	return nr_cpu_kernels;
}

int cpu_finish(struct rep_result *r, int instances)
{
	if (r->bad[0]) {
		snprintf(r->reason, sizeof(r->reason), "%s", r->bad);
		return -EIO;
	}
	for (int k = 1; k <= instances; k++) {
		int got = result_count(r, k, "_ms");
		if (got != nr_cpu_kernels) {
			snprintf(r->reason, sizeof(r->reason), "instance d%d reported %d of %d CPU kernels", k, got,
			         nr_cpu_kernels);
			return -EIO;
		}
		double ms = 0;
		for (int i = 0; i < r->ns; i++)
			if (r->s[i].instance == k && !r->s[i].derived)
				ms += r->s[i].value;
		/* one pass = every kernel once; the domain's own rate under contention */
		if (result_add(r, k, "passes_per_s", "passes/s", 1, 1, 1e3 / ms))
			return -ENOMEM;
	}
	if (r->wall_s <= 0) {
		snprintf(r->reason, sizeof(r->reason), "no wall-clock time for the cell");
		return -EIO;
	}
	if (result_add(r, 0, "wall_s", "s", 0, 0, r->wall_s) ||
	    result_add(r, 0, "aggregate_passes_per_s", "passes/s", 1, 1, instances / r->wall_s))
		return -ENOMEM;
	return 0;
}

int spawn_failed(struct rep_result *r, const char *what, int status, int timeout_s, const char *last)
{
	if (status == -ETIMEDOUT)
		snprintf(r->reason, sizeof(r->reason), "%s ran past its %d s limit and was killed", what, timeout_s);
	else if (status == -EINTR)
		snprintf(r->reason, sizeof(r->reason), "interrupted");
	else if (status < 0)
		snprintf(r->reason, sizeof(r->reason), "cannot run %s: %s", what, strerror(-status));
	else
		snprintf(r->reason, sizeof(r->reason), "%s exited with status %d: %s", what, status, last);
	return status == -EINTR ? -EINTR : -EIO;
}

void export_build_env(void)
{
	char build[PATH_MAX + 4];
	snprintf(build, sizeof(build), "%s/..", bindir);
	char *real = realpath(build, NULL);
	setenv("BUILD", real ? real : build, 1);
	setenv("BIN", bindir, 1);
	free(real);
}

/* ---- lmbench: `pvbench lmbench` arrives with the memory issue ---------- */

int lmbench_supported(char *reason, size_t n)
{
	char self[PATH_MAX + 16];
	snprintf(self, sizeof(self), "%s/pvbench", bindir);
	char *argv[] = { self, "lmbench", "--help", NULL };
	struct spawn_io io = { 0 };
	double wall;
	int st = spawn_run(argv, 30, &io, &wall);
	if (st == 0 || st == -EINTR)
		return st;
	snprintf(reason, n, "pvbench lmbench is not built yet (the paravirtual memory issue adds it)");
	return -ENOTSUP;
}

struct contract_ctx {
	struct rep_result *r;
	int instance, bad_lines, unsupported;
	const char *platform;
};

static void on_contract_line(void *ctx, int fd, char *line)
{
	struct contract_ctx *c = ctx;
	if (fd != 1)
		return;
	int rc = parse_contract(c->r, c->instance, line, c->platform);
	if (rc < 0)
		c->bad_lines++;
	else if (rc == 2)
		c->unsupported = 1;
}

int lmbench_rep(const struct cell_ctx *c, const char *platform, struct rep_result *r)
{
	char self[PATH_MAX + 16];
	snprintf(self, sizeof(self), "%s/pvbench", bindir);
	char *argv[] = { self, "lmbench", "--quick", "--samples", NULL };
	struct contract_ctx cc = { r, 1, 0, 0, platform };
	struct spawn_io io = { .on_line = on_contract_line, .ctx = &cc };
	int st = spawn_run(argv, c->cell->timeout_s, &io, &r->wall_s);
	if (st)
		return spawn_failed(r, "pvbench lmbench", st, c->cell->timeout_s, spawn_last_error(&io));
	if (!r->ns) {
		snprintf(r->reason, sizeof(r->reason), "pvbench lmbench printed no sample line for %s", platform);
		return -EIO;
	}
	return 0;
}

/* ---- the platform contract ------------------------------------------ */

int contract_rep(const struct cell_ctx *c, const char *platform, struct rep_result *r)
{
	char run[PATH_MAX], inst[16];
	snprintf(run, sizeof(run), "%s/run.sh", bench_platforms_dir());
	if (access(run, X_OK)) {
		snprintf(r->reason, sizeof(r->reason), "no platform driver: %.300s is %s", run,
		         access(run, F_OK) ? "missing (the full-virt/uml platforms are not in this tree yet)"
		                           : "not executable");
		return -ENOTSUP;
	}
	char *argv[8] = { run, (char *)platform, (char *)c->cell->workload };
	int a = 3;
	if (c->cell->quick)
		argv[a++] = "--quick";
	if (c->cell->domains > 1) {
		snprintf(inst, sizeof(inst), "%d", c->cell->domains);
		argv[a++] = "--instances";
		argv[a++] = inst;
	}
	argv[a] = NULL;
	/* one instance: its samples are that instance's; several: the driver
	 * reports the cell as a whole */
	struct contract_ctx cc = { r, c->cell->domains == 1 ? 1 : 0, 0, 0, NULL };
	struct spawn_io io = { .on_line = on_contract_line, .ctx = &cc };
	export_build_env();
	int st = spawn_run(argv, c->cell->timeout_s, &io, &r->wall_s);
	if (st == 3 || (st == 0 && cc.unsupported)) {
		if (!r->reason[0])
			snprintf(r->reason, sizeof(r->reason), "%s", spawn_last_error(&io));
		return -ENOTSUP;
	}
	if (st)
		return spawn_failed(r, "bench/platforms/run.sh", st, c->cell->timeout_s, spawn_last_error(&io));
	if (cc.bad_lines || !r->ns) {
		snprintf(r->reason, sizeof(r->reason), "run.sh %s %s: %s", platform, c->cell->workload,
		         cc.bad_lines ? "malformed sample lines" : "printed no sample line");
		return -EIO;
	}
	return 0;
}
