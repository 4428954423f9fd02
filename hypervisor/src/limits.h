/* Host limits pvmon lives within: file descriptors. Each domain holds a
 * few (its VM, its RAM's memfd, a vCPU and a statistics fd per vCPU), so
 * the descriptor limit, not memory, is what first caps how many domains
 * one pvmon runs. */
#ifndef PVMON_LIMITS_H
#define PVMON_LIMITS_H
#include <stdint.h>

/* Raise the soft RLIMIT_NOFILE to the hard one (once, at start) and load
 * what glibc would otherwise dlopen lazily on a thread's exit path, so a
 * run that meets the limit still fails in one line, never in an abort. */
void limits_init(void);
/* Descriptors open now (counted in /proc/self/fd), or -1. */
int limits_open_fds(void);
/* The soft and hard descriptor limits. */
void limits_nofile(uint64_t *soft, uint64_t *hard);
/* What a domain of v vCPUs holds once its RAM is mapped: its VM and, per
 * vCPU, a vCPU fd and a KVM statistics fd (pvmon run measures the second
 * domain, which pays for nothing pvmon opens once). */
#define LIMITS_FDS_PER_DOMAIN(v) (1 + 2 * (uint64_t)(v))
/* How many more domains fit in the descriptor limit, each costing
 * per_domain descriptors, keeping a margin for pvmon's own use. */
uint64_t limits_domains_left(uint64_t per_domain);
#endif
