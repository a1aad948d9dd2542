/*
 * progress.h: progress of long work, per item (a table) and overall.
 *
 * On a terminal it is a live display redrawn twice a second; otherwise a log
 * line every few seconds (a JSON record with --log-format json).  Workers
 * only add to atomic counters; one thread renders.  It never writes stdout.
 */
#ifndef GW_PROGRESS_H
#define GW_PROGRESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ProgressState { PROGRESS_WAITING, PROGRESS_COPYING, PROGRESS_INDEXING, PROGRESS_DONE } ProgressState;

typedef struct ProgressItem {
    char *name;
    int64_t est_rows;       /* 0 when unknown: no ETA */
    atomic_llong rows;
    atomic_llong bytes;
    atomic_int state;
} ProgressItem;

typedef struct Progress {
    ProgressItem *items;
    size_t nitems;
    const char *title;
    bool tty;
    int interval_ms;
    double started;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stopping;
    bool running;
    int lines_drawn;
} Progress;

/* Items are owned by the caller and must outlive progress_stop(). */
void progress_start(Progress *p, const char *title, ProgressItem *items, size_t nitems);
void progress_stop(Progress *p);

double progress_now(void);
/*
 * How many bytes of line fit in columns - 1 columns of a terminal (one
 * column per character: UTF-8 continuation bytes take none), never cutting
 * a character: a line that wrapped would take two rows, and the live
 * display is redrawn by going up one row per line.
 */
size_t progress_fit(const char *line, int columns);
/* "12.3 MB" style; buf of at least 16 bytes. */
const char *progress_format_bytes(double bytes, char *buf, size_t len);

#endif
