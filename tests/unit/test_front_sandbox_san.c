/* Unit tests of a sanitizer report from inside the front's sandbox
 * (src/front/sandbox_san.c): the report reaches stderr and the process ends
 * the sanitizer's way, not by SIGSYS. AddressSanitizer builds only (the
 * unit tests are one). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

#include "harness.h"
#include "support_sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
/* A sanitizer report from inside the sandbox still reaches stderr, and the
 * process ends the sanitizer's way, not by SIGSYS. */
static void overflow_heap(const struct child_ctx *c)
{
	(void)c;
	char *volatile p = malloc(8);
	volatile char x = p[8];
	(void)x;
}
static void overflow_int(const struct child_ctx *c)
{
	volatile int big = c->lfd == -1 ? 0x7fffffff : 0;
	volatile int sum = big + 1;
	(void)sum;
}

static bool report_gets_out(child_fn fn, const char *want)
{
	int p[2];
	if (pipe(p) != 0)
		return false;
	int saved = dup(2);
	dup2(p[1], 2);
	close(p[1]);
	struct child_ctx c = { .lfd = -1, .kh = -1, .out = -1 };
	int st = sandbox_test_run(fn, &c, true, false);
	dup2(saved, 2);
	close(saved);
	char buf[8192];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(buf) - 1 && (n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(p[0]);
	buf[len] = '\0';
	bool ok = st != -1 && !sandbox_test_killed(st) && !(WIFEXITED(st) && WEXITSTATUS(st) == 0) &&
		  strstr(buf, want) != NULL;
	if (!ok)
		printf("  wait status %#x, report:\n%s\n", (unsigned)st, buf);
	return ok;
}

TEST(front_sandbox_lets_an_asan_report_out)
{
	CHECK(report_gets_out(overflow_heap, "AddressSanitizer: heap-buffer-overflow"));
	CHECK(report_gets_out(overflow_int, "runtime error: signed integer overflow"));
}
#endif
