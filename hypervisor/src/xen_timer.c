/* A Linux PV vCPU's one-shot timer (VCPUOP_set_singleshot_timer: Linux's
 * clock event, set on every tick and every idle). The deadline lives in
 * the vCPU's cell XC_TIMER, which the entry stub sets without an exit
 * where pvmon will see it in time: a watcher thread per vCPU looks at the
 * cell at least every WATCH_NS and publishes, in XC_TIMER_WATCH, when it
 * looks next; the stub takes a deadline no earlier than that and leaves
 * any other to pvmon. When a deadline the stub set is due while the vCPU
 * is in KVM_RUN, the watcher raises its event itself (with KVM's APIC:
 * an MSI, no exit), or kicks it out, as the vCPU thread's own timer does
 * for one pvmon set; between runs pvmon reads the cell (xen_after_run)
 * and its scheduler waits for the deadline as before. The watcher's
 * wake-ups cost the host a thread switch, never the guest an exit; it
 * parks while its vCPU stays out of the guest (blocked, idle: PARK_LOOKS
 * looks in a row), with XC_TIMER_WATCH at its most first, so that the
 * stub sets no deadline until the vCPU's next entry has woken it. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include "xen_public.h"
#include "domain.h"
#include "pvmon.h"
#include "pvtime.h"
#include "sched.h"
#include "xen_domain.h"

/* Below Linux's tick (4 ms at Debian's HZ=250), so that the next tick,
 * set as one is delivered, is the stub's. */
#define WATCH_NS 2000000ULL
#define PARK_LOOKS 16

static uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

void xen_set_timer(struct vcpu *v, uint64_t deadline)
{
	struct xen_vcpu *xv = XV(v);
	__atomic_store_n(&xv->timer_ns, deadline, __ATOMIC_SEQ_CST);
	__atomic_store_n(&xv->cell[XC_TIMER], deadline, __ATOMIC_SEQ_CST);
	uint64_t now = time_now();
	v->timer_deadline = deadline ? (deadline > now ? deadline : now) : 0;
}

/* After a run: a deadline the stub set (or stopped) is pvmon's now. */
void xen_timer_sync(struct vcpu *v)
{
	struct xen_vcpu *xv = XV(v);
	uint64_t t = load(&xv->cell[XC_TIMER]);
	if (t != xv->timer_ns)
		xen_set_timer(v, t);
}

/* VIRQ_TIMER, if bound: from the vCPU thread or the watcher (event
 * channels are set without the domain's lock). */
static void raise_timer(struct vcpu *v, struct xen_vcpu *xv)
{
	uint64_t port = __atomic_load_n(&xv->virq_port[VIRQ_TIMER], __ATOMIC_SEQ_CST);
	if (port)
		xen_evtchn_set(v->dom, (uint32_t)port);
}

/* Due (the vCPU thread, between runs): VIRQ_TIMER, and no deadline. */
void xen_timer_expired(struct vcpu *v)
{
	struct xen_vcpu *xv = XV(v);
	xen_set_timer(v, 0);
	raise_timer(v, xv);
}

/* Until the vCPU's next entry (xen_timer_enter) or the stop. The watch
 * goes to its most before in_run is read again: a run under way then
 * keeps the watcher looking; one that starts later reads the watch
 * after its in_run (xen_tlb_enter) and so sees the most, and the stub
 * sets no deadline until the entry after it has woken the watcher. What
 * a finished run's stub set, pvmon took after that run. */
static void park(struct xen_vcpu *xv)
{
	__atomic_store_n(&xv->cell[XC_TIMER_WATCH], UINT64_MAX, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&xv->in_run, __ATOMIC_SEQ_CST))
		return;
	__atomic_fetch_add(&xv->timer_parks, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&xv->watch_lock);
	__atomic_store_n(&xv->watch_parked, true, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&xv->watch_parked, __ATOMIC_SEQ_CST) && !__atomic_load_n(&xv->watch_stop, __ATOMIC_SEQ_CST))
		pthread_cond_wait(&xv->watch_cond, &xv->watch_lock);
	pthread_mutex_unlock(&xv->watch_lock);
}

static void unpark(struct xen_vcpu *xv)
{
	pthread_mutex_lock(&xv->watch_lock);
	__atomic_store_n(&xv->watch_parked, false, __ATOMIC_SEQ_CST);
	pthread_cond_signal(&xv->watch_cond);
	pthread_mutex_unlock(&xv->watch_lock);
}

/* Before a run (the vCPU thread): a parked watcher looks again. */
void xen_timer_enter(struct vcpu *v)
{
	struct xen_vcpu *xv = XV(v);
	if (__atomic_load_n(&xv->watch_parked, __ATOMIC_SEQ_CST))
		unpark(xv);
}

static void *watch_main(void *arg)
{
	struct vcpu *v = arg;
	struct xen_vcpu *xv = XV(v);
	uint64_t *c = xv->cell;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);            /* the vCPU thread's kick is not for this thread */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	uint64_t kicked = 0;
	unsigned idle = 0;
	while (!__atomic_load_n(&xv->watch_stop, __ATOMIC_SEQ_CST)) {
		if (__atomic_load_n(&xv->in_run, __ATOMIC_SEQ_CST))
			idle = 0;
		else if (++idle >= PARK_LOOKS) {
			idle = 0;
			park(xv);
			continue;
		}
		uint64_t now = time_now(), t = load(&c[XC_TIMER]);
		/* Set by the stub (pvmon's own timer is not armed for it) and
		 * due: with KVM's APIC the watcher takes the deadline from the
		 * cell and raises VIRQ_TIMER itself, which reaches the running
		 * vCPU as an MSI (xen_event_msi); a stub that changed the cell
		 * first keeps its new one. Else one kick (the exit may take a
		 * while to come) and pvmon fires it. */
		if (t && t <= now && t != kicked && t != load(&xv->timer_ns) &&
		    __atomic_load_n(&xv->in_run, __ATOMIC_SEQ_CST)) {
			if (v->dom->xen->stub_dom[XD_LAPIC]) {
				if (__atomic_compare_exchange_n(&c[XC_TIMER], &t, 0, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
					__atomic_fetch_add(&xv->timer_fires, 1, __ATOMIC_RELAXED);
					raise_timer(v, xv);
				}
				continue;
			}
			kicked = t;
			__atomic_fetch_add(&xv->timer_kicks, 1, __ATOMIC_RELAXED);
			sched_kick(v);
		}
		uint64_t next = now + WATCH_NS;
		if (t > now && t < next)
			next = t;
		/* Published before the cell is read again: a deadline the stub
		 * set after this read is no earlier than next (the stub reads
		 * the watch after its xchg), one set before is seen here. */
		__atomic_store_n(&c[XC_TIMER_WATCH], next, __ATOMIC_SEQ_CST);
		if (load(&c[XC_TIMER]) != t)
			continue;
		struct timespec ts = time_abs(next);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	return NULL;
}

/* The vCPU thread, before its first run: the stub sets no deadline
 * before the watcher runs (XC_TIMER_WATCH at its most). */
void xen_timer_watch_start(struct vcpu *v)
{
	struct xen_vcpu *xv = XV(v);
	__atomic_store_n(&xv->cell[XC_TIMER_WATCH], UINT64_MAX, __ATOMIC_SEQ_CST);
	__atomic_store_n(&xv->watch_stop, false, __ATOMIC_SEQ_CST);
	__atomic_store_n(&xv->watch_parked, false, __ATOMIC_SEQ_CST);
	if (!xen_fast_on())
		return;              /* the stub serves nothing: pvmon sets every timer */
	pthread_mutex_init(&xv->watch_lock, NULL);
	pthread_cond_init(&xv->watch_cond, NULL);
	xv->watching = !pthread_create(&xv->watcher, NULL, watch_main, v);
}

void xen_timer_watch_stop(struct vcpu *v)
{
	struct xen_vcpu *xv = XV(v);
	if (!xv->watching)
		return;
	__atomic_store_n(&xv->watch_stop, true, __ATOMIC_SEQ_CST);
	unpark(xv);
	pthread_join(xv->watcher, NULL);
	pthread_cond_destroy(&xv->watch_cond);
	pthread_mutex_destroy(&xv->watch_lock);
	xv->watching = false;
	__atomic_store_n(&xv->cell[XC_TIMER_WATCH], UINT64_MAX, __ATOMIC_SEQ_CST);
}
