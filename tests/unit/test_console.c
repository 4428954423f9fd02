/* console.c: prefixed, sanitised output lines; history with offsets; input
 * ring; counter stamps (pvmon --console-counters) taken at each write. */
#include <stdlib.h>
#include "check.h"
#include "../../hypervisor/src/console.h"

static char out[65536];

/* A stamp that counts the writes it was asked for. */
static void count_writes(void *ctx, char *buf, size_t len)
{
	int *n = ctx;
	snprintf(buf, len, "exits=%d", ++*n);
}

static void slurp(FILE *f)
{
	fflush(f);
	rewind(f);
	size_t n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
}

int main(void)
{
	FILE *f = tmpfile();
	struct console *c = console_new("dom", f);
	console_write(c, "hello\nwor", 9);
	slurp(f);
	CHECK_STR(out, "[dom] hello\n");                 /* partial line held back */
	console_write(c, "ld\n", 3);
	slurp(f);
	CHECK_STR(out, "[dom] hello\n[dom] world\n");
	console_write(c, "esc\x1b[2Jx\r\n", 10);
	slurp(f);
	CHECK(strstr(out, "[dom] esc?[2Jx\n") != NULL);  /* escape neutralised, CR dropped */
	console_write(c, "tail", 4);
	console_flush(c);
	slurp(f);
	CHECK(strstr(out, "[dom] tail\n") != NULL);
	char big[2000];
	memset(big, 'a', sizeof(big));
	console_write(c, big, sizeof(big));
	console_flush(c);
	slurp(f);
	CHECK(strstr(out, "[dom] aaaa") != NULL);
	int lines = 0;
	for (char *p = out; *p; p++)
		lines += *p == '\n';
	CHECK_EQ(lines, 4 + 4);                           /* 2000 bytes split into 512-byte lines */

	/* History: every byte written, readable from any offset. */
	uint64_t off = 0;
	char buf[64];
	size_t n = console_read(c, &off, buf, 5);
	CHECK_EQ(n, 5);
	CHECK_EQ(memcmp(buf, "hello", 5), 0);
	CHECK_EQ(off, 5);
	struct console *h = console_new("hist", NULL);       /* history only */
	for (int i = 0; i < CONSOLE_HISTORY / 100 + 10; i++) {
		char line[100];
		memset(line, 'x', sizeof(line));
		line[0] = (char)('0' + i % 10);
		console_write(h, line, sizeof(line));
	}
	off = 0;
	n = console_read(h, &off, buf, sizeof(buf));
	CHECK_EQ(n, sizeof(buf));
	uint64_t total = (uint64_t)(CONSOLE_HISTORY / 100 + 10) * 100;
	CHECK_EQ(off, total - CONSOLE_HISTORY + sizeof(buf));   /* clamped to the oldest byte kept */
	off = total;
	CHECK_EQ(console_read(h, &off, buf, sizeof(buf)), 0);

	/* Input ring: FIFO, bounded. */
	CHECK_EQ(console_input_push(h, "abc", 3), 3);
	CHECK_EQ(console_input_pull(h, buf, 2), 2);
	CHECK_EQ(memcmp(buf, "ab", 2), 0);
	CHECK_EQ(console_input_pull(h, buf, 10), 1);
	CHECK_EQ(console_input_pull(h, buf, 10), 0);
	char *fill = malloc(CONSOLE_INPUT + 100);
	memset(fill, 'z', CONSOLE_INPUT + 100);
	CHECK_EQ(console_input_push(h, fill, CONSOLE_INPUT + 100), CONSOLE_INPUT);
	CHECK_EQ(console_input_push(h, "more", 4), 0);
	free(fill);

	/* Stamps: a line carries the stamp of the write that ended it; one
	 * flushed unended the last write's; the history has none. */
	FILE *g = tmpfile();
	struct console *s = console_new("st", g);
	int writes = 0;
	console_set_stamp(s, count_writes, &writes);
	console_write(s, "a\nb", 3);                  /* stamp 1 ends "a" */
	console_write(s, "c\nd\n", 4);               /* stamp 2 ends "bc" and "d" */
	console_write(s, "e", 1);                      /* stamp 3: "e", flushed */
	console_flush(s);
	fflush(g);
	rewind(g);
	n = fread(out, 1, sizeof(out) - 1, g);
	out[n] = 0;
	CHECK_STR(out, "[st] {exits=1} a\n[st] {exits=2} bc\n[st] {exits=2} d\n[st] {exits=3} e\n");
	CHECK_EQ(writes, 3);
	off = 0;
	n = console_read(s, &off, buf, sizeof(buf));
	CHECK_EQ(n, 8);
	CHECK_EQ(memcmp(buf, "a\nbc\nd\ne", 8), 0);
	console_free(s);
	fclose(g);
	console_free(c);
	console_free(h);
	fclose(f);
	return CHECK_DONE();
}
