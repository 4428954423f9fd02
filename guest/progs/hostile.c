/* A hostile guest: every hypercall with bad pointers, ports, counts,
 * commands and numbers. Each must fail with the expected error; pvmon and
 * other domains must not notice. Prints one line per failed expectation. */
#include "kernel.h"

static struct tally tally = { "hostile", 0, 0 };
#define expect(what, got, want) tally_expect(&tally, what, got, want)

#define EFAULT (-PV_EFAULT)
#define EINVAL (-PV_EINVAL)

int prog_hostile(void);
int prog_hostile(void)
{
	uint64_t end = start_info->nr_pages * 4096;     /* first byte past memory */
	uint64_t beyond = end + (8ULL << 20), high = 0xffff800000001000ULL, lower_top = (1ULL << 47) - 4096;
	const uint64_t bad[] = { beyond, high, lower_top, end - 8 + (2ULL << 20) };
	char buf[64];

	/* Unknown hypercall numbers. */
	expect("hypercall 99", hypercall0(99), -PV_ENOSYS);
	expect("hypercall PV_HC_MAX", hypercall0(PV_HC_MAX), -PV_ENOSYS);
	expect("hypercall 2^40", hypercall0(1ULL << 40), -PV_ENOSYS);
	expect("hypercall -1", hypercall0(~0ULL), -PV_ENOSYS);

	/* console_io */
	for (unsigned i = 0; i < 4; i++)
		expect("console write bad buf", hypercall3(PV_HC_console_io, PV_CONSOLE_write, 16, bad[i]), EFAULT);
	expect("console write count", hypercall3(PV_HC_console_io, PV_CONSOLE_write, 1 << 20, buf), EINVAL);
	expect("console cmd", hypercall3(PV_HC_console_io, 77, 1, buf), EINVAL);
	expect("console read bad buf", hypercall3(PV_HC_console_io, PV_CONSOLE_read, 16, beyond), EFAULT);
	expect("console read count", hypercall3(PV_HC_console_io, PV_CONSOLE_read, 5000, buf), EINVAL);
	expect("console straddling end", hypercall3(PV_HC_console_io, PV_CONSOLE_write, 4096, end - 100), EFAULT);

	/* sched_op */
	expect("sched cmd", HYPERVISOR_sched_op(99, 0), EINVAL);
	expect("shutdown ptr", HYPERVISOR_sched_op(PV_SCHED_shutdown, (void *)beyond), EFAULT);
	struct pv_sched_shutdown sd = { 7, 0 };
	expect("shutdown reason", HYPERVISOR_sched_op(PV_SCHED_shutdown, &sd), EINVAL);
	sd = (struct pv_sched_shutdown){ PV_SHUTDOWN_poweroff, 300 };
	expect("shutdown code", HYPERVISOR_sched_op(PV_SCHED_shutdown, &sd), EINVAL);
	sd.exit_code = -1;
	expect("shutdown negative code", HYPERVISOR_sched_op(PV_SCHED_shutdown, &sd), EINVAL);
	uint32_t ports[2] = { 1, 5000 };
	struct pv_sched_poll p = { (uint64_t)ports, 0, 0, 0 };
	expect("poll nr 0", HYPERVISOR_sched_op(PV_SCHED_poll, &p), EINVAL);
	p.nr_ports = 1000;
	expect("poll nr 1000", HYPERVISOR_sched_op(PV_SCHED_poll, &p), EINVAL);
	p.nr_ports = 2;
	expect("poll port 5000", HYPERVISOR_sched_op(PV_SCHED_poll, &p), EINVAL);
	p.ports = beyond;
	expect("poll ports ptr", HYPERVISOR_sched_op(PV_SCHED_poll, &p), EFAULT);
	expect("poll ptr", HYPERVISOR_sched_op(PV_SCHED_poll, (void *)high), EFAULT);

	/* A poll whose timeout has already passed returns at once, also when
	 * the timer VIRQ cannot wake the vCPU (masked here; it used to block
	 * with no deadline). */
	uint32_t timer_port = 0;
	for (uint32_t port = 1; port < 64 && !timer_port; port++) {
		struct pv_evtchn_status st = { .port = port };
		if (!HYPERVISOR_event_channel_op(PV_EVTCHN_status, &st) && st.status == PV_EVTCHNSTAT_virq &&
		    st.virq == PV_VIRQ_TIMER)
			timer_port = port;
	}
	expect("timer VIRQ bound", timer_port != 0, 1);
	uint64_t tmask = 1ULL << (timer_port % 64);
	__atomic_or_fetch(&shared->evtchn_mask[timer_port / 64], tmask, __ATOMIC_SEQ_CST);
	uint32_t quiet[1] = { 1000 };
	for (int i = 0; i < 2; i++) {
		struct pv_sched_poll past = { (uint64_t)quiet, 1, 0, i ? 1 : system_time() - 1000 };
		uint64_t t0 = system_time();
		expect("poll with a timeout in the past", HYPERVISOR_sched_op(PV_SCHED_poll, &past), 0);
		expect("  returns at once", system_time() - t0 < 200000000ULL, 1);
	}
	__atomic_and_fetch(&shared->evtchn_mask[timer_port / 64], ~tmask, __ATOMIC_SEQ_CST);

	/* event_channel_op */
	expect("evtchn cmd", HYPERVISOR_event_channel_op(99, buf), EINVAL);
	expect("evtchn ptr", HYPERVISOR_event_channel_op(PV_EVTCHN_send, (void *)beyond), EFAULT);
	const uint32_t bad_ports[] = { 0, 1024, 5000, 0xffffffff, 999 };
	for (unsigned i = 0; i < 5; i++) {
		struct pv_evtchn_send s = { bad_ports[i] };
		expect("send bad port", HYPERVISOR_event_channel_op(PV_EVTCHN_send, &s), EINVAL);
		expect("close bad port", HYPERVISOR_event_channel_op(PV_EVTCHN_close, &s), EINVAL);
		if (bad_ports[i] != 999) {
			struct pv_evtchn_status st = { .port = bad_ports[i] };
			expect("status bad port", HYPERVISOR_event_channel_op(PV_EVTCHN_status, &st), EINVAL);
			expect("unmask bad port", HYPERVISOR_event_channel_op(PV_EVTCHN_unmask, &s), EINVAL);
		}
	}
	struct pv_evtchn_bind_virq bv = { 99, 0, 0 };
	expect("bind_virq virq", HYPERVISOR_event_channel_op(PV_EVTCHN_bind_virq, &bv), EINVAL);
	bv = (struct pv_evtchn_bind_virq){ PV_VIRQ_CONSOLE, 7, 0 };
	expect("bind_virq vcpu", HYPERVISOR_event_channel_op(PV_EVTCHN_bind_virq, &bv), EINVAL);
	struct pv_evtchn_bind_interdomain bi = { 999, 1, 0 };
	expect("bind_interdomain dom", HYPERVISOR_event_channel_op(PV_EVTCHN_bind_interdomain, &bi), -PV_ESRCH);
	bi = (struct pv_evtchn_bind_interdomain){ PV_DOMID_SELF, 0, 0 };
	expect("bind_interdomain port 0", HYPERVISOR_event_channel_op(PV_EVTCHN_bind_interdomain, &bi), EINVAL);
	bi.remote_port = 1;   /* the timer VIRQ: not an unbound port */
	expect("bind_interdomain not unbound", HYPERVISOR_event_channel_op(PV_EVTCHN_bind_interdomain, &bi), EINVAL);
	bi.remote_port = 70000;
	expect("bind_interdomain port range", HYPERVISOR_event_channel_op(PV_EVTCHN_bind_interdomain, &bi), EINVAL);
	struct pv_evtchn_alloc_unbound au = { 5, PV_DOMID_SELF, 0 };
	expect("alloc_unbound foreign dom", HYPERVISOR_event_channel_op(PV_EVTCHN_alloc_unbound, &au), -PV_EPERM);
	au = (struct pv_evtchn_alloc_unbound){ PV_DOMID_SELF, 5000, 0 };
	expect("alloc_unbound remote range", HYPERVISOR_event_channel_op(PV_EVTCHN_alloc_unbound, &au), -PV_ESRCH);
	/* Another domain's ports are out of reach: bind to domain 1's timer port. */
	if (start_info->domid != 1) {
		bi = (struct pv_evtchn_bind_interdomain){ 1, 1, 0 };
		expect("bind to a foreign bound port", HYPERVISOR_event_channel_op(PV_EVTCHN_bind_interdomain, &bi), EINVAL);
	}

	/* multicall */
	static struct pv_multicall_entry mc[4];
	expect("multicall ptr", HYPERVISOR_multicall((void *)beyond, 2), EFAULT);
	expect("multicall count", HYPERVISOR_multicall(mc, 5000), EINVAL);
	mc[0] = (struct pv_multicall_entry){ .op = PV_HC_multicall, .args = { (uint64_t)mc, 1 } };
	mc[1] = (struct pv_multicall_entry){ .op = PV_HC_iret, .args = { 0 } };
	mc[2] = (struct pv_multicall_entry){ .op = 999 };
	mc[3] = (struct pv_multicall_entry){ .op = PV_HC_console_io, .args = { PV_CONSOLE_write, 8, beyond } };
	long mc_done = 0;
	for (long r; mc_done < 4; mc_done += r)          /* a preempted batch goes on where it stopped */
		if ((r = HYPERVISOR_multicall(mc + mc_done, (uint64_t)(4 - mc_done))) <= 0)
			break;
	expect("multicall bad entries", mc_done, 4);
	expect("multicall nested", (long)mc[0].result, EINVAL);
	expect("multicall iret", (long)mc[1].result, EINVAL);
	expect("multicall number", (long)mc[2].result, -PV_ENOSYS);
	expect("multicall inner fault", (long)mc[3].result, EFAULT);
	expect("multicall list straddles end", HYPERVISOR_multicall((void *)(end - 32), 1), EFAULT);

	/* set_callbacks / set_trap_table */
	expect("set_callbacks ptr", HYPERVISOR_set_callbacks((void *)beyond), EFAULT);
	struct pv_callbacks cb = { beyond, 0, 0 };
	expect("set_callbacks entry outside", HYPERVISOR_set_callbacks(&cb), EINVAL);
	cb = (struct pv_callbacks){ high, 0, 0 };
	expect("set_callbacks entry upper half", HYPERVISOR_set_callbacks(&cb), EINVAL);
	expect("set_trap_table ptr", HYPERVISOR_set_trap_table((void *)beyond), EFAULT);
	static struct pv_trap_info tt[40];
	tt[0] = (struct pv_trap_info){ .vector = 40, .address = 0x100000 };
	expect("trap vector", HYPERVISOR_set_trap_table(tt), EINVAL);
	tt[0] = (struct pv_trap_info){ .vector = 14, .address = beyond };
	expect("trap address", HYPERVISOR_set_trap_table(tt), EINVAL);
	tt[0] = (struct pv_trap_info){ .vector = 14, .flags = 9, .address = 0x100000 };
	expect("trap flags", HYPERVISOR_set_trap_table(tt), EINVAL);
	for (int i = 0; i < 40; i++)
		tt[i] = (struct pv_trap_info){ .vector = 3, .address = 0x100000 };
	expect("trap table unterminated", HYPERVISOR_set_trap_table(tt), EINVAL);

	/* version_op */
	expect("version cmd", HYPERVISOR_version_op(42, 0), EINVAL);
	expect("version magic ptr", HYPERVISOR_version_op(PV_VERSION_magic, (void *)high), EFAULT);

	/* iret */
	expect("iret ptr", hypercall1(PV_HC_iret, beyond), EFAULT);
	static struct pv_frame fr;
	fr = (struct pv_frame){ .rip = high };
	expect("iret rip", hypercall1(PV_HC_iret, &fr), EINVAL);
	fr = (struct pv_frame){ .rip = 0x100000, .flags = PV_FRAME_USER };
	expect("iret to user without a user table", hypercall1(PV_HC_iret, &fr), EINVAL);
	/* The same rules on the fast path (the stub serves iret) and the baseline. */
	fr = (struct pv_frame){ .rip = 0x100000, .rsp = high };
	expect("iret rsp in the upper half", hypercall1(PV_HC_iret, &fr), EINVAL);
	fr.rsp = 0x8000000000000000ULL;
	expect("iret rsp non-canonical", hypercall1(PV_HC_iret, &fr), EINVAL);
	fr.rsp = 1ULL << 47;
	expect("iret rsp just past the lower half", hypercall1(PV_HC_iret, &fr), EINVAL);
	expect("iret frame in the upper half", hypercall1(PV_HC_iret, high), EFAULT);
	expect("iret frame non-canonical", hypercall1(PV_HC_iret, 0x8000000000000000ULL), EFAULT);

	/* stack_switch, mmuext_op, vcpu_op */
	expect("stack_switch 0", HYPERVISOR_stack_switch(0), EFAULT);
	expect("stack_switch beyond", HYPERVISOR_stack_switch(beyond), EFAULT);
	expect("stack_switch high", HYPERVISOR_stack_switch(high), EFAULT);
	expect("mmuext cmd", HYPERVISOR_mmuext_op(99, 0), EINVAL);
	expect("baseptr unaligned", HYPERVISOR_mmuext_op(PV_MMUEXT_new_baseptr, start_info->pt_base + 8), EINVAL);
	expect("baseptr beyond", HYPERVISOR_mmuext_op(PV_MMUEXT_new_baseptr, beyond), EINVAL);
	expect("baseptr 0", HYPERVISOR_mmuext_op(PV_MMUEXT_new_baseptr, 0), EINVAL);
	expect("user baseptr beyond", HYPERVISOR_mmuext_op(PV_MMUEXT_new_user_baseptr, beyond), EINVAL);
	struct pv_vcpu_context vc = { 0x100000, 0x200000, 0 };
	expect("vcpu_op cmd", HYPERVISOR_vcpu_op(9, 1, &vc), EINVAL);
	expect("vcpu_op id", HYPERVISOR_vcpu_op(PV_VCPUOP_up, 99, &vc), EINVAL);
	expect("vcpu_op self", HYPERVISOR_vcpu_op(PV_VCPUOP_up, 0, &vc), EINVAL);
	expect("vcpu_op id 2^32", HYPERVISOR_vcpu_op(PV_VCPUOP_up, 1ULL << 32, &vc), EINVAL);

	/* Still alive and still able to talk. */
	expect("null", HYPERVISOR_null(), 0);
	return tally_done(&tally);
}
