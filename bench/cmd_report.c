/* pvbench report: the R analysis (analysis/report.R) over a results
 * database, writing DIR/index.html and the plots. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"
#include "paths.h"

int cmd_report(int argc, char **argv)
{
	const char *db = NULL, *out = "report", *run = NULL;
	static const struct option opts[] = {
		{ "db", required_argument, 0, 'd' }, { "out", required_argument, 0, 'o' },
		{ "run", required_argument, 0, 'r' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'o': out = optarg; break;
		case 'r': run = optarg; break;
		case 'h': bench_usage(stdout); return 0;
		default: fprintf(stderr, "pvbench: try pvbench --help\n"); return 2;
		}
	}
	if (!db || optind < argc) {
		fprintf(stderr, "pvbench report: usage: pvbench report --db FILE [--out DIR] [--run ID]\n");
		return 2;
	}
	if (run && strspn(run, "0123456789") != strlen(run)) {
		fprintf(stderr, "pvbench report: --run takes a run id (a number), not '%s'\n", run);
		return 2;
	}
	if (access(db, R_OK)) {
		fprintf(stderr, "pvbench report: cannot read %s: %s\n", db, strerror(errno));
		return 1;
	}
	char script[PATH_MAX];
	snprintf(script, sizeof(script), "%s/analysis/report.R", bench_srcdir());
	if (access(script, R_OK)) {
		fprintf(stderr, "pvbench report: the analysis %s is missing (set PVLAB_ROOT to the source tree)\n", script);
		return 1;
	}
	if (sh("command -v Rscript >/dev/null 2>&1")) {
		fprintf(stderr, "pvbench report: R is not installed (make deps, or apt-get install r-base-core "
		                "r-cran-ggplot2 r-cran-rsqlite)\n");
		return 1;
	}
	char *argv2[] = { "Rscript", "--vanilla", script, "--db", (char *)db, "--out", (char *)out,
	                  run ? "--run" : NULL, (char *)run, NULL };
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execvp("Rscript", argv2);
		_exit(127);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return fprintf(stderr, "pvbench report: cannot run Rscript: %s\n", strerror(errno)), 1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
		return 1;       /* report.R refused its input and said why in one line */
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "pvbench report: the R analysis failed (status %d)\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return 1;
	}
	return 0;
}
