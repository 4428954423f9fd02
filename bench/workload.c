/* Workload pieces more than one platform shares: the cpu workload's
 * checks and derived throughput, lmbench rows, and the platform contract
 * driver (bench/platforms/run.sh). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>
#include "bench.h"
#include "jsonread.h"
#include "paths.h"
#include "platform.h"
#include "spawn.h"
#include "../workloads/cpu.h"

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

/* ---- lmbench: `pvbench lmbench --quick --json [--no-linux]` (cmd_lmbench.c) */

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
	snprintf(reason, n, "pvbench lmbench is not built");
	return -ENOTSUP;
}

struct text {
	char *buf;
	size_t len, cap;
};

static void on_text(void *ctx, int fd, char *line)
{
	struct text *t = ctx;
	size_t l = strlen(line);
	if (fd != 1 || t->len + l + 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8192;
		while (fd == 1 && t->len + l + 2 > cap)
			cap *= 2;
		char *b = fd == 1 ? realloc(t->buf, cap) : NULL;
		if (!b)
			return;
		t->buf = b;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, line, l);
	t->len += l;
	t->buf[t->len++] = '\n';
	t->buf[t->len] = 0;
}

/* One row {"name": .., "unit": .., "native": V, "pv": V, "pv_unsupported": why}:
 * a sample for side (native, or pv: the domain's), or a detail saying why
 * it has none. */
static int lmbench_row(struct rep_result *r, struct json_object *row, const char *side)
{
	char name[40], unit[16], why[200], key[48];
	double v;
	if (jsonread_str(row, "name", name, sizeof(name)) || jsonread_str(row, "unit", unit, sizeof(unit)))
		return -EINVAL;
	if (!jsonread_double(row, side, &v))
		return result_add(r, 1, name, unit, !strcmp(unit, "MB/s"), 0, v) ? -ENOMEM : 1;
	snprintf(key, sizeof(key), "%s_unsupported", side);
	const char *reason = jsonread_text(row, key);
	snprintf(why, sizeof(why), "%s", reason ? reason : "no value");
	for (char *c = why; *c; c++)
		if (*c == ' ')
			*c = '_';
	snprintf(key, sizeof(key), "no_%s", name);
	result_detail(r, key, why);
	return 0;
}

/* The rows of platform; the number of rows with a value, or -EINVAL. */
static int lmbench_parse(struct rep_result *r, struct json_object *o, const char *platform)
{
	double v;
	if (!jsonread_double(o, "raw_exit_ns", &v))
		result_add(r, 0, "raw_exit_ns", "ns", 0, 0, v);
	struct json_object *rows = jsonread_array(o, "rows");
	if (!rows)
		return -EINVAL;
	int got = 0;
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		struct json_object *row = json_object_array_get_idx(rows, i);
		int rc = json_object_is_type(row, json_type_object) ?
		         lmbench_row(r, row, strcmp(platform, "native") ? "pv" : "native") : -EINVAL;
		if (rc < 0)
			return rc;
		got += rc;
	}
	if (strcmp(platform, "pvos"))
		return got;
	/* the mmu_update batches and the 16 MiB build exist on pvos only */
	struct json_object *mmu = jsonread_array(o, "mmu_update");
	for (size_t i = 0; mmu && i < json_object_array_length(mmu); i++) {
		struct json_object *e = json_object_array_get_idx(mmu, i);
		double b, ns;
		if (json_object_is_type(e, json_type_object) && !jsonread_double(e, "batch", &b) &&
		    !jsonread_double(e, "ns_per_entry", &ns)) {
			char m[48];
			snprintf(m, sizeof(m), "mmu_update_b%.0f_ns", b);
			result_add(r, 1, m, "ns", 0, 0, ns);
		}
	}
	struct json_object *b16 = jsonread_objkey(o, "build16m");
	if (b16 && !jsonread_double(b16, "trap_ns", &v))
		result_add(r, 1, "build16m_trapped_ns", "ns", 0, 0, v);
	if (b16 && !jsonread_double(b16, "batch_ns", &v))
		result_add(r, 1, "build16m_batched_ns", "ns", 0, 0, v);
	return got;
}

/* The pv platform's rows: the Linux PV column ("linux"), measured where
 * the cell is (an emulated column is never a hardware cell's); NULL with
 * why in r->reason. */
static struct json_object *linux_column(struct rep_result *r, struct json_object *o, const char *env)
{
	struct json_object *lx = jsonread_objkey(o, "linux");
	const char *why = lx ? jsonread_text(lx, "unsupported") : "pvbench lmbench gave no Linux PV column";
	bool emulated = lx && json_object_get_boolean(json_object_object_get(lx, "emulated"));
	/* pvbench rep in the nested host measures its cells as "hardware" */
	if (!why && emulated != (env_nested(env) || getenv("PVLAB_NESTED")))
		why = emulated ? "the Linux PV column was measured in the nested AMD-V host, not on this host's hardware"
		               : "the Linux PV column was measured on hardware, not in the nested host";
	if (why) {
		snprintf(r->reason, sizeof(r->reason), "%s", why);
		return NULL;
	}
	const char *k = jsonread_text(lx, "kernel");
	if (k)
		result_detail(r, "linux_kernel", k);
	return lx;
}

/* One platform's share of a pvbench lmbench run: its rows, or why none. */
static int lmbench_take(struct rep_result *r, const char *json, const char *platform, const char *env)
{
	struct json_object *o = jsonread_object(json), *from = o;
	if (o && !strcmp(platform, "pv") && !(from = linux_column(r, o, env))) {
		jsonread_free(o);
		return -ENOTSUP;
	}
	int got = o ? lmbench_parse(r, from, platform) : -EINVAL;
	const char *why = got == 0 && !strcmp(platform, "pvos") ? jsonread_text(from, "pv_unsupported") : NULL;
	if (got == 0)
		snprintf(r->reason, sizeof(r->reason), why ? "%s" : "pvbench lmbench gave no row for %s", why ? why : platform);
	jsonread_free(o);
	if (got < 0) {
		snprintf(r->reason, sizeof(r->reason), "pvbench lmbench --json: output not understood");
		return -EIO;
	}
	return got ? 0 : -ENOTSUP;
}

void lmbench_measure(struct measured *m, int n)
{
	char self[PATH_MAX + 16];
	snprintf(self, sizeof(self), "%s/pvbench", bindir);
	/* the Linux PV column (a boot of its own) only for a pv cell */
	char *argv[] = { self, "lmbench", "--quick", "--json", "--no-linux", NULL };
	for (int i = 0; i < n; i++)
		if (!strcmp(m[i].ops->name, "pv"))
			argv[4] = NULL;
	int timeout = 0;
	for (int i = 0; i < n; i++)
		if (m[i].ctx->cell->timeout_s > timeout)
			timeout = m[i].ctx->cell->timeout_s;
	struct text t = { 0 };
	struct spawn_io io = { .on_line = on_text, .ctx = &t };
	double wall = 0;
	int st = spawn_run(argv, timeout, &io, &wall);
	for (int i = 0; i < n; i++) {
		struct rep_result *r = m[i].res;
		r->wall_s = wall;
		if (st)
			m[i].rc = spawn_failed(r, "pvbench lmbench", st, timeout, spawn_last_error(&io));
		else
			m[i].rc = lmbench_take(r, t.buf ? t.buf : "", m[i].ops->name, m[i].ctx->cell->env);
		if (n > 1) {
			char with[64] = "";
			for (int k = 0; k < n; k++)
				if (k != i)
					snprintf(with + strlen(with), sizeof(with) - strlen(with), "%s%s", with[0] ? "," : "",
					         m[k].ops->name);
			result_detail(r, "measured_with", with);
		}
	}
	free(t.buf);
}

int lmbench_rep(const struct platform_ops *self, const struct cell_ctx *c, struct rep_result *r)
{
	struct measured m = { .ctx = c, .ops = self, .res = r };
	lmbench_measure(&m, 1);
	return m.rc;
}

/* ---- the platform contract ------------------------------------------ */

struct contract_ctx {
	struct rep_result *r;
	int instance, bad_lines, unsupported;
};

static void on_contract_line(void *ctx, int fd, char *line)
{
	struct contract_ctx *c = ctx;
	if (fd != 1)
		return;
	int rc = parse_contract(c->r, c->instance, line);
	if (rc < 0)
		c->bad_lines++;
	else if (rc == 2)
		c->unsupported = 1;
}

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
	struct contract_ctx cc = { r, c->cell->domains == 1 ? 1 : 0, 0, 0 };
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
