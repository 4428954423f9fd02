/* System call numbers shared by pvos and its user programs. In user mode
 * the hypercall instruction is a system call: rax = number, rdi/rsi/rdx =
 * arguments, rax = result. */
#ifndef PVOS_SYSCALL_H
#define PVOS_SYSCALL_H
#define SYS_write   1
#define SYS_exit    2
#define SYS_getpid  3
#define SYS_yield   4
#define SYS_sleep   5
#define SYS_time    6   /* rdi: 0 system, 1 virtual, 2 wall */
#define SYS_null    7

/* Process memory layout (user mode). */
#define USER_DATA   0x8000000000ULL   /* PML4 slot 1 */
#define USER_PAGES  16
#define USER_STACK_TOP (USER_DATA + USER_PAGES * 4096ULL)
#endif
