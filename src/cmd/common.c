/* common.c - helpers shared by the subcommands. */
#include "cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	/* Not dumpable: no same-user ptrace, no /proc/PID/mem reads, /proc/PID
	 * files owned by root. (LeakSanitizer's exit check sets it back for the
	 * instant it stops the world, so sanitizer builds keep it too.) */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

bool cmd_base_dir_present(const char *cmd, const char *dir)
{
	struct stat st;
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return true;
	if (errno == ENOENT)
		fprintf(stderr, "tzsigner %s: the key directory %s does not exist: give the right one "
			"with -d DIR (the units use /var/lib/tzsigner), or create keys in it with "
			"`tzsigner keys gen NAME --type tz4 -d %s` or `tzsigner keys import`\n", cmd, dir, dir);
	else
		fprintf(stderr, "tzsigner %s: the key directory %s: %s\n", cmd, dir,
			S_ISDIR(st.st_mode) ? strerror(errno) : "not a directory");
	return false;
}
