/* pvbench hcall: raw KVM exit vs pvmon null hypercall, with no LTTng
 * session, with a session on other events only and with hypercall events
 * on (interleaved, one run), multicall per-call cost at batch 1/16/256,
 * domain boot time. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../tracing/tracectl.h"
#include "bench.h"

struct hcall_result {
	double null_ns, mc_ns[3], boot_ms;
	int ok;
};

/* Run one pvos hcall domain under pvmon and parse its report lines. */

static int run_hcall_domain(unsigned long iters, struct hcall_result *r)
{
	char cfg[] = "/tmp/pvbench-hcall-XXXXXX", cmdline[64];
	snprintf(cmdline, sizeof(cmdline), "prog=hcall n=%lu", iters);
	if (write_cfg(cfg, cmdline, 32))
		return -errno;
	char cmd[PATH_MAX * 2];
	snprintf(cmd, sizeof(cmd), "'%s/pvmon' --pcpus 1 --stats run '%s' 2>&1", bindir, cfg);
	FILE *p = popen(cmd, "r");
	if (!p) {
		unlink(cfg);
		return -errno;
	}
	char line[512];
	memset(r, 0, sizeof(*r));
	int got = 0;
	while (fgets(line, sizeof(line), p)) {
		unsigned long n, ns, bs, calls;
		char *s = strstr(line, "hcall: "), *b = strstr(line, " boot ");
		if (b && strstr(line, "pvmon: domain"))
			sscanf(b, " boot %lfms", &r->boot_ms);
		if (!s) {
			if (strstr(line, "pvmon:") && !b)
				fputs(line, stderr);
			continue;
		}
		if (sscanf(s, "hcall: null n=%lu ns=%lu", &n, &ns) == 2) {
			r->null_ns = (double)ns;
			got++;
		} else if (sscanf(s, "hcall: multicall batch=%lu calls=%lu ns_per_call=%lu", &bs, &calls, &ns) == 3) {
			int i = bs == 1 ? 0 : bs == 16 ? 1 : bs == 256 ? 2 : -1;
			if (i >= 0) {
				r->mc_ns[i] = (double)ns;
				got++;
			}
		}
	}
	int st = pclose(p);
	unlink(cfg);
	r->ok = got == 4 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	return r->ok ? 0 : -EIO;
}

#define MAX_REPS 15

/* The tracing states compared: what a session costs when its events do not
 * fire on the hypercall path, and when they do. */
enum { TR_OFF, TR_OTHER, TR_HCALL, NR_TR };
static const char *const tr_events[NR_TR] = { NULL, "sched,domain,evtchn", "hypercall" };

struct tr_state {
	bool ok;
	const char *note;              /* why not, when !ok */
	uint64_t lost;                 /* events the tracer discarded */
	struct hcall_result r[MAX_REPS];
};

/* One traced repetition: a session recording the state's events (every
 * pvmon on the host) around one hcall domain. */
static int traced_rep(int t, unsigned long iters, struct tr_state *st, int rep)
{
	char dir[] = "/tmp/pvbench-trace-XXXXXX", session[64], err[512], cmd[128];
	if (!mkdtemp(dir))
		return -errno;
	snprintf(session, sizeof(session), "pvbench-%d-%d", (int)getpid(), t);
	int rc = tracectl_start(session, dir, tr_events[t], err, sizeof(err));
	if (rc) {
		fprintf(stderr, "pvbench: %s\n", err);
		st->note = "skipped (LTTng or its session daemon unavailable; see above)";
	} else {
		rc = run_hcall_domain(iters, &st->r[rep]);
		uint64_t lost = 0;
		if (tracectl_stop(session, &lost, err, sizeof(err)))
			fprintf(stderr, "pvbench: %s\n", err);
		st->lost += lost;
		if (rc)
			st->note = "failed (the traced run did not report)";
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	sh(cmd);
	return rc;
}

/* Median over reps of each figure. */
static void medians(const struct hcall_result *r, int reps, struct hcall_result *out)
{
	double v[5][MAX_REPS];
	for (int i = 0; i < reps; i++) {
		v[0][i] = r[i].null_ns;
		v[1][i] = r[i].mc_ns[0];
		v[2][i] = r[i].mc_ns[1];
		v[3][i] = r[i].mc_ns[2];
		v[4][i] = r[i].boot_ms;
	}
	out->null_ns = median(v[0], reps);
	for (int k = 0; k < 3; k++)
		out->mc_ns[k] = median(v[k + 1], reps);
	out->boot_ms = median(v[4], reps);
	out->ok = 1;
}

/* Each repetition runs every state in turn, so that a noisy neighbour
 * hurts them alike. */
static int run_states(unsigned long iters, int reps, bool notrace, struct tr_state st[NR_TR],
                      struct hcall_result med[NR_TR])
{
	for (int t = 0; t < NR_TR; t++) {
		st[t].ok = t == TR_OFF || !notrace;
		st[t].note = notrace ? "skipped (--no-trace)" : NULL;
		st[t].lost = 0;
	}
	for (int i = 0; i < reps; i++) {
		if (run_hcall_domain(iters, &st[TR_OFF].r[i]))
			return -EIO;
		for (int t = TR_OTHER; t < NR_TR; t++)
			if (st[t].ok && traced_rep(t, iters, &st[t], i))
				st[t].ok = false;
	}
	for (int t = 0; t < NR_TR; t++) {
		memset(&med[t], 0, sizeof(med[t]));
		if (st[t].ok)
			medians(st[t].r, reps, &med[t]);
	}
	return 0;
}

int cmd_hcall(int argc, char **argv)
{
	unsigned long iters = 3000;
	int json = 0, notrace = 0, reps = 3;
	static const struct option opts[] = {
		{ "iters", required_argument, 0, 'n' }, { "json", no_argument, 0, 'j' },
		{ "no-trace", no_argument, 0, 't' }, { "reps", required_argument, 0, 'r' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int c, rc;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if ((rc = bench_opt_ulong("iters", optarg, 100, 10000000, &iters)))
				return rc;
			break;
		case 'j': json = 1; break;
		case 't': notrace = 1; break;
		case 'r':
			if ((rc = bench_opt_int("reps", optarg, 1, MAX_REPS, &reps)))
				return rc;
			break;
		case 'h': bench_usage(stdout); return 0;
		default: bench_usage(stderr); return 2;
		}
	}
	if ((rc = bench_kvm_init()))
		return rc;
	double raws[MAX_REPS], raw;
	for (int i = 0; i < reps; i++)
		if (bench_raw_exit(iters, &raws[i], NULL, 0))
			return 1;
	raw = median(raws, reps);
	struct tr_state *st = calloc(NR_TR, sizeof(*st));
	struct hcall_result med[NR_TR];
	if (!st)
		return 1;
	if (run_states(iters, reps, notrace, st, med)) {
		fprintf(stderr, "pvbench: the pvos hcall domain did not report (is build/guest/pvos.elf built?)\n");
		free(st);
		return 1;
	}
	const struct hcall_result *off = &med[TR_OFF], *other = &med[TR_OTHER], *on = &med[TR_HCALL];
	double r_null = off->null_ns / raw;
	double r_other = other->ok ? other->null_ns / off->null_ns : 0, r_trace = on->ok ? on->null_ns / off->null_ns : 0;
	if (json) {
		/* a tracing state that did not run has no figures: null, not 0 */
		char b[5][32];
		printf("{\"raw_exit_ns\": %.0f, \"null_hcall_ns\": %.0f, \"null_hcall_other_events_ns\": %s, "
		       "\"null_hcall_traced_ns\": %s, "
		       "\"multicall_ns_per_call\": {\"1\": %.0f, \"16\": %.0f, \"256\": %.0f}, "
		       "\"ratio_null_vs_raw\": %.3f, \"ratio_other_events_vs_untraced\": %s, "
		       "\"ratio_traced_vs_untraced\": %s, \"trace_events_lost\": %s, "
		       "\"ratio_batch16_vs_1\": %.4f, \"ratio_batch256_vs_1\": %.4f, \"boot_ms\": %.3f, "
		       "\"iters\": %lu, \"reps\": %d}\n",
		       raw, off->null_ns, json_num(b[0], "%.0f", other->null_ns, other->ok),
		       json_num(b[1], "%.0f", on->null_ns, on->ok), off->mc_ns[0], off->mc_ns[1], off->mc_ns[2], r_null,
		       json_num(b[2], "%.3f", r_other, other->ok), json_num(b[3], "%.3f", r_trace, on->ok),
		       json_num(b[4], "%.0f", (double)(st[TR_OTHER].lost + st[TR_HCALL].lost), other->ok || on->ok),
		       off->mc_ns[1] / off->mc_ns[0], off->mc_ns[2] / off->mc_ns[0], off->boot_ms, iters, reps);
		free(st);
		return 0;
	}
	printf("pvbench hcall (%lu iterations, median of %d repetitions of each, one run)\n", iters, reps);
	printf("  raw KVM port-I/O exit round trip      %10.0f ns\n", raw);
	printf("  pvmon null hypercall, no LTTng session %9.0f ns   ratio to raw exit %.3f (budget <= 1.10)\n",
	       off->null_ns, r_null);
	static const char *const label[NR_TR] = { NULL, "  with a session on other events", "  with a session on hypercall events" };
	for (int t = TR_OTHER; t < NR_TR; t++) {
		if (st[t].ok)
			printf("  %-38s %9.0f ns   ratio to no session %.3f (budget <= 1.15)%s\n", label[t],
			       med[t].null_ns, med[t].null_ns / off->null_ns,
			       st[t].lost ? "; the tracer lost events" : "");
		else
			printf("  %-38s %s\n", label[t], st[t].note);
	}
	printf("  multicall batch 1                     %10.0f ns/call\n", off->mc_ns[0]);
	printf("  multicall batch 16                    %10.0f ns/call   ratio to batch 1 %.4f\n",
	       off->mc_ns[1], off->mc_ns[1] / off->mc_ns[0]);
	printf("  multicall batch 256                   %10.0f ns/call   ratio to batch 1 %.4f\n",
	       off->mc_ns[2], off->mc_ns[2] / off->mc_ns[0]);
	printf("  domain create to guest's first hypercall %7.3f ms   (budget <= 50)\n", off->boot_ms);
	free(st);
	return 0;
}

