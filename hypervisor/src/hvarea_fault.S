/* The baseline's fault reporter: what the IDT of a domain without the fast
 * path points at (hvarea.c copies it to PV_HV_AREA_VA + HV_FAULT). The
 * guest runs at CPL3 and takes no exceptions on the baseline, so any
 * exception ends the domain; this code only tells pvmon where it happened
 * instead of a triple fault, after which the registers may be gone (KVM
 * resets an AMD-V vCPU at a shutdown). It runs at CPL0 on the vCPU's own
 * supervisor-only stack and never returns to the guest. */
#include "hvarea.h"

	.section .rodata.hv_fault, "a"
	.balign 16
	.globl hv_fault_start, hv_fault_end
hv_fault_start:
	.irp v, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	HV_VECTOR \v, hv_fault_common
	.endr
/* The stack: vector, error code, then the hardware frame {rip cs rflags
 * rsp ss}. A guest that jumps here at CPL3 faults on the %cr2 read (or on
 * the port, closed to CPL3 by the I/O bitmap) and is reported for that. */
hv_fault_common:
	pop %rdi
	pop %rsi
	mov (%rsp), %rdx
	mov 16(%rsp), %r9
	mov 24(%rsp), %r8
	mov %cr2, %r10
	mov $HV_R_FAULT, %eax
1:	out %al, $HV_REPORT_PORT
	jmp 1b
hv_fault_end:
	.section .note.GNU-stack, "", @progbits
