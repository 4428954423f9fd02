/* console.c: prefixed, sanitised output lines; history with offsets; input ring. */
#include <stdlib.h>
#include "check.h"
#include "../../hypervisor/src/console.h"

static char out[65536];

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
	console_free(c);
	console_free(h);
	fclose(f);
	return CHECK_DONE();
}
