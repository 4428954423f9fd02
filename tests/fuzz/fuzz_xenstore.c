/* libFuzzer target for pvmon's xenstore (xenstore.c): the input is a program
 * of steps on a store with small quotas and four connections (Domain 0,
 * domain 5 twice, domain 6): raw stream bytes, requests built from a
 * dictionary of paths and arguments (split anywhere), what a peer took,
 * domains introduced and released, pvmon's own writes and removals,
 * connections dropped and made again. Every message the store sends must
 * be whole and well-formed (a reply, an XS_ERROR with one of Xen's error
 * strings, or a watch event of two strings), and nothing may crash or
 * leak. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/io/xs_wire.h>
#include "../../hypervisor/src/xenstore.h"

#define NCONN 4

struct peer {
	struct xs_conn *c;
	unsigned domid;
	uint32_t tx;            /* the last transaction it started */
	int err;
};

static const char *const words[] = {
	"/", "/local", "/local/domain/5", "/local/domain/6/x", "/local/domain/0/backend", "data", "data/x",
	"data/x/y", "name", "@introduceDomain", "@releaseDomain", "@bad", "/a/b", "a//b", "a/", "",
	"T", "F", "0", "5", "6", "65536", "r5", "b0", "n6", "w5", "x1", "tok", "1", "/local/domain/5/data",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_xenstore: %s\n", why);
	abort();
}

static void check_msg(void *ctx, const void *msg, size_t len)
{
	struct peer *p = ctx;
	struct xsd_sockmsg h;
	if (len < sizeof(h))
		fail("a message shorter than its header");
	memcpy(&h, msg, sizeof(h));
	const char *b = (const char *)msg + sizeof(h);
	if (h.len != len - sizeof(h) || h.len > XENSTORE_PAYLOAD_MAX)
		fail("a message whose length is not its header's, or over XENSTORE_PAYLOAD_MAX");
	if (h.type == XS_ERROR) {
		if (!h.len || b[h.len - 1])
			fail("an error string without its NUL");
		size_t i = 0;
		while (i < sizeof(xsd_errors) / sizeof(xsd_errors[0]) && strcmp(xsd_errors[i].errstring, b))
			i++;
		if (i == sizeof(xsd_errors) / sizeof(xsd_errors[0]))
			fail("an error string that is not Xen's");
	} else if (h.type == XS_WATCH_EVENT) {
		if (!h.len || b[h.len - 1] || strlen(b) + 1 >= h.len || strlen(b) + strlen(b + strlen(b) + 1) + 2 != h.len)
			fail("a watch event that is not two strings");
	} else if (h.type >= XS_TYPE_COUNT) {
		fail("a reply of no request's type");
	} else if (h.type == XS_TRANSACTION_START) {
		p->tx = (uint32_t)strtoul(b, NULL, 10);
	}
}

static size_t put_word(char *buf, size_t at, uint8_t w)
{
	const char *s = words[w % NWORDS];
	size_t n = strlen(s) + 1;
	memcpy(buf + at, s, n);
	return at + n;
}

static void feed(struct peer *p, const void *buf, size_t len)
{
	if (p->c && !p->err)
		p->err = xs_conn_input(p->c, buf, len);
}

/* type, tx choice, two words, a count of raw bytes after them, whether the
 * last NUL stays, where to split. */
static size_t request(struct peer *p, const uint8_t *d, size_t n)
{
	if (n < 8)
		return n;
	char buf[sizeof(struct xsd_sockmsg) + 512];
	struct xsd_sockmsg h = { .type = d[0] % (XS_TYPE_COUNT + 2), .req_id = d[1],
	                         .tx_id = d[1] & 1 ? p->tx : d[1] & 2 ? d[1] : 0 };
	size_t at = sizeof(h);
	at = put_word(buf, at, d[2]);
	if (d[3] & 1)
		at = put_word(buf, at, d[3] >> 1);
	if (d[3] & 64)
		at = put_word(buf, at, d[4]);
	size_t raw = d[5] % 64 < n - 8 ? d[5] % 64 : n - 8;
	memcpy(buf + at, d + 8, raw);
	at += raw;
	if (d[6] & 1)
		at--;           /* the last NUL dropped */
	h.len = (uint32_t)(at - sizeof(h));
	memcpy(buf, &h, sizeof(h));
	size_t split = d[7] % (at + 1);
	feed(p, buf, split);
	feed(p, buf + split, at - split);
	return 8 + raw;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xs_limits lim = { .nodes = 12, .node_size = 64, .watches = 4, .outstanding = 6, .transactions = 2 };
	struct xs_store *s = xs_store_new(&lim);
	if (!s)
		fail("no store");
	static const unsigned doms[NCONN] = { 0, 5, 5, 6 };
	struct peer peers[NCONN];
	for (int i = 0; i < NCONN; i++) {
		peers[i] = (struct peer){ .domid = doms[i] };
		peers[i].c = xs_conn_new(s, doms[i], check_msg, &peers[i]);
	}
	xs_domain_introduce(s, 5, "five");
	size_t i = 0;
	while (i + 2 <= size) {
		uint8_t op = data[i], arg = data[i + 1];
		struct peer *p = &peers[(op >> 3) % NCONN];
		i += 2;
		switch (op & 7) {
		case 0: {           /* raw stream bytes */
			size_t n = arg < size - i ? arg : size - i;
			feed(p, data + i, n);
			i += n;
			break;
		}
		case 1:
			i += request(p, data + i, size - i);
			break;
		case 2:
			if (p->c)
				xs_conn_output_done(p->c, (size_t)arg * 8);
			break;
		case 3:
			xs_domain_introduce(s, 5 + arg % 3, arg & 8 ? "x" : "name");
			break;
		case 4:
			xs_domain_release(s, 5 + arg % 3);
			break;
		case 5:
			xs_write(s, words[arg % NWORDS], "v", arg & 1);
			break;
		case 6:             /* the transport closes and reconnects */
			xs_conn_free(p->c);
			*p = (struct peer){ .domid = p->domid };
			p->c = xs_conn_new(s, p->domid, check_msg, p);
			break;
		default:
			xs_rm(s, words[arg % NWORDS]);
			break;
		}
	}
	for (int k = 0; k < NCONN; k++)
		xs_conn_free(peers[k].c);
	xs_store_free(s);
	return 0;
}
