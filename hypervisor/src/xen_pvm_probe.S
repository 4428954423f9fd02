/* The PVM question's probe guest (xen_pvm.c runs it in a scratch VM, never
 * in a domain). It starts in PVM's supervisor mode (the guest's CPL0 with
 * a vIF registered) at XP_K + its address and, in this order:
 * 1. reads one word in each L4 slot 256..511 (every slot maps XP_DATA);
 * 2. returns to user mode (ERETU) and reads the same 256 words and one in
 *    the lower half, then comes back with `syscall`;
 * 3. ERETUs to a frame whose CS is DPL1 with rip in the upper half, then
 *    returns to the same frame by iretq;
 * 4. does what a guest kernel must not be able to do behind its monitor's
 *    back: loads a root it built itself and reads through it, writes
 *    LSTAR, makes a `syscall` there, loads an IDT it wrote itself;
 * then reports on HV_REPORT_PORT. Results are bytes at XP_RES (xen_pvm.h).
 * Faults are expected: the handler records 0x80 | vector at
 * r13 + r12 - 256 and resumes at r15 (supervisor: on the probe's stack,
 * r14; user mode: by ERETU, or in supervisor mode at rbp where r15 is
 * in the upper half). `syscall` from user mode comes back to supervisor
 * mode at rbp. */
#include "hvarea.h"
#include "xen_pvm.h"

#define ABS(gpa) XP_K + (gpa)          /* upper-half alias, a sign-extended disp32 */
#define RES(off) ABS(XP_RES + (off))

/* rax := slot r12's address of XP_DATA */
.macro SLOT_VA
	mov %r12, %rax
	shl $39, %rax
	movabs $0xffff000000000000, %rbx
	or %rbx, %rax
	add $XP_DATA, %rax
.endm
/* \reg := the lower-half alias of an address of this code */
.macro LOWER reg
	and $0x7fffffff, \reg
.endm
/* ERETU to {rip, cs, rflags, rsp, ss} */
.macro ERETU_TO rip, cs, rsp, ss
	pushq \ss
	push \rsp
	pushq $0x202
	pushq \cs
	push \rip
	int $0x17
.endm

	.section .rodata.xp_probe, "a"
	.balign 4096
	.globl xp_start, xp_end, xp_entry, xp_vectors, xp_lstar
xp_start:
xp_entry:
	mov %rsp, %r14
	xor %r15d, %r15d

	/* 1: supervisor mode, each upper slot */
	mov $ABS(XP_RES + XP_R_SUPER), %r13
	mov $256, %r12d
1:	SLOT_VA
	lea 2f(%rip), %r15
	mov (%rax), %rbx
	movabs $XP_MARK, %rcx
	cmp %rcx, %rbx
	movb $1, -256(%r13, %r12)
	je 2f
	movb $2, -256(%r13, %r12)
2:	inc %r12
	cmp $512, %r12
	jb 1b

	/* 2: user mode, each upper slot and the lower half */
	mov $(XP_RES + XP_R_USER), %r13d
	lea 3f(%rip), %rbp
	lea xp_user(%rip), %rax
	LOWER %rax
	ERETU_TO %rax, $HV_UCS, $XP_USTACK, $HV_UDS

	/* 3: a DPL1 frame in the upper half (from here on r12 = 256: the
	 * handler's byte is r13's) */
3:	mov $ABS(XP_RES + XP_R_DPL1), %r13
	mov $256, %r12d
	lea xp_back(%rip), %r15
	LOWER %r15
	lea 4f(%rip), %rbp
	lea xp_dpl1(%rip), %rax
	mov $ABS(XP_KSTACK - 0x1000), %rcx
	ERETU_TO %rax, $XP_CS1, %rcx, $XP_SS1

	/* 3b: the same frame by iretq, which supervisor mode may run too */
4:	mov RES(XP_R_CS), %rax
	mov %rax, RES(XP_R_DPL1_CS)
	mov $ABS(XP_RES + XP_R_IRET1), %r13
	lea 5f(%rip), %r15
	lea 5f(%rip), %rbp
	lea xp_iret1(%rip), %rax
	mov $ABS(XP_KSTACK - 0x1000), %rcx
	pushq $XP_SS1
	push %rcx
	pushq $2
	pushq $XP_CS1
	push %rax
	iretq

	/* 4a: a root pair of the guest's own: the kernel root's copy plus
	 * L4[1] -> the lower L3, so XP_DATA shows at 512 GiB + XP_DATA */
5:	mov $256, %r12d
	mov $ABS(XP_RES + XP_R_CR3), %r13
	mov $ABS(XP_L4), %rsi
	mov $ABS(XP_OWN_L4), %rdi
	mov $1024, %ecx
	rep movsq
	movq $(XP_L3LOW | 0x67), ABS(XP_OWN_L4 + 8)
	movq $(XP_L3LOW | 0x67), ABS(XP_OWN_L4 + 0x1008)
	lea 10f(%rip), %r15
	mov $XP_OWN_L4, %eax
	mov %rax, %cr3
	movabs $(0x8000000000 + XP_DATA), %rax
	mov (%rax), %rbx
	movabs $XP_MARK, %rcx
	cmp %rcx, %rbx
	movb $1, RES(XP_R_CR3)
	je 10f
	movb $2, RES(XP_R_CR3)
10:	mov $XP_L4, %eax
	mov %rax, %cr3

	/* 4b: LSTAR := xp_lstar_own, read back */
	mov $ABS(XP_RES + XP_R_LSTAR), %r13
	lea 6f(%rip), %r15
	lea xp_lstar_own(%rip), %rsi
	mov %rsi, %rax
	mov %rsi, %rdx
	shr $32, %rdx
	mov $0xc0000082, %ecx
	wrmsr
	rdmsr
	shl $32, %rdx
	mov %eax, %eax
	or %rdx, %rax
	cmp %rsi, %rax
	movb $1, RES(XP_R_LSTAR)
	je 6f
	movb $2, RES(XP_R_LSTAR)

	/* 4c: `syscall` in supervisor mode */
6:	mov $ABS(XP_RES + XP_R_SYSCALL), %r13
	lea 7f(%rip), %r15
	lea 7f(%rip), %rbp
	syscall
	movb $2, RES(XP_R_SYSCALL)

	/* 4d: an IDT of the guest's own whose #UD gate is xp_ud_own */
7:	mov $ABS(XP_RES + XP_R_LIDT), %r13
	mov $ABS(XP_IDT), %rsi
	mov $ABS(XP_OWN_IDT), %rdi
	mov $(HV_NR_VECTORS * 2), %ecx
	rep movsq
	lea xp_ud_own(%rip), %rax
	mov %ax, ABS(XP_OWN_IDT + 6 * 16)
	shr $16, %rax
	mov %ax, ABS(XP_OWN_IDT + 6 * 16 + 6)
	shr $16, %rax
	mov %eax, ABS(XP_OWN_IDT + 6 * 16 + 8)
	movw $(HV_NR_VECTORS * 16 - 1), RES(XP_R_SCRATCH)
	movq $XP_OWN_IDT, RES(XP_R_SCRATCH + 2)
	lea 8f(%rip), %r15
	lidt RES(XP_R_SCRATCH)
	ud2
8:	movq $XP_IDT, RES(XP_R_SCRATCH + 2)
	lidt RES(XP_R_SCRATCH)

	mov $XP_DONE, %eax
9:	out %al, $HV_REPORT_PORT
	jmp 9b

/* user mode (lower-half alias): r13 = the user results */
xp_user:
	mov $256, %r12d
1:	SLOT_VA
	lea 2f(%rip), %r15
	mov (%rax), %rbx
	movabs $XP_MARK, %rcx
	cmp %rcx, %rbx
	movb $1, -256(%r13, %r12)
	je 2f
	movb $2, -256(%r13, %r12)
2:	inc %r12
	cmp $512, %r12
	jb 1b
	lea 3f(%rip), %r15
	mov XP_DATA, %rbx
	movabs $XP_MARK, %rcx
	cmp %rcx, %rbx
	movb $1, -256(%r13, %r12)
	je 3f
	movb $2, -256(%r13, %r12)
3:
xp_back:
	syscall
	ud2

/* the DPL1 frame's code: reached only if some mode there runs upper-half code */
xp_dpl1:
	movb $1, RES(XP_R_DPL1)
	syscall
	ud2

/* the DPL1 frame by iretq: reached in the upper half, and CPL0's own
 * `mov %cr3` works there (a real CPL1 would take #GP) */
xp_iret1:
	mov %cr3, %rax
	movb $1, RES(XP_R_IRET1)
	mov %r14, %rsp
	jmp *%rbp

/* LSTAR as pvmon sets it: back to supervisor mode's continuation */
xp_lstar:
	mov %r14, %rsp
	jmp *%rbp
/* LSTAR as the guest set it */
xp_lstar_own:
	movb $1, RES(XP_R_SYSCALL)
	mov %r14, %rsp
	jmp *%rbp
/* #UD through the guest's own IDT */
xp_ud_own:
	movb $1, RES(XP_R_LIDT)
	mov %r14, %rsp
	jmp *%r15

	.balign 16
xp_vectors:
	.irp v, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32
	HV_VECTOR \v, xp_common
	.endr

xp_common:
	test %r15, %r15
	jz xp_unexpected
	mov (%rsp), %eax
	or $0x80, %al
	mov %al, -256(%r13, %r12)
	mov 24(%rsp), %rax
	mov %rax, RES(XP_R_CS)
	testb $3, 24(%rsp)
	jnz 1f
	mov %r14, %rsp
	jmp *%r15
1:	bt $63, %r15                  /* a user fault with nowhere to go in user mode: */
	jnc 2f
	mov %r14, %rsp                /* on in supervisor mode, as `syscall` would */
	jmp *%rbp
2:	mov %r15, 16(%rsp)
	add $16, %rsp
	int $0x17

xp_unexpected:
	pop %rdi
	pop %rsi
	pop %rdx
	pop %r8
	mov $XP_FAULT, %eax
1:	out %al, $HV_REPORT_PORT
	jmp 1b
xp_end:
	.section .note.GNU-stack, "", @progbits
