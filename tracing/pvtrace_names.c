/* Names for the numbers a trace carries: hypercall numbers of both ABIs
 * (pvlab's list, include/pvlab/hypercalls.h, and Xen's,
 * include/pvlab/xen_hypercalls.h, as pvmon's own tables and the trace
 * provider's enumerations) and KVM exit reasons (linux/kvm.h). */
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>

#include "pvlab/hypercalls.h"
#include "pvlab/xen_hypercalls.h"
#include "pvtrace.h"

/* A trace from another pvmon version still prints: numbers without a
 * name here come out as nr_N. */
static const char *const hcall_names[] = {
#define PVT_HCALL(name, nr) [nr] = #name,
	PV_HYPERCALLS(PVT_HCALL)
#undef PVT_HCALL
};
#define NR_HCALL_NAMES (sizeof(hcall_names) / sizeof(hcall_names[0]))

/* Xen's, as a report prints them: prefixed, never mistaken for pvlab's. */
static const char *const xen_names[] = {
#define PVT_XEN_HCALL(name, nr) [nr] = "xen:" #name,
	XEN_HYPERCALLS(PVT_XEN_HCALL)
#undef PVT_XEN_HCALL
};
#define NR_XEN_NAMES (sizeof(xen_names) / sizeof(xen_names[0]))

bool pvt_is_hcall(enum pvt_kind k)
{
	return k == PVT_HCALL_ENTRY || k == PVT_HCALL_EXIT || k == PVT_HCALL_REJECT || k == PVT_XEN_HCALL_ENTRY ||
	       k == PVT_XEN_HCALL_EXIT;
}

uint64_t pvt_hc_key(const struct pvt_ev *ev)
{
	bool xen = ev->kind == PVT_XEN_HCALL_ENTRY || ev->kind == PVT_XEN_HCALL_EXIT;
	return (ev->v[HE_NR] & 0xffffffffULL) | (xen ? PVT_XEN_HC : 0);
}

const char *pvt_hcall_name(uint64_t key, char *buf, size_t n)
{
	uint64_t nr = key & ~PVT_XEN_HC;
	if (key & PVT_XEN_HC) {
		if (nr < NR_XEN_NAMES && xen_names[nr])
			return xen_names[nr];
		snprintf(buf, n, "xen:nr_%llu", (unsigned long long)nr);
		return buf;
	}
	if (nr < NR_HCALL_NAMES && hcall_names[nr])
		return hcall_names[nr];
	snprintf(buf, n, "nr_%llu", (unsigned long long)nr);
	return buf;
}

int64_t pvt_hcall_lookup(const char *name)
{
	const char *const *names = hcall_names;
	size_t count = NR_HCALL_NAMES;
	uint64_t abi = 0;
	if (!strncmp(name, "xen:", 4)) {
		names = xen_names;
		count = NR_XEN_NAMES;
		abi = PVT_XEN_HC;
	}
	for (size_t i = 0; i < count; i++)
		if (names[i] && !strcmp(names[i], name))
			return (int64_t)(i | abi);
	unsigned long long nr;
	char tail;
	if (sscanf(name + (abi ? 4 : 0), "nr_%llu%c", &nr, &tail) == 1 && nr <= 0xffffffffULL)
		return (int64_t)(nr | abi);
	return -1;
}

const char *pvt_exit_name(uint64_t reason, char *buf, size_t n)
{
	switch (reason) {
	case KVM_EXIT_UNKNOWN: return "unknown";
	case KVM_EXIT_EXCEPTION: return "exception";
	case KVM_EXIT_IO: return "io";
	case KVM_EXIT_HYPERCALL: return "hypercall";
	case KVM_EXIT_DEBUG: return "debug";
	case KVM_EXIT_HLT: return "hlt";
	case KVM_EXIT_MMIO: return "mmio";
	case KVM_EXIT_IRQ_WINDOW_OPEN: return "irq_window_open";
	case KVM_EXIT_SHUTDOWN: return "shutdown";
	case KVM_EXIT_FAIL_ENTRY: return "fail_entry";
	case KVM_EXIT_INTR: return "intr";
	case KVM_EXIT_NMI: return "nmi";
	case KVM_EXIT_INTERNAL_ERROR: return "internal_error";
	case KVM_EXIT_SYSTEM_EVENT: return "system_event";
	case KVM_EXIT_X86_RDMSR: return "x86_rdmsr";
	case KVM_EXIT_X86_WRMSR: return "x86_wrmsr";
	default:
		snprintf(buf, n, "reason_%llu", (unsigned long long)reason);
		return buf;
	}
}
