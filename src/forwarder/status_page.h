/* status_page.h - the forwarder's boxes as one self-contained HTML page
 * (GET / and /status.html on the exporter), reloading itself. */
#ifndef TZS_FORWARDER_STATUS_PAGE_H
#define TZS_FORWARDER_STATUS_PAGE_H

#include <stddef.h>
#include <stdint.h>

struct fwd_state;

#define FWD_PAGE_REFRESH_S 5

/* NULL when out of memory; caller frees. now_ms: the wall clock. */
char *fwd_status_page_html(const struct fwd_state *s, int64_t now_ms, size_t *len);

#endif
