/* http_client.c - pooled libcurl easy handles. */
#include "http_client.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define POOL_MAX 64

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static CURL *pool[POOL_MAX];
static size_t pool_len;
static struct curl_slist *json_headers;

bool gw_http_global_init(struct err *e)
{
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK)
		return err_set(e, ERR_INTERNAL, "libcurl initialisation failed: %s", curl_easy_strerror(rc));
	/* "Expect:" off: libcurl would otherwise wait for a 100-continue
	 * before sending a body over 1 KiB, a round trip for nothing. */
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	if (h)
		json_headers = curl_slist_append(h, "Expect:");
	if (!json_headers) {
		curl_slist_free_all(h);
		curl_global_cleanup();
		return err_set(e, ERR_INTERNAL, "out of memory for the HTTP headers");
	}
	return true;
}

void gw_http_global_cleanup(void)
{
	pthread_mutex_lock(&pool_mu);
	for (size_t i = 0; i < pool_len; i++)
		curl_easy_cleanup(pool[i]);
	pool_len = 0;
	pthread_mutex_unlock(&pool_mu);
	curl_slist_free_all(json_headers);
	json_headers = NULL;
	curl_global_cleanup();
}

static CURL *take_handle(void)
{
	CURL *c = NULL;
	pthread_mutex_lock(&pool_mu);
	if (pool_len > 0)
		c = pool[--pool_len];
	pthread_mutex_unlock(&pool_mu);
	if (c)
		curl_easy_reset(c); /* options back to defaults; open connections stay */
	else
		c = curl_easy_init();
	return c;
}

static void give_back(CURL *c)
{
	pthread_mutex_lock(&pool_mu);
	if (pool_len < POOL_MAX) {
		pool[pool_len++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&pool_mu);
	if (c)
		curl_easy_cleanup(c);
}

static size_t on_data(char *data, size_t size, size_t n, void *cls)
{
	struct gw_http_answer *a = cls;
	size_t len = size * n;
	if (len > GW_HTTP_MAX_ANSWER - a->len)
		return 0; /* over the cap: libcurl fails the transfer */
	char *grown = realloc(a->body, a->len + len + 1);
	if (!grown)
		return 0;
	a->body = grown;
	memcpy(a->body + a->len, data, len);
	a->len += len;
	a->body[a->len] = '\0';
	return len;
}

static void set_options(CURL *c, const struct gw_http_req *r, struct gw_http_answer *ans)
{
	curl_easy_setopt(c, CURLOPT_URL, r->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, r->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, r->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, ans);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, json_headers);
	if (strcmp(r->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body ? r->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	}
	if (r->tls) {
		if (r->tls->cacert)
			curl_easy_setopt(c, CURLOPT_CAINFO, r->tls->cacert);
		if (r->tls->cert)
			curl_easy_setopt(c, CURLOPT_SSLCERT, r->tls->cert);
		if (r->tls->key)
			curl_easy_setopt(c, CURLOPT_SSLKEY, r->tls->key);
	}
}

bool gw_http_exchange(const struct gw_http_req *req, struct gw_http_answer *ans, bool *timed_out,
		      struct err *e)
{
	memset(ans, 0, sizeof(*ans));
	if (timed_out)
		*timed_out = false;
	CURL *c = take_handle();
	if (!c)
		return err_set(e, ERR_INTERNAL, "out of memory for an HTTP handle to %s", req->url);
	set_options(c, req, ans);
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ans->status);
	give_back(c);
	if (rc != CURLE_OK) {
		gw_http_answer_free(ans);
		if (timed_out)
			*timed_out = rc == CURLE_OPERATION_TIMEDOUT;
		return err_set(e, ERR_UNAVAILABLE, "%s %s: %s", req->method, req->url,
			       rc == CURLE_WRITE_ERROR ? "answer over the size limit"
						       : curl_easy_strerror(rc));
	}
	if (!ans->body) {
		ans->body = calloc(1, 1);
		if (!ans->body)
			return err_set(e, ERR_INTERNAL, "out of memory for an answer from %s", req->url);
	}
	return true;
}

void gw_http_answer_free(struct gw_http_answer *ans)
{
	free(ans->body);
	ans->body = NULL;
	ans->len = 0;
}
