/* LTTng-UST provider "pvmon": one event per function of hypervisor/src/trace.h,
 * field names equal to that file's parameter names. Compiled twice: into the
 * provider library (pvmon_tp.c, CREATE_PROBES) and into pvmon (trace.c,
 * DEFINE + PROBE_DYNAMIC_LINKAGE), so pvmon never links liblttng-ust. */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER pvmon

/* Found through -Itracing when tracepoint-event.h re-reads this header. */
#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "pvmon_tp.h"

#if !defined(PVMON_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define PVMON_TP_H

#include <stdint.h>
#include <lttng/tracepoint.h>
#include "pvlab/hypercalls.h"
#include "pvlab/xen_hypercalls.h"

/* Hypercall numbers carry their names (the ABI's list): readers that know
 * the enumeration print them, the number stays the field's value. */
#define PVMON_TP_HCALL(name, nr) lttng_ust_field_enum_value(#name, nr)
LTTNG_UST_TRACEPOINT_ENUM(pvmon, hypercall,
	LTTNG_UST_TP_ENUM_VALUES(
		PV_HYPERCALLS(PVMON_TP_HCALL)
	)
)

/* The five arguments travel as a pointer: one register at the call site,
 * read only by the probe, i.e. only when the event is enabled. */
LTTNG_UST_TRACEPOINT_EVENT(pvmon, hcall_entry,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, vcpu, uint32_t, nr,
		const uint64_t *, args),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, vcpu, vcpu)
		lttng_ust_field_enum(pvmon, hypercall, uint32_t, nr, nr)
		lttng_ust_field_integer(uint64_t, a0, args[0])
		lttng_ust_field_integer(uint64_t, a1, args[1])
		lttng_ust_field_integer(uint64_t, a2, args[2])
		lttng_ust_field_integer(uint64_t, a3, args[3])
		lttng_ust_field_integer(uint64_t, a4, args[4])
	)
)

LTTNG_UST_TRACEPOINT_EVENT(pvmon, hcall_exit,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, vcpu, uint32_t, nr,
		int64_t, result, uint64_t, latency_ns),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, vcpu, vcpu)
		lttng_ust_field_enum(pvmon, hypercall, uint32_t, nr, nr)
		lttng_ust_field_integer(int64_t, result, result)
		lttng_ust_field_integer(uint64_t, latency_ns, latency_ns)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(pvmon, hcall_reject,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, vcpu, uint32_t, nr,
		const char *, what, uint64_t, value, int32_t, err),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, vcpu, vcpu)
		lttng_ust_field_enum(pvmon, hypercall, uint32_t, nr, nr)
		lttng_ust_field_string(what, what)
		lttng_ust_field_integer(uint64_t, value, value)
		lttng_ust_field_integer(int32_t, err, err)
	)
)

/* A Linux PV domain's hypercalls by Xen's numbers (libxen-dev's xen.h):
 * events of their own with their own enumeration, so that a reader never
 * takes Xen's 3 (stack_switch) for pvlab's 3 (event_channel_op). Fields as
 * hcall_entry/hcall_exit's. */
#define PVMON_TP_XEN_HCALL(name, nr) lttng_ust_field_enum_value(#name, nr)
LTTNG_UST_TRACEPOINT_ENUM(pvmon, xen_hypercall,
	LTTNG_UST_TP_ENUM_VALUES(
		XEN_HYPERCALLS(PVMON_TP_XEN_HCALL)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(pvmon, xen_hcall_entry,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, vcpu, uint32_t, nr,
		const uint64_t *, args),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, vcpu, vcpu)
		lttng_ust_field_enum(pvmon, xen_hypercall, uint32_t, nr, nr)
		lttng_ust_field_integer(uint64_t, a0, args[0])
		lttng_ust_field_integer(uint64_t, a1, args[1])
		lttng_ust_field_integer(uint64_t, a2, args[2])
		lttng_ust_field_integer(uint64_t, a3, args[3])
		lttng_ust_field_integer(uint64_t, a4, args[4])
	)
)

LTTNG_UST_TRACEPOINT_EVENT(pvmon, xen_hcall_exit,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, vcpu, uint32_t, nr,
		int64_t, result, uint64_t, latency_ns),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, vcpu, vcpu)
		lttng_ust_field_enum(pvmon, xen_hypercall, uint32_t, nr, nr)
		lttng_ust_field_integer(int64_t, result, result)
		lttng_ust_field_integer(uint64_t, latency_ns, latency_ns)
	)
)

/* Xen's writable page tables: a Linux kernel's direct write into an entry
 * of one of its L1 tables, trapped (#PF on the read-only mapping) and
 * emulated. va: the address written; maddr: the entry's machine address
 * (its frame is maddr >> 12); old and new: the whole entry before and as
 * the write would leave it; err: 0 done, or the -errno that refused it
 * (then the write is the guest's #PF). */
LTTNG_UST_TRACEPOINT_EVENT(pvmon, xen_ptwr,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, vcpu, uint64_t, va,
		uint64_t, maddr, uint64_t, old, uint64_t, new, uint64_t, rip,
		int32_t, err),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, vcpu, vcpu)
		lttng_ust_field_integer_hex(uint64_t, va, va)
		lttng_ust_field_integer_hex(uint64_t, maddr, maddr)
		lttng_ust_field_integer_hex(uint64_t, old, old)
		lttng_ust_field_integer_hex(uint64_t, new, new)
		lttng_ust_field_integer_hex(uint64_t, rip, rip)
		lttng_ust_field_integer(int32_t, err, err)
	)
)

/* A Linux PV domain's exception, event upcall or system call delivered to
 * its kernel's handler in Xen's bounce frame. vector: the exception's
 * (0-255), 256 the event upcall, 257 a system call of a guest process;
 * what: the same in words. */
LTTNG_UST_TRACEPOINT_EVENT(pvmon, xen_bounce,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, vcpu, uint32_t, vector,
		uint64_t, rip, uint64_t, handler, const char *, what),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, vcpu, vcpu)
		lttng_ust_field_integer(uint32_t, vector, vector)
		lttng_ust_field_integer_hex(uint64_t, rip, rip)
		lttng_ust_field_integer_hex(uint64_t, handler, handler)
		lttng_ust_field_string(what, what)
	)
)

/* A privileged instruction of a Linux PV kernel that pvmon emulated (the
 * page-table writes are xen_ptwr): what is "rdmsr", "wrmsr", "mov from cr",
 * "mov to cr", "clts", "wbinvd", "cli", "sti", "in", "out" or "cpuid"
 * (Xen's forced-emulation prefix); value: the MSR, control register, port
 * or CPUID leaf, else 0. */
LTTNG_UST_TRACEPOINT_EVENT(pvmon, xen_emulate,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, vcpu, uint64_t, rip,
		const char *, what, uint64_t, value),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, vcpu, vcpu)
		lttng_ust_field_integer_hex(uint64_t, rip, rip)
		lttng_ust_field_string(what, what)
		lttng_ust_field_integer_hex(uint64_t, value, value)
	)
)

/* What a Linux PV domain's entry stub served itself, with no exit to
 * pvmon (its fast path): pvmon takes the records from the vCPU's ring at
 * its next exit, so an event's LTTng time is then; time_ns is when the
 * stub served it, on the same clock (CLOCK_MONOTONIC, from the guest's
 * TSC by the vCPU's pvclock), and tsc that TSC. what: "syscall",
 * "page_fault", "iret", "emulated", "set_segment_base", "stack_switch",
 * "mmu_update", "update_va_mapping", "baseptr", "ptwr", "tlb_flush_local",
 * "invlpg_local", "vcpu_op_absent", "singleshot_timer", "xen_version",
 * "xen_version_upcall", "event", "event_upcall" or "evtchn_send";
 * hypercall: Xen's number of the hypercall it was, or -1; bounce:
 * xen_bounce's vector of the frame it wrote the guest kernel (14, 256
 * an upcall, 257 a system call), or -1; arg0, arg1: the entry's rdi and
 * rsi (a hypercall's first two arguments; for a page fault, a trapped
 * page-table write among them, arg0 is the address). */
LTTNG_UST_TRACEPOINT_EVENT(pvmon, xen_stub,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, vcpu, const char *, what, int32_t, hypercall,
		int32_t, bounce, uint64_t, arg0, uint64_t, arg1, uint64_t, time_ns, uint64_t, tsc),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, vcpu, vcpu)
		lttng_ust_field_string(what, what)
		lttng_ust_field_integer(int32_t, hypercall, hypercall)
		lttng_ust_field_integer(int32_t, bounce, bounce)
		lttng_ust_field_integer_hex(uint64_t, arg0, arg0)
		lttng_ust_field_integer_hex(uint64_t, arg1, arg1)
		lttng_ust_field_integer(uint64_t, time_ns, time_ns)
		lttng_ust_field_integer(uint64_t, tsc, tsc)
	)
)

/* The block back end (Linux PV domains' virtual block devices): one
 * request answered, and one batch of answers pushed to a ring. dev:
 * Xen's device number (xvda 51712); op: BLKIF_OP_* (0 read, 1 write,
 * 2 barrier, 3 flush); sector, nsect: where and how many 512-byte
 * sectors; status: BLKIF_RSP_* (0 done, -1 error, -2 not supported);
 * latency_ns: from the request's taking to its answer (the interrupt
 * moderation's hold included). batch: requests answered at once. */
LTTNG_UST_TRACEPOINT_EVENT(pvmon, blk_request,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, dev, uint32_t, op,
		uint64_t, sector, uint32_t, nsect, int32_t, status, uint64_t, latency_ns),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, dev, dev)
		lttng_ust_field_integer(uint32_t, op, op)
		lttng_ust_field_integer(uint64_t, sector, sector)
		lttng_ust_field_integer(uint32_t, nsect, nsect)
		lttng_ust_field_integer(int32_t, status, status)
		lttng_ust_field_integer(uint64_t, latency_ns, latency_ns)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(pvmon, blk_batch,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, dev, uint32_t, batch, uint32_t, notified),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, dev, dev)
		lttng_ust_field_integer(uint32_t, batch, batch)
		lttng_ust_field_integer(uint32_t, notified, notified)
	)
)

/* The network back end (xen_netback.c): a packet from the guest's TX
 * ring written to its VIF's TAP device, one from the TAP copied into the
 * guest's RX ring (len: its bytes), and a batch of a ring answered (ring
 * 0 TX, 1 RX; batch packets; notified: an event sent to the guest). */
LTTNG_UST_TRACEPOINT_EVENT(pvmon, net_tx,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, vif, uint32_t, len),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, vif, vif)
		lttng_ust_field_integer(uint32_t, len, len)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(pvmon, net_rx,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, vif, uint32_t, len),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, vif, vif)
		lttng_ust_field_integer(uint32_t, len, len)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(pvmon, net_batch,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, vif, uint32_t, ring, uint32_t, batch, uint32_t, notified),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, vif, vif)
		lttng_ust_field_integer(uint32_t, ring, ring)
		lttng_ust_field_integer(uint32_t, batch, batch)
		lttng_ust_field_integer(uint32_t, notified, notified)
	)
)

/* The network back end's packet scheduler: a VIF's turn to transmit
 * (deferred 0), or a packet of it held back by its rate limit (1). */
LTTNG_UST_TRACEPOINT_EVENT(pvmon, net_sched,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, vif, uint32_t, deferred),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, vif, vif)
		lttng_ust_field_integer(uint32_t, deferred, deferred)
	)
)

/* The VFR (vfr.c): a packet crossing a VIF matched rule (its id) and
 * was accepted (action 0) or dropped (1); dir 0 from the guest, 1 to it. */
LTTNG_UST_TRACEPOINT_EVENT(pvmon, vfr,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, vif, uint32_t, dir, uint32_t, rule, uint32_t, action),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, vif, vif)
		lttng_ust_field_integer(uint32_t, dir, dir)
		lttng_ust_field_integer(uint32_t, rule, rule)
		lttng_ust_field_integer(uint32_t, action, action)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(pvmon, sched_switch,
	LTTNG_UST_TP_ARGS(uint32_t, cpu, int32_t, prev_dom, int32_t, prev_vcpu,
		int32_t, next_dom, int32_t, next_vcpu,
		const char *, reason, uint64_t, slice_ns),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, cpu, cpu)
		lttng_ust_field_integer(int32_t, prev_dom, prev_dom)
		lttng_ust_field_integer(int32_t, prev_vcpu, prev_vcpu)
		lttng_ust_field_integer(int32_t, next_dom, next_dom)
		lttng_ust_field_integer(int32_t, next_vcpu, next_vcpu)
		lttng_ust_field_string(reason, reason)
		lttng_ust_field_integer(uint64_t, slice_ns, slice_ns)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(pvmon, sched_wake,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, vcpu, const char *, why),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, vcpu, vcpu)
		lttng_ust_field_string(why, why)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(pvmon, evtchn_send,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, port,
		uint32_t, remote_dom, uint32_t, remote_port),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, port, port)
		lttng_ust_field_integer(uint32_t, remote_dom, remote_dom)
		lttng_ust_field_integer(uint32_t, remote_port, remote_port)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(pvmon, vm_exit,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, vcpu, uint32_t, kvm_reason,
		uint64_t, rip),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, vcpu, vcpu)
		lttng_ust_field_integer(uint32_t, kvm_reason, kvm_reason)
		lttng_ust_field_integer(uint64_t, rip, rip)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(pvmon, domain_create,
	LTTNG_UST_TP_ARGS(uint32_t, dom, const char *, name, uint64_t, mem_mib,
		uint32_t, vcpus),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_string(name, name)
		lttng_ust_field_integer(uint64_t, mem_mib, mem_mib)
		lttng_ust_field_integer(uint32_t, vcpus, vcpus)
	)
)

/* crashed is 0 or 1 (bool in trace.h; CTF has no boolean integer). */
LTTNG_UST_TRACEPOINT_EVENT(pvmon, domain_destroy,
	LTTNG_UST_TP_ARGS(uint32_t, dom, int32_t, exit_code, uint8_t, crashed),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(int32_t, exit_code, exit_code)
		lttng_ust_field_integer(uint8_t, crashed, crashed)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(pvmon, tlb_flush,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, vcpu, const char *, kind,
		uint64_t, addr),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, vcpu, vcpu)
		lttng_ust_field_string(kind, kind)
		lttng_ust_field_integer(uint64_t, addr, addr)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(pvmon, mmu_update,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, vcpu, uint32_t, size,
		uint32_t, applied, uint32_t, rejected,
		uint64_t, latency_ns),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, vcpu, vcpu)
		lttng_ust_field_integer(uint32_t, size, size)
		lttng_ust_field_integer(uint32_t, applied, applied)
		lttng_ust_field_integer(uint32_t, rejected, rejected)
		lttng_ust_field_integer(uint64_t, latency_ns, latency_ns)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(pvmon, page_flip,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, remote_dom, uint64_t, gfn,
		uint64_t, remote_gfn),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, remote_dom, remote_dom)
		lttng_ust_field_integer(uint64_t, gfn, gfn)
		lttng_ust_field_integer(uint64_t, remote_gfn, remote_gfn)
	)
)

/* The pvos network back end (pvnet.c). pvnet_rx: a packet of len bytes
 * delivered to dom, mode "flip" or "copy". pvnet_batch: responses pushed
 * at once (batch) and whether the guest was notified (0 or 1). */
LTTNG_UST_TRACEPOINT_EVENT(pvmon, pvnet_rx,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, len, const char *, mode),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, len, len)
		lttng_ust_field_string(mode, mode)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(pvmon, pvnet_batch,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, batch, uint8_t, notified),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, batch, batch)
		lttng_ust_field_integer(uint8_t, notified, notified)
	)
)

/* A grant copy by a back end of pvmon's (dom 0) into or out of remote_dom's
 * granted frame: bytes copied. */
LTTNG_UST_TRACEPOINT_EVENT(pvmon, grant_copy,
	LTTNG_UST_TP_ARGS(uint32_t, dom, uint32_t, remote_dom, uint32_t, bytes),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, dom, dom)
		lttng_ust_field_integer(uint32_t, remote_dom, remote_dom)
		lttng_ust_field_integer(uint32_t, bytes, bytes)
	)
)

#endif /* PVMON_TP_H */

#include <lttng/tracepoint-event.h>
