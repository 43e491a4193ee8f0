/* Unit tests of the status page's pieces: HTML escaping, the chart, ages,
 * and the HTTP answer splitter of `tzsigner status` (must-fail cases). */
#include <stdlib.h>
#include <string.h>

#include "../../src/base/html.h"
#include "../../src/base/http_get.h"
#include "harness.h"

TEST(base_html_escapes_text_not_markup)
{
	struct html h = { 0 };
	size_t len;
	html_begin(&h, "a<b>&\"c'", 5);
	html_raw(&h, "<p>");
	html_text(&h, "<script>alert('x')</script> & \"q\"");
	html_raw(&h, "</p>");
	char *page = html_end(&h, &len);
	CHECK(page != NULL);
	CHECK(strstr(page, "<title>a&lt;b&gt;&amp;&quot;c&#39;</title>") != NULL);
	CHECK(strstr(page, "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;</p>") != NULL);
	CHECK(strstr(page, "<meta http-equiv=\"refresh\" content=\"5\">") != NULL);
	CHECK(strstr(page, "<script>") == NULL);
	CHECK(strlen(page) == len);
	free(page);
}

TEST(base_html_chart_bars_gaps_and_empty)
{
	struct html h = { 0 };
	size_t len;
	double avg[4] = { 1.0, -1, 2.0, -1 }, max[4] = { 2.0, -1, 4.0, -1 };
	html_chart(&h, avg, max, 4, 100, 60, "ms", "lat <x>", "none");
	double none[2] = { -1, -1 };
	html_chart(&h, none, none, 2, 100, 60, "ms", "empty", "no signatures in the last hour");
	char *out = html_end(&h, &len);
	CHECK(out != NULL);
	size_t bars = 0;
	for (const char *p = out; (p = strstr(p, "fill=\"#3b82f6\"")); p++)
		bars++;
	CHECK(bars == 2);
	CHECK(strstr(out, "<title>lat &lt;x&gt;</title>") != NULL);
	CHECK(strstr(out, "max 4.00 ms") != NULL);
	CHECK(strstr(out, "no signatures in the last hour") != NULL);
	free(out);
	char age[16];
	CHECK_STR(html_age(5, age, sizeof(age)), "5 s");
	CHECK_STR(html_age(600, age, sizeof(age)), "10 min");
	CHECK_STR(html_age(7200, age, sizeof(age)), "2 h");
	CHECK_STR(html_age(-3, age, sizeof(age)), "0 s");
}

TEST(base_http_response_split_accepts_and_refuses)
{
	int status = 0;
	size_t off = 0;
	const char ok[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: a\r\n\r\n{}";
	CHECK(http_response_split(ok, sizeof(ok) - 1, &status, &off, NULL));
	CHECK(status == 503);
	CHECK_STR(ok + off, "{}");
	const char *bad[] = {
		"", "HTTP/1.1 200", "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nno end of headers", "SSH-2.0-OpenSSH_9.2\r\n\r\n", "HTTP/1.1200 OK\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err e = { 0 };
		CHECK(!http_response_split(bad[i], strlen(bad[i]), &status, &off, &e));
		CHECK(e.kind == ERR_MALFORMED);
	}
}
