/* prog=tracecount n=N blocks=K: a known workload for the trace tests
 * (tests/integration/pvtrace_count.sh). It makes N of several hypercalls,
 * a few multicalls, N rejected calls and N TLB flushes, then blocks K
 * times on a one-shot timer, and prints what it did on one line. Boot and
 * shutdown make hypercalls of their own; the test subtracts a run with
 * n=0 blocks=0, which prints the same line, so every count it compares is
 * exactly what this file did. Run it with tick_ms=0 (no periodic tick). */
#include <stdbool.h>

#include "kernel.h"

#define MS 1000000ULL
#define MC_BATCH 8

struct counts {
	unsigned long null, version, evtchn, multicall, mmuext, sched, timer, upcalls, blocks, attempts;
};

/* Blocked for real? pvmon stops a blocked vCPU's virtual time: if the wall
 * clock ran ahead of it by half the wait, pvmon put the vCPU to sleep. A
 * deadline already past when pvmon looked wakes it without a block. */
static bool blocked_once(struct counts *c, uint64_t wait_ns)
{
	uint64_t t0 = system_time(), v0 = virtual_time(), before = ticks;
	HYPERVISOR_set_timer_op(t0 + wait_ns);
	c->timer++;
	while (ticks == before) {
		HYPERVISOR_sched_op(PV_SCHED_block, 0);
		c->sched++;
	}
	c->upcalls += ticks - before;
	uint64_t wall = system_time() - t0, virt = virtual_time() - v0;
	return wall > virt && wall - virt > wait_ns / 2;
}

static void calls(struct counts *c, unsigned long n)
{
	static struct pv_multicall_entry mc[MC_BATCH];
	struct pv_evtchn_alloc_unbound au = { PV_DOMID_SELF, PV_DOMID_SELF, 0 };
	if (!n)
		return;
	/* A port of our own to ask the status of (port 0 is never valid). */
	HYPERVISOR_event_channel_op(PV_EVTCHN_alloc_unbound, &au);
	c->evtchn++;
	struct pv_evtchn_status st = { .port = au.port };
	for (unsigned long i = 0; i < n; i++) {
		HYPERVISOR_null();
		HYPERVISOR_version_op(PV_VERSION_abi, 0);
		HYPERVISOR_event_channel_op(PV_EVTCHN_status, &st);
		HYPERVISOR_event_channel_op(99, &st);          /* rejected: unknown command */
		HYPERVISOR_mmuext_op(PV_MMUEXT_tlb_flush_local, 0);
	}
	c->null += n;
	c->version += n;
	c->evtchn += 2 * n;
	c->mmuext += n;
	/* A multicall is traced as itself and as each call in it. pvmon may
	 * preempt one after any entry (it returns how many it did): the rest
	 * goes again, another multicall. */
	for (unsigned long i = 0; i < (n + 9) / 10; i++) {
		for (int k = 0; k < MC_BATCH; k++)
			mc[k] = (struct pv_multicall_entry){ .op = PV_HC_version_op, .args = { PV_VERSION_abi } };
		for (long done = 0, r; done < MC_BATCH; done += r) {
			r = HYPERVISOR_multicall(mc + done, (uint64_t)(MC_BATCH - done));
			c->multicall++;
			if (r <= 0)
				break;
			c->version += (unsigned long)r;
		}
	}
}

int prog_tracecount(void);
int prog_tracecount(void)
{
	unsigned long n = cmdline_num("n", 100), k = cmdline_num("blocks", 5);
	struct counts c = { 0 };
	calls(&c, n);
	/* Up to 3K tries: a busy host may wake us before pvmon saw the block. */
	while (c.blocks < k && c.attempts < 3 * k) {
		c.attempts++;
		c.blocks += blocked_once(&c, 3 * MS);
	}
	printk("tracecount: null=%lu version_op=%lu event_channel_op=%lu multicall=%lu mmuext_op=%lu "
	       "sched_op=%lu set_timer_op=%lu iret=%lu blocks=%lu rejects=%lu tlb_flushes=%lu attempts=%lu\n",
	       c.null, c.version, c.evtchn, c.multicall, c.mmuext, c.sched, c.timer, c.upcalls, c.blocks, n, n,
	       c.attempts);
	return c.blocks == k ? 0 : 1;
}
