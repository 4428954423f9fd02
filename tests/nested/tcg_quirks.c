/* Which exceptions the CPU under us raises as real x86-64 hardware does,
 * seen from an ordinary Linux process: nested_svm.sh and nested_vmx.sh run
 * it in their L1 (QEMU TCG, Bochs) to show that what they leave out of
 * pvos's trap self-test is the emulated CPU's doing, not pvmon's. One line
 * per check:
 *   KEY hw|differs: what happened
 * where KEY is the pvos raiser (prog=traps skip=KEY). Exit 0. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* REG_ERR */
#endif
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ucontext.h>
#include <sys/wait.h>
#include <unistd.h>

static char buf[16] __attribute__((aligned(16)));

/* Out of line: rbp may be the frame pointer, which inline asm must not
 * clobber. */
void ss_raise(void);
__asm__(".text\n"
        "ss_raise:\n"
        "	push %rbp\n"
        "	movabs $0x800000000000, %rbp\n"
        "	mov 0(%rbp), %rax\n"
        "	pop %rbp\n"
        "	ret\n");

/* #GP from `int $0x81` (a DPL0 gate in Linux's IDT): the error code names
 * the IDT entry as vector * 8 + 2; exit 10 if it does, 11 if not. */
static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)si;
	const ucontext_t *uc = ctx;
	_exit(uc->uc_mcontext.gregs[REG_ERR] == 0x81 * 8 + 2 ? 10 : 11);
}

static void raise_one(int which)
{
	switch (which) {
	case 0:         /* icebp: #DB (SIGTRAP) */
		__asm__ volatile(".byte 0xf1");
		break;
	case 1:         /* non-canonical address through rbp: #SS (SIGBUS), not #GP (SIGSEGV) */
		ss_raise();
		break;
	case 2:         /* misaligned load with EFLAGS.AC (Linux sets CR0.AM): #AC (SIGBUS) */
		__asm__ volatile("pushfq; orq $0x40000, (%%rsp); popfq; movl 1(%0), %%eax" ::"r"(buf) : "rax", "memory");
		break;
	case 4: {       /* int $0x81 through a DPL0 gate: #GP(0x40a) */
		struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
		sigaction(SIGSEGV, &sa, NULL);
		__asm__ volatile("int $0x81");
		break;
	}
	case 3: {       /* unmasked SSE divide by zero: #XM (SIGFPE) */
		unsigned m = 0x1d80;
		__asm__ volatile("ldmxcsr %0; xorps %%xmm1, %%xmm1; mov $1, %%ecx; cvtsi2ss %%ecx, %%xmm0; "
		                 "divss %%xmm1, %%xmm0" ::"m"(m) : "rcx", "xmm0", "xmm1");
		break;
	}
	}
}

int main(int argc, char **argv)
{
	static const struct { const char *key, *what; int sig; } c[] = {
		{ "db", "icebp raises #DB", SIGTRAP },
		{ "ss", "a non-canonical stack reference raises #SS", SIGBUS },
		{ "ac", "a misaligned load with EFLAGS.AC raises #AC", SIGBUS },
		{ "xm", "an unmasked SSE exception raises #XM", SIGFPE },
		{ "gpint", "int n through a DPL0 gate raises #GP(n * 8 + 2)", 0 },
	};
	if (argc > 1) {
		fprintf(stderr, "usage: %s\n%s", argv[0], "Prints KEY hw|differs: ... for exceptions the CPU may not raise.\n");
		return !strcmp(argv[1], "--help") ? 0 : 2;
	}
	for (int i = 0; i < 5; i++) {
		fflush(stdout);
		pid_t p = fork();
		if (p == 0) {
			raise_one(i);
			_exit(0);
		}
		int st = 0;
		waitpid(p, &st, 0);
		int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
		if (i == 4)
			printf("%s %s: %s (%s)\n", c[i].key, WIFEXITED(st) && WEXITSTATUS(st) == 10 ? "hw" : "differs",
			       c[i].what, !WIFEXITED(st)             ? "no #GP"
			                  : WEXITSTATUS(st) == 10 ? "that error code"
			                                          : "another error code");
		else
			printf("%s %s: %s (%s)\n", c[i].key, sig == c[i].sig ? "hw" : "differs", c[i].what,
			       sig ? strsignal(sig) : "no signal");
	}
	return 0;
}
