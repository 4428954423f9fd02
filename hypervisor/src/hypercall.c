/* Hypercall table and the handlers that are not a subsystem of their own.
 * Every argument is untrusted: structs are copied in once and validated on
 * the copy; a bad pointer, index or command gets -EFAULT/-EINVAL and a
 * hcall_reject trace event. */
#include <errno.h>
#include <string.h>
#include "console.h"
#include "domain.h"
#include "evtchn.h"
#include "fastpath.h"
#include "gnttab.h"
#include "hypercall.h"
#include "memory.h"
#include "mmu.h"
#include "pvmon.h"
#include "sched.h"
#include "pvtime.h"
#include "trace.h"

#define GVA_LIMIT (1ULL << 47)

long hc_reject(struct vcpu *v, const char *what, uint64_t value, long err)
{
	trace_hcall_reject(v->dom->id, v->id, v->cur_hcall, what, value, (int)err);
	return err;
}

long hc_copy_from(struct vcpu *v, void *dst, uint64_t gva, size_t len)
{
	const struct guestmem *gm = domain_gm(v->dom);
	if (gm_copy_from(gm, v->sregs.cr3, dst, gva, len))
		return hc_reject(v, "pointer", gva, -EFAULT);
	return 0;
}

long hc_copy_to(struct vcpu *v, uint64_t gva, const void *src, size_t len)
{
	const struct guestmem *gm = domain_gm(v->dom);
	if (gm_copy_to(gm, v->sregs.cr3, gva, src, len))
		return hc_reject(v, "pointer", gva, -EFAULT);
	return 0;
}

/* A code address the guest registers must be mapped in its kernel space,
 * below the hypervisor area's slot (pvmon's hypercall entry and fault
 * reporter) and the entry stub. */
static bool kernel_text_ok(struct vcpu *v, uint64_t addr)
{
	const struct guestmem *gm = domain_gm(v->dom);
	uint64_t gpa;
	return addr < (uint64_t)PV_HV_L4_SLOT << 39 && gm_translate(gm, v->kernel_cr3, addr, false, &gpa) == 0;
}

static long hc_console_io(struct vcpu *v, const uint64_t a[5])
{
	char buf[PV_CONSOLE_MAX];
	uint64_t cmd = a[0], count = a[1];
	if (cmd != PV_CONSOLE_write && cmd != PV_CONSOLE_read)
		return hc_reject(v, "cmd", cmd, -EINVAL);
	if (count > PV_CONSOLE_MAX)
		return hc_reject(v, "count", count, -EINVAL);
	if (cmd == PV_CONSOLE_read) {
		/* Check the buffer first so a bad one loses no input. */
		const struct guestmem *gm = domain_gm(v->dom);
		uint64_t gpa;
		if (count && (gm_translate(gm, v->sregs.cr3, a[2], true, &gpa) ||
		              gm_translate(gm, v->sregs.cr3, a[2] + count - 1, true, &gpa)))
			return hc_reject(v, "pointer", a[2], -EFAULT);
		size_t n = console_input_pull(v->dom->console, buf, count);
		long rc = hc_copy_to(v, a[2], buf, n);
		return rc ? rc : (long)n;
	}
	long rc = hc_copy_from(v, buf, a[2], count);
	if (rc)
		return rc;
	console_write(v->dom->console, buf, count);
	return (long)count;
}

static long sched_poll(struct vcpu *v, uint64_t arg)
{
	struct pv_sched_poll p;
	long rc = hc_copy_from(v, &p, arg, sizeof(p));
	if (rc)
		return rc;
	if (p.nr_ports == 0 || p.nr_ports > 128)
		return hc_reject(v, "nr_ports", p.nr_ports, -EINVAL);
	rc = hc_copy_from(v, v->poll_ports, p.ports, p.nr_ports * sizeof(uint32_t));
	if (rc)
		return rc;
	for (uint32_t i = 0; i < p.nr_ports; i++)
		if (v->poll_ports[i] == 0 || v->poll_ports[i] >= PV_NR_EVTCHN)
			return hc_reject(v, "port", v->poll_ports[i], -EINVAL);
	v->nr_poll = p.nr_ports;
	v->polling = true;
	v->poll_deadline = p.timeout;         /* its own deadline: the timer VIRQ is not touched */
	v->want_block = true;
	return 0;
}

static long hc_sched_op(struct vcpu *v, const uint64_t a[5])
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
		long rc = hc_copy_from(v, &s, a[1], sizeof(s));
		if (rc)
			return rc;
		if (s.reason > PV_SHUTDOWN_crash)
			return hc_reject(v, "reason", s.reason, -EINVAL);
		if (s.exit_code < 0 || s.exit_code > 255)
			return hc_reject(v, "exit_code", (uint64_t)(int64_t)s.exit_code, -EINVAL);
		if (s.reason == PV_SHUTDOWN_crash)
			domain_crash(v->dom, v, "guest requested a crash (exit code %d)", s.exit_code);
		else
			domain_shutdown(v->dom, s.exit_code);
		return 0;
	}
	default:
		return hc_reject(v, "cmd", a[0], -EINVAL);
	}
}

static long hc_set_timer_op(struct vcpu *v, const uint64_t a[5])
{
	v->timer_deadline = a[0];
	if (a[0] && a[0] <= time_now()) {
		v->timer_deadline = 0;
		evtchn_send_virq(v->dom, v->id, PV_VIRQ_TIMER);
	}
	return 0;
}

static long hc_event_channel_op(struct vcpu *v, const uint64_t a[5])
{
	return evtchn_op(v, a[0], a[1]);
}

/* Stop a batch early for the scheduler, a deliverable event or a state
 * change, as Xen's hypercall_preempt_check does. */
bool hypercall_preempt_pending(struct vcpu *v)
{
	struct pv_vcpu_info *vi = &v->dom->shared->vcpu[v->id];
	return atomic_load(&v->preempt) || time_now() >= v->slice_end ||
	       atomic_load(&v->dom->state) != DS_RUNNING ||
	       (v->dom->event_entry && __atomic_load_n(&vi->upcall_pending, __ATOMIC_RELAXED) &&
	        !__atomic_load_n(&vi->upcall_mask, __ATOMIC_RELAXED));
}

static long hc_multicall(struct vcpu *v, const uint64_t a[5])
{
	uint64_t list = a[0], nr = a[1];
	if (v->in_multicall)
		return hc_reject(v, "nested", 0, -EINVAL);
	if (nr > PV_MULTICALL_MAX)
		return hc_reject(v, "nr_calls", nr, -EINVAL);
	v->in_multicall = true;
	uint64_t i;
	long rc = 0;
	for (i = 0; i < nr; i++) {
		struct pv_multicall_entry e;
		uint64_t at = list + i * sizeof(e);
		if ((rc = hc_copy_from(v, &e, at, sizeof(e))))
			break;
		long r;
		if (e.op == PV_HC_multicall || e.op == PV_HC_iret)
			r = hc_reject(v, "op", e.op, -EINVAL);
		else
			r = hypercall_dispatch(v, e.op, e.args);
		v->cur_hcall = PV_HC_multicall;
		if ((rc = hc_copy_to(v, at + offsetof(struct pv_multicall_entry, result), &r, sizeof(r))))
			break;
		if (i + 1 < nr && hypercall_preempt_pending(v)) {
			i++;
			break;
		}
	}
	v->in_multicall = false;
	return rc ? rc : (long)i;
}

static long hc_set_callbacks(struct vcpu *v, const uint64_t a[5])
{
	struct pv_callbacks cb;
	long rc = hc_copy_from(v, &cb, a[0], sizeof(cb));
	if (rc)
		return rc;
	const uint64_t addr[3] = { cb.event_entry, cb.syscall_entry, cb.failsafe_entry };
	for (int i = 0; i < 3; i++)
		if (addr[i] && !kernel_text_ok(v, addr[i]))
			return hc_reject(v, "entry", addr[i], -EINVAL);
	v->dom->event_entry = cb.event_entry;
	v->dom->syscall_entry = cb.syscall_entry;
	v->dom->failsafe_entry = cb.failsafe_entry;
	fastpath_callbacks_changed(v->dom);
	return 0;
}

/* All entries are checked before any is stored: a bad table changes nothing. */
static long hc_set_trap_table(struct vcpu *v, const uint64_t a[5])
{
	uint64_t traps[PV_TRAP_MAX];
	uint8_t flags[PV_TRAP_MAX];
	memcpy(traps, v->dom->traps, sizeof(traps));
	memcpy(flags, v->dom->trap_flags, sizeof(flags));
	if (a[0] == 0) {
		memset(v->dom->traps, 0, sizeof(v->dom->traps));
		fastpath_callbacks_changed(v->dom);
		return 0;
	}
	for (int i = 0; i <= PV_TRAP_MAX; i++) {
		struct pv_trap_info t;
		long rc = hc_copy_from(v, &t, a[0] + (uint64_t)i * sizeof(t), sizeof(t));
		if (rc)
			return rc;
		if (t.address == 0) {
			memcpy(v->dom->traps, traps, sizeof(traps));
			memcpy(v->dom->trap_flags, flags, sizeof(flags));
			fastpath_callbacks_changed(v->dom);
			return 0;
		}
		if (t.vector >= PV_TRAP_MAX)
			return hc_reject(v, "vector", t.vector, -EINVAL);
		if (t.flags > 1)
			return hc_reject(v, "flags", t.flags, -EINVAL);
		if (!kernel_text_ok(v, t.address))
			return hc_reject(v, "address", t.address, -EINVAL);
		traps[t.vector] = t.address;
		flags[t.vector] = t.flags;
	}
	return hc_reject(v, "unterminated", PV_TRAP_MAX, -EINVAL);
}

static long hc_version_op(struct vcpu *v, const uint64_t a[5])
{
	switch (a[0]) {
	case PV_VERSION_abi:
		return PV_ABI_VERSION;
	case PV_VERSION_features:
		return PV_FEAT_multicall | PV_FEAT_evtchn | PV_FEAT_timer | PV_FEAT_vcpu_op | PV_FEAT_mmu |
		       PV_FEAT_balloon | (v->dom->fp ? PV_FEAT_fast_traps : 0) | PV_FEAT_grant;
	case PV_VERSION_magic: {
		char magic[16] = PV_ABI_MAGIC;
		return hc_copy_to(v, a[1], magic, sizeof(magic));
	}
	default:
		return hc_reject(v, "cmd", a[0], -EINVAL);
	}
}

static long hc_iret(struct vcpu *v, const uint64_t a[5])
{
	return vcpu_iret(v, a[0]);
}

static long hc_stack_switch(struct vcpu *v, const uint64_t a[5])
{
	const struct guestmem *gm = domain_gm(v->dom);
	uint64_t gpa;
	if (a[0] < 256 || a[0] >= GVA_LIMIT || gm_translate(gm, v->kernel_cr3, a[0] - 8, true, &gpa))
		return hc_reject(v, "sp", a[0], -EFAULT);
	v->kernel_sp = a[0];
	return 0;
}

static long hc_vcpu_op(struct vcpu *v, const uint64_t a[5])
{
	if (a[0] == PV_VCPUOP_crash_frame)
		return a[1] == v->id ? vcpu_crash_frame(v, a[2]) : hc_reject(v, "vcpu", a[1], -EINVAL);
	if (a[0] != PV_VCPUOP_up)
		return hc_reject(v, "cmd", a[0], -EINVAL);
	return vcpu_up(v, (uint32_t)(a[1] > 0xffffffffULL ? 0xffffffffULL : a[1]), a[2]);
}

static long hc_memory_op(struct vcpu *v, const uint64_t a[5])
{
	return memory_op(v, a[0], a[1]);
}

static long hc_grant_table_op(struct vcpu *v, const uint64_t a[5])
{
	return gnttab_op(v, a[0], a[1], a[2]);
}

static long hc_null(struct vcpu *v, const uint64_t a[5])
{
	(void)v;
	(void)a;
	return 0;
}

const hcall_fn hcall_table[PV_HC_MAX] = {
	[PV_HC_console_io] = hc_console_io,
	[PV_HC_sched_op] = hc_sched_op,
	[PV_HC_set_timer_op] = hc_set_timer_op,
	[PV_HC_event_channel_op] = hc_event_channel_op,
	[PV_HC_multicall] = hc_multicall,
	[PV_HC_set_callbacks] = hc_set_callbacks,
	[PV_HC_set_trap_table] = hc_set_trap_table,
	[PV_HC_version_op] = hc_version_op,
	[PV_HC_iret] = hc_iret,
	[PV_HC_stack_switch] = hc_stack_switch,
	[PV_HC_mmuext_op] = hc_mmuext_op,
	[PV_HC_vcpu_op] = hc_vcpu_op,
	[PV_HC_null] = hc_null,
	[PV_HC_mmu_update] = hc_mmu_update,
	[PV_HC_memory_op] = hc_memory_op,
	[PV_HC_grant_table_op] = hc_grant_table_op,
};

const char *const hcall_names[PV_HC_MAX] = {
	"console_io", "sched_op", "set_timer_op", "event_channel_op", "multicall",
	"set_callbacks", "set_trap_table", "version_op", "iret", "stack_switch",
	"mmuext_op", "vcpu_op", "null", "mmu_update", "memory_op", "grant_table_op",
};

long hypercall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t a[5])
{
	if (__builtin_expect(!atomic_load_explicit(&v->dom->boot_ns, memory_order_relaxed), 0))
		atomic_store(&v->dom->boot_ns, time_now() - v->dom->created_ns);
	atomic_fetch_add_explicit(&v->hypercalls, 1, memory_order_relaxed);
	v->cur_hcall = (uint32_t)(nr > 0xffffffffULL ? 0xffffffffULL : nr);
	hcall_fn fn = nr < PV_HC_MAX ? hcall_table[nr] : NULL;   /* NULL: not built yet */
	if (!trace_hcall_enabled())
		return fn ? fn(v, a) : hc_reject(v, "number", nr, -ENOSYS);
	uint64_t t0 = time_mono_ns();
	trace_hcall_entry(v->dom->id, v->id, v->cur_hcall, a);
	long rc = fn ? fn(v, a) : hc_reject(v, "number", nr, -ENOSYS);
	trace_hcall_exit(v->dom->id, v->id, v->cur_hcall, rc, time_mono_ns() - t0);
	return rc;
}
