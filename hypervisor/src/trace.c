/* pvmon's tracepoints (trace.h) on LTTng-UST with dynamic linkage: pvmon
 * holds the tracepoint sites and links only -ldl; the probes live in
 * libpvmon-tp.so, which trace_init() dlopen()s when it can be found. */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace.h"

/* DEFINE puts the tracepoint sites here; DYNAMIC_LINKAGE keeps the provider
 * symbol out, so the link needs no liblttng-ust. The headers compile
 * warning-free under -Wall -Wextra (gcc 12, clang 14), no pragma needed. */
#define LTTNG_UST_TRACEPOINT_DEFINE
#define LTTNG_UST_TRACEPOINT_PROBE_DYNAMIC_LINKAGE
#include "../../tracing/pvmon_tp.h"

#define TP_LIB_NAME "libpvmon-tp.so"

static pthread_once_t trace_once = PTHREAD_ONCE_INIT;
static bool provider_loaded;   /* written once under trace_once */

/* "<dir of /proc/self/exe>/../lib/libpvmon-tp.so", or "" if unknown. */
static void exe_relative_path(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	out[0] = '\0';
	if (n <= 0)
		return;
	exe[n] = '\0';
	snprintf(out, len, "%s/../lib/" TP_LIB_NAME, dirname(exe));
}

/* Why the provider did not load: the first error about a file that exists
 * (e.g. liblttng-ust.so.1 missing) beats any "no such file". */
struct load_error {
	char msg[512];
	bool file_exists;
};

/* Never dlclose()d: a probe may still run on another thread. */
static bool try_load(const char *path, struct load_error *why)
{
	if (!path || !path[0])
		return false;
	if (dlopen(path, RTLD_NOW))
		return true;
	const char *e = dlerror();
	if (!why->file_exists) {
		snprintf(why->msg, sizeof(why->msg), "%s", e ? e : path);
		why->file_exists = access(path, F_OK) == 0;
	}
	return false;
}

static void trace_load_provider(void)
{
	char exe_path[PATH_MAX + 16];
	struct load_error why = { "", false };

	exe_relative_path(exe_path, sizeof(exe_path));
	bool ok = try_load(getenv("PVLAB_TP_LIB"), &why) ||
		try_load(exe_path, &why) ||
		try_load(TP_LIB_NAME, &why);
	__atomic_store_n(&provider_loaded, ok, __ATOMIC_RELEASE);
	if (!ok && getenv("PVLAB_TRACE_VERBOSE"))
		fprintf(stderr, "pvmon: tracing off, LTTng provider not loaded: %s "
			"(tracing needs liblttng-ust1 and <prefix>/lib/" TP_LIB_NAME
			"; PVLAB_TP_LIB=PATH overrides)\n", why.msg);
}

void trace_init(void)
{
	pthread_once(&trace_once, trace_load_provider);
}

bool trace_provider_loaded(void)
{
	return __atomic_load_n(&provider_loaded, __ATOMIC_ACQUIRE);
}

bool trace_hcall_enabled(void)
{
	return lttng_ust_tracepoint_enabled(pvmon, hcall_entry) ||
		lttng_ust_tracepoint_enabled(pvmon, hcall_exit);
}

/* Each wrapper: one load and a not-taken branch while no session listens. */
void trace_hcall_entry(uint32_t dom, uint32_t vcpu, uint32_t nr, const uint64_t args[5])
{
	lttng_ust_tracepoint(pvmon, hcall_entry, dom, vcpu, nr, args);
}

void trace_hcall_exit(uint32_t dom, uint32_t vcpu, uint32_t nr, int64_t result, uint64_t latency_ns)
{
	lttng_ust_tracepoint(pvmon, hcall_exit, dom, vcpu, nr, result, latency_ns);
}

void trace_hcall_reject(uint32_t dom, uint32_t vcpu, uint32_t nr, const char *what, uint64_t value, int err)
{
	lttng_ust_tracepoint(pvmon, hcall_reject, dom, vcpu, nr, what, value, err);
}

bool trace_xen_hcall_enabled(void)
{
	return lttng_ust_tracepoint_enabled(pvmon, xen_hcall_entry) ||
		lttng_ust_tracepoint_enabled(pvmon, xen_hcall_exit);
}

void trace_xen_hcall_entry(uint32_t dom, uint32_t vcpu, uint32_t nr, const uint64_t args[5])
{
	lttng_ust_tracepoint(pvmon, xen_hcall_entry, dom, vcpu, nr, args);
}

void trace_xen_hcall_exit(uint32_t dom, uint32_t vcpu, uint32_t nr, int64_t result, uint64_t latency_ns)
{
	lttng_ust_tracepoint(pvmon, xen_hcall_exit, dom, vcpu, nr, result, latency_ns);
}

void trace_xen_ptwr(uint32_t dom, uint32_t vcpu, uint64_t va, uint64_t maddr, uint64_t old, uint64_t new,
	uint64_t rip, int err)
{
	lttng_ust_tracepoint(pvmon, xen_ptwr, dom, vcpu, va, maddr, old, new, rip, (int32_t)err);
}

void trace_xen_bounce(uint32_t dom, uint32_t vcpu, uint32_t vector, uint64_t rip, uint64_t handler,
	const char *what)
{
	lttng_ust_tracepoint(pvmon, xen_bounce, dom, vcpu, vector, rip, handler, what);
}

void trace_blk_request(uint32_t dom, uint32_t dev, uint32_t op, uint64_t sector, uint32_t nsect, int status,
	uint64_t latency_ns)
{
	lttng_ust_tracepoint(pvmon, blk_request, dom, dev, op, sector, nsect, (int32_t)status, latency_ns);
}

void trace_blk_batch(uint32_t dom, uint32_t dev, uint32_t batch, bool notified)
{
	lttng_ust_tracepoint(pvmon, blk_batch, dom, dev, batch, notified);
}

void trace_net_tx(uint32_t dom, uint32_t vif, uint32_t len)
{
	lttng_ust_tracepoint(pvmon, net_tx, dom, vif, len);
}

void trace_net_rx(uint32_t dom, uint32_t vif, uint32_t len)
{
	lttng_ust_tracepoint(pvmon, net_rx, dom, vif, len);
}

void trace_net_batch(uint32_t dom, uint32_t vif, uint32_t ring, uint32_t batch, bool notified)
{
	lttng_ust_tracepoint(pvmon, net_batch, dom, vif, ring, batch, notified);
}

void trace_net_sched(uint32_t dom, uint32_t vif, bool deferred)
{
	lttng_ust_tracepoint(pvmon, net_sched, dom, vif, deferred);
}

void trace_vfr(uint32_t dom, uint32_t vif, uint32_t dir, uint32_t rule, uint32_t action)
{
	lttng_ust_tracepoint(pvmon, vfr, dom, vif, dir, rule, action);
}

void trace_xen_emulate(uint32_t dom, uint32_t vcpu, uint64_t rip, const char *what, uint64_t value)
{
	lttng_ust_tracepoint(pvmon, xen_emulate, dom, vcpu, rip, what, value);
}

bool trace_xen_stub_enabled(void)
{
	return lttng_ust_tracepoint_enabled(pvmon, xen_stub);
}

void trace_xen_stub(uint32_t dom, uint32_t vcpu, const char *what, int hypercall, int bounce, uint64_t arg0,
	uint64_t arg1, uint64_t time_ns, uint64_t tsc)
{
	lttng_ust_tracepoint(pvmon, xen_stub, dom, vcpu, what, (int32_t)hypercall, (int32_t)bounce, arg0, arg1,
		time_ns, tsc);
}

void trace_sched_switch(uint32_t cpu, int32_t prev_dom, int32_t prev_vcpu, int32_t next_dom,
	int32_t next_vcpu, const char *reason, uint64_t slice_ns)
{
	lttng_ust_tracepoint(pvmon, sched_switch, cpu, prev_dom, prev_vcpu, next_dom, next_vcpu,
		reason, slice_ns);
}

void trace_sched_wake(uint32_t dom, uint32_t vcpu, const char *why)
{
	lttng_ust_tracepoint(pvmon, sched_wake, dom, vcpu, why);
}

void trace_evtchn_send(uint32_t dom, uint32_t port, uint32_t remote_dom, uint32_t remote_port)
{
	lttng_ust_tracepoint(pvmon, evtchn_send, dom, port, remote_dom, remote_port);
}

void trace_vm_exit(uint32_t dom, uint32_t vcpu, uint32_t kvm_reason, uint64_t rip)
{
	lttng_ust_tracepoint(pvmon, vm_exit, dom, vcpu, kvm_reason, rip);
}

void trace_domain_create(uint32_t dom, const char *name, uint64_t mem_mib, uint32_t vcpus)
{
	lttng_ust_tracepoint(pvmon, domain_create, dom, name, mem_mib, vcpus);
}

void trace_domain_destroy(uint32_t dom, int32_t exit_code, bool crashed)
{
	lttng_ust_tracepoint(pvmon, domain_destroy, dom, exit_code, crashed ? 1 : 0);
}

void trace_tlb_flush(uint32_t dom, uint32_t vcpu, const char *kind, uint64_t addr)
{
	lttng_ust_tracepoint(pvmon, tlb_flush, dom, vcpu, kind, addr);
}

void trace_mmu_update(uint32_t dom, uint32_t vcpu, uint32_t size, uint32_t applied,
	uint32_t rejected, uint64_t latency_ns)
{
	lttng_ust_tracepoint(pvmon, mmu_update, dom, vcpu, size, applied, rejected, latency_ns);
}

void trace_page_flip(uint32_t dom, uint32_t remote_dom, uint64_t gfn, uint64_t remote_gfn)
{
	lttng_ust_tracepoint(pvmon, page_flip, dom, remote_dom, gfn, remote_gfn);
}

void trace_pvnet_rx(uint32_t dom, uint32_t len, const char *mode)
{
	lttng_ust_tracepoint(pvmon, pvnet_rx, dom, len, mode);
}

void trace_pvnet_batch(uint32_t dom, uint32_t batch, bool notified)
{
	lttng_ust_tracepoint(pvmon, pvnet_batch, dom, batch, notified ? 1 : 0);
}

void trace_grant_copy(uint32_t dom, uint32_t remote_dom, uint32_t bytes)
{
	lttng_ust_tracepoint(pvmon, grant_copy, dom, remote_dom, bytes);
}
