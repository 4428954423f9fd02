/* Minimal unit-test helpers: CHECK() records a failure and goes on;
 * CHECK_DONE() prints the tally and is the test's exit status. */
#ifndef PVLAB_CHECK_H
#define PVLAB_CHECK_H
#include <stdio.h>
#include <string.h>

static int check_failures, check_count;

#define CHECK(cond) do { check_count++; if (!(cond)) { check_failures++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_EQ(a, b) do { long long _a = (long long)(a), _b = (long long)(b); check_count++; \
    if (_a != _b) { check_failures++; fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
    __FILE__, __LINE__, #a, _a, #b, _b); } } while (0)
#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); check_count++; \
    if (!_a || strcmp(_a, _b)) { check_failures++; fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", \
    __FILE__, __LINE__, #a, _a ? _a : "(null)", _b); } } while (0)
#define CHECK_DONE() (printf("%d checks, %d failed\n", check_count, check_failures), check_failures ? 1 : 0)
#endif
