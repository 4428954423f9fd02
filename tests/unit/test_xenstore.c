/* xenstore.c without a transport: Domain 0 and domains' connections send
 * Xen's wire messages and read back the replies and watch events, for the
 * requests, permissions, watches, transactions, quotas and hostile input. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <xen/io/xs_wire.h>
#include "check.h"
#include "../../hypervisor/src/xenstore.h"

/* A client: what the store sent it, split into the last reply and the
 * watch events ("path token"), in order. */
struct peer {
	struct xs_conn *c;
	unsigned char out[1 << 16];
	size_t out_len;
	struct xsd_sockmsg h;       /* the last reply */
	char body[XENSTORE_PAYLOAD_MAX + 1];
	char events[64][256];
	unsigned nev;
	unsigned replies;
	size_t last_len;            /* the last message's whole length */
};

static void peer_send(void *ctx, const void *msg, size_t len)
{
	struct peer *p = ctx;
	if (len <= sizeof(p->out) - p->out_len) {
		memcpy(p->out + p->out_len, msg, len);
		p->out_len += len;
	}
	p->last_len = len;
}

/* Takes what was sent apart. */
static void peer_take(struct peer *p)
{
	size_t at = 0;
	while (at + sizeof(struct xsd_sockmsg) <= p->out_len) {
		struct xsd_sockmsg h;
		memcpy(&h, p->out + at, sizeof(h));
		const char *b = (const char *)p->out + at + sizeof(h);
		if (h.type == XS_WATCH_EVENT) {
			if (p->nev < 64)
				snprintf(p->events[p->nev++], 256, "%s %s", b, b + strlen(b) + 1);
		} else {
			p->h = h;
			memcpy(p->body, b, h.len);
			p->body[h.len] = '\0';
			p->replies++;
		}
		at += sizeof(h) + h.len;
	}
	p->out_len = 0;
}

static struct peer *peer_new(struct xs_store *s, unsigned domid)
{
	struct peer *p = calloc(1, sizeof(*p));
	p->c = xs_conn_new(s, domid, peer_send, p);
	return p;
}

static void peer_free(struct peer *p)
{
	xs_conn_free(p->c);
	free(p);
}

static int send_raw(struct peer *p, uint32_t type, uint32_t tx, const void *payload, size_t len)
{
	static uint32_t req;
	struct xsd_sockmsg h = { .type = type, .req_id = ++req, .tx_id = tx, .len = (uint32_t)len };
	unsigned char buf[sizeof(h) + XENSTORE_PAYLOAD_MAX + 64];
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, len);
	p->nev = 0;
	int rc = xs_conn_input(p->c, buf, sizeof(h) + len);
	peer_take(p);
	return rc;
}

/* A request whose payload is a string literal with its NULs: the reply's
 * body, or "E:<error>" for XS_ERROR. */
#define CALL(p, type, tx, lit) call(p, type, tx, lit, sizeof(lit) - 1)
static const char *call(struct peer *p, uint32_t type, uint32_t tx, const char *payload, size_t len)
{
	static char r[XENSTORE_PAYLOAD_MAX + 8];
	unsigned before = p->replies;
	if (send_raw(p, type, tx, payload, len))
		return "stream closed";
	if (p->replies != before + 1)
		return "no reply";
	if (p->h.type == XS_ERROR) {
		snprintf(r, sizeof(r), "E:%s", p->body);
		return r;
	}
	if (p->h.type != type)
		return "reply of another type";
	memcpy(r, p->body, p->h.len + 1);
	return r;
}

/* DIRECTORY's NUL-separated names as "a,b,c". */
static const char *names(struct peer *p)
{
	static char r[XENSTORE_PAYLOAD_MAX + 8];
	size_t n = p->h.type == XS_ERROR ? 0 : p->h.len;
	memcpy(r, p->body, n);
	r[n] = '\0';
	for (size_t i = 0; n && i < n - 1; i++)
		if (!r[i])
			r[i] = ',';
	return r;
}

/* A store with domain 5 in it, and Domain 0's and domain 5's connections. */
static struct xs_store *store5(const struct xs_limits *lim, struct peer **d0, struct peer **d5)
{
	struct xs_store *s = xs_store_new(lim);
	xs_domain_introduce(s, 5, "five");      /* /local/domain/5 is its first node */
	*d0 = peer_new(s, 0);
	*d5 = peer_new(s, 5);
	return s;
}

static void done(struct xs_store *s, struct peer *d0, struct peer *d5)
{
	peer_free(d5);
	peer_free(d0);
	xs_store_free(s);
}

static void test_basic(void)
{
	struct xs_store *s = xs_store_new(NULL);
	struct peer *d0 = peer_new(s, 0);
	CHECK_STR(CALL(d0, XS_WRITE, 0, "/a/b\0hello"), "OK");
	CHECK_STR(CALL(d0, XS_READ, 0, "/a/b\0"), "hello");
	CHECK_STR(CALL(d0, XS_READ, 0, "/a\0"), "");
	CHECK_STR(CALL(d0, XS_READ, 0, "/a/c\0"), "E:ENOENT");
	CHECK_STR(CALL(d0, XS_MKDIR, 0, "/a/c\0"), "OK");
	CHECK_STR(CALL(d0, XS_MKDIR, 0, "/a/c\0"), "OK");
	CALL(d0, XS_DIRECTORY, 0, "/a\0");
	CHECK_STR(names(d0), "b,c");
	CALL(d0, XS_DIRECTORY, 0, "/\0");
	CHECK_STR(names(d0), "local,a");
	CHECK_STR(CALL(d0, XS_GET_PERMS, 0, "/a/b\0"), "n0");
	CHECK_STR(CALL(d0, XS_RM, 0, "/a/b\0"), "OK");
	CHECK_STR(CALL(d0, XS_RM, 0, "/a/b\0"), "OK");        /* gone, parent there: fine */
	CHECK_STR(CALL(d0, XS_RM, 0, "/x/y\0"), "E:ENOENT");
	CHECK_STR(CALL(d0, XS_RM, 0, "/\0"), "E:EINVAL");
	CHECK_STR(CALL(d0, XS_WRITE, 0, "rel\0v"), "OK");     /* Domain 0's own tree */
	CHECK_STR(CALL(d0, XS_READ, 0, "/local/domain/0/rel\0"), "v");
	CHECK_STR(CALL(d0, XS_GET_DOMAIN_PATH, 0, "7\0"), "/local/domain/7");
	CHECK_STR(CALL(d0, XS_WRITE, 0, "/e\0"), "OK");         /* an empty value */
	CHECK_STR(CALL(d0, XS_READ, 0, "/e\0"), "");
	/* DIRECTORY_PART: the generation, the names, an empty string to end. */
	CHECK_STR(CALL(d0, XS_MKDIR, 0, "/a/d\0"), "OK");
	CALL(d0, XS_DIRECTORY_PART, 0, "/a\0" "0\0");
	size_t gl = strlen(d0->body) + 1;
	CHECK_EQ(d0->h.len, gl + 5);
	CHECK(!memcmp(d0->body + gl, "c\0d\0\0", 5));
	CALL(d0, XS_DIRECTORY_PART, 0, "/a\0" "2\0");
	CHECK(!memcmp(d0->body + gl, "d\0\0", 3));
	CHECK_STR(CALL(d0, XS_DIRECTORY_PART, 0, "/a\0" "1\0"), "E:EINVAL");

	/* pvmon's own calls. */
	char buf[16];
	size_t len = sizeof(buf);
	CHECK_EQ(xs_write(s, "/p/q", "12345", 5), 0);
	CHECK_EQ(xs_read(s, "/p/q", buf, &len), 0);
	CHECK_EQ(len, 5);
	CHECK_STR(buf, "12345");
	len = 3;
	CHECK_EQ(xs_read(s, "/p/q", buf, &len), -ERANGE);
	CHECK_EQ(len, 5);
	CHECK_EQ(xs_read(s, "p/q", buf, &len), -EINVAL);
	CHECK_EQ(xs_rm(s, "/p"), 0);
	len = sizeof(buf);
	CHECK_EQ(xs_read(s, "/p/q", buf, &len), -ENOENT);
	peer_free(d0);
	xs_store_free(s);
}

static void test_permissions(void)
{
	struct xs_store *s = xs_store_new(NULL);
	struct peer *d0 = peer_new(s, 0);
	CHECK_EQ(xs_domain_introduce(s, 5, "five"), 0);
	CHECK_EQ(xs_domain_introduce(s, 6, "six"), 0);
	CHECK_EQ(xs_domain_introduce(s, 6, "six"), -EEXIST);
	CHECK_EQ(xs_domain_introduce(s, 0, "zero"), -EINVAL);
	struct peer *d5 = peer_new(s, 5);
	CHECK_STR(CALL(d0, XS_READ, 0, "/local/domain/5/name\0"), "five");
	CHECK_STR(CALL(d5, XS_READ, 0, "name\0"), "five");
	CHECK_STR(CALL(d5, XS_READ, 0, "domid\0"), "5");
	CHECK_STR(CALL(d5, XS_WRITE, 0, "name\0evil"), "E:EACCES");     /* xl's: read-only */
	CHECK_STR(CALL(d5, XS_GET_PERMS, 0, "/local/domain/5\0"), "n5");
	CHECK_STR(CALL(d5, XS_WRITE, 0, "data/x\0one"), "OK");
	CHECK_STR(CALL(d5, XS_GET_PERMS, 0, "data/x\0"), "n5");
	CHECK_STR(CALL(d0, XS_READ, 0, "/local/domain/5/data/x\0"), "one");
	/* Another domain's tree, Domain 0's, the root: not its own. */
	CHECK_STR(CALL(d5, XS_READ, 0, "/local/domain/6/name\0"), "E:EACCES");
	CHECK_STR(CALL(d5, XS_READ, 0, "/local/domain/6/nothing\0"), "E:EACCES");
	CHECK_STR(CALL(d5, XS_WRITE, 0, "/local/domain/6/x\0v"), "E:EACCES");
	CHECK_STR(CALL(d5, XS_WRITE, 0, "/local/domain/0/x\0v"), "E:EACCES");
	CHECK_STR(CALL(d5, XS_MKDIR, 0, "/top\0"), "E:EACCES");
	CHECK_STR(CALL(d5, XS_DIRECTORY, 0, "/\0"), "E:EACCES");
	CHECK_STR(CALL(d5, XS_RM, 0, "/local/domain/6\0"), "E:EACCES");
	CHECK_STR(CALL(d5, XS_READ, 0, "data/none\0"), "E:ENOENT");
	/* What Domain 0 grants: read, then write. */
	CHECK_STR(CALL(d0, XS_WRITE, 0, "/local/domain/0/backend/vbd\0state"), "OK");
	CHECK_STR(CALL(d5, XS_READ, 0, "/local/domain/0/backend/vbd\0"), "E:EACCES");
	CHECK_STR(CALL(d0, XS_SET_PERMS, 0, "/local/domain/0/backend/vbd\0n0\0r5\0"), "OK");
	CHECK_STR(CALL(d5, XS_READ, 0, "/local/domain/0/backend/vbd\0"), "state");
	CHECK_STR(CALL(d5, XS_WRITE, 0, "/local/domain/0/backend/vbd\0x"), "E:EACCES");
	CHECK_STR(CALL(d0, XS_SET_PERMS, 0, "/local/domain/0/backend/vbd\0r0\0b5\0"), "OK");
	CHECK_STR(CALL(d0, XS_GET_PERMS, 0, "/local/domain/0/backend/vbd\0"), "r0");
	CHECK_STR(names(d0), "r0,b5");
	CHECK_STR(CALL(d5, XS_WRITE, 0, "/local/domain/0/backend/vbd\0x"), "OK");
	/* ...a node it makes there is its own (and counts against it). */
	CHECK_STR(CALL(d5, XS_WRITE, 0, "/local/domain/0/backend/vbd/k\0x"), "OK");
	CHECK_STR(CALL(d5, XS_GET_PERMS, 0, "/local/domain/0/backend/vbd/k\0"), "r5");
	/* Not the owner: no SET_PERMS; the owner may not give a node away. */
	CHECK_STR(CALL(d5, XS_SET_PERMS, 0, "/local/domain/0/backend/vbd\0b5\0"), "E:EACCES");
	CHECK_STR(CALL(d5, XS_SET_PERMS, 0, "data/x\0n6\0"), "E:EPERM");
	CHECK_STR(CALL(d5, XS_SET_PERMS, 0, "data/x\0n5\0r6\0"), "OK");
	CHECK_STR(CALL(d5, XS_SET_PERMS, 0, "data/x\0q5\0"), "E:EINVAL");
	CHECK_STR(CALL(d5, XS_SET_PERMS, 0, "data/x\0r99999\0"), "E:EINVAL");
	CHECK_STR(CALL(d5, XS_SET_PERMS, 0, "data/x\0n5\0r1\0r2\0r3\0r4\0r6\0"), "E:ENOSPC");
	/* The domain ops are Domain 0's. */
	CHECK_STR(CALL(d5, XS_RELEASE, 0, "6\0"), "E:EACCES");
	CHECK_STR(CALL(d5, XS_INTRODUCE, 0, "6\0" "1\0" "2\0"), "E:EACCES");
	CHECK_STR(CALL(d0, XS_IS_DOMAIN_INTRODUCED, 0, "6\0"), "T");
	CHECK_STR(CALL(d0, XS_IS_DOMAIN_INTRODUCED, 0, "9\0"), "F");
	CHECK_STR(CALL(d0, XS_INTRODUCE, 0, "6\0" "1\0" "2\0"), "OK");
	CHECK_STR(CALL(d0, XS_INTRODUCE, 0, "9\0" "1\0" "2\0"), "E:EINVAL");
	CHECK_STR(CALL(d0, XS_RELEASE, 0, "6\0"), "OK");
	CHECK_STR(CALL(d0, XS_RELEASE, 0, "6\0"), "E:ENOENT");
	CHECK_STR(CALL(d0, XS_READ, 0, "/local/domain/6/name\0"), "E:ENOENT");
	/* Released: what domain 5 owned elsewhere becomes Domain 0's. */
	xs_domain_release(s, 5);
	CHECK_STR(CALL(d0, XS_GET_PERMS, 0, "/local/domain/0/backend/vbd/k\0"), "r0");
	CHECK_STR(CALL(d0, XS_READ, 0, "/local/domain/5\0"), "E:ENOENT");
	CHECK_STR(CALL(d5, XS_READ, 0, "/local/domain/0/backend/vbd\0"), "x");   /* what all may */
	CHECK_STR(CALL(d0, XS_GET_PERMS, 0, "/local/domain/0/backend/vbd\0"), "r0");
	CHECK_STR(names(d0), "r0");                                       /* its grant gone */
	done(s, d0, d5);
}

static void test_watches(void)
{
	struct peer *d0, *d5;
	struct xs_store *s = store5(NULL, &d0, &d5);
	xs_domain_introduce(s, 6, "six");
	struct peer *d6 = peer_new(s, 6);

	/* The reply, then the first event at once. */
	CHECK_STR(CALL(d0, XS_WATCH, 0, "/local/domain/5\0tok\0"), "OK");
	CHECK_EQ(d0->nev, 1);
	CHECK_STR(d0->events[0], "/local/domain/5 tok");
	CHECK_STR(CALL(d0, XS_WATCH, 0, "/local/domain/5\0tok\0"), "E:EEXIST");
	CHECK_STR(CALL(d5, XS_WATCH, 0, "data\0mine\0"), "OK");
	CHECK_STR(d5->events[0], "data mine");
	CHECK_STR(CALL(d6, XS_WATCH, 0, "/local/domain/5/data\0spy\0"), "OK");    /* it may watch... */
	CHECK_EQ(d6->nev, 1);

	d0->nev = d5->nev = d6->nev = 0;
	CHECK_STR(CALL(d5, XS_WRITE, 0, "data/y\0v"), "OK");
	CHECK_EQ(d5->nev, 1);
	CHECK_STR(d5->events[0], "data/y mine");              /* relative, as it asked */
	peer_take(d0);
	CHECK_EQ(d0->nev, 1);
	CHECK_STR(d0->events[0], "/local/domain/5/data/y tok");
	peer_take(d6);
	CHECK_EQ(d6->nev, 0);                                  /* ...but not see what it may not read */
	/* A removal fires the watches below it too, with their own paths. */
	d0->nev = d5->nev = 0;
	CHECK_STR(CALL(d0, XS_RM, 0, "/local/domain/5/data\0"), "OK");
	peer_take(d5);
	CHECK_EQ(d5->nev, 1);
	CHECK_STR(d5->events[0], "data mine");
	CHECK_EQ(d0->nev, 1);
	CHECK_STR(d0->events[0], "/local/domain/5/data tok");
	/* Unwatch; a write elsewhere fires nothing. */
	CHECK_STR(CALL(d0, XS_UNWATCH, 0, "/local/domain/5\0tok\0"), "OK");
	CHECK_STR(CALL(d0, XS_UNWATCH, 0, "/local/domain/5\0tok\0"), "E:ENOENT");
	CHECK_STR(CALL(d5, XS_WRITE, 0, "data/z\0v"), "OK");
	peer_take(d0);
	CHECK_EQ(d0->nev, 0);
	/* The special watches: Domain 0 hears domains come and go. */
	CHECK_STR(CALL(d0, XS_WATCH, 0, "@introduceDomain\0i\0"), "OK");
	CHECK_STR(d0->events[0], "@introduceDomain i");
	CHECK_STR(CALL(d0, XS_WATCH, 0, "@releaseDomain\0r\0"), "OK");
	CHECK_STR(CALL(d0, XS_WATCH, 0, "@other\0r\0"), "E:EINVAL");
	CHECK_STR(CALL(d5, XS_WATCH, 0, "@releaseDomain\0r\0"), "OK");
	d0->nev = d5->nev = 0;
	xs_domain_introduce(s, 7, "seven");
	peer_take(d0);
	CHECK_EQ(d0->nev, 1);
	CHECK_STR(d0->events[0], "@introduceDomain i");
	d0->nev = 0;
	xs_domain_release(s, 7);
	peer_take(d0);
	peer_take(d5);
	CHECK_EQ(d0->nev, 1);
	CHECK_STR(d0->events[0], "@releaseDomain r");
	CHECK_EQ(d5->nev, 0);
	/* RESET_WATCHES; pvmon's own writes fire watches. */
	CHECK_STR(CALL(d5, XS_RESET_WATCHES, 0, ""), "OK");
	CHECK_STR(CALL(d0, XS_WATCH, 0, "/pv\0t\0"), "OK");
	d0->nev = 0;
	xs_write(s, "/pv/x", "1", 1);
	peer_take(d0);
	CHECK_EQ(d0->nev, 1);
	CHECK_STR(d0->events[0], "/pv/x t");
	/* A released domain's connections lose their watches. */
	CHECK_STR(CALL(d5, XS_WATCH, 0, "/local/domain/5\0w\0"), "OK");
	xs_domain_release(s, 5);
	peer_take(d5);
	d5->nev = 0;
	xs_domain_introduce(s, 5, "again");
	peer_take(d5);
	CHECK_EQ(d5->nev, 0);
	peer_free(d6);
	done(s, d0, d5);
}

static void test_transactions(void)
{
	struct xs_store *s = xs_store_new(NULL);
	struct peer *d0 = peer_new(s, 0), *other = peer_new(s, 0);
	CHECK_STR(CALL(other, XS_WATCH, 0, "/t\0w\0"), "OK");
	const char *id = CALL(d0, XS_TRANSACTION_START, 0, "\0");
	uint32_t tx = (uint32_t)atoi(id);
	CHECK(tx != 0);
	CHECK_STR(CALL(d0, XS_WRITE, tx, "/t/a\0in"), "OK");
	CHECK_STR(CALL(d0, XS_READ, 0, "/t/a\0"), "E:ENOENT");
	CHECK_STR(CALL(d0, XS_READ, tx, "/t/a\0"), "in");
	CHECK_STR(CALL(d0, XS_READ, tx + 100, "/t/a\0"), "E:ENOENT");
	CHECK_STR(CALL(d0, XS_TRANSACTION_START, tx, "\0"), "E:EBUSY");
	uint32_t bare = (uint32_t)atoi(CALL(d0, XS_TRANSACTION_START, 0, ""));    /* no payload at all */
	CHECK(bare != 0 && bare != tx);
	CHECK_STR(CALL(d0, XS_TRANSACTION_END, bare, "F\0"), "OK");
	other->nev = 0;
	CHECK_STR(CALL(d0, XS_TRANSACTION_END, tx, "T\0"), "OK");
	CHECK_STR(CALL(d0, XS_READ, 0, "/t/a\0"), "in");
	peer_take(other);
	CHECK_EQ(other->nev, 1);                               /* fired at commit */
	CHECK_STR(CALL(d0, XS_TRANSACTION_END, tx, "T\0"), "E:ENOENT");
	/* Abort. */
	tx = (uint32_t)atoi(CALL(d0, XS_TRANSACTION_START, 0, "\0"));
	CHECK_STR(CALL(d0, XS_RM, tx, "/t/a\0"), "OK");
	CHECK_STR(CALL(d0, XS_TRANSACTION_END, tx, "F\0"), "OK");
	CHECK_STR(CALL(d0, XS_READ, 0, "/t/a\0"), "in");
	/* A conflict: the store changed meanwhile. */
	tx = (uint32_t)atoi(CALL(d0, XS_TRANSACTION_START, 0, "\0"));
	CHECK_STR(CALL(d0, XS_WRITE, tx, "/t/a\0mine"), "OK");
	CHECK_STR(CALL(other, XS_WRITE, 0, "/t/b\0theirs"), "OK");
	CHECK_STR(CALL(d0, XS_TRANSACTION_END, tx, "T\0"), "E:EAGAIN");
	CHECK_STR(CALL(d0, XS_READ, 0, "/t/a\0"), "in");
	CHECK_STR(CALL(d0, XS_TRANSACTION_END, tx, "T\0"), "E:ENOENT");
	tx = (uint32_t)atoi(CALL(d0, XS_TRANSACTION_START, 0, "\0"));
	CHECK_STR(CALL(d0, XS_TRANSACTION_END, tx, "X\0"), "E:EINVAL");
	CHECK_STR(CALL(d0, XS_TRANSACTION_END, tx, "F\0"), "OK");
	/* Left open: freed with its connection. */
	CALL(d0, XS_TRANSACTION_START, 0, "\0");
	peer_free(other);
	peer_free(d0);
	xs_store_free(s);
}

static void test_quotas(void)
{
	struct xs_limits lim = { .nodes = 3, .node_size = 8, .watches = 2, .transactions = 1, .outstanding = 2 };
	struct peer *d0, *d5;
	struct xs_store *s = store5(&lim, &d0, &d5);
	CHECK_STR(CALL(d5, XS_WRITE, 0, "a\0"), "OK");
	CHECK_STR(CALL(d5, XS_WRITE, 0, "b/c\0"), "E:ENOSPC");   /* two more: 4 */
	CHECK_STR(CALL(d5, XS_WRITE, 0, "b\0"), "OK");
	CHECK_STR(CALL(d5, XS_MKDIR, 0, "c\0"), "E:ENOSPC");
	CHECK_STR(CALL(d5, XS_WRITE, 0, "a\0" "12345678"), "OK");
	CHECK_STR(CALL(d5, XS_WRITE, 0, "a\0" "123456789"), "E:ENOSPC");
	CHECK_STR(CALL(d5, XS_RM, 0, "b\0"), "OK");
	CHECK_STR(CALL(d5, XS_MKDIR, 0, "c\0"), "OK");
	CHECK_STR(CALL(d0, XS_WRITE, 0, "/local/domain/5/big\0" "123456789"), "OK");  /* Domain 0: none */
	CHECK_STR(CALL(d5, XS_WATCH, 0, "a\0" "1\0"), "OK");
	CHECK_STR(CALL(d5, XS_WATCH, 0, "a\0" "2\0"), "OK");
	CHECK_STR(CALL(d5, XS_WATCH, 0, "a\0" "3\0"), "E:E2BIG");
	CHECK_STR(CALL(d5, XS_UNWATCH, 0, "a\0" "2\0"), "OK");
	CHECK_STR(CALL(d5, XS_WATCH, 0, "a\0" "3\0"), "OK");
	CHECK(atoi(CALL(d5, XS_TRANSACTION_START, 0, "\0")) > 0);
	CHECK_STR(CALL(d5, XS_TRANSACTION_START, 0, "\0"), "E:ENOSPC");
	CHECK_STR(CALL(d5, XS_RESET_WATCHES, 0, ""), "OK");       /* also ends its transactions */
	CHECK(atoi(CALL(d5, XS_TRANSACTION_START, 0, "\0")) > 0);

	/* Outstanding: once the transport reports what the peer took, a
	 * request waits while two messages are untaken. */
	xs_conn_output_done(d5->c, 0);
	CHECK_EQ(send_raw(d5, XS_READ, 0, "a\0", 2), 0);
	size_t first = d5->last_len;
	CHECK_EQ(send_raw(d5, XS_READ, 0, "a\0", 2), 0);
	unsigned before = d5->replies;
	CHECK_EQ(send_raw(d5, XS_READ, 0, "a\0", 2), 0);
	CHECK_EQ(d5->replies, before);                          /* held */
	CHECK_EQ(xs_conn_input_space(d5->c), 0);
	CHECK_EQ(send_raw(d5, XS_READ, 0, "a\0", 2), -ENOBUFS);  /* the transport ignored the space */
	xs_conn_output_done(d5->c, first);
	peer_take(d5);
	CHECK_EQ(d5->replies, before + 1);                      /* answered once there was room */
	peer_free(d5);

	/* A domain over the quota loses watch events; Domain 0 never. */
	d5 = peer_new(s, 5);
	CHECK_STR(CALL(d5, XS_WATCH, 0, "a\0" "w\0"), "OK");
	xs_conn_output_done(d5->c, 0);
	d5->nev = 0;
	for (int i = 0; i < 4; i++)
		xs_write(s, "/local/domain/5/a", "x", 1);
	peer_take(d5);
	CHECK_EQ(d5->nev, 2);
	done(s, d0, d5);
}

/* Transactions copy the store: the domains' copies together are bounded. */
static void test_tx_memory(void)
{
	struct peer *d0, *d5;
	struct xs_store *s = store5(NULL, &d0, &d5);
	static char big[4000];
	memset(big, 'v', sizeof(big));
	char path[64];
	for (int i = 0; i < 10000; i++) {
		snprintf(path, sizeof(path), "/big/%d/%d", i / 100, i % 100);
		xs_write(s, path, big, sizeof(big));
	}
	CHECK(atoi(CALL(d5, XS_TRANSACTION_START, 0, "\0")) > 0);
	CHECK_STR(CALL(d5, XS_TRANSACTION_START, 0, "\0"), "E:ENOSPC");
	CHECK(atoi(CALL(d0, XS_TRANSACTION_START, 0, "\0")) > 0);     /* Domain 0's are not counted */
	CHECK_STR(CALL(d5, XS_RESET_WATCHES, 0, ""), "OK");
	uint32_t tx = (uint32_t)atoi(CALL(d5, XS_TRANSACTION_START, 0, "\0"));
	CHECK(tx > 0);
	/* ...and what one transaction changes. */
	for (int i = 0; i < XS_TX_CHANGES; i++)
		CHECK_STR(CALL(d5, XS_WRITE, tx, "x\0v"), "OK");
	CHECK_STR(CALL(d5, XS_WRITE, tx, "x\0v"), "E:ENOSPC");
	CHECK_STR(CALL(d5, XS_READ, tx, "x\0"), "v");
	CHECK_STR(CALL(d5, XS_TRANSACTION_END, tx, "T\0"), "OK");
	CHECK_STR(CALL(d5, XS_READ, 0, "x\0"), "v");
	done(s, d0, d5);
}

static void test_hostile(void)
{
	struct peer *d0, *d5;
	struct xs_store *s = store5(NULL, &d0, &d5);
	CHECK_STR(call(d5, XS_READ, 0, "name", 4), "E:EINVAL");          /* no NUL */
	CHECK_STR(call(d5, XS_READ, 0, "", 0), "E:EINVAL");
	CHECK_STR(CALL(d5, XS_READ, 0, "name\0extra\0"), "E:EINVAL");
	CHECK_STR(CALL(d5, XS_WRITE, 0, "novalue"), "E:EINVAL");
	CHECK_STR(CALL(d5, XS_WRITE, 0, "a b\0v"), "E:EINVAL");
	CHECK_STR(CALL(d5, XS_WRITE, 0, "a//b\0v"), "E:EINVAL");
	CHECK_STR(CALL(d5, XS_WRITE, 0, "a/\0v"), "E:EINVAL");
	CHECK_STR(CALL(d5, XS_WRITE, 0, "\0v"), "E:EINVAL");
	CHECK_STR(CALL(d5, XS_WRITE, 0, "@a\0v"), "E:EINVAL");
	CHECK_STR(CALL(d5, XS_WRITE, 0, "a@b\0v"), "OK");
	CHECK_STR(CALL(d5, XS_WATCH, 0, "a\0"), "E:EINVAL");              /* no token */
	CHECK_STR(CALL(d5, XS_GET_DOMAIN_PATH, 0, "x\0"), "E:EINVAL");
	CHECK_STR(CALL(d5, XS_GET_DOMAIN_PATH, 0, "99999\0"), "E:EINVAL");
	CHECK_STR(CALL(d5, XS_WATCH_EVENT, 0, "a\0b\0"), "E:EINVAL");
	CHECK_STR(CALL(d5, XS_ERROR, 0, "a\0"), "E:EINVAL");
	CHECK_STR(CALL(d5, XS_CONTROL, 0, "print\0"), "E:ENOSYS");
	CHECK_STR(CALL(d5, XS_SET_TARGET, 0, "1\0" "2\0"), "E:ENOSYS");
	CHECK_STR(CALL(d5, 999, 0, "x\0"), "E:ENOSYS");
	CHECK_STR(CALL(d5, XS_INVALID, 0, ""), "E:ENOSYS");
	/* Paths at the limits: 2048 below the domain's home, 3072 in all. */
	char p[XENSTORE_PAYLOAD_MAX];
	memset(p, 'a', sizeof(p));
	p[XENSTORE_REL_PATH_MAX] = '\0';
	CHECK_STR(call(d5, XS_WRITE, 0, p, XENSTORE_REL_PATH_MAX + 1), "OK");
	p[XENSTORE_REL_PATH_MAX] = 'a';
	p[XENSTORE_REL_PATH_MAX + 1] = '\0';
	CHECK_STR(call(d5, XS_WRITE, 0, p, XENSTORE_REL_PATH_MAX + 2), "E:EINVAL");
	memset(p, 'a', sizeof(p));
	p[0] = '/';
	p[XENSTORE_ABS_PATH_MAX + 1] = '\0';
	CHECK_STR(call(d0, XS_WRITE, 0, p, XENSTORE_ABS_PATH_MAX + 2), "E:EINVAL");
	p[XENSTORE_ABS_PATH_MAX] = '\0';
	CHECK_STR(call(d0, XS_WRITE, 0, p, XENSTORE_ABS_PATH_MAX + 1), "OK");
	/* A deep path made and removed in one go. */
	for (int i = 2; i < XENSTORE_ABS_PATH_MAX; i += 2)
		p[i] = '/';
	p[XENSTORE_ABS_PATH_MAX - 2] = '\0';
	CHECK_STR(call(d0, XS_WRITE, 0, p, XENSTORE_ABS_PATH_MAX - 1), "OK");
	CHECK_STR(CALL(d0, XS_RM, 0, "/a\0"), "OK");
	/* Split anywhere: one byte at a time. */
	struct xsd_sockmsg h = { .type = XS_READ, .req_id = 77, .len = 5 };
	unsigned char m[sizeof(h) + 5];
	memcpy(m, &h, sizeof(h));
	memcpy(m + sizeof(h), "name", 5);
	unsigned before = d5->replies;
	for (size_t i = 0; i < sizeof(m); i++)
		CHECK_EQ(xs_conn_input(d5->c, m + i, 1), 0);
	peer_take(d5);
	CHECK_EQ(d5->replies, before + 1);
	CHECK_EQ(d5->h.req_id, 77);
	CHECK_STR(d5->body, "five");
	/* A payload over the limit ends the stream, for good. */
	h = (struct xsd_sockmsg){ .type = XS_READ, .len = XENSTORE_PAYLOAD_MAX + 1 };
	CHECK_EQ(xs_conn_input(d5->c, &h, sizeof(h)), -E2BIG);
	CHECK_EQ(xs_conn_input(d5->c, "x", 1), -E2BIG);
	CHECK_EQ(xs_conn_input_space(d5->c), 0);
	done(s, d0, d5);
}

int main(void)
{
	test_basic();
	test_permissions();
	test_watches();
	test_transactions();
	test_quotas();
	test_tx_memory();
	test_hostile();
	return CHECK_DONE();
}
