/* pvos exceptions: the handlers (traps.c) and the self-test protocol
 * shared with the raisers in user/fastpath.c (user programs include this
 * too: nothing here needs the kernel). */
#ifndef PVOS_TRAPS_H
#define PVOS_TRAPS_H
#include <stdint.h>

/* rbx of a raiser: "check this frame against r11-r15" (user/fastpath.c). */
#define FP_TRAP_MAGIC   0x7ae57
#define FP_TRAP_MAGIC_S "0x7ae57"

struct fp_raiser {
	const char *name;
	long (*fn)(long from_user);     /* 0: right frame; bit mask of what was wrong; -1: no exception */
};
extern const struct fp_raiser fp_raisers[];

#ifndef PVOS_USER
struct pv_frame;
/* A handler returns 1 when it dealt with the exception (the frame is then
 * resumed, as it may have changed it), 0 to let the next one try. */
typedef int (*trap_handler)(struct pv_frame *f);
void traps_init(void);                  /* register vectors 0..31 with pvmon */
int traps_delivered(void);              /* exceptions reach pvos (a fast path) */
int trap_add(unsigned vector, trap_handler h);
void trap_remove(unsigned vector, trap_handler h);
#endif
#endif
