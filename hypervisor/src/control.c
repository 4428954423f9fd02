/* The control socket: Domain 0's way into pvmon. A listener thread accepts
 * AF_UNIX stream connections, a thread per client reads request lines and
 * answers them through the core's control_ops; the core owns the domains.
 *
 * Protocol (version 1; docs/control-protocol.md is the long form):
 *   request   one line of at most CTL_MAX_LINE bytes, newline included;
 *             words split by spaces; several requests may follow on one
 *             connection, each answered in full before the next is read.
 *   reply     zero or more data items, then exactly one terminator:
 *               D <text>            a data line (list: one JSON object)
 *               C <n>\n<n bytes>    a console chunk, raw bytes (n <= 4096)
 *               OK[ <text>]         success
 *               ERR <ENAME> <msg>   failure: errno name, one-line message
 *   requests  ping                            OK pvmon-control 1
 *             help                            D usage lines, OK
 *             sched                           OK bvt|rr
 *             list                            D {json} per domain, OK <count>
 *             create <absolute cfg path>      OK <domid> <name>
 *             destroy|pause|unpause <DOMAIN>  OK <domid> <name>
 *             console <DOMAIN> [follow|history]
 *                       C chunks from the start of the history, then
 *                       history: OK history   (all there is now)
 *                       follow:  OK shutdown <code> | OK crashed <code> when
 *                                the domain has ended and all it wrote is
 *                                sent (OK gone: it left, without dom_get
 *                                ops); or the client closes to stop
 *             sched-bvt <DOMAIN> [weight=N] [warp=NS] [warpl=NS] [warpu=NS]
 *                                             OK <domid> <name>
 *             sched-rr <SLICE_NS>             OK
 *             input <DOMAIN> <text...>        OK <bytes> (text + newline to the guest)
 *             mem-set <DOMAIN> <MIB>          OK <domid> <name> (balloon target set)
 *   DOMAIN is a numeric id (tried first) or a name.
 * A line that is too long gets ERR E2BIG and the connection is closed; any
 * other bad request gets one ERR line and the connection stays usable. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "control_conn.h"

struct ctl_server ctl_srv = {
	.srv = { .listen_fd = -1, .wake = { -1, -1 } },
	.idle_s = CTL_IDLE_S,
	.clients_lock = PTHREAD_MUTEX_INITIALIZER,
};

void control_set_idle_timeout(int seconds)
{
	ctl_srv.idle_s = seconds;
}

const char *control_default_socket(void)
{
	const char *s = getenv("PVLAB_SOCKET");
	return s && *s ? s : CTL_DEFAULT_SOCKET;
}

static const char *errname(int err)
{
	const char *n = strerrorname_np(err);
	return n ? n : "EIO";
}

/* ---- writing replies ------------------------------------------------ */

int ctl_send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One reply line; control bytes (from a config error, a name) become
 * spaces so that the reply stays one line. */
static int vreply(struct conn *c, const char *fmt, va_list ap)
{
	char line[CTL_REPLY_MAX];
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	if (n < 0)
		return -EINVAL;
	size_t len = (size_t)n < sizeof(line) - 2 ? (size_t)n : sizeof(line) - 2;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = ' ';
	line[len++] = '\n';
	return ctl_send_all(c->fd, line, len);
}

int ctl_reply(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vreply(c, fmt, ap);
	va_end(ap);
	return rc;
}

/* ERR <ENAME> <message>; err is a positive errno. Returns the send status
 * (0: the connection goes on). */
int ctl_reply_err(struct conn *c, int err, const char *fmt, ...)
{
	char msg[CTL_REPLY_MAX - 32];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ctl_reply(c, "ERR %s %s", errname(err), msg);
}

/* ---- reading requests ----------------------------------------------- */

/* Next request line into line, *len its length (newline and a trailing
 * CR stripped; it may hold NUL bytes, which serve() refuses).
 * 1 a line, 0 end of stream, -E2BIG a line too long, -errno. */
static int read_request(struct conn *c, char *line, size_t *len)
{
	bool eof = false;
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (!nl && c->len == sizeof(c->buf))
			return -E2BIG;
		if (nl || (eof && c->len)) {
			/* A last request without its newline still counts. */
			size_t n = nl ? (size_t)(nl - c->buf) : c->len;
			memcpy(line, c->buf, n);
			line[n] = '\0';
			size_t used = nl ? n + 1 : n;
			if (n && line[n - 1] == '\r')
				line[--n] = '\0';
			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			*len = n;
			return 1;
		}
		if (eof)
			return 0;
		ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -ETIMEDOUT;          /* SO_RCVTIMEO: idle too long */
		if (n < 0)
			return -errno;
		if (n == 0)
			eof = true;
		c->len += (size_t)n;
	}
}

/* ---- threads -------------------------------------------------------- */

static void wake_listener(char why)
{
	ssize_t n = write(ctl_srv.srv.wake[1], &why, 1);
	(void)n;   /* a full pipe already holds a wakeup */
}

static void *client_main(void *arg)
{
	struct client *cl = arg;
	struct conn *c = malloc(sizeof(*c));
	char *line = malloc(CTL_MAX_LINE);
	if (c && line) {
		c->fd = cl->fd;
		c->len = 0;
		for (;;) {
			size_t len = 0;
			int rc = read_request(c, line, &len);
			if (rc == -E2BIG) {
				ctl_reply_err(c, E2BIG, "request longer than %d bytes; closing the connection",
				          CTL_MAX_LINE - 1);
				break;
			}
			if (rc == -ETIMEDOUT) {
				/* Connections are few (CTL_MAX_CLIENTS): an idle one gives its slot up. */
				ctl_reply_err(c, ETIMEDOUT, "no request for %d s; closing the connection", ctl_srv.idle_s);
				break;
			}
			if (rc <= 0 || ctl_serve(c, line, len) < 0)
				break;
		}
	}
	free(line);
	free(c);
	/* The fd stays open until the listener joins us: control_stop may
	 * still shut it down, and a closed number could be reused meanwhile. */
	shutdown(cl->fd, SHUT_RDWR);
	pthread_mutex_lock(&ctl_srv.clients_lock);
	cl->done = true;
	pthread_mutex_unlock(&ctl_srv.clients_lock);
	wake_listener('c');
	return NULL;
}

static void reap_clients(bool all)
{
	pthread_mutex_lock(&ctl_srv.clients_lock);
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct client *cl = &ctl_srv.clients[i];
		if (!cl->used || (!cl->done && !all))
			continue;
		/* Only this thread (the listener, or control_stop once the listener
		 * is gone) changes `used`, so the slot is ours while unlocked. */
		pthread_mutex_unlock(&ctl_srv.clients_lock);
		pthread_join(cl->thread, NULL);
		pthread_mutex_lock(&ctl_srv.clients_lock);
		close(cl->fd);
		cl->used = cl->done = false;
		cl->fd = -1;
	}
	pthread_mutex_unlock(&ctl_srv.clients_lock);
}

static void refuse(int fd, int err, const char *why)
{
	char line[160];
	int n = snprintf(line, sizeof(line), "ERR %s %s\n", errname(err), why);
	if (n > 0 && (size_t)n < sizeof(line))
		send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

static void accept_one(void)
{
	int fd = accept4(ctl_srv.srv.listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			usleep(100000);   /* nothing to do but wait for fds to free up */
		return;
	}
	pthread_mutex_lock(&ctl_srv.clients_lock);
	struct client *cl = NULL;
	for (int i = 0; i < CTL_MAX_CLIENTS && !cl; i++)
		if (!ctl_srv.clients[i].used)
			cl = &ctl_srv.clients[i];
	if (cl) {
		struct timeval idle = { .tv_sec = ctl_srv.idle_s };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
		cl->used = true;
		cl->done = false;
		cl->fd = fd;
		if (pthread_create(&cl->thread, NULL, client_main, cl)) {
			cl->used = false;
			cl->fd = -1;
			cl = NULL;
			pthread_mutex_unlock(&ctl_srv.clients_lock);
			refuse(fd, EAGAIN, "pvmon cannot start a thread for this connection; try again");
			return;
		}
	}
	pthread_mutex_unlock(&ctl_srv.clients_lock);
	if (!cl)
		refuse(fd, EBUSY, "too many control connections at once; try again");
}

static void *listener_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&ctl_srv.stopping)) {
		struct pollfd p[2] = {
			{ .fd = ctl_srv.srv.listen_fd, .events = POLLIN },
			{ .fd = ctl_srv.srv.wake[0], .events = POLLIN },
		};
		if (poll(p, 2, -1) < 0) {
			if (errno != EINTR)
				usleep(100000);
			continue;
		}
		if (p[1].revents) {
			char junk[64];
			while (read(ctl_srv.srv.wake[0], junk, sizeof(junk)) > 0)
				;
			reap_clients(false);
		}
		if ((p[0].revents & POLLIN) && !atomic_load(&ctl_srv.stopping))
			accept_one();
	}
	return NULL;
}

/* ---- start and stop ------------------------------------------------- */

static int mkdir_parents(const char *path)
{
	char dir[sizeof(ctl_srv.srv.path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; ; p++) {
		if (*p && *p != '/')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
		*p = saved;
		if (!saved)
			return 0;
	}
}

/* A socket file already at path: refuse a live server, remove a stale one. */
static int clear_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) ? -errno : 0;
	close(fd);
	if (rc == 0)
		return -EADDRINUSE;
	if (rc != -ECONNREFUSED)
		return rc;
	return unlink(path) && errno != ENOENT ? -errno : 0;
}

static int unix_listen(const char *path, int backlog)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int rc = mkdir_parents(path);
	if (!rc)
		rc = clear_stale(path, &sa);
	if (rc)
		return rc;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Listen under a temporary name, then rename: the socket appears at
	 * path only once it accepts, so a client that waits for the file never
	 * meets a refused connection. */
	struct sockaddr_un tmp = { .sun_family = AF_UNIX };
	int n = snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%d", path, (int)getpid());
	const struct sockaddr_un *at = n > 0 && (size_t)n < sizeof(tmp.sun_path) ? &tmp : &sa;
	unlink(tmp.sun_path);
	if (bind(fd, (const struct sockaddr *)at, sizeof(*at)) || chmod(at->sun_path, 0660) ||
	    listen(fd, backlog) || (at == &tmp && rename(tmp.sun_path, path))) {
		rc = -errno;
		if (at == &tmp)
			unlink(tmp.sun_path);
		close(fd);
		return rc;
	}
	return fd;
}

int unix_server_open(struct unix_server *u, const char *path, int backlog)
{
	if (!path || !*path || strlen(path) >= sizeof(u->path))
		return -ENAMETOOLONG;
	int fd = unix_listen(path, backlog);
	if (fd < 0)
		return fd;
	if (pipe2(u->wake, O_CLOEXEC | O_NONBLOCK)) {
		int rc = -errno;
		close(fd);
		unlink(path);
		return rc;
	}
	u->listen_fd = fd;
	snprintf(u->path, sizeof(u->path), "%s", path);
	return 0;
}

void unix_server_close(struct unix_server *u)
{
	close(u->listen_fd);
	unlink(u->path);
	close(u->wake[0]);
	close(u->wake[1]);
	u->listen_fd = u->wake[0] = u->wake[1] = -1;
}

int unix_server_run(struct unix_server *u, void *(*main)(void *))
{
	sigset_t all, old;
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGABRT);
	sigdelset(&all, SIGTRAP);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = -pthread_create(&u->thread, NULL, main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		unix_server_close(u);
	return rc;
}

int control_start(const char *sock_path, const struct control_ops *ops, void *ctx)
{
	if (ctl_srv.running)
		return -EBUSY;
	if (!sock_path || !*sock_path || !ops || !ops->create || !ops->list || !ops->destroy ||
	    !ops->pause || !ops->unpause || !ops->console_read || !ops->sched_bvt ||
	    !ops->sched_rr || !ops->sched_name)
		return -EINVAL;
	int rc = unix_server_open(&ctl_srv.srv, sock_path, CTL_MAX_CLIENTS);
	if (rc)
		return rc;
	ctl_srv.ops = ops;
	ctl_srv.ctx = ctx;
	atomic_store(&ctl_srv.stopping, false);
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		ctl_srv.clients[i] = (struct client){ .fd = -1 };
	/* The control threads take no asynchronous signals. */
	if ((rc = unix_server_run(&ctl_srv.srv, listener_main)))
		return rc;
	ctl_srv.running = true;
	return 0;
}

void control_stop(void)
{
	if (!ctl_srv.running)
		return;
	atomic_store(&ctl_srv.stopping, true);
	wake_listener('s');
	pthread_join(ctl_srv.srv.thread, NULL);
	/* No new clients now; wake the ones blocked in recv, send or poll. */
	pthread_mutex_lock(&ctl_srv.clients_lock);
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (ctl_srv.clients[i].used)
			shutdown(ctl_srv.clients[i].fd, SHUT_RDWR);
	pthread_mutex_unlock(&ctl_srv.clients_lock);
	reap_clients(true);
	unix_server_close(&ctl_srv.srv);
	ctl_srv.running = false;
}
