/* pvbench lmbench: the lmbench-style rows of bench/lmbench/lmbench.c on
 * this host (build/bin/pvlm) and in a pvos process under pvmon, side by
 * side with pv/native ratios, as the paper's Tables 3 and 4; then the cost
 * of mmu_update per entry by batch size and of building a 16 MiB address
 * space with trapped writes or batched updates (pvos prog=mmubench); all
 * next to the raw exit cost measured in the same run. The native rows run
 * on any host; the pv side, where KVM is missing, is left out with why. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

#define NROWS 8
static const char *const row_names[NROWS] = {
	"null_syscall", "ctx_switch", "page_fault", "prot_fault", "mmap_16m", "fork_exit", "fork_exec", "pipe_bw",
};

struct row {
	double v;              /* value, when ok */
	char unit[8];
	char note[160];        /* why not, when unsupported */
	int ok;
};

struct side {
	struct row rows[NROWS];
	int done;              /* saw "lmbench: done" */
	char mode[160];        /* pvos's boot line on how it takes faults and forks */
};

static const int batch_sizes[4] = { 1, 16, 256, 2048 };

struct mmu {
	double batch_ns[4], trap_ns, batched_ns;
	int got;
	char no_trap[160];      /* why trapped writes were not measured (nested-paging hosts) */
};

static void parse_lm(const char *line, struct side *s)
{
	const char *p = strstr(line, "pvos: fast path: "), *q = strstr(line, "pvos: baseline: ");
	if (p || q) {
		snprintf(s->mode, sizeof(s->mode), "%s", (p ? p : q) + 6);
		s->mode[strcspn(s->mode, "\n")] = 0;
		return;
	}
	p = strstr(line, "lmbench: ");
	if (!p)
		return;
	p += 9;
	if (!strncmp(p, "done", 4)) {
		s->done = 1;
		return;
	}
	for (int i = 0; i < NROWS; i++) {
		size_t n = strlen(row_names[i]);
		if (strncmp(p, row_names[i], n) || p[n] != ' ')
			continue;
		struct row *r = &s->rows[i];
		p += n + 1;
		if (!strncmp(p, "unsupported ", 12)) {
			snprintf(r->note, sizeof(r->note), "%s", p + 12);
			r->note[strcspn(r->note, "\n")] = 0;
		} else if (sscanf(p, "%lf %7s", &r->v, r->unit) == 2) {
			r->ok = 1;
		}
	}
}

static void parse_mmu(const char *line, struct mmu *m)
{
	const char *p = strstr(line, "mmu: ");
	int b;
	double v, t, bt;
	if (!p)
		return;
	if (sscanf(p, "mmu: batch %d ns_per_entry %lf", &b, &v) == 2) {
		for (int i = 0; i < 4; i++)
			if (batch_sizes[i] == b) {
				m->batch_ns[i] = v;
				m->got++;
			}
	} else if (sscanf(p, "mmu: build16m trap_ns %lf batch_ns %lf", &t, &bt) == 2) {
		m->trap_ns = t;
		m->batched_ns = bt;
		m->got++;
	} else if (sscanf(p, "mmu: build16m batch_ns %lf (trapped writes not supported on this host: %159[^\n]", &bt,
	                  m->no_trap) == 2) {
		size_t n = strlen(m->no_trap);
		if (n && m->no_trap[n - 1] == ')')
			m->no_trap[n - 1] = 0;
		m->trap_ns = 0;
		m->batched_ns = bt;
		m->got++;
	}
}

/* Run cmd, feeding every output line to each parser that is set. */
static int run_lines(const char *cmd, struct side *s, struct mmu *m)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return -errno;
	char line[512];
	while (fgets(line, sizeof(line), p)) {
		if (s)
			parse_lm(line, s);
		if (m)
			parse_mmu(line, m);
		if (strstr(line, "pvmon: ") || strstr(line, "panic"))
			fputs(line, stderr);
	}
	int st = pclose(p);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static int run_pv(const char *cmdline, unsigned mib, struct side *s, struct mmu *m)
{
	char cfg[] = "/tmp/pvbench-lm-XXXXXX", cmd[8192];
	if (write_cfg(cfg, cmdline, mib))
		return -errno;
	snprintf(cmd, sizeof(cmd), "'%s/pvmon' --pcpus 1 run '%s' 2>&1", bindir, cfg);
	int rc = run_lines(cmd, s, m);
	unlink(cfg);
	return rc;
}

static void json_row(const char *name, const struct row *n, const struct row *p, int last)
{
	printf("    {\"name\": \"%s\", \"unit\": \"%s\"", name, n->ok ? n->unit : p->unit);
	if (n->ok)
		printf(", \"native\": %.0f", n->v);
	if (p->ok)
		printf(", \"pv\": %.0f", p->v);
	if (n->ok && p->ok && n->v > 0)
		printf(", \"pv_over_native\": %.3f", p->v / n->v);
	if (!p->ok)
		printf(", \"pv_unsupported\": \"%s\"", p->note);
	if (!n->ok)
		printf(", \"native_unsupported\": \"%s\"", n->note);
	printf("}%s\n", last ? "" : ",");
}

/* What one run measured: native always; pvos, its mmu_update costs and the
 * raw exit only where KVM is usable (else pv_why says why not). */
struct lm_run {
	int scale, quick;
	struct side native, pv;
	struct mmu mmu;
	double raw;
	char pv_why[256];
};

static int measure_pv(struct lm_run *m)
{
	char cl[64];
	/* The raw exit, measured before, between and after the runs: the median. */
	double raws[3];
	if (bench_raw_exit(2000, &raws[0], NULL, 0))
		return 1;
	snprintf(cl, sizeof(cl), "prog=lmbench scale=%d", m->scale);
	if (run_pv(cl, 64, &m->pv, NULL) || !m->pv.done) {
		fprintf(stderr, "pvbench: the pvos lmbench domain did not finish\n");
		return 1;
	}
	if (bench_raw_exit(2000, &raws[1], NULL, 0))
		return 1;
	snprintf(cl, sizeof(cl), "prog=mmubench entries=%d", m->quick ? 4096 : 16384);
	if (run_pv(cl, 64, NULL, &m->mmu) || m->mmu.got != 5) {
		fprintf(stderr, "pvbench: the pvos mmubench domain did not report\n");
		return 1;
	}
	if (bench_raw_exit(2000, &raws[2], NULL, 0))
		return 1;
	m->raw = median(raws, 3);
	return 0;
}

/* The native rows run on any host; the pv side needs KVM and is left out,
 * with the reason on each of its rows, where there is none. */
static int measure(struct lm_run *m)
{
	char cmd[8192], why[200];
	int kvm = !bench_kvm_usable(why, sizeof(why));
	if (!kvm) {
		snprintf(m->pv_why, sizeof(m->pv_why), "no usable KVM: %s", why);
		for (int i = 0; i < NROWS; i++)
			snprintf(m->pv.rows[i].note, sizeof(m->pv.rows[i].note), "%.150s", m->pv_why);
	}
	snprintf(cmd, sizeof(cmd), "'%s/pvlm' --scale %d", bindir, m->scale);
	if (run_lines(cmd, &m->native, NULL) || !m->native.done) {
		fprintf(stderr, "pvbench: the native run (%s/pvlm) did not finish\n", bindir);
		return 1;
	}
	return kvm ? measure_pv(m) : 0;
}

static void print_json(const struct lm_run *m)
{
	char raw[32];
	printf("{\n  \"scale\": %d, \"raw_exit_ns\": %s,\n", m->scale, json_num(raw, "%.0f", m->raw, !m->pv_why[0]));
	if (m->pv_why[0])
		printf("  \"pv_unsupported\": \"%s\",\n", m->pv_why);
	printf("  \"rows\": [\n");
	for (int i = 0; i < NROWS; i++)
		json_row(row_names[i], &m->native.rows[i], &m->pv.rows[i], i == NROWS - 1);
	printf("  ],\n  \"pv_mode\": \"%s\",\n  \"mmu_update\": [", m->pv.mode);
	const struct mmu *mmu = &m->mmu;
	if (m->pv_why[0]) {
		printf("],\n  \"build16m\": null\n}\n");
		return;
	}
	for (int i = 0; i < 4; i++)
		printf("%s{\"batch\": %d, \"ns_per_entry\": %.1f, \"ratio\": %.5f}", i ? ", " : "",
		       batch_sizes[i], mmu->batch_ns[i], mmu->batch_ns[i] / mmu->batch_ns[0]);
	if (mmu->no_trap[0])
		printf("],\n  \"build16m\": {\"trap_ns\": null, \"batch_ns\": %.0f, \"trap_over_batch\": null, "
		       "\"trap_note\": \"not supported on this host\"}\n}\n", mmu->batched_ns);
	else
		printf("],\n  \"build16m\": {\"trap_ns\": %.0f, \"batch_ns\": %.0f, \"trap_over_batch\": %.1f}\n}\n",
		       mmu->trap_ns, mmu->batched_ns, mmu->trap_ns / mmu->batched_ns);
}

static void print_text(const struct lm_run *m)
{
	if (m->pv_why[0])
		printf("pvbench lmbench (scale %d%s; native only: %s)\n", m->scale, m->quick ? ", --quick" : "", m->pv_why);
	else
		printf("pvbench lmbench (scale %d%s; native and pvos in one run; raw KVM exit %.0f ns)\n", m->scale,
		       m->quick ? ", --quick" : "", m->raw);
	printf("  %-14s %14s %14s %10s %10s\n", "row", "native", "pv", "pv/native", "pv/exit");
	for (int i = 0; i < NROWS; i++) {
		const struct row *n = &m->native.rows[i], *p = &m->pv.rows[i];
		char nb[32], pb[32];
		snprintf(nb, sizeof(nb), n->ok ? "%.0f %s" : "-", n->v, n->unit);
		snprintf(pb, sizeof(pb), p->ok ? "%.0f %s" : "-", p->v, p->unit);
		/* A latency in raw exits says what it costs on any host. */
		double ns = !strcmp(p->unit, "ns") ? p->v : !strcmp(p->unit, "us") ? p->v * 1e3 : 0;
		char ex[16] = "";
		if (ns && m->raw > 0)
			snprintf(ex, sizeof(ex), "%.2f", ns / m->raw);
		if (n->ok && p->ok)
			printf("  %-14s %14s %14s %10.4g %10s\n", row_names[i], nb, pb, n->v > 0 ? p->v / n->v : 0, ex);
		else if (m->pv_why[0])
			printf("  %-14s %14s %14s   pv not run (above)\n", row_names[i], nb, pb);
		else
			printf("  %-14s %14s %14s   not supported: %s\n", row_names[i], nb, pb, p->ok ? n->note : p->note);
	}
	printf("  (latencies: pv/native > 1 is slower; pipe_bw is MB/s: pv/native < 1 is slower;\n"
	       "   pv/exit: the pv latency in raw exits of this run)\n");
	if (m->pv_why[0])
		return;
	const struct mmu *mmu = &m->mmu;
	printf("  pvos: %s\n", m->pv.mode[0] ? m->pv.mode : "(did not say how it takes faults)");
	for (int i = 0; i < 4; i++)
		printf("mmu_update batch %d: %.1f ns/entry, ratio %.5f\n", batch_sizes[i], mmu->batch_ns[i],
		       mmu->batch_ns[i] / mmu->batch_ns[0]);
	if (mmu->no_trap[0])
		printf("building a 16 MiB address space: batched mmu_update %.2f ms; trapped writes not supported on "
		       "this host: %s\n", mmu->batched_ns / 1e6, mmu->no_trap);
	else
		printf("building a 16 MiB address space: trapped writes %.1f ms, batched mmu_update %.2f ms, "
		       "ratio %.0f\n", mmu->trap_ns / 1e6, mmu->batched_ns / 1e6, mmu->trap_ns / mmu->batched_ns);
}

int cmd_lmbench(int argc, char **argv)
{
	int json = 0, c;
	struct lm_run m = { 0 };
	static const struct option opts[] = {
		{ "quick", no_argument, 0, 'q' }, { "json", no_argument, 0, 'j' }, { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'q': m.quick = 1; break;
		case 'j': json = 1; break;
		case 'h': bench_usage(stdout); return 0;
		default: bench_usage(stderr); return 2;
		}
	}
	m.scale = m.quick ? 1 : 4;
	if (measure(&m))
		return 1;
	if (json)
		print_json(&m);
	else
		print_text(&m);
	return 0;
}
