/* The control socket's requests (docs/control-protocol.md): each answered
 * through the core's control_ops, with a list entry as one JSON object,
 * console history and follow streams, and one ERR line for anything bad.
 * The socket, its threads and the framing are control.c's. */
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
#include "control_conn.h"
#include "jsonquote.h"
#include "numparse.h"
#include "vfr.h"

/* ---- domains -------------------------------------------------------- */

/* Every domain, in a malloc'd array the caller frees. Count or -errno. */
static int list_all(struct ctl_domain_info **out)
{
	*out = NULL;
	for (int cap = 64; cap <= CTL_LIST_LIMIT; cap *= 2) {
		struct ctl_domain_info *v = calloc((size_t)cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		int n = ctl_srv.ops->list(ctl_srv.ctx, v, cap);
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
	if (ctl_srv.ops->info)
		return ctl_srv.ops->info(ctl_srv.ctx, id, out);
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

/* One `list` object, keys in the documented order. CTL_REPLY_MAX holds
 * the longest one (every number at its maximum, a name of escapes). */
static int reply_domain_json(struct conn *c, const struct ctl_domain_info *d)
{
	char name[8 * sizeof(d->name) + 3], state[8 * sizeof(d->state) + 3];
	jsonquote(name, sizeof(name), d->name, sizeof(d->name));
	jsonquote(state, sizeof(state), d->state, sizeof(d->state));
	const struct { const char *key; uint64_t v; } counters[] = {
#define CTL_COUNTER(NAME, key) { #key, d->key },
		PVMON_LIST_COUNTERS(CTL_COUNTER)
#undef CTL_COUNTER
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
		return ctl_reply_err(c, EOVERFLOW, "domain %u's list entry is longer than %d bytes",
		                 d->domid, CTL_REPLY_MAX);
	return ctl_reply(c, "%s}", line);
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
		return ctl_reply_err(c, ESRCH, "no domain '%s' (give a name or id from `pvctl list`)", arg);
	return ctl_reply_err(c, -rc, "cannot list domains: %s", strerror(-rc));
}

static int h_ping(struct conn *c, const struct request *r)
{
	(void)r;
	return ctl_reply(c, "OK pvmon-control %d", CTL_PROTOCOL_VERSION);
}

static int h_sched(struct conn *c, const struct request *r)
{
	(void)r;
	const char *n = ctl_srv.ops->sched_name(ctl_srv.ctx);
	return ctl_reply(c, "OK %s", n ? n : "unknown");
}

static int h_list(struct conn *c, const struct request *r)
{
	(void)r;
	struct ctl_domain_info *v;
	int n = list_all(&v);
	if (n < 0)
		return ctl_reply_err(c, -n, "cannot list domains: %s", strerror(-n));
	int rc = 0;
	for (int i = 0; i < n && !rc; i++)
		rc = reply_domain_json(c, &v[i]);
	free(v);
	return rc ? rc : ctl_reply(c, "OK %d", n);
}

static int h_create(struct conn *c, const struct request *r)
{
	const char *path = r->rest;
	if (path[0] != '/')
		return ctl_reply_err(c, EINVAL, "config path '%s' is not absolute (pvmon does not know your "
		                 "working directory)", path);
	char err[512] = "";
	int id = ctl_srv.ops->create(ctl_srv.ctx, path, err, sizeof(err));
	if (id < 0)
		return ctl_reply_err(c, -id, "%s", err[0] ? err : strerror(-id));
	struct ctl_domain_info d;
	char nb[33];
	if (domain_info((uint32_t)id, &d) == 0)
		return ctl_reply(c, "OK %d %s", id, dname(&d, nb));
	return ctl_reply(c, "OK %d", id);
}

static int domain_op(struct conn *c, const struct request *r, const char *verb,
                     int (*op)(void *, uint32_t))
{
	struct ctl_domain_info d;
	char nb[33];
	int rc = resolve(r->argv[1], &d);
	if (rc)
		return reply_resolve_err(c, rc, r->argv[1]);
	rc = op(ctl_srv.ctx, d.domid);
	if (rc >= 0)
		return ctl_reply(c, "OK %u %s", d.domid, dname(&d, nb));
	if (rc == -ESRCH) {
		/* The core says ESRCH both for a vanished domain and for one in the
		 * wrong state (pausing a paused or shut down domain). */
		if (domain_info(d.domid, &d) == 0)
			return ctl_reply_err(c, ESRCH, "cannot %s domain %s (%u): it is %.*s", verb,
			                 dname(&d, nb), d.domid, (int)sizeof(d.state), d.state);
		return ctl_reply_err(c, ESRCH, "cannot %s domain %s (%u): it is gone", verb, dname(&d, nb), d.domid);
	}
	return ctl_reply_err(c, -rc, "cannot %s domain %s (%u): %s", verb, dname(&d, nb), d.domid, strerror(-rc));
}

static int h_destroy(struct conn *c, const struct request *r) { return domain_op(c, r, "destroy", ctl_srv.ops->destroy); }
static int h_pause(struct conn *c, const struct request *r) { return domain_op(c, r, "pause", ctl_srv.ops->pause); }
static int h_unpause(struct conn *c, const struct request *r) { return domain_op(c, r, "unpause", ctl_srv.ops->unpause); }

/* Wait up to CTL_CONSOLE_POLL_MS for the client; input while streaming is
 * ignored. 0 go on, -1 the client closed or pvmon stops. */
static int console_wait(struct conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLRDHUP };
	int n = poll(&p, 1, CTL_CONSOLE_POLL_MS);
	if (atomic_load(&ctl_srv.stopping))
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
	return ctl_send_all(c->fd, out + 32 - h, (size_t)h + (size_t)n);
}

static bool have_dom_refs(void)
{
	return ctl_srv.ops->dom_get && ctl_srv.ops->dom_console_read && ctl_srv.ops->dom_put;
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
		long n = ctl_srv.ops->dom_console_read(ctl_srv.ctx, dom, &off, out + 32, CTL_CHUNK, &ended, &code, &crashed);
		if (n > CTL_CHUNK)
			return ctl_reply_err(c, EIO, "console read returned %ld bytes for a %d-byte buffer", n, CTL_CHUNK);
		if (n > 0) {
			if (send_chunk(c, out, n))
				return -1;
			continue;
		}
		if (n < 0)
			return ctl_reply_err(c, (int)-n, "cannot read the console: %s", strerror((int)-n));
		if (!follow)
			return ctl_reply(c, "OK history");
		if (ended)
			return ctl_reply(c, "OK %s %d", crashed ? "crashed" : "shutdown", code);
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
		long n = ctl_srv.ops->console_read(ctl_srv.ctx, d->domid, &off, out + 32, CTL_CHUNK);
		if (n > CTL_CHUNK)
			return ctl_reply_err(c, EIO, "console read returned %ld bytes for a %d-byte buffer", n, CTL_CHUNK);
		if (n > 0) {
			if (send_chunk(c, out, n))
				return -1;
			continue;
		}
		if (n == -ESRCH)
			return ctl_reply(c, follow ? "OK gone" : "OK history");
		if (n < 0)
			return ctl_reply_err(c, (int)-n, "cannot read the console: %s", strerror((int)-n));
		if (!follow)
			return ctl_reply(c, "OK history");
		if (ending)
			return ctl_reply(c, "OK %.*s %d", (int)sizeof(d->state), d->state, d->exit_code);
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
		return ctl_reply_err(c, EINVAL, "console mode '%s' is neither follow nor history", r->argv[2]);
	struct ctl_domain_info d;
	int rc = resolve(r->argv[1], &d);
	if (rc)
		return reply_resolve_err(c, rc, r->argv[1]);
	if (!have_dom_refs())
		return console_by_id(c, &d, follow);
	void *dom = ctl_srv.ops->dom_get(ctl_srv.ctx, d.domid);
	if (!dom)
		return reply_resolve_err(c, -ESRCH, r->argv[1]);
	rc = console_held(c, dom, follow);
	ctl_srv.ops->dom_put(ctl_srv.ctx, dom);
	return rc;
}

static int need_sched(struct conn *c, const char *want, const char *request)
{
	const char *cur = ctl_srv.ops->sched_name(ctl_srv.ctx);
	if (cur && !strcmp(cur, want))
		return 0;
	ctl_reply_err(c, EINVAL, "%s needs the %s scheduler but pvmon runs %s (start it with --sched %s)",
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
			return ctl_reply_err(c, EINVAL, "sched-bvt: '%s' is not weight=N, warp=NS, warpl=NS or warpu=NS",
			                 r->argv[i]);
		if (num_i64(eq + 1, 0, INT64_MAX, fields[k]))
			return ctl_reply_err(c, EINVAL, "sched-bvt: %s '%s' is not a non-negative integer", keys[k], eq + 1);
	}
	if (p.weight == -1 && p.warp_ns == -1 && p.warpl_ns == -1 && p.warpu_ns == -1)
		return ctl_reply_err(c, EINVAL, "sched-bvt: give at least one of weight=N, warp=NS, warpl=NS, warpu=NS");
	if (need_sched(c, "bvt", "sched-bvt"))
		return 0;
	struct ctl_domain_info d;
	char nb[33];
	int rc = resolve(r->argv[1], &d);
	if (rc)
		return reply_resolve_err(c, rc, r->argv[1]);
	rc = ctl_srv.ops->sched_bvt(ctl_srv.ctx, d.domid, &p);
	if (rc >= 0)
		return ctl_reply(c, "OK %u %s", d.domid, dname(&d, nb));
	if (rc == -EINVAL)   /* the limits of sched_bvt.c */
		return ctl_reply_err(c, EINVAL, "cannot set BVT parameters of domain %s (%u): weight must be "
		                 "1..10000, warp times >= 0 ns", dname(&d, nb), d.domid);
	return ctl_reply_err(c, -rc, "cannot set BVT parameters of domain %s (%u): %s",
	                 dname(&d, nb), d.domid, strerror(-rc));
}

static int h_sched_rr(struct conn *c, const struct request *r)
{
	int64_t slice;
	if (num_i64(r->argv[1], 1, INT64_MAX, &slice))
		return ctl_reply_err(c, EINVAL, "sched-rr: slice '%s' is not a positive number of ns", r->argv[1]);
	if (need_sched(c, "rr", "sched-rr"))
		return 0;
	int rc = ctl_srv.ops->sched_rr(ctl_srv.ctx, slice);
	if (rc >= 0)
		return ctl_reply(c, "OK");
	if (rc == -ERANGE)   /* the limits of pvmon's ctl_sched_rr */
		return ctl_reply_err(c, ERANGE, "cannot set the round-robin slice to %lld ns: it must be "
		                 "100000..1000000000 ns", (long long)slice);
	return ctl_reply_err(c, -rc, "cannot set the round-robin slice: %s", strerror(-rc));
}

/* input DOMAIN TEXT: the rest of the line and a newline, to the guest. */
static int h_input(struct conn *c, const struct request *r)
{
	if (!ctl_srv.ops->console_input)
		return ctl_reply_err(c, ENOSYS, "this pvmon takes no console input");
	struct ctl_domain_info d;
	char nb[33], text[CTL_MAX_LINE + 1];
	int rc = resolve(r->argv[1], &d);
	if (rc)
		return reply_resolve_err(c, rc, r->argv[1]);
	const char *t = r->rest;
	t += strcspn(t, " \t");
	t += strspn(t, " \t");
	size_t n = (size_t)snprintf(text, sizeof(text), "%s\n", t);
	long got = ctl_srv.ops->console_input(ctl_srv.ctx, d.domid, text, n);
	if (got < 0)
		return ctl_reply_err(c, (int)-got, "cannot send input to domain %s (%u): %s", dname(&d, nb), d.domid,
		                 got == -ESRCH ? "it has ended" : strerror((int)-got));
	if ((size_t)got < n)
		return ctl_reply_err(c, ENOSPC, "domain %s (%u) took %ld of %zu bytes: its input buffer is full",
		                 dname(&d, nb), d.domid, got, n);
	return ctl_reply(c, "OK %ld", got);
}

static int h_mem_set(struct conn *c, const struct request *r)
{
	struct ctl_domain_info d;
	char nb[33];
	int rc = resolve(r->argv[1], &d);
	if (rc)
		return reply_resolve_err(c, rc, r->argv[1]);
	if (!ctl_srv.ops->mem_set)
		return ctl_reply_err(c, ENOSYS, "this pvmon has no balloon");
	uint64_t mib;
	if (num_u64(r->argv[2], 1, UINT64_MAX, &mib))
		return ctl_reply_err(c, EINVAL, "mem-set: '%s' is not a size in MiB", r->argv[2]);
	rc = ctl_srv.ops->mem_set(ctl_srv.ctx, d.domid, mib);
	if (rc == -EINVAL)
		return ctl_reply_err(c, EINVAL, "domain %s (%u) can hold 1..%llu MiB, not %llu", dname(&d, nb), d.domid,
		                 (unsigned long long)d.mem_mib, (unsigned long long)mib);
	if (rc == -EOPNOTSUPP)
		return ctl_reply_err(c, EOPNOTSUPP, "domain %s (%u) is a Linux PV domain: its balloon takes its target from "
		                     "xenstore (memory/target), and this pvmon serves none (--xenstore off)", dname(&d, nb), d.domid);
	if (rc)
		return ctl_reply_err(c, -rc, "cannot resize domain %s (%u): %s", dname(&d, nb), d.domid, strerror(-rc));
	return ctl_reply(c, "OK %u %s", d.domid, dname(&d, nb));
}

/* block-attach DOMAIN SPEC, block-detach DOMAIN NAME [force] and the
 * same for network: the kind is the word before the dash. */
static int h_dev(struct conn *c, const struct request *r)
{
	struct ctl_domain_info d;
	char nb[33], kind[16], err[256] = "";
	int rc = resolve(r->argv[1], &d);
	if (rc)
		return reply_resolve_err(c, rc, r->argv[1]);
	snprintf(kind, sizeof(kind), "%.*s", (int)strcspn(r->argv[0], "-"), r->argv[0]);
	bool attach = strstr(r->argv[0], "-attach") != NULL;
	if (attach ? !ctl_srv.ops->dev_attach : !ctl_srv.ops->dev_detach)
		return ctl_reply_err(c, ENOSYS, "this pvmon cannot hot-plug devices");
	bool force = false;
	if (!attach && r->argc > 3) {
		if (strcmp(r->argv[3], "force"))
			return ctl_reply_err(c, EINVAL, "%s: '%s' is not force", r->argv[0], r->argv[3]);
		force = true;
	}
	rc = attach ? ctl_srv.ops->dev_attach(ctl_srv.ctx, d.domid, kind, r->argv[2], err, sizeof(err))
	            : ctl_srv.ops->dev_detach(ctl_srv.ctx, d.domid, kind, r->argv[2], force, err, sizeof(err));
	if (rc < 0)
		return ctl_reply_err(c, -rc, "%s", err[0] ? err : strerror(-rc));
	if (attach && !strcmp(kind, "network"))
		return ctl_reply(c, "OK %u %s vif %d", d.domid, dname(&d, nb), rc);
	return ctl_reply(c, "OK %u %s %s", d.domid, dname(&d, nb), r->argv[2]);
}

/* ---- the VFR's rules (vfr.h) ---------------------------------------- */

static int h_vfr_add(struct conn *c, const struct request *r)
{
	struct vfr_rule rule;
	char err[320];
	if (vfr_parse(r->rest, &rule, err, sizeof(err)))
		return ctl_reply_err(c, EINVAL, "%s", err);
	int id = vfr_add(&rule);
	if (id < 0)
		return ctl_reply_err(c, ENOSPC, "vfr: %d rules already (delete one first)", VFR_MAX_RULES);
	return ctl_reply(c, "OK %d", id);
}

static int h_vfr_list(struct conn *c, const struct request *r)
{
	(void)r;
	struct vfr_entry e[VFR_MAX_RULES];
	int n = vfr_list(e, VFR_MAX_RULES);
	for (int i = 0; i < n; i++) {
		char text[VFR_TEXT_MAX];
		vfr_format(&e[i].rule, text, sizeof(text));
		if (ctl_reply(c, "D %u %llu %s", e[i].id, (unsigned long long)e[i].packets, text))
			return -1;
	}
	return ctl_reply(c, "OK %d", n);
}

static int h_vfr_del(struct conn *c, const struct request *r)
{
	uint64_t id;
	if (num_u64(r->argv[1], 1, UINT32_MAX, &id))
		return ctl_reply_err(c, EINVAL, "vfr-del: '%s' is not a rule id", r->argv[1]);
	if (vfr_del((unsigned)id))
		return ctl_reply_err(c, ENOENT, "vfr-del: no rule %llu (see vfr-list)", (unsigned long long)id);
	return ctl_reply(c, "OK");
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
	{ "block-attach", 2, 2, h_dev,    "block-attach DOMAIN file:PATH,xvdX,w|r" },
	{ "block-detach", 2, 3, h_dev,    "block-detach DOMAIN xvdX [force]" },
	{ "network-attach", 2, 2, h_dev,  "network-attach DOMAIN mac=..,ip=..,rate=.." },
	{ "network-detach", 2, 3, h_dev,  "network-detach DOMAIN VIF_NUMBER [force]" },
	{ "vfr-add",   1, -1, h_vfr_add,  "vfr-add ACTION [PROTO] [from CIDR] [to CIDR] [sport P[-Q]] [dport P[-Q]]" },
	{ "vfr-list",  0, 0, h_vfr_list,  "vfr-list" },
	{ "vfr-del",   1, 1, h_vfr_del,   "vfr-del ID" },
};

static int h_help(struct conn *c, const struct request *r)
{
	(void)r;
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (ctl_reply(c, "D %s", handlers[i].usage))
			return -1;
	return ctl_reply(c, "OK");
}

/* Answer one request line. 0: read the next one; <0: close the connection. */
int ctl_serve(struct conn *c, char *line, size_t len)
{
	/* NUL included: it would hide the rest of the line. */
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f)
			return ctl_reply_err(c, EINVAL, "request contains control byte 0x%02x", (unsigned char)line[i]);
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
		return ctl_reply_err(c, EINVAL, "empty request (try help)");
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
		const struct handler *h = &handlers[i];
		if (strcmp(h->name, r.argv[0]))
			continue;
		if (r.argc - 1 < h->min_args || (h->max_args >= 0 && (r.too_many || r.argc - 1 > h->max_args)))
			return ctl_reply_err(c, EINVAL, "usage: %s", h->usage);
		return h->fn(c, &r);
	}
	char name[64];
	snprintf(name, sizeof(name), "%s", r.argv[0]);
	return ctl_reply_err(c, EINVAL, "unknown request '%s' (try help)", name);
}

