/* The exception self-tests (prog=traps: every vector a guest can raise,
 * from the kernel and from a process, checked frame by frame), prog=demand
 * (a region mapped on fault), prog=cow (fork's copy-on-write) and the
 * kernel half of prog=fastbench. The handlers they add are ordinary ones
 * (traps.c). */
#include "kernel.h"
#include "mm.h"
#include "traps.h"

static int selftest_armed;

static const char *fast_path_name(void)
{
	switch (start_info->fast_path) {
	case PV_FAST_none: return "none";
	case PV_FAST_pvm: return "pvm";
	case PV_FAST_hw: return "hw";
	default: return "unknown";
	}
}

/* ---- self-test -------------------------------------------------------------- */

/* The raisers (user/fastpath.c) say in registers what the frame must hold;
 * the handler checks it, steps over the instruction and returns the
 * verdict in rax. Armed only while a test runs: any other exception with
 * rbx = FP_TRAP_MAGIC is an ordinary one. */

static int selftest_trap(struct pv_frame *f)
{
	if (!selftest_armed || f->rbx != FP_TRAP_MAGIC)
		return 0;
	uint64_t bad = 0;
	bad |= f->vector != (f->r12 & 0xff) ? 1 : 0;
	bad |= f->error_code != f->r13 ? 2 : 0;
	bad |= f->rip != f->r11 ? 4 : 0;
	bad |= f->vector == 14 && f->fault_addr != f->r15 ? 8 : 0;
	bad |= !!(f->flags & PV_FRAME_USER) != (f->r12 >> 8) ? 16 : 0;
	if (bad)
		printk("traps: frame vector %lu error 0x%lx rip %lx address %lx, expected vector %lu error 0x%lx rip %lx "
		       "address %lx\n", (unsigned long)f->vector, (unsigned long)f->error_code, (unsigned long)f->rip,
		       (unsigned long)f->fault_addr, (unsigned long)(f->r12 & 0xff), (unsigned long)f->r13,
		       (unsigned long)f->r11, (unsigned long)f->r15);
	f->rip += f->r14;
	f->rax = bad;
	f->rbx = 0;
	return 1;
}

static void selftest_arm(int on)
{
	for (unsigned v = 0; v < PV_TRAP_MAX; v++)
		if (on)
			trap_add(v, selftest_trap);
		else
			trap_remove(v, selftest_trap);
	selftest_armed = on;
}

/* Handlers and callbacks pvmon must refuse: in the stub's upper half, at
 * pvmon's hypercall entry, outside the domain's memory, unmapped. */
static void registration_checks(struct tally *t)
{
	const uint64_t bad[] = { 0xffffffff80000000ULL, PV_HCALL_ENTRY,
	                         start_info->nr_pages * 4096 + (64ULL << 20), 0x7f0000000000ULL };
	static const char *const what[] = { "handler in the stub", "handler at the hypercall entry",
	                                    "handler outside memory", "handler unmapped" };
	for (int i = 0; i < 4; i++) {
		struct pv_trap_info tt[2] = { { .vector = 6, .address = bad[i] }, { 0 } };
		tally_expect(t, what[i], HYPERVISOR_set_trap_table(tt), -PV_EINVAL);
		struct pv_callbacks cb = { bad[i], 0, 0 };
		tally_expect(t, "event callback there", HYPERVISOR_set_callbacks(&cb), -PV_EINVAL);
	}
	struct pv_trap_info tt[2] = { { .vector = 6, .flags = 2, .address = (uint64_t)trap_entry }, { 0 } };
	tally_expect(t, "trap flags 2", HYPERVISOR_set_trap_table(tt), -PV_EINVAL);
	tally_expect(t, "crash_frame another vcpu", HYPERVISOR_vcpu_op(PV_VCPUOP_crash_frame, 5, 0), -PV_EINVAL);
	tally_expect(t, "crash_frame bad frame", HYPERVISOR_vcpu_op(PV_VCPUOP_crash_frame, 0, (void *)bad[2]),
	             -PV_EFAULT);
	static struct pv_frame fr = { .vector = 99 };
	tally_expect(t, "crash_frame bad vector", HYPERVISOR_vcpu_op(PV_VCPUOP_crash_frame, 0, &fr), -PV_EINVAL);
}

static int hw_stub(void)
{
	return start_info->fast_path == PV_FAST_hw;
}

/* The user program's argument: raisers to skip, and the back end. */
static long traps_arg(long skip)
{
	return skip | (hw_stub() ? FP_TRAPS_ARG_HW : 0);
}

/* skip=KEY,KEY,...: raisers left out (fp_raisers[].key), as a bit mask;
 * -1 for a key that names none. */
static long skip_mask(const char *list)
{
	long mask = 0;
	while (*list) {
		char key[16];
		size_t len = 0;
		while (list[len] && list[len] != ',')
			len++;
		snprintf(key, sizeof(key), "%s", list);
		key[len < sizeof(key) ? len : sizeof(key) - 1] = 0;
		const struct fp_raiser *r = fp_raisers;
		while (r->key && strcmp(r->key, key))
			r++;
		if (!r->key || len >= sizeof(key))
			return printk("traps: skip=: no raiser '%s'\n", key), -1;
		mask |= 1L << (r - fp_raisers);
		list += len + (list[len] == ',');
	}
	return mask;
}

static const struct fp_raiser *raiser(const char *name)
{
	for (const struct fp_raiser *r = fp_raisers; r->name; r++)
		if (!strcmp(r->name, name))
			return r;
	panic("no raiser '%s'", name);
}

/* mode=unreg / unreg_user: #UD without a handler, raised by the kernel or
 * by a process (whose raisers before #UD are handled as usual): the domain
 * must crash, reported by pvmon. */
static int unregistered(int from_user, long skip)
{
	static struct pv_trap_info table[PV_TRAP_MAX + 1];
	int n = 0;
	for (unsigned v = 0; v < PV_TRAP_MAX; v++)
		if (v != 6)
			table[n++] = (struct pv_trap_info){ .vector = (uint8_t)v, .flags = trap_flags(v),
			                                    .address = (uint64_t)trap_entry };
	if (HYPERVISOR_set_trap_table(0) || HYPERVISOR_set_trap_table(table))
		return printk("traps: cannot change the trap table\n"), 1;
	printk("traps: raising #UD with no handler from %s mode\n", from_user ? "user" : "kernel");
	selftest_arm(1);
	if (from_user) {
		int code, pid = proc_spawn("traps", traps_arg(skip));
		proc_wait(pid, &code);
	} else {
		raiser("#UD ud2")->fn(0);
	}
	printk("traps: still running after an unregistered #UD\n");
	return 1;
}

/* mode=badstack / stubstack: int3 with rsp in unmapped memory, or at the
 * entry stub's own stack: the stub must refuse to push a callback frame
 * there (and not write over itself); pvmon crashes the domain. */
static int bad_stack(uint64_t sp)
{
	printk("traps: int3 with rsp at %lx\n", (unsigned long)sp);
	__asm__ volatile("mov %%rsp, %%rbx\n\tmov %0, %%rsp\n\tint3\n\tmov %%rbx, %%rsp"
	                 : : "r"(sp) : "rbx", "memory");
	printk("traps: still running after int3 on a bad stack\n");
	return 1;
}

int prog_traps(void);
int prog_traps(void)
{
	char mode[16], skip_list[128];
	cmdline_get("mode", "all", mode, sizeof(mode));
	long skip = skip_mask(cmdline_get("skip", "", skip_list, sizeof(skip_list)));
	if (skip < 0)
		return 1;
	struct tally t = { "traps", 0, 0 };
	registration_checks(&t);
	if (!traps_delivered()) {
		printk("traps: baseline: exceptions are not delivered to pvos; registration checked only\n");
		return tally_done(&t);
	}
	if (!strcmp(mode, "unreg") || !strcmp(mode, "unreg_user"))
		return unregistered(!strcmp(mode, "unreg_user"), skip);
	if (!strcmp(mode, "badstack") || !strcmp(mode, "stubstack"))
		return bad_stack(mode[0] == 'b' ? 0x7f0000000000ULL : 0xffffffff80104000ULL);
	selftest_arm(1);
	int n = 0;
	for (const struct fp_raiser *r = fp_raisers; r->name; r++) {
		if ((skip >> (r - fp_raisers)) & 1 || (r->hw_only && !hw_stub()))
			continue;
		char what[64];
		snprintf(what, sizeof(what), "kernel %s", r->name);
		tally_expect(&t, what, r->fn(hw_stub() ? FP_RAISE_HW : 0), 0);
		n++;
	}
	if (skip)
		printk("traps: skipped on request: %s\n", skip_list);
	int code = -1, pid = proc_spawn("traps", traps_arg(skip));
	tally_expect(&t, "spawn", pid > 0, 1);
	if (pid > 0)
		proc_wait(pid, &code);
	tally_expect(&t, "process: wrong frames", code, 0);
	selftest_arm(0);
	printk("traps: %d exceptions raised from the kernel and from a process\n", n);
	return tally_done(&t);
}

/* ---- demand paging: a kernel region mapped page by page on first touch -- */

#define DEMAND_VA 0x6000000000ULL          /* kernel space: nothing else there */
static struct { uint64_t lo, hi, faults; } demand;

static int demand_fault(struct pv_frame *f)
{
	uint64_t a = f->fault_addr;
	if ((f->flags & PV_FRAME_USER) || (f->error_code & 1) || a < demand.lo || a >= demand.hi)
		return 0;                          /* not ours, or a protection fault */
	void *pg = page_alloc(1);
	if (!pg)
		return 0;
	if (pt_map(kernel_pml4, a & ~4095ULL, (uint64_t)pg, PTE_P | PTE_RW | PTE_US) || pt_flush()) {
		page_free(pg, 1);
		return 0;
	}
	demand.faults++;
	return 1;
}

/* Map n pages on demand, check they read as zero and keep what is written;
 * returns ns per fault, or 0 if anything was wrong. */
static uint64_t demand_run(uint64_t n)
{
	demand.lo = DEMAND_VA;
	demand.hi = DEMAND_VA + n * 4096;
	demand.faults = 0;
	trap_add(14, demand_fault);
	int bad = 0;
	uint64_t t0 = system_time();
	for (uint64_t i = 0; i < n; i++) {
		volatile uint64_t *p = (volatile uint64_t *)(DEMAND_VA + i * 4096);
		bad += *p != 0;                    /* the fault: a zeroed page appears */
		*p = i + 1;
	}
	uint64_t t1 = system_time();
	for (uint64_t i = 0; i < n; i++)
		bad += *(volatile uint64_t *)(DEMAND_VA + i * 4096) != i + 1;
	trap_remove(14, demand_fault);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t old = pt_unmap(kernel_pml4, DEMAND_VA + i * 4096);
		if (old & PTE_P)
			page_free((void *)(old & PTE_ADDR), 1);
	}
	pt_flush();
	tlb_flush();
	if (bad || demand.faults != n) {
		printk("demand: %lu pages, %lu faults, %d wrong values\n", (unsigned long)n,
		       (unsigned long)demand.faults, bad);
		return 0;
	}
	return (t1 - t0) / n;
}

int prog_demand(void);
int prog_demand(void)
{
	uint64_t n = cmdline_num("pages", 64);
	if (!traps_delivered()) {
		printk("demand: not supported: the baseline does not deliver page faults to pvos\n");
		return 0;
	}
	uint64_t ns = demand_run(n);
	if (!ns)
		return 1;
	printk("demand: %lu pages mapped on %lu faults, ns_per_fault=%lu ok\n", (unsigned long)n,
	       (unsigned long)demand.faults, (unsigned long)ns);
	return 0;
}

/* ---- prog=cow: fork shares pages copy-on-write (proc.c) where exceptions
 * are delivered, and copies them eagerly where not: either way the process
 * test must pass, and only the first may copy on a fault. */
extern uint64_t cow_copies, cow_reuses;

int prog_cow(void);
int prog_cow(void)
{
	uint64_t pages = cmdline_num("pages", 8), c0 = cow_copies, r0 = cow_reuses;
	int code = -1, pid = proc_spawn("cowtest", (long)pages);
	if (pid > 0)
		proc_wait(pid, &code);
	uint64_t copies = cow_copies - c0, reuses = cow_reuses - r0;
	int cow = traps_delivered();
	printk("cow: %s, process check %s (exit %d), %lu pages copied on a fault, %lu taken back\n",
	       cow ? "copy-on-write" : "eager copy", code ? "FAILED" : "ok", code, (unsigned long)copies,
	       (unsigned long)reuses);
	return code || (cow ? copies == 0 : copies != 0);
}

/* ---- prog=fastbench: the kernel's half (pvbench fastpath parses it) ----- */

int prog_fastbench(void);
int prog_fastbench(void)
{
	uint64_t n = cmdline_num("n", 2000);
	int fast = traps_delivered();
	uint64_t t0 = system_time();
	for (uint64_t i = 0; i < n; i++)
		HYPERVISOR_null();
	uint64_t hcall = (system_time() - t0) / n, pf = 0, dem = 0;
	const struct fp_raiser *pf_raiser = raiser("#PF not present");
	if (fast) {
		selftest_arm(1);
		t0 = system_time();
		for (uint64_t i = 0; i < n; i++)
			pf_raiser->fn(0);           /* stepped over by the handler */
		pf = (system_time() - t0) / n;
		dem = demand_run(n < 512 ? n : 512);
	}
	printk("fastbench: fast_path=%s kernel hcall_ns=%lu pf_ns=%lu demand_ns=%lu\n", fast_path_name(),
	       (unsigned long)hcall, (unsigned long)pf, (unsigned long)dem);
	int code = -1, pid = proc_spawn("fastbench", fast ? (long)n : -(long)n);
	if (pid > 0)
		proc_wait(pid, &code);
	selftest_arm(0);
	return code;
}
