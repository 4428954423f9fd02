/* pvos kernel interfaces. */
#ifndef PVOS_KERNEL_H
#define PVOS_KERNEL_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "hypercall.h"

/* lib.c */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
char *strcpy(char *d, const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
unsigned long strtoul(const char *s, const char **end, int base);
void poweroff(int code) __attribute__((noreturn));
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Value of key=VALUE in the command line, or def. */
const char *cmdline_get(const char *key, const char *def, char *buf, size_t n);
unsigned long cmdline_num(const char *key, unsigned long def);

/* Self-tests (lib.c): each expect() counts a check and prints one line
 * "WHO: WHAT returned X, expected Y" when it fails; tally_done prints
 * "WHO: N checks, M failed" and gives the program's exit code. */
struct tally { const char *who; int checks, failed; };
void tally_expect(struct tally *t, const char *what, long got, long want);
int tally_done(const struct tally *t);

/* boot state */
extern struct pv_start_info *start_info;
extern struct pv_shared_info *shared;

/* time.c */
uint64_t rdtsc(void);
uint64_t system_time(void);      /* ns since pvmon started */
uint64_t virtual_time(void);     /* ns this vCPU has run */
uint64_t wall_time(void);        /* ns since the Unix epoch */
uint64_t ns_to_tsc_delta(uint64_t ns);

/* events.c */
typedef void (*evtchn_handler)(uint32_t port, void *arg);
void events_init(void);
int bind_virq(uint32_t virq, evtchn_handler h, void *arg);
int bind_port(uint32_t port, evtchn_handler h, void *arg);
void unmask_port(uint32_t port);
int irq_save(void);                 /* mask upcalls, return previous mask */
void irq_restore(int mask);
void irq_enable(void);
extern volatile uint64_t ticks;
extern uint64_t tick_ns;
void timer_start(uint64_t period_ns);
void timer_stop(void);

/* sched.c: kernel threads, preempted on the timer tick */
struct thread;
struct proc;
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg);
void thread_exit(void) __attribute__((noreturn));
void schedule(void);
void yield(void);
void sleep_ns(uint64_t ns);
struct thread *current_thread(void);
uint64_t thread_stack_top(struct thread *t);
void thread_set_proc(struct thread *t, struct proc *p);
struct proc *thread_proc(struct thread *t);
void need_resched(void);
void resched_if_needed(void);
/* Wait queues. Check the condition and call wait_on with upcalls masked
 * (irq_save), in a loop: an upcall between the check and the wait would
 * otherwise wake nobody. wait_on returns with upcalls still masked. */
struct waitq { struct thread *head; };
void wait_on(struct waitq *q);
void wake_all(struct waitq *q);
int thread_count(void);
extern uint64_t context_switches;

/* proc.c */
int proc_spawn(const char *prog, uint64_t arg);   /* returns pid */
int proc_wait(int pid, int *code);                 /* 0 when reaped */
void proc_init(void);

/* balloon.c */
int balloon_init(void);
void balloon_adjust(void);

struct pv_frame *do_upcall(struct pv_frame *f);
struct pv_frame *do_syscall(struct pv_frame *f);
#endif
