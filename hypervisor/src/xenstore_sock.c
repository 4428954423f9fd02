/* The xenstore socket: one thread polls the listening socket and every
 * client; a client's bytes go to its xs_conn, what the store sends it is
 * queued here and written out when the socket takes it. The store sends
 * with its lock held, from any thread (a domain's write fires a Domain 0
 * watch), so sending only queues under the client's out_lock and wakes
 * the thread through a pipe. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "control.h"
#include "xenstore_sock.h"

/* What one client may have queued and unread before it is dropped: its
 * requests wait behind the outstanding quota, but watch events to Domain 0
 * are never dropped by the store. */
#define XS_SOCK_MAX_QUEUED (16u << 20)

struct sclient {
	int fd;
	struct xs_conn *c;
	pthread_mutex_t out_lock;       /* guards out, out_len, out_cap, broken */
	char *out;
	size_t out_len, out_cap;
	bool broken;                    /* over XS_SOCK_MAX_QUEUED or out of memory */
};

static struct {
	struct xs_store *s;
	struct unix_server srv;
	bool running;
	atomic_bool stopping;
	struct sclient cl[XS_SOCK_MAX_CLIENTS];
} xsock = { .srv = { .listen_fd = -1, .wake = { -1, -1 } } };

static void wake_thread(void)
{
	char b = 'w';
	if (write(xsock.srv.wake[1], &b, 1) < 0 && errno != EAGAIN)
		return;     /* a full pipe already wakes it */
}

static void client_send(void *ctx, const void *msg, size_t len)
{
	struct sclient *sc = ctx;
	pthread_mutex_lock(&sc->out_lock);
	if (!sc->broken && sc->out_len + len > sc->out_cap) {
		size_t cap = sc->out_cap ? sc->out_cap : 8192;
		while (cap < sc->out_len + len)
			cap *= 2;
		char *o = cap <= XS_SOCK_MAX_QUEUED ? realloc(sc->out, cap) : NULL;
		if (o) {
			sc->out = o;
			sc->out_cap = cap;
		} else {
			sc->broken = true;
		}
	}
	if (!sc->broken) {
		memcpy(sc->out + sc->out_len, msg, len);
		sc->out_len += len;
	}
	pthread_mutex_unlock(&sc->out_lock);
	wake_thread();
}

static void client_close(struct sclient *sc)
{
	xs_conn_free(sc->c);        /* after this the store sends it nothing */
	close(sc->fd);
	free(sc->out);
	pthread_mutex_destroy(&sc->out_lock);
	*sc = (struct sclient){ .fd = -1 };
}

static void client_accept(void)
{
	int fd = accept4(xsock.srv.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (int i = 0; i < XS_SOCK_MAX_CLIENTS; i++) {
		struct sclient *sc = &xsock.cl[i];
		if (sc->c)
			continue;
		*sc = (struct sclient){ .fd = fd };
		pthread_mutex_init(&sc->out_lock, NULL);
		sc->c = xs_conn_new(xsock.s, 0, client_send, sc);
		if (sc->c) {
			xs_conn_output_done(sc->c, 0);      /* count what it has not read */
			return;
		}
		pthread_mutex_destroy(&sc->out_lock);
		*sc = (struct sclient){ .fd = -1 };
		fprintf(stderr, "pvmon: xenstore: out of memory for a client of %s\n", xsock.srv.path);
		close(fd);
		return;
	}
	fprintf(stderr, "pvmon: xenstore: %d clients already connected to %s; one more refused\n",
	        XS_SOCK_MAX_CLIENTS, xsock.srv.path);
	close(fd);
}

/* false: close the client. */
static bool client_read(struct sclient *sc)
{
	char buf[8192];
	size_t want = xs_conn_input_space(sc->c);
	if (!want)
		return true;
	ssize_t n = read(sc->fd, buf, want < sizeof(buf) ? want : sizeof(buf));
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	return n > 0 && xs_conn_input(sc->c, buf, (size_t)n) == 0;
}

static bool client_write(struct sclient *sc)
{
	pthread_mutex_lock(&sc->out_lock);
	ssize_t n = sc->out_len ? send(sc->fd, sc->out, sc->out_len, MSG_NOSIGNAL | MSG_DONTWAIT) : 0;
	int err = errno;
	if (n > 0) {
		memmove(sc->out, sc->out + n, sc->out_len - (size_t)n);
		sc->out_len -= (size_t)n;
	}
	bool broken = sc->broken;
	pthread_mutex_unlock(&sc->out_lock);
	if (n > 0)
		xs_conn_output_done(sc->c, (size_t)n);
	return !broken && (n >= 0 || err == EAGAIN || err == EINTR);
}

static short client_events(struct sclient *sc)
{
	pthread_mutex_lock(&sc->out_lock);
	short ev = (short)(sc->out_len || sc->broken ? POLLOUT : 0);
	pthread_mutex_unlock(&sc->out_lock);
	return (short)(ev | (xs_conn_input_space(sc->c) ? POLLIN : 0));
}

static void *xsock_main(void *arg)
{
	(void)arg;
	struct pollfd p[2 + XS_SOCK_MAX_CLIENTS];
	int who[2 + XS_SOCK_MAX_CLIENTS];
	while (!atomic_load(&xsock.stopping)) {
		int n = 0;
		p[n++] = (struct pollfd){ .fd = xsock.srv.wake[0], .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = xsock.srv.listen_fd, .events = POLLIN };
		for (int i = 0; i < XS_SOCK_MAX_CLIENTS; i++)
			if (xsock.cl[i].c) {
				who[n] = i;
				p[n++] = (struct pollfd){ .fd = xsock.cl[i].fd, .events = client_events(&xsock.cl[i]) };
			}
		if (poll(p, (nfds_t)n, -1) < 0)
			continue;
		if (p[0].revents) {
			char b[64];
			while (read(xsock.srv.wake[0], b, sizeof(b)) > 0)
				;
		}
		if (p[1].revents & POLLIN)
			client_accept();
		for (int k = 2; k < n; k++) {
			struct sclient *sc = &xsock.cl[who[k]];
			bool ok = true;
			if (p[k].revents & POLLOUT)
				ok = client_write(sc);
			if (ok && (p[k].revents & POLLIN))
				ok = client_read(sc) && client_write(sc);
			if (ok && (p[k].revents & (POLLHUP | POLLERR | POLLNVAL)) && !(p[k].revents & POLLIN))
				ok = false;
			if (!ok)
				client_close(sc);
		}
	}
	return NULL;
}

int xenstore_sock_start(struct xs_store *s, const char *path)
{
	if (xsock.running)
		return -EBUSY;
	int rc = unix_server_open(&xsock.srv, path, XS_SOCK_MAX_CLIENTS);
	if (rc)
		return rc;
	xsock.s = s;
	atomic_store(&xsock.stopping, false);
	for (int i = 0; i < XS_SOCK_MAX_CLIENTS; i++)
		xsock.cl[i] = (struct sclient){ .fd = -1 };
	if ((rc = unix_server_run(&xsock.srv, xsock_main)))
		return rc;
	xsock.running = true;
	return 0;
}

void xenstore_sock_stop(void)
{
	if (!xsock.running)
		return;
	atomic_store(&xsock.stopping, true);
	wake_thread();
	pthread_join(xsock.srv.thread, NULL);
	for (int i = 0; i < XS_SOCK_MAX_CLIENTS; i++)
		if (xsock.cl[i].c)
			client_close(&xsock.cl[i]);
	unix_server_close(&xsock.srv);
	xsock.running = false;
}

const char *xenstore_default_socket(void)
{
	static char path[sizeof(xsock.srv.path)];
	const char *ctl = control_default_socket(), *slash = strrchr(ctl, '/');
	if (!slash)
		snprintf(path, sizeof(path), "%s", XS_SOCK_NAME);
	else
		snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - ctl), ctl, XS_SOCK_NAME);
	return path;
}
