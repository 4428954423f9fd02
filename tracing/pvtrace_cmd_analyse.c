/* pvtrace's analysis commands: summary (xenalyze-like totals and latency
 * percentiles), hist (a hypercall's latency histogram), export (every
 * event a CSV or SQLite row), timeline (who ran on which pvmon slot when). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "counters.h"
#include "numparse.h"
#include "pvtrace.h"
#include "pvtrace_cli.h"

/* ---- summary --------------------------------------------------------- */

struct summary_opts { bool json; };

static int summary_opt(void *ctx, int c, const char *arg)
{
	(void)arg;
	if (c == 'j')
		((struct summary_opts *)ctx)->json = true;
	return -1;
}

/* Read and analyse dir; the summary is left in s (finished). */
static int analyse(const char *cmd, const char *dir, int pid, struct pvt_summary *s, struct pvt_totals *t)
{
	char err[1024];
	int rc = pvt_read(dir, pid, pvt_summary_event, s, t, err, sizeof(err));
	if (!rc && s->error)
		rc = s->error, snprintf(err, sizeof(err), "%s: out of memory", dir);
	if (rc) {
		pvt_fail(cmd, err);
		return rc;
	}
	pvt_summary_finish(s, t->last_ts);
	return 0;
}

static const char summary_help[] =
	"usage: pvtrace summary DIR [--json] [--pid PID]\n"
	"Per hypercall and per domain: count, mean, p50/p90/p99/max latency, total;\n"
	"per domain run/wait/blocked time, switches, blocks and wakes; VM exits by\n"
	"reason; TLB flushes by kind, page flips, mmu_update batches; events lost.\n"
	"DIR is a trace directory (`pvmon run --trace DIR`, `pvctl trace start\n"
	"--output DIR`); every CTF trace below it is read.\n"
	"  --json      one JSON object (schema: docs/tracing.md)\n"
	"  --pid PID   only the events of that process (pvmon's pid; pvctl sessions\n"
	"              record every pvmon on the host)\n";

int pvt_cmd_summary(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, 0, 'j' }, { "pid", required_argument, 0, 'p' }, { "help", no_argument, 0, 'h' },
		{ 0 },
	};
	struct summary_opts o = { false };
	const char *dir = NULL;
	int pid = 0;
	int rc = pvt_parse_args("summary", summary_help, argc, argv, opts, summary_opt, &o, &dir, &pid);
	if (rc >= 0)
		return rc;
	struct pvt_summary s;
	struct pvt_totals t;
	pvt_summary_init(&s);
	rc = analyse("summary", dir, pid, &s, &t);
	if (!rc)
		rc = o.json ? pvt_summary_json(&s, &t, dir, stdout) : pvt_summary_print(&s, &t, dir, stdout);
	pvt_summary_free(&s);
	if (rc == -ENOMEM)
		pvt_fail("summary", "out of memory");
	return rc ? EXIT_FAILURE : 0;
}

/* ---- hist -------------------------------------------------------------- */

struct hist {
	int64_t nr;                    /* -1: every hypercall */
	int64_t dom;                   /* -1: every domain */
	bool csv;
	const char *name;
	uint64_t buckets[PVT_NR_BUCKETS];
	uint64_t count;
};

static int hist_event(void *ctx, const struct pvt_ev *e)
{
	struct hist *h = ctx;
	if ((e->kind != PVT_HCALL_EXIT && e->kind != PVT_XEN_HCALL_EXIT) || (h->nr >= 0 && pvt_hc_key(e) != (uint64_t)h->nr) ||
	    (h->dom >= 0 && e->v[HX_DOM] != (uint64_t)h->dom))
		return 0;
	h->buckets[pvt_bucket(e->v[HX_LATENCY])]++;
	h->count++;
	return 0;
}


static int hist_opt(void *ctx, int c, const char *arg)
{
	struct hist *h = ctx;
	switch (c) {
	case 'y':
		h->name = arg;
		if (!strcmp(arg, "all")) {
			h->nr = -1;
		} else if (!pvt_parse_u32(arg, &h->nr) && (h->nr = pvt_hcall_lookup(arg)) < 0) {
			return pvt_usage_error("hist", "unknown hypercall '%s' (a name such as null or sched_op, "
			                   "xen:mmu_update for a Linux PV domain's, a number, or all)", arg);
		}
		return -1;
	case 'd':
		if (!pvt_parse_u32(arg, &h->dom))
			return pvt_usage_error("hist", "--dom wants a domain id, not '%s'", arg);
		return -1;
	case 'c':
		h->csv = true;
		return -1;
	}
	return -1;
}

static void print_hist(const struct hist *h, const char *dir)
{
	int lo = PVT_NR_BUCKETS, hi = -1;
	uint64_t peak = 0;
	for (int b = 0; b < PVT_NR_BUCKETS; b++)
		if (h->buckets[b]) {
			lo = b < lo ? b : lo;
			hi = b;
			peak = h->buckets[b] > peak ? h->buckets[b] : peak;
		}
	if (h->csv) {
		printf("lo_ns,hi_ns,count\n");
		for (int b = lo; b <= hi; b++) {
			uint64_t l, u;
			pvt_bucket_bounds(b, &l, &u);
			printf("%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", l, u, h->buckets[b]);
		}
		return;
	}
	printf("latency of %s hypercalls in %s", h->name, dir);
	if (h->dom >= 0)
		printf(", domain %" PRId64, h->dom);
	printf(": %" PRIu64 " calls, log2 buckets [lo, hi) ns\n", h->count);
	for (int b = lo; b <= hi; b++) {
		uint64_t l, u;
		pvt_bucket_bounds(b, &l, &u);
		int bar = peak ? (int)((h->buckets[b] * 50 + peak - 1) / peak) : 0;
		printf("  [%10" PRIu64 ", %10" PRIu64 ") %10" PRIu64 " %.*s\n", l, u, h->buckets[b], bar,
		       "##################################################");
	}
}

static const char hist_help[] =
	"usage: pvtrace hist DIR --hypercall NAME|NR|all [--dom ID] [--pid PID] [--csv]\n"
	"Latency histogram of one hypercall (from hcall_exit's latency_ns) in log2\n"
	"buckets: [0, 2), [2, 4), [4, 8) ... ns. The bucket counts add up to the\n"
	"call count `pvtrace summary` gives.\n"
	"  --hypercall H  a name (null, sched_op, ...), a number, or all\n"
	"  --dom ID       only this domain\n"
	"  --pid PID      only this process\n"
	"  --csv          rows lo_ns,hi_ns,count instead of bars\n";

int pvt_cmd_hist(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hypercall", required_argument, 0, 'y' }, { "dom", required_argument, 0, 'd' },
		{ "csv", no_argument, 0, 'c' }, { "pid", required_argument, 0, 'p' }, { "help", no_argument, 0, 'h' },
		{ 0 },
	};
	struct hist h = { .nr = -2, .dom = -1 };
	const char *dir = NULL;
	int pid = 0;
	int rc = pvt_parse_args("hist", hist_help, argc, argv, opts, hist_opt, &h, &dir, &pid);
	if (rc >= 0)
		return rc;
	if (h.nr == -2)
		return pvt_usage_error("hist", "%s", "--hypercall NAME is required");
	struct pvt_totals t;
	char err[1024];
	if (pvt_read(dir, pid, hist_event, &h, &t, err, sizeof(err)))
		return pvt_fail("hist", err);
	print_hist(&h, dir);
	return 0;
}

/* ---- export ------------------------------------------------------------ */

struct export_opts { const char *csv, *sqlite; };

static int export_opt(void *ctx, int c, const char *arg)
{
	struct export_opts *o = ctx;
	if (c == 'c')
		o->csv = arg;
	else if (c == 's')
		o->sqlite = arg;
	return -1;
}

static const char export_help[] =
	"usage: pvtrace export DIR --csv FILE | --sqlite FILE [--pid PID]\n"
	"Every event as one row (columns: docs/tracing.md), for R and scripts.\n"
	"  --csv FILE     comma-separated, a header line first; - for stdout\n"
	"  --sqlite FILE  table events (replaced), trace_info, hypercall_names\n"
	"  --pid PID      only this process's events\n"
	"Prints the row count on stderr.\n";

int pvt_cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "csv", required_argument, 0, 'c' }, { "sqlite", required_argument, 0, 's' },
		{ "pid", required_argument, 0, 'p' }, { "help", no_argument, 0, 'h' }, { 0 },
	};
	struct export_opts o = { 0 };
	const char *dir = NULL;
	int pid = 0;
	int rc = pvt_parse_args("export", export_help, argc, argv, opts, export_opt, &o, &dir, &pid);
	if (rc >= 0)
		return rc;
	if (!o.csv == !o.sqlite)
		return pvt_usage_error("export", "%s", "give exactly one of --csv FILE and --sqlite FILE");
	char err[1024];
	struct pvt_export *x = pvt_export_open(o.csv ? o.csv : o.sqlite, !!o.sqlite, err, sizeof(err));
	if (!x)
		return pvt_fail("export", err);
	struct pvt_totals t;
	rc = pvt_read(dir, pid, pvt_export_event, x, &t, err, sizeof(err));
	uint64_t rows = pvt_export_rows(x);
	char cerr[512];
	int crc = pvt_export_close(x, rc ? NULL : &t, dir, cerr, sizeof(cerr));
	if (rc)
		return pvt_fail("export", err);
	if (crc)
		return pvt_fail("export", cerr);
	fprintf(stderr, "pvtrace export: %" PRIu64 " rows to %s (events lost in the trace: %" PRIu64 ")\n", rows,
	        o.csv ? o.csv : o.sqlite, t.lost_events);
	return 0;
}

/* ---- timeline ---------------------------------------------------------- */

struct timeline {
	FILE *f;
	struct pvt_summary *s;
	int64_t t0;
	uint64_t rows;
};

static void timeline_row(void *ctx, int cpu, uint32_t dom, uint32_t vcpu, int64_t start, int64_t end,
                         const char *in, const char *out)
{
	struct timeline *tl = ctx;
	struct pvt_dom *d = pvt_summary_dom(tl->s, dom);
	fprintf(tl->f, "%d,%u,%s,%u,%" PRId64 ",%" PRId64 ",%" PRId64 ",%s,%s\n", cpu, dom,
	        d && d->name[0] ? d->name : "", vcpu, start - tl->t0, end - tl->t0, end - start, in ? in : "", out);
	tl->rows++;
}

/* The timeline's times are relative to the first event: the summary's
 * event callback records it before any interval can close. */
static int timeline_event(void *ctx, const struct pvt_ev *e)
{
	struct timeline *tl = ctx;
	if (!tl->s->first_ts)
		tl->t0 = e->ts;
	return pvt_summary_event(tl->s, e);
}

static int timeline_opt(void *ctx, int c, const char *arg)
{
	if (c == 'c')
		*(const char **)ctx = arg;
	return -1;
}

static const char timeline_help[] =
	"usage: pvtrace timeline DIR [--csv FILE] [--pid PID]\n"
	"Per-CPU scheduler timeline as CSV (stdout unless --csv FILE): one row per\n"
	"interval a vCPU held a pvmon run slot:\n"
	"  cpu,dom,name,vcpu,start_ns,end_ns,duration_ns,in_reason,out_reason\n"
	"times in ns from the trace's first event; out_reason 'untraced' marks a\n"
	"leave pvmon did not record (placed at the vCPU's last event).\n";

int pvt_cmd_timeline(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "csv", required_argument, 0, 'c' }, { "pid", required_argument, 0, 'p' }, { "help", no_argument, 0, 'h' },
		{ 0 },
	};
	const char *out = NULL, *dir = NULL;
	int pid = 0;
	int rc = pvt_parse_args("timeline", timeline_help, argc, argv, opts, timeline_opt, &out, &dir, &pid);
	if (rc >= 0)
		return rc;
	struct pvt_summary s;
	pvt_summary_init(&s);
	struct timeline tl = { .f = stdout, .s = &s };
	if (out && strcmp(out, "-") && !(tl.f = fopen(out, "w"))) {
		fprintf(stderr, "pvtrace timeline: %s: %s\n", out, strerror(errno));
		return EXIT_FAILURE;
	}
	s.on_interval = timeline_row;
	s.interval_ctx = &tl;
	fprintf(tl.f, "cpu,dom,name,vcpu,start_ns,end_ns,duration_ns,in_reason,out_reason\n");
	struct pvt_totals t;
	char err[1024];
	rc = pvt_read(dir, pid, timeline_event, &tl, &t, err, sizeof(err));
	if (!rc)
		pvt_summary_finish(&s, t.last_ts);
	pvt_summary_free(&s);
	bool bad = (tl.f != stdout && fclose(tl.f)) || (tl.f == stdout && fflush(stdout));
	if (rc)
		return pvt_fail("timeline", err);
	if (bad)
		return pvt_fail("timeline", "cannot write the output");
	return 0;
}

