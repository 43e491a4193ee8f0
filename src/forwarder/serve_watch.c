/* serve_watch.c - a change of the signers file takes effect in place, as
 * SIGHUP would: the directory holding it is watched with inotify (the file
 * itself may be replaced, not written: editors rename over it, and
 * Kubernetes updates a ConfigMap volume by pointing the `..data` symbolic
 * link at a new directory with one rename). Any event there schedules a
 * look 250 ms later (a burst of events is one look); the file is read and
 * hashed, and only a change of its bytes renders again. Sessions of boxes
 * that stay (same key, same P) are not touched. */
#include "serve_int.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <sodium.h>

#include "../base/file.h"
#include "../base/log.h"
#include "signers.h"

#define SETTLE_MS 250

/* The hash of the file's bytes now (false when it cannot be read). */
static bool file_hash(const char *path, uint8_t out[WATCH_HASH_LEN])
{
	char real[PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	struct err e = { 0 };
	if (!realpath(path, real) || !file_read(real, SIGNERS_FILE_MAX, FILE_PUBLIC, &text, &len, &e))
		return false;
	crypto_generichash(out, WATCH_HASH_LEN, (const unsigned char *)text, len, NULL, 0);
	file_free(text, len);
	return true;
}

void watch_start(struct loop *L)
{
	const char *path = L->s.opts->render.signers_path;
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *d = dirname(dir);
	L->watch.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (L->watch.fd < 0) {
		log_warn("event=watch_failed dir=%s error=\"%s\" msg=\"changes need SIGHUP\"", d, strerror(errno));
		return;
	}
	if (inotify_add_watch(L->watch.fd, d,
			      IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ATTRIB | IN_MODIFY) < 0) {
		log_warn("event=watch_failed dir=%s error=\"%s\" msg=\"changes need SIGHUP\"", d, strerror(errno));
		close(L->watch.fd);
		L->watch.fd = -1;
		return;
	}
	L->watch.known = file_hash(path, L->watch.hash);
	log_info("event=watching dir=%s file=%s", d, path);
}

void watch_read(struct loop *L, uint64_t now)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t r = read(L->watch.fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (!L->watch.due_ms)
			L->watch.due_ms = now + SETTLE_MS;
	}
}

void watch_due(struct loop *L, uint64_t now)
{
	if (!L->watch.due_ms || now < L->watch.due_ms)
		return;
	L->watch.due_ms = 0;
	uint8_t h[WATCH_HASH_LEN];
	if (!file_hash(L->s.opts->render.signers_path, h)) {
		/* Mid-swap, or gone: the next event looks again. */
		log_warn("event=signers_unreadable file=%s", L->s.opts->render.signers_path);
		return;
	}
	if (L->watch.known && memcmp(h, L->watch.hash, sizeof(h)) == 0)
		return;
	memcpy(L->watch.hash, h, sizeof(h));
	L->watch.known = true;
	log_info("event=signers_changed file=%s msg=\"rendering again\"", L->s.opts->render.signers_path);
	fwd_reload(L);
}

void watch_stop(struct loop *L)
{
	if (L->watch.fd >= 0)
		close(L->watch.fd);
	L->watch.fd = -1;
}
