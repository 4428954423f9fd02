/* pvtrace's command-line helpers (pvtrace_cli.h): error lines and the
 * option parsing every command shares. */
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


int pvt_usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "pvtrace %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (try `pvtrace %s --help`)\n", cmd);
	return EXIT_USAGE;
}

int pvt_fail(const char *cmd, const char *msg)
{
	fprintf(stderr, "pvtrace %s: %s\n", cmd, msg);
	return EXIT_FAILURE;
}

/* A number in 0..2^32-1 (decimal or 0x hex), widened. */
bool pvt_parse_u32(const char *s, int64_t *out)
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

int pvt_parse_args(const char *cmd, const char *help, int argc, char **argv, const struct option *opts,
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
			return pvt_usage_error(cmd, "bad option or missing value: '%s'", argv[optind - 1]);
		if (c == 'p') {
			int64_t v;
			if (!pid || !pvt_parse_u32(optarg, &v) || v < 1 || v > INT32_MAX)
				return pvt_usage_error(cmd, "--pid wants a process id, not '%s'", optarg);
			*pid = (int)v;
			continue;
		}
		int rc = on_opt(ctx, c, optarg);
		if (rc >= 0)
			return rc;
	}
	if (optind == argc)
		return pvt_usage_error(cmd, "%s", "missing the trace directory");
	if (argc - optind > 1)
		return pvt_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
	*dir = argv[optind];
	return -1;
}

