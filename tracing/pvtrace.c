/* pvtrace: analysis of pvmon's LTTng traces (CTF, read with libbabeltrace2).
 * One command per question: summary (xenalyze-like totals and latency
 * percentiles), hist (a hypercall's latency histogram), export (every
 * event a CSV or SQLite row), timeline (who ran on which pvmon slot when),
 * bench (our rate beside babeltrace2's on the same trace), counters (run a
 * command under libpvcounters). Exit status: 0 done, 1 failed, 2 usage. */
#include <stdio.h>
#include <string.h>
#include "pvtrace_cli.h"

/* ---- main ------------------------------------------------------------- */

static const struct {
	const char *name, *summary;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "summary", "counts, latency percentiles, scheduling, exits, memory events", pvt_cmd_summary },
	{ "hist", "latency histogram of a hypercall (text or CSV)", pvt_cmd_hist },
	{ "export", "every event as a CSV or SQLite row", pvt_cmd_export },
	{ "timeline", "per-CPU scheduler timeline as CSV", pvt_cmd_timeline },
	{ "bench", "pvtrace's rate beside babeltrace2's on one trace", pvt_cmd_bench },
	{ "counters", "run a command under the performance counters", pvt_cmd_counters },
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
