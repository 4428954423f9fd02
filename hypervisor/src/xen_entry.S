/* The Xen-mode entry stub (xen_entry.h): pvmon copies these bytes into a
 * read-only frame of every Linux PV domain; pvmon never runs them. */
#include "xen_entry.h"
#include "hvarea.h"

	.section .rodata.xen_stub, "a"
	.balign 4096
	.globl xs_stub_start, xs_stub_end, xs_vectors
xs_stub_start:
	.balign 16
xs_vectors:
	.irp v, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, XS_EVENT_VECTOR
	HV_VECTOR \v, xs_common
	.endr

/* `syscall`: one trampoline per vCPU (its LSTAR, 64 bytes apart). The
 * stub runs at XS_CODE_VA, not where it is assembled, so the vCPU's block
 * is named rip-relative at its distance from the stub's start, which the
 * copy keeps. */
#define XS_AT(va) (xs_stub_start + ((va) - XS_CODE_VA))
.macro XS_LSTAR n
	.balign 64
	mov %rsp, XS_AT(XS_BLOCK_VA(\n) + XS_SCRATCH_OFF)(%rip)
	lea XS_AT(XS_BLOCK_VA(\n) + XS_RSP0_OFF)(%rip), %rsp
	pushq $HV_UDS
	pushq XS_AT(XS_BLOCK_VA(\n) + XS_SCRATCH_OFF)(%rip)
	push %r11
	pushq $HV_UCS
	push %rcx
	pushq $0
	pushq $XS_SYSCALL_VECTOR
	jmp xs_common
.endm
	.balign 64
	.globl xs_lstar0
xs_lstar0:
	.irp n, 0, 1, 2, 3, 4, 5, 6, 7
	XS_LSTAR \n
	.endr

xs_common:
	push %rax
	mov %cr2, %rax
	push %rax
	out %al, $XEN_ENTRY_PORT
	mov (XF_CELL_CR3 * 8)(%rsp), %rax
	mov %rax, %cr3
	add $8, %rsp
	pop %rax
	add $16, %rsp
	iretq
xs_stub_end:

	.section .note.GNU-stack, "", @progbits
