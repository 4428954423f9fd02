/* Unit test of control.c: the server on a temporary socket, with fake
 * operations over two in-memory domains (alpha id 1, beta id 7), driven
 * by real socket requests. The fake behaves as pvmon's core does: a domain
 * that ends writes a last line and leaves the table at once; references
 * (dom_get) keep its record readable. Modes used by other tests:
 *   --serve PATH   serve the fake domains at PATH until stdin closes
 *                  (tests/integration/pvctl_cli.sh runs pvctl against it)
 *   --serve PATH --live   the same, with counters that advance with the
 *                  clock at the rates of live_rates[] (pvtop_cli.sh) */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../../hypervisor/src/control.h"
#include "../../hypervisor/src/vfr.h"
#include "check.h"

/* ---- fake pvmon --------------------------------------------------------- */

struct fake_dom {
	bool present;                /* in the domain table */
	int refs;                    /* dom_get references held */
	struct ctl_domain_info info;
	char console[4096];
	size_t con_len;
	struct ctl_bvt bvt;
};

static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;   /* guards fake */
static struct {
	struct fake_dom d[3];
	const char *sched;
	int64_t rr_slice;
	bool linger;                 /* ended domains stay in the table */
	bool live;                   /* counters advance with the clock */
	uint64_t t0;                 /* live: the clock when the fake started */
} fake;

/* --live: per domain slot, the shares of time running, waiting and
 * blocked (%, over all vCPUs) and the counts per second that pvtop must
 * show (tests/integration/pvtop_cli.sh). */
static const struct live_rate {
	uint64_t run, wait, blocked;                     /* % */
	uint64_t hcalls, events, upcalls, tlb, flips;     /* per s */
	uint64_t kexits, emul, io, halt, mmio;            /* per s */
	uint64_t vmexits, ptwr, bounces;                  /* per s */
} live_rates[3] = {
	{ 50, 10, 40, 1000, 100, 250, 5, 2, 2000, 1000, 30, 50, 1, 3000, 400, 600 },   /* alpha */
	{ 0, 0, 100, 100, 0, 100, 0, 0, 300, 100, 0, 0, 0, 0, 0, 0 },        /* beta */
	{ 150, 0, 50, 4000, 20, 500, 0, 0, 8000, 4000, 0, 0, 0, 0, 0, 0 },   /* gamma: 2 vCPUs */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Slot i's counters at the clock's now, on top of its base values.
 * Caller holds fake_lock. */
static void fake_live_locked(int i, struct ctl_domain_info *out, uint64_t now)
{
	const struct live_rate *r = &live_rates[i];
	uint64_t t = now - fake.t0;
	out->time_ns = now;
	out->run_ns += t * r->run / 100;
	out->wait_ns += t * r->wait / 100;
	out->blocked_ns += t * r->blocked / 100;
	uint64_t *c[] = { &out->hypercalls, &out->events, &out->upcalls, &out->tlb_flushes,
	                  &out->page_flips, &out->kvm_exits, &out->kvm_insn_emulation,
	                  &out->kvm_io_exits, &out->kvm_halt_exits, &out->kvm_mmio_exits, &out->vm_exits,
	                  &out->pt_writes, &out->bounces };
	const uint64_t per_s[] = { r->hcalls, r->events, r->upcalls, r->tlb, r->flips, r->kexits,
	                           r->emul, r->io, r->halt, r->mmio, r->vmexits, r->ptwr, r->bounces };
	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++)
		*c[k] += t * per_s[k] / 1000000000u;
}

static void fake_reset(void)
{
	pthread_mutex_lock(&fake_lock);
	memset(&fake, 0, sizeof(fake));
	static const struct { uint32_t id; const char *name; const char *con; } init[] = {
		{ 1, "alpha", "hello from alpha\n" }, { 7, "beta", "beta boots\n" },
	};
	for (int i = 0; i < 2; i++) {
		struct fake_dom *f = &fake.d[i];
		f->present = true;
		f->info.domid = init[i].id;
		snprintf(f->info.name, sizeof(f->info.name), "%s", init[i].name);
		snprintf(f->info.state, sizeof(f->info.state), "running");
		f->info.vcpus = (uint32_t)i + 1;
		f->info.mem_mib = 16 << i;
		f->info.weight = 100;
		f->info.run_ns = 1500000000ULL * (unsigned)(i + 1);
		f->info.upcalls = 11u * (unsigned)(i + 1);
		f->info.kvm_exits = 1000u * (unsigned)(i + 1);
		f->info.kvm_insn_emulation = 400;
		f->info.kvm_io_exits = 300;
		f->info.kvm_halt_exits = 20;
		f->info.kvm_mmio_exits = 2;
		f->info.tlb_flushes = 5;
		f->info.page_flips = 6;
		f->info.time_ns = 4000000000ULL;
		f->info.created_ns = 2000000000ULL;
		f->info.hypercalls = 3000u * (unsigned)(i + 1);
		f->info.vm_exits = 5000u * (unsigned)(i + 1);
		f->con_len = (size_t)snprintf(f->console, sizeof(f->console), "%s", init[i].con);
		f->bvt = (struct ctl_bvt){ -1, -1, -1, -1 };
	}
	fake.sched = "bvt";
	pthread_mutex_unlock(&fake_lock);
}

static struct fake_dom *fake_find(uint32_t id)
{
	for (int i = 0; i < 3; i++)
		if (fake.d[i].present && fake.d[i].info.domid == id)
			return &fake.d[i];
	return NULL;
}

static int f_create(void *ctx, const char *path, char *err, size_t errlen)
{
	(void)ctx;
	if (strstr(path, "bad")) {
		/* A newline in the message: the reply must stay one line. */
		snprintf(err, errlen, "%s:3: unknown key 'colour'\nsecond line", path);
		return -EINVAL;
	}
	pthread_mutex_lock(&fake_lock);
	struct fake_dom *f = &fake.d[2];
	int rc = f->present ? -EEXIST : 9;
	if (rc > 0) {
		memset(f, 0, sizeof(*f));
		f->present = true;
		f->info.domid = 9;
		snprintf(f->info.name, sizeof(f->info.name), "gamma");
		snprintf(f->info.state, sizeof(f->info.state), "running");
		f->info.vcpus = 2;
	} else {
		snprintf(err, errlen, "a domain named 'gamma' exists already");
	}
	pthread_mutex_unlock(&fake_lock);
	return rc;
}

static int f_list(void *ctx, struct ctl_domain_info *out, int max)
{
	(void)ctx;
	int n = 0;
	pthread_mutex_lock(&fake_lock);
	uint64_t now = mono_ns();
	for (int i = 0; i < 3 && n < max; i++) {
		if (!fake.d[i].present)
			continue;
		out[n] = fake.d[i].info;
		if (fake.live)
			fake_live_locked(i, &out[n], now);
		n++;
	}
	pthread_mutex_unlock(&fake_lock);
	return n;
}

static int set_state(uint32_t id, const char *from, const char *to, int32_t code)
{
	pthread_mutex_lock(&fake_lock);
	struct fake_dom *f = fake_find(id);
	int rc = -ESRCH;
	if (f && (!from || !strcmp(f->info.state, from))) {
		snprintf(f->info.state, sizeof(f->info.state), "%s", to);
		f->info.exit_code = code;
		rc = 0;
	}
	pthread_mutex_unlock(&fake_lock);
	return rc;
}

/* The domain ends: a last line in its console, then it leaves the table
 * (unless fake.linger). Caller holds fake_lock. */
static void fake_end_locked(struct fake_dom *f, const char *state, int32_t code, const char *last)
{
	size_t n = strlen(last);
	if (f->con_len + n <= sizeof(f->console)) {
		memcpy(f->console + f->con_len, last, n);
		f->con_len += n;
	}
	snprintf(f->info.state, sizeof(f->info.state), "%s", state);
	f->info.exit_code = code;
	if (!fake.linger)
		f->present = false;
}

static void fake_end(uint32_t id, const char *state, int32_t code, const char *last)
{
	pthread_mutex_lock(&fake_lock);
	struct fake_dom *f = fake_find(id);
	if (f)
		fake_end_locked(f, state, code, last);
	pthread_mutex_unlock(&fake_lock);
}

static int f_destroy(void *ctx, uint32_t id)
{
	(void)ctx;
	pthread_mutex_lock(&fake_lock);
	struct fake_dom *f = fake_find(id);
	if (f) {
		char last[64];
		snprintf(last, sizeof(last), "bye from %s\n", f->info.name);
		fake_end_locked(f, "shutdown", 137, last);
	}
	pthread_mutex_unlock(&fake_lock);
	return f ? 0 : -ESRCH;
}
static int f_pause(void *ctx, uint32_t id) { (void)ctx; return set_state(id, "running", "paused", 0); }
static int f_unpause(void *ctx, uint32_t id) { (void)ctx; return set_state(id, "paused", "running", 0); }

/* Caller holds fake_lock. Small pieces, to exercise several chunks. */
static long fake_read_locked(struct fake_dom *f, uint64_t *off, char *buf, size_t len)
{
	size_t have = *off < f->con_len ? f->con_len - (size_t)*off : 0;
	size_t take = have < len ? have : len;
	take = take < 7 ? take : 7;
	memcpy(buf, f->console + *off, take);
	*off += take;
	return (long)take;
}

static long f_console_read(void *ctx, uint32_t id, uint64_t *off, char *buf, size_t len)
{
	(void)ctx;
	pthread_mutex_lock(&fake_lock);
	struct fake_dom *f = fake_find(id);
	long n = f ? fake_read_locked(f, off, buf, len) : -ESRCH;
	pthread_mutex_unlock(&fake_lock);
	return n;
}

static void *f_dom_get(void *ctx, uint32_t id)
{
	(void)ctx;
	pthread_mutex_lock(&fake_lock);
	struct fake_dom *f = fake_find(id);
	if (f)
		f->refs++;
	pthread_mutex_unlock(&fake_lock);
	return f;
}

static long f_dom_console_read(void *ctx, void *dom, uint64_t *off, char *buf, size_t len,
                               bool *ended, int32_t *code, bool *crashed)
{
	(void)ctx;
	struct fake_dom *f = dom;
	pthread_mutex_lock(&fake_lock);
	*ended = !f->present;
	*code = f->info.exit_code;
	*crashed = !strcmp(f->info.state, "crashed");
	long n = fake_read_locked(f, off, buf, len);
	pthread_mutex_unlock(&fake_lock);
	return n;
}

static void f_dom_put(void *ctx, void *dom)
{
	(void)ctx;
	struct fake_dom *f = dom;
	pthread_mutex_lock(&fake_lock);
	f->refs--;
	pthread_mutex_unlock(&fake_lock);
}

static int fake_refs(void)
{
	pthread_mutex_lock(&fake_lock);
	int n = fake.d[0].refs + fake.d[1].refs + fake.d[2].refs;
	pthread_mutex_unlock(&fake_lock);
	return n;
}

static int f_sched_bvt(void *ctx, uint32_t id, const struct ctl_bvt *p)
{
	(void)ctx;
	if (p->weight != -1 && (p->weight < 1 || p->weight > 10000))
		return -EINVAL;
	pthread_mutex_lock(&fake_lock);
	struct fake_dom *f = fake_find(id);
	if (f)
		f->bvt = *p;
	pthread_mutex_unlock(&fake_lock);
	return f ? 0 : -ESRCH;
}

static int f_sched_rr(void *ctx, int64_t slice)
{
	(void)ctx;
	if (slice < 100000 || slice > 1000000000)
		return -ERANGE;
	pthread_mutex_lock(&fake_lock);
	fake.rr_slice = slice;
	pthread_mutex_unlock(&fake_lock);
	return 0;
}

static const char *f_sched_name(void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&fake_lock);
	const char *s = fake.sched;
	pthread_mutex_unlock(&fake_lock);
	return s;
}

/* As pvmon wires them: console streams hold their domain. */
static const struct control_ops fake_ops = {
	.create = f_create, .list = f_list, .destroy = f_destroy, .pause = f_pause,
	.unpause = f_unpause, .console_read = f_console_read, .sched_bvt = f_sched_bvt,
	.sched_rr = f_sched_rr, .sched_name = f_sched_name,
	.dom_get = f_dom_get, .dom_console_read = f_dom_console_read, .dom_put = f_dom_put,
};

/* Only the required ops: console streams read by domid. */
static const struct control_ops fake_ops_by_id = {
	.create = f_create, .list = f_list, .destroy = f_destroy, .pause = f_pause,
	.unpause = f_unpause, .console_read = f_console_read, .sched_bvt = f_sched_bvt,
	.sched_rr = f_sched_rr, .sched_name = f_sched_name,
};

static void fake_console_append(uint32_t id, const char *s)
{
	pthread_mutex_lock(&fake_lock);
	struct fake_dom *f = fake_find(id);
	size_t n = strlen(s);
	if (f && f->con_len + n <= sizeof(f->console)) {
		memcpy(f->console + f->con_len, s, n);
		f->con_len += n;
	}
	pthread_mutex_unlock(&fake_lock);
}

/* ---- a client ---------------------------------------------------------- */

static char sock[108];

static int dial(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("connect");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static bool send_raw(int fd, const void *buf, size_t len)
{
	return send(fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len;
}

/* One reply: D lines (each newline-ended), console bytes, terminator. */
struct reply {
	char data[8192];
	size_t data_len;
	char console[8192];
	size_t con_len;
	char term[1100];
	int nd;
};

struct reader {
	int fd;
	size_t len;
	char buf[16384];
};

static int rd_fill(struct reader *r)
{
	if (r->len == sizeof(r->buf))
		return -1;
	ssize_t n = recv(r->fd, r->buf + r->len, sizeof(r->buf) - r->len, 0);
	if (n <= 0)
		return -1;
	r->len += (size_t)n;
	return 0;
}

static void rd_consume(struct reader *r, size_t n)
{
	memmove(r->buf, r->buf + n, r->len - n);
	r->len -= n;
}

/* Read one full reply; 0 ok, -1 the stream ended or broke first. */
static int read_reply(struct reader *r, struct reply *out)
{
	memset(out, 0, sizeof(*out));
	for (;;) {
		char *nl = memchr(r->buf, '\n', r->len);
		if (!nl) {
			if (rd_fill(r))
				return -1;
			continue;
		}
		size_t ll = (size_t)(nl - r->buf);
		if (!strncmp(r->buf, "C ", 2)) {
			size_t n = strtoul(r->buf + 2, NULL, 10);
			while (r->len < ll + 1 + n)
				if (rd_fill(r))
					return -1;
			if (out->con_len + n < sizeof(out->console)) {
				memcpy(out->console + out->con_len, r->buf + ll + 1, n);
				out->con_len += n;
			}
			rd_consume(r, ll + 1 + n);
			continue;
		}
		if (!strncmp(r->buf, "D ", 2)) {
			if (out->data_len + ll < sizeof(out->data)) {
				memcpy(out->data + out->data_len, r->buf + 2, ll - 2);
				out->data_len += ll - 2;
				out->data[out->data_len++] = '\n';
			}
			out->nd++;
			rd_consume(r, ll + 1);
			continue;
		}
		size_t tl = ll < sizeof(out->term) - 1 ? ll : sizeof(out->term) - 1;
		memcpy(out->term, r->buf, tl);
		rd_consume(r, ll + 1);
		return 0;
	}
}

/* A request on a fresh connection; the terminator goes to out->term
 * ("(none)" if the server closed first). */
static void ask(const char *req, struct reply *out)
{
	memset(out, 0, sizeof(*out));
	struct reader *r = calloc(1, sizeof(*r));
	r->fd = dial();
	char line[8192];
	int n = snprintf(line, sizeof(line), "%s\n", req);
	if (r->fd < 0 || !send_raw(r->fd, line, (size_t)n) || read_reply(r, out))
		snprintf(out->term, sizeof(out->term), "(none)");
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

#define CHECK_PREFIX(s, p) do { const char *_s = (s); check_count++; if (!starts(_s, p)) { \
	check_failures++; fprintf(stderr, "%s:%d: \"%s\" does not start with \"%s\"\n", \
	__FILE__, __LINE__, _s, p); } } while (0)

static const char *fake_state(uint32_t id, char *buf)
{
	pthread_mutex_lock(&fake_lock);
	struct fake_dom *f = fake_find(id);
	snprintf(buf, 16, "%s", f ? f->info.state : "(none)");
	pthread_mutex_unlock(&fake_lock);
	return buf;
}

/* ---- the tests --------------------------------------------------------- */

/* The names in list's JSON objects, in order, space-separated. */
static void json_names(const char *data, char *out, size_t cap)
{
	out[0] = '\0';
	for (const char *p = data; (p = strstr(p, "\"name\":\"")); ) {
		p += 8;
		size_t n = strcspn(p, "\"");
		size_t o = strlen(out);
		snprintf(out + o, cap - o, "%s%.*s", o ? " " : "", (int)n, p);
		p += n;
	}
}

static void test_default_socket(void)
{
	unsetenv("PVLAB_SOCKET");
	CHECK_STR(control_default_socket(), "/run/pvlab/pvmon.sock");
	setenv("PVLAB_SOCKET", "", 1);
	CHECK_STR(control_default_socket(), "/run/pvlab/pvmon.sock");
	setenv("PVLAB_SOCKET", "/tmp/x.sock", 1);
	CHECK_STR(control_default_socket(), "/tmp/x.sock");
	unsetenv("PVLAB_SOCKET");
}

static void test_basic(void)
{
	struct reply r;
	ask("ping", &r);
	CHECK_STR(r.term, "OK pvmon-control 1");
	ask("sched", &r);
	CHECK_STR(r.term, "OK bvt");
	ask("help", &r);
	CHECK_STR(r.term, "OK");
	CHECK(r.nd >= 10 && strstr(r.data, "console DOMAIN"));
}

static void test_list(void)
{
	struct reply r;
	char names[256];
	ask("list", &r);
	CHECK_STR(r.term, "OK 2");
	CHECK_EQ(r.nd, 2);
	json_names(r.data, names, sizeof(names));
	CHECK_STR(names, "alpha beta");
	/* Every line one JSON object with the fields pvctl reads. */
	for (const char *p = r.data; *p; p = strchr(p, '\n') + 1) {
		CHECK(p[0] == '{' && strchr(p, '\n')[-1] == '}');
		/* In the documented order: new keys only ever go at the end. */
		const char *prev = p;
		for (const char *k = "domid\0name\0state\0vcpus\0mem_mib\0weight\0exit_code\0run_ns\0wait_ns\0"
		     "blocked_ns\0hypercalls\0events\0vm_exits\0upcalls\0kvm_exits\0kvm_insn_emulation\0"
		     "kvm_io_exits\0kvm_halt_exits\0kvm_mmio_exits\0tlb_flushes\0page_flips\0time_ns\0"
		     "mmu_updates\0mem_kib\0mem_target_kib\0pt_writes\0stub_exits\0emulated\0bounces\0created_ns\0blk_requests\0blk_bytes\0"
		     "net_tx_packets\0net_tx_bytes\0net_rx_packets\0net_rx_bytes\0net_tx_kicks\0net_rx_events\0"
		     "net_deferred\0blk_batches\0blk_events\0blk_kicks\0";
		     *k; k += strlen(k) + 1) {
			char key[32];
			snprintf(key, sizeof(key), "\"%s\":", k);
			const char *at = strstr(p, key);
			CHECK(at && at >= prev && at < strchr(p, '\n'));
			prev = at ? at : prev;
		}
	}
	CHECK(strstr(r.data, "\"domid\":7,\"name\":\"beta\",\"state\":\"running\",\"vcpus\":2,\"mem_mib\":32"));
	CHECK(strstr(r.data, "\"run_ns\":3000000000"));
	CHECK(strstr(r.data, "\"vm_exits\":10000,\"upcalls\":22,\"kvm_exits\":2000,\"kvm_insn_emulation\":400,"
	             "\"kvm_io_exits\":300,\"kvm_halt_exits\":20,\"kvm_mmio_exits\":2,\"tlb_flushes\":5,"
	             "\"page_flips\":6,\"time_ns\":4000000000,"));
}

/* The longest list object there can be (every number at its maximum, a
 * name and state of bytes that each need an escape) still goes out whole. */
static void test_list_longest(void)
{
	pthread_mutex_lock(&fake_lock);
	struct ctl_domain_info saved = fake.d[0].info, *d = &fake.d[0].info;
	memset(d, 0xff, sizeof(*d));
	memset(d->name, 0x01, sizeof(d->name));
	memset(d->state, 0x02, sizeof(d->state));
	d->exit_code = INT32_MIN;
	pthread_mutex_unlock(&fake_lock);
	struct reply r;
	ask("list", &r);
	CHECK_STR(r.term, "OK 2");
	const char *end = strchr(r.data, '\n');
	CHECK(end && end[-1] == '}' && end - r.data > 800);
	const char *last = "\"blk_kicks\":18446744073709551615}\n";
	CHECK(end && strstr(r.data, last) == end + 1 - strlen(last));
	CHECK(strstr(r.data, "\"name\":\"\\u0001\\u0001"));
	CHECK(strstr(r.data, "\"exit_code\":-2147483648,"));
	pthread_mutex_lock(&fake_lock);
	*d = saved;
	pthread_mutex_unlock(&fake_lock);
}

static void test_domain_ops(void)
{
	struct reply r;
	char st[16];
	ask("pause alpha", &r);
	CHECK_STR(r.term, "OK 1 alpha");
	CHECK_STR(fake_state(1, st), "paused");
	ask("pause 1", &r);
	CHECK_PREFIX(r.term, "ERR ESRCH cannot pause domain alpha (1): it is paused");
	ask("unpause 1", &r);
	CHECK_STR(r.term, "OK 1 alpha");
	CHECK_STR(fake_state(1, st), "running");
	ask("pause 7", &r);
	CHECK_STR(r.term, "OK 7 beta");
	ask("unpause beta", &r);
	CHECK_STR(r.term, "OK 7 beta");
	CHECK_STR(fake_state(7, st), "running");

	ask("pause nosuch", &r);
	CHECK_PREFIX(r.term, "ERR ESRCH no domain 'nosuch'");
	ask("destroy 3", &r);
	CHECK_PREFIX(r.term, "ERR ESRCH no domain '3'");
	ask("unpause 99999999999999999999", &r);
	CHECK_PREFIX(r.term, "ERR ESRCH no domain");
	ask("pause", &r);
	CHECK_STR(r.term, "ERR EINVAL usage: pause DOMAIN");
	ask("pause alpha beta", &r);
	CHECK_STR(r.term, "ERR EINVAL usage: pause DOMAIN");
	CHECK_STR(fake_state(1, st), "running");
}

/* The VFR's requests: rules added in order with ids, listed as they read
 * back, deleted; bad rules and ids refused in one ERR line. */
static void test_vfr(void)
{
	struct reply r;
	vfr_clear();
	ask("vfr-list", &r);
	CHECK_STR(r.term, "OK 0");
	ask("vfr-add drop icmp", &r);
	CHECK_PREFIX(r.term, "OK ");
	unsigned a = (unsigned)atoi(r.term + 3);
	ask("vfr-add accept  tcp from 10.1.2.3/8 dport 80-90", &r);
	unsigned b = (unsigned)atoi(r.term + 3);
	CHECK(a > 0 && b == a + 1);
	ask("vfr-list", &r);
	CHECK_STR(r.term, "OK 2");
	CHECK_EQ(r.nd, 2);
	char want[200];
	snprintf(want, sizeof(want), "%u 0 drop icmp\n%u 0 accept tcp from 10.0.0.0/8 dport 80-90\n", a, b);
	CHECK_STR(r.data, want);
	ask("vfr-add drop icmp dport 1", &r);
	CHECK_STR(r.term, "ERR EINVAL vfr rule 'drop icmp dport 1': ports are for tcp or udp");
	ask("vfr-add", &r);
	CHECK_PREFIX(r.term, "ERR EINVAL usage: vfr-add ");
	snprintf(want, sizeof(want), "vfr-del %u", a);
	ask(want, &r);
	CHECK_STR(r.term, "OK");
	ask(want, &r);
	CHECK_PREFIX(r.term, "ERR ENOENT vfr-del: no rule");
	ask("vfr-del x", &r);
	CHECK_STR(r.term, "ERR EINVAL vfr-del: 'x' is not a rule id");
	ask("vfr-list", &r);
	CHECK_STR(r.term, "OK 1");
	vfr_clear();
}

static void test_sched(void)
{
	struct reply r;
	ask("sched-bvt alpha weight=200 warp=1000", &r);
	CHECK_STR(r.term, "OK 1 alpha");
	pthread_mutex_lock(&fake_lock);
	struct ctl_bvt b = fake_find(1)->bvt;
	pthread_mutex_unlock(&fake_lock);
	CHECK_EQ(b.weight, 200);
	CHECK_EQ(b.warp_ns, 1000);
	CHECK_EQ(b.warpl_ns, -1);
	CHECK_EQ(b.warpu_ns, -1);
	ask("sched-bvt 7 warpl=5 warpu=6", &r);
	CHECK_STR(r.term, "OK 7 beta");
	ask("sched-bvt alpha", &r);
	CHECK_PREFIX(r.term, "ERR EINVAL usage: sched-bvt DOMAIN");
	ask("sched-bvt alpha weight=abc", &r);
	CHECK_PREFIX(r.term, "ERR EINVAL sched-bvt: weight 'abc' is not");
	ask("sched-bvt alpha weight=-5", &r);
	CHECK_PREFIX(r.term, "ERR EINVAL sched-bvt: weight '-5' is not");
	ask("sched-bvt alpha colour=5", &r);
	CHECK_PREFIX(r.term, "ERR EINVAL sched-bvt: 'colour=5' is not");
	ask("sched-bvt alpha weight=20000", &r);
	CHECK_PREFIX(r.term, "ERR EINVAL cannot set BVT parameters of domain alpha (1): weight must be");
	ask("sched-bvt nosuch weight=2", &r);
	CHECK_PREFIX(r.term, "ERR ESRCH no domain 'nosuch'");
	ask("sched-rr 1000000", &r);
	CHECK_PREFIX(r.term, "ERR EINVAL sched-rr needs the rr scheduler but pvmon runs bvt");

	pthread_mutex_lock(&fake_lock);
	fake.sched = "rr";
	pthread_mutex_unlock(&fake_lock);
	ask("sched-rr 2000000", &r);
	CHECK_STR(r.term, "OK");
	CHECK_EQ(fake.rr_slice, 2000000);
	ask("sched-rr 10", &r);
	CHECK_PREFIX(r.term, "ERR ERANGE cannot set the round-robin slice to 10 ns");
	ask("sched-rr 0", &r);
	CHECK_PREFIX(r.term, "ERR EINVAL sched-rr: slice '0'");
	ask("sched-bvt alpha weight=3", &r);
	CHECK_PREFIX(r.term, "ERR EINVAL sched-bvt needs the bvt scheduler but pvmon runs rr");
	pthread_mutex_lock(&fake_lock);
	fake.sched = "bvt";
	pthread_mutex_unlock(&fake_lock);
}

static void test_create_destroy(void)
{
	struct reply r;
	char st[16], names[256];
	ask("create relative/dom.cfg", &r);
	CHECK_PREFIX(r.term, "ERR EINVAL config path 'relative/dom.cfg' is not absolute");
	ask("create /cfgs/bad.cfg", &r);
	CHECK_STR(r.term, "ERR EINVAL /cfgs/bad.cfg:3: unknown key 'colour' second line");
	ask("create /cfgs/my dom.cfg", &r);   /* the rest of the line is the path */
	CHECK_STR(r.term, "OK 9 gamma");
	ask("create /cfgs/my dom.cfg", &r);
	CHECK_STR(r.term, "ERR EEXIST a domain named 'gamma' exists already");
	ask("list", &r);
	json_names(r.data, names, sizeof(names));
	CHECK_STR(names, "alpha beta gamma");
	CHECK_STR(r.term, "OK 3");
	ask("destroy gamma", &r);
	CHECK_STR(r.term, "OK 9 gamma");
	CHECK_STR(fake_state(9, st), "(none)");   /* it left the table */
	ask("destroy gamma", &r);
	CHECK_PREFIX(r.term, "ERR ESRCH no domain 'gamma'");
	ask("create", &r);
	CHECK_PREFIX(r.term, "ERR EINVAL usage: create");
}

static void test_malformed(void)
{
	struct reply r;
	ask("frobnicate now", &r);
	CHECK_STR(r.term, "ERR EINVAL unknown request 'frobnicate' (try help)");
	ask("", &r);
	CHECK_STR(r.term, "ERR EINVAL empty request (try help)");
	ask("   \t ", &r);
	CHECK_STR(r.term, "ERR EINVAL empty request (try help)");
	ask("li\001st", &r);
	CHECK_STR(r.term, "ERR EINVAL request contains control byte 0x01");
	ask("a b c d e f g h i j k", &r);
	CHECK_PREFIX(r.term, "ERR EINVAL unknown request 'a'");
	ask("pause a b c d e f g h i j k", &r);
	CHECK_STR(r.term, "ERR EINVAL usage: pause DOMAIN");

	/* A NUL byte, and a CRLF line, on one connection with a ping after. */
	struct reader *rd = calloc(1, sizeof(*rd));
	rd->fd = dial();
	CHECK(send_raw(rd->fd, "pi\0ng\nping\r\nsched\n", 18));
	CHECK(read_reply(rd, &r) == 0);
	CHECK_STR(r.term, "ERR EINVAL request contains control byte 0x00");
	CHECK(read_reply(rd, &r) == 0);
	CHECK_STR(r.term, "OK pvmon-control 1");
	CHECK(read_reply(rd, &r) == 0);
	CHECK_STR(r.term, "OK bvt");
	/* The last request may lack its newline if the client closes. */
	CHECK(send_raw(rd->fd, "ping", 4));
	shutdown(rd->fd, SHUT_WR);
	CHECK(read_reply(rd, &r) == 0);
	CHECK_STR(r.term, "OK pvmon-control 1");
	CHECK(read_reply(rd, &r) == -1);   /* then the server closes */
	close(rd->fd);

	/* The longest request line is accepted... */
	char *big = malloc(200000);
	memset(big, 'x', 200000);
	big[CTL_MAX_LINE - 1] = '\0';
	ask(big, &r);
	CHECK_PREFIX(r.term, "ERR EINVAL unknown request 'xxxx");
	/* ...one byte more is not, and the connection is closed. */
	memset(big, 'x', 200000);
	big[CTL_MAX_LINE] = '\n';
	rd->fd = dial();
	rd->len = 0;
	CHECK(send_raw(rd->fd, big, CTL_MAX_LINE + 1));
	CHECK(read_reply(rd, &r) == 0);
	CHECK_STR(r.term, "ERR E2BIG request longer than 4095 bytes; closing the connection");
	CHECK(read_reply(rd, &r) == -1);
	close(rd->fd);
	/* Endless junk without a newline: the client may see EPIPE. */
	rd->fd = dial();
	rd->len = 0;
	for (int i = 0; i < 5; i++)
		send(rd->fd, big, 200000, MSG_NOSIGNAL);
	CHECK(read_reply(rd, &r) == 0);
	CHECK_PREFIX(r.term, "ERR E2BIG");
	close(rd->fd);
	/* A client that connects and goes away at once. */
	int fd = dial();
	close(fd);
	free(big);
	free(rd);
	/* And the server still answers the next client. */
	ask("ping", &r);
	CHECK_STR(r.term, "OK pvmon-control 1");
}

static void test_many_clients(void)
{
	/* Idle connections hold their threads; others are still served
	 * (alpha and beta: gamma came and went above). */
	int fds[20];
	for (int i = 0; i < 20; i++)
		fds[i] = dial();
	struct reply r;
	ask("list", &r);
	CHECK_STR(r.term, "OK 2");
	/* All of them at once, each with a request in flight. */
	for (int i = 0; i < 20; i++)
		CHECK(send_raw(fds[i], "ping\n", 5));
	struct reader *rd = calloc(1, sizeof(*rd));
	for (int i = 0; i < 20; i++) {
		rd->fd = fds[i];
		rd->len = 0;
		CHECK(read_reply(rd, &r) == 0);
		CHECK_STR(r.term, "OK pvmon-control 1");
		close(fds[i]);
	}
	free(rd);
	ask("ping", &r);
	CHECK_STR(r.term, "OK pvmon-control 1");

	/* Past CTL_MAX_CLIENTS, a connection gets one ERR EBUSY line; the
	 * others are served. (A closed client's slot is freed when the
	 * listener reaps its thread, so a few more may be refused.) */
	usleep(100000);
	enum { N = CTL_MAX_CLIENTS + 4 };
	int many[N], busy = 0, served = 0;
	for (int i = 0; i < N; i++)
		many[i] = dial();
	for (int i = 0; i < N; i++) {
		char line[128] = "";
		send_raw(many[i], "ping\n", 5);   /* fails on a refused one: read its line anyway */
		ssize_t n = recv(many[i], line, sizeof(line) - 1, 0);
		if (n > 0 && starts(line, "ERR EBUSY too many control connections"))
			busy++;
		else if (n > 0 && !strcmp(line, "OK pvmon-control 1\n"))
			served++;
	}
	CHECK(busy >= 4 && busy <= 8);
	CHECK_EQ(busy + served, N);
	for (int i = 0; i < CTL_MAX_CLIENTS + 4; i++)
		close(many[i]);
	usleep(100000);
	ask("ping", &r);
	CHECK_STR(r.term, "OK pvmon-control 1");
}

/* Collect console chunks of a follow stream until *have >= want bytes. */
static bool follow_until(struct reader *rd, char *got, size_t cap, size_t *have, size_t want)
{
	struct pollfd p = { .fd = rd->fd, .events = POLLIN };
	for (int tries = 0; *have < want && tries < 50; tries++) {
		while (rd->len) {
			char *nl = memchr(rd->buf, '\n', rd->len);
			if (!nl || !starts(rd->buf, "C "))
				break;
			size_t n = strtoul(rd->buf + 2, NULL, 10), hl = (size_t)(nl - rd->buf) + 1;
			if (rd->len < hl + n)
				break;
			if (*have + n <= cap) {
				memcpy(got + *have, rd->buf + hl, n);
				*have += n;
			}
			rd_consume(rd, hl + n);
		}
		if (*have >= want)
			break;
		if (poll(&p, 1, 100) > 0 && rd_fill(rd))
			return false;
	}
	return *have >= want;
}

/* A follow stream on a fresh connection, its history read. */
static struct reader *follow(const char *req, const char *history, char *got, size_t cap, size_t *have)
{
	struct reader *rd = calloc(1, sizeof(*rd));
	rd->fd = dial();
	CHECK(send_raw(rd->fd, req, strlen(req)));
	*have = 0;
	CHECK(follow_until(rd, got, cap, have, strlen(history)));
	CHECK(*have == strlen(history) && !memcmp(got, history, *have));
	return rd;
}

/* The rest of a follow stream: its bytes must be tail, its end term. */
static void follow_end(struct reader *rd, const char *tail, const char *term)
{
	struct reply r;
	CHECK(read_reply(rd, &r) == 0);
	CHECK_STR(r.term, term);
	CHECK_EQ(r.con_len, strlen(tail));
	CHECK(r.con_len == strlen(tail) && !memcmp(r.console, tail, r.con_len));
	CHECK(send_raw(rd->fd, "ping\n", 5));   /* the connection stays usable */
	CHECK(read_reply(rd, &r) == 0);
	CHECK_STR(r.term, "OK pvmon-control 1");
	close(rd->fd);
	free(rd);
}

static void test_console_common(void)
{
	struct reply r;
	ask("console alpha history", &r);
	CHECK_STR(r.term, "OK history");
	CHECK_EQ(r.con_len, 17);
	CHECK(!memcmp(r.console, "hello from alpha\n", 17));
	ask("console 1 history", &r);
	CHECK_EQ(r.con_len, 17);
	ask("console nosuch", &r);
	CHECK_PREFIX(r.term, "ERR ESRCH no domain 'nosuch'");
	ask("console alpha sideways", &r);
	CHECK_PREFIX(r.term, "ERR EINVAL console mode 'sideways'");

	/* A client that stops following frees its thread (and reference). */
	char got[256];
	size_t have;
	struct reader *rd = follow("console 7\n", "beta boots\n", got, sizeof(got), &have);
	close(rd->fd);
	free(rd);
}

/* Streams that hold their domain (pvmon's wiring): nothing is lost when a
 * domain ends and leaves the table at once. */
static void test_console_held(void)
{
	test_console_common();
	char got[256];
	size_t have;
	struct reader *rd = follow("console 7 follow\n", "beta boots\n", got, sizeof(got), &have);
	fake_console_append(7, "more output from beta\n");
	CHECK(follow_until(rd, got, sizeof(got), &have, 11 + 22));
	CHECK(have == 33 && !memcmp(got + 11, "more output from beta\n", 22));
	struct reply r;
	ask("destroy beta", &r);
	CHECK_STR(r.term, "OK 7 beta");
	follow_end(rd, "bye from beta\n", "OK shutdown 137");

	/* Several followers of one domain; it crashes. */
	struct reader *rd2 = follow("console alpha\n", "hello from alpha\n", got, sizeof(got), &have);
	rd = follow("console alpha\n", "hello from alpha\n", got, sizeof(got), &have);
	fake_end(1, "crashed", 125, "panic: oops\n");
	follow_end(rd, "panic: oops\n", "OK crashed 125");
	follow_end(rd2, "panic: oops\n", "OK crashed 125");
	ask("console alpha", &r);
	CHECK_PREFIX(r.term, "ERR ESRCH no domain 'alpha'");
}

/* Streams by domid (the required ops only): a domain seen ended while
 * still listed ends the stream with its code; one that is gone, "OK gone". */
static void test_console_by_id(void)
{
	test_console_common();
	char got[256];
	size_t have;
	struct reader *rd = follow("console beta\n", "beta boots\n", got, sizeof(got), &have);
	fake_console_append(7, "more output from beta\n");
	CHECK(follow_until(rd, got, sizeof(got), &have, 33));
	pthread_mutex_lock(&fake_lock);
	fake.linger = true;
	pthread_mutex_unlock(&fake_lock);
	struct reply r;
	ask("destroy beta", &r);
	CHECK_STR(r.term, "OK 7 beta");
	follow_end(rd, "bye from beta\n", "OK shutdown 137");
	pthread_mutex_lock(&fake_lock);
	fake.linger = false;
	pthread_mutex_unlock(&fake_lock);

	rd = follow("console alpha\n", "hello from alpha\n", got, sizeof(got), &have);
	fake_end(1, "crashed", 125, "");
	follow_end(rd, "", "OK gone");
}

/* Stop with a follower still attached: returns promptly, the client sees EOF. */
static void test_stop_with_follower(void)
{
	fake_reset();
	struct reader *rd = calloc(1, sizeof(*rd));
	rd->fd = dial();
	CHECK(send_raw(rd->fd, "console beta\n", 13));
	char got[16];
	size_t have = 0;
	CHECK(follow_until(rd, got, sizeof(got), &have, 11));
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	control_stop();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECK(dt < 1.0);
	struct reply r;
	CHECK(read_reply(rd, &r) == -1);
	CHECK(have == 11 && !memcmp(got, "beta boots\n", 11));
	close(rd->fd);
	free(rd);
	CHECK_EQ(fake_refs(), 0);
	CHECK(access(sock, F_OK) != 0);   /* the path is unlinked */
	control_stop();                   /* a second stop does nothing */
}

static void test_start_errors(const char *dir)
{
	CHECK_EQ(control_start(sock, NULL, NULL), -EINVAL);
	struct control_ops partial = fake_ops;
	partial.console_read = NULL;
	CHECK_EQ(control_start(sock, &partial, NULL), -EINVAL);
	char longp[300];
	memset(longp, 'a', sizeof(longp));
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	CHECK_EQ(control_start(longp, &fake_ops, NULL), -ENAMETOOLONG);

	/* A regular file at the path is not ours to remove. */
	char file[200];
	snprintf(file, sizeof(file), "%s/not-a-socket", dir);
	FILE *f = fopen(file, "w");
	if (f)
		fclose(f);
	CHECK_EQ(control_start(file, &fake_ops, NULL), -EEXIST);
	CHECK(access(file, F_OK) == 0);
	unlink(file);

	/* A stale socket (its server died without unlinking) is replaced. */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(fd);
	CHECK(access(sock, F_OK) == 0);
	CHECK_EQ(control_start(sock, &fake_ops, NULL), 0);
	CHECK_EQ(control_start(sock, &fake_ops, NULL), -EBUSY);
	struct reply r;
	ask("ping", &r);
	CHECK_STR(r.term, "OK pvmon-control 1");
	control_stop();

	/* A live server there is left alone. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 1) == 0);
	CHECK_EQ(control_start(sock, &fake_ops, NULL), -EADDRINUSE);
	close(fd);
	unlink(sock);
}

static int serve_mode(const char *path, bool live)
{
	fake_reset();
	fake.live = live;
	fake.t0 = mono_ns();
	int rc = control_start(path, &fake_ops, NULL);
	if (rc) {
		fprintf(stderr, "test_control: cannot serve %s: %s\n", path, strerror(-rc));
		return 1;
	}
	printf("serving %s\n", path);
	fflush(stdout);
	char buf[64];
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	control_stop();
	return 0;
}

int main(int argc, char **argv)
{
	if ((argc == 3 || (argc == 4 && !strcmp(argv[3], "--live"))) && !strcmp(argv[1], "--serve"))
		return serve_mode(argv[2], argc == 4);
	signal(SIGPIPE, SIG_IGN);
	char dir[] = "/tmp/test_control.XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	/* A directory that does not exist yet: control_start makes it. */
	snprintf(sock, sizeof(sock), "%s/run/pvlab/pvmon.sock", dir);

	test_default_socket();
	fake_reset();
	int rc = control_start(sock, &fake_ops, NULL);
	CHECK_EQ(rc, 0);
	if (rc == 0) {
		struct stat st;
		CHECK(stat(sock, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0660);
		test_basic();
		test_list();
		test_list_longest();
		test_domain_ops();
		test_vfr();
		test_sched();
		test_create_destroy();
		test_malformed();
		test_many_clients();
		test_console_held();
		control_stop();
		CHECK_EQ(fake_refs(), 0);     /* every stream dropped its reference */

		fake_reset();
		CHECK_EQ(control_start(sock, &fake_ops_by_id, NULL), 0);
		test_console_by_id();
		control_stop();
		fake_reset();
		CHECK_EQ(control_start(sock, &fake_ops, NULL), 0);
		test_stop_with_follower();
		test_start_errors(dir);
	}
	control_stop();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
	return CHECK_DONE();
}
