/* Unit tests of dir_lock_hold (src/base/file_trust.c): the lock a signer
 * takes before it asks for a passphrase is kept, later dir_lock_exclusive
 * calls in the same process share it, and another process is refused (the
 * holder's PID in the message: tests/node/serve_lock_first.test.mjs). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/base/file.h"
#include "harness.h"

/* In a child process, a new open of dir and a non-blocking flock on it (a
 * fork shares the parent's descriptors and its table of held locks, so the
 * child asks as another process would): 0 when refused, 1 when granted. */
static int other_process_try(const char *dir)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			_exit(2);
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			_exit(1);
		_exit(errno == EWOULDBLOCK ? 0 : 2);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 3;
	return WEXITSTATUS(st);
}

TEST(base_dir_lock_hold_is_kept_shared_in_process_and_refused_to_others)
{
	char dir[] = "/tmp/tzs-dirlock-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	struct err e = { 0 };
	CHECK(other_process_try(dir) == 1); /* free: a child gets it (and exits) */
	CHECK(dir_lock_hold(dir, &e));
	CHECK(dir_lock_hold(dir, &e)); /* again: nothing new */
	int fd1 = -1, fd2 = -1;
	bool shared = dir_lock_exclusive(dir, &fd1, &e) && dir_lock_exclusive(dir, &fd2, &e);
	bool refused = other_process_try(dir) == 0;
	if (fd1 >= 0)
		close(fd1);
	if (fd2 >= 0)
		close(fd2);
	/* closing the shared descriptors does not release the held lock */
	bool still = other_process_try(dir) == 0;
	rmdir(dir);
	CHECK(shared);
	CHECK(refused);
	CHECK(still);
}
