/* What pvmon offers Domain 0 over the control socket (control.c serves
 * the protocol; pvctl and pvtop speak it): the operations table on top of
 * the domain table: create, list, destroy, pause and unpause, consoles,
 * scheduler parameters, the balloon target. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "console.h"
#include "control.h"
#include "dom0.h"
#include "domain.h"
#include "xen_blkback.h"
#include "xen_netback.h"
#include "xen_domain.h"
#include "memory.h"
#include "pvmon.h"
#include "pvtime.h"
#include "sched.h"

void (*dom0_on_exit)(struct domain *d);

static int ctl_create(void *ctx, const char *path, char *err, size_t errlen)
{
	(void)ctx;
	struct dom_config c;
	int rc = config_load(path, &c, err, errlen);
	if (rc)
		return rc;
	for (uint32_t id = 1; id < MAX_DOMAINS; id++) {
		struct domain *o = domain_get(id);
		bool clash = o && !strcmp(o->cfg.name, c.name);
		if (clash && domain_reap(o) == 0)
			clash = false;       /* an ended domain gives its name up */
		domain_put(o);
		if (clash) {
			snprintf(err, errlen, "a domain named '%s' exists already", c.name);
			return -EEXIST;
		}
	}
	struct domain *d = domain_create(&c, NULL, err, errlen);
	if (!d)
		return -EINVAL;
	atomic_store(&d->linger, true);    /* listed with its exit code until destroyed */
	d->on_exit = dom0_on_exit;
	int id = (int)d->id;
	domain_start(d);
	return id;
}

static int ctl_list(void *ctx, struct ctl_domain_info *out, int max)
{
	(void)ctx;
	int n = 0;
	for (uint32_t id = 1; id < MAX_DOMAINS && n < max; id++) {
		struct domain *d = domain_get(id);
		if (!d)
			continue;
		struct domain_stats s;
		domain_stats(d, &s);
		/* Right after the read, so that rates between two samples divide
		 * by the time the counters really advanced in (within µs). */
		uint64_t taken = time_now();
		struct ctl_domain_info *i = &out[n++];
		memset(i, 0, sizeof(*i));
		i->domid = d->id;
		snprintf(i->name, sizeof(i->name), "%s", d->cfg.name);
		snprintf(i->state, sizeof(i->state), "%s", domain_state_name(d));
		i->vcpus = d->nr_vcpus;
		i->mem_mib = d->cfg.memory_mib;
		struct sched_params p;
		sched_get_params(&d->vcpus[0], &p);
		i->weight = p.weight > 0 ? (uint32_t)p.weight : d->cfg.weight;
		i->exit_code = d->exit_code;
		i->run_ns = s.run_ns;
		i->wait_ns = s.wait_ns;
		i->blocked_ns = s.blocked_ns;
		i->hypercalls = s.hypercalls;
		i->events = atomic_load(&d->events_sent);
		i->vm_exits = s.exits;
		i->upcalls = s.upcalls;
		i->kvm_exits = s.kvm[KS_EXITS];
		i->kvm_insn_emulation = s.kvm[KS_INSN_EMULATION];
		i->kvm_io_exits = s.kvm[KS_IO_EXITS];
		i->kvm_halt_exits = s.kvm[KS_HALT_EXITS];
		i->kvm_mmio_exits = s.kvm[KS_MMIO_EXITS];
		i->tlb_flushes = s.tlb_flushes;
		i->page_flips = s.page_flips;
		i->mmu_updates = s.mmu_updates;
		i->pt_writes = s.pt_writes;
		i->stub_exits = s.stub_exits;
		i->emulated = s.emulated;
		i->bounces = s.bounces;
		i->stub_served = s.stub_served;
		i->blk_requests = s.blk_requests;
		i->blk_bytes = s.blk_bytes;
		i->net_tx_packets = s.net_tx_packets;
		i->net_tx_bytes = s.net_tx_bytes;
		i->net_rx_packets = s.net_rx_packets;
		i->net_rx_bytes = s.net_rx_bytes;
		i->net_tx_kicks = s.net_tx_kicks;
		i->net_rx_events = s.net_rx_events;
		i->net_deferred = s.net_deferred;
		i->blk_batches = s.blk_batches;
		i->blk_events = s.blk_events;
		i->blk_kicks = s.blk_kicks;
		i->created_ns = d->created_ns;
		i->mem_kib = s.mem_pages * 4;
		i->mem_target_kib = __atomic_load_n(&d->shared->mem_target_pages, __ATOMIC_RELAXED) * 4;
		i->time_ns = taken;
		domain_put(d);
	}
	return n;
}

typedef int (*dom_fn)(struct domain *d);
static int with_domain(uint32_t id, dom_fn fn)
{
	struct domain *d = domain_get(id);
	if (!d)
		return -ESRCH;
	int rc = fn(d);
	domain_put(d);
	return rc;
}

/* A running domain is stopped and goes once it has; an ended one goes now. */
static int do_destroy(struct domain *d)
{
	if (domain_reap(d) == -EBUSY)
		domain_shutdown(d, 137);
	return 0;
}
static int ctl_destroy(void *ctx, uint32_t id) { (void)ctx; return with_domain(id, do_destroy); }
static int ctl_pause(void *ctx, uint32_t id) { (void)ctx; return with_domain(id, domain_pause); }
static int ctl_unpause(void *ctx, uint32_t id) { (void)ctx; return with_domain(id, domain_unpause); }

static long ctl_console_read(void *ctx, uint32_t id, uint64_t *off, char *buf, size_t len)
{
	(void)ctx;
	struct domain *d = domain_get(id);
	if (!d)
		return -ESRCH;
	long n = (long)console_read(d->console, off, buf, len);
	domain_put(d);
	return n;
}

static int ctl_sched_bvt(void *ctx, uint32_t id, const struct ctl_bvt *p)
{
	(void)ctx;
	if (sched.ops != &sched_bvt_ops)
		return -EINVAL;
	struct domain *d = domain_get(id);
	if (!d)
		return -ESRCH;
	struct sched_params sp = { p->weight, p->warp_ns, p->warpl_ns, p->warpu_ns };
	int rc = 0;
	for (uint32_t i = 0; i < d->nr_vcpus && !rc; i++)
		rc = sched_set_params(&d->vcpus[i], &sp);
	domain_put(d);
	return rc;
}

static int ctl_sched_rr(void *ctx, int64_t slice_ns)
{
	(void)ctx;
	if (sched.ops != &sched_rr_ops)
		return -EINVAL;
	if (slice_ns < 100000 || slice_ns > 1000000000)
		return -ERANGE;
	pthread_mutex_lock(&sched_lock);
	sched.rr_slice_ns = (uint64_t)slice_ns;
	pthread_mutex_unlock(&sched_lock);
	return 0;
}

static const char *ctl_sched_name(void *ctx)
{
	(void)ctx;
	return sched.ops->name;
}

/* Console streams hold their domain, so that what it writes as it ends is
 * still read after it has left the table (control.h: dom_get). */
static void *ctl_dom_get(void *ctx, uint32_t id)
{
	(void)ctx;
	return domain_get(id);
}

static long ctl_dom_console_read(void *ctx, void *dom, uint64_t *off, char *buf, size_t len,
                                 bool *ended, int32_t *exit_code, bool *crashed)
{
	(void)ctx;
	struct domain *d = dom;
	/* Before the read: domain_vcpu_stopped flushes the console before it
	 * marks the domain ended. */
	*ended = atomic_load(&d->ended);
	/* Final (written before the domain was marked ended) once ended. */
	*exit_code = *ended ? d->exit_code : 0;
	*crashed = atomic_load(&d->state) == DS_CRASHED;
	return (long)console_read(d->console, off, buf, len);
}

static void ctl_dom_put(void *ctx, void *dom)
{
	(void)ctx;
	domain_put(dom);
}

static long ctl_console_input(void *ctx, uint32_t id, const char *buf, size_t len)
{
	(void)ctx;
	struct domain *d = domain_get(id);
	if (!d)
		return -ESRCH;
	long n = domain_console_input(d, buf, len);
	domain_put(d);
	return n;
}

static int ctl_mem_set(void *ctx, uint32_t id, uint64_t mib)
{
	(void)ctx;
	struct domain *d = domain_get(id);
	if (!d)
		return -ESRCH;
	/* A Linux domain's balloon driver takes its target from xenstore
	 * (memory/target, which it watches). */
	int rc = atomic_load(&d->ended) ? -ESRCH : d->xen ? xen_store_target(d, mib)
	       : mib > d->cfg.memory_mib ? -EINVAL : memory_set_target(d, mib << 8);
	domain_put(d);
	return rc;
}

/* A running Linux PV domain of id for a device request, or NULL with
 * one line in err. */
static struct domain *dev_domain(uint32_t id, const char *kind, char *err, size_t errlen)
{
	struct domain *d = domain_get(id);
	if (d && !atomic_load(&d->ended) && d->xen && (!strcmp(kind, "block") || !strcmp(kind, "network")))
		return d;
	if (!d || atomic_load(&d->ended))
		snprintf(err, errlen, "domain %u has ended", id);
	else if (!d->xen)
		snprintf(err, errlen, "domain %s (%u) is a pvos domain: %s devices are for Linux PV domains", d->cfg.name,
		         id, kind);
	else
		snprintf(err, errlen, "no device kind '%s' (block, network)", kind);
	if (d)
		domain_put(d);
	return NULL;
}

static int ctl_dev_attach(void *ctx, uint32_t id, const char *kind, const char *spec, char *err, size_t errlen)
{
	(void)ctx;
	struct domain *d = dev_domain(id, kind, err, errlen);
	if (!d)
		return -EINVAL;
	int rc = !strcmp(kind, "block") ? xen_blkback_attach(d, spec, err, errlen)
	                                : xen_netback_hotplug(d, spec, err, errlen);
	domain_put(d);
	return rc;                        /* a network device: its number */
}

static int ctl_dev_detach(void *ctx, uint32_t id, const char *kind, const char *name, bool force, char *err,
                          size_t errlen)
{
	(void)ctx;
	struct domain *d = dev_domain(id, kind, err, errlen);
	if (!d)
		return -EINVAL;
	int rc;
	unsigned long h;
	char *end;
	if (!strcmp(kind, "block"))
		rc = xen_blkback_detach(d, name, force, 10000, err, errlen);
	else if ((h = strtoul(name, &end, 10)) > 15 || end == name || *end)
		rc = (snprintf(err, errlen, "network-detach: '%s' is not a vif number (0..3)", name), -EINVAL);
	else
		rc = xen_netback_unplug(d, (unsigned)h, force, 10000, err, errlen);
	domain_put(d);
	return rc;
}

const struct control_ops dom0_ops = {
	.create = ctl_create, .list = ctl_list, .destroy = ctl_destroy, .pause = ctl_pause,
	.unpause = ctl_unpause, .console_read = ctl_console_read, .sched_bvt = ctl_sched_bvt,
	.sched_rr = ctl_sched_rr, .sched_name = ctl_sched_name,
	.dom_get = ctl_dom_get, .dom_console_read = ctl_dom_console_read, .dom_put = ctl_dom_put,
	.console_input = ctl_console_input, .mem_set = ctl_mem_set,
	.dev_attach = ctl_dev_attach, .dev_detach = ctl_dev_detach,
};

