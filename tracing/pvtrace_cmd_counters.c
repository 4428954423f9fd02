/* pvtrace counters: run a command under libpvcounters (libpfm4 event
 * names; a visible fallback to software events where the PMU is absent). */
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

int pvt_cmd_counters(int argc, char **argv)
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
			return pvt_usage_error("counters", "bad option '%s'", argv[optind - 1]);
		counters_opt(&o, c, optarg);
	}
	if (optind >= argc)
		return pvt_usage_error("counters", "%s", "missing the command to run (pvtrace counters -- CMD)");
	char **cmd = argv + optind;
	/* The child waits on a pipe until its counters are open and started. */
	int go[2];
	if (pipe(go))
		return pvt_fail("counters", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		return pvt_fail("counters", strerror(errno));
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
		return pvt_fail("counters", pc ? "cannot start the counters" : err);
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

