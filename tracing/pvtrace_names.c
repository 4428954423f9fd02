/* Names for the numbers a trace carries: hypercall numbers (the ABI's
 * list, include/pvlab/hypercalls.h, as pvmon's own table and the trace
 * provider's enumeration) and KVM exit reasons (linux/kvm.h). */
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>

#include "pvlab/hypercalls.h"
#include "pvtrace.h"

/* A trace from another pvmon version still prints: numbers without a
 * name here come out as nr_N. */
static const char *const hcall_names[] = {
#define PVT_HCALL(name, nr) [nr] = #name,
	PV_HYPERCALLS(PVT_HCALL)
#undef PVT_HCALL
};
#define NR_HCALL_NAMES (sizeof(hcall_names) / sizeof(hcall_names[0]))

const char *pvt_hcall_name(uint64_t nr, char *buf, size_t n)
{
	if (nr < NR_HCALL_NAMES && hcall_names[nr])
		return hcall_names[nr];
	snprintf(buf, n, "nr_%llu", (unsigned long long)nr);
	return buf;
}

int pvt_hcall_lookup(const char *name)
{
	for (size_t i = 0; i < NR_HCALL_NAMES; i++)
		if (hcall_names[i] && !strcmp(hcall_names[i], name))
			return (int)i;
	unsigned long long nr;
	char tail;
	if (sscanf(name, "nr_%llu%c", &nr, &tail) == 1 && nr <= 0xffffffffULL)
		return (int)nr;
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
