/* The Xen-mode entry stub (xen_entry.h): pvmon copies these bytes into a
 * read-only frame of every Linux PV domain; pvmon never runs them. */
#include "xen_entry.h"
#include "hvarea.h"

/* With rsp at the frame: a word of it, a cell of the vCPU. */
#define FW(i) ((i) * 8)(%rsp)
#define CL(c) (XF_CELL(c) * 8)(%rsp)
#define RF_IF 0x200
#define RF_BOUNCE_CLEAR 0x74100      /* VM RF NT TF (AC stays), as xen_trap.c's bounce */
#define RF_IRET_GUEST 0x2c0dd5       /* what an iret frame may set, as xen_iret */
/* The stub runs at XS_CODE_VA, not where it is assembled: what it names
 * in its own pages is rip-relative at its distance from the stub's start. */
#define XS_AT(va) (xs_stub_start + ((va) - XS_CODE_VA))

	.section .rodata.xen_stub, "a"
	.balign 4096
	.globl xs_stub_start, xs_stub_end, xs_vectors, xs_fast_begin, xs_fast_commit, xs_fast_abort
	.globl xs_mmu_locked, xs_mmu_unlocked, xs_mmu_cas, xs_mmu_commit, xs_mmu_done, xs_base_commit, xs_base_done
	.globl xs_bell_out, xs_bell_rung
xs_stub_start:
	.balign 16
xs_vectors:
	.irp v, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	HV_VECTOR \v, xs_common
	.endr
	HV_VECTOR XS_EVENT_VECTOR, xs_event

/* The event vector: from a back end's thread through KVM's local APIC (a
 * fixed MSI, which the APIC holds in service until an EOI) or from the
 * vCPU's own thread (KVM_INTERRUPT: an ExtINT, none needed). An EOI with
 * nothing in service is ignored, so every entry starts with one, before
 * anything can take the vCPU to pvmon. */
xs_event:
	cmpq $0, XS_AT(XS_DOM_VA + XD_LAPIC * 8)(%rip)
	je xs_common
	push %rax
	push %rcx
	push %rdx
	mov $XS_MSR_X2APIC_EOI, %ecx
	xor %eax, %eax
	xor %edx, %edx
	wrmsr
	testb $3, 48(%rsp)                /* the cs it came from (above rdx rcx rax vec err rip) */
	jz 1f
	pop %rdx
	pop %rcx
	pop %rax
	jmp xs_common
/* At CPL0: inside the stub, whose IF is clear. KVM delivered the vector
 * again at the first instruction of the same vector's entry (seen under
 * nested SVM in QEMU TCG, about one vcpus = 2 boot in six: a delivery
 * that an exit interrupted, reinjected after it had completed). The
 * outer entry goes on; so that no event waits on it, the vector is sent
 * again to this vCPU (x2APIC self IPI), for when the guest can take it,
 * and counted (XD_NESTED). */
1:	mov $XS_MSR_X2APIC_SELF_IPI, %ecx
	mov $XS_EVENT_VECTOR, %eax
	wrmsr
	lock incq XS_AT(XS_DOM_VA + XD_NESTED * 8)(%rip)
	pop %rdx
	pop %rcx
	pop %rax
	add $16, %rsp
	iretq

/* `syscall`: one trampoline per vCPU (its LSTAR, 64 bytes apart), its
 * block named rip-relative. */
#define XS_SCRATCH(n) XS_AT(XS_BLOCK_VA(n) + XS_RSP0_OFF + XC_SCRATCH * 8)
.macro XS_LSTAR n
	.balign 64
	mov %rsp, XS_SCRATCH(\n)(%rip)
	lea XS_AT(XS_BLOCK_VA(\n) + XS_RSP0_OFF)(%rip), %rsp
	pushq $HV_UDS
	pushq XS_SCRATCH(\n)(%rip)
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

/* [r, r + len) lies in guest memory a bounce may touch: the lower half,
 * or the upper half above Xen's slots 256..271 (pvmon's M2P and this
 * stub), without wrapping; else the slow path. */
.macro GUEST_RANGE r, len, tmp
	lea (\len - 1)(\r), \tmp
	cmp \r, \tmp
	jb xs_fast_abort
	shr $47, \tmp
	jz .Lrange_ok\@
	mov \r, \tmp
	shr $43, \tmp
	cmp $0x1ffff1, \tmp
	jb xs_fast_abort
.Lrange_ok\@:
.endm

.macro CANONICAL r
	sar $47, \r
	jz .Lcanon\@
	cmp $-1, \r
	jne xs_fast_abort
.Lcanon\@:
.endm

/* va (kept) canonical and outside Xen's L4 slots, else the slow path; clobbers rax. */
.macro GUEST_VA va
	mov \va, %rax
	CANONICAL %rax
	mov \va, %rax
	shr $39, %rax
	and $511, %eax
	sub $XS_HV_FIRST_SLOT, %eax
	cmp $(XS_HV_LAST_SLOT - XS_HV_FIRST_SLOT), %eax
	jbe xs_fast_abort
.endm

/* The words of a bounce frame at rax + off after rcx, r11 (and the error
 * code): rip, cs (with the upcall mask in bits 32-39, as the frame saves
 * it), rflags (IF as that mask says), rsp, ss, as Xen's
 * create_bounce_frame. rdi: the vcpu_info; clobbers rdx and rsi. */
.macro BOUNCE_TAIL off, cs
	mov FW(XF_RIP), %rdx
	mov %rdx, \off(%rax)
	movzbl XS_VI_MASK(%rdi), %esi
	mov %rsi, %rdx
	shl $32, %rdx
	or \cs, %rdx
	mov %rdx, (\off + 8)(%rax)
	mov FW(XF_RFLAGS), %rdx
	and $~0x3200, %rdx
	test %esi, %esi
	jnz .Lmasked\@
	or $RF_IF, %rdx
.Lmasked\@:
	mov %rdx, (\off + 16)(%rax)
	mov FW(XF_RSP), %rdx
	mov %rdx, (\off + 24)(%rax)
	movq $XS_FLAT_SS, (\off + 32)(%rax)
.endm

/* Xen's bounce frame of len bytes below the stack top in rax: rax
 * 16-aligned and moved down to it (in guest memory a bounce may touch,
 * else the slow path), its first words rcx and r11; clobbers tmp. */
.macro FRAME_HEAD len, tmp
	and $-16, %rax
	sub $\len, %rax
	GUEST_RANGE %rax, \len, \tmp
	mov %rcx, (%rax)
	mov %r11, 8(%rax)
.endm

/* From guest user mode: Xen's frame (rcx r11 rip cs rflags rsp ss) on
 * the kernel's stack, its tables loaded (no stack yet: pvmon's), then to
 * commit. */
.macro USER_FRAME commit
	mov CL(XC_KSP), %rax
	test %rax, %rax
	jz xs_fast_abort
	mov CL(XC_KCR3), %rdx
	mov %rdx, %cr3
	FRAME_HEAD 56, %rdx
	BOUNCE_TAIL 16, $XS_FLAT_USER_CS
	jmp \commit
.endm

/* An event upcall due (one pending, events unmasked; rdi the vcpu_info)
 * with a callback to take it, else to none; no callback yet: pvmon's. */
.macro UPCALL_DUE none
	cmpb $0, XS_VI_PENDING(%rdi)
	je \none
	cmpb $0, XS_VI_MASK(%rdi)
	jne \none
	cmpq $0, CL(XC_CB_EVENT)
	je xs_fast_abort
.endm

xs_common:
	push %rax
	mov %cr2, %rax
	push %rax
	testb $3, FW(XF_CS)
	jz xs_in_stub
	cmpq $0, CL(XC_FAST)
	je xs_slow
	mov %rdx, CL(XC_SAVE)
	mov %rsi, CL(XC_SAVE + 1)
	mov %rdi, CL(XC_SAVE + 2)
	mov %rcx, CL(XC_SAVE_RCX)
	mov %r11, CL(XC_SAVE_R11)
	jmp xs_fast_begin

/* Back to the frame the entry came with (from anywhere in the block's
 * stack) and its registers, and the slow path. pvmon sends a vCPU here
 * that it stopped inside the fast path's window when a TLB flush is owed
 * (xen_tlb.c). */
xs_fast_abort:
	mov %rsp, %rax
	and $~XS_BLOCK_MASK, %rax
	lea (XS_RSP0_OFF - XF_WORDS * 8)(%rax), %rsp
	mov CL(XC_SAVE), %rdx
	mov CL(XC_SAVE + 1), %rsi
	mov CL(XC_SAVE + 2), %rdi
	mov CL(XC_SAVE_RCX), %rcx
	mov CL(XC_SAVE_R11), %r11
xs_slow:
	out %al, $XEN_ENTRY_PORT
	mov CL(XC_CR3), %rax
	mov %rax, %cr3
xs_leave:
	add $8, %rsp
	pop %rax
	add $16, %rsp
	iretq

/* An exception at CPL0, which only this page runs: a touch of guest
 * memory inside the fast path's window faulted (the entry's own frame is
 * intact above this one), or a bug, which the `out` from the wrong rsp
 * reports to pvmon. */
xs_in_stub:
	mov FW(XF_RIP), %rax
	and $(XS_CODE_SIZE - 1), %eax
	cmp $(xs_fast_begin - xs_stub_start), %eax
	jb xs_slow
	cmp $(xs_fast_commit - xs_stub_start), %eax
	jae xs_slow
	jmp xs_fast_abort

/* The window: nothing here changes what the guest or pvmon sees, so it
 * can be abandoned at any instruction (a fault, or pvmon's xs_fast_abort). */
xs_fast_begin:
	cmpq $0, CL(XC_FLUSH)
	jne xs_fast_abort
	mov CL(XC_T_LIMIT), %rax          /* traced: no room for the record, pvmon's (it drains the ring) */
	test %rax, %rax
	jz 1f
	cmp CL(XC_T_HEAD), %rax
	jbe xs_fast_abort
1:	mov CL(XC_VI), %rdi
	mov FW(XF_VEC), %rax
	cmp $XS_SYSCALL_VECTOR, %rax
	je xs_fast_syscall
	cmp $14, %rax
	je xs_fast_pf
	cmp $13, %rax
	je xs_fast_gp
	cmp $XS_EVENT_VECTOR, %rax
	je xs_fast_event
	jmp xs_fast_abort

/* The event vector in guest user or kernel mode: with an event pending
 * and unmasked, what Xen's return to the guest does: Xen's frame (rcx r11
 * rip cs rflags rsp ss, the interrupted context) on the kernel's stack,
 * events masked, into the event callback, as pvmon's bounce does it; with
 * none, back to the guest as it was. No callback yet: pvmon's. */
xs_fast_event:
	cmpq $3, CL(XC_STOP)              /* a test's: the vector again inside the stub, once a run */
	jne 2f
	movq $0, CL(XC_STOP)
	int $XS_EVENT_VECTOR
2:	UPCALL_DUE xs_commit_event
	cmpq $0, CL(XC_USER)
	jne 1f
	mov FW(XF_RSP), %rax
	FRAME_HEAD 56, %rdx
	BOUNCE_TAIL 16, $XS_FLAT_KERNEL_CS_RPL0
	jmp xs_commit_evup
1:	USER_FRAME xs_commit_evup

/* A system call of a guest process: Xen's frame (rcx r11 rip cs rflags
 * rsp ss) on the kernel stack, for the syscall callback. */
xs_fast_syscall:
	cmpq $0, CL(XC_USER)
	je xs_fast_hcall
	cmpq $0, CL(XC_CB_SYSCALL)
	je xs_fast_abort
	USER_FRAME xs_commit_syscall

/* A page fault: Xen's frame with the error code (its user bit the
 * guest's mode) for the trap table's handler; a kernel write to a present
 * page may be one to a page table, emulated below or by pvmon (ptwr). */
xs_fast_pf:
	mov FW(XF_ERR), %rdx
	and $~4, %rdx
	cmpq $0, CL(XC_USER)
	jne 1f
	mov %edx, %eax
	and $3, %eax
	cmp $3, %eax
	je xs_fast_ptwr
	cmpq $0, CL(XC_PF)
	je xs_fast_abort
	mov FW(XF_RSP), %rax
	jmp 2f
1:	cmpq $0, CL(XC_PF)
	je xs_fast_abort
	or $4, %rdx
	mov CL(XC_KSP), %rax
	test %rax, %rax
	jz xs_fast_abort
	mov CL(XC_KCR3), %rsi
	mov %rsi, %cr3
2:	FRAME_HEAD 64, %rsi
	mov %rdx, 16(%rax)
	cmpq $0, CL(XC_USER)
	jne 3f
	BOUNCE_TAIL 24, $XS_FLAT_KERNEL_CS_RPL0
	jmp xs_commit_pf
3:	BOUNCE_TAIL 24, $XS_FLAT_USER_CS
	jmp xs_commit_pf

/* A hypercall: the iret here (Xen's do_iret, as xen_iret does it), any
 * other for pvmon. The frame is read into the cells and checked first;
 * unmasking with an event pending goes to pvmon, which delivers it. */
xs_fast_hcall:
	cmpq $XS_HYPERVISOR_MMU_UPDATE, FW(XF_RAX)
	je xs_fast_mmu
	cmpq $XS_HYPERVISOR_UPDATE_VA_MAPPING, FW(XF_RAX)
	je xs_fast_uvm
	cmpq $XS_HYPERVISOR_MMUEXT_OP, FW(XF_RAX)
	je xs_fast_base
	cmpq $XS_HYPERVISOR_SET_SEGMENT_BASE, FW(XF_RAX)
	je xs_fast_segbase
	cmpq $XS_HYPERVISOR_STACK_SWITCH, FW(XF_RAX)
	je xs_fast_stack_switch
	cmpq $XS_HYPERVISOR_VCPU_OP, FW(XF_RAX)
	je xs_fast_vcpu_op
	cmpq $XS_HYPERVISOR_EVENT_CHANNEL_OP, FW(XF_RAX)
	je xs_fast_send
	cmpq $XS_HYPERVISOR_XEN_VERSION, FW(XF_RAX)
	je xs_fast_version
	cmpq $XS_HYPERVISOR_IRET, FW(XF_RAX)
	jne xs_fast_abort
	mov FW(XF_RSP), %rax
	GUEST_RANGE %rax, 72, %rdx
	.irp i, 0, 1, 2, 3, 4, 5, 6, 7, 8
	mov (\i * 8)(%rax), %rdx
	mov %rdx, CL(XC_IRET + \i)
	.endr
	mov CL(XC_IRET + 4), %rdx
	CANONICAL %rdx
	mov CL(XC_IRET + 7), %rdx
	CANONICAL %rdx
	testb $3, CL(XC_IRET + 5)
	jz 1f
	cmpq $0, CL(XC_UCR3)
	je xs_fast_abort
1:	testl $RF_IF, CL(XC_IRET + 6)
	jz xs_commit_iret
	movb $0, XS_VI_MASK(%rdi)
	mfence
	cmpb $0, XS_VI_PENDING(%rdi)
	jne xs_fast_abort
	jmp xs_commit_iret

/* A #GP(0) of the kernel at port I/O (no device of pvmon's: `in` reads
 * all ones, `out` is dropped) or at cli/sti with a virtual IOPL (no-ops:
 * events are the upcall mask's), as xen_trap.c's emulate_gp does them;
 * any other instruction, or a prefix but one 0x66, goes to pvmon. */
xs_fast_gp:
	cmpq $0, FW(XF_ERR)
	jne xs_fast_abort
	cmpq $0, CL(XC_USER)
	jne xs_fast_abort
	mov FW(XF_RIP), %rax
	GUEST_RANGE %rax, 3, %rdx
	xor %esi, %esi                    /* 1: an operand-size prefix */
	xor %edi, %edi                    /* the instruction's length */
	movzbl (%rax), %edx
	cmp $0x66, %edx
	jne 1f
	inc %esi
	inc %edi
	movzbl 1(%rax), %edx
1:	mov FW(XF_RAX), %rax
	mov %rax, CL(XC_EMUL_RAX)
	mov %edx, %eax
	or $1, %eax
	cmp $0xfb, %eax
	jne 2f
	test %esi, %esi                   /* cli, sti */
	jnz xs_fast_abort
	cmpq $0, CL(XC_IOPL)
	je xs_fast_abort
	inc %edi
	jmp xs_commit_gp
2:	mov %edx, %eax
	and $0xf4, %eax
	cmp $0xe4, %eax                   /* in/out: e4-e7 with a port byte, ec-ef with dx */
	jne xs_fast_abort
	inc %edi
	test $8, %edx
	jnz 3f
	inc %edi
3:	test $2, %edx
	jnz xs_commit_gp                  /* out */
	mov CL(XC_EMUL_RAX), %rax
	test $1, %edx
	jnz 4f
	or $0xff, %rax
	jmp 6f
4:	test %esi, %esi
	jz 5f
	or $0xffff, %rax
	jmp 6f
5:	mov $0xffffffff, %eax
6:	mov %rax, CL(XC_EMUL_RAX)
	jmp xs_commit_gp

/* set_segment_base(which, base), as xen_hypercall.c's: a hypercall
 * comes from kernel mode, where GS is the kernel's and the shadow GS base
 * the user's; a user GS selector makes the user's base 0 (pvmon's GDT has
 * only flat user segments). A base that is not canonical, or another
 * `which`, goes to pvmon (-EINVAL). The wrmsr is the window's last step:
 * a window abandoned after it has pvmon write the same base again. rcx,
 * which a hypercall clobbers (`syscall`), is given back as it came. */
xs_fast_segbase:
	mov CL(XC_SAVE + 2), %rax
	mov CL(XC_SAVE + 1), %rdx
	cmp $XS_SEGBASE_GS_USER_SEL, %rax
	ja xs_fast_abort
	jne 1f
	xor %edx, %edx
	mov $XS_SEGBASE_GS_USER, %eax
1:	mov %rdx, %rsi
	CANONICAL %rsi
	mov $XS_MSR_FS_BASE, %ecx
	cmp $XS_SEGBASE_GS_USER, %eax
	jne 2f
	mov $XS_MSR_SHADOW_GS_BASE, %ecx
2:	cmp $XS_SEGBASE_GS_KERNEL, %eax
	jne 3f
	mov $XS_MSR_GS_BASE, %ecx
3:	mov %edx, %eax
	shr $32, %rdx
	wrmsr
	mov FW(XF_RIP), %rcx
	jmp xs_commit_segbase

/* stack_switch(ss, esp): the kernel stack of the next entry from user
 * mode, canonical (else pvmon: -EINVAL), as xen_hypercall.c's; pvmon
 * reads the cell back after the run (xen_after_run). */
xs_fast_stack_switch:
	mov CL(XC_SAVE + 1), %rax
	CANONICAL %rax
	jmp xs_commit_stack_switch

/* vcpu_op(cmd, vcpu, arg) on a vCPU the domain does not have: -ENOENT,
 * whatever cmd, as xen_hypercall.c's. Linux asks is_up of every CPU it
 * could have at boot (8192 in Debian's kernel). On the calling vCPU:
 * its one-shot timer (Linux's clock event, every tick and idle), set
 * into XC_TIMER where pvmon's watcher will look at it in time
 * (xen_timer.c): the xchg before the read of XC_TIMER_WATCH pairs with
 * the watcher's store of it before its read of XC_TIMER. A deadline
 * before the watch (or 0), a flag (VCPU_SSHOTTMR_future needs the
 * time) and any other cmd go to pvmon, which sets the same cell. */
xs_fast_vcpu_op:
	mov CL(XC_SAVE + 1), %rax
	cmp XS_AT(XS_DOM_VA + XD_VCPUS * 8)(%rip), %rax
	jae xs_commit_vcpu_op
	inc %rax
	cmp CL(XC_ID), %rax
	jne xs_fast_abort
	xor %edx, %edx
	mov CL(XC_SAVE + 2), %rax
	cmp $XS_VCPUOP_STOP_SINGLESHOT_TIMER, %rax
	je 1f
	cmp $XS_VCPUOP_SET_SINGLESHOT_TIMER, %rax
	jne xs_fast_abort
	mov CL(XC_SAVE), %rax
	GUEST_RANGE %rax, 12, %rdx
	cmpl $0, 8(%rax)
	jne xs_fast_abort
	mov (%rax), %rdx
	mov %rdx, %rax
	xchg %rax, CL(XC_TIMER)
	cmp CL(XC_TIMER_WATCH), %rdx
	jb xs_fast_abort
	jmp xs_commit_timer
1:	xchg %rdx, CL(XC_TIMER)
	jmp xs_commit_timer

/* event_channel_op(EVTCHNOP_send, &send) on a port that pvmon has
 * given a doorbell (xen_evtchn_bell): a port of one of pvmon's back
 * ends, interdomain to Domain 0, whose send only wakes the back end's
 * thread. The commit's `out` to the bell is a write of that thread's
 * eventfd that KVM makes itself (KVM_IOEVENTFD), with no exit to
 * pvmon. Any other command or port goes to pvmon; pvmon takes a port out
 * of the table (0) before it closes or unbinds it, and a bell rung
 * after its eventfd went reaches pvmon as a bare `out`, which it drops
 * (the send came before the close). */
xs_fast_send:
	cmpq $XS_EVTCHNOP_SEND, CL(XC_SAVE + 2)
	jne xs_fast_abort
	mov CL(XC_SAVE + 1), %rax
	GUEST_RANGE %rax, 4, %rdx
	mov (%rax), %eax
	test %eax, %eax
	jz xs_fast_abort
	lea XS_AT(XS_DOM_VA + XD_BELLS * 8)(%rip), %rsi
	xor %edx, %edx
1:	cmp (%rsi,%rdx,8), %rax
	je xs_commit_bell
	inc %edx
	cmp $XS_MAX_BELLS, %edx
	jb 1b
	jmp xs_fast_abort

/* xen_version(XENVER_version): the version, as xen_hypercall.c's. Linux
 * calls it to force the upcall of an event that came while its events
 * were masked (xen_force_evtchn_callback, as it unmasks them): with one
 * pending and unmasked, Xen's return to the guest bounces into the event
 * callback with events masked, Xen's frame (rcx r11 rip cs rflags rsp
 * ss, rip after the call, rax the version) on the kernel's stack: here
 * as pvmon's bounce does it. No callback yet: pvmon's. */
xs_fast_version:
	cmpq $XS_XENVER_VERSION, CL(XC_SAVE + 2)
	jne xs_fast_abort
	UPCALL_DUE xs_commit_version
	mov FW(XF_RSP), %rax
	FRAME_HEAD 56, %rdx
	BOUNCE_TAIL 16, $XS_FLAT_KERNEL_CS_RPL0
	jmp xs_commit_upcall

/* A write of the guest kernel to a present page it may not write: if
 * the page is an L1 table, Xen's writable page tables (xen_trap.c's ptwr)
 * emulate it as an mmu_update of the entry. The stub does the writes
 * Linux makes: xchg and mov of a register, mov of an immediate (all 8
 * bytes, REX.W, one whole entry) and and/or of an immediate byte
 * (clear_bit, set_bit), with or without lock. The instruction is decoded
 * here; under the lock the entry is found by walking the kernel's tables
 * and checked as mmu_update's (xs_ptwr_walk). Anything else (another
 * instruction, not an L1, a refused entry) goes to pvmon, which emulates
 * it or delivers the fault. The guest's registers are kept by their
 * number, to read the source and give xchg the old entry. */
xs_fast_ptwr:
	mov FW(XF_CR2), %rsi
	GUEST_VA %rsi
	mov FW(XF_RAX), %rdx
	mov %rdx, CL(XC_GPR + 0)
	mov %rcx, CL(XC_GPR + 1)
	mov CL(XC_SAVE), %rdx
	mov %rdx, CL(XC_GPR + 2)
	mov %rbx, CL(XC_GPR + 3)
	mov %rbp, CL(XC_GPR + 5)
	mov CL(XC_SAVE + 1), %rdx
	mov %rdx, CL(XC_GPR + 6)
	mov CL(XC_SAVE + 2), %rdx
	mov %rdx, CL(XC_GPR + 7)
	.irp r, 8, 9, 10, 11, 12, 13, 14, 15
	mov %r\r, CL(XC_GPR + \r)
	.endr
	mov FW(XF_RIP), %rax
	GUEST_RANGE %rax, 16, %rdx
	xor %edi, %edi                    /* where the decoder is in the instruction */
13:	movzbl (%rax,%rdi), %edx          /* up to 3 prefixes, as pvmon's decoder: */
	cmp $0xf0, %edx                   /* lock, */
	je 14f
	cmp $0x3e, %edx                   /* ds (Linux patches its lock prefixes to it on one CPU), */
	je 14f
	cmp $0x2e, %edx                   /* cs */
	jne 1f
14:	inc %edi
	cmp $3, %edi
	jb 13b
1:	xor %esi, %esi                    /* REX (0: none) */
	movzbl (%rax,%rdi), %edx
	mov %edx, %ecx
	and $0xf0, %ecx
	cmp $0x40, %ecx
	jne 2f
	mov %edx, %esi
	inc %edi
	movzbl (%rax,%rdi), %edx
2:	mov %rdx, CL(XC_PT_KIND)
	inc %edi
	movzbl (%rax,%rdi), %ecx          /* ModRM */
	mov %ecx, %edx
	shr $3, %edx
	and $7, %edx
	test $4, %esi
	jz 3f
	or $8, %edx                       /* REX.R */
3:	mov %rdx, CL(XC_PT_REG)
	inc %edi
	mov %ecx, %edx
	shr $6, %edx                      /* mod */
	cmp $3, %edx
	je xs_fast_abort                  /* a register operand */
	and $7, %ecx                      /* rm */
	cmp $4, %ecx
	jne 4f
	movzbl (%rax,%rdi), %ecx          /* SIB: its base */
	inc %edi
	and $7, %ecx
	test %edx, %edx
	jnz 5f
	cmp $5, %ecx
	jne 7f
	add $4, %edi                      /* no base: a disp32 */
	jmp 7f
4:	test %edx, %edx
	jnz 5f
	cmp $5, %ecx
	jne 7f
	add $4, %edi                      /* rip-relative: a disp32 */
	jmp 7f
5:	cmp $1, %edx
	jne 6f
	inc %edi                          /* disp8 */
	jmp 7f
6:	add $4, %edi                      /* disp32 */
7:	mov CL(XC_PT_KIND), %rdx          /* rdi: past the address, at the immediate */
	cmp $0x80, %edx
	je 10f
	test $8, %esi
	jz xs_fast_abort                  /* not REX.W: not a whole entry */
	testb $7, FW(XF_CR2)
	jnz xs_fast_abort
	cmp $0xc7, %edx
	je 9f
	cmp $0x87, %edx
	je 8f
	cmp $0x89, %edx
	jne xs_fast_abort
8:	mov CL(XC_PT_REG), %rcx
	cmp $4, %ecx
	je xs_fast_abort                  /* rsp: the frame's */
	mov (XF_CELL(XC_GPR) * 8)(%rsp,%rcx,8), %rcx
	jmp 12f
9:	testb $7, CL(XC_PT_REG)
	jnz xs_fast_abort                 /* C7 /0 only */
	movslq (%rax,%rdi), %rcx
	add $4, %edi
	jmp 12f
10:	mov CL(XC_PT_REG), %rcx           /* 80 /1 ib (or), 80 /4 ib (and): a byte of the entry */
	and $7, %ecx
	cmp $1, %ecx
	je 11f
	cmp $4, %ecx
	jne xs_fast_abort
11:	shl $8, %ecx
	or %rcx, CL(XC_PT_KIND)
	movzbl (%rax,%rdi), %ecx
	inc %edi
12:	mov %rcx, CL(XC_PT_SRC)
	mov %rdi, CL(XC_PT_LEN)
	movq $0, CL(XC_MMU_AD)
	jmp xs_mmu_lock

/* mmu_update(req, 1, NULL, DOMID_SELF), one MMU_NORMAL_PT_UPDATE into a
 * frame typed L1, as xen_mm.c's xmm_update does it, under the domain's
 * page-type lock, which the stub only tries (held: pvmon). The entry is
 * read from the guest before the lock; under it only the stub's own
 * mappings of xen_mm's page array and of RAM are touched, and nothing
 * changes before the commit: the checks leave the new values in the
 * cells, which the commit stores (pvmon finishes a commit it finds
 * stopped, and sends a vCPU stopped under the lock before it to the slow
 * path: xen_trap.c). Refused or unusual (a bad entry, a frame that is not
 * RAM or is out, a writable mapping of a frame of another type, the last
 * writable mapping of a frame going, whose TLB-clock stamp is pvmon's)
 * goes to pvmon, which answers as it always has. */
/* A level of update_va_mapping's walk: rax the table's frame, rsi the
 * va, r11 the stub's map of RAM, rcx the frame count; rax the next frame. */
.macro WALK shift
	mov %rsi, %rdx
	shr $\shift, %rdx
	and $511, %edx
	shl $12, %rax
	lea (%rax,%rdx,8), %rax
	mov (%r11,%rax), %rax
	test $1, %al
	jz xs_mmu_unlock_abort
	test $0x80, %al
	jnz xs_mmu_unlock_abort
	shl $12, %rax
	shr $24, %rax
	cmp %rcx, %rax
	jae xs_mmu_unlock_abort
.endm

/* The update's cells for the entry at machine address rsi: its address,
 * no frame's count changed yet, and the entry it replaces (also in rax). */
.macro ENTRY_CELLS
	mov %rsi, CL(XC_MMU_PTR)
	movq $0, CL(XC_MMU_NF)
	movq $0, CL(XC_MMU_OF)
	movq $0, CL(XC_MMU_OSTAMP)
	movabs $XS_RAM_VA, %rax
	mov (%rax,%rsi), %rax
	mov %rax, CL(XC_MMU_OLD)
.endm

/* The frame of the old entry in rax (rcx the frame count, r11 the page
 * array): its number + 1 into XC_MMU_OF, its xmm_page's first word into
 * rax, checked to be of type `type`, and its count into edx (flags set
 * by the shift). The same frame as the new entry's keeps its count: on
 * to the commit. */
.macro OLD_FRAME type
	shl $12, %rax
	shr $24, %rax
	cmp %rcx, %rax
	jae xs_mmu_unlock_abort
	inc %rax
	cmp CL(XC_MMU_NF), %rax
	jne .Lold\@
	movq $0, CL(XC_MMU_NF)            /* the same frame before and after: its count stays */
	jmp xs_mmu_cas
.Lold\@:
	mov %rax, CL(XC_MMU_OF)
	shl $4, %rax
	mov -XS_PG_SIZE(%r11,%rax), %rax
	cmp $\type, %al
	jne xs_mmu_unlock_abort
	mov %rax, %rdx
	shr $32, %rdx
.endm

/* A batch (mmu_update, mmuext_op) of n requests at the list in rdi, no
 * done pointer, for DOMID_SELF: rax the list, its len bytes in guest memory. */
.macro SELF_BATCH n, len
	cmpq $\n, CL(XC_SAVE + 1)
	jne xs_fast_abort
	cmpq $0, CL(XC_SAVE)
	jne xs_fast_abort
	cmp $XS_DOMID_SELF, %r10w
	jne xs_fast_abort
	mov CL(XC_SAVE + 2), %rax
	GUEST_RANGE %rax, \len, %rdx
.endm

/* mmu_update(req, n, NULL, DOMID_SELF), n up to pvmon's bound (Linux's
 * lazy-MMU batches of fork): entry by entry, each under the lock and
 * committed on its own. XC_MMU_I counts the entries done; a later entry
 * that goes to pvmon (refused, unusual, a fault reading it, a flush owed)
 * leaves it there, and pvmon serves the rest of the batch (xen_trap.c).
 * The flush cell is read again before each later entry is: a vCPU
 * stopped past that check is sent to the slow path by pvmon. */
xs_fast_mmu:
	mov CL(XC_SAVE + 1), %rax
	dec %rax
	cmp $(XS_MAX_BATCH - 1), %rax     /* 1..XS_MAX_BATCH entries */
	ja xs_fast_abort
	cmpq $0, CL(XC_SAVE)
	jne xs_fast_abort
	cmp $XS_DOMID_SELF, %r10w
	jne xs_fast_abort
	movq $0, CL(XC_MMU_I)
xs_mmu_next:
	cmpq $0, CL(XC_FLUSH)
	jne xs_fast_abort
	mov CL(XC_MMU_I), %rax
	shl $4, %rax
	add CL(XC_SAVE + 2), %rax
	GUEST_RANGE %rax, 16, %rdx
	mov (%rax), %rsi                  /* ptr: the entry's machine address, and the command */
	mov 8(%rax), %rdi                 /* val */
	movq $0, CL(XC_MMU_AD)
	mov %esi, %eax
	and $7, %eax
	jz xs_mmu_lock                    /* MMU_NORMAL_PT_UPDATE */
	cmp $2, %eax                      /* MMU_PT_UPDATE_PRESERVE_AD (Linux's ptep_modify_prot_commit) */
	jne xs_fast_abort
	movq $1, CL(XC_MMU_AD)
	and $~7, %rsi
	jmp xs_mmu_lock

/* mmuext_op(ops, 2, NULL, DOMID_SELF) of NEW_BASEPTR then
 * NEW_USER_BASEPTR, Linux's switch to another process's tables, as
 * xen_hypercall.c's: each new L4 takes a base reference and the old one
 * drops its own, under the lock; a new frame that is not an L4 already
 * (its validation is pvmon's), an old one's last reference (it would be
 * devalidated) or a frame named in both pairs go to pvmon. The commit
 * sets the two L4s in the cells, which pvmon reads back after the run,
 * and loads the kernel's. */
xs_fast_base:
	cmpq $1, CL(XC_SAVE + 1)
	je xs_fast_flush
	SELF_BATCH 2, (2 * XS_MMUEXT_SIZE)
	cmpl $XS_MMUEXT_NEW_BASEPTR, (%rax)
	jne xs_fast_abort
	cmpl $XS_MMUEXT_NEW_USER_BASEPTR, XS_MMUEXT_SIZE(%rax)
	jne xs_fast_abort
	mov 8(%rax), %rsi                 /* the kernel's L4 */
	mov (XS_MMUEXT_SIZE + 8)(%rax), %rdi   /* the user's (0: none) */
	test %rsi, %rsi
	jz xs_fast_abort
	jmp xs_mmu_lock

/* mmuext_op(op, 1, NULL, DOMID_SELF) of TLB_FLUSH_LOCAL or INVLPG_LOCAL:
 * this vCPU's TLB, as xen_hypercall.c's (whose slow path's CR3 reload
 * does it): an invlpg of the address (canonical, else pvmon, which
 * answers 0 as Xen does), or a CR3 reload, with the domain's TLB clock
 * advanced first and its value kept in a cell: xen_tlb.c does not ask a
 * vCPU that reloaded after a stamp again. Not under shadow paging
 * (pvmon tells KVM of a flush there). */
xs_fast_flush:
	SELF_BATCH 1, XS_MMUEXT_SIZE
	cmpq $0, XS_AT(XS_DOM_VA + XD_FRAMES * 8)(%rip)
	je xs_fast_abort
	mov 8(%rax), %rdx                 /* arg1: the address */
	mov (%rax), %eax
	cmp $XS_MMUEXT_TLB_FLUSH_LOCAL, %eax
	je xs_commit_flush
	cmp $XS_MMUEXT_INVLPG_LOCAL, %eax
	jne xs_fast_abort
	mov %rdx, %rax
	CANONICAL %rax
	jmp xs_commit_invlpg

/* update_va_mapping(va, val, 0): the same for the L1 entry of va in the
 * kernel's tables, which the stub walks under the lock, with no flush
 * (a flush, or another vCPU's, is pvmon's), as xen_hypercall.c's; va
 * canonical and outside Xen's slots, every level present, no superpage,
 * RAM, else pvmon (-EINVAL). */
xs_fast_uvm:
	cmpq $0, CL(XC_SAVE)
	jne xs_fast_abort
	movq $0, CL(XC_MMU_AD)
	mov CL(XC_SAVE + 2), %rsi         /* va, until the walk makes it the entry's address */
	mov CL(XC_SAVE + 1), %rdi         /* val */
	GUEST_VA %rsi
xs_mmu_lock:
	cmpq $0, XS_AT(XS_DOM_VA + XD_FRAMES * 8)(%rip)
	je xs_fast_abort                  /* not for the stub (shadow paging): no try */
	mov CL(XC_ID), %rcx
	xor %eax, %eax
	lock cmpxchg %rcx, XS_AT(XS_DOM_VA + XD_LOCK * 8)(%rip)
xs_mmu_locked:                        /* held from here when it took (a vCPU can stop before the jne) */
	jne xs_fast_abort
	cmpq $1, CL(XC_STOP)              /* a test's: stopped under the lock */
	jne 1f
	out %al, $XS_STOP_PORT
1:	mov XS_AT(XS_DOM_VA + XD_FRAMES * 8)(%rip), %rcx
	cmpq $14, FW(XF_VEC)
	je xs_ptwr_walk
	cmpq $XS_HYPERVISOR_MMUEXT_OP, FW(XF_RAX)
	je xs_base_checks
	cmpq $XS_HYPERVISOR_UPDATE_VA_MAPPING, FW(XF_RAX)
	jne 2f
	movabs $XS_RAM_VA, %r11
	mov CL(XC_KCR3), %rax
	shr $12, %rax
	WALK 39
	WALK 30
	WALK 21
	mov %rsi, %rdx
	shr $12, %rdx
	and $511, %edx
	shl $12, %rax
	lea (%rax,%rdx,8), %rsi           /* the L1 entry's machine address */
2:
xs_mmu_entry:                         /* rsi the entry's machine address */
	mov %rsi, %rax
	shr $12, %rax
	cmp %rcx, %rax
	jae xs_mmu_unlock_abort           /* (also: the stub may not, XD_FRAMES 0) */
	shl $4, %rax
	movabs $XS_PG_VA, %r11
	cmpl $0, XS_PG_COUNT(%r11,%rax)
	je xs_mmu_plain
	cmpb $XS_XMM_WRITABLE, XS_PG_TYPE(%r11,%rax)
	je xs_mmu_plain
	cmpb $XS_XMM_L1, XS_PG_TYPE(%r11,%rax)
	jne xs_mmu_l2
	ENTRY_CELLS
	cmpq $14, FW(XF_VEC)
	je xs_ptwr_val
	cmpq $0, CL(XC_MMU_AD)
	je xs_mmu_val
	and $0x60, %eax                   /* PRESERVE_AD: the old entry's accessed and dirty bits kept */
	or %rax, %rdi
xs_mmu_val:                           /* rdi the new entry, rsi its address, rcx the frame count, r11 the page array */
	test $1, %dil
	jz 4f                             /* not present: stored as it is */
	movabs $XS_L1_DISALLOW, %rax
	test %rax, %rdi
	jnz xs_mmu_unlock_abort
	or $4, %rdi                       /* _PAGE_USER added, _PAGE_GLOBAL dropped (xmm_adjust) */
	and $~0x100, %rdi
	mov %rdi, %rax
	shl $12, %rax
	shr $24, %rax                     /* the frame it maps */
	cmp %rcx, %rax
	jae xs_mmu_unlock_abort           /* Xen's frames, and what is not RAM: pvmon */
	mov %rax, %rdx
	shl $4, %rdx
	cmpb $0, XS_PG_OUT(%r11,%rdx)
	jne xs_mmu_unlock_abort
	test $2, %dil
	jz 4f
	inc %rax                          /* writable: a writable type reference */
	mov %rax, CL(XC_MMU_NF)
	mov (%r11,%rdx), %rax
	mov %rax, %rdx
	shr $32, %rdx
	jnz 2f
	mov $XS_XMM_WRITABLE, %al         /* untyped until now */
	jmp 3f
2:	cmp $XS_XMM_WRITABLE, %al
	jne xs_mmu_unlock_abort
	cmp $0xffffffff, %edx
	je xs_mmu_unlock_abort
3:	movabs $0x100000000, %rdx
	add %rdx, %rax
	mov %rax, CL(XC_MMU_NW)
4:	mov %rdi, CL(XC_MMU_VAL)
	mov CL(XC_MMU_OLD), %rax
	mov %eax, %edx
	and $3, %edx
	cmp $3, %edx
	jne xs_mmu_cas                    /* not a writable mapping: nothing to drop */
	OLD_FRAME XS_XMM_WRITABLE
	jz xs_mmu_unlock_abort            /* no count to drop: pvmon finds it inconsistent */
	cmp $1, %edx
	jne 6f
	and $0xffff0000, %eax             /* its last: untyped (out and walked kept), stamped in the commit */
	movq $1, CL(XC_MMU_OSTAMP)
	mov %rax, CL(XC_MMU_OW)
	jmp xs_mmu_cas
6:	movabs $0x100000000, %rdx
	sub %rdx, %rax
	mov %rax, CL(XC_MMU_OW)
	jmp xs_mmu_cas
/* An mmu_update of an entry in a frame that is no table (untyped, or
 * typed writable: a table Linux is still filling, not pinned yet, as the
 * child's of a fork), as xen_mm.c's xmm_update: a plain store, no counts.
 * Not a direct write (those fault only on tables), not a frame that is
 * out. rax the frame's offset in the page array. */
xs_mmu_plain:
	cmpq $XS_HYPERVISOR_MMU_UPDATE, FW(XF_RAX)
	jne xs_mmu_unlock_abort
	cmpq $14, FW(XF_VEC)
	je xs_mmu_unlock_abort
	cmpb $0, XS_PG_OUT(%r11,%rax)
	jne xs_mmu_unlock_abort
	ENTRY_CELLS
	mov %rdi, CL(XC_MMU_VAL)
	jmp xs_mmu_cas

/* An mmu_update of one entry of a frame typed L2 (Linux's set_pmd of a
 * new L1, outside lazy mode), as xen_mm.c's xmm_update does it: a present
 * entry (Xen's disallow mask for the upper levels: no superpage) takes a
 * type reference of an L1 that has one already (else its validation is
 * pvmon's), the old one drops its own (never its last: that devalidates
 * the L1, pvmon's). Only from the hypercall: Xen emulates direct writes
 * into L1s only, and update_va_mapping names an L1 entry. */
xs_mmu_l2:
	cmpb $XS_XMM_L2, XS_PG_TYPE(%r11,%rax)
	jne xs_mmu_unlock_abort
	cmpq $14, FW(XF_VEC)
	je xs_mmu_unlock_abort
	cmpq $XS_HYPERVISOR_MMU_UPDATE, FW(XF_RAX)
	jne xs_mmu_unlock_abort
	cmpq $0, CL(XC_MMU_AD)
	jne xs_mmu_unlock_abort
	ENTRY_CELLS
	test $1, %dil
	jz 2f                             /* not present: stored as it is */
	movabs $XS_LN_DISALLOW, %rax
	test %rax, %rdi
	jnz xs_mmu_unlock_abort
	or $4, %rdi                       /* _PAGE_USER added (xmm_adjust) */
	mov %rdi, %rax
	shl $12, %rax
	shr $24, %rax                     /* the L1 it names */
	cmp %rcx, %rax
	jae xs_mmu_unlock_abort
	inc %rax
	mov %rax, CL(XC_MMU_NF)
	shl $4, %rax
	mov -XS_PG_SIZE(%r11,%rax), %rax
	cmp $XS_XMM_L1, %al
	jne xs_mmu_unlock_abort
	test $0xff0000, %eax              /* out (XS_PG_OUT): cannot be, for a table */
	jnz xs_mmu_unlock_abort
	mov %rax, %rdx
	shr $32, %rdx
	jz xs_mmu_unlock_abort            /* untyped: validated by pvmon */
	cmp $0xffffffff, %edx
	je xs_mmu_unlock_abort
	movabs $0x100000000, %rdx
	add %rdx, %rax
	mov %rax, CL(XC_MMU_NW)
2:	mov %rdi, CL(XC_MMU_VAL)
	mov CL(XC_MMU_OLD), %rax
	test $1, %al
	jz xs_mmu_cas                     /* nothing to drop */
	OLD_FRAME XS_XMM_L1
	cmp $2, %edx
	jb xs_mmu_unlock_abort            /* its last reference: devalidated by pvmon */
	movabs $0x100000000, %rdx
	sub %rdx, %rax
	mov %rax, CL(XC_MMU_OW)
	jmp xs_mmu_cas

/* The base pointers' counts: pair i is a frame number + 1 and the first
 * 8 bytes of its xmm_page as the commit stores them. */
.macro BASE_REF f, i, least, op      /* frame f (not 0), an L4 with at least `least` references: one more (add) or fewer (sub) */
	cmp XS_AT(XS_DOM_VA + XD_FRAMES * 8)(%rip), \f
	jae xs_mmu_unlock_abort
	mov \f, %rax
	shl $4, %rax
	mov (%r11,%rax), %rax
	cmp $XS_XMM_L4, %al
	jne xs_mmu_unlock_abort
	mov %rax, %rdx
	shr $32, %rdx
	cmp $\least, %edx
	jb xs_mmu_unlock_abort
	cmp $0xffffffff, %edx
	je xs_mmu_unlock_abort
	movabs $0x100000000, %rdx
	\op %rdx, %rax
	mov %rax, CL(XC_BW + 2 * \i)
	lea 1(\f), %rax
	mov %rax, CL(XC_BF + 2 * \i)
.endm
.macro BASE_TAKE f, i             /* a base reference taken: an L4 already */
	BASE_REF \f, \i, 1, add
.endm
.macro BASE_DROP i                /* frame rcx drops one, never its last (that devalidates) */
	BASE_REF %rcx, \i, 2, sub
.endm
.macro DISTINCT a, b
	mov CL(XC_BF + 2 * \a), %rax
	test %rax, %rax
	jz .Ldistinct\@
	cmp CL(XC_BF + 2 * \b), %rax
	je xs_mmu_unlock_abort
.Ldistinct\@:
.endm

xs_base_checks:
	movabs $XS_PG_VA, %r11
	.irp i, 0, 1, 2, 3
	movq $0, CL(XC_BF + 2 * \i)
	.endr
	mov %rsi, %rax
	shl $12, %rax
	mov %rax, CL(XC_BK)
	mov %rdi, %rax
	shl $12, %rax
	mov %rax, CL(XC_BU)
	mov CL(XC_KCR3), %rcx
	shr $12, %rcx                     /* the kernel's L4 now */
	cmp %rsi, %rcx
	je 1f
	BASE_TAKE %rsi, 0
	BASE_DROP 1
1:	mov CL(XC_UCR3), %rcx
	shr $12, %rcx                     /* the user's now (0: none) */
	cmp %rdi, %rcx
	je 3f
	test %rdi, %rdi
	jz 2f
	BASE_TAKE %rdi, 2
2:	test %rcx, %rcx
	jz 3f
	BASE_DROP 3
3:	DISTINCT 0, 2
	DISTINCT 0, 3
	DISTINCT 1, 2
	DISTINCT 1, 3
	jmp xs_base_commit

/* The write's entry: the L1 entry of cr2 in the kernel's tables (the
 * guest wrote in kernel mode) names the frame, cr2 the entry in it. */
xs_ptwr_walk:
	movabs $XS_RAM_VA, %r11
	mov CL(XC_KCR3), %rax
	shr $12, %rax
	mov FW(XF_CR2), %rsi
	WALK 39
	WALK 30
	WALK 21
	WALK 12
	shl $12, %rax
	mov FW(XF_CR2), %rsi
	and $0xff8, %esi
	add %rax, %rsi
	jmp xs_mmu_entry

/* The new entry from the old one in rax: what the instruction writes,
 * or the old one with the byte and/or-ed (its flags kept for the guest). */
xs_ptwr_val:
	mov CL(XC_PT_SRC), %rdi
	cmpb $0x80, CL(XC_PT_KIND)
	jne xs_mmu_val
	mov FW(XF_CR2), %rcx
	and $7, %ecx
	shl $3, %ecx                      /* the byte's place */
	mov %rax, %rdx
	shr %cl, %rdx
	cmpq $0x480, CL(XC_PT_KIND)
	jne 1f
	and %dil, %dl
	jmp 2f
1:	or %dil, %dl
2:	pushfq
	pop %rdi
	mov %rdi, CL(XC_PT_FL)
	movzbl %dl, %edx
	shl %cl, %rdx
	mov $0xff, %edi
	shl %cl, %rdi
	not %rdi
	and %rax, %rdi
	or %rdx, %rdi
	mov XS_AT(XS_DOM_VA + XD_FRAMES * 8)(%rip), %rcx
	jmp xs_mmu_val

xs_mmu_unlock_abort:
	movq $0, XS_AT(XS_DOM_VA + XD_LOCK * 8)(%rip)
xs_mmu_unlocked:
	jmp xs_fast_abort

/* Past here the entry is served: no more touches of guest memory. Each
 * way counts what it served and names it for the trace ring. */
.macro SERVED count, kind
	incq CL(\count)
	movq $\kind, CL(XC_T_KIND)
.endm

xs_fast_commit:
xs_commit_syscall:
	cmpq $0, CL(XC_SYSCALL_MASK)
	je 1f
	movb $1, XS_VI_MASK(%rdi)
1:	mov CL(XC_CB_SYSCALL), %rdx
	SERVED XC_N_SYSCALL, XT_SYSCALL
	jmp xs_to_kernel

xs_commit_pf:
	mov FW(XF_CR2), %rdx
	mov %rdx, XS_VI_CR2(%rdi)
	cmpq $0, CL(XC_PF_MASK)
	je 1f
	movb $1, XS_VI_MASK(%rdi)
1:	mov CL(XC_PF), %rdx
	SERVED XC_N_PF, XT_PF

/* To the handler in rdx on the bounce frame at rax, in guest kernel mode
 * (from user mode: its tables, loaded above, and its GS base). */
xs_to_kernel:
	cmpq $0, CL(XC_USER)
	je 1f
	movq $0, CL(XC_USER)
	mov CL(XC_KCR3), %rsi
	mov %rsi, CL(XC_CR3)
	swapgs
1:	mov %rdx, FW(XF_RIP)
	mov %rax, FW(XF_RSP)
	mov FW(XF_RFLAGS), %rdx
	and $~RF_BOUNCE_CLEAR, %rdx
	or $RF_IF, %rdx
	mov %rdx, FW(XF_RFLAGS)
	movq $HV_UCS, FW(XF_CS)
	movq $HV_UDS, FW(XF_SS)
	jmp xs_fast_out

xs_commit_iret:
	testl $RF_IF, CL(XC_IRET + 6)
	jnz 1f
	movb $1, XS_VI_MASK(%rdi)
1:	testb $3, CL(XC_IRET + 5)
	jz 2f
	movq $1, CL(XC_USER)
	mov CL(XC_UCR3), %rdx
	mov %rdx, CL(XC_CR3)
	mov %rdx, %cr3
	swapgs
2:	mov CL(XC_IRET), %rdx
	mov %rdx, FW(XF_RAX)
	testl $XS_VGCF_IN_SYSCALL, CL(XC_IRET + 3)
	jnz 3f
	mov CL(XC_IRET + 1), %r11
	mov CL(XC_IRET + 2), %rcx
3:	mov CL(XC_IRET + 4), %rdx
	mov %rdx, FW(XF_RIP)
	mov CL(XC_IRET + 7), %rdx
	mov %rdx, FW(XF_RSP)
	mov CL(XC_IRET + 6), %rdx
	and $RF_IRET_GUEST, %rdx
	mov FW(XF_RFLAGS), %rsi
	and $~RF_IRET_GUEST, %rsi
	or %rsi, %rdx
	or $RF_IF, %rdx
	mov %rdx, FW(XF_RFLAGS)
	movq $HV_UCS, FW(XF_CS)
	movq $HV_UDS, FW(XF_SS)
	SERVED XC_N_IRET, XT_IRET
	jmp xs_fast_out

xs_commit_stack_switch:
	mov CL(XC_SAVE + 1), %rax
	mov %rax, CL(XC_KSP)
	SERVED XC_N_STACK, XT_STACK
	jmp xs_hcall_done

/* The update's stores, from the cells, and the lock given back. The
 * entry first, by a cmpxchg from the old value the checks read: the CPU
 * may have set its accessed or dirty bit since (a walk on another vCPU),
 * and then the update goes to pvmon instead, the lock given back. Its
 * success is the commit: pvmon finds a vCPU stopped just after it by ZF. */
xs_mmu_cas:
	movabs $XS_RAM_VA, %rsi
	add CL(XC_MMU_PTR), %rsi
	mov CL(XC_MMU_OLD), %rax
	mov CL(XC_MMU_VAL), %rdx
	lock cmpxchg %rdx, (%rsi)
xs_mmu_commit:
	jne xs_mmu_unlock_abort
	cmpq $2, CL(XC_STOP)              /* a test's: stopped halfway through the commit */
	jne 1f
	out %al, $XS_STOP_PORT
1:	movabs $XS_PG_VA, %r11
	mov CL(XC_MMU_NF), %rax
	test %rax, %rax
	jz 2f
	shl $4, %rax
	mov CL(XC_MMU_NW), %rdx
	mov %rdx, -XS_PG_SIZE(%r11,%rax)
2:	mov CL(XC_MMU_OF), %rax
	test %rax, %rax
	jz 3f
	shl $4, %rax
	mov CL(XC_MMU_OW), %rdx
	mov %rdx, -XS_PG_SIZE(%r11,%rax)
	cmpq $0, CL(XC_MMU_OSTAMP)
	je 3f
	mfence                            /* the entry seen by every CPU before the clock is read (xmm_tlb_stamp) */
	mov XS_AT(XS_DOM_VA + XD_CLOCK * 8)(%rip), %rdx
	mov %rdx, (8 - XS_PG_SIZE)(%r11,%rax)
3:	movq $0, XS_AT(XS_DOM_VA + XD_LOCK * 8)(%rip)
xs_mmu_done:
	cmpq $14, FW(XF_VEC)
	je xs_ptwr_done
	cmpq $XS_HYPERVISOR_MMU_UPDATE, FW(XF_RAX)
	jne 2f
	SERVED XC_N_MMU, XT_MMU
	incq CL(XC_MMU_I)                 /* the batch's next entry, if any */
	mov CL(XC_MMU_I), %rax
	cmp CL(XC_SAVE + 1), %rax
	jb xs_mmu_next
	movq $0, CL(XC_MMU_I)             /* all done: nothing for pvmon to skip */
	cmp $1, %rax
	je 1f
	incq CL(XC_N_BATCH)
	jmp 1f
2:	SERVED XC_N_MMU, XT_UVM
1:	mov FW(XF_RIP), %rcx              /* rcx and r11 as `syscall` left them */
	mov FW(XF_RFLAGS), %r11
	jmp xs_hcall_done

/* The base pointers' stores, the cells, the lock given back, and the
 * kernel's L4 loaded. */
xs_base_commit:
	movabs $XS_PG_VA, %r11
	.irp i, 0, 1, 2, 3
	mov CL(XC_BF + 2 * \i), %rax
	test %rax, %rax
	jz 1f
	shl $4, %rax
	mov CL(XC_BW + 2 * \i), %rdx
	mov %rdx, -XS_PG_SIZE(%r11,%rax)
1:
	.endr
	cmpq $2, CL(XC_STOP)              /* a test's: stopped halfway through the commit */
	jne 1f
	out %al, $XS_STOP_PORT
1:	mov CL(XC_BK), %rax
	mov %rax, CL(XC_KCR3)
	mov %rax, CL(XC_CR3)
	mov CL(XC_BU), %rax
	mov %rax, CL(XC_UCR3)
	movq $0, XS_AT(XS_DOM_VA + XD_LOCK * 8)(%rip)
xs_base_done:
	mov CL(XC_KCR3), %rax
	mov %rax, %cr3
	SERVED XC_N_BASE, XT_BASE
	mov FW(XF_RIP), %rcx
	mov FW(XF_RFLAGS), %r11
	jmp xs_hcall_done

/* The write done: xchg's register gets the old entry, and/or's flags are
 * set, the instruction is skipped, and the guest's registers go back. */
xs_ptwr_done:
	SERVED XC_N_PTWR, XT_PTWR
	cmpq $0x87, CL(XC_PT_KIND)
	jne 1f
	mov CL(XC_PT_REG), %rax
	mov CL(XC_MMU_OLD), %rdx
	mov %rdx, (XF_CELL(XC_GPR) * 8)(%rsp,%rax,8)
1:	cmpb $0x80, CL(XC_PT_KIND)
	jne 2f
	mov CL(XC_PT_FL), %rdx
	and $0x8c5, %edx                  /* CF PF ZF SF OF as and/or left them (AF clear, as pvmon's) */
	mov FW(XF_RFLAGS), %rax
	and $~0x8d5, %rax
	or %rdx, %rax
	mov %rax, FW(XF_RFLAGS)
2:	mov CL(XC_PT_LEN), %rax
	add %rax, FW(XF_RIP)
	mov CL(XC_GPR + 0), %rax
	mov %rax, FW(XF_RAX)
	mov CL(XC_GPR + 2), %rax
	mov %rax, CL(XC_SAVE)
	mov CL(XC_GPR + 6), %rax
	mov %rax, CL(XC_SAVE + 1)
	mov CL(XC_GPR + 7), %rax
	mov %rax, CL(XC_SAVE + 2)
	mov CL(XC_GPR + 1), %rcx
	mov CL(XC_GPR + 3), %rbx
	mov CL(XC_GPR + 5), %rbp
	.irp r, 8, 9, 10, 11, 12, 13, 14, 15
	mov CL(XC_GPR + \r), %r\r
	.endr
	jmp xs_fast_out

xs_commit_invlpg:
	invlpg (%rdx)
	SERVED XC_N_FLUSH, XT_INVLPG
	jmp xs_hcall_done
xs_commit_flush:
	mov $1, %eax
	lock xadd %rax, XS_AT(XS_DOM_VA + XD_CLOCK * 8)(%rip)
	inc %rax
	mov %rax, CL(XC_FLUSHED)
	mov %cr3, %rax
	mov %rax, %cr3
	SERVED XC_N_FLUSH, XT_FLUSH
	jmp xs_hcall_done

xs_commit_vcpu_op:
	SERVED XC_N_VCPUOP, XT_VCPUOP
	movq $-XS_ENOENT, FW(XF_RAX)
	jmp xs_fast_out

xs_commit_timer:
	SERVED XC_N_TIMER, XT_TIMER
	jmp xs_hcall_done

xs_commit_upcall:
	movb $1, XS_VI_MASK(%rdi)
	movq $XS_XEN_VERSION, FW(XF_RAX)
	incq CL(XC_N_UPCALL)
	SERVED XC_N_VERSION, XT_UPCALL
	mov CL(XC_CB_EVENT), %rdx
	jmp xs_to_kernel

xs_commit_evup:
	movb $1, XS_VI_MASK(%rdi)
	incq CL(XC_N_EVUP)
	SERVED XC_N_EVENT, XT_EVUP
	mov CL(XC_CB_EVENT), %rdx
	jmp xs_to_kernel

xs_commit_event:
	SERVED XC_N_EVENT, XT_EVENT
	jmp xs_fast_out

xs_commit_version:
	SERVED XC_N_VERSION, XT_VERSION
	movq $XS_XEN_VERSION, FW(XF_RAX)
	jmp xs_fast_out

xs_commit_bell:
	add $XS_BELL_PORT, %edx
xs_bell_out:
	out %al, %dx
xs_bell_rung:
	SERVED XC_N_BELL, XT_BELL
	jmp xs_hcall_done

xs_commit_segbase:
	SERVED XC_N_SEGBASE, XT_SEGBASE
xs_hcall_done:                    /* a hypercall served: 0 in rax */
	movq $0, FW(XF_RAX)
	jmp xs_fast_out

xs_commit_gp:
	mov CL(XC_EMUL_RAX), %rdx
	mov %rdx, FW(XF_RAX)
	add %rdi, FW(XF_RIP)
	SERVED XC_N_EMUL, XT_EMUL

/* Every entry the fast path served leaves here. Traced: its record in the
 * vCPU's ring (room was checked at xs_fast_begin), the head moved last,
 * so a record pvmon sees is whole. */
xs_fast_out:
	cmpq $0, CL(XC_T_LIMIT)
	je 1f
	mov CL(XC_T_HEAD), %rsi
	mov %esi, %edi
	and $(XS_TRACE_RECS - 1), %edi
	shl $5, %edi
	add CL(XC_T_RING), %rdi
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	mov %rax, (%rdi)
	mov FW(XF_VEC), %rax
	shl $8, %rax
	or CL(XC_T_KIND), %rax
	mov %rax, 8(%rdi)
	mov CL(XC_SAVE + 2), %rax         /* the entry's rdi and rsi, or a fault's address */
	cmpq $14, FW(XF_VEC)
	jne 2f
	mov FW(XF_CR2), %rax
2:	mov %rax, 16(%rdi)
	mov CL(XC_SAVE + 1), %rax
	mov %rax, 24(%rdi)
	inc %rsi
	mov %rsi, CL(XC_T_HEAD)
1:	mov CL(XC_SAVE), %rdx
	mov CL(XC_SAVE + 1), %rsi
	mov CL(XC_SAVE + 2), %rdi
	jmp xs_leave
xs_stub_end:

	.section .note.GNU-stack, "", @progbits
