/* serve_stale.c - the sessions a previous instance left behind. Each sshd
 * child leads a process group; OUT/sessions lists them ("PGID STARTTIME" a
 * line, STARTTIME being field 22 of /proc/PID/stat), rewritten whenever the
 * set changes, with the forwarder's session id (SID: the sshd children
 * stay in it; OpenSSH's own daemon makes a session of each connection). A
 * forwarder killed with SIGKILL cannot end them: sshd's post-authentication
 * process outlives its monitor (PR_SET_PDEATHSIG only reaches the monitor,
 * and is cleared when a process changes user). At start, every process
 * still in a listed group and in the listed session, that runs sshd and
 * started no earlier than the group's leader, is killed before the new
 * instance listens. A group whose leader's process id now belongs to a
 * process that started at another time is someone else's (the id was
 * recycled: Linux gives a process id out again only once no process uses
 * it, as its id or its group's), and is left alone.
 *
 * The session id is 0 when the session's leader is outside the
 * forwarder's PID namespace: the forwarder as a container's first process,
 * or started by an init that never made a session (getsid and
 * /proc/PID/stat then both say 0). Its sshd children say 0 too, so 0 is
 * compared like any other id. */
#include "serve_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/log.h"

#define STALE_MAX 4096
#define STALE_WAIT_MS 3000

/* Fields 3 (state), 5 (pgrp), 6 (session) and 22 (starttime) of
 * /proc/PID/stat. */
static bool proc_stat(pid_t pid, pid_t *pgrp, pid_t *sid, unsigned long long *start, char *state)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* the command name may hold spaces and ')' */
	if (!p)
		return false;
	int pg = 0, se = 0;
	char st = 0;
	unsigned long long t = 0;
	/* state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
	 * cmajflt utime stime cutime cstime priority nice num_threads
	 * itrealvalue starttime */
	if (sscanf(p + 1, " %c %*d %d %d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &st, &pg, &se, &t) != 4)
		return false;
	*pgrp = (pid_t)pg;
	*sid = (pid_t)se;
	*start = t;
	*state = st;
	return true;
}

unsigned long long stale_starttime(pid_t pid)
{
	pid_t pg, se;
	unsigned long long t = 0;
	char st;
	if (!proc_stat(pid, &pg, &se, &t, &st))
		return 0;
	return t;
}

void stale_write(struct fwd_state *s)
{
	if (!s->sessions_dirty || !s->r.out_dir[0])
		return;
	s->sessions_dirty = false;
	char path[FILE_PATH_MAX + 16], tmp[FILE_PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/sessions", s->r.out_dir);
	snprintf(tmp, sizeof(tmp), "%s/.sessions.tmp", s->r.out_dir);
	FILE *f = fopen(tmp, "we");
	if (!f) {
		log_warn("event=sessions_file_failed path=%s error=\"%s\"", tmp, strerror(errno));
		return;
	}
	fprintf(f, "# sshd sessions of tzsigner forwarder pid %d: PGID STARTTIME SID\n", (int)getpid());
	pid_t sid = getsid(0);
	for (size_t i = 0; i < s->n_children; i++)
		if (!(s->children[i].exited && s->children[i].err_fd < 0))
			fprintf(f, "%d %llu %d\n", (int)s->children[i].pid, s->children[i].starttime, (int)sid);
	bool ok = fflush(f) == 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0)
		log_warn("event=sessions_file_failed path=%s error=\"%s\"", path, strerror(errno));
}

/* Is pid running the sshd binary (real path sshd_real)? */
static bool runs_sshd(pid_t pid, const char *sshd_real)
{
	char link[64], target[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	return strcmp(target, sshd_real) == 0;
}

struct group {
	pid_t pgid, sid;
	unsigned long long start;
};

/* False when g's leader id is taken by a process other than the one
 * recorded (it started at another time): the group is not ours. */
static bool leader_ours(const struct group *g)
{
	pid_t pg, se;
	unsigned long long start;
	char st;
	if (!g->start || !proc_stat(g->pgid, &pg, &se, &start, &st))
		return true; /* gone: what is left of the group can still be ours */
	return start == g->start;
}

/* Kills the live processes of the listed groups; returns how many. */
static unsigned kill_groups(const struct group *g, size_t n, const char *sshd_real, bool log)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	unsigned killed = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		char *end;
		long v = strtol(de->d_name, &end, 10);
		if (*end || v <= 0 || v == getpid())
			continue;
		pid_t pid = (pid_t)v, pg, se;
		unsigned long long start;
		char st;
		if (!proc_stat(pid, &pg, &se, &start, &st) || st == 'Z')
			continue;
		for (size_t i = 0; i < n; i++) {
			if (g[i].pgid != pg || g[i].sid != se || start < g[i].start || !runs_sshd(pid, sshd_real))
				continue;
			if (log)
				log_warn("event=stale_session_killed pid=%d pgid=%d msg=\"left by a previous forwarder\"",
					 (int)pid, (int)pg);
			kill(pid, SIGKILL);
			killed++;
			break;
		}
	}
	closedir(d);
	return killed;
}

void stale_cleanup(const struct fwd_state *s)
{
	char path[FILE_PATH_MAX + 16], sshd_real[PATH_MAX];
	snprintf(path, sizeof(path), "%s/sessions", s->r.out_dir);
	if (!realpath(s->opts->sshd_path, sshd_real))
		return;
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	struct group *g = calloc(STALE_MAX, sizeof(*g));
	size_t n = 0;
	char line[128];
	while (g && n < STALE_MAX && fgets(line, sizeof(line), f)) {
		int pg, se;
		unsigned long long t;
		if (line[0] != '#' && sscanf(line, "%d %llu %d", &pg, &t, &se) == 3 && pg > 1 && se >= 0)
			g[n++] = (struct group){ (pid_t)pg, (pid_t)se, t };
	}
	fclose(f);
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (leader_ours(&g[i]))
			g[kept++] = g[i];
		else
			log_info("event=stale_group_recycled pgid=%d msg=\"its id now belongs to another process: "
				 "left alone\"",
				 (int)g[i].pgid);
	}
	n = kept;
	unsigned killed = g ? kill_groups(g, n, sshd_real, true) : 0;
	struct timespec ts = { 0, 50 * 1000000L };
	for (int waited = 0; killed && waited < STALE_WAIT_MS; waited += 50) {
		nanosleep(&ts, NULL);
		if (kill_groups(g, n, sshd_real, false) == 0)
			break;
	}
	if (killed)
		log_warn("event=stale_sessions killed=%u file=%s", killed, path);
	free(g);
}
