/* fsync_delay.c - an LD_PRELOAD shim that makes every fsync and fdatasync
 * cost FSYNC_DELAY_MS more (default 20), as on an SD card: the slow-disk
 * case of the watermark benchmark (bench/watermark_durability.mjs).
 *
 *   LD_PRELOAD=build/bench/fsync_delay.so FSYNC_DELAY_MS=20 tzsigner serve …
 *
 * Benchmarks only: it changes nothing else. */
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

int fsync(int fd);
int fdatasync(int fd);

static void delay(void)
{
	const char *v = getenv("FSYNC_DELAY_MS");
	long ms = v ? strtol(v, NULL, 10) : 20;
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	while (ms > 0 && nanosleep(&ts, &ts) != 0)
		;
}

int fsync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	int r = real(fd);
	delay();
	return r;
}

int fdatasync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	int r = real(fd);
	delay();
	return r;
}
