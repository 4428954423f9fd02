/* spawn_run(): a workload with both output streams on pipes, polled with
 * the time limit; see spawn.h. It runs in a PID namespace of its own
 * under a small init: when that init dies (pvbench killed, even by
 * SIGKILL, takes it along through PDEATHSIG) the kernel kills every
 * process the workload started, daemons that left its process group
 * (postgres, nginx, QEMU under timeout) included. The process group is
 * for the gentle SIGTERM first. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "monoclock.h"
#include "spawn.h"

volatile sig_atomic_t bench_interrupted;
void (*spawn_tick)(void);
void (*spawn_started)(pid_t pid);
void (*spawn_ended)(pid_t pid);

struct stream {
	int fd;
	char buf[8192];
	size_t len;
};

static void keep_tail(struct spawn_io *io, const char *line)
{
	size_t have = strlen(io->tail), add = strlen(line) + 1;
	if (add >= sizeof(io->tail))
		return;
	if (have + add >= sizeof(io->tail)) {
		/* drop the oldest lines to make room */
		const char *p = io->tail;
		while (*p && (size_t)(have - (p - io->tail)) + add >= sizeof(io->tail)) {
			const char *nl = strchr(p, '\n');
			p = nl ? nl + 1 : p + strlen(p);
		}
		memmove(io->tail, p, strlen(p) + 1);
		have = strlen(io->tail);
	}
	snprintf(io->tail + have, sizeof(io->tail) - have, "%s\n", line);
}

/* Hand over the complete lines in s; at EOF also the unterminated rest. */
static void flush_lines(struct stream *s, int fd, struct spawn_io *io, int eof)
{
	char *start = s->buf, *nl;
	while ((nl = memchr(start, '\n', s->len - (size_t)(start - s->buf)))) {
		*nl = 0;
		if (fd == 2)
			keep_tail(io, start);
		if (io->on_line)
			io->on_line(io->ctx, fd, start);
		start = nl + 1;
	}
	size_t rest = s->len - (size_t)(start - s->buf);
	memmove(s->buf, start, rest);
	s->len = rest;
	if ((eof || s->len == sizeof(s->buf) - 1) && s->len) {
		s->buf[s->len] = 0;     /* an over-long line is cut, not lost */
		if (fd == 2)
			keep_tail(io, s->buf);
		if (io->on_line)
			io->on_line(io->ctx, fd, s->buf);
		s->len = 0;
	}
}

struct child {
	char *const *argv;
	int out[2], err[2], gate[2];
};

/* The workload: stdin from /dev/null, stdout and stderr to the pipes. */
static void exec_workload(const struct child *c)
{
	int null = open("/dev/null", O_RDONLY);
	if (null >= 0)
		dup2(null, 0);
	dup2(c->out[1], 1);
	dup2(c->err[1], 2);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	execv(c->argv[0], c->argv);
	fprintf(stderr, "cannot run %s: %s\n", c->argv[0], strerror(errno));
	_exit(127);
}

/* The init of the workload's namespace (pid 1 there): it waits at the
 * start gate, forks the workload, reaps whatever is orphaned to it and
 * exits with the workload's status (128 + N for signal N, as spawn_run
 * reports it). The workload itself is not pid 1, so signals reach it as
 * anywhere else. */
static _Noreturn void child_init(const struct child *c)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);      /* pvbench gone: the namespace goes */
	close(c->gate[1]);
	char go = 0;
	while (read(c->gate[0], &go, 1) < 0 && errno == EINTR)
		;
	if (go != 'g')                         /* pvbench died before saying go */
		_exit(127);
	close(c->gate[0]);
	setpgid(0, 0);
	signal(SIGINT, SIG_IGN);               /* the workload gets them; it decides */
	signal(SIGTERM, SIG_IGN);
	pid_t w = fork();
	if (w == 0)
		exec_workload(c);
	close(c->out[0]), close(c->out[1]), close(c->err[0]), close(c->err[1]);
	if (w < 0)
		_exit(127);
	int st = 0;
	pid_t p;
	while ((p = wait(&st)) != w)
		if (p < 0 && errno != EINTR)
			_exit(127);
	_exit(WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st));
}

/* Maps the caller's uid and gid into the child's new user namespace (the
 * unprivileged way to a PID namespace), so that files and /dev/kvm are
 * reached as before. */
static int map_ids(pid_t pid)
{
	char path[64], map[64];
	const char *what[] = { "setgroups", "uid_map", "gid_map" };
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what[i]);
		if (i == 0)
			snprintf(map, sizeof(map), "deny");
		else
			snprintf(map, sizeof(map), "%u %u 1", i == 1 ? (unsigned)getuid() : (unsigned)getgid(),
			         i == 1 ? (unsigned)getuid() : (unsigned)getgid());
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? write(fd, map, strlen(map)) : -1;
		if (fd >= 0)
			close(fd);
		if (n != (ssize_t)strlen(map))
			return -errno;
	}
	return 0;
}

/* clone(2) as fork does it (no new stack: the child goes on with a copy
 * of this one), with namespace flags. glibc's clone() would run the child
 * on a stack of ours, which ASan takes for a stack overflow. The child
 * only sets itself up and fork()s (glibc then refreshes its thread id);
 * pvbench has one thread, so no lock is copied held. */
static pid_t fork_into(int flags)
{
	return (pid_t)syscall(SYS_clone, (long)(flags | SIGCHLD), 0L, 0L, 0L, 0L);
}

/* The child in a new PID namespace: as root directly, else inside a new
 * user namespace; where neither is allowed, without one (said once). */
static pid_t start_child(struct child *c)
{
	static const int tries[] = { CLONE_NEWPID, CLONE_NEWUSER | CLONE_NEWPID, 0 };
	static bool warned;
	pid_t pid = -1;
	int e = 0;
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]) && pid < 0; i++) {
		pid = fork_into(tries[i]);
		if (pid == 0)
			child_init(c);
		if (pid < 0) {
			e = errno;
			continue;
		}
		if ((tries[i] & CLONE_NEWUSER) && (e = -map_ids(pid))) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			pid = -1;
			continue;
		}
		if (!tries[i] && !warned) {
			warned = true;
			fprintf(stderr, "pvbench: workloads run without a PID namespace (%s): a process one of them "
			                "leaves behind may outlive a killed pvbench\n", strerror(e));
		}
	}
	return pid < 0 ? -e : pid;
}

static void kill_group(pid_t pid)
{
	kill(-pid, SIGTERM);
	for (int i = 0; i < 50; i++) {         /* 5 s to clean up, then SIGKILL */
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			kill(-pid, SIGKILL);       /* stragglers of the group */
			return;
		}
		usleep(100000);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int spawn_run(char *const argv[], int timeout_s, struct spawn_io *io, double *wall_s)
{
	int out[2], err[2];
	io->tail[0] = 0;
	if (pipe2(out, O_CLOEXEC))
		return -errno;
	if (pipe2(err, O_CLOEXEC)) {
		int e = errno;
		close(out[0]);
		close(out[1]);
		return -e;
	}
	struct child c = { .argv = argv, .out = { out[0], out[1] }, .err = { err[0], err[1] } };
	if (pipe2(c.gate, O_CLOEXEC)) {
		int e = errno;
		close(out[0]), close(out[1]), close(err[0]), close(err[1]);
		return -e;
	}
	double t0 = mono_s();
	pid_t pid = start_child(&c);
	close(c.gate[0]);
	if (pid < 0) {
		close(out[0]), close(out[1]), close(err[0]), close(err[1]), close(c.gate[1]);
		return pid;
	}
	setpgid(pid, pid);          /* both sides: no race with kill(-pid) */
	if (spawn_started)
		spawn_started(pid);
	if (write(c.gate[1], "g", 1) != 1) {   /* go */
		int e = errno;
		close(c.gate[1]), close(out[0]), close(out[1]), close(err[0]), close(err[1]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -e;
	}
	close(c.gate[1]);
	close(out[1]);
	close(err[1]);
	struct stream s[2] = { { .fd = out[0] }, { .fd = err[0] } };
	int open_fds = 2, rc = 0, st = 0;
	bool exited = false;
	double deadline = t0 + timeout_s, tick = t0 + 1;
	while (open_fds) {
		if (spawn_tick && mono_s() >= tick) {
			spawn_tick();
			tick += 1;
		}
		if (bench_interrupted) {
			rc = -EINTR;
			break;
		}
		double left = deadline - mono_s();
		if (left <= 0 && !exited) {
			rc = -ETIMEDOUT;
			break;
		}
		/* once it has exited, drain what is buffered without waiting for
		 * helpers that may still hold the pipes open */
		struct pollfd p[2] = { { s[0].fd, POLLIN, 0 }, { s[1].fd, POLLIN, 0 } };
		int ms = exited ? 0 : left > 0.2 ? 200 : (int)(left * 1000) + 1;   /* wake to check the flag */
		int ready = poll(p, 2, ms);
		if (ready < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		if (exited && ready <= 0)
			break;
		for (int i = 0; i < 2; i++) {
			if (s[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(s[i].fd, s[i].buf + s[i].len, sizeof(s[i].buf) - 1 - s[i].len);
			if (n > 0) {
				s[i].len += (size_t)n;
				flush_lines(&s[i], i + 1, io, 0);
			} else if (n == 0 || errno != EINTR) {
				flush_lines(&s[i], i + 1, io, 1);
				close(s[i].fd);
				s[i].fd = -1;
				open_fds--;
			}
		}
		if (!exited && waitpid(pid, &st, WNOHANG) == pid)
			exited = true;
	}
	for (int i = 0; i < 2; i++)
		if (s[i].fd >= 0) {
			flush_lines(&s[i], i + 1, io, 1);
			close(s[i].fd);
		}
	if (rc && exited)
		kill(-pid, SIGKILL);
	else if (rc)
		kill_group(pid);
	else if (!exited && waitpid(pid, &st, 0) < 0)
		rc = -errno;
	*wall_s = mono_s() - t0;
	if (spawn_ended)
		spawn_ended(pid);
	if (rc)
		return rc;
	kill(-pid, SIGKILL);        /* leftovers of the group that outlived it */
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

const char *spawn_last_error(const struct spawn_io *io)
{
	static char last[512];
	const char *p = io->tail, *best = NULL;
	size_t bl = 0;
	while (*p) {
		size_t l = strcspn(p, "\n");
		if (l)
			best = p, bl = l;
		p += l + (p[l] == '\n');
	}
	if (!best)
		return "no diagnostics";
	snprintf(last, sizeof(last), "%.*s", (int)(bl < sizeof(last) - 1 ? bl : sizeof(last) - 1), best);
	return last;
}
