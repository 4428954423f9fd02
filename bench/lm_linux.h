/* The Linux PV column of pvbench lmbench: workloads/lmbench.c as the
 * static program pvlm, natively and in a Linux PV domain of pvmon
 * (Debian's kernel, a busybox initramfs holding pvlm), on the same host,
 * with each row's exits to pvmon, hypercalls, emulated page-table writes
 * and bounces per operation from `pvmon --console-counters`. Where this
 * host cannot run Linux PV (pvmon info: "linux pv: no (...)") both sides
 * run in the nested AMD-V host: emulated figures, compared only with each
 * other, never with this host's. */
#ifndef PVBENCH_LM_LINUX_H
#define PVBENCH_LM_LINUX_H
#include <stdbool.h>
#include "lmrows.h"

struct lm_linux {
	struct lm_side native, pv;   /* pvlm on the host that ran Linux PV, and in the domain */
	double raw;                  /* that host's raw KVM exit, ns (the median of three) */
	bool emulated;               /* it was the nested AMD-V host under QEMU TCG */
	char host[256];              /* its words: kvm=... kvm_amd_npt=... l1_kernel=... */
	char kernel[64];             /* the domain's uname -r */
	char why[600];               /* not run: why (nothing else is set then) */
};

/* Both sides on this host or, where it cannot run Linux PV, in the nested
 * host; scale as pvlm --scale. 0; -ENOTSUP where it cannot run (no nested
 * host, no kernel, no static busybox), -EIO where a run failed; l->why
 * says which, and a failed run keeps nothing else. */
int lm_linux_measure(int scale, struct lm_linux *l);
/* `pvbench lmbench --linux-here`: both sides on this host, printed as
 * "lmlinux: ..." lines, what lm_linux_measure reads back from the nested
 * host. Exit status: 0, or 1 with "lmlinux: failed WHY". */
int lm_linux_here_cmd(int scale);
#endif
