/* pvtrace's commands: what the command files share (the option parsing
 * and error lines of every command) and the commands main() dispatches to.
 * Exit status: 0 done, 1 failed, 2 usage. */
#ifndef PVTRACE_CLI_H
#define PVTRACE_CLI_H
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#define EXIT_USAGE 2

/* One line "pvtrace CMD: ..." and the status to exit with. */
int pvt_usage_error(const char *cmd, const char *fmt, const char *arg);
int pvt_fail(const char *cmd, const char *msg);
bool pvt_parse_u32(const char *s, int64_t *out);
/* getopt_long over a command's table (options before or after DIR), -h,
 * --pid for pid; exactly one positional DIR. -1 when parsed, else the
 * exit status. */
int pvt_parse_args(const char *cmd, const char *help, int argc, char **argv, const struct option *opts,
                   int (*on_opt)(void *ctx, int c, const char *arg), void *ctx, const char **dir, int *pid);

int pvt_cmd_summary(int argc, char **argv);     /* pvtrace_cmd_analyse.c */
int pvt_cmd_hist(int argc, char **argv);
int pvt_cmd_export(int argc, char **argv);
int pvt_cmd_timeline(int argc, char **argv);
int pvt_cmd_bench(int argc, char **argv);       /* pvtrace_cmd_bench.c */
int pvt_cmd_counters(int argc, char **argv);    /* pvtrace_cmd_counters.c */
#endif
