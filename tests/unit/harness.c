/* harness.c - runs the registered unit tests. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

#define MAX_TESTS 1024

struct test {
	const char *name;
	const char *file;
	test_fn fn;
};

static struct test tests[MAX_TESTS];
static size_t n_tests;
static bool current_failed;

void test_register(const char *name, test_fn fn, const char *file)
{
	if (n_tests == MAX_TESTS) {
		fprintf(stderr, "harness: more than %d tests\n", MAX_TESTS);
		abort();
	}
	tests[n_tests++] = (struct test){ name, file, fn };
}

void test_fail(const char *file, int line, const char *what)
{
	if (!current_failed)
		printf("  %s:%d: CHECK(%s) failed\n", file, line, what);
	current_failed = true;
}

bool test_failed(void) { return current_failed; }

static int by_file_then_name(const void *a, const void *b)
{
	const struct test *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	return c ? c : strcmp(x->name, y->name);
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	size_t passed = 0, failed = 0;
	qsort(tests, n_tests, sizeof(tests[0]), by_file_then_name);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < n_tests; i++) {
		if (filter && !strstr(tests[i].name, filter))
			continue;
		current_failed = false;
		tests[i].fn();
		if (current_failed) {
			failed++;
			printf("FAIL %s (%s)\n", tests[i].name, tests[i].file);
		} else {
			passed++;
			printf("ok   %s\n", tests[i].name);
		}
	}
	printf("unit: %zu passed, %zu failed\n", passed, failed);
	return failed ? 1 : 0;
}
