/* Programs that run as pvos processes, in user mode. This file is linked
 * into the .user section: it may call nothing outside it and has no
 * writable globals (processes keep their state on their own stacks). */
#include <stdint.h>
#include "../syscall.h"

struct user_prog { const char *name; void (*fn)(long); };

static long sys(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("outb %%al, $0xE0" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "memory");
	return ret;
}

static unsigned long ustrlen(const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	return n;
}

static void uputs(const char *s)
{
	sys(SYS_write, 1, (long)s, (long)ustrlen(s));
}

/* Write "text<number>\n" from a stack buffer (which lives in data pages). */
static void uputn(const char *text, long v)
{
	char buf[96];
	unsigned long n = 0;
	while (*text && n < 60)
		buf[n++] = *text++;
	char d[24];
	int k = 0;
	unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;
	do {
		d[k++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		buf[n++] = '-';
	while (k)
		buf[n++] = d[--k];
	buf[n++] = '\n';
	sys(SYS_write, 1, (long)buf, (long)n);
}

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

const struct user_prog user_programs[] = {
	{ "counter", counter_main },
	{ "spin", spin_main },
	{ "fault", fault_main },
	{ 0, 0 },
};
