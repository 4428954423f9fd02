/* A UDP sender for the pvos network tests (tests/integration/netflip.sh):
 * sends the test packets pvos's netrx checks (pvlab/netpkt.h) from the
 * host side of a TAP device, so that they reach the guest as Ethernet
 * frames of exactly the sizes asked for:
 *   pvlab-udpsend DST_IP N SIZES REPEAT
 * for each of REPEAT phases, for each frame size in SIZES (comma-separated,
 * 60..4096 bytes), N datagrams to DST_IP:9001 numbered 0..N-1. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "pvlab/netpkt.h"

static int usage(void)
{
	fprintf(stderr, "usage: pvlab-udpsend DST_IP N SIZES REPEAT (SIZES: frame bytes, 60..4096, comma-separated)\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc != 5)
		return usage();
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(9001) };
	struct sockaddr_in src = { .sin_family = AF_INET, .sin_port = htons(9000) };
	char *end;
	unsigned long n = strtoul(argv[2], &end, 10), rep = strtoul(argv[4], NULL, 10);
	if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1 || !n || !rep)
		return usage();
	unsigned sizes[16], ns = 0;
	for (char *p = argv[3]; *p && ns < 16;) {
		unsigned long v = strtoul(p, &end, 10);
		if (v < PV_NET_GEN_MIN || v > PV_NET_GEN_MAX || (*end && *end != ','))
			return usage();
		sizes[ns++] = (unsigned)v;
		p = *end ? end + 1 : end;
	}
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&src, sizeof(src))) {
		perror("pvlab-udpsend: socket");
		return 1;
	}
	static uint8_t f[PV_NET_GEN_MAX];
	for (unsigned long r = 0; r < rep; r++)
		for (unsigned i = 0; i < ns; i++)
			for (unsigned long seq = 0; seq < n; seq++) {
				pv_net_pkt_fill(f, sizes[i], (uint32_t)seq);
				size_t len = sizes[i] - PV_NET_HDR_LEN;
				if (sendto(s, f + PV_NET_HDR_LEN, len, 0, (struct sockaddr *)&dst, sizeof(dst)) != (ssize_t)len) {
					perror("pvlab-udpsend: sendto");
					return 1;
				}
			}
	close(s);
	return 0;
}
