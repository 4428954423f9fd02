/* libpvcounters (counters.h): perf_event_open counters named and encoded by
 * libpfm4. The hardware set is tried once per process; if any of its
 * events cannot be opened (no PMU, as under PVM), every later pvc_open goes
 * straight to the software set, and the note says why. */
#include <errno.h>
#include <perfmon/pfmlib_perf_event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "counters.h"

#define MAX_COUNTERS 8

struct event_def {
	const char *name;              /* what pvc_name() says */
	const char *pfm;               /* libpfm4's name for it */
	const char *unit;
};

static const struct event_def hw_set[] = {
	{ "cycles", "cycles", "" },
	{ "instructions", "instructions", "" },
	{ "llc-misses", "PERF_COUNT_HW_CACHE_MISSES", "" },
	{ "dtlb-misses", "PERF_COUNT_HW_CACHE_DTLB:READ:MISS", "" },
};
static const struct event_def sw_set[] = {
	{ "task-clock", "PERF_COUNT_SW_TASK_CLOCK", "ns" },
	{ "context-switches", "PERF_COUNT_SW_CONTEXT_SWITCHES", "" },
	{ "page-faults", "PERF_COUNT_SW_PAGE_FAULTS", "" },
	{ "cpu-migrations", "PERF_COUNT_SW_CPU_MIGRATIONS", "" },
};

struct pvc {
	int n;
	int fd[MAX_COUNTERS];
	const struct event_def *def;
	uint64_t value[MAX_COUNTERS];
	bool hardware;
	char note[256];
};

/* Process-wide: libpfm4's initialisation and the hardware verdict. */
static pthread_once_t pfm_once = PTHREAD_ONCE_INIT;
static int pfm_status;
static pthread_mutex_t verdict_lock = PTHREAD_MUTEX_INITIALIZER;
static int hw_verdict;                 /* 0 unknown, 1 works, -1 not here; guarded by verdict_lock */
static char hw_why[160];               /* guarded by verdict_lock */

static void pfm_init_once(void)
{
	pfm_status = pfm_initialize();
}

static int encode(const char *pfm, bool user_only, struct perf_event_attr *attr, char *err, size_t n)
{
	memset(attr, 0, sizeof(*attr));
	pfm_perf_encode_arg_t arg;
	memset(&arg, 0, sizeof(arg));
	arg.attr = attr;
	arg.size = sizeof(arg);
	int rc = pfm_get_os_event_encoding(pfm, user_only ? PFM_PLM3 : PFM_PLM0 | PFM_PLM3, PFM_OS_PERF_EVENT, &arg);
	if (rc != PFM_SUCCESS) {
		snprintf(err, n, "libpfm4 cannot encode %s: %s", pfm, pfm_strerror(rc));
		return -EINVAL;
	}
	attr->size = sizeof(*attr);
	return 0;
}

static int open_one(const struct event_def *d, pid_t tid, bool inherit, bool user_only, char *err, size_t n)
{
	struct perf_event_attr attr;
	int rc = encode(d->pfm, user_only, &attr, err, n);
	if (rc)
		return rc;
	attr.disabled = 1;
	attr.inherit = inherit;
	/* Scale for multiplexing: the kernel reports how long each ran. */
	attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
	int fd = (int)syscall(SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		snprintf(err, n, "%s: %s", d->name, strerror(errno));
		return -errno;
	}
	return fd;
}

static void close_fds(struct pvc *c)
{
	for (int i = 0; i < c->n; i++)
		if (c->fd[i] >= 0)
			close(c->fd[i]);
	c->n = 0;
}

/* Open every event of a set, all or nothing. Kernel-mode counting may be
 * forbidden (perf_event_paranoid); then count user mode only. */
static int open_set(struct pvc *c, const struct event_def *set, int n, pid_t tid, bool inherit, bool *user_only,
                    char *err, size_t elen)
{
	c->def = set;
	c->n = 0;
	*user_only = false;
	for (int i = 0; i < n; i++) {
		int fd = open_one(&set[i], tid, inherit, *user_only, err, elen);
		if ((fd == -EACCES || fd == -EPERM) && !*user_only && i == 0) {
			*user_only = true;
			fd = open_one(&set[i], tid, inherit, true, err, elen);
		}
		if (fd < 0) {
			close_fds(c);
			return fd;
		}
		c->fd[c->n++] = fd;
	}
	return 0;
}

struct pvc *pvc_open(pid_t tid, bool inherit, char *err, size_t n)
{
	pthread_once(&pfm_once, pfm_init_once);
	if (pfm_status != PFM_SUCCESS) {
		snprintf(err, n, "libpfm4 did not initialise: %s", pfm_strerror(pfm_status));
		return NULL;
	}
	struct pvc *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	bool user_only = false;
	char why[160] = "";
	pthread_mutex_lock(&verdict_lock);
	int verdict = hw_verdict;
	if (verdict >= 0) {
		int rc = open_set(c, hw_set, 4, tid, inherit, &user_only, why, sizeof(why));
		/* ESRCH/EACCES are about the task, not the PMU: no verdict. */
		if (rc == -ESRCH) {
			pthread_mutex_unlock(&verdict_lock);
			snprintf(err, n, "no task %d to count", (int)tid);
			free(c);
			return NULL;
		}
		if (!rc) {
			hw_verdict = 1;
			c->hardware = true;
		} else if (rc != -EACCES && rc != -EPERM) {
			hw_verdict = -1;
			snprintf(hw_why, sizeof(hw_why), "%s", why);
		}
	}
	snprintf(why, sizeof(why), "%s", hw_why);
	pthread_mutex_unlock(&verdict_lock);
	if (c->hardware) {
		pfm_pmu_info_t pi;
		memset(&pi, 0, sizeof(pi));
		pi.size = sizeof(pi);
		pfm_event_info_t ei;
		memset(&ei, 0, sizeof(ei));
		ei.size = sizeof(ei);
		int idx = pfm_find_event("cycles");
		const char *pmu = idx >= 0 && pfm_get_event_info(idx, PFM_OS_NONE, &ei) == PFM_SUCCESS &&
		                  pfm_get_pmu_info(ei.pmu, &pi) == PFM_SUCCESS ? pi.name : "?";
		snprintf(c->note, sizeof(c->note), "hardware events (libpfm4 PMU %s)%s", pmu,
		         user_only ? ", user mode only (perf_event_paranoid)" : "");
		return c;
	}
	int rc = open_set(c, sw_set, 4, tid, inherit, &user_only, err, n);
	if (rc) {
		if (rc == -ESRCH)
			snprintf(err, n, "no task %d to count", (int)tid);
		free(c);
		return NULL;
	}
	snprintf(c->note, sizeof(c->note), "no PMU (%s): software events%s", why[0] ? why : "hardware events refused",
	         user_only ? ", user mode only (perf_event_paranoid)" : "");
	return c;
}

static int ioctl_all(struct pvc *c, unsigned long req)
{
	for (int i = 0; i < c->n; i++)
		if (ioctl(c->fd[i], req, 0))
			return -errno;
	return 0;
}

int pvc_start(struct pvc *c)
{
	memset(c->value, 0, sizeof(c->value));
	int rc = ioctl_all(c, PERF_EVENT_IOC_RESET);
	return rc ? rc : ioctl_all(c, PERF_EVENT_IOC_ENABLE);
}

int pvc_stop(struct pvc *c)
{
	int rc = ioctl_all(c, PERF_EVENT_IOC_DISABLE);
	for (int i = 0; i < c->n; i++) {
		uint64_t v[3];                 /* value, time enabled, time running */
		if (read(c->fd[i], v, sizeof(v)) != (ssize_t)sizeof(v)) {
			rc = rc ? rc : -EIO;
			continue;
		}
		c->value[i] = v[2] && v[2] < v[1] ? (uint64_t)((double)v[0] * (double)v[1] / (double)v[2]) : v[0];
	}
	return rc;
}

int pvc_count(const struct pvc *c)
{
	return c ? c->n : 0;
}

const char *pvc_name(const struct pvc *c, int i)
{
	return c && i >= 0 && i < c->n ? c->def[i].name : NULL;
}

const char *pvc_unit(const struct pvc *c, int i)
{
	return c && i >= 0 && i < c->n ? c->def[i].unit : "";
}

uint64_t pvc_value(const struct pvc *c, int i)
{
	return c && i >= 0 && i < c->n ? c->value[i] : 0;
}

bool pvc_hardware(const struct pvc *c)
{
	return c && c->hardware;
}

const char *pvc_note(const struct pvc *c)
{
	return c ? c->note : "";
}

void pvc_close(struct pvc *c)
{
	if (!c)
		return;
	close_fds(c);
	free(c);
}
