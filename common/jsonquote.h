/* The one JSON string writer of the host-side programs that print JSON with
 * printf (pvmon's control socket, pvbench): a string quoted and escaped so
 * that any JSON reader takes it back byte for byte. */
#ifndef PVLAB_JSONQUOTE_H
#define PVLAB_JSONQUOTE_H
#include <stddef.h>

/* s (at most maxlen bytes of it, up to its NUL) as a JSON string with its
 * quotes into dst: '"' and '\\' escaped, control bytes as \u00XX. What does
 * not fit in cap is cut at a whole character; dst is always terminated.
 * Returns the length written. cap >= 8 * maxlen + 3 holds any s whole. */
size_t jsonquote(char *dst, size_t cap, const char *s, size_t maxlen);
#endif
