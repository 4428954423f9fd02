/* The client side of pvmon's control socket (docs/control-protocol.md),
 * shared by pvctl and pvtop: connections, requests and their replies,
 * the flat JSON of `list`, and the tools' one-line error messages. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlclient.h"
#include "numparse.h"

/* Set once by main() before anything else runs; the tools are single-threaded. */
static const char *prog = "ctlclient";
static const char *sock_path = CTLC_DEFAULT_SOCKET;
static bool errors_held;
static char held_error[4096];

struct ctlc_conn {
	int fd;
	bool follow;
	volatile sig_atomic_t *cancel;
	size_t off, len;
	char buf[8192];
};

void ctlc_init(const char *name)
{
	const char *env = getenv("PVLAB_SOCKET");
	prog = name;
	sock_path = env && *env ? env : CTLC_DEFAULT_SOCKET;
}

void ctlc_set_socket(const char *path)
{
	sock_path = path;
}

const char *ctlc_socket(void)
{
	return sock_path;
}

int ctlc_socket_option(int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	if (!strcmp(a, "--socket")) {
		if (*i + 1 >= argc)
			return complain(EXIT_USAGE, "--socket needs a PATH (try `%s --help`)", prog);
		sock_path = argv[++*i];
	} else if (!strncmp(a, "--socket=", 9)) {
		sock_path = a + 9;
	} else {
		return -1;
	}
	if (!*sock_path)
		return complain(EXIT_USAGE, "--socket needs a non-empty PATH");
	return 0;
}

int complain(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (errors_held) {
		vsnprintf(held_error, sizeof(held_error), fmt, ap);
	} else {
		fprintf(stderr, "%s: ", prog);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
	return status;
}

void ctlc_hold_errors(bool hold)
{
	errors_held = hold;
	if (!hold && held_error[0]) {
		fprintf(stderr, "%s: %s\n", prog, held_error);
		held_error[0] = '\0';
	}
}

/* How long a reply may take: $PVLAB_CTL_TIMEOUT seconds (1..86400; a
 * create builds the domain before it answers, which takes minutes on an
 * emulated host), else CTLC_REPLY_TIMEOUT_S; -1 for a value that is not. */
static int reply_timeout_s(void)
{
	const char *e = getenv("PVLAB_CTL_TIMEOUT");
	if (!e || !*e)
		return CTLC_REPLY_TIMEOUT_S;
	char *end;
	errno = 0;
	long s = strtol(e, &end, 10);
	return !errno && !*end && s >= 1 && s <= 86400 ? (int)s : -1;
}

/* ---- connections -------------------------------------------------------- */

int ctlc_open(struct ctlc_conn **out, bool follow, volatile sig_atomic_t *cancel)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	*out = NULL;
	if (reply_timeout_s() < 0)
		return complain(EXIT_FAIL, "PVLAB_CTL_TIMEOUT='%s' is not a number of seconds from 1 to 86400",
		                getenv("PVLAB_CTL_TIMEOUT"));
	if (strlen(sock_path) >= sizeof(sa.sun_path))
		return complain(EXIT_FAIL, "socket path %s is too long (at most %zu bytes)",
		                sock_path, sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	struct ctlc_conn *c = malloc(sizeof(*c));
	if (!c)
		return complain(EXIT_FAIL, "out of memory");
	c->off = c->len = 0;
	c->follow = follow;
	c->cancel = cancel;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		free(c);
		return complain(EXIT_FAIL, "cannot create a socket: %s", strerror(errno));
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;
		close(c->fd);
		free(c);
		if (e == ENOENT || e == ECONNREFUSED)
			return complain(EXIT_FAIL, "cannot connect to pvmon at %s: is `pvmon daemon` running?", sock_path);
		if (e == EACCES || e == EPERM)
			return complain(EXIT_FAIL, "cannot connect to pvmon at %s: permission denied "
			                "(run %s as root or in the socket's group)", sock_path, prog);
		return complain(EXIT_FAIL, "cannot connect to pvmon at %s: %s", sock_path, strerror(e));
	}
	if (!follow) {
		struct timeval tv = { .tv_sec = reply_timeout_s() };
		setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	*out = c;
	return 0;
}

void ctlc_close(struct ctlc_conn *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

static bool cancelled(const struct ctlc_conn *c)
{
	return c->cancel && *c->cancel;
}

static int conn_fill(struct ctlc_conn *c)
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
		if (errno == EINTR && cancelled(c))
			return EXIT_FAIL;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return complain(EXIT_FAIL, "pvmon at %s did not answer within %d s (PVLAB_CTL_TIMEOUT)", sock_path,
			                reply_timeout_s());
		return complain(EXIT_FAIL, "cannot read pvmon's answer: %s", strerror(errno));
	}
}

/* The next reply line, NUL-terminated in place (valid until the next read). */
static int conn_line(struct ctlc_conn *c, char **line)
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

static int conn_bytes(struct ctlc_conn *c, char *dst, size_t n)
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

/* The request could not be sent: pvmon may have refused the connection
 * with a reason (too many clients); show that rather than the broken pipe. */
static int send_failed(struct ctlc_conn *c, int err)
{
	char buf[256];
	ssize_t n = recv(c->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	char *msg = !strncmp(buf, "ERR ", 4) ? strchr(buf + 4, ' ') : NULL;
	if (msg && strchr(msg, '\n')) {
		*strchr(msg, '\n') = '\0';
		return complain(EXIT_FAIL, "%s", msg + 1);
	}
	if (err == EPIPE || err == ECONNRESET)
		return complain(EXIT_FAIL, "pvmon at %s closed the connection (did it stop? see its log)",
		                sock_path);
	return complain(EXIT_FAIL, "cannot send the request to pvmon: %s", strerror(err));
}

/* One reply item; 1 when it was the terminator. */
static int reply_item(struct ctlc_conn *c, char *line, const struct reply_cb *cb,
                      char *ok_text, size_t ok_len)
{
	if (!strncmp(line, "D ", 2))
		return cb && cb->data ? cb->data(cb->arg, line + 2) : 0;
	if (!strncmp(line, "C ", 2)) {
		char bytes[CTLC_MAX_CHUNK];
		uint64_t n;
		if (num_u64(line + 2, 0, CTLC_MAX_CHUNK, &n))
			return complain(EXIT_FAIL, "pvmon sent a bad console chunk header '%.40s'", line);
		int rc = conn_bytes(c, bytes, n);
		if (rc)
			return rc;
		return cb && cb->chunk ? cb->chunk(cb->arg, bytes, n) : 0;
	}
	if (!strcmp(line, "OK") || !strncmp(line, "OK ", 3)) {
		if (ok_text)
			snprintf(ok_text, ok_len, "%s", line[2] ? line + 3 : "");
		return -1;
	}
	if (!strncmp(line, "ERR ", 4)) {
		/* ERR ENAME message: the message is for people. */
		const char *msg = strchr(line + 4, ' ');
		return complain(EXIT_FAIL, "%s", msg ? msg + 1 : line + 4);
	}
	return complain(EXIT_FAIL, "pvmon sent a reply %s does not understand: '%.60s'", prog, line);
}

/* pvmon closes a connection that stays idle longer than its idle timeout,
 * after one "ERR ETIMEDOUT" line: a client that waits longer between
 * requests (pvtop -d 120) connects again before its next one. */
static int conn_revive(struct ctlc_conn *c)
{
	static const char idle[] = "ERR ETIMEDOUT";
	char b[sizeof(idle) - 1];
	ssize_t n = recv(c->fd, b, sizeof(b), MSG_DONTWAIT | MSG_PEEK);
	if (n < (ssize_t)sizeof(b) || memcmp(b, idle, sizeof(b)))
		return 0;     /* open and quiet, or closed, or anything else: the request's reply path says */
	struct ctlc_conn *fresh;
	int rc = ctlc_open(&fresh, c->follow, c->cancel);
	if (rc)
		return rc;
	close(c->fd);
	c->fd = fresh->fd;
	c->off = c->len = 0;
	free(fresh);
	return 0;
}

int ctlc_ask(struct ctlc_conn *c, const char *request, const struct reply_cb *cb,
             char *ok_text, size_t ok_len)
{
	if (strlen(request) >= CTLC_MAX_LINE)
		return complain(EXIT_FAIL, "request too long for pvmon (at most %d bytes)", CTLC_MAX_LINE - 1);
	int rc0 = conn_revive(c);
	if (rc0)
		return rc0;
	char req[CTLC_MAX_LINE + 1];
	size_t len = (size_t)snprintf(req, sizeof(req), "%s\n", request);
	if (send(c->fd, req, len, MSG_NOSIGNAL) != (ssize_t)len)
		return send_failed(c, errno);
	for (;;) {
		char *line = NULL;
		int rc = conn_line(c, &line);
		if (!rc)
			rc = reply_item(c, line, cb, ok_text, ok_len);
		if (rc)
			return rc < 0 ? 0 : rc;
	}
}

int ctlc_request(const char *request, const struct reply_cb *cb, bool follow,
                 char *ok_text, size_t ok_len)
{
	struct ctlc_conn *c;
	int rc = ctlc_open(&c, follow, NULL);
	if (rc)
		return rc;
	rc = ctlc_ask(c, request, cb, ok_text, ok_len);
	ctlc_close(c);
	return rc;
}
