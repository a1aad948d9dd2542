/*
 * stmt_queue.c: statements whose results are still to be read, and what
 * each is (stmt_queue.h).
 */
#include "util/stmt_queue.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

void
stmt_queue_init(StmtQueue *q)
{
    memset(q, 0, sizeof *q);
}

static void
forget(StmtQueue *q, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        free(q->notes[i].text);
        q->notes[i].text = NULL;
    }
}

void
stmt_queue_clear(StmtQueue *q)
{
    forget(q, 0, q->len);
    q->head = q->len = 0;
}

void
stmt_queue_free(StmtQueue *q)
{
    stmt_queue_clear(q);
    free(q->notes);
    memset(q, 0, sizeof *q);
}

void
stmt_queue_push(StmtQueue *q, StmtNote note)
{
    if (q->head > 0 && q->head * 2 >= q->len) {
        forget(q, 0, q->head);
        memmove(q->notes, q->notes + q->head, (q->len - q->head) * sizeof *q->notes);
        q->len -= q->head;
        q->head = 0;
    }
    gw_grow((void **) &q->notes, &q->cap, q->len + 1, sizeof *q->notes);
    q->notes[q->len++] = note;
}

StmtNote *
stmt_queue_take(StmtQueue *q)
{
    return q->head < q->len ? &q->notes[q->head++] : NULL;
}

char *
stmt_note_describe(const StmtNote *n)
{
    char *what = n->rows ? gw_asprintf("applying %zu %s%s", n->rows, n->what, n->rows == 1 ? "" : "s")
                         : gw_strdup(n->what ? n->what : n->text ? n->text : "a statement");
    if (!n->table)
        return what;
    char *full = gw_asprintf("%s on %s.%s", what, n->schema, n->table);
    free(what);
    return full;
}
