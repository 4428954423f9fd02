/* pvctl: Domain 0's command-line tool, xl-like. Each command is one request
 * to `pvmon daemon` over its control socket (docs/control-protocol.md);
 * pvctl keeps no state of its own. Exit status: 0 done, 1 failed, 2 usage. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctlclient.h"
#include "jsonread.h"
#include "numparse.h"
#include "../tracing/tracectl.h"

/* ---- command-line parsing ------------------------------------------- */

struct command {
	const char *name;
	const char *synopsis;
	const char *summary;
	const char *help;            /* options and details */
	int (*run)(const struct command *cmd, int argc, char **argv);
};

struct opt {
	const char *name;            /* without the dashes */
	bool takes_value;
	const char *value;           /* OUT: the value, or "" for a flag seen */
};

static void command_usage(const struct command *cmd, FILE *f)
{
	fprintf(f, "usage: pvctl [--socket PATH] %s %s\n%s\n%s", cmd->name, cmd->synopsis,
	        cmd->summary, cmd->help);
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

/* argv[0] is the command. Fills opts[] and pos[] (npos words, exactly
 * that many required). Returns -1 when parsed, else the exit status. */
static int parse_args(const struct command *cmd, int argc, char **argv, struct opt *opts, int nopts,
                      const char **pos, int npos, const char *const *pos_names)
{
	if (wants_help(argc, argv)) {
		command_usage(cmd, stdout);
		return 0;
	}
	int got = 0;
	bool only_pos = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!only_pos && !strcmp(a, "--")) {
			only_pos = true;
			continue;
		}
		if (only_pos || a[0] != '-' || !a[1]) {
			if (got == npos)
				return complain(EXIT_USAGE, "%s: unexpected argument '%s' (try `pvctl %s --help`)",
				                cmd->name, a, cmd->name);
			pos[got++] = a;
			continue;
		}
		const char *name = a + (a[1] == '-' ? 2 : 1);
		size_t nlen = strcspn(name, "=");
		struct opt *o = NULL;
		for (int k = 0; k < nopts && !o; k++)
			if (a[1] == '-' && strlen(opts[k].name) == nlen && !strncmp(opts[k].name, name, nlen))
				o = &opts[k];
		if (!o)
			return complain(EXIT_USAGE, "%s: unknown option '%s' (try `pvctl %s --help`)",
			                cmd->name, a, cmd->name);
		if (!o->takes_value) {
			if (name[nlen])
				return complain(EXIT_USAGE, "%s: --%s takes no value", cmd->name, o->name);
			o->value = "";
		} else if (name[nlen]) {
			o->value = name + nlen + 1;
		} else if (i + 1 < argc) {
			o->value = argv[++i];
		} else {
			return complain(EXIT_USAGE, "%s: --%s needs a value (try `pvctl %s --help`)",
			                cmd->name, o->name, cmd->name);
		}
	}
	if (got < npos)
		return complain(EXIT_USAGE, "%s: missing %s (try `pvctl %s --help`)",
		                cmd->name, pos_names[got], cmd->name);
	return -1;
}

/* A word the server takes as one request word: no spaces, no control bytes. */
static int check_word(const struct command *cmd, const char *what, const char *w)
{
	for (const char *p = w; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return complain(EXIT_USAGE, "%s: %s '%s' contains a space or control character",
			                cmd->name, what, w);
	return -1;
}

/* A non-negative integer, optionally with a unit for times. */
static bool parse_num(const char *s, bool is_time, int64_t *out)
{
	static const struct { const char *unit; int64_t mul; } units[] = {
		{ "", 1 }, { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
	};
	size_t digits = strspn(s, "0123456789");
	char num[24];
	if (!digits || digits >= sizeof(num))
		return false;
	snprintf(num, sizeof(num), "%.*s", (int)digits, s);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		uint64_t v;
		if (strcmp(s + digits, units[i].unit) || (!is_time && i) ||
		    num_u64(num, 0, (uint64_t)(INT64_MAX / units[i].mul), &v))
			continue;
		*out = (int64_t)v * units[i].mul;
		return true;
	}
	return false;
}

/* ---- list ------------------------------------------------------------ */

/* A field of a list entry, "?" if this pvmon does not send it. */
static const char *field(struct json_object *o, const char *key)
{
	const char *v = jsonread_text(o, key);
	return v ? v : "?";
}

/* A counter per second of a domain's life (created_ns to time_ns, pvmon's
 * clock), into buf; "-" for a domain that has ended (its life stopped
 * before time_ns) or a pvmon that does not say when it was created. */
static void life_rate(struct json_object *o, const char *key, char *buf, size_t len)
{
	double n = 0, created = 0, now = 0;
	const char *state = field(o, "state");
	bool live = !strcmp(state, "running") || !strcmp(state, "blocked") || !strcmp(state, "paused");
	if (!live || jsonread_double(o, key, &n) || jsonread_double(o, "created_ns", &created) ||
	    jsonread_double(o, "time_ns", &now) || created <= 0 || now <= created) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf, len, "%.0f", n * 1e9 / (now - created));
}

struct list_state {
	bool json;
	int count;
};

static int list_entry(void *arg, const char *text)
{
	struct list_state *ls = arg;
	struct json_object *o = jsonread_object(text);
	if (!o)
		return complain(EXIT_FAIL, "pvmon sent a list entry pvctl cannot read: '%.60s'", text);
	if (ls->json) {
		printf("%s  %s", ls->count ? ",\n" : "[\n", text);
	} else {
		if (!ls->count)
			printf("%-32s %5s %7s %5s %-9s %9s %6s %8s %8s\n",
			       "Name", "ID", "Mem", "VCPUs", "State", "Time(s)", "Weight", "Hcall/s", "Exit/s");
		double ns = 0;
		jsonread_double(o, "run_ns", &ns);     /* 0 if this pvmon does not send it */
		char hc[24], ex[24];
		life_rate(o, "hypercalls", hc, sizeof(hc));
		life_rate(o, "vm_exits", ex, sizeof(ex));
		printf("%-32s %5s %7s %5s %-9s %9.1f %6s %8s %8s\n", field(o, "name"), field(o, "domid"),
		       field(o, "mem_mib"), field(o, "vcpus"), field(o, "state"), ns / 1e9,
		       field(o, "weight"), hc, ex);
	}
	jsonread_free(o);
	ls->count++;
	return 0;
}

static int cmd_list(const struct command *cmd, int argc, char **argv)
{
	struct opt opts[] = { { "json", false, NULL } };
	int rc = parse_args(cmd, argc, argv, opts, 1, NULL, 0, NULL);
	if (rc >= 0)
		return rc;
	struct list_state ls = { .json = opts[0].value != NULL };
	struct reply_cb cb = { .data = list_entry, .arg = &ls };
	rc = ctlc_request("list", &cb, false, NULL, 0);
	if (ls.json && ls.count)
		printf("\n]\n");   /* closed even after a failure: what came is valid JSON */
	else if (ls.json && !rc)
		printf("[]\n");
	else if (!rc && !ls.count)
		printf("no domains (start one with `pvctl create CFG`)\n");
	if (fflush(stdout))
		return complain(EXIT_FAIL, "cannot write the list: %s", strerror(errno));
	return rc;
}

/* ---- the other commands --------------------------------------------- */

static int cmd_create(const struct command *cmd, int argc, char **argv)
{
	const char *pos[1];
	static const char *const names[] = { "CFG" };
	int rc = parse_args(cmd, argc, argv, NULL, 0, pos, 1, names);
	if (rc >= 0)
		return rc;
	/* pvmon reads the file itself, from its own working directory. */
	char *abs = realpath(pos[0], NULL);
	if (!abs)
		return complain(EXIT_FAIL, "cannot read config %s: %s", pos[0], strerror(errno));
	if (strchr(abs, '\n')) {
		free(abs);
		return complain(EXIT_FAIL, "config path %s contains a newline; rename the file", pos[0]);
	}
	char req[CTLC_MAX_LINE + 16], ok[256];
	snprintf(req, sizeof(req), "create %s", abs);
	free(abs);
	rc = ctlc_request(req, NULL, false, ok, sizeof(ok));
	if (rc)
		return rc;
	char *name = strchr(ok, ' ');
	if (name)
		*name++ = '\0';
	printf("created domain %s (id %s)\n", name ? name : "?", ok);
	return 0;
}

static int domain_cmd(const struct command *cmd, int argc, char **argv)
{
	const char *pos[1];
	static const char *const names[] = { "DOMAIN" };
	int rc = parse_args(cmd, argc, argv, NULL, 0, pos, 1, names);
	if (rc >= 0 || (rc = check_word(cmd, "DOMAIN", pos[0])) >= 0)
		return rc;
	char req[CTLC_MAX_LINE];
	snprintf(req, sizeof(req), "%s %s", cmd->name, pos[0]);
	return ctlc_request(req, NULL, false, NULL, 0);
}

static int console_out(void *arg, const char *bytes, size_t len)
{
	(void)arg;
	while (len) {
		ssize_t n = write(STDOUT_FILENO, bytes, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return complain(EXIT_FAIL, "cannot write the console: %s", strerror(errno));
		bytes += n;
		len -= (size_t)n;
	}
	return 0;
}

static int cmd_console(const struct command *cmd, int argc, char **argv)
{
	const char *pos[1];
	static const char *const names[] = { "DOMAIN" };
	struct opt opts[] = { { "no-follow", false, NULL } };
	int rc = parse_args(cmd, argc, argv, opts, 1, pos, 1, names);
	if (rc >= 0 || (rc = check_word(cmd, "DOMAIN", pos[0])) >= 0)
		return rc;
	bool follow = !opts[0].value;
	char req[CTLC_MAX_LINE], ok[128];
	snprintf(req, sizeof(req), "console %s %s", pos[0], follow ? "follow" : "history");
	struct reply_cb cb = { .chunk = console_out };
	rc = ctlc_request(req, &cb, follow, ok, sizeof(ok));
	if (rc)
		return rc;
	int code;
	if (sscanf(ok, "crashed %d", &code) == 1)
		return complain(EXIT_FAIL, "domain %s crashed (pvmon's log says why)", pos[0]);
	return 0;
}

static int cmd_sched_bvt(const struct command *cmd, int argc, char **argv)
{
	const char *pos[1];
	static const char *const names[] = { "DOMAIN" };
	struct opt opts[] = {
		{ "weight", true, NULL }, { "warp", true, NULL }, { "warpl", true, NULL }, { "warpu", true, NULL },
	};
	int rc = parse_args(cmd, argc, argv, opts, 4, pos, 1, names);
	if (rc >= 0 || (rc = check_word(cmd, "DOMAIN", pos[0])) >= 0)
		return rc;
	char req[CTLC_MAX_LINE];
	int len = snprintf(req, sizeof(req), "sched-bvt %s", pos[0]);
	bool any = false;
	for (int i = 0; i < 4; i++) {
		if (!opts[i].value)
			continue;
		int64_t v;
		if (!parse_num(opts[i].value, i > 0, &v) || (i == 0 && v == 0))
			return complain(EXIT_USAGE, i ? "sched-bvt: --%s '%s' is not a time (ns, or with a unit: "
			                "500us, 10ms, 1s)" : "sched-bvt: --%s '%s' is not a positive integer",
			                opts[i].name, opts[i].value);
		len += snprintf(req + len, sizeof(req) - (size_t)len, " %s=%lld", opts[i].name, (long long)v);
		any = true;
	}
	if (!any)
		return complain(EXIT_USAGE, "sched-bvt: give at least one of --weight, --warp, --warpl, --warpu "
		                "(try `pvctl sched-bvt --help`)");
	return ctlc_request(req, NULL, false, NULL, 0);
}

static int cmd_mem_set(const struct command *cmd, int argc, char **argv)
{
	const char *pos[2];
	static const char *const names[] = { "DOMAIN", "MIB" };
	int rc = parse_args(cmd, argc, argv, NULL, 0, pos, 2, names);
	if (rc >= 0 || (rc = check_word(cmd, "DOMAIN", pos[0])) >= 0)
		return rc;
	int64_t mib;
	if (!parse_num(pos[1], false, &mib) || mib <= 0)
		return complain(EXIT_USAGE, "mem-set: '%s' is not a size in MiB", pos[1]);
	char req[CTLC_MAX_LINE];
	snprintf(req, sizeof(req), "mem-set %s %lld", pos[0], (long long)mib);
	return ctlc_request(req, NULL, false, NULL, 0);
}

/* block-attach DOMAIN SPEC, block-detach DOMAIN xvdX [--force], and
 * network-attach DOMAIN SPEC, network-detach DOMAIN N [--force]. */
static int cmd_block(const struct command *cmd, int argc, char **argv)
{
	const char *pos[2];
	bool attach = strstr(cmd->name, "-attach") != NULL;
	static const char *const attach_names[] = { "DOMAIN", "SPEC" }, *const detach_names[] = { "DOMAIN", "DEVICE" };
	struct opt opts[] = { { "force", false, NULL } };
	int rc = parse_args(cmd, argc, argv, opts, attach ? 0 : 1, pos, 2, attach ? attach_names : detach_names);
	if (rc >= 0 || (rc = check_word(cmd, "DOMAIN", pos[0])) >= 0 || (rc = check_word(cmd, attach ? "SPEC" : "DEVICE", pos[1])) >= 0)
		return rc;
	/* pvmon opens the file from its own directory: a relative path is
	 * made absolute here, as create does with its config. */
	char spec[CTLC_MAX_LINE / 2], cwd[1024];
	const char *path = strncmp(pos[1], "file:", 5) ? pos[1] : pos[1] + 5;
	if (attach && !strncmp(cmd->name, "block", 5) && path[0] != '/' && getcwd(cwd, sizeof(cwd)))
		snprintf(spec, sizeof(spec), "file:%s/%s", cwd, path);
	else
		snprintf(spec, sizeof(spec), "%s", pos[1]);
	char req[CTLC_MAX_LINE], ok[256] = "";
	snprintf(req, sizeof(req), "%s %s %s%s", cmd->name, pos[0], spec, opts[0].value ? " force" : "");
	rc = ctlc_request(req, NULL, false, ok, sizeof(ok));
	const char *vif = strstr(ok, " vif ");
	if (!rc && attach && vif)        /* network-attach: the new NIC's number */
		printf("%s\n", vif + 1);
	return rc;
}

static int cmd_sched_rr(const struct command *cmd, int argc, char **argv)
{
	struct opt opts[] = { { "slice", true, NULL } };
	int rc = parse_args(cmd, argc, argv, opts, 1, NULL, 0, NULL);
	if (rc >= 0)
		return rc;
	int64_t ns;
	if (!opts[0].value)
		return complain(EXIT_USAGE, "sched-rr: missing --slice NS (try `pvctl sched-rr --help`)");
	if (!parse_num(opts[0].value, true, &ns) || ns == 0)
		return complain(EXIT_USAGE, "sched-rr: --slice '%s' is not a positive time (ns, or with a "
		                "unit: 500us, 10ms, 1s)", opts[0].value);
	char req[64];
	snprintf(req, sizeof(req), "sched-rr %lld", (long long)ns);
	return ctlc_request(req, NULL, false, NULL, 0);
}

/* input DOMAIN TEXT: TEXT is the words after DOMAIN, joined by spaces. */
static int cmd_input(const struct command *cmd, int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		command_usage(cmd, stdout);
		return 0;
	}
	if (argc < 3)
		return complain(EXIT_USAGE, "%s: missing %s (try `pvctl %s --help`)", cmd->name,
		                argc < 2 ? "DOMAIN" : "TEXT", cmd->name);
	int rc = check_word(cmd, "DOMAIN", argv[1]);
	if (rc >= 0)
		return rc;
	char req[CTLC_MAX_LINE];
	size_t n = (size_t)snprintf(req, sizeof(req), "input %s", argv[1]);
	for (int i = 2; i < argc && n < sizeof(req); i++)
		n += (size_t)snprintf(req + n, sizeof(req) - n, " %s", argv[i]);
	if (n >= sizeof(req))
		return complain(EXIT_USAGE, "%s: TEXT is too long (at most %d bytes)", cmd->name, CTLC_MAX_LINE - 64);
	for (const char *p = req; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return complain(EXIT_USAGE, "%s: TEXT contains a control character", cmd->name);
	return ctlc_request(req, NULL, false, NULL, 0);
}

/* vfr add RULE... | list | del ID: the VFR's rules in pvmon. */
static int vfr_line(void *arg, const char *text)
{
	int *count = arg;
	unsigned id;
	unsigned long long packets;
	int n = 0;
	if (sscanf(text, "%u %llu %n", &id, &packets, &n) != 2 || !n)
		return complain(EXIT_FAIL, "pvmon sent a rule pvctl cannot read: '%.60s'", text);
	if (!(*count)++)
		printf("%4s %10s  %s\n", "ID", "Packets", "Rule");
	printf("%4u %10llu  %s\n", id, packets, text + n);
	return 0;
}

static int cmd_vfr(const struct command *cmd, int argc, char **argv)
{
	if (wants_help(argc, argv) || argc < 2) {
		command_usage(cmd, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	char req[CTLC_MAX_LINE], ok[64];
	if (!strcmp(argv[1], "list") && argc == 2) {
		int count = 0;
		struct reply_cb cb = { .data = vfr_line, .arg = &count };
		int rc = ctlc_request("vfr-list", &cb, false, NULL, 0);
		if (!rc && !count)
			printf("no rules: every packet is accepted\n");
		return rc;
	}
	if (!strcmp(argv[1], "del") && argc == 3) {
		int rc = check_word(cmd, "ID", argv[2]);
		if (rc >= 0)
			return rc;
		snprintf(req, sizeof(req), "vfr-del %s", argv[2]);
		return ctlc_request(req, NULL, false, NULL, 0);
	}
	if (!strcmp(argv[1], "add") && argc >= 3) {
		size_t n = (size_t)snprintf(req, sizeof(req), "vfr-add");
		for (int i = 2; i < argc && n < sizeof(req); i++)
			n += (size_t)snprintf(req + n, sizeof(req) - n, " %s", argv[i]);
		if (n >= sizeof(req) || strpbrk(req, "\n\r\t"))
			return complain(EXIT_USAGE, "vfr add: the rule is too long or holds a control character");
		int rc = ctlc_request(req, NULL, false, ok, sizeof(ok));
		if (!rc)
			printf("rule %s added\n", ok);
		return rc;
	}
	return complain(EXIT_USAGE, "vfr: expected add RULE..., list or del ID (try `pvctl vfr --help`)");
}

/* trace start|stop|snapshot: an LTTng session on pvmon's tracepoints,
 * through liblttng-ctl (loaded at run time). The session daemon is started
 * if none runs; events are recorded from every pvmon on this host. */
static int trace_stop(const char *session)
{
	char err[512];
	uint64_t lost = 0, packets = 0;
	if (tracectl_stop_counts(session, &lost, &packets, err, sizeof(err)))
		return complain(EXIT_FAIL, "trace stop: %s", err);
	printf("trace session %s stopped: %llu events lost", session, (unsigned long long)lost);
	if (packets)
		printf(", %llu packets lost or overwritten", (unsigned long long)packets);
	printf("\n");
	return 0;
}

static int trace_snapshot(const char *session)
{
	char err[512], where[4200];
	if (tracectl_snapshot(session, where, sizeof(where), err, sizeof(err)))
		return complain(EXIT_FAIL, "trace snapshot: %s", err);
	printf("trace session %s: snapshot recorded under %s\n", session, where);
	return 0;
}

static int cmd_trace(const struct command *cmd, int argc, char **argv)
{
	enum { O_EVENTS, O_OUTPUT, O_SESSION, O_RELAYD, O_SNAPSHOT, O_LIVE, O_PID, O_SUBBUF, NR_O };
	struct opt opts[NR_O] = {
		{ "events", true, NULL }, { "output", true, NULL }, { "session", true, NULL },
		{ "relayd", true, NULL }, { "snapshot", false, NULL }, { "live", false, NULL },
		{ "pid", true, NULL }, { "subbuf-size", true, NULL },
	};
	const char *pos[1];
	static const char *const names[] = { "start|stop|snapshot" };
	int rc = parse_args(cmd, argc, argv, opts, NR_O, pos, 1, names);
	if (rc >= 0)
		return rc;
	const char *session = opts[O_SESSION].value ? opts[O_SESSION].value : "pvlab";
	if (check_word(cmd, "session name", session) >= 0)
		return EXIT_USAGE;
	bool start = !strcmp(pos[0], "start");
	bool start_opts = false;
	for (int i = 0; i < NR_O; i++)
		start_opts |= i != O_SESSION && opts[i].value;
	if (!start && start_opts)
		return complain(EXIT_USAGE, "trace %s takes only --session (the options are start's)", pos[0]);
	if (!strcmp(pos[0], "stop"))
		return trace_stop(session);
	if (!strcmp(pos[0], "snapshot"))
		return trace_snapshot(session);
	if (!start)
		return complain(EXIT_USAGE, "trace: '%s' is not start, stop or snapshot", pos[0]);
	struct tracectl_opts o = {
		.session = session, .events = opts[O_EVENTS].value,
		.snapshot = opts[O_SNAPSHOT].value != NULL, .live = opts[O_LIVE].value != NULL,
	};
	if (o.snapshot && o.live)
		return complain(EXIT_USAGE, "trace start: --snapshot and --live exclude each other");
	if (opts[O_RELAYD].value && opts[O_OUTPUT].value)
		return complain(EXIT_USAGE, "trace start: --output DIR or --relayd URL, not both "
		                "(the relayd writes where its own --output says)");
	int64_t v;
	if (opts[O_PID].value) {
		if (!parse_num(opts[O_PID].value, false, &v) || v < 1 || v > INT32_MAX)
			return complain(EXIT_USAGE, "trace start: --pid wants a process id, not '%s'", opts[O_PID].value);
		o.pid = (int)v;
	}
	if (opts[O_SUBBUF].value) {
		/* LTTng wants a power of two of at least a page. */
		if (!parse_num(opts[O_SUBBUF].value, false, &v) || v < 4096 || v > (1LL << 30) || (v & (v - 1)))
			return complain(EXIT_USAGE, "trace start: --subbuf-size wants a power of two, 4096..2^30 bytes, "
			                "not '%s'", opts[O_SUBBUF].value);
		o.subbuf_size = (uint64_t)v;
	}
	char url[4200], err[512], pats[16][64];
	if (tracectl_patterns(o.events, pats, 16, err, sizeof(err)) < 0)
		return complain(EXIT_USAGE, "trace start: %s", err);
	if (opts[O_RELAYD].value || o.live) {
		snprintf(url, sizeof(url), "%s", opts[O_RELAYD].value ? opts[O_RELAYD].value : "net://127.0.0.1");
	} else {
		const char *dir = opts[O_OUTPUT].value ? opts[O_OUTPUT].value : "pvlab-trace";
		if (mkdir(dir, 0755) && errno != EEXIST)
			return complain(EXIT_FAIL, "trace start: cannot create %s: %s", dir, strerror(errno));
		if (!realpath(dir, url))
			return complain(EXIT_FAIL, "trace start: %s: %s", dir, strerror(errno));
	}
	o.url = url;
	rc = tracectl_start_opts(&o, err, sizeof(err));
	if (rc)
		return complain(rc == -EINVAL ? EXIT_USAGE : EXIT_FAIL, "trace start: %s", err);
	printf("trace session %s recording %s %s %s%s\n", session, o.events ? o.events : "all",
	       o.live ? "live to" : opts[O_RELAYD].value ? "to" : "into", url,
	       o.snapshot ? " (snapshot mode: `pvctl trace snapshot` writes one)" : "");
	return 0;
}

static const struct command commands[] = {
	{ "create", "CFG", "Boot a domain from a config file (xl.cfg-like key = value lines).",
	  "Prints the new domain's name and id.\n", cmd_create },
	{ "list", "[--json]", "List the domains pvmon hosts.",
	  "  --json   one JSON array of objects: domid, name, state, vcpus, mem_mib, weight,\n"
	  "           exit_code, run_ns, wait_ns, blocked_ns, hypercalls, events, vm_exits,\n"
	  "           upcalls, kvm_exits, kvm_insn_emulation, kvm_io_exits, kvm_halt_exits,\n"
	  "           kvm_mmio_exits, tlb_flushes, page_flips, time_ns, mmu_updates, mem_kib,\n"
	  "           mem_target_kib, pt_writes, stub_exits, emulated, bounces, stub_served, created_ns,\n"
	  "           blk_requests, blk_bytes, net_tx_packets, net_tx_bytes,\n"
	  "           net_rx_packets, net_rx_bytes, net_tx_kicks, net_rx_events, net_deferred,\n"
	  "           blk_batches, blk_events, blk_kicks\n"
	  "           (docs/control-protocol.md)\n"
	  "Time(s) is the CPU time the domain's vCPUs have run; Hcall/s and Exit/s its\n"
	  "hypercalls and exits to pvmon per second since it was created (- once it has\n"
	  "ended); pvtop shows them over the last interval.\n", cmd_list },
	{ "destroy", "DOMAIN", "Stop a domain now (exit code 137).",
	  "DOMAIN is a name or a numeric id.\n", domain_cmd },
	{ "pause", "DOMAIN", "Stop scheduling a domain's vCPUs until unpause.",
	  "DOMAIN is a name or a numeric id.\n", domain_cmd },
	{ "unpause", "DOMAIN", "Let a paused domain run again.",
	  "DOMAIN is a name or a numeric id.\n", domain_cmd },
	{ "console", "DOMAIN [--no-follow]", "Print a domain's console from the start of its history.",
	  "  --no-follow   print what there is now and return\n"
	  "Without it, follows the output until the domain ends (exit 0; 1 if it crashed)\n"
	  "or Ctrl-C. DOMAIN is a name or a numeric id.\n", cmd_console },
	{ "sched-bvt", "DOMAIN [--weight N] [--warp NS] [--warpl NS] [--warpu NS]",
	  "Set a domain's Borrowed Virtual Time parameters (pvmon --sched bvt).",
	  "  --weight N    share of the CPU relative to other domains (1..10000)\n"
	  "  --warp NS     virtual time a warped domain borrows (0: no warp)\n"
	  "  --warpl NS    longest time a domain may run warped\n"
	  "  --warpu NS    time before it may warp again\n"
	  "Times are ns, or take a unit: 500us, 10ms, 1s. Options not given stay as they are.\n",
	  cmd_sched_bvt },
	{ "mem-set", "DOMAIN MIB", "Ask a domain's balloon driver to grow or shrink it to MIB.",
	  "The guest gives frames back to the host (or takes them again) until it holds MIB;\n"
	  "`pvctl list --json` shows mem_kib (held now) and mem_target_kib.\n", cmd_mem_set },
	{ "block-attach", "DOMAIN file:PATH,xvdX,w|r", "Give a running Linux PV domain another virtual disk.",
	  "SPEC is a disk line of the domain's config (disk = [ \"file:PATH,xvdX,w\" ], or ,r for\n"
	  "read-only). Linux's xen-blkfront finds it through xenstore as /dev/xvdX.\n", cmd_block },
	{ "block-detach", "DOMAIN xvdX [--force]", "Take a virtual disk from a running Linux PV domain.",
	  "The back end closes (Xen's state machine) and the guest's xen-blkfront lets the disk go\n"
	  "once nothing has it open; pvctl waits up to 10 s for that, then fails, leaving it\n"
	  "closing (it goes when the guest lets it go: run block-detach again).\n"
	  "  --force   remove it even if the guest still has it open\n", cmd_block },
	{ "network-attach", "DOMAIN [mac=MAC,][ip=IP,][rate=RATE]", "Give a running Linux PV domain another virtual NIC.",
	  "SPEC is a vif entry of the domain's config (vif = [ \"mac=...,ip=...,rate=10Mb/s\" ]).\n"
	  "Its host side is a TAP device pvif<domid>.<N>, made up in pvmon's network namespace;\n"
	  "Linux's xen-netfront finds it through xenstore as another ethN. Prints its number N.\n", cmd_block },
	{ "network-detach", "DOMAIN N [--force]", "Take virtual NIC number N from a running Linux PV domain.",
	  "The back end closes (Xen's state machine), the guest's xen-netfront lets it go, and\n"
	  "the TAP device goes; pvctl waits up to 10 s for the guest.\n"
	  "  --force   remove it even if the guest did not close it\n", cmd_block },
	{ "input", "DOMAIN TEXT...", "Send a line of console input to a domain (raises its console VIRQ).",
	  "The words of TEXT are joined by spaces and sent with a newline.\n", cmd_input },
	{ "trace", "start|stop|snapshot [--events LIST] [--output DIR | --relayd URL] [--snapshot | --live] "
	  "[--pid PID] [--subbuf-size B] [--session NAME]",
	  "Record pvmon's tracepoints with LTTng (user space only; no kernel modules).",
	  "  --events LIST   all (default), hypercall, sched, tlb, pageflip, pvnet, exit, evtchn, domain,\n"
	  "                  xen, net\n"
	  "  --output DIR    where the CTF trace goes (default ./pvlab-trace)\n"
	  "  --relayd URL    stream to an lttng-relayd instead: net://HOST or net://HOST:CTRL:DATA\n"
	  "  --snapshot      flight recorder: buffers overwrite in memory; `trace snapshot`\n"
	  "                  writes their content (a new snapshot-* directory under the output)\n"
	  "  --live          live session to a relayd (default net://127.0.0.1), readable while\n"
	  "                  it records: babeltrace2 -i lttng-live net://HOST/host/H/SESSION\n"
	  "  --pid PID       record only that pvmon process (default: every pvmon)\n"
	  "  --subbuf-size B per-CPU sub-buffer bytes (power of two; 4 of them; default 1 MiB)\n"
	  "  --session NAME  session name (default pvlab); stop and snapshot take the same\n"
	  "A session daemon is started if none runs. stop flushes the buffers, prints how\n"
	  "many events the tracer lost, and ends the session. Read traces with pvtrace.\n", cmd_trace },
	{ "vfr", "add RULE... | list | del ID", "Manage the virtual firewall-router's rules (every VIF's packets).",
	  "RULE: ACTION [PROTO] [from A.B.C.D[/N]] [to A.B.C.D[/N]] [sport P[-Q]] [dport P[-Q]]\n"
	  "  ACTION  accept or drop; PROTO tcp, udp, icmp or any (ports: tcp and udp only)\n"
	  "Rules are checked in order on transmit and receive; the first that matches decides\n"
	  "and counts the packet; none matching: accepted. A rule naming no protocol, address\n"
	  "or port matches every frame (ARP too). add prints the new rule's ID; list shows each\n"
	  "rule with the packets it matched. e.g. pvctl vfr add drop tcp dport 8080\n", cmd_vfr },
	{ "sched-rr", "--slice NS", "Set the round-robin time slice (pvmon --sched rr).",
	  "  --slice NS    the slice, 100us..1s; ns, or with a unit: 500us, 10ms, 1s\n", cmd_sched_rr },
};
#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: pvctl [--socket PATH] COMMAND [ARGS]\n"
	        "Domain 0 control of pvmon: talks to `pvmon daemon` over its control socket.\n"
	        "commands:\n");
	for (size_t i = 0; i < NR_COMMANDS; i++) {
		char head[80];
		snprintf(head, sizeof(head), "%s %s", commands[i].name, commands[i].synopsis);
		fprintf(f, "  %-34s %s\n", strlen(head) > 34 ? commands[i].name : head, commands[i].summary);
	}
	fprintf(f, "options:\n"
	        "  --socket PATH   pvmon's control socket (default $PVLAB_SOCKET or %s)\n"
	        "  PVLAB_CTL_TIMEOUT  seconds a reply may take (default 60)\n"
	        "  -h, --help      this text; `pvctl COMMAND --help` tells about one command\n"
	        "exit status: 0 done, 1 failed, 2 usage error\n", CTLC_DEFAULT_SOCKET);
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	ctlc_init("pvctl");
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		int rc = ctlc_socket_option(argc, argv, &i);
		if (rc == -1)
			return complain(EXIT_USAGE, "unknown option '%s' (try `pvctl --help`)", a);
		if (rc)
			return rc;
	}
	if (i >= argc)
		return complain(EXIT_USAGE, "no command given (try `pvctl --help`)");
	if (!strcmp(argv[i], "help")) {
		const struct command *cmd = i + 1 < argc ? find_command(argv[i + 1]) : NULL;
		if (i + 1 < argc && !cmd)
			return complain(EXIT_USAGE, "unknown command '%s' (try `pvctl --help`)", argv[i + 1]);
		if (cmd)
			command_usage(cmd, stdout);
		else
			usage(stdout);
		return 0;
	}
	const struct command *cmd = find_command(argv[i]);
	if (!cmd)
		return complain(EXIT_USAGE, "unknown command '%s' (try `pvctl --help`)", argv[i]);
	return cmd->run(cmd, argc - i, argv + i);
}
