/*
 * stmt_queue.h: statements sent (or queued to be sent) whose results are
 * still to be read, in order, each with what it is: an applier sends many
 * statements before it reads their results (PostgreSQL's pipeline, MySQL's
 * multi-statement queries), and the one that fails must be reported as if
 * it had run alone ("applying 12 upserts on s.t").
 *
 * Built per change on the hot path, so nothing is formatted unless it is
 * needed: a note holds static text and the names of its table, which must
 * outlive the note (the applier's table descriptions do).
 */
#ifndef GW_STMT_QUEUE_H
#define GW_STMT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct StmtNote {
    const char *what;       /* static: "applying an insert", or with rows the kind ("upsert"); NULL: text */
    char *text;             /* owned: what a statement about no table is ("preparing ...") */
    const char *schema;     /* the table it applies to, or NULL */
    const char *table;
    size_t rows;            /* a batch: how many rows */
    bool commit;            /* a group's COMMIT: its result completes the group */
} StmtNote;

typedef struct StmtQueue {
    StmtNote *notes;
    size_t head;            /* notes[head..len) are still to be read; those before were */
    size_t len, cap;
} StmtQueue;

void stmt_queue_init(StmtQueue *q);
void stmt_queue_free(StmtQueue *q);
/* Forgets every note (read or not). */
void stmt_queue_clear(StmtQueue *q);
/* Appends a note (the ones read already make room first). */
void stmt_queue_push(StmtQueue *q, StmtNote note);

static inline size_t
stmt_queue_waiting(const StmtQueue *q)
{
    return q->len - q->head;
}

/* The oldest note still to be read, now read; NULL when none. */
StmtNote *stmt_queue_take(StmtQueue *q);

/* "applying 12 upserts on s.t", "applying an insert on s.t", or the note's text; caller frees. */
char *stmt_note_describe(const StmtNote *n);

#endif
