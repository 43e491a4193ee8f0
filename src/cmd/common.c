/* common.c - helpers shared by the subcommands. */
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>

const char *cmd_default_base_dir(char *buf, size_t cap)
{
	const char *home = getenv("HOME");
	snprintf(buf, cap, "%s/.tzsigner", home && *home ? home : ".");
	return buf;
}

int cmd_fail(const char *cmd, const struct err *e)
{
	fprintf(stderr, "tzsigner %s: %s\n", cmd, e->msg[0] ? e->msg : "failed");
	return EXIT_FAILURE;
}

void cmd_harden_process(void)
{
	struct rlimit none = { 0, 0 };
	setrlimit(RLIMIT_CORE, &none);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	/* LeakSanitizer needs to ptrace the process; sanitizer builds keep it. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}
