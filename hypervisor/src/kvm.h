/* Host set-up: /dev/kvm, its capabilities, and what pvmon learns by
 * probing it at start (how I/O exits leave RIP, the TSC rate, exit cost). */
#ifndef PVMON_KVM_H
#define PVMON_KVM_H
#include <stddef.h>
#include <stdint.h>

/* 0 or -errno with a one-line reason in err. */
int kvm_host_init(int nr_pcpus, char *err, size_t errlen);
/* Raw port-I/O exit round trip of a bare CPL3 guest loop, ns per exit. */
int kvm_measure_exit(unsigned long iters, double *ns_per_exit, char *err, size_t errlen);
const char *kvm_backend(void);    /* "pvm", "vmx", "svm" or "unknown" */
#endif
