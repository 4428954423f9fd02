/* spawn_run: lines of both streams, exit statuses, the time limit (the
 * whole process group is killed), a failed exec, the start gate hooks;
 * the workload's PID namespace: what it starts dies with pvbench, even
 * a daemon outside its process group and under SIGKILL, as root and as
 * an unprivileged user. */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
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

/* Processes whose command line is "sleep TOKEN" (host pids). */
static int count_sleepers(const char *token)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d))) {
		char path[300], buf[128] = "";
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		n += len > 6 && !strcmp(buf, "sleep") && !strcmp(buf + 6, token);
	}
	if (d)
		closedir(d);
	return n;
}

/* A stand-in for pvbench run, SIGKILLed while its workload has started a
 * helper in its process group and a daemon in a session of its own (as
 * pg_ctl and nginx do): neither survives it. */
static void test_killed_parent(void)
{
	char token[32], script[256];
	snprintf(token, sizeof(token), "%d.%d", 900 + (int)(getpid() % 97), (int)getpid());
	snprintf(script, sizeof(script), "sleep %s & setsid sleep %s & sleep %s", token, token, token);
	pid_t bench = fork();
	if (bench == 0) {
		struct seen s;
		struct spawn_io io;
		double wall;
		sh_run(script, 60, &s, &io, &wall);
		_exit(0);
	}
	int n = 0;
	for (int i = 0; i < 100 && (n = count_sleepers(token)) < 3; i++)
		usleep(50000);
	CHECK_EQ(n, 3);
	kill(bench, SIGKILL);
	waitpid(bench, NULL, 0);
	for (int i = 0; i < 40 && (n = count_sleepers(token)) > 0; i++)
		usleep(50000);
	CHECK_EQ(n, 0);
}

/* The workload's own pid is 2 (its init is 1): it has a namespace, as
 * root and, through a user namespace, as nobody. */
static void test_namespace(int as_nobody)
{
	pid_t p = fork();
	if (p == 0) {
		/* dumpable again, as any user's process is after a plain exec */
		if (as_nobody && (setgroups(0, NULL) || setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534) ||
		                  prctl(PR_SET_DUMPABLE, 1)))
			_exit(3);
		struct seen s;
		struct spawn_io io;
		double wall;
		int rc = sh_run("echo $$", 10, &s, &io, &wall);
		_exit(rc == 0 && !strcmp(s.last_out, "2") ? 0 : 1);
	}
	int st;
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

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

	CHECK_EQ(sh_run("echo $$", 5, &s, &io, &wall), 0);
	CHECK_STR(s.last_out, "2");
	test_killed_parent();
	if (getuid() == 0)
		test_namespace(1);

	bench_interrupted = 1;
	CHECK_EQ(sh_run("sleep 30", 30, &s, &io, &wall), -EINTR);
	CHECK(wall < 10);
	return CHECK_DONE();
}
