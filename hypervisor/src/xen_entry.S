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
