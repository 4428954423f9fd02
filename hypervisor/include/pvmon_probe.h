/* pvmon's start-up probes for the programs that measure pvmon (pvbench):
 * the one door into libpvmon from outside hypervisor/. What pvmon learns
 * about the host when it starts, asked the way pvmon asks it. */
#ifndef PVMON_PROBE_H
#define PVMON_PROBE_H
#include <stddef.h>

/* Start pvmon's clock and open /dev/kvm with the capabilities pvmon needs:
 * 0, or -errno with a one-line reason in why. The others need it first. */
int pvmon_probe_kvm(char *why, size_t n);
/* KVM's back end: "pvm", "vmx", "svm" or "unknown". */
const char *pvmon_probe_backend(void);
/* The raw port-I/O exit round trip of a bare CPL3 guest loop, ns per exit
 * in *ns: 0, or -errno with a one-line reason in why. */
int pvmon_probe_raw_exit(unsigned long iters, double *ns, char *why, size_t n);

/* The fast path's start-up probe as `pvmon --fast-path auto` runs it
 * (PVLAB_FAST_PATH is not read); iters: system calls the probe times. */
struct pvmon_probe_fastpath {
	int usable;              /* a back end works and pvmon would use it */
	const char *kind;        /* "pvm", "vmx", "svm" or "none" */
	const char *info;        /* pvmon info's line: the kind and why */
	double syscall_us;       /* syscall into the stub and back (usable only) */
	double cr3_us;           /* one CR3 load from the stub (usable only) */
};
void pvmon_probe_fastpath(unsigned long iters, struct pvmon_probe_fastpath *out);
#endif
