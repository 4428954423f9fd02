/* Borrowed Virtual Time (Duda & Cheriton, SOSP'99), the paper's scheduler.
 * Each vCPU's actual virtual time (avt) advances by its run time scaled by
 * REF/weight; the runnable vCPU with the least effective virtual time
 * (evt = avt - warp while warping) runs. A vCPU keeps the CPU until its evt
 * passes the next one's by the context-switch allowance C, so switches stay
 * rare. A vCPU that wakes is brought up to the system virtual time (svt),
 * so sleeping earns no credit. Warp lets a latency-sensitive domain run
 * early for at most warpl ns, then not again for warpu ns. */
#include <errno.h>
#include <stdlib.h>
#include "pvmon.h"
#include "sched.h"

#define BVT_REF 100ULL                  /* weight whose avt runs at real rate */
#define BVT_CTX_ALLOW_NS 5000000ULL     /* C, in real time of the running vCPU */
#define BVT_MIN_SLICE_NS 1000000ULL
#define BVT_MAX_SLICE_NS 50000000ULL

struct bvt_vcpu {
	struct vcpu *v;
	struct bvt_vcpu *next;              /* run queue link */
	uint64_t avt;
	uint32_t weight;
	uint64_t warp, warpl, warpu;
	uint64_t warp_used, unwarp_until;
	uint64_t start;                     /* system ns it got the slot */
};

struct bvt_sched {
	struct bvt_vcpu *queue;
};

static struct bvt_vcpu *B(struct vcpu *v) { return v->sched_priv; }

static bool warping(const struct bvt_vcpu *b, uint64_t now)
{
	return b->warp && now >= b->unwarp_until && (!b->warpl || b->warp_used < b->warpl);
}

static int64_t evt(const struct bvt_vcpu *b, uint64_t now)
{
	return (int64_t)b->avt - (warping(b, now) ? (int64_t)b->warp : 0);
}

static uint64_t ctx_allow_virt(const struct bvt_vcpu *b)
{
	return BVT_CTX_ALLOW_NS * BVT_REF / b->weight;
}

static int bvt_init(struct sched *s)
{
	s->priv = calloc(1, sizeof(struct bvt_sched));
	return s->priv ? 0 : -ENOMEM;
}

static void bvt_fini(struct sched *s)
{
	free(s->priv);
	s->priv = NULL;
}

static int bvt_vcpu_init(struct sched *s, struct vcpu *v)
{
	(void)s;
	struct bvt_vcpu *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->v = v;
	b->weight = v->dom->cfg.weight ? v->dom->cfg.weight : CFG_WEIGHT_DEFAULT;
	b->warp = v->dom->cfg.warp_ns;
	b->warpl = v->dom->cfg.warpl_ns;
	b->warpu = v->dom->cfg.warpu_ns;
	v->sched_priv = b;
	return 0;
}

static void bvt_vcpu_fini(struct sched *s, struct vcpu *v)
{
	(void)s;
	free(v->sched_priv);
	v->sched_priv = NULL;
}

/* System virtual time: the least avt among runnable and running vCPUs
 * (a running one charged up to now), so a waking vCPU cannot bank the time
 * it slept. */
static uint64_t svt(struct sched *s, const struct bvt_vcpu *self, uint64_t now)
{
	struct bvt_sched *bs = s->priv;
	uint64_t min = UINT64_MAX;
	for (const struct bvt_vcpu *q = bs->queue; q; q = q->next)
		if (q != self && q->avt < min)
			min = q->avt;
	for (int cpu = 0; cpu < s->nr_slots; cpu++) {
		struct vcpu *r = s->slot[cpu];
		if (!r || !r->sched_priv || r->sched_priv == self)
			continue;
		const struct bvt_vcpu *b = r->sched_priv;
		uint64_t cur = b->avt + (now - b->start) * BVT_REF / b->weight;
		if (cur < min)
			min = cur;
	}
	return min;
}

static void bvt_enqueue(struct sched *s, struct vcpu *v, bool woken, uint64_t now)
{
	struct bvt_sched *bs = s->priv;
	struct bvt_vcpu *b = B(v);
	if (woken) {
		uint64_t sv = svt(s, b, now);
		if (sv != UINT64_MAX && b->avt < sv)
			b->avt = sv;
		if (now >= b->unwarp_until)
			b->warp_used = 0;
	}
	b->next = bs->queue;
	bs->queue = b;
}

static void bvt_dequeue(struct sched *s, struct vcpu *v)
{
	struct bvt_sched *bs = s->priv;
	for (struct bvt_vcpu **p = &bs->queue; *p; p = &(*p)->next) {
		if (*p == B(v)) {
			*p = B(v)->next;
			return;
		}
	}
}

static struct vcpu *bvt_pick(struct sched *s, uint64_t now, uint64_t *slice)
{
	struct bvt_sched *bs = s->priv;
	struct bvt_vcpu **best = NULL, *second = NULL;
	for (struct bvt_vcpu **p = &bs->queue; *p; p = &(*p)->next) {
		if (!best || evt(*p, now) < evt(*best, now)) {
			if (best && (!second || evt(*best, now) < evt(second, now)))
				second = *best;
			best = p;
		} else if (!second || evt(*p, now) < evt(second, now)) {
			second = *p;
		}
	}
	if (!best)
		return NULL;
	struct bvt_vcpu *b = *best;
	*best = b->next;
	*slice = BVT_MAX_SLICE_NS;
	if (second) {
		int64_t lead = evt(second, now) + (int64_t)ctx_allow_virt(b) - evt(b, now);
		uint64_t real = lead > 0 ? (uint64_t)lead * b->weight / BVT_REF : 0;
		*slice = real < BVT_MIN_SLICE_NS ? BVT_MIN_SLICE_NS : real > BVT_MAX_SLICE_NS ? BVT_MAX_SLICE_NS : real;
	}
	b->start = now;
	return b->v;
}

static void bvt_charge(struct sched *s, struct vcpu *v, uint64_t ran, uint64_t now)
{
	(void)s;
	struct bvt_vcpu *b = B(v);
	if (warping(b, now - ran)) {
		b->warp_used += ran;
		if (b->warpl && b->warp_used >= b->warpl) {
			b->unwarp_until = now + b->warpu;
			b->warp_used = 0;
		}
	}
	b->avt += ran * BVT_REF / b->weight;
}

static bool bvt_preempts(struct sched *s, struct vcpu *woken, struct vcpu *running, uint64_t now)
{
	(void)s;
	struct bvt_vcpu *w = B(woken), *r = B(running);
	int64_t r_evt = evt(r, now) + (int64_t)((now - r->start) * BVT_REF / r->weight);
	return evt(w, now) + (int64_t)ctx_allow_virt(r) < r_evt;
}

static int bvt_set_params(struct sched *s, struct vcpu *v, const struct sched_params *p)
{
	(void)s;
	struct bvt_vcpu *b = B(v);
	if ((p->weight != -1 && (p->weight < 1 || p->weight > 10000)) ||
	    p->warp_ns < -1 || p->warpl_ns < -1 || p->warpu_ns < -1)
		return -EINVAL;
	if (p->weight != -1)
		b->weight = (uint32_t)p->weight;
	if (p->warp_ns != -1)
		b->warp = (uint64_t)p->warp_ns;
	if (p->warpl_ns != -1)
		b->warpl = (uint64_t)p->warpl_ns;
	if (p->warpu_ns != -1)
		b->warpu = (uint64_t)p->warpu_ns;
	return 0;
}

static void bvt_get_params(struct sched *s, struct vcpu *v, struct sched_params *p)
{
	(void)s;
	struct bvt_vcpu *b = B(v);
	p->weight = b->weight;
	p->warp_ns = (int64_t)b->warp;
	p->warpl_ns = (int64_t)b->warpl;
	p->warpu_ns = (int64_t)b->warpu;
}

const struct sched_ops sched_bvt_ops = {
	.name = "bvt",
	.init = bvt_init,
	.fini = bvt_fini,
	.vcpu_init = bvt_vcpu_init,
	.vcpu_fini = bvt_vcpu_fini,
	.enqueue = bvt_enqueue,
	.dequeue = bvt_dequeue,
	.pick = bvt_pick,
	.charge = bvt_charge,
	.preempts = bvt_preempts,
	.set_params = bvt_set_params,
	.get_params = bvt_get_params,
};
