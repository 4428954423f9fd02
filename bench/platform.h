/* The platforms pvbench run drives, behind one ops table: native and pvos
 * here (native.c, pvos.c), pv (Linux PV), fullvirt and uml through the
 * platform contract (ext.c, bench/platforms/run.sh; docs/results.md). */
#ifndef PVBENCH_PLATFORM_H
#define PVBENCH_PLATFORM_H
#include <stdbool.h>
#include <stddef.h>
#include "db.h"
#include "progress.h"
#include "result.h"

struct cell_ctx {
	const struct db_cell *cell;
	int rep;
	const char *trace_dir;    /* record this repetition with LTTng here (pvos only) */
	struct progress *prog;
};

struct platform_ops {
	const char *name;
	const char *driver;       /* the contract's name for it (pv: linuxpv); NULL: name */
	/* Once per run: 0 with a detail ("kvm=pvm pcpus=2"), or -ENOTSUP
	 * with the reason every cell of the platform is unsupported (-EINTR:
	 * interrupted, ask again; likewise for supports and prepare). */
	int (*detect)(const struct platform_ops *self, char *detail, size_t n, char *reason, size_t rn);
	/* 0 if the platform can run the workload, else -ENOTSUP and why. */
	int (*supports)(const char *workload, char *reason, size_t n);
	/* Once per run and environment before the platform's first cell there
	 * (guest images); for a nested environment only what this host must
	 * make for it (the nested host probes its own KVM). p may be NULL.
	 * NULL: nothing to prepare. */
	int (*prepare)(const struct platform_ops *self, const char *env, struct progress *p, char *reason, size_t n);
	/* One repetition: 0, -ENOTSUP (r->reason) or another -errno (failed,
	 * r->reason says why). */
	int (*run_rep)(const struct platform_ops *self, const struct cell_ctx *c, struct rep_result *r);
};

const struct platform_ops *platform_find(const char *name);
/* Its place in the table of platforms, 0..4 (cmd_run.c). */
int platform_index(const struct platform_ops *ops);

/* Cells of one group (one workload and domain count): one per platform
 * and environment at most. */
#define GROUP_MAX (5 * ENV_NR)

/* What a platform's detect and prepare found in an environment, once per
 * run (measure.c). */
struct plat_state {
	int detected, det_rc, prepared, prep_rc;
	char detail[1024], reason[512], prep_reason[512];
};
/* Before a cell runs: its platform detected (once; for a nested
 * environment the caller fills ps from the environment's probe), the
 * workload supported, the platform prepared (once), detected again after
 * preparing (QEMU's accelerator is known only then). 0; -EINTR (asked
 * again next time); -ENOTSUP or -EIO with why. p may be NULL. */
int platform_gate(struct plat_state *ps, const struct platform_ops *ops, const char *env, const char *workload,
                  struct progress *p, char *why, size_t n);

/* A cell of one round and what its measurement gave (measure.c). */
struct measured {
	const struct cell_ctx *ctx;
	const struct platform_ops *ops;
	struct rep_result *res;
	int rc;                   /* as run_rep's */
};
/* Whether one measurement serves both cells of a round (of one group):
 * every cell of a nested environment is measured in one boot of the
 * nested host; native's, pvos's and pv's lmbench rows come from one
 * pvbench lmbench run. */
bool measured_together(const struct db_cell *a, const struct db_cell *b);
/* The measurement of a round that starts at its cell i (not taken yet):
 * i and the later cells measured_together with it, now taken; their
 * indexes in unit[], their number returned. */
int round_unit(const struct db_cell *const *c, int n, bool *taken, int i, int *unit);
/* Makes the measurement of m[0..n) (cells measured_together), filling
 * each one's res and rc. */
void measure(struct measured *m, int n);

/* Shared by the platforms (workload.c). */
/* The cpu workload's checks and derived figures: every instance reported
 * every kernel, per-instance passes/s, the cell's aggregate passes/s. */
int cpu_finish(struct rep_result *r, int instances);
/* lmbench rows of a platform (native, pvos, or pv: the Linux PV column)
 * from `pvbench lmbench --quick --json`: one sample per row, the raw exit,
 * and on pvos the mmu_update batch costs; a row the platform cannot run
 * becomes detail no_ROW=why. */
int lmbench_supported(char *reason, size_t n);
int lmbench_rep(const struct platform_ops *self, const struct cell_ctx *c, struct rep_result *r);
/* One pvbench lmbench run for the lmbench cells of one round: each keeps
 * its platform's rows (detail measured_with= the others). */
void lmbench_measure(struct measured *m, int n);
/* bench/platforms/run.sh PLATFORM WORKLOAD [--quick] [--instances N]. */
int contract_rep(const struct cell_ctx *c, const char *platform, struct rep_result *r);
/* Describe a spawn failure (status or -errno) in r->reason; returns -EIO. */
int spawn_failed(struct rep_result *r, const char *what, int status, int timeout_s, const char *last);
/* The kernels of workloads/cpu.c, as linked into pvbench. */
int cpu_kernel_count(void);
/* Set BUILD and BIN for platform drivers (the build they belong to). */
void export_build_env(void);

/* The nested environments (nested.c). Whether pvbench can make a nested
 * host here (not from inside one; the script is there): 1, or 0 and why. */
int nested_possible(char *why, size_t n);
/* suite_place's answer for this host: pvos nested where it has no usable
 * KVM (kvm: pvos's detection found one), pv (Linux PV) and fullvirt
 * nested where its KVM is not VT-x/AMD-V (Linux PV needs the entry stub
 * at CPL0; QEMU cannot boot Linux on PVM), all here with no_nested or no
 * nested host; why: a line saying what moved, or "". */
void nested_placement(bool kvm, bool no_nested, struct placement *p, char *why, size_t n);
/* One boot of the nested host for env that says what it is: 0 with its
 * words in detail ("nested=ENV kvm=svm kvm_amd_npt=Y l1_kernel=..."), or
 * -ENOTSUP and why (it cannot be made, or is not what env names). */
int nested_probe(const char *env, char *detail, size_t n, char *reason, size_t rn);
/* The cells of one round of a nested environment in one boot. */
void nested_measure(struct measured *m, int n);
/* One boot of the nested host (nested paging on) running `BIN/pvbench CMD
 * ARGS...` there (args NULL-terminated, 16 at most), its output lines to
 * io->on_line: the command's status (0..255; 77 the host cannot be made),
 * or -errno; on a failure why says what went wrong. */
struct spawn_io;
int nested_pvbench(const char *cmd, char *const *args, int timeout, struct spawn_io *io, char *why, size_t n);
/* What this machine is, in the words pvbench rep's env line gives:
 * "kvm=svm kvm_amd_npt=Y l1_kernel=... l1_cpus=N". */
void nested_env_words(char *buf, size_t n);
#endif
