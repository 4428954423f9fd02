/* The control socket inside: what control.c (the socket, its threads and
 * the line framing) and control_req.c (the requests) share. Nothing else
 * includes this. */
#ifndef PVMON_CONTROL_CONN_H
#define PVMON_CONTROL_CONN_H
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/un.h>
#include "control.h"

#define CTL_MAX_ARGS 8
#define CTL_CHUNK 4096
#define CTL_LIST_LIMIT 65536
#define CTL_STATE_EVERY 4        /* follow: check the domain's state every 4 idle polls */

struct client {
	int fd;
	pthread_t thread;
	bool used;                   /* slot holds a thread not yet joined */
	bool done;                   /* its thread has finished serving */
};

/* The server: the core's operations, the listener and the clients. */
struct ctl_server {
	const struct control_ops *ops;
	void *ctx;
	int idle_s;                  /* a connection quiet this long between requests is closed */
	bool running;
	atomic_bool stopping;
	struct unix_server srv;      /* its wake pipe: stop requested, or a client finished */
	pthread_mutex_t clients_lock;    /* guards clients[] */
	struct client clients[CTL_MAX_CLIENTS];
};
extern struct ctl_server ctl_srv;

/* One client connection: buffered request bytes not yet consumed. */
struct conn {
	int fd;
	size_t len;
	char buf[CTL_MAX_LINE];
};

/* One reply line (control bytes become spaces), and the ERR line of a
 * positive errno; both return the send status (0: the connection goes on). */
int ctl_reply(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ctl_reply_err(struct conn *c, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int ctl_send_all(int fd, const void *buf, size_t len);
/* Answer one request line (control_req.c). 0: read the next one; <0: close. */
int ctl_serve(struct conn *c, char *line, size_t len);
#endif
