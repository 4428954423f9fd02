/* The lmbench-style benchmarks as pvos user programs: their entry points.
 * The benchmarks are workloads/lmbench.c, which guest/rules.mk builds for
 * pvos's user section (-DLM_PVOS: no libc, no writable globals). */
#define LM_PVOS 1
#include "../../workloads/lm_os.h"

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
