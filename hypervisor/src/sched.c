/* Slot management and accounting common to every scheduling policy. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "domain.h"
#include "evtchn.h"
#include "guest_access.h"
#include "hypercall.h"
#include "pvmon.h"
#include "sched.h"
#include "pvtime.h"
#include "trace.h"

struct sched sched;
pthread_mutex_t sched_lock = PTHREAD_MUTEX_INITIALIZER;

const struct sched_ops *sched_find(const char *name)
{
	if (!strcmp(name, "bvt"))
		return &sched_bvt_ops;
	if (!strcmp(name, "rr"))
		return &sched_rr_ops;
	return NULL;
}

int sched_init(const struct sched_ops *ops, int nr_slots)
{
	if (nr_slots < 1 || nr_slots > SCHED_MAX_SLOTS)
		return -EINVAL;
	memset(&sched, 0, sizeof(sched));
	sched.ops = ops;
	sched.nr_slots = nr_slots;
	sched.rr_slice_ns = 10000000;
	return ops->init ? ops->init(&sched) : 0;
}

static int dom_of(const struct vcpu *v) { return v ? (int)v->dom->id : -1; }
static int id_of(const struct vcpu *v) { return v ? (int)v->id : -1; }

/* Move v to a new state, charging the time spent in the old one. */
static void set_state(struct vcpu *v, enum vcpu_state st, uint64_t now)
{
	uint64_t dt = now - v->state_since;
	switch (v->state) {
	case VS_RUNNING:
		v->run_ns += dt;
		sched.ops->charge(&sched, v, dt, now);
		break;
	case VS_RUNNABLE:
		v->wait_ns += dt;
		break;
	case VS_BLOCKED:
	case VS_PAUSED:
		v->blocked_ns += dt;
		break;
	default:
		break;
	}
	v->state = st;
	v->state_since = now;
}

static bool should_stop(const struct vcpu *v)
{
	int ds = atomic_load(&v->dom->state);
	return ds == DS_SHUTDOWN || ds == DS_CRASHED;
}

/* Fill free slots from the run queue. prev names who left slot prev_cpu,
 * for the trace: a slot left with nobody to run is a decision too (next
 * -1), so a trace accounts for every vCPU's time. */
static void dispatch(uint64_t now, const struct vcpu *prev, int prev_cpu, const char *reason)
{
	for (int cpu = 0; cpu < sched.nr_slots; cpu++) {
		if (sched.slot[cpu])
			continue;
		uint64_t slice = 0;
		struct vcpu *next = sched.ops->pick(&sched, now, &slice);
		if (!next) {
			if (prev && prev_cpu >= 0)
				trace_sched_switch((uint32_t)prev_cpu, dom_of(prev), id_of(prev), -1, -1, reason, 0);
			return;
		}
		next->queued = false;
		next->slot = cpu;
		next->slice_end = now + slice;
		set_state(next, VS_RUNNING, now);
		sched.slot[cpu] = next;
		sched.decisions++;
		trace_sched_switch(cpu, dom_of(prev), id_of(prev), dom_of(next), id_of(next), reason, slice);
		pthread_cond_signal(&next->cond);
		prev = NULL;
		reason = "idle";
	}
}

int sched_vcpu_add(struct vcpu *v)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);   /* deadlines are system time */
	pthread_cond_init(&v->cond, &ca);
	pthread_condattr_destroy(&ca);
	v->state = VS_DOWN;
	v->slot = -1;
	v->state_since = time_now();
	return sched.ops->vcpu_init ? sched.ops->vcpu_init(&sched, v) : 0;
}

static void make_runnable(struct vcpu *v, bool woken, uint64_t now)
{
	set_state(v, VS_RUNNABLE, now);
	v->queued = true;
	sched.ops->enqueue(&sched, v, woken, now);
}

/* Runnable again after blocking or a pause, and dispatched if a slot is free. */
static void wake_locked(struct vcpu *v, const char *reason)
{
	uint64_t now = time_now();
	make_runnable(v, true, now);
	dispatch(now, NULL, -1, reason);
}

/* Wait (sched_lock held) until v holds a slot; drops the lock. */
static bool await_slot_locked(struct vcpu *v)
{
	while (v->slot < 0 && !should_stop(v))
		pthread_cond_wait(&v->cond, &sched_lock);
	bool ok = v->slot >= 0 && !should_stop(v);
	pthread_mutex_unlock(&sched_lock);
	return ok;
}

void sched_vcpu_start(struct vcpu *v)
{
	pthread_mutex_lock(&sched_lock);
	uint64_t now = time_now();
	if (v->state == VS_DOWN) {
		make_runnable(v, true, now);
		dispatch(now, NULL, -1, "start");
	}
	pthread_mutex_unlock(&sched_lock);
}

bool sched_wait_slot(struct vcpu *v)
{
	pthread_mutex_lock(&sched_lock);
	return await_slot_locked(v);
}

static void leave_slot(struct vcpu *v, enum vcpu_state st, const char *reason, uint64_t now)
{
	int cpu = v->slot;
	if (v->slot >= 0) {
		sched.slot[v->slot] = NULL;
		v->slot = -1;
	}
	if (v->queued) {
		sched.ops->dequeue(&sched, v);
		v->queued = false;
	}
	if (st == VS_RUNNABLE)
		make_runnable(v, false, now);
	else
		set_state(v, st, now);
	dispatch(now, v, cpu, reason);
}

void sched_release(struct vcpu *v, int new_state, const char *reason)
{
	pthread_mutex_lock(&sched_lock);
	leave_slot(v, (enum vcpu_state)new_state, reason, time_now());
	pthread_mutex_unlock(&sched_lock);
}

bool sched_block(struct vcpu *v, uint64_t deadline)
{
	pthread_mutex_lock(&sched_lock);
	leave_slot(v, VS_BLOCKED, "block", time_now());
	/* An event that arrived before we were BLOCKED found us running and
	 * did not wake us: look once more, now that wakers will see BLOCKED. */
	if (vcpu_has_work(v))
		wake_locked(v, "wake");
	while (v->state == VS_BLOCKED && !should_stop(v)) {
		if (!deadline) {
			pthread_cond_wait(&v->cond, &sched_lock);
			continue;
		}
		struct timespec ts = time_abs(deadline);
		if (pthread_cond_timedwait(&v->cond, &sched_lock, &ts) == ETIMEDOUT && v->state == VS_BLOCKED) {
			trace_sched_wake(v->dom->id, v->id, "timer");
			wake_locked(v, "wake");
		}
	}
	return await_slot_locked(v);
}

void sched_vcpu_remove(struct vcpu *v)
{
	pthread_mutex_lock(&sched_lock);
	if (v->sched_priv && sched.ops && sched.ops->vcpu_fini)
		sched.ops->vcpu_fini(&sched, v);
	pthread_mutex_unlock(&sched_lock);
}

void sched_vcpu_exit(struct vcpu *v)
{
	pthread_mutex_lock(&sched_lock);
	leave_slot(v, VS_DEAD, "exit", time_now());
	if (sched.ops->vcpu_fini)
		sched.ops->vcpu_fini(&sched, v);
	pthread_mutex_unlock(&sched_lock);
}

void sched_kick(struct vcpu *v)
{
	atomic_store(&v->kick, true);
	if (v->tid)
		syscall(SYS_tgkill, getpid(), v->tid, SIGUSR1);
}

void sched_wake(struct vcpu *v, const char *why)
{
	pthread_mutex_lock(&sched_lock);
	if (v->state == VS_BLOCKED) {
		uint64_t now = time_now();
		trace_sched_wake(v->dom->id, v->id, why);
		wake_locked(v, "wake");
		if (v->state == VS_RUNNABLE) {
			for (int cpu = 0; cpu < sched.nr_slots; cpu++) {
				struct vcpu *r = sched.slot[cpu];
				if (r && sched.ops->preempts(&sched, v, r, now)) {
					sched_kick(r);
					break;
				}
			}
		}
	} else if (v->state == VS_DOWN || v->state == VS_PAUSED) {
		/* Nothing to do: the pending event is seen when it runs. */
	}
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&sched_lock);
}

int sched_set_params(struct vcpu *v, const struct sched_params *p)
{
	if (!sched.ops->set_params)
		return -EINVAL;
	pthread_mutex_lock(&sched_lock);
	int rc = v->sched_priv ? sched.ops->set_params(&sched, v, p) : -ESRCH;
	pthread_mutex_unlock(&sched_lock);
	return rc;
}

void sched_get_params(struct vcpu *v, struct sched_params *p)
{
	p->weight = p->warp_ns = p->warpl_ns = p->warpu_ns = -1;
	pthread_mutex_lock(&sched_lock);
	if (sched.ops->get_params && v->sched_priv)   /* none once the vCPU is gone */
		sched.ops->get_params(&sched, v, p);
	pthread_mutex_unlock(&sched_lock);
}

bool sched_pause(struct vcpu *v)
{
	pthread_mutex_lock(&sched_lock);
	leave_slot(v, VS_PAUSED, "pause", time_now());
	while (atomic_load(&v->dom->state) == DS_PAUSED)
		pthread_cond_wait(&v->cond, &sched_lock);
	if (!should_stop(v))
		wake_locked(v, "unpause");
	return await_slot_locked(v);
}

bool sched_wait_stopped(struct domain *d, unsigned timeout_ms)
{
	for (unsigned waited = 0;; waited++) {
		bool running = false;
		pthread_mutex_lock(&sched_lock);
		for (uint32_t i = 0; i < d->nr_vcpus; i++)
			running |= d->vcpus[i].state == VS_RUNNING;
		pthread_mutex_unlock(&sched_lock);
		if (!running)
			return true;
		if (waited >= timeout_ms)
			return false;
		usleep(1000);
	}
}

void sched_notify_domain(struct domain *d)
{
	pthread_mutex_lock(&sched_lock);
	for (uint32_t i = 0; i < d->nr_vcpus; i++)
		pthread_cond_broadcast(&d->vcpus[i].cond);
	pthread_mutex_unlock(&sched_lock);
}

/* ---- the guest's side: sched_op, set_timer_op ---------------------------- */

/* Stop a batch early for the scheduler, a deliverable event or a state
 * change, as Xen's hypercall_preempt_check does. */
bool sched_preempt_pending(struct vcpu *v)
{
	struct pv_vcpu_info *vi = &v->dom->shared->vcpu[v->id];
	return atomic_load(&v->preempt) || time_now() >= v->slice_end ||
	       atomic_load(&v->dom->state) != DS_RUNNING ||
	       (v->dom->event_entry && __atomic_load_n(&vi->upcall_pending, __ATOMIC_RELAXED) &&
	        !__atomic_load_n(&vi->upcall_mask, __ATOMIC_RELAXED));
}

static long sched_poll(struct vcpu *v, uint64_t arg)
{
	struct pv_sched_poll p;
	long rc = guest_copy_from(v, &p, arg, sizeof(p));
	if (rc)
		return rc;
	if (p.nr_ports == 0 || p.nr_ports > 128)
		return guest_reject(v, "nr_ports", p.nr_ports, -EINVAL);
	rc = guest_copy_from(v, v->poll_ports, p.ports, p.nr_ports * sizeof(uint32_t));
	if (rc)
		return rc;
	for (uint32_t i = 0; i < p.nr_ports; i++)
		if (v->poll_ports[i] == 0 || v->poll_ports[i] >= PV_NR_EVTCHN)
			return guest_reject(v, "port", v->poll_ports[i], -EINVAL);
	v->nr_poll = p.nr_ports;
	v->polling = true;
	v->poll_deadline = p.timeout;         /* its own deadline: the timer VIRQ is not touched */
	v->want_block = true;
	return 0;
}

long hc_sched_op(struct vcpu *v, const uint64_t a[5])
{
	switch (a[0]) {
	case PV_SCHED_yield:
		v->want_yield = true;
		return 0;
	case PV_SCHED_block:
		/* Blocking enables events, as in Xen, so a wake-up is delivered. */
		__atomic_store_n(&v->dom->shared->vcpu[v->id].upcall_mask, 0, __ATOMIC_SEQ_CST);
		v->want_block = true;
		return 0;
	case PV_SCHED_poll:
		return sched_poll(v, a[1]);
	case PV_SCHED_shutdown: {
		struct pv_sched_shutdown s;
		long rc = guest_copy_from(v, &s, a[1], sizeof(s));
		if (rc)
			return rc;
		if (s.reason > PV_SHUTDOWN_crash)
			return guest_reject(v, "reason", s.reason, -EINVAL);
		if (s.exit_code < 0 || s.exit_code > 255)
			return guest_reject(v, "exit_code", (uint64_t)(int64_t)s.exit_code, -EINVAL);
		if (s.reason == PV_SHUTDOWN_crash)
			domain_crash(v->dom, v, "guest requested a crash (exit code %d)", s.exit_code);
		else
			domain_shutdown(v->dom, s.exit_code);
		return 0;
	}
	default:
		return guest_reject(v, "cmd", a[0], -EINVAL);
	}
}

long hc_set_timer_op(struct vcpu *v, const uint64_t a[5])
{
	v->timer_deadline = a[0];
	if (a[0] && a[0] <= time_now()) {
		v->timer_deadline = 0;
		evtchn_send_virq(v->dom, v->id, PV_VIRQ_TIMER);
	}
	return 0;
}
