/* A tiny TAP producer for the C unit tests of base/, value/, json/ and yaml/.
 * Each test file defines `void test_<module>(void)` and calls ok()/is_str()/is_int() in it. */
#ifndef SILT_TAP_H
#define SILT_TAP_H

#include "base/base.h"

extern int tap_passed, tap_failed;
void tap_ok(bool cond, const char *file, int line, const char *fmt, ...) SILT_PRINTF(4, 5);
void tap_is_str(const char *got, const char *want, const char *file, int line, const char *what);
void tap_is_int(long long got, long long want, const char *file, int line, const char *what);

#define ok(cond, ...) tap_ok((cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, what) tap_is_str((got), (want), __FILE__, __LINE__, (what))
#define is_int(got, want, what) tap_is_int((got), (want), __FILE__, __LINE__, (what))

#endif
