/* supervisor.h - `tzsigner tunnel`: keeps OpenSSH's ssh running with the
 * reverse forwards up, and says what state it is in.
 *
 * One thread, one poll loop over: a signalfd (SIGCHLD, SIGHUP reconnects
 * at once, SIGTERM/SIGINT stop), ssh's stderr (which the ProxyCommand
 * shares), a netlink socket (route and link changes) and the probe's
 * socket. Timers: the next attempt (jittered exponential backoff), the
 * attempt deadline, the stable period that resets the backoff, the probe,
 * SIGKILL after a SIGTERM that ssh ignores, and the systemd watchdog.
 *
 * An attempt is up when ssh reports both remote forwards accepted (and,
 * with the probe on, once GET /authorized_keys went through the endpoint's
 * port P and back). When ssh exits, what it wrote says why (classify.h);
 * refusals that retrying cannot fix (host key mismatch, authentication,
 * forward policy) are reported loudly and retried on the backoff (at most
 * refused-retry seconds apart), or at once on SIGHUP. */
#ifndef TZS_TUNNEL_SUPERVISOR_H
#define TZS_TUNNEL_SUPERVISOR_H

#include <stdbool.h>

#include "../base/err.h"
#include "config.h"

/* Runs until SIGTERM or SIGINT (true: a clean stop) or a setup failure
 * (false, e says what). self_exe is tzsigner's own absolute path, run by
 * ssh as the ProxyCommand. The caller has loaded the host key files. */
bool tunnel_supervise(const struct tunnel_config *cfg, const char *self_exe, struct err *e);

#endif
