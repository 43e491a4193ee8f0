/* harness.h - a minimal unit test harness.
 *
 *   TEST(hex_roundtrip) { CHECK(x == 1); CHECK_MEM(a, b, n); }
 *
 * Tests register themselves at load time; the runner (harness.c) runs them
 * all, or those whose name contains argv[1], and prints one line per test
 * and a closing "unit: N passed, N failed". A failing CHECK ends its test. */
#ifndef TZS_TESTS_HARNESS_H
#define TZS_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef void (*test_fn)(void);
void test_register(const char *name, test_fn fn, const char *file);
void test_fail(const char *file, int line, const char *what);
/* Returns true when the current test has already failed. */
bool test_failed(void);

#define TEST(name)                                                              \
	static void name(void);                                                 \
	__attribute__((constructor)) static void register_##name(void)         \
	{                                                                       \
		test_register(#name, name, __FILE__);                           \
	}                                                                       \
	static void name(void)

#define CHECK(cond)                                                             \
	do {                                                                    \
		if (!(cond)) {                                                  \
			test_fail(__FILE__, __LINE__, #cond);                   \
			return;                                                 \
		}                                                               \
	} while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)
#define CHECK_STR(a, b) CHECK(strcmp((a), (b)) == 0)

#endif
