/* log.h - one line per event on stderr, in grep-friendly key=value form:
 *
 *   ts=2026-11-25T19:30:00.123Z level=info fn=serve_start addr=127.0.0.1 port=6732
 *
 * Callers write the key=value pairs themselves; log_str() quotes a value
 * that may contain spaces or quotes. Secrets and full payloads are never
 * passed here. Thread-safe: each line is written with a single write(2). */
#ifndef TZS_BASE_LOG_H
#define TZS_BASE_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* "error", "warn", "info", "debug"; false when the name is none of these. */
bool log_parse_level(const char *name, enum log_level *out);

void log_emit(enum log_level level, const char *fn, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(...) log_emit(LOG_ERROR, __func__, __VA_ARGS__)
#define log_warn(...) log_emit(LOG_WARN, __func__, __VA_ARGS__)
#define log_info(...) log_emit(LOG_INFO, __func__, __VA_ARGS__)
#define log_debug(...) log_emit(LOG_DEBUG, __func__, __VA_ARGS__)

/* Writes s as a log value into out: bare when it is made of safe
 * characters, else double-quoted with \" \\ and control bytes escaped.
 * Truncates to fit; out is always terminated. Returns out. */
const char *log_str(char *out, size_t cap, const char *s);

#endif
