/* pvtrace-gen: a test-only program that fires pvmon's tracepoints (through
 * pvmon's own wrappers, hypervisor/src/trace.c) with known values, so that
 * pvtrace's counting can be checked on events pvmon does not emit yet
 * (TLB flushes by kind, page flips, mmu_update batches) and on traces
 * larger than a test run makes.
 *   pvtrace-gen mix N    two domains, N rounds of a fixed pattern; prints
 *                        the counts a reader must find ("expect KEY=VALUE")
 *   pvtrace-gen bulk N   N events (hypercall entry/exit pairs and VM exits)
 *                        as fast as the tracer takes them
 *   pvtrace-gen xen N    a Linux PV domain's events beside a pvos domain's,
 *                        N rounds; prints the counts as mix does
 * Record with a session on pvmon:* started first (the provider registers
 * when this program starts); with a third argument "wait" it reads a line
 * from stdin first, so that a session can be set up for its pid. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../hypervisor/src/trace.h"

enum { DOM_A = 7, DOM_B = 8, NR_NULL = 12, NR_SCHED_OP = 1, NR_MMU_UPDATE = 13 };

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
}

static void hcall(uint32_t dom, uint32_t nr, int64_t result, uint64_t latency)
{
	const uint64_t args[5] = { nr, 0, 0, 0, 0 };
	trace_hcall_entry(dom, 0, nr, args);
	trace_hcall_exit(dom, 0, nr, result, latency);
}

/* Round i: domain A makes 3 null calls (latency 1000 + 10*(i%100) ns),
 * one failing sched_op (latency 5000), one 64-entry mmu_update batch with
 * one entry rejected, two TLB flushes (local, then all every other round)
 * and flips a page to B; B blocks for 200 us and is woken. */
static void mix_round(uint32_t i)
{
	for (int k = 0; k < 3; k++)
		hcall(DOM_A, NR_NULL, 0, 1000 + 10 * (i % 100));
	hcall(DOM_A, NR_SCHED_OP, -22, 5000);
	trace_hcall_reject(DOM_A, 0, NR_SCHED_OP, "cmd", 99, -22);
	hcall(DOM_A, NR_MMU_UPDATE, 63, 40000);
	trace_mmu_update(DOM_A, 0, 64, 63, 1, 39000);
	trace_tlb_flush(DOM_A, 0, "local", 0);
	trace_tlb_flush(DOM_A, 0, i % 2 ? "all" : "page", 0x1000 * i);
	trace_page_flip(DOM_A, DOM_B, 0x100 + i, 0x200 + i);
	trace_vm_exit(DOM_A, 0, 2, 0x100000 + i);
	/* B runs on slot 1, blocks, is woken and dispatched again. */
	trace_sched_switch(1, DOM_B, 0, -1, -1, "block", 0);
	sleep_us(200);
	trace_sched_wake(DOM_B, 0, "event");
	trace_sched_switch(1, -1, -1, DOM_B, 0, "wake", 10000000);
}

static int mix(uint32_t n)
{
	trace_domain_create(DOM_A, "gen-a", 16, 1);
	trace_domain_create(DOM_B, "gen-b", 32, 1);
	trace_sched_switch(0, -1, -1, DOM_A, 0, "start", 10000000);
	trace_sched_switch(1, -1, -1, DOM_B, 0, "start", 10000000);
	for (uint32_t i = 0; i < n; i++)
		mix_round(i);
	trace_domain_destroy(DOM_A, 0, false);
	trace_domain_destroy(DOM_B, 3, true);
	uint32_t odd = n / 2, even = n - odd;
	/* Events: 2 creates + 2 starts + 2 destroys, and 19 per round. */
	printf("expect events=%u null=%u sched_op=%u mmu_update=%u rejects=%u errors=%u\n", 6 + 19 * n, 3 * n, n, n,
	       n, n);
	printf("expect tlb=%u tlb_local=%u tlb_all=%u tlb_page=%u page_flips=%u mmu_batches=%u mmu_entries=%u "
	       "mmu_applied=%u mmu_rejected=%u vm_exits=%u blocks_b=%u wakes_b=%u min_blocked_b_ns=%u\n",
	       2 * n, n, odd, even, n, n, 64 * n, 63 * n, n, n, n, n, 200000 * n);
	printf("expect null_max=%u sched_op_p50=5000\n", 1000 + 10 * ((n > 100 ? 100 : n) - 1));
	return 0;
}

enum { DOM_X = 9, XEN_STACK_SWITCH = 3, XEN_MMU_UPDATE = 1, XEN_CONSOLE_IO = 18, PV_EVTCHN_OP = 3 };

static void xen_hcall(uint32_t dom, uint32_t nr, int64_t result, uint64_t latency)
{
	const uint64_t args[5] = { nr, 0, 0, 0, 0 };
	trace_xen_hcall_entry(dom, 0, nr, args);
	trace_xen_hcall_exit(dom, 0, nr, result, latency);
}

/* Round i: the Linux domain X makes 2 console_io (latency 3000), one
 * refused mmu_update (-22, latency 8000) and one stack_switch (Xen's 3),
 * while the pvos domain A makes one event_channel_op (pvlab's 3, latency
 * 500); X writes 2 page-table entries directly (every 4th round the
 * second is refused), takes an upcall, a system call and a #PF bounce,
 * flushes multi and invlpg_multi, and has an rdmsr (even rounds) or a
 * cpuid (odd) emulated. */
static void xen_round(uint32_t i)
{
	xen_hcall(DOM_X, XEN_CONSOLE_IO, 10, 3000);
	xen_hcall(DOM_X, XEN_CONSOLE_IO, 10, 3000);
	xen_hcall(DOM_X, XEN_MMU_UPDATE, -22, 8000);
	xen_hcall(DOM_X, XEN_STACK_SWITCH, 0, 700);
	hcall(DOM_A, PV_EVTCHN_OP, 0, 500);
	trace_xen_ptwr(DOM_X, 0, 0xffff888000001000ULL + 8 * i, 0x4a85000 + 8 * (i % 512), 0x67, 0x65, 0xffffffff81000000ULL, 0);
	trace_xen_ptwr(DOM_X, 0, 0xffff888000002000ULL, 0x4a86000, 0, 0x4a83067, 0xffffffff81000010ULL, i % 4 ? 0 : -22);
	trace_xen_bounce(DOM_X, 0, 256, 0xffffffff81000100ULL, 0xffffffff81e00000ULL, "event upcall");
	trace_xen_bounce(DOM_X, 0, 257, 0x401000, 0xffffffff81e00100ULL, "system call");
	trace_xen_bounce(DOM_X, 0, 14, 0x401010, 0xffffffff81e00200ULL, "exception #PF");
	trace_tlb_flush(DOM_X, 0, "multi", 0);
	trace_tlb_flush(DOM_X, 0, "invlpg_multi", 0x400000 + 0x1000 * i);
	trace_xen_emulate(DOM_X, 0, 0xffffffff81000200ULL, i % 2 ? "cpuid" : "rdmsr", i % 2 ? 0xd : 0x10);
	trace_vm_exit(DOM_X, 0, 2, 0xffffffff81000000ULL + i);
}

static int xen(uint32_t n)
{
	trace_domain_create(DOM_A, "gen-pvos", 16, 1);
	trace_domain_create(DOM_X, "gen-linux", 256, 1);
	for (uint32_t i = 0; i < n; i++)
		xen_round(i);
	trace_domain_destroy(DOM_X, 125, true);
	trace_domain_destroy(DOM_A, 0, false);
	/* Events: 4 creates and destroys, and 19 per round. */
	printf("expect events=%u xen_console_io=%u xen_mmu_update=%u xen_stack_switch=%u pv_evtchn=%u\n",
	       4 + 19 * n, 2 * n, n, n, n);
	printf("expect ptwr=%u ptwr_refused=%u bounces=%u upcalls=%u syscalls=%u exceptions=%u tlb=%u "
	       "tlb_multi=%u tlb_invlpg_multi=%u emulated=%u emul_cpuid=%u emul_rdmsr=%u\n", 2 * n, (n + 3) / 4, 3 * n,
	       n, n, n, 2 * n, n, n, n, n / 2, n - n / 2);
	return 0;
}

static int bulk(uint32_t n)
{
	trace_domain_create(DOM_A, "bulk", 16, 1);
	uint32_t sent = 1;
	const uint64_t args[5] = { 0 };
	for (uint32_t i = 0; sent + 3 <= n; i++, sent += 3) {
		trace_vm_exit(DOM_A, 0, 2, i);
		trace_hcall_entry(DOM_A, 0, NR_NULL, args);
		trace_hcall_exit(DOM_A, 0, NR_NULL, 0, 500 + (i & 1023));
	}
	printf("sent %u events\n", sent);
	return 0;
}

/* The provider's constructor waits for the session daemon a bounded time
 * (LTTNG_UST_REGISTER_TIMEOUT); on a loaded host the session's events may
 * reach this process later. Wait for them, at most 30 s. */
static bool await_session(bool xen)
{
	for (int i = 0; i < 3000; i++) {
		if (xen ? trace_xen_hcall_enabled() : trace_hcall_enabled()) {
			if (i)   /* the daemon starts the session after it enables the events */
				sleep_us(500000);
			return true;
		}
		sleep_us(10000);
	}
	fprintf(stderr, "pvtrace-gen: no session enabled pvmon's %shypercall events in 30 s\n", xen ? "Xen " : "");
	return false;
}

int main(int argc, char **argv)
{
	char *end = NULL;
	unsigned long n = argc >= 3 ? strtoul(argv[2], &end, 10) : 0;
	bool wait = argc == 4 && !strcmp(argv[3], "wait");
	if (argc < 3 || argc > 4 || (argc == 4 && !wait) || !end || *end || n < 1 || n > 100000000 ||
	    (strcmp(argv[1], "mix") && strcmp(argv[1], "bulk") && strcmp(argv[1], "xen"))) {
		fprintf(stderr, "usage: pvtrace-gen mix|bulk|xen N [wait]   (test-only tracepoint generator)\n");
		return 2;
	}
	char line[16];
	if (wait && !fgets(line, sizeof(line), stdin)) {
		fprintf(stderr, "pvtrace-gen: stdin closed before the go line\n");
		return 1;
	}
	/* Loaded after the go line, as pvmon loads it after its session
	 * starts: a provider loaded before a session daemon ran (pvctl trace
	 * start may start one) registers from a thread of its own some time
	 * later, and what it fired until then was never recorded. */
	trace_init();
	if (!trace_provider_loaded()) {
		fprintf(stderr, "pvtrace-gen: the LTTng provider (libpvmon-tp.so) did not load\n");
		return 1;
	}
	if (wait && !await_session(!strcmp(argv[1], "xen")))
		return 1;
	if (!strcmp(argv[1], "xen"))
		return xen((uint32_t)n);
	return !strcmp(argv[1], "mix") ? mix((uint32_t)n) : bulk((uint32_t)n);
}
