/* The operating system the lmbench-style benchmarks run on: Linux (the
 * native build, pvlm.c) or pvos (the same source built into pvos's user
 * programs with -DLM_PVOS, guest/rules.mk). Everything a benchmark does to the
 * system goes through these calls. */
#ifndef PVLAB_LM_OS_H
#define PVLAB_LM_OS_H
#include <stdint.h>

#ifdef LM_PVOS
#include "../guest/user/ulib.h"
static inline long lm_now(void) { return u_now(); }
static inline long lm_null(void) { return sys(SYS_null, 0, 0, 0); }
static inline long lm_fork(void) { return u_fork(); }
static inline __attribute__((noreturn)) void lm_exit(int c) { u_exit(c); }
static inline long lm_wait(long pid) { int st; return u_wait(pid, &st); }
static inline long lm_pipe(int fds[2]) { return u_pipe(fds); }
static inline long lm_read(int fd, void *b, long n) { return u_read(fd, b, n); }
static inline long lm_write(int fd, const void *b, long n) { return u_write(fd, b, n); }
static inline long lm_close(int fd) { return u_close(fd); }
static inline void *lm_mmap(long len) { long a = u_mmap(len); return a < 0 ? 0 : (void *)a; }
static inline long lm_munmap(void *p, long len) { return u_munmap((long)p, len); }
/* Replace the child with the program that only exits. */
static inline long lm_exec_exit(void) { return u_exec("lmexit", 0); }
/* Page and protection faults need the fast path (exceptions delivered to
 * pvos); on the baseline a fault stops the domain and mmap refuses the
 * flags that rely on faults. */
static inline const char *lm_fault_unsupported(void)
{
	return "this pvos runs the baseline (pvmon --fast-path off or no back end): a fault stops the domain";
}
/* First touch of lazily mapped pages: a fault each, the kernel maps a frame. */
static inline long lm_pagefault(long pages, long *ns)
{
	long len = pages * 4096, a = sys(SYS_mmap, len, MMAP_LAZY, 0);
	if (a < 0)
		return -1;
	volatile char *p = (volatile char *)a;
	long t0 = u_now();
	for (long o = 0; o < len; o += 4096)
		p[o] = 1;
	*ns = (u_now() - t0) / pages;
	u_munmap(a, len);
	return 0;
}
/* mprotect read-only, write, the kernel gives write back (no signals in
 * pvos: the kernel stands in for the SIGSEGV handler lmbench installs). */
static inline long lm_protfault(long n, long *ns)
{
	long a = sys(SYS_mmap, 4096, MMAP_FIXWRITE, 0);
	if (a < 0)
		return -1;
	volatile char *p = (volatile char *)a;
	long t0 = u_now();
	for (long i = 0; i < n; i++) {
		sys(SYS_mprotect, a, 4096, 0);
		p[0] = 1;
	}
	*ns = (u_now() - t0) / n;
	u_munmap(a, 4096);
	return 0;
}
static inline void lm_report(const char *name, long value, const char *unit)
{
	char line[128];
	unsigned long n = 0;
	const char *parts[] = { "lmbench: ", name, " " };
	for (int i = 0; i < 3; i++)
		for (const char *s = parts[i]; *s && n < 80; s++)
			line[n++] = *s;
	char d[24];
	int k = 0;
	unsigned long u = value < 0 ? 0 : (unsigned long)value;
	do {
		d[k++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (k)
		line[n++] = d[--k];
	line[n++] = ' ';
	for (const char *s = unit; *s && n < 126; s++)
		line[n++] = *s;
	line[n++] = '\n';
	u_write(1, line, (long)n);
}
static inline void lm_say(const char *s) { uputs(s); }
#else
long lm_now(void);
long lm_null(void);
long lm_fork(void);
void lm_exit(int code) __attribute__((noreturn));
long lm_wait(long pid);
long lm_pipe(int fds[2]);
long lm_read(int fd, void *b, long n);
long lm_write(int fd, const void *b, long n);
long lm_close(int fd);
void *lm_mmap(long len);
long lm_munmap(void *p, long len);
long lm_exec_exit(void);
const char *lm_fault_unsupported(void);
long lm_pagefault(long pages, long *ns);
long lm_protfault(long n, long *ns);
void lm_report(const char *name, long value, const char *unit);
void lm_say(const char *s);
#endif

/* The suite: every row printed as "lmbench: NAME VALUE UNIT" or
 * "lmbench: NAME unsupported REASON". scale 1 is --quick. */
void lm_run(long scale);
#endif
