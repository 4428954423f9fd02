/* JSON strings for printf-based writers; see jsonquote.h. */
#include <stdio.h>
#include "jsonquote.h"

size_t jsonquote(char *dst, size_t cap, const char *s, size_t maxlen)
{
	size_t o = 0;
	dst[o++] = '"';
	for (size_t i = 0; i < maxlen && s[i] && o + 8 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)ch;
		} else if (ch < 0x20 || ch == 0x7f) {
			o += (size_t)snprintf(dst + o, cap - o, "\\u%04x", ch);
		} else {
			dst[o++] = (char)ch;
		}
	}
	dst[o++] = '"';
	dst[o] = '\0';
	return o;
}
