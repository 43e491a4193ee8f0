/* audit.c - the signing decision's log line (audit.h). `level=` is the log
 * severity (what logfmt tools read); the operation's level and round are
 * `op_level=` and `op_round=`, so no key appears twice on a line. */
#include "audit.h"

#include <stdio.h>

#include "../base/log.h"
#include "reply.h"
#include "../base/clock.h"

void audit_sign(const char *transport, const char *pkh, const struct sign_result *res,
		const struct err *e, size_t len, uint64_t start_ns)
{
	char chain[B58_MAX] = "-", q[ERR_MSG_MAX + 64];
	const struct op_info *op = &res->op;
	bool consensus = res->classified && op->kind != OP_OTHER;
	if (consensus)
		chain_id_encode(chain, op->chain_id, NULL);
	const char *decision = e ? "refused" : res->reanswered ? "reanswered" : "signed";
	char where[96] = "";
	if (consensus)
		snprintf(where, sizeof(where), " chain=%.20s op_level=%u op_round=%u", chain, op->level, op->round);
	log_info("event=%s pkh=%s kind=%s magic=0x%02x bytes=%zu%s%s%s%s%s status=%u reason=%s us=%lu",
		 decision, pkh, res->classified ? op_kind_name(op->kind) : "-", op->magic, len,
		 where, res->authenticated_by ? " auth=" : "",
		 res->authenticated_by ? res->authenticated_by : "", transport ? " transport=" : "",
		 transport ? transport : "", e ? reply_status_of(e->kind) : 200u,
		 e ? log_str(q, sizeof(q), e->msg) : "ok",
		 (unsigned long)((now_mono_ns() - start_ns) / 1000u));
}
