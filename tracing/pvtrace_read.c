/* pvtrace's CTF reader on libbabeltrace2: source.ctf.fs (one component for
 * every trace found under the directory) -> filter.utils.muxer (time order
 * across streams) -> a simple sink that decodes each event into a flat
 * struct pvt_ev. Field positions are resolved once per event class, so the
 * per-event work is a few borrow calls and integer reads. */
#include <babeltrace2/babeltrace.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pvtrace.h"

const struct pvt_kind_desc pvt_kinds[PVT_NR_KINDS] = {
	[PVT_HCALL_ENTRY] = { "pvmon:hcall_entry", 8, { { "dom", PVT_U }, { "vcpu", PVT_U }, { "nr", PVT_U },
		{ "a0", PVT_U }, { "a1", PVT_U }, { "a2", PVT_U }, { "a3", PVT_U }, { "a4", PVT_U } }, NULL },
	[PVT_HCALL_EXIT] = { "pvmon:hcall_exit", 5, { { "dom", PVT_U }, { "vcpu", PVT_U }, { "nr", PVT_U },
		{ "result", PVT_S }, { "latency_ns", PVT_U } }, NULL },
	[PVT_HCALL_REJECT] = { "pvmon:hcall_reject", 5, { { "dom", PVT_U }, { "vcpu", PVT_U }, { "nr", PVT_U },
		{ "value", PVT_U }, { "err", PVT_S } }, "what" },
	[PVT_SCHED_SWITCH] = { "pvmon:sched_switch", 6, { { "cpu", PVT_U }, { "prev_dom", PVT_S },
		{ "prev_vcpu", PVT_S }, { "next_dom", PVT_S }, { "next_vcpu", PVT_S }, { "slice_ns", PVT_U } },
		"reason" },
	[PVT_SCHED_WAKE] = { "pvmon:sched_wake", 2, { { "dom", PVT_U }, { "vcpu", PVT_U } }, "why" },
	[PVT_EVTCHN_SEND] = { "pvmon:evtchn_send", 4, { { "dom", PVT_U }, { "port", PVT_U },
		{ "remote_dom", PVT_U }, { "remote_port", PVT_U } }, NULL },
	[PVT_VM_EXIT] = { "pvmon:vm_exit", 4, { { "dom", PVT_U }, { "vcpu", PVT_U }, { "kvm_reason", PVT_U },
		{ "rip", PVT_U } }, NULL },
	[PVT_DOMAIN_CREATE] = { "pvmon:domain_create", 3, { { "dom", PVT_U }, { "mem_mib", PVT_U },
		{ "vcpus", PVT_U } }, "name" },
	[PVT_DOMAIN_DESTROY] = { "pvmon:domain_destroy", 3, { { "dom", PVT_U }, { "exit_code", PVT_S },
		{ "crashed", PVT_U } }, NULL },
	[PVT_TLB_FLUSH] = { "pvmon:tlb_flush", 3, { { "dom", PVT_U }, { "vcpu", PVT_U }, { "addr", PVT_U } },
		"kind" },
	[PVT_MMU_UPDATE] = { "pvmon:mmu_update", 6, { { "dom", PVT_U }, { "vcpu", PVT_U }, { "size", PVT_U },
		{ "applied", PVT_U }, { "rejected", PVT_U }, { "latency_ns", PVT_U } }, NULL },
	[PVT_PAGE_FLIP] = { "pvmon:page_flip", 4, { { "dom", PVT_U }, { "remote_dom", PVT_U }, { "gfn", PVT_U },
		{ "remote_gfn", PVT_U } }, NULL },
	[PVT_XEN_HCALL_ENTRY] = { "pvmon:xen_hcall_entry", 8, { { "dom", PVT_U }, { "vcpu", PVT_U },
		{ "nr", PVT_U }, { "a0", PVT_U }, { "a1", PVT_U }, { "a2", PVT_U }, { "a3", PVT_U }, { "a4", PVT_U } },
		NULL },
	[PVT_XEN_HCALL_EXIT] = { "pvmon:xen_hcall_exit", 5, { { "dom", PVT_U }, { "vcpu", PVT_U }, { "nr", PVT_U },
		{ "result", PVT_S }, { "latency_ns", PVT_U } }, NULL },
	[PVT_XEN_PTWR] = { "pvmon:xen_ptwr", 8, { { "dom", PVT_U }, { "vcpu", PVT_U }, { "va", PVT_U },
		{ "maddr", PVT_U }, { "old", PVT_U }, { "new", PVT_U }, { "rip", PVT_U }, { "err", PVT_S } }, NULL },
	[PVT_XEN_BOUNCE] = { "pvmon:xen_bounce", 5, { { "dom", PVT_U }, { "vcpu", PVT_U }, { "vector", PVT_U },
		{ "rip", PVT_U }, { "handler", PVT_U } }, "what" },
	[PVT_XEN_EMULATE] = { "pvmon:xen_emulate", 4, { { "dom", PVT_U }, { "vcpu", PVT_U }, { "rip", PVT_U },
		{ "value", PVT_U } }, "what" },
	[PVT_XEN_STUB] = { "pvmon:xen_stub", 8, { { "dom", PVT_U }, { "vcpu", PVT_U }, { "hypercall", PVT_S },
		{ "bounce", PVT_S }, { "arg0", PVT_U }, { "arg1", PVT_U }, { "time_ns", PVT_U }, { "tsc", PVT_U } },
		"what" },
	[PVT_BLK_REQUEST] = { "pvmon:blk_request", 7, { { "dom", PVT_U }, { "dev", PVT_U }, { "op", PVT_U },
		{ "sector", PVT_U }, { "nsect", PVT_U }, { "status", PVT_S }, { "latency_ns", PVT_U } }, NULL },
	[PVT_BLK_BATCH] = { "pvmon:blk_batch", 4, { { "dom", PVT_U }, { "dev", PVT_U }, { "batch", PVT_U },
		{ "notified", PVT_U } }, NULL },
	[PVT_PVNET_RX] = { "pvmon:pvnet_rx", 2, { { "dom", PVT_U }, { "len", PVT_U } }, "mode" },
	[PVT_PVNET_BATCH] = { "pvmon:pvnet_batch", 3, { { "dom", PVT_U }, { "batch", PVT_U }, { "notified", PVT_U } },
		NULL },
	[PVT_GRANT_COPY] = { "pvmon:grant_copy", 3, { { "dom", PVT_U }, { "remote_dom", PVT_U }, { "bytes", PVT_U } },
		NULL },
	[PVT_NET_TX] = { "pvmon:net_tx", 3, { { "dom", PVT_U }, { "vif", PVT_U }, { "len", PVT_U } }, NULL },
	[PVT_NET_RX] = { "pvmon:net_rx", 3, { { "dom", PVT_U }, { "vif", PVT_U }, { "len", PVT_U } }, NULL },
	[PVT_NET_BATCH] = { "pvmon:net_batch", 5, { { "dom", PVT_U }, { "vif", PVT_U }, { "ring", PVT_U },
		{ "batch", PVT_U }, { "notified", PVT_U } }, NULL },
	[PVT_NET_SCHED] = { "pvmon:net_sched", 3, { { "dom", PVT_U }, { "vif", PVT_U }, { "deferred", PVT_U } }, NULL },
	[PVT_VFR] = { "pvmon:vfr", 5, { { "dom", PVT_U }, { "vif", PVT_U }, { "dir", PVT_U }, { "rule", PVT_U },
		{ "action", PVT_U } }, NULL },
	[PVT_OTHER] = { "other", 0, { { 0 } }, NULL },
};

/* ---- finding the traces ------------------------------------------------ */

#define MAX_TRACES 64
#define MAX_DEPTH 8

struct found {
	char *dirs[MAX_TRACES];
	int n;
	char first_problem[4400];
};

static bool is_file(const char *path, off_t *size)
{
	struct stat st;
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return false;
	*size = st.st_size;
	return true;
}

/* ---- checks babeltrace2 does not make (or makes by hanging) ------------- */

#define META_MAGIC 0x75d11d57u
#define META_HDR 37                    /* packetized metadata header bytes */
#define INDEX_MAGIC 0xc1f1dcc1u

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t be64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static unsigned char *slurp(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	unsigned char *buf = malloc(max);
	*len = buf ? fread(buf, 1, max, f) : 0;
	fclose(f);
	return buf;
}

/* Braces of TSDL text outside strings and comments: a text cut short ends
 * inside a declaration. */
static int tsdl_depth(const unsigned char *t, size_t n, int depth, int *in)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = t[i];
		if (*in == 1) {                        /* string */
			if (c == '\\')
				i++;
			else if (c == '"')
				*in = 0;
		} else if (*in == 2) {                 /* comment */
			if (c == '*' && i + 1 < n && t[i + 1] == '/')
				*in = 0, i++;
		} else if (c == '"') {
			*in = 1;
		} else if (c == '/' && i + 1 < n && t[i + 1] == '*') {
			*in = 2, i++;
		} else if (c == '{') {
			depth++;
		} else if (c == '}') {
			depth--;
		}
	}
	return depth;
}

/* babeltrace2 2.0 spins forever on a metadata file cut inside a packet, so
 * pvtrace checks the packets (and the TSDL text's nesting) first. */
static int check_metadata(const char *path, char *err, size_t n)
{
	size_t len;
	unsigned char *d = slurp(path, 64 << 20, &len);
	if (!d)
		return snprintf(err, n, "%s: %s", path, strerror(errno)), -errno;
	int depth = 0, in = 0, rc = 0;
	if (len >= 4 && le32(d) == META_MAGIC) {
		for (size_t off = 0; off < len && !rc;) {
			if (len - off < META_HDR || le32(d + off) != META_MAGIC) {
				rc = (snprintf(err, n, "%s: truncated or damaged: no metadata packet header at byte %zu "
				              "of %zu", path, off, len), -EINVAL);
				break;
			}
			size_t content = le32(d + off + 24) / 8, packet = le32(d + off + 28) / 8;
			if (packet < META_HDR || content > packet || content < META_HDR) {
				rc = (snprintf(err, n, "%s: damaged metadata packet at byte %zu", path, off), -EINVAL);
			} else if (off + packet > len) {
				rc = (snprintf(err, n, "%s: truncated: the metadata packet at byte %zu needs %zu bytes, "
				              "the file ends at %zu", path, off, packet, len), -EINVAL);
			} else {
				depth = tsdl_depth(d + off + META_HDR, content - META_HDR, depth, &in);
				off += packet;
			}
		}
	} else {
		depth = tsdl_depth(d, len, 0, &in);
	}
	if (!rc && (depth || in))
		rc = (snprintf(err, n, "%s: truncated: the metadata text ends inside a declaration", path), -EINVAL);
	if (!rc && len == 0)
		rc = (snprintf(err, n, "%s: empty metadata file", path), -EINVAL);
	free(d);
	return rc;
}

/* LTTng writes index/NAME.idx beside each stream file NAME: big-endian
 * entries whose last one says where the stream's last packet ends. A
 * stream shorter than that was truncated (babeltrace2 only says it cannot
 * create the trace). */
static int check_stream(const char *dir, const char *name, off_t size, char *err, size_t n)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/index/%s.idx", dir, name);
	size_t len;
	unsigned char *d = slurp(path, 16 << 20, &len);
	if (!d)
		return 0;                      /* no index: nothing to compare */
	int rc = 0;
	/* Header: magic, major, minor, entry length (32 bits each). */
	uint32_t magic = len >= 16 ? be32(d) : 0, entry = len >= 16 ? be32(d + 12) : 0;
	if (len >= 16 && magic == INDEX_MAGIC && entry >= 24 && len >= 16 + entry) {
		const unsigned char *last = d + 16 + ((len - 16) / entry - 1) * entry;
		uint64_t end = be64(last) + be64(last + 8) / 8;
		if ((uint64_t)size < end)
			rc = (snprintf(err, n, "%s/%s: truncated: %lld bytes, its index (index/%s.idx) lists %llu bytes "
			              "of packets", dir, name, (long long)size, name, (unsigned long long)end), -EINVAL);
	}
	free(d);
	return rc;
}

/* A CTF trace directory holds a "metadata" file; LTTng nests them as
 * ust/uid/0/64-bit/ (per UID) or ust/pid/NAME-PID-DATE/ (per process). */
static int find_traces(const char *dir, int depth, struct found *f)
{
	char path[4096];
	off_t size;
	snprintf(path, sizeof(path), "%s/metadata", dir);
	bool is_trace = is_file(path, &size);
	if (is_trace) {
		if (!f->first_problem[0])
			check_metadata(path, f->first_problem, sizeof(f->first_problem));
		if (f->n == MAX_TRACES)
			return -E2BIG;
		if (!(f->dirs[f->n++] = strdup(dir)))
			return -ENOMEM;
	}
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	struct dirent *e;
	int rc = 0;
	while (!rc && (e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "index") || !strcmp(e->d_name, "metadata"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode) && depth < MAX_DEPTH)
			rc = find_traces(path, depth + 1, f);
		else if (S_ISREG(st.st_mode) && is_trace && !f->first_problem[0])
			check_stream(dir, e->d_name, st.st_size, f->first_problem, sizeof(f->first_problem));
	}
	closedir(d);
	return rc;
}

static void found_free(struct found *f)
{
	for (int i = 0; i < f->n; i++)
		free(f->dirs[i]);
}

/* ---- error reporting ---------------------------------------------------- */

/* Length of the path that starts at p (up to a quote, blank or comma). */
static size_t path_len(const char *p)
{
	return strcspn(p, "'`\" ,\n\t");
}

/* babeltrace2 leaves a chain of causes, from the outermost call to the
 * innermost; the innermost ones say which file is wrong. Report the cause
 * naming the longest path under the trace directory (a stream file beats
 * the trace directory), else the last cause. */
static void take_bt_error(const char *dir, const char *what, char *err, size_t n)
{
	const bt_error *e = bt_current_thread_take_error();
	if (!e) {
		snprintf(err, n, "%s: %s", dir, what);
		return;
	}
	uint64_t nc = bt_error_get_cause_count(e);
	const char *best = NULL, *last = NULL;
	size_t best_len = 0;
	for (uint64_t i = 0; i < nc; i++) {
		const char *m = bt_error_cause_get_message(bt_error_borrow_cause_by_index(e, i));
		if (!m || !*m)
			continue;
		last = m;
		const char *p = strstr(m, dir);
		if (p && path_len(p) > best_len) {
			best = m;
			best_len = path_len(p);
		}
	}
	const char *m = best ? best : last ? last : what;
	/* Messages may span lines; the report is one line. */
	snprintf(err, n, "%s: %s: ", dir, what);
	size_t len = strlen(err);
	for (const char *p = m; *p && len + 1 < n; p++)
		err[len++] = (*p == '\n' || *p == '\t') ? ' ' : *p;
	err[len] = '\0';
	bt_error_release(e);
}

/* ---- decoding ------------------------------------------------------------ */

struct ev_class {
	const bt_event_class *cls;
	enum pvt_kind kind;
	const char *name;
	int64_t idx[PVT_MAX_INTS];     /* payload member index, -1 if missing */
	bool is_signed[PVT_MAX_INTS];
	int64_t str_idx;
	int64_t vpid_idx;              /* in the event common context, -1 if none */
	bool vpid_signed;
};

#define MAX_CLASSES 256

struct reader {
	int pid;
	pvt_event_fn fn;
	void *ctx;
	struct pvt_totals *tot;
	int user_rc;
	struct ev_class classes[MAX_CLASSES];
	int nclasses;
	struct ev_class *last_cls;
	const bt_packet *last_packet;
	int32_t packet_cpu;
	int32_t last_pid;              /* to note distinct vpids cheaply */
};

static enum pvt_kind kind_of(const char *name)
{
	for (int k = 0; k < PVT_OTHER; k++)
		if (!strcmp(pvt_kinds[k].name, name))
			return (enum pvt_kind)k;
	return PVT_OTHER;
}

static int64_t member_index(const bt_field_class *sfc, const char *name)
{
	if (!sfc || bt_field_class_get_type(sfc) != BT_FIELD_CLASS_TYPE_STRUCTURE)
		return -1;
	uint64_t n = bt_field_class_structure_get_member_count(sfc);
	for (uint64_t i = 0; i < n; i++) {
		const bt_field_class_structure_member *m =
			bt_field_class_structure_borrow_member_by_index_const(sfc, i);
		if (!strcmp(bt_field_class_structure_member_get_name(m), name))
			return (int64_t)i;
	}
	return -1;
}

static const bt_field_class *member_class(const bt_field_class *sfc, int64_t i)
{
	return bt_field_class_structure_member_borrow_field_class_const(
		bt_field_class_structure_borrow_member_by_index_const(sfc, (uint64_t)i));
}

/* Resolve an event class's field positions, once. A field of the wrong
 * type is treated as missing rather than misread. */
static struct ev_class *class_of(struct reader *r, const bt_event_class *cls)
{
	if (r->last_cls && r->last_cls->cls == cls)
		return r->last_cls;
	for (int i = 0; i < r->nclasses; i++)
		if (r->classes[i].cls == cls)
			return r->last_cls = &r->classes[i];
	if (r->nclasses == MAX_CLASSES)
		return NULL;
	struct ev_class *c = &r->classes[r->nclasses++];
	const char *name = bt_event_class_get_name(cls);
	c->cls = cls;
	c->name = name ? name : "?";
	c->kind = kind_of(c->name);
	const bt_field_class *p = bt_event_class_borrow_payload_field_class_const(cls);
	const struct pvt_kind_desc *d = &pvt_kinds[c->kind];
	for (int j = 0; j < PVT_MAX_INTS; j++) {
		c->idx[j] = j < d->nints ? member_index(p, d->ints[j].name) : -1;
		if (c->idx[j] < 0)
			continue;
		bt_field_class_type t = bt_field_class_get_type(member_class(p, c->idx[j]));
		if (!bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_INTEGER))
			c->idx[j] = -1;
		else
			c->is_signed[j] = bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_SIGNED_INTEGER);
	}
	c->str_idx = d->str ? member_index(p, d->str) : -1;
	const bt_stream_class *sc = bt_event_class_borrow_stream_class_const(cls);
	const bt_field_class *cc = sc ? bt_stream_class_borrow_event_common_context_field_class_const(sc) : NULL;
	c->vpid_idx = member_index(cc, "vpid");
	if (c->vpid_idx >= 0) {
		bt_field_class_type t = bt_field_class_get_type(member_class(cc, c->vpid_idx));
		c->vpid_signed = bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_SIGNED_INTEGER);
		if (!bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_INTEGER))
			c->vpid_idx = -1;
	}
	if (c->str_idx >= 0 &&
	    bt_field_class_get_type(member_class(p, c->str_idx)) != BT_FIELD_CLASS_TYPE_STRING)
		c->str_idx = -1;
	return r->last_cls = c;
}

/* LTTng puts the CPU in the packet context; packets change rarely. */
static int32_t packet_cpu(struct reader *r, const bt_event *ev)
{
	const bt_packet *pk = bt_event_borrow_packet_const(ev);
	if (pk == r->last_packet)
		return r->packet_cpu;
	r->last_packet = pk;
	r->packet_cpu = -1;
	const bt_field *ctx = pk ? bt_packet_borrow_context_field_const(pk) : NULL;
	const bt_field *f = ctx ? bt_field_structure_borrow_member_field_by_name_const(ctx, "cpu_id") : NULL;
	if (f && bt_field_class_type_is(bt_field_get_class_type(f), BT_FIELD_CLASS_TYPE_UNSIGNED_INTEGER))
		r->packet_cpu = (int32_t)bt_field_integer_unsigned_get_value(f);
	return r->packet_cpu;
}

static void note_pid(struct pvt_totals *t, int32_t pid)
{
	for (int i = 0; i < t->npids; i++)
		if (t->pids[i] == pid)
			return;
	if (t->npids < PVT_MAX_PIDS)
		t->pids[t->npids++] = pid;
}

static int32_t event_vpid(const struct ev_class *c, const bt_event *ev)
{
	if (c->vpid_idx < 0)
		return -1;
	const bt_field *f = bt_field_structure_borrow_member_field_by_index_const(
		bt_event_borrow_common_context_field_const(ev), (uint64_t)c->vpid_idx);
	return c->vpid_signed ? (int32_t)bt_field_integer_signed_get_value(f)
	                      : (int32_t)bt_field_integer_unsigned_get_value(f);
}

static int on_event(struct reader *r, const bt_message *msg)
{
	const bt_event *ev = bt_message_event_borrow_event_const(msg);
	struct ev_class *c = class_of(r, bt_event_borrow_class_const(ev));
	if (!c)
		return -E2BIG;
	struct pvt_ev e;
	e.vpid = event_vpid(c, ev);
	if (e.vpid != r->last_pid) {
		r->last_pid = e.vpid;
		if (e.vpid >= 0)
			note_pid(r->tot, e.vpid);
	}
	if (r->pid > 0 && e.vpid != r->pid) {
		r->tot->skipped++;
		return 0;
	}
	e.kind = c->kind;
	e.name = c->name;
	e.ts = 0;
	const bt_clock_snapshot *cs = bt_message_event_borrow_default_clock_snapshot_const(msg);
	if (cs)
		bt_clock_snapshot_get_ns_from_origin(cs, &e.ts);
	e.cpu_id = packet_cpu(r, ev);
	const bt_field *p = bt_event_borrow_payload_field_const(ev);
	int nints = pvt_kinds[c->kind].nints;
	for (int j = 0; j < nints; j++) {
		if (c->idx[j] < 0) {
			e.v[j] = 0;
			continue;
		}
		const bt_field *f = bt_field_structure_borrow_member_field_by_index_const(p, (uint64_t)c->idx[j]);
		e.v[j] = c->is_signed[j] ? (uint64_t)bt_field_integer_signed_get_value(f)
		                         : bt_field_integer_unsigned_get_value(f);
	}
	e.s = "";
	if (c->str_idx >= 0) {
		const char *s = bt_field_string_get_value(
			bt_field_structure_borrow_member_field_by_index_const(p, (uint64_t)c->str_idx));
		e.s = s ? s : "";
	}
	struct pvt_totals *t = r->tot;
	if (!t->events++)
		t->first_ts = e.ts;
	t->last_ts = e.ts;
	return r->fn(r->ctx, &e);
}

static void on_discarded(struct reader *r, const bt_message *msg, bool packets)
{
	uint64_t n = 0;
	bt_property_availability a = packets ? bt_message_discarded_packets_get_count(msg, &n)
	                                     : bt_message_discarded_events_get_count(msg, &n);
	if (a != BT_PROPERTY_AVAILABILITY_AVAILABLE)
		n = 1;                 /* some were lost; the tracer did not say how many */
	if (packets)
		r->tot->lost_packets += n;
	else
		r->tot->lost_events += n;
}

static bt_graph_simple_sink_component_consume_func_status consume(bt_message_iterator *it, void *ud)
{
	struct reader *r = ud;
	bt_message_array_const msgs;
	uint64_t count;
	switch (bt_message_iterator_next(it, &msgs, &count)) {
	case BT_MESSAGE_ITERATOR_NEXT_STATUS_OK:
		break;
	case BT_MESSAGE_ITERATOR_NEXT_STATUS_END:
		return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_END;
	case BT_MESSAGE_ITERATOR_NEXT_STATUS_AGAIN:
		return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_AGAIN;
	case BT_MESSAGE_ITERATOR_NEXT_STATUS_MEMORY_ERROR:
		return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_MEMORY_ERROR;
	default:
		return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_ERROR;
	}
	uint64_t i = 0;
	for (; i < count && !r->user_rc; i++) {
		const bt_message *m = msgs[i];
		switch (bt_message_get_type(m)) {
		case BT_MESSAGE_TYPE_EVENT:
			r->user_rc = on_event(r, m);
			break;
		case BT_MESSAGE_TYPE_DISCARDED_EVENTS:
			on_discarded(r, m, false);
			break;
		case BT_MESSAGE_TYPE_DISCARDED_PACKETS:
			on_discarded(r, m, true);
			break;
		default:
			break;
		}
		bt_message_put_ref(m);
	}
	for (; i < count; i++)
		bt_message_put_ref(msgs[i]);
	return r->user_rc ? BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_END
	                  : BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_OK;
}

/* ---- the graph ------------------------------------------------------------ */

static const bt_plugin *find_plugin(const char *name)
{
	const bt_plugin *p = NULL;
	if (bt_plugin_find(name, BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, &p) != BT_PLUGIN_FIND_STATUS_OK)
		return NULL;
	return p;
}

static int build_graph(bt_graph *g, const struct found *f, struct reader *r, const char *dir,
                       char *err, size_t n)
{
	const bt_plugin *ctf = find_plugin("ctf"), *utils = find_plugin("utils");
	int rc = -ENOENT;
	const bt_component_class_source *fs = ctf ?
		bt_plugin_borrow_source_component_class_by_name_const(ctf, "fs") : NULL;
	const bt_component_class_filter *mux = utils ?
		bt_plugin_borrow_filter_component_class_by_name_const(utils, "muxer") : NULL;
	if (!fs || !mux) {
		snprintf(err, n, "babeltrace2's ctf and utils plugins are not installed (install "
		         "libbabeltrace2-0, or set BABELTRACE_PLUGIN_PATH)");
		goto out;
	}
	const bt_component_filter *muxer;
	const bt_component_sink *sink;
	rc = -EINVAL;
	if (bt_graph_add_filter_component(g, mux, "mux", NULL, BT_LOGGING_LEVEL_NONE, &muxer) ||
	    bt_graph_add_simple_sink_component(g, "pvtrace", NULL, consume, NULL, r, &sink)) {
		take_bt_error(dir, "cannot set up babeltrace2", err, n);
		goto out;
	}
	/* A source per trace: traces of several sessions (pvbench fleet's
	 * relayd tree, one per host and repetition) have UUIDs of their own,
	 * which one ctf.fs component refuses to mix; the muxer orders them. */
	uint64_t nin = 0;
	r->tot->streams = 0;
	for (int t = 0; t < f->n; t++) {
		bt_value *params = bt_value_map_create(), *inputs = NULL;
		char name[32];
		const bt_component_source *src;
		if (!params || bt_value_map_insert_empty_array_entry(params, "inputs", &inputs) ||
		    bt_value_array_append_string_element(inputs, f->dirs[t])) {
			bt_value_put_ref(params);
			rc = -ENOMEM;
			goto out;
		}
		snprintf(name, sizeof(name), "src%d", t);
		bt_graph_add_component_status st = bt_graph_add_source_component(g, fs, name, params,
			BT_LOGGING_LEVEL_NONE, &src);
		bt_value_put_ref(params);
		if (st != BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
			take_bt_error(dir, "cannot open the trace", err, n);
			goto out;
		}
		uint64_t nout = bt_component_source_get_output_port_count(src);
		r->tot->streams += (int)nout;
		for (uint64_t i = 0; i < nout; i++, nin++) {
			/* The muxer adds an input port after each one is connected. */
			const bt_port_input *in = bt_component_filter_borrow_input_port_by_index_const(muxer, nin);
			if (!in || bt_graph_connect_ports(g, bt_component_source_borrow_output_port_by_index_const(src, i),
			                                  in, NULL)) {
				take_bt_error(dir, "cannot connect a trace stream", err, n);
				goto out;
			}
		}
	}
	if (bt_graph_connect_ports(g, bt_component_filter_borrow_output_port_by_index_const(muxer, 0),
	                           bt_component_sink_borrow_input_port_by_index_const(sink, 0), NULL)) {
		take_bt_error(dir, "cannot connect the muxer", err, n);
		goto out;
	}
	rc = 0;
out:
	bt_plugin_put_ref(ctf);
	bt_plugin_put_ref(utils);
	return rc;
}

int pvt_read(const char *dir, int pid, pvt_event_fn fn, void *ctx, struct pvt_totals *tot, char *err, size_t n)
{
	memset(tot, 0, sizeof(*tot));
	struct stat st;
	if (stat(dir, &st))
		return snprintf(err, n, "%s: %s", dir, strerror(errno)), -errno;
	if (!S_ISDIR(st.st_mode))
		return snprintf(err, n, "%s: not a directory (give the trace directory, e.g. the one "
		                "`pvmon run --trace DIR` wrote)", dir), -ENOTDIR;
	struct found f = { .n = 0 };
	int rc = find_traces(dir, 0, &f);
	if (rc) {
		snprintf(err, n, "%s: cannot search it for traces: %s", dir, strerror(-rc));
		goto out;
	}
	rc = -ENOENT;
	if (!f.n) {
		snprintf(err, n, "%s: no CTF trace here (no 'metadata' file in it or below it)", dir);
		goto out;
	}
	if (f.first_problem[0]) {
		/* A session still recording has unflushed buffers: say so. */
		snprintf(err, n, "%s (was the trace copied or cut short? a live session must be stopped first)",
		         f.first_problem);
		rc = -EINVAL;
		goto out;
	}
	struct reader *r = calloc(1, sizeof(*r));
	bt_graph *g = bt_graph_create(0);
	rc = -ENOMEM;
	if (!r || !g) {
		snprintf(err, n, "out of memory");
		goto free;
	}
	r->pid = pid;
	r->last_pid = INT32_MIN;
	r->fn = fn;
	r->ctx = ctx;
	r->tot = tot;
	rc = build_graph(g, &f, r, dir, err, n);
	if (rc)
		goto free;
	bt_graph_run_status rs;
	do
		rs = bt_graph_run(g);
	while (rs == BT_GRAPH_RUN_STATUS_AGAIN);
	if (r->user_rc) {
		rc = r->user_rc;
		snprintf(err, n, "%s: stopped: %s", dir, strerror(rc < 0 ? -rc : rc));
	} else if (rs != BT_GRAPH_RUN_STATUS_OK) {
		rc = rs == BT_GRAPH_RUN_STATUS_MEMORY_ERROR ? -ENOMEM : -EIO;
		take_bt_error(dir, "cannot read the trace", err, n);
	}
free:
	bt_graph_put_ref(g);
	free(r);
out:
	found_free(&f);
	return rc;
}
