/* pvcpu: the CPU kernels of workloads/cpu.c as a static host program,
 * the one that runs on native, full-virt and uml. Each kernel runs --reps
 * times; its best time is printed as a sample line (docs/platforms.md).
 * A kernel whose result differs from the expected one fails the run. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../../workloads/cpu.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: pvcpu [--reps N] [--kernel NAME]... [--list]\n"
	           "Runs the CPU kernels (best of N runs, default 3) and prints per kernel\n"
	           "  sample metric=NAME_ms unit=ms higher=0 value=BEST_MS\n"
	           "--kernel NAME  only this kernel (repeatable); --list  kernel names\n"
	           "Exit status: 0 ok, 1 a kernel returned a wrong result, 2 usage error.\n");
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Best wall time of reps runs in ms, or -EIO when the result is wrong. */
static int run_kernel(const struct cpu_kernel *k, int reps, double *best)
{
	/* the kernels index scratch as uint32_t/uint64_t arrays */
	size_t bytes = (k->scratch_bytes + 4095) & ~(size_t)4095;
	void *scratch = bytes ? aligned_alloc(4096, bytes) : NULL;
	if (bytes && !scratch)
		return -ENOMEM;
	*best = 1e300;
	for (int r = 0; r < reps; r++) {
		if (scratch)
			memset(scratch, 0, bytes);   /* the kernels expect zeroed scratch */
		double t0 = now_ms();
		uint64_t res = k->fn(scratch);
		double dt = now_ms() - t0;
		if (res != k->expect) {
			fprintf(stderr, "pvcpu: %s returned %llu, expected %llu\n", k->name,
			        (unsigned long long)res, (unsigned long long)k->expect);
			free(scratch);
			return -EIO;
		}
		if (dt < *best)
			*best = dt;
	}
	free(scratch);
	return 0;
}

static int selected(const char *name, char **only, int nonly)
{
	if (!nonly)
		return 1;
	for (int i = 0; i < nonly; i++)
		if (!strcmp(only[i], name))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reps", required_argument, 0, 'r' }, { "kernel", required_argument, 0, 'k' },
		{ "list", no_argument, 0, 'l' },       { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	char *only[32];
	int reps = 3, nonly = 0, c;
	while ((c = getopt_long(argc, argv, "r:k:lh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 1000) {
				fprintf(stderr, "pvcpu: --reps must be 1..1000, not '%s'\n", optarg);
				return 2;
			}
			reps = (int)v;
			break;
		}
		case 'k':
			if (nonly == 32) {
				fprintf(stderr, "pvcpu: at most 32 --kernel options\n");
				return 2;
			}
			only[nonly++] = optarg;
			break;
		case 'l':
			for (int i = 0; i < nr_cpu_kernels; i++)
				printf("%s\n", cpu_kernels[i].name);
			return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pvcpu: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	for (int i = 0; i < nonly; i++) {
		int found = 0;
		for (int k = 0; k < nr_cpu_kernels; k++)
			found |= !strcmp(cpu_kernels[k].name, only[i]);
		if (!found) {
			fprintf(stderr, "pvcpu: no kernel '%s' (see --list)\n", only[i]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);  /* each sample reaches a console as it is made */
	for (int i = 0; i < nr_cpu_kernels; i++) {
		const struct cpu_kernel *k = &cpu_kernels[i];
		if (!selected(k->name, only, nonly))
			continue;
		double best;
		int rc = run_kernel(k, reps, &best);
		if (rc == -ENOMEM) {
			fprintf(stderr, "pvcpu: out of memory for %s (%zu bytes)\n", k->name, k->scratch_bytes);
			return 1;
		}
		if (rc)
			return 1;
		printf("sample metric=%s_ms unit=ms higher=0 value=%.3f\n", k->name, best);
	}
	return 0;
}
