/* pvbench hcall: raw KVM exit vs pvmon null hypercall (tracing off / LTTng
 * on), multicall per-call cost at batch 1/16/256, domain boot time. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../hypervisor/src/kvm.h"
#include "../hypervisor/src/pvtime.h"
#include "bench.h"

struct hcall_result {
	double null_ns, mc_ns[3], boot_ms;
	int ok;
};

/* Run one pvos hcall domain under pvmon and parse its report lines. */

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

int cmd_hcall(int argc, char **argv)
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
		case 'h': bench_usage(stdout); return 0;
		default: bench_usage(stderr); return 2;
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

