/* The virtual firewall-router (VFR) of "Xen and the Art of
 * Virtualization": rules Domain 0 installs (pvctl vfr add|list|del) that
 * every packet crossing a VIF meets, in order, on transmit and on
 * receive; the first that matches accepts or drops it, and counts it; a
 * packet no rule matches is accepted. A rule matches on IPv4 source and
 * destination (CIDR), protocol (tcp, udp, icmp, any) and TCP/UDP ports:
 *
 *   ACTION [PROTO] [from A.B.C.D[/N]] [to A.B.C.D[/N]] [sport P[-Q]] [dport P[-Q]]
 *
 * e.g. "drop icmp", "drop tcp dport 8080", "accept udp from 10.0.0.0/8".
 * A rule that names no protocol, address or port ("drop", "drop any")
 * matches every frame, ARP included; any other matches IPv4 only. Pure
 * code (the table has its own lock): unit tested. */
#ifndef PVMON_VFR_H
#define PVMON_VFR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VFR_MAX_RULES 64
#define VFR_TEXT_MAX 128            /* a rule as vfr_format writes it */

enum vfr_action { VFR_ACCEPT, VFR_DROP };

struct vfr_rule {
	uint8_t action;                 /* enum vfr_action */
	uint8_t proto;                  /* IP protocol: 1 icmp, 6 tcp, 17 udp; 0 any */
	uint32_t src, src_mask, dst, dst_mask;    /* host byte order; mask 0: any */
	uint16_t sport_lo, sport_hi, dport_lo, dport_hi;   /* 0-65535: any */
};

/* What a rule looks at in a frame. */
struct vfr_pkt {
	bool ipv4, ports;               /* ports: TCP or UDP with its header there */
	uint8_t proto;
	uint32_t src, dst;
	uint16_t sport, dport;
};

/* text into r: 0, or -EINVAL with one line in err. */
int vfr_parse(const char *text, struct vfr_rule *r, char *err, size_t errlen);
/* r as text vfr_parse reads back. */
void vfr_format(const struct vfr_rule *r, char *buf, size_t len);
/* An Ethernet frame's fields (a truncated IPv4 header: not ipv4). */
void vfr_classify(const uint8_t *frame, size_t len, struct vfr_pkt *p);
bool vfr_match(const struct vfr_rule *r, const struct vfr_pkt *p);

/* pvmon's rules: each with an id (1, 2, ... never reused) and the
 * packets it matched. */
int vfr_add(const struct vfr_rule *r);          /* its id, or -ENOSPC */
int vfr_del(unsigned id);                       /* 0, -ENOENT */
/* The rules in order, at most max: their number. */
struct vfr_entry {
	unsigned id;
	struct vfr_rule rule;
	uint64_t packets;
};
int vfr_list(struct vfr_entry *out, int max);
/* A frame crossing a VIF: the first rule it matches counted, its action
 * returned (VFR_ACCEPT where none matches) and *id set to it (0: none). */
enum vfr_action vfr_decide(const uint8_t *frame, size_t len, unsigned *id);
/* Every rule gone (tests). */
void vfr_clear(void);
#endif
