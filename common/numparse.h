/* The one number parser of the host-side programs (pvmon's options and
 * control protocol, pvctl, pvtop, pvtrace, pvbench): a whole string of
 * decimal digits (or 0x and hex digits), no sign, no spaces, no trailing
 * bytes, within [min, max]. 0, or -EINVAL (not a number) / -ERANGE (out
 * of the range), *out untouched on error. */
#ifndef PVLAB_NUMPARSE_H
#define PVLAB_NUMPARSE_H
#include <stdint.h>

int num_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* The same, a leading '-' allowed. */
int num_i64(const char *s, int64_t min, int64_t max, int64_t *out);
/* A decimal fraction as strtod reads it ("1.5", "2e3"), finite, in range. */
int num_double(const char *s, double min, double max, double *out);
/* An int or unsigned in range, for the common case of an option. */
int num_int(const char *s, int min, int max, int *out);
#endif
