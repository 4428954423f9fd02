/* spawn_run: lines of both streams, exit statuses, the time limit (the
 * whole process group is killed), a failed exec, the start gate hooks. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../../bench/spawn.h"
#include "check.h"

struct seen {
	int out, err;
	char last_out[128];
};

static void on_line(void *ctx, int fd, char *line)
{
	struct seen *s = ctx;
	if (fd == 1) {
		s->out++;
		snprintf(s->last_out, sizeof(s->last_out), "%s", line);
	} else {
		s->err++;
	}
}

static int sh_run(const char *script, int timeout_s, struct seen *s, struct spawn_io *io, double *wall)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	memset(s, 0, sizeof(*s));
	memset(io, 0, sizeof(*io));
	io->on_line = on_line;
	io->ctx = s;
	return spawn_run(argv, timeout_s, io, wall);
}

static pid_t started_pid, ended_pid;
static void on_start(pid_t p) { started_pid = p; }
static void on_end(pid_t p) { ended_pid = p; }

int main(void)
{
	struct seen s;
	struct spawn_io io;
	double wall;
	CHECK_EQ(sh_run("echo a; echo b; echo oops >&2; printf 'no newline'", 10, &s, &io, &wall), 0);
	CHECK_EQ(s.out, 3);
	CHECK_EQ(s.err, 1);
	CHECK_STR(s.last_out, "no newline");
	CHECK_STR(spawn_last_error(&io), "oops");
	CHECK(wall >= 0 && wall < 10);

	CHECK_EQ(sh_run("echo first >&2; echo why >&2; exit 3", 10, &s, &io, &wall), 3);
	CHECK_STR(spawn_last_error(&io), "why");
	CHECK_EQ(sh_run("kill -TERM $$", 10, &s, &io, &wall), 128 + SIGTERM);

	/* over the limit: killed, with the grandchild that holds the pipes */
	char flag[] = "/tmp/test_bench_spawn-XXXXXX";
	int fd = mkstemp(flag);
	close(fd);
	unlink(flag);
	char script[256];
	snprintf(script, sizeof(script), "(sleep 3; touch %s) & sleep 30", flag);
	CHECK_EQ(sh_run(script, 1, &s, &io, &wall), -ETIMEDOUT);
	CHECK(wall < 10);
	sleep(3);
	CHECK(access(flag, F_OK) != 0);       /* the group went too */
	unlink(flag);

	/* a helper left running with the pipes open does not hold us up */
	CHECK_EQ(sh_run("sleep 20 & echo done", 10, &s, &io, &wall), 0);
	CHECK(wall < 5);
	CHECK_EQ(s.out, 1);

	char *bad[] = { "/nonexistent/prog", NULL };
	memset(&io, 0, sizeof(io));
	CHECK_EQ(spawn_run(bad, 5, &io, &wall), 127);
	CHECK(strstr(spawn_last_error(&io), "cannot run /nonexistent/prog") != NULL);

	spawn_started = on_start;
	spawn_ended = on_end;
	CHECK_EQ(sh_run("exit 0", 5, &s, &io, &wall), 0);
	CHECK(started_pid > 0);
	CHECK_EQ(ended_pid, started_pid);
	spawn_started = spawn_ended = NULL;

	bench_interrupted = 1;
	CHECK_EQ(sh_run("sleep 30", 30, &s, &io, &wall), -EINTR);
	CHECK(wall < 10);
	return CHECK_DONE();
}
