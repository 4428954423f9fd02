/* The VFR's rules, their parser and matcher (vfr.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vfr.h"

/* ---- rules as text ---------------------------------------------------------------------- */

static const struct {
	const char *name;
	uint8_t proto;
} protos[] = { { "any", 0 }, { "icmp", 1 }, { "tcp", 6 }, { "udp", 17 } };

static int parse_cidr(const char *w, uint32_t *addr, uint32_t *mask)
{
	unsigned a[4], bits = 32;
	int n = 0;
	if (strspn(w, "0123456789./") != strlen(w))
		return -EINVAL;
	if (sscanf(w, "%3u.%3u.%3u.%3u%n", &a[0], &a[1], &a[2], &a[3], &n) != 4)
		return -EINVAL;
	if (w[n] == '/') {
		char *end;
		unsigned long b = strtoul(w + n + 1, &end, 10);
		if (end == w + n + 1 || *end || b > 32)
			return -EINVAL;
		bits = (unsigned)b;
	} else if (w[n]) {
		return -EINVAL;
	}
	for (int i = 0; i < 4; i++)
		if (a[i] > 255)
			return -EINVAL;
	*mask = bits ? ~0u << (32 - bits) : 0;
	*addr = (a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3]) & *mask;
	return 0;
}

static int parse_ports(const char *w, uint16_t *lo, uint16_t *hi)
{
	char *end;
	if (strspn(w, "0123456789-") != strlen(w) || !*w)
		return -EINVAL;
	unsigned long a = strtoul(w, &end, 10), b = a;
	if (end == w)
		return -EINVAL;
	if (*end == '-') {
		const char *q = end + 1;
		b = strtoul(q, &end, 10);
		if (end == q)
			return -EINVAL;
	}
	if (*end || a > 65535 || b > 65535 || a > b)
		return -EINVAL;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

int vfr_parse(const char *text, struct vfr_rule *r, char *err, size_t errlen)
{
	char buf[256], *save = NULL;
	if (strlen(text) >= sizeof(buf))
		return snprintf(err, errlen, "vfr rule: longer than %zu bytes", sizeof(buf) - 1), -EINVAL;
	strcpy(buf, text);
	memset(r, 0, sizeof(*r));
	r->sport_hi = r->dport_hi = 65535;
	char *w = strtok_r(buf, " \t", &save);
	if (!w || (strcmp(w, "accept") && strcmp(w, "drop")))
		return snprintf(err, errlen, "vfr rule '%s': it starts with accept or drop", text), -EINVAL;
	r->action = strcmp(w, "drop") ? VFR_ACCEPT : VFR_DROP;
	bool proto = false, from = false, to = false, sport = false, dport = false;
	while ((w = strtok_r(NULL, " \t", &save))) {
		bool known = false;
		for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
			if (!strcmp(w, protos[i].name)) {
				if (proto || from || to || sport || dport)
					return snprintf(err, errlen, "vfr rule '%s': the protocol comes once, after the action",
					                text), -EINVAL;
				r->proto = protos[i].proto;
				proto = known = true;
			}
		if (known)
			continue;
		bool *seen = !strcmp(w, "from") ? &from : !strcmp(w, "to") ? &to : !strcmp(w, "sport") ? &sport
		             : !strcmp(w, "dport") ? &dport : NULL;
		if (!seen)
			return snprintf(err, errlen, "vfr rule '%s': '%s' is none of tcp, udp, icmp, any, from, to, sport, "
			                "dport", text, w), -EINVAL;
		const char *key = w;
		if (*seen)
			return snprintf(err, errlen, "vfr rule '%s': '%s' given twice", text, key), -EINVAL;
		*seen = true;
		if (!(w = strtok_r(NULL, " \t", &save)))
			return snprintf(err, errlen, "vfr rule '%s': '%s' wants a value", text, key), -EINVAL;
		if (seen == &from || seen == &to) {
			if (parse_cidr(w, seen == &from ? &r->src : &r->dst, seen == &from ? &r->src_mask : &r->dst_mask))
				return snprintf(err, errlen, "vfr rule '%s': '%s' is not A.B.C.D or A.B.C.D/N", text, w), -EINVAL;
		} else {
			if (r->proto != 6 && r->proto != 17)
				return snprintf(err, errlen, "vfr rule '%s': ports are for tcp or udp", text), -EINVAL;
			if (parse_ports(w, seen == &sport ? &r->sport_lo : &r->dport_lo,
			                seen == &sport ? &r->sport_hi : &r->dport_hi))
				return snprintf(err, errlen, "vfr rule '%s': '%s' is not a port P or P-Q (0..65535)", text, w),
				       -EINVAL;
		}
	}
	return 0;
}

static int fmt_cidr(char *b, size_t n, const char *key, uint32_t a, uint32_t m)
{
	int bits = __builtin_popcount(m);
	return snprintf(b, n, " %s %u.%u.%u.%u/%d", key, a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255, bits);
}

void vfr_format(const struct vfr_rule *r, char *buf, size_t len)
{
	const char *p = "any";
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == r->proto)
			p = protos[i].name;
	size_t n = (size_t)snprintf(buf, len, "%s %s", r->action == VFR_DROP ? "drop" : "accept", p);
	if (r->src_mask && n < len)
		n += (size_t)fmt_cidr(buf + n, len - n, "from", r->src, r->src_mask);
	if (r->dst_mask && n < len)
		n += (size_t)fmt_cidr(buf + n, len - n, "to", r->dst, r->dst_mask);
	if ((r->sport_lo || r->sport_hi != 65535) && n < len)
		n += (size_t)(r->sport_lo == r->sport_hi ? snprintf(buf + n, len - n, " sport %u", r->sport_lo)
		              : snprintf(buf + n, len - n, " sport %u-%u", r->sport_lo, r->sport_hi));
	if ((r->dport_lo || r->dport_hi != 65535) && n < len)
		r->dport_lo == r->dport_hi ? snprintf(buf + n, len - n, " dport %u", r->dport_lo)
		                           : snprintf(buf + n, len - n, " dport %u-%u", r->dport_lo, r->dport_hi);
}

/* ---- matching ------------------------------------------------------------------------------ */

static uint32_t be32(const uint8_t *b) { return (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]; }
static uint16_t be16(const uint8_t *b) { return (uint16_t)(b[0] << 8 | b[1]); }

void vfr_classify(const uint8_t *f, size_t len, struct vfr_pkt *p)
{
	memset(p, 0, sizeof(*p));
	if (len < 14 + 20 || be16(f + 12) != 0x0800 || (f[14] >> 4) != 4)
		return;
	size_t ihl = (size_t)(f[14] & 15) * 4;
	if (ihl < 20 || len < 14 + ihl)
		return;
	p->ipv4 = true;
	p->proto = f[14 + 9];
	p->src = be32(f + 14 + 12);
	p->dst = be32(f + 14 + 16);
	/* Ports from the first fragment only: a later one has none. */
	bool first = !(be16(f + 14 + 6) & 0x1fff);
	if ((p->proto == 6 || p->proto == 17) && first && len >= 14 + ihl + 4) {
		p->ports = true;
		p->sport = be16(f + 14 + ihl);
		p->dport = be16(f + 14 + ihl + 2);
	}
}

bool vfr_match(const struct vfr_rule *r, const struct vfr_pkt *p)
{
	bool ports = r->sport_lo || r->sport_hi != 65535 || r->dport_lo || r->dport_hi != 65535;
	if (!r->proto && !r->src_mask && !r->dst_mask && !ports)
		return true;                            /* "drop", "accept any": every frame */
	if (!p->ipv4)
		return false;
	if (r->proto && r->proto != p->proto)
		return false;
	if ((p->src & r->src_mask) != r->src || (p->dst & r->dst_mask) != r->dst)
		return false;
	if (ports && (!p->ports || p->sport < r->sport_lo || p->sport > r->sport_hi || p->dport < r->dport_lo ||
	              p->dport > r->dport_hi))
		return false;
	return true;
}

/* ---- pvmon's table ---------------------------------------------------------------------------- */

static struct {
	pthread_mutex_t lock;
	struct vfr_entry e[VFR_MAX_RULES];
	int n;
	unsigned next_id;
} t = { .lock = PTHREAD_MUTEX_INITIALIZER, .next_id = 1 };

int vfr_add(const struct vfr_rule *r)
{
	pthread_mutex_lock(&t.lock);
	int id = -ENOSPC;
	if (t.n < VFR_MAX_RULES) {
		id = (int)t.next_id++;
		t.e[t.n++] = (struct vfr_entry){ (unsigned)id, *r, 0 };
	}
	pthread_mutex_unlock(&t.lock);
	return id;
}

int vfr_del(unsigned id)
{
	int rc = -ENOENT;
	pthread_mutex_lock(&t.lock);
	for (int i = 0; i < t.n; i++)
		if (t.e[i].id == id) {
			memmove(&t.e[i], &t.e[i + 1], (size_t)(t.n - i - 1) * sizeof(t.e[0]));
			t.n--;
			rc = 0;
			break;
		}
	pthread_mutex_unlock(&t.lock);
	return rc;
}

int vfr_list(struct vfr_entry *out, int max)
{
	pthread_mutex_lock(&t.lock);
	int n = t.n < max ? t.n : max;
	memcpy(out, t.e, (size_t)n * sizeof(*out));
	pthread_mutex_unlock(&t.lock);
	return n;
}

enum vfr_action vfr_decide(const uint8_t *frame, size_t len, unsigned *id)
{
	*id = 0;
	if (!__atomic_load_n(&t.n, __ATOMIC_RELAXED))
		return VFR_ACCEPT;                      /* no rules: no lock, no parsing */
	struct vfr_pkt p;
	vfr_classify(frame, len, &p);
	enum vfr_action a = VFR_ACCEPT;
	pthread_mutex_lock(&t.lock);
	for (int i = 0; i < t.n; i++)
		if (vfr_match(&t.e[i].rule, &p)) {
			t.e[i].packets++;
			*id = t.e[i].id;
			a = t.e[i].rule.action;
			break;
		}
	pthread_mutex_unlock(&t.lock);
	return a;
}

void vfr_clear(void)
{
	pthread_mutex_lock(&t.lock);
	t.n = 0;
	pthread_mutex_unlock(&t.lock);
}
