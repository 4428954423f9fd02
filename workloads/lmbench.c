/* lmbench-style microbenchmarks (after McVoy and Staelin's lmbench, as the
 * Xen paper's Tables 3 and 4 use them): null system call, context switch
 * between two processes over pipes, page fault, protection fault,
 * mmap+munmap of 16 MiB, fork+exit, fork+exec, pipe bandwidth. One source
 * for both systems: native Linux and pvos user mode (lm_os.h). No writable
 * globals and no libc: pvos user programs have neither. Before each row
 * a line "lmbench: begin NAME ops=N" says how many operations the row's
 * value is made of, so that counters stamped on the two lines (pvmon
 * --console-counters) give a cost per operation, the row's setup
 * (fork of a partner, mmap, warm-up) included. */
#include "lm_os.h"

#define MIB (1L << 20)

static long best_of(long a, long b) { return a < b ? a : b; }

static void unsupported(const char *name, const char *why)
{
	lm_say("lmbench: ");
	lm_say(name);
	lm_say(" unsupported ");
	lm_say(why);
	lm_say("\n");
}

/* "lmbench: begin NAME ops=N", written at once: one console line, one
 * write, so that its stamp is that of the moment it was written. */
static void begin(const char *name, long ops)
{
	char line[96], d[24];
	unsigned long n = 0, u = ops < 0 ? 0 : (unsigned long)ops;
	int k = 0;
	const char *parts[] = { "lmbench: begin ", name, " ops=" };
	for (int i = 0; i < 3; i++)
		for (const char *s = parts[i]; *s && n < 60; s++)
			line[n++] = *s;
	do {
		d[k++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (k)
		line[n++] = d[--k];
	line[n++] = '\n';
	line[n] = 0;
	lm_say(line);
}

static void null_syscall(long n)
{
	long best = 1L << 62;
	begin("null_syscall", 3 * n);
	for (int rep = 0; rep < 3; rep++) {
		long t0 = lm_now();
		for (long i = 0; i < n; i++)
			lm_null();
		best = best_of(best, (lm_now() - t0) / n);
	}
	lm_report("null_syscall", best, "ns");
}

/* Two processes pass a byte back and forth: each round trip is two
 * switches (lmbench lat_ctx with 0 KiB of working set). */
static void ctx_switch(long n)
{
	int ab[2], ba[2];
	begin("ctx_switch", 2 * n);
	if (lm_pipe(ab) || lm_pipe(ba))
		return unsupported("ctx_switch", "pipe failed");
	char c = 'x';
	long pid = lm_fork();
	if (pid == 0) {
		for (long i = 0; i <= n; i++) {
			if (lm_read(ab[0], &c, 1) != 1)
				break;
			lm_write(ba[1], &c, 1);
		}
		lm_exit(0);
	}
	lm_write(ab[1], &c, 1);           /* warm up: both have run once */
	lm_read(ba[0], &c, 1);
	long t0 = lm_now();
	for (long i = 0; i < n; i++) {
		lm_write(ab[1], &c, 1);
		lm_read(ba[0], &c, 1);
	}
	long dt = lm_now() - t0;
	lm_close(ab[1]);
	lm_wait(pid);
	lm_close(ab[0]);
	lm_close(ba[0]);
	lm_close(ba[1]);
	lm_report("ctx_switch", dt / (2 * n), "ns");
}

static void faults(long pages)
{
	long ns;
	begin("page_fault", pages);
	if (lm_pagefault(pages, &ns) < 0)
		unsupported("page_fault", lm_fault_unsupported());
	else
		lm_report("page_fault", ns, "ns");
	begin("prot_fault", pages);
	if (lm_protfault(pages, &ns) < 0)
		unsupported("prot_fault", lm_fault_unsupported());
	else
		lm_report("prot_fault", ns, "ns");
}

/* Map 16 MiB, touch every page, unmap (lmbench lat_mmap touches too). */
static void mmap_16m(long reps)
{
	const long len = 16 * MIB;
	long best = 1L << 62;
	begin("mmap_16m", reps);
	for (long r = 0; r < reps; r++) {
		long t0 = lm_now();
		volatile char *p = lm_mmap(len);
		if (!p)
			return unsupported("mmap_16m", "mmap of 16 MiB failed (out of memory?)");
		for (long o = 0; o < len; o += 4096)
			p[o] = 1;
		lm_munmap((void *)p, len);
		best = best_of(best, lm_now() - t0);
	}
	lm_report("mmap_16m", best / 1000, "us");
}

/* fork and wait for a child that exits at once, or that first execs a
 * program that only exits (lmbench's "fork" and "exec" rows). */
static void fork_row(const char *name, long reps, int exec)
{
	long best = 1L << 62;
	begin(name, reps);
	for (long r = 0; r < reps; r++) {
		long t0 = lm_now();
		long pid = lm_fork();
		if (pid == 0) {
			if (exec)
				lm_exec_exit();
			lm_exit(exec);
		}
		if (pid < 0)
			return unsupported(name, "fork failed");
		lm_wait(pid);
		best = best_of(best, lm_now() - t0);
	}
	lm_report(name, best / 1000, "us");
}

/* A child writes total bytes in 4 KiB chunks (pvos's pipe buffer); the
 * parent reads them. An operation: one chunk written and read. */
static void pipe_bw(long total)
{
	int fds[2];
	begin("pipe_bw", total / 4096);
	if (lm_pipe(fds))
		return unsupported("pipe_bw", "pipe failed");
	char buf[4096];
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (char)i;
	long pid = lm_fork();
	if (pid == 0) {
		lm_close(fds[0]);
		for (long sent = 0; sent < total;) {
			long n = lm_write(fds[1], buf, sizeof(buf));
			if (n <= 0)
				break;
			sent += n;
		}
		lm_exit(0);
	}
	lm_close(fds[1]);
	long t0 = lm_now(), got = 0, n;
	while ((n = lm_read(fds[0], buf, sizeof(buf))) > 0)
		got += n;
	long dt = lm_now() - t0;
	lm_wait(pid);
	lm_close(fds[0]);
	if (got != total)
		return unsupported("pipe_bw", "the reader got fewer bytes than were written");
	long us = dt / 1000 > 0 ? dt / 1000 : 1;     /* integers only: pvos has no FPU state */
	lm_report("pipe_bw", got / 1024 * 1000000 / us / 1024, "MB/s");
}

void lm_run(long scale)
{
	null_syscall(200 * scale);
	ctx_switch(100 * scale);
	faults(256 * scale);
	mmap_16m(2 + scale / 4);
	fork_row("fork_exit", 5 * scale, 0);
	fork_row("fork_exec", 5 * scale, 1);
	pipe_bw(2 * MIB * scale);
	lm_say("lmbench: done\n");
}
