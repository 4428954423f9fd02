/* pvbench lmbench: the lmbench-style rows of workloads/lmbench.c on
 * this host (build/bin/pvlm) and in a pvos process under pvmon, side by
 * side with pv/native ratios, as the paper's Tables 3 and 4; then the cost
 * of mmu_update per entry by batch size and of building a 16 MiB address
 * space with trapped writes or batched updates (pvos prog=mmubench); all
 * next to the raw exit cost measured in the same run. The native rows run
 * on any host; the pv side, where KVM is missing, is left out with why.
 * Then the Linux PV column (lm_linux.c): the same rows natively and in a
 * Linux PV domain, here or in the nested AMD-V host, with each row's exits
 * to pvmon, hypercalls, emulated page-table writes and bounces per
 * operation. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"
#include "jsonquote.h"
#include "lm_linux.h"
#include "lmrows.h"

#define NROWS LM_NROWS
#define row_names lm_row_names

static const int batch_sizes[4] = { 1, 16, 256, 2048 };

struct mmu {
	double batch_ns[4], trap_ns, batched_ns;
	int got;
	char no_trap[160];      /* why trapped writes were not measured (nested-paging hosts) */
};

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
static int run_lines(const char *cmd, struct lm_side *s, struct mmu *m)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return -errno;
	char line[512];
	while (fgets(line, sizeof(line), p)) {
		if (s)
			lm_parse_line(s, line);
		if (m)
			parse_mmu(line, m);
		if (strstr(line, "pvmon: ") || strstr(line, "panic"))
			fputs(line, stderr);
	}
	int st = pclose(p);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static int run_pv(const char *cmdline, unsigned mib, struct lm_side *s, struct mmu *m)
{
	char cfg[] = "/tmp/pvbench-lm-XXXXXX", cmd[8192];
	if (write_cfg(cfg, cmdline, mib))
		return -errno;
	snprintf(cmd, sizeof(cmd), "'%s/pvmon' --console-counters --pcpus 1 run '%s' 2>&1", bindir, cfg);
	int rc = run_lines(cmd, s, m);
	unlink(cfg);
	return rc;
}

/* A JSON string of s (quoted, escaped) for one printf. */
static const char *jq(char *buf, size_t n, const char *s)
{
	jsonquote(buf, n, s, n);
	return buf;
}

/* One row of "rows" (pvos) or of the Linux PV column's (lx). The column's
 * rows also give the pv side's ops, name the counters without "pv_", say
 * "no value" where the pv side gave no reason and have no
 * "native_unsupported". */
static void json_row(const char *name, const struct lm_row *n, const struct lm_row *p, bool lx, int last)
{
	char b[8 * sizeof(n->note) + 3];
	printf("    {\"name\": \"%s\", \"unit\": \"%s\"", name, n->ok ? n->unit : p->unit);
	if (n->ok)
		printf(", \"native\": %.0f", n->v);
	if (p->ok)
		printf(", \"pv\": %.0f", p->v);
	if (n->ok && p->ok && n->v > 0)
		printf(", \"pv_over_native\": %.3f", p->v / n->v);
	if (!p->ok)
		printf(", \"pv_unsupported\": %s", jq(b, sizeof(b), lx && !p->note[0] ? "no value" : p->note));
	if (lx && p->ok && p->ops)
		printf(", \"ops\": %ld", p->ops);
	for (int k = 0; k < CONSCNT_NR; k++)
		if (p->ok && p->has[k])
			printf(", \"%s%s_per_op\": %.3f", lx ? "" : "pv_", pvmon_console_counter_key(k), p->per_op[k]);
	if (!lx && !n->ok)
		printf(", \"native_unsupported\": %s", jq(b, sizeof(b), n->note));
	printf("}%s\n", last ? "" : ",");
}

/* What one run measured: native always; pvos, its mmu_update costs and the
 * raw exit only where KVM is usable (else pv_why says why not). */
struct lm_run {
	int scale, quick, with_linux;
	struct lm_side native, pv;
	struct lm_linux lx;          /* the Linux PV column, when with_linux */
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
	if (run_pv(cl, 64, &m->pv, NULL) || !m->pv.done || m->pv.bad) {
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
	if (kvm && measure_pv(m))
		return 1;
	/* A Linux PV column that cannot run here says why; one that ran and failed fails the run. */
	if (m->with_linux && lm_linux_measure(m->scale, &m->lx) == -EIO) {
		fprintf(stderr, "pvbench: the Linux PV column: %s\n", m->lx.why);
		return 1;
	}
	return 0;
}

/* The short names of the per-operation counters in the text table, in
 * PVMON_CONSOLE_COUNTERS's order, up to the network's (pvbench netflip's). */
#define LM_PER_OP CONSCNT_PAGE_FLIPS
static const char *const per_op_label[LM_PER_OP] = {
	"exits/op", "hcalls/op", "ptwr/op", "mmu/op", "bounce/op", "emul/op", "stub/op",
};

/* "linux": where and how the Linux PV column was measured, or why not. */
static void json_linux(const struct lm_linux *l)
{
	char b[8 * sizeof(l->why) + 3], raw[32];
	if (l->why[0]) {
		printf("  \"linux\": {\"unsupported\": %s}", jq(b, sizeof(b), l->why));
		return;
	}
	printf("  \"linux\": {\"emulated\": %s, \"host\": %s, ", l->emulated ? "true" : "false", jq(b, sizeof(b), l->host));
	printf("\"kernel\": %s, \"raw_exit_ns\": %s, \"rows\": [\n", jq(b, sizeof(b), l->kernel),
	       json_num(raw, "%.0f", l->raw, l->raw > 0));
	for (int i = 0; i < NROWS; i++)
		json_row(row_names[i], &l->native.rows[i], &l->pv.rows[i], true, i == NROWS - 1);
	printf("  ]}");
}

static void print_json(const struct lm_run *m)
{
	char raw[32], b[8 * sizeof(m->pv_why) + 3];
	printf("{\n  \"scale\": %d, \"raw_exit_ns\": %s,\n", m->scale, json_num(raw, "%.0f", m->raw, !m->pv_why[0]));
	if (m->pv_why[0])
		printf("  \"pv_unsupported\": %s,\n", jq(b, sizeof(b), m->pv_why));
	printf("  \"rows\": [\n");
	for (int i = 0; i < NROWS; i++)
		json_row(row_names[i], &m->native.rows[i], &m->pv.rows[i], false, i == NROWS - 1);
	printf("  ],\n  \"pv_mode\": %s,\n  \"mmu_update\": [", jq(b, sizeof(b), m->pv.mode));
	const struct mmu *mmu = &m->mmu;
	if (m->pv_why[0]) {
		printf("],\n  \"build16m\": null");
	} else {
		/* a ratio that is not a number (a zero time) is null: JSON has no nan */
		for (int i = 0; i < 4; i++) {
			double q = mmu->batch_ns[i] / mmu->batch_ns[0];
			printf("%s{\"batch\": %d, \"ns_per_entry\": %.1f, \"ratio\": %s}", i ? ", " : "", batch_sizes[i],
			       mmu->batch_ns[i], json_num(raw, "%.5f", q, isfinite(q)));
		}
		if (mmu->no_trap[0])
			printf("],\n  \"build16m\": {\"trap_ns\": null, \"batch_ns\": %.0f, \"trap_over_batch\": null, "
			       "\"trap_note\": \"not supported on this host\"}", mmu->batched_ns);
		else
			printf("],\n  \"build16m\": {\"trap_ns\": %.0f, \"batch_ns\": %.0f, \"trap_over_batch\": %s}",
			       mmu->trap_ns, mmu->batched_ns,
			       json_num(raw, "%.1f", mmu->trap_ns / mmu->batched_ns,
			                isfinite(mmu->trap_ns / mmu->batched_ns)));
	}
	if (m->with_linux) {
		printf(",\n");
		json_linux(&m->lx);
	}
	printf("\n}\n");
}

/* The counters of row r per operation, as table cells (blank: none). */
static void per_op_cells(const struct lm_row *r, char *out, size_t n)
{
	size_t o = 0;
	out[0] = 0;
	for (int k = 0; k < LM_PER_OP && o < n; k++) {
		char c[16] = "-";
		if (r->has[k])
			snprintf(c, sizeof(c), "%.2f", r->per_op[k]);
		o += (size_t)snprintf(out + o, n - o, " %9s", c);
	}
}

static void print_linux(const struct lm_linux *l)
{
	if (l->why[0]) {
		printf("Linux PV: not run: %s\n", l->why);
		return;
	}
	if (l->emulated)
		printf("Linux PV (Debian's kernel %s as a Xen PV domain of pvmon, pvlm in its initramfs): EMULATED, in the\n"
		       "nested AMD-V host under QEMU TCG (%s), against native measured there; raw KVM exit there %.0f ns\n",
		       l->kernel[0] ? l->kernel : "?", l->host, l->raw);
	else
		printf("Linux PV (Debian's kernel %s as a Xen PV domain of pvmon, pvlm in its initramfs) on this host\n"
		       "(%s); raw KVM exit %.0f ns\n", l->kernel[0] ? l->kernel : "?", l->host, l->raw);
	printf("  %-14s %12s %12s %10s %7s", "row", "native", "linux-pv", "pv/native", "ops");
	for (int k = 0; k < LM_PER_OP; k++)
		printf(" %9s", per_op_label[k]);
	printf("\n");
	for (int i = 0; i < NROWS; i++) {
		const struct lm_row *n = &l->native.rows[i], *p = &l->pv.rows[i];
		char nb[32], pb[32], q[16] = "-", ops[16] = "-", cells[16 * CONSCNT_NR];
		snprintf(nb, sizeof(nb), n->ok ? "%.0f %s" : "-", n->v, n->unit);
		snprintf(pb, sizeof(pb), p->ok ? "%.0f %s" : "-", p->v, p->unit);
		if (n->ok && p->ok && n->v > 0)
			snprintf(q, sizeof(q), "%.4g", p->v / n->v);
		if (p->ops)
			snprintf(ops, sizeof(ops), "%ld", p->ops);
		per_op_cells(p, cells, sizeof(cells));
		printf("  %-14s %12s %12s %10s %7s%s", row_names[i], nb, pb, q, ops, cells);
		if (!p->ok || !n->ok)
			printf("   not supported: %s", p->ok ? n->note : p->note);
		printf("\n");
	}
	printf("  (per op: pvmon's counters stamped on a row's begin and result lines (--console-counters),\n"
	       "   their difference over the row's ops, its setup included; exits: to pvmon; hcalls: hypercalls\n"
	       "   pvmon served; ptwr: the guest's direct page-table writes trapped and emulated (by the stub\n"
	       "   or by pvmon); mmu: entries changed by hypercalls; bounce: exceptions and system calls pvmon\n"
	       "   delivered to the guest kernel; emul: instructions pvmon emulated, its ptwr included; stub:\n"
	       "   system calls and page faults the entry stub delivered, hypercalls it served itself (iret,\n"
	       "   set_segment_base, stack_switch, mmu_update entries, update_va_mapping, base pointers,\n"
	       "   vcpu_op on absent vCPUs, local TLB flushes, one-shot timers, a back end's event sends,\n"
	       "   xen_version with the upcall it forces), event vectors it took (a back end's or the timer's\n"
	       "   event, by MSI) and direct page-table writes it emulated, none of them an exit)\n");
}

static void print_text(const struct lm_run *m)
{
	if (m->pv_why[0])
		printf("pvbench lmbench (scale %d%s; native only: %s)\n", m->scale, m->quick ? ", --quick" : "", m->pv_why);
	else
		printf("pvbench lmbench (scale %d%s; native and pvos in one run; raw KVM exit %.0f ns)\n", m->scale,
		       m->quick ? ", --quick" : "", m->raw);
	printf("  %-14s %14s %14s %10s %10s %9s %9s\n", "row", "native", "pv", "pv/native", "pv/exit", "exits/op",
	       "hcalls/op");
	for (int i = 0; i < NROWS; i++) {
		const struct lm_row *n = &m->native.rows[i], *p = &m->pv.rows[i];
		char nb[32], pb[32];
		snprintf(nb, sizeof(nb), n->ok ? "%.0f %s" : "-", n->v, n->unit);
		snprintf(pb, sizeof(pb), p->ok ? "%.0f %s" : "-", p->v, p->unit);
		/* A latency in raw exits says what it costs on any host. */
		double ns = !strcmp(p->unit, "ns") ? p->v : !strcmp(p->unit, "us") ? p->v * 1e3 : 0;
		char ex[16] = "", eo[16] = "-", ho[16] = "-";
		if (ns && m->raw > 0)
			snprintf(ex, sizeof(ex), "%.2f", ns / m->raw);
		if (p->has[CONSCNT_EXITS])
			snprintf(eo, sizeof(eo), "%.2f", p->per_op[CONSCNT_EXITS]);
		if (p->has[CONSCNT_HYPERCALLS])
			snprintf(ho, sizeof(ho), "%.2f", p->per_op[CONSCNT_HYPERCALLS]);
		if (n->ok && p->ok)
			printf("  %-14s %14s %14s %10.4g %10s %9s %9s\n", row_names[i], nb, pb, n->v > 0 ? p->v / n->v : 0, ex,
			       eo, ho);
		else if (m->pv_why[0])
			printf("  %-14s %14s %14s   pv not run (above)\n", row_names[i], nb, pb);
		else
			printf("  %-14s %14s %14s   not supported: %s\n", row_names[i], nb, pb, p->ok ? n->note : p->note);
	}
	printf("  (latencies: pv/native > 1 is slower; pipe_bw is MB/s: pv/native < 1 is slower;\n"
	       "   pv/exit: the pv latency in raw exits of this run; exits/op, hcalls/op: exits to pvmon and\n"
	       "   hypercalls per operation, pvmon's counters over the row, its setup included)\n");
	if (!m->pv_why[0]) {
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
	if (m->with_linux)
		print_linux(&m->lx);
}

int cmd_lmbench(int argc, char **argv)
{
	int json = 0, here = 0, c;
	struct lm_run m = { .with_linux = 1 };
	static const struct option opts[] = {
		{ "quick", no_argument, 0, 'q' }, { "json", no_argument, 0, 'j' }, { "help", no_argument, 0, 'h' },
		{ "no-linux", no_argument, 0, 'n' }, { "linux-here", no_argument, 0, 'L' }, { 0, 0, 0, 0 },
	};
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'q': m.quick = 1; break;
		case 'j': json = 1; break;
		case 'n': m.with_linux = 0; break;
		case 'L': here = 1; break;
		case 'h': bench_usage(stdout); return 0;
		default: bench_usage(stderr); return 2;
		}
	}
	m.scale = m.quick ? 1 : 4;
	if (here)
		return lm_linux_here_cmd(m.scale);
	if (measure(&m))
		return 1;
	if (json)
		print_json(&m);
	else
		print_text(&m);
	return 0;
}
