/* Progress: durations, cell weights and an ETA learnt per
 * platform/workload pair (unsupported cells teach it nothing). */
#include <unistd.h>
#include "../../bench/progress.h"
#include "check.h"

int main(void)
{
	char b[32];
	format_duration(42.4, b, sizeof(b));
	CHECK_STR(b, "42s");
	format_duration(185, b, sizeof(b));
	CHECK_STR(b, "3m05s");
	format_duration(3725, b, sizeof(b));
	CHECK_STR(b, "1h02m");
	CHECK(progress_weight(3, 1, 2) == 3);
	CHECK(progress_weight(3, 8, 2) == 12);

	struct progress_cell c[3] = {
		{ "pv", "cpu", 1, 1, false, 1, 0, false },
		{ "native", "dbench", 1, 1, false, 1, 0, false },
		{ "pv", "cpu", 4, 1, false, 2, 0, false },
	};
	struct progress p;
	FILE *out = fopen("/dev/null", "w");
	progress_init(&p, out, false, c, 3);
	CHECK(progress_eta(&p) < 0);        /* nothing learnt yet */
	progress_cell_begin(&p, 0);
	progress_rep(&p, 1);
	usleep(200000);
	progress_cell_end(&p, "done", NULL);
	double e = progress_eta(&p);
	/* cell 1 (unknown pair) at the mean rate, cell 2 at pv/cpu's, weight 2:
	 * about 0.2 + 0.4 s */
	CHECK(e > 0.45 && e < 1.5);
	progress_cell_begin(&p, 1);
	progress_rep(&p, 1);
	progress_cell_end(&p, "unsupported", "why");
	CHECK(c[1].weight == 0);
	e = progress_eta(&p);
	CHECK(e > 0.3 && e < 1.2);
	progress_finish(&p);
	fclose(out);
	return CHECK_DONE();
}
