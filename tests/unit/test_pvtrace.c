/* Unit test of pvtrace's library (no trace files needed, no babeltrace2
 * graph): names against pvmon's own table, percentiles, histogram buckets,
 * the vCPU state machine on hand-made event sequences (including the
 * leaves pvmon does not trace), hypercall accounting, the CSV and SQLite
 * writers, and the checks that refuse truncated metadata and streams. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../hypervisor/src/hypercall.h"
#include "../../hypervisor/src/xen_domain.h"
#include "../../tracing/pvtrace.h"
#include "pvlab/xen_hypercalls.h"
#include "check.h"

static void test_names(void)
{
	char buf[32];
	for (int nr = 0; nr < PV_HC_MAX; nr++) {
		CHECK_STR(pvt_hcall_name((uint64_t)nr, buf, sizeof(buf)), hcall_names[nr]);
		CHECK_EQ(pvt_hcall_lookup(hcall_names[nr]), nr);
	}
	char want[32];
	snprintf(want, sizeof(want), "nr_%d", PV_HC_MAX);
	CHECK_STR(pvt_hcall_name(PV_HC_MAX, buf, sizeof(buf)), want);
	CHECK_EQ(pvt_hcall_lookup("nr_99"), 99);
	CHECK_EQ(pvt_hcall_lookup("nosuch"), -1);
	CHECK_EQ(pvt_hcall_lookup("nr_12x"), -1);
	CHECK_STR(pvt_exit_name(2, buf, sizeof(buf)), "io");
	CHECK_STR(pvt_exit_name(200, buf, sizeof(buf)), "reason_200");
}

/* Xen's names are pvmon's Xen-mode names (xen_hypercall.c, the same list)
 * with "xen:" before them, by libxen-dev's numbers; a Xen key never gets a
 * pvlab name, nor the other way round. */
static void test_xen_names(void)
{
	char buf[32], want[48];
	int named = 0;
	for (uint64_t nr = 0; nr < 64; nr++) {
		const char *pvmon = xen_hypercall_name(nr);
		const char *name = pvt_hcall_name(nr | PVT_XEN_HC, buf, sizeof(buf));
		if (!strcmp(pvmon, "unknown")) {
			snprintf(want, sizeof(want), "xen:nr_%llu", (unsigned long long)nr);
			CHECK_STR(name, want);
			continue;
		}
		named++;
		snprintf(want, sizeof(want), "xen:%s", pvmon);
		CHECK_STR(name, want);
		CHECK_EQ(pvt_hcall_lookup(name), (int64_t)(nr | PVT_XEN_HC));
	}
	CHECK_EQ(named, 42);                       /* 0..42 less 11, as in xen.h */
	CHECK_STR(pvt_hcall_name(__HYPERVISOR_mmu_update | PVT_XEN_HC, buf, sizeof(buf)), "xen:mmu_update");
	CHECK_STR(pvt_hcall_name(__HYPERVISOR_sched_op | PVT_XEN_HC, buf, sizeof(buf)), "xen:sched_op");
	CHECK_EQ(__HYPERVISOR_sched_op, 29);       /* 4.17's interface, not the legacy 6 */
	CHECK_STR(pvt_hcall_name(3 | PVT_XEN_HC, buf, sizeof(buf)), "xen:stack_switch");
	CHECK_STR(pvt_hcall_name(3, buf, sizeof(buf)), "event_channel_op");
	CHECK_EQ(pvt_hcall_lookup("stack_switch"), 9);            /* pvlab's own stack_switch */
	CHECK_EQ(pvt_hcall_lookup("xen:stack_switch"), (int64_t)(3 | PVT_XEN_HC));
	CHECK_EQ(pvt_hcall_lookup("xen:nr_11"), (int64_t)(11 | PVT_XEN_HC));
	CHECK_EQ(pvt_hcall_lookup("xen:null"), -1);               /* pvlab's, not Xen's */
	CHECK_EQ(pvt_hcall_lookup("xen:"), -1);
	CHECK_STR(pvt_hcall_name(99 | PVT_XEN_HC, buf, sizeof(buf)), "xen:nr_99");
	/* The key of an event: its number, and the ABI its kind says. */
	struct pvt_ev e = { .kind = PVT_XEN_HCALL_EXIT };
	e.v[HX_NR] = 3;
	CHECK_EQ(pvt_hc_key(&e), 3 | PVT_XEN_HC);
	e.kind = PVT_HCALL_EXIT;
	CHECK_EQ(pvt_hc_key(&e), 3);
	CHECK(pvt_is_hcall(PVT_XEN_HCALL_ENTRY) && pvt_is_hcall(PVT_HCALL_REJECT) && !pvt_is_hcall(PVT_XEN_PTWR));
}

static void test_percentiles(void)
{
	struct pvt_lat l = { 0 };
	CHECK_EQ(pvt_lat_pct(&l, 50), 0);
	for (uint64_t v = 100; v >= 1; v--)            /* unsorted on purpose */
		CHECK(!pvt_lat_add(&l, v));
	pvt_lat_sort(&l);
	CHECK_EQ(l.n, 100);
	CHECK_EQ(l.sum, 5050);
	CHECK_EQ(l.max, 100);
	CHECK_EQ(pvt_lat_pct(&l, 50), 50);
	CHECK_EQ(pvt_lat_pct(&l, 90), 90);
	CHECK_EQ(pvt_lat_pct(&l, 99), 99);
	CHECK_EQ(pvt_lat_pct(&l, 100), 100);
	CHECK_EQ(pvt_lat_pct(&l, 0), 1);
	struct pvt_lat m = { 0 };
	CHECK(!pvt_lat_add(&m, 7));
	CHECK_EQ(pvt_lat_pct(&m, 99), 7);
	CHECK(!pvt_lat_merge(&m, &l));
	CHECK_EQ(m.n, 101);
	CHECK_EQ(m.sum, 5057);
	pvt_lat_sort(&m);
	CHECK_EQ(pvt_lat_pct(&m, 50), 50);          /* rank 51 of 1..7..100 */
	pvt_lat_free(&l);
	pvt_lat_free(&m);
}

static void test_buckets(void)
{
	CHECK_EQ(pvt_bucket(0), 0);
	CHECK_EQ(pvt_bucket(1), 0);
	CHECK_EQ(pvt_bucket(2), 1);
	CHECK_EQ(pvt_bucket(3), 1);
	CHECK_EQ(pvt_bucket(1023), 9);
	CHECK_EQ(pvt_bucket(1024), 10);
	CHECK_EQ(pvt_bucket(UINT64_MAX), 63);
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < 10000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint64_t v = x >> (x & 63), lo, hi;
		int b = pvt_bucket(v);
		pvt_bucket_bounds(b, &lo, &hi);
		CHECK(b >= 0 && b < PVT_NR_BUCKETS);
		CHECK(v >= lo && (v < hi || hi == UINT64_MAX));
	}
	/* The buckets tile the line: each starts where the last ended. */
	for (int b = 1; b < PVT_NR_BUCKETS; b++) {
		uint64_t lo, hi, plo, phi;
		pvt_bucket_bounds(b, &lo, &hi);
		pvt_bucket_bounds(b - 1, &plo, &phi);
		CHECK_EQ(lo, phi);
	}
}

static void test_itoa(void)
{
	char b[24];
	CHECK_EQ(pvt_u64toa(0, b), 1);
	CHECK_STR(b, "0");
	pvt_u64toa(UINT64_MAX, b);
	CHECK_STR(b, "18446744073709551615");
	pvt_i64toa(INT64_MIN, b);
	CHECK_STR(b, "-9223372036854775808");
	pvt_i64toa(-22, b);
	CHECK_STR(b, "-22");
}

/* ---- event sequences --------------------------------------------------- */

static struct pvt_ev ev(int64_t ts, enum pvt_kind k, const char *s, int n, ...)
{
	struct pvt_ev e = { .ts = ts, .kind = k, .cpu_id = 0, .vpid = -1, .name = pvt_kinds[k].name, .s = s ? s : "" };
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		e.v[i] = (uint64_t)va_arg(ap, int64_t);
	va_end(ap);
	return e;
}
#define I(x) ((int64_t)(x))
#define SWITCH(t, cpu, pd, pv, nd, nv, why) \
	ev(t, PVT_SCHED_SWITCH, why, 6, I(cpu), I(pd), I(pv), I(nd), I(nv), I(0))
#define WAKE(t, d, v) ev(t, PVT_SCHED_WAKE, "event", 2, I(d), I(v))
#define HEXIT(t, d, v, nr, res, lat) ev(t, PVT_HCALL_EXIT, NULL, 5, I(d), I(v), I(nr), I(res), I(lat))

struct ivl { int cpu; uint32_t dom; int64_t start, end; const char *in, *out; };
static struct ivl ivls[32];
static int nivl;

static void on_ivl(void *ctx, int cpu, uint32_t dom, uint32_t vcpu, int64_t start, int64_t end, const char *in,
                   const char *out)
{
	(void)ctx, (void)vcpu;
	if (nivl < 32)
		ivls[nivl++] = (struct ivl){ cpu, dom, start, end, in, out };
}

static void feed(struct pvt_summary *s, const struct pvt_ev *e, int n)
{
	for (int i = 0; i < n; i++)
		CHECK_EQ(pvt_summary_event(s, &e[i]), 0);
}

/* The summary as pvtrace writes it, its JSON (json) or its text, in buf. */
static void rendered(struct pvt_summary *s, uint64_t events, bool json, char *buf, size_t len)
{
	struct pvt_totals t = { .events = events };
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ(json ? pvt_summary_json(s, &t, "synthetic", f) : pvt_summary_print(s, &t, "synthetic", f), 0);
	fclose(f);
	snprintf(buf, len, "%s", out ? out : "");
	free(out);
}


static void test_sched(void)
{
	struct pvt_summary s;
	pvt_summary_init(&s);
	s.on_interval = on_ivl;
	nivl = 0;
	const struct pvt_ev seq[] = {
		SWITCH(0, 0, -1, -1, 1, 0, "start"),       /* 1.0 runs on slot 0 */
		HEXIT(100, 1, 0, 1, 0, 50),                /* its last event before... */
		/* ...blocking with slot 0 left idle: pvmon records nothing. */
		WAKE(1000, 1, 0),                          /* so it was blocked 100..1000 */
		SWITCH(1100, 0, -1, -1, 1, 0, "wake"),     /* waited 1000..1100 */
		SWITCH(1500, 1, -1, -1, 2, 0, "start"),    /* 2.0 on slot 1 */
		SWITCH(2000, 0, 1, 0, 2, 1, "slice"),      /* 1.0 preempted; 2.1 on slot 0 */
		SWITCH(2500, 1, 2, 0, 1, 0, "block"),      /* 2.0 blocks (traced); 1.0 on slot 1 */
		WAKE(3000, 2, 0),
		/* 1.0 runs until the end; 2.1 leaves slot 0 untraced (last seen 2600). */
		HEXIT(2600, 2, 1, 12, 0, 10),
		SWITCH(3200, 0, -1, -1, 2, 0, "wake"),     /* slot 0: 2.1 left, 2.0 takes it */
	};
	feed(&s, seq, (int)(sizeof(seq) / sizeof(seq[0])));
	pvt_summary_finish(&s, 4000);
	CHECK_EQ(s.error, 0);
	struct pvt_dom *d1 = pvt_summary_dom(&s, 1), *d2 = pvt_summary_dom(&s, 2);
	struct pvt_vcpu *a = &d1->vcpu[0], *b = &d2->vcpu[0], *c = &d2->vcpu[1];
	/* 1.0: run 0..100, 1100..2000, 2500..4000; blocked 100..1000; wait 1000..1100, 2000..2500 */
	CHECK_EQ(a->run_ns, 100 + 900 + 1500);
	CHECK_EQ(a->blocked_ns, 900);
	CHECK_EQ(a->wait_ns, 100 + 500);
	CHECK_EQ(a->blocks, 1);
	CHECK_EQ(a->wakes, 1);
	CHECK_EQ(a->switches, 3);
	CHECK_EQ(a->inferred_leaves, 1);
	/* 2.0: run 1500..2500, blocked 2500..3000, wait 3000..3200, run 3200..4000 */
	CHECK_EQ(b->run_ns, 1000 + 800);
	CHECK_EQ(b->blocked_ns, 500);
	CHECK_EQ(b->wait_ns, 200);
	CHECK_EQ(b->blocks, 1);
	CHECK_EQ(b->inferred_leaves, 0);
	/* 2.1: run 2000..2600, then left (inferred) and never back: blocked to the end. */
	CHECK_EQ(c->run_ns, 600);
	CHECK_EQ(c->blocked_ns, 4000 - 2600);
	CHECK_EQ(c->blocks, 1);
	CHECK_EQ(c->inferred_leaves, 1);
	/* Timeline: every interval, closed with why it ended. */
	CHECK_EQ(nivl, 6);
	CHECK(nivl >= 6 && ivls[0].start == 0 && ivls[0].end == 100 && !strcmp(ivls[0].out, "untraced"));
	CHECK(nivl >= 6 && ivls[1].start == 1100 && ivls[1].end == 2000 && !strcmp(ivls[1].out, "slice") &&
	      !strcmp(ivls[1].in, "wake"));
	CHECK(nivl >= 6 && ivls[2].dom == 2 && ivls[2].start == 1500 && ivls[2].end == 2500 &&
	      !strcmp(ivls[2].out, "block"));
	CHECK(nivl >= 6 && ivls[3].cpu == 0 && ivls[3].start == 2000 && ivls[3].end == 2600 &&
	      !strcmp(ivls[3].out, "untraced"));
	int64_t total = 0;
	for (int i = 0; i < nivl; i++)
		total += ivls[i].end - ivls[i].start;
	CHECK_EQ(total, (int64_t)(a->run_ns + b->run_ns + c->run_ns));
	pvt_summary_free(&s);
}

/* A domain destroyed while its vCPU's leave was untraced: it exited there,
 * nothing is blocked time. A traced block before the end is. */
static void test_destroy(void)
{
	struct pvt_summary s;
	pvt_summary_init(&s);
	const struct pvt_ev seq[] = {
		ev(0, PVT_DOMAIN_CREATE, "web", 3, I(3), I(16), I(1)),
		SWITCH(10, 0, -1, -1, 3, 0, "start"),
		HEXIT(200, 3, 0, 1, 0, 100),
		ev(5000, PVT_DOMAIN_DESTROY, NULL, 3, I(3), I(0), I(0)),
	};
	feed(&s, seq, 4);
	pvt_summary_finish(&s, 6000);
	struct pvt_dom *d = pvt_summary_dom(&s, 3);
	CHECK_STR(d->name, "web");
	CHECK(d->destroyed && !d->crashed);
	CHECK_EQ(d->mem_mib, 16);
	CHECK_EQ(d->vcpu[0].run_ns, 5000 - 10);         /* still running at destroy */
	CHECK_EQ(d->vcpu[0].blocked_ns, 0);
	pvt_summary_free(&s);
}

static void test_hypercalls(void)
{
	struct pvt_summary s;
	pvt_summary_init(&s);
	for (int i = 0; i < 10; i++) {
		const uint64_t args[5] = { 0 };
		struct pvt_ev e = ev(i, PVT_HCALL_ENTRY, NULL, 3, I(1), I(0), I(12));
		memcpy(&e.v[HE_A0], args, sizeof(args));
		feed(&s, &e, 1);
		struct pvt_ev x = HEXIT(i, 1, 0, 12, i < 3 ? -22 : 0, 100 * (i + 1));
		feed(&s, &x, 1);
	}
	const struct pvt_ev more[] = {
		HEXIT(20, 1, 0, 8, -(1LL << 40), 5),      /* iret's result is the guest's rax */
		HEXIT(21, 2, 0, 99, -38, 7),              /* unknown number: kept apart */
		ev(22, PVT_HCALL_REJECT, "port", 5, I(2), I(0), I(99), I(5000), I(-22)),
		ev(23, PVT_TLB_FLUSH, "local", 3, I(1), I(0), I(0)),
		ev(24, PVT_TLB_FLUSH, "all", 3, I(1), I(0), I(0)),
		ev(25, PVT_TLB_FLUSH, "local", 3, I(1), I(0), I(0)),
		ev(26, PVT_MMU_UPDATE, NULL, 6, I(1), I(0), I(2048), I(2047), I(1), I(90000)),
		ev(27, PVT_PAGE_FLIP, NULL, 4, I(1), I(2), I(5), I(6)),
		ev(28, PVT_VM_EXIT, NULL, 4, I(1), I(0), I(2), I(0)),
		ev(29, PVT_VM_EXIT, NULL, 4, I(1), I(0), I(1000), I(0)),
	};
	feed(&s, more, (int)(sizeof(more) / sizeof(more[0])));
	struct pvt_dom *d1 = pvt_summary_dom(&s, 1), *d2 = pvt_summary_dom(&s, 2);
	struct pvt_hc *null = pvt_dom_hc(d1, 12);
	CHECK_EQ(null->entries, 10);
	CHECK_EQ(null->lat.n, 10);
	CHECK_EQ(null->errors, 3);
	CHECK_EQ(null->lat.sum, 5500);
	CHECK_EQ(pvt_dom_hc(d1, 8)->errors, 0);
	CHECK_EQ(pvt_dom_hc(d2, 99)->errors, 1);
	CHECK_EQ(pvt_dom_hc(d2, 99)->rejects, 1);
	CHECK_EQ(d2->nother, 1);
	CHECK_EQ(d1->tlb_flushes, 3);
	CHECK_EQ(d1->ntlb_kinds, 2);
	CHECK(d1->ntlb_kinds == 2 && !strcmp(d1->tlb_kinds[0].kind, "local") && d1->tlb_kinds[0].count == 2);
	CHECK_EQ(d1->mmu_batches, 1);
	CHECK_EQ(d1->mmu_entries, 2048);
	CHECK_EQ(d1->mmu_rejected, 1);
	CHECK_EQ(d1->page_flips_out, 1);
	CHECK_EQ(d2->page_flips_in, 1);
	CHECK_EQ(s.exit_reasons[2], 1);
	CHECK_EQ(s.exit_reasons[63], 1);
	CHECK_EQ(s.kind_count[PVT_HCALL_EXIT], 12);
	/* The JSON carries the same numbers. */
	char buf[16384];
	rendered(&s, 32, true, buf, sizeof(buf));
	CHECK(strstr(buf, "{\"name\": \"null\", \"abi\": \"pvlab\", \"nr\": 12, \"count\": 10, \"mean_ns\": 550, \"p50_ns\": 500, "
	                  "\"p90_ns\": 900, \"p99_ns\": 1000, \"max_ns\": 1000, \"total_ns\": 5500") != NULL);
	CHECK(strstr(buf, "\"tlb_flushes\": {\"total\": 3, \"by_kind\": {\"local\": 2, \"all\": 1}}") != NULL);
	CHECK(strstr(buf, "\"name\": \"nr_99\"") != NULL);
	pvt_summary_free(&s);
}

/* A Linux PV domain beside a pvos one: Xen's hypercall 3 and pvlab's 3
 * are counted apart, each with its own latencies; emulated page-table
 * writes and bounces are counted by outcome and vector. */
static void test_xen_summary(void)
{
	struct pvt_summary s;
	pvt_summary_init(&s);
	for (int i = 0; i < 4; i++) {
		struct pvt_ev e = ev(i, PVT_XEN_HCALL_ENTRY, NULL, 3, I(5), I(0), I(3));
		struct pvt_ev x = ev(i, PVT_XEN_HCALL_EXIT, NULL, 5, I(5), I(0), I(3), I(0), I(100));
		feed(&s, &e, 1);
		feed(&s, &x, 1);
	}
	const struct pvt_ev more[] = {
		ev(10, PVT_XEN_HCALL_EXIT, NULL, 5, I(5), I(0), I(__HYPERVISOR_mmu_update), I(-22), I(2000)),
		HEXIT(11, 1, 0, 3, 0, 50),                 /* pvlab's event_channel_op in dom 1 */
		HEXIT(12, 5, 0, 3, 0, 60),                 /* and one in dom 5: not Xen's 3 */
		ev(13, PVT_XEN_PTWR, NULL, 8, I(5), I(0), I(0x1000), I(0x4a85008), I(0), I(0x67), I(0), I(0)),
		ev(14, PVT_XEN_PTWR, NULL, 8, I(5), I(0), I(0x1000), I(0x4a85008), I(0), I(0x4a83067), I(0), I(-22)),
		ev(15, PVT_XEN_PTWR, NULL, 8, I(5), I(0), I(0x2000), I(0x4a85010), I(0x67), I(0), I(0), I(0)),
		ev(16, PVT_XEN_BOUNCE, "exception", 5, I(5), I(0), I(14), I(0), I(0)),
		ev(17, PVT_XEN_BOUNCE, "exception", 5, I(5), I(0), I(14), I(0), I(0)),
		ev(18, PVT_XEN_BOUNCE, "exception", 5, I(5), I(0), I(6), I(0), I(0)),
		ev(19, PVT_XEN_BOUNCE, "event upcall", 5, I(5), I(0), I(PVT_BOUNCE_UPCALL), I(0), I(0)),
		ev(20, PVT_XEN_BOUNCE, "system call", 5, I(5), I(0), I(PVT_BOUNCE_SYSCALL), I(0), I(0)),
		ev(21, PVT_XEN_BOUNCE, "bogus", 5, I(5), I(0), I(99999), I(0), I(0)),   /* a newer pvmon's */
		ev(22, PVT_XEN_EMULATE, "cpuid", 4, I(5), I(0), I(0x1000), I(0xd)),
		ev(23, PVT_XEN_EMULATE, "rdmsr", 4, I(5), I(0), I(0x1000), I(0x10)),
		ev(24, PVT_XEN_EMULATE, "cpuid", 4, I(5), I(0), I(0x1000), I(1)),
	};
	feed(&s, more, (int)(sizeof(more) / sizeof(more[0])));
	struct pvt_dom *d5 = pvt_summary_dom(&s, 5), *d1 = pvt_summary_dom(&s, 1);
	struct pvt_hc *xen3 = pvt_dom_hc(d5, 3 | PVT_XEN_HC), *pv3 = pvt_dom_hc(d5, 3);
	CHECK_EQ(xen3->entries, 4);
	CHECK_EQ(xen3->lat.n, 4);
	CHECK_EQ(xen3->lat.sum, 400);
	CHECK_EQ(pv3->lat.n, 1);
	CHECK_EQ(pv3->lat.sum, 60);
	CHECK_EQ(pvt_dom_hc(d1, 3)->lat.n, 1);
	CHECK_EQ(pvt_dom_hc(d5, __HYPERVISOR_mmu_update | PVT_XEN_HC)->errors, 1);
	CHECK_EQ(d5->ptwr, 3);
	CHECK_EQ(d5->ptwr_refused, 1);
	CHECK_EQ(d5->bounces[14], 2);
	CHECK_EQ(d5->bounces[6], 1);
	CHECK_EQ(d5->bounces[255], 1);
	CHECK_EQ(d5->bounces[PVT_BOUNCE_UPCALL], 1);
	CHECK_EQ(d5->bounces[PVT_BOUNCE_SYSCALL], 1);
	CHECK_EQ(s.kind_count[PVT_XEN_HCALL_EXIT], 5);
	CHECK_EQ(s.kind_count[PVT_XEN_BOUNCE], 6);
	CHECK_EQ(d5->emulated, 3);
	CHECK(d5->nemul_kinds == 2 && !strcmp(d5->emul_kinds[0].kind, "cpuid") && d5->emul_kinds[0].count == 2);
	char buf[16384];
	rendered(&s, 20, true, buf, sizeof(buf));
	CHECK(strstr(buf, "{\"name\": \"xen:stack_switch\", \"abi\": \"xen\", \"nr\": 3, \"count\": 4,") != NULL);
	CHECK(strstr(buf, "{\"name\": \"event_channel_op\", \"abi\": \"pvlab\", \"nr\": 3, \"count\": 2,") != NULL);
	CHECK(strstr(buf, "\"xen_ptwr\": 3, \"xen_ptwr_refused\": 1, \"xen_bounces\": 6, \"xen_upcalls\": 1, "
	                  "\"xen_syscalls\": 1, \"xen_exceptions\": 4, \"xen_emulated\": 3, "
	                  "\"xen_emulated_by\": {\"cpuid\": 2, \"rdmsr\": 1}") != NULL);
	CHECK(strstr(buf, "\"xen_ptwr\": {\"total\": 3, \"refused\": 1}") != NULL);
	CHECK(strstr(buf, "\"pvmon:xen_hcall_exit\": 5") != NULL);
	rendered(&s, 20, false, buf, sizeof(buf));
	CHECK(strstr(buf, "  xen:stack_switch               4 ") != NULL);
	CHECK(strstr(buf, "  5    ?                       3        1          6         1         1          4"
	                  "            14\n") != NULL);
	CHECK(strstr(buf, " xen_ptwr 3 xen_bounce 6 xen_emulate 3") != NULL);
	CHECK(strstr(buf, "  dom 5: emulated instructions (xen_emulate) 3 (cpuid 2, rdmsr 1)\n") != NULL);
	pvt_summary_free(&s);
}

/* What a Linux PV domain's entry stub served (xen_stub): in the tallies
 * of what pvmon serves (a hypercall by Xen's number, with no latency; a
 * bounce by vector; a page-table write, an emulated instruction, a local
 * TLB flush), and by what. */
#define STUB(t, what, hc, bounce) ev(t, PVT_XEN_STUB, what, 8, I(5), I(0), I(hc), I(bounce), I(0), I(0), I(0), I(0))
static void test_xen_stub_summary(void)
{
	struct pvt_summary s;
	pvt_summary_init(&s);
	const struct pvt_ev evs[] = {
		ev(1, PVT_XEN_HCALL_ENTRY, NULL, 3, I(5), I(0), I(__HYPERVISOR_set_segment_base)),
		ev(2, PVT_XEN_HCALL_EXIT, NULL, 5, I(5), I(0), I(__HYPERVISOR_set_segment_base), I(0), I(700)),
		STUB(3, "set_segment_base", __HYPERVISOR_set_segment_base, -1),
		STUB(4, "set_segment_base", __HYPERVISOR_set_segment_base, -1),
		STUB(5, "set_segment_base", __HYPERVISOR_set_segment_base, -1),
		STUB(6, "syscall", -1, PVT_BOUNCE_SYSCALL),
		STUB(7, "syscall", -1, PVT_BOUNCE_SYSCALL),
		STUB(8, "ptwr", -1, -1),
		STUB(9, "emulated", -1, -1),
		STUB(10, "tlb_flush_local", __HYPERVISOR_mmuext_op, -1),
		STUB(11, "event", -1, -1),
	};
	feed(&s, evs, (int)(sizeof(evs) / sizeof(evs[0])));
	struct pvt_dom *d = pvt_summary_dom(&s, 5);
	struct pvt_hc *sb = pvt_dom_hc(d, __HYPERVISOR_set_segment_base | PVT_XEN_HC);
	CHECK_EQ(sb->stub, 3);
	CHECK_EQ(sb->lat.n, 1);
	CHECK_EQ(pvt_dom_hc(d, __HYPERVISOR_mmuext_op | PVT_XEN_HC)->stub, 1);
	CHECK_EQ(d->stub_ops, 9);
	CHECK_EQ(d->bounces[PVT_BOUNCE_SYSCALL], 2);
	CHECK_EQ(d->ptwr, 1);
	CHECK_EQ(d->emulated, 1);
	CHECK_EQ(d->tlb_flushes, 1);
	CHECK(d->nstub_kinds == 6 && !strcmp(d->stub_kinds[0].kind, "set_segment_base") && d->stub_kinds[0].count == 3);
	char buf[16384];
	rendered(&s, 11, true, buf, sizeof(buf));
	CHECK(strstr(buf, "{\"name\": \"xen:set_segment_base\", \"abi\": \"xen\", \"nr\": 25, \"count\": 4, \"mean_ns\": 700,") != NULL);
	CHECK(strstr(buf, "\"errors\": 0, \"rejects\": 0, \"stub\": 3}") != NULL);
	CHECK(strstr(buf, "\"tlb_by_kind\": {\"local (stub)\": 1}") != NULL);
	CHECK(strstr(buf, "\"xen_emulated_by\": {\"in the stub\": 1}, \"xen_stub\": 9, \"xen_stub_by\": {\"set_segment_base\": 3, "
	                  "\"syscall\": 2, \"ptwr\": 1, \"emulated\": 1, \"tlb_flush_local\": 1, \"event\": 1}") != NULL);
	rendered(&s, 11, false, buf, sizeof(buf));
	CHECK(strstr(buf, "  xen:set_segment_base           4 ") != NULL);
	CHECK(strstr(buf, "  xen:set_segment_base           0         0         3\n") != NULL);
	CHECK(strstr(buf, "  dom 5: served by the entry stub, no exit (xen_stub, in the counts above) 9 (set_segment_base 3, "
	                  "syscall 2, ptwr 1, emulated 1, tlb_flush_local 1, event 1)\n") != NULL);
	pvt_summary_free(&s);
}

/* The network back end's events: packets and bytes each way, batches and
 * events per ring (receive packets per event), scheduler turns and
 * deferrals, VFR drops; the table and the JSON object show them. */
static void test_net_summary(void)
{
	struct pvt_summary s;
	pvt_summary_init(&s);
	const struct pvt_ev evs[] = {
		ev(100, PVT_NET_SCHED, NULL, 3, I(4), I(0), I(0)),
		ev(110, PVT_NET_TX, NULL, 3, I(4), I(0), I(1514)),
		ev(120, PVT_NET_TX, NULL, 3, I(4), I(1), I(534)),
		ev(130, PVT_NET_BATCH, NULL, 5, I(4), I(0), I(0), I(2), I(1)),
		ev(140, PVT_NET_SCHED, NULL, 3, I(4), I(1), I(1)),
		ev(150, PVT_NET_RX, NULL, 3, I(4), I(0), I(1024)),
		ev(160, PVT_NET_BATCH, NULL, 5, I(4), I(0), I(1), I(16), I(1)),
		ev(170, PVT_NET_BATCH, NULL, 5, I(4), I(0), I(1), I(8), I(0)),
		ev(180, PVT_VFR, NULL, 5, I(4), I(0), I(1), I(3), I(1)),
		ev(190, PVT_VFR, NULL, 5, I(4), I(0), I(0), I(2), I(0)),
	};
	feed(&s, evs, (int)(sizeof(evs) / sizeof(evs[0])));
	struct pvt_dom *d = pvt_summary_dom(&s, 4);
	CHECK(d->net_tx == 2 && d->net_tx_bytes == 2048 && d->net_rx == 1 && d->net_rx_bytes == 1024);
	CHECK(d->net_batches[0] == 1 && d->net_batches[1] == 2 && d->net_batched[1] == 24 && d->net_events[1] == 1);
	CHECK(d->net_turns == 1 && d->net_deferred == 1 && d->vfr_dropped == 1 && d->vfr_accepted == 1);
	char buf[16384];
	rendered(&s, 10, false, buf, sizeof(buf));
	CHECK(strstr(buf, "\nnetwork (net_tx, net_rx, net_batch, net_sched, vfr)\n") != NULL);
	CHECK(strstr(buf, "  4    ?                      2         2         1         1      2.0     12.0        1        1"
	                  "     24.0        1        1\n") != NULL);
	rendered(&s, 10, true, buf, sizeof(buf));
	CHECK(strstr(buf, "\"net_tx_packets\": 2, \"net_tx_bytes\": 2048, \"net_rx_packets\": 1, \"net_rx_bytes\": 1024, "
	                  "\"net_tx_batches\": 1, \"net_rx_batches\": 2, \"net_tx_events\": 1, \"net_rx_events\": 1, "
	                  "\"net_deferred\": 1, \"vfr_dropped\": 1") != NULL);
	pvt_summary_free(&s);
}

/* ---- export -------------------------------------------------------------- */

static void test_columns(void)
{
	int n = pvt_export_ncols();
	CHECK(n > 20);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			CHECK(strcmp(pvt_export_col(i), pvt_export_col(j)));
	for (int k = 0; k < PVT_NR_KINDS; k++) {
		for (int j = 0; j < pvt_kinds[k].nints; j++)
			CHECK_STR(pvt_export_col(pvt_export_col_of((enum pvt_kind)k, j)), pvt_kinds[k].ints[j].name);
		if (pvt_kinds[k].str)
			CHECK_STR(pvt_export_col(pvt_export_col_of((enum pvt_kind)k, -1)), pvt_kinds[k].str);
	}
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static void test_csv(void)
{
	char path[] = "/tmp/test_pvtrace-XXXXXX", err[256];
	close(mkstemp(path));
	struct pvt_export *x = pvt_export_open(path, false, err, sizeof(err));
	CHECK(x != NULL);
	if (!x)
		return;
	struct pvt_ev a = HEXIT(1000, 1, 0, 12, -22, 777);
	struct pvt_ev b = ev(1500, PVT_DOMAIN_CREATE, "a \"b\",c", 3, I(4), I(16), I(2));
	CHECK_EQ(pvt_export_event(x, &a), 0);
	CHECK_EQ(pvt_export_event(x, &b), 0);
	CHECK_EQ(pvt_export_rows(x), 2);
	struct pvt_totals t = { .events = 2 };
	CHECK_EQ(pvt_export_close(x, &t, "synthetic", err, sizeof(err)), 0);
	FILE *f = fopen(path, "r");
	char line[3][1024];
	int lines = 0;
	while (f && lines < 3 && fgets(line[lines], sizeof(line[0]), f))
		lines++;
	if (f)
		fclose(f);
	unlink(path);
	CHECK_EQ(lines, 3);
	if (lines < 3)
		return;
	CHECK(starts_with(line[0], "ts_ns,rel_ns,event,cpu_id,vpid,hcall,dom,vcpu,nr,"));
	/* Count the fields: quoted commas do not split. */
	int ncols = pvt_export_ncols();
	for (int l = 0; l < 3; l++) {
		int fields = 1, q = 0;
		for (const char *p = line[l]; *p; p++)
			if (*p == '"')
				q = !q;
			else if (*p == ',' && !q)
				fields++;
		CHECK_EQ(fields, ncols);
	}
	CHECK(starts_with(line[1], "1000,0,pvmon:hcall_exit,0,,null,1,0,12,"));
	CHECK(strstr(line[1], ",-22,777,") != NULL);
	CHECK(strstr(line[2], ",\"a \"\"b\"\",c\",") != NULL);
}

static void test_sqlite(void)
{
	char path[] = "/tmp/test_pvtrace-XXXXXX", err[256];
	close(mkstemp(path));
	struct pvt_export *x = pvt_export_open(path, true, err, sizeof(err));
	CHECK(x != NULL);
	if (!x)
		return;
	for (int i = 0; i < 5; i++) {
		struct pvt_ev a = HEXIT(i, 1, 0, 12, 0, 100 + i);
		CHECK_EQ(pvt_export_event(x, &a), 0);
	}
	struct pvt_ev w = WAKE(9, 1, 0);
	CHECK_EQ(pvt_export_event(x, &w), 0);
	struct pvt_totals t = { .events = 6, .lost_events = 2 };
	CHECK_EQ(pvt_export_close(x, &t, "synthetic", err, sizeof(err)), 0);
	sqlite3 *db;
	CHECK_EQ(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	const char *q = "SELECT (SELECT count(*) FROM events), (SELECT sum(latency_ns) FROM events WHERE hcall = 'null'),"
	                " (SELECT value FROM trace_info WHERE key = 'events_lost'),"
	                " (SELECT count(*) FROM events WHERE why = 'event' AND latency_ns IS NULL)";
	CHECK_EQ(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
	CHECK_EQ(sqlite3_step(st), SQLITE_ROW);
	CHECK_EQ(sqlite3_column_int64(st, 0), 6);
	CHECK_EQ(sqlite3_column_int64(st, 1), 510);
	CHECK_EQ(sqlite3_column_int64(st, 2), 2);
	CHECK_EQ(sqlite3_column_int64(st, 3), 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
	unlink(path);
}

/* ---- refusing bad directories (before babeltrace2 sees them) ------------- */

static int noop(void *ctx, const struct pvt_ev *e)
{
	(void)ctx, (void)e;
	return 0;
}

static void write_file(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, data, n) == (ssize_t)n);
	close(fd);
}

static void test_bad_dirs(void)
{
	char dir[] = "/tmp/test_pvtrace-XXXXXX", path[512], err[1024];
	struct pvt_totals t;
	CHECK(mkdtemp(dir) != NULL);
	CHECK_EQ(pvt_read("/nonexistent/trace", 0, noop, NULL, &t, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "/nonexistent/trace") != NULL);
	CHECK_EQ(pvt_read(dir, 0, noop, NULL, &t, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "no CTF trace here") != NULL);
	/* A packetized metadata file cut inside its first packet. */
	unsigned char pkt[64] = { 0x57, 0x1d, 0xd1, 0x75 };
	pkt[24 + 1] = 0x80;                             /* content: 0x8000 bits = 4096 bytes */
	pkt[28 + 1] = 0x80;                             /* packet: 4096 bytes */
	snprintf(path, sizeof(path), "%s/metadata", dir);
	write_file(path, pkt, sizeof(pkt));
	CHECK_EQ(pvt_read(dir, 0, noop, NULL, &t, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, path) && strstr(err, "truncated"));
	/* Plain-text metadata that stops inside a declaration. */
	const char *text = "/* CTF 1.8 */\ntrace { major = 1; minor = 8; byte_order = le; };\nevent { name = \"x\"; ";
	write_file(path, text, strlen(text));
	CHECK_EQ(pvt_read(dir, 0, noop, NULL, &t, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "ends inside a declaration") != NULL);
	/* A stream shorter than its LTTng index says. */
	text = "/* CTF 1.8 */\ntrace { major = 1; minor = 8; byte_order = le; };\n";
	write_file(path, text, strlen(text));
	snprintf(path, sizeof(path), "%s/index", dir);
	mkdir(path, 0755);
	unsigned char idx[16 + 56] = { 0xc1, 0xf1, 0xdc, 0xc1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 56 };
	idx[16 + 8 + 6] = 0x80;                         /* packet_size: 0x8000 bits */
	snprintf(path, sizeof(path), "%s/index/chan_0.idx", dir);
	write_file(path, idx, sizeof(idx));
	snprintf(path, sizeof(path), "%s/chan_0", dir);
	write_file(path, pkt, 100 < sizeof(pkt) ? 100 : sizeof(pkt));
	CHECK_EQ(pvt_read(dir, 0, noop, NULL, &t, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, path) && strstr(err, "lists 4096 bytes"));
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_EQ(system(cmd), 0);
}

int main(void)
{
	test_names();
	test_xen_names();
	test_percentiles();
	test_buckets();
	test_itoa();
	test_sched();
	test_destroy();
	test_hypercalls();
	test_xen_summary();
	test_xen_stub_summary();
	test_net_summary();
	test_columns();
	test_csv();
	test_sqlite();
	test_bad_dirs();
	return CHECK_DONE();
}
