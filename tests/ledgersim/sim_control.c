/* sim_control.c - the control channel's commands (one line each):
 *
 *   unplug | plug                  drop every APDU connection / accept again
 *   app closed | app open | app other
 *   lock | unlock                  5515 to everything while locked
 *   slow MS                        every reply MS later (0: off)
 *   reject on|off                  prompts answered "rejected" (6985)
 *   prompt-ms MS                   how long the person takes to confirm
 *   no-sign-with-hash on|off       answer INS 0F with 6D00, as apps < 2.1
 *   state                          authorized key, chain, watermarks, counts
 *   timing                         monotonic ns of the last sign's first
 *                                  APDU in and last reply out
 *   quit
 *
 * Each answers one line: "ok …" or "error …". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static bool on_off(const char *arg, bool *out)
{
	if (strcmp(arg, "on") == 0)
		*out = true;
	else if (strcmp(arg, "off") == 0)
		*out = false;
	else
		return false;
	return true;
}

static bool ms(const char *arg, int *out)
{
	char *end;
	long v = strtol(arg, &end, 10);
	if (!*arg || *end || v < 0 || v > 600000)
		return false;
	*out = (int)v;
	return true;
}

static void path_text(const struct sim_path *p, char *out, size_t cap)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < p->len && used < cap; i++)
		used += (size_t)snprintf(out + used, cap - used, "%s%u%s", i ? "/" : "",
					 (unsigned)(p->c[i] & 0x7fffffffu), (p->c[i] & 0x80000000u) ? "h" : "");
}

void sim_control(struct sim *s, const char *line, char *out, size_t cap, bool *quit)
{
	char cmd[32] = "", arg[32] = "";
	int n = sscanf(line, "%31s %31s", cmd, arg);
	struct sim_faults *f = &s->faults;
	bool ok = true;
	*quit = false;
	if (n < 1) {
		snprintf(out, cap, "error empty command");
		return;
	}
	if (strcmp(cmd, "unplug") == 0) {
		f->unplugged = true;
	} else if (strcmp(cmd, "plug") == 0) {
		f->unplugged = false;
	} else if (strcmp(cmd, "app") == 0 && n == 2) {
		if (strcmp(arg, "closed") == 0) {
			f->app_closed = true;
			f->other_app = false;
		} else if (strcmp(arg, "open") == 0) {
			f->app_closed = f->other_app = false;
		} else if (strcmp(arg, "other") == 0) {
			f->other_app = true;
			f->app_closed = false;
		} else {
			ok = false;
		}
	} else if (strcmp(cmd, "lock") == 0) {
		f->locked = true;
	} else if (strcmp(cmd, "unlock") == 0) {
		f->locked = false;
	} else if (strcmp(cmd, "slow") == 0 && n == 2) {
		ok = ms(arg, &f->slow_ms);
	} else if (strcmp(cmd, "prompt-ms") == 0 && n == 2) {
		ok = ms(arg, &f->prompt_ms);
	} else if (strcmp(cmd, "reject") == 0 && n == 2) {
		ok = on_off(arg, &f->reject);
	} else if (strcmp(cmd, "no-sign-with-hash") == 0 && n == 2) {
		ok = on_off(arg, &f->no_sign_with_hash);
	} else if (strcmp(cmd, "state") == 0) {
		char path[128];
		path_text(&s->auth_path, path, sizeof(path));
		snprintf(out, cap,
			 "ok authorized=%d curve=%u path=%s chain=%02x%02x%02x%02x main_level=%u main_round=%u test_level=%u test_round=%u signs=%lu unplugged=%d app_closed=%d locked=%d slow_ms=%d",
			 s->authorized, s->auth_curve, path[0] ? path : "-", s->main_chain[0], s->main_chain[1],
			 s->main_chain[2], s->main_chain[3], s->main.level, s->main.round, s->test.level,
			 s->test.round, s->signs, f->unplugged, f->app_closed, f->locked, f->slow_ms);
		return;
	} else if (strcmp(cmd, "timing") == 0) {
		snprintf(out, cap, "ok first_rx_ns=%" PRId64 " last_tx_ns=%" PRId64 " signs=%lu",
			 s->sign_first_rx_ns, s->sign_last_tx_ns, s->signs);
		return;
	} else if (strcmp(cmd, "quit") == 0) {
		*quit = true;
	} else {
		snprintf(out, cap, "error unknown command '%.31s' (see ledgersim --help)", cmd);
		return;
	}
	if (ok)
		snprintf(out, cap, "ok");
	else
		snprintf(out, cap, "error bad argument '%.31s' for %.31s", arg, cmd);
}
