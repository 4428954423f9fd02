/* pvbench netflip: page flipping against copying, measured. A pvos domain
 * (prog=netrx) receives N packets of each size from pvmon's network back
 * end (pvnet = "gen": pvmon's packet generator puts each packet in a page
 * of the back end's, as a NIC would), first by page flip, then by grant
 * copy, and checks every one. pvmon stamps the phase's first and last
 * console lines with its counters (--console-counters), so exits,
 * hypercalls, flips, bytes copied and notifications per packet are
 * pvmon's counts, not estimates; times are the guest's, connect to last
 * packet. Printed next to this host's raw KVM exit cost, with the
 * flip/copy ratios of the same run. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"
#include "lmrows.h"

#define MAX_SIZES 8
enum { FLIP, COPY, NMODES };
static const char *const mode_names[NMODES] = { "flip", "copy" };

/* The counters netflip reports per packet, by PVMON_CONSOLE_COUNTERS index. */
static const struct { int k; const char *label, *json; } per_pkt[] = {
	{ CONSCNT_EXITS, "exits", "exits" },
	{ CONSCNT_HYPERCALLS, "hcalls", "hypercalls" },
	{ CONSCNT_MMU_UPDATES, "mmu", "mmu_updates" },
	{ CONSCNT_PAGE_FLIPS, "flips", "flips" },
	{ CONSCNT_NET_COPIED, "copied", "bytes_copied" },
	{ CONSCNT_NET_EVENTS, "events", "events" },
	{ CONSCNT_NET_KICKS, "kicks", "kicks" },
};
#define NPER (sizeof(per_pkt) / sizeof(per_pkt[0]))

struct phase {
	unsigned size;
	unsigned long n, bad;
	double ns;                  /* guest time for the phase */
	bool begun, done, counted;
	uint64_t at[CONSCNT_NR];    /* the begin line's stamp */
	bool at_has[CONSCNT_NR];
	double per[CONSCNT_NR];     /* counters per packet */
	uint64_t total[CONSCNT_NR];
};

struct run {
	unsigned sizes[MAX_SIZES];
	int nsizes;
	struct phase ph[NMODES][MAX_SIZES];
};

static struct phase *find(struct run *r, const char *mode, unsigned size)
{
	for (int m = 0; m < NMODES; m++)
		for (int i = 0; i < r->nsizes; i++)
			if (!strcmp(mode, mode_names[m]) && r->sizes[i] == size)
				return &r->ph[m][i];
	return NULL;
}

static void parse_line(struct run *r, const char *line)
{
	const char *p = strstr(line, "netrx: ");
	if (!p)
		return;
	uint64_t v[CONSCNT_NR] = { 0 };
	bool has[CONSCNT_NR] = { false };
	const char *b = strchr(line, '{');
	if (!b || b > p || lm_stamp(b, v, has) != p)
		return;                       /* unstamped: no counts */
	char mode[8];
	unsigned size;
	unsigned long n, ns, bad, errors;
	if (sscanf(p, "netrx: begin %7s %u n=%lu", mode, &size, &n) == 3) {
		struct phase *ph = find(r, mode, size);
		if (ph) {
			ph->begun = true;
			memcpy(ph->at, v, sizeof(v));
			memcpy(ph->at_has, has, sizeof(has));
		}
	} else if (sscanf(p, "netrx: %7s %u n=%lu ns=%lu bad=%lu errors=%lu", mode, &size, &n, &ns, &bad, &errors) == 6) {
		struct phase *ph = find(r, mode, size);
		if (!ph || !ph->begun || !n)
			return;
		ph->done = true;
		ph->n = n;
		ph->ns = (double)ns;
		ph->bad = bad + errors;
		ph->counted = true;
		for (unsigned i = 0; i < NPER; i++) {
			int k = per_pkt[i].k;
			if (!has[k] || !ph->at_has[k] || v[k] < ph->at[k])
				ph->counted = false;
			else
				ph->total[k] = v[k] - ph->at[k], ph->per[k] = (double)ph->total[k] / (double)n;
		}
	}
}

static int run_domain(struct run *r, unsigned long n)
{
	char cfg[] = "/tmp/pvbench-netflip-XXXXXX", cmdline[256], cmd[PATH_MAX * 2], line[1024];
	int o = snprintf(cmdline, sizeof(cmdline), "prog=netrx n=%lu modes=flip,copy sizes=", n);
	for (int i = 0; i < r->nsizes; i++)
		o += snprintf(cmdline + o, sizeof(cmdline) - (size_t)o, "%s%u", i ? "," : "", r->sizes[i]);
	if (write_cfg(cfg, cmdline, 32))
		return -errno;
	FILE *f = fopen(cfg, "a");
	if (!f || fprintf(f, "pvnet = \"gen\"\n") < 0 || fclose(f)) {
		unlink(cfg);
		return -EIO;
	}
	snprintf(cmd, sizeof(cmd), "'%s/pvmon' --console-counters --pcpus 1 run '%s' 2>&1", bindir, cfg);
	FILE *p = popen(cmd, "r");
	if (!p) {
		unlink(cfg);
		return -errno;
	}
	while (fgets(line, sizeof(line), p)) {
		parse_line(r, line);
		const char *q = strstr(line, "netrx: ");
		bool ours = q && (!strncmp(q, "netrx: begin", 12) || !strncmp(q, "netrx: done", 11) || strstr(q, " ns="));
		if (strstr(line, "pvmon: ") || strstr(line, "panic") || (q && !ours))
			fputs(line, stderr);            /* what went wrong, in pvmon's or the guest's words */
	}
	int st = pclose(p);
	unlink(cfg);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static double pps(const struct phase *ph) { return (double)ph->n / (ph->ns / 1e9); }
static double mbps(const struct phase *ph) { return (double)ph->n * ph->size / (ph->ns / 1e3); }

static void print_text(const struct run *r, unsigned long n, double raw, const char *raw_why)
{
	printf("pvbench netflip: %lu packets a size received by a pvos domain from pvmon's packet generator\n"
	       "  (pvnet = \"gen\"), by page flip then by grant copy, every packet checked; per packet:\n"
	       "  pvmon's counters (--console-counters); time: the guest's, connect to last packet\n", n);
	printf("  %-4s %5s %10s %9s %8s", "mode", "size", "pkts/s", "MB/s", "ns/pkt");
	for (unsigned i = 0; i < NPER; i++)
		printf(" %8s", per_pkt[i].label);
	printf("\n");
	for (int m = 0; m < NMODES; m++)
		for (int i = 0; i < r->nsizes; i++) {
			const struct phase *ph = &r->ph[m][i];
			printf("  %-4s %5u %10.0f %9.1f %8.0f", mode_names[m], ph->size, pps(ph), mbps(ph), ph->ns / (double)ph->n);
			for (unsigned k = 0; k < NPER; k++)
				printf(per_pkt[k].k == CONSCNT_NET_COPIED ? " %8.0f" : " %8.3f", ph->per[per_pkt[k].k]);
			printf("\n");
		}
	printf("  flip/copy, per size (time per packet; > 1: the flip is slower):");
	for (int i = 0; i < r->nsizes; i++)
		printf(" %u: %.2f", r->sizes[i], r->ph[FLIP][i].ns / r->ph[COPY][i].ns);
	printf("\n");
	if (raw > 0)
		printf("  raw KVM exit round trip on this host: %.0f ns\n", raw);
	else
		printf("  raw KVM exit round trip: not measured (%s)\n", raw_why);
}

static void print_json(const struct run *r, unsigned long n, double raw)
{
	char b[32];
	printf("{\n  \"n\": %lu, \"source\": \"gen\", \"raw_exit_ns\": %s,\n  \"rows\": [\n", n,
	       json_num(b, "%.0f", raw, raw > 0));
	for (int m = 0; m < NMODES; m++)
		for (int i = 0; i < r->nsizes; i++) {
			const struct phase *ph = &r->ph[m][i];
			printf("    {\"mode\": \"%s\", \"size\": %u, \"packets\": %lu, \"ns\": %.0f, \"pkts_per_s\": %.0f, "
			       "\"mb_per_s\": %.2f", mode_names[m], ph->size, ph->n, ph->ns, pps(ph), mbps(ph));
			for (unsigned k = 0; k < NPER; k++)
				printf(", \"%s_per_pkt\": %.4f", per_pkt[k].json, ph->per[per_pkt[k].k]);
			printf("}%s\n", m == NMODES - 1 && i == r->nsizes - 1 ? "" : ",");
		}
	printf("  ],\n  \"flip_over_copy_time\": {");
	for (int i = 0; i < r->nsizes; i++)
		printf("%s\"%u\": %.3f", i ? ", " : "", r->sizes[i], r->ph[FLIP][i].ns / r->ph[COPY][i].ns);
	printf("}\n}\n");
}

static int parse_sizes(const char *s, struct run *r)
{
	r->nsizes = 0;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int v;
		if (r->nsizes == MAX_SIZES)
			return fprintf(stderr, "pvbench: --sizes takes at most %d sizes\n", MAX_SIZES), 2;
		if (bench_opt_int("sizes", t, 60, 4096, &v))
			return 2;
		r->sizes[r->nsizes++] = (unsigned)v;
	}
	if (!r->nsizes)
		return fprintf(stderr, "pvbench: --sizes wants a list such as 64,1500,4096\n"), 2;
	return 0;
}

int cmd_netflip(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "packets", required_argument, 0, 'n' }, { "sizes", required_argument, 0, 's' },
		{ "quick", no_argument, 0, 'q' }, { "json", no_argument, 0, 'j' }, { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	unsigned long n = 20000;
	bool json = false, quick = false;
	static struct run r;
	memset(&r, 0, sizeof(r));
	parse_sizes("64,1500,4096", &r);
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:s:qjh", opts, NULL)) != -1) {
		switch (c) {
		case 'n': if (bench_opt_ulong("packets", optarg, 1, 10000000, &n)) return 2; break;
		case 's': if (parse_sizes(optarg, &r)) return 2; break;
		case 'q': quick = true; break;
		case 'j': json = true; break;
		case 'h': bench_usage(stdout); return 0;
		default: bench_usage(stderr); return 2;
		}
	}
	if (optind < argc)
		return fprintf(stderr, "pvbench: netflip: unexpected argument '%s'\n", argv[optind]), 2;
	if (quick)
		n = 2000;
	if (bench_kvm_init())
		return 1;
	for (int m = 0; m < NMODES; m++)
		for (int i = 0; i < r.nsizes; i++)
			r.ph[m][i].size = r.sizes[i];
	double raw = 0;
	char why[320] = "";
	bench_raw_exit(quick ? 2000 : 20000, &raw, why, sizeof(why));
	if (run_domain(&r, n)) {
		fprintf(stderr, "pvbench: netflip: the netrx domain failed (its lines above)\n");
		return 1;
	}
	for (int m = 0; m < NMODES; m++)
		for (int i = 0; i < r.nsizes; i++) {
			const struct phase *ph = &r.ph[m][i];
			if (!ph->done || !ph->counted || ph->bad || ph->ns <= 0) {
				fprintf(stderr, "pvbench: netflip: %s %u: %s\n", mode_names[m], ph->size,
				        !ph->done ? "no result line" : ph->bad ? "bad packets" : "no counter stamps");
				return 1;
			}
		}
	if (json)
		print_json(&r, n, raw);
	else
		print_text(&r, n, raw, why);
	return 0;
}
