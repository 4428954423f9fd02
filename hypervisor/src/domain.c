/* Domain construction and lifetime. A domain's RAM starts with the
 * start-info and shared-info pages, then the kernel image at its ELF
 * addresses, then a boot stack; its initial page tables (identity map of
 * RAM and pool, 4 KiB pages, user-accessible: the guest kernel runs at
 * CPL3) are in the page-table pool (memory.c). The domain lives until its
 * last vCPU thread stops. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "console.h"
#include "domain.h"
#include "elf.h"
#include "evtchn.h"
#include "pvnet.h"
#include "fastpath.h"
#include "pvmon_domstats.h"
#include "hvarea.h"
#include "sched.h"
#include "pvtime.h"
#include "trace.h"
#include "bzimage.h"
#include "xen_domain.h"
#include "xenelf.h"
#include "xenstore.h"

static atomic_int live_domains;

static void unlist(struct domain *d)
{
	pthread_mutex_lock(&host.domains_lock);
	if (host.domains[d->id] == d)
		host.domains[d->id] = NULL;
	pthread_mutex_unlock(&host.domains_lock);
}

struct domain *domain_get(uint32_t id)
{
	if (id >= MAX_DOMAINS)
		return NULL;
	pthread_mutex_lock(&host.domains_lock);
	struct domain *d = host.domains[id];
	if (d)
		atomic_fetch_add(&d->refs, 1);
	pthread_mutex_unlock(&host.domains_lock);
	return d;
}

static void domain_free(struct domain *d)
{
	for (uint32_t i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = &d->vcpus[i];
		sched_vcpu_remove(v);        /* a domain created but never started */
		if (v->run)
			munmap(v->run, (size_t)host.run_size);
		if (v->fd > 0) {
			kvm_stats_close(&v->kstats);
			close(v->fd);
		}
		pthread_cond_destroy(&v->cond);
	}
	xen_domain_free(d);
	pvnet_free(d);
	memory_destroy(d);
	free(d->gnt.readers);
	free(d->gnt.writers);
	if (d->vm_fd > 0)
		close(d->vm_fd);
	pthread_rwlock_destroy(&d->mem_lock);
	if (d->console)
		console_free(d->console);
	free(d);
}

void domain_put(struct domain *d)
{
	if (d && atomic_fetch_sub(&d->refs, 1) == 1)
		domain_free(d);
}

int domain_count(void)
{
	return atomic_load(&live_domains);
}

static int setup_boot_vcpu(struct domain *d, uint64_t entry, uint64_t cr3, uint64_t sp)
{
	struct vcpu *v = &d->vcpus[0];
	struct kvm_sregs *s = &v->sregs;
	v->kernel_cr3 = cr3;
	if (d->fp)      /* enters through the entry stub, in PVM mode */
		return fastpath_setup_vcpu(v, entry, sp, 0, GPA_START_INFO);
	ioctl(v->fd, KVM_GET_SREGS, s);
	s->cr3 = cr3;
	s->cr4 = 0x620;              /* PAE OSFXSR OSXMMEXCPT */
	s->cr0 = 0x80050033;         /* PG AM WP NE ET MP PE */
	s->efer = 0xd00;             /* NXE LMA LME: NX in guest entries is honoured */
	struct kvm_segment cs = { .limit = 0xffffffff, .selector = 0x33, .type = 11, .present = 1,
	                          .dpl = 3, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment ds = { .limit = 0xffffffff, .selector = 0x2b, .type = 3, .present = 1,
	                          .dpl = 3, .db = 1, .s = 1, .g = 1 };
	s->cs = cs;
	s->ds = s->es = s->fs = s->gs = s->ss = ds;
	hvarea_baseline_sregs(d, 0, s);
	struct kvm_regs *r = &v->run->s.regs.regs;
	memset(r, 0, sizeof(*r));
	r->rip = entry;
	r->rsp = sp;
	r->rsi = GPA_START_INFO;
	r->rflags = 0x3002;          /* IOPL 3: `out` is the hypercall (PVM reports 0 and checks the
	                                TSS's I/O bitmap, which opens the hypercall port only) */
	v->run->s.regs.sregs = *s;
	v->run->kvm_dirty_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	return 0;
}

/* Every vCPU of d (either ABI); on failure the ones made are freed with d. */
static int create_vcpus(struct domain *d, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < d->nr_vcpus; i++) {
		int rc = vcpu_create(d, i);
		if (rc) {
			snprintf(err, errlen, "cannot create vCPU %u: %s", i, strerror(-rc));
			d->nr_vcpus = i + 1;
			return -1;
		}
	}
	return 0;
}

/* pvlab's ABI: pvos's layout, tables in the pool, start info. */
static int build_pvlab(struct domain *d, const struct dom_config *cfg, const char *img, size_t img_len,
                       char *err, size_t errlen)
{
	if (cfg->ramdisk[0] || cfg->ndisks || cfg->nvifs) {
		snprintf(err, errlen, "kernel '%s' is not a Xen PV kernel: '%s' is for Linux PV domains", cfg->kernel,
		         cfg->ramdisk[0] ? "ramdisk" : cfg->ndisks ? "disk" : "vif");
		return -1;
	}
	if (memory_create(d, err, errlen))
		return -1;

	uint64_t entry, end;
	char why[256];
	if (elf_load((const uint8_t *)img, img_len, d->mem, d->mem_size, GPA_KERNEL_MIN, &entry, &end, why, sizeof(why))) {
		snprintf(err, errlen, "kernel '%s': %s", cfg->kernel, why);
		return -1;
	}
	uint64_t stack_top = ((end + 4095) & ~4095ULL) + BOOT_STACK_SIZE, nr_pt;
	if (stack_top + 4096 > d->mem_size) {
		snprintf(err, errlen, "memory %llu MiB is too small for kernel '%s' (needs %llu KiB)",
		         (unsigned long long)cfg->memory_mib, cfg->kernel, (unsigned long long)((stack_top + 4096) >> 10));
		return -1;
	}
	uint64_t cr3 = memory_build_tables(d, &nr_pt, err, errlen);
	if (!cr3)
		return -1;

	d->start = (struct pv_start_info *)(d->mem + GPA_START_INFO);
	d->shared = (struct pv_shared_info *)(d->mem + GPA_SHARED_INFO);
	struct pv_start_info *si = d->start;
	memcpy(si->magic, PV_ABI_MAGIC, sizeof(PV_ABI_MAGIC));
	si->abi_version = PV_ABI_VERSION;
	si->nr_pages = d->mem_size >> 12;
	si->shared_info = GPA_SHARED_INFO;
	si->pt_base = cr3;
	si->nr_pt_frames = nr_pt;
	si->first_free = stack_top;
	si->nr_vcpus = d->nr_vcpus;
	si->flags = d->pt.ro_pool_maps ? PV_SIF_pt_ro_maps : 0;
	si->hv_area = d->pool_gpa;
	si->hv_area_pages = PV_HV_AREA_PAGES;
	si->pt_pool_base = d->pool_gpa;
	si->pt_pool_frames = d->pool_frames;
	si->pt_pool_used = d->hv_frames + nr_pt;
	si->hcall_entry = PV_HCALL_ENTRY;
	si->fast_path = !d->fp ? PV_FAST_none : fp_host.kind == FP_PVM ? PV_FAST_pvm : PV_FAST_hw;
	si->grant_rw_base = d->grant_rw_gpa;
	si->grant_ro_base = d->grant_ro_gpa;
	snprintf(si->name, sizeof(si->name), "%s", cfg->name);
	snprintf(si->cmdline, sizeof(si->cmdline), "%s", cfg->cmdline);
	d->shared->mem_target_pages = si->nr_pages;
	time_publish_wallclock(d->shared);

	if (create_vcpus(d, err, errlen))
		return -1;
	int rc = setup_boot_vcpu(d, entry, cr3, stack_top);
	if (rc) {
		snprintf(err, errlen, "cannot set up vCPU 0 for the fast path: %s", strerror(-rc));
		return -1;
	}

	return 0;
}

/* Xen's ABI: the domain is built (xen_domain.c); its vCPUs. */
static int build_xen_vcpus(struct domain *d, char *err, size_t errlen)
{
	xen_lapic_init(d);
	if (create_vcpus(d, err, errlen))
		return -1;
	int rc = xen_vcpu_setup(&d->vcpus[0]);
	if (rc)
		snprintf(err, errlen, "cannot set up vCPU 0: %s", strerror(-rc));
	return rc;
}

/* A Linux PV config's disks and VIFs, checked before its kernel is read
 * and unpacked (seconds for Debian's, minutes under emulation): a bad one
 * fails at once, in the line its back end would give. */
static int check_devices(const struct dom_config *cfg, char *err, size_t errlen)
{
	const char *specs[CFG_DISKS_MAX > CFG_VIFS_MAX ? CFG_DISKS_MAX : CFG_VIFS_MAX];
	for (unsigned i = 0; i < cfg->ndisks; i++)
		specs[i] = cfg->disk[i];
	if (xen_blkback_check(specs, cfg->ndisks, err, errlen))
		return -1;
	for (unsigned i = 0; i < cfg->nvifs; i++)
		specs[i] = cfg->vif[i];
	return xen_netback_check(specs, cfg->nvifs, err, errlen) ? -1 : 0;
}

struct domain *domain_create(const struct dom_config *cfg, FILE *out, char *err, size_t errlen)
{
	char *img = NULL;
	size_t img_len = 0;
	if (check_devices(cfg, err, errlen) ||
	    config_read_file(cfg->kernel, "kernel", 64 << 20, &img, &img_len, err, errlen))
		return NULL;
	struct domain *d = calloc(1, sizeof(*d));
	if (!d) {
		free(img);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->created_ns = time_now();
	d->cfg = *cfg;
	d->nr_vcpus = cfg->vcpus;
	d->mem_size = cfg->memory_mib << 20;
	atomic_store(&d->refs, 1);
	evtchn_init(d);

	pthread_rwlockattr_t ra;
	pthread_rwlockattr_init(&ra);
	/* A writer (flush, balloon) must not wait behind a stream of vCPU entries. */
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&d->mem_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	d->vm_fd = ioctl(host.kvm_fd, KVM_CREATE_VM, 0);
	if (d->vm_fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		goto fail;
	}
	struct bzimage bz;
	struct xenelf xe;
	char why[320];
	bool xen = false;
	if (!bzimage_unpack((const uint8_t *)img, img_len, BZIMAGE_MAX_ELF, &bz, why, sizeof(why))) {
		xen = !xenelf_parse(bz.elf, bz.len, &xe, why, sizeof(why)) && xe.kind == XENELF_XEN_PV;
		if (xen && xen_domain_build(d, bz.elf, bz.len, &xe, err, errlen)) {
			bzimage_free(&bz);
			goto fail;
		}
		bzimage_free(&bz);
	}
	if (xen ? build_xen_vcpus(d, err, errlen) : build_pvlab(d, cfg, img, img_len, err, errlen))
		goto fail;
	if (cfg->pvnet[0] && xen) {
		snprintf(err, errlen, "pvnet is for pvos domains (a Linux PV domain's network is its vif)");
		goto fail;
	}
	if (cfg->pvnet[0] && pvnet_add(d, cfg->pvnet, err, errlen))
		goto fail;

	pthread_mutex_lock(&host.domains_lock);
	for (uint32_t id = 1; id < MAX_DOMAINS; id++) {
		if (!host.domains[id]) {
			d->id = id;
			host.domains[id] = d;
			break;
		}
	}
	pthread_mutex_unlock(&host.domains_lock);
	if (!d->id) {
		snprintf(err, errlen, "too many domains (limit %d)", MAX_DOMAINS - 1);
		goto fail;
	}
	if (d->start)
		d->start->domid = d->id;
	if (d->xen && xen_netback_attach(d, err, errlen))
		goto fail;                  /* its VIFs' TAP devices are named by its id */
	d->console = console_new(cfg->name, out);
	free(img);
	return d;
fail:
	free(img);
	domain_free(d);
	return NULL;
}

int domain_start(struct domain *d)
{
	atomic_store(&d->live_vcpus, (int)d->nr_vcpus);
	atomic_fetch_add(&live_domains, 1);
	trace_domain_create(d->id, d->cfg.name, d->cfg.memory_mib, d->nr_vcpus);
	if (pvmon_store && xs_domain_introduce(pvmon_store, d->id, d->cfg.name))
		fprintf(stderr, "pvmon: xenstore: cannot introduce domain %s (%u)\n", d->cfg.name, d->id);
	else if (d->xen && (xen_store_start(d) || xen_blkback_start(d, pvmon_store) ||
	                    xen_netback_start(d, pvmon_store)))
		fprintf(stderr, "pvmon: xenstore: cannot serve the ring, the disks or the VIFs of domain %s (%u)\n",
		        d->cfg.name, d->id);
	for (uint32_t i = 0; i < d->nr_vcpus; i++) {
		int rc = vcpu_thread_start(&d->vcpus[i]);
		if (rc) {
			domain_crash(d, NULL, "cannot start vCPU thread: %s", strerror(-rc));
			for (uint32_t j = i; j < d->nr_vcpus; j++)
				domain_vcpu_stopped(d);
			return rc;
		}
	}
	sched_vcpu_start(&d->vcpus[0]);
	return 0;
}

static void stop_vcpus(struct domain *d)
{
	sched_notify_domain(d);
	for (uint32_t i = 0; i < d->nr_vcpus; i++)
		sched_kick(&d->vcpus[i]);
}

static bool set_final_state(struct domain *d, int st)
{
	int cur = atomic_load(&d->state);
	while (cur < DS_SHUTDOWN)
		if (atomic_compare_exchange_weak(&d->state, &cur, st))
			return true;
	return false;
}

static void crash(struct domain *d, struct vcpu *v, const struct guest_context *c, const char *why)
{
	if (!set_final_state(d, DS_CRASHED))
		return;
	if (v)
		snprintf(d->crash_reason, sizeof(d->crash_reason), "vcpu %u: %s; rip=0x%llx rsp=0x%llx rflags=0x%llx cr3=0x%llx %s mode",
		         v->id, why, (unsigned long long)c->rip, (unsigned long long)c->rsp,
		         (unsigned long long)c->rflags, (unsigned long long)c->cr3, c->user ? "user" : "kernel");
	else
		snprintf(d->crash_reason, sizeof(d->crash_reason), "%s", why);
	d->exit_code = PV_EXIT_CRASHED;
	if (d->console)
		console_flush(d->console);
	fprintf(stderr, "pvmon: domain %s (%u) crashed: %s\n", d->cfg.name, d->id, d->crash_reason);
	stop_vcpus(d);
}

void domain_crash(struct domain *d, struct vcpu *v, const char *fmt, ...)
{
	char why[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	struct guest_context c = { 0 };
	if (v && d->fp) {
		fastpath_context(v, &c);          /* the guest's, not the entry stub's */
	} else if (v) {
		const struct kvm_regs *r = &v->run->s.regs.regs;
		c = (struct guest_context){ r->rip, r->rsp, r->rflags, v->sregs.cr3, v->user_mode };
	}
	crash(d, v, &c, why);
}

void domain_crash_at(struct domain *d, struct vcpu *v, const struct guest_context *c, const char *fmt, ...)
{
	char why[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	crash(d, v, c, why);
}

void domain_shutdown(struct domain *d, int exit_code)
{
	if (!set_final_state(d, DS_SHUTDOWN))
		return;
	d->exit_code = exit_code;
	stop_vcpus(d);
}

long domain_console_input(struct domain *d, const char *buf, size_t len)
{
	if (atomic_load(&d->ended))
		return -ESRCH;
	size_t n = console_input_push(d->console, buf, len);
	if (n && d->xen)
		xen_console_feed(d);
	else if (n)
		evtchn_send_virq(d, 0, PV_VIRQ_CONSOLE);
	return (long)n;
}

/* Returns once no vCPU of the domain runs (as xl pause does): its run
 * time stops advancing before pvctl pause answers. */
int domain_pause(struct domain *d)
{
	int cur = DS_RUNNING;
	if (!atomic_compare_exchange_strong(&d->state, &cur, DS_PAUSED))
		return cur == DS_PAUSED ? 0 : -ESRCH;
	stop_vcpus(d);
	return sched_wait_stopped(d, 2000) ? 0 : -ETIMEDOUT;
}

int domain_unpause(struct domain *d)
{
	int cur = DS_PAUSED;
	if (!atomic_compare_exchange_strong(&d->state, &cur, DS_RUNNING))
		return cur == DS_RUNNING ? 0 : -ESRCH;
	sched_notify_domain(d);
	return 0;
}

void domain_stats(struct domain *d, struct domain_stats *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_lock(&sched_lock);
	uint64_t now = time_now();
	for (uint32_t i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = &d->vcpus[i];
		uint64_t dt = now - v->state_since;
		s->run_ns += v->run_ns + (v->state == VS_RUNNING ? dt : 0);
		s->wait_ns += v->wait_ns + (v->state == VS_RUNNABLE ? dt : 0);
		s->blocked_ns += v->blocked_ns + (v->state == VS_BLOCKED || v->state == VS_PAUSED ? dt : 0);
		s->hypercalls += atomic_load(&v->hypercalls);
		s->upcalls += atomic_load(&v->upcalls);
		s->exits += atomic_load(&v->exits);
		if (v->fd > 0) {
			uint64_t k[KS_NR];
			kvm_stats_read(&v->kstats, k);
			for (int i = 0; i < KS_NR; i++)
				s->kvm[i] += k[i];
		}
	}
	pthread_mutex_unlock(&sched_lock);
	s->mmu_updates = atomic_load(&d->mmu_updates);
	s->mmu_rejected = atomic_load(&d->mmu_rejected);
	s->pt_writes = atomic_load(&d->pt_writes);
	s->tlb_flushes = atomic_load(&d->tlb_flushes);
	s->tlb_zaps = atomic_load(&d->tlb_zaps);
	s->page_flips = atomic_load(&d->page_flips);
	s->mem_pages = memory_current_pages(d);
	struct fp_stats f;
	fastpath_stats(d, &f);
	s->upcalls += f.events;           /* upcalls the entry stub delivered itself */
	struct xen_counts x;
	xen_counts(d, &x);
	s->stub_exits = x.stub_exits;
	s->emulated = x.emulated;
	s->bounces = x.bounces;
	s->stub_served = x.fast;
	if (d->xen) {
		struct xen_vbd_stats b;
		xen_blkback_stats(d, &b);
		s->blk_requests = b.requests;
		s->blk_bytes = b.bytes;
		s->blk_batches = b.batches;
		s->blk_events = b.notifies;
		s->blk_kicks = b.kicks;
		struct xen_vif_stats n;
		xen_netback_stats(d, &n);
		s->net_tx_packets = n.tx_packets;
		s->net_tx_bytes = n.tx_bytes;
		s->net_rx_packets = n.rx_packets;
		s->net_rx_bytes = n.rx_bytes;
		s->net_tx_kicks = n.tx_kicks;
		s->net_rx_events = n.rx_notifies;
		s->net_deferred = n.deferred;
	}
}

void domain_console_counters(void *ctx, char *buf, size_t len)
{
	struct domain *d = ctx;
	uint64_t c[CONSCNT_NR] = { 0 };
	for (uint32_t i = 0; i < d->nr_vcpus; i++) {
		c[CONSCNT_EXITS] += atomic_load_explicit(&d->vcpus[i].exits, memory_order_relaxed);
		c[CONSCNT_HYPERCALLS] += atomic_load_explicit(&d->vcpus[i].hypercalls, memory_order_relaxed);
	}
	c[CONSCNT_PT_WRITES] = atomic_load(&d->pt_writes);
	c[CONSCNT_MMU_UPDATES] = atomic_load(&d->mmu_updates);
	c[CONSCNT_PAGE_FLIPS] = atomic_load(&d->page_flips);
	struct pvnet_stats ns;
	pvnet_stats(d, &ns);
	c[CONSCNT_NET_RX] = ns.packets;
	c[CONSCNT_NET_COPIED] = ns.copied;
	c[CONSCNT_NET_EVENTS] = ns.events;
	c[CONSCNT_NET_KICKS] = ns.kicks;
	struct xen_counts x;
	xen_counts(d, &x);                /* zeros for a pvos domain */
	c[CONSCNT_BOUNCES] = x.bounces;
	c[CONSCNT_EMULATED] = x.emulated;
	c[CONSCNT_STUB] = x.fast;
	size_t o = 0;
	buf[0] = 0;
	for (int i = 0; i < CONSCNT_NR && o < len; i++) {
		if ((i >= CONSCNT_BOUNCES && i <= CONSCNT_STUB && !d->xen) || (i >= CONSCNT_PAGE_FLIPS && !d->net))
			continue;                 /* the Xen mode's; a pvos interface's */
		o += (size_t)snprintf(buf + o, len - o, "%s%s=%llu", o ? " " : "", pvmon_console_counter_key(i),
		                      (unsigned long long)c[i]);
	}
}

const char *domain_state_name(const struct domain *d)
{
	switch (atomic_load(&((struct domain *)d)->state)) {
	case DS_RUNNING: {
		bool all_blocked = true;
		for (uint32_t i = 0; i < d->nr_vcpus; i++)
			if (d->vcpus[i].state != VS_BLOCKED && d->vcpus[i].state != VS_DOWN)
				all_blocked = false;
		return all_blocked ? "blocked" : "running";
	}
	case DS_PAUSED: return "paused";
	case DS_SHUTDOWN: return "shutdown";
	default: return "crashed";
	}
}

void domain_vcpu_stopped(struct domain *d)
{
	if (atomic_fetch_sub(&d->live_vcpus, 1) != 1)
		return;
	/* Last vCPU out: the domain is gone. */
	if (atomic_load(&d->state) < DS_SHUTDOWN)
		set_final_state(d, DS_SHUTDOWN);
	if (d->console)
		console_flush(d->console);
	pvnet_stop(d);                   /* its ring's grant and port go before the tables */
	evtchn_teardown(d);
	if (d->xen)
		xen_evtchn_teardown(d);
	gnttab_teardown(d);
	if (getenv("PVLAB_MM_CHECK"))
		memory_check_report(d);
	trace_domain_destroy(d->id, d->exit_code, atomic_load(&d->state) == DS_CRASHED);
	if (d->xen) {
		xen_blkback_remove(d);     /* its disks, VIFs and its ring's connection go before its tree */
		xen_netback_remove(d);
		xen_store_close(d);
	}
	if (pvmon_store)
		xs_domain_release(pvmon_store, d->id);
	if (d->on_exit)
		d->on_exit(d);
	atomic_store(&d->ended, true);
	bool linger = atomic_load(&d->linger);
	if (!linger)
		unlist(d);
	atomic_fetch_sub(&live_domains, 1);
	pthread_mutex_lock(&host.exit_lock);
	pthread_cond_broadcast(&host.exit_cond);
	pthread_mutex_unlock(&host.exit_lock);
	if (!linger)
		domain_put(d);          /* the table's reference */
}

int domain_reap(struct domain *d)
{
	if (!atomic_load(&d->ended)) {
		atomic_store(&d->linger, false);   /* removed when it stops */
		return -EBUSY;
	}
	pthread_mutex_lock(&host.domains_lock);
	bool listed = host.domains[d->id] == d;
	if (listed)
		host.domains[d->id] = NULL;
	pthread_mutex_unlock(&host.domains_lock);
	if (listed)
		domain_put(d);
	return 0;
}
