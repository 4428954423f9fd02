/* What a pvos user program may call: system calls and a few helpers, all
 * static inline (user programs link nothing outside the .user section and
 * keep no writable globals). */
#ifndef PVOS_ULIB_H
#define PVOS_ULIB_H
#include <stdint.h>
#include "pvlab/pv.h"
#include "../syscall.h"

/* A system call is a call to the hypercall entry made in user mode (rcx
 * and r11 clobbered); pvos's kernel gets it as a syscall callback. */
static inline long sys(long nr, long a, long b, long c)
{
	long ret = nr;
	__asm__ volatile("call *%[entry]"
	                 : "+a"(ret)
	                 : "D"(a), "S"(b), "d"(c), [entry] "r"(PV_HCALL_ENTRY)
	                 : "rcx", "r11", "memory", "cc");
	return ret;
}

static inline unsigned long ustrlen(const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	return n;
}

static inline void uputs(const char *s)
{
	sys(SYS_write, 1, (long)s, (long)ustrlen(s));
}

/* Write "text<number>\n" from a stack buffer (which lives in data pages). */
static inline void uputn(const char *text, long v)
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

static inline long u_now(void) { return sys(SYS_time, 0, 0, 0); }
static inline long u_fork(void) { return sys(SYS_fork, 0, 0, 0); }
static inline __attribute__((noreturn)) void u_exit(long code)
{
	sys(SYS_exit, code, 0, 0);
	for (;;)
		;
}
static inline long u_wait(long pid, int *status) { return sys(SYS_wait, pid, (long)status, 0); }
static inline long u_exec(const char *name, long arg) { return sys(SYS_exec, (long)name, arg, 0); }
static inline long u_pipe(int fds[2]) { return sys(SYS_pipe, (long)fds, 0, 0); }
static inline long u_read(int fd, void *b, long n) { return sys(SYS_read, fd, (long)b, n); }
static inline long u_write(int fd, const void *b, long n) { return sys(SYS_write, fd, (long)b, n); }
static inline long u_close(int fd) { return sys(SYS_close, fd, 0, 0); }
static inline long u_mmap(long len) { return sys(SYS_mmap, len, 0, 0); }
static inline long u_munmap(long addr, long len) { return sys(SYS_munmap, addr, len, 0); }
#endif
