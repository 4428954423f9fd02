/* The fast path's entry stub: the only code that runs at a domain's CPL0.
 * pvmon copies these bytes into read-only frames of every fast-path domain
 * and maps them at FP_STUB_VA (fastpath.c); pvmon itself never runs them.
 * The guest (pvos kernel and processes) runs at CPL3; exceptions arrive
 * here through the IDT on the vCPU's stub stack (TSS.RSP0), `syscall`
 * through the vCPU's LSTAR trampoline, events as FP_EVENT_VECTOR.
 * Every path saves the guest's registers in a stub frame (SF_*), decides,
 * and leaves through the hardware frame at the end of it, or exits to
 * pvmon with port I/O. Code is position independent; absolute addresses
 * are the FP_*_VA constants, reached as sign-extended 32-bit displacements.
 *
 * One source, two back ends (fastpath_stub_hw.S defines FP_HW):
 * - PVM: back to guest code by ERETU (`int $0x17`, to the frame at rsp) or
 *   the sysret-like `int $0x19` (rip = rcx, rflags = r11); #PF addresses
 *   come from the vIF page's cr2 cell; the vIF is kept off in the stub.
 * - VT-x/AMD-V (FP_HW): plain x86-64 at real CPL0. Back by iretq only: a
 *   sysretq to a non-canonical rcx faults at CPL0 on the guest's stack on
 *   Intel, so the syscall path returns through its frame like the rest;
 *   #PF addresses from %cr2 (no exit in VMX non-root or under SVM); IF is
 *   off in the stub because every gate is an interrupt gate and SFMASK
 *   clears it on `syscall`. */
#include "fastpath.h"

/* From include/pvlab/pv.h (which is C only); fastpath.c checks they agree. */
#define PV_HCALL_PORT   0xE0
#define PV_HC_iret      8
#define PV_VEC_EVENT    256
#define PV_VEC_SYSCALL  257
#define PV_FRAME_USER   1
#define PV_EINVAL       22
#define PV_EFAULT       14

#define PC(f)    FP_PC_OFF + f      /* fields of struct fp_percpu, from the block */
#define VIF_CR2  8

/* The exported symbols carry the back end's prefix: both stubs are linked
 * into pvmon, which copies the one the probe chose. */
#define CAT_(a, b) a##b
#define CAT(a, b)  CAT_(a, b)
#ifdef FP_HW
#define G(name) CAT(fp_hw_, name)
#else
#define G(name) CAT(fp_, name)
#endif

/* Back to guest code through the hardware frame {rip cs rflags rsp ss}
 * at rsp. */
.macro ERETU
#ifdef FP_HW
	iretq
#else
	int $0x17
#endif
.endm
/* The faulting address of a #PF, into \reg. PVM's host writes it into the
 * vIF page (its cr2 cell), so the stub never reads %cr2 there (an exit). */
.macro FAULT_ADDR reg
#ifdef FP_HW
	mov %cr2, \reg
#else
	mov FP_VIF_OFF - FP_PC_OFF + VIF_CR2(%rbx), \reg
#endif
.endm

	.section .rodata.fp_stub, "a"
	.balign 4096
	.globl G(stub_start), G(stub_end)
G(stub_start):

/* Registers are pushed so that the stub frame starts in struct pv_frame's
 * order (r15 first); rbp then points at it and rbx at the per-vCPU data. */
.macro SAVE_GPRS
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
.endm
.macro RESTORE_GPRS
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
.endm
/* An upcall can be delivered now (pending, unmasked, an event callback
 * registered): rdi = the callback, rsi = its vector; else go to \no. */
.macro EVENT_READY no
	mov PC_VINFO(%rbx), %rcx
	cmpb $0, VI_MASK(%rcx)
	jne \no
	cmpb $0, VI_PENDING(%rcx)
	je \no
	mov FP_DOMDATA_VA + DD_EVENT, %rdi
	test %rdi, %rdi
	jz \no
	mov $PV_VEC_EVENT, %esi
	xor %edx, %edx
	incq PC_NEVENT(%rbx)
.endm
.macro ENTER
	SAVE_GPRS
	cld
	mov %rsp, %rbp
	mov %rsp, %rbx
	and $~(FP_BLOCK_SIZE - 1), %rbx
#ifndef FP_HW
	/* PVM honours the virtual IF only in kernel mode, that is here: keep it
	 * off, so that an interrupt can never land inside the stub (pvmon
	 * injects only while guest code runs, which PVM always lets through). */
	movb $0, FP_VIF_OFF(%rbx)
#endif
	add $FP_PC_OFF, %rbx
.endm

/* ---- boot: pvmon starts each vCPU here with rsp = its stub stack,
 * r12 = guest rip, r13 = guest rsp, rdi/rsi as the guest gets them. */
	.globl G(boot)
G(boot):
	pushq $HV_UDS
	push %r13
	pushq $0x202
	pushq $HV_UCS
	push %r12
	xor %r12d, %r12d
	xor %r13d, %r13d
	ERETU

/* ---- syscall: one trampoline per vCPU (its LSTAR) moves to that vCPU's
 * stub stack and builds the frame a hardware event would have pushed. */
.macro LSTAR n
	.balign 64
	mov %rsp, FP_BLOCK(\n) + PC(PC_SCRATCH)
	mov $(FP_BLOCK(\n) + FP_STACK_TOP), %rsp
	pushq $HV_UDS
	pushq FP_BLOCK(\n) + PC(PC_SCRATCH)
	push %r11
	pushq $HV_UCS
	push %rcx
	pushq $0
	pushq $PV_VEC_SYSCALL
	jmp fp_syscall
.endm
	.balign 64
	.globl G(lstar0)
G(lstar0):
	.irp n, 0, 1, 2, 3, 4, 5, 6, 7
	LSTAR \n
	.endr

/* ---- IDT entries: 16 bytes each, vector pushed after the error code
 * (a zero where the CPU pushes none; hvarea.h). */
	.balign 16
	.globl G(vectors)
G(vectors):
	.irp v, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, FP_EVENT_VECTOR
	HV_VECTOR \v, fp_exception
	.endr

fp_exception:
	ENTER
	/* Who was interrupted is what CS says, not where rip points: guest
	 * code may jump into the upper half and fault there at CPL3. */
	testb $3, SF_CS(%rbp)
	jz fp_stub_fault
	mov SF_VEC(%rbp), %rsi
	cmp $FP_EVENT_VECTOR, %rsi
	je fp_event
	mov FP_DOMDATA_VA + DD_TRAPS(, %rsi, 8), %rdi
	test %rdi, %rdi
	jz fp_unhandled
	xor %edx, %edx
	cmp $14, %esi
	jne 1f
	FAULT_ADDR %rdx
1:	incq PC_NTRAP(%rbx)
	jmp fp_bounce

/* An event from guest code: an upcall if the guest takes them now, else
 * straight back (it stays pending; the guest asks when it unmasks). */
fp_event:
	EVENT_READY fp_resume
	jmp fp_bounce

/* Back to the context in the stub frame, whose hardware part is an ERETU
 * frame {rip cs rflags rsp ss}. */
fp_resume:
	mov %rbp, %rsp
	RESTORE_GPRS
	add $16, %rsp
	ERETU

/* ---- bounce to a guest handler: rdi = handler, rsi = pv_frame vector,
 * rdx = fault address. A process's event goes to the kernel stack from
 * stack_switch in the kernel's page table; a kernel event goes below the
 * interrupted stack. The frame is the baseline's struct pv_frame. */
fp_bounce:
	cmpq $0, PC_MODE(%rbx)
	je fp_bounce_kernel
	mov PC_KROOT(%rbx), %rax
	mov %rax, %cr3                   /* one in-kernel exit on PVM */
	incq PC_NCR3(%rbx)
fp_bounce_user:
	mov PC_KSP(%rbx), %r8
	test %r8, %r8
	jz fp_no_kstack
	mov $PV_FRAME_USER, %r9d
	jmp fp_push
fp_bounce_kernel:
	mov SF_RSP(%rbp), %r8
	sub $128, %r8                    /* the interrupted code's red zone */
	xor %r9d, %r9d
fp_push:
	sub $PF_SIZE, %r8
	and $-16, %r8
	/* The frame must lie in the guest's half: a guest rsp pointing at the
	 * stub's own pages would otherwise make the stub write over them. */
	movabs $(FP_GVA_LIMIT - PF_SIZE), %rax
	cmp %rax, %r8
	ja fp_bad_stack
	movq $FP_PHASE_PUSH, PC_PHASE(%rbx)   /* a fault from here on: the guest's stack */
	mov %rdi, %r10
	mov %rsi, %r11
	mov %rbp, %rsi
	mov %r8, %rdi
	mov $15, %ecx
	rep movsq                        /* r15 .. rax */
	mov %r11, SF_VEC(%r8)
	mov SF_ERR(%rbp), %rax
	mov %rax, SF_ERR(%r8)
	mov %rdx, PF_ADDR(%r8)
	mov SF_RIP(%rbp), %rax
	mov %rax, PF_RIP(%r8)
	mov SF_RFLAGS(%rbp), %rax
	mov %rax, PF_RFLAGS(%r8)
	mov SF_RSP(%rbp), %rax
	mov %rax, PF_RSP(%r8)
	mov %r9, PF_FLAGS(%r8)
	mov PC_VINFO(%rbx), %rcx
	movzbl VI_MASK(%rcx), %eax
	mov %rax, PF_MASK(%r8)
	movq $FP_PHASE_NONE, PC_PHASE(%rbx)
	movb $1, VI_MASK(%rcx)           /* callbacks start with upcalls masked */
	movq $0, PC_MODE(%rbx)           /* only now: a failed push is reported as the source's */
	mov %r10, SF_RIP(%rbp)
	movq $HV_UCS, SF_CS(%rbp)
	movq $0x202, SF_RFLAGS(%rbp)
	mov %r8, SF_RSP(%rbp)
	movq $HV_UDS, SF_SS(%rbp)
	mov %r8, SF_RDI(%rbp)            /* rsp = rdi = the frame */
	jmp fp_resume

/* ---- syscall from guest code (the trampoline pushed vector 257). */
fp_syscall:
	ENTER
	cmpq $0, PC_MODE(%rbx)
	jne fp_proc_syscall
	/* The pvos kernel: a hypercall. iret is the stub's; the rest go to
	 * pvmon with the guest's argument registers as they came. */
	cmp $PV_HC_iret, %rax
	je fp_iret
	incq PC_NHCALL(%rbx)
	out %al, $PV_HCALL_PORT
	.globl G(hcall_return)
G(hcall_return):
	mov %rax, SF_RAX(%rbp)
	cmpq $0, PC_RELOAD(%rbx)         /* new_baseptr: pvmon changed the kernel root */
	je 1f
	movq $0, PC_RELOAD(%rbx)
	mov PC_KROOT(%rbx), %rax
	mov %rax, %cr3
	incq PC_NCR3(%rbx)
	/* An event that became deliverable meanwhile: as if it hit on return. */
1:	EVENT_READY fp_sysret
	jmp fp_bounce_kernel
fp_sysret:
#ifdef FP_HW
	jmp fp_resume                    /* the trampoline's frame: rip = rcx, rflags = r11 */
#else
	mov %rbp, %rsp
	RESTORE_GPRS
	mov SF_RSP - SF_VEC(%rsp), %rsp
	int $0x19
#endif

/* A process's system call: to the kernel's syscall callback. */
fp_proc_syscall:
	mov FP_DOMDATA_VA + DD_SYSCALL, %rdi
	test %rdi, %rdi
	jz fp_no_entry
	mov $PV_VEC_SYSCALL, %esi
	xor %edx, %edx
	incq PC_NSYSCALL(%rbx)
	jmp fp_bounce

/* ---- iret(frame): resume the context in a struct pv_frame, checked on a
 * copy (the guest could change its own while we look), as pvmon does. */
fp_iret:
	incq PC_NIRET(%rbx)
	mov SF_RDI(%rbp), %rsi
	movabs $(FP_GVA_LIMIT - PF_SIZE), %rax
	cmp %rax, %rsi
	ja fp_iret_fault                 /* not the guest's memory: as pvmon's copy would fail */
	sub $(PF_SIZE + 8), %rsp
	mov %rsp, %rdi
	mov $PF_WORDS, %ecx
	movq $FP_PHASE_IRET, PC_PHASE(%rbx)
	rep movsq
	movq $FP_PHASE_NONE, PC_PHASE(%rbx)
	mov %rsp, %r12
	movabs $FP_GVA_LIMIT, %rax
	cmp %rax, PF_RIP(%r12)
	jae fp_iret_inval
	cmp %rax, PF_RSP(%r12)
	jae fp_iret_inval
	mov PF_FLAGS(%r12), %r13
	and $PV_FRAME_USER, %r13d
	jz 1f
	cmpq $0, PC_UROOT(%rbx)
	je fp_iret_inval
1:	mov PF_RFLAGS(%r12), %rax
	and $FP_RFLAGS_GUEST, %eax
	or $0x202, %eax
	mov %rax, SF_RFLAGS(%rbp)
	mov PF_RIP(%r12), %rax
	mov %rax, SF_RIP(%rbp)
	mov PF_RSP(%r12), %rax
	mov %rax, SF_RSP(%rbp)
	movq $HV_UCS, SF_CS(%rbp)
	movq $HV_UDS, SF_SS(%rbp)
	movq $0, SF_ERR(%rbp)
	mov PF_MASK(%r12), %rax
	and $1, %eax
	mov PC_VINFO(%rbx), %rcx
	mov %al, VI_MASK(%rcx)
	mov %r12, %rsi
	mov %rbp, %rdi
	mov $15, %ecx
	rep movsq                        /* the restored registers become the stub frame's */
	mov %rbp, %rsp
	/* An event that waited for this unmask: deliver it in the restored
	 * context before it runs (we are still on the kernel's page table). */
	EVENT_READY 2f
	test %r13d, %r13d
	jnz fp_bounce_user
	jmp fp_bounce_kernel
2:	test %r13d, %r13d
	jz fp_resume
	mov PC_UROOT(%rbx), %rax
	mov %rax, %cr3                   /* to the process: one in-kernel exit on PVM */
	incq PC_NCR3(%rbx)
	movq $1, PC_MODE(%rbx)
	jmp fp_resume
fp_iret_inval:
	mov %rbp, %rsp
	movq $-PV_EINVAL, SF_RAX(%rbp)
	jmp fp_sysret
fp_iret_fault:
	mov %rbp, %rsp
	movq $-PV_EFAULT, SF_RAX(%rbp)
	jmp fp_sysret

/* ---- what only pvmon can decide: report and stop (pvmon crashes the
 * domain; the report repeats if the vCPU were ever resumed). */
fp_unhandled:
	mov $FP_R_UNHANDLED, %eax
	mov SF_RSP(%rbp), %r8
	jmp fp_report
/* A fault inside the stub. Reading the guest's iret frame may fault on a
 * bad pointer: iret then fails with -EFAULT, as pvmon's would (the
 * hypercall's stub frame is the outermost one, at the top of the stack).
 * Anything else is reported; pushing a callback frame names it. */
fp_stub_fault:
	cmpq $FP_PHASE_IRET, PC_PHASE(%rbx)
	jne 1f
	movq $FP_PHASE_NONE, PC_PHASE(%rbx)
	lea FP_STACK_TOP - FP_PC_OFF - SF_SIZE(%rbx), %rbp
	movq $-PV_EFAULT, SF_RAX(%rbp)
	jmp fp_sysret
1:	mov $FP_R_STUB_FAULT, %eax
	mov PC_PHASE(%rbx), %r8
	mov SF_R8(%rbp), %r9             /* fp_push: the callback frame's address */
	jmp fp_report
fp_no_kstack:
	mov $FP_R_NO_KSTACK, %eax
	mov SF_RSP(%rbp), %r8
	jmp fp_report
fp_no_entry:
	mov $FP_R_NO_ENTRY, %eax
	mov SF_RSP(%rbp), %r8
	jmp fp_report
fp_bad_stack:
	mov $FP_R_BAD_STACK, %eax
	mov %r8, %r10
	mov SF_RSP(%rbp), %r8
	jmp 1f
fp_report:
	FAULT_ADDR %r10
1:	mov SF_VEC(%rbp), %rdi
	mov SF_ERR(%rbp), %rsi
	mov SF_RIP(%rbp), %rdx
2:	out %al, $HV_REPORT_PORT
	jmp 2b

/* ---- the start-up probe (fastpath_probe.c): its own tiny guest, not a domain. */
	.balign 64
	.globl G(probe_lstar), G(probe_trap), G(probe_user), G(probe_ud)
G(probe_lstar):                  /* rax = 1: also load CR3 (r10 holds its value) */
	test %eax, %eax
	jz 1f
	mov %r10, %cr3
#ifdef FP_HW
1:	sysretq                          /* the probe's own loop: rcx is canonical */
#else
1:	int $0x19
#endif
G(probe_trap):                   /* any exception: report the rip it hit */
	mov (%rsp), %rcx
	mov $FP_R_PROBE, %eax
2:	out %al, $HV_REPORT_PORT
	jmp 2b
G(probe_user):                   /* CPL3: rdi plain syscalls, rsi with a CR3 load; cycles in r14, r15 */
	mov %rdi, %r12
	rdtsc
	shl $32, %rdx
	or %rax, %rdx
	mov %rdx, %r8
1:	xor %eax, %eax
	syscall
	dec %r12
	jnz 1b
	rdtsc
	shl $32, %rdx
	or %rax, %rdx
	sub %r8, %rdx
	mov %rdx, %r14
	mov %rsi, %r12
	rdtsc
	shl $32, %rdx
	or %rax, %rdx
	mov %rdx, %r8
2:	mov $1, %eax
	syscall
	dec %r12
	jnz 2b
	rdtsc
	shl $32, %rdx
	or %rax, %rdx
	sub %r8, %rdx
	mov %rdx, %r15
G(probe_ud):
	ud2
G(stub_end):
	.section .note.GNU-stack, "", @progbits
