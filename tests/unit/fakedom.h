/* A domain without KVM for unit tests and fuzz targets: its memory laid out
 * by memory.c (RAM memfd, pool, grant windows), its initial kernel tables
 * built and validated by the real builder, listed in the domain table so
 * domain_get finds it. Its vCPU 0 translates hypercall pointers through
 * those tables (guest-physical = kernel-virtual). */
#ifndef PVLAB_FAKEDOM_H
#define PVLAB_FAKEDOM_H
#include <stdio.h>
#include <stdlib.h>
#include "../../hypervisor/src/domain.h"
#include "../../hypervisor/src/memory.h"
#include "../../hypervisor/src/pvmon.h"

static inline struct domain *fakedom(uint32_t id, uint64_t mib)
{
	struct domain *d = calloc(1, sizeof(*d));
	char err[256];
	d->id = id;
	d->mem_size = mib << 20;
	d->nr_vcpus = 1;
	d->vm_fd = -1;
	pthread_rwlock_init(&d->mem_lock, NULL);
	uint64_t nr, cr3 = 0;
	if (memory_layout(d, err, sizeof(err)) || !(cr3 = memory_build_tables(d, &nr, err, sizeof(err)))) {
		fprintf(stderr, "fakedom: %s\n", err);
		abort();
	}
	struct vcpu *v = &d->vcpus[0];
	v->dom = d;
	v->sregs.cr3 = v->kernel_cr3 = cr3;
	atomic_store(&d->refs, 1);
	host.domains[id] = d;
	return d;
}
#endif
