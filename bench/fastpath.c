/* pvbench fastpath: what the fast path buys, from one run. A null system
 * call from a pvos process and page-fault round trips (to pvos's handler
 * and back; a fault that maps a page) through the fast path and through the
 * baseline (the same domain under `pvmon --fast-path off`), next to native
 * Linux (perf bench syscall basic when perf is installed, a getppid loop,
 * first-touch page faults and SIGSEGV round trips measured here) and to the
 * raw exit cost, with ratios. Medians over --reps runs of each. */
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
#include "../hypervisor/src/fastpath.h"
#include "../hypervisor/src/kvm.h"
#include "../hypervisor/src/pvtime.h"
#include "bench.h"

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
	uint64_t t0 = time_mono_ns();
	for (unsigned long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return (double)(time_mono_ns() - t0) / (double)n;
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
	uint64_t t0 = time_mono_ns();
	for (unsigned long i = 0; i < n; i++)
		m[i * 4096] = 1;
	double ns = (double)(time_mono_ns() - t0) / (double)n;
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
	uint64_t t0 = time_mono_ns();
	for (unsigned long i = 0; i < n; i++)
		__asm__ volatile("mov (%%rcx), %%rax" ::"c"(hole) : "rax", "memory");
	double ns = (double)(time_mono_ns() - t0) / (double)n;
	munmap(hole, 4096);
	sigaction(SIGSEGV, &old, NULL);
	return ns;
}

/* ---- the report ---------------------------------------------------------------- */

struct results {
	struct pv_side fast, base;
	double raw, getppid, perf, touch, segv;
	char perf_why[160];
	int have_fast;
};

static void med_side(struct pv_side *v, int reps, struct pv_side *out)
{
	double a[5][MAX_REPS];
	for (int i = 0; i < reps; i++) {
		a[0][i] = v[i].hcall, a[1][i] = v[i].kernel_pf, a[2][i] = v[i].demand;
		a[3][i] = v[i].syscall, a[4][i] = v[i].user_pf;
	}
	*out = (struct pv_side){ median(a[0], reps), median(a[1], reps), median(a[2], reps), median(a[3], reps),
	                         median(a[4], reps) };
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

static void print_text(const struct results *r, unsigned long n, int reps)
{
	const struct pv_side *f = &r->fast, *s = &r->base;
	printf("pvbench fastpath (%lu round trips each, median of %d runs of each, one run)\n", n, reps);
	printf("  fast path: %s\n", fastpath_info());
	printf("  %-40s %12s %12s %12s  (us)\n", "", "fast path", "baseline", "native");
	row("null system call, pvos process", f->syscall, s->syscall, r->getppid, "native: getppid loop");
	row("", 0, 0, r->perf, r->perf > 0 ? "native: perf bench syscall basic" : r->perf_why);
	row("#PF to the handler and back, process", f->user_pf, 0, r->segv, "native: SIGSEGV handler and sigreturn");
	row("#PF to the handler and back, kernel", f->kernel_pf, 0, 0, "");
	row("page fault that maps a page, kernel", f->demand, 0, r->touch, "native: first touch of an anonymous page");
	row("null hypercall, pvos kernel", f->hcall, s->hcall, 0, "");
	row("raw KVM port-I/O exit round trip", r->raw, r->raw, 0, "the same loop for both");
	if (r->have_fast)
		printf("  probe: syscall into the stub and back %.3f us; one CR3 load from the stub %.3f us\n",
		       fp_host.syscall_us, fp_host.cr3_us);
	printf("  baseline n/a: page faults never reach pvos there (a fault crashes the domain)\n");
	printf("ratios (same run):\n");
	printf("  null system call: fast/baseline %.3f, fast/raw exit %.3f, baseline/raw exit %.3f, fast/native %.0f\n",
	       ratio(f->syscall, s->syscall), ratio(f->syscall, r->raw), ratio(s->syscall, r->raw),
	       ratio(f->syscall, r->getppid));
	printf("  #PF round trip: process fast/raw exit %.3f, fast/native SIGSEGV %.1f; kernel fast/raw exit %.3f\n",
	       ratio(f->user_pf, r->raw), ratio(f->user_pf, r->segv), ratio(f->kernel_pf, r->raw));
	printf("  page fault that maps a page: fast/raw exit %.3f, fast/native first touch %.0f\n",
	       ratio(f->demand, r->raw), ratio(f->demand, r->touch));
	printf("  null hypercall: fast/baseline %.3f, fast/raw exit %.3f, baseline/raw exit %.3f\n",
	       ratio(f->hcall, s->hcall), ratio(f->hcall, r->raw), ratio(s->hcall, r->raw));
}

static void print_json(const struct results *r, unsigned long n, int reps)
{
	const struct pv_side *f = &r->fast, *s = &r->base;
	printf("{\"fast_path\": \"%s\", \"iters\": %lu, \"reps\": %d, \"raw_exit_ns\": %.0f, "
	       "\"fast\": {\"syscall_ns\": %.0f, \"user_pf_ns\": %.0f, \"kernel_pf_ns\": %.0f, \"demand_ns\": %.0f, "
	       "\"hcall_ns\": %.0f}, \"baseline\": {\"syscall_ns\": %.0f, \"hcall_ns\": %.0f}, "
	       "\"native\": {\"getppid_ns\": %.1f, \"perf_syscall_basic_ns\": %.1f, \"first_touch_ns\": %.1f, "
	       "\"sigsegv_ns\": %.1f}, \"probe\": {\"syscall_us\": %.3f, \"cr3_us\": %.3f}}\n",
	       r->have_fast ? "pvm" : "none", n, reps, r->raw, f->syscall, f->user_pf, f->kernel_pf, f->demand, f->hcall,
	       s->syscall, s->hcall, r->getppid, r->perf, r->touch, r->segv, fp_host.syscall_us, fp_host.cr3_us);
}

int cmd_fastpath(int argc, char **argv)
{
	unsigned long n = 2000;
	int reps = 3, json = 0, c;
	static const struct option opts[] = {
		{ "iters", required_argument, 0, 'n' }, { "reps", required_argument, 0, 'r' },
		{ "json", no_argument, 0, 'j' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': n = strtoul(optarg, NULL, 0); break;
		case 'r': reps = atoi(optarg); break;
		case 'j': json = 1; break;
		case 'h': bench_usage(stdout); return 0;
		default: bench_usage(stderr); return 2;
		}
	}
	int rc = bench_range("iters", (long)n, 100, 100000);
	if (rc || (rc = bench_range("reps", reps, 1, MAX_REPS)) || (rc = bench_kvm_init()))
		return rc;
	char err[256];
	fastpath_set_mode("auto");
	fastpath_probe(n);
	struct results *r = calloc(1, sizeof(*r));
	struct pv_side fast[MAX_REPS] = { 0 }, base[MAX_REPS] = { 0 };
	double raws[MAX_REPS];
	if (!r)
		return 1;
	r->have_fast = fp_host.kind != FP_NONE;
	/* Interleaved, so that a noisy neighbour hurts every column alike. */
	for (int i = 0; i < reps; i++) {
		if (kvm_measure_exit(n, &raws[i], err, sizeof(err))) {
			fprintf(stderr, "pvbench: raw exit loop: %s\n", err);
			free(r);
			return 1;
		}
		if ((r->have_fast && run_domain("auto", n, &fast[i])) || run_domain("off", n, &base[i])) {
			fprintf(stderr, "pvbench: the pvos fastbench domain did not report (is build/guest/pvos.elf built?)\n");
			free(r);
			return 1;
		}
	}
	r->raw = median(raws, reps);
	med_side(fast, reps, &r->fast);
	med_side(base, reps, &r->base);
	r->getppid = native_getppid(n * 100);
	r->perf = native_perf(n, r->perf_why, sizeof(r->perf_why));
	r->touch = native_first_touch(n);
	r->segv = native_segv(n);
	if (json)
		print_json(r, n, reps);
	else
		print_text(r, n, reps);
	free(r);
	return 0;
}
