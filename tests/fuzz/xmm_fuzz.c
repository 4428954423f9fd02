/* xmm_fuzz.h: the domain, checks and abort of the fuzz targets over
 * xen_mm.c. The RAM is allocated once per process and zeroed per input:
 * libFuzzer runs millions of inputs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xmm_fuzz.h"

_Noreturn void xmm_fuzz_fail(const char *what, const char *why)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, why);
	abort();
}

uint64_t *xmm_fuzz_domain(struct xen_mm *m, uint64_t nf)
{
	static uint64_t *ram, ram_nf;
	static uint8_t shared[4096];
	if (!ram) {
		if (!(ram = aligned_alloc(4096, nf * 4096)))
			xmm_fuzz_fail("setup", "no memory for the domain's RAM");
		ram_nf = nf;
	}
	if (nf != ram_nf)
		xmm_fuzz_fail("setup", "the domain's size changed between inputs");
	memset(ram, 0, nf * 4096);
	if (xmm_init(m, ram, nf, nf, shared, NULL))
		xmm_fuzz_fail("setup", "xmm_init failed");
	m->hv_l4e[0] = (nf + 100) << 12 | XMM_PTE_P;
	return ram;
}

void xmm_fuzz_check(const struct xen_mm *m, const uint64_t *base, unsigned nbase)
{
	char why[200];
	if (m->corrupt)
		xmm_fuzz_fail("corrupt", m->corrupt);
	if (xmm_check(m, base, nbase, why, sizeof(why)))
		xmm_fuzz_fail("check", why);
}

void xmm_fuzz_end(struct xen_mm *m)
{
	for (uint64_t f = 0; f < m->nr_frames; f++)
		if (m->pg[f].count)
			xmm_fuzz_fail("leak", "a count left after every pin and base went");
	if (m->corrupt)
		xmm_fuzz_fail("corrupt", m->corrupt);
	xmm_destroy(m);
}
