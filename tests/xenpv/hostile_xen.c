/* A hostile Xen PV guest kernel of our own (tests/integration/xen_hostile.sh):
 * it runs where Linux does, on Xen's start-of-day layout, and hands pvmon
 * bad hypercall arguments, bad page-table entries and bad descriptors,
 * printing one line per check ("hostile_xen: NAME = RC ok|FAIL") through
 * console_io. All answered as Xen answers: poweroff (pvmon's exit 0);
 * a wrong answer: reboot (exit 1). With "crash" on its command line it
 * ends by writing an entry that maps its own L4 writable straight into
 * its L1 table: pvmon refuses the emulated write, the #PF has no handler
 * and the domain crashes (exit 125), pvmon going on. With "pfstack",
 * "pfstack-hv" or "iretbad" it ends by pointing its stack at its own L1
 * table (mapped read-only) or into pvmon's slot and taking a page fault,
 * or by an iret whose frame is in the entry stub's slot: neither the
 * stub's fast path nor pvmon may write or read there, so the domain
 * crashes; with "sysstack" or "sysstack-hv" the same for a system call
 * from user mode with its kernel stack on its L1 or in the stub's slot,
 * and with "evstack" for an event upcall at xen_version on its L1.
 * With "blkhold" its blkfront keeps its disk through a detach until
 * Domain 0 forces it away, and closes the disk's port meanwhile: a send
 * on it is refused (the stub's doorbell for it is silenced). Freestanding; the ABI's structures and numbers are libxen-dev's. */
#include <stddef.h>
#include <stdint.h>
#define __XEN_INTERFACE_VERSION__ 0x00040e00
#include <xen/xen.h>
#include <xen/callback.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/io/xs_wire.h>
#define xen_mb() __sync_synchronize()
#define xen_rmb() __sync_synchronize()
#define xen_wmb() __sync_synchronize()
#include <xen/io/ring.h>
#include <xen/io/blkif.h>
#include <xen/io/netif.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>
#include <xen/elfnote.h>

#define VIRT_BASE 0xffffffff80000000UL
#define PAGE 4096UL
#define PTE_P 1UL
#define PTE_RW 2UL
#define EPERM 1
#define ENOENT 2
#define EFAULT 14
#define EINVAL 22
#define ENOSYS 38
#define EEXIST 17
#define ESRCH 3
#define ETIME 62

/* Xen's notes: Linux's loader ("linux"), xen-3.0, VIRT_BASE, PADDR_OFFSET 0. */
#define NOTE_STR(n, type, s) \
	static const struct { uint32_t namesz, descsz, t; char name[4]; char d[sizeof(s)]; } \
	n __attribute__((section(".note.xen"), aligned(4), used)) = { 4, sizeof(s), type, "Xen", s }
#define NOTE_U64(n, type, v) \
	static const struct __attribute__((packed)) { uint32_t namesz, descsz, t; char name[4]; uint64_t d; } \
	n __attribute__((section(".note.xen"), aligned(4), used)) = { 4, 8, type, "Xen", v }
NOTE_STR(n_os, XEN_ELFNOTE_GUEST_OS, "linux");
NOTE_STR(n_ver, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
NOTE_U64(n_base, XEN_ELFNOTE_VIRT_BASE, VIRT_BASE);
NOTE_U64(n_off, XEN_ELFNOTE_PADDR_OFFSET, 0);
/* A hypercall page, as kernels without the XSA-466 fix ask for: the
 * image's first page (hostile_xen.ld), int3 until pvmon fills it. */
NOTE_U64(n_hcpage, XEN_ELFNOTE_HYPERCALL_PAGE, VIRT_BASE + 0x100000);
extern uint8_t hypercall_page[PAGE];
__asm__(".pushsection .text.hcpage, \"ax\", @progbits\n"
        ".balign 4096\n"
        ".globl hypercall_page\n"
        "hypercall_page: .fill 4096, 1, 0xcc\n"
        ".popsection\n");

/* The compiler's own calls (struct initialisers, the ring macros). The
 * volatile keeps it from turning the loop back into a call of itself. */
void *memset(void *d, int c, size_t n);
void *memset(void *d, int c, size_t n)
{
	volatile uint8_t *p = d;
	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

static start_info_t *si;
static unsigned fails, checks;
static uint8_t scratch[PAGE] __attribute__((aligned(4096)));
static uint8_t scratch2[PAGE] __attribute__((aligned(4096)));
static uint8_t mmu_t[PAGE] __attribute__((aligned(4096)));   /* the stub's mmu_update checks */
static uint8_t mmu_a[PAGE] __attribute__((aligned(4096)));
static uint8_t mmu_b[PAGE] __attribute__((aligned(4096)));
static uint64_t l4copy[512] __attribute__((aligned(4096)));   /* a second L4, the same mappings */
static uint64_t l1copy[512] __attribute__((aligned(4096)));   /* a second first L1, the same mappings */
static struct vcpu_guest_context ctx;
static uint8_t stack1[8192] __attribute__((aligned(16)));
static volatile int second_ran;
static uint32_t ipi_port;

/* A hypercall as Linux's with the XSA-466 fix makes it: `syscall`. */
static long hc(long nr, long a1, long a2, long a3, long a4, long a5)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	__asm__ volatile("syscall"
	                 : "+a"(nr), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
	                 :
	                 : "rcx", "r11", "r9", "memory");
	return nr;
}

/* The same through the hypercall page, as older kernels make it. */
static long hcp(long nr, long a1, long a2, long a3)
{
	long rc;
	__asm__ volatile("call *%[f]"
	                 : "=a"(rc), "+D"(a1), "+S"(a2), "+d"(a3)
	                 : [f] "r"(hypercall_page + 32 * nr)
	                 : "rcx", "r8", "r9", "r10", "r11", "memory");
	return rc;
}

static unsigned slen(const char *s)
{
	unsigned n = 0;
	while (s[n])
		n++;
	return n;
}

static void puts_(const char *s)
{
	hc(__HYPERVISOR_console_io, CONSOLEIO_write, slen(s), (long)s, 0, 0);
}

static void putnum(long v)
{
	char b[24];
	int i = 23;
	int neg = v < 0;
	unsigned long u = neg ? -(unsigned long)v : (unsigned long)v;
	b[i] = 0;
	do {
		b[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (neg)
		b[--i] = '-';
	puts_(&b[i]);
}

static void expect(const char *name, long rc, long want)
{
	checks++;
	puts_("hostile_xen: ");
	puts_(name);
	puts_(" = ");
	putnum(rc);
	if (rc == want) {
		puts_(" ok\n");
		return;
	}
	fails++;
	puts_(" FAIL (expected ");
	putnum(want);
	puts_(")\n");
}

static uint64_t mfn_of(const void *va)
{
	return ((uint64_t)(uintptr_t)va - VIRT_BASE) / PAGE;   /* identity p2m */
}

static long mmu1(uint64_t ptr, uint64_t val)
{
	struct mmu_update u = { ptr, val };
	return hc(__HYPERVISOR_mmu_update, (long)&u, 1, 0, DOMID_SELF, 0);
}

static long uvm0(void *va, uint64_t val)
{
	return hc(__HYPERVISOR_update_va_mapping, (long)va, (long)val, 0, 0, 0);
}

static long ext1(unsigned cmd, uint64_t mfn)
{
	struct mmuext_op op = { .cmd = cmd, .arg1.mfn = mfn };
	return hc(__HYPERVISOR_mmuext_op, (long)&op, 1, 0, DOMID_SELF, 0);
}

/* memory_op decrease_reservation / populate_physmap of one frame (*f in,
 * the frame given out), order 0, for domain dom. */
static long resv1(unsigned cmd, xen_pfn_t *f, domid_t dom, unsigned order, unsigned long n)
{
	struct xen_memory_reservation r = { .nr_extents = n, .extent_order = order, .domid = dom };
	set_xen_guest_handle(r.extent_start, f);
	return hc(__HYPERVISOR_memory_op, cmd, (long)&r, 0, 0, 0);
}

/* vCPU 1, from VCPUOP_initialise: says it runs, sends vCPU 0 the IPI
 * it polls for, and takes itself down. */
static long hc(long nr, long a1, long a2, long a3, long a4, long a5);
static int has(const char *hay, const char *needle);

/* A #PF handler of the trap table: it notes Xen's frame (rcx r11 err rip
 * cs rflags rsp ss) and returns with the iret hypercall past the 3-byte
 * load that faulted (pf_load). */
volatile uint64_t pf_seen, pf_err, pf_rip, pf_cs, pf_rflags, pf_ss;
void pf_entry(void);
__asm__(".text\n"
        ".globl pf_entry\n"
        "pf_entry:\n"
        "  pop %rcx\n"
        "  pop %r11\n"
        "  incq pf_seen(%rip)\n"
        "  push %rax\n"
        "  mov 8(%rsp), %rax\n  mov %rax, pf_err(%rip)\n"
        "  mov 16(%rsp), %rax\n  mov %rax, pf_rip(%rip)\n"
        "  mov 24(%rsp), %rax\n  mov %rax, pf_cs(%rip)\n"
        "  mov 32(%rsp), %rax\n  mov %rax, pf_rflags(%rip)\n"
        "  mov 48(%rsp), %rax\n  mov %rax, pf_ss(%rip)\n"
        "  pop %rax\n"
        "  add $8, %rsp\n"               /* the error code */
        "  addq $3, (%rsp)\n"            /* past the load */
        "  pushq $0\n"                   /* iret_context: flags, rcx, r11, rax */
        "  push %rcx\n"
        "  push %r11\n"
        "  push %rax\n"
        "  mov $23, %eax\n"              /* __HYPERVISOR_iret */
        "  syscall\n"
        "  ud2\n");

/* A round trip through guest user mode: user_trip() saves the kernel's
 * C context and irets to user_entry in user mode (the iret hypercall),
 * which reads %gs:0 (the user GS base's marker) and makes a system call;
 * syscall_cb, the syscall callback, notes Xen's frame (rcx r11 rip cs
 * rflags rsp ss), the kernel's %gs:0 and where the frame is, and goes
 * back to the saved context: user_trip returns the count of callbacks. */
volatile uint64_t sc_seen, sc_rip, sc_cs, sc_ss, sc_rsp, sc_frame, sc_rax, sc_ugs, sc_kgs, trip_ksp;
uint8_t user_stack[4096] __attribute__((aligned(16)));
long user_trip(void);
void user_entry(void);
void syscall_cb(void);
__asm__(".text\n"
        ".globl user_trip, user_entry, syscall_cb\n"
        "user_trip:\n"
        "  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
        "  mov %rsp, trip_ksp(%rip)\n"
        "  pushq $0xe02b\n"                          /* ss: FLAT_USER_SS */
        "  lea user_stack+4096(%rip), %rax\n  push %rax\n"
        "  pushq $0x2\n"                             /* rflags: IF clear, events stay masked */
        "  pushq $0xe033\n"                          /* cs: FLAT_USER_CS, user mode */
        "  lea user_entry(%rip), %rax\n  push %rax\n"
        "  pushq $0\n  push %rcx\n  push %r11\n  push %rax\n"
        "  mov $23, %eax\n"
        "  syscall\n"
        "  ud2\n"
        "user_entry:\n"
        "  mov %gs:0, %rbx\n"
        "  mov $0x1234, %eax\n"
        "  syscall\n"
        "  ud2\n"
        "syscall_cb:\n"
        "  incq sc_seen(%rip)\n"
        "  mov %rsp, sc_frame(%rip)\n"
        "  mov %rax, sc_rax(%rip)\n"
        "  mov %rbx, sc_ugs(%rip)\n"
        "  mov %gs:0, %rax\n  mov %rax, sc_kgs(%rip)\n"
        "  mov 16(%rsp), %rax\n  mov %rax, sc_rip(%rip)\n"
        "  mov 24(%rsp), %rax\n  mov %rax, sc_cs(%rip)\n"
        "  mov 40(%rsp), %rax\n  mov %rax, sc_rsp(%rip)\n"
        "  mov 48(%rsp), %rax\n  mov %rax, sc_ss(%rip)\n"
        "  mov trip_ksp(%rip), %rsp\n"
        "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n"
        "  mov sc_seen(%rip), %rax\n"
        "  ret\n");
/* The event callback: notes Xen's frame (rcx r11 rip cs rflags rsp ss)
 * and rax (a hypercall's answer when the upcall came with one), has
 * ev_clear() take the event, and returns with the iret hypercall. */
volatile uint64_t ev_seen, ev_rip, ev_cs, ev_rflags, ev_ss, ev_rax;
void ev_entry(void);
void ev_clear(void);
__asm__(".text\n"
        ".globl ev_entry\n"
        "ev_entry:\n"
        "  pop %rcx\n"
        "  pop %r11\n"
        "  incq ev_seen(%rip)\n"
        "  mov %rax, ev_rax(%rip)\n"
        "  push %rax\n"
        "  mov 8(%rsp), %rax\n  mov %rax, ev_rip(%rip)\n"
        "  mov 16(%rsp), %rax\n  mov %rax, ev_cs(%rip)\n"
        "  mov 24(%rsp), %rax\n  mov %rax, ev_rflags(%rip)\n"
        "  mov 40(%rsp), %rax\n  mov %rax, ev_ss(%rip)\n"
        "  push %rcx\n  push %rdx\n  push %rsi\n  push %rdi\n  push %r8\n  push %r9\n  push %r10\n  push %r11\n"
        "  call ev_clear\n"
        "  pop %r11\n  pop %r10\n  pop %r9\n  pop %r8\n  pop %rdi\n  pop %rsi\n  pop %rdx\n  pop %rcx\n"
        "  pop %rax\n"
        "  pushq $0\n"                   /* iret_context: flags, rcx, r11, rax */
        "  push %rcx\n"
        "  push %r11\n"
        "  push %rax\n"
        "  mov $23, %eax\n"
        "  syscall\n"
        "  ud2\n");
/* The event callback's work: every pending port and the upcall flag
 * cleared (ev_sh: the shared_info, mapped by the test). */
static volatile shared_info_t *ev_sh;
void ev_clear(void)
{
	ev_sh->vcpu_info[0].evtchn_upcall_pending = 0;
	ev_sh->vcpu_info[0].evtchn_pending_sel = 0;
	for (unsigned i = 0; i < sizeof(ev_sh->evtchn_pending) / sizeof(ev_sh->evtchn_pending[0]); i++)
		ev_sh->evtchn_pending[i] = 0;
}

static long event_callback(void (*entry)(void))
{
	struct callback_register cb = { CALLBACKTYPE_event, 0, (unsigned long)entry };
	return hc(__HYPERVISOR_callback_op, CALLBACKOP_register, (long)&cb, 0, 0, 0);
}

static uint64_t kmark = 0x6b65726e656cULL, umark = 0x75736572ULL;   /* "kernel", "user" */
static uint8_t kstack[4096] __attribute__((aligned(16)));

/* User mode's setup: its own L4 as the user L4 too (a PV kernel's pages
 * are user pages), the syscall callback, the GS bases of both modes and
 * a kernel stack at ksp. */
static void user_setup(uint64_t l4, uint64_t ksp)
{
	struct callback_register cb = { CALLBACKTYPE_syscall, 0, (unsigned long)syscall_cb };
	hc(__HYPERVISOR_callback_op, CALLBACKOP_register, (long)&cb, 0, 0, 0);
	ext1(MMUEXT_NEW_USER_BASEPTR, l4);
	hc(__HYPERVISOR_set_segment_base, SEGBASE_GS_KERNEL, (long)&kmark, 0, 0, 0);
	hc(__HYPERVISOR_set_segment_base, SEGBASE_GS_USER, (long)&umark, 0, 0, 0);
	hc(__HYPERVISOR_stack_switch, FLAT_KERNEL_SS, (long)ksp, 0, 0, 0);
}

/* A load of *addr that faults: `mov (%rdx), %rax`, three bytes. */
static long pf_load(uint64_t addr)
{
	long v = 0;
	__asm__ volatile(".byte 0x48, 0x8b, 0x02" : "+a"(v) : "d"(addr) : "memory");
	return v;
}
void second(void)
{
	second_ran = 1;
	struct evtchn_send s = { ipi_port };
	hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (long)&s, 0, 0, 0);
	hc(__HYPERVISOR_vcpu_op, VCPUOP_down, 1, 0, 0, 0);
	for (;;)
		hc(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
}

/* A context for vCPU 1 that Xen takes: kernel mode, the bootstrap L4,
 * second() on its own stack. */
static void good_ctx(uint64_t l4)
{
	uint8_t *p = (uint8_t *)&ctx;
	for (unsigned i = 0; i < sizeof(ctx); i++)
		p[i] = 0;
	ctx.flags = VGCF_in_kernel;
	ctx.user_regs.rip = (uint64_t)(uintptr_t)second;
	ctx.user_regs.rsp = (uint64_t)(uintptr_t)(stack1 + sizeof(stack1)) - 8;
	ctx.user_regs.rflags = 0x1000;
	ctx.kernel_sp = (uint64_t)(uintptr_t)(stack1 + sizeof(stack1));
	ctx.ctrlreg[3] = l4 * PAGE;
}

static long init1(uint64_t id)
{
	return hc(__HYPERVISOR_vcpu_op, VCPUOP_initialise, (long)id, (long)&ctx, 0, 0);
}

/* One xenstore request through start_info's ring, as Linux's xenbus
 * speaks it; pvmon answers during the send. The reply's type, its
 * payload (NUL added) in out; -1 when no reply came. */
static long xs_req(uint32_t type, const char *a, const char *b, char *out, unsigned outlen)
{
	struct xenstore_domain_interface *r = (struct xenstore_domain_interface *)(VIRT_BASE + si->store_mfn * PAGE);
	unsigned la = slen(a) + 1, lb = b ? slen(b) : 0;
	struct xsd_sockmsg h = { type, 7, 0, la + lb };
	uint32_t prod = r->req_prod;
	for (unsigned i = 0; i < sizeof(h); i++)
		r->req[MASK_XENSTORE_IDX(prod++)] = ((const char *)&h)[i];
	for (unsigned i = 0; i < la; i++)
		r->req[MASK_XENSTORE_IDX(prod++)] = a[i];
	for (unsigned i = 0; i < lb; i++)
		r->req[MASK_XENSTORE_IDX(prod++)] = b[i];
	__atomic_store_n(&r->req_prod, prod, __ATOMIC_RELEASE);
	struct evtchn_send s = { si->store_evtchn };
	hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (long)&s, 0, 0, 0);
	uint32_t cons = r->rsp_cons;
	struct xsd_sockmsg rh;
	if (r->rsp_prod - cons < sizeof(rh))
		return -1;
	for (unsigned i = 0; i < sizeof(rh); i++)
		((char *)&rh)[i] = r->rsp[MASK_XENSTORE_IDX(cons + i)];
	for (unsigned i = 0; i < rh.len && i + 1 < outlen; i++)
		out[i] = r->rsp[MASK_XENSTORE_IDX(cons + sizeof(rh) + i)];
	out[rh.len < outlen ? rh.len : outlen - 1] = 0;
	__atomic_store_n(&r->rsp_cons, cons + (uint32_t)sizeof(rh) + rh.len, __ATOMIC_RELEASE);
	return rh.type;
}

static int same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static void unum(char *b, unsigned long v)
{
	char t[24];
	int i = 0;
	do
		t[i++] = (char)('0' + v % 10);
	while (v /= 10);
	while (i)
		*b++ = t[--i];
	*b = 0;
}

/* With a disk (xen_hostile.sh's "blk" run: xvda, the test's file), a
 * blkfront of its own: a ring and a data page granted to Domain 0, a
 * port left unbound for it, the frontend's nodes, then requests pvmon's
 * back end must answer right or refuse: a good read (the file's first
 * bytes), sectors past the disk, an ungranted reference, a read into a
 * read-only grant, a discard, 12 segments; then a producer index 100
 * ahead, which disconnects the disk (one line) and nothing else. */
static uint8_t blkring[PAGE] __attribute__((aligned(4096)));
static uint8_t blkdata[PAGE] __attribute__((aligned(4096)));
static uint8_t gntpage[PAGE] __attribute__((aligned(4096)));

static int16_t blk_do(blkif_front_ring_t *f, uint32_t port, blkif_request_t *rq)
{
	*RING_GET_REQUEST(f, f->req_prod_pvt) = *rq;
	f->req_prod_pvt++;
	RING_PUSH_REQUESTS(f);
	struct evtchn_send s = { port };     /* always: the back end's req_event is not watched here */
	hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (long)&s, 0, 0, 0);
	for (int i = 0; i < 200000 && f->sring->rsp_prod == f->rsp_cons; i++)
		hc(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
	if (f->sring->rsp_prod == f->rsp_cons)
		return 99;                    /* no answer */
	blkif_response_t *r = RING_GET_RESPONSE(f, f->rsp_cons);
	f->rsp_cons++;
	return r->status;
}

/* The grant table's frame 0 mapped at gntpage (a check named by what),
 * then entry ref granting page to Domain 0 (read-only with ro). */
static volatile grant_entry_v1_t *grants(const char *what, uint64_t gnt0)
{
	expect(what, hc(__HYPERVISOR_update_va_mapping, (long)gntpage, (long)((gnt0 * PAGE) | PTE_P | PTE_RW),
	                UVMF_INVLPG, 0, 0), 0);
	return (volatile grant_entry_v1_t *)gntpage;
}

static void grant(volatile grant_entry_v1_t *g, unsigned ref, const void *page, int ro)
{
	g[ref].frame = (uint32_t)mfn_of(page);
	g[ref].domid = 0;
	g[ref].flags = GTF_permit_access | (ro ? GTF_readonly : 0);
}

static void blk_checks(uint64_t gnt0)
{
	if (!has((const char *)si->cmd_line, "blk")) {
		puts_("hostile_xen: no disk: no block checks\n");
		return;
	}
	char v[64], path[96];
	volatile grant_entry_v1_t *g = grants("blk: grant frame 0 mapped (allowed)", gnt0);
	grant(g, 1, blkring, 0);
	grant(g, 2, blkdata, 0);
	grant(g, 3, blkdata, 1);
	blkif_sring_t *sr = (blkif_sring_t *)blkring;
	SHARED_RING_INIT(sr);
	blkif_front_ring_t f;
	FRONT_RING_INIT(&f, sr, PAGE);
	struct evtchn_alloc_unbound au = { DOMID_SELF, 0, 0 };
	expect("blk: a port unbound for Domain 0 (allowed)", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (long)&au, 0, 0, 0), 0);
	xs_req(XS_READ, "domid", 0, v, sizeof(v));
	char be[80] = "/local/domain/0/backend/vbd/";
	char *e = be + slen(be);
	for (const char *q = v; *q; q++)
		*e++ = *q;
	for (const char *q = "/51712/state"; *q; q++)
		*e++ = *q;
	*e = 0;
	unum(v, au.port);
	expect("blk: ring-ref written", xs_req(XS_WRITE, "device/vbd/51712/ring-ref", "1", path, sizeof(path)), XS_WRITE);
	expect("blk: event-channel written", xs_req(XS_WRITE, "device/vbd/51712/event-channel", v, path, sizeof(path)), XS_WRITE);
	expect("blk: protocol written", xs_req(XS_WRITE, "device/vbd/51712/protocol", "x86_64-abi", path, sizeof(path)), XS_WRITE);
	expect("blk: state Initialised", xs_req(XS_WRITE, "device/vbd/51712/state", "3", path, sizeof(path)), XS_WRITE);
	int i = 0;
	for (; i < 200000; i++) {
		if (xs_req(XS_READ, be, 0, v, sizeof(v)) == XS_READ && same(v, "4"))
			break;
		hc(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
	}
	expect("blk: the back end Connected", same(v, "4"), 1);
	blkif_request_t rq = { .operation = BLKIF_OP_READ, .nr_segments = 1, .id = 1, .sector_number = 0,
	                       .seg = { { .gref = 2, .first_sect = 0, .last_sect = 0 } } };
	expect("blk: read sector 0 (allowed)", blk_do(&f, au.port, &rq), BLKIF_RSP_OKAY);
	expect("  the disk's first bytes", (long)(blkdata[0] == 'h' && blkdata[1] == 'o' && blkdata[2] == 's'), 1);
	if (has((const char *)si->cmd_line, "blkhold")) {
		/* A frontend that never lets its disk go: it sees the back end
		 * Closing (a detach) and keeps the ring, until Domain 0 takes the
		 * back end's nodes away (a forced detach). */
		puts_("hostile_xen: holding its disk\n");
		int closing = 0;
		for (i = 0; i < 20000000; i++) {
			long rc = xs_req(XS_READ, be, 0, v, sizeof(v));
			if (rc == XS_READ && same(v, "5") && !closing) {
				closing = 1;
				puts_("hostile_xen: its back end is Closing; it keeps the disk\n");
				/* Its port still bound (the stub's doorbell rings), then
				 * closed: a send on it is refused, not rung. */
				struct evtchn_send s = { au.port };
				expect("blk: a send on its port while Closing (allowed)",
				       hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (long)&s, 0, 0, 0), 0);
				struct evtchn_close c = { au.port };
				expect("blk: its port closed (allowed)", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_close, (long)&c, 0, 0, 0), 0);
				expect("blk: a send on the closed port",
				       hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (long)&s, 0, 0, 0), -EINVAL);
			}
			if (rc != XS_READ)
				break;
			hc(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
		}
		expect("blk: the back end Closing, then gone", (long)(closing && i < 20000000), 1);
		puts_("hostile_xen: its disk was taken\n");
		return;
	}
	rq.sector_number = 1 << 20;
	expect("blk: read past the disk", blk_do(&f, au.port, &rq), BLKIF_RSP_ERROR);
	rq.sector_number = 0;
	rq.seg[0].gref = 99;
	expect("blk: read into an ungranted reference", blk_do(&f, au.port, &rq), BLKIF_RSP_ERROR);
	rq.seg[0].gref = 3;
	expect("blk: read into a read-only grant", blk_do(&f, au.port, &rq), BLKIF_RSP_ERROR);
	rq.operation = BLKIF_OP_WRITE;
	expect("blk: write from a read-only grant (allowed)", blk_do(&f, au.port, &rq), BLKIF_RSP_OKAY);
	rq.operation = BLKIF_OP_DISCARD;
	expect("blk: discard", blk_do(&f, au.port, &rq), BLKIF_RSP_EOPNOTSUPP);
	rq.operation = BLKIF_OP_READ;
	rq.nr_segments = 12;
	expect("blk: 12 segments", blk_do(&f, au.port, &rq), BLKIF_RSP_ERROR);
	sr->req_prod = f.req_prod_pvt + 100;
	struct evtchn_send s = { au.port };
	hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (long)&s, 0, 0, 0);
	for (i = 0; i < 200000; i++) {
		if (xs_req(XS_READ, be, 0, v, sizeof(v)) == XS_READ && same(v, "5"))
			break;
		hc(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
	}
	expect("blk: a producer index 100 ahead: the back end Closing", same(v, "5"), 1);
	(void)path;
}

/* With a VIF (xen_hostile.sh's "net" run: vif = [ "rate=..." ]), a
 * netfront of its own: TX and RX rings and a data page granted to
 * Domain 0, one port, the frontend's nodes; then packets pvmon's back
 * end must send or refuse as Xen's netback does: a good one, a bad grant
 * reference, a zero-length one, one whose second slot is bigger than the
 * packet, 19 slots; a flood of NET_FLOOD packets (the VIF's rate defers
 * some: --stats counts them); then a producer index more than a ring
 * ahead, which disconnects the VIF (one line) and nothing else. */
static uint8_t ntxring[PAGE] __attribute__((aligned(4096)));
static uint8_t nrxring[PAGE] __attribute__((aligned(4096)));
static uint8_t ndata[PAGE] __attribute__((aligned(4096)));
#define NET_FLOOD 40

/* Push what f holds, send the event, wait until n more responses came
 * (or give up): the first new response's status, 99 for none. */
static int16_t net_push(netif_tx_front_ring_t *f, uint32_t port, unsigned n)
{
	RING_IDX first = f->rsp_cons;
	RING_PUSH_REQUESTS(f);
	struct evtchn_send s = { port };
	hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (long)&s, 0, 0, 0);
	for (int i = 0; i < 400000 && f->sring->rsp_prod - first < n; i++)
		hc(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
	if (f->sring->rsp_prod - first < n)
		return 99;
	f->rsp_cons = first + n;
	return RING_GET_RESPONSE(f, first)->status;
}

static void net_slot(netif_tx_front_ring_t *f, uint32_t gref, uint16_t off, uint16_t size, uint16_t flags)
{
	netif_tx_request_t *r = RING_GET_REQUEST(f, f->req_prod_pvt);
	r->gref = gref;
	r->offset = off;
	r->size = size;
	r->flags = flags;
	r->id = (uint16_t)f->req_prod_pvt;
	f->req_prod_pvt++;
}

/* A node of the back end's directory for VIF 0 into v. */
static long be_read(const char *node, char *v, unsigned len)
{
	char dom[16], path[96] = "/local/domain/0/backend/vif/";
	xs_req(XS_READ, "domid", 0, dom, sizeof(dom));
	char *e = path + slen(path);
	for (const char *q = dom; *q; q++)
		*e++ = *q;
	for (const char *q = "/0/"; *q; q++)
		*e++ = *q;
	for (const char *q = node; *q; q++)
		*e++ = *q;
	*e = 0;
	return xs_req(XS_READ, path, 0, v, len);
}

static int be_state_is(const char *want)
{
	char v[16];
	for (int i = 0; i < 200000; i++) {
		if (be_read("state", v, sizeof(v)) == XS_READ && same(v, want))
			return 1;
		hc(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
	}
	return 0;
}

static void net_checks(uint64_t gnt0)
{
	if (!has((const char *)si->cmd_line, "net")) {
		puts_("hostile_xen: no vif: no network checks\n");
		return;
	}
	char v[64], path[96];
	volatile grant_entry_v1_t *g = grants("net: grant frame 0 mapped (allowed)", gnt0);
	grant(g, 4, ntxring, 0);
	grant(g, 5, nrxring, 0);
	grant(g, 6, ndata, 1);
	netif_tx_sring_t *ts = (netif_tx_sring_t *)ntxring;
	SHARED_RING_INIT(ts);
	SHARED_RING_INIT((netif_rx_sring_t *)nrxring);
	netif_tx_front_ring_t f;
	FRONT_RING_INIT(&f, ts, PAGE);
	struct evtchn_alloc_unbound au = { DOMID_SELF, 0, 0 };
	expect("net: a port unbound for Domain 0 (allowed)", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (long)&au, 0, 0, 0), 0);
	unum(v, au.port);
	expect("net: mac read", xs_req(XS_READ, "device/vif/0/mac", 0, path, sizeof(path)), XS_READ);
	expect("net: tx-ring-ref written", xs_req(XS_WRITE, "device/vif/0/tx-ring-ref", "4", path, sizeof(path)), XS_WRITE);
	expect("net: rx-ring-ref written", xs_req(XS_WRITE, "device/vif/0/rx-ring-ref", "5", path, sizeof(path)), XS_WRITE);
	expect("net: event-channel written", xs_req(XS_WRITE, "device/vif/0/event-channel", v, path, sizeof(path)), XS_WRITE);
	expect("net: request-rx-copy written", xs_req(XS_WRITE, "device/vif/0/request-rx-copy", "1", path, sizeof(path)), XS_WRITE);
	expect("net: state Connected", xs_req(XS_WRITE, "device/vif/0/state", "4", path, sizeof(path)), XS_WRITE);
	expect("net: the back end Connected", be_state_is("4"), 1);
	expect("net: feature-rx-copy", be_read("feature-rx-copy", v, sizeof(v)) == XS_READ && same(v, "1"), 1);
	for (int i = 0; i < 60; i++)
		ndata[i] = (uint8_t)(i < 12 ? 0xff : i);     /* a broadcast frame */
	net_slot(&f, 6, 0, 60, 0);
	expect("net: a 60-byte packet (sent)", net_push(&f, au.port, 1), NETIF_RSP_OKAY);
	net_slot(&f, 99, 0, 60, 0);
	expect("net: an ungranted reference", net_push(&f, au.port, 1), NETIF_RSP_ERROR);
	net_slot(&f, 6, 0, 0, 0);
	expect("net: a zero-length packet", net_push(&f, au.port, 1), NETIF_RSP_ERROR);
	net_slot(&f, 6, 0, 100, NETTXF_more_data);
	net_slot(&f, 6, 0, 200, 0);
	expect("net: a second slot bigger than the packet", net_push(&f, au.port, 2), NETIF_RSP_ERROR);
	for (int i = 0; i < 19; i++)
		net_slot(&f, 6, 0, i ? 1 : 100, i < 18 ? NETTXF_more_data : 0);
	expect("net: 19 slots", net_push(&f, au.port, 19), NETIF_RSP_ERROR);
	for (int i = 0; i < NET_FLOOD; i++)
		net_slot(&f, 6, 0, 1000, 0);
	expect("net: a flood of 1000-byte packets, all sent at the VIF's rate", net_push(&f, au.port, NET_FLOOD),
	       NETIF_RSP_OKAY);
	ts->req_prod = f.req_prod_pvt + 300;
	struct evtchn_send s = { au.port };
	hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (long)&s, 0, 0, 0);
	expect("net: a producer index 300 ahead: the back end Closing", be_state_is("5"), 1);
}

/* xenstore through start_info's ring: a request and its reply, then a
 * request producer index more than a ring ahead: pvmon closes the
 * connection (one line on its stderr), answers nothing more, and the
 * domain goes on. */
static void store_checks(void)
{
	if (!si->store_evtchn) {
		puts_("hostile_xen: no xenstore: no store checks\n");
		return;
	}
	struct xenstore_domain_interface *r = (struct xenstore_domain_interface *)(VIRT_BASE + si->store_mfn * PAGE);
	char name[8];
	expect("xenstore: a READ of name", xs_req(XS_READ, "name", 0, name, sizeof(name)), XS_READ);
	expect("  its name is hx", (long)(name[0] == 'h' && name[1] == 'x' && !name[2]), 1);
	r->req_prod += 5000;                 /* more than a ring of requests */
	struct evtchn_send s = { si->store_evtchn };
	expect("xenstore: a producer index 5000 ahead (the send is fine)", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (long)&s, 0, 0, 0), 0);
	r->req_prod = r->req_cons;
	expect("  then no answer to a good request", xs_req(XS_READ, "name", 0, name, sizeof(name)), -1);
	struct evtchn_close c = { si->store_evtchn };
	expect("evtchn close the store's port", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_close, (long)&c, 0, 0, 0), -EINVAL);
}

/* With vcpus = 2: VCPUOP_initialise's checks (Xen's arch_set_info_guest),
 * up/down/is_up, and an IPI from vCPU 1 waking vCPU 0's poll. */
static void smp_checks(uint64_t l4, uint64_t l1)
{
	long up1 = hc(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0, 0, 0);
	if (up1 == -ENOENT) {
		puts_("hostile_xen: one vCPU: no SMP checks\n");
		return;
	}
	expect("vcpu 1 is down at start", up1, 0);
	expect("vcpu 0 is up", hc(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 0, 0, 0, 0), 1);
	expect("up an uninitialised vcpu", hc(__HYPERVISOR_vcpu_op, VCPUOP_up, 1, 0, 0, 0), -EINVAL);
	expect("initialise: unmapped context", hc(__HYPERVISOR_vcpu_op, VCPUOP_initialise, 1, 0x5000, 0, 0), -EFAULT);
	good_ctx(l4);
	expect("initialise vcpu 7 (out of range)", init1(7), -ENOENT);
	expect("initialise vcpu 0 (up)", init1(0), -EEXIST);
	ctx.ctrlreg[3] = 0xfffffUL * PAGE;
	expect("initialise: CR3 outside RAM", init1(1), -EINVAL);
	ctx.ctrlreg[3] = mfn_of(scratch) * PAGE;
	expect("initialise: CR3 a writable frame", init1(1), -EINVAL);
	ctx.ctrlreg[3] = l1 * PAGE;
	expect("initialise: CR3 an L1", init1(1), -EINVAL);
	good_ctx(l4);
	ctx.user_regs.rip = 0x0000900000000000UL;
	expect("initialise: non-canonical rip", init1(1), -EINVAL);
	good_ctx(l4);
	ctx.user_regs.rip = HYPERVISOR_VIRT_START;
	expect("initialise: rip in the hypervisor's range", init1(1), -EINVAL);
	good_ctx(l4);
	ctx.kernel_sp = 0x0000900000000000UL;
	expect("initialise: non-canonical kernel_sp", init1(1), -EINVAL);
	good_ctx(l4);
	ctx.gs_base_kernel = 0x8000000000000000UL;
	expect("initialise: non-canonical gs_base_kernel", init1(1), -EINVAL);
	good_ctx(l4);
	ctx.trap_ctxt[14].address = 0x0000900000000000UL;
	expect("initialise: non-canonical trap handler", init1(1), -EINVAL);
	good_ctx(l4);
	ctx.event_callback_eip = HYPERVISOR_VIRT_START + 0x1000;
	expect("initialise: event callback in the hypervisor's range", init1(1), -EINVAL);
	good_ctx(l4);
	ctx.gdt_frames[0] = 0xfffffUL;
	ctx.gdt_ents = 16;
	expect("initialise: GDT frame outside RAM", init1(1), -EINVAL);
	ctx.gdt_frames[0] = l1;
	expect("initialise: GDT frame an L1", init1(1), -EINVAL);
	ctx.gdt_frames[0] = mfn_of(scratch2);
	ctx.gdt_ents = 8192;
	expect("initialise: too many GDT entries", init1(1), -EINVAL);
	good_ctx(l4);
	ctx.flags = 0;
	expect("initialise: user mode (not supported)", init1(1), -EINVAL);
	good_ctx(l4);
	ctx.ldt_ents = 1;
	expect("initialise: an LDT (not supported)", init1(1), -EINVAL);
	good_ctx(l4);
	ctx.debugreg[0] = 0x1000;
	expect("initialise: a breakpoint (not supported)", init1(1), -EINVAL);
	expect("vcpu 1 still down", hc(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0, 0, 0), 0);
	{
		struct vcpu_set_singleshot_timer t = { 1, 0 };
		expect("singleshot timer of another vcpu", hc(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 1, (long)&t, 0, 0), -EINVAL);
	}
	struct evtchn_bind_ipi b = { 0, 0 };
	expect("bind an IPI to vcpu 0", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, (long)&b, 0, 0, 0), 0);
	ipi_port = b.port;
	good_ctx(l4);
	expect("initialise vcpu 1", init1(1), 0);
	expect("initialise vcpu 1 again", init1(1), -EEXIST);
	expect("up vcpu 1", hc(__HYPERVISOR_vcpu_op, VCPUOP_up, 1, 0, 0, 0), 0);
	{
		evtchn_port_t ports[1] = { ipi_port };
		struct sched_poll p = { .nr_ports = 1, .timeout = 0 };
		set_xen_guest_handle(p.ports, ports);
		expect("poll the IPI port (vcpu 1 sends)", hc(__HYPERVISOR_sched_op, SCHEDOP_poll, (long)&p, 0, 0, 0), 0);
		expect("  vcpu 1 ran second()", second_ran, 1);
		p.nr_ports = 129;
		expect("poll 129 ports", hc(__HYPERVISOR_sched_op, SCHEDOP_poll, (long)&p, 0, 0, 0), -EINVAL);
	}
	long up = 1;
	for (int i = 0; i < 100000 && up == 1; i++) {
		up = hc(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0, 0, 0);
		if (up == 1)
			hc(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
	}
	expect("vcpu 1 took itself down", up, 0);
	{
		uint64_t mask = 3;
		struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_MULTI };
		set_xen_guest_handle(op.arg2.vcpumask, (void *)0x5000);
		expect("tlb flush multi: unmapped vcpu mask", hc(__HYPERVISOR_mmuext_op, (long)&op, 1, 0, DOMID_SELF, 0), -EFAULT);
		set_xen_guest_handle(op.arg2.vcpumask, &mask);
		expect("tlb flush multi", hc(__HYPERVISOR_mmuext_op, (long)&op, 1, 0, DOMID_SELF, 0), 0);
		op.cmd = MMUEXT_INVLPG_ALL;
		op.arg1.linear_addr = (uint64_t)(uintptr_t)scratch;
		expect("invlpg all", hc(__HYPERVISOR_mmuext_op, (long)&op, 1, 0, DOMID_SELF, 0), 0);
	}
}

static int has(const char *hay, const char *needle)
{
	for (; *hay; hay++) {
		unsigned i = 0;
		while (needle[i] && hay[i] == needle[i])
			i++;
		if (!needle[i])
			return 1;
	}
	return 0;
}

/* The one-shot timer (VCPUOP_set_singleshot_timer), which the entry
 * stub sets without an exit where pvmon's watcher will see it in time
 * (xen_timer.c): six calls served by it (four sets, two stops), the
 * rest pvmon's. Time is the pvclock of vcpu_info 0; shared_info is
 * mapped over scratch meanwhile. */
static uint64_t sys_now(volatile shared_info_t *sh)
{
	volatile struct vcpu_time_info *t = &sh->vcpu_info[0].time;
	uint32_t ver;
	uint64_t ns;
	do {
		ver = t->version;
		__sync_synchronize();
		uint32_t lo, hi;
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		uint64_t d = (((uint64_t)hi << 32) | lo) - t->tsc_timestamp;
		d = t->tsc_shift >= 0 ? d << t->tsc_shift : d >> -t->tsc_shift;
		ns = t->system_time + (uint64_t)(((unsigned __int128)d * t->tsc_to_system_mul) >> 32);
		__sync_synchronize();
	} while ((ver & 1) || ver != t->version);
	return ns;
}

/* The shared-info page mapped over scratch for a while, and scratch's
 * own page back. */
static volatile shared_info_t *shared_over_scratch(void)
{
	hc(__HYPERVISOR_update_va_mapping, (long)scratch, (long)(si->shared_info | PTE_P | PTE_RW), UVMF_INVLPG, 0, 0);
	return (volatile shared_info_t *)scratch;
}

static void scratch_back(void)
{
	hc(__HYPERVISOR_update_va_mapping, (long)scratch, (long)((mfn_of(scratch) * PAGE) | PTE_P | PTE_RW), UVMF_INVLPG, 0, 0);
}

static long pending(volatile shared_info_t *sh, uint32_t port, int clear)
{
	long p = (long)((sh->evtchn_pending[port / 64] >> (port % 64)) & 1);
	if (clear)
		__atomic_and_fetch(&sh->evtchn_pending[port / 64], ~(1UL << (port % 64)), __ATOMIC_SEQ_CST);
	return p;
}

static long timer_set(uint64_t at, uint32_t flags, long vcpu)
{
	struct vcpu_set_singleshot_timer t = { at, flags };
	return hc(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, vcpu, (long)&t, 0, 0);
}

static void timer_checks(void)
{
	const uint64_t ms = 1000000;
	struct evtchn_bind_virq bv = { VIRQ_TIMER, 0, 0 };
	expect("bind VIRQ_TIMER", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, (long)&bv, 0, 0, 0), 0);
	uint32_t port = bv.port;
	volatile shared_info_t *sh = shared_over_scratch();
	pending(sh, port, 1);
	/* A fresh slice first, so that its end (pvmon's own way out of the
	 * guest) comes long after the deadline: the watcher's kick fires it. */
	hc(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
	/* Nothing printed (an exit) until it fired. */
	uint64_t due = sys_now(sh) + 5 * ms, now;
	long rc = timer_set(due, 0, 0);
	while (!pending(sh, port, 0) && sys_now(sh) < due + 5000 * ms)
		;
	now = sys_now(sh);
	expect("timer in 5 ms (the stub's)", rc, 0);
	expect("  fired while the vCPU ran in the guest", pending(sh, port, 1), 1);
	expect("  not before its deadline", (long)(now >= due), 1);
	due = sys_now(sh) + 5 * ms;
	expect("timer in 5 ms, then poll its port", timer_set(due, 0, 0), 0);
	{
		evtchn_port_t ports[1] = { port };
		struct sched_poll p = { .nr_ports = 1, .timeout = due + 5000 * ms };
		set_xen_guest_handle(p.ports, ports);
		expect("  the poll returns", hc(__HYPERVISOR_sched_op, SCHEDOP_poll, (long)&p, 0, 0, 0), 0);
	}
	now = sys_now(sh);
	expect("  fired", pending(sh, port, 1), 1);
	expect("  not before its deadline", (long)(now >= due), 1);
	due = sys_now(sh) + 5 * ms;
	rc = timer_set(due, 0, 0);
	long stop = hc(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, 0, 0, 0, 0);
	/* A host that took this vCPU away for 5 ms between the two calls
	 * makes the deadline due before the stop: it may fire then. */
	int stopped_in_time = sys_now(sh) < due;
	while (sys_now(sh) < due + 30 * ms)
		;
	expect("timer in 5 ms", rc, 0);
	expect("  stopped", stop, 0);
	expect("  never fires (stopped before its deadline)", pending(sh, port, 1) && stopped_in_time, 0);
	expect("timer in the past (pvmon's)", timer_set(sys_now(sh) - ms, 0, 0), 0);
	expect("  fires at once", pending(sh, port, 1), 1);
	expect("timer in the past, VCPU_SSHOTTMR_future", timer_set(sys_now(sh) - ms, VCPU_SSHOTTMR_future, 0), -ETIME);
	expect("  no event", pending(sh, port, 1), 0);
	/* An event that comes while events are masked, delivered once they
	 * are unmasked and xen_version(XENVER_version) asks (Linux's
	 * xen_force_evtchn_callback): by the stub where its fast path is on,
	 * else by pvmon; the callback returns to the caller, the answer in rax.
	 * The callback is registered for this check only. */
	{
		ev_sh = sh;
		sh->vcpu_info[0].evtchn_upcall_mask = 1;
		expect("callback_op register the event callback", event_callback(ev_entry), 0);
		long want = hc(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
		expect("timer in the past, events masked", timer_set(sys_now(sh) - ms, 0, 0), 0);
		expect("  no upcall while masked", (long)ev_seen, 0);
		expect("  upcall pending", sh->vcpu_info[0].evtchn_upcall_pending, 1);
		sh->vcpu_info[0].evtchn_upcall_mask = 0;
		__sync_synchronize();
		long got = hc(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
		expect("unmasked, xen_version: one upcall", (long)ev_seen, 1);
		expect("  xen_version's answer in rax in the callback", (long)ev_rax, want);
		expect("  and after it", got, want);
		expect("  cs FLAT_KERNEL_CS & ~3, the upcall mask saved 0", (long)ev_cs, FLAT_KERNEL_CS & ~3);
		expect("  ss FLAT_KERNEL_SS", (long)ev_ss, FLAT_KERNEL_SS);
		expect("  rflags with IF (events were unmasked)", (long)(ev_rflags & 0x200), 0x200);
		expect("  rip in the kernel's text", (long)(ev_rip >= VIRT_BASE && ev_rip < VIRT_BASE + 0x200000), 1);
		expect("  events unmasked again by the iret", sh->vcpu_info[0].evtchn_upcall_mask, 0);
		/* An event that comes while the vCPU runs the kernel with events
		 * unmasked: a timer in 5 ms. With KVM's APIC the watcher raises it
		 * and an MSI brings the event vector, which the stub bounces;
		 * else pvmon's kick and bounce. Xen's frame is the interrupted
		 * loop's, and the loop goes on with its registers: blocks of 1000
		 * register-only steps, until the upcall has come; the count is
		 * whole wherever it came (before the first block too, on a slow
		 * host: a check that the loop had counted at all failed there). */
		ev_seen = 0;
		due = sys_now(sh) + 5 * ms;
		expect("timer in 5 ms, events unmasked, the vCPU in a loop", timer_set(due, 0, 0), 0);
		uint64_t spins = 0, blocks = 0, left;
		do {
			left = 1000;
			__asm__ volatile("1: inc %0\n\tdec %1\n\tjnz 1b" : "+r"(spins), "+r"(left) : : "cc");
			blocks++;
		} while (!ev_seen && sys_now(sh) < due + 5000 * ms);
		now = sys_now(sh);
		expect("  one upcall", (long)ev_seen, 1);
		expect("  not before its deadline", (long)(now >= due), 1);
		expect("  cs FLAT_KERNEL_CS & ~3, the upcall mask saved 0", (long)ev_cs, FLAT_KERNEL_CS & ~3);
		expect("  rflags with IF", (long)(ev_rflags & 0x200), 0x200);
		expect("  rip in the kernel's text", (long)(ev_rip >= VIRT_BASE && ev_rip < VIRT_BASE + 0x200000), 1);
		expect("  the loop went on with its registers (its count whole)", (long)(spins == blocks * 1000 && left == 0), 1);
		expect("  events unmasked again by the iret", sh->vcpu_info[0].evtchn_upcall_mask, 0);
		sh->vcpu_info[0].evtchn_upcall_mask = 1;
		expect("  no callback again (allowed)", event_callback(0), 0);
	}
	expect("timer at an unmapped address",
	       hc(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, 0x5000, 0, 0), -EFAULT);
	expect("timer at a non-canonical address",
	       hc(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, (long)(1UL << 63), 0, 0), -EFAULT);
	expect("timer at the hypervisor's range",
	       hc(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, (long)HYPERVISOR_VIRT_START, 0, 0), -EFAULT);
	/* Another vCPU's: Xen's -EINVAL, or -ENOENT where the domain has one vCPU. */
	long other = hc(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0, 0, 0) == -ENOENT ? -ENOENT : -EINVAL;
	expect("stop vcpu 1's timer", hc(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, 1, 0, 0, 0), other);
	expect("timer in 1 s, stopped", timer_set(sys_now(sh) + 1000 * ms, 0, 0) |
	       hc(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, 0, 0, 0, 0), 0);
	scratch_back();
	struct evtchn_close c = { port };
	expect("  close VIRQ_TIMER's port", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_close, (long)&c, 0, 0, 0), 0);
}

static void base_checks(uint64_t l1);
static void l2_checks(uint64_t l1);

/* Batches without a done pointer (Linux's lazy-MMU ones): the stub
 * serves them entry by entry, and leaves the rest of one to pvmon from
 * the first entry it does not serve. */
static struct mmu_update batch_pages[2 * PAGE / sizeof(struct mmu_update)] __attribute__((aligned(4096)));

static void stub_batch_checks(uint64_t pa, uint64_t pb, uint64_t t, uint64_t a, uint64_t b)
{
	volatile uint8_t *va = mmu_a, *vb = mmu_b, *vt = mmu_t;
	const uint64_t at = (t * PAGE) | PTE_P | PTE_RW, aa = (a * PAGE) | PTE_P | PTE_RW, ab = (b * PAGE) | PTE_P | PTE_RW;
	va[11] = vb[11] = vt[11] = 0;
	va[12] = vb[12] = vt[12] = 0;
	{
		struct mmu_update u[3] = { { pa, at }, { pb, at }, { pa, aa } };
		expect("stub batch: A and B to T, then A back (allowed)", hc(__HYPERVISOR_mmu_update, (long)u, 3, 0, DOMID_SELF, 0), 0);
	}
	ext1(MMUEXT_TLB_FLUSH_LOCAL, 0);
	vb[11] = 0x3c;
	expect("  B reaches T, A is A", vt[11] == 0x3c && va[11] == 0, 1);
	{
		/* The second entry refused: the first is done, the third not. */
		struct mmu_update u[3] = { { pb, ab }, { pa, (0xfffffUL * PAGE) | PTE_P }, { pa, at } };
		expect("stub batch: B back, then a frame outside RAM, then A to T",
		       hc(__HYPERVISOR_mmu_update, (long)u, 3, 0, DOMID_SELF, 0), -EINVAL);
	}
	ext1(MMUEXT_TLB_FLUSH_LOCAL, 0);
	vb[12] = 0x4d;
	va[12] = 0x5e;
	expect("  B is B again, A still A", vt[12] == 0 && vb[12] == 0x4d && va[12] == 0x5e, 1);
	{
		/* The list runs into an unmapped page: the entry before it is done. */
		struct mmu_update *u = &batch_pages[PAGE / sizeof(struct mmu_update) - 1];
		void *second = &batch_pages[PAGE / sizeof(struct mmu_update)];
		u[0] = (struct mmu_update){ pb, at };
		expect("stub batch: the list's second page unmapped (allowed)", uvm0(second, 0), 0);
		ext1(MMUEXT_TLB_FLUSH_LOCAL, 0);
		expect("stub batch: B to T, then an entry on the unmapped page",
		       hc(__HYPERVISOR_mmu_update, (long)u, 2, 0, DOMID_SELF, 0), -EFAULT);
		expect("  the page mapped again (allowed)", uvm0(second, (mfn_of(second) * PAGE) | PTE_P | PTE_RW), 0);
		ext1(MMUEXT_TLB_FLUSH_LOCAL, 0);
		vb[11] = 0x6f;
		expect("  B reaches T", vt[11], 0x6f);
	}
	expect("stub batch: B back (allowed)", mmu1(pb, ab), 0);
	ext1(MMUEXT_TLB_FLUSH_LOCAL, 0);
	va[11] = va[12] = vb[11] = vb[12] = vt[11] = vt[12] = 0;
}

/* One-entry mmu_updates of an L1, which the entry stub serves itself
 * where it can (the writable counts it keeps are checked by what pvmon
 * then allows: a frame still mapped writable cannot be pinned, one that
 * is not any more can). Pages A and B have their entries pointed at T
 * and back; xen_hostile.sh counts the ones the stub served. */
static void stub_mmu_checks(uint64_t l1)
{
	uint64_t t = mfn_of(mmu_t), a = mfn_of(mmu_a), b = mfn_of(mmu_b);
	uint64_t ia = ((uint64_t)(uintptr_t)mmu_a - VIRT_BASE) / PAGE, ib = ((uint64_t)(uintptr_t)mmu_b - VIRT_BASE) / PAGE;
	uint64_t it = ((uint64_t)(uintptr_t)mmu_t - VIRT_BASE) / PAGE;
	if (ia >= 512 || ib >= 512 || it >= 512) {
		expect("stub mmu: the test pages are in the first L1", -1, 0);
		return;
	}
	uint64_t pa = l1 * PAGE + ia * 8, pb = l1 * PAGE + ib * 8, pt = l1 * PAGE + it * 8;
	struct mmuext_op flush = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };
	volatile uint8_t *va = mmu_a, *vb = mmu_b, *vt = mmu_t;
	expect("stub mmu: A's entry cleared (allowed)", mmu1(pa, 0), 0);
	expect("stub mmu: B's entry cleared (allowed)", mmu1(pb, 0), 0);
	expect("stub mmu: A's entry maps T writable (allowed)", mmu1(pa, (t * PAGE) | PTE_P | PTE_RW), 0);
	expect("stub mmu: B's entry maps T writable (allowed)", mmu1(pb, (t * PAGE) | PTE_P | PTE_RW), 0);
	expect("stub mmu: A's entry maps T writable again (allowed)", mmu1(pa, (t * PAGE) | PTE_P | PTE_RW), 0);
	expect("stub mmu: flush", hc(__HYPERVISOR_mmuext_op, (long)&flush, 1, 0, DOMID_SELF, 0), 0);
	va[8] = 0x5a;                  /* volatile: the three are one page now, which the compiler cannot know */
	vb[9] = 0xa5;
	expect("stub mmu: a write through A and one through B reach T", vt[8] == 0x5a && vt[9] == 0xa5, 1);
	vt[8] = vt[9] = 0;             /* T is an L1 of no entries below */
	expect("stub mmu: A's entry maps T read-only (allowed)", mmu1(pa, (t * PAGE) | PTE_P), 0);
	expect("stub mmu: B's entry cleared again (allowed)", mmu1(pb, 0), 0);
	expect("stub mmu: pin T as an L1 while its own entry maps it writable", ext1(MMUEXT_PIN_L1_TABLE, t), -EINVAL);
	expect("stub mmu: T's own entry read-only (allowed)", mmu1(pt, (t * PAGE) | PTE_P), 0);
	expect("stub mmu: pin T as an L1, no writable mapping left (allowed)", ext1(MMUEXT_PIN_L1_TABLE, t), 0);
	expect("stub mmu: B's entry maps the L1 T writable", mmu1(pb, (t * PAGE) | PTE_P | PTE_RW), -EINVAL);
	expect("stub mmu: unpin T (allowed)", ext1(MMUEXT_UNPIN_TABLE, t), 0);
	expect("stub mmu: T's own entry writable (allowed)", mmu1(pt, (t * PAGE) | PTE_P | PTE_RW), 0);
	expect("stub mmu: A's entry maps A (allowed)", mmu1(pa, (a * PAGE) | PTE_P | PTE_RW), 0);
	expect("stub mmu: B's entry maps B (allowed)", mmu1(pb, (b * PAGE) | PTE_P | PTE_RW), 0);
	expect("stub mmu: flush again", hc(__HYPERVISOR_mmuext_op, (long)&flush, 1, 0, DOMID_SELF, 0), 0);
	va[8] = 1;
	vb[8] = 2;
	expect("stub mmu: A, B and T are their own pages again", va[8] == 1 && vb[8] == 2 && vt[8] == 0, 1);
	{
		/* A batch with a done pointer: pvmon's, traced (xen_hostile.sh). */
		struct mmu_update u[2] = { { pa, (a * PAGE) | PTE_P | PTE_RW }, { pb, (b * PAGE) | PTE_P | PTE_RW } };
		uint32_t done = 99;
		expect("mmu: a batch of two with a done pointer, A and B as they are (allowed)",
		       hc(__HYPERVISOR_mmu_update, (long)u, 2, (long)&done, DOMID_SELF, 0), 0);
		expect("  done", done, 2);
	}
	stub_batch_checks(pa, pb, t, a, b);
	{
		/* An entry in a page that is no table (a table being filled
		 * before its pin): a plain store, the stub's. */
		volatile uint64_t *w = (volatile uint64_t *)scratch2;
		w[3] = 0;
		expect("stub mmu: an entry in a page that is no table (allowed)", mmu1(mfn_of(scratch2) * PAGE + 24, 0x1234567), 0);
		expect("  stored as it is", (long)w[3], 0x1234567);
		struct mmu_update u[2] = { { mfn_of(scratch2) * PAGE + 24, 0 }, { mfn_of(scratch2) * PAGE + 32, 0x89 } };
		expect("stub batch: two entries in a page that is no table (allowed)", hc(__HYPERVISOR_mmu_update, (long)u, 2, 0, DOMID_SELF, 0), 0);
		expect("  stored as they are", w[3] == 0 && w[4] == 0x89, 1);
		w[4] = 0;
	}
	/* update_va_mapping without a flush: the stub walks the kernel's tables. */
	expect("stub uvm: A's address maps T (allowed)", uvm0(mmu_a, (t * PAGE) | PTE_P | PTE_RW), 0);
	expect("stub uvm: an address with no L3 entry", uvm0((void *)0x0000100000000000UL, (t * PAGE) | PTE_P), -EINVAL);
	expect("stub uvm: flush", hc(__HYPERVISOR_mmuext_op, (long)&flush, 1, 0, DOMID_SELF, 0), 0);
	va[10] = 0x77;
	expect("stub uvm: a write through A's address reaches T", vt[10], 0x77);
	expect("stub uvm: A's address maps A (allowed)", uvm0(mmu_a, (a * PAGE) | PTE_P | PTE_RW), 0);
	expect("stub uvm: B's address unmapped, B's last writable mapping (allowed)", uvm0(mmu_b, 0), 0);
	expect("stub uvm: pin B as an L1 (allowed)", ext1(MMUEXT_PIN_L1_TABLE, b), 0);
	expect("stub uvm: B's address maps the L1 B writable", uvm0(mmu_b, (b * PAGE) | PTE_P | PTE_RW), -EINVAL);
	expect("stub uvm: unpin B (allowed)", ext1(MMUEXT_UNPIN_TABLE, b), 0);
	expect("stub uvm: B's address maps B (allowed)", uvm0(mmu_b, (b * PAGE) | PTE_P | PTE_RW), 0);
	expect("stub uvm: flush again", hc(__HYPERVISOR_mmuext_op, (long)&flush, 1, 0, DOMID_SELF, 0), 0);
	expect("stub uvm: A, B and T as they were", va[8] == 1 && vb[8] == 2 && vt[10] == 0x77, 1);
	vt[10] = 0;
	base_checks(l1);
	l2_checks(l1);
}

/* Linux's switch of base pointers, a pair of mmuext ops the stub serves
 * when both L4s are L4s already: onto a copy of the L4 (the same
 * mappings: this code runs on) and back. */
static long bases(uint64_t k, uint64_t u)
{
	struct mmuext_op op[2] = { { .cmd = MMUEXT_NEW_BASEPTR, .arg1.mfn = k },
	                           { .cmd = MMUEXT_NEW_USER_BASEPTR, .arg1.mfn = u } };
	return hc(__HYPERVISOR_mmuext_op, (long)op, 2, 0, DOMID_SELF, 0);
}

static void base_checks(uint64_t l1)
{
	uint64_t l4 = mfn_of((void *)si->pt_base), c = mfn_of(l4copy);
	uint64_t ic = ((uint64_t)(uintptr_t)l4copy - VIRT_BASE) / PAGE;
	if (ic >= 512) {
		expect("stub base: the copy is in the first L1", -1, 0);
		return;
	}
	const uint64_t *src = (const uint64_t *)si->pt_base;
	for (unsigned i = 0; i < 512; i++)
		l4copy[i] = src[i];
	expect("stub base: the copy's mapping read-only (allowed)", mmu1(l1 * PAGE + ic * 8, (c * PAGE) | PTE_P), 0);
	expect("stub base: pin the copy as an L4 (allowed)", ext1(MMUEXT_PIN_L4_TABLE, c), 0);
	expect("stub base: kernel on the copy, no user L4 (allowed)", bases(c, 0), 0);
	expect("stub base: kernel back, the copy as the user's (allowed)", bases(l4, c), 0);
	expect("stub base: kernel as it is, no user L4 (allowed)", bases(l4, 0), 0);
	expect("stub base: a frame that is no L4", bases(mfn_of(scratch2), 0), -EINVAL);
	expect("stub base: unpin the copy (allowed)", ext1(MMUEXT_UNPIN_TABLE, c), 0);
	expect("stub base: the copy's mapping writable (allowed)", mmu1(l1 * PAGE + ic * 8, (c * PAGE) | PTE_P | PTE_RW), 0);
}

/* One-entry mmu_updates of an L2 entry, which the stub serves where the
 * L1 it names has its type already and the old one keeps a reference:
 * the L2 entry of the first L1 pointed at a pinned copy of it and back,
 * the CPU seen walking the copy (scratch remapped in it alone). */
static void l2_checks(uint64_t l1)
{
	const uint64_t addr = 0x000ffffffffff000ULL;
	uint64_t l2 = mfn_of((void *)si->pt_base) + 2, c = mfn_of(l1copy);
	uint64_t ic = ((uint64_t)(uintptr_t)l1copy - VIRT_BASE) / PAGE, is = ((uint64_t)(uintptr_t)scratch - VIRT_BASE) / PAGE;
	const volatile uint64_t *l2va = (const volatile uint64_t *)(si->pt_base + 2 * PAGE);
	const volatile uint64_t *l1va = (const volatile uint64_t *)(si->pt_base + 3 * PAGE);
	unsigned i = 0;
	while (i < 512 && (l2va[i] & addr) >> 12 != l1)
		i++;
	if (ic >= 512 || is >= 512 || i == 512) {
		expect("stub l2: the copy and scratch in the first L1, which the L2 names", -1, 0);
		return;
	}
	uint64_t e = l2va[i], pe = l2 * PAGE + i * 8, se = l1va[is];
	for (unsigned k = 0; k < 512; k++)
		l1copy[k] = l1va[k];
	l1copy[ic] = (c * PAGE) | PTE_P;  /* the copy maps itself read-only too */
	expect("stub l2: the copy's mapping read-only (allowed)", mmu1(l1 * PAGE + ic * 8, (c * PAGE) | PTE_P), 0);
	expect("stub l2: pin the copy as an L1 (allowed)", ext1(MMUEXT_PIN_L1_TABLE, c), 0);
	expect("stub l2: pin the first L1 (allowed)", ext1(MMUEXT_PIN_L1_TABLE, l1), 0);
	expect("stub l2: the L2 entry names the copy (allowed)", mmu1(pe, (e & ~addr) | (c * PAGE)), 0);
	scratch[0] = 0x11;
	scratch2[0] = 0x77;
	expect("stub l2: scratch remapped in the copy alone (allowed)", mmu1(c * PAGE + is * 8, (mfn_of(scratch2) * PAGE) | PTE_P | PTE_RW), 0);
	ext1(MMUEXT_TLB_FLUSH_LOCAL, 0);
	expect("  scratch reads scratch2's page: the CPU walks the copy", scratch[0], 0x77);
	expect("stub l2: scratch as it was in the copy (allowed)", mmu1(c * PAGE + is * 8, se), 0);
	expect("stub l2: the L2 entry names the first L1 again (allowed)", mmu1(pe, e), 0);
	ext1(MMUEXT_TLB_FLUSH_LOCAL, 0);
	expect("  scratch its own page", scratch[0], 0x11);
	expect("stub l2: an entry naming a writable page", mmu1(pe, (e & ~addr) | (mfn_of(scratch2) * PAGE)), -EINVAL);
	expect("stub l2: a superpage entry", mmu1(pe, e | 0x80), -EINVAL);
	expect("stub l2: unpin the first L1 (allowed)", ext1(MMUEXT_UNPIN_TABLE, l1), 0);
	expect("stub l2: unpin the copy (allowed)", ext1(MMUEXT_UNPIN_TABLE, c), 0);
	expect("stub l2: the copy's mapping writable (allowed)", mmu1(l1 * PAGE + ic * 8, (c * PAGE) | PTE_P | PTE_RW), 0);
	/* MMU_PT_UPDATE_PRESERVE_AD (Linux's mprotect): the old entry's
	 * accessed and dirty bits stay; a normal update clears them. */
	scratch[1] = 1;                   /* the CPU sets them */
	expect("stub mmu: PRESERVE_AD without A and D (allowed)", mmu1(l1 * PAGE + is * 8 + 2, se & ~0x60ULL), 0);
	expect("  the entry keeps its accessed and dirty bits", (long)(l1va[is] & 0x60), 0x60);
	expect("stub mmu: the same as a normal update (allowed)", mmu1(l1 * PAGE + is * 8, se & ~0x60ULL), 0);
	expect("  its accessed and dirty bits gone", (long)(l1va[is] & 0x60), 0);
	ext1(MMUEXT_TLB_FLUSH_LOCAL, 0);
}

void start(start_info_t *info)
{
	si = info;
	puts_("hostile_xen: up\n");
	/* The bootstrap tables: L4, L3, L2, then the L1s, in pt_base's frames. */
	uint64_t l4 = mfn_of((void *)si->pt_base), l1 = l4 + 3;
	uint64_t idx = ((uint64_t)(uintptr_t)scratch - VIRT_BASE) / PAGE;   /* scratch's entry in the first L1 */
	uint64_t pte = l1 * PAGE + idx * 8;

	/* The hypercall page pvmon wrote. */
	{
		static const char line[] = "hostile_xen: a line through the hypercall page\n";
		expect("hypercall page: xen_version", hcp(__HYPERVISOR_xen_version, XENVER_version, 0, 0),
		       hc(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0));
		expect("hypercall page: console_io (the bytes written)", hcp(__HYPERVISOR_console_io, CONSOLEIO_write, sizeof(line) - 1, (long)line),
		       sizeof(line) - 1);
		expect("hypercall page: set_trap_table unmapped list", hcp(__HYPERVISOR_set_trap_table, 0x5000, 0, 0), -EFAULT);
	}

	/* Pointers. */
	expect("console_io unmapped buffer", hc(__HYPERVISOR_console_io, CONSOLEIO_write, 8, 0xdead0000000L, 0, 0), -EFAULT);
	expect("console_io non-canonical buffer", hc(__HYPERVISOR_console_io, CONSOLEIO_write, 8, 0x0000900000000000L, 0, 0), -EFAULT);
	expect("console_io buffer in the hypervisor's range", hc(__HYPERVISOR_console_io, CONSOLEIO_write, 8, (long)HYPERVISOR_VIRT_START, 0, 0), -EFAULT);
	expect("mmu_update unmapped request list", hc(__HYPERVISOR_mmu_update, 0x1000, 1, 0, DOMID_SELF, 0), -EFAULT);
	expect("set_trap_table unmapped list", hc(__HYPERVISOR_set_trap_table, 0x5000, 0, 0, 0, 0), -EFAULT);
	expect("memory_op memory_map unmapped", hc(__HYPERVISOR_memory_op, XENMEM_memory_map, 0x7000, 0, 0, 0), -EFAULT);
	expect("unknown hypercall 55", hc(55, 0, 0, 0, 0, 0), -ENOSYS);

	/* Page tables: a table is never writable, pvmon's slots are pvmon's. */
	expect("mmu_update: map the L4 writable", mmu1(pte, (l4 * PAGE) | PTE_P | PTE_RW), -EINVAL);
	expect("mmu_update: map an L1 writable", mmu1(pte, (l1 * PAGE) | PTE_P | PTE_RW), -EINVAL);
	expect("mmu_update: frame outside RAM", mmu1(pte, (0xfffffUL * PAGE) | PTE_P), -EINVAL);
	expect("mmu_update: PCD", mmu1(pte, (mfn_of(scratch) * PAGE) | PTE_P | PTE_RW | 0x10), -EINVAL);
	expect("mmu_update: command 4 (the low bits of ptr)", mmu1(pte + 4, 0), -ENOSYS);
	expect("mmu_update: entry outside RAM", mmu1(0xfffff000UL, 0), -EINVAL);
	expect("mmu_update: the M2P's L4 slot", mmu1(l4 * PAGE + 256 * 8, 0), -EPERM);
	expect("mmu_update: the stub's L4 slot", mmu1(l4 * PAGE + 257 * 8, (l1 * PAGE) | PTE_P), -EPERM);
	{
		struct mmu_update u = { pte, 0 };
		expect("mmu_update: another domain", hc(__HYPERVISOR_mmu_update, (long)&u, 1, 0, 7, 0), -EPERM);
	}
	{
		struct mmu_update u = { pte, 0 };
		expect("mmu_update: a batch of 100000", hc(__HYPERVISOR_mmu_update, (long)&u, 100000, 0, DOMID_SELF, 0), -EINVAL);
	}
	expect("mmu_update: read-only scratch (allowed)", mmu1(pte, (mfn_of(scratch) * PAGE) | PTE_P), 0);
	expect("mmu_update: scratch writable again (allowed)", mmu1(pte, (mfn_of(scratch) * PAGE) | PTE_P | PTE_RW), 0);
	stub_mmu_checks(l1);
	for (unsigned i = 0; i < PAGE; i++)
		scratch2[i] = 0xff;
	expect("mmuext pin L1 of garbage", ext1(MMUEXT_PIN_L1_TABLE, mfn_of(scratch2)), -EINVAL);
	expect("mmuext pin the L4 twice", ext1(MMUEXT_PIN_L4_TABLE, l4), -EINVAL);
	expect("mmuext pin a frame outside RAM", ext1(MMUEXT_PIN_L2_TABLE, 0xfffffUL), -EINVAL);
	expect("mmuext unpin an unpinned frame", ext1(MMUEXT_UNPIN_TABLE, mfn_of(scratch2)), -EINVAL);
	expect("mmuext new base: a writable frame", ext1(MMUEXT_NEW_BASEPTR, mfn_of(scratch)), -EINVAL);
	expect("mmuext unknown command", ext1(99, 0), -ENOSYS);
	{
		/* Good ones too, for the trace (xen_hostile.sh counts their tlb_flush events). */
		struct mmuext_op f[3] = { { .cmd = MMUEXT_TLB_FLUSH_LOCAL },
		                          { .cmd = MMUEXT_INVLPG_LOCAL, .arg1.linear_addr = (unsigned long)scratch },
		                          { .cmd = MMUEXT_TLB_FLUSH_ALL } };
		expect("mmuext flush, invlpg, flush all (allowed)", hc(__HYPERVISOR_mmuext_op, (long)f, 3, 0, DOMID_SELF, 0), 0);
	}
	{
		/* One invlpg alone (the stub's), and one of an address that is
		 * not canonical (pvmon's: Xen does not check it). */
		struct mmuext_op op = { .cmd = MMUEXT_INVLPG_LOCAL, .arg1.linear_addr = (unsigned long)scratch };
		expect("mmuext invlpg alone (allowed)", hc(__HYPERVISOR_mmuext_op, (long)&op, 1, 0, DOMID_SELF, 0), 0);
		op.arg1.linear_addr = 0x8000000000000000UL;
		expect("mmuext invlpg of a non-canonical address (allowed)", hc(__HYPERVISOR_mmuext_op, (long)&op, 1, 0, DOMID_SELF, 0), 0);
	}
	{
		struct mmuext_op op = { .cmd = MMUEXT_COPY_PAGE, .arg1.mfn = l1, .arg2.src_mfn = mfn_of(scratch2) };
		expect("mmuext copy over an L1", hc(__HYPERVISOR_mmuext_op, (long)&op, 1, 0, DOMID_SELF, 0), -EINVAL);
	}
	expect("update_va_mapping in the hypervisor's range", hc(__HYPERVISOR_update_va_mapping, (long)HYPERVISOR_VIRT_START, 0, 0, 0, 0), -EINVAL);
	expect("update_va_mapping bad flags", hc(__HYPERVISOR_update_va_mapping, (long)scratch, 0, 0x100, 0, 0), -EINVAL);
	expect("update_va_mapping: map the L4 writable", hc(__HYPERVISOR_update_va_mapping, (long)scratch, (long)((l4 * PAGE) | PTE_P | PTE_RW), 0, 0, 0), -EINVAL);
	expect("update_va_mapping: scratch as it was, invlpg (allowed)",
	       hc(__HYPERVISOR_update_va_mapping, (long)scratch, (long)((mfn_of(scratch) * PAGE) | PTE_P | PTE_RW), UVMF_INVLPG, 0, 0), 0);
	{
		/* UVMF_MULTI: the flags' upper bits address a vCPU bitmap. */
		static unsigned long vcpus = 1;
		long pte = (long)((mfn_of(scratch) * PAGE) | PTE_P | PTE_RW);
		expect("update_va_mapping UVMF_MULTI, a bitmap of vCPU 0 (allowed)",
		       hc(__HYPERVISOR_update_va_mapping, (long)scratch, pte, (long)&vcpus | UVMF_INVLPG, 0, 0), 0);
		expect("update_va_mapping UVMF_MULTI, a bitmap in the hypervisor's range",
		       hc(__HYPERVISOR_update_va_mapping, (long)scratch, pte, (long)HYPERVISOR_VIRT_START | UVMF_TLB_FLUSH, 0, 0), -EFAULT);
		expect("update_va_mapping UVMF_MULTI, a bitmap address not 8-aligned",
		       hc(__HYPERVISOR_update_va_mapping, (long)scratch, pte, ((long)&vcpus + 4) | UVMF_INVLPG, 0, 0), -EFAULT);
	}
	/* The balloon: Xen's answer is how many extents were done. */
	{
		domid_t self = DOMID_SELF;
		xen_pfn_t f = l1, last = si->nr_pages - 1, cons = si->console.domU.mfn, far = 0xfffffUL;
		expect("decrease_reservation for another domain", resv1(XENMEM_decrease_reservation, &f, 7, 0, 1), -EPERM);
		expect("decrease_reservation of 100000 extents", resv1(XENMEM_decrease_reservation, &f, DOMID_SELF, 0, 100000), -EINVAL);
		expect("decrease_reservation of an L1 (none done)", resv1(XENMEM_decrease_reservation, &f, DOMID_SELF, 0, 1), 0);
		expect("decrease_reservation of the console's frame", resv1(XENMEM_decrease_reservation, &cons, DOMID_SELF, 0, 1), 0);
		expect("decrease_reservation of a frame outside RAM", resv1(XENMEM_decrease_reservation, &far, DOMID_SELF, 0, 1), 0);
		expect("decrease_reservation of order 1", resv1(XENMEM_decrease_reservation, &last, DOMID_SELF, 1, 1), 0);
		expect("decrease_reservation, unmapped list", resv1(XENMEM_decrease_reservation, (xen_pfn_t *)0x7000, DOMID_SELF, 0, 1), 0);
		expect("populate_physmap of a frame it has", resv1(XENMEM_populate_physmap, &f, DOMID_SELF, 0, 1), 0);
		expect("decrease_reservation of its last frame (allowed)", resv1(XENMEM_decrease_reservation, &last, DOMID_SELF, 0, 1), 1);
		expect("  current_reservation one less", hc(__HYPERVISOR_memory_op, XENMEM_current_reservation, (long)&self, 0, 0, 0), (long)si->nr_pages - 1);
		expect("  the frame gone twice", resv1(XENMEM_decrease_reservation, &last, DOMID_SELF, 0, 1), 0);
		expect("  mapping the frame gone", mmu1(pte, (last * PAGE) | PTE_P), -EINVAL);
		expect("  an update of an entry in the frame gone", mmu1(last * PAGE + 8, 0), -EINVAL);
		expect("  populate_physmap takes it back (allowed)", resv1(XENMEM_populate_physmap, &last, DOMID_SELF, 0, 1), 1);
		expect("  the frame given is the one asked for", (long)last, (long)si->nr_pages - 1);
		expect("  mapping it again (allowed)", mmu1(pte, (last * PAGE) | PTE_P), 0);
		expect("  scratch mapped back (allowed)", mmu1(pte, (mfn_of(scratch) * PAGE) | PTE_P | PTE_RW), 0);
	}

	/* Grant tables v1: Xen's frames after RAM (and the shared info),
	 * mappable writable, never a table, never ballooned. */
	{
		struct gnttab_query_size q = { DOMID_SELF, 0, 0, 0 };
		expect("grant query_size", hc(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, (long)&q, 1, 0, 0), 0);
		expect("  status okay", q.status, GNTST_okay);
		expect("  max_nr_frames 4", q.max_nr_frames, 4);
		expect("  nr_frames 0", q.nr_frames, 0);
		q.dom = 7;
		hc(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, (long)&q, 1, 0, 0);
		expect("grant query_size of another domain: permission denied", q.status, GNTST_permission_denied);
		xen_pfn_t frames[5] = { 0 };
		struct gnttab_setup_table st = { DOMID_SELF, 1, 0, { frames } };
		expect("grant setup_table, count 2", hc(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, (long)&st, 2, 0, 0), -EINVAL);
		st.nr_frames = 5;
		hc(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, (long)&st, 1, 0, 0);
		expect("grant setup_table of 5 frames: general error", st.status, GNTST_general_error);
		st.nr_frames = 1;
		set_xen_guest_handle(st.frame_list, (xen_pfn_t *)0x7000);
		hc(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, (long)&st, 1, 0, 0);
		expect("grant setup_table, unmapped frame list: bad address", st.status, GNTST_bad_virt_addr);
		set_xen_guest_handle(st.frame_list, frames);
		expect("grant setup_table of 1 frame (allowed)", hc(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, (long)&st, 1, 0, 0) | st.status, 0);
		st.nr_frames = 2;
		expect("grant setup_table of 2 frames (allowed)", hc(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, (long)&st, 1, 0, 0) | st.status, 0);
		expect("  the frames follow the shared info", (long)(frames[0] + 1 == frames[1] && frames[0] == si->nr_pages + 1), 1);
		q.dom = DOMID_SELF;
		hc(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, (long)&q, 1, 0, 0);
		expect("  query_size: nr_frames 2", q.nr_frames, 2);
		volatile grant_entry_v1_t *e = (volatile grant_entry_v1_t *)scratch;
		uint64_t own = mfn_of(scratch);
		e[3].frame = 0x1234;
		expect("grant frame mapped writable (allowed)",
		       hc(__HYPERVISOR_update_va_mapping, (long)scratch, (long)((frames[1] * PAGE) | PTE_P | PTE_RW), UVMF_INVLPG, 0, 0), 0);
		e[3].frame = mfn_of(scratch2);
		e[3].domid = 0;
		e[3].flags = GTF_permit_access;
		expect("  an entry written and read back", (long)e[3].frame, (long)mfn_of(scratch2));
		e[3].flags = 0;
		expect("  scratch mapped back (allowed)",
		       hc(__HYPERVISOR_update_va_mapping, (long)scratch, (long)((own * PAGE) | PTE_P | PTE_RW), UVMF_INVLPG, 0, 0), 0);
		expect("  the entry went to the grant frame, not scratch", (long)e[3].frame, 0x1234);
		expect("mmuext pin a grant frame as L1", ext1(MMUEXT_PIN_L1_TABLE, frames[0]), -EINVAL);
		expect("decrease_reservation of a grant frame (none done)", resv1(XENMEM_decrease_reservation, &frames[0], DOMID_SELF, 0, 1), 0);
		struct gnttab_set_version sv = { 2 };
		expect("grant set_version 2", hc(__HYPERVISOR_grant_table_op, GNTTABOP_set_version, (long)&sv, 1, 0, 0), -EINVAL);
		struct gnttab_get_version gv = { DOMID_SELF, 0, 0 };
		expect("grant get_version", hc(__HYPERVISOR_grant_table_op, GNTTABOP_get_version, (long)&gv, 1, 0, 0), 0);
		expect("  version 1", gv.version, 1);
		struct gnttab_map_grant_ref mg = { 0 };
		expect("grant map_grant_ref (a back end's; none here)", hc(__HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, (long)&mg, 1, 0, 0), -ENOSYS);
	}

	/* Traps, stacks, descriptors. */
	{
		struct trap_info t[2] = { { 14, 0, FLAT_KERNEL_CS, 0x0000900000000000UL }, { 0, 0, 0, 0 } };
		expect("set_trap_table non-canonical handler", hc(__HYPERVISOR_set_trap_table, (long)t, 0, 0, 0, 0), -EINVAL);
		t[0].address = HYPERVISOR_VIRT_START + 0x1000;
		expect("set_trap_table handler in the hypervisor's range", hc(__HYPERVISOR_set_trap_table, (long)t, 0, 0, 0, 0), -EINVAL);
	}
	expect("stack_switch non-canonical", hc(__HYPERVISOR_stack_switch, FLAT_KERNEL_SS, 0x0000900000000000L, 0, 0, 0), -EINVAL);
	{
		struct callback_register cb = { CALLBACKTYPE_event, 0, HYPERVISOR_VIRT_START };
		expect("callback in the hypervisor's range", hc(__HYPERVISOR_callback_op, CALLBACKOP_register, (long)&cb, 0, 0, 0), -EINVAL);
	}
	{
		uint64_t *gdt = (uint64_t *)scratch2;
		for (unsigned i = 0; i < 512; i++)
			gdt[i] = 0;
		gdt[1] = 0x00af9b000000ffffULL;       /* 64-bit code, DPL 0: raised to 3, accepted */
		gdt[2] = 0x0000890000000067ULL;       /* a TSS: never */
		unsigned long frame = mfn_of(scratch2);
		expect("set_gdt with a TSS descriptor", hc(__HYPERVISOR_set_gdt, (long)&frame, 3, 0, 0, 0), -EINVAL);
		expect("set_gdt of code and data (allowed)", hc(__HYPERVISOR_set_gdt, (long)&frame, 2, 0, 0, 0), 0);
		expect("set_gdt too many entries", hc(__HYPERVISOR_set_gdt, (long)&frame, 8192, 0, 0, 0), -EINVAL);
		expect("update_descriptor into an L1", hc(__HYPERVISOR_update_descriptor, (long)(l1 * PAGE + 8), 0, 0, 0, 0), -EINVAL);
		expect("update_descriptor a call gate", hc(__HYPERVISOR_update_descriptor, (long)(mfn_of(scratch2) * PAGE + 8), (long)0x0000ec0000000000ULL, 0, 0, 0), -EINVAL);
	}

	/* Batches and events. */
	{
		struct multicall_entry m[2] = { { .op = __HYPERVISOR_multicall }, { .op = __HYPERVISOR_iret } };
		expect("multicall (nested multicall, iret inside)", hc(__HYPERVISOR_multicall, (long)m, 2, 0, 0, 0), 0);
		expect("  nested multicall's result", (long)m[0].result, -EINVAL);
		expect("  iret's result", (long)m[1].result, -EINVAL);
		expect("multicall of 100000 entries", hc(__HYPERVISOR_multicall, (long)m, 100000, 0, 0, 0), -EINVAL);
	}
	{
		struct evtchn_send s = { 5000 };
		expect("evtchn send on port 5000", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (long)&s, 0, 0, 0), -EINVAL);
		s.port = si->console.domU.evtchn;
		expect("evtchn send on the console's port (allowed)", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (long)&s, 0, 0, 0), 0);
		struct evtchn_unmask u = { 99999 };
		expect("evtchn unmask port 99999", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_unmask, (long)&u, 0, 0, 0), -EINVAL);
		struct evtchn_bind_virq b = { 99, 0, 0 };
		expect("evtchn bind virq 99", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, (long)&b, 0, 0, 0), -EINVAL);
		struct evtchn_close c = { si->console.domU.evtchn };
		expect("evtchn close the console's port", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_close, (long)&c, 0, 0, 0), -EINVAL);
		struct evtchn_bind_ipi ipi = { 5, 0 };
		expect("evtchn bind ipi to vcpu 5", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, (long)&ipi, 0, 0, 0), -ENOENT);
	}
	/* Interdomain ports, here to itself (a loopback, as Xen allows). */
	{
		struct evtchn_alloc_unbound au = { 7, DOMID_SELF, 0 };
		expect("evtchn alloc_unbound in another domain", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (long)&au, 0, 0, 0), -EPERM);
		au.dom = DOMID_SELF;
		expect("evtchn alloc_unbound for itself (allowed)", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (long)&au, 0, 0, 0), 0);
		struct evtchn_status st = { .dom = DOMID_SELF, .port = au.port };
		hc(__HYPERVISOR_event_channel_op, EVTCHNOP_status, (long)&st, 0, 0, 0);
		expect("  status unbound", st.status, EVTCHNSTAT_unbound);
		struct evtchn_send s = { au.port };
		expect("  send on it while unbound (dropped)", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (long)&s, 0, 0, 0), 0);
		struct evtchn_bind_interdomain bi = { 0, au.port, 0 };
		expect("evtchn bind_interdomain to pvmon (none offered)", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_interdomain, (long)&bi, 0, 0, 0), -EINVAL);
		bi.remote_dom = 999;
		expect("evtchn bind_interdomain to no domain", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_interdomain, (long)&bi, 0, 0, 0), -ESRCH);
		bi.remote_dom = DOMID_SELF;
		bi.remote_port = 5000;
		expect("evtchn bind_interdomain to port 5000", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_interdomain, (long)&bi, 0, 0, 0), -EINVAL);
		bi.remote_port = si->console.domU.evtchn;
		expect("evtchn bind_interdomain to the console's port", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_interdomain, (long)&bi, 0, 0, 0), -EINVAL);
		bi.remote_port = au.port;
		expect("evtchn bind_interdomain to its unbound port (allowed)", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_interdomain, (long)&bi, 0, 0, 0), 0);
		expect("  twice", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_interdomain, (long)&bi, 0, 0, 0), -EINVAL);
		st.port = bi.local_port;
		hc(__HYPERVISOR_event_channel_op, EVTCHNOP_status, (long)&st, 0, 0, 0);
		expect("  status interdomain", st.status, EVTCHNSTAT_interdomain);
		expect("  its peer port", st.u.interdomain.port, au.port);
		/* A send on one end marks the other pending: seen through the
		 * shared-info page, mapped over scratch for a moment. */
		s.port = bi.local_port;
		expect("  send (allowed)", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (long)&s, 0, 0, 0), 0);
		long was = pending(shared_over_scratch(), au.port, 0);
		scratch_back();
		expect("  the peer port is pending", was, 1);
		struct evtchn_close c = { bi.local_port };
		expect("  close one end (allowed)", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_close, (long)&c, 0, 0, 0), 0);
		st.port = au.port;
		hc(__HYPERVISOR_event_channel_op, EVTCHNOP_status, (long)&st, 0, 0, 0);
		expect("  the other is unbound again", st.status, EVTCHNSTAT_unbound);
		c.port = au.port;
		expect("  close it (allowed)", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_close, (long)&c, 0, 0, 0), 0);
		was = pending(shared_over_scratch(), au.port, 0);
		scratch_back();
		expect("  closing cleared its pending event", was, 0);
		struct evtchn_bind_virq bv = { VIRQ_DEBUG, 0, 0 };
		hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, (long)&bv, 0, 0, 0);
		s.port = bv.port;
		expect("evtchn send on a VIRQ's port", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (long)&s, 0, 0, 0), -EINVAL);
		c.port = bv.port;
		expect("  close it (allowed)", hc(__HYPERVISOR_event_channel_op, EVTCHNOP_close, (long)&c, 0, 0, 0), 0);
	}
	expect("vcpu_op on vcpu 7", hc(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 7, 0, 0, 0), -ENOENT);
	expect("vcpu_op up on vcpu 2^63", hc(__HYPERVISOR_vcpu_op, VCPUOP_up, (long)(1UL << 63), 0, 0, 0), -ENOENT);
	{
		/* The runstate area: written at registration and whenever the
		 * vCPU comes back to its slot (a yield), from pvmon's times. */
		static volatile struct vcpu_runstate_info rs;
		struct vcpu_register_runstate_memory_area ra = { .addr.p = (uint64_t)(uintptr_t)&rs };
		rs.state = 77;
		expect("runstate area registered", hc(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, (long)&ra, 0, 0), 0);
		expect("  state running", rs.state, RUNSTATE_running);
		uint64_t first = rs.state_entry_time;
		hc(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
		expect("  after a yield: a new state_entry_time", (long)(rs.state_entry_time > first), 1);
		expect("  and time spent running", (long)(rs.time[RUNSTATE_running] > 0), 1);
		ra.addr.p = 0x5000;                  /* unmapped: Xen takes it, the updates do not land */
		expect("runstate area at an unmapped address (taken)", hc(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, (long)&ra, 0, 0), 0);
		hc(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
		ra.addr.p = 0;
		expect("runstate area off", hc(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, (long)&ra, 0, 0), 0);
	}
	{
		struct vcpu_register_vcpu_info r = { mfn_of(scratch), 4090, 0 };
		expect("register vcpu_info across a page", hc(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, (long)&r, 0, 0), -EINVAL);
		r.mfn = l1;
		r.offset = 0;
		expect("register vcpu_info in an L1", hc(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, (long)&r, 0, 0), -EINVAL);
	}

	smp_checks(l4, l1);
	timer_checks();
	if (si->store_evtchn) {
		blk_checks(si->nr_pages + 1);
		net_checks(si->nr_pages + 1);
	}
	store_checks();

	/* A page fault of the kernel, delivered to its handler with Xen's
	 * frame (by the entry stub's fast path where it is on, else by pvmon:
	 * the same frame either way) and returned from by iret. */
	{
		struct trap_info t[2] = { { 14, 0, FLAT_KERNEL_CS, (unsigned long)pf_entry }, { 0, 0, 0, 0 } };
		expect("set_trap_table #PF (allowed)", hc(__HYPERVISOR_set_trap_table, (long)t, 0, 0, 0, 0), 0);
		pf_load(0x5000);
		expect("#PF of a kernel read at 0x5000 delivered once", (long)pf_seen, 1);
		expect("  error code 0 (not present, read, kernel mode)", (long)pf_err, 0);
		expect("  cs FLAT_KERNEL_CS & ~3", (long)(pf_cs & 0xffff), FLAT_KERNEL_CS & ~3);
		expect("  ss FLAT_KERNEL_SS", (long)pf_ss, FLAT_KERNEL_SS);
		expect("  rip in the kernel's text", (long)(pf_rip >= VIRT_BASE && pf_rip < VIRT_BASE + 0x200000), 1);
		long cr2 = (long)shared_over_scratch()->vcpu_info[0].arch.cr2;
		scratch_back();
		expect("  vcpu_info's cr2 the address", cr2, 0x5000);
		pf_load(0x6000);
		expect("a second one", (long)pf_seen, 2);
		expect("set_trap_table NULL: the table cleared (allowed)", hc(__HYPERVISOR_set_trap_table, 0, 0, 0, 0, 0), 0);
	}

	/* A system call from user mode, delivered to the syscall callback with
	 * Xen's frame on the stack_switch stack (by the stub's fast path where
	 * it is on), the mode's GS bases swapped both ways. */
	{
		uint64_t ksp = (uint64_t)(uintptr_t)(kstack + sizeof(kstack));
		user_setup(l4, ksp);
		expect("user mode and back: one system call delivered", user_trip(), 1);
		expect("  its number in rax", (long)sc_rax, 0x1234);
		expect("  the frame at the kernel stack's top", (long)sc_frame, (long)(ksp - 56));
		expect("  cs FLAT_USER_CS, the upcall mask saved", (long)sc_cs, (long)(FLAT_USER_CS | (1UL << 32)));
		expect("  ss FLAT_USER_SS", (long)sc_ss, FLAT_USER_SS);
		expect("  rsp the user stack's", (long)sc_rsp, (long)(uintptr_t)(user_stack + sizeof(user_stack)));
		expect("  rip after the syscall in user_entry", (long)(sc_rip > (uint64_t)(uintptr_t)user_entry &&
		                                                  sc_rip < (uint64_t)(uintptr_t)syscall_cb), 1);
		expect("  %gs:0 in user mode the user base's", (long)sc_ugs, (long)umark);
		expect("  %gs:0 back in the kernel the kernel base's", (long)sc_kgs, (long)kmark);
		hc(__HYPERVISOR_set_segment_base, SEGBASE_GS_KERNEL, 0, 0, 0, 0);
	}

	/* set_segment_base from the kernel (by the stub's fast path where it
	 * is on): FS's and GS's bases read back through %fs:0 and %gs:0; a
	 * base that is not canonical and an unknown `which` refused, the base
	 * kept; a user GS selector taken. */
	{
		static uint64_t fmark = 0x6673ULL;   /* "fs" */
		uint64_t v;
		expect("set_segment_base FS (allowed)", hc(__HYPERVISOR_set_segment_base, SEGBASE_FS, (long)&fmark, 0, 0, 0), 0);
		__asm__ volatile("mov %%fs:0, %0" : "=r"(v) : : "memory");
		expect("  %fs:0 its marker", (long)v, (long)fmark);
		expect("set_segment_base GS_KERNEL (allowed)",
		       hc(__HYPERVISOR_set_segment_base, SEGBASE_GS_KERNEL, (long)&kmark, 0, 0, 0), 0);
		__asm__ volatile("mov %%gs:0, %0" : "=r"(v) : : "memory");
		expect("  %gs:0 the kernel's marker", (long)v, (long)kmark);
		expect("set_segment_base FS not canonical",
		       hc(__HYPERVISOR_set_segment_base, SEGBASE_FS, 0x0000800000000000L, 0, 0, 0), -EINVAL);
		expect("set_segment_base GS_USER not canonical",
		       hc(__HYPERVISOR_set_segment_base, SEGBASE_GS_USER, (long)0xffff7fffffffffffUL, 0, 0, 0), -EINVAL);
		__asm__ volatile("mov %%fs:0, %0" : "=r"(v) : : "memory");
		expect("  %fs:0 still its marker", (long)v, (long)fmark);
		expect("set_segment_base which 4", hc(__HYPERVISOR_set_segment_base, 4, 0, 0, 0, 0), -EINVAL);
		expect("set_segment_base which -1", hc(__HYPERVISOR_set_segment_base, -1, 0, 0, 0, 0), -EINVAL);
		expect("set_segment_base GS_USER_SEL (allowed)",
		       hc(__HYPERVISOR_set_segment_base, SEGBASE_GS_USER_SEL, FLAT_USER_DS, 0, 0, 0), 0);
		hc(__HYPERVISOR_set_segment_base, SEGBASE_FS, 0, 0, 0, 0);
		hc(__HYPERVISOR_set_segment_base, SEGBASE_GS_KERNEL, 0, 0, 0, 0);
	}

	/* Writable page tables: a direct write into the L1 (mapped read-only)
	 * is emulated when the entry is good. */
	volatile uint64_t *l1va = (volatile uint64_t *)(si->pt_base + 3 * PAGE);
	uint64_t good = l1va[idx];
	l1va[idx] = good & ~PTE_RW;
	expect("direct write: scratch read-only (emulated)", (long)(l1va[idx] & PTE_RW), 0);
	l1va[idx] = good;
	expect("direct write: scratch writable again (emulated)", (long)(l1va[idx] & PTE_RW), (long)PTE_RW);
	{
		/* The writes Linux makes (ptep_get_and_clear's xchg, pte_clear's
		 * mov of 0, clear_bit's lock andb, set_bit's lock orb), which the
		 * entry stub emulates (with the fast path off, pvmon): scratch
		 * remapped onto scratch2 and back, xchg's register, and/or's flags. */
		volatile uint8_t *b = (volatile uint8_t *)&l1va[idx];
		uint64_t other = (mfn_of(scratch2) * PAGE) | PTE_P | PTE_RW, old = other;
		uint8_t zf;
		scratch2[0] = 0x5a;
		scratch[0] = 0xa5;
		__asm__ volatile("xchg %0, %1" : "+r"(old), "+m"(l1va[idx]) : : "memory");
		expect("direct xchg: the old entry back (its frame)", (old & ~0xfffULL) == (good & ~0xfffULL), 1);
		ext1(MMUEXT_TLB_FLUSH_LOCAL, 0);
		expect("  scratch reads scratch2's page", scratch[0], 0x5a);
		old = good;
		__asm__ volatile("lock xchg %0, %1" : "+r"(old), "+m"(l1va[idx]) : : "memory");
		expect("direct lock xchg: scratch2's entry back (its frame)", (old & ~0xfffULL) == (other & ~0xfffULL), 1);
		ext1(MMUEXT_TLB_FLUSH_LOCAL, 0);
		expect("  scratch its own page again", scratch[0], 0xa5);
		__asm__ volatile("lock andb %2, %0; setz %1" : "+m"(b[0]), "=r"(zf) : "i"(~PTE_RW & 0xff) : "memory", "cc");
		expect("direct lock andb: read-only", (long)(l1va[idx] & PTE_RW), 0);
		expect("  ZF clear", zf, 0);
		__asm__ volatile("lock orb %2, %0; setz %1" : "+m"(b[0]), "=r"(zf) : "i"(PTE_RW) : "memory", "cc");
		expect("direct lock orb: writable", (long)(l1va[idx] & PTE_RW), (long)PTE_RW);
		__asm__ volatile("andb $0, %0; setz %1" : "+m"(b[7]), "=r"(zf) : : "memory", "cc");
		expect("direct andb of the top byte with 0: ZF set", zf, 1);
		expect("  the entry as it was (but its accessed and dirty bits)", (l1va[idx] | 0x60) == (good | 0x60), 1);
		{
			/* Other address forms: SIB, disp8 and disp32, REX.R and REX.B. */
			register uint64_t r13 __asm__("r13") = good;
			register volatile uint64_t *r10 __asm__("r10") = &l1va[idx - 1];
			__asm__ volatile("xchg %0, 8(%1)" : "+r"(r13) : "r"(r10) : "memory");
			expect("direct xchg r13, 8(r10): the entry's frame back", (r13 & ~0xfffULL) == (good & ~0xfffULL), 1);
			old = good;
			__asm__ volatile("xchg %0, (%1,%2,8)" : "+r"(old) : "r"(l1va), "r"(idx) : "memory");
			expect("direct xchg with SIB: the entry's frame back", (old & ~0xfffULL) == (good & ~0xfffULL), 1);
			__asm__ volatile("movq %1, -0x1000(%0)" : : "r"((volatile uint8_t *)&l1va[idx] + 0x1000), "r"(good) : "memory");
			expect("direct mov with disp32: the entry", l1va[idx] == good, 1);
			register volatile uint64_t *r12 __asm__("r12") = &l1va[idx];
			/* Linux's ptep_set_wrprotect on one CPU, its lock prefix patched to ds */
			__asm__ volatile(".byte 0x3e; andb $0xfd, (%0)" : : "r"(r12) : "memory", "cc");
			expect("direct ds andb $0xfd, (r12): read-only", (long)(l1va[idx] & PTE_RW), 0);
			l1va[idx] = good;
		}
		old = l1va[idx];
		__asm__ volatile("lock cmpxchg %2, %1" : "+a"(old), "+m"(l1va[idx]) : "r"(old) : "memory", "cc");
		expect("direct lock cmpxchg (pvmon's): the entry as it was", (l1va[idx] | 0x60) == (good | 0x60), 1);
		__asm__ volatile("movq $0, %0" : "=m"(l1va[idx]) : : "memory");
		expect("direct movq $0: not present", (long)l1va[idx], 0);
		l1va[idx] = good;
		ext1(MMUEXT_TLB_FLUSH_LOCAL, 0);
		expect("  mapped again", scratch[0], 0xa5);
	}

	puts_("hostile_xen: ");
	putnum(checks);
	puts_(" checks, ");
	putnum(fails);
	puts_(" failed\n");
	if (has((const char *)si->cmd_line, "crash")) {
		puts_("hostile_xen: writing an entry that maps the L4 writable into the L1\n");
		l1va[idx] = (l4 * PAGE) | PTE_P | PTE_RW;
		puts_("hostile_xen: FAIL the write went through\n");
	}
	const char *cl = (const char *)si->cmd_line;
	if (has(cl, "sysstack")) {
		/* A kernel stack on its own L1 (read-only) or in the entry stub's
		 * own block: a system call from user mode crashes the domain. */
		user_setup(l4, has(cl, "sysstack-hv") ? 0xffff808000011f00UL : si->pt_base + 3 * PAGE + 2048);
		puts_("hostile_xen: a system call with a kernel stack it may not write\n");
		user_trip();
		puts_("hostile_xen: FAIL it went on\n");
	}
	if (has(cl, "evstack")) {
		/* An event to deliver with the kernel's stack on its own L1
		 * (read-only): the upcall at xen_version crashes the domain. */
		puts_("hostile_xen: an event upcall on a stack it may not write\n");
		struct evtchn_bind_ipi b = { 0, 0 };
		hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, (long)&b, 0, 0, 0);
		ev_sh = shared_over_scratch();
		ev_sh->vcpu_info[0].evtchn_upcall_mask = 1;
		event_callback(ev_entry);
		struct evtchn_send snd = { b.port };
		hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (long)&snd, 0, 0, 0);
		ev_sh->vcpu_info[0].evtchn_upcall_mask = 0;   /* no hypercall before the one below */
		__asm__ volatile("mov %0, %%rsp\n mov $17, %%eax\n xor %%edi, %%edi\n syscall"
		                 : : "r"(si->pt_base + 3 * PAGE + 2048) : "rax", "rcx", "r11", "rdi", "memory");
		puts_("hostile_xen: FAIL it went on\n");
	}
	if (has(cl, "pfstack") || has(cl, "iretbad")) {
		/* Its stack on its own L1 (read-only), in pvmon's M2P slot, or an
		 * iret frame in the stub's slot: the domain crashes, nothing is
		 * written there or read from there. */
		uint64_t sp = has(cl, "pfstack-hv") ? HYPERVISOR_VIRT_START + 0x2800
		            : has(cl, "pfstack") ? si->pt_base + 3 * PAGE + 2048 : 0xffff808000011e00UL;
		struct trap_info t[2] = { { 14, 0, FLAT_KERNEL_CS, (unsigned long)pf_entry }, { 0, 0, 0, 0 } };
		hc(__HYPERVISOR_set_trap_table, (long)t, 0, 0, 0, 0);
		puts_("hostile_xen: a page fault or an iret on a stack it may not write\n");
		if (has(cl, "iretbad"))
			__asm__ volatile("mov %0, %%rsp\n mov $23, %%eax\n syscall" : : "r"(sp) : "rax", "rcx", "r11", "memory");
		else
			__asm__ volatile("mov %0, %%rsp\n .byte 0x48, 0x8b, 0x02" : : "r"(sp), "d"(0x5000UL) : "rax", "memory");
		puts_("hostile_xen: FAIL it went on\n");
	}
	struct sched_shutdown sd = { fails ? SHUTDOWN_reboot : SHUTDOWN_poweroff };
	hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown, (long)&sd, 0, 0, 0);
	for (;;)
		;
}

/* Xen's entry: rsi = start_info, rsp the bootstrap stack's top. */
__asm__(".section .text.entry, \"ax\"\n"
        ".globl _start\n"
        "_start:\n"
        "  mov %rsi, %rdi\n"
        "  and $-16, %rsp\n"
        "  call start\n"
        "1: jmp 1b\n"
        ".previous\n");
