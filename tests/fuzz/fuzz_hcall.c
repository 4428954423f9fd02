/* libFuzzer target for whole hypercall sequences: a domain without KVM
 * (its memory laid out by memory.c, its kernel tables built by the real
 * builder) runs a program of hypercalls taken from the input through
 * hypercall_dispatch, the path every hypercall exit takes, with numbers,
 * commands, pointers and frame numbers the fuzzer picks, and of writes into
 * an argument page where it builds the structs those pointers name. After
 * every call pvmon's view of the domain must still hold together: the
 * page-table accounting (pt_check, never "corrupt"), the balloon's count of
 * frames given back, the event channels' bindings, the registers only a
 * valid iret may set; ASan and UBSan catch any touch outside the domain.
 * A call that ends the domain (shutdown, crash) ends the program, as it
 * would end the vCPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "../../hypervisor/src/console.h"
#include "../../hypervisor/src/domain.h"
#include "../../hypervisor/src/evtchn.h"
#include "../../hypervisor/src/hypercall.h"
#include "../../hypervisor/src/memory.h"
#include "../../hypervisor/src/pvmon.h"
#include "../../hypervisor/src/pvtime.h"
#include "../unit/fakedom.h"

#define MIB 4
#define ARG 0x10000ULL           /* the argument page (guest-physical = kernel-virtual) */
#define STEP 40
#define SPARE 64                 /* RAM frames at the top the kernel left unmapped */
#define GVA_LIMIT (1ULL << 47)

static void die(const char *why, unsigned long long a)
{
	fprintf(stderr, "fuzz_hcall: %s (%llu)\n", why, a);
	abort();
}

static struct domain *mkdom(void)
{
	struct domain *d = fakedom(1, MIB);
	d->shared = (struct pv_shared_info *)(d->mem + GPA_SHARED_INFO);
	d->start = (struct pv_start_info *)(d->mem + GPA_START_INFO);
	d->console = console_new("fuzz", NULL);
	snprintf(d->cfg.name, sizeof(d->cfg.name), "fuzz");
	evtchn_init(d);
	struct vcpu *v = &d->vcpus[0];
	v->run = mmap(NULL, (size_t)host.run_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v->run == MAP_FAILED)
		die("no memory for the vCPU's run area", 0);
	v->fd = -1;
	v->state = VS_DOWN;
	v->slot = -1;
	v->slice_end = UINT64_MAX;     /* never preempted: batches run whole */
	pthread_cond_init(&v->cond, NULL);
	/* Like a guest that ballooned, leave the top SPARE frames unmapped so
	 * the balloon's calls can succeed without a long run-up. */
	uint64_t frames = d->mem_size / 4096;
	for (uint64_t g = frames - SPARE; g < frames; g++) {
		uint64_t t = v->kernel_cr3, slot = 0;
		for (int lvl = 4; lvl >= 1; lvl--) {
			slot = t + (((g * 4096) >> (12 + 9 * (lvl - 1))) & 511) * 8;
			t = d->pool[pt_pool_index(&d->pt, slot) * 512 + ((slot >> 3) & 511)] & PTE_ADDR;
		}
		if (pt_update(&d->pt, slot, 0))
			die("cannot unmap a spare frame", g);
	}
	return d;
}

/* One argument from 6 input bytes: the kinds of value a guest passes. */
static uint64_t arg_value(const struct domain *d, const uint8_t *p)
{
	uint64_t n = (uint64_t)p[1] | (uint64_t)p[2] << 8 | (uint64_t)p[3] << 16;
	uint64_t raw = n | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 32;
	uint64_t frames = d->mem_size / 4096;
	switch (p[0] % 9) {
	case 0: return p[1];                                             /* a command, count, port */
	case 1: return ARG + (n % 4096);                                 /* into the argument page */
	case 2: return (d->pool_gpa + n % (d->pool_frames * 4096)) & ~7ULL;   /* a page-table entry */
	case 3: return n % d->mem_size;                                  /* somewhere in RAM */
	case 4: return p[4] & 1 ? frames - 1 - n % SPARE : n % (frames + 8);   /* a frame number */
	case 5: return ((n % (frames + d->pool_frames + 16)) << 12) | p[4];   /* an entry's value */
	case 6: {
		static const uint64_t edge[] = { GVA_LIMIT, GVA_LIMIT - 8, ~0ULL, 0xffff800000000000ULL,
		                                 PV_HV_AREA_VA, PV_HCALL_ENTRY, 0x8000000000000000ULL, 0 };
		return edge[p[1] % 8] + (p[2] & 7);
	}
	case 7: return d->mem_size - (p[1] & 63);                        /* straddling the end */
	default: return raw;
	}
}

/* mmu_update requests the domain made in a batch pvmon accepted. */
static uint64_t mmu_requests;

static void check(struct domain *d, size_t step)
{
	char why[256];
	if (pt_corrupt(&d->pt))
		die(pt_corrupt(&d->pt), step);
	if (pt_check(&d->pt, why, sizeof(why))) {
		fprintf(stderr, "fuzz_hcall: step %zu: %s\n", step, why);
		abort();
	}
	uint64_t given = 0;
	for (uint64_t g = 0; g < d->pt.ram_frames; g++) {
		if (d->pt.ram_flags[g] & MMF_TAKING)
			die("a frame is left half taken back", g);
		given += !!(d->pt.ram_flags[g] & MMF_GIVEN_BACK);
	}
	if (given != d->pt.given_back)
		die("the balloon's count of frames given back is wrong", d->pt.given_back);
	for (uint32_t p = 1; p < PV_NR_EVTCHN; p++) {
		const struct evtchn *e = &d->evtchn[p];
		if (e->state == PV_EVTCHNSTAT_virq && (e->virq >= PV_NR_VIRQS || d->virq_port[e->vcpu][e->virq] != p))
			die("a VIRQ port and its binding disagree", p);
	}
	uint64_t applied = atomic_load(&d->mmu_updates), rejected = atomic_load(&d->mmu_rejected);
	if (applied > mmu_requests || rejected > mmu_requests || applied + rejected > mmu_requests)
		die("mmu_update counted more requests than were made", rejected);
	const struct kvm_regs *r = &d->vcpus[0].run->s.regs.regs;
	if (r->rip >= GVA_LIMIT || r->rsp >= GVA_LIMIT)
		die("an iret left the guest's half", r->rip);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		time_init();
		host.run_size = 3 * 4096;
		ready = 1;
	}
	struct domain *d = mkdom();
	struct vcpu *v = &d->vcpus[0];
	mmu_requests = 0;
	for (size_t off = 0, step = 0; off + STEP <= size; off += STEP, step++) {
		const uint8_t *b = data + off;
		if (b[0] >= 0xc0) {
			/* The guest writes 32 bytes of its argument page. */
			memcpy(d->mem + ARG + (uint64_t)(b[1] % 128) * 32, b + 8, 32);
			continue;
		}
		uint64_t a[5];
		for (int i = 0; i < 5; i++)
			a[i] = arg_value(d, b + 8 + 6 * i);
		uint64_t nr = b[0] % (PV_HC_MAX + 2);
		if (nr == PV_HC_mmu_update && a[1] >= 1 && a[1] <= PV_MMU_UPDATE_MAX)
			mmu_requests += a[1];
		pthread_rwlock_rdlock(&d->mem_lock);      /* as a vCPU thread holds it while it serves */
		long rc = hypercall_dispatch(v, nr, a);
		pthread_rwlock_unlock(&d->mem_lock);
		if (rc != HC_REGS_SET)
			v->run->s.regs.regs.rax = (uint64_t)rc;
		/* What between_runs would do with the requests; a process cannot
		 * make hypercalls, so after an iret to user mode it makes a system
		 * call at once (the kernel's page table is back). */
		v->want_block = v->want_yield = v->polling = false;
		if (v->user_mode) {
			v->user_mode = false;
			vcpu_set_cr3(v, v->kernel_cr3);
		}
		check(d, step);
		if (atomic_load(&d->state) != DS_RUNNING)
			break;
	}
	gnttab_teardown(d);
	host.domains[d->id] = NULL;
	domain_put(d);
	return 0;
}
