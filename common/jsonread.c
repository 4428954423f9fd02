/* JSON input through json-c; see jsonread.h. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <json-c/json.h>
#include "jsonread.h"

struct json_object *jsonread_object(const char *text)
{
	struct json_tokener *tok = json_tokener_new();
	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);    /* RFC 8259: no single quotes, no 01 */
	size_t len = strlen(text);
	struct json_object *o = json_tokener_parse_ex(tok, text, (int)(len < INT_MAX ? len : INT_MAX));
	size_t used = json_tokener_get_error(tok) == json_tokener_success ? json_tokener_get_parse_end(tok) : 0;
	json_tokener_free(tok);
	if (o && used && strspn(text + used, " \t\r\n") == len - used && json_object_is_type(o, json_type_object))
		return o;
	json_object_put(o);
	return NULL;
}

void jsonread_free(struct json_object *o)
{
	json_object_put(o);
}

/* o's key if present and not null. */
static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) && v ? v : NULL;
}

int jsonread_str(struct json_object *o, const char *key, char *out, size_t n)
{
	struct json_object *v = member(o, key);
	if (!v)
		return -ENOENT;
	if (!json_object_is_type(v, json_type_string) || (size_t)json_object_get_string_len(v) >= n)
		return -EINVAL;
	memcpy(out, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
	return 0;
}

int jsonread_u64(struct json_object *o, const char *key, uint64_t *v)
{
	struct json_object *j = member(o, key);
	if (!j)
		return -ENOENT;
	/* json-c keeps integers past INT64_MAX as uint64: get_int64 clamps
	 * those to INT64_MAX and gives negatives as they are. */
	if (!json_object_is_type(j, json_type_int) || json_object_get_int64(j) < 0)
		return -EINVAL;
	*v = json_object_get_uint64(j);
	return 0;
}

int jsonread_int(struct json_object *o, const char *key, int *v)
{
	struct json_object *j = member(o, key);
	if (!j)
		return -ENOENT;
	int64_t x = json_object_get_int64(j);
	if (!json_object_is_type(j, json_type_int) || x < INT_MIN || x > INT_MAX)
		return -EINVAL;
	*v = (int)x;
	return 0;
}

int jsonread_double(struct json_object *o, const char *key, double *v)
{
	struct json_object *j = member(o, key);
	if (!j)
		return -ENOENT;
	if (!json_object_is_type(j, json_type_int) && !json_object_is_type(j, json_type_double))
		return -EINVAL;
	*v = json_object_get_double(j);
	return 0;
}

const char *jsonread_text(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key);
	if (!v || !(json_object_is_type(v, json_type_string) || json_object_is_type(v, json_type_int) ||
	            json_object_is_type(v, json_type_double)))
		return NULL;
	return json_object_get_string(v);
}

struct json_object *jsonread_objkey(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key);
	return v && json_object_is_type(v, json_type_object) ? v : NULL;
}

struct json_object *jsonread_array(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key);
	return v && json_object_is_type(v, json_type_array) ? v : NULL;
}
