/* pvbench fastpath: what the fast path buys, from one run. A null system
 * call from a pvos process and page-fault round trips (to pvos's handler
 * and back; a fault that maps a page) through the fast path and through the
 * baseline (the same domain under `pvmon --fast-path off`), next to native
 * Linux (perf bench syscall basic when perf is installed, a getppid loop,
 * first-touch page faults and SIGSEGV round trips measured here) and to the
 * raw exit cost, with ratios. Every column is measured in each of --reps
 * repetitions, one after another; each figure is the median of its column. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>
#include "bench.h"
#include "monoclock.h"
#include "pvmon_probe.h"

#define MAX_REPS 15

/* What one pvos fastbench domain reported (ns per round trip; 0: none). */
struct pv_side {
	double hcall, kernel_pf, demand, syscall, user_pf;
};

static int run_domain(const char *mode, unsigned long n, struct pv_side *s)
{
	char cfg[] = "/tmp/pvbench-fastpath-XXXXXX", cmdline[64], cmd[PATH_MAX * 2], line[512];
	snprintf(cmdline, sizeof(cmdline), "prog=fastbench n=%lu", n);
	if (write_cfg(cfg, cmdline, 32))
		return -errno;
	snprintf(cmd, sizeof(cmd), "'%s/pvmon' --pcpus 1 --fast-path %s run '%s' 2>&1", bindir, mode, cfg);
	FILE *p = popen(cmd, "r");
	if (!p) {
		unlink(cfg);
		return -errno;
	}
	memset(s, 0, sizeof(*s));
	int got = 0;
	while (fgets(line, sizeof(line), p)) {
		char kind[8];
		unsigned long a, b, c;
		const char *f = strstr(line, "fastbench: ");
		if (!f) {
			if (strstr(line, "pvmon:"))
				fputs(line, stderr);
			continue;
		}
		if (sscanf(f, "fastbench: fast_path=%7s kernel hcall_ns=%lu pf_ns=%lu demand_ns=%lu", kind, &a, &b, &c) == 4) {
			s->hcall = (double)a, s->kernel_pf = (double)b, s->demand = (double)c;
			got++;
		} else if (sscanf(f, "fastbench: user syscall_ns %lu", &a) == 1) {
			s->syscall = (double)a;
			got++;
		} else if (sscanf(f, "fastbench: user pf_ns %lu", &a) == 1) {
			s->user_pf = (double)a;
		}
	}
	int st = pclose(p);
	unlink(cfg);
	return got == 2 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

/* ---- native Linux ---------------------------------------------------------- */

static double native_getppid(unsigned long n)
{
	uint64_t t0 = mono_ns();
	for (unsigned long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return (double)(mono_ns() - t0) / (double)n;
}

/* perf bench syscall basic: ns per call, or 0 with why. */
static double native_perf(unsigned long n, char *why, size_t len)
{
	char cmd[128], line[256];
	snprintf(cmd, sizeof(cmd), "perf bench syscall basic -l %lu 2>&1", n * 100);
	FILE *p = popen(cmd, "r");
	double us = 0;
	while (p && fgets(line, sizeof(line), p))
		if (strstr(line, "usecs/op"))
			sscanf(line, " %lf", &us);
	int st = p ? pclose(p) : -1;
	if (us > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return us * 1000.0;
	snprintf(why, len, "perf bench syscall basic did not run (perf is in the Debian package linux-perf)");
	return 0;
}

/* First touch of fresh anonymous pages: a minor fault that maps one. */
static double native_first_touch(unsigned long n)
{
	volatile char *m = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 0;
	uint64_t t0 = mono_ns();
	for (unsigned long i = 0; i < n; i++)
		m[i * 4096] = 1;
	double ns = (double)(mono_ns() - t0) / (double)n;
	munmap((void *)m, n * 4096);
	return ns;
}

/* A fault delivered to a handler that steps over the instruction, as pvos's
 * test handler does: SIGSEGV and sigreturn. */
static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP] += 3;      /* mov (%rcx), %rax */
}

static double native_segv(unsigned long n)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO }, old;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old);
	void *hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t t0 = mono_ns();
	for (unsigned long i = 0; i < n; i++)
		__asm__ volatile("mov (%%rcx), %%rax" ::"c"(hole) : "rax", "memory");
	double ns = (double)(mono_ns() - t0) / (double)n;
	munmap(hole, 4096);
	sigaction(SIGSEGV, &old, NULL);
	return ns;
}

/* ---- the report ---------------------------------------------------------------- */

/* Every figure, ns per round trip, measured once per repetition; the
 * report gives each one's median over the repetitions (0: not measured). */
enum {
	F_RAW, F_FAST_SYSCALL, F_FAST_USER_PF, F_FAST_KERNEL_PF, F_FAST_DEMAND, F_FAST_HCALL,
	F_BASE_SYSCALL, F_BASE_HCALL, F_GETPPID, F_PERF, F_TOUCH, F_SEGV, NR_F,
};
/* Where each figure goes in the JSON: group ("" for the top level) and key. */
static const char *const f_json[NR_F][2] = {
	[F_RAW] = { "", "raw_exit_ns" },
	[F_FAST_SYSCALL] = { "fast", "syscall_ns" }, [F_FAST_USER_PF] = { "fast", "user_pf_ns" },
	[F_FAST_KERNEL_PF] = { "fast", "kernel_pf_ns" }, [F_FAST_DEMAND] = { "fast", "demand_ns" },
	[F_FAST_HCALL] = { "fast", "hcall_ns" },
	[F_BASE_SYSCALL] = { "baseline", "syscall_ns" }, [F_BASE_HCALL] = { "baseline", "hcall_ns" },
	[F_GETPPID] = { "native", "getppid_ns" }, [F_PERF] = { "native", "perf_syscall_basic_ns" },
	[F_TOUCH] = { "native", "first_touch_ns" }, [F_SEGV] = { "native", "sigsegv_ns" },
};

struct results {
	double rep[NR_F][MAX_REPS];   /* as measured, repetition by repetition */
	double m[NR_F];               /* medians */
	int reps;
	struct pvmon_probe_fastpath fp;   /* the start-up probe's answer */
	char perf_why[160];
};

/* One repetition of everything, the native figures included, so that a
 * noisy neighbour hurts every column alike. 0, or 1 with a line on stderr. */
static int measure_rep(struct results *r, unsigned long n, int i)
{
	double *v[NR_F];
	for (int f = 0; f < NR_F; f++)
		v[f] = &r->rep[f][i];
	struct pv_side fast = { 0 }, base;
	if (bench_raw_exit(n, v[F_RAW], NULL, 0))
		return 1;
	if ((r->fp.usable && run_domain("auto", n, &fast)) || run_domain("off", n, &base)) {
		fprintf(stderr, "pvbench: the pvos fastbench domain did not report (is build/guest/pvos.elf built?)\n");
		return 1;
	}
	*v[F_FAST_SYSCALL] = fast.syscall, *v[F_FAST_USER_PF] = fast.user_pf, *v[F_FAST_KERNEL_PF] = fast.kernel_pf;
	*v[F_FAST_DEMAND] = fast.demand, *v[F_FAST_HCALL] = fast.hcall;
	*v[F_BASE_SYSCALL] = base.syscall, *v[F_BASE_HCALL] = base.hcall;
	*v[F_GETPPID] = native_getppid(n * 100);
	*v[F_PERF] = native_perf(n, r->perf_why, sizeof(r->perf_why));
	*v[F_TOUCH] = native_first_touch(n);
	*v[F_SEGV] = native_segv(n);
	return 0;
}

static void medians(struct results *r)
{
	for (int f = 0; f < NR_F; f++) {
		double v[MAX_REPS];
		memcpy(v, r->rep[f], sizeof(v));
		r->m[f] = median(v, r->reps);
	}
}

static double ratio(double a, double b)
{
	return a > 0 && b > 0 ? a / b : 0;
}

/* One row: label, then fast path, baseline, native in us ("n/a" for 0). */
static void row(const char *label, double fast, double base, double native, const char *note)
{
	char col[3][24];
	const double v[3] = { fast, base, native };
	for (int i = 0; i < 3; i++)
		snprintf(col[i], sizeof(col[i]), v[i] > 0 ? "%.3f" : "n/a", v[i] / 1000.0);
	printf("  %-40s %12s %12s %12s  %s\n", label, col[0], col[1], col[2], note);
}

static void print_text(const struct results *r, unsigned long n)
{
	const double *m = r->m;
	printf("pvbench fastpath (%lu round trips each, median of %d repetitions of every column, one run)\n", n,
	       r->reps);
	printf("  fast path: %s\n", r->fp.info);
	printf("  %-40s %12s %12s %12s  (us)\n", "", "fast path", "baseline", "native");
	row("null system call, pvos process", m[F_FAST_SYSCALL], m[F_BASE_SYSCALL], m[F_GETPPID],
	    "native: getppid loop");
	row("", 0, 0, m[F_PERF], m[F_PERF] > 0 ? "native: perf bench syscall basic" : r->perf_why);
	row("#PF to the handler and back, process", m[F_FAST_USER_PF], 0, m[F_SEGV],
	    "native: SIGSEGV handler and sigreturn");
	row("#PF to the handler and back, kernel", m[F_FAST_KERNEL_PF], 0, 0, "");
	row("page fault that maps a page, kernel", m[F_FAST_DEMAND], 0, m[F_TOUCH],
	    "native: first touch of an anonymous page");
	row("null hypercall, pvos kernel", m[F_FAST_HCALL], m[F_BASE_HCALL], 0, "");
	row("raw KVM port-I/O exit round trip", m[F_RAW], m[F_RAW], 0, "the same loop for both");
	if (r->fp.usable)
		printf("  probe: syscall into the stub and back %.3f us; one CR3 load from the stub %.3f us\n",
		       r->fp.syscall_us, r->fp.cr3_us);
	printf("  baseline n/a: page faults never reach pvos there (a fault crashes the domain)\n");
	printf("ratios (same run):\n");
	printf("  null system call: fast/baseline %.3f, fast/raw exit %.3f, baseline/raw exit %.3f, fast/native %.0f\n",
	       ratio(m[F_FAST_SYSCALL], m[F_BASE_SYSCALL]), ratio(m[F_FAST_SYSCALL], m[F_RAW]),
	       ratio(m[F_BASE_SYSCALL], m[F_RAW]), ratio(m[F_FAST_SYSCALL], m[F_GETPPID]));
	printf("  #PF round trip: process fast/raw exit %.3f, fast/native SIGSEGV %.1f; kernel fast/raw exit %.3f\n",
	       ratio(m[F_FAST_USER_PF], m[F_RAW]), ratio(m[F_FAST_USER_PF], m[F_SEGV]),
	       ratio(m[F_FAST_KERNEL_PF], m[F_RAW]));
	printf("  page fault that maps a page: fast/raw exit %.3f, fast/native first touch %.0f\n",
	       ratio(m[F_FAST_DEMAND], m[F_RAW]), ratio(m[F_FAST_DEMAND], m[F_TOUCH]));
	printf("  null hypercall: fast/baseline %.3f, fast/raw exit %.3f, baseline/raw exit %.3f\n",
	       ratio(m[F_FAST_HCALL], m[F_BASE_HCALL]), ratio(m[F_FAST_HCALL], m[F_RAW]),
	       ratio(m[F_BASE_HCALL], m[F_RAW]));
}

/* The medians in their groups, then every repetition's values ("reps_ns"),
 * with null for what was not measured (no fast path, no perf). */
static void print_json(const struct results *r, unsigned long n)
{
	static const char *const groups[] = { "", "fast", "baseline", "native" };
	char b[32];
	printf("{\"fast_path\": \"%s\", \"iters\": %lu, \"reps\": %d", r->fp.kind, n, r->reps);
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		const char *sep = "";
		if (*groups[g])
			printf(", \"%s\": {", groups[g]);
		for (int f = 0; f < NR_F; f++) {
			if (strcmp(f_json[f][0], groups[g]))
				continue;
			printf("%s\"%s\": %s", *groups[g] ? sep : ", ", f_json[f][1], json_num(b, "%.1f", r->m[f], r->m[f] > 0));
			sep = ", ";
		}
		if (*groups[g])
			printf("}");
	}
	printf(", \"probe\": {\"syscall_us\": %s, ", json_num(b, "%.3f", r->fp.syscall_us, r->fp.usable));
	printf("\"cr3_us\": %s}, \"reps_ns\": {", json_num(b, "%.3f", r->fp.cr3_us, r->fp.usable));
	for (int f = 0; f < NR_F; f++) {
		printf("%s\"%s%s%s\": [", f ? ", " : "", f_json[f][0], *f_json[f][0] ? "." : "", f_json[f][1]);
		for (int i = 0; i < r->reps; i++)
			printf("%s%s", i ? ", " : "", json_num(b, "%.1f", r->rep[f][i], r->rep[f][i] > 0));
		printf("]");
	}
	printf("}}\n");
}

int cmd_fastpath(int argc, char **argv)
{
	unsigned long n = 2000;
	int reps = 3, json = 0, c, rc;
	static const struct option opts[] = {
		{ "iters", required_argument, 0, 'n' }, { "reps", required_argument, 0, 'r' },
		{ "json", no_argument, 0, 'j' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if ((rc = bench_opt_ulong("iters", optarg, 100, 100000, &n)))
				return rc;
			break;
		case 'r':
			if ((rc = bench_opt_int("reps", optarg, 1, MAX_REPS, &reps)))
				return rc;
			break;
		case 'j': json = 1; break;
		case 'h': bench_usage(stdout); return 0;
		default: bench_usage(stderr); return 2;
		}
	}
	if ((rc = bench_kvm_init()))
		return rc;
	struct results *r = calloc(1, sizeof(*r));
	if (!r)
		return 1;
	r->reps = reps;
	pvmon_probe_fastpath(n, &r->fp);
	for (int i = 0; i < reps; i++)
		if (measure_rep(r, n, i)) {
			free(r);
			return 1;
		}
	medians(r);
	if (json)
		print_json(r, n);
	else
		print_text(r, n);
	free(r);
	return 0;
}
