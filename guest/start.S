/* pvos entry points. pvmon starts vCPU 0 at _start with rsi = start-info
 * and rsp = a boot stack. Callbacks arrive with rsp = rdi = a struct
 * pv_frame that pvmon (or its entry stub) pushed; we return through the
 * iret hypercall, called at the hypercall entry like every hypercall. */
#define PV_HCALL_ENTRY 0x7FFFFFC00100      /* include/pvlab/pv.h */
#define PV_HC_iret 8
	.section .text.boot, "ax"
	.globl _start
_start:
	andq $-16, %rsp
	movq %rsi, %rdi
	call pvos_start
1:	jmp 1b

	.text
	.globl event_entry, syscall_entry, frame_return
event_entry:
	call do_upcall          /* rdi = frame; returns the frame to resume */
	jmp frame_return
syscall_entry:
	call do_syscall
frame_return:
	movq %rax, %rdi
	movq $PV_HC_iret, %rax
	movabs $PV_HCALL_ENTRY, %r11
	call *%r11
	/* iret does not return unless the frame was bad. */
	movq %rdi, %rsi
	call iret_failed
2:	jmp 2b

/* switch_stack(uint64_t *save_sp, uint64_t new_sp): callee-saved registers
 * stay on the old stack. */
	.globl switch_stack
switch_stack:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/* New threads begin here: r12 = function, r13 = argument. */
	.globl thread_trampoline
thread_trampoline:
	movq %r13, %rdi
	movq %r12, %rsi
	call thread_start
3:	jmp 3b

/* Exceptions registered in the trap table (delivered where the fast path
 * runs; traps.c). */
	.globl trap_entry
trap_entry:
	call do_trap
	jmp frame_return
