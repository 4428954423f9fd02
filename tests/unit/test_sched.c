/* The BVT and round-robin policies through their ops tables, on simulated
 * time (no threads, no KVM): shares follow weights, sleepers earn no
 * credit, warp is bounded, parameters are checked. */
#include <errno.h>
#include <stdlib.h>
#include "check.h"
#include "../../hypervisor/src/pvmon.h"
#include "../../hypervisor/src/sched.h"

#define MS 1000000ULL

static struct domain *mkdom(uint32_t id, uint32_t weight, uint64_t warp, uint64_t warpl, uint64_t warpu)
{
	struct domain *d = calloc(1, sizeof(*d));
	d->id = id;
	d->nr_vcpus = 1;
	d->cfg.weight = weight;
	d->cfg.warp_ns = warp;
	d->cfg.warpl_ns = warpl;
	d->cfg.warpu_ns = warpu;
	d->vcpus[0].dom = d;
	CHECK_EQ(sched.ops->vcpu_init(&sched, &d->vcpus[0]), 0);
	return d;
}

/* Run two always-runnable vCPUs on one CPU for total ns; return a's run time. */
static void share(struct vcpu *a, struct vcpu *b, uint64_t total, uint64_t *ra, uint64_t *rb)
{
	uint64_t now = 0;
	*ra = *rb = 0;
	sched.ops->enqueue(&sched, a, true, now);
	sched.ops->enqueue(&sched, b, true, now);
	while (now < total) {
		uint64_t slice = 0;
		struct vcpu *v = sched.ops->pick(&sched, now, &slice);
		CHECK(v == a || v == b);
		CHECK(slice > 0);
		if (!v || !slice)
			return;
		now += slice;
		*(v == a ? ra : rb) += slice;
		sched.ops->charge(&sched, v, slice, now);
		sched.ops->enqueue(&sched, v, false, now);
	}
	sched.ops->dequeue(&sched, a);
	sched.ops->dequeue(&sched, b);
}

/* CPU share of a weight-2 domain over a weight-1 one on one CPU; the
 * domains are returned for further use. */
static double weight_ratio(struct domain **a, struct domain **b)
{
	*a = mkdom(1, 1, 0, 0, 0);
	*b = mkdom(2, 2, 0, 0, 0);
	uint64_t ra, rb;
	share(&(*a)->vcpus[0], &(*b)->vcpus[0], 3000 * MS, &ra, &rb);
	double r = (double)rb / (double)ra;
	printf("%s 1:2 weights -> %.3f\n", sched.ops->name, r);
	return r;
}

static void test_bvt(void)
{
	CHECK_EQ(sched_init(&sched_bvt_ops, 1), 0);
	struct domain *a, *b;
	double r = weight_ratio(&a, &b);
	CHECK(r > 1.9 && r < 2.1);

	/* A vCPU that slept is brought up to system virtual time: after waking
	 * it does not run alone for long. */
	struct domain *c = mkdom(3, 100, 0, 0, 0), *s = mkdom(4, 100, 0, 0, 0);
	struct vcpu *vc = &c->vcpus[0], *vs = &s->vcpus[0];
	uint64_t now = 0, slice;
	sched.ops->enqueue(&sched, vc, true, now);
	for (int i = 0; i < 100; i++) {              /* c runs 1 s alone */
		struct vcpu *v = sched.ops->pick(&sched, now, &slice);
		CHECK(v == vc);
		now += slice;
		sched.ops->charge(&sched, v, slice, now);
		sched.ops->enqueue(&sched, v, false, now);
		if (now > 1000 * MS)
			break;
	}
	sched.ops->enqueue(&sched, vs, true, now);   /* s wakes after sleeping 1 s */
	uint64_t s_run = 0, end = now + 100 * MS;
	while (now < end) {
		struct vcpu *v = sched.ops->pick(&sched, now, &slice);
		now += slice;
		if (v == vs)
			s_run += slice;
		sched.ops->charge(&sched, v, slice, now);
		sched.ops->enqueue(&sched, v, false, now);
	}
	printf("woken sleeper ran %llu ms of 100\n", (unsigned long long)(s_run / MS));
	CHECK(s_run <= 60 * MS);                    /* its fair half plus at most a slice */
	CHECK(s_run >= 40 * MS);
	sched.ops->dequeue(&sched, vc);
	sched.ops->dequeue(&sched, vs);

	/* Preemption: a woken vCPU preempts the running one only once the
	 * running one is ahead by more than the context-switch allowance. */
	sched.ops->enqueue(&sched, vc, false, now);
	sched.ops->enqueue(&sched, vs, false, now);
	struct vcpu *run = sched.ops->pick(&sched, now, &slice), *other = run == vc ? vs : vc;
	CHECK(run != NULL);
	if (!run)
		return;
	sched.ops->dequeue(&sched, other);
	CHECK(sched.ops->preempts(&sched, other, run, now) == false);
	CHECK(sched.ops->preempts(&sched, other, run, now + 100 * MS) == true);
	sched.ops->charge(&sched, run, 1, now);

	/* Warp: a warped domain is picked first, for at most warpl. */
	struct domain *w = mkdom(5, 100, 50 * MS, 5 * MS, 100 * MS), *n = mkdom(6, 100, 0, 0, 0);
	struct vcpu *vw = &w->vcpus[0], *vn = &n->vcpus[0];
	sched.ops->enqueue(&sched, vn, true, now);
	sched.ops->enqueue(&sched, vw, true, now);
	struct vcpu *first = sched.ops->pick(&sched, now, &slice);
	CHECK(first == vw);
	sched.ops->enqueue(&sched, first, false, now);
	uint64_t w_run = 0;
	end = now + 200 * MS;
	while (now < end) {
		struct vcpu *v = sched.ops->pick(&sched, now, &slice);
		now += slice;
		if (v == vw)
			w_run += slice;
		sched.ops->charge(&sched, v, slice, now);
		sched.ops->enqueue(&sched, v, false, now);
	}
	printf("warped domain ran %llu ms of 200\n", (unsigned long long)(w_run / MS));
	CHECK(w_run < 160 * MS);                    /* warp is bounded: no starvation */

	struct sched_params p = { 0, -1, -1, -1 };
	CHECK_EQ(sched.ops->set_params(&sched, vn, &p), -EINVAL);
	p.weight = 10001;
	CHECK_EQ(sched.ops->set_params(&sched, vn, &p), -EINVAL);
	p = (struct sched_params){ 300, -1, -1, -1 };
	CHECK_EQ(sched.ops->set_params(&sched, vn, &p), 0);
	sched.ops->get_params(&sched, vn, &p);
	CHECK_EQ(p.weight, 300);
	CHECK_EQ(p.warp_ns, 0);

	/* dequeue removes a queued vCPU: pick never returns it. */
	sched.ops->dequeue(&sched, vw);
	for (int i = 0; i < 5; i++) {
		struct vcpu *v = sched.ops->pick(&sched, now, &slice);
		CHECK(v == vn);
		sched.ops->enqueue(&sched, v, false, now);
	}
	sched.ops->dequeue(&sched, vn);
	CHECK(sched.ops->pick(&sched, now, &slice) == NULL);
	struct domain *all[] = { a, b, c, s, w, n };
	for (int i = 0; i < 6; i++) {
		sched.ops->vcpu_fini(&sched, &all[i]->vcpus[0]);
		free(all[i]);
	}
	sched.ops->fini(&sched);
}

static void test_rr(void)
{
	CHECK_EQ(sched_init(&sched_rr_ops, 1), 0);
	struct domain *a, *b;
	double r = weight_ratio(&a, &b);
	CHECK(r > 0.95 && r < 1.05);
	CHECK(sched.ops->preempts(&sched, &a->vcpus[0], &b->vcpus[0], 0) == false);
	sched.ops->vcpu_fini(&sched, &a->vcpus[0]);
	sched.ops->vcpu_fini(&sched, &b->vcpus[0]);
	free(a);
	free(b);
	sched.ops->fini(&sched);
}

int main(void)
{
	CHECK(sched_find("bvt") == &sched_bvt_ops);
	CHECK(sched_find("rr") == &sched_rr_ops);
	CHECK(sched_find("nope") == NULL);
	CHECK_EQ(sched_init(&sched_rr_ops, 0), -EINVAL);
	CHECK_EQ(sched_init(&sched_rr_ops, SCHED_MAX_SLOTS + 1), -EINVAL);
	test_bvt();
	test_rr();
	return CHECK_DONE();
}
