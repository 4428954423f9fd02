/* Source-tree paths for pvbench; see paths.h. PVLAB_SRCDIR comes from
 * bench/rules.mk so that an installed or copied binary still finds the
 * suites of the tree it was built from. */
#include <stdio.h>
#include <stdlib.h>
#include "paths.h"

#ifndef PVLAB_SRCDIR
#define PVLAB_SRCDIR "."
#endif

const char *bench_srcdir(void)
{
	const char *r = getenv("PVLAB_ROOT");
	return r && *r ? r : PVLAB_SRCDIR;
}

const char *bench_platforms_dir(void)
{
	static char dir[4096];
	const char *e = getenv("PVBENCH_PLATFORMS_DIR");
	if (e && *e)
		return e;
	snprintf(dir, sizeof(dir), "%s/bench/platforms", bench_srcdir());
	return dir;
}
