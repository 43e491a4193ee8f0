/* wm_format.c - parse and serialise the high watermark files. */
#include "wm_format.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/hex.h"

bool op_kind_parse(const char *name, enum op_kind *out)
{
	for (int k = 0; k < WM_KINDS; k++) {
		if (strcmp(name, op_kind_name((enum op_kind)k)) == 0) {
			*out = (enum op_kind)k;
			return true;
		}
	}
	return false;
}

bool wm_records_push(struct wm_records *r, const struct wm_record *x, struct err *e)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct wm_record *grown = realloc(r->v, cap * sizeof(*grown));
		if (!grown)
			return err_set(e, ERR_INTERNAL, "out of memory for watermark records");
		r->v = grown;
		r->cap = cap;
	}
	r->v[r->n++] = *x;
	return true;
}

void wm_records_free(struct wm_records *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static bool json_u32(json_t *v, uint32_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > UINT32_MAX)
		return false;
	*out = (uint32_t)json_integer_value(v);
	return true;
}

static const char *const sig_names[] = { "plain", "bls_pop", "bls_aug", "unknown" };

/* The fields of one record, ours or octez's, into r->w and r->reserved. */
static bool record_fields(json_t *o, struct wm_record *r, const char *where, struct err *e)
{
	struct watermark *w = &r->w;
	if (!json_is_object(o))
		return err_set(e, ERR_MALFORMED, "%s: a record is not an object", where);
	json_t *level = json_object_get(o, "level"), *round = json_object_get(o, "round");
	json_t *hash = json_object_get(o, "hash"), *sig = json_object_get(o, "signature");
	json_t *res = json_object_get(o, "reserved_level"), *scheme = json_object_get(o, "scheme");
	if (res && !json_u32(res, &r->reserved))
		return err_set(e, ERR_MALFORMED, "%s: reserved_level is not a 32-bit level", where);
	if (!level && !res)
		return err_set(e, ERR_MALFORMED, "%s: record without a level", where);
	if (!level)
		return true;
	if (!json_u32(level, &w->level))
		return err_set(e, ERR_MALFORMED, "%s: level is not a 32-bit number", where);
	w->known = true;
	w->round = WM_WHOLE_LEVEL;
	if (round && !json_is_null(round) && !json_u32(round, &w->round))
		return err_set(e, ERR_MALFORMED, "%s: round is not a 32-bit number", where);
	if (w->round == WM_WHOLE_LEVEL || !hash || json_is_null(hash))
		return true;
	size_t n;
	if (!json_is_string(hash) ||
	    !hex_decode(w->exact.hash, HASH_BYTES, &n, json_string_value(hash),
			json_string_length(hash), e) || n != HASH_BYTES)
		return err_set(e, ERR_MALFORMED, "%s: hash is not 32 bytes of hex", where);
	w->exact.known = true;
	w->exact.level = w->level;
	w->exact.round = w->round;
	/* A tz4 signature without its scheme cannot be re-answered safely. */
	w->exact.sig = r->pkh.scheme == SCHEME_BLS ? WM_SIG_UNKNOWN : WM_SIG_PLAIN;
	if (scheme) {
		const char *s = json_string_value(scheme);
		if (!s || r->pkh.scheme != SCHEME_BLS ||
		    (strcmp(s, sig_names[WM_SIG_BLS_POP]) != 0 && strcmp(s, sig_names[WM_SIG_BLS_AUG]) != 0))
			return err_set(e, ERR_MALFORMED, "%s: scheme is not bls_pop or bls_aug of a tz4 key",
				       where);
		w->exact.sig = strcmp(s, sig_names[WM_SIG_BLS_POP]) == 0 ? WM_SIG_BLS_POP : WM_SIG_BLS_AUG;
	}
	if (sig && !json_is_null(sig)) {
		if (!json_is_string(sig) || json_string_length(sig) >= B58_MAX)
			return err_set(e, ERR_MALFORMED, "%s: signature is not a short string", where);
		w->exact.has_signature = true;
		memcpy(w->exact.signature, json_string_value(sig), json_string_length(sig) + 1);
	}
	return true;
}

static json_t *load(const char *text, size_t len, const char *where, struct err *e)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		err_set(e, ERR_MALFORMED, "%s: not JSON (or a key given twice) at line %d: %s", where,
			jerr.line, jerr.text);
	return root;
}

bool wm_format_parse(const char *text, size_t len, const char *where, struct wm_records *out,
		     struct err *e)
{
	json_t *root = load(text, len, where, e);
	if (!root)
		return false;
	bool ok = false;
	json_t *version = json_object_get(root, "version");
	json_t *list = json_object_get(root, "watermarks");
	size_t i;
	json_t *o;
	if (!json_is_integer(version) || json_integer_value(version) != WM_FORMAT_VERSION) {
		err_set(e, ERR_MALFORMED, "%s: \"version\" is not %d: a file of another format or a newer "
			"tzsigner; refusing to guess what it protects", where, WM_FORMAT_VERSION);
		goto out;
	}
	if (!json_is_array(list)) {
		err_set(e, ERR_MALFORMED, "%s: no \"watermarks\" array", where);
		goto out;
	}
	json_array_foreach(list, i, o) {
		char at[4200];
		snprintf(at, sizeof(at), "%s record %zu", where, i + 1);
		const char *chain_s = json_string_value(json_object_get(o, "chain"));
		const char *pkh_s = json_string_value(json_object_get(o, "pkh"));
		const char *kind_s = json_string_value(json_object_get(o, "kind"));
		struct wm_record r = { 0 };
		if (!chain_s || !pkh_s || !kind_s || !chain_id_decode(chain_s, r.chain, e) ||
		    !pkh_decode(pkh_s, &r.pkh, e) || !op_kind_parse(kind_s, &r.kind)) {
			err_set(e, ERR_MALFORMED, "%s: needs chain, pkh and kind", at);
			goto out;
		}
		if (!record_fields(o, &r, at, e) || !wm_records_push(out, &r, e))
			goto out;
	}
	ok = true;
out:
	json_decref(root);
	return ok;
}

bool wm_format_parse_octez(const char *text, size_t len, const char *where, enum op_kind kind,
			   struct wm_records *out, struct err *e)
{
	json_t *root = load(text, len, where, e);
	if (!root)
		return false;
	bool ok = false;
	const char *chain_s, *pkh_s;
	json_t *per_chain, *rec;
	if (!json_is_object(root)) {
		err_set(e, ERR_MALFORMED, "%s: expected an object of chains", where);
		goto out;
	}
	json_object_foreach(root, chain_s, per_chain) {
		struct wm_record r = { .kind = kind };
		if (!chain_id_decode(chain_s, r.chain, e) || !json_is_object(per_chain)) {
			err_set(e, ERR_MALFORMED, "%s: '%.20s' is not a chain id with an object", where, chain_s);
			goto out;
		}
		json_object_foreach(per_chain, pkh_s, rec) {
			char at[4400];
			snprintf(at, sizeof(at), "%s (%.20s, %.40s)", where, chain_s, pkh_s);
			memset(&r.w, 0, sizeof(r.w));
			r.reserved = 0;
			if (!pkh_decode(pkh_s, &r.pkh, e)) {
				err_wrap(e, "%s", where);
				goto out;
			}
			if (!record_fields(rec, &r, at, e) || !wm_records_push(out, &r, e))
				goto out;
		}
	}
	ok = true;
out:
	json_decref(root);
	return ok;
}

/* A JSON string body: printable ASCII as is except '"' and '\\', the rest
 * as \u00XX (signatures are base58; a file could hold anything). */
static size_t json_escape(char *out, size_t cap, const char *in)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p && n + 7 < cap; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			out[n++] = (char)*p;
		else
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", *p);
	}
	out[n] = '\0';
	return n;
}

/* One record as one line of JSON into out (cap >= WM_LINE_MAX); its length. */
#define WM_LINE_MAX (512 + 6 * B58_MAX)
static size_t record_line(char *out, size_t cap, const struct wm_record *x, struct err *e)
{
	char chain[B58_MAX], pkh[B58_MAX], hash[2 * HASH_BYTES + 1], sig[6 * B58_MAX + 1];
	if (!chain_id_encode(chain, x->chain, e) || !pkh_encode(pkh, &x->pkh, e))
		return 0;
	const struct watermark *w = &x->w;
	size_t n = (size_t)snprintf(out, cap, "{\"chain\":\"%s\",\"pkh\":\"%s\",\"kind\":\"%s\"", chain, pkh,
				    op_kind_name(x->kind));
	if (w->known) {
		n += (size_t)snprintf(out + n, cap - n, ",\"level\":%" PRIu32, w->level);
		if (w->round != WM_WHOLE_LEVEL)
			n += (size_t)snprintf(out + n, cap - n, ",\"round\":%" PRIu32, w->round);
		const struct wm_exact *ex = &w->exact;
		if (ex->known && ex->level == w->level && ex->round == w->round) {
			hex_encode(hash, ex->hash, HASH_BYTES);
			n += (size_t)snprintf(out + n, cap - n, ",\"hash\":\"%s\"", hash);
			if (ex->has_signature) {
				json_escape(sig, sizeof(sig), ex->signature);
				n += (size_t)snprintf(out + n, cap - n, ",\"signature\":\"%s\"", sig);
			}
			if (ex->sig == WM_SIG_BLS_POP || ex->sig == WM_SIG_BLS_AUG)
				n += (size_t)snprintf(out + n, cap - n, ",\"scheme\":\"%s\"", sig_names[ex->sig]);
		}
	}
	if (x->reserved)
		n += (size_t)snprintf(out + n, cap - n, ",\"reserved_level\":%" PRIu32, x->reserved);
	n += (size_t)snprintf(out + n, cap - n, "}");
	return n;
}

bool wm_format_serialise(const struct wm_record *v, size_t n, char **out, size_t *len,
			 struct err *e)
{
	/* Written by hand, one record per line: linear, no document tree
	 * (jansson took 20 ms for 3,000 records; BENCHMARKS.md). */
	size_t cap = 64 + (n + 1) * WM_LINE_MAX, used = 0, written = 0;
	char *buf = malloc(cap);
	if (!buf)
		return err_set(e, ERR_INTERNAL, "out of memory serialising watermarks");
	used += (size_t)snprintf(buf, cap, "{\"version\": %d, \"watermarks\": [", WM_FORMAT_VERSION);
	for (size_t i = 0; i < n; i++) {
		if (!v[i].w.known && !v[i].reserved)
			continue;
		used += (size_t)snprintf(buf + used, cap - used, "%s\n ", written++ ? "," : "");
		size_t l = record_line(buf + used, cap - used, &v[i], e);
		if (!l) {
			free(buf);
			return false;
		}
		used += l;
	}
	used += (size_t)snprintf(buf + used, cap - used, "\n]}\n");
	*out = buf;
	*len = used;
	return true;
}
