/* pvbench internals shared by its commands: one file per command
 * (cmd_hcall.c, cmd_cpu.c, ...), listed in the table in pvbench.c. */
#ifndef PVBENCH_BENCH_H
#define PVBENCH_BENCH_H
#include <limits.h>
#include <stdio.h>

extern char bindir[PATH_MAX];     /* directory of the pvbench binary (build/bin) */

void bench_usage(FILE *f);
double median(double *v, int n);  /* sorts v */
int sh(const char *cmd);          /* system(): exit status, -1 if killed */
/* An option's number, read by common/numparse.c: 0 with *out set when arg
 * is a number in lo..hi, else one line "--opt must be a number in lo..hi"
 * and 2 (the exit status of a usage error). */
int bench_opt_int(const char *opt, const char *arg, int lo, int hi, int *out);
int bench_opt_ulong(const char *opt, const char *arg, unsigned long lo, unsigned long hi, unsigned long *out);
/* pvmon's clock and KVM for a command that measures exits: 0, or one line
 * on stderr and 1. bench_kvm_usable: the same, quiet: 0 or -ENODEV with
 * why in why. */
int bench_kvm_init(void);
int bench_kvm_usable(char *why, size_t n);
/* The raw KVM port-I/O exit round trip of this host in ns (*ns > 0), or 1
 * with why it could not be measured: in why, or on stderr if why is NULL. */
int bench_raw_exit(unsigned long iters, double *ns, char *why, size_t n);
/* A JSON number printed with fmt into buf, or null for a figure that was
 * not measured (!have): never a 0 that reads as a measurement. */
const char *json_num(char buf[32], const char *fmt, double v, int have);
/* Write a one-domain config (mib MiB, pvos) running cmdline; path is a
 * mkstemp template. Returns 0 or -errno. */
int write_cfg(char *path, const char *cmdline, unsigned mib);

/* Commands: argv[0] is the command name; 0 ok, 1 failure, 2 usage error. */
int cmd_hcall(int argc, char **argv);
int cmd_cpu(int argc, char **argv);
int cmd_lmbench(int argc, char **argv);
int cmd_fastpath(int argc, char **argv);   /* cmd_fastpath.c */
int cmd_netflip(int argc, char **argv);    /* cmd_netflip.c */
int cmd_run(int argc, char **argv);        /* cmd_run.c */
int cmd_report(int argc, char **argv);     /* cmd_report.c */
int cmd_worker(int argc, char **argv);     /* native.c */
int cmd_rep(int argc, char **argv);        /* nested.c */
int cmd_fleet(int argc, char **argv);      /* fleet.c */
/* A file's whole text (malloc'd; "" if it cannot be read; cmd_run.c). */
char *read_text(const char *path);
/* The cells of host in fleet run run_id of the database at target, traced
 * to the lttng-relayd at relayd (net://...) unless NULL (cmd_run.c). */
int run_host_cells(const char *target, int64_t run_id, const char *host, const char *relayd);
#endif
