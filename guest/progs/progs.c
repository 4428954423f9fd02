/* Built-in programs: demos, workloads, benchmarks and the tests that must
 * run inside a domain (hostile hypercalls, event channels, processes). */
#include "kernel.h"
#include "mm.h"
#include "progs.h"
#include "syscall.h"
#include "../../workloads/cpu.h"

#define MS 1000000ULL

static int prog_hello(void)
{
	char magic[16];
	long abi = HYPERVISOR_version_op(PV_VERSION_abi, 0);
	long feat = HYPERVISOR_version_op(PV_VERSION_features, 0);
	long mrc = HYPERVISOR_version_op(PV_VERSION_magic, magic);
	printk("hello from pvos: domain %u '%s', %lu MiB, %u vCPU(s)\n", start_info->domid,
	       start_info->name, (unsigned long)(start_info->nr_pages >> 8), start_info->nr_vcpus);
	printk("hypervisor ABI %lx features %lx magic %s\n", abi, feat, mrc == 0 ? magic : "?");
	return (int)cmdline_num("exit", 0);
}

static void spin_until(uint64_t end)
{
	while (system_time() < end)
		for (volatile int i = 0; i < 10000; i++)
			;
}

/* CPU-bound: count loop iterations for secs seconds of system time. */
static int prog_spin(void)
{
	uint64_t ms = cmdline_num("ms", 2000);
	uint64_t t0 = system_time(), v0 = virtual_time(), iters = 0;
	uint64_t end = t0 + ms * MS;
	while (system_time() < end) {
		for (volatile int i = 0; i < 10000; i++)
			;
		iters++;
	}
	printk("spin: iterations=%lu sys_ms=%lu virt_ms=%lu\n", (unsigned long)iters,
	       (unsigned long)((system_time() - t0) / MS), (unsigned long)((virtual_time() - v0) / MS));
	return 0;
}

/* ---- CPU workloads with checked results (workloads/cpu.c) ---- */
static int prog_cpu(void)
{
	uint64_t reps = cmdline_num("reps", 1);
	int bad = 0;
	for (int i = 0; i < nr_cpu_kernels; i++) {
		const struct cpu_kernel *k = &cpu_kernels[i];
		size_t pages = (k->scratch_bytes + 4095) / 4096;
		uint8_t *scratch = pages ? page_alloc(pages) : 0;
		if (pages && !scratch)
			return printk("cpu: out of memory for %s\n", k->name), 1;
		uint64_t best = ~0ULL, r = 0;
		for (uint64_t rep = 0; rep < reps; rep++) {
			memset(scratch, 0, k->scratch_bytes);
			uint64_t t0 = system_time();
			r = k->fn(scratch);
			uint64_t dt = system_time() - t0;
			if (dt < best)
				best = dt;
		}
		int ok = r == k->expect;
		bad += !ok;
		printk("cpu: %s result=%lu best_ns=%lu %s\n", k->name, (unsigned long)r, (unsigned long)best,
		       ok ? "ok" : "WRONG");
	}
	return bad ? 1 : 0;
}

/* ---- hypercall costs ----------------------------------------------------- */
static int prog_hcall(void)
{
	uint64_t n = cmdline_num("n", 2000);
	timer_stop();
	uint64_t t0 = system_time();
	for (uint64_t i = 0; i < n; i++)
		HYPERVISOR_null();
	uint64_t dt = system_time() - t0;
	printk("hcall: null n=%lu ns=%lu\n", (unsigned long)n, (unsigned long)(dt / n));
	static struct pv_multicall_entry mc[256];
	static const int batches[] = { 1, 16, 256 };
	for (unsigned b = 0; b < 3; b++) {
		int bs = batches[b];
		for (int i = 0; i < bs; i++)
			mc[i] = (struct pv_multicall_entry){ .op = PV_HC_null };
		uint64_t rounds = n / (uint64_t)bs < 20 ? 20 : n / (uint64_t)bs, calls = 0;
		t0 = system_time();
		for (uint64_t r = 0; r < rounds; r++) {
			long done = 0;
			while (done < bs)               /* restart a preempted batch */
				done += HYPERVISOR_multicall(mc + done, (uint64_t)(bs - done));
			calls += (uint64_t)bs;
		}
		dt = system_time() - t0;
		printk("hcall: multicall batch=%d calls=%lu ns_per_call=%lu\n", bs, (unsigned long)calls,
		       (unsigned long)(dt / calls));
	}
	return 0;
}

/* ---- kernel threads and preemption --------------------------------------- */
struct spinner { uint64_t start, end, count; int done; };
static struct spinner spinners[3];
static struct waitq done_q;

static void spinner_fn(void *arg)
{
	struct spinner *s = arg;
	s->start = system_time();
	uint64_t end = s->start + 300 * MS;
	while (system_time() < end)
		s->count++;                /* never yields: only the tick preempts */
	s->end = system_time();
	s->done = 1;
	wake_all(&done_q);
}

static int prog_threads(void)
{
	uint64_t cs0 = context_switches;
	for (int i = 0; i < 3; i++)
		thread_create("spinner", spinner_fn, &spinners[i]);
	int m = irq_save();
	while (spinners[0].done + spinners[1].done + spinners[2].done < 3)
		wait_on(&done_q);
	irq_restore(m);
	int overlap = 1;
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			if (i != j && spinners[i].start >= spinners[j].end)
				overlap = 0;
	uint64_t cs = context_switches - cs0;
	printk("threads: context_switches=%lu overlap=%d ticks=%lu\n", (unsigned long)cs, overlap, (unsigned long)ticks);
	return overlap && cs > 6 ? 0 : 1;
}

/* ---- processes ---------------------------------------------------------------- */
static int prog_procs(void)
{
	int a = proc_spawn("counter", 11), b = proc_spawn("counter", 22);
	if (a < 0 || b < 0) {
		printk("procs: spawn failed %d %d\n", a, b);
		return 1;
	}
	int ca = -1, cb = -1;
	proc_wait(a, &ca);
	proc_wait(b, &cb);
	printk("procs: pid %d exit %d, pid %d exit %d\n", a, ca, b, cb);
	return ca == 11 && cb == 22 ? 0 : 1;
}

/* fork, exec, wait, pipes and mmap from user mode (user program ptest). */
static int prog_ptest(void)
{
	uint64_t pool0 = pt_pool_free(), frames0 = mm_free_frames();
	int pid = proc_spawn("ptest", cmdline_num("kids", 4)), code = -1;
	if (pid < 0 || proc_wait(pid, &code))
		return printk("ptest: spawn failed %d\n", pid), 1;
	/* Everything the processes had is back: frames and page tables. */
	uint64_t pool1 = pt_pool_free(), frames1 = mm_free_frames();
	printk("ptest: exit %d, pool frames %lu -> %lu, RAM frames %lu -> %lu\n", code, (unsigned long)pool0,
	       (unsigned long)pool1, (unsigned long)frames0, (unsigned long)frames1);
	return code == 0 && pool0 == pool1 && frames0 == frames1 ? 0 : 1;
}

static int prog_uspin(void)
{
	int a = proc_spawn("spin", (uint64_t)cmdline_num("ms", 500));
	int code = -1;
	proc_wait(a, &code);
	return 0;
}

/* ---- time ------------------------------------------------------------------------ */
static int prog_time(void)
{
	uint64_t s0 = system_time(), v0 = virtual_time(), w0 = wall_time();
	sleep_ns(200 * MS);
	spin_until(system_time() + 100 * MS);
	uint64_t ds = system_time() - s0, dv = virtual_time() - v0, dw = wall_time() - w0;
	printk("time: system_ms=%lu virtual_ms=%lu wall_ms=%lu wall_s=%lu\n", (unsigned long)(ds / MS),
	       (unsigned long)(dv / MS), (unsigned long)(dw / MS), (unsigned long)(wall_time() / 1000000000ULL));
	int ok = ds >= 300 * MS && dv >= 90 * MS && dv < ds - 150 * MS &&
	         dw + 20 * MS >= ds && dw <= ds + 20 * MS && wall_time() / 1000000000ULL > 1600000000ULL;
	/* With the tick stopped, a sleep still ends (idle's one-shot timer). */
	uint64_t t1 = system_time();
	timer_stop();
	sleep_ns(30 * MS);
	uint64_t slept = system_time() - t1;
	printk("time: tickless sleep of 30 ms took %lu ms\n", (unsigned long)(slept / MS));
	ok = ok && slept >= 30 * MS;
	printk("time: %s\n", ok ? "ok" : "WRONG");
	return ok ? 0 : 1;
}

/* ---- event channels ------------------------------------------------------------ */
static volatile uint64_t ev_count;
static struct waitq ev_q;
static void count_event(uint32_t port, void *arg)
{
	(void)port;
	(void)arg;
	ev_count++;
	wake_all(&ev_q);
}

static void wait_events(uint64_t target)
{
	int m = irq_save();
	while (ev_count < target)
		wait_on(&ev_q);
	irq_restore(m);
}

static long evtchn(uint64_t cmd, void *arg) { return HYPERVISOR_event_channel_op(cmd, arg); }

static int prog_evtchn(void)
{
	int bad = 0;
	struct pv_evtchn_alloc_unbound au = { PV_DOMID_SELF, PV_DOMID_SELF, 0 };
	bad += evtchn(PV_EVTCHN_alloc_unbound, &au) != 0;
	struct pv_evtchn_bind_interdomain bi = { PV_DOMID_SELF, au.port, 0 };
	bad += evtchn(PV_EVTCHN_bind_interdomain, &bi) != 0;
	bind_port(bi.local_port, count_event, 0);
	struct pv_evtchn_send s = { au.port };
	for (int i = 0; i < 10; i++)
		bad += evtchn(PV_EVTCHN_send, &s) != 0;
	wait_events(1);
	struct pv_evtchn_status st = { .port = au.port };
	bad += evtchn(PV_EVTCHN_status, &st) != 0 || st.status != PV_EVTCHNSTAT_interdomain ||
	       st.remote_port != bi.local_port;
	struct pv_evtchn_close c = { bi.local_port };
	bad += evtchn(PV_EVTCHN_close, &c) != 0;
	st.port = au.port;
	bad += evtchn(PV_EVTCHN_status, &st) != 0 || st.status != PV_EVTCHNSTAT_unbound;
	c.port = au.port;
	bad += evtchn(PV_EVTCHN_close, &c) != 0;
	bad += evtchn(PV_EVTCHN_status, &st) != 0 || st.status != PV_EVTCHNSTAT_closed;
	struct pv_evtchn_bind_virq bv = { PV_VIRQ_TIMER, 0, 0 };
	bad += evtchn(PV_EVTCHN_bind_virq, &bv) != -PV_EEXIST;
	/* Timer: a one-shot in 20 ms wakes a blocked vCPU. */
	uint64_t t0 = system_time();
	timer_stop();
	HYPERVISOR_set_timer_op(t0 + 20 * MS);
	uint64_t before = ticks;
	while (ticks == before)
		HYPERVISOR_sched_op(PV_SCHED_block, 0);
	uint64_t waited = system_time() - t0;
	bad += waited < 19 * MS;
	bad += HYPERVISOR_sched_op(PV_SCHED_yield, 0) != 0;
	/* Poll with a timeout and no event returns after the timeout. */
	uint32_t ports[1] = { 1 };
	struct pv_sched_poll p = { (uint64_t)ports, 1, 0, system_time() + 30 * MS };
	t0 = system_time();
	bad += HYPERVISOR_sched_op(PV_SCHED_poll, &p) != 0;
	bad += system_time() - t0 < 25 * MS;
	printk("evtchn: events=%lu timer_wait_us=%lu %s\n", (unsigned long)ev_count,
	       (unsigned long)(waited / 1000), bad ? "WRONG" : "ok");
	return bad ? 1 : 0;
}

/* Two domains bounce an event n times; ping measures the round trip. */
static uint32_t pong_port;
static void pong_handler(uint32_t port, void *arg)
{
	(void)port;
	(void)arg;
	struct pv_evtchn_send s = { pong_port };
	evtchn(PV_EVTCHN_send, &s);
	ev_count++;
	wake_all(&ev_q);
}

static int prog_pingpong(void)
{
	char role[8];
	cmdline_get("role", "ping", role, sizeof(role));
	uint32_t peer = (uint32_t)cmdline_num("peer", 0);
	uint64_t n = cmdline_num("n", 200);
	timer_stop();
	if (!strcmp(role, "ping")) {
		struct pv_evtchn_alloc_unbound au = { PV_DOMID_SELF, peer, 0 };
		if (evtchn(PV_EVTCHN_alloc_unbound, &au))
			return printk("ping: alloc_unbound failed\n"), 1;
		printk("ping: offering port %u to domain %u\n", au.port, peer);
		bind_port(au.port, count_event, 0);
		wait_events(1);                      /* pong says it is bound */
		struct pv_evtchn_send s = { au.port };
		uint64_t t0 = system_time();
		for (uint64_t i = 0; i < n; i++) {
			evtchn(PV_EVTCHN_send, &s);
			wait_events(i + 2);
		}
		uint64_t dt = system_time() - t0;
		printk("ping: %lu round trips, %lu ns each\n", (unsigned long)n, (unsigned long)(dt / n));
		return 0;
	}
	struct pv_evtchn_bind_interdomain bi = { peer, (uint32_t)cmdline_num("port", 2), 0 };
	uint64_t deadline = system_time() + 5000 * MS;
	while (evtchn(PV_EVTCHN_bind_interdomain, &bi)) {
		if (system_time() > deadline)
			return printk("pong: cannot bind to domain %u\n", peer), 1;
		HYPERVISOR_sched_op(PV_SCHED_yield, 0);
	}
	pong_port = bi.local_port;
	bind_port(bi.local_port, pong_handler, 0);
	struct pv_evtchn_send s = { pong_port };
	evtchn(PV_EVTCHN_send, &s);
	wait_events(n);
	printk("pong: answered %lu events\n", (unsigned long)ev_count);
	return 0;
}

/* ---- secondary vCPU -------------------------------------------------------------- */
static volatile uint64_t vcpu1_count;
static void vcpu1_main(uint64_t arg)
{
	shared->vcpu[1].upcall_mask = 1;
	for (uint64_t i = 0; i < arg; i++)
		vcpu1_count++;
	for (;;)
		HYPERVISOR_sched_op(PV_SCHED_yield, 0);
}

static int prog_vcpus(void)
{
	if (start_info->nr_vcpus < 2)
		return printk("vcpus: needs vcpus >= 2\n"), 1;
	uint8_t *stack = page_alloc(4);
	struct pv_vcpu_context c = { (uint64_t)vcpu1_main, (uint64_t)stack + 4 * 4096 - 8, 1000000 };
	long rc = HYPERVISOR_vcpu_op(PV_VCPUOP_up, 1, &c);
	long again = HYPERVISOR_vcpu_op(PV_VCPUOP_up, 1, &c);
	uint64_t deadline = system_time() + 5000 * MS;
	while (vcpu1_count < 1000000 && system_time() < deadline)
		sleep_ns(5 * MS);
	printk("vcpus: up=%ld again=%ld count=%lu\n", rc, again, (unsigned long)vcpu1_count);
	return rc == 0 && again == -PV_EBUSY && vcpu1_count == 1000000 ? 0 : 1;
}

static int prog_crash(void)
{
	char kind[8];
	cmdline_get("kind", "kernel", kind, sizeof(kind));
	if (!strcmp(kind, "user")) {
		int pid = proc_spawn("fault", 0), code;
		proc_wait(pid, &code);
		return 0;
	}
	if (!strcmp(kind, "ptwrite")) {
		/* A direct write of an entry naming memory past RAM: pvmon refuses it. */
		printk("crash: writing a bad page-table entry directly\n");
		*(volatile uint64_t *)pt_slot(kernel_pml4, 0x200000, 0) = (start_info->nr_pages * 4096) | 7;
		return 0;
	}
	if (!strcmp(kind, "balloon")) {
		/* Unmap a frame, give it back without a flush, touch it through the
		 * translation the TLB may still hold: the host has no page there. */
		volatile uint64_t *p = page_alloc(1);
		*p = 1;
		pt_unmap(kernel_pml4, (uint64_t)p);
		pt_flush();
		uint64_t gfn = (uint64_t)p / 4096;
		struct pv_memory_reservation r = { (uint64_t)&gfn, 1, 0 };
		long rc = HYPERVISOR_memory_op(PV_MEM_decrease_reservation, &r);
		printk("crash: gave back frame %lx (%ld), touching it\n", (unsigned long)gfn, rc);
		*p = 2;
		return 0;
	}
	printk("crash: writing outside the domain's memory\n");
	*(volatile uint64_t *)(start_info->nr_pages * 4096 + (64ULL << 20)) = 1;
	return 0;
}

/* ---- balloon ------------------------------------------------------------------ */
/* Start the balloon driver, touch every free frame (touch=1) so the host
 * really holds them, then follow pvctl mem-set until destroyed. */
static int prog_balloon(void)
{
	if (balloon_init())
		return printk("balloon: cannot start the driver\n"), 1;
	if (cmdline_num("touch", 1)) {
		uint64_t n = 0;
		void *first = 0, **last = &first;
		for (void **p; (p = page_take()); n++) {
			memset(p, 0x5a, 4096);
			*last = p;
			last = (void **)p;
			*last = 0;
		}
		for (void **p = first, **next; p; p = next, n--) {
			next = *p;
			page_free(p, 1);
		}
		(void)n;
	}
	printk("balloon: ready, %lu pages, %lu free\n", (unsigned long)start_info->nr_pages,
	       (unsigned long)mm_free_frames());
	uint64_t ms = cmdline_num("ms", 0);
	uint64_t end = system_time() + ms * MS;
	while (!ms || system_time() < end)
		sleep_ns(100 * MS);
	return 0;
}

/* ---- console input ------------------------------------------------------------ */
static volatile uint64_t input_events;
static struct waitq input_q;
static void console_event(uint32_t port, void *arg)
{
	(void)port;
	(void)arg;
	input_events++;
	wake_all(&input_q);
}

/* Echo each line of console input (pvctl input) until "quit". */
static int prog_echo(void)
{
	if (bind_virq(PV_VIRQ_CONSOLE, console_event, 0) < 0)
		return printk("echo: cannot bind the console VIRQ\n"), 1;
	printk("echo: ready\n");
	char line[256];
	size_t len = 0;
	for (;;) {
		char buf[128];
		long n = hypercall3(PV_HC_console_io, PV_CONSOLE_read, sizeof(buf), buf);
		if (n < 0)
			return printk("echo: console read failed: %ld\n", n), 1;
		if (n == 0) {
			/* Nothing queued: sleep until the console VIRQ, re-reading
			 * with upcalls masked so input in between is not missed. */
			int m = irq_save();
			uint64_t seen = input_events;
			n = hypercall3(PV_HC_console_io, PV_CONSOLE_read, sizeof(buf), buf);
			while (n == 0 && seen == input_events)
				wait_on(&input_q);
			irq_restore(m);
			if (n <= 0)
				continue;
		}
		for (long i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (len + 1 < sizeof(line))
					line[len++] = buf[i];
				continue;
			}
			line[len] = 0;
			len = 0;
			if (!strcmp(line, "quit")) {
				printk("echo: bye after %lu input events\n", (unsigned long)input_events);
				return 0;
			}
			printk("echo: %s\n", line);
		}
	}
}

/* Hypercalls the other programs do not use: a multicall preempted by an
 * event it raised itself (restart from where it stopped), base pointers and
 * TLB flushes, the version queries. */
static int prog_misc(void)
{
	int bad = 0;
	static struct pv_multicall_entry mc[64];
	uint64_t before = ticks;
	timer_stop();
	mc[0] = (struct pv_multicall_entry){ .op = PV_HC_set_timer_op, .args = { 1 } };  /* fires now */
	for (int i = 1; i < 64; i++)
		mc[i] = (struct pv_multicall_entry){ .op = PV_HC_version_op, .args = { PV_VERSION_abi }, .result = 77 };
	long first = HYPERVISOR_multicall(mc, 64), done = first, rounds = 1;
	while (done >= 0 && done < 64) {
		long n = HYPERVISOR_multicall(mc + done, (uint64_t)(64 - done));
		if (n <= 0)
			break;
		done += n;
		rounds++;
	}
	for (int i = 1; i < 64; i++)
		bad += mc[i].result != PV_ABI_VERSION;
	printk("misc: multicall first=%ld done=%ld rounds=%ld tick_delivered=%d\n", first, done, rounds,
	       ticks > before);
	bad += first != 1 || done != 64 || ticks == before;
	bad += HYPERVISOR_mmuext_op(PV_MMUEXT_new_baseptr, start_info->pt_base) != 0;
	bad += HYPERVISOR_mmuext_op(PV_MMUEXT_tlb_flush_local, 0) != 0;
	bad += HYPERVISOR_mmuext_op(PV_MMUEXT_new_user_baseptr, 0) != 0;
	bad += HYPERVISOR_version_op(PV_VERSION_abi, 0) != PV_ABI_VERSION;
	bad += !(HYPERVISOR_version_op(PV_VERSION_features, 0) & PV_FEAT_multicall);
	printk("misc: %s\n", bad ? "WRONG" : "ok");
	return bad ? 1 : 0;
}

int prog_hostile(void);
int prog_hostile_mm(void);
int prog_attack(void);
int prog_grant(void);
int prog_netrx(void);
int prog_mmubench(void);

/* lmbench-style rows from a pvos process (user program lmbench). */
static int prog_lmbench(void)
{
	timer_stop();       /* as an idle native host: no tick stealing time */
	int pid = proc_spawn("lmbench", cmdline_num("scale", 1)), code = -1;
	if (pid < 0 || proc_wait(pid, &code))
		return printk("lmbench: spawn failed %d\n", pid), 1;
	return code;
}
int prog_tracecount(void);
int prog_traps(void);       /* traps.c */
int prog_demand(void);
int prog_fastbench(void);
int prog_cow(void);

const struct program programs[] = {
	{ "hello", prog_hello, "print a greeting and the ABI version (exit=N)" },
	{ "spin", prog_spin, "CPU-bound loop for ms=N milliseconds" },
	{ "cpu", prog_cpu, "integer workloads with checked results" },
	{ "hcall", prog_hcall, "null hypercall and multicall costs (n=N)" },
	{ "threads", prog_threads, "preemptive kernel threads" },
	{ "procs", prog_procs, "two processes in separate address spaces" },
	{ "ptest", prog_ptest, "fork, exec, wait, pipes, mmap in processes (kids=N)" },
	{ "uspin", prog_uspin, "CPU-bound user process (ms=N)" },
	{ "time", prog_time, "system, virtual and wall-clock time" },
	{ "evtchn", prog_evtchn, "event channel, timer and poll self-test" },
	{ "pingpong", prog_pingpong, "inter-domain events (role=ping|pong peer=ID n=N)" },
	{ "vcpus", prog_vcpus, "bring up a second vCPU" },
	{ "hostile", prog_hostile, "every hypercall with bad arguments" },
	{ "hostile_mm", prog_hostile_mm, "every page-table, pin and balloon rule broken" },
	{ "attack", prog_attack, "try to reach CPL0 through tables at address 0 (kind=int80|callgate)" },
	{ "tracecount", prog_tracecount, "known hypercall counts and blocks for trace tests (n=N blocks=K)" },
	{ "misc", prog_misc, "multicall restart, base pointers, TLB flush, versions" },
	{ "echo", prog_echo, "echo console input lines (pvctl input) until quit" },
	{ "lmbench", prog_lmbench, "lmbench-style microbenchmarks in a process (scale=N)" },
	{ "mmubench", prog_mmubench, "mmu_update per entry by batch size; trapped vs batched 16 MiB build" },
	{ "grant", prog_grant, "grant tables between two domains (role=granter|mapper peer=ID)" },
	{ "netrx", prog_netrx, "receive from the pvnet back end by flip and by copy, every packet checked "
	  "(modes=flip,copy sizes=64,1500,4096 n=N hostile=1)" },
	{ "balloon", prog_balloon, "balloon driver: follow pvctl mem-set (touch=1 ms=N, 0 forever)" },
	{ "crash", prog_crash, "fault on purpose (kind=kernel|user|ptwrite|balloon)" },
	{ "traps", prog_traps, "every exception vector from the kernel and a process (mode=all|unreg|unreg_user|badstack|stubstack; skip=KEY,... leaves raisers out)" },
	{ "demand", prog_demand, "a kernel region mapped page by page on page faults (pages=N)" },
	{ "fastbench", prog_fastbench, "hypercall, system call and page-fault round trips (n=N)" },
	{ "cow", prog_cow, "fork's copy-on-write (eager copy on the baseline) checked in a process (pages=N)" },
	{ 0, 0, 0 },
};

const struct program *find_program(const char *name)
{
	for (const struct program *p = programs; p->name; p++)
		if (!strcmp(p->name, name))
			return p;
	return 0;
}
