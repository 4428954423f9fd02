/* umlxstate.so: preloaded into User-Mode Linux (linux.uml) so that UML 6.1
 * (Debian bookworm) runs on hosts whose XSAVE area is larger than the one
 * UML knows.
 *
 * Why: UML keeps each of its processes' FPU state in a struct _xstate of
 * 832 bytes (x87, SSE, AVX) and moves it with PTRACE_GETREGSET/SETREGSET
 * (NT_X86_XSTATE). The host kernel takes a SETREGSET only in its own full
 * XSAVE size, which AVX-512 and AMX make larger (11008 bytes on the hosts
 * here), so the first process switch fails with EFAULT and init dies
 * ("ptrace set fp regs failed, errno = 14"). Making UML fall back to FXSAVE
 * state is no cure: UML runs its page-fault stub as a host signal handler,
 * the host clears the vector registers for it, and UML restores only what
 * it saved, so every page fault would zero the AVX upper halves in the
 * middle of glibc's memcpy.
 *
 * The fix here: widen the buffer. Each GETREGSET reads the full host state
 * into a side buffer keyed by UML's buffer address (one per UML task, as
 * UML passes its task's own fp area), gives UML its 832 bytes, and each
 * SETREGSET lays UML's bytes over that side buffer and writes the full
 * state back. State beyond 832 bytes (AVX-512, k registers) is thus that
 * of the task's last stop, which is what a process switch and the
 * page-fault path need; after a guest signal handler returns it is the
 * handler's (as in UML versions that know only AVX). Where the host's area
 * is no larger than UML's, every call passes through unchanged. */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define SLOTS     4096          /* UML tasks with saved state at one time */
#define MAX_XSAVE (64 * 1024)

struct slot {
	uintptr_t key;          /* UML's buffer address; 0 = free */
};

static struct slot slots[SLOTS];
static uint8_t *arena;          /* SLOTS x host_size, touched lazily */
static size_t host_size;        /* full XSAVE size; 0 until probed */
static uint8_t scratch[MAX_XSAVE];

static long sys_ptrace(long req, pid_t pid, void *addr, void *data)
{
	return syscall(SYS_ptrace, req, pid, addr, data);
}

/* Learns the host's XSAVE size from the first GETREGSET UML makes. */
static int probe(pid_t pid)
{
	struct iovec iov = { scratch, sizeof(scratch) };
	if (sys_ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &iov) < 0)
		return -errno;
	host_size = iov.iov_len;
	arena = mmap(NULL, (size_t)SLOTS * host_size, PROT_READ | PROT_WRITE,
	             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (arena == MAP_FAILED) {
		arena = NULL;
		return -ENOMEM;
	}
	return 0;
}

static size_t home(uintptr_t key)
{
	return (key >> 4) * 0x9E3779B97F4A7C15ULL >> 52 & (SLOTS - 1);
}

/* The side buffer of UML buffer key; a new (or evicted) one when create. */
static uint8_t *side(uintptr_t key, int create)
{
	size_t h = home(key);
	for (size_t n = 0; n < SLOTS; n++, h = (h + 1) & (SLOTS - 1)) {
		if (slots[h].key == key)
			return arena + h * host_size;
		if (!slots[h].key)
			break;
	}
	if (!create)
		return NULL;
	if (slots[h].key)           /* table full: take over the home slot */
		h = home(key);
	slots[h].key = key;
	return arena + h * host_size;
}

static long get_xstate(pid_t pid, struct iovec *uiov)
{
	uint8_t *buf = side((uintptr_t)uiov->iov_base, 1);
	struct iovec iov = { buf, host_size };
	if (sys_ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &iov) < 0)
		return -1;
	size_t n = uiov->iov_len < iov.iov_len ? uiov->iov_len : iov.iov_len;
	memcpy(uiov->iov_base, buf, n);
	uiov->iov_len = n;
	return 0;
}

static long set_xstate(pid_t pid, const struct iovec *uiov)
{
	uint8_t *buf = side((uintptr_t)uiov->iov_base, 0);
	if (!buf) {
		/* Never read through this buffer (a task UML made by copying
		 * another): keep the target's current state beyond UML's part. */
		struct iovec cur = { scratch, host_size };
		if (sys_ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &cur) < 0)
			return -1;
		buf = scratch;
	}
	memcpy(buf, uiov->iov_base, uiov->iov_len);
	struct iovec iov = { buf, host_size };
	return sys_ptrace(PTRACE_SETREGSET, pid, (void *)NT_X86_XSTATE, &iov);
}

long ptrace(enum __ptrace_request req, ...)
{
	static long (*real)(enum __ptrace_request, pid_t, void *, void *);
	va_list ap;
	va_start(ap, req);
	pid_t pid = va_arg(ap, pid_t);
	void *addr = va_arg(ap, void *), *data = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real = (long (*)(enum __ptrace_request, pid_t, void *, void *))dlsym(RTLD_NEXT, "ptrace");
	int ours = (req == PTRACE_GETREGSET || req == PTRACE_SETREGSET) &&
	           (uintptr_t)addr == NT_X86_XSTATE && data;
	if (ours && !host_size) {
		int rc = probe(pid);
		if (rc) {
			errno = -rc;
			return -1;
		}
	}
	struct iovec *iov = data;
	if (!ours || iov->iov_len >= host_size)
		return real(req, pid, addr, data);
	return req == PTRACE_GETREGSET ? get_xstate(pid, iov) : set_xstate(pid, iov);
}
