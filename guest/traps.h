/* pvos exceptions: the handlers (traps.c) and the self-test protocol
 * shared with the raisers in user/fastpath.c (user programs include this
 * too: nothing here needs the kernel). */
#ifndef PVOS_TRAPS_H
#define PVOS_TRAPS_H
#include <stdint.h>

/* rbx of a raiser: "check this frame against r11-r15" (user/fastpath.c). */
#define FP_TRAP_MAGIC   0x7ae57
#define FP_TRAP_MAGIC_S "0x7ae57"

/* A raiser's argument: FP_RAISE_USER when called from a process, and
 * FP_RAISE_HW under the VT-x/AMD-V stub (start_info.fast_path PV_FAST_hw),
 * where the stub's pages are present but supervisor-only (a #PF on them
 * has P set) and `int $5` passes its DPL3 gate. */
#define FP_RAISE_USER 1
#define FP_RAISE_HW   2

struct fp_raiser {
	const char *key;                /* short name for prog=traps skip=KEY,... */
	const char *name;
	long (*fn)(long how);           /* 0: right frame; bit mask of what was wrong; -1: no exception */
	int hw_only;                    /* raisable under PV_FAST_hw only */
};
extern const struct fp_raiser fp_raisers[];
/* The user program "traps" takes arg = a mask of raisers to skip (bit i:
 * fp_raisers[i]) | FP_TRAPS_ARG_HW. */
#define FP_TRAPS_ARG_HW (1L << 32)

#ifndef PVOS_USER
struct pv_frame;
/* A handler returns 1 when it dealt with the exception (the frame is then
 * resumed, as it may have changed it), 0 to let the next one try. */
typedef int (*trap_handler)(struct pv_frame *f);
void traps_init(void);                  /* register vectors 0..31 with pvmon */
int traps_delivered(void);              /* exceptions reach pvos (a fast path) */
int trap_add(unsigned vector, trap_handler h);
void trap_entry(void);                  /* start.S: where every registered vector enters */
uint8_t trap_flags(unsigned vector);    /* PV_TRAP_USER for the vectors `int n` may raise */
void trap_remove(unsigned vector, trap_handler h);
#endif
#endif
