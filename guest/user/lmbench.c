/* The lmbench-style benchmarks as pvos user programs: the shared source,
 * built for pvos (the user section: no libc, no writable globals). */
#define LM_PVOS 1
#include "../../bench/lmbench/lmbench.c"

void lmbench_main(long scale);
void lmbench_main(long scale)
{
	lm_run(scale > 0 ? scale : 1);
	u_exit(0);
}

void lmexit_main(long arg);
void lmexit_main(long arg)
{
	u_exit(arg);
}
