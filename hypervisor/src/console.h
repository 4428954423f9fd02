/* Domain consoles: output goes to pvmon's stdout, each line prefixed with
 * the domain name, and into a history ring that `pvctl console` reads. */
#ifndef PVMON_CONSOLE_H
#define PVMON_CONSOLE_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONSOLE_HISTORY (64 * 1024)

struct console;
struct console *console_new(const char *name, FILE *out);   /* out NULL: history only */
void console_free(struct console *c);
void console_write(struct console *c, const char *buf, size_t len);
void console_flush(struct console *c);      /* emit a partial last line */
/* pvmon --console-counters: before each console_write, fn (any locks of
 * pvmon's but console_lock may be taken) writes a stamp into buf, and
 * every line that write ends is streamed as "[name] {stamp} text"; a line
 * flushed unended carries the last write's. The history has no stamps.
 * Set before the domain runs. */
#define CONSOLE_STAMP 256
typedef void console_stamp_fn(void *ctx, char *buf, size_t len);
void console_set_stamp(struct console *c, console_stamp_fn *fn, void *ctx);
/* Console input for the guest: push appends (returns bytes taken, the ring
 * holds CONSOLE_INPUT bytes), pull takes up to len bytes (0: none). */
#define CONSOLE_INPUT 4096
size_t console_input_push(struct console *c, const char *buf, size_t len);
size_t console_input_pull(struct console *c, char *buf, size_t len);
/* Copy history bytes from *off on (clamped to what the ring still holds). */
size_t console_read(struct console *c, uint64_t *off, char *buf, size_t len);
#endif
