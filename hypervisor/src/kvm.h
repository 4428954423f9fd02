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
const char *kvm_backend(void);

/* A scratch VM for start-up probes: one vCPU with its run area mapped and
 * mem_size bytes of RAM at guest-physical 0. Open fails with -errno and a
 * one-line reason; close takes what open got, even half of it. */
struct kvm_run;
struct kvm_scratch {
	int vm, cpu;
	uint8_t *mem;
	size_t mem_size;
	struct kvm_run *run;
};
int kvm_scratch_open(struct kvm_scratch *s, size_t mem_size, char *err, size_t errlen);
void kvm_scratch_close(struct kvm_scratch *s);

/* KVM's binary statistics of one vCPU (KVM_GET_STATS_FD): pvmon reads the
 * few counters it reports, by name, with one pread each. */
enum kvm_stat { KS_EXITS, KS_INSN_EMULATION, KS_IO_EXITS, KS_HALT_EXITS, KS_MMIO_EXITS, KS_NR };
extern const char *const kvm_stat_names[KS_NR];
struct kvm_stats {
	int fd;                      /* -1: not available */
	int64_t off[KS_NR];          /* file offset of each value, -1 if absent */
};
void kvm_stats_open(struct kvm_stats *s, int vcpu_fd);
void kvm_stats_read(const struct kvm_stats *s, uint64_t out[KS_NR]);   /* absent: 0 */
void kvm_stats_close(struct kvm_stats *s);    /* "pvm", "vmx", "svm" or "unknown" */
#endif
