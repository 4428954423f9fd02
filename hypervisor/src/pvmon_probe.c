/* The probes hypervisor/include/pvmon_probe.h offers pvbench, over kvm.c,
 * pvtime.c and fastpath_probe.c: callers outside hypervisor/ see none of
 * pvmon's own structures. */
#include "pvmon_probe.h"
#include "fastpath.h"
#include "kvm.h"
#include "pvtime.h"

int pvmon_probe_kvm(char *why, size_t n)
{
	time_init();
	return kvm_host_init(1, why, n);
}

const char *pvmon_probe_backend(void)
{
	return kvm_backend();
}

int pvmon_probe_raw_exit(unsigned long iters, double *ns, char *why, size_t n)
{
	return kvm_measure_exit(iters, ns, why, n);
}

void pvmon_probe_fastpath(unsigned long iters, struct pvmon_probe_fastpath *out)
{
	fastpath_set_mode("auto");
	fastpath_probe(iters);
	*out = (struct pvmon_probe_fastpath){
		.usable = fp_host.kind != FP_NONE,
		.kind = fastpath_kind_name(fp_host.kind),
		.info = fastpath_info(),
		.syscall_us = fp_host.syscall_us,
		.cr3_us = fp_host.cr3_us,
	};
}
