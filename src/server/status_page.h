/* status_page.h - the box's status as one self-contained HTML page (GET /
 * and /status.html on the status port), rendered from the same JSON that
 * /statusz answers; it reloads itself every few seconds. */
#ifndef TZS_SERVER_STATUS_PAGE_H
#define TZS_SERVER_STATUS_PAGE_H

#include <jansson.h>
#include <stddef.h>

#define STATUS_PAGE_REFRESH_S 5

/* The page for a /statusz body; NULL when out of memory. Caller frees. */
char *status_page_html(const json_t *statusz, const char *host, size_t *len);

#endif
