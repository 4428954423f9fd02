/* Trace control on liblttng-ctl, loaded with dlopen so that pvmon starts
 * and runs where LTTng is not installed: a user-space session recording
 * pvmon's events into a directory or to an lttng-relayd (normal, snapshot
 * or live), started before the provider registers and stopped (buffers
 * flushed, lost events counted) at the end. */
#include <dlfcn.h>
#include <errno.h>
#include <lttng/lttng.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tracectl.h"

extern char **environ;

static struct {
	void *lib;
	int (*alive)(void);
	int (*create_session)(const char *, const char *);
	int (*create_snapshot)(const char *, const char *);
	int (*create_live)(const char *, const char *, unsigned int);
	struct lttng_handle *(*create_handle)(const char *, struct lttng_domain *);
	void (*destroy_handle)(struct lttng_handle *);
	struct lttng_channel *(*channel_create)(struct lttng_domain *);
	void (*channel_destroy)(struct lttng_channel *);
	int (*enable_channel)(struct lttng_handle *, struct lttng_channel *);
	int (*add_context)(struct lttng_handle *, struct lttng_event_context *, const char *, const char *);
	int (*enable_event)(struct lttng_handle *, struct lttng_event *, const char *, const char *);
	int (*start)(const char *);
	int (*stop)(const char *);
	int (*destroy)(const char *);
	int (*list_channels)(struct lttng_handle *, struct lttng_channel **);
	int (*discarded)(struct lttng_channel *, uint64_t *);
	int (*lost_packets)(struct lttng_channel *, uint64_t *);
	int (*snapshot_record)(const char *, struct lttng_snapshot_output *, int);
	int (*snapshot_list)(const char *, struct lttng_snapshot_output_list **);
	struct lttng_snapshot_output *(*snapshot_next)(struct lttng_snapshot_output_list *);
	const char *(*snapshot_url)(const struct lttng_snapshot_output *);
	void (*snapshot_list_destroy)(struct lttng_snapshot_output_list *);
	const char *(*strerror)(int);
} L;

static int load(char *err, size_t n)
{
	if (L.lib)
		return 0;
	void *h = dlopen("liblttng-ctl.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return snprintf(err, n, "LTTng is not installed (liblttng-ctl.so.0: %s); run `make deps`", dlerror()), -ENOENT;
#define SYM(field, name) if (!(*(void **)&L.field = dlsym(h, name))) goto missing
	SYM(alive, "lttng_session_daemon_alive");
	SYM(create_session, "lttng_create_session");
	SYM(create_snapshot, "lttng_create_session_snapshot");
	SYM(create_live, "lttng_create_session_live");
	SYM(create_handle, "lttng_create_handle");
	SYM(destroy_handle, "lttng_destroy_handle");
	SYM(channel_create, "lttng_channel_create");
	SYM(channel_destroy, "lttng_channel_destroy");
	SYM(enable_channel, "lttng_enable_channel");
	SYM(add_context, "lttng_add_context");
	SYM(enable_event, "lttng_enable_event_with_filter");
	SYM(start, "lttng_start_tracing");
	SYM(stop, "lttng_stop_tracing");
	SYM(destroy, "lttng_destroy_session");
	SYM(list_channels, "lttng_list_channels");
	SYM(discarded, "lttng_channel_get_discarded_event_count");
	SYM(lost_packets, "lttng_channel_get_lost_packet_count");
	SYM(snapshot_record, "lttng_snapshot_record");
	SYM(snapshot_list, "lttng_snapshot_list_output");
	SYM(snapshot_next, "lttng_snapshot_output_list_get_next");
	SYM(snapshot_url, "lttng_snapshot_output_get_ctrl_url");
	SYM(snapshot_list_destroy, "lttng_snapshot_output_list_destroy");
	SYM(strerror, "lttng_strerror");
#undef SYM
	L.lib = h;
	return 0;
missing:
	snprintf(err, n, "liblttng-ctl lacks a function pvmon needs: %s", dlerror());
	dlclose(h);
	memset(&L, 0, sizeof(L));
	return -ENOSYS;
}

/* Start lttng-sessiond if none answers, and wait until it does. */
static int ensure_sessiond(char *err, size_t n)
{
	if (L.alive() == 1)
		return 0;
	char *argv[] = { "lttng-sessiond", "--daemonize", NULL };
	pid_t pid;
	int e = posix_spawnp(&pid, "lttng-sessiond", NULL, NULL, argv, environ);
	if (e)
		return snprintf(err, n, "no LTTng session daemon runs, and lttng-sessiond cannot be started: %s "
		                "(install lttng-tools: `make deps`)", strerror(e)), -ENOENT;
	int st;
	waitpid(pid, &st, 0);
	for (int i = 0; i < 50 && L.alive() != 1; i++)
		usleep(100000);
	if (L.alive() != 1)
		return snprintf(err, n, "lttng-sessiond did not start (try `lttng-sessiond -vvv`)"), -EIO;
	return 0;
}

int tracectl_patterns(const char *events, char pats[][64], int max, char *err, size_t n)
{
	static const struct { const char *name; const char *pats[4]; } groups[] = {
		{ "all", { "pvmon:*" } },
		{ "hypercall", { "pvmon:hcall_*", "pvmon:xen_hcall_*", "pvmon:xen_stub" } },   /* and the stub's */
		{ "sched", { "pvmon:sched_*" } },
		{ "tlb", { "pvmon:tlb_flush", "pvmon:mmu_update", "pvmon:xen_ptwr", "pvmon:xen_stub" } },
		{ "pageflip", { "pvmon:page_flip" } },
		{ "pvnet", { "pvmon:pvnet_*", "pvmon:grant_copy" } },   /* pvos's network back end */
		{ "exit", { "pvmon:vm_exit" } },
		{ "evtchn", { "pvmon:evtchn_send" } },
		{ "domain", { "pvmon:domain_*" } },
		{ "xen", { "pvmon:xen_*" } },          /* a Linux PV domain's own events */
		{ "net", { "pvmon:net_*", "pvmon:vfr" } },   /* the network back end's */
	};
	int np = 0;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", events && *events ? events : "all");
	for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t g;
		for (g = 0; g < sizeof(groups) / sizeof(groups[0]) && strcmp(groups[g].name, w); g++)
			;
		if (g == sizeof(groups) / sizeof(groups[0]))
			return snprintf(err, n, "unknown event group '%s' (use all, hypercall, sched, tlb, "
			                "pageflip, pvnet, exit, evtchn, domain, xen, net)", w), -EINVAL;
		for (int k = 0; k < 4 && groups[g].pats[k]; k++) {
			int dup = 0;   /* a pattern of two groups (xen_stub), enabled once */
			for (int i = 0; i < np && !dup; i++)
				dup = !strcmp(pats[i], groups[g].pats[k]);
			if (dup)
				continue;
			if (np == max)
				return snprintf(err, n, "too many event groups"), -EINVAL;
			snprintf(pats[np++], 64, "%s", groups[g].pats[k]);
		}
	}
	return np;
}

#define CHANNEL "pvmon"

static int create(const struct tracectl_opts *o, char *err, size_t n)
{
	int rc = o->snapshot ? L.create_snapshot(o->session, o->url)
	       : o->live ? L.create_live(o->session, o->url && *o->url ? o->url : "net://127.0.0.1",
	                                 o->live_timer_us ? o->live_timer_us : 1000000)
	       : L.create_session(o->session, o->url);
	if (rc >= 0)
		return 0;
	const char *hint = rc == -LTTNG_ERR_EXIST_SESS ? " (stop it first, or pick another --session)"
	                 : rc == -LTTNG_ERR_RELAYD_CONNECT_FAIL ? " (is an lttng-relayd listening there?)" : "";
	snprintf(err, n, "cannot create LTTng %ssession %s at %s: %s%s", o->snapshot ? "snapshot " : o->live ? "live " : "",
	         o->session, o->url ? o->url : "net://127.0.0.1", L.strerror(rc), hint);
	return -EIO;
}

/* The channel, the vpid context (pvtrace --pid tells processes apart) and
 * the events; rc is an LTTng error code. */
static int configure(struct lttng_handle *h, const struct tracectl_opts *o, char pats[][64], int np,
                     const char **what)
{
	struct lttng_domain dom = { .type = LTTNG_DOMAIN_UST, .buf_type = LTTNG_BUFFER_PER_UID };
	struct lttng_channel *ch = L.channel_create(&dom);
	*what = "channel";
	if (!ch)
		return -LTTNG_ERR_NOMEM;
	snprintf(ch->name, sizeof(ch->name), CHANNEL);
	ch->attr.subbuf_size = o->subbuf_size ? o->subbuf_size : 1 << 20;
	ch->attr.num_subbuf = o->num_subbuf ? o->num_subbuf : 4;
	if (o->snapshot) {
		ch->attr.overwrite = 1;          /* a flight recorder keeps the newest */
		ch->attr.output = LTTNG_EVENT_MMAP;
	}
	int rc = L.enable_channel(h, ch);
	L.channel_destroy(ch);
	if (rc < 0)
		return rc;
	struct lttng_event_context ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.ctx = LTTNG_EVENT_CONTEXT_VPID;
	*what = "vpid context";
	if ((rc = L.add_context(h, &ctx, NULL, CHANNEL)) < 0)
		return rc;
	/* the vpid is the one in the process's PID namespace: pvbench runs
	 * each pvmon as pid 2 of its own, and a session daemon can serve
	 * several (fleet hosts on one machine), so the namespace is part of
	 * whose events these are */
	char filter[96];
	struct stat ns;
	if (o->pid > 0 && o->pid == (int)getpid() && !stat("/proc/self/ns/pid", &ns))
		snprintf(filter, sizeof(filter), "$ctx.vpid == %d && $ctx.pid_ns == %llu", o->pid,
		         (unsigned long long)ns.st_ino);
	else
		snprintf(filter, sizeof(filter), "$ctx.vpid == %d", o->pid);
	*what = "events";
	for (int i = 0; i < np && rc >= 0; i++) {
		struct lttng_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.type = LTTNG_EVENT_TRACEPOINT;
		ev.loglevel_type = LTTNG_EVENT_LOGLEVEL_ALL;
		ev.loglevel = -1;
		memcpy(ev.name, pats[i], strnlen(pats[i], 63));
		rc = L.enable_event(h, &ev, CHANNEL, o->pid > 0 ? filter : NULL);
	}
	return rc;
}

int tracectl_start_opts(const struct tracectl_opts *o, char *err, size_t n)
{
	char pats[16][64];
	int np = tracectl_patterns(o->events, pats, 16, err, n);
	if (np < 0)
		return np;
	if (o->snapshot && o->live)
		return snprintf(err, n, "a session is either a snapshot session or a live one"), -EINVAL;
	if (o->live && o->url && *o->url && strncmp(o->url, "net://", 6) && strncmp(o->url, "net6://", 7))
		return snprintf(err, n, "a live session streams to an lttng-relayd: give a net:// URL, not %s",
		                o->url), -EINVAL;
	int rc = load(err, n);
	if (rc || (rc = ensure_sessiond(err, n)) || (rc = create(o, err, n)))
		return rc;
	struct lttng_domain dom = { .type = LTTNG_DOMAIN_UST, .buf_type = LTTNG_BUFFER_PER_UID };
	struct lttng_handle *h = L.create_handle(o->session, &dom);
	const char *what = "handle";
	int lrc = h ? configure(h, o, pats, np, &what) : -LTTNG_ERR_NOMEM;
	if (h)
		L.destroy_handle(h);
	if (lrc >= 0 && (lrc = L.start(o->session)) < 0)
		what = "start";
	if (lrc < 0) {
		snprintf(err, n, "cannot set up LTTng session %s (%s): %s", o->session, what, L.strerror(lrc));
		L.destroy(o->session);
		return -EIO;
	}
	/* A provider loaded from now on, in this process (pvmon --trace) or
	 * one it starts (pvbench hcall's traced runs), has a session waiting
	 * for it: its constructor may wait for the daemon to set that up for
	 * longer than LTTng-UST's 3 s, which a loaded host can exceed (what
	 * fires before is not recorded). A value the user set stays. */
	setenv("LTTNG_UST_REGISTER_TIMEOUT", "30000", 0);
	return 0;
}

int tracectl_start(const char *session, const char *url, const char *events, char *err, size_t n)
{
	struct tracectl_opts o = { .session = session, .url = url, .events = events };
	return tracectl_start_opts(&o, err, n);
}

int tracectl_start_self(const char *session, const char *url, const char *events, char *err, size_t n)
{
	struct tracectl_opts o = { .session = session, .url = url, .events = events, .pid = (int)getpid() };
	return tracectl_start_opts(&o, err, n);
}

int tracectl_snapshot(const char *session, char *where, size_t wn, char *err, size_t n)
{
	int rc = load(err, n);
	if (rc)
		return rc;
	if (L.alive() != 1)
		return snprintf(err, n, "no LTTng session daemon runs: no session %s to snapshot", session), -ESRCH;
	rc = L.snapshot_record(session, NULL, 1);
	if (rc < 0) {
		const char *hint = rc == -LTTNG_ERR_SESS_NOT_FOUND ? "" :
		                   " (was it started with `pvctl trace start --snapshot`?)";
		return snprintf(err, n, "cannot record a snapshot of session %s: %s%s", session, L.strerror(rc),
		                hint), rc == -LTTNG_ERR_SESS_NOT_FOUND ? -ESRCH : -EIO;
	}
	snprintf(where, wn, "the session's output");
	struct lttng_snapshot_output_list *list = NULL;
	if (L.snapshot_list(session, &list) >= 0 && list) {
		struct lttng_snapshot_output *out = L.snapshot_next(list);
		const char *url = out ? L.snapshot_url(out) : NULL;
		if (url && *url)
			snprintf(where, wn, "%s", url);
		L.snapshot_list_destroy(list);
	}
	return 0;
}

int tracectl_stop_counts(const char *session, uint64_t *lost, uint64_t *lost_packets, char *err, size_t n)
{
	*lost = *lost_packets = 0;
	int rc = load(err, n);
	if (rc)
		return rc;
	if (L.alive() != 1)
		return snprintf(err, n, "no LTTng session daemon runs: no session %s to stop", session), -ESRCH;
	rc = L.stop(session);        /* waits until the buffers are on disk */
	if (rc < 0 && rc != -LTTNG_ERR_TRACE_ALREADY_STOPPED) {
		snprintf(err, n, "cannot stop LTTng session %s: %s", session, L.strerror(rc));
		if (rc == -LTTNG_ERR_SESS_NOT_FOUND)
			return -ESRCH;
		L.destroy(session);
		return -EIO;
	}
	struct lttng_domain dom = { .type = LTTNG_DOMAIN_UST, .buf_type = LTTNG_BUFFER_PER_UID };
	struct lttng_handle *h = L.create_handle(session, &dom);
	struct lttng_channel *ch = NULL;
	int nch = h ? L.list_channels(h, &ch) : 0;
	for (int i = 0; i < nch; i++) {
		uint64_t d = 0;
		if (L.discarded(&ch[i], &d) == 0)
			*lost += d;
		if (L.lost_packets(&ch[i], &d) == 0)
			*lost_packets += d;
	}
	free(ch);
	if (h)
		L.destroy_handle(h);
	rc = L.destroy(session);
	if (rc < 0)
		return snprintf(err, n, "cannot destroy LTTng session %s: %s", session, L.strerror(rc)), -EIO;
	return 0;
}

int tracectl_stop(const char *session, uint64_t *lost, char *err, size_t n)
{
	uint64_t packets;
	return tracectl_stop_counts(session, lost, &packets, err, n);
}
