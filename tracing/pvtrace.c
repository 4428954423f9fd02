/* pvtrace: analysis of pvmon's LTTng traces (CTF, read with libbabeltrace2).
 * One command per question: summary (xenalyze-like totals and latency
 * percentiles), hist (a hypercall's latency histogram), export (every
 * event a CSV or SQLite row), timeline (who ran on which pvmon slot when),
 * bench (our rate beside babeltrace2's on the same trace), counters (run a
 * command under libpvcounters). Exit status: 0 done, 1 failed, 2 usage. */
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

#define EXIT_USAGE 2

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "pvtrace %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (try `pvtrace %s --help`)\n", cmd);
	return EXIT_USAGE;
}

static int fail(const char *cmd, const char *msg)
{
	fprintf(stderr, "pvtrace %s: %s\n", cmd, msg);
	return EXIT_FAILURE;
}

/* A number in 0..2^32-1 (decimal or 0x hex), widened. */
static bool parse_u32(const char *s, int64_t *out)
{
	uint64_t v;
	if (num_u64(s, 0, UINT32_MAX, &v))
		return false;
	*out = (int64_t)v;
	return true;
}

/* Options of every command: getopt_long over a per-command table (options
 * may come before or after DIR), exactly one positional DIR. Returns -1
 * when parsed, else the exit status. */

static int parse(const char *cmd, const char *help, int argc, char **argv, const struct option *opts,
                 int (*on_opt)(void *ctx, int c, const char *arg), void *ctx, const char **dir, int *pid)
{
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return 0;
		}
		if (c == '?')
			return usage_error(cmd, "bad option or missing value: '%s'", argv[optind - 1]);
		if (c == 'p') {
			int64_t v;
			if (!pid || !parse_u32(optarg, &v) || v < 1 || v > INT32_MAX)
				return usage_error(cmd, "--pid wants a process id, not '%s'", optarg);
			*pid = (int)v;
			continue;
		}
		int rc = on_opt(ctx, c, optarg);
		if (rc >= 0)
			return rc;
	}
	if (optind == argc)
		return usage_error(cmd, "%s", "missing the trace directory");
	if (argc - optind > 1)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
	*dir = argv[optind];
	return -1;
}

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
		fail(cmd, err);
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

static int cmd_summary(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, 0, 'j' }, { "pid", required_argument, 0, 'p' }, { "help", no_argument, 0, 'h' },
		{ 0 },
	};
	struct summary_opts o = { false };
	const char *dir = NULL;
	int pid = 0;
	int rc = parse("summary", summary_help, argc, argv, opts, summary_opt, &o, &dir, &pid);
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
		fail("summary", "out of memory");
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
	if (e->kind != PVT_HCALL_EXIT || (h->nr >= 0 && e->v[HX_NR] != (uint64_t)h->nr) ||
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
		} else if (!parse_u32(arg, &h->nr) && (h->nr = pvt_hcall_lookup(arg)) < 0) {
			return usage_error("hist", "unknown hypercall '%s' (a name such as null or sched_op, "
			                   "a number, or all)", arg);
		}
		return -1;
	case 'd':
		if (!parse_u32(arg, &h->dom))
			return usage_error("hist", "--dom wants a domain id, not '%s'", arg);
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

static int cmd_hist(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hypercall", required_argument, 0, 'y' }, { "dom", required_argument, 0, 'd' },
		{ "csv", no_argument, 0, 'c' }, { "pid", required_argument, 0, 'p' }, { "help", no_argument, 0, 'h' },
		{ 0 },
	};
	struct hist h = { .nr = -2, .dom = -1 };
	const char *dir = NULL;
	int pid = 0;
	int rc = parse("hist", hist_help, argc, argv, opts, hist_opt, &h, &dir, &pid);
	if (rc >= 0)
		return rc;
	if (h.nr == -2)
		return usage_error("hist", "%s", "--hypercall NAME is required");
	struct pvt_totals t;
	char err[1024];
	if (pvt_read(dir, pid, hist_event, &h, &t, err, sizeof(err)))
		return fail("hist", err);
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

static int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "csv", required_argument, 0, 'c' }, { "sqlite", required_argument, 0, 's' },
		{ "pid", required_argument, 0, 'p' }, { "help", no_argument, 0, 'h' }, { 0 },
	};
	struct export_opts o = { 0 };
	const char *dir = NULL;
	int pid = 0;
	int rc = parse("export", export_help, argc, argv, opts, export_opt, &o, &dir, &pid);
	if (rc >= 0)
		return rc;
	if (!o.csv == !o.sqlite)
		return usage_error("export", "%s", "give exactly one of --csv FILE and --sqlite FILE");
	char err[1024];
	struct pvt_export *x = pvt_export_open(o.csv ? o.csv : o.sqlite, !!o.sqlite, err, sizeof(err));
	if (!x)
		return fail("export", err);
	struct pvt_totals t;
	rc = pvt_read(dir, pid, pvt_export_event, x, &t, err, sizeof(err));
	uint64_t rows = pvt_export_rows(x);
	char cerr[512];
	int crc = pvt_export_close(x, rc ? NULL : &t, dir, cerr, sizeof(cerr));
	if (rc)
		return fail("export", err);
	if (crc)
		return fail("export", cerr);
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

static int cmd_timeline(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "csv", required_argument, 0, 'c' }, { "pid", required_argument, 0, 'p' }, { "help", no_argument, 0, 'h' },
		{ 0 },
	};
	const char *out = NULL, *dir = NULL;
	int pid = 0;
	int rc = parse("timeline", timeline_help, argc, argv, opts, timeline_opt, &out, &dir, &pid);
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
		return fail("timeline", err);
	if (bad)
		return fail("timeline", "cannot write the output");
	return 0;
}

/* ---- bench ------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(int who)
{
	struct rusage ru;
	getrusage(who, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

static int count_only(void *ctx, const struct pvt_ev *e)
{
	(void)ctx, (void)e;
	return 0;
}

struct timing { double wall, cpu; };

/* One full `summary` (read, analyse, write the report to /dev/null). */
static int time_summary(const char *dir, FILE *devnull, bool decode_only, struct timing *tm, uint64_t *events)
{
	char err[1024];
	struct pvt_summary s;
	struct pvt_totals t;
	pvt_summary_init(&s);
	double w0 = now_s(), c0 = cpu_s(RUSAGE_SELF);
	int rc = decode_only ? pvt_read(dir, 0, count_only, NULL, &t, err, sizeof(err))
	                     : pvt_read(dir, 0, pvt_summary_event, &s, &t, err, sizeof(err));
	if (!rc && !decode_only) {
		pvt_summary_finish(&s, t.last_ts);
		rc = pvt_summary_print(&s, &t, dir, devnull);
	}
	tm->wall = now_s() - w0;
	tm->cpu = cpu_s(RUSAGE_SELF) - c0;
	pvt_summary_free(&s);
	*events = t.events;
	if (rc)
		fail("bench", rc == -ENOMEM ? "out of memory" : err);
	return rc;
}

static int time_babeltrace(const char *dir, struct timing *tm)
{
	double w0 = now_s(), c0 = cpu_s(RUSAGE_CHILDREN);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execlp("babeltrace2", "babeltrace2", dir, (char *)NULL);
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	tm->wall = now_s() - w0;
	tm->cpu = cpu_s(RUSAGE_CHILDREN) - c0;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return WIFEXITED(st) && WEXITSTATUS(st) == 127 ? -ENOENT : -EIO;
	return 0;
}

static void keep_best(struct timing *best, const struct timing *t, int rep)
{
	if (!rep || t->wall < best->wall)
		best->wall = t->wall;
	if (!rep || t->cpu < best->cpu)
		best->cpu = t->cpu;
}

struct bench_opts { int reps; bool json; };

static int bench_opt(void *ctx, int c, const char *arg)
{
	struct bench_opts *o = ctx;
	if (c == 'j') {
		o->json = true;
	} else if (c == 'r') {
		int64_t r;
		if (!parse_u32(arg, &r) || r < 1 || r > 20)
			return usage_error("bench", "--reps wants 1..20, not '%s'", arg);
		o->reps = (int)r;
	}
	return -1;
}

static const char bench_help[] =
	"usage: pvtrace bench DIR [--reps N] [--json]\n"
	"Times, on the same trace and in one run, `pvtrace summary` (report to\n"
	"/dev/null), babeltrace2's decoding alone (no analysis) inside pvtrace, and\n"
	"`babeltrace2 DIR > /dev/null`; prints events/s of each (wall clock and\n"
	"CPU time, best of N, default 3) and the ratios.\n";

static int cmd_bench(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reps", required_argument, 0, 'r' }, { "json", no_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' }, { 0 },
	};
	struct bench_opts o = { 3, false };
	const char *dir = NULL;
	int rc = parse("bench", bench_help, argc, argv, opts, bench_opt, &o, &dir, NULL);
	if (rc >= 0)
		return rc;
	FILE *devnull = fopen("/dev/null", "w");
	if (!devnull)
		return fail("bench", "cannot open /dev/null");
	struct timing sum = { 0 }, dec = { 0 }, bt = { 0 }, one;
	uint64_t events = 0;
	int bt_rc = 0;
	/* Interleaved, so that a noisy neighbour hurts every contender alike. */
	for (int r = 0; r < o.reps; r++) {
		if (time_summary(dir, devnull, false, &one, &events))
			return fclose(devnull), EXIT_FAILURE;
		keep_best(&sum, &one, r);
		if (time_summary(dir, devnull, true, &one, &events))
			return fclose(devnull), EXIT_FAILURE;
		keep_best(&dec, &one, r);
		if (!bt_rc && !(bt_rc = time_babeltrace(dir, &one)))
			keep_best(&bt, &one, r);
	}
	fclose(devnull);
	double m = (double)events / 1e6;
	if (o.json) {
		printf("{\"events\": %" PRIu64 ", \"reps\": %d, \"summary_s\": %.4f, \"summary_cpu_s\": %.4f, "
		       "\"summary_mevents_per_s\": %.3f, \"decode_s\": %.4f, \"decode_mevents_per_s\": %.3f",
		       events, o.reps, sum.wall, sum.cpu, m / sum.wall, dec.wall, m / dec.wall);
		if (!bt_rc)
			printf(", \"babeltrace2_s\": %.4f, \"babeltrace2_cpu_s\": %.4f, \"babeltrace2_mevents_per_s\": %.3f, "
			       "\"ratio_summary_vs_babeltrace2\": %.3f, \"ratio_summary_vs_babeltrace2_cpu\": %.3f",
			       bt.wall, bt.cpu, m / bt.wall, bt.wall / sum.wall, bt.cpu / sum.cpu);
		printf("}\n");
		return 0;
	}
	printf("pvtrace bench %s: %" PRIu64 " events, best of %d\n", dir, events, o.reps);
	printf("  %-34s %8.3f s wall %8.3f s cpu  %7.3f M events/s\n", "pvtrace summary", sum.wall, sum.cpu,
	       m / sum.wall);
	printf("  %-34s %8.3f s wall %8.3f s cpu  %7.3f M events/s\n", "decoding only (pvtrace's reader)", dec.wall,
	       dec.cpu, m / dec.wall);
	if (bt_rc) {
		printf("  babeltrace2 DIR > /dev/null: %s\n", bt_rc == -ENOENT ? "babeltrace2 is not installed"
		                                                              : "failed (see its message above)");
		return 0;
	}
	printf("  %-34s %8.3f s wall %8.3f s cpu  %7.3f M events/s\n", "babeltrace2 DIR > /dev/null", bt.wall,
	       bt.cpu, m / bt.wall);
	printf("  ratio summary/babeltrace2: %.2f (wall), %.2f (cpu)\n", bt.wall / sum.wall, bt.cpu / sum.cpu);
	return 0;
}

/* ---- counters ---------------------------------------------------------- */

static const char counters_help[] =
	"usage: pvtrace counters [--inherit] [--json] -- CMD [ARGS...]\n"
	"Runs CMD and prints the performance counters libpvcounters opened for it:\n"
	"cycles, instructions, LLC and dTLB misses where the host has a PMU, else\n"
	"(said on the first line) task-clock, context switches, page faults and\n"
	"migrations. Exits with CMD's status.\n"
	"  --inherit   count CMD's threads and children too (default: its first thread)\n"
	"  --json      one JSON object instead of lines\n";

struct counters_opts { bool inherit, json; };

static int counters_opt(void *ctx, int c, const char *arg)
{
	(void)arg;
	struct counters_opts *o = ctx;
	if (c == 'i')
		o->inherit = true;
	else if (c == 'j')
		o->json = true;
	return -1;
}

static void print_counters(const struct pvc *c, bool json, int status)
{
	if (json) {
		printf("{\"hardware\": %s, \"note\": \"%s\", \"status\": %d, \"counters\": {",
		       pvc_hardware(c) ? "true" : "false", pvc_note(c), status);
		for (int i = 0; i < pvc_count(c); i++)
			printf("%s\"%s\": %" PRIu64, i ? ", " : "", pvc_name(c, i), pvc_value(c, i));
		printf("}}\n");
		return;
	}
	printf("pvtrace counters: %s\n", pvc_note(c));
	for (int i = 0; i < pvc_count(c); i++)
		printf("  %-18s %16" PRIu64 " %s\n", pvc_name(c, i), pvc_value(c, i), pvc_unit(c, i));
}

static int cmd_counters(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "inherit", no_argument, 0, 'i' }, { "json", no_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' }, { 0 },
	};
	struct counters_opts o = { false, false };
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h')
			return fputs(counters_help, stdout), 0;
		if (c == '?')
			return usage_error("counters", "bad option '%s'", argv[optind - 1]);
		counters_opt(&o, c, optarg);
	}
	if (optind >= argc)
		return usage_error("counters", "%s", "missing the command to run (pvtrace counters -- CMD)");
	char **cmd = argv + optind;
	/* The child waits on a pipe until its counters are open and started. */
	int go[2];
	if (pipe(go))
		return fail("counters", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		return fail("counters", strerror(errno));
	if (pid == 0) {
		char b;
		close(go[1]);
		if (read(go[0], &b, 1) != 1)
			_exit(127);
		execvp(cmd[0], cmd);
		fprintf(stderr, "pvtrace counters: cannot run %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	char err[512];
	struct pvc *pc = pvc_open(pid, o.inherit, err, sizeof(err));
	if (!pc || pvc_start(pc)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pvc_close(pc);
		return fail("counters", pc ? "cannot start the counters" : err);
	}
	if (write(go[1], "g", 1) != 1)
		kill(pid, SIGKILL);
	close(go[1]);
	int st = 0;
	/* perf counters of a task keep their values after it exits, until
	 * the last file descriptor is closed: read them after waiting. */
	waitpid(pid, &st, 0);
	pvc_stop(pc);
	int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	print_counters(pc, o.json, status);
	pvc_close(pc);
	return status;
}

/* ---- main ------------------------------------------------------------- */

static const struct {
	const char *name, *summary;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "summary", "counts, latency percentiles, scheduling, exits, memory events", cmd_summary },
	{ "hist", "latency histogram of a hypercall (text or CSV)", cmd_hist },
	{ "export", "every event as a CSV or SQLite row", cmd_export },
	{ "timeline", "per-CPU scheduler timeline as CSV", cmd_timeline },
	{ "bench", "pvtrace's rate beside babeltrace2's on one trace", cmd_bench },
	{ "counters", "run a command under the performance counters", cmd_counters },
};
#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: pvtrace COMMAND [ARGS]   (pvtrace COMMAND --help for its options)\n"
	        "Reads the CTF traces LTTng records of pvmon (pvmon run --trace DIR, pvctl\n"
	        "trace start --output DIR).\n");
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "pvtrace: unknown command '%s' (try `pvtrace --help`)\n", argv[1]);
	return EXIT_USAGE;
}
