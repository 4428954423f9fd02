/* The xenstore side of pvmon's Xen back ends (xen_backend.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xen/io/xenbus.h>
#include "xen_backend.h"
#include <xen/io/xs_wire.h>

int xbe_put(struct xs_store *s, const char *dir, const char *node, const char *fmt, ...)
{
	char path[160], val[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", dir, node);
	return xs_write(s, path, val, strlen(val));
}

int xbe_get_u32(struct xs_store *s, const char *dir, const char *node, uint32_t *v)
{
	char path[160], val[32], *end;
	size_t len = sizeof(val) - 1;
	snprintf(path, sizeof(path), "%s/%s", dir, node);
	int rc = xs_read(s, path, val, &len);
	if (rc)
		return rc;
	val[len] = 0;
	errno = 0;
	unsigned long n = strtoul(val, &end, 10);
	if (errno || end == val || *end || n > UINT32_MAX)
		return -EINVAL;
	*v = (uint32_t)n;
	return 0;
}

void xbe_own(struct xs_store *s, const char *dir, unsigned owner, unsigned reader)
{
	char o[16], r[16];
	snprintf(o, sizeof(o), "n%u", owner);
	snprintf(r, sizeof(r), "r%u", reader);
	const char *perms[] = { o, r };
	xs_set_perms(s, dir, perms, 2);
}

struct xs_conn *xbe_watch(struct xs_store *s, const char *path, xs_send_fn *fn, void *ctx)
{
	struct xs_conn *c = xs_conn_new(s, 0, fn, ctx);
	if (!c)
		return NULL;
	struct {
		struct xsd_sockmsg h;
		char body[200];
	} m = { .h = { .type = XS_WATCH, .req_id = 1 } };
	int n = snprintf(m.body, sizeof(m.body), "%s%cpvmon", path, 0);
	m.h.len = (uint32_t)n + 1;
	if (xs_conn_input(c, &m, sizeof(m.h) + m.h.len)) {
		xs_conn_free(c);
		return NULL;
	}
	return c;
}

bool xbe_watch_event(const void *msg, size_t len)
{
	const struct xsd_sockmsg *h = msg;
	return len >= sizeof(*h) && h->type == XS_WATCH_EVENT;
}

bool xbe_close_frontend(struct xs_store *s, const char *fe, const char *be, unsigned wait_ms)
{
	uint32_t fs = XenbusStateUnknown;
	xbe_get_u32(s, fe, "state", &fs);
	if (fs == XenbusStateInitialising || fs == XenbusStateClosed || fs == XenbusStateUnknown)
		return true;
	xbe_put(s, be, "online", "0");
	xbe_put(s, be, "state", "%u", XenbusStateClosing);
	for (unsigned t = 0; t < wait_ms; t += 20) {
		usleep(20000);
		if (!xbe_get_u32(s, fe, "state", &fs) && fs == XenbusStateClosed)
			return true;
	}
	return false;
}
