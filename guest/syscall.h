/* System call numbers shared by pvos and its user programs. In user mode
 * the hypercall instruction is a system call: rax = number, rdi/rsi/rdx =
 * arguments, rax = result (negative errno on failure). */
#ifndef PVOS_SYSCALL_H
#define PVOS_SYSCALL_H
#define SYS_write   1   /* fd, buf, len */
#define SYS_exit    2   /* code */
#define SYS_getpid  3
#define SYS_yield   4
#define SYS_sleep   5   /* ns */
#define SYS_time    6   /* rdi: 0 system, 1 virtual, 2 wall */
#define SYS_null    7
#define SYS_fork    8   /* child pid to the parent, 0 to the child */
#define SYS_exec    9   /* name, arg: replaces the address space */
#define SYS_wait   10   /* pid or -1, int *status: returns the pid reaped */
#define SYS_pipe   11   /* int fds[2] */
#define SYS_read   12   /* fd, buf, len */
#define SYS_close  13   /* fd */
#define SYS_mmap   14   /* len, flags: anonymous, zeroed, read-write; returns address */
#define SYS_munmap 15   /* addr, len */
#define SYS_mprotect 16 /* addr, len, writable (0/1): pages of an mmap */

/* mmap flags. Both need page faults delivered to pvos (the fast path);
 * without it mmap refuses them with -EINVAL. */
#define MMAP_LAZY     1 /* frames come on first touch, one page fault each */
#define MMAP_FIXWRITE 2 /* a write to a page made read-only by mprotect makes it
                         * writable again: the kernel plays the part of a
                         * SIGSEGV handler that calls mprotect (lmbench's
                         * protection fault) */

#define E_PIPE  32
#define E_CHILD 10
#define E_BADF   9
#define PV_EINVAL_USER (-22)   /* -EINVAL as user programs see it */

/* Process memory layout (user mode). */
#define USER_DATA   0x8000000000ULL   /* PML4 slot 1: data and stack */
#define USER_PAGES  16
#define USER_STACK_TOP (USER_DATA + USER_PAGES * 4096ULL)
#define USER_MMAP   0x10000000000ULL  /* PML4 slot 2: mmap */
#define USER_MMAP_END 0x18000000000ULL
#endif
