/*
 * progress.c: progress rendering (see progress.h).
 */
#include "util/progress.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/log.h"
#include "util/strbuf.h"

/* Terminal lines for tables; the rest are summarized in one line. */
#define PROGRESS_MAX_LINES 12

static Progress *live_display;

double
progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

const char *
progress_format_bytes(double bytes, char *buf, size_t len)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    int u = 0;
    while (bytes >= 1000.0 && u < 4) {
        bytes /= 1000.0;
        u++;
    }
    snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
    return buf;
}

static const char *
state_name(int state)
{
    static const char *const names[] = {"waiting", "copying", "indexing", "done"};
    return names[state];
}

static void
totals(const Progress *p, int64_t *rows, int64_t *bytes, int64_t *est, size_t *done)
{
    *rows = *bytes = *est = 0;
    *done = 0;
    for (size_t i = 0; i < p->nitems; i++) {
        *rows += atomic_load(&p->items[i].rows);
        *bytes += atomic_load(&p->items[i].bytes);
        *est += p->items[i].est_rows;
        *done += atomic_load(&p->items[i].state) == PROGRESS_DONE;
    }
}

static void
format_eta(char *buf, size_t len, int64_t rows, int64_t est, double elapsed)
{
    if (est <= 0 || rows <= 0 || rows >= est || elapsed < 1.0) {
        snprintf(buf, len, "-");
        return;
    }
    double eta = elapsed * (double) (est - rows) / (double) rows;
    snprintf(buf, len, "%dm%02ds", (int) eta / 60, (int) eta % 60);
}

/* Columns of the terminal stderr is (80 when it cannot tell). */
static int
terminal_columns(void)
{
    struct winsize ws;
    return ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
}

size_t
progress_fit(const char *line, int columns)
{
    int used = 0;
    const char *p = line;
    for (; *p && *p != '\n'; p++) {
        bool starts_char = ((unsigned char) *p & 0xC0) != 0x80;
        if (starts_char && used >= columns - 1)
            break;
        used += starts_char;
    }
    return (size_t) (p - line);
}

/* One line of the live display, cut to the terminal's width (progress_fit). */
static void
draw_line(const char *line, int columns)
{
    fprintf(stderr, "%.*s\n", (int) progress_fit(line, columns), line);
}

static void
display_clear(void)
{
    if (!live_display || !live_display->lines_drawn)
        return;
    fprintf(stderr, "\033[%dA\033[J", live_display->lines_drawn);
    live_display->lines_drawn = 0;
}

static void
display_draw(void)
{
    Progress *p = live_display;
    if (!p)
        return;
    double elapsed = progress_now() - p->started;
    int lines = 0, columns = terminal_columns();
    /* The name takes what the figures (about 64 columns) leave, from 12 to 40. */
    int name_width = columns - 64 < 12 ? 12 : columns - 64 > 40 ? 40 : columns - 64;
    char b1[32], b2[32], eta[32], line[512];
    for (size_t i = 0; i < p->nitems && lines < PROGRESS_MAX_LINES; i++) {
        ProgressItem *it = &p->items[i];
        int st = atomic_load(&it->state);
        if (st == PROGRESS_WAITING || st == PROGRESS_DONE)
            continue;
        int64_t rows = atomic_load(&it->rows);
        format_eta(eta, sizeof eta, rows, it->est_rows, elapsed);
        snprintf(line, sizeof line, "  %-*.*s %-9s %12lld rows %10s  %10s/s  eta %s", name_width, name_width,
                 it->name, state_name(st),
                 (long long) rows, progress_format_bytes((double) atomic_load(&it->bytes), b1, sizeof b1),
                 progress_format_bytes(elapsed > 0 ? (double) atomic_load(&it->bytes) / elapsed : 0, b2,
                                       sizeof b2),
                 eta);
        draw_line(line, columns);
        lines++;
    }
    int64_t rows, bytes, est;
    size_t done;
    totals(p, &rows, &bytes, &est, &done);
    format_eta(eta, sizeof eta, rows, est, elapsed);
    snprintf(line, sizeof line, "%s: %zu/%zu tables done, %lld rows, %s, %s/s, %.0fs elapsed, eta %s", p->title,
             done, p->nitems, (long long) rows, progress_format_bytes((double) bytes, b1, sizeof b1),
             progress_format_bytes(elapsed > 0 ? (double) bytes / elapsed : 0, b2, sizeof b2), elapsed, eta);
    draw_line(line, columns);
    p->lines_drawn = lines + 1;
}

static void
progress_log_line(Progress *p)
{
    int64_t rows, bytes, est;
    size_t done;
    totals(p, &rows, &bytes, &est, &done);
    double elapsed = progress_now() - p->started;
    char b1[32], b2[32], eta[32];
    format_eta(eta, sizeof eta, rows, est, elapsed);
    if (log_format() == LOG_FORMAT_JSON) {
        json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:f}", "event", "progress", "title", p->title,
                              "tables_done", (json_int_t) done, "tables", (json_int_t) p->nitems, "rows",
                              (json_int_t) rows, "bytes", (json_int_t) bytes, "elapsed_s", elapsed);
        log_json_event(LOG_INFO, o);
        json_decref(o);
        return;
    }
    log_info("%s: %zu/%zu tables done, %lld rows, %s, %s/s, eta %s", p->title, done, p->nitems,
             (long long) rows, progress_format_bytes((double) bytes, b1, sizeof b1),
             progress_format_bytes(elapsed > 0 ? (double) bytes / elapsed : 0, b2, sizeof b2), eta);
}

static void *
progress_thread(void *arg)
{
    Progress *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long) (p->interval_ms % 1000) * 1000000L;
        ts.tv_sec += p->interval_ms / 1000 + ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
        if (p->stopping)
            break;
        if (p->tty) {
            log_lock();
            display_clear();
            display_draw();
            fflush(stderr);
            log_unlock();
        } else {
            progress_log_line(p);
        }
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

void
progress_start(Progress *p, const char *title, ProgressItem *items, size_t nitems)
{
    memset(p, 0, sizeof *p);
    p->items = items;
    p->nitems = nitems;
    p->title = title;
    p->tty = isatty(STDERR_FILENO) && log_format() == LOG_FORMAT_TEXT;
    p->interval_ms = p->tty ? 500 : 5000;
    p->started = progress_now();
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (p->tty) {
        live_display = p;
        log_set_display(display_clear, display_draw);
    }
    p->running = pthread_create(&p->thread, NULL, progress_thread, p) == 0;
}

void
progress_stop(Progress *p)
{
    if (p->running) {
        pthread_mutex_lock(&p->mu);
        p->stopping = true;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->thread, NULL);
    }
    if (p->tty) {
        log_lock();
        display_clear();
        live_display = NULL;
        log_unlock();
        log_set_display(NULL, NULL);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
}
