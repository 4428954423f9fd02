/* Programs that run as pvos processes, in user mode. This file is linked
 * into the .user section: it may call nothing outside it and has no
 * writable globals (processes keep their state on their own stacks). */

#include "ulib.h"

struct user_prog { const char *name; void (*fn)(long); };

/* Each process stores its own tag at the same virtual address and checks,
 * after other processes ran, that it still reads its own: separate spaces. */
static void counter_main(long tag)
{
	volatile long *slot = (volatile long *)USER_DATA;
	long pid = sys(SYS_getpid, 0, 0, 0);
	*slot = tag;
	uputn("proc: started, pid ", pid);
	long bad = 0;
	for (int i = 0; i < 5; i++) {
		sys(SYS_yield, 0, 0, 0);
		sys(SYS_sleep, 2000000, 0, 0);
		if (*slot != tag)
			bad++;
	}
	long t0 = sys(SYS_time, 0, 0, 0);
	for (int i = 0; i < 100; i++)
		sys(SYS_null, 0, 0, 0);
	long t1 = sys(SYS_time, 0, 0, 0);
	uputn("proc: null syscall ns ", (t1 - t0) / 100);
	uputn("proc: tag ", *slot);
	if (bad)
		uputs("proc: address spaces are NOT separate\n");
	sys(SYS_exit, bad ? 1 : tag, 0, 0);
}

/* CPU-bound user process: spins for arg milliseconds of system time. */
static void spin_main(long ms)
{
	long end = sys(SYS_time, 0, 0, 0) + ms * 1000000;
	unsigned long x = 1;
	while (sys(SYS_time, 0, 0, 0) < end)
		for (int i = 0; i < 100000; i++)
			x = x * 6364136223846793005UL + 1;
	sys(SYS_exit, (long)(x & 1), 0, 0);
}

static void fault_main(long arg)
{
	(void)arg;
	uputs("proc: touching an unmapped address\n");
	*(volatile long *)0x7f0000000000UL = 1;
	sys(SYS_exit, 0, 0, 0);
}

/* fork, pipes, wait, exec and mmap in one test: prints "ptest: ok" or
 * the first thing that went wrong, and exits 0 or 1. */
static void child_main(long arg)
{
	/* Started by exec: arg came through; the old address space is gone. */
	u_exit(arg + 1);
}

static long ptest_fail(const char *what, long v)
{
	uputn(what, v);
	u_exit(1);
}

static void ptest_main(long nkids)
{
	int fds[2];
	volatile long *mine = (volatile long *)USER_DATA;
	*mine = 1234;
	if (u_pipe(fds))
		ptest_fail("ptest: pipe failed ", 0);
	for (long i = 0; i < nkids; i++) {
		long pid = u_fork();
		if (pid < 0)
			ptest_fail("ptest: fork failed ", pid);
		if (pid == 0) {
			/* The child has its own copy of the data pages. */
			long seen = *mine;
			*mine = 99;
			char msg[2] = { (char)('a' + i), seen == 1234 ? '+' : '-' };
			u_write(fds[1], msg, 2);
			u_exit(10 + i);
		}
	}
	u_close(fds[1]);
	char got[64];
	long n = 0, r;
	while ((r = u_read(fds[0], got + n, (long)sizeof(got) - n)) > 0)
		n += r;
	if (n != 2 * nkids)
		ptest_fail("ptest: bytes from children ", n);
	for (long i = 0; i < n; i += 2)
		if (got[i + 1] != '+')
			ptest_fail("ptest: a child saw the parent's page changed, child ", i / 2);
	if (*mine != 1234)
		ptest_fail("ptest: a child wrote into the parent's page ", *mine);
	long codes = 0;
	for (long i = 0; i < nkids; i++) {
		int st = -1;
		if (u_wait(-1, &st) <= 0)
			ptest_fail("ptest: wait failed ", i);
		codes += st;
	}
	if (codes != 10 * nkids + nkids * (nkids - 1) / 2)
		ptest_fail("ptest: exit codes sum ", codes);
	if (u_wait(-1, 0) != -E_CHILD)
		ptest_fail("ptest: wait with no children did not fail", 0);

	/* mmap: zeroed, private, gone after munmap (a second map is fresh). */
	long len = 64 * 4096;
	volatile uint8_t *m = (volatile uint8_t *)u_mmap(len);
	if ((long)m < 0)
		ptest_fail("ptest: mmap failed ", (long)m);
	for (long o = 0; o < len; o += 4096) {
		if (m[o])
			ptest_fail("ptest: mmap page not zero at ", o);
		m[o] = 0x5a;
	}
	long pid = u_fork();
	if (pid == 0)
		u_exit(m[len - 4096] == 0x5a ? 0 : 1);
	int st = -1;
	u_wait(pid, &st);
	if (st)
		ptest_fail("ptest: the child did not inherit the mapping ", st);
	if (u_munmap((long)m, len))
		ptest_fail("ptest: munmap failed", 0);
	if (u_munmap(12345, 4096) >= 0)
		ptest_fail("ptest: munmap of a bad address succeeded", 0);

	/* Mappings that need page faults: on the fast path they work (lazy
	 * frames are zero; a write after mprotect read-only lands), on the
	 * baseline mmap refuses them. */
	long lz = sys(SYS_mmap, 8 * 4096, MMAP_LAZY, 0);
	if (lz >= 0) {
		volatile uint8_t *z = (volatile uint8_t *)lz;
		for (long o = 0; o < 8 * 4096; o += 4096)
			if (z[o] || (z[o] = 7) != 7)
				ptest_fail("ptest: lazy page not zero at ", o);
		u_munmap(lz, 8 * 4096);
		long fx = sys(SYS_mmap, 4096, MMAP_FIXWRITE, 0);
		volatile long *w = (volatile long *)fx;
		if (fx < 0 || sys(SYS_mprotect, fx, 4096, 0))
			ptest_fail("ptest: mprotect of a fixwrite map failed ", fx);
		*w = 42;
		if (*w != 42)
			ptest_fail("ptest: the write after mprotect did not land ", *w);
		u_munmap(fx, 4096);
	} else if (lz != PV_EINVAL_USER) {
		ptest_fail("ptest: lazy mmap on the baseline: not -EINVAL but ", lz);
	}

	/* exec replaces the program; its exit code tells it ran with our arg. */
	pid = u_fork();
	if (pid == 0) {
		u_exec("child", 41);
		u_exit(3);
	}
	u_wait(pid, &st);
	if (st != 42)
		ptest_fail("ptest: exec'd child exit ", st);
	if (u_exec("no-such-program", 0) >= 0)
		ptest_fail("ptest: exec of an unknown program succeeded", 0);
	uputs("ptest: ok\n");
	u_exit(0);
}

void lmbench_main(long scale);
void lmexit_main(long arg);
void fp_traps_main(long arg);       /* fastpath.c */
void fp_fastbench_main(long n);
void fp_cowtest_main(long pages);

const struct user_prog user_programs[] = {
	{ "counter", counter_main },
	{ "spin", spin_main },
	{ "fault", fault_main },
	{ "ptest", ptest_main },
	{ "child", child_main },
	{ "lmbench", lmbench_main },
	{ "lmexit", lmexit_main },
	{ "traps", fp_traps_main },
	{ "fastbench", fp_fastbench_main },
	{ "cowtest", fp_cowtest_main },
	{ 0, 0 },
};
