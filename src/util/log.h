/*
 * log.h: leveled, thread-safe logging to stderr, as text or JSON lines.
 *
 * stdout belongs to a command's output (reports, JSON); nothing here writes
 * to it.  Messages must never contain passwords: URLs go through url_redact().
 */
#ifndef GW_LOG_H
#define GW_LOG_H

#include <jansson.h>
#include <stdbool.h>

typedef enum LogLevel { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } LogLevel;
typedef enum LogFormat { LOG_FORMAT_TEXT, LOG_FORMAT_JSON } LogFormat;

void log_configure(LogFormat format, LogLevel min_level);
LogFormat log_format(void);
bool log_enabled(LogLevel level);

void log_msg(LogLevel level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/*
 * A live display on the terminal (progress) registers these so that a log
 * line never tears it: clear is called before the line, redraw after, both
 * under the log lock.
 */
void log_set_display(void (*clear)(void), void (*redraw)(void));
void log_lock(void);
void log_unlock(void);

/*
 * From now on in the calling thread, the first error logged is also kept in
 * *first (malloc'd; the caller frees it), still logged as usual; NULL stops.
 * A command that reports each of its checks on stdout names the error there.
 */
void log_capture_first_error(char **first);

/*
 * A structured record for --log-format json: fields (borrowed, e.g. "event":
 * "progress") with the time and level every record has.
 */
void log_json_event(LogLevel level, json_t *fields);

#endif
