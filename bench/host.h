/* Host facts recorded with every run (docs/results.md, table runs). */
#ifndef PVBENCH_HOST_H
#define PVBENCH_HOST_H
#include "db.h"
/* kvm_backend: what the pvos platform's detection found, or why not. */
void host_facts(struct host_facts *h, const char *kvm_backend);
#endif
