/* What the fuzz targets over Xen's page types (fuzz_xen_mm, fuzz_xen_ptwr)
 * share: a small domain made anew for each input, the checks after a step
 * and at the end, and the abort that names what broke. */
#ifndef PVLAB_XMM_FUZZ_H
#define PVLAB_XMM_FUZZ_H
#include <stdint.h>
#include "../../hypervisor/src/xen_mm.h"

/* Print "TARGET: what: why" and abort, so that libFuzzer keeps the input. */
_Noreturn void xmm_fuzz_fail(const char *what, const char *why);
/* Make m a domain of nf frames of zeroed RAM, the shared frame at nf and
 * pvmon's first L4 slot present and read-only (frame nf + 100, outside
 * RAM); returns its RAM. nf is the same on every call of a target. */
uint64_t *xmm_fuzz_domain(struct xen_mm *m, uint64_t nf);
/* After a step: nothing marked corrupt, and the counts recomputed from
 * the typed tables, the pins and the nbase bases equal xen_mm's. */
void xmm_fuzz_check(const struct xen_mm *m, const uint64_t *base, unsigned nbase);
/* With every pin and base given back: no count left, nothing corrupt;
 * then m is destroyed. */
void xmm_fuzz_end(struct xen_mm *m);
#endif
