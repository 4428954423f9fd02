/* pvctl: Domain 0's command-line tool, xl-like. Each command is one request
 * to `pvmon daemon` over its control socket (docs/control-protocol.md);
 * pvctl keeps no state of its own. Exit status: 0 done, 1 failed, 2 usage. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* From the protocol (hypervisor/src/control.h, which pvctl does not include:
 * the socket speaks text, and pvmon's internals are not pvctl's). */
#define DEFAULT_SOCKET "/run/pvlab/pvmon.sock"
#define PROTO_MAX_LINE 4096
#define PROTO_MAX_CHUNK 4096
#define REPLY_TIMEOUT_S 60

#define EXIT_FAIL 1
#define EXIT_USAGE 2

static const char *sock_path;

__attribute__((format(printf, 2, 3)))
static int complain(int status, const char *fmt, ...)
{
	va_list ap;
	fputs("pvctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/* ---- talking to pvmon ----------------------------------------------- */

struct conn {
	int fd;
	size_t off, len;
	char buf[8192];
};

/* Each answer of the server: D lines and C chunks go to the callbacks. */
struct reply_cb {
	int (*data)(void *arg, const char *text);                 /* 0 or an exit status */
	int (*chunk)(void *arg, const char *bytes, size_t len);
	void *arg;
};

static int pvmon_connect(struct conn *c, bool follow)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(sock_path) >= sizeof(sa.sun_path))
		return complain(EXIT_FAIL, "socket path %s is too long (at most %zu bytes)",
		                sock_path, sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	c->off = c->len = 0;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return complain(EXIT_FAIL, "cannot create a socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;
		close(c->fd);
		if (e == ENOENT || e == ECONNREFUSED)
			return complain(EXIT_FAIL, "cannot connect to pvmon at %s: is `pvmon daemon` running?", sock_path);
		if (e == EACCES || e == EPERM)
			return complain(EXIT_FAIL, "cannot connect to pvmon at %s: permission denied "
			                "(run pvctl as root or in the socket's group)", sock_path);
		return complain(EXIT_FAIL, "cannot connect to pvmon at %s: %s", sock_path, strerror(e));
	}
	if (!follow) {
		struct timeval tv = { .tv_sec = REPLY_TIMEOUT_S };
		setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	return 0;
}

static int conn_fill(struct conn *c)
{
	if (c->off) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	for (;;) {
		ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n > 0) {
			c->len += (size_t)n;
			return 0;
		}
		if (n == 0)
			return complain(EXIT_FAIL, "pvmon closed the connection before answering in full "
			                "(did it stop? see its log)");
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return complain(EXIT_FAIL, "pvmon at %s did not answer within %d s", sock_path, REPLY_TIMEOUT_S);
		return complain(EXIT_FAIL, "cannot read pvmon's answer: %s", strerror(errno));
	}
}

/* The next reply line, NUL-terminated in place (valid until the next read). */
static int conn_line(struct conn *c, char **line)
{
	for (;;) {
		char *start = c->buf + c->off;
		char *nl = memchr(start, '\n', c->len - c->off);
		if (nl) {
			*nl = '\0';
			*line = start;
			c->off += (size_t)(nl - start) + 1;
			return 0;
		}
		if (c->off == 0 && c->len == sizeof(c->buf))
			return complain(EXIT_FAIL, "pvmon sent a reply line longer than %zu bytes", sizeof(c->buf));
		int rc = conn_fill(c);
		if (rc)
			return rc;
	}
}

static int conn_bytes(struct conn *c, char *dst, size_t n)
{
	while (c->len - c->off < n) {
		int rc = conn_fill(c);
		if (rc)
			return rc;
	}
	memcpy(dst, c->buf + c->off, n);
	c->off += n;
	return 0;
}

/* Send one request and read its reply to the terminator. ok_text (may be
 * NULL) receives the text after OK. Returns 0 or an exit status. */
static int pvmon_request(const char *request, const struct reply_cb *cb, bool follow,
                         char *ok_text, size_t ok_len)
{
	if (strlen(request) >= PROTO_MAX_LINE)
		return complain(EXIT_FAIL, "request too long for pvmon (at most %d bytes)", PROTO_MAX_LINE - 1);
	struct conn *c = malloc(sizeof(*c));
	if (!c)
		return complain(EXIT_FAIL, "out of memory");
	int rc = pvmon_connect(c, follow);
	if (rc) {
		free(c);
		return rc;
	}
	char req[PROTO_MAX_LINE + 1];
	size_t len = (size_t)snprintf(req, sizeof(req), "%s\n", request);
	if (send(c->fd, req, len, MSG_NOSIGNAL) != (ssize_t)len) {
		/* pvmon may have refused the connection with a reason (too many
		 * clients): show that rather than the broken pipe. */
		int e = errno;
		ssize_t n = recv(c->fd, c->buf, sizeof(c->buf) - 1, MSG_DONTWAIT);
		c->buf[n > 0 ? n : 0] = '\0';
		char *msg = !strncmp(c->buf, "ERR ", 4) ? strchr(c->buf + 4, ' ') : NULL;
		if (msg && strchr(msg, '\n')) {
			*strchr(msg, '\n') = '\0';
			rc = complain(EXIT_FAIL, "%s", msg + 1);
		} else {
			rc = complain(EXIT_FAIL, "cannot send the request to pvmon: %s", strerror(e));
		}
		goto out;
	}
	for (;;) {
		char *line = NULL;
		if ((rc = conn_line(c, &line)))
			break;
		if (!strncmp(line, "D ", 2)) {
			if (cb && cb->data && (rc = cb->data(cb->arg, line + 2)))
				break;
		} else if (!strncmp(line, "C ", 2)) {
			char *end, bytes[PROTO_MAX_CHUNK];
			unsigned long n = strtoul(line + 2, &end, 10);
			if (*end || n > PROTO_MAX_CHUNK) {
				rc = complain(EXIT_FAIL, "pvmon sent a bad console chunk header '%.40s'", line);
				break;
			}
			if ((rc = conn_bytes(c, bytes, n)))
				break;
			if (cb && cb->chunk && (rc = cb->chunk(cb->arg, bytes, n)))
				break;
		} else if (!strcmp(line, "OK") || !strncmp(line, "OK ", 3)) {
			if (ok_text)
				snprintf(ok_text, ok_len, "%s", line[2] ? line + 3 : "");
			break;
		} else if (!strncmp(line, "ERR ", 4)) {
			/* ERR ENAME message: the message is for people. */
			const char *msg = strchr(line + 4, ' ');
			rc = complain(EXIT_FAIL, "%s", msg ? msg + 1 : line + 4);
			break;
		} else {
			rc = complain(EXIT_FAIL, "pvmon sent a reply pvctl does not understand: '%.60s'", line);
			break;
		}
	}
out:
	close(c->fd);
	free(c);
	return rc;
}

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
	if (*s < '0' || *s > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return false;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) || (!is_time && i))
			continue;
		if (v > (unsigned long long)(INT64_MAX / units[i].mul))
			return false;
		*out = (int64_t)v * units[i].mul;
		return true;
	}
	return false;
}

/* ---- list ------------------------------------------------------------ */

#define JSON_MAX_FIELDS 24

struct json_obj {
	int n;
	char key[JSON_MAX_FIELDS][24];
	char val[JSON_MAX_FIELDS][128];
};

/* A flat JSON object of strings and numbers, as pvmon sends; false when
 * it is anything else. */
static bool json_parse_flat(const char *s, struct json_obj *o)
{
	o->n = 0;
	s += strspn(s, " ");
	if (*s++ != '{')
		return false;
	s += strspn(s, " ");
	if (*s == '}')
		return s[1 + strspn(s + 1, " ")] == '\0';
	for (;;) {
		if (o->n == JSON_MAX_FIELDS || *s++ != '"')
			return false;
		size_t k = 0;
		while (*s && *s != '"' && k + 1 < sizeof(o->key[0]))
			o->key[o->n][k++] = *s++;
		o->key[o->n][k] = '\0';
		if (*s++ != '"')
			return false;
		s += strspn(s, " ");
		if (*s++ != ':')
			return false;
		s += strspn(s, " ");
		char *v = o->val[o->n];
		size_t vl = 0, vmax = sizeof(o->val[0]) - 1;
		if (*s == '"') {
			for (s++; *s && *s != '"'; s++) {
				char ch = *s;
				if (ch == '\\') {
					ch = *++s;
					if (ch == 'u') {
						unsigned cp;
						if (sscanf(s + 1, "%4x", &cp) != 1)
							return false;
						ch = cp < 0x80 ? (char)cp : '?';
						s += 4;
					} else if (ch == 'n' || ch == 't' || ch == 'r') {
						ch = ' ';
					} else if (!ch) {
						return false;
					}
				}
				if (vl < vmax)
					v[vl++] = ch;
			}
			if (*s++ != '"')
				return false;
		} else {
			while (*s && strchr("-+.0123456789eE", *s))
				if (vl < vmax)
					v[vl++] = *s++;
				else
					s++;
			if (!vl)
				return false;
		}
		v[vl] = '\0';
		o->n++;
		s += strspn(s, " ");
		if (*s == '}')
			return s[1 + strspn(s + 1, " ")] == '\0';
		if (*s++ != ',')
			return false;
		s += strspn(s, " ");
	}
}

static const char *json_get(const struct json_obj *o, const char *key)
{
	for (int i = 0; i < o->n; i++)
		if (!strcmp(o->key[i], key))
			return o->val[i];
	return "?";
}

struct list_state {
	bool json;
	int count;
};

static int list_entry(void *arg, const char *text)
{
	struct list_state *ls = arg;
	struct json_obj o;
	if (!json_parse_flat(text, &o))
		return complain(EXIT_FAIL, "pvmon sent a list entry pvctl cannot read: '%.60s'", text);
	if (ls->json) {
		printf("%s  %s", ls->count ? ",\n" : "[\n", text);
	} else {
		if (!ls->count)
			printf("%-32s %5s %7s %5s %-9s %9s %6s\n",
			       "Name", "ID", "Mem", "VCPUs", "State", "Time(s)", "Weight");
		double secs = strtod(json_get(&o, "run_ns"), NULL) / 1e9;
		printf("%-32s %5s %7s %5s %-9s %9.1f %6s\n", json_get(&o, "name"), json_get(&o, "domid"),
		       json_get(&o, "mem_mib"), json_get(&o, "vcpus"), json_get(&o, "state"), secs,
		       json_get(&o, "weight"));
	}
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
	rc = pvmon_request("list", &cb, false, NULL, 0);
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
	char req[PROTO_MAX_LINE + 16], ok[256];
	snprintf(req, sizeof(req), "create %s", abs);
	free(abs);
	rc = pvmon_request(req, NULL, false, ok, sizeof(ok));
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
	char req[PROTO_MAX_LINE];
	snprintf(req, sizeof(req), "%s %s", cmd->name, pos[0]);
	return pvmon_request(req, NULL, false, NULL, 0);
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
	char req[PROTO_MAX_LINE], ok[128];
	snprintf(req, sizeof(req), "console %s %s", pos[0], follow ? "follow" : "history");
	struct reply_cb cb = { .chunk = console_out };
	rc = pvmon_request(req, &cb, follow, ok, sizeof(ok));
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
	char req[PROTO_MAX_LINE];
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
	return pvmon_request(req, NULL, false, NULL, 0);
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
	return pvmon_request(req, NULL, false, NULL, 0);
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
	char req[PROTO_MAX_LINE];
	size_t n = (size_t)snprintf(req, sizeof(req), "input %s", argv[1]);
	for (int i = 2; i < argc && n < sizeof(req); i++)
		n += (size_t)snprintf(req + n, sizeof(req) - n, " %s", argv[i]);
	if (n >= sizeof(req))
		return complain(EXIT_USAGE, "%s: TEXT is too long (at most %d bytes)", cmd->name, PROTO_MAX_LINE - 64);
	for (const char *p = req; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return complain(EXIT_USAGE, "%s: TEXT contains a control character", cmd->name);
	return pvmon_request(req, NULL, false, NULL, 0);
}

static const struct command commands[] = {
	{ "create", "CFG", "Boot a domain from a config file (xl.cfg-like key = value lines).",
	  "Prints the new domain's name and id.\n", cmd_create },
	{ "list", "[--json]", "List the domains pvmon hosts.",
	  "  --json   one JSON array of objects: domid, name, state, vcpus, mem_mib, weight,\n"
	  "           exit_code, run_ns, wait_ns, blocked_ns, hypercalls, events, vm_exits\n"
	  "Time(s) is the CPU time the domain's vCPUs have run.\n", cmd_list },
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
	{ "input", "DOMAIN TEXT...", "Send a line of console input to a domain (raises its console VIRQ).",
	  "The words of TEXT are joined by spaces and sent with a newline.\n", cmd_input },
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
	        "  -h, --help      this text; `pvctl COMMAND --help` tells about one command\n"
	        "exit status: 0 done, 1 failed, 2 usage error\n", DEFAULT_SOCKET);
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
	const char *env = getenv("PVLAB_SOCKET");
	sock_path = env && *env ? env : DEFAULT_SOCKET;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--socket")) {
			if (i + 1 >= argc)
				return complain(EXIT_USAGE, "--socket needs a PATH (try `pvctl --help`)");
			sock_path = argv[++i];
		} else if (!strncmp(a, "--socket=", 9)) {
			sock_path = a + 9;
		} else {
			return complain(EXIT_USAGE, "unknown option '%s' (try `pvctl --help`)", a);
		}
		if (!*sock_path)
			return complain(EXIT_USAGE, "--socket needs a non-empty PATH");
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
