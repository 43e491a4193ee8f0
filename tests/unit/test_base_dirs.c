/* dir_ensure_parents: `forwarder render --out /var/lib/x/sshd` on a fresh
 * machine creates the missing parents (mkdir -p), and refuses a file in
 * the way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/base/file.h"
#include "harness.h"

TEST(base_dir_ensure_parents_creates_missing_parents)
{
	char base[] = "/tmp/tzs-dirs-XXXXXX";
	CHECK(mkdtemp(base) != NULL);
	char deep[256], file[256];
	snprintf(deep, sizeof(deep), "%s/a/b//c/", base);
	struct err e = { 0 };
	CHECK(dir_ensure_parents(deep, 0755, &e));
	struct stat st;
	snprintf(file, sizeof(file), "%s/a/b/c", base);
	CHECK(stat(file, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0755);
	CHECK(dir_ensure_parents(deep, 0755, &e)); /* again: nothing to do */
	snprintf(file, sizeof(file), "%s/f", base);
	FILE *f = fopen(file, "w");
	CHECK(f != NULL);
	fclose(f);
	snprintf(deep, sizeof(deep), "%s/f/sub", base);
	CHECK(!dir_ensure_parents(deep, 0755, &e));
	CHECK(strstr(e.msg, "/f") != NULL);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	CHECK(system(cmd) == 0);
}
