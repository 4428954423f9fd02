/* The Xen-mode entry stub: the only code at a Linux PV domain's CPL0.
 * Every exception and the event vector enter it through pvmon's IDT on
 * the vCPU's stub stack, every `syscall` (a hypercall from the guest
 * kernel, a system call from its processes) through the vCPU's LSTAR
 * trampoline, which builds the same frame on that stack. The slow path
 * exits to pvmon on XEN_ENTRY_PORT with the frame below on that stack,
 * and when pvmon lets the vCPU go on it loads the CR3 pvmon left in the
 * vCPU's cell (a full TLB flush: CR4.PGE is off) and irets to whatever
 * pvmon wrote into the frame. The fast path serves these entries
 * itself, as Xen does them, from what pvmon keeps in the cells and in
 * the domain's page: a system call of a guest process (bounced to the
 * kernel's syscall callback), a page fault that cannot be a write to a
 * page table (bounced to the kernel's handler), the iret,
 * set_segment_base and stack_switch hypercalls, vcpu_op on a vCPU the
 * domain does not have, the kernel's port I/O and cli/sti (emulated as
 * pvmon does them), and under the page-type lock it shares with pvmon a
 * one-entry L1 or L2 mmu_update, an update_va_mapping without a flush,
 * mmuext_op's base-pointer pair and the kernel's direct write into an
 * L1 (xchg, mov, and/or of a byte: Xen's writable page tables), and a
 * single mmuext_op TLB_FLUSH_LOCAL or INVLPG_LOCAL, an
 * EVTCHNOP_send to a back end of pvmon's that has a doorbell (XD_BELLS),
 * and xen_version(XENVER_version), with the event upcall it forces
 * where an event is pending and unmasked (Linux's way to get one);
 * anything it finds unusual, and any fault while it touches guest
 * memory, abandons it for the slow path with the frame as it came in.
 * Shared by xen_entry.S and the Xen files. */
#ifndef PVMON_XEN_ENTRY_H
#define PVMON_XEN_ENTRY_H

/* L4 slot 257 of every address space of the domain (inside Xen's range,
 * 256..271, which no guest entry can name), supervisor-only. */
#define XS_L4_SLOT     257
#define XS_VA          0xffff808000000000
#define XS_CODE_VA     XS_VA                 /* the stub, read-only pages */
#define XS_CODE_PAGES  4
#define XS_CODE_SIZE   (XS_CODE_PAGES * 0x1000)   /* a power of two: the stub finds its offset with a mask */
#define XS_DESC_VA     (XS_VA + 0xd000)      /* GDTs, TSSs, IDT: one read-only page */
#define XS_VINFO_VA(n) (XS_VA + 0x4000 + (n) * 0x1000)   /* per vCPU: the frame of its vcpu_info */
#define XS_GDT_OFF(n)  ((n) * 0x80)
#define XS_TSS_OFF(n)  (0x400 + (n) * 0x80)
#define XS_IDT_OFF     0x800
#define XS_MAX_VCPUS   8
#define XS_DOM_VA      (XS_VA + 0xc000)      /* the domain's page: the page-type lock, the frame count */
#define XS_BLOCK_VA(n) (XS_VA + 0x10000 + (n) * 0x2000)   /* per vCPU: two writable pages, 8 KiB aligned */
/* Per vCPU: a writable page, the ring of what the fast path served while
 * an LTTng session records pvmon:xen_stub (XC_T_*): XS_TRACE_RECS
 * records of 4 words: the guest's TSC; the kind (XT_*) in bits 0-7 and
 * the entry's vector in bits 8-15; the first argument (the fault's
 * address for a page fault); the second. pvmon drains it at every exit. */
#define XS_TRACE_VA(n) (XS_VA + 0x20000 + (n) * 0x1000)
#define XS_TRACE_RECS  128
#define XS_TRACE_REC   32
/* xen_mm's page array (16 bytes a frame) and the domain's RAM, both
 * supervisor-only, for the stub's one-entry mmu_update (absent for a
 * domain over 256 GiB, whose stub leaves it to pvmon). */
#define XS_PG_VA       (XS_VA + (1ULL << 30))
#define XS_RAM_VA      (XS_VA + (256ULL << 30))
#define XS_MAX_MAPPED_FRAMES (1ULL << 26)
/* Words of the domain's page. XD_LOCK is 0, a vCPU's number + 1 (its
 * stub holds it) or XD_PVMON (pvmon: xen_lock); the stub only tries it.
 * XD_FRAMES: the domain's RAM frames while the stub may update page
 * types, 0 when it may not (shadow paging, an inconsistent count).
 * XD_CLOCK: xen_mm's TLB clock, which stamps a frame whose last
 * writable mapping goes. */
#define XD_LOCK        0
#define XD_FRAMES      1
#define XD_CLOCK       2   /* xen_mm's TLB clock (xen_tlb.c) */
#define XD_VCPUS       3   /* the domain's vCPUs: vcpu_op on any other is -ENOENT */
#define XD_LAPIC       4   /* 1: KVM's local APIC in x2APIC mode: the stub ends the event vector with an EOI */
#define XD_NESTED      5   /* the event vector delivered inside the stub (sent again: xen_entry.S's xs_event) */
#define XD_BELLS       8   /* 8..23: a back end's event port (0: none) whose EVTCHNOP_send the stub serves by an
                            * `out` to XS_BELL_PORT + i, which KVM turns into a write of the back end's eventfd */
#define XS_MAX_BELLS   16
#define XS_BELL_PORT   0x510
#define XD_PVMON       0x100
/* struct xmm_page as the stub reads it (xen_domain.c checks these) */
#define XS_PG_SIZE     16
#define XS_PG_TYPE     0
#define XS_PG_OUT      2
#define XS_PG_COUNT    4
#define XS_PG_WSTAMP   8
#define XS_XMM_WRITABLE 1
#define XS_XMM_L1      2
#define XS_XMM_L2      3
#define XS_XMM_L4      5
#define XS_L1_DISALLOW 0x7ff0000000000098   /* xen_mm.h's XMM_L1_DISALLOW */
#define XS_LN_DISALLOW 0x7ff0000000000198   /* and xen_mm.c's LN_DISALLOW (no superpage, no global) */
#define XS_BLOCK_MASK  0x1fff
#define XS_RSP0_OFF    0x1c00               /* TSS.RSP0 in the block; the cells above it */
#define XS_EVENT_VECTOR 32
#define XS_MSR_X2APIC_EOI 0x80b
#define XS_MSR_X2APIC_SELF_IPI 0x83f
#define XS_NR_VECTORS  33
#define XS_SYSCALL_VECTOR 34                /* no IDT vector: the mark of the LSTAR trampolines' frames */
#define XEN_ENTRY_PORT 0xE3
#define XS_STOP_PORT   0xE4                 /* XC_STOP's exits (a test's) */

/* The frame at the `out`, from rsp up (8-byte words), then the cells. */
#define XF_CR2    0
#define XF_RAX    1
#define XF_VEC    2
#define XF_ERR    3
#define XF_RIP    4
#define XF_CS     5
#define XF_RFLAGS 6
#define XF_RSP    7
#define XF_SS     8
#define XF_WORDS  9

/* The vCPU's cells, 8-byte words from RSP0 up (96 of them). pvmon writes
 * what the fast path reads before every KVM_RUN (xen_cells_out) and reads
 * back what it changes after (xen_cells_in). */
#define XC_CR3      0    /* the CR3 the stub loads before its slow-path iret: the mode's L4 */
#define XC_SCRATCH  1    /* the trampoline keeps the guest's rsp here */
#define XC_FAST     2    /* 1: the fast path is on */
#define XC_USER     3    /* 1: guest user mode (the fast path changes it) */
#define XC_KCR3     4    /* the kernel's L4 and the user's (0: none), as CR3 values */
#define XC_UCR3     5
#define XC_KSP      6    /* stack_switch's kernel stack (0: none; the fast path changes it) */
#define XC_CB_SYSCALL 7  /* the syscall callback (0: none) */
#define XC_SYSCALL_MASK 8   /* 1: it masks events */
#define XC_PF       9    /* the #PF handler of the trap table (0: none) */
#define XC_PF_MASK  10   /* 1: it masks events */
#define XC_VI       11   /* the vcpu_info, through XS_VINFO_VA */
#define XC_FLUSH    12   /* 1: a TLB flush is owed: take the slow path */
#define XC_SAVE     13   /* 13..15: rdx, rsi, rdi while the fast path runs */
#define XC_N_SYSCALL 16  /* what the fast path served (the stub's counts) */
#define XC_N_PF     17
#define XC_N_IRET   18
#define XC_N_EMUL   19   /* port I/O, cli and sti emulated */
#define XC_IRET     20   /* 20..28: the iret frame read from the guest (rax r11 rcx flags rip cs rflags rsp ss) */
#define XC_IOPL     29   /* 1: the kernel's virtual IOPL lets it run cli/sti (no-ops) */
#define XC_EMUL_RAX 30   /* rax after the instruction the fast path emulates */
#define XC_N_SEGBASE 31  /* set_segment_base hypercalls served */
#define XC_N_STACK  32   /* stack_switch hypercalls served */
#define XC_N_MMU    33   /* mmu_update entries and update_va_mappings served */
#define XC_ID       34   /* the vCPU's number + 1: its value of XD_LOCK */
/* 35..40: the stub's mmu_update as it commits it, absolute values that
 * pvmon writes again if it finds the vCPU stopped in the commit
 * (xen_trap.c): the entry's machine address and value, the new frame's
 * number + 1 (0: none) and the first 8 bytes of its xmm_page, the same
 * for the old frame. */
#define XC_MMU_PTR  35
#define XC_MMU_VAL  36
#define XC_MMU_NF   37
#define XC_MMU_NW   38
#define XC_MMU_OF   39
#define XC_MMU_OW   40
#define XC_STOP     41   /* a test's (PVLAB_XEN_STUB_STOP): 1 stop under the lock, 2 at the commit */
#define XC_MMU_OSTAMP 42 /* 1: the old frame's last writable reference goes: its wstamp is the TLB clock */
#define XC_N_BASE   43   /* base-pointer pairs served */
#define XC_BF       44   /* 44..51: the base pointers' four (frame + 1, xmm_page word) pairs, as XC_MMU_NF/NW */
#define XC_BW       45
#define XC_BK       52   /* the new kernel and user L4s, as CR3 values */
#define XC_BU       53
#define XC_SAVE_RCX 54   /* rcx and r11 while the fast path runs (with XC_SAVE) */
#define XC_SAVE_R11 55
#define XC_MMU_OLD  56   /* the entry the update replaces, as read under the lock: the commit's cmpxchg expects it */
#define XC_PT_KIND  57   /* a direct page-table write: its opcode (0x87 xchg, 0x89 mov, 0xc7 mov imm32; 0x80 with its /1 or /4 in bits 8-10) */
#define XC_PT_LEN   58   /* its length */
#define XC_PT_REG   59   /* its register operand's number */
#define XC_PT_SRC   60   /* the value it writes (0x80: the immediate byte) */
#define XC_PT_FL    61   /* 0x80: the flags its and/or sets */
#define XC_N_PTWR   62   /* direct page-table writes emulated */
#define XC_N_VCPUOP 63   /* vcpu_op calls on vCPUs the domain does not have */
#define XC_N_FLUSH  80   /* mmuext_op TLB_FLUSH_LOCAL and INVLPG_LOCAL served */
#define XC_FLUSHED  81   /* the TLB clock the stub's last TLB_FLUSH_LOCAL advanced to (xen_tlb.c) */
#define XC_MMU_AD   82   /* 1: the update keeps the old entry's accessed and dirty bits (MMU_PT_UPDATE_PRESERVE_AD) */
#define XC_TIMER    83   /* the vCPU's one-shot timer, system ns (0: none), as pvmon's xen_vcpu.timer_ns (xen_timer.c) */
#define XC_TIMER_WATCH 84   /* pvmon's watcher looks at XC_TIMER again by this time: the stub sets no earlier one */
#define XC_N_TIMER  85   /* vcpu_op set_singleshot_timer and stop_singleshot_timer served */
#define XC_MMU_I    86   /* the entries of an mmu_update batch the stub has done; pvmon serves the rest from there */
#define XC_N_BATCH  87   /* mmu_update batches (more than one entry) the stub served whole */
#define XC_N_BELL   88   /* EVTCHNOP_send on a back end's port served by its doorbell */
#define XC_CB_EVENT 89   /* the event callback (0: none) */
#define XC_N_VERSION 90  /* xen_version(XENVER_version) served */
#define XC_N_UPCALL 91   /* of them, with an event upcall (Linux's forced callback) */
#define XC_N_EVENT  92   /* the event vector taken in the stub (XS_EVENT_VECTOR) */
#define XC_N_EVUP   93   /* of them, with an event upcall */
#define XC_GPR      64   /* 64..79: the guest's registers by their number in an instruction (rsp's unused), while a write is emulated */
#define XC_T_RING   94   /* the vCPU's trace ring (XS_TRACE_VA) */
#define XC_T_HEAD   95   /* the records the stub has written (it alone changes it) */
#define XC_T_LIMIT  96   /* 0: no tracing; else the head the ring is full at (pvmon's drained count + XS_TRACE_RECS) */
#define XC_T_KIND   97   /* what the entry being served is (XT_*), set at its commit */
#define XC_WORDS    128

/* The kinds of the trace ring's records (xen_trap.c's stub_kinds). */
#define XT_SYSCALL   1
#define XT_PF        2
#define XT_IRET      3
#define XT_EMUL      4
#define XT_SEGBASE   5
#define XT_STACK     6
#define XT_MMU       7
#define XT_UVM       8
#define XT_BASE      9
#define XT_PTWR      10
#define XT_FLUSH     11
#define XT_INVLPG    12
#define XT_VCPUOP    13
#define XT_TIMER     14
#define XT_VERSION   15
#define XT_UPCALL    16
#define XT_EVENT     17
#define XT_EVUP      18
#define XT_BELL      19
#define XT_KINDS     20
#define XF_CELL(c) (XF_WORDS + (c))   /* a cell's word from the frame */

/* Xen's numbers the stub needs (xen_trap.c checks them against libxen-dev's). */
#define XS_HYPERVISOR_IRET 23
#define XS_HYPERVISOR_MMU_UPDATE 1
#define XS_HYPERVISOR_UPDATE_VA_MAPPING 14
#define XS_HYPERVISOR_MMUEXT_OP 26
#define XS_MMUEXT_NEW_BASEPTR 5
#define XS_MMUEXT_NEW_USER_BASEPTR 15
#define XS_MMUEXT_TLB_FLUSH_LOCAL 6
#define XS_MMUEXT_INVLPG_LOCAL 7
#define XS_MMUEXT_SIZE 24                /* struct mmuext_op: cmd, arg1 at 8 */
#define XS_HV_FIRST_SLOT 256             /* Xen's L4 slots (xen_mm.h's XMM_HV_FIRST, _LAST) */
#define XS_HV_LAST_SLOT  271
#define XS_DOMID_SELF 0x7ff0
#define XS_MAX_BATCH 4096                /* pvmon's bound on mmu_update and mmuext_op batches (no continuations) */
#define XS_HYPERVISOR_STACK_SWITCH 3
#define XS_HYPERVISOR_VCPU_OP 24
#define XS_ENOENT 2
#define XS_VCPUOP_SET_SINGLESHOT_TIMER 8
#define XS_VCPUOP_STOP_SINGLESHOT_TIMER 9
#define XS_HYPERVISOR_SET_SEGMENT_BASE 25
#define XS_HYPERVISOR_EVENT_CHANNEL_OP 32
#define XS_HYPERVISOR_XEN_VERSION 17
#define XS_XENVER_VERSION 0
#define XS_XEN_VERSION ((4 << 16) | 17)   /* what pvmon's xen_version answers */
#define XS_EVTCHNOP_SEND 4
#define XS_SEGBASE_FS          0
#define XS_SEGBASE_GS_USER     1
#define XS_SEGBASE_GS_KERNEL   2
#define XS_SEGBASE_GS_USER_SEL 3
#define XS_MSR_FS_BASE         0xc0000100
#define XS_MSR_GS_BASE         0xc0000101
#define XS_MSR_SHADOW_GS_BASE  0xc0000102   /* the other mode's GS base (swapgs) */
#define XS_VGCF_IN_SYSCALL 0x100
#define XS_FLAT_USER_CS  0xe033
#define XS_FLAT_KERNEL_CS_RPL0 0xe030   /* FLAT_KERNEL_CS & ~3, as a bounce frame carries it */
#define XS_FLAT_SS       0xe02b
#define XS_VI_PENDING    0          /* offsets in struct vcpu_info */
#define XS_VI_MASK       1
#define XS_VI_CR2        16
#endif
