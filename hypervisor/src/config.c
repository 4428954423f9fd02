/* Domain configuration parser. Strict: unknown keys, repeated keys, values
 * out of range and trailing junk are errors with the file and line. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config.h"
#include "numparse.h"

enum kind { K_STR, K_INT, K_LIST };
struct key {
	const char *name;
	enum kind kind;
	long long min, max;       /* K_INT bounds; K_STR max length */
	size_t off;
	int size;                 /* bytes of the target field */
	size_t count;             /* K_LIST: the offset of its number of entries */
	unsigned entries;         /* K_LIST: at most */
};

#define FL(field, n, max) offsetof(struct dom_config, field), (int)sizeof(((struct dom_config *)0)->field), \
                          offsetof(struct dom_config, n), max
#define F(field) FL(field, name, 0)
static const struct key keys[] = {
	{ "name",    K_STR, 1, CFG_NAME_MAX - 1,     F(name) },
	{ "memory",  K_INT, CFG_MEM_MIN_MIB, CFG_MEM_MAX_MIB, F(memory_mib) },
	{ "vcpus",   K_INT, 1, 8,                    F(vcpus) },
	{ "kernel",  K_STR, 1, 4095,                 F(kernel) },
	{ "ramdisk", K_STR, 1, 4095,                 F(ramdisk) },
	{ "cmdline", K_STR, 0, CFG_CMDLINE_MAX - 1,  F(cmdline) },
	{ "extra",   K_STR, 0, CFG_CMDLINE_MAX - 1,  F(cmdline) },   /* xl.cfg's name for it */
	{ "weight",  K_INT, 1, 10000,                F(weight) },
	{ "warp",    K_INT, 0, 10000000000LL,        F(warp_ns) },
	{ "warpl",   K_INT, 0, 10000000000LL,        F(warpl_ns) },
	{ "warpu",   K_INT, 0, 10000000000LL,        F(warpu_ns) },
	/* lists of strings on one line */
	{ "disk",    K_LIST, 1, CFG_DISK_MAX - 1,    FL(disk, ndisks, CFG_DISKS_MAX) },
	{ "vif",     K_LIST, 0, CFG_VIF_MAX - 1,     FL(vif, nvifs, CFG_VIFS_MAX) },
	{ "pvnet",   K_STR, 1, 31,                   F(pvnet) },  /* pvos's network interface */
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static int fail(char *err, size_t n, const char *path, int line, const char *fmt, ...)
{
	va_list ap;
	int k = snprintf(err, n, "%s:%d: ", path, line);
	va_start(ap, fmt);
	if (k >= 0 && (size_t)k < n)
		vsnprintf(err + k, n - k, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool valid_name(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

static void store_int(struct dom_config *c, const struct key *k, long long v)
{
	char *p = (char *)c + k->off;
	if (k->size == 4)
		*(uint32_t *)p = (uint32_t)v;
	else
		*(uint64_t *)p = (uint64_t)v;
}

/* One quoted string at *s (either quote), its length within min..max,
 * copied to dst; *s moves past it. NULL or an error message. */
static const char *quoted(const struct key *k, const char **s, char *dst, char *buf, size_t bn)
{
	char q = **s;
	if (q != '"' && q != '\'')
		return snprintf(buf, bn, "%s: expected a quoted string", k->name), buf;
	const char *close = strchr(*s + 1, q);
	if (!close)
		return snprintf(buf, bn, "%s: unterminated string", k->name), buf;
	size_t len = (size_t)(close - *s - 1);
	if ((long long)len < k->min || (long long)len > k->max)
		return snprintf(buf, bn, "%s: length %zu is out of range %lld..%lld", k->name, len, k->min, k->max), buf;
	memcpy(dst, *s + 1, len);
	dst[len] = 0;
	*s = close + 1;
	return NULL;
}

/* xl.cfg's list: [ "a", "b" ] on one line, at most k->entries strings. */
static const char *parse_list(const struct key *k, const char *s, struct dom_config *c, char *buf, size_t bn)
{
	unsigned *n = (unsigned *)((char *)c + k->count);
	char *entry = (char *)c + k->off;
	size_t each = (size_t)k->size / k->entries;
	if (*s != '[')
		return snprintf(buf, bn, "%s: expected a list [ \"...\", ... ]", k->name), buf;
	s++;
	for (;;) {
		s += strspn(s, " \t");
		if (*s == ']' && !*n)
			break;                  /* [ ] */
		if (*n == k->entries)
			return snprintf(buf, bn, "%s: more than %u entries", k->name, k->entries), buf;
		const char *e = quoted(k, &s, entry + *n * each, buf, bn);
		if (e)
			return e;
		(*n)++;
		s += strspn(s, " \t");
		if (*s == ']')
			break;
		if (*s != ',')
			return snprintf(buf, bn, "%s: expected ',' or ']' after an entry, got '%s'", k->name, s), buf;
		s++;
	}
	for (s++; *s && *s != '#'; s++)          /* a comment may follow */
		if (!isspace((unsigned char)*s))
			return snprintf(buf, bn, "%s: junk after list: '%s'", k->name, s), buf;
	return NULL;
}

/* Parse the value at s into c; returns NULL or an error message. */
static const char *parse_value(const struct key *k, const char *s, struct dom_config *c, char *buf, size_t bn)
{
	if (k->kind == K_LIST)
		return parse_list(k, s, c, buf, bn);
	if (k->kind == K_INT) {
		/* The number: a sign, then 0x and hex digits or decimal digits. */
		size_t n = *s == '-';
		size_t hex = s[n] == '0' && (s[n + 1] == 'x' || s[n + 1] == 'X') ? 2 : 0;
		n += hex + strspn(s + n + hex, hex ? "0123456789abcdefABCDEF" : "0123456789");
		const char *end = s + n + strspn(s + n, " \t");
		char word[64];
		snprintf(word, sizeof(word), "%.*s", (int)(n < sizeof(word) - 1 ? n : sizeof(word) - 1), s);
		int64_t v;
		int rc = n < sizeof(word) ? num_i64(word, INT64_MIN, INT64_MAX, &v) : -ERANGE;
		if (rc == -EINVAL)
			return snprintf(buf, bn, "%s: expected an integer, got '%s'", k->name, s), buf;
		if (*end)
			return snprintf(buf, bn, "%s: junk after integer: '%s'", k->name, end), buf;
		if (rc || v < k->min || v > k->max)
			return snprintf(buf, bn, "%s = %s is out of range %lld..%lld", k->name, word, k->min, k->max), buf;
		store_int(c, k, v);
		return NULL;
	}
	char *dst = (char *)c + k->off;
	const char *e = quoted(k, &s, dst, buf, bn);
	if (e)
		return e;
	for (const char *t = s; *t; t++)
		if (!isspace((unsigned char)*t))
			return snprintf(buf, bn, "%s: junk after string: '%s'", k->name, t), buf;
	if (k->off == offsetof(struct dom_config, name) && !valid_name(dst))
		return snprintf(buf, bn, "name '%s': use letters, digits, '_', '.', '-'", dst), buf;
	return NULL;
}

int config_parse(const char *text, const char *path, struct dom_config *c, char *err, size_t errlen)
{
	bool seen[NKEYS] = { false };
	char line[8192], msg[512];
	int lineno = 0;

	memset(c, 0, sizeof(*c));
	c->memory_mib = 64;
	c->vcpus = 1;
	c->weight = CFG_WEIGHT_DEFAULT;
	while (*text) {
		size_t n = strcspn(text, "\n");
		lineno++;
		if (n >= sizeof(line))
			return fail(err, errlen, path, lineno, "line too long");
		memcpy(line, text, n);
		line[n] = 0;
		text += n + (text[n] == '\n');

		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq)
			return fail(err, errlen, path, lineno, "expected 'key = value'");
		char *kend = eq;
		while (kend > s && isspace((unsigned char)kend[-1]))
			kend--;
		*kend = 0;
		char *v = eq + 1;
		while (isspace((unsigned char)*v))
			v++;
		/* A comment may follow a value that is not a string. */
		if (*v != '"' && *v != '\'' && *v != '[') {
			char *hash = strchr(v, '#');
			if (hash)
				*hash = 0;
		}
		size_t i;
		for (i = 0; i < NKEYS && strcmp(keys[i].name, s); i++)
			;
		if (i == NKEYS)
			return fail(err, errlen, path, lineno, "unknown key '%s' (known: name, memory, vcpus, kernel, ramdisk, cmdline (or extra), weight, warp, warpl, warpu, disk, pvnet)", s);
		for (size_t j = 0; j < NKEYS; j++)
			if (seen[j] && keys[j].off == keys[i].off)
				return j == i ? fail(err, errlen, path, lineno, "key '%s' given twice", s)
				              : fail(err, errlen, path, lineno, "key '%s' given twice (as '%s')", s, keys[j].name);
		seen[i] = true;
		const char *e = parse_value(&keys[i], v, c, msg, sizeof(msg));
		if (e)
			return fail(err, errlen, path, lineno, "%s", e);
	}
	if (!seen[0])
		return fail(err, errlen, path, lineno, "missing 'name'");
	if (!seen[3])
		return fail(err, errlen, path, lineno, "missing 'kernel'");
	return 0;
}

/* A regular file may come in pieces (9p hands out at most its msize per
 * read: a 65 MB kernel over the nested host's share): 0 once len bytes are in. */
static int read_all(int fd, char *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int config_read_file(const char *path, const char *what, size_t max, char **buf, size_t *len,
                     char *err, size_t errlen)
{
	char name[4200];
	snprintf(name, sizeof(name), what ? "%s '%s'" : "%.0s%s", what ? what : "", path);
	*buf = NULL;
	/* Non-blocking, regular files only: a FIFO or a device named here
	 * would block the caller (a control-socket thread) in open or read. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", name, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	int rc = 0;
	if (!S_ISREG(st.st_mode))
		rc = -EINVAL, snprintf(err, errlen, "%s: not a regular file", name);
	else if (st.st_size <= 0 || (uint64_t)st.st_size > max)
		rc = -EFBIG, snprintf(err, errlen, "%s: size %lld is not 1 byte..%zu KiB", name, (long long)st.st_size,
		                      max >> 10);
	else if (!(*buf = malloc((size_t)st.st_size + 1)))
		rc = -ENOMEM, snprintf(err, errlen, "%s: out of memory", name);
	else if (read_all(fd, *buf, (size_t)st.st_size))
		rc = -EIO, snprintf(err, errlen, "%s: short read", name);
	close(fd);
	if (rc) {
		free(*buf);
		*buf = NULL;
		return rc;
	}
	(*buf)[st.st_size] = 0;
	*len = (size_t)st.st_size;
	return 0;
}

int config_load(const char *path, struct dom_config *c, char *err, size_t errlen)
{
	char *text;
	size_t n;
	int rc = config_read_file(path, NULL, 1 << 20, &text, &n, err, errlen);
	if (rc)
		return rc;
	if (memchr(text, 0, n)) {
		free(text);
		snprintf(err, errlen, "%s: not a text config file", path);
		return -EINVAL;
	}
	rc = config_parse(text, path, c, err, errlen);
	free(text);
	if (rc)
		return rc;
	struct stat st;
	errno = 0;
	if (stat(c->kernel, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: kernel '%s': %s", path, c->kernel,
		         errno ? strerror(errno) : "not a regular file");
		return -ENOENT;
	}
	return 0;
}
