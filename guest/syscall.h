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
#define SYS_mmap   14   /* len: anonymous, zeroed, read-write; returns address */
#define SYS_munmap 15   /* addr, len */

#define E_PIPE  32
#define E_CHILD 10
#define E_BADF   9

/* Process memory layout (user mode). */
#define USER_DATA   0x8000000000ULL   /* PML4 slot 1: data and stack */
#define USER_PAGES  16
#define USER_STACK_TOP (USER_DATA + USER_PAGES * 4096ULL)
#define USER_MMAP   0x10000000000ULL  /* PML4 slot 2: mmap */
#define USER_MMAP_END 0x18000000000ULL
#endif
