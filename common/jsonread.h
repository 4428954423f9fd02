/* The one JSON reader of the host-side programs: json-c (Debian's
 * libjson-c-dev) parses; these take one object and the values a reader
 * asks of it, each checked. Programs that use them link JSONREAD_LIBS. */
#ifndef PVLAB_JSONREAD_H
#define PVLAB_JSONREAD_H
#include <stddef.h>
#include <stdint.h>

struct json_object;

/* text (whitespace around it allowed) as one JSON object; NULL if it is
 * anything else or has bytes after the object. Free with jsonread_free. */
struct json_object *jsonread_object(const char *text);
void jsonread_free(struct json_object *o);

/* Values of o's key: 0, -ENOENT (absent or null) or -EINVAL (another
 * type, a number out of the range, a string that does not fit in n). */
int jsonread_str(struct json_object *o, const char *key, char *out, size_t n);
int jsonread_u64(struct json_object *o, const char *key, uint64_t *v);
int jsonread_int(struct json_object *o, const char *key, int *v);
int jsonread_double(struct json_object *o, const char *key, double *v);   /* any number */
/* A string's bytes or a number as the writer wrote it, owned by o; NULL
 * if absent or of another type. */
const char *jsonread_text(struct json_object *o, const char *key);
/* Member key of o if it has that type (an object or an array), else NULL;
 * owned by o. */
struct json_object *jsonread_objkey(struct json_object *o, const char *key);
struct json_object *jsonread_array(struct json_object *o, const char *key);
#endif
