/* Round-robin: a FIFO of runnable vCPUs, each runs for a fixed slice.
 * Wake-ups wait their turn; weights are ignored. */
#include <errno.h>
#include <stdlib.h>
#include "pvmon.h"
#include "sched.h"

struct rr_node {
	struct vcpu *v;
	struct rr_node *next;
};
struct rr_sched {
	struct rr_node *head, *tail;
};

static int rr_init(struct sched *s)
{
	s->priv = calloc(1, sizeof(struct rr_sched));
	return s->priv ? 0 : -ENOMEM;
}

static void rr_fini(struct sched *s)
{
	free(s->priv);
	s->priv = NULL;
}

static int rr_vcpu_init(struct sched *s, struct vcpu *v)
{
	(void)s;
	struct rr_node *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->v = v;
	v->sched_priv = n;
	return 0;
}

static void rr_vcpu_fini(struct sched *s, struct vcpu *v)
{
	(void)s;
	free(v->sched_priv);
	v->sched_priv = NULL;
}

static void rr_enqueue(struct sched *s, struct vcpu *v, bool woken, uint64_t now)
{
	(void)woken;
	(void)now;
	struct rr_sched *rs = s->priv;
	struct rr_node *n = v->sched_priv;
	n->next = NULL;
	if (rs->tail)
		rs->tail->next = n;
	else
		rs->head = n;
	rs->tail = n;
}

static void rr_dequeue(struct sched *s, struct vcpu *v)
{
	struct rr_sched *rs = s->priv;
	struct rr_node *prev = NULL;
	for (struct rr_node *n = rs->head; n; prev = n, n = n->next) {
		if (n->v != v)
			continue;
		if (prev)
			prev->next = n->next;
		else
			rs->head = n->next;
		if (rs->tail == n)
			rs->tail = prev;
		return;
	}
}

static struct vcpu *rr_pick(struct sched *s, uint64_t now, uint64_t *slice)
{
	(void)now;
	struct rr_sched *rs = s->priv;
	struct rr_node *n = rs->head;
	if (!n)
		return NULL;
	rs->head = n->next;
	if (!rs->head)
		rs->tail = NULL;
	*slice = s->rr_slice_ns;
	return n->v;
}

static void rr_charge(struct sched *s, struct vcpu *v, uint64_t ran, uint64_t now)
{
	(void)s; (void)v; (void)ran; (void)now;
}

static bool rr_preempts(struct sched *s, struct vcpu *w, struct vcpu *r, uint64_t now)
{
	(void)s; (void)w; (void)r; (void)now;
	return false;
}

const struct sched_ops sched_rr_ops = {
	.name = "rr",
	.init = rr_init,
	.fini = rr_fini,
	.vcpu_init = rr_vcpu_init,
	.vcpu_fini = rr_vcpu_fini,
	.enqueue = rr_enqueue,
	.dequeue = rr_dequeue,
	.pick = rr_pick,
	.charge = rr_charge,
	.preempts = rr_preempts,
};
