/* pvbench: benchmarks of pvlab, each printing numbers and ratios measured
 * in one run (never a pass/fail on time: machines are shared and noisy).
 *   hcall  raw KVM exit vs pvmon null hypercall (tracing off / LTTng on),
 *          multicall per-call cost at batch 1/16/256. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../hypervisor/src/kvm.h"
#include "../hypervisor/src/pvmon.h"
#include "../hypervisor/src/pvtime.h"
#include "workloads/cpu.h"
#include <math.h>

static char bindir[PATH_MAX];

static void usage(FILE *f)
{
	fprintf(f,
	"usage: pvbench COMMAND [OPTIONS]\n"
	"  hcall [--iters N] [--reps N] [--no-trace] [--json]\n"
	"        raw KVM port-I/O exit round trip (bare guest loop), pvmon null\n"
	"        hypercall with tracing off and with an LTTng session recording\n"
	"        hypercall events, multicall per-call cost at batch 1/16/256, ratios\n"
	"  cpu [--reps N]\n"
	"        the CPU kernels of bench/workloads/cpu.c natively and in a pvos\n"
	"        domain (best of N each); relative performance native/pv\n"
	"  -h, --help   this text\n");
}

struct hcall_result {
	double null_ns, mc_ns[3], boot_ms;
	int ok;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Run one pvos hcall domain under pvmon and parse its report lines. */
static int write_cfg(char *path, const char *cmdline);

static int run_hcall_domain(unsigned long iters, struct hcall_result *r)
{
	char cfg[] = "/tmp/pvbench-hcall-XXXXXX", cmdline[64];
	snprintf(cmdline, sizeof(cmdline), "prog=hcall n=%lu", iters);
	if (write_cfg(cfg, cmdline))
		return -errno;
	char cmd[PATH_MAX * 2];
	snprintf(cmd, sizeof(cmd), "'%s/pvmon' --pcpus 1 --stats run '%s' 2>&1", bindir, cfg);
	FILE *p = popen(cmd, "r");
	if (!p) {
		unlink(cfg);
		return -errno;
	}
	char line[512];
	memset(r, 0, sizeof(*r));
	int got = 0;
	while (fgets(line, sizeof(line), p)) {
		unsigned long n, ns, bs, calls;
		char *s = strstr(line, "hcall: "), *b = strstr(line, " boot ");
		if (b && strstr(line, "pvmon: domain"))
			sscanf(b, " boot %lfms", &r->boot_ms);
		if (!s) {
			if (strstr(line, "pvmon:") && !b)
				fputs(line, stderr);
			continue;
		}
		if (sscanf(s, "hcall: null n=%lu ns=%lu", &n, &ns) == 2) {
			r->null_ns = (double)ns;
			got++;
		} else if (sscanf(s, "hcall: multicall batch=%lu calls=%lu ns_per_call=%lu", &bs, &calls, &ns) == 3) {
			int i = bs == 1 ? 0 : bs == 16 ? 1 : bs == 256 ? 2 : -1;
			if (i >= 0) {
				r->mc_ns[i] = (double)ns;
				got++;
			}
		}
	}
	int st = pclose(p);
	unlink(cfg);
	r->ok = got == 4 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	return r->ok ? 0 : -EIO;
}

#define MAX_REPS 15
/* Run the domain reps times; every figure is the median over the runs. */
static int run_reps(unsigned long iters, int reps, struct hcall_result *r)
{
	double v[5][MAX_REPS];
	struct hcall_result one;
	for (int i = 0; i < reps; i++) {
		if (run_hcall_domain(iters, &one))
			return -EIO;
		v[0][i] = one.null_ns;
		v[1][i] = one.mc_ns[0];
		v[2][i] = one.mc_ns[1];
		v[3][i] = one.mc_ns[2];
		v[4][i] = one.boot_ms;
	}
	r->null_ns = median(v[0], reps);
	for (int k = 0; k < 3; k++)
		r->mc_ns[k] = median(v[k + 1], reps);
	r->boot_ms = median(v[4], reps);
	r->ok = 1;
	return 0;
}

static int sh(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Start an LTTng user-space session recording pvmon's hypercall events. */
static int trace_on(char *dir, size_t n)
{
	if (sh("command -v lttng >/dev/null 2>&1"))
		return -ENOENT;
	snprintf(dir, n, "/tmp/pvbench-trace-%d", (int)getpid());
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
	         "(lttng list >/dev/null 2>&1 || lttng-sessiond --daemonize) >/dev/null 2>&1 && "
	         "lttng create pvbench-%d --output=%s >/dev/null && "
	         "lttng enable-event -u 'pvmon:hcall_*' >/dev/null && lttng start >/dev/null",
	         (int)getpid(), dir);
	return sh(cmd) ? -EIO : 0;
}

static void trace_off(const char *dir)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "lttng stop pvbench-%d >/dev/null 2>&1; lttng destroy pvbench-%d >/dev/null 2>&1; rm -rf '%s'",
	         (int)getpid(), (int)getpid(), dir);
	sh(cmd);
}

static int cmd_hcall(int argc, char **argv)
{
	unsigned long iters = 3000;
	int json = 0, notrace = 0, reps = 3;
	static const struct option opts[] = {
		{ "iters", required_argument, 0, 'n' }, { "json", no_argument, 0, 'j' },
		{ "no-trace", no_argument, 0, 't' }, { "reps", required_argument, 0, 'r' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': iters = strtoul(optarg, NULL, 0); break;
		case 'j': json = 1; break;
		case 't': notrace = 1; break;
		case 'r': reps = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (iters < 100 || iters > 10000000) {
		fprintf(stderr, "pvbench: --iters must be 100..10000000\n");
		return 2;
	}
	if (reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "pvbench: --reps must be 1..%d\n", MAX_REPS);
		return 2;
	}
	char err[256];
	time_init();
	if (kvm_host_init(1, err, sizeof(err))) {
		fprintf(stderr, "pvbench: %s\n", err);
		return 1;
	}
	double raws[MAX_REPS], raw;
	for (int i = 0; i < reps; i++) {
		if (kvm_measure_exit(iters, &raws[i], err, sizeof(err))) {
			fprintf(stderr, "pvbench: raw exit loop: %s\n", err);
			return 1;
		}
	}
	raw = median(raws, reps);
	struct hcall_result off, on = { 0 };
	if (run_reps(iters, reps, &off)) {
		fprintf(stderr, "pvbench: the pvos hcall domain did not report (is build/guest/pvos.elf built?)\n");
		return 1;
	}
	const char *trace_note = NULL;
	char dir[256];
	if (notrace) {
		trace_note = "skipped (--no-trace)";
	} else if (trace_on(dir, sizeof(dir))) {
		trace_note = "skipped (lttng or its session daemon unavailable)";
	} else {
		int rc = run_reps(iters, reps, &on);
		trace_off(dir);
		if (rc)
			trace_note = "failed (the traced run did not report)";
	}
	double r_null = off.null_ns / raw, r_trace = on.ok ? on.null_ns / off.null_ns : 0;
	if (json) {
		printf("{\"raw_exit_ns\": %.0f, \"null_hcall_ns\": %.0f, \"null_hcall_traced_ns\": %.0f, "
		       "\"multicall_ns_per_call\": {\"1\": %.0f, \"16\": %.0f, \"256\": %.0f}, "
		       "\"ratio_null_vs_raw\": %.3f, \"ratio_traced_vs_untraced\": %.3f, "
		       "\"ratio_batch16_vs_1\": %.4f, \"ratio_batch256_vs_1\": %.4f, \"boot_ms\": %.3f, "
		       "\"iters\": %lu, \"reps\": %d}\n",
		       raw, off.null_ns, on.null_ns, off.mc_ns[0], off.mc_ns[1], off.mc_ns[2], r_null, r_trace,
		       off.mc_ns[1] / off.mc_ns[0], off.mc_ns[2] / off.mc_ns[0], off.boot_ms, iters, reps);
		return 0;
	}
	printf("pvbench hcall (%lu iterations, median of %d repetitions of each, one run)\n", iters, reps);
	printf("  raw KVM port-I/O exit round trip      %10.0f ns\n", raw);
	printf("  pvmon null hypercall, tracing off     %10.0f ns   ratio to raw exit %.3f (budget <= 1.10)\n",
	       off.null_ns, r_null);
	if (on.ok)
		printf("  pvmon null hypercall, LTTng session   %10.0f ns   ratio to tracing off %.3f (budget <= 1.15)\n",
		       on.null_ns, r_trace);
	else
		printf("  pvmon null hypercall, LTTng session   %s\n", trace_note);
	printf("  multicall batch 1                     %10.0f ns/call\n", off.mc_ns[0]);
	printf("  multicall batch 16                    %10.0f ns/call   ratio to batch 1 %.4f\n",
	       off.mc_ns[1], off.mc_ns[1] / off.mc_ns[0]);
	printf("  multicall batch 256                   %10.0f ns/call   ratio to batch 1 %.4f\n",
	       off.mc_ns[2], off.mc_ns[2] / off.mc_ns[0]);
	printf("  domain create to guest's first hypercall %7.3f ms   (budget <= 50)\n", off.boot_ms);
	return 0;
}

/* Write a one-domain config running cmdline; returns 0 or -errno. */
static int write_cfg(char *path, const char *cmdline)
{
	int fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	FILE *f = fdopen(fd, "w");
	fprintf(f, "name = \"bench\"\nmemory = 32\nkernel = \"%s/../guest/pvos.elf\"\ncmdline = \"%s\"\n",
	        bindir, cmdline);
	fclose(f);
	return 0;
}

static int cmd_cpu(int argc, char **argv)
{
	int reps = 3;
	static const struct option opts[] = {
		{ "reps", required_argument, 0, 'r' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': reps = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (reps < 1 || reps > 100) {
		fprintf(stderr, "pvbench: --reps must be 1..100\n");
		return 2;
	}
	double native[16], pv[16];
	for (int i = 0; i < nr_cpu_kernels && i < 16; i++) {
		const struct cpu_kernel *k = &cpu_kernels[i];
		void *scratch = malloc(k->scratch_bytes + 1);
		native[i] = 1e30;
		for (int r = 0; r < reps; r++) {
			memset(scratch, 0, k->scratch_bytes + 1);
			uint64_t t0 = time_mono_ns();
			uint64_t res = k->fn(scratch);
			double dt = (double)(time_mono_ns() - t0);
			if (res != k->expect) {
				fprintf(stderr, "pvbench: native %s returned %llu, expected %llu\n", k->name,
				        (unsigned long long)res, (unsigned long long)k->expect);
				free(scratch);
				return 1;
			}
			if (dt < native[i])
				native[i] = dt;
		}
		free(scratch);
		pv[i] = 0;
	}
	char cfg[] = "/tmp/pvbench-cpu-XXXXXX", cmdline[64], cmd[PATH_MAX * 2], line[512];
	snprintf(cmdline, sizeof(cmdline), "prog=cpu reps=%d", reps);
	if (write_cfg(cfg, cmdline))
		return 1;
	snprintf(cmd, sizeof(cmd), "'%s/pvmon' --pcpus 1 run '%s' 2>&1", bindir, cfg);
	FILE *p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		char name[32];
		unsigned long long res, ns;
		char *s = strstr(line, "cpu: ");
		if (!s || sscanf(s, "cpu: %31s result=%llu best_ns=%llu", name, &res, &ns) != 3)
			continue;
		for (int i = 0; i < nr_cpu_kernels; i++)
			if (!strcmp(cpu_kernels[i].name, name) && res == cpu_kernels[i].expect)
				pv[i] = (double)ns;
	}
	int st = p ? pclose(p) : -1;
	unlink(cfg);
	if (st != 0) {
		fprintf(stderr, "pvbench: the pvos cpu domain failed (status %d)\n", st);
		return 1;
	}
	printf("pvbench cpu (best of %d runs each, native and pvos in one run)\n", reps);
	printf("  %-8s %12s %12s %10s\n", "kernel", "native ms", "pv ms", "native/pv");
	double logsum = 0;
	for (int i = 0; i < nr_cpu_kernels; i++) {
		if (!pv[i]) {
			fprintf(stderr, "pvbench: no pv result for %s\n", cpu_kernels[i].name);
			return 1;
		}
		double rel = native[i] / pv[i];
		logsum += log(rel);
		printf("  %-8s %12.3f %12.3f %10.3f\n", cpu_kernels[i].name, native[i] / 1e6, pv[i] / 1e6, rel);
	}
	printf("  geometric mean native/pv %.3f (budget >= 0.97)\n", exp(logsum / nr_cpu_kernels));
	return 0;
}

int main(int argc, char **argv)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		fprintf(stderr, "pvbench: cannot find my own path\n");
		return 1;
	}
	self[n] = 0;
	snprintf(bindir, sizeof(bindir), "%s", dirname(self));
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "hcall"))
		return cmd_hcall(argc - 1, argv + 1);
	if (!strcmp(argv[1], "cpu"))
		return cmd_cpu(argc - 1, argv + 1);
	fprintf(stderr, "pvbench: unknown command '%s' (try --help)\n", argv[1]);
	return 2;
}
