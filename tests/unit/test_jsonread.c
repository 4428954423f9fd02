/* common/jsonread.c (json-c) and common/jsonquote.c: one whole object or
 * nothing, each value of the type and range asked, and every string
 * jsonquote writes read back byte for byte. */
#include <errno.h>
#include <stdint.h>
#include "check.h"
#include "jsonquote.h"
#include "jsonread.h"

static void test_object(void)
{
	struct json_object *o = jsonread_object(" {\"a\": 1, \"s\": \"x\", \"n\": null, \"o\": {\"b\": 2.5}, "
	                                        "\"l\": [1], \"big\": 18446744073709551615, \"neg\": -3} \n");
	CHECK(o != NULL);
	uint64_t u = 0;
	int i = 0;
	double d = 0;
	char s[4];
	CHECK_EQ(jsonread_u64(o, "a", &u), 0);
	CHECK_EQ(u, 1);
	CHECK_EQ(jsonread_u64(o, "big", &u), 0);
	CHECK(u == UINT64_MAX);
	CHECK_EQ(jsonread_u64(o, "neg", &u), -EINVAL);
	CHECK_EQ(jsonread_u64(o, "s", &u), -EINVAL);
	CHECK_EQ(jsonread_u64(o, "n", &u), -ENOENT);        /* null is absent */
	CHECK_EQ(jsonread_u64(o, "none", &u), -ENOENT);
	CHECK_EQ(jsonread_int(o, "neg", &i), 0);
	CHECK_EQ(i, -3);
	CHECK_EQ(jsonread_int(o, "big", &i), -EINVAL);
	CHECK_EQ(jsonread_double(o, "a", &d), 0);
	CHECK(d == 1.0);
	CHECK_EQ(jsonread_double(o, "s", &d), -EINVAL);
	CHECK_EQ(jsonread_str(o, "s", s, sizeof(s)), 0);
	CHECK_STR(s, "x");
	CHECK_EQ(jsonread_str(o, "a", s, sizeof(s)), -EINVAL);
	CHECK_STR(jsonread_text(o, "big"), "18446744073709551615");
	CHECK_STR(jsonread_text(o, "s"), "x");
	CHECK(jsonread_text(o, "o") == NULL);
	struct json_object *in = jsonread_objkey(o, "o");
	CHECK(in != NULL && !jsonread_double(in, "b", &d) && d == 2.5);
	CHECK(jsonread_array(o, "l") != NULL && jsonread_array(o, "o") == NULL);
	jsonread_free(o);
}

static void test_refused(void)
{
	/* (json-c 0.16 takes single-quoted strings even when strict: not tested) */
	const char *bad[] = { "", "[1]", "1", "{", "{\"a\": 1} x", "{\"a\": 1}{}", "{\"a\": 01}", "{\"a\": 1,}", NULL };
	for (int i = 0; bad[i]; i++) {
		struct json_object *o = jsonread_object(bad[i]);
		if (o)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CHECK(o == NULL);
		jsonread_free(o);
	}
	char s[4];
	struct json_object *o = jsonread_object("{\"s\": \"four\"}");
	CHECK_EQ(jsonread_str(o, "s", s, sizeof(s)), -EINVAL);   /* does not fit */
	jsonread_free(o);
}

static void test_quote(void)
{
	const char raw[] = "a\"b\\c\n\t\x01\x7f end";
	char q[8 * sizeof(raw) + 16], line[sizeof(q) + 16], back[sizeof(raw)];
	CHECK_EQ(jsonquote(q, sizeof(q), raw, sizeof(raw)), strlen(q));
	CHECK_STR(q, "\"a\\\"b\\\\c\\u000a\\u0009\\u0001\\u007f end\"");
	snprintf(line, sizeof(line), "{\"k\": %s}", q);
	struct json_object *o = jsonread_object(line);
	CHECK(o && !jsonread_str(o, "k", back, sizeof(back)));
	CHECK_STR(back, raw);
	jsonread_free(o);
	/* cut short at a whole character, still one valid string */
	char small[12];
	jsonquote(small, sizeof(small), "\"\"\"\"\"\"", 6);
	snprintf(line, sizeof(line), "{\"k\": %s}", small);
	o = jsonread_object(line);
	CHECK(o != NULL);
	jsonread_free(o);
	jsonquote(small, sizeof(small), "abcdef", 2);
	CHECK_STR(small, "\"ab\"");
}

int main(void)
{
	test_object();
	test_refused();
	test_quote();
	return CHECK_DONE();
}
