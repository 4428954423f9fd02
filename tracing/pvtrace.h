/* pvtrace internals: the reader turns babeltrace2 messages into flat event
 * records (struct pvt_ev, no strings formatted, no allocation per event),
 * and each command (summary, hist, export, timeline) consumes them. */
#ifndef PVTRACE_H
#define PVTRACE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* pvmon's events (tracing/pvmon_tp.h), and everything else as PVT_OTHER. */
enum pvt_kind {
	PVT_HCALL_ENTRY, PVT_HCALL_EXIT, PVT_HCALL_REJECT, PVT_SCHED_SWITCH,
	PVT_SCHED_WAKE, PVT_EVTCHN_SEND, PVT_VM_EXIT, PVT_DOMAIN_CREATE,
	PVT_DOMAIN_DESTROY, PVT_TLB_FLUSH, PVT_MMU_UPDATE, PVT_PAGE_FLIP,
	PVT_XEN_HCALL_ENTRY, PVT_XEN_HCALL_EXIT, PVT_XEN_PTWR, PVT_XEN_BOUNCE, PVT_XEN_EMULATE, PVT_XEN_STUB,
	PVT_BLK_REQUEST, PVT_BLK_BATCH, PVT_PVNET_RX, PVT_PVNET_BATCH, PVT_GRANT_COPY, PVT_NET_TX, PVT_NET_RX,
	PVT_NET_BATCH, PVT_NET_SCHED, PVT_VFR, PVT_OTHER, PVT_NR_KINDS
};

#define PVT_MAX_INTS 8

/* One field of an event kind: its name in the trace, and whether it is a
 * signed integer (stored two's complement in v[]) or the kind's string. */
struct pvt_field {
	const char *name;
	enum { PVT_U, PVT_S, PVT_STR } type;
};

struct pvt_kind_desc {
	const char *name;              /* "pvmon:hcall_exit" */
	int nints;                     /* integer fields, in v[] order */
	struct pvt_field ints[PVT_MAX_INTS];
	const char *str;               /* the string field, or NULL */
};
extern const struct pvt_kind_desc pvt_kinds[PVT_NR_KINDS];

/* Field slots in v[] per kind (the order of pvt_kinds[k].ints). */
enum { HE_DOM, HE_VCPU, HE_NR, HE_A0 };                       /* hcall_entry: a0..a4 */
enum { HX_DOM, HX_VCPU, HX_NR, HX_RESULT, HX_LATENCY };       /* hcall_exit */
enum { HR_DOM, HR_VCPU, HR_NR, HR_VALUE, HR_ERR };            /* hcall_reject; s = what */
enum { SS_CPU, SS_PREV_DOM, SS_PREV_VCPU, SS_NEXT_DOM, SS_NEXT_VCPU, SS_SLICE }; /* s = reason */
enum { SW_DOM, SW_VCPU };                                     /* sched_wake; s = why */
enum { ES_DOM, ES_PORT, ES_REMOTE_DOM, ES_REMOTE_PORT };      /* evtchn_send */
enum { VX_DOM, VX_VCPU, VX_REASON, VX_RIP };                  /* vm_exit */
enum { DC_DOM, DC_MEM_MIB, DC_VCPUS };                        /* domain_create; s = name */
enum { DD_DOM, DD_EXIT_CODE, DD_CRASHED };                    /* domain_destroy */
enum { TF_DOM, TF_VCPU, TF_ADDR };                            /* tlb_flush; s = kind */
enum { MU_DOM, MU_VCPU, MU_SIZE, MU_APPLIED, MU_REJECTED, MU_LATENCY }; /* mmu_update */
enum { PF_DOM, PF_REMOTE_DOM, PF_GFN, PF_REMOTE_GFN };        /* page_flip */
/* xen_hcall_entry and xen_hcall_exit: the slots of hcall_entry/hcall_exit. */
enum { XP_DOM, XP_VCPU, XP_VA, XP_MADDR, XP_OLD, XP_NEW, XP_RIP, XP_ERR };  /* xen_ptwr */
enum { XB_DOM, XB_VCPU, XB_VECTOR, XB_RIP, XB_HANDLER };       /* xen_bounce; s = what */
enum { XE_DOM, XE_VCPU, XE_RIP, XE_VALUE };                    /* xen_emulate; s = what */
enum { XS_DOM, XS_VCPU, XS_HYPERCALL, XS_BOUNCE, XS_ARG0, XS_ARG1, XS_TIME, XS_TSC };   /* xen_stub; s = what */
enum { BR_DOM, BR_DEV, BR_OP, BR_SECTOR, BR_NSECT, BR_STATUS, BR_LATENCY };   /* blk_request */
enum { BB_DOM, BB_DEV, BB_BATCH, BB_NOTIFIED };                /* blk_batch */
enum { NR_DOM, NR_LEN };                                       /* pvnet_rx; s = mode */
enum { PB_DOM, PB_BATCH, PB_NOTIFIED };                        /* pvnet_batch */
enum { GC_DOM, GC_REMOTE_DOM, GC_BYTES };                      /* grant_copy */
enum { NT_DOM, NT_VIF, NT_LEN };                                /* net_tx, net_rx */
enum { NB_DOM, NB_VIF, NB_RING, NB_BATCH, NB_NOTIFIED };        /* net_batch */
enum { NS_DOM, NS_VIF, NS_DEFERRED };                           /* net_sched */
enum { VF_DOM, VF_VIF, VF_DIR, VF_RULE, VF_ACTION };            /* vfr */
#define PVT_BOUNCE_UPCALL 256          /* xen_bounce's vector of an event upcall */
#define PVT_BOUNCE_SYSCALL 257         /* and of a guest process's system call */

/* One event. Valid only during the callback: s and name point into the
 * reader's buffers. */
struct pvt_ev {
	int64_t ts;                    /* ns from the clock's origin (Unix epoch for LTTng) */
	enum pvt_kind kind;
	int32_t cpu_id;                /* the stream's CPU (LTTng packet context), -1 if none */
	int32_t vpid;                  /* the process (vpid context, pvctl/pvmon sessions add it), -1 if none */
	const char *name;              /* event class name, e.g. "pvmon:hcall_exit" */
	uint64_t v[PVT_MAX_INTS];      /* integer fields; a field missing in the trace reads 0 */
	const char *s;                 /* the string field, "" if none */
};

/* What the reader saw besides events. */
struct pvt_totals {
	uint64_t events;               /* event messages delivered */
	uint64_t lost_events;          /* discarded events the tracer reported */
	uint64_t lost_packets;         /* discarded packets (lost whole) */
	int64_t first_ts, last_ts;     /* of the events; 0 when there are none */
	int streams;                   /* CTF data streams found */
	uint64_t skipped;              /* events of other processes (pvt_read's pid) */
	int npids;                     /* distinct vpids seen (up to PVT_MAX_PIDS) */
	int32_t pids[8];
};
#define PVT_MAX_PIDS 8

typedef int (*pvt_event_fn)(void *ctx, const struct pvt_ev *ev);

/* Read the CTF trace(s) under dir in time order, calling fn for every event
 * (a non-zero return stops the read and is returned); pid > 0: only the
 * events of that process (vpid context). Errors: -errno, with one line in
 * err naming the file when babeltrace2 says which. */
int pvt_read(const char *dir, int pid, pvt_event_fn fn, void *ctx, struct pvt_totals *tot,
             char *err, size_t n);

/* Hypercall keys: a pvlab hypercall's number as it is, a Xen one's
 * (xen_hcall_* events, a Linux PV domain) with PVT_XEN_HC added, so that
 * the two ABIs' equal numbers never meet in a count. */
#define PVT_XEN_HC ((uint64_t)1 << 32)
uint64_t pvt_hc_key(const struct pvt_ev *ev);    /* of an hcall or xen_hcall event */
bool pvt_is_hcall(enum pvt_kind k);              /* the events pvt_hc_key takes */

/* Names (pvtrace_names.c). A key's name: pvlab's ("mmu_update"), Xen's
 * with a prefix ("xen:mmu_update"); unknown numbers get "nr_N" or
 * "xen:nr_N" written into buf. */
const char *pvt_hcall_name(uint64_t key, char *buf, size_t n);
int64_t pvt_hcall_lookup(const char *name);      /* key, or -1 */
const char *pvt_exit_name(uint64_t reason, char *buf, size_t n);

/* ---- latency statistics (pvtrace_stats.c) ---------------------------- */

struct pvt_lat {
	uint64_t *v;
	size_t n, cap;
	uint64_t sum, max;
};
int pvt_lat_add(struct pvt_lat *l, uint64_t ns);
/* Append every sample of src to dst (for aggregates). */
int pvt_lat_merge(struct pvt_lat *dst, const struct pvt_lat *src);
void pvt_lat_free(struct pvt_lat *l);
/* Sorts l->v; then pvt_lat_pct gives the nearest-rank percentile. */
void pvt_lat_sort(struct pvt_lat *l);
uint64_t pvt_lat_pct(const struct pvt_lat *l, double p);

/* Log-2 histogram buckets: bucket 0 holds [0, 2) ns, bucket b >= 1 holds
 * [2^b, 2^(b+1)); the last one's upper bound saturates at UINT64_MAX. */
#define PVT_NR_BUCKETS 64
int pvt_bucket(uint64_t ns);
void pvt_bucket_bounds(int b, uint64_t *lo, uint64_t *hi_excl);

/* ---- the analysis behind `summary` (pvtrace_summary.c) --------------- */

#define PVT_DIRECT_NR 32               /* hypercall numbers kept in a direct table */

enum pvt_vstate { VS_UNKNOWN, VS_RUN, VS_WAIT, VS_BLOCK, VS_LEFT, VS_DEAD };

struct pvt_vcpu {
	enum pvt_vstate state;
	int64_t since;                 /* when state began */
	int64_t last_seen;             /* last event of this vCPU while it ran */
	int cpu;                       /* slot while running, -1 otherwise */
	uint64_t run_ns, wait_ns, blocked_ns;
	uint64_t switches, blocks, wakes, inferred_leaves;
};

struct pvt_hc {                        /* one hypercall number in one domain */
	uint64_t nr;
	uint64_t entries, errors, rejects;
	uint64_t stub;                 /* served by a Linux PV domain's entry stub (xen_stub): no latency */
	struct pvt_lat lat;            /* from hcall_exit: count = lat.n */
};

struct pvt_kindcount { char *kind; uint64_t count; };

struct pvt_dom {
	uint32_t id;
	char name[64];
	bool created, destroyed, crashed;
	int64_t exit_code;
	uint64_t mem_mib, nvcpus_cfg;
	struct pvt_hc direct[PVT_DIRECT_NR];
	struct pvt_hc *other;          /* numbers >= PVT_DIRECT_NR */
	size_t nother;
	struct pvt_vcpu *vcpu;
	size_t nvcpu;
	uint64_t vm_exits, events_sent, page_flips_out, page_flips_in;
	uint64_t tlb_flushes, mmu_batches, mmu_entries, mmu_applied, mmu_rejected;
	uint64_t ptwr, ptwr_refused;   /* xen_ptwr: emulated page-table writes, of them refused */
	uint64_t bounces[PVT_BOUNCE_SYSCALL + 1];   /* xen_bounce by vector */
	uint64_t emulated;             /* xen_emulate */
	uint64_t stub_ops;             /* xen_stub: what the entry stub served (also counted above, where it is one) */
	struct pvt_kindcount *stub_kinds;   /* xen_stub by what, first seen first */
	size_t nstub_kinds;
	struct pvt_kindcount *emul_kinds;   /* xen_emulate by what, first seen first */
	size_t nemul_kinds;
	struct pvt_kindcount *tlb_kinds;
	size_t ntlb_kinds;
	struct pvt_lat mmu_lat;
	/* The block back end: requests (sectors read and written, errors,
	 * latency from the batch's taking), batches and events to the guest. */
	uint64_t blk_requests, blk_read, blk_written, blk_errors, blk_batches, blk_notified;
	struct pvt_lat blk_lat;
	/* The pvos network back end (pvnet_rx, pvnet_batch) of this domain:
	 * packets by mode, their bytes, response batches and events sent; grant
	 * copies this domain made (domain 0: pvmon's back ends) and their bytes. */
	uint64_t pvnet_flipped, pvnet_copied, pvnet_bytes, pvnet_batches, pvnet_batched, pvnet_notified;
	uint64_t grant_copies, grant_copy_bytes;
	/* The network back end: packets and bytes each way, each ring's
	 * batches (packets answered) and events to the guest, the packet
	 * scheduler's turns and deferrals, the VFR's decisions. */
	uint64_t net_tx, net_tx_bytes, net_rx, net_rx_bytes;
	uint64_t net_batches[2], net_batched[2], net_events[2];   /* [0] TX ring, [1] RX ring */
	uint64_t net_turns, net_deferred, vfr_accepted, vfr_dropped;
};

struct pvt_slot {                      /* a pvmon run slot ("cpu" of sched_switch) */
	bool busy;
	uint32_t dom, vcpu;
	int64_t since;
	const char *in_reason;         /* static: interned by pvt_intern */
};

/* Called for every interval a vCPU held a slot (timeline). */
typedef void (*pvt_interval_fn)(void *ctx, int cpu, uint32_t dom, uint32_t vcpu, int64_t start,
                                int64_t end, const char *in_reason, const char *out_reason);

struct pvt_summary {
	struct pvt_dom **doms;         /* hash table by id, open addressing */
	size_t ndoms, cap;
	struct pvt_dom *last;          /* last looked up: most events repeat the domain */
	struct pvt_slot *slots;
	int nslots;
	uint64_t kind_count[PVT_NR_KINDS];
	uint64_t exit_reasons[64];     /* KVM exit reasons 0..62; 63: larger */
	uint64_t other_named;          /* events that are not pvmon's */
	int64_t first_ts, last_ts;
	pvt_interval_fn on_interval;
	void *interval_ctx;
	int error;                     /* -ENOMEM while adding, reported at the end */
};

void pvt_summary_init(struct pvt_summary *s);
int pvt_summary_event(void *s, const struct pvt_ev *ev);   /* a pvt_event_fn */
/* Close open intervals at the end of the trace (ts: its last event). */
void pvt_summary_finish(struct pvt_summary *s, int64_t ts);
void pvt_summary_free(struct pvt_summary *s);
struct pvt_dom *pvt_summary_dom(struct pvt_summary *s, uint32_t id);    /* find or add */
/* Domains by id, for printing: fills a malloc'd array, returns the count. */
size_t pvt_summary_sorted(const struct pvt_summary *s, struct pvt_dom ***out);
struct pvt_hc *pvt_dom_hc(struct pvt_dom *d, uint64_t nr);   /* find or add */
/* Interns the few distinct reason strings (static storage, never freed). */
const char *pvt_intern(const char *s);

/* Writers (pvtrace_report.c). */
int pvt_summary_print(struct pvt_summary *s, const struct pvt_totals *t, const char *dir, FILE *f);
int pvt_summary_json(struct pvt_summary *s, const struct pvt_totals *t, const char *dir, FILE *f);

/* ---- export (pvtrace_export.c) --------------------------------------- */

/* The columns of an exported row, in order: see docs/tracing.md. */
int pvt_export_ncols(void);
const char *pvt_export_col(int i);
/* Column index of field slot j of kind k (or of its string when j == -1). */
int pvt_export_col_of(enum pvt_kind k, int j);

/* Every event a row, into a CSV file ("-": stdout) or an SQLite database
 * (table events, replaced if it exists). pvt_export_event is a
 * pvt_event_fn; close writes the trace_info table and reports errors. */
struct pvt_export;
struct pvt_export *pvt_export_open(const char *path, bool sqlite, char *err, size_t n);
int pvt_export_event(void *x, const struct pvt_ev *ev);
int pvt_export_close(struct pvt_export *x, const struct pvt_totals *t, const char *dir, char *err, size_t n);
uint64_t pvt_export_rows(const struct pvt_export *x);

/* Writes the decimal form of v into buf (at least 21 bytes); returns the
 * length. The CSV writer's hot path, without printf. */
int pvt_u64toa(uint64_t v, char *buf);
int pvt_i64toa(int64_t v, char *buf);
#endif
