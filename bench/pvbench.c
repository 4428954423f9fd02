/* pvbench: benchmarks of pvlab, each printing numbers and ratios measured
 * in one run (never a pass/fail on time: machines are shared and noisy).
 * This file holds the command table and the helpers the commands share;
 * each command lives in a file of its own. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"
#include "numparse.h"
#include "pvmon_probe.h"

char bindir[PATH_MAX];

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
	{ "hcall", cmd_hcall },
	{ "cpu", cmd_cpu },
	{ "run", cmd_run },
	{ "report", cmd_report },
	{ "worker", cmd_worker },
	{ "lmbench", cmd_lmbench },
	{ "fastpath", cmd_fastpath },
	{ "netflip", cmd_netflip },
	{ "rep", cmd_rep },
	{ "fleet", cmd_fleet },
	{ NULL, NULL },
};

void bench_usage(FILE *f)
{
	fprintf(f,
	"usage: pvbench COMMAND [OPTIONS]\n"
	"  hcall [--iters N] [--reps N] [--no-trace] [--json]\n"
	"        raw KVM port-I/O exit round trip (bare guest loop), pvmon null\n"
	"        hypercall with tracing off and with an LTTng session recording\n"
	"        hypercall events, multicall per-call cost at batch 1/16/256, ratios\n"
	"  lmbench [--quick] [--json] [--no-linux]\n"
	"        lmbench-style microbenchmarks (null syscall, context switch, faults,\n"
	"        mmap, fork, exec, pipe bandwidth) natively and in a pvos process, with\n"
	"        pvos/native ratios (Tables 3-4 of the paper); mmu_update per entry by\n"
	"        batch size; trapped vs batched page-table writes for a 16 MiB space;\n"
	"        then the Linux PV column: the same static program (pvlm) natively and\n"
	"        in a Linux PV domain (Debian's kernel, a busybox initramfs), with\n"
	"        exits to pvmon, hypercalls, emulated page-table writes and bounces per\n"
	"        operation; where this host cannot run Linux PV, both sides in the\n"
	"        nested AMD-V host (emulated figures; minutes). --no-linux leaves it out\n"
	"  lmbench --linux-here [--quick]\n"
	"        (used by lmbench) the Linux PV column on this machine, as lmlinux: lines\n"
	"  fastpath [--iters N] [--reps N] [--json]\n"
	"        null system call from a pvos process and page-fault round trips\n"
	"        through the fast path and the baseline (--fast-path off), next to\n"
	"        native Linux (perf bench syscall basic, getppid, first-touch faults,\n"
	"        SIGSEGV) and the raw exit cost, with ratios\n"
	"  netflip [--packets N] [--sizes LIST] [--quick] [--json]\n"
	"        page flipping against copying: a pvos domain receives N packets\n"
	"        (default 20000, --quick 2000) of each size (default 64,1500,4096\n"
	"        bytes) from pvmon's network back end, by page flip and by grant\n"
	"        copy, each checked; packets/s, MB/s and per packet pvmon's counts\n"
	"        of exits, hypercalls, mmu updates, flips, bytes copied and events\n"
	"        both ways, with the flip/copy ratio per size and the raw exit cost\n"
	"  cpu [--reps N]\n"
	"        the CPU kernels of workloads/cpu.c natively and in a pvos\n"
	"        domain (best of N each); relative performance native/pvos\n"
	"  run --suite quick|full|FILE [--db FILE] [--reps N] [--platforms LIST]\n"
	"      [--trace] [--counters] [--new] [--no-nested]\n"
	"        run a suite's cells (platform x workload x domains) and keep every\n"
	"        raw sample in an SQLite database (default results.db); a second run\n"
	"        with the same suite and options resumes the unfinished one, --new\n"
	"        starts afresh; LIST: native,pv,pvos,fullvirt,uml (docs/results.md):\n"
	"        pv runs every workload in a Linux PV domain of pvmon (Debian's\n"
	"        kernel), pvos in domains of pvlab's own kernel (cpu, hcall, lmbench).\n"
	"        pvos without KVM, and pv and fullvirt without VT-x/AMD-V KVM, run in\n"
	"        the nested AMD-V host (scripts/nested-svm.sh) against native measured\n"
	"        there; --no-nested keeps them here (unsupported where they cannot run)\n"
	"  report --db FILE|postgresql://... [--out DIR] [--run ID]\n"
	"        the R analysis of a results database: DIR/index.html (default\n"
	"        report/) and the plots as PNG and SVG; the newest run by default;\n"
	"        a run of several hosts (fleet) also DIR/per-host.txt\n"
	"  rep [--timeout S] PLATFORM/WORKLOAD/DOMAINS[/quick]...  |  rep --probe\n"
	"        (used by run) one repetition of these cells on this machine, one\n"
	"        measurement where they share one, printed as pvbench-rep: lines;\n"
	"        pvbench run starts it in the nested AMD-V host for its nested cells\n"
	"  fleet run --inventory FILE --suite S --db postgresql://... [--limit HOSTS] [--trace]\n"
	"      [--new]\n"
	"        a suite on every host of an Ansible inventory (bench/fleet/pvbench.yml\n"
	"        installs the packages, copies this build, runs the cells), each\n"
	"        repetition written to PostgreSQL as it ends, tagged with its host;\n"
	"        the suite's 'fleet replicate|spread' says whether each host runs every\n"
	"        cell or a share of them. A second identical command resumes the run,\n"
	"        rerunning the cells of hosts lost on the way; --limit: Ansible's host\n"
	"        pattern for this session; --trace: the pvos repetitions' LTTng sessions go\n"
	"        to one lttng-relayd started here, pvtrace summarises each host and all\n"
	"        (traces/fleet-runID/) (docs/fleet.md)\n"
	"  fleet work --run ID --host NAME [--trace-ports CTRL:DATA]\n"
	"        (used by fleet run, on each host) that host's cells; PVBENCH_DB: the URL\n"
	"  worker cpu [--instances N]\n"
	"        the native platform's cpu workload (used by run): N host processes\n"
	"        run the CPU kernels once each, printing the lines pvos's prog=cpu prints\n"
	"  -h, --help   this text\n");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int bench_opt_int(const char *opt, const char *arg, int lo, int hi, int *out)
{
	if (!num_int(arg, lo, hi, out))
		return 0;
	fprintf(stderr, "pvbench: --%s must be a number in %d..%d, not '%s'\n", opt, lo, hi, arg);
	return 2;
}

int bench_opt_ulong(const char *opt, const char *arg, unsigned long lo, unsigned long hi, unsigned long *out)
{
	uint64_t v;
	if (!num_u64(arg, lo, hi, &v)) {
		*out = (unsigned long)v;
		return 0;
	}
	fprintf(stderr, "pvbench: --%s must be a number in %lu..%lu, not '%s'\n", opt, lo, hi, arg);
	return 2;
}

int bench_kvm_usable(char *why, size_t n)
{
	return pvmon_probe_kvm(why, n) ? -ENODEV : 0;
}

int bench_kvm_init(void)
{
	char err[256];
	if (!bench_kvm_usable(err, sizeof(err)))
		return 0;
	fprintf(stderr, "pvbench: %s\n", err);
	return 1;
}

int bench_raw_exit(unsigned long iters, double *ns, char *why, size_t n)
{
	char err[256], line[300];
	int rc = pvmon_probe_raw_exit(iters, ns, err, sizeof(err));
	if (!rc && !(*ns > 0)) {       /* no exit counted: nothing was measured */
		snprintf(err, sizeof(err), "the guest loop took no exit");
		rc = -EIO;
	}
	if (!rc)
		return 0;
	snprintf(line, sizeof(line), "raw exit loop: %s", err);
	if (why)
		snprintf(why, n, "%s", line);
	else
		fprintf(stderr, "pvbench: %s\n", line);
	return 1;
}

const char *json_num(char buf[32], const char *fmt, double v, int have)
{
	if (have)
		snprintf(buf, 32, fmt, v);
	else
		snprintf(buf, 32, "null");
	return buf;
}

int sh(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Write a one-domain config of mib MiB running cmdline; returns 0 or -errno. */
int write_cfg(char *path, const char *cmdline, unsigned mib)
{
	int fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	FILE *f = fdopen(fd, "w");
	fprintf(f, "name = \"bench\"\nmemory = %u\nkernel = \"%s/../guest/pvos.elf\"\ncmdline = \"%s\"\n",
	        mib, bindir, cmdline);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		fprintf(stderr, "pvbench: cannot find my own path\n");
		return 1;
	}
	self[n] = 0;
	snprintf(bindir, sizeof(bindir), "%s", dirname(self));
	if (argc < 2) {
		bench_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		bench_usage(stdout);
		return 0;
	}
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "pvbench: unknown command '%s' (try --help)\n", argv[1]);
	return 2;
}
