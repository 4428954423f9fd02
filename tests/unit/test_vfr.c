/* vfr.c: the VFR's rules parsed (and refused in one line), written back
 * as text that parses to the same rule, matched against frames by
 * address, protocol and port, and checked in order with per-rule counts
 * and accept by default. */
#include <errno.h>
#include <stdlib.h>
#include "check.h"
#include "../../hypervisor/src/vfr.h"

/* An Ethernet frame: IPv4 proto from src to dst, ports where TCP/UDP. */
static size_t frame(uint8_t *f, uint8_t proto, uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp)
{
	memset(f, 0, 64);
	f[12] = 0x08;
	uint8_t *ip = f + 14;
	ip[0] = 0x45;
	ip[9] = proto;
	for (int i = 0; i < 4; i++) {
		ip[12 + i] = (uint8_t)(src >> (24 - 8 * i));
		ip[16 + i] = (uint8_t)(dst >> (24 - 8 * i));
	}
	ip[20] = (uint8_t)(sp >> 8), ip[21] = (uint8_t)sp, ip[22] = (uint8_t)(dp >> 8), ip[23] = (uint8_t)dp;
	return 64;
}

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static bool matches(const char *rule, const uint8_t *f, size_t len)
{
	struct vfr_rule r;
	char err[256];
	struct vfr_pkt p;
	CHECK_EQ(vfr_parse(rule, &r, err, sizeof(err)), 0);
	vfr_classify(f, len, &p);
	return vfr_match(&r, &p);
}

int main(void)
{
	struct vfr_rule r;
	char err[256], text[VFR_TEXT_MAX];
	/* Text in, the same rule out. */
	static const char *const good[][2] = {
		{ "drop", "drop any" }, { "accept any", "accept any" }, { "drop icmp", "drop icmp" },
		{ "drop tcp dport 8080", "drop tcp dport 8080" },
		{ "accept  udp  from 10.1.2.3/8 to 192.168.0.1 sport 1-1023", "accept udp from 10.0.0.0/8 to 192.168.0.1/32 sport 1-1023" },
		{ "drop tcp to 0.0.0.0/0 dport 0-65535", "drop tcp" },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK_EQ(vfr_parse(good[i][0], &r, err, sizeof(err)), 0);
		vfr_format(&r, text, sizeof(text));
		CHECK_STR(text, good[i][1]);
		struct vfr_rule again;
		CHECK_EQ(vfr_parse(text, &again, err, sizeof(err)), 0);
		CHECK(!memcmp(&r, &again, sizeof(r)));
	}
	static const char *const bad[][2] = {
		{ "", "starts with accept or drop" }, { "reject icmp", "starts with accept or drop" },
		{ "drop icmp tcp", "the protocol comes once" }, { "drop from 10.0.0.1 tcp", "the protocol comes once" },
		{ "drop sctp", "none of tcp" }, { "drop tcp from", "wants a value" }, { "drop from 10.0.0.256", "not A.B.C.D" },
		{ "drop from 10.0.0.1/33", "not A.B.C.D" }, { "drop from 10.0.0", "not A.B.C.D" },
		{ "drop from 10.0.0.1/", "not A.B.C.D" }, { "drop icmp dport 1", "ports are for tcp or udp" },
		{ "drop dport 80", "ports are for tcp or udp" }, { "drop tcp dport 65536", "not a port" },
		{ "drop tcp dport 90-80", "not a port" }, { "drop tcp dport -1", "not a port" },
		{ "drop tcp dport 1 dport 2", "given twice" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		CHECK_EQ(vfr_parse(bad[i][0], &r, err, sizeof(err)), -EINVAL);
		CHECK(strstr(err, bad[i][1]) && !strchr(err, '\n'));
	}

	/* Matching. */
	uint8_t f[64];
	size_t n = frame(f, 6, IP(10, 9, 0, 1), IP(10, 9, 0, 2), 40000, 8080);
	CHECK(matches("drop tcp dport 8080", f, n));
	CHECK(!matches("drop tcp dport 8081", f, n));
	CHECK(matches("drop tcp dport 8000-8080 sport 40000", f, n));
	CHECK(!matches("drop udp dport 8080", f, n));
	CHECK(!matches("drop icmp", f, n));
	CHECK(matches("drop from 10.9.0.0/24 to 10.9.0.2", f, n));
	CHECK(!matches("drop from 10.9.0.2", f, n));
	CHECK(matches("drop", f, n));
	n = frame(f, 1, IP(10, 9, 0, 2), IP(10, 9, 0, 1), 0, 0);
	CHECK(matches("drop icmp", f, n));
	CHECK(matches("drop any to 10.9.0.1", f, n));
	CHECK(!matches("drop tcp", f, n));
	/* ARP: only rules that name nothing. */
	memset(f, 0, sizeof(f));
	f[12] = 0x08, f[13] = 0x06;
	CHECK(matches("drop", f, 42));
	CHECK(!matches("drop icmp", f, 42));
	CHECK(!matches("drop from 0.0.0.0/1", f, 42));
	/* A later fragment of TCP: no ports, so no port rule; a truncated header: no IPv4. */
	n = frame(f, 6, IP(10, 9, 0, 1), IP(10, 9, 0, 2), 40000, 8080);
	f[14 + 7] = 1;
	CHECK(!matches("drop tcp dport 8080", f, n));
	CHECK(matches("drop tcp", f, n));
	CHECK(!matches("drop tcp", f, 14 + 19));

	/* The table: in order, first match counts, default accept. */
	vfr_clear();
	unsigned id;
	n = frame(f, 6, IP(10, 9, 0, 1), IP(10, 9, 0, 2), 40000, 8080);
	CHECK_EQ(vfr_decide(f, n, &id), VFR_ACCEPT);
	CHECK_EQ(id, 0);
	vfr_parse("accept tcp from 10.9.0.1", &r, err, sizeof(err));
	int a = vfr_add(&r);
	vfr_parse("drop tcp dport 8080", &r, err, sizeof(err));
	int b = vfr_add(&r);
	CHECK(a > 0 && b == a + 1);
	CHECK_EQ(vfr_decide(f, n, &id), VFR_ACCEPT);         /* the accept comes first */
	CHECK_EQ(id, a);
	CHECK_EQ(vfr_del((unsigned)a), 0);
	CHECK_EQ(vfr_del((unsigned)a), -ENOENT);
	CHECK_EQ(vfr_decide(f, n, &id), VFR_DROP);
	CHECK_EQ(vfr_decide(f, n, &id), VFR_DROP);
	CHECK_EQ(id, b);
	struct vfr_entry e[VFR_MAX_RULES];
	CHECK_EQ(vfr_list(e, VFR_MAX_RULES), 1);
	CHECK(e[0].id == (unsigned)b && e[0].packets == 2);
	for (int i = 1; i < VFR_MAX_RULES; i++)
		CHECK(vfr_add(&r) > 0);
	CHECK_EQ(vfr_add(&r), -ENOSPC);
	CHECK_EQ(vfr_list(e, 3), 3);
	vfr_clear();
	CHECK_EQ(vfr_decide(f, n, &id), VFR_ACCEPT);
	return CHECK_DONE();
}
