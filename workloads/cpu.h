/* CPU-bound kernels (SPEC-INT-like: sieve, recursion, checksums, sorting,
 * a bytecode interpreter, indirect calls, LZ77 compression, hashing, graph
 * search) shared by the native host build, pvcpu and pvos, so every
 * platform runs the same code.
 * Freestanding: integers only, no library calls; each kernel gets a zeroed
 * scratch buffer of scratch_bytes and returns a result that must equal
 * expect on every platform. */
#ifndef PVLAB_WORKLOADS_CPU_H
#define PVLAB_WORKLOADS_CPU_H
#include <stddef.h>
#include <stdint.h>

struct cpu_kernel {
	const char *name;
	uint64_t (*fn)(void *scratch);
	uint64_t expect;
	size_t scratch_bytes;
};

extern const struct cpu_kernel cpu_kernels[];
extern const int nr_cpu_kernels;
#endif
