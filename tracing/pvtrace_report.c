/* `pvtrace summary` output: a text report for people and --json for
 * scripts (schema in docs/tracing.md). Aggregates (per hypercall over all
 * domains, per domain over all hypercalls) merge the per-(domain, number)
 * samples and sort them once for the percentiles. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pvtrace.h"

struct agg {
	uint64_t nr;
	uint64_t count, entries, errors, rejects, stub;
	struct pvt_lat lat;            /* sorted */
};

/* A call counts when it returned (hcall_exit, xen_hcall_exit for Xen's);
 * a trace recorded with the entry events only counts entries. The entry
 * stub's (xen_stub) count too. */
static uint64_t hc_count(const struct pvt_summary *s, const struct pvt_hc *hc)
{
	enum pvt_kind exit = hc->nr & PVT_XEN_HC ? PVT_XEN_HCALL_EXIT : PVT_HCALL_EXIT;
	return (s->kind_count[exit] ? hc->lat.n : hc->entries) + hc->stub;
}

/* Adds hc to a; a->lat is sorted by the caller once every one is in. */
static int agg_add(const struct pvt_summary *s, struct agg *a, const struct pvt_hc *hc)
{
	a->count += hc_count(s, hc);
	a->entries += hc->entries;
	a->errors += hc->errors;
	a->rejects += hc->rejects;
	a->stub += hc->stub;
	return pvt_lat_merge(&a->lat, &hc->lat);
}

static bool hc_used(const struct pvt_hc *hc)
{
	return hc->entries || hc->lat.n || hc->rejects || hc->stub;
}

/* Every hypercall number seen, over all domains, by number. */
static int per_hypercall(const struct pvt_summary *s, struct pvt_dom **doms, size_t nd, struct agg **out,
                         size_t *nout)
{
	struct agg *a = NULL;
	size_t n = 0;
	for (size_t i = 0; i < nd; i++) {
		struct pvt_dom *d = doms[i];
		for (size_t k = 0; k < PVT_DIRECT_NR + d->nother; k++) {
			const struct pvt_hc *hc = k < PVT_DIRECT_NR ? &d->direct[k] : &d->other[k - PVT_DIRECT_NR];
			if (!hc_used(hc))
				continue;
			size_t j = 0;
			while (j < n && a[j].nr != hc->nr)
				j++;
			if (j == n) {
				struct agg *t = realloc(a, (n + 1) * sizeof(*t));
				if (!t)
					goto oom;
				a = t;
				memset(&a[n], 0, sizeof(*a));
				a[n++].nr = hc->nr;
			}
			if (agg_add(s, &a[j], hc))
				goto oom;
		}
	}
	for (size_t j = 0; j < n; j++)
		pvt_lat_sort(&a[j].lat);
	/* By number: insertion sort, there are few. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && a[j - 1].nr > a[j].nr; j--) {
			struct agg t = a[j];
			a[j] = a[j - 1];
			a[j - 1] = t;
		}
	*out = a;
	*nout = n;
	return 0;
oom:
	for (size_t j = 0; j < n; j++)
		pvt_lat_free(&a[j].lat);
	free(a);
	return -ENOMEM;
}

static int per_domain(const struct pvt_summary *s, struct pvt_dom *d, struct agg *a)
{
	memset(a, 0, sizeof(*a));
	for (size_t k = 0; k < PVT_DIRECT_NR + d->nother; k++) {
		const struct pvt_hc *hc = k < PVT_DIRECT_NR ? &d->direct[k] : &d->other[k - PVT_DIRECT_NR];
		if (hc_used(hc) && agg_add(s, a, hc))
			return -ENOMEM;
	}
	pvt_lat_sort(&a->lat);
	return 0;
}

static void free_aggs(struct agg *a, size_t n)
{
	for (size_t j = 0; j < n; j++)
		pvt_lat_free(&a[j].lat);
	free(a);
}

static uint64_t mean(const struct pvt_lat *l)
{
	return l->n ? (l->sum + l->n / 2) / l->n : 0;
}

struct vsum {
	uint64_t run, wait, blocked, switches, blocks, wakes, inferred;
};

static struct vsum dom_sched(const struct pvt_dom *d)
{
	struct vsum v = { 0 };
	for (size_t i = 0; i < d->nvcpu; i++) {
		v.run += d->vcpu[i].run_ns;
		v.wait += d->vcpu[i].wait_ns;
		v.blocked += d->vcpu[i].blocked_ns;
		v.switches += d->vcpu[i].switches;
		v.blocks += d->vcpu[i].blocks;
		v.wakes += d->vcpu[i].wakes;
		v.inferred += d->vcpu[i].inferred_leaves;
	}
	return v;
}

static uint64_t total_kind(struct pvt_dom **doms, size_t nd, size_t off)
{
	uint64_t t = 0;
	for (size_t i = 0; i < nd; i++)
		t += *(const uint64_t *)((const char *)doms[i] + off);
	return t;
}
#define TOTAL(field) total_kind(doms, nd, offsetof(struct pvt_dom, field))

/* Every TLB flush kind over all domains, in first-seen order. */
static size_t all_tlb_kinds(struct pvt_dom **doms, size_t nd, struct pvt_kindcount *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < nd; i++)
		for (size_t k = 0; k < doms[i]->ntlb_kinds; k++) {
			size_t j = 0;
			while (j < n && out[j].kind != doms[i]->tlb_kinds[k].kind)
				j++;
			if (j == n) {
				if (n == max)
					continue;
				out[n].kind = doms[i]->tlb_kinds[k].kind;
				out[n++].count = 0;
			}
			out[j].count += doms[i]->tlb_kinds[k].count;
		}
	return n;
}

static const char *dom_name(const struct pvt_dom *d)
{
	return d->name[0] ? d->name : "?";
}

/* ---- text ------------------------------------------------------------------ */

/* " (kind count, kind count)", nothing for none. */
static void text_kinds(FILE *f, const struct pvt_kindcount *kinds, size_t n)
{
	for (size_t k = 0; k < n; k++)
		fprintf(f, "%s%s %" PRIu64, k ? ", " : " (", kinds[k].kind, kinds[k].count);
	fprintf(f, "%s", n ? ")" : "");
}

static void lat_cols(FILE *f, uint64_t count, const struct pvt_lat *l)
{
	fprintf(f, " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %13" PRIu64 "\n",
	        count, mean(l), pvt_lat_pct(l, 50), pvt_lat_pct(l, 90), pvt_lat_pct(l, 99), l->max, l->sum);
}

static const char LAT_HDR[] = "     count   mean_ns    p50_ns    p90_ns    p99_ns    max_ns      total_ns\n";

static int print_hypercalls(FILE *f, const struct pvt_summary *s, struct pvt_dom **doms, size_t nd)
{
	struct agg *a;
	size_t n;
	if (per_hypercall(s, doms, nd, &a, &n))
		return -ENOMEM;
	fprintf(f, "\nhypercalls (all domains; latency from hcall_exit; xen: a Linux PV domain's, by Xen's numbers)\n  %-22s%s", "name", LAT_HDR);
	char buf[32];
	for (size_t j = 0; j < n; j++) {
		fprintf(f, "  %-22s", pvt_hcall_name(a[j].nr, buf, sizeof(buf)));
		lat_cols(f, a[j].count, &a[j].lat);
	}
	if (!n)
		fprintf(f, "  (none: no hcall events in this trace)\n");
	bool hdr = false;   /* stub: of count, served by the entry stub with no exit (xen_stub: no latency) */
	for (size_t j = 0; j < n; j++)
		if ((a[j].errors || a[j].rejects || a[j].stub) &&
		    (hdr || (hdr = fprintf(f, "  %-22s %9s %9s %9s\n", "", "errors", "rejects", "stub") > 0)))
			fprintf(f, "  %-22s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 "\n", pvt_hcall_name(a[j].nr, buf, sizeof(buf)),
			        a[j].errors, a[j].rejects, a[j].stub);
	free_aggs(a, n);
	return 0;
}

static int print_domains(FILE *f, const struct pvt_summary *s, struct pvt_dom **doms, size_t nd)
{
	fprintf(f, "\ndomains: hypercalls\n  %-4s %-14s%s", "dom", "name", LAT_HDR);
	for (size_t i = 0; i < nd; i++) {
		struct agg a;
		if (per_domain(s, doms[i], &a))
			return pvt_lat_free(&a.lat), -ENOMEM;
		fprintf(f, "  %-4u %-14.14s", doms[i]->id, dom_name(doms[i]));
		lat_cols(f, a.count, &a.lat);
		pvt_lat_free(&a.lat);
	}
	fprintf(f, "\ndomains: scheduling (from sched_switch/sched_wake)\n"
	        "  %-4s %-14s %11s %11s %11s %9s %7s %7s %8s\n",
	        "dom", "name", "run_ms", "wait_ms", "blocked_ms", "switches", "blocks", "wakes", "vm_exits");
	for (size_t i = 0; i < nd; i++) {
		struct vsum v = dom_sched(doms[i]);
		fprintf(f, "  %-4u %-14.14s %11.3f %11.3f %11.3f %9" PRIu64 " %7" PRIu64 " %7" PRIu64 " %8" PRIu64 "\n",
		        doms[i]->id, dom_name(doms[i]), v.run / 1e6, v.wait / 1e6, v.blocked / 1e6, v.switches,
		        v.blocks, v.wakes, doms[i]->vm_exits);
	}
	fprintf(f, "\ndomains: hypercalls by number\n  %-4s %-22s%s", "dom", "hypercall", LAT_HDR);
	char buf[32];
	for (size_t i = 0; i < nd; i++) {
		struct pvt_dom *d = doms[i];
		for (size_t k = 0; k < PVT_DIRECT_NR + d->nother; k++) {
			struct pvt_hc *hc = k < PVT_DIRECT_NR ? &d->direct[k] : &d->other[k - PVT_DIRECT_NR];
			if (!hc_used(hc))
				continue;
			struct pvt_lat l = { 0 };
			if (pvt_lat_merge(&l, &hc->lat))
				return -ENOMEM;
			pvt_lat_sort(&l);
			fprintf(f, "  %-4u %-22s", d->id, pvt_hcall_name(hc->nr, buf, sizeof(buf)));
			lat_cols(f, hc_count(s, hc), &l);
			pvt_lat_free(&l);
		}
	}
	return 0;
}

static void print_memory(FILE *f, struct pvt_dom **doms, size_t nd)
{
	struct pvt_kindcount kinds[64];
	size_t nk = all_tlb_kinds(doms, nd, kinds, 64);
	fprintf(f, "\nTLB flushes: %" PRIu64, TOTAL(tlb_flushes));
	text_kinds(f, kinds, nk);
	fprintf(f, "\n");
	fprintf(f, "page flips: %" PRIu64 "\n", TOTAL(page_flips_out));
	fprintf(f, "mmu_update batches: %" PRIu64 ", entries %" PRIu64 ", applied %" PRIu64 ", rejected %" PRIu64 "\n",
	        TOTAL(mmu_batches), TOTAL(mmu_entries), TOTAL(mmu_applied), TOTAL(mmu_rejected));
	if (!TOTAL(tlb_flushes) && !TOTAL(page_flips_out) && !TOTAL(mmu_batches))
		return;
	fprintf(f, "  %-4s %-14s %9s %10s %9s %9s %8s %10s %10s\n", "dom", "name", "tlb", "flips_out", "flips_in",
	        "mmu_bat", "mean_bat", "mmu_p50_ns", "mmu_max_ns");
	for (size_t i = 0; i < nd; i++) {
		struct pvt_dom *d = doms[i];
		if (!d->tlb_flushes && !d->page_flips_out && !d->page_flips_in && !d->mmu_batches)
			continue;
		pvt_lat_sort(&d->mmu_lat);
		fprintf(f, "  %-4u %-14.14s %9" PRIu64 " %10" PRIu64 " %9" PRIu64 " %9" PRIu64 " %8.1f %10" PRIu64
		        " %10" PRIu64 "\n", d->id, dom_name(d), d->tlb_flushes, d->page_flips_out, d->page_flips_in,
		        d->mmu_batches, d->mmu_batches ? (double)d->mmu_entries / (double)d->mmu_batches : 0.0,
		        pvt_lat_pct(&d->mmu_lat, 50), d->mmu_lat.max);
	}
}

struct xsum {
	uint64_t bounces, upcalls, syscalls, exceptions;
	unsigned top_vec;              /* the exception bounced most */
	uint64_t top_vec_n;
};

static struct xsum dom_xen(const struct pvt_dom *d)
{
	struct xsum x = { 0 };
	x.upcalls = d->bounces[PVT_BOUNCE_UPCALL];
	x.syscalls = d->bounces[PVT_BOUNCE_SYSCALL];
	for (unsigned v = 0; v < PVT_BOUNCE_UPCALL; v++) {
		x.exceptions += d->bounces[v];
		if (d->bounces[v] > x.top_vec_n) {
			x.top_vec_n = d->bounces[v];
			x.top_vec = v;
		}
	}
	x.bounces = x.upcalls + x.syscalls + x.exceptions;
	return x;
}

/* The block back end's devices per domain: requests, sectors, errors,
 * batches (mean size) and events sent, latency. Nothing without them. */
static void print_blk(FILE *f, const struct pvt_summary *s, struct pvt_dom **doms, size_t nd)
{
	if (!s->kind_count[PVT_BLK_REQUEST] && !s->kind_count[PVT_BLK_BATCH])
		return;
	fprintf(f, "\nblock devices (blk_request, blk_batch)\n  %-4s %-14s %9s %11s %11s %7s %8s %10s %7s %10s %10s\n",
	        "dom", "name", "requests", "read_sect", "write_sect", "errors", "batches", "per_batch", "events",
	        "p50_ns", "max_ns");
	for (size_t i = 0; i < nd; i++) {
		struct pvt_dom *d = doms[i];
		if (!d->blk_requests && !d->blk_batches)
			continue;
		pvt_lat_sort(&d->blk_lat);
		fprintf(f, "  %-4u %-14.14s %9" PRIu64 " %11" PRIu64 " %11" PRIu64 " %7" PRIu64 " %8" PRIu64 " %10.1f %7"
		        PRIu64 " %10" PRIu64 " %10" PRIu64 "\n", d->id, dom_name(d), d->blk_requests, d->blk_read,
		        d->blk_written, d->blk_errors, d->blk_batches,
		        d->blk_batches ? (double)d->blk_requests / (double)d->blk_batches : 0.0, d->blk_notified,
		        pvt_lat_pct(&d->blk_lat, 50), d->blk_lat.max);
	}
}

/* The pvos network back end per domain: packets by flip and by copy,
 * bytes, response batches (mean size) and events sent; grant copies by
 * the domain that made them (0: pvmon's back ends). Nothing without them. */
static void print_pvnet(FILE *f, const struct pvt_summary *s, struct pvt_dom **doms, size_t nd)
{
	if (!s->kind_count[PVT_PVNET_RX] && !s->kind_count[PVT_PVNET_BATCH] && !s->kind_count[PVT_GRANT_COPY])
		return;
	fprintf(f, "\npvos network (pvnet_rx, pvnet_batch, grant_copy)\n  %-4s %-14s %9s %9s %12s %8s %10s %7s %8s %12s\n",
	        "dom", "name", "flipped", "copied", "bytes", "batches", "per_batch", "events", "gcopies", "gcopy_bytes");
	for (size_t i = 0; i < nd; i++) {
		struct pvt_dom *d = doms[i];
		if (!d->pvnet_flipped && !d->pvnet_copied && !d->pvnet_batches && !d->grant_copies)
			continue;
		fprintf(f, "  %-4u %-14.14s %9" PRIu64 " %9" PRIu64 " %12" PRIu64 " %8" PRIu64 " %10.1f %7" PRIu64
		        " %8" PRIu64 " %12" PRIu64 "\n", d->id, dom_name(d), d->pvnet_flipped, d->pvnet_copied,
		        d->pvnet_bytes, d->pvnet_batches, d->pvnet_batches ? (double)d->pvnet_batched / (double)d->pvnet_batches : 0.0,
		        d->pvnet_notified, d->grant_copies, d->grant_copy_bytes);
	}
}

/* The network back end's VIFs per domain: packets and KiB each way, the
 * mean batch of each ring and its events to the guest (receive packets
 * per event), the scheduler's turns and deferrals, the VFR's drops.
 * Nothing without them. */
static void print_net(FILE *f, const struct pvt_summary *s, struct pvt_dom **doms, size_t nd)
{
	uint64_t any = 0;
	for (int k = PVT_NET_TX; k <= PVT_VFR; k++)
		any += s->kind_count[k];
	if (!any)
		return;
	fprintf(f, "\nnetwork (net_tx, net_rx, net_batch, net_sched, vfr)\n  %-4s %-14s %9s %9s %9s %9s %8s %8s %8s "
	        "%8s %8s %8s %8s\n", "dom", "name", "tx_pkts", "tx_KiB", "rx_pkts", "rx_KiB", "tx_batch", "rx_batch",
	        "tx_evts", "rx_evts", "rx/evt", "deferred", "vfr_drop");
	for (size_t i = 0; i < nd; i++) {
		struct pvt_dom *d = doms[i];
		if (!d->net_tx && !d->net_rx && !d->net_batches[0] && !d->net_batches[1] && !d->net_turns &&
		    !d->vfr_accepted && !d->vfr_dropped)
			continue;
		double mean[2];
		for (int r = 0; r < 2; r++)
			mean[r] = d->net_batches[r] ? (double)d->net_batched[r] / (double)d->net_batches[r] : 0.0;
		fprintf(f, "  %-4u %-14.14s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %8.1f %8.1f %8" PRIu64
		        " %8" PRIu64 " %8.1f %8" PRIu64 " %8" PRIu64 "\n", d->id, dom_name(d), d->net_tx,
		        d->net_tx_bytes / 1024, d->net_rx, d->net_rx_bytes / 1024, mean[0], mean[1], d->net_events[0],
		        d->net_events[1], d->net_events[1] ? (double)d->net_batched[1] / (double)d->net_events[1] : 0.0,
		        d->net_deferred, d->vfr_dropped);
	}
}

/* A Linux PV domain's own events: the emulated page-table writes and the
 * bounces to its kernel. Nothing when the trace has none. */
static void print_xen(FILE *f, const struct pvt_summary *s, struct pvt_dom **doms, size_t nd)
{
	if (!s->kind_count[PVT_XEN_PTWR] && !s->kind_count[PVT_XEN_BOUNCE] && !s->kind_count[PVT_XEN_HCALL_ENTRY] &&
	    !s->kind_count[PVT_XEN_HCALL_EXIT] && !s->kind_count[PVT_XEN_EMULATE] && !s->kind_count[PVT_XEN_STUB])
		return;
	fprintf(f, "\nXen PV domains: emulated page-table writes (xen_ptwr), bounces to the guest kernel (xen_bounce)\n"
	        "  %-4s %-14s %10s %8s %10s %9s %9s %10s %13s\n", "dom", "name", "ptwr", "refused", "bounces",
	        "upcalls", "syscalls", "exceptions", "top_exception");
	for (size_t i = 0; i < nd; i++) {
		const struct pvt_dom *d = doms[i];
		struct xsum x = dom_xen(d);
		if (!d->ptwr && !x.bounces)
			continue;
		char top[16] = "-";
		if (x.top_vec_n)
			snprintf(top, sizeof(top), "%u", x.top_vec);
		fprintf(f, "  %-4u %-14.14s %10" PRIu64 " %8" PRIu64 " %10" PRIu64 " %9" PRIu64 " %9" PRIu64 " %10" PRIu64
		        " %13s\n", d->id, dom_name(d), d->ptwr, d->ptwr_refused, x.bounces, x.upcalls, x.syscalls,
		        x.exceptions, top);
	}
	for (size_t i = 0; i < nd; i++) {
		const struct pvt_dom *d = doms[i];
		if (!d->emulated)
			continue;
		fprintf(f, "  dom %u: emulated instructions (xen_emulate) %" PRIu64, d->id, d->emulated);
		text_kinds(f, d->emul_kinds, d->nemul_kinds);
		fprintf(f, "\n");
	}
	for (size_t i = 0; i < nd; i++) {
		const struct pvt_dom *d = doms[i];
		if (!d->stub_ops)
			continue;
		fprintf(f, "  dom %u: served by the entry stub, no exit (xen_stub, in the counts above) %" PRIu64, d->id,
		        d->stub_ops);
		text_kinds(f, d->stub_kinds, d->nstub_kinds);
		fprintf(f, "\n");
	}
}

int pvt_summary_print(struct pvt_summary *s, const struct pvt_totals *t, const char *dir, FILE *f)
{
	struct pvt_dom **doms;
	size_t nd = pvt_summary_sorted(s, &doms);
	if (!doms)
		return -ENOMEM;
	double span = t->events ? (double)(t->last_ts - t->first_ts) / 1e6 : 0;
	fprintf(f, "pvtrace summary of %s\n  events %" PRIu64 " in %d streams over %.3f ms; events lost %" PRIu64,
	        dir, t->events, t->streams, span, t->lost_events);
	if (t->lost_packets)
		fprintf(f, ", packets lost %" PRIu64, t->lost_packets);
	fprintf(f, "%s\n", t->lost_events || t->lost_packets ? " (the tracer discarded them: counts below are low)" : "");
	if (t->skipped)
		fprintf(f, "  %" PRIu64 " events of other processes left out (--pid)\n", t->skipped);
	else if (t->npids > 1) {
		fprintf(f, "  events of %d%s processes (vpid", t->npids, t->npids == PVT_MAX_PIDS ? "+" : "");
		for (int i = 0; i < t->npids; i++)
			fprintf(f, " %d", t->pids[i]);
		fprintf(f, "): domains of different pvmons with the same id are added up; pick one with --pid\n");
	}
	int rc = print_hypercalls(f, s, doms, nd);
	if (!rc)
		rc = print_domains(f, s, doms, nd);
	if (!rc) {
		char buf[32];
		fprintf(f, "\nVM exits by reason:");
		int any = 0;
		for (int r = 0; r < 64; r++)
			if (s->exit_reasons[r])
				fprintf(f, "%s%s %" PRIu64, any++ ? ", " : " ", r == 63 ? ">=63" : pvt_exit_name((uint64_t)r, buf,
				        sizeof(buf)), s->exit_reasons[r]);
		fprintf(f, "%s\n", any ? "" : " none traced");
		print_memory(f, doms, nd);
		print_xen(f, s, doms, nd);
		print_blk(f, s, doms, nd);
		print_pvnet(f, s, doms, nd);
		print_net(f, s, doms, nd);
		fprintf(f, "\nevents by type:");
		for (int k = 0; k < PVT_NR_KINDS; k++)
			if (s->kind_count[k])
				fprintf(f, " %s %" PRIu64, k == PVT_OTHER ? "(not pvmon's)" : pvt_kinds[k].name + 6,
				        s->kind_count[k]);
		fprintf(f, "\n");
	}
	free(doms);
	return rc;
}

/* ---- JSON ------------------------------------------------------------------ */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_lat(FILE *f, uint64_t count, const struct pvt_lat *l)
{
	fprintf(f, "\"count\": %" PRIu64 ", \"mean_ns\": %" PRIu64 ", \"p50_ns\": %" PRIu64 ", \"p90_ns\": %" PRIu64
	        ", \"p99_ns\": %" PRIu64 ", \"max_ns\": %" PRIu64 ", \"total_ns\": %" PRIu64, count, mean(l),
	        pvt_lat_pct(l, 50), pvt_lat_pct(l, 90), pvt_lat_pct(l, 99), l->max, l->sum);
}

static void json_agg(FILE *f, const struct agg *a)
{
	char buf[32];
	fprintf(f, "{\"name\": \"%s\", \"abi\": \"%s\", \"nr\": %" PRIu64 ", ", pvt_hcall_name(a->nr, buf, sizeof(buf)),
	        a->nr & PVT_XEN_HC ? "xen" : "pvlab", a->nr & ~PVT_XEN_HC);
	json_lat(f, a->count, &a->lat);
	fprintf(f, ", \"entries\": %" PRIu64 ", \"errors\": %" PRIu64 ", \"rejects\": %" PRIu64 ", \"stub\": %" PRIu64
	        "}", a->entries, a->errors, a->rejects, a->stub);
}

/* The members of a {"kind": count, ...} object. */
static void json_kinds(FILE *f, const struct pvt_kindcount *kinds, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		fprintf(f, "%s", k ? ", " : "");
		json_str(f, kinds[k].kind);
		fprintf(f, ": %" PRIu64, kinds[k].count);
	}
}

static int json_domain(FILE *f, const struct pvt_summary *s, struct pvt_dom *d)
{
	struct agg a;
	if (per_domain(s, d, &a))
		return pvt_lat_free(&a.lat), -ENOMEM;
	struct vsum v = dom_sched(d);
	fprintf(f, "{\"dom\": %u, \"name\": ", d->id);
	json_str(f, d->name);
	fprintf(f, ", \"hypercalls\": %" PRIu64 ", ", a.count);
	json_lat(f, a.count, &a.lat);
	pvt_lat_free(&a.lat);
	fprintf(f, ", \"run_ns\": %" PRIu64 ", \"wait_ns\": %" PRIu64 ", \"blocked_ns\": %" PRIu64
	        ", \"switches\": %" PRIu64 ", \"blocks\": %" PRIu64 ", \"wakes\": %" PRIu64
	        ", \"inferred_leaves\": %" PRIu64 ", \"vm_exits\": %" PRIu64 ", \"events_sent\": %" PRIu64
	        ", \"tlb_flushes\": %" PRIu64 ", \"tlb_by_kind\": {",
	        v.run, v.wait, v.blocked, v.switches, v.blocks, v.wakes, v.inferred, d->vm_exits, d->events_sent,
	        d->tlb_flushes);
	json_kinds(f, d->tlb_kinds, d->ntlb_kinds);
	pvt_lat_sort(&d->mmu_lat);
	fprintf(f, "}, \"page_flips\": %" PRIu64 ", \"page_flips_in\": %" PRIu64 ", \"mmu_batches\": %" PRIu64
	        ", \"mmu_entries\": %" PRIu64 ", \"mmu_applied\": %" PRIu64 ", \"mmu_rejected\": %" PRIu64
	        ", \"mmu_p50_ns\": %" PRIu64 ", \"mmu_max_ns\": %" PRIu64 ", \"created\": %s, \"destroyed\": %s"
	        ", \"exit_code\": %" PRId64 ", \"crashed\": %s",
	        d->page_flips_out, d->page_flips_in, d->mmu_batches, d->mmu_entries, d->mmu_applied, d->mmu_rejected,
	        pvt_lat_pct(&d->mmu_lat, 50), d->mmu_lat.max, d->created ? "true" : "false",
	        d->destroyed ? "true" : "false", d->exit_code, d->crashed ? "true" : "false");
	pvt_lat_sort(&d->blk_lat);
	fprintf(f, ", \"blk_requests\": %" PRIu64 ", \"blk_read_sectors\": %" PRIu64 ", \"blk_write_sectors\": %" PRIu64
	        ", \"blk_errors\": %" PRIu64 ", \"blk_batches\": %" PRIu64 ", \"blk_events\": %" PRIu64
	        ", \"blk_p50_ns\": %" PRIu64, d->blk_requests, d->blk_read, d->blk_written, d->blk_errors,
	        d->blk_batches, d->blk_notified, pvt_lat_pct(&d->blk_lat, 50));
	fprintf(f, ", \"pvnet_flipped\": %" PRIu64 ", \"pvnet_copied\": %" PRIu64 ", \"pvnet_bytes\": %" PRIu64
	        ", \"pvnet_batches\": %" PRIu64 ", \"pvnet_batched\": %" PRIu64 ", \"pvnet_events\": %" PRIu64
	        ", \"grant_copies\": %" PRIu64 ", \"grant_copy_bytes\": %" PRIu64, d->pvnet_flipped, d->pvnet_copied,
	        d->pvnet_bytes, d->pvnet_batches, d->pvnet_batched, d->pvnet_notified, d->grant_copies, d->grant_copy_bytes);
	fprintf(f, ", \"net_tx_packets\": %" PRIu64 ", \"net_tx_bytes\": %" PRIu64 ", \"net_rx_packets\": %" PRIu64
	        ", \"net_rx_bytes\": %" PRIu64 ", \"net_tx_batches\": %" PRIu64 ", \"net_rx_batches\": %" PRIu64
	        ", \"net_tx_events\": %" PRIu64 ", \"net_rx_events\": %" PRIu64 ", \"net_deferred\": %" PRIu64
	        ", \"vfr_dropped\": %" PRIu64, d->net_tx, d->net_tx_bytes, d->net_rx, d->net_rx_bytes, d->net_batches[0],
	        d->net_batches[1], d->net_events[0], d->net_events[1], d->net_deferred, d->vfr_dropped);
	struct xsum x = dom_xen(d);
	fprintf(f, ", \"xen_ptwr\": %" PRIu64 ", \"xen_ptwr_refused\": %" PRIu64 ", \"xen_bounces\": %" PRIu64
	        ", \"xen_upcalls\": %" PRIu64 ", \"xen_syscalls\": %" PRIu64 ", \"xen_exceptions\": %" PRIu64
	        ", \"xen_emulated\": %" PRIu64 ", \"xen_emulated_by\": {", d->ptwr, d->ptwr_refused, x.bounces, x.upcalls,
	        x.syscalls, x.exceptions, d->emulated);
	json_kinds(f, d->emul_kinds, d->nemul_kinds);
	fprintf(f, "}, \"xen_stub\": %" PRIu64 ", \"xen_stub_by\": {", d->stub_ops);
	json_kinds(f, d->stub_kinds, d->nstub_kinds);
	fprintf(f, "}, \"by_hypercall\": [");
	int first = 1;
	for (size_t k = 0; k < PVT_DIRECT_NR + d->nother; k++) {
		struct pvt_hc *hc = k < PVT_DIRECT_NR ? &d->direct[k] : &d->other[k - PVT_DIRECT_NR];
		if (!hc_used(hc))
			continue;
		struct agg one = { .nr = hc->nr };
		if (agg_add(s, &one, hc))
			return pvt_lat_free(&one.lat), -ENOMEM;
		pvt_lat_sort(&one.lat);
		fprintf(f, "%s", first ? "" : ", ");
		first = 0;
		json_agg(f, &one);
		pvt_lat_free(&one.lat);
	}
	fprintf(f, "]}");
	return 0;
}

int pvt_summary_json(struct pvt_summary *s, const struct pvt_totals *t, const char *dir, FILE *f)
{
	struct pvt_dom **doms;
	size_t nd = pvt_summary_sorted(s, &doms);
	struct agg *a = NULL;
	size_t na = 0;
	if (!doms || per_hypercall(s, doms, nd, &a, &na)) {
		free(doms);
		return -ENOMEM;
	}
	fprintf(f, "{\"trace\": ");
	json_str(f, dir);
	fprintf(f, ", \"events\": %" PRIu64 ", \"events_lost\": %" PRIu64 ", \"packets_lost\": %" PRIu64
	        ", \"streams\": %d, \"first_ts_ns\": %" PRId64 ", \"last_ts_ns\": %" PRId64 ", \"skipped\": %" PRIu64
	        ", \"pids\": [", t->events, t->lost_events, t->lost_packets, t->streams, t->first_ts, t->last_ts, t->skipped);
	for (int i = 0; i < t->npids; i++)
		fprintf(f, "%s%d", i ? ", " : "", t->pids[i]);
	fprintf(f, "], \"event_counts\": {");
	int first = 1;
	for (int k = 0; k < PVT_NR_KINDS; k++)
		if (s->kind_count[k]) {
			fprintf(f, "%s\"%s\": %" PRIu64, first ? "" : ", ", pvt_kinds[k].name, s->kind_count[k]);
			first = 0;
		}
	fprintf(f, "},\n \"hypercalls\": [");
	for (size_t j = 0; j < na; j++) {
		fprintf(f, "%s\n  ", j ? "," : "");
		json_agg(f, &a[j]);
	}
	free_aggs(a, na);
	fprintf(f, "],\n \"domains\": [");
	int rc = 0;
	for (size_t i = 0; i < nd && !rc; i++) {
		fprintf(f, "%s\n  ", i ? "," : "");
		rc = json_domain(f, s, doms[i]);
	}
	fprintf(f, "],\n \"vm_exits\": [");
	char buf[32];
	first = 1;
	for (int r = 0; r < 64; r++)
		if (s->exit_reasons[r]) {
			fprintf(f, "%s{\"reason\": \"%s\", \"code\": %d, \"count\": %" PRIu64 "}", first ? "" : ", ",
			        r == 63 ? "other" : pvt_exit_name((uint64_t)r, buf, sizeof(buf)), r, s->exit_reasons[r]);
			first = 0;
		}
	struct pvt_kindcount kinds[64];
	size_t nk = all_tlb_kinds(doms, nd, kinds, 64);
	fprintf(f, "],\n \"tlb_flushes\": {\"total\": %" PRIu64 ", \"by_kind\": {", TOTAL(tlb_flushes));
	json_kinds(f, kinds, nk);
	fprintf(f, "}},\n \"page_flips\": %" PRIu64 ",\n \"mmu_update\": {\"batches\": %" PRIu64 ", \"entries\": %"
	        PRIu64 ", \"applied\": %" PRIu64 ", \"rejected\": %" PRIu64 "},\n \"xen_ptwr\": {\"total\": %" PRIu64
	        ", \"refused\": %" PRIu64 "}}\n", TOTAL(page_flips_out), TOTAL(mmu_batches), TOTAL(mmu_entries),
	        TOTAL(mmu_applied), TOTAL(mmu_rejected), TOTAL(ptwr), TOTAL(ptwr_refused));
	free(doms);
	return rc;
}
