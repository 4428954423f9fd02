/* pvlm: the lmbench-style benchmarks (lmbench.c) as a Linux program, the
 * native side of `pvbench lmbench`. */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lm_os.h"
#include "numparse.h"

long lm_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000L + t.tv_nsec;
}

long lm_null(void) { return syscall(SYS_getppid); }   /* what `perf bench syscall basic` calls */
long lm_fork(void) { return fork(); }
void lm_exit(int code) { _exit(code); }
long lm_wait(long pid) { int st; return waitpid((pid_t)pid, &st, 0); }
long lm_pipe(int fds[2]) { return pipe(fds); }
long lm_read(int fd, void *b, long n) { return read(fd, b, (size_t)n); }
long lm_write(int fd, const void *b, long n) { return write(fd, b, (size_t)n); }
long lm_close(int fd) { return close(fd); }
long lm_munmap(void *p, long len) { return munmap(p, (size_t)len); }

void *lm_mmap(long len)
{
	void *p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

long lm_exec_exit(void)
{
	execl("/proc/self/exe", "pvlm", "--exit", (char *)NULL);
	return -errno;
}

const char *lm_fault_unsupported(void) { return "not available"; }

/* Minor faults: first touch of fresh anonymous pages. */
long lm_pagefault(long pages, long *ns)
{
	long len = pages * 4096;
	volatile char *p = lm_mmap(len);
	if (!p)
		return -1;
	long t0 = lm_now();
	for (long o = 0; o < len; o += 4096)
		p[o] = 1;
	*ns = (lm_now() - t0) / pages;
	munmap((void *)p, (size_t)len);
	return 0;
}

static volatile char *prot_page;
static void on_segv(int sig)
{
	(void)sig;
	mprotect((void *)prot_page, 4096, PROT_READ | PROT_WRITE);
}

/* A write to a read-only page, caught by a handler that lets it through:
 * the mprotect, the fault, the signal and the mprotect back. */
long lm_protfault(long n, long *ns)
{
	prot_page = lm_mmap(4096);
	if (!prot_page)
		return -1;
	struct sigaction sa = { .sa_handler = on_segv }, old;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old);
	long t0 = lm_now();
	for (long i = 0; i < n; i++) {
		mprotect((void *)prot_page, 4096, PROT_READ);
		prot_page[0] = 1;
	}
	*ns = (lm_now() - t0) / n;
	sigaction(SIGSEGV, &old, NULL);
	munmap((void *)prot_page, 4096);
	return 0;
}

void lm_report(const char *name, long value, const char *unit)
{
	printf("lmbench: %s %ld %s\n", name, value, unit);
	fflush(stdout);
}

void lm_say(const char *s)
{
	fputs(s, stdout);
	fflush(stdout);
}

/* The k-th read's block: spread over the device, never the same block
 * twice in a row. */
static off_t qd_offset(long k, long blocks) { return (off_t)((k * 104729) % blocks) * 4096; }

/* DEPTH reads in flight from one process, as fio's iodepth does: io_uring
 * (liburing). Every completion there is is reaped and its refill queued,
 * then one io_uring_enter submits the refills and waits for the next
 * completion (fio's iodepth_batch_complete with iodepth_batch): one
 * system call a round, however many reads the round holds. -1: no
 * io_uring here (the caller falls back to processes). */
static int queue_depth_uring(int fd, long blocks, int depth, int count)
{
	struct io_uring ring;
	if (io_uring_queue_init((unsigned)depth, &ring, 0))
		return -1;
	char *bufs;
	if (posix_memalign((void **)&bufs, 4096, (size_t)depth * 4096)) {
		io_uring_queue_exit(&ring);
		return 1;
	}
	long issued = 0, done = 0, enters = 0, rounds = 0, t0 = lm_now();
	int bad = 0;
	for (int slot = 0; slot < depth && issued < count; slot++, issued++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		io_uring_prep_read(sqe, fd, bufs + (size_t)slot * 4096, 4096, (uint64_t)qd_offset(issued, blocks));
		io_uring_sqe_set_data64(sqe, (uint64_t)slot);
	}
	while (done < count && !bad) {
		/* Submits what is queued and waits for a completion: one io_uring_enter. */
		enters++;
		if (io_uring_submit_and_wait(&ring, 1) < 0) {
			bad = 1;
			break;
		}
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;
		io_uring_for_each_cqe(&ring, head, cqe) {
			n++;
			done++;
			bad |= cqe->res != 4096;
			if (issued < count) {
				uint64_t slot = io_uring_cqe_get_data64(cqe);
				struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
				io_uring_prep_read(sqe, fd, bufs + slot * 4096, 4096, (uint64_t)qd_offset(issued++, blocks));
				io_uring_sqe_set_data64(sqe, slot);
			}
		}
		io_uring_cq_advance(&ring, n);
		rounds += n > 0;
	}
	long t = lm_now() - t0;
	io_uring_queue_exit(&ring);
	free(bufs);
	if (bad) {
		fprintf(stderr, "pvlm: --qd: a read through io_uring failed\n");
		return 1;
	}
	printf("qd: depth %d, %d reads of 4096 bytes in %ld ns (io_uring, one process): %ld requests, "
	       "%ld system calls (io_uring_enter), %ld rounds of completions\n", depth, count, t, done, enters, rounds);
	return 0;
}

/* --qd DEV DEPTH COUNT: COUNT 4 KiB reads of DEV with O_DIRECT (each a
 * request of the block device, the page cache bypassed), DEPTH in flight
 * at once: from one process through io_uring, or, where the kernel has
 * none, from DEPTH processes. */
static int queue_depth(const char *dev, int depth, int count)
{
	int fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	off_t size = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
	if (fd < 0 || size < 4096 * 64) {
		fprintf(stderr, "pvlm: --qd: %s: %s\n", dev, fd < 0 ? strerror(errno) : "smaller than 256 KiB");
		return 1;
	}
	long blocks = size / 4096, t0 = lm_now();
	int rc = queue_depth_uring(fd, blocks, depth, count);
	if (rc >= 0)
		return rc;
	for (int i = 0; i < depth; i++) {
		if (fork() == 0) {
			void *buf;
			if (posix_memalign(&buf, 4096, 4096))
				_exit(1);
			for (long k = i; k < count; k += depth)
				if (pread(fd, buf, 4096, qd_offset(k, blocks)) != 4096)
					_exit(1);
			_exit(0);
		}
	}
	int bad = 0, st;
	while (wait(&st) > 0)
		bad += !WIFEXITED(st) || WEXITSTATUS(st);
	if (bad) {
		fprintf(stderr, "pvlm: --qd: %d of %d readers failed\n", bad, depth);
		return 1;
	}
	printf("qd: depth %d, %d reads of 4096 bytes in %ld ns (%d processes)\n", depth, count, lm_now() - t0, depth);
	return 0;
}

int main(int argc, char **argv)
{
	int scale = 4;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--exit"))
			_exit(0);
		if (!strcmp(argv[i], "--qd")) {
			int depth, count;
			if (i + 3 >= argc || num_int(argv[i + 2], 1, 256, &depth) || num_int(argv[i + 3], 1, 1 << 24, &count)) {
				fprintf(stderr, "pvlm: --qd DEV DEPTH(1..256) COUNT\n");
				return 2;
			}
			return queue_depth(argv[i + 1], depth, count);
		}
		if (!strcmp(argv[i], "--quick")) {
			scale = 1;
		} else if (!strcmp(argv[i], "--scale") && i + 1 < argc) {
			if (num_int(argv[++i], 1, 1000, &scale)) {
				fprintf(stderr, "pvlm: --scale must be a number in 1..1000, not '%s'\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: pvlm [--quick | --scale N] | --qd DEV DEPTH COUNT\n"
			       "lmbench-style microbenchmarks on this Linux host (the native side of\n"
			       "`pvbench lmbench`): one line \"lmbench: NAME VALUE UNIT\" a row.\n"
			       "--qd: COUNT 4 KiB O_DIRECT reads of DEV, DEPTH in flight at once.\n");
			return 0;
		} else {
			fprintf(stderr, "pvlm: unknown argument '%s' (try --help)\n", argv[i]);
			return 2;
		}
	}
	lm_run(scale);
	return 0;
}
