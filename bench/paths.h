/* Where pvbench finds the source tree's files (suites, platform drivers,
 * the R analysis): environment overrides first, then the tree it was
 * built from. */
#ifndef PVBENCH_PATHS_H
#define PVBENCH_PATHS_H
/* $PVLAB_ROOT, else the directory make was run in when pvbench was built. */
const char *bench_srcdir(void);
/* $PVBENCH_PLATFORMS_DIR, else SRCDIR/bench/platforms. */
const char *bench_platforms_dir(void);
#endif
