/* Console output and history for each domain, and the console_io
 * hypercall that writes to it and reads its input. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "console.h"
#include "domain.h"
#include "guest_access.h"
#include "hypercall.h"
#include "pvmon.h"

static pthread_mutex_t console_lock = PTHREAD_MUTEX_INITIALIZER; /* guards all consoles and stdout */

struct console {
	char name[40];
	FILE *out;
	char line[512];
	size_t line_len;
	char ring[CONSOLE_HISTORY];
	uint64_t total;           /* bytes ever written */
	char in[CONSOLE_INPUT];   /* input ring: in_head - in_tail bytes queued */
	uint64_t in_head, in_tail;
	console_stamp_fn *stamp_fn;
	void *stamp_ctx;
	char stamp[CONSOLE_STAMP];   /* the last write's, for the lines it ends */
};

struct console *console_new(const char *name, FILE *out)
{
	struct console *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->out = out;
	return c;
}

void console_free(struct console *c)
{
	free(c);
}

void console_set_stamp(struct console *c, console_stamp_fn *fn, void *ctx)
{
	c->stamp_fn = fn;
	c->stamp_ctx = ctx;
}

static void emit_line(struct console *c)
{
	if (c->out && c->stamp_fn) {
		fprintf(c->out, "[%s] {%s} %.*s\n", c->name, c->stamp, (int)c->line_len, c->line);
		fflush(c->out);
	} else if (c->out) {
		fprintf(c->out, "[%s] %.*s\n", c->name, (int)c->line_len, c->line);
		fflush(c->out);
	}
	c->line_len = 0;
}

void console_write(struct console *c, const char *buf, size_t len)
{
	char stamp[CONSOLE_STAMP];
	if (c->stamp_fn)
		c->stamp_fn(c->stamp_ctx, stamp, sizeof(stamp));   /* outside console_lock: the innermost lock */
	pthread_mutex_lock(&console_lock);
	if (c->stamp_fn)
		memcpy(c->stamp, stamp, sizeof(stamp));
	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];
		c->ring[c->total++ % CONSOLE_HISTORY] = ch;
		if (ch == '\n') {
			emit_line(c);
			continue;
		}
		if (ch == '\r')
			continue;
		/* Keep the host terminal safe from a hostile guest's escape codes. */
		if ((unsigned char)ch < 0x20 && ch != '\t')
			ch = '?';
		c->line[c->line_len++] = ch;
		if (c->line_len == sizeof(c->line))
			emit_line(c);
	}
	pthread_mutex_unlock(&console_lock);
}

void console_flush(struct console *c)
{
	pthread_mutex_lock(&console_lock);
	if (c->line_len)
		emit_line(c);
	pthread_mutex_unlock(&console_lock);
}

size_t console_read(struct console *c, uint64_t *off, char *buf, size_t len)
{
	pthread_mutex_lock(&console_lock);
	uint64_t first = c->total > CONSOLE_HISTORY ? c->total - CONSOLE_HISTORY : 0;
	if (*off < first)
		*off = first;
	size_t n = 0;
	while (n < len && *off < c->total)
		buf[n++] = c->ring[(*off)++ % CONSOLE_HISTORY];
	pthread_mutex_unlock(&console_lock);
	return n;
}

size_t console_input_push(struct console *c, const char *buf, size_t len)
{
	pthread_mutex_lock(&console_lock);
	size_t n = 0;
	while (n < len && c->in_head - c->in_tail < CONSOLE_INPUT)
		c->in[c->in_head++ % CONSOLE_INPUT] = buf[n++];
	pthread_mutex_unlock(&console_lock);
	return n;
}

size_t console_input_pull(struct console *c, char *buf, size_t len)
{
	pthread_mutex_lock(&console_lock);
	size_t n = 0;
	while (n < len && c->in_tail < c->in_head)
		buf[n++] = c->in[c->in_tail++ % CONSOLE_INPUT];
	pthread_mutex_unlock(&console_lock);
	return n;
}

/* ---- console_io(cmd, count, buf) ------------------------------------------ */

long hc_console_io(struct vcpu *v, const uint64_t a[5])
{
	char buf[PV_CONSOLE_MAX];
	uint64_t cmd = a[0], count = a[1];
	if (cmd != PV_CONSOLE_write && cmd != PV_CONSOLE_read)
		return guest_reject(v, "cmd", cmd, -EINVAL);
	if (count > PV_CONSOLE_MAX)
		return guest_reject(v, "count", count, -EINVAL);
	if (cmd == PV_CONSOLE_read) {
		/* Check the buffer first so a bad one loses no input. */
		const struct guestmem *gm = domain_gm(v->dom);
		uint64_t gpa;
		if (count && (guestmem_translate(gm, v->sregs.cr3, a[2], true, &gpa) ||
		              guestmem_translate(gm, v->sregs.cr3, a[2] + count - 1, true, &gpa)))
			return guest_reject(v, "pointer", a[2], -EFAULT);
		size_t n = console_input_pull(v->dom->console, buf, count);
		long rc = guest_copy_to(v, a[2], buf, n);
		return rc ? rc : (long)n;
	}
	long rc = guest_copy_from(v, buf, a[2], count);
	if (rc)
		return rc;
	console_write(v->dom->console, buf, count);
	return (long)count;
}
