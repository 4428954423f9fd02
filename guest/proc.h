/* pvos processes, inside: what the process files share (space.c: address
 * spaces, copy-on-write and mmap; pipe.c: files and pipes; proc.c:
 * processes, fork, exec, wait and the system-call table). Nothing outside
 * them includes this. */
#ifndef PVOS_PROC_H
#define PVOS_PROC_H
#include "kernel.h"
#include "mm.h"

/* A shared copy-on-write page: mapped read-only with this software bit in
 * every space that shares it; cow_refs[frame] counts the sharers beyond
 * the first. The first write (a #PF, or the kernel writing for a system
 * call) copies it, or takes it back read-write when nobody else has it. */
#define PTE_COW (1ULL << 9)
extern uint16_t *cow_refs;
extern uint64_t cow_copies, cow_reuses;

#define MAX_PROCS 64
#define NFD 16
#define PIPE_SIZE 4096

extern char __user_start[], __user_end[];

enum { F_CONSOLE = 1, F_PIPE_R, F_PIPE_W };
struct pipe {
	uint8_t *buf;
	uint32_t head, count;
	int readers, writers;
	struct waitq q;              /* readers and writers both wait here */
};
struct file {
	int kind, refs;
	struct pipe *pipe;
};

#define NMAPS 16
struct region { uint64_t start, end; uint32_t flags; };

struct proc {
	int pid, ppid, state, exit_code;
	uint64_t pml4;
	uint64_t mmap_next;
	struct region maps[NMAPS];   /* mmaps with MMAP_* flags (flags 0 need none) */
	struct file *fd[NFD];
	struct thread *thread;
	struct waitq waiters;        /* the kernel's proc_wait */
	struct waitq children;       /* this process waiting in SYS_wait */
	int forked;
	struct pv_frame start;       /* the user context it starts in */
};
enum { P_FREE, P_RUNNING, P_ZOMBIE };

extern struct file console_file;

typedef void (*user_fn)(long);
struct user_prog { const char *name; user_fn fn; };
extern const struct user_prog user_programs[];

/* space.c */
uint64_t space_new(void);
int space_pin(uint64_t pml4);
int map_zeroed(uint64_t pml4, uint64_t va, uint64_t pages);
void space_free(uint64_t pml4, uint64_t mmap_hi, int pinned);
int space_copy(uint64_t parent, uint64_t child, uint64_t mmap_next);
int user_copy(struct proc *p, void *kbuf, uint64_t va, uint64_t len, int to_user);
long sys_mmap(struct proc *p, uint64_t len, uint64_t flags);
long sys_munmap(struct proc *p, uint64_t va, uint64_t len);
long sys_mprotect(struct proc *p, uint64_t va, uint64_t len, uint64_t writable);
/* pipe.c */
void file_put(struct file *f);
long sys_pipe(struct proc *p, uint64_t ufds);
long sys_write(struct proc *p, int fd, uint64_t va, uint64_t len);
long sys_read(struct proc *p, int fd, uint64_t va, uint64_t len);
/* proc.c */
struct proc *cur_proc(void);
#endif
