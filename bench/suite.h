/* Benchmark suites: plain files under bench/suites/ listing cells
 * (platform x workload x domain count) and their repetitions. The format
 * is described in bench/suites/README.md. */
#ifndef PVBENCH_SUITE_H
#define PVBENCH_SUITE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SUITE_MAX_CELLS 1024
#define SUITE_MAX_DOMAINS 1000

/* Where a cell is measured (docs/results.md): this host's own CPU, or
 * the nested AMD-V host scripts/nested-svm.sh makes under QEMU TCG, with
 * kvm_amd's nested paging on or off. A suite names one as PLATFORM@ENV;
 * without it suite_place decides. "tcg" exists only in databases from
 * before schema version 4 (full-virt cells QEMU ran without KVM). */
#define ENV_HARDWARE "hardware"
#define ENV_NESTED_SVM "nested-svm"
#define ENV_NESTED_SVM_SHADOW "nested-svm-shadow"
#define ENV_NR 3
extern const char *const bench_envs[];        /* NULL-terminated, ENV_HARDWARE first */
bool env_nested(const char *env);

struct cell_spec {
	char platform[16];
	char env[24];         /* "" until suite_place: the suite left it to pvbench */
	char workload[24];
	int domains;          /* concurrent domains or guests, or processes (native) */
	int reps;
	int timeout_s;        /* per repetition */
	bool quick;           /* pass --quick to the platform driver */
	int line;             /* where the suite file said so */
};

struct suite {
	char path[4096];
	char fleet[16];       /* "fleet MODE": replicate (default) or spread */
	uint64_t hash;        /* FNV-1a of the file's bytes */
	struct cell_spec *cells;
	int n;
};

extern const char *const bench_platforms[];   /* NULL-terminated */
extern const char *const bench_workloads[];

bool suite_known(const char *const *list, const char *name);
/* The names of a NULL-terminated list, each after prefix, joined by ", "
 * into out (for messages); returns out. */
const char *suite_names(const char *const *list, const char *prefix, char *out, size_t n);
/* "quick" -> DIR/quick.suite where DIR is $PVBENCH_SUITES_DIR or the
 * source tree's bench/suites; anything with a '/' or an existing file is
 * taken as a path. Returns 0 or -ENOENT (err says what was looked for). */
int suite_resolve(const char *arg, char *path, size_t n, char *err, size_t errlen);
/* Parses the text of a suite; err gets "FILE:LINE: why". 0 or -EINVAL. */
int suite_parse(const char *text, const char *path, struct suite *s, char *err, size_t errlen);
int suite_load(const char *path, struct suite *s, char *err, size_t errlen);
void suite_free(struct suite *s);
/* --platforms LIST: keeps only cells whose platform is in the comma list;
 * an unknown name is an error (-EINVAL). */
int suite_filter(struct suite *s, const char *list, char *err, size_t errlen);
/* The workloads that need a TCP/IP stack and block devices: Linux runs
 * them (the pv platform's Linux PV domain, bench/platforms/run.sh
 * linuxpv); pvos cannot. */
static inline bool pv_linux_workload(const char *w)
{
	return !strcmp(w, "pgbench-ro") || !strcmp(w, "pgbench-tpcb") || !strcmp(w, "dbench") ||
	       !strcmp(w, "httperf") || !strcmp(w, "httperf-vif");
}
/* httperf-vif (Domain 0's httperf against nginx in a Linux PV domain
 * over its VIF) is the pv platform's alone: why the others answer no. */
#define HTTPERF_VIF_ONLY                                                                                  \
	"httperf-vif: Domain 0's httperf against a guest over its VIF exists only on pv (a Linux PV domain); " \
	"httperf (client and server on one system) compares every platform"
/* Where the cells without @ENV run: native and uml here; pvos, pv and
 * fullvirt where the caller found them runnable (pvos: KVM; pv's Linux PV
 * and fullvirt: VT-x/AMD-V KVM), ENV_HARDWARE or ENV_NESTED_SVM. A cell
 * that then equals one listed before it goes. Every group (workload,
 * domain count) measured in a nested environment gets a native cell
 * there, the baseline its ratios are drawn against (reps, timeout and
 * quick the most its cells ask), placed before the group's first cell in
 * that environment; hcall has none (native has no hypercalls). 0 or
 * -ENOSPC. */
struct placement {
	const char *pvos, *pv, *fullvirt;
};
int suite_place(struct suite *s, const struct placement *p);
uint64_t fnv1a(const void *p, size_t n);
#endif
