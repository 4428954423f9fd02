/* spawn_run(): fork/exec with both output streams on pipes, polled with
 * the time limit; see spawn.h. The child gets a process group of its own
 * so that a platform driver's helpers (QEMU, postgres...) go with it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "spawn.h"

volatile sig_atomic_t bench_interrupted;
void (*spawn_tick)(void);
void (*spawn_started)(pid_t pid);
void (*spawn_ended)(pid_t pid);

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

static void child(char *const argv[], int out[2], int err[2], int gate)
{
	char b;
	while (read(gate, &b, 1) > 0)      /* until the parent closes the gate */
		;
	close(gate);
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);    /* pvbench killed: no orphans */
	int null = open("/dev/null", O_RDONLY);
	if (null >= 0)
		dup2(null, 0);
	dup2(out[1], 1);
	dup2(err[1], 2);
	close(out[0]);
	close(err[0]);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	execv(argv[0], argv);
	fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
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
	int gate[2];
	if (pipe2(gate, O_CLOEXEC)) {
		int e = errno;
		close(out[0]), close(out[1]), close(err[0]), close(err[1]);
		return -e;
	}
	double t0 = now_s();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(out[0]), close(out[1]), close(err[0]), close(err[1]), close(gate[0]), close(gate[1]);
		return -e;
	}
	if (pid == 0) {
		close(gate[1]);
		child(argv, out, err, gate[0]);
	}
	close(gate[0]);
	setpgid(pid, pid);          /* both sides: no race with kill(-pid) */
	if (spawn_started)
		spawn_started(pid);
	close(gate[1]);             /* go */
	close(out[1]);
	close(err[1]);
	struct stream s[2] = { { .fd = out[0] }, { .fd = err[0] } };
	int open_fds = 2, rc = 0, st = 0;
	bool exited = false;
	double deadline = t0 + timeout_s, tick = t0 + 1;
	while (open_fds) {
		if (spawn_tick && now_s() >= tick) {
			spawn_tick();
			tick += 1;
		}
		if (bench_interrupted) {
			rc = -EINTR;
			break;
		}
		double left = deadline - now_s();
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
	*wall_s = now_s() - t0;
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
