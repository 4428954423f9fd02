/* xenstore_sock.c: a client on the Unix socket writes and reads (requests
 * split across writes), gets a watch event fired by pvmon's own write from
 * another thread, is closed after a header announcing too much; a second
 * server on a live path is refused; the socket file goes with the server. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <xen/io/xs_wire.h>
#include "check.h"
#include "../../hypervisor/src/control.h"
#include "../../hypervisor/src/xenstore_sock.h"

static int dial(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void put(int fd, uint32_t type, const char *payload, size_t len, size_t split)
{
	struct xsd_sockmsg h = { .type = type, .req_id = 9, .len = (uint32_t)len };
	char buf[sizeof(h) + 256];
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, len);
	size_t n = sizeof(h) + len;
	split = split < n ? split : n;
	CHECK_EQ(write(fd, buf, split), (ssize_t)split);
	if (split < n)
		CHECK_EQ(write(fd, buf + split, n - split), (ssize_t)(n - split));
}

static bool read_all(int fd, void *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* The next message: its type, and its payload in body (NUL added). */
static uint32_t get(int fd, char *body, size_t size)
{
	struct xsd_sockmsg h;
	if (!read_all(fd, &h, sizeof(h)) || h.len >= size || !read_all(fd, body, h.len))
		return XS_INVALID;
	body[h.len] = '\0';
	return h.type;
}

int main(void)
{
	char dir[] = "/tmp/pvlab-xssock.XXXXXX", path[64], body[XENSTORE_PAYLOAD_MAX + 1];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/xs.sock", dir);
	struct xs_store *s = xs_store_new(NULL);
	CHECK_EQ(xenstore_sock_start(s, path), 0);
	CHECK_EQ(xenstore_sock_start(s, path), -EBUSY);

	int fd = dial(path);
	CHECK(fd >= 0);
	put(fd, XS_WRITE, "/x/y\0hello", 10, 3);
	CHECK_EQ(get(fd, body, sizeof(body)), XS_WRITE);
	CHECK_STR(body, "OK");
	put(fd, XS_READ, "/x/y", 5, 100);
	CHECK_EQ(get(fd, body, sizeof(body)), XS_READ);
	CHECK_STR(body, "hello");
	put(fd, XS_READ, "/x/none", 8, 100);
	CHECK_EQ(get(fd, body, sizeof(body)), XS_ERROR);
	CHECK_STR(body, "ENOENT");
	/* A watch: OK, the first event, then one fired by pvmon's own write
	 * from this thread while the server's thread sends it. */
	put(fd, XS_WATCH, "/x\0tk", 6, 100);
	CHECK_EQ(get(fd, body, sizeof(body)), XS_WATCH);
	CHECK_EQ(get(fd, body, sizeof(body)), XS_WATCH_EVENT);
	CHECK_STR(body, "/x");
	CHECK_EQ(xs_write(s, "/x/z", "1", 1), 0);
	CHECK_EQ(get(fd, body, sizeof(body)), XS_WATCH_EVENT);
	CHECK_STR(body, "/x/z");
	/* A header announcing too much: the server closes the connection. */
	struct xsd_sockmsg h = { .type = XS_READ, .len = XENSTORE_PAYLOAD_MAX + 1 };
	CHECK_EQ(write(fd, &h, sizeof(h)), (ssize_t)sizeof(h));
	CHECK_EQ(read(fd, body, 1), 0);
	close(fd);

	/* Another server on the live path is refused; the file goes at stop. */
	xenstore_sock_stop();
	struct stat st;
	CHECK(stat(path, &st) != 0);
	CHECK_EQ(xenstore_sock_start(s, path), 0);
	int fd2 = dial(path);
	CHECK(fd2 >= 0);
	struct unix_server u;
	CHECK_EQ(unix_server_open(&u, path, 1), -EADDRINUSE);
	xenstore_sock_stop();
	close(fd2);
	xs_store_free(s);
	rmdir(dir);
	return CHECK_DONE();
}
