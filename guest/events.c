/* Event channels and the upcall handler: pvmon pushes a frame and enters
 * event_entry with upcalls masked; we scan the two-level pending bitmap
 * (pending_sel, then evtchn_pending & ~evtchn_mask) and run handlers. */
#include "kernel.h"

static struct { evtchn_handler fn; void *arg; } handlers[PV_NR_EVTCHN];
volatile uint64_t ticks;
uint64_t tick_ns;
static uint64_t next_tick;

static inline struct pv_vcpu_info *vi(void) { return &shared->vcpu[0]; }

int irq_save(void)
{
	int m = vi()->upcall_mask;
	vi()->upcall_mask = 1;
	__asm__ volatile("" ::: "memory");
	return m;
}

void irq_restore(int mask)
{
	__asm__ volatile("" ::: "memory");
	vi()->upcall_mask = (uint8_t)mask;
	__asm__ volatile("mfence" ::: "memory");
	/* An event that came while masked: ask for the upcall now. */
	if (!mask && vi()->upcall_pending)
		HYPERVISOR_null();
}

void irq_enable(void) { irq_restore(0); }

int bind_port(uint32_t port, evtchn_handler h, void *arg)
{
	if (port == 0 || port >= PV_NR_EVTCHN)
		return -PV_EINVAL;
	handlers[port].fn = h;
	handlers[port].arg = arg;
	unmask_port(port);
	return (int)port;
}

int bind_virq(uint32_t virq, evtchn_handler h, void *arg)
{
	struct pv_evtchn_bind_virq b = { .virq = virq, .vcpu = 0 };
	long rc = HYPERVISOR_event_channel_op(PV_EVTCHN_bind_virq, &b);
	if (rc)
		return (int)rc;
	return bind_port(b.port, h, arg);
}

void unmask_port(uint32_t port)
{
	struct pv_evtchn_unmask u = { port };
	HYPERVISOR_event_channel_op(PV_EVTCHN_unmask, &u);
}

static void timer_tick(uint32_t port, void *arg)
{
	(void)port;
	(void)arg;
	ticks++;
	if (!tick_ns)
		return;
	uint64_t now = system_time();
	while (next_tick <= now)
		next_tick += tick_ns;
	HYPERVISOR_set_timer_op(next_tick);
	need_resched();
}

void timer_start(uint64_t period_ns)
{
	tick_ns = period_ns;
	next_tick = system_time() + period_ns;
	HYPERVISOR_set_timer_op(next_tick);
}

void timer_stop(void)
{
	tick_ns = 0;
	HYPERVISOR_set_timer_op(0);
}

void events_init(void)
{
	for (int i = 0; i < PV_NR_EVTCHN / 64; i++)
		shared->evtchn_mask[i] = ~0ULL;
	if (bind_virq(PV_VIRQ_TIMER, timer_tick, 0) < 0)
		panic("cannot bind the timer VIRQ");
}

static void scan_events(void)
{
	struct pv_vcpu_info *v = vi();
	while (__atomic_exchange_n(&v->upcall_pending, 0, __ATOMIC_SEQ_CST)) {
		uint64_t sel = __atomic_exchange_n(&v->pending_sel, 0, __ATOMIC_SEQ_CST);
		while (sel) {
			int w = __builtin_ctzll(sel);
			sel &= sel - 1;
			uint64_t bits;
			while ((bits = shared->evtchn_pending[w] & ~shared->evtchn_mask[w])) {
				int b = __builtin_ctzll(bits);
				uint32_t port = (uint32_t)(w * 64 + b);
				__atomic_fetch_and(&shared->evtchn_pending[w], ~(1ULL << b), __ATOMIC_SEQ_CST);
				if (handlers[port].fn)
					handlers[port].fn(port, handlers[port].arg);
			}
		}
	}
}

struct pv_frame *do_upcall(struct pv_frame *f)
{
	scan_events();
	/* Preempt only what is safe to switch away from: a kernel thread or a
	 * user process, on its own stack (the frame stays there). */
	resched_if_needed();
	return f;
}

void iret_failed(struct pv_frame *f, struct pv_frame *g);
void iret_failed(struct pv_frame *f, struct pv_frame *g)
{
	(void)g;
	panic("iret refused frame %p (rip %lx)", (void *)f, (unsigned long)f->rip);
}
