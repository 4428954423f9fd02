/* The analysis behind `pvtrace summary` and `timeline`: per domain and per
 * hypercall counts and latencies, and each vCPU's run / wait / blocked time
 * rebuilt from sched_switch and sched_wake.
 *
 * pvmon traces a switch only when a slot gets a next vCPU: a vCPU that
 * leaves a slot nobody else wants (it blocked, paused or exited) leaves no
 * event. Such a leave is inferred when the vCPU shows up again (woken,
 * dispatched, or its slot given to another) and placed at the vCPU's last
 * event; it can only mean "not runnable", because pvmon would have picked a
 * runnable vCPU for the free slot. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pvtrace.h"

#define MAX_VCPUS 4096             /* larger ids are counted, not scheduled */
#define MAX_SLOTS 1024

/* ---- interned strings (reasons, TLB flush kinds) ----------------------- */

#define MAX_INTERNED 64
static char interned[MAX_INTERNED][32];
static int ninterned;

const char *pvt_intern(const char *s)
{
	for (int i = 0; i < ninterned; i++)
		if (!strcmp(interned[i], s))
			return interned[i];
	if (ninterned == MAX_INTERNED || strlen(s) >= sizeof(interned[0]))
		return "other";
	snprintf(interned[ninterned], sizeof(interned[0]), "%s", s);
	return interned[ninterned++];
}

/* ---- domains and vCPUs ---------------------------------------------------- */

void pvt_summary_init(struct pvt_summary *s)
{
	memset(s, 0, sizeof(*s));
}

static size_t hash_id(uint32_t id, size_t cap)
{
	return (id * 2654435761u) & (cap - 1);
}

static int grow_doms(struct pvt_summary *s)
{
	size_t cap = s->cap ? s->cap * 2 : 64;
	struct pvt_dom **t = calloc(cap, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		struct pvt_dom *d = s->doms[i];
		if (!d)
			continue;
		size_t h = hash_id(d->id, cap);
		while (t[h])
			h = (h + 1) & (cap - 1);
		t[h] = d;
	}
	free(s->doms);
	s->doms = t;
	s->cap = cap;
	return 0;
}

struct pvt_dom *pvt_summary_dom(struct pvt_summary *s, uint32_t id)
{
	if (s->last && s->last->id == id)
		return s->last;
	if (s->cap) {
		for (size_t h = hash_id(id, s->cap); s->doms[h]; h = (h + 1) & (s->cap - 1))
			if (s->doms[h]->id == id)
				return s->last = s->doms[h];
	}
	if ((s->ndoms + 1) * 2 > s->cap && grow_doms(s))
		return NULL;
	struct pvt_dom *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->id = id;
	for (int i = 0; i < PVT_DIRECT_NR; i++)
		d->direct[i].nr = (uint64_t)i;
	size_t h = hash_id(id, s->cap);
	while (s->doms[h])
		h = (h + 1) & (s->cap - 1);
	s->doms[h] = d;
	s->ndoms++;
	return s->last = d;
}

struct pvt_hc *pvt_dom_hc(struct pvt_dom *d, uint64_t nr)
{
	if (nr < PVT_DIRECT_NR)
		return &d->direct[nr];
	for (size_t i = 0; i < d->nother; i++)
		if (d->other[i].nr == nr)
			return &d->other[i];
	struct pvt_hc *o = realloc(d->other, (d->nother + 1) * sizeof(*o));
	if (!o)
		return NULL;
	d->other = o;
	memset(&o[d->nother], 0, sizeof(*o));
	o[d->nother].nr = nr;
	return &o[d->nother++];
}

static struct pvt_vcpu *vcpu_of(struct pvt_summary *s, uint32_t dom, uint64_t id)
{
	if (id >= MAX_VCPUS)
		return NULL;
	struct pvt_dom *d = pvt_summary_dom(s, dom);
	if (!d)
		return NULL;
	if (id >= d->nvcpu) {
		struct pvt_vcpu *v = realloc(d->vcpu, (id + 1) * sizeof(*v));
		if (!v)
			return NULL;
		memset(v + d->nvcpu, 0, (id + 1 - d->nvcpu) * sizeof(*v));
		for (size_t i = d->nvcpu; i <= id; i++)
			v[i].cpu = -1;
		d->vcpu = v;
		d->nvcpu = id + 1;
	}
	return &d->vcpu[id];
}

static struct pvt_slot *slot_of(struct pvt_summary *s, uint64_t cpu)
{
	if (cpu >= MAX_SLOTS)
		return NULL;
	if ((int)cpu >= s->nslots) {
		struct pvt_slot *t = realloc(s->slots, (cpu + 1) * sizeof(*t));
		if (!t)
			return NULL;
		memset(t + s->nslots, 0, (cpu + 1 - (uint64_t)s->nslots) * sizeof(*t));
		s->slots = t;
		s->nslots = (int)cpu + 1;
	}
	return &s->slots[cpu];
}

/* ---- the vCPU state machine --------------------------------------------- */

/* Charge the time since v->since to the state v is leaving. */
static void charge(struct pvt_vcpu *v, int64_t t)
{
	uint64_t dt = t > v->since ? (uint64_t)(t - v->since) : 0;
	switch (v->state) {
	case VS_RUN: v->run_ns += dt; break;
	case VS_WAIT: v->wait_ns += dt; break;
	case VS_BLOCK:
	case VS_LEFT: v->blocked_ns += dt; break;
	default: break;
	}
	v->since = t;
}

static void set_state(struct pvt_vcpu *v, enum pvt_vstate st, int64_t t)
{
	charge(v, t);
	if (v->state == VS_LEFT && st != VS_DEAD)
		v->blocks++;           /* an inferred leave turns out to have been a block */
	v->state = st;
	v->since = t;
}

static void close_interval(struct pvt_summary *s, int cpu, int64_t end, const char *why)
{
	struct pvt_slot *sl = &s->slots[cpu];
	if (!sl->busy)
		return;
	if (s->on_interval)
		s->on_interval(s->interval_ctx, cpu, sl->dom, sl->vcpu, sl->since, end < sl->since ? sl->since : end,
		               sl->in_reason, why);
	sl->busy = false;
}

/* v left its slot without an event: end its run at its last event. */
static void untraced_leave(struct pvt_summary *s, struct pvt_vcpu *v)
{
	int64_t t = v->last_seen > v->since ? v->last_seen : v->since;
	if (v->cpu >= 0 && v->cpu < s->nslots)
		close_interval(s, v->cpu, t, "untraced");
	charge(v, t);
	v->state = VS_LEFT;
	v->cpu = -1;
	v->inferred_leaves++;
}

static bool valid_id(uint64_t v)
{
	return (int64_t)v >= 0;
}

static void on_switch(struct pvt_summary *s, const struct pvt_ev *e)
{
	struct pvt_slot *sl = slot_of(s, e->v[SS_CPU]);
	if (!sl) {
		s->error = -ENOMEM;
		return;
	}
	int cpu = (int)e->v[SS_CPU];
	uint64_t pd = e->v[SS_PREV_DOM], pv = e->v[SS_PREV_VCPU];
	uint64_t nd = e->v[SS_NEXT_DOM], nv = e->v[SS_NEXT_VCPU];
	bool has_prev = valid_id(pd) && valid_id(pv), has_next = valid_id(nd) && valid_id(nv);
	if (sl->busy && !(has_prev && sl->dom == pd && sl->vcpu == pv)) {
		struct pvt_vcpu *x = vcpu_of(s, sl->dom, sl->vcpu);
		if (x && x->state == VS_RUN)
			untraced_leave(s, x);
		sl->busy = false;
	}
	if (has_prev) {
		struct pvt_vcpu *p = vcpu_of(s, (uint32_t)pd, pv);
		if (p) {
			if (p->state == VS_RUN && p->cpu >= 0 && p->cpu < s->nslots)
				close_interval(s, p->cpu, e->ts, pvt_intern(e->s));
			bool block = !strcmp(e->s, "block"), pause = !strcmp(e->s, "pause");
			set_state(p, block || pause ? VS_BLOCK : !strcmp(e->s, "exit") ? VS_DEAD : VS_WAIT, e->ts);
			p->blocks += block;
			p->cpu = -1;
		}
	}
	if (!has_next)
		return;
	struct pvt_vcpu *n = vcpu_of(s, (uint32_t)nd, nv);
	if (!n)
		return;
	if (n->state == VS_RUN)
		untraced_leave(s, n);
	set_state(n, VS_RUN, e->ts);
	n->last_seen = e->ts;
	n->cpu = cpu;
	n->switches++;
	sl->busy = true;
	sl->dom = (uint32_t)nd;
	sl->vcpu = (uint32_t)nv;
	sl->since = e->ts;
	sl->in_reason = pvt_intern(e->s);
}

static void on_wake(struct pvt_summary *s, const struct pvt_ev *e)
{
	struct pvt_vcpu *v = vcpu_of(s, (uint32_t)e->v[SW_DOM], e->v[SW_VCPU]);
	if (!v)
		return;
	if (v->state == VS_RUN)
		untraced_leave(s, v);
	if (v->state == VS_WAIT)
		return;                /* pvmon wakes only blocked vCPUs; nothing changes */
	set_state(v, VS_WAIT, e->ts);
	v->wakes++;
}

/* Any other event of a vCPU: it is running (the trace may have begun while
 * it ran, before any switch was recorded). */
static void seen(struct pvt_summary *s, uint32_t dom, uint64_t vcpu, int64_t ts)
{
	struct pvt_vcpu *v = vcpu_of(s, dom, vcpu);
	if (!v)
		return;
	if (v->state == VS_UNKNOWN) {
		v->state = VS_RUN;
		v->since = ts;
	}
	if (v->state == VS_RUN)
		v->last_seen = ts;
}

static void on_destroy(struct pvt_summary *s, struct pvt_dom *d, int64_t ts)
{
	d->destroyed = true;
	for (size_t i = 0; i < d->nvcpu; i++) {
		struct pvt_vcpu *v = &d->vcpu[i];
		if (v->state == VS_RUN && v->cpu >= 0 && v->cpu < s->nslots)
			close_interval(s, v->cpu, ts, "exit");
		if (v->state == VS_LEFT)
			v->since = ts;     /* it exited where it left: charge nothing */
		set_state(v, VS_DEAD, ts);
		v->cpu = -1;
	}
}

/* One more of kind in the list *kinds (*n long), by interned name. */
static int count_in(struct pvt_kindcount **kinds, size_t *n, const char *kind)
{
	const char *k = pvt_intern(kind);
	for (size_t i = 0; i < *n; i++)
		if ((*kinds)[i].kind == k) {
			(*kinds)[i].count++;
			return 0;
		}
	struct pvt_kindcount *t = realloc(*kinds, (*n + 1) * sizeof(*t));
	if (!t)
		return -ENOMEM;
	*kinds = t;
	t[*n].kind = (char *)k;
	t[(*n)++].count = 1;
	return 0;
}

static int count_kind(struct pvt_dom *d, const char *kind)
{
	return count_in(&d->tlb_kinds, &d->ntlb_kinds, kind);
}

/* What the entry stub served, in the tallies of what pvmon serves: a
 * hypercall by its number, a bounce by its vector, a page-table write, an
 * emulated instruction, a local TLB flush; and by what. */
static int on_stub(struct pvt_dom *d, const struct pvt_ev *e)
{
	const uint64_t *v = e->v;
	struct pvt_hc *hc;
	if (count_in(&d->stub_kinds, &d->nstub_kinds, e->s))
		return -ENOMEM;
	d->stub_ops++;
	if ((int64_t)v[XS_HYPERCALL] >= 0) {
		if (!(hc = pvt_dom_hc(d, PVT_XEN_HC | v[XS_HYPERCALL])))
			return -ENOMEM;
		hc->stub++;
	}
	if ((int64_t)v[XS_BOUNCE] >= 0)
		d->bounces[v[XS_BOUNCE] <= PVT_BOUNCE_SYSCALL ? v[XS_BOUNCE] : 255]++;
	if (!strcmp(e->s, "ptwr"))
		d->ptwr++;
	else if (!strcmp(e->s, "emulated")) {
		if (count_in(&d->emul_kinds, &d->nemul_kinds, "in the stub"))
			return -ENOMEM;
		d->emulated++;
	} else if (!strcmp(e->s, "tlb_flush_local") || !strcmp(e->s, "invlpg_local")) {
		if (count_kind(d, e->s[0] == 't' ? "local (stub)" : "invlpg (stub)"))
			return -ENOMEM;
		d->tlb_flushes++;
	}
	return 0;
}

int pvt_summary_event(void *arg, const struct pvt_ev *e)
{
	struct pvt_summary *s = arg;
	s->kind_count[e->kind]++;
	if (!s->first_ts)
		s->first_ts = e->ts;
	s->last_ts = e->ts;
	const uint64_t *v = e->v;
	struct pvt_dom *d = NULL;
	struct pvt_hc *hc;
	switch (e->kind) {
	case PVT_HCALL_ENTRY:
	case PVT_XEN_HCALL_ENTRY:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[HE_DOM])) || !(hc = pvt_dom_hc(d, pvt_hc_key(e))))
			break;
		hc->entries++;
		seen(s, d->id, v[HE_VCPU], e->ts);
		return 0;
	case PVT_HCALL_EXIT:
	case PVT_XEN_HCALL_EXIT:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[HX_DOM])) || !(hc = pvt_dom_hc(d, pvt_hc_key(e))))
			break;
		if (pvt_lat_add(&hc->lat, v[HX_LATENCY]))
			break;
		/* An errno (-4095..-1), as Linux reads syscall results: iret
		 * "returns" the guest's restored rax, which may be anything. */
		hc->errors += (int64_t)v[HX_RESULT] < 0 && (int64_t)v[HX_RESULT] >= -4095;
		seen(s, d->id, v[HX_VCPU], e->ts);
		return 0;
	case PVT_HCALL_REJECT:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[HR_DOM])) || !(hc = pvt_dom_hc(d, v[HR_NR])))
			break;
		hc->rejects++;
		seen(s, d->id, v[HR_VCPU], e->ts);
		return 0;
	case PVT_SCHED_SWITCH:
		on_switch(s, e);
		return 0;
	case PVT_SCHED_WAKE:
		on_wake(s, e);
		return 0;
	case PVT_EVTCHN_SEND:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[ES_DOM])))
			break;
		d->events_sent++;
		return 0;
	case PVT_VM_EXIT:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[VX_DOM])))
			break;
		d->vm_exits++;
		s->exit_reasons[v[VX_REASON] < 63 ? v[VX_REASON] : 63]++;
		seen(s, d->id, v[VX_VCPU], e->ts);
		return 0;
	case PVT_DOMAIN_CREATE:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[DC_DOM])))
			break;
		d->created = true;
		snprintf(d->name, sizeof(d->name), "%s", e->s);
		d->mem_mib = v[DC_MEM_MIB];
		d->nvcpus_cfg = v[DC_VCPUS];
		return 0;
	case PVT_DOMAIN_DESTROY:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[DD_DOM])))
			break;
		d->exit_code = (int64_t)v[DD_EXIT_CODE];
		d->crashed = v[DD_CRASHED] != 0;
		on_destroy(s, d, e->ts);
		return 0;
	case PVT_TLB_FLUSH:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[TF_DOM])) || count_kind(d, e->s))
			break;
		d->tlb_flushes++;
		seen(s, d->id, v[TF_VCPU], e->ts);
		return 0;
	case PVT_MMU_UPDATE:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[MU_DOM])) || pvt_lat_add(&d->mmu_lat, v[MU_LATENCY]))
			break;
		d->mmu_batches++;
		d->mmu_entries += v[MU_SIZE];
		d->mmu_applied += v[MU_APPLIED];
		d->mmu_rejected += v[MU_REJECTED];
		seen(s, d->id, v[MU_VCPU], e->ts);
		return 0;
	case PVT_BLK_REQUEST:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[BR_DOM])) || pvt_lat_add(&d->blk_lat, v[BR_LATENCY]))
			break;
		d->blk_requests++;
		d->blk_errors += v[BR_STATUS] != 0;
		if (v[BR_OP] == 0)
			d->blk_read += v[BR_NSECT];
		else
			d->blk_written += v[BR_NSECT];
		return 0;
	case PVT_BLK_BATCH:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[BB_DOM])))
			break;
		d->blk_batches++;
		d->blk_notified += v[BB_NOTIFIED] != 0;
		return 0;
	case PVT_PVNET_RX:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[NR_DOM])))
			break;
		if (!strcmp(e->s, "flip"))
			d->pvnet_flipped++;
		else
			d->pvnet_copied++;
		d->pvnet_bytes += v[NR_LEN];
		return 0;
	case PVT_PVNET_BATCH:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[PB_DOM])))
			break;
		d->pvnet_batches++;
		d->pvnet_batched += v[PB_BATCH];
		d->pvnet_notified += v[PB_NOTIFIED] != 0;
		return 0;
	case PVT_GRANT_COPY:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[GC_DOM])))
			break;
		d->grant_copies++;
		d->grant_copy_bytes += v[GC_BYTES];
		return 0;
	case PVT_NET_TX:
	case PVT_NET_RX:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[NT_DOM])))
			break;
		if (e->kind == PVT_NET_TX)
			d->net_tx++, d->net_tx_bytes += v[NT_LEN];
		else
			d->net_rx++, d->net_rx_bytes += v[NT_LEN];
		return 0;
	case PVT_NET_BATCH:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[NB_DOM])))
			break;
		d->net_batches[v[NB_RING] != 0]++;
		d->net_batched[v[NB_RING] != 0] += v[NB_BATCH];
		d->net_events[v[NB_RING] != 0] += v[NB_NOTIFIED] != 0;
		return 0;
	case PVT_NET_SCHED:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[NS_DOM])))
			break;
		if (v[NS_DEFERRED])
			d->net_deferred++;
		else
			d->net_turns++;
		return 0;
	case PVT_VFR:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[VF_DOM])))
			break;
		if (v[VF_ACTION])
			d->vfr_dropped++;
		else
			d->vfr_accepted++;
		return 0;
	case PVT_XEN_PTWR:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[XP_DOM])))
			break;
		d->ptwr++;
		d->ptwr_refused += v[XP_ERR] != 0;
		seen(s, d->id, v[XP_VCPU], e->ts);
		return 0;
	case PVT_XEN_BOUNCE:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[XB_DOM])))
			break;
		d->bounces[v[XB_VECTOR] <= PVT_BOUNCE_SYSCALL ? v[XB_VECTOR] : 255]++;
		seen(s, d->id, v[XB_VCPU], e->ts);
		return 0;
	case PVT_XEN_EMULATE:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[XE_DOM])) || count_in(&d->emul_kinds, &d->nemul_kinds, e->s))
			break;
		d->emulated++;
		seen(s, d->id, v[XE_VCPU], e->ts);
		return 0;
	case PVT_XEN_STUB:
		if (!(d = pvt_summary_dom(s, (uint32_t)v[XS_DOM])) || on_stub(d, e))
			break;
		seen(s, d->id, v[XS_VCPU], e->ts);
		return 0;
	case PVT_PAGE_FLIP: {
		struct pvt_dom *r;
		if (!(d = pvt_summary_dom(s, (uint32_t)v[PF_DOM])))
			break;
		d->page_flips_out++;
		if (!(r = pvt_summary_dom(s, (uint32_t)v[PF_REMOTE_DOM])))
			break;
		r->page_flips_in++;
		return 0;
	}
	default:
		s->other_named++;
		return 0;
	}
	s->error = -ENOMEM;
	return -ENOMEM;
}

void pvt_summary_finish(struct pvt_summary *s, int64_t ts)
{
	for (size_t i = 0; i < s->cap; i++) {
		struct pvt_dom *d = s->doms[i];
		for (size_t j = 0; d && j < d->nvcpu; j++) {
			struct pvt_vcpu *v = &d->vcpu[j];
			if (v->state == VS_RUN && v->cpu >= 0 && v->cpu < s->nslots)
				close_interval(s, v->cpu, ts, "end");
			if (v->state != VS_DEAD && v->state != VS_UNKNOWN)
				set_state(v, v->state == VS_LEFT ? VS_BLOCK : v->state, ts);
		}
	}
}

void pvt_summary_free(struct pvt_summary *s)
{
	for (size_t i = 0; i < s->cap; i++) {
		struct pvt_dom *d = s->doms[i];
		if (!d)
			continue;
		for (int k = 0; k < PVT_DIRECT_NR; k++)
			pvt_lat_free(&d->direct[k].lat);
		for (size_t k = 0; k < d->nother; k++)
			pvt_lat_free(&d->other[k].lat);
		pvt_lat_free(&d->mmu_lat);
		pvt_lat_free(&d->blk_lat);
		free(d->other);
		free(d->vcpu);
		free(d->tlb_kinds);
		free(d->emul_kinds);
		free(d->stub_kinds);
		free(d);
	}
	free(s->doms);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

static int cmp_dom(const void *a, const void *b)
{
	uint32_t x = (*(struct pvt_dom *const *)a)->id, y = (*(struct pvt_dom *const *)b)->id;
	return x < y ? -1 : x > y;
}

size_t pvt_summary_sorted(const struct pvt_summary *s, struct pvt_dom ***out)
{
	*out = malloc((s->ndoms ? s->ndoms : 1) * sizeof(**out));
	if (!*out)
		return 0;
	size_t n = 0;
	for (size_t i = 0; i < s->cap; i++)
		if (s->doms[i])
			(*out)[n++] = s->doms[i];
	qsort(*out, n, sizeof(**out), cmp_dom);
	return n;
}
