/* Freestanding C library pieces and the console. */
#include "kernel.h"

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

void tally_expect(struct tally *t, const char *what, long got, long want)
{
	t->checks++;
	if (got != want) {
		t->failed++;
		printk("%s: %s returned %ld, expected %ld\n", t->who, what, got, want);
	}
}

int tally_done(const struct tally *t)
{
	printk("%s: %d checks, %d failed\n", t->who, t->checks, t->failed);
	return t->failed ? 1 : 0;
}

char *strcpy(char *d, const char *s)
{
	char *r = d;
	while ((*d++ = *s++))
		;
	return r;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	}
	return 0;
}

unsigned long strtoul(const char *s, const char **end, int base)
{
	unsigned long v = 0;
	if (base == 0) {
		base = 10;
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			base = 16, s += 2;
	}
	for (;; s++) {
		int d;
		if (*s >= '0' && *s <= '9') d = *s - '0';
		else if (*s >= 'a' && *s <= 'f') d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F') d = *s - 'A' + 10;
		else break;
		if (d >= base)
			break;
		v = v * (unsigned long)base + (unsigned long)d;
	}
	if (end)
		*end = s;
	return v;
}

struct out { char *buf; size_t n, len; };
static void put(struct out *o, char c)
{
	if (o->len + 1 < o->n)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct out *o, unsigned long long v, int base, int width, char pad, int neg)
{
	char tmp[24];
	int i = 0;
	do {
		tmp[i++] = "0123456789abcdef"[v % (unsigned)base];
		v /= (unsigned)base;
	} while (v);
	if (neg)
		tmp[i++] = '-';
	while (i < width--)
		put(o, pad);
	while (i)
		put(o, tmp[--i]);
}

int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct out o = { buf, n, 0 };
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, lng = 0;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z')
			lng = 1, fmt++;
		switch (*fmt) {
		case 'd': {
			long long v = lng ? va_arg(ap, long) : va_arg(ap, int);
			put_num(&o, v < 0 ? (unsigned long long)-v : (unsigned long long)v, 10, width, pad, v < 0);
			break;
		}
		case 'u': put_num(&o, lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, width, pad, 0); break;
		case 'x': put_num(&o, lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, width, pad, 0); break;
		case 'p': put(&o, '0'); put(&o, 'x'); put_num(&o, (unsigned long)va_arg(ap, void *), 16, 0, ' ', 0); break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			size_t l = strlen(s);
			for (size_t k = l; (int)k < width; k++)
				put(&o, ' ');
			while (*s)
				put(&o, *s++);
			break;
		}
		case 'c': put(&o, (char)va_arg(ap, int)); break;
		case '%': put(&o, '%'); break;
		default: put(&o, '%'); put(&o, *fmt); break;
		}
	}
	if (n)
		buf[o.len < n ? o.len : n - 1] = 0;
	return (int)o.len;
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

int printk(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	HYPERVISOR_console_write(buf, r < (int)sizeof(buf) ? (uint64_t)r : sizeof(buf) - 1);
	return r;
}

void poweroff(int code)
{
	struct pv_sched_shutdown s = { PV_SHUTDOWN_poweroff, code };
	for (;;)
		HYPERVISOR_sched_op(PV_SCHED_shutdown, &s);
}

void panic(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("pvos panic: %s\n", buf);
	struct pv_sched_shutdown s = { PV_SHUTDOWN_crash, 1 };
	for (;;)
		HYPERVISOR_sched_op(PV_SCHED_shutdown, &s);
}

const char *cmdline_get(const char *key, const char *def, char *buf, size_t n)
{
	const char *s = start_info->cmdline;
	size_t kl = strlen(key);
	while (*s) {
		while (*s == ' ')
			s++;
		if (!strncmp(s, key, kl) && s[kl] == '=') {
			s += kl + 1;
			size_t i = 0;
			while (*s && *s != ' ' && i + 1 < n)
				buf[i++] = *s++;
			buf[i] = 0;
			return buf;
		}
		while (*s && *s != ' ')
			s++;
	}
	return def;
}

unsigned long cmdline_num(const char *key, unsigned long def)
{
	char buf[32];
	const char *v = cmdline_get(key, 0, buf, sizeof(buf));
	return v ? strtoul(v, 0, 0) : def;
}

/* gcc may emit calls to these even in freestanding code. */
void __stack_chk_fail(void);
void __stack_chk_fail(void) { panic("stack smashing detected"); }
