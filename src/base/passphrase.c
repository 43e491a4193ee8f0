/* passphrase.c - read a passphrase from a private file or the terminal. */
#include "passphrase.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "file.h"

static bool take_line(struct passphrase *out, const char *buf, size_t len, const char *from,
		      struct err *e)
{
	size_t n = 0;
	while (n < len && buf[n] != '\n' && buf[n] != '\r')
		n++;
	if (n > PASSPHRASE_MAX)
		return err_set(e, ERR_MALFORMED, "%s: passphrase over %d bytes", from, PASSPHRASE_MAX);
	out->text = sodium_init() >= 0 ? sodium_malloc(n + 1) : NULL;
	if (!out->text)
		return err_set(e, ERR_INTERNAL, "out of memory");
	memcpy(out->text, buf, n);
	out->text[n] = '\0';
	out->len = n;
	return true;
}

bool passphrase_from_file(struct passphrase *out, const char *path, struct err *e)
{
	char *buf = NULL;
	size_t len = 0;
	memset(out, 0, sizeof(*out));
	if (!file_read(path, 4 * PASSPHRASE_MAX, FILE_SECRET, &buf, &len, e))
		return err_wrap(e, "passphrase file");
	bool ok = take_line(out, buf, len, path, e);
	file_free(buf, len);
	return ok;
}

bool passphrase_prompt(struct passphrase *out, const char *prompt, struct err *e)
{
	memset(out, 0, sizeof(*out));
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, ERR_UNAVAILABLE,
			       "no terminal to ask for the passphrase: pass it with -f FILE");
	struct termios old, quiet;
	bool restore = tcgetattr(fd, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	ssize_t w = write(fd, prompt, strlen(prompt));
	(void)w;
	char *buf = sodium_init() >= 0 ? sodium_malloc(PASSPHRASE_MAX + 2) : NULL;
	bool ok = false;
	size_t got = 0;
	if (!buf) {
		err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	while (got < PASSPHRASE_MAX + 1) {
		ssize_t r = read(fd, buf + got, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || buf[got] == '\n')
			break;
		got++;
	}
	ok = take_line(out, buf, got, "terminal", e);
out:
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	w = write(fd, "\n", 1);
	(void)w;
	close(fd);
	if (buf)
		sodium_free(buf);
	return ok;
}

void passphrase_free(struct passphrase *p)
{
	if (p->text)
		sodium_free(p->text);
	p->text = NULL;
	p->len = 0;
}
