/*
 * pvlab public ABI between pvmon and a paravirtual guest (pvos).
 * This header and hypercalls.h beside it are the whole contract: fixed-width
 * types only, every field marked IN (guest -> pvmon) or OUT (pvmon -> guest).
 */
#ifndef PVLAB_PUBLIC_PV_H
#define PVLAB_PUBLIC_PV_H

#include <stdint.h>
#include "hypercalls.h"

/* ABI version: bump MAJOR on incompatible change, MINOR on additions.
 * 3.0: hypercalls go through the hypercall entry (a guest that executes the
 * port I/O itself breaks under a fast path); exceptions reach set_trap_table
 * handlers where start_info.fast_path says so; vcpu_op crash_frame.
 * 4.0: L4 slot PV_HV_L4_SLOT is pvmon's in every address space (it maps the
 * hypervisor area there itself; a guest entry there is refused).
 * 4.1: the kernel's ELF note (PV_NOTE_*, below).
 * 4.2: net_op, a network interface served by pvmon (PV_NETOP_*, below);
 * event channels and grants may name Domain 0 (PV_DOMID_BACKEND). */
#define PV_ABI_MAJOR 4
#define PV_ABI_MINOR 2
#define PV_ABI_VERSION ((PV_ABI_MAJOR << 16) | PV_ABI_MINOR)
#define PV_ABI_MAGIC "pvlab-4"

/* 4.1: a pvlab kernel says so in its ELF, so pvmon can tell it from a Xen
 * PV kernel (whose notes are named "Xen"): one note in a PT_NOTE segment,
 * 4-byte aligned, name PV_NOTE_NAME (namesz 6), type PV_NOTE_ABI, desc the
 * uint32_t PV_ABI_VERSION it was built for. pvmon refuses another MAJOR. */
#define PV_NOTE_NAME "pvlab"
#define PV_NOTE_ABI  1

/*
 * Hypercall: a call to the hypercall entry that pvmon writes into the
 * hypervisor area (Xen's hypercall page), in guest kernel mode:
 *   movabs $PV_HCALL_ENTRY, %r11; call *%r11
 *   IN  rax   hypercall number (PV_HC_*)
 *   IN  rdi, rsi, rdx, r10, r8   arguments 1..5
 *   OUT rax   result: >= 0 success, negative errno (PV_E*) on failure
 * rcx and r11 are clobbered, all other registers are preserved; the entry
 * uses 8 bytes of the caller's stack (the return address). Pointers are
 * guest-virtual addresses in the caller's current (kernel) address space.
 * What the entry holds depends on start_info.fast_path: on the baseline
 * `outb %al, $PV_HCALL_PORT; ret` (one VM exit to pvmon); under a fast path
 * `syscall; ret` into pvmon's entry stub, which serves iret itself and
 * forwards every other hypercall to pvmon with the same port I/O. Guests
 * must not execute the port I/O themselves: under a fast path port I/O at
 * CPL3 raises #GP.
 * The same call made in guest user mode (a pvos process) is a system call:
 * it reaches the kernel's syscall callback.
 */
#define PV_HCALL_PORT 0xE0
#define PV_HCALL_ENTRY 0x7FFFFFC00100ULL   /* PV_HV_AREA_VA + 0x100 */

/* PV_HC_console_io = 0 ... PV_HC_grant_table_op = 15, and PV_HC_MAX: the
 * list is hypercalls.h. */
enum pv_hypercall {
#define PV_HC_NUMBER(name, nr) PV_HC_##name = nr,
	PV_HYPERCALLS(PV_HC_NUMBER)
#undef PV_HC_NUMBER
	PV_HC_MAX
};

/* Errors, returned negated (Linux errno values). */
#define PV_EPERM     1
#define PV_ENOENT    2
#define PV_ESRCH     3
#define PV_EAGAIN   11
#define PV_ENOMEM   12
#define PV_EFAULT   14
#define PV_EBUSY    16
#define PV_EEXIST   17
#define PV_EACCES   13
#define PV_EINVAL   22
#define PV_ENOSPC   28
#define PV_ENOSYS   38
#define PV_EMSGSIZE 90
#define PV_ENOTCONN 107

#define PV_PAGE_SIZE 4096ULL

/*
 * Guest-physical memory of a domain, in this order (start_info gives each):
 *   RAM        0 .. nr_pages*4K       the guest's own frames, writable
 *   pool       pt_pool_base ..        page-table frames and the hypervisor
 *                                     area; the guest can read them but never
 *                                     write them (a read-only memory slot):
 *                                     a write traps to pvmon, which validates
 *                                     and emulates it as one mmu_update;
 *                                     under PV_SIF_pt_ro_maps the guest may
 *                                     map them read-only only instead
 *   grant windows                     frames where grants of other domains
 *                                     appear when mapped (grant_table_op)
 * The hypervisor area: pvmon-owned frames at the start of the pool, of
 * which the first hv_area_pages appear at PV_HV_AREA_VA in every address
 * space: pvmon itself maps them through L4 slot PV_HV_L4_SLOT, which it
 * fills in every frame that becomes an L4 and which no guest update may
 * change (-EPERM). So the guest loses the 512 GiB below the top of the
 * lower half and can never remap what the CPU reads there: the hypercall
 * entry (PV_HCALL_ENTRY), the descriptor tables (GDT, IDT, one TSS per
 * vCPU, set before the guest's first instruction) and the I/O bitmap that
 * lets CPL3 code reach PV_HCALL_PORT and nothing else. More pvmon-owned
 * pool frames (the slot's tables, the stub's code and tables) follow: the
 * guest's own pool frames start after pt_pool_used - nr_pt_frames. It sits
 * at the top of the lower half, the guest's half on every x86-64 KVM back
 * end. The guest may read these frames; it can write none of them.
 */
#define PV_HV_AREA_VA    0x7FFFFFC00000ULL
#define PV_HV_AREA_PAGES 1
#define PV_HV_L4_SLOT    255           /* (PV_HV_AREA_VA >> 39) & 511 */
#define PV_MAX_VCPUS 8

/* ---- version_op(cmd, arg) ------------------------------------------- */
#define PV_VERSION_abi       0  /* returns PV_ABI_VERSION */
#define PV_VERSION_features  1  /* returns PV_FEAT_* bits */
#define PV_VERSION_magic     2  /* arg OUT: char[16], PV_ABI_MAGIC */
#define PV_FEAT_multicall    (1u << 0)
#define PV_FEAT_evtchn       (1u << 1)
#define PV_FEAT_timer        (1u << 2)
#define PV_FEAT_vcpu_op      (1u << 3)
#define PV_FEAT_fast_traps   (1u << 4)  /* exceptions delivered in-guest (start_info.fast_path) */
#define PV_FEAT_mmu          (1u << 5)  /* validated page tables: mmu_update, pool */
#define PV_FEAT_balloon      (1u << 6)  /* memory_op */
#define PV_FEAT_grant        (1u << 7)  /* grant_table_op */
#define PV_FEAT_net          (1u << 8)  /* net_op: the domain has a network interface */

/* ---- console_io(cmd, count, buf) ------------------------------------ */
#define PV_CONSOLE_write 0   /* IN buf[count]; returns bytes taken (<= 4096) */
#define PV_CONSOLE_read  1   /* OUT buf[count]; returns bytes read, 0 if none */
#define PV_CONSOLE_MAX   4096

/* ---- sched_op(cmd, arg) --------------------------------------------- */
#define PV_SCHED_yield    0  /* give up the CPU, stay runnable */
#define PV_SCHED_block    1  /* unmask events and sleep until one is pending */
#define PV_SCHED_shutdown 2  /* arg: struct pv_sched_shutdown* */
#define PV_SCHED_poll     3  /* arg: struct pv_sched_poll* */

#define PV_SHUTDOWN_poweroff 0
#define PV_SHUTDOWN_crash    1

struct pv_sched_shutdown {
	uint32_t reason;     /* IN  PV_SHUTDOWN_* */
	int32_t  exit_code;  /* IN  exit status reported by `pvmon run` (0..255) */
};

/* Sleep until one of ports[] is pending or the timeout passes; returns 0
 * (an event) or 0 after a timeout too: the guest checks its ports. */
struct pv_sched_poll {
	uint64_t ports;      /* IN  guest pointer to uint32_t[nr_ports] */
	uint32_t nr_ports;   /* IN  1..128 */
	uint32_t pad;
	uint64_t timeout;    /* IN  absolute system time (ns); 0 = none */
};

/* ---- set_timer_op(deadline) ------------------------------------------
 * One-shot timer: VIRQ_TIMER fires when system time >= deadline (ns).
 * deadline 0 cancels. A deadline in the past fires at once. */

/* ---- event_channel_op(cmd, arg) ------------------------------------- */
#define PV_NR_EVTCHN        1024
#define PV_EVTCHN_alloc_unbound    0
#define PV_EVTCHN_bind_interdomain 1
#define PV_EVTCHN_bind_virq        2
#define PV_EVTCHN_send             3
#define PV_EVTCHN_close            4
#define PV_EVTCHN_status           5
#define PV_EVTCHN_unmask           6

#define PV_DOMID_SELF 0x7FF0u
#define PV_DOMID_BACKEND 0u  /* Domain 0: the host, where pvmon's back ends live.
                                An unbound port for remote_dom 0 and a grant to
                                domid 0 are offered to a back end (net_op) */

#define PV_VIRQ_TIMER   0   /* per-vCPU one-shot timer */
#define PV_VIRQ_CONSOLE 1   /* console input available */
#define PV_VIRQ_BALLOON 2   /* shared_info.mem_target_pages changed */
#define PV_NR_VIRQS     4

struct pv_evtchn_alloc_unbound {
	uint32_t dom;         /* IN  PV_DOMID_SELF */
	uint32_t remote_dom;  /* IN  domain allowed to bind */
	uint32_t port;        /* OUT */
};
struct pv_evtchn_bind_interdomain {
	uint32_t remote_dom;  /* IN */
	uint32_t remote_port; /* IN  an unbound port of remote_dom offered to us */
	uint32_t local_port;  /* OUT */
};
struct pv_evtchn_bind_virq {
	uint32_t virq;        /* IN  PV_VIRQ_* */
	uint32_t vcpu;        /* IN */
	uint32_t port;        /* OUT */
};
struct pv_evtchn_send   { uint32_t port; };  /* IN */
struct pv_evtchn_close  { uint32_t port; };  /* IN */
struct pv_evtchn_unmask { uint32_t port; };  /* IN */

#define PV_EVTCHNSTAT_closed       0
#define PV_EVTCHNSTAT_unbound      1
#define PV_EVTCHNSTAT_interdomain  2
#define PV_EVTCHNSTAT_virq         3
struct pv_evtchn_status {
	uint32_t port;        /* IN */
	uint32_t status;      /* OUT PV_EVTCHNSTAT_* */
	uint32_t vcpu;        /* OUT vCPU notified */
	uint32_t remote_dom;  /* OUT unbound/interdomain: peer domain */
	uint32_t remote_port; /* OUT interdomain: peer port */
	uint32_t virq;        /* OUT virq: which */
};

/* ---- multicall(calls, nr_calls) --------------------------------------
 * Runs calls[i] in order; each result lands in calls[i].result. Returns
 * the number done: nr_calls when all ran, fewer when pvmon preempted the
 * batch (the guest re-issues from calls + done). Nested multicalls and
 * iret are refused with -EINVAL in result. */
#define PV_MULTICALL_MAX 4096
struct pv_multicall_entry {
	uint64_t op;          /* IN  PV_HC_* */
	uint64_t result;      /* OUT */
	uint64_t args[5];     /* IN */
};

/* ---- set_callbacks(struct pv_callbacks*) ----------------------------- */
struct pv_callbacks {
	uint64_t event_entry;    /* IN  upcall entry, kernel text */
	uint64_t syscall_entry;  /* IN  entry for system calls from user mode */
	uint64_t failsafe_entry; /* IN  0 or entry when a frame can't be pushed */
};

/* ---- set_trap_table(struct pv_trap_info*, terminated by address 0) ---
 * Each entry replaces the handler of one vector; a null table pointer
 * clears them all. A handler must be mapped in the kernel's page table, in
 * the lower half and outside the hypervisor area (-EINVAL otherwise, and
 * nothing changes). Handlers are entered like
 * callbacks (rsp = rdi = a struct pv_frame, upcalls masked) with vector,
 * error_code and, for #PF (14), fault_addr = the faulting address; rip is
 * the faulting instruction for faults and the next one for traps (#BP, #OF,
 * #DB). They run only where start_info.fast_path is not PV_FAST_none: on
 * the baseline an exception crashes the domain. An exception with no
 * handler crashes the domain, reported with its vector, error code and
 * context. */
#define PV_TRAP_MAX 32
#define PV_TRAP_USER 1u      /* `int n`/int3 in guest code raises this vector (a DPL3 gate);
                                without it such an instruction raises #GP. PVM honours
                                it for int3 and `int $4` only, VT-x/AMD-V for every vector
                                the CPU pushes no error code for (not 8, 10-14, 17, 21, 29, 30) */
struct pv_trap_info {
	uint8_t  vector;   /* IN  0..31 */
	uint8_t  flags;    /* IN  PV_TRAP_USER or 0 */
	uint16_t pad[3];
	uint64_t address;  /* IN  handler, kernel text; 0 ends the table */
};

/*
 * Callback frame. pvmon writes it on the guest kernel stack, points rsp and
 * rdi at it and jumps to the callback. From user mode the stack is the one
 * given to stack_switch and the address space switches to the kernel's.
 * The guest resumes the interrupted context with iret(frame).
 */
#define PV_FRAME_USER   (1u << 0)  /* interrupted context was user mode */
#define PV_VEC_EVENT    256        /* event upcall */
#define PV_VEC_SYSCALL  257        /* system call from user mode */
struct pv_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;   /* OUT/IN */
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;      /* OUT/IN */
	uint64_t vector;      /* OUT PV_VEC_* or exception vector */
	uint64_t error_code;  /* OUT exception error code */
	uint64_t fault_addr;  /* OUT page faults: cr2 */
	uint64_t rip;         /* OUT/IN */
	uint64_t rflags;      /* OUT/IN (IOPL, IF and reserved bits are pvmon's) */
	uint64_t rsp;         /* OUT/IN */
	uint64_t flags;       /* OUT/IN PV_FRAME_* */
	uint64_t saved_mask;  /* OUT/IN upcall mask at delivery; iret restores it */
};

/* ---- stack_switch(sp): kernel stack for callbacks from user mode ----- */

/* ---- Page tables ------------------------------------------------------
 * A domain's page tables live in pool frames only. A pool frame is free or
 * has one type at a time: a table of level 1..4 (L4 = PML4), counted by the
 * references to it (entries of the level above, pins, base pointers). A
 * free frame holds no meaning: mmu_update may write it without checks; when
 * it first takes a type every one of its 512 entries is validated for that
 * level, and when its last reference goes its entries release what they
 * referenced. Rules for an entry of a typed frame (P = present):
 *  - not present: anything;
 *  - L4: slots 256..511 (the upper half) must stay empty; slot
 *    PV_HV_L4_SLOT is pvmon's (-EPERM; it holds the hypervisor area
 *    whatever the frame held before it became an L4); slots 0..254 name
 *    a pool frame that is free or an L3;
 *  - L3: a pool frame that is free or an L2 (no 1 GiB pages);
 *  - L2: a pool frame that is free or an L1, or a 2 MiB page (PS) of RAM
 *    frames the domain owns and has not given back;
 *  - L1: a RAM frame the domain owns and has not given back, a pool frame
 *    (readable only: the slot behind it is read-only; under PV_SIF_pt_ro_maps
 *    an entry naming one must not have RW, -EPERM), a grant-window frame;
 *  - nothing of another domain or of pvmon can be named: every frame number
 *    is a guest-physical address of this domain, checked against its layout.
 * pvmon sets the accessed and dirty bits of every present entry (the pool
 * is read-only to the CPU's page walker too). Changes become visible in the
 * TLB only after an explicit flush (mmuext_op), as on real hardware; a new
 * mapping where there was none is visible at once.
 */

/* ---- mmuext_op(cmd, arg) ---------------------------------------------
 * Base pointers and pins take a guest-physical address of a pool frame.
 * new_baseptr / new_user_baseptr give the frame the L4 type (validating it
 * if it was free) and hold a reference while loaded; they flush the TLB. */
#define PV_MMUEXT_new_baseptr       0  /* kernel page table (switches now) */
#define PV_MMUEXT_new_user_baseptr  1  /* page table used in user mode; 0: none */
#define PV_MMUEXT_tlb_flush_local   2
#define PV_MMUEXT_pin_l1_table      3  /* arg: gpa of a pool frame; types and validates it */
#define PV_MMUEXT_pin_l2_table      4
#define PV_MMUEXT_pin_l3_table      5
#define PV_MMUEXT_pin_l4_table      6
#define PV_MMUEXT_unpin_table       7  /* arg: gpa */
#define PV_MMUEXT_tlb_flush_all     8  /* every vCPU of the domain */
#define PV_MMUEXT_invlpg_local      9  /* arg: guest-virtual address */
#define PV_MMUEXT_invlpg_all       10
#define PV_MMUEXT_clear_frame      11  /* arg: gpa of a free pool frame: zero it */

/* ---- mmu_update(reqs, count, status) ---------------------------------
 * Validated page-table updates, as in Xen: reqs[i].ptr is the
 * guest-physical address of an 8-byte entry in a pool frame, reqs[i].val
 * the new entry. Each request is validated on its own (rules above) and
 * applied or rejected; status[i] (int32_t, OUT) gets 0 or -errno
 * (-EINVAL bad entry, -EBUSY a frame that has another type, -EPERM upper
 * half, -EFAULT ptr outside the pool). Returns the number of requests
 * processed: count, or fewer when pvmon preempted the batch (the guest
 * re-issues from reqs + done). At most PV_MMU_UPDATE_MAX per call. */
#define PV_MMU_UPDATE_MAX 2048
struct pv_mmu_update {
	uint64_t ptr;   /* IN  gpa of the entry, 8-byte aligned */
	uint64_t val;   /* IN  new entry */
};

/* ---- memory_op(cmd, arg): the balloon --------------------------------
 * decrease gives RAM frames back to the host (their memory is released;
 * touching one afterwards crashes the domain), increase takes them again
 * (zero-filled). A frame to give back must not be mapped by any typed page
 * table, granted, or in the grant table. Both return the number of frames
 * done (stopping at the first that fails, or when preempted). The target
 * pvctl mem-set asks for is in shared_info.mem_target_pages; VIRQ_BALLOON
 * fires when it changes. */
#define PV_MEM_decrease_reservation 0   /* arg: struct pv_memory_reservation* */
#define PV_MEM_increase_reservation 1   /* arg: struct pv_memory_reservation* */
#define PV_MEM_current_reservation  2   /* returns frames the domain holds */
#define PV_MEM_maximum_reservation  3   /* returns nr_pages */
struct pv_memory_reservation {
	uint64_t frames;     /* IN  guest pointer to uint64_t gfn[nr_frames] */
	uint32_t nr_frames;  /* IN  1..PV_MMU_UPDATE_MAX */
	uint32_t pad;
};

/* ---- grant_table_op(cmd, arg, count) ---------------------------------
 * A domain's grant table is an array of struct pv_grant_entry in its own
 * RAM, registered with setup_table. To grant domain D a frame, the guest
 * fills an entry {frame, domid=D} and then sets flags (permit_access, and
 * readonly for read-only); it revokes by clearing flags when pvmon has not
 * marked it in use (reading/writing). To accept a transfer (page flip) it
 * offers an unused frame of its own: {frame, domid=sender}, flags
 * accept_transfer; pvmon completes it (transfer_completed) and the frame
 * number then holds the sender's page. Maps appear in the mapper's grant
 * window (rw or ro) at the gpa map returns; the guest maps that gpa into
 * its page tables as it likes. */
#define PV_GNTTABOP_setup_table   0  /* arg: struct pv_gnttab_setup* */
#define PV_GNTTABOP_map_grant_ref 1  /* arg: struct pv_gnttab_map[count] */
#define PV_GNTTABOP_unmap_grant_ref 2 /* arg: struct pv_gnttab_unmap[count] */
#define PV_GNTTABOP_copy          3  /* arg: struct pv_gnttab_copy[count] */
#define PV_GNTTABOP_transfer      4  /* arg: struct pv_gnttab_transfer[count] */
#define PV_GNTTAB_MAX_ENTRIES  4096
#define PV_GNTTAB_WINDOW_FRAMES 256  /* frames in each grant window (rw, ro) */

#define PV_GTF_permit_access      (1u << 0)
#define PV_GTF_accept_transfer    (1u << 1)
#define PV_GTF_readonly           (1u << 2)
#define PV_GTF_reading            (1u << 3)  /* OUT set by pvmon while mapped */
#define PV_GTF_writing            (1u << 4)  /* OUT set by pvmon while mapped rw */
#define PV_GTF_transfer_completed (1u << 5)  /* OUT */
struct pv_grant_entry {
	uint16_t flags;      /* IN/OUT PV_GTF_* */
	uint16_t domid;      /* IN  the domain allowed */
	uint32_t frame;      /* IN  gfn granted / offered; OUT after a transfer */
};
struct pv_gnttab_setup {
	uint64_t table;      /* IN  gpa of the table, page aligned, RAM */
	uint32_t nr_entries; /* IN  1..PV_GNTTAB_MAX_ENTRIES */
	uint32_t pad;
};
#define PV_GNTMAP_readonly 1u
struct pv_gnttab_map {
	uint32_t dom;        /* IN  granting domain */
	uint32_t ref;        /* IN  entry in its table */
	uint32_t flags;      /* IN  PV_GNTMAP_* */
	int32_t  status;     /* OUT 0 or -errno */
	uint32_t handle;     /* OUT for unmap */
	uint32_t pad;
	uint64_t gpa;        /* OUT where the frame appears in the window */
};
struct pv_gnttab_unmap {
	uint32_t handle;     /* IN */
	int32_t  status;     /* OUT */
};
#define PV_GNTCOPY_source_gref (1u << 0)  /* source is (dom, ref), else a local gfn */
#define PV_GNTCOPY_dest_gref   (1u << 1)
struct pv_gnttab_copy_ptr {
	uint32_t dom;        /* IN  for a gref: granting domain */
	uint32_t ref_or_gfn; /* IN */
	uint32_t offset;     /* IN  byte offset in the frame */
	uint32_t pad;
};
struct pv_gnttab_copy {
	struct pv_gnttab_copy_ptr source, dest;  /* IN */
	uint32_t len;        /* IN  offset + len <= 4096 on both sides */
	uint32_t flags;      /* IN  PV_GNTCOPY_* */
	int32_t  status;     /* OUT */
	uint32_t pad;
};
struct pv_gnttab_transfer {
	uint64_t gfn;        /* IN  the sender's frame to give (unmapped, not granted) */
	uint32_t dom;        /* IN  receiver */
	uint32_t ref;        /* IN  receiver's accept_transfer entry */
	int32_t  status;     /* OUT */
	uint32_t pad;
};

/* ---- net_op(cmd, arg): a network interface served by pvmon ---------------
 * A domain whose config has `pvnet = "..."` has one interface (PV_FEAT_net);
 * its back end lives in pvmon (Domain 0) and delivers received packets
 * (Ethernet frames) on a ring of receive descriptors in a frame the guest
 * grants to domain 0 (read-write), with an event channel the guest
 * allocates unbound for remote domain 0. It receives in one of two modes,
 * the frontend's choice at connect:
 *   flip: each request names a grant entry {frame F, domid 0,
 *         accept_transfer}, F unused (not mapped by any page table, not
 *         pinned, granted or the grant table); the back end puts the packet
 *         in a frame of its own and exchanges what backs the two: F then
 *         holds the packet at offset 0, the guest's old page goes to the
 *         back end's pool (it comes back under another packet). No byte
 *         is copied. The entry is marked transfer_completed.
 *   copy: each request names a grant entry {frame, domid 0, permit_access}
 *         (writable); the back end copies the packet into it at offset 0.
 * A request the back end cannot serve gets a response with status -errno
 * (-EINVAL a ref past the table or not offered this way, -EPERM granted to
 * another domain or read-only, -EBUSY a frame in use offered for a flip,
 * -EMSGSIZE never) and the packet waits for the next request; a ring whose
 * producer index runs more than PV_NET_RING_SIZE ahead of the back end is
 * disconnected (status reports it). Notifications are batched as Xen's
 * rings: the back end sends an event when rsp_prod passes rsp_event (set
 * it to your consumer + 1 before you wait), and wants one when req_prod
 * passes req_event. */
#define PV_NETOP_connect    0  /* arg: struct pv_net_connect*; -EBUSY if connected */
#define PV_NETOP_disconnect 1  /* arg unused; -ENOTCONN if not connected */
#define PV_NETOP_status     2  /* returns 1 connected, 0 not (the back end may have
                                  disconnected a ring it found broken) */
#define PV_NET_RX_flip 0
#define PV_NET_RX_copy 1
#define PV_NET_RING_SIZE 256   /* slots, a power of two */
#define PV_NET_GEN_MIN 60      /* frame lengths the packet generator makes */
#define PV_NET_GEN_MAX 4096

struct pv_net_connect {
	uint32_t ring_ref;   /* IN  grant ref of the ring frame (permit_access, rw, domid 0) */
	uint32_t evtchn;     /* IN  our port, unbound for remote domain 0 */
	uint32_t rx_mode;    /* IN  PV_NET_RX_* */
	uint32_t gen_len;    /* IN  with pvnet = "gen": the frame length of the
	                            packets the back end's generator makes,
	                            PV_NET_GEN_MIN..PV_NET_GEN_MAX (packets carry
	                            pv_net_pkt payloads numbered from 0 at each
	                            connect); 0 with another source */
};
struct pv_net_rx_request {
	uint16_t id;         /* IN  echoed in the response */
	uint16_t pad;
	uint32_t gref;       /* IN  grant ref of the buffer (see the modes above) */
};
struct pv_net_rx_response {
	uint16_t id;         /* OUT */
	uint16_t offset;     /* OUT where the packet starts in the frame (0) */
	uint16_t flags;      /* OUT 0 */
	int16_t  status;     /* OUT packet length (> 0) or -errno */
};
struct pv_net_rx_sring {
	uint32_t req_prod;   /* IN  requests posted */
	uint32_t req_event;  /* OUT notify the back end when req_prod passes this */
	uint32_t rsp_prod;   /* OUT responses pushed */
	uint32_t rsp_event;  /* IN  the back end notifies when rsp_prod passes this */
	uint8_t  pad[48];
	union {
		struct pv_net_rx_request req;
		struct pv_net_rx_response rsp;
	} ring[PV_NET_RING_SIZE];   /* slot i % PV_NET_RING_SIZE */
};

/* The payload (after Ethernet, IPv4 and UDP headers, 42 bytes) of the
 * packets the generator makes and pvbench sends: magic, a sequence number
 * from 0, the payload length, and a checksum of the bytes after this
 * header, which are byte i = (seq * 131 + i * 7) & 0xff. */
#define PV_NET_HDR_LEN 42
#define PV_NET_PKT_MAGIC 0x706b7431u    /* "1tkp" */
struct pv_net_pkt {
	uint32_t magic;
	uint32_t seq;
	uint32_t len;        /* bytes of payload, this header included */
	uint32_t csum;       /* pv_net_csum over the bytes after the header */
};

/* ---- vcpu_op(cmd, vcpuid, arg) ---------------------------------------
 * crash_frame: the guest gives up on an exception it was delivered (a
 * fault it cannot handle): arg is the struct pv_frame its handler got, and
 * pvmon crashes the domain reporting the exception in that frame's context
 * (vector, error code, address, rip, rsp, the page table and mode it came
 * from), as it reports a fault on the baseline. vcpuid must be the caller's.
 * Returns only on a bad argument (-EFAULT, -EINVAL). */
#define PV_VCPUOP_up          0   /* arg: struct pv_vcpu_context* */
#define PV_VCPUOP_crash_frame 1   /* arg: struct pv_frame* */
struct pv_vcpu_context {
	uint64_t rip;    /* IN  entry, kernel text */
	uint64_t rsp;    /* IN  stack */
	uint64_t arg;    /* IN  passed in rdi */
};

/* ---- start-info page: at the guest-physical (= kernel virtual) address
 * in rsi when the first vCPU starts at the ELF entry. ------------------- */
struct pv_start_info {
	char     magic[16];        /* OUT PV_ABI_MAGIC */
	uint32_t abi_version;      /* OUT PV_ABI_VERSION */
	uint32_t domid;            /* OUT */
	uint64_t nr_pages;         /* OUT domain memory in 4 KiB frames */
	uint64_t shared_info;      /* OUT address of struct pv_shared_info */
	uint64_t pt_base;          /* OUT initial kernel page table (PML4) */
	uint64_t nr_pt_frames;     /* OUT frames used by the initial tables */
	uint64_t first_free;       /* OUT first free byte after kernel/tables */
	uint32_t nr_vcpus;         /* OUT */
	uint32_t flags;            /* OUT PV_SIF_* */
	uint64_t console_evtchn;   /* OUT reserved */
	uint64_t hv_area;          /* OUT guest-physical address of the hypervisor area */
	uint64_t hv_area_pages;    /* OUT its size in frames (PV_HV_AREA_PAGES) */
	uint64_t pt_pool_base;     /* OUT gpa of the page-table pool (hv area first) */
	uint64_t pt_pool_frames;   /* OUT frames in the pool */
	uint64_t pt_pool_used;     /* OUT pool frames in use at boot (hv area, initial tables) */
	uint64_t grant_rw_base;    /* OUT gpa of the read-write grant window */
	uint64_t grant_ro_base;    /* OUT gpa of the read-only grant window */
	char     name[32];         /* OUT domain name */
	char     cmdline[1024];    /* OUT */
	uint64_t hcall_entry;      /* OUT PV_HCALL_ENTRY */
	uint32_t fast_path;        /* OUT PV_FAST_*: how exceptions and system calls arrive */
	uint32_t pad2;
};

/* start_info.flags */
#define PV_SIF_pt_ro_maps (1u << 0)  /* the pool's slot is writable (nested paging:
                                        EPT/NPT): L1 entries may map pool frames
                                        read-only only (-EPERM), and a direct write
                                        to a table is a guest #PF, not a trapped,
                                        emulated update: only mmu_update changes them */

/* start_info.fast_path */
#define PV_FAST_none 0   /* baseline: callback frames built by pvmon at a VM exit */
#define PV_FAST_pvm  1   /* entry stub in the guest under KVM's PVM back end (see below) */
#define PV_FAST_hw   2   /* the same entry stub at the guest's CPL0 under VT-x/AMD-V KVM */

/* ---- Fast path ---------------------------------------------------------
 * Under PV_FAST_pvm and PV_FAST_hw a pvmon-owned entry stub is the only
 * code that runs at the guest's CPL0; pvos (kernel and processes) stays at
 * CPL3. The stub lives in the upper half, which guest code cannot touch
 * (PVM hides it: a #PF there says not-present; under PV_FAST_hw it is
 * mapped supervisor-only: the #PF has P set), in pool frames the
 * guest can at most map read-only, with its stacks and data in frames no
 * guest page table may name. It receives every exception, system call and event
 * and bounces it to the handler registered with set_trap_table or
 * set_callbacks, building the same struct pv_frame pvmon builds on the
 * baseline, on the same stack (stack_switch from user mode), with the same
 * upcall mask rules; it switches to the kernel page table when the source
 * is a process and back at iret (on PVM hosts each such switch is one
 * in-kernel PVM exit, which never reaches pvmon). It serves iret itself and
 * forwards other hypercalls to pvmon. Events arrive as an interrupt the
 * stub turns into an upcall, or at the end of a hypercall or iret. What the
 * guest sees differs from the baseline only in that exceptions reach its
 * handlers and hypercalls clobber rcx and r11. The stub's descriptor
 * tables live in the hypervisor area, which pvmon maps in every address
 * space (PV_HV_L4_SLOT).
 */

/* ---- shared-info page --------------------------------------------------
 * Time: system time is ns since pvmon started. A guest reads it as
 *   do { v = t->version; (v odd: retry) ... } while (v != t->version);
 *   now = t->system_time + ((rdtsc() - t->tsc_timestamp) * t->tsc_mul >> 32)
 * Wall clock = wc_sec/wc_nsec (wall time at system time 0) + now.
 * Virtual time (time this vCPU has run) = virt_time + (now - virt_stamp)
 * while running. */
struct pv_vcpu_time {
	uint32_t version;        /* OUT odd while pvmon updates */
	uint32_t pad;
	uint64_t tsc_timestamp;  /* OUT guest TSC at system_time */
	uint64_t system_time;    /* OUT ns */
	uint64_t tsc_mul;        /* OUT ns = (tsc delta * tsc_mul) >> 32 */
	uint64_t virt_time;      /* OUT ns this vCPU ran before virt_stamp */
	uint64_t virt_stamp;     /* OUT system time it was last scheduled */
};

struct pv_vcpu_info {
	uint8_t  upcall_pending;  /* OUT set when an unmasked port becomes pending */
	uint8_t  upcall_mask;     /* IN/OUT 1: no upcalls (pvmon sets it on delivery) */
	uint8_t  pad[6];
	uint64_t pending_sel;     /* OUT bit i: evtchn_pending[i] has work */
	struct pv_vcpu_time time; /* OUT */
	uint64_t pad2[8];
};

struct pv_shared_info {
	struct pv_vcpu_info vcpu[PV_MAX_VCPUS];          /* 128 bytes each */
	uint64_t evtchn_pending[PV_NR_EVTCHN / 64];      /* OUT set by pvmon; guest clears */
	uint64_t evtchn_mask[PV_NR_EVTCHN / 64];         /* IN  guest's per-port mask */
	uint32_t wc_version;     /* OUT */
	uint32_t wc_nsec;        /* OUT */
	uint64_t wc_sec;         /* OUT */
	uint64_t domain_virt_time; /* OUT ns all vCPUs of the domain have run */
	uint64_t mem_target_pages; /* OUT balloon target (pvctl mem-set); VIRQ_BALLOON on change */
};

#endif
