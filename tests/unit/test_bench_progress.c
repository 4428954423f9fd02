/* Progress: durations, repetition weights and an ETA learnt per
 * platform/workload pair from repetitions of cells that take turns
 * (a group runs round-robin), warm-ups included; unsupported cells teach
 * it nothing. */
#include <unistd.h>
#include "../../bench/progress.h"
#include "check.h"

static struct progress_cell cell(const char *platform, const char *workload, int domains, int reps)
{
	struct progress_cell c = { .domains = domains, .reps = reps, .weight = progress_weight(domains, 2) };
	snprintf(c.platform, sizeof(c.platform), "%s", platform);
	snprintf(c.workload, sizeof(c.workload), "%s", workload);
	return c;
}

static void rep(struct progress *p, int i, int r, useconds_t us)
{
	progress_cell_begin(p, i);
	progress_rep(p, r);
	usleep(us);
	progress_rep_end(p);
}

int main(void)
{
	char b[32];
	format_duration(42.4, b, sizeof(b));
	CHECK_STR(b, "42s");
	format_duration(185, b, sizeof(b));
	CHECK_STR(b, "3m05s");
	format_duration(3725, b, sizeof(b));
	CHECK_STR(b, "1h02m");
	CHECK(progress_weight(1, 2) == 1);
	CHECK(progress_weight(8, 2) == 4);

	struct progress_cell c[4] = {
		cell("pv", "cpu", 1, 2), cell("native", "cpu", 1, 2), cell("native", "dbench", 1, 1), cell("pv", "cpu", 4, 1),
	};
	struct progress p;
	FILE *out = fopen("/dev/null", "w");
	progress_init(&p, out, false, c, 4);
	CHECK(progress_eta(&p) < 0);        /* nothing learnt yet */
	/* pv's warm-up, then round 1: pv and native take turns */
	rep(&p, 0, 0, 100000);
	CHECK_EQ(c[0].warmups, 1);
	CHECK_EQ(c[0].reps_run, 1);
	rep(&p, 0, 1, 100000);
	rep(&p, 1, 1, 300000);
	/* left: pv cpu 1 rep (0.1 s), native cpu 1 (0.3), dbench 1 at the
	 * mean rate (0.5 s / 3 reps), pv x4 weight 2 at pv's rate (0.2) */
	double e = progress_eta(&p);
	CHECK(e > 0.6 && e < 1.4);
	rep(&p, 0, 2, 100000);
	progress_cell_end(&p, "done", NULL);
	CHECK(c[0].ended && c[0].spent_s > 0.25);
	rep(&p, 1, 2, 300000);
	progress_cell_end(&p, "done", NULL);
	progress_cell_begin(&p, 2);
	progress_cell_end(&p, "unsupported", "why");
	CHECK(c[2].weight == 0);
	e = progress_eta(&p);            /* pv x4 only: weight 2 x 0.1 s */
	CHECK(e > 0.1 && e < 0.6);
	progress_finish(&p);
	fclose(out);
	return CHECK_DONE();
}
