/* boxes.h - the boxes behind the gateway, which keys each holds and
 * whether it can sign them now. Learned from the boxes themselves: GET
 * /known_keys where the box allows it, each tracked key's GET
 * /statusz/<pkh> (200: can sign, 503: holds it but cannot sign now, 404:
 * does not hold it), and the answers of forwarded requests. A background
 * thread checks every box each interval.
 *
 * Per key, the box that signed last is preferred while it stays healthy, so
 * one key signs from one place. */
#ifndef TZS_GATEWAY_BOXES_H
#define TZS_GATEWAY_BOXES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

#define GW_MAX_BOXES 16
#define GW_MAX_KEYS 64
#define GW_BOX_URL_MAX 200
#define GW_PKH_MAX 40

enum gw_key_state {
	GW_KEY_UNKNOWN = 0, /* not asked yet */
	GW_KEY_ABSENT,      /* the box does not hold it (404) */
	GW_KEY_READY,       /* /statusz/<pkh> 200, or it just signed */
	GW_KEY_NOT_READY,   /* /statusz/<pkh> 503: held, cannot sign now */
};

struct gw_box {
	char url[GW_BOX_URL_MAX];
	bool reachable;
	uint64_t checked_ms; /* wall clock of the last check, 0 never */
	char last_error[160];
	uint64_t failures;   /* forwarded requests that failed at this box */
	enum gw_key_state key[GW_MAX_KEYS];
};

struct gw_boxes {
	pthread_mutex_t mu;
	struct gw_box box[GW_MAX_BOXES];
	size_t nbox;
	char key[GW_MAX_KEYS][GW_PKH_MAX];
	size_t nkey;
	int signer[GW_MAX_KEYS]; /* box that answered last for the key, -1 none */
	long check_timeout_ms;
	unsigned interval_ms;
	pthread_t thread;
	bool running;
	bool stop;
	pthread_cond_t wake;
};

/* urls: http://HOST:PORT of each box. */
bool gw_boxes_init(struct gw_boxes *b, const char *const *urls, size_t n, unsigned interval_ms,
		   long check_timeout_ms, struct err *e);
bool gw_boxes_start(struct gw_boxes *b, struct err *e);
void gw_boxes_stop(struct gw_boxes *b);
void gw_boxes_free(struct gw_boxes *b);

/* Runs one round of checks now (the thread's work; tests and start-up). */
void gw_boxes_check_all(struct gw_boxes *b);

/* The boxes to try for pkh, best first: the last signer if it is ready,
 * then the ready ones, then those not asked yet, then the rest (unreachable
 * or not ready: a last resort, as their state may be stale). Boxes known
 * not to hold the key are left out. Returns the count. */
size_t gw_boxes_order(struct gw_boxes *b, const char *pkh, int order[static GW_MAX_BOXES]);

/* Whether some box has confirmed it holds pkh (it is tracked and a box has
 * it READY or NOT_READY). */
bool gw_boxes_holds(struct gw_boxes *b, const char *pkh);

enum gw_box_outcome {
	GW_BOX_SIGNED,  /* 200 to a sign request: the preferred box for the key */
	GW_BOX_HOLDS,   /* 200 or another decision of the box: reachable, holds it */
	GW_BOX_ABSENT,  /* 404 for the key */
	GW_BOX_NOT_READY, /* 503 for the key: holds it, cannot sign now (Ledger gone) */
	GW_BOX_FAILED,  /* no answer, or 5xx */
};
void gw_boxes_report(struct gw_boxes *b, int box, const char *pkh, enum gw_box_outcome o,
		     const char *why);

/* One check's result for a box (box_check.c): reachable or why not, the
 * state of each tracked key (states[k] for key k; UNKNOWN leaves it), and
 * keys the box listed in /known_keys (tracked from now on). */
void gw_boxes_set_checked(struct gw_boxes *b, size_t box, bool reachable, const char *why,
			  const enum gw_key_state *states, size_t nstates,
			  const char (*learned)[GW_PKH_MAX], size_t nlearned);

/* A consistent copy for /statusz and /metrics. */
struct gw_boxes_view {
	struct gw_box box[GW_MAX_BOXES];
	size_t nbox;
	char key[GW_MAX_KEYS][GW_PKH_MAX];
	size_t nkey;
	int signer[GW_MAX_KEYS];
};
void gw_boxes_view(struct gw_boxes *b, struct gw_boxes_view *out);

#endif
