/* boxprobe.h - the forwarder's check of one box, through its tunnel: a
 * non-blocking HTTP GET to 127.0.0.1:P (the port the box's ssh -R made
 * sshd listen on), answered by the box's signer at the other end.
 *
 *   connection refused        the tunnel is down (nothing listens on P)
 *   accepted, then no 200     the tunnel is up, the signer does not answer
 *                             (sshd accepts, the box cannot reach its signer)
 *   HTTP 200                  the signer answers through the tunnel
 *
 * The caller's poll loop drives it: boxprobe_events() says what to wait
 * for, boxprobe_step() advances on the poll result, boxprobe_expire()
 * ends it at its deadline. */
#ifndef TZS_FORWARDER_BOXPROBE_H
#define TZS_FORWARDER_BOXPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/http_probe.h"

enum probe_result {
	PROBE_PENDING = 0,
	PROBE_OK,            /* HTTP 200 */
	PROBE_TUNNEL_DOWN,   /* connect refused or failed */
	PROBE_NO_ANSWER,     /* connected, then closed, timed out or not 200 */
};

/* hp.fd is the socket to poll (-1 when idle), hp.deadline_ms its deadline. */
struct boxprobe {
	struct http_probe hp;
	uint64_t started_us; /* CLOCK_MONOTONIC, for the check's duration */
	int status;          /* HTTP status when one was read, else 0 */
	char error[128];     /* what went wrong, for the status page */
};

void boxprobe_init(struct boxprobe *p);

/* Starts GET path on 127.0.0.1:port; a result may already be final (an
 * immediate refusal): check boxprobe_active(). */
enum probe_result boxprobe_start(struct boxprobe *p, uint16_t port, const char *path,
				 uint64_t now_ms, unsigned timeout_ms);

bool boxprobe_active(const struct boxprobe *p);
short boxprobe_events(const struct boxprobe *p);
enum probe_result boxprobe_step(struct boxprobe *p, short revents);
enum probe_result boxprobe_expire(struct boxprobe *p, uint64_t now_ms);
void boxprobe_close(struct boxprobe *p);

/* Microseconds since the probe started (CLOCK_MONOTONIC). */
uint64_t boxprobe_elapsed_us(const struct boxprobe *p);

/* "HTTP/1.1 200 OK…" -> 200; -1 when it is not a status line (yet). */
int boxprobe_status_of(const char *resp, size_t len);

#endif
