/* Exceptions raised on purpose, for the fast path's self-test (prog=traps)
 * and benchmark (prog=fastbench). Each raiser sets up registers that tell
 * pvos's test handler (traps.c) what it should see, executes one
 * instruction that raises the exception, and returns what the handler
 * found wrong: a bit mask, 0 when the frame was right, -1 when no
 * exception came. This file is in the user section: a pvos process calls
 * the raisers (user program "traps"), and the kernel calls the same code
 * from kernel mode. The protocol, read from the frame by the handler:
 *   rbx = FP_TRAP_MAGIC, r12 = vector | (from user mode) << 8,
 *   r13 = error code, r11 = rip the frame must hold, r14 = bytes to skip
 *   past it on return (the faulting instruction), r15 = #PF address. */
#define PVOS_USER 1
#include "ulib.h"
#include "../traps.h"

__asm__(
	".macro RB vec, err, skip, addr\n"
	"	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
	"	mov $" FP_TRAP_MAGIC_S ", %ebx\n"
	"	mov %rdi, %r12; and $1, %r12d; shl $8, %r12; or $\\vec, %r12\n"
	"	mov $\\err, %r13\n"
	"	mov $\\skip, %r14\n"
	"	movabs $\\addr, %r15\n"
	"	mov $-1, %rax\n"
	".endm\n"
	".macro RE\n"
	"	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
	"	ret\n"
	".endm\n"
	".text\n"
	/* faults: the frame's rip is the instruction; traps: the next one */
	"raise_de: RB 0, 0, 2, 0\n xor %ecx, %ecx\n lea 1f(%rip), %r11\n1: div %ecx\n RE\n"
	"raise_db: RB 1, 0, 0, 0\n lea 1f(%rip), %r11\n .byte 0xf1\n1: RE\n"
	"raise_tf: RB 1, 0, 0, 0\n lea 1f(%rip), %r11\n pushfq\n orq $0x100, (%rsp)\n popfq\n nop\n1: RE\n"
	"raise_bp: RB 3, 0, 0, 0\n lea 1f(%rip), %r11\n int3\n1: RE\n"
	"raise_of: RB 4, 0, 0, 0\n lea 1f(%rip), %r11\n int $4\n1: RE\n"
	"raise_br: RB 5, 0, 0, 0\n lea 1f(%rip), %r11\n int $5\n1: RE\n"
	"raise_ud: RB 6, 0, 2, 0\n lea 1f(%rip), %r11\n1: ud2\n RE\n"
	"raise_ss: RB 12, 0, 4, 0\n movabs $0x800000000000, %rbp\n lea 1f(%rip), %r11\n1: mov 0(%rbp), %rax\n RE\n"
	"raise_gp: RB 13, 0, 1, 0\n lea 1f(%rip), %r11\n1: hlt\n RE\n"
	"raise_gpint: RB 13, 0x402, 2, 0\n lea 1f(%rip), %r11\n1: int $0x80\n RE\n"
	/* lretq to 0x23, the 32-bit user code selector: null under VT-x/AMD-V */
	"raise_compat: RB 13, 0x20, 2, 0\n lea 2f(%rip), %rcx\n push $0x23\n push %rcx\n lea 1f(%rip), %r11\n"
	"1: lretq\n add $16, %rsp\n RE\n2: ud2\n"
	"raise_gpsel: RB 13, 0x48, 2, 0\n mov $0x4b, %ecx\n lea 1f(%rip), %r11\n1: mov %ecx, %ds\n RE\n"
	"raise_pf: RB 14, 4, 3, 0x7f0000000123\n movabs $0x7f0000000123, %rcx\n lea 1f(%rip), %r11\n"
	"1: mov (%rcx), %rax\n RE\n"
	"raise_pfro: RB 14, 7, 3, 0x7fffffc00800\n movabs $0x7fffffc00800, %rcx\n lea 1f(%rip), %r11\n"
	"1: mov %rax, (%rcx)\n RE\n"
	"raise_pfstub: RB 14, 4, 3, 0xffffffff80000000\n test $2, %dil\n jz 2f\n or $1, %r13\n"
	"2: movabs $0xffffffff80000000, %rcx\n lea 1f(%rip), %r11\n"
	"1: mov (%rcx), %rax\n RE\n"
	/* a call into the upper half (the stub's code) faults on the fetch at
	 * CPL3: the frame names the target; resume after the call (r14 is the
	 * distance back there) and drop its return address */
	"raise_pfjmp: RB 14, 0x14, 0, 0xffffffff80000000\n test $2, %dil\n jz 2f\n or $1, %r13\n"
	"2: movabs $0xffffffff80000000, %rcx\n mov %rcx, %r11\n lea 1f(%rip), %r14\n sub %rcx, %r14\n"
	" call *%rcx\n1: add $8, %rsp\n RE\n"
	"raise_mf: RB 16, 0, 1, 0\n fninit\n push $0x37b\n fldcw (%rsp)\n add $8, %rsp\n fldz\n fld1\n fdivp\n"
	" lea 1f(%rip), %r11\n1: fwait\n fninit\n RE\n"
	"raise_ac: RB 17, 0, 5, 0\n pushfq\n orq $0x40000, (%rsp)\n popfq\n lea 1f(%rip), %r11\n"
	"1: mov 1(%rsp), %rcx\n pushfq\n andq $~0x40000, (%rsp)\n popfq\n RE\n"
	"raise_xm: RB 19, 0, 4, 0\n sub $8, %rsp\n stmxcsr (%rsp)\n push $0x1d80\n ldmxcsr (%rsp)\n add $8, %rsp\n"
	" xorps %xmm1, %xmm1\n mov $1, %ecx\n cvtsi2ss %ecx, %xmm0\n lea 1f(%rip), %r11\n"
	"1: divss %xmm1, %xmm0\n ldmxcsr (%rsp)\n add $8, %rsp\n RE\n"
	".purgem RB\n.purgem RE\n");

long raise_de(long user), raise_db(long user), raise_tf(long user), raise_bp(long user), raise_of(long user),
     raise_br(long user), raise_compat(long user),
     raise_ud(long user), raise_ss(long user), raise_gp(long user), raise_gpint(long user),
     raise_gpsel(long user), raise_pf(long user), raise_pfro(long user), raise_pfstub(long user), raise_pfjmp(long user),
     raise_mf(long user), raise_ac(long user), raise_xm(long user);

/* Every exception a guest can raise, as pvos sees them. #BR only under
 * the VT-x/AMD-V stub (`bound` is gone in 64-bit mode, and PVM turns
 * `int $5` from CPL3 into #GP whatever the gate says: only int3 and
 * `int $4` pass there); there too a far return to 32-bit code must fail
 * (no compatibility mode, whose `syscall` would bypass the stub). Not here: #NM (needs CR0.TS, which is pvmon's),
 * #NP/#TS (need descriptors pvmon never gives the guest), #DF/#MC/#CP
 * (not the guest's to raise). */
const struct fp_raiser fp_raisers[] = {
	{ "de", "#DE div by 0", raise_de, 0 }, { "db", "#DB int1", raise_db, 0 },
	{ "tf", "#DB single step", raise_tf, 0 }, { "bp", "#BP int3", raise_bp, 0 },
	{ "of", "#OF int 4", raise_of, 0 }, { "br", "#BR int 5", raise_br, 1 }, { "ud", "#UD ud2", raise_ud, 0 },
	{ "ss", "#SS non-canonical stack", raise_ss, 0 }, { "gp", "#GP hlt", raise_gp, 0 },
	{ "gpint", "#GP int 0x80", raise_gpint, 0 }, { "gpsel", "#GP selector", raise_gpsel, 0 },
	{ "compat", "#GP far return to 32-bit code", raise_compat, 1 },
	{ "pf", "#PF not present", raise_pf, 0 }, { "pfro", "#PF read-only", raise_pfro, 0 },
	{ "pfstub", "#PF the stub's pages", raise_pfstub, 0 }, { "pfjmp", "#PF jump into the upper half", raise_pfjmp, 0 },
	{ "mf", "#MF x87", raise_mf, 0 },
	{ "ac", "#AC alignment", raise_ac, 0 }, { "xm", "#XM SIMD", raise_xm, 0 }, { 0, 0, 0, 0 },
};

/* User program "traps": every raiser from user mode; one line per wrong
 * frame, exit status = how many were wrong. */
void fp_traps_main(long arg);
void fp_traps_main(long arg)
{
	long bad = 0, n = 0, hw = !!(arg & FP_TRAPS_ARG_HW);
	for (const struct fp_raiser *r = fp_raisers; r->name; r++) {
		if ((arg >> (r - fp_raisers)) & 1 || (r->hw_only && !hw))
			continue;
		n++;
		long m = r->fn(FP_RAISE_USER | (hw ? FP_RAISE_HW : 0));
		if (m) {
			bad++;
			uputs("utraps: wrong frame for ");
			uputs(r->name);
			uputn(": mask ", m);
		}
	}
	uputn("utraps: raised ", n);
	u_exit(bad);
}

/* User program "fastbench": |arg| round trips of a null system call and,
 * when arg > 0 (exceptions are delivered), of a #PF the kernel's handler
 * steps over; prints ns per round trip. */
void fp_fastbench_main(long arg);
void fp_fastbench_main(long arg)
{
	long n = arg < 0 ? -arg : arg > 0 ? arg : 1;
	long t0 = u_now();
	for (long i = 0; i < n; i++)
		sys(SYS_null, 0, 0, 0);
	long t1 = u_now();
	uputn("fastbench: user syscall_ns ", (t1 - t0) / n);
	if (arg > 0) {
		for (long i = 0; i < n; i++)
			raise_pf(1);
		uputn("fastbench: user pf_ns ", (u_now() - t1) / n);
	}
	u_exit(0);
}

/* User program "cowtest": fork must give the child the parent's pages as
 * they were, and neither side's later writes may reach the other (pvos
 * shares them copy-on-write under the fast path, copies them otherwise).
 * Exit status: 0, or the first check that failed. */
static long cow_child(volatile char *m, long pages, char want, long write)
{
	for (long i = 0; i < pages; i++)
		if (m[i * 4096] != (char)(want + i))
			u_exit(10);
	for (long i = 0; i < write; i++)
		m[i * 4096] = 'c';
	for (long i = write; i < pages; i++)
		if (m[i * 4096] != (char)(want + i))
			u_exit(11);
	u_exit(0);
}

void fp_cowtest_main(long pages);
void fp_cowtest_main(long pages)
{
	if (pages < 2 || pages > 64)
		pages = 8;
	volatile char *m = (volatile char *)u_mmap(pages * 4096);
	volatile long *data = (volatile long *)USER_DATA;
	if ((long)m < 0)
		u_exit(1);
	for (long i = 0; i < pages; i++)
		m[i * 4096] = (char)('A' + i);
	*data = 1234;
	int st = -1;
	long pid = u_fork();
	if (pid == 0) {
		if (*data != 1234)
			u_exit(12);
		*data = 99;
		cow_child(m, pages, 'A', pages / 2);
	}
	if (pid < 0 || u_wait(pid, &st) != pid || st)
		u_exit(st > 0 ? st : 2);
	for (long i = 0; i < pages; i++)
		if (m[i * 4096] != (char)('A' + i))
			u_exit(3);                  /* the child's writes reached the parent */
	if (*data != 1234)
		u_exit(4);
	/* The parent writes after fork; a second child sees its new values. */
	for (long i = 0; i < pages; i++)
		m[i * 4096] = (char)('a' + i);
	pid = u_fork();
	if (pid == 0)
		cow_child(m, pages, 'a', pages);
	if (pid < 0 || u_wait(pid, &st) != pid || st)
		u_exit(st > 0 ? st : 5);
	for (long i = 0; i < pages; i++)
		if (m[i * 4096] != (char)('a' + i))
			u_exit(6);
	u_munmap((long)m, pages * 4096);
	u_exit(0);
}
