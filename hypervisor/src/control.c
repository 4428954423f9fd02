/* The control socket: Domain 0's way into pvmon. A listener thread accepts
 * AF_UNIX stream connections, a thread per client reads request lines and
 * answers them through the core's control_ops; the core owns the domains.
 *
 * Protocol (version 1; docs/control-protocol.md is the long form):
 *   request   one line of at most CTL_MAX_LINE bytes, newline included;
 *             words split by spaces; several requests may follow on one
 *             connection, each answered in full before the next is read.
 *   reply     zero or more data items, then exactly one terminator:
 *               D <text>            a data line (list: one JSON object)
 *               C <n>\n<n bytes>    a console chunk, raw bytes (n <= 4096)
 *               OK[ <text>]         success
 *               ERR <ENAME> <msg>   failure: errno name, one-line message
 *   requests  ping                            OK pvmon-control 1
 *             help                            D usage lines, OK
 *             sched                           OK bvt|rr
 *             list                            D {json} per domain, OK <count>
 *             create <absolute cfg path>      OK <domid> <name>
 *             destroy|pause|unpause <DOMAIN>  OK <domid> <name>
 *             console <DOMAIN> [follow|history]
 *                       C chunks from the start of the history, then
 *                       history: OK history   (all there is now)
 *                       follow:  OK shutdown <code> | OK crashed <code> when
 *                                the domain has ended and all it wrote is
 *                                sent (OK gone: it left, without dom_get
 *                                ops); or the client closes to stop
 *             sched-bvt <DOMAIN> [weight=N] [warp=NS] [warpl=NS] [warpu=NS]
 *                                             OK <domid> <name>
 *             sched-rr <SLICE_NS>             OK
 *             input <DOMAIN> <text...>        OK <bytes> (text + newline to the guest)
 *             mem-set <DOMAIN> <MIB>          OK <domid> <name> (balloon target set)
 *   DOMAIN is a numeric id (tried first) or a name.
 * A line that is too long gets ERR E2BIG and the connection is closed; any
 * other bad request gets one ERR line and the connection stays usable. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "numparse.h"

#define CTL_MAX_ARGS 8
#define CTL_CHUNK 4096
#define CTL_LIST_LIMIT 65536
#define CTL_STATE_EVERY 4        /* follow: check the domain's state every 4 idle polls */

struct client {
	int fd;
	pthread_t thread;
	bool used;                   /* slot holds a thread not yet joined */
	bool done;                   /* its thread has finished serving */
};

static struct {
	const struct control_ops *ops;
	void *ctx;
	int idle_s;                  /* a connection quiet this long between requests is closed */
	bool running;
	atomic_bool stopping;
	int listen_fd;
	int wake[2];                 /* self-pipe: stop requested, or a client finished */
	pthread_t thread;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	pthread_mutex_t clients_lock;    /* guards clients[] */
	struct client clients[CTL_MAX_CLIENTS];
} srv = {
	.listen_fd = -1,
	.idle_s = CTL_IDLE_S,
	.wake = { -1, -1 },
	.clients_lock = PTHREAD_MUTEX_INITIALIZER,
};

/* One client connection: buffered request bytes not yet consumed. */
struct conn {
	int fd;
	size_t len;
	char buf[CTL_MAX_LINE];
};

void control_set_idle_timeout(int seconds)
{
	srv.idle_s = seconds;
}

const char *control_default_socket(void)
{
	const char *s = getenv("PVLAB_SOCKET");
	return s && *s ? s : CTL_DEFAULT_SOCKET;
}

static const char *errname(int err)
{
	const char *n = strerrorname_np(err);
	return n ? n : "EIO";
}

/* ---- writing replies ------------------------------------------------ */

static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One reply line; control bytes (from a config error, a name) become
 * spaces so that the reply stays one line. */
static int vreply(struct conn *c, const char *fmt, va_list ap)
{
	char line[CTL_REPLY_MAX];
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	if (n < 0)
		return -EINVAL;
	size_t len = (size_t)n < sizeof(line) - 2 ? (size_t)n : sizeof(line) - 2;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = ' ';
	line[len++] = '\n';
	return send_all(c->fd, line, len);
}

__attribute__((format(printf, 2, 3)))
static int reply(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vreply(c, fmt, ap);
	va_end(ap);
	return rc;
}

/* ERR <ENAME> <message>; err is a positive errno. Returns the send status
 * (0: the connection goes on). */
__attribute__((format(printf, 3, 4)))
static int reply_err(struct conn *c, int err, const char *fmt, ...)
{
	char msg[CTL_REPLY_MAX - 32];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return reply(c, "ERR %s %s", errname(err), msg);
}

/* ---- reading requests ----------------------------------------------- */

/* Next request line into line, *len its length (newline and a trailing
 * CR stripped; it may hold NUL bytes, which serve() refuses).
 * 1 a line, 0 end of stream, -E2BIG a line too long, -errno. */
static int read_request(struct conn *c, char *line, size_t *len)
{
	bool eof = false;
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (!nl && c->len == sizeof(c->buf))
			return -E2BIG;
		if (nl || (eof && c->len)) {
			/* A last request without its newline still counts. */
			size_t n = nl ? (size_t)(nl - c->buf) : c->len;
			memcpy(line, c->buf, n);
			line[n] = '\0';
			size_t used = nl ? n + 1 : n;
			if (n && line[n - 1] == '\r')
				line[--n] = '\0';
			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			*len = n;
			return 1;
		}
		if (eof)
			return 0;
		ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -ETIMEDOUT;          /* SO_RCVTIMEO: idle too long */
		if (n < 0)
			return -errno;
		if (n == 0)
			eof = true;
		c->len += (size_t)n;
	}
}

/* ---- domains -------------------------------------------------------- */

/* Every domain, in a malloc'd array the caller frees. Count or -errno. */
static int list_all(struct ctl_domain_info **out)
{
	*out = NULL;
	for (int cap = 64; cap <= CTL_LIST_LIMIT; cap *= 2) {
		struct ctl_domain_info *v = calloc((size_t)cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		int n = srv.ops->list(srv.ctx, v, cap);
		if (n < 0 || n > cap) {
			free(v);
			return n < 0 ? n : -EIO;
		}
		if (n < cap || cap == CTL_LIST_LIMIT) {
			*out = v;
			return n;
		}
		free(v);
	}
	return -EIO;
}

static int domain_info(uint32_t id, struct ctl_domain_info *out)
{
	if (srv.ops->info)
		return srv.ops->info(srv.ctx, id, out);
	struct ctl_domain_info *v;
	int n = list_all(&v);
	int rc = n < 0 ? n : -ESRCH;
	for (int i = 0; i < n; i++)
		if (v[i].domid == id) {
			*out = v[i];
			rc = 0;
			break;
		}
	free(v);
	return rc;
}

/* DOMAIN as a numeric id (tried first) or a name. 0, -ESRCH or -errno. */
static int resolve(const char *arg, struct ctl_domain_info *out)
{
	struct ctl_domain_info *v;
	int n = list_all(&v);
	if (n < 0)
		return n;
	uint64_t id;
	int found = -1;
	if (!num_u64(arg, 0, UINT32_MAX, &id))
		for (int i = 0; i < n && found < 0; i++)
			if (v[i].domid == id)
				found = i;
	for (int i = 0; i < n && found < 0; i++)
		if (!strncmp(v[i].name, arg, sizeof(v[i].name)) && strlen(arg) < sizeof(v[i].name))
			found = i;
	if (found >= 0)
		*out = v[found];
	free(v);
	return found >= 0 ? 0 : -ESRCH;
}

/* name is a fixed array the core may fill to the last byte. */
static const char *dname(const struct ctl_domain_info *d, char buf[33])
{
	snprintf(buf, 33, "%.*s", (int)sizeof(d->name), d->name);
	return buf;
}

static size_t json_str(char *dst, size_t cap, const char *s, size_t maxlen)
{
	size_t o = 0;
	dst[o++] = '"';
	for (size_t i = 0; i < maxlen && s[i] && o + 8 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)ch;
		} else if (ch < 0x20 || ch == 0x7f) {
			o += (size_t)snprintf(dst + o, cap - o, "\\u%04x", ch);
		} else {
			dst[o++] = (char)ch;
		}
	}
	dst[o++] = '"';
	dst[o] = '\0';
	return o;
}

/* One `list` object, keys in the documented order. CTL_REPLY_MAX holds
 * the longest one (every number at its maximum, a name of escapes). */
static int reply_domain_json(struct conn *c, const struct ctl_domain_info *d)
{
	char name[8 * sizeof(d->name) + 3], state[8 * sizeof(d->state) + 3];
	json_str(name, sizeof(name), d->name, sizeof(d->name));
	json_str(state, sizeof(state), d->state, sizeof(d->state));
	const struct { const char *key; uint64_t v; } counters[] = {
		{ "run_ns", d->run_ns }, { "wait_ns", d->wait_ns }, { "blocked_ns", d->blocked_ns },
		{ "hypercalls", d->hypercalls }, { "events", d->events }, { "vm_exits", d->vm_exits },
		{ "upcalls", d->upcalls }, { "kvm_exits", d->kvm_exits },
		{ "kvm_insn_emulation", d->kvm_insn_emulation }, { "kvm_io_exits", d->kvm_io_exits },
		{ "kvm_halt_exits", d->kvm_halt_exits }, { "kvm_mmio_exits", d->kvm_mmio_exits },
		{ "tlb_flushes", d->tlb_flushes }, { "page_flips", d->page_flips }, { "time_ns", d->time_ns },
		{ "mmu_updates", d->mmu_updates }, { "mem_kib", d->mem_kib }, { "mem_target_kib", d->mem_target_kib },
	};
	char line[CTL_REPLY_MAX];
	size_t o = (size_t)snprintf(line, sizeof(line), "D {\"domid\":%u,\"name\":%s,\"state\":%s,"
	                            "\"vcpus\":%u,\"mem_mib\":%llu,\"weight\":%u,\"exit_code\":%d",
	                            d->domid, name, state, d->vcpus, (unsigned long long)d->mem_mib,
	                            d->weight, d->exit_code);
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]) && o < sizeof(line); i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, ",\"%s\":%llu", counters[i].key,
		                      (unsigned long long)counters[i].v);
	if (o + 2 >= sizeof(line))   /* cannot happen with the sizes above; never send half an object */
		return reply_err(c, EOVERFLOW, "domain %u's list entry is longer than %d bytes",
		                 d->domid, CTL_REPLY_MAX);
	return reply(c, "%s}", line);
}

static bool state_is(const struct ctl_domain_info *d, const char *s)
{
	return !strncmp(d->state, s, sizeof(d->state));
}

static bool state_final(const struct ctl_domain_info *d)
{
	return state_is(d, "shutdown") || state_is(d, "crashed");
}

/* ---- requests ------------------------------------------------------- */

struct request {
	int argc;
	char *argv[CTL_MAX_ARGS];
	bool too_many;               /* more than CTL_MAX_ARGS words */
	const char *rest;            /* the line after the first word */
};

typedef int (*handler_fn)(struct conn *c, const struct request *r);

static int reply_resolve_err(struct conn *c, int rc, const char *arg)
{
	if (rc == -ESRCH)
		return reply_err(c, ESRCH, "no domain '%s' (give a name or id from `pvctl list`)", arg);
	return reply_err(c, -rc, "cannot list domains: %s", strerror(-rc));
}

static int h_ping(struct conn *c, const struct request *r)
{
	(void)r;
	return reply(c, "OK pvmon-control %d", CTL_PROTOCOL_VERSION);
}

static int h_sched(struct conn *c, const struct request *r)
{
	(void)r;
	const char *n = srv.ops->sched_name(srv.ctx);
	return reply(c, "OK %s", n ? n : "unknown");
}

static int h_list(struct conn *c, const struct request *r)
{
	(void)r;
	struct ctl_domain_info *v;
	int n = list_all(&v);
	if (n < 0)
		return reply_err(c, -n, "cannot list domains: %s", strerror(-n));
	int rc = 0;
	for (int i = 0; i < n && !rc; i++)
		rc = reply_domain_json(c, &v[i]);
	free(v);
	return rc ? rc : reply(c, "OK %d", n);
}

static int h_create(struct conn *c, const struct request *r)
{
	const char *path = r->rest;
	if (path[0] != '/')
		return reply_err(c, EINVAL, "config path '%s' is not absolute (pvmon does not know your "
		                 "working directory)", path);
	char err[512] = "";
	int id = srv.ops->create(srv.ctx, path, err, sizeof(err));
	if (id < 0)
		return reply_err(c, -id, "%s", err[0] ? err : strerror(-id));
	struct ctl_domain_info d;
	char nb[33];
	if (domain_info((uint32_t)id, &d) == 0)
		return reply(c, "OK %d %s", id, dname(&d, nb));
	return reply(c, "OK %d", id);
}

static int domain_op(struct conn *c, const struct request *r, const char *verb,
                     int (*op)(void *, uint32_t))
{
	struct ctl_domain_info d;
	char nb[33];
	int rc = resolve(r->argv[1], &d);
	if (rc)
		return reply_resolve_err(c, rc, r->argv[1]);
	rc = op(srv.ctx, d.domid);
	if (rc >= 0)
		return reply(c, "OK %u %s", d.domid, dname(&d, nb));
	if (rc == -ESRCH) {
		/* The core says ESRCH both for a vanished domain and for one in the
		 * wrong state (pausing a paused or shut down domain). */
		if (domain_info(d.domid, &d) == 0)
			return reply_err(c, ESRCH, "cannot %s domain %s (%u): it is %.*s", verb,
			                 dname(&d, nb), d.domid, (int)sizeof(d.state), d.state);
		return reply_err(c, ESRCH, "cannot %s domain %s (%u): it is gone", verb, dname(&d, nb), d.domid);
	}
	return reply_err(c, -rc, "cannot %s domain %s (%u): %s", verb, dname(&d, nb), d.domid, strerror(-rc));
}

static int h_destroy(struct conn *c, const struct request *r) { return domain_op(c, r, "destroy", srv.ops->destroy); }
static int h_pause(struct conn *c, const struct request *r) { return domain_op(c, r, "pause", srv.ops->pause); }
static int h_unpause(struct conn *c, const struct request *r) { return domain_op(c, r, "unpause", srv.ops->unpause); }

/* Wait up to CTL_CONSOLE_POLL_MS for the client; input while streaming is
 * ignored. 0 go on, -1 the client closed or pvmon stops. */
static int console_wait(struct conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLRDHUP };
	int n = poll(&p, 1, CTL_CONSOLE_POLL_MS);
	if (atomic_load(&srv.stopping))
		return -1;
	if (n <= 0)
		return 0;
	if (p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL))
		return -1;
	char junk[256];
	ssize_t got = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT);
	return got == 0 ? -1 : 0;
}

/* One console chunk: "C <n>\n" and the bytes, in one send. out holds the
 * bytes at out + 32. */
static int send_chunk(struct conn *c, char *out, long n)
{
	char hdr[32];
	int h = snprintf(hdr, sizeof(hdr), "C %ld\n", n);
	memcpy(out + 32 - h, hdr, (size_t)h);
	return send_all(c->fd, out + 32 - h, (size_t)h + (size_t)n);
}

static bool have_dom_refs(void)
{
	return srv.ops->dom_get && srv.ops->dom_console_read && srv.ops->dom_put;
}

/* The stream, holding the domain (dom_get): ends exactly when the domain
 * has ended and all it wrote has been sent. */
static int console_held(struct conn *c, void *dom, bool follow)
{
	char out[32 + CTL_CHUNK];
	uint64_t off = 0;
	for (;;) {
		bool ended = false, crashed = false;
		int32_t code = 0;
		long n = srv.ops->dom_console_read(srv.ctx, dom, &off, out + 32, CTL_CHUNK, &ended, &code, &crashed);
		if (n > CTL_CHUNK)
			return reply_err(c, EIO, "console read returned %ld bytes for a %d-byte buffer", n, CTL_CHUNK);
		if (n > 0) {
			if (send_chunk(c, out, n))
				return -1;
			continue;
		}
		if (n < 0)
			return reply_err(c, (int)-n, "cannot read the console: %s", strerror((int)-n));
		if (!follow)
			return reply(c, "OK history");
		if (ended)
			return reply(c, "OK %s %d", crashed ? "crashed" : "shutdown", code);
		if (console_wait(c))
			return -1;
	}
}

/* The stream by domid (console_read): a domain that leaves the table
 * between two polls ends it with "OK gone", its last bytes unread. */
static int console_by_id(struct conn *c, struct ctl_domain_info *d, bool follow)
{
	char out[32 + CTL_CHUNK];
	uint64_t off = 0;
	bool ending = false;
	for (unsigned idle = 0;;) {
		long n = srv.ops->console_read(srv.ctx, d->domid, &off, out + 32, CTL_CHUNK);
		if (n > CTL_CHUNK)
			return reply_err(c, EIO, "console read returned %ld bytes for a %d-byte buffer", n, CTL_CHUNK);
		if (n > 0) {
			if (send_chunk(c, out, n))
				return -1;
			continue;
		}
		if (n == -ESRCH)
			return reply(c, follow ? "OK gone" : "OK history");
		if (n < 0)
			return reply_err(c, (int)-n, "cannot read the console: %s", strerror((int)-n));
		if (!follow)
			return reply(c, "OK history");
		if (ending)
			return reply(c, "OK %.*s %d", (int)sizeof(d->state), d->state, d->exit_code);
		/* All history sent: a domain seen ended gets one more read. */
		if (idle++ % CTL_STATE_EVERY == 0 && domain_info(d->domid, d) == 0 && state_final(d)) {
			ending = true;
			continue;
		}
		if (console_wait(c))
			return -1;
	}
}

static int h_console(struct conn *c, const struct request *r)
{
	bool follow = true;
	if (r->argc == 3 && !strcmp(r->argv[2], "history"))
		follow = false;
	else if (r->argc == 3 && strcmp(r->argv[2], "follow"))
		return reply_err(c, EINVAL, "console mode '%s' is neither follow nor history", r->argv[2]);
	struct ctl_domain_info d;
	int rc = resolve(r->argv[1], &d);
	if (rc)
		return reply_resolve_err(c, rc, r->argv[1]);
	if (!have_dom_refs())
		return console_by_id(c, &d, follow);
	void *dom = srv.ops->dom_get(srv.ctx, d.domid);
	if (!dom)
		return reply_resolve_err(c, -ESRCH, r->argv[1]);
	rc = console_held(c, dom, follow);
	srv.ops->dom_put(srv.ctx, dom);
	return rc;
}

static int need_sched(struct conn *c, const char *want, const char *request)
{
	const char *cur = srv.ops->sched_name(srv.ctx);
	if (cur && !strcmp(cur, want))
		return 0;
	reply_err(c, EINVAL, "%s needs the %s scheduler but pvmon runs %s (start it with --sched %s)",
	          request, want, cur ? cur : "an unknown one", want);
	return -1;
}

static int h_sched_bvt(struct conn *c, const struct request *r)
{
	struct ctl_bvt p = { -1, -1, -1, -1 };
	static const char *const keys[] = { "weight", "warp", "warpl", "warpu" };
	int64_t *fields[] = { &p.weight, &p.warp_ns, &p.warpl_ns, &p.warpu_ns };
	for (int i = 2; i < r->argc; i++) {
		char *eq = strchr(r->argv[i], '=');
		size_t k = 0;
		while (k < 4 && (!eq || strlen(keys[k]) != (size_t)(eq - r->argv[i]) ||
		                 strncmp(keys[k], r->argv[i], (size_t)(eq - r->argv[i]))))
			k++;
		if (k == 4)
			return reply_err(c, EINVAL, "sched-bvt: '%s' is not weight=N, warp=NS, warpl=NS or warpu=NS",
			                 r->argv[i]);
		if (num_i64(eq + 1, 0, INT64_MAX, fields[k]))
			return reply_err(c, EINVAL, "sched-bvt: %s '%s' is not a non-negative integer", keys[k], eq + 1);
	}
	if (p.weight == -1 && p.warp_ns == -1 && p.warpl_ns == -1 && p.warpu_ns == -1)
		return reply_err(c, EINVAL, "sched-bvt: give at least one of weight=N, warp=NS, warpl=NS, warpu=NS");
	if (need_sched(c, "bvt", "sched-bvt"))
		return 0;
	struct ctl_domain_info d;
	char nb[33];
	int rc = resolve(r->argv[1], &d);
	if (rc)
		return reply_resolve_err(c, rc, r->argv[1]);
	rc = srv.ops->sched_bvt(srv.ctx, d.domid, &p);
	if (rc >= 0)
		return reply(c, "OK %u %s", d.domid, dname(&d, nb));
	if (rc == -EINVAL)   /* the limits of sched_bvt.c */
		return reply_err(c, EINVAL, "cannot set BVT parameters of domain %s (%u): weight must be "
		                 "1..10000, warp times >= 0 ns", dname(&d, nb), d.domid);
	return reply_err(c, -rc, "cannot set BVT parameters of domain %s (%u): %s",
	                 dname(&d, nb), d.domid, strerror(-rc));
}

static int h_sched_rr(struct conn *c, const struct request *r)
{
	int64_t slice;
	if (num_i64(r->argv[1], 1, INT64_MAX, &slice))
		return reply_err(c, EINVAL, "sched-rr: slice '%s' is not a positive number of ns", r->argv[1]);
	if (need_sched(c, "rr", "sched-rr"))
		return 0;
	int rc = srv.ops->sched_rr(srv.ctx, slice);
	if (rc >= 0)
		return reply(c, "OK");
	if (rc == -ERANGE)   /* the limits of pvmon's ctl_sched_rr */
		return reply_err(c, ERANGE, "cannot set the round-robin slice to %lld ns: it must be "
		                 "100000..1000000000 ns", (long long)slice);
	return reply_err(c, -rc, "cannot set the round-robin slice: %s", strerror(-rc));
}

/* input DOMAIN TEXT: the rest of the line and a newline, to the guest. */
static int h_input(struct conn *c, const struct request *r)
{
	if (!srv.ops->console_input)
		return reply_err(c, ENOSYS, "this pvmon takes no console input");
	struct ctl_domain_info d;
	char nb[33], text[CTL_MAX_LINE + 1];
	int rc = resolve(r->argv[1], &d);
	if (rc)
		return reply_resolve_err(c, rc, r->argv[1]);
	const char *t = r->rest;
	t += strcspn(t, " \t");
	t += strspn(t, " \t");
	size_t n = (size_t)snprintf(text, sizeof(text), "%s\n", t);
	long got = srv.ops->console_input(srv.ctx, d.domid, text, n);
	if (got < 0)
		return reply_err(c, (int)-got, "cannot send input to domain %s (%u): %s", dname(&d, nb), d.domid,
		                 got == -ESRCH ? "it has ended" : strerror((int)-got));
	if ((size_t)got < n)
		return reply_err(c, ENOSPC, "domain %s (%u) took %ld of %zu bytes: its input buffer is full",
		                 dname(&d, nb), d.domid, got, n);
	return reply(c, "OK %ld", got);
}

static int h_mem_set(struct conn *c, const struct request *r)
{
	struct ctl_domain_info d;
	char nb[33];
	int rc = resolve(r->argv[1], &d);
	if (rc)
		return reply_resolve_err(c, rc, r->argv[1]);
	if (!srv.ops->mem_set)
		return reply_err(c, ENOSYS, "this pvmon has no balloon");
	uint64_t mib;
	if (num_u64(r->argv[2], 1, UINT64_MAX, &mib))
		return reply_err(c, EINVAL, "mem-set: '%s' is not a size in MiB", r->argv[2]);
	rc = srv.ops->mem_set(srv.ctx, d.domid, mib);
	if (rc == -EINVAL)
		return reply_err(c, EINVAL, "domain %s (%u) can hold 1..%llu MiB, not %llu", dname(&d, nb), d.domid,
		                 (unsigned long long)d.mem_mib, (unsigned long long)mib);
	if (rc)
		return reply_err(c, -rc, "cannot resize domain %s (%u): %s", dname(&d, nb), d.domid, strerror(-rc));
	return reply(c, "OK %u %s", d.domid, dname(&d, nb));
}

static int h_help(struct conn *c, const struct request *r);

static const struct handler {
	const char *name;
	int min_args, max_args;      /* words after the name; -1 no limit */
	handler_fn fn;
	const char *usage;
} handlers[] = {
	{ "ping",      0, 0, h_ping,      "ping" },
	{ "help",      0, 0, h_help,      "help" },
	{ "sched",     0, 0, h_sched,     "sched" },
	{ "list",      0, 0, h_list,      "list" },
	{ "create",    1, -1, h_create, "create ABSOLUTE_CFG_PATH" },
	{ "destroy",   1, 1, h_destroy,   "destroy DOMAIN" },
	{ "pause",     1, 1, h_pause,     "pause DOMAIN" },
	{ "unpause",   1, 1, h_unpause,   "unpause DOMAIN" },
	{ "console",   1, 2, h_console,   "console DOMAIN [follow|history]" },
	{ "sched-bvt", 2, 5, h_sched_bvt, "sched-bvt DOMAIN [weight=N] [warp=NS] [warpl=NS] [warpu=NS]" },
	{ "sched-rr",  1, 1, h_sched_rr,  "sched-rr SLICE_NS" },
	{ "input",     2, -1, h_input,    "input DOMAIN TEXT (sent with a newline)" },
	{ "mem-set",   2, 2, h_mem_set,   "mem-set DOMAIN MIB" },
};

static int h_help(struct conn *c, const struct request *r)
{
	(void)r;
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (reply(c, "D %s", handlers[i].usage))
			return -1;
	return reply(c, "OK");
}

/* Answer one request line. 0: read the next one; <0: close the connection. */
static int serve(struct conn *c, char *line, size_t len)
{
	/* NUL included: it would hide the rest of the line. */
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f)
			return reply_err(c, EINVAL, "request contains control byte 0x%02x", (unsigned char)line[i]);
	struct request r = { 0 };
	const char *rest = line + strspn(line, " \t");
	rest += strcspn(rest, " \t");
	rest += strspn(rest, " \t");
	char rest_copy[CTL_MAX_LINE];        /* strtok_r below cuts line into words */
	snprintf(rest_copy, sizeof(rest_copy), "%s", rest);
	r.rest = rest_copy;
	for (char *save = NULL, *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (r.argc == CTL_MAX_ARGS) {
			r.too_many = true;
			break;
		}
		r.argv[r.argc++] = w;
	}
	if (!r.argc)
		return reply_err(c, EINVAL, "empty request (try help)");
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
		const struct handler *h = &handlers[i];
		if (strcmp(h->name, r.argv[0]))
			continue;
		if (r.argc - 1 < h->min_args || (h->max_args >= 0 && (r.too_many || r.argc - 1 > h->max_args)))
			return reply_err(c, EINVAL, "usage: %s", h->usage);
		return h->fn(c, &r);
	}
	char name[64];
	snprintf(name, sizeof(name), "%s", r.argv[0]);
	return reply_err(c, EINVAL, "unknown request '%s' (try help)", name);
}

/* ---- threads -------------------------------------------------------- */

static void wake_listener(char why)
{
	ssize_t n = write(srv.wake[1], &why, 1);
	(void)n;   /* a full pipe already holds a wakeup */
}

static void *client_main(void *arg)
{
	struct client *cl = arg;
	struct conn *c = malloc(sizeof(*c));
	char *line = malloc(CTL_MAX_LINE);
	if (c && line) {
		c->fd = cl->fd;
		c->len = 0;
		for (;;) {
			size_t len = 0;
			int rc = read_request(c, line, &len);
			if (rc == -E2BIG) {
				reply_err(c, E2BIG, "request longer than %d bytes; closing the connection",
				          CTL_MAX_LINE - 1);
				break;
			}
			if (rc == -ETIMEDOUT) {
				/* Connections are few (CTL_MAX_CLIENTS): an idle one gives its slot up. */
				reply_err(c, ETIMEDOUT, "no request for %d s; closing the connection", srv.idle_s);
				break;
			}
			if (rc <= 0 || serve(c, line, len) < 0)
				break;
		}
	}
	free(line);
	free(c);
	/* The fd stays open until the listener joins us: control_stop may
	 * still shut it down, and a closed number could be reused meanwhile. */
	shutdown(cl->fd, SHUT_RDWR);
	pthread_mutex_lock(&srv.clients_lock);
	cl->done = true;
	pthread_mutex_unlock(&srv.clients_lock);
	wake_listener('c');
	return NULL;
}

static void reap_clients(bool all)
{
	pthread_mutex_lock(&srv.clients_lock);
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct client *cl = &srv.clients[i];
		if (!cl->used || (!cl->done && !all))
			continue;
		/* Only this thread (the listener, or control_stop once the listener
		 * is gone) changes `used`, so the slot is ours while unlocked. */
		pthread_mutex_unlock(&srv.clients_lock);
		pthread_join(cl->thread, NULL);
		pthread_mutex_lock(&srv.clients_lock);
		close(cl->fd);
		cl->used = cl->done = false;
		cl->fd = -1;
	}
	pthread_mutex_unlock(&srv.clients_lock);
}

static void refuse(int fd, int err, const char *why)
{
	char line[160];
	int n = snprintf(line, sizeof(line), "ERR %s %s\n", errname(err), why);
	if (n > 0 && (size_t)n < sizeof(line))
		send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

static void accept_one(void)
{
	int fd = accept4(srv.listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			usleep(100000);   /* nothing to do but wait for fds to free up */
		return;
	}
	pthread_mutex_lock(&srv.clients_lock);
	struct client *cl = NULL;
	for (int i = 0; i < CTL_MAX_CLIENTS && !cl; i++)
		if (!srv.clients[i].used)
			cl = &srv.clients[i];
	if (cl) {
		struct timeval idle = { .tv_sec = srv.idle_s };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
		cl->used = true;
		cl->done = false;
		cl->fd = fd;
		if (pthread_create(&cl->thread, NULL, client_main, cl)) {
			cl->used = false;
			cl->fd = -1;
			cl = NULL;
			pthread_mutex_unlock(&srv.clients_lock);
			refuse(fd, EAGAIN, "pvmon cannot start a thread for this connection; try again");
			return;
		}
	}
	pthread_mutex_unlock(&srv.clients_lock);
	if (!cl)
		refuse(fd, EBUSY, "too many control connections at once; try again");
}

static void *listener_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&srv.stopping)) {
		struct pollfd p[2] = {
			{ .fd = srv.listen_fd, .events = POLLIN },
			{ .fd = srv.wake[0], .events = POLLIN },
		};
		if (poll(p, 2, -1) < 0) {
			if (errno != EINTR)
				usleep(100000);
			continue;
		}
		if (p[1].revents) {
			char junk[64];
			while (read(srv.wake[0], junk, sizeof(junk)) > 0)
				;
			reap_clients(false);
		}
		if ((p[0].revents & POLLIN) && !atomic_load(&srv.stopping))
			accept_one();
	}
	return NULL;
}

/* ---- start and stop ------------------------------------------------- */

static int mkdir_parents(const char *path)
{
	char dir[sizeof(srv.path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; ; p++) {
		if (*p && *p != '/')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
		*p = saved;
		if (!saved)
			return 0;
	}
}

/* A socket file already at path: refuse a live server, remove a stale one. */
static int clear_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) ? -errno : 0;
	close(fd);
	if (rc == 0)
		return -EADDRINUSE;
	if (rc != -ECONNREFUSED)
		return rc;
	return unlink(path) && errno != ENOENT ? -errno : 0;
}

static int open_listener(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int rc = mkdir_parents(path);
	if (!rc)
		rc = clear_stale(path, &sa);
	if (rc)
		return rc;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Listen under a temporary name, then rename: the socket appears at
	 * path only once it accepts, so a client that waits for the file never
	 * meets a refused connection. */
	struct sockaddr_un tmp = { .sun_family = AF_UNIX };
	int n = snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%d", path, (int)getpid());
	const struct sockaddr_un *at = n > 0 && (size_t)n < sizeof(tmp.sun_path) ? &tmp : &sa;
	unlink(tmp.sun_path);
	if (bind(fd, (const struct sockaddr *)at, sizeof(*at)) || chmod(at->sun_path, 0660) ||
	    listen(fd, CTL_MAX_CLIENTS) || (at == &tmp && rename(tmp.sun_path, path))) {
		rc = -errno;
		if (at == &tmp)
			unlink(tmp.sun_path);
		close(fd);
		return rc;
	}
	return fd;
}

int control_start(const char *sock_path, const struct control_ops *ops, void *ctx)
{
	if (srv.running)
		return -EBUSY;
	if (!sock_path || !*sock_path || !ops || !ops->create || !ops->list || !ops->destroy ||
	    !ops->pause || !ops->unpause || !ops->console_read || !ops->sched_bvt ||
	    !ops->sched_rr || !ops->sched_name)
		return -EINVAL;
	if (strlen(sock_path) >= sizeof(srv.path))
		return -ENAMETOOLONG;
	int fd = open_listener(sock_path);
	if (fd < 0)
		return fd;
	if (pipe2(srv.wake, O_CLOEXEC | O_NONBLOCK)) {
		int rc = -errno;
		close(fd);
		unlink(sock_path);
		return rc;
	}
	srv.ops = ops;
	srv.ctx = ctx;
	srv.listen_fd = fd;
	snprintf(srv.path, sizeof(srv.path), "%s", sock_path);
	atomic_store(&srv.stopping, false);
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		srv.clients[i] = (struct client){ .fd = -1 };

	/* The control threads take no asynchronous signals: SIGINT/SIGTERM
	 * are pvmon's main thread's, the vCPU signals the vCPU threads'. */
	sigset_t all, old;
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGABRT);
	sigdelset(&all, SIGTRAP);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = -pthread_create(&srv.thread, NULL, listener_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		close(fd);
		close(srv.wake[0]);
		close(srv.wake[1]);
		srv.listen_fd = srv.wake[0] = srv.wake[1] = -1;
		unlink(sock_path);
		return rc;
	}
	srv.running = true;
	return 0;
}

void control_stop(void)
{
	if (!srv.running)
		return;
	atomic_store(&srv.stopping, true);
	wake_listener('s');
	pthread_join(srv.thread, NULL);
	/* No new clients now; wake the ones blocked in recv, send or poll. */
	pthread_mutex_lock(&srv.clients_lock);
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (srv.clients[i].used)
			shutdown(srv.clients[i].fd, SHUT_RDWR);
	pthread_mutex_unlock(&srv.clients_lock);
	reap_clients(true);
	close(srv.listen_fd);
	unlink(srv.path);
	close(srv.wake[0]);
	close(srv.wake[1]);
	srv.listen_fd = srv.wake[0] = srv.wake[1] = -1;
	srv.running = false;
}
