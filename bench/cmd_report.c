/* pvbench report: the R analysis (analysis/report.R) over a results
 * database (an SQLite file, or a PostgreSQL URL: copied into a temporary
 * SQLite file first), writing DIR/index.html and the plots. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"
#include "db.h"
#include "paths.h"

static void drop_copy(char *copy)
{
	if (!copy[0])
		return;
	unlink(copy);
	char *slash = strrchr(copy, '/');
	*slash = 0;
	rmdir(copy);
	copy[0] = 0;
}

/* A PostgreSQL database is copied into an SQLite file for the analysis
 * (the R side reads SQLite only): *copy gets its path, *from the URL
 * without its password. 0, or 1 with the reason said. */
static int copy_pg(const char *url, char copy[64], char *from, size_t n)
{
	struct db *src, *dst;
	char err[1024], dir[] = "/tmp/pvbench-report.XXXXXX";
	if (db_open(url, &src, err, sizeof(err)))
		return fprintf(stderr, "pvbench report: %s\n", err), 1;
	snprintf(from, n, "%s", db_target(src));
	if (!mkdtemp(dir)) {
		db_close(src);
		return fprintf(stderr, "pvbench report: cannot make a temporary directory: %s\n", strerror(errno)), 1;
	}
	snprintf(copy, 64, "%s/copy.db", dir);
	int rc = db_open(copy, &dst, err, sizeof(err));
	if (!rc) {
		rc = db_copy(src, dst, err, sizeof(err));
		db_close(dst);
	}
	db_close(src);
	if (rc) {
		fprintf(stderr, "pvbench report: cannot copy %s for the analysis: %s\n", from, err);
		drop_copy(copy);
	}
	return rc ? 1 : 0;
}

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
		fprintf(stderr, "pvbench report: usage: pvbench report --db FILE|postgresql://... [--out DIR] [--run ID]\n");
		return 2;
	}
	if (run && strspn(run, "0123456789") != strlen(run)) {
		fprintf(stderr, "pvbench report: --run takes a run id (a number), not '%s'\n", run);
		return 2;
	}
	char copy[64] = "", from[300] = "";
	if (db_is_url(db)) {
		if (copy_pg(db, copy, from, sizeof(from)))
			return 1;
	} else if (access(db, R_OK)) {
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
	char *argv2[] = { "Rscript", "--vanilla", script, "--db", copy[0] ? copy : (char *)db, "--out", (char *)out,
	                  "--from", from[0] ? from : (char *)db, run ? "--run" : NULL, (char *)run, NULL };
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execvp("Rscript", argv2);
		_exit(127);
	}
	int st, w = pid < 0 ? -1 : waitpid(pid, &st, 0);
	drop_copy(copy);
	if (w < 0)
		return fprintf(stderr, "pvbench report: cannot run Rscript: %s\n", strerror(errno)), 1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
		return 1;       /* report.R refused its input and said why in one line */
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "pvbench report: the R analysis failed (status %d)\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return 1;
	}
	return 0;
}
