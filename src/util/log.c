/*
 * log.c: logging to stderr (see log.h).
 *
 * One mutex serializes every line so that worker threads never interleave,
 * and so that the progress display can be cleared and redrawn around a line.
 */
#include "util/log.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/mem.h"

static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static LogFormat log_fmt = LOG_FORMAT_TEXT;
static LogLevel log_min = LOG_INFO;
static void (*display_clear)(void);
static void (*display_redraw)(void);

static const char *const level_names[] = {"debug", "info", "warning", "error"};

void
log_configure(LogFormat format, LogLevel min_level)
{
    log_fmt = format;
    log_min = min_level;
}

LogFormat
log_format(void)
{
    return log_fmt;
}

bool
log_enabled(LogLevel level)
{
    return level >= log_min;
}

void
log_set_display(void (*clear)(void), void (*redraw)(void))
{
    pthread_mutex_lock(&log_mutex);
    display_clear = clear;
    display_redraw = redraw;
    pthread_mutex_unlock(&log_mutex);
}

void
log_lock(void)
{
    pthread_mutex_lock(&log_mutex);
}

void
log_unlock(void)
{
    pthread_mutex_unlock(&log_mutex);
}

static void
log_timestamp(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static void
log_write_line(const char *line)
{
    pthread_mutex_lock(&log_mutex);
    if (display_clear)
        display_clear();
    fputs(line, stderr);
    fputc('\n', stderr);
    if (display_redraw)
        display_redraw();
    fflush(stderr);
    pthread_mutex_unlock(&log_mutex);
}

static _Thread_local char **capture_first;

void
log_capture_first_error(char **first)
{
    capture_first = first;
}

/*
 * msg as one line (a record is one line).  libpq messages end with newlines
 * and may span lines, their next line indented with a tab ("failed: ...\n
 * \tIs the server running ..."): a line break and the blanks after it are
 * "; ", or one space after punctuation.  Caller frees.
 */
static char *
one_line(const char *msg)
{
    char *line = gw_malloc(2 * strlen(msg) + 1), *out = line;    /* at most one character more per break */
    for (const char *p = msg; *p;) {
        if (*p == '\n' || *p == '\r') {
            while (*p == '\n' || *p == '\r' || *p == '\t' || *p == ' ')
                p++;
            if (*p && out > line && !strchr(" ;:,.", out[-1]))
                *out++ = ';';
            if (*p && out > line && out[-1] != ' ')
                *out++ = ' ';
        } else {
            *out++ = *p == '\t' ? ' ' : *p;
            p++;
        }
    }
    *out = '\0';
    return line;
}

void
log_msg(LogLevel level, const char *fmt, ...)
{
    if (level < log_min && !(level == LOG_ERROR && capture_first))
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    char *msg = gw_malloc((size_t) n + 1);
    va_start(ap, fmt);
    vsnprintf(msg, (size_t) n + 1, fmt, ap);
    va_end(ap);

    char *text = one_line(msg);
    free(msg);
    msg = text;
    if (level == LOG_ERROR && capture_first && !*capture_first)
        *capture_first = gw_strdup(msg);
    if (level < log_min) {
        free(msg);
        return;
    }

    char ts[40];
    log_timestamp(ts, sizeof ts);
    if (log_fmt == LOG_FORMAT_JSON) {
        json_t *obj = json_pack("{s:s, s:s, s:s}", "time", ts, "level", level_names[level], "msg", msg);
        char *line = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
        if (line)
            log_write_line(line);
        free(line);
        json_decref(obj);
    } else {
        char *line = gw_asprintf("%s %-7s %s", ts, level_names[level], msg);
        log_write_line(line);
        free(line);
    }
    free(msg);
}

void
log_json_event(LogLevel level, json_t *fields)
{
    if (level < log_min)
        return;
    char ts[40];
    log_timestamp(ts, sizeof ts);
    json_t *obj = json_pack("{s:s, s:s}", "time", ts, "level", level_names[level]);
    json_object_update(obj, fields);
    char *line = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    if (line)
        log_write_line(line);
    free(line);
    json_decref(obj);
}
