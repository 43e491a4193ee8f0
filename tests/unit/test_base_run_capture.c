/* Unit tests of src/base/run_capture against real programs (/bin/sh,
 * /usr/bin/env): what is captured, what is cut, the status, the env. */
#include <string.h>
#include <sys/wait.h>

#include "../../src/base/run_capture.h"
#include "harness.h"

TEST(base_run_capture_stdout_and_status)
{
	const char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	char out[64];
	int status = 0;
	struct err e = { 0 };
	CHECK(run_capture(argv, RUN_STDIN_NULL, out, sizeof(out), &status, &e));
	CHECK_STR(out, "out\n");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	CHECK(run_capture(argv, RUN_STDERR_TOO, out, sizeof(out), &status, &e));
	CHECK_STR(out, "out\nerr\n");
}

TEST(base_run_capture_cuts_and_drains)
{
	/* 100 KB, more than a pipe holds: the child must not block on a full pipe */
	const char *argv[] = { "sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x; exit 0", NULL };
	char out[8];
	int status = -1;
	struct err e = { 0 };
	CHECK(run_capture(argv, 0, out, sizeof(out), &status, &e));
	CHECK_STR(out, "xxxxxxx");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(base_run_capture_clean_env)
{
	const char *argv[] = { "/usr/bin/env", NULL };
	char out[256];
	int status = -1;
	struct err e = { 0 };
	CHECK(run_capture(argv, RUN_CLEAN_ENV, out, sizeof(out), &status, &e));
	CHECK_STR(out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n");
}

TEST(base_run_capture_missing_program_is_127)
{
	const char *clean[] = { "/nonexistent/tool", NULL };
	const char *path[] = { "tzsigner-no-such-tool", NULL };
	char out[128];
	int status = 0;
	struct err e = { 0 };
	CHECK(run_capture(clean, RUN_CLEAN_ENV | RUN_STDERR_TOO, out, sizeof(out), &status, &e));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 127);
	CHECK_STR(out, "");
	CHECK(run_capture(path, RUN_STDIN_NULL, out, sizeof(out), &status, &e));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 127);
}
