/* Running one workload process for pvbench run: its stdout and stderr
 * read line by line, a time limit, its whole process group killed on
 * timeout or when pvbench is interrupted, and every process it starts
 * confined to a PID namespace that dies with it and with pvbench. */
#ifndef PVBENCH_SPAWN_H
#define PVBENCH_SPAWN_H
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/* Set by pvbench run's SIGINT/SIGTERM handler. */
extern volatile sig_atomic_t bench_interrupted;
/* Called about once a second while a workload runs (the progress bar's
 * clock); NULL: nothing. */
extern void (*spawn_tick)(void);
/* Called with the pid of each workload process before it runs (it waits
 * at a gate until this returns: counters attach here), and again with
 * the same pid once it has exited; NULL: nothing. */
extern void (*spawn_started)(pid_t pid);
extern void (*spawn_ended)(pid_t pid);

struct spawn_io {
	/* Called for each line (without the newline); fd is 1 or 2. */
	void (*on_line)(void *ctx, int fd, char *line);
	void *ctx;
	char tail[1024];       /* the last stderr lines, for error reasons */
};

/* Runs argv[0] (a path) with argv, stdin from /dev/null, in a PID
 * namespace of its own (pid 2 there, under an init that reaps and dies
 * with pvbench, SIGKILL included; when the namespace cannot be had, it
 * says so once on stderr and runs without). Returns its exit status
 * (0..255; 128 + N when signal N killed it), -ETIMEDOUT if it ran past
 * timeout_s and was killed, -EINTR if pvbench was interrupted (it is
 * killed too), -errno if it could not start. When it returns, no process
 * of the namespace is left. *wall_s: from start to exit. */
int spawn_run(char *const argv[], int timeout_s, struct spawn_io *io, double *wall_s);
/* One-line summary of io->tail: its last non-empty line. */
const char *spawn_last_error(const struct spawn_io *io);
#endif
