/* pvtrace bench: pvtrace's decoding and analysis rate beside
 * babeltrace2's on the same trace (the budget is 1 M events/s). */
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
		pvt_fail("bench", rc == -ENOMEM ? "out of memory" : err);
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
		if (!pvt_parse_u32(arg, &r) || r < 1 || r > 20)
			return pvt_usage_error("bench", "--reps wants 1..20, not '%s'", arg);
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

int pvt_cmd_bench(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reps", required_argument, 0, 'r' }, { "json", no_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' }, { 0 },
	};
	struct bench_opts o = { 3, false };
	const char *dir = NULL;
	int rc = pvt_parse_args("bench", bench_help, argc, argv, opts, bench_opt, &o, &dir, NULL);
	if (rc >= 0)
		return rc;
	FILE *devnull = fopen("/dev/null", "w");
	if (!devnull)
		return pvt_fail("bench", "cannot open /dev/null");
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

