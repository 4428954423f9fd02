/* pvbench cpu: the CPU kernels of workloads/cpu.c natively and in a
 * pvos domain, relative performance native/pvos. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench.h"
#include "monoclock.h"
#include "../workloads/cpu.h"

int cmd_cpu(int argc, char **argv)
{
	int reps = 3;
	static const struct option opts[] = {
		{ "reps", required_argument, 0, 'r' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int c, rc;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if ((rc = bench_opt_int("reps", optarg, 1, 100, &reps)))
				return rc;
			break;
		case 'h': bench_usage(stdout); return 0;
		default: bench_usage(stderr); return 2;
		}
	}
	double native[16], pv[16];
	for (int i = 0; i < nr_cpu_kernels && i < 16; i++) {
		const struct cpu_kernel *k = &cpu_kernels[i];
		void *scratch = malloc(k->scratch_bytes + 1);
		native[i] = 1e30;
		for (int r = 0; r < reps; r++) {
			memset(scratch, 0, k->scratch_bytes + 1);
			uint64_t t0 = mono_ns();
			uint64_t res = k->fn(scratch);
			double dt = (double)(mono_ns() - t0);
			if (res != k->expect) {
				fprintf(stderr, "pvbench: native %s returned %llu, expected %llu\n", k->name,
				        (unsigned long long)res, (unsigned long long)k->expect);
				free(scratch);
				return 1;
			}
			if (dt < native[i])
				native[i] = dt;
		}
		free(scratch);
		pv[i] = 0;
	}
	char cfg[] = "/tmp/pvbench-cpu-XXXXXX", cmdline[64], cmd[PATH_MAX * 2], line[512];
	snprintf(cmdline, sizeof(cmdline), "prog=cpu reps=%d", reps);
	if (write_cfg(cfg, cmdline, 32))
		return 1;
	snprintf(cmd, sizeof(cmd), "'%s/pvmon' --pcpus 1 run '%s' 2>&1", bindir, cfg);
	FILE *p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		char name[32];
		unsigned long long res, ns;
		char *s = strstr(line, "cpu: ");
		if (!s || sscanf(s, "cpu: %31s result=%llu best_ns=%llu", name, &res, &ns) != 3)
			continue;
		for (int i = 0; i < nr_cpu_kernels; i++)
			if (!strcmp(cpu_kernels[i].name, name) && res == cpu_kernels[i].expect)
				pv[i] = (double)ns;
	}
	int st = p ? pclose(p) : -1;
	unlink(cfg);
	if (st != 0) {
		fprintf(stderr, "pvbench: the pvos cpu domain failed (status %d)\n", st);
		return 1;
	}
	printf("pvbench cpu (best of %d runs each, native and pvos in one run)\n", reps);
	printf("  %-8s %12s %12s %10s\n", "kernel", "native ms", "pvos ms", "native/pvos");
	double logsum = 0;
	for (int i = 0; i < nr_cpu_kernels; i++) {
		if (!pv[i]) {
			fprintf(stderr, "pvbench: no pvos result for %s\n", cpu_kernels[i].name);
			return 1;
		}
		double rel = native[i] / pv[i];
		logsum += log(rel);
		printf("  %-8s %12.3f %12.3f %10.3f\n", cpu_kernels[i].name, native[i] / 1e6, pv[i] / 1e6, rel);
	}
	printf("  geometric mean native/pvos %.3f (budget >= 0.97)\n", exp(logsum / nr_cpu_kernels));
	return 0;
}

