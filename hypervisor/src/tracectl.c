/* Trace control on liblttng-ctl, loaded with dlopen so that pvmon starts
 * and runs where LTTng is not installed: a user-space session recording
 * pvmon's events into a directory, started before the provider registers
 * and stopped (buffers flushed, lost events counted) at the end. */
#include <dlfcn.h>
#include <errno.h>
#include <lttng/lttng.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tracectl.h"

extern char **environ;

static struct {
	void *lib;
	int (*alive)(void);
	int (*create_session)(const char *, const char *);
	struct lttng_handle *(*create_handle)(const char *, struct lttng_domain *);
	void (*destroy_handle)(struct lttng_handle *);
	int (*enable_event)(struct lttng_handle *, struct lttng_event *, const char *);
	int (*start)(const char *);
	int (*stop)(const char *);
	int (*destroy)(const char *);
	int (*list_channels)(struct lttng_handle *, struct lttng_channel **);
	int (*discarded)(struct lttng_channel *, uint64_t *);
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
	SYM(create_handle, "lttng_create_handle");
	SYM(destroy_handle, "lttng_destroy_handle");
	SYM(enable_event, "lttng_enable_event");
	SYM(start, "lttng_start_tracing");
	SYM(stop, "lttng_stop_tracing");
	SYM(destroy, "lttng_destroy_session");
	SYM(list_channels, "lttng_list_channels");
	SYM(discarded, "lttng_channel_get_discarded_event_count");
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
	if (posix_spawnp(&pid, "lttng-sessiond", NULL, NULL, argv, environ))
		return snprintf(err, n, "no LTTng session daemon runs and lttng-sessiond cannot be started"), -ENOENT;
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
	static const struct { const char *name; const char *pats[3]; } groups[] = {
		{ "all", { "pvmon:*" } },
		{ "hypercall", { "pvmon:hcall_*" } },
		{ "sched", { "pvmon:sched_*" } },
		{ "tlb", { "pvmon:tlb_flush", "pvmon:mmu_update" } },
		{ "pageflip", { "pvmon:page_flip" } },
		{ "exit", { "pvmon:vm_exit" } },
		{ "evtchn", { "pvmon:evtchn_send" } },
		{ "domain", { "pvmon:domain_*" } },
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
			                "pageflip, exit, evtchn, domain)", w), -EINVAL;
		for (int k = 0; k < 3 && groups[g].pats[k]; k++) {
			if (np == max)
				return snprintf(err, n, "too many event groups"), -EINVAL;
			snprintf(pats[np++], 64, "%s", groups[g].pats[k]);
		}
	}
	return np;
}

int tracectl_start(const char *session, const char *url, const char *events, char *err, size_t n)
{
	char pats[16][64];
	int np = tracectl_patterns(events, pats, 16, err, n);
	if (np < 0)
		return np;
	int rc = load(err, n);
	if (rc || (rc = ensure_sessiond(err, n)))
		return rc;
	rc = L.create_session(session, url);
	if (rc < 0)
		return snprintf(err, n, "cannot create LTTng session %s at %s: %s", session, url, L.strerror(rc)), -EIO;
	struct lttng_domain dom = { .type = LTTNG_DOMAIN_UST, .buf_type = LTTNG_BUFFER_PER_UID };
	struct lttng_handle *h = L.create_handle(session, &dom);
	for (int i = 0; h && i < np && rc >= 0; i++) {
		struct lttng_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.type = LTTNG_EVENT_TRACEPOINT;
		ev.loglevel_type = LTTNG_EVENT_LOGLEVEL_ALL;
		ev.loglevel = -1;
		memcpy(ev.name, pats[i], strnlen(pats[i], 63));
		rc = L.enable_event(h, &ev, NULL);
	}
	if (h)
		L.destroy_handle(h);
	if (!h || rc < 0 || (rc = L.start(session)) < 0) {
		snprintf(err, n, "cannot set up LTTng session %s: %s", session, h ? L.strerror(rc) : "no handle");
		L.destroy(session);
		return -EIO;
	}
	return 0;
}

int tracectl_stop(const char *session, uint64_t *lost, char *err, size_t n)
{
	*lost = 0;
	int rc = load(err, n);
	if (rc)
		return rc;
	rc = L.stop(session);        /* waits until the buffers are on disk */
	if (rc < 0) {
		snprintf(err, n, "cannot stop LTTng session %s: %s", session, L.strerror(rc));
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
	}
	free(ch);
	if (h)
		L.destroy_handle(h);
	rc = L.destroy(session);
	if (rc < 0)
		return snprintf(err, n, "cannot destroy LTTng session %s: %s", session, L.strerror(rc)), -EIO;
	return 0;
}
