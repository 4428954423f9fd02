/* The pvos platform: workloads in domains of pvos, pvlab's own small
 * paravirtual kernel (not XenoLinux), under one pvmon. A cell of N
 * domains is one `pvmon run` of N configs (d1..dN); their console lines
 * give the samples, --stats-json gives pvmon's accounting per domain, and
 * the hcall workload gets the raw KVM exit measured in the same
 * repetition beside it. The workloads that need Linux are the pv
 * platform's (ext.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bench.h"
#include "platform.h"
#include "pvmon_probe.h"
#include "spawn.h"

#define HCALL_ITERS 3000

static int pvos_detect(const struct platform_ops *self, char *detail, size_t n, char *reason, size_t rn)
{
	(void)self;
	char path[PATH_MAX + 32], err[256];
	snprintf(path, sizeof(path), "%s/pvmon", bindir);
	if (access(path, X_OK)) {
		snprintf(reason, rn, "%s is not built", path);
		return -ENOTSUP;
	}
	snprintf(path, sizeof(path), "%s/../guest/pvos.elf", bindir);
	if (access(path, R_OK)) {
		snprintf(reason, rn, "the pvos guest kernel %s is not built", path);
		return -ENOTSUP;
	}
	if (pvmon_probe_kvm(err, sizeof(err))) {
		snprintf(reason, rn, "no usable KVM: %s", err);
		return -ENOTSUP;
	}
	snprintf(detail, n, "kvm=%s pcpus=%ld sched=bvt", pvmon_probe_backend(), sysconf(_SC_NPROCESSORS_ONLN));
	return 0;
}

static int pvos_supports(const char *workload, char *reason, size_t n)
{
	if (!strcmp(workload, "cpu") || !strcmp(workload, "hcall"))
		return 0;
	if (!strcmp(workload, "lmbench"))
		return lmbench_supported(reason, n);
	if (pv_linux_workload(workload))
		snprintf(reason, n, "%s needs Linux (pvos has no TCP/IP stack or block devices): the pv platform runs it "
		         "in a Linux PV domain", workload);
	else
		snprintf(reason, n, "%s is not a workload of the pvos platform", workload);
	return -ENOTSUP;
}

/* N configs d1..dN in dir, each running cmdline; 0 or -errno. */
static int write_configs(const char *dir, int n, int mem_mib, const char *cmdline)
{
	for (int k = 1; k <= n; k++) {
		char path[PATH_MAX + 32];
		snprintf(path, sizeof(path), "%s/d%d.cfg", dir, k);
		FILE *f = fopen(path, "w");
		if (!f)
			return -errno;
		fprintf(f, "name = \"d%d\"\nmemory = %d\nkernel = \"%s/../guest/pvos.elf\"\ncmdline = \"%s\"\n", k,
		        mem_mib, bindir, cmdline);
		if (fclose(f))
			return -EIO;
	}
	return 0;
}

static void on_console(void *ctx, int fd, char *line)
{
	if (fd == 1)
		parse_console(ctx, line);
}

/* pvmon's --stats-json lines: one per domain that ended. */
static int read_stats(const char *path, struct rep_result *r, int n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	char line[2048];
	while (fgets(line, sizeof(line), f)) {
		struct dom_stat d;
		if (parse_stats_json(line, &d) || d.instance < 1 || d.instance > n)
			continue;
		if (r->nd == r->cap_d) {
			int cap = r->cap_d ? r->cap_d * 2 : 16;
			struct dom_stat *p = realloc(r->d, (size_t)cap * sizeof(*p));
			if (!p)
				break;
			r->d = p;
			r->cap_d = cap;
		}
		r->d[r->nd++] = d;
	}
	fclose(f);
	return 0;
}

static void cleanup(const char *dir, int n)
{
	char path[PATH_MAX + 32];
	for (int k = 1; k <= n; k++) {
		snprintf(path, sizeof(path), "%s/d%d.cfg", dir, k);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/stats.json", dir);
	unlink(path);
	rmdir(dir);
}

static void free_argv(char **argv)
{
	for (char **p = argv; p && *p; p++)
		free(*p);
	free(argv);
}

/* argv: pvmon --stats-json FILE [--trace DIR] run d1.cfg ... dN.cfg;
 * NULL when out of memory. */
static char **pvmon_argv(const char *dir, const struct cell_ctx *c)
{
	int n = c->cell->domains, a = 0;
	char **argv = calloc((size_t)n + 8, sizeof(*argv));
	char buf[PATH_MAX + 64];
	if (!argv)
		return NULL;
	for (int i = 0; i < n + 6; i++) {
		if (i == 0)
			snprintf(buf, sizeof(buf), "%s/pvmon", bindir);
		else if (i == 1)
			snprintf(buf, sizeof(buf), "--stats-json");
		else if (i == 2)
			snprintf(buf, sizeof(buf), "%s/stats.json", dir);
		else if (i == 3 || i == 4) {
			if (!c->trace_dir)
				continue;
			snprintf(buf, sizeof(buf), "%s", i == 3 ? "--trace" : c->trace_dir);
		} else if (i == 5)
			snprintf(buf, sizeof(buf), "run");
		else
			snprintf(buf, sizeof(buf), "%s/d%d.cfg", dir, i - 5);
		if (!(argv[a++] = strdup(buf))) {
			free_argv(argv);
			return NULL;
		}
	}
	return argv;
}

static int raw_exit(struct rep_result *r)
{
	double ns;
	if (bench_raw_exit(HCALL_ITERS, &ns, r->reason, sizeof(r->reason)))
		return -EIO;
	return result_add(r, 0, "raw_exit_ns", "ns", 0, 0, ns);
}

static int check_hcall(struct rep_result *r, int n)
{
	for (int k = 1; k <= n; k++)
		if (result_count(r, k, "_ns") < 4) {     /* null + multicall 1/16/256 */
			snprintf(r->reason, sizeof(r->reason), "domain d%d reported %d of 4 hypercall figures", k,
			         result_count(r, k, "_ns"));
			return -EIO;
		}
	return 0;
}

static int pvos_run_rep(const struct platform_ops *self, const struct cell_ctx *c, struct rep_result *r)
{
	const char *w = c->cell->workload;
	if (!strcmp(w, "lmbench"))
		return lmbench_rep(self, c, r);
	int n = c->cell->domains, cpu = !strcmp(w, "cpu");
	char dir[] = "/tmp/pvbench-pvos-XXXXXX", cmdline[64];
	if (!mkdtemp(dir)) {
		snprintf(r->reason, sizeof(r->reason), "cannot make a temporary directory: %s", strerror(errno));
		return -EIO;
	}
	snprintf(cmdline, sizeof(cmdline), cpu ? "prog=cpu reps=1" : "prog=hcall n=%d", HCALL_ITERS);
	int mem = cpu ? 32 : 16;
	int rc = write_configs(dir, n, mem, cmdline);
	char **argv = rc ? NULL : pvmon_argv(dir, c);
	if (!argv) {
		snprintf(r->reason, sizeof(r->reason), "cannot write the domain configs in %s", dir);
		free_argv(argv);
		cleanup(dir, n);
		return -EIO;
	}
	struct spawn_io io = { .on_line = on_console, .ctx = r };
	int st = spawn_run(argv, c->cell->timeout_s, &io, &r->wall_s);
	free_argv(argv);
	char stats[PATH_MAX + 16];
	snprintf(stats, sizeof(stats), "%s/stats.json", dir);
	read_stats(stats, r, n);
	cleanup(dir, n);
	char v[32];
	snprintf(v, sizeof(v), "%d", mem);
	result_detail(r, "memory_mib", v);
	if (st && !r->bad[0])
		return spawn_failed(r, "pvmon", st, c->cell->timeout_s, spawn_last_error(&io));
	if (cpu)
		return cpu_finish(r, n);
	if ((rc = check_hcall(r, n)))
		return rc;
	return raw_exit(r);
}

const struct platform_ops pvos_platform = {
	.name = "pvos",
	.detect = pvos_detect,
	.supports = pvos_supports,
	.run_rep = pvos_run_rep,
};
