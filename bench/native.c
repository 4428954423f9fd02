/* The native platform: workloads as host processes. The cpu workload is
 * `pvbench worker cpu`, N processes running the same compiled kernels as
 * pvos and printing what pvos's prog=cpu prints, so that both platforms
 * are read by one parser; the tools (pgbench, dbench, httperf) go through
 * the platform contract's run.sh. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"
#include "monoclock.h"
#include "platform.h"
#include "spawn.h"
#include "../workloads/cpu.h"

static int native_detect(const struct platform_ops *self, char *detail, size_t n, char *reason, size_t rn)
{
	(void)self;
	(void)reason, (void)rn;
	struct utsname u;
	uname(&u);
	snprintf(detail, n, "host_kernel=%s", u.release);
	return 0;
}

static int native_supports(const char *workload, char *reason, size_t n)
{
	if (!strcmp(workload, "hcall")) {
		snprintf(reason, n, "a hypercall exists only inside a domain (the pvos cell records the raw KVM exit beside it)");
		return -ENOTSUP;
	}
	if (!strcmp(workload, "lmbench"))
		return lmbench_supported(reason, n);
	if (!strcmp(workload, "httperf-vif")) {
		snprintf(reason, n, "%s", HTTPERF_VIF_ONLY);
		return -ENOTSUP;
	}
	return 0;
}

static void on_console(void *ctx, int fd, char *line)
{
	if (fd == 1)
		parse_console(ctx, line);
}

static int native_cpu(const struct cell_ctx *c, struct rep_result *r)
{
	char self[PATH_MAX + 16], inst[16];
	snprintf(self, sizeof(self), "%s/pvbench", bindir);
	snprintf(inst, sizeof(inst), "%d", c->cell->domains);
	char *argv[] = { self, "worker", "cpu", "--instances", inst, NULL };
	struct spawn_io io = { .on_line = on_console, .ctx = r };
	int st = spawn_run(argv, c->cell->timeout_s, &io, &r->wall_s);
	if (st && !r->bad[0])
		return spawn_failed(r, "pvbench worker cpu", st, c->cell->timeout_s, spawn_last_error(&io));
	result_detail(r, "processes", inst);
	return cpu_finish(r, c->cell->domains);
}

static int native_run_rep(const struct platform_ops *self, const struct cell_ctx *c, struct rep_result *r)
{
	(void)self;
	if (!strcmp(c->cell->workload, "cpu"))
		return native_cpu(c, r);
	if (!strcmp(c->cell->workload, "lmbench"))
		return lmbench_rep(self, c, r);
	return contract_rep(c, "native", r);
}

const struct platform_ops native_platform = {
	.name = "native",
	.detect = native_detect,
	.supports = native_supports,
	.run_rep = native_run_rep,
};

/* ---- pvbench worker cpu --------------------------------------------- */

/* One process: every kernel once, one line each, written whole so that
 * the lines of concurrent processes never interleave. */
static int worker_one(int k)
{
	int bad = 0;
	for (int i = 0; i < nr_cpu_kernels; i++) {
		const struct cpu_kernel *kn = &cpu_kernels[i];
		size_t bytes = (kn->scratch_bytes + 4095) & ~(size_t)4095;
		void *scratch = bytes ? aligned_alloc(4096, bytes) : NULL;
		if (bytes && !scratch)
			return 1;
		if (scratch)
			memset(scratch, 0, bytes);
		uint64_t t0 = mono_ns();
		uint64_t res = kn->fn(scratch);
		uint64_t dt = mono_ns() - t0;
		free(scratch);
		int ok = res == kn->expect;
		bad += !ok;
		char line[160];
		int n = snprintf(line, sizeof(line), "[d%d] cpu: %s result=%llu best_ns=%llu %s\n", k, kn->name,
		                 (unsigned long long)res, (unsigned long long)dt, ok ? "ok" : "WRONG");
		if (write(1, line, (size_t)n) != n)
			return 1;
	}
	return bad ? 1 : 0;
}

int cmd_worker(int argc, char **argv)
{
	int n = 1, rc;
	static const struct option opts[] = {
		{ "instances", required_argument, 0, 'n' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if ((rc = bench_opt_int("instances", optarg, 1, 1000, &n)))
				return rc;
			break;
		case 'h': bench_usage(stdout); return 0;
		default: fprintf(stderr, "pvbench: try pvbench --help\n"); return 2;
		}
	}
	if (optind != argc - 1 || strcmp(argv[optind], "cpu")) {
		fprintf(stderr, "pvbench worker: the only workload is 'cpu'\n");
		return 2;
	}
	/* all processes start together: each waits for the go pipe to close */
	int go[2];
	if (pipe(go))
		return 1;
	for (int k = 1; k <= n; k++) {
		pid_t pid = fork();
		if (pid < 0) {
			fprintf(stderr, "pvbench worker: fork: %s\n", strerror(errno));
			return 1;
		}
		if (pid == 0) {
			char b;
			close(go[1]);
			while (read(go[0], &b, 1) > 0)
				;
			_exit(worker_one(k));
		}
	}
	close(go[0]);
	close(go[1]);
	int st, failed = 0;
	while (wait(&st) > 0)
		failed += !WIFEXITED(st) || WEXITSTATUS(st);
	return failed ? 1 : 0;
}
