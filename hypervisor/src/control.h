/* The Domain 0 control socket: a server thread inside pvmon that answers
 * pvctl/pvtop requests (one text line each, see docs/control-protocol.md)
 * by calling the operations table the core hands to control_start(). */
#ifndef PVMON_CONTROL_H
#define PVMON_CONTROL_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pvmon_domstats.h"

#define CTL_PROTOCOL_VERSION 1
#define CTL_MAX_LINE 4096        /* a request line, newline included */
#define CTL_MAX_CLIENTS 64       /* connections served at once */
#define CTL_IDLE_S 60            /* default: a connection idle this long between requests is closed */
#define CTL_CONSOLE_POLL_MS 50   /* `console` follow: poll interval */
#define CTL_DEFAULT_SOCKET "/run/pvlab/pvmon.sock"
#define CTL_REPLY_MAX 2048       /* a reply line, newline included (a `list` object fits) */

struct ctl_domain_info {
	uint32_t domid;
	char name[32];
	char state[16];          /* "running", "blocked", "paused", "shutdown", "crashed" */
	uint32_t vcpus;
	uint64_t mem_mib;
	uint32_t weight;
	int32_t exit_code;
	/* The counters of the `list` object, one member each, named as their
	 * keys (hypervisor/include/pvmon_domstats.h). time_ns is pvmon's
	 * system time when the others were read: rates between two samples
	 * divide by the difference of these. */
#define CTL_COUNTER_MEMBER(NAME, key) uint64_t key;
	PVMON_LIST_COUNTERS(CTL_COUNTER_MEMBER)
#undef CTL_COUNTER_MEMBER
};

struct ctl_bvt { int64_t weight, warp_ns, warpl_ns, warpu_ns; };   /* -1: leave unchanged */

/* Called from the control threads, several at once: every op must be
 * thread-safe. Errors are negative errno. */
struct control_ops {
	/* domid >= 0, or -errno with err filled (one line, what went wrong). */
	int (*create)(void *ctx, const char *cfg_path, char *err, size_t errlen);
	int (*list)(void *ctx, struct ctl_domain_info *out, int max);           /* count */
	int (*destroy)(void *ctx, uint32_t domid);
	int (*pause)(void *ctx, uint32_t domid);
	int (*unpause)(void *ctx, uint32_t domid);
	/* Console history of a domain from byte *offset on; advances *offset;
	 * returns bytes (0 none yet), -ESRCH if the domain is gone. */
	long (*console_read)(void *ctx, uint32_t domid, uint64_t *offset, char *buf, size_t len);
	int (*sched_bvt)(void *ctx, uint32_t domid, const struct ctl_bvt *p);
	int (*sched_rr)(void *ctx, int64_t slice_ns);
	const char *(*sched_name)(void *ctx);     /* "bvt" or "rr" */
	/* Optional (NULL: found through list): one domain's info, 0 or -ESRCH. */
	int (*info)(void *ctx, uint32_t domid, struct ctl_domain_info *out);
	/* Optional, all three or none. Without them a `console` stream reads
	 * by domid and loses what a domain writes as it ends, once the domain
	 * has left the table. With them the stream holds its domain:
	 * dom_get   a reference, NULL if no such domain;
	 * dom_console_read  as console_read, and sets *ended once the domain
	 *           has left the domain table with its console complete
	 *           (checked before reading, so a read of 0 bytes after that
	 *           means all was read); then *exit_code and *crashed are final;
	 * dom_put   drops the reference. */
	void *(*dom_get)(void *ctx, uint32_t domid);
	long (*dom_console_read)(void *ctx, void *dom, uint64_t *offset, char *buf, size_t len,
	                         bool *ended, int32_t *exit_code, bool *crashed);
	void (*dom_put)(void *ctx, void *dom);
	/* Optional: ask the domain's balloon for a new size (pvctl mem-set). */
	int (*mem_set)(void *ctx, uint32_t domid, uint64_t mib);
	/* Optional: queue console input for a domain; bytes taken or -errno. */
	long (*console_input)(void *ctx, uint32_t domid, const char *buf, size_t len);
	/* Optional: hot-plug a device of a kind ("block") into a running
	 * domain, spec as its config line would have it; remove one by its
	 * name (xvdb), waiting for the guest to let it go unless force.
	 * 0 (a network device: its number) or -errno with one line in err. */
	int (*dev_attach)(void *ctx, uint32_t domid, const char *kind, const char *spec, char *err, size_t errlen);
	int (*dev_detach)(void *ctx, uint32_t domid, const char *kind, const char *name, bool force, char *err,
	                  size_t errlen);
};

/* Serve sock_path (its directory is created if missing; a stale socket
 * left by a dead pvmon is replaced, a live one is not). 0 or -errno:
 * -EADDRINUSE another server answers there, -EEXIST the path is not a
 * socket, -ENAMETOOLONG, -EBUSY already started. Spawns the thread. */
int control_start(const char *sock_path, const struct control_ops *ops, void *ctx);
/* Close the socket, end every client connection, unlink the path, join
 * the threads. Safe to call when not started. */
void control_stop(void);
/* Before control_start: close a connection that sends no request for
 * this many seconds (CTL_IDLE_S; 0: never), so idle clients cannot hold
 * every slot. */
void control_set_idle_timeout(int seconds);
/* A Unix socket server's plumbing, the control socket's and the xenstore
 * socket's: the listening socket, a self-pipe that wakes the server's
 * thread (non-blocking both ends), the thread. */
struct unix_server {
	int listen_fd, wake[2];
	pthread_t thread;
	char path[108];
};
/* Listen at path (the directory made, a stale socket replaced, a live one
 * refused with -EADDRINUSE, -EEXIST where path is not a socket,
 * -ENAMETOOLONG) and make the pipe; 0 or -errno, nothing left behind. */
int unix_server_open(struct unix_server *u, const char *path, int backlog);
/* The thread, with every asynchronous signal blocked (those stay with
 * pvmon's main and vCPU threads); on failure the server is closed. */
int unix_server_run(struct unix_server *u, void *(*main)(void *));
/* After the thread is joined: close both, unlink the path. */
void unix_server_close(struct unix_server *u);
/* $PVLAB_SOCKET if set and not empty, else CTL_DEFAULT_SOCKET. */
const char *control_default_socket(void);
#endif
