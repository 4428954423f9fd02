/* common/numparse.c: the one number parser of the host-side programs. */
#include <errno.h>
#include <stdint.h>
#include "check.h"
#include "numparse.h"

int main(void)
{
	uint64_t u = 7;
	CHECK_EQ(num_u64("0", 0, 10, &u), 0);
	CHECK_EQ(u, 0);
	CHECK_EQ(num_u64("18446744073709551615", 0, UINT64_MAX, &u), 0);
	CHECK(u == UINT64_MAX);
	CHECK_EQ(num_u64("18446744073709551616", 0, UINT64_MAX, &u), -ERANGE);   /* 2^64 */
	CHECK_EQ(num_u64("0x10", 0, 100, &u), 0);
	CHECK_EQ(u, 16);
	u = 5;
	CHECK_EQ(num_u64("11", 0, 10, &u), -ERANGE);
	CHECK_EQ(num_u64("2", 3, 10, &u), -ERANGE);
	CHECK_EQ(u, 5);                                  /* untouched on error */
	const char *bad[] = { "", " 1", "1 ", "+1", "-1", "1x", "0x", "x1", "1.0", "１", "0xg", NULL };
	int refused = 0;
	for (int i = 0; bad[i]; i++)
		refused += num_u64(bad[i], 0, 100, &u) == -EINVAL;
	CHECK_EQ(refused, 11);
	CHECK_EQ(num_u64(NULL, 0, 1, &u), -EINVAL);

	int64_t s = 0;
	CHECK_EQ(num_i64("-9223372036854775808", INT64_MIN, INT64_MAX, &s), 0);
	CHECK(s == INT64_MIN);
	CHECK_EQ(num_i64("9223372036854775808", INT64_MIN, INT64_MAX, &s), -ERANGE);
	CHECK_EQ(num_i64("-9223372036854775809", INT64_MIN, INT64_MAX, &s), -ERANGE);
	CHECK_EQ(num_i64("-1", 0, 10, &s), -ERANGE);
	CHECK_EQ(num_i64("--1", -10, 10, &s), -EINVAL);
	CHECK_EQ(num_i64("-", -10, 10, &s), -EINVAL);

	int n = 0;
	CHECK_EQ(num_int("256", 1, 256, &n), 0);
	CHECK_EQ(n, 256);
	CHECK_EQ(num_int("257", 1, 256, &n), -ERANGE);
	CHECK_EQ(num_int("99999999999", 1, 256, &n), -ERANGE);

	double d = 0;
	CHECK_EQ(num_double("1.5", 0, 10, &d), 0);
	CHECK(d == 1.5);
	CHECK_EQ(num_double(".25", 0, 10, &d), 0);
	CHECK_EQ(num_double("2e3", 0, 1e4, &d), 0);
	CHECK_EQ(num_double("nan", 0, 10, &d), -EINVAL);
	CHECK_EQ(num_double("inf", 0, 1e300, &d), -EINVAL);
	CHECK_EQ(num_double("1e400", 0, 1e300, &d), -ERANGE);
	CHECK_EQ(num_double("0.001", 0.01, 10, &d), -ERANGE);
	CHECK_EQ(num_double("1.5s", 0, 10, &d), -EINVAL);
	CHECK_EQ(num_double(" 1", 0, 10, &d), -EINVAL);
	return CHECK_DONE();
}
