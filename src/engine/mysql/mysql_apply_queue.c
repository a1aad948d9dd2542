/*
 * mysql_apply_queue.c: how an apply session's statements reach the server.
 * Consecutive upserts into one table become one multi-row upsert (later
 * rows win, as later changes must), consecutive deletes by key one DELETE,
 * consecutive inserts into a keyless table one INSERT; a batch ends when
 * the next change is of another table or kind, when it is big, and before
 * any statement that must see it.  A table whose changes may be merged
 * (ApplyTable.mergeable) keeps its net change per key until commit (or
 * until it is big), sent as one DELETE ... WHERE key IN (...) and one
 * multi-row upsert.  Statements are not sent one by one (a round trip each)
 * but queued, in order, and sent as one multi-statement query with the
 * checkpoint and COMMIT, or earlier when the queue is big (within
 * max_allowed_packet) and before anything that needs a statement's result.
 * The server runs them in order and none after the first that fails; that
 * one is reported as if it had run alone (what it was and its table).
 *
 * What it must never do: reorder two changes of one row, or send a
 * statement after one that failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_apply_internal.h"
#include "util/log.h"
#include "util/mem.h"

void
mysql_apply_batch_clear(MyApplier *a)
{
    a->batch = BATCH_NONE;
    a->batch_table = NULL;
    a->batch_guard = NULL;
    a->batch_rows = 0;
    strbuf_reset(&a->sql);
}

/* Forgets what is queued (unsent); a buffer grown by one huge statement is given back. */
void
mysql_apply_pending_clear(MyApplier *a)
{
    stmt_queue_clear(&a->queued);
    if (a->pending.cap > 2 * (size_t) PENDING_MAX_BYTES) {
        strbuf_free(&a->pending);
        strbuf_init(&a->pending);
    } else {
        strbuf_reset(&a->pending);
    }
}

static StmtNote
note_of(const char *what, const ApplyTable *t)
{
    return (StmtNote) {.what = what, .schema = t ? t->schema : NULL, .table = t ? t->name : NULL};
}

static const char *
batch_verb(BatchKind k)
{
    return k == BATCH_UPSERT ? "upsert" : k == BATCH_INSERT ? "insert" : "delete";
}

/* "Rows matched: N" of the last UPDATE (affected rows count only the rows it changed). */
static unsigned long long
rows_matched(MYSQL *my)
{
    const char *info = mysql_info(my);
    unsigned long long n;
    if (info && sscanf(info, "Rows matched: %llu", &n) == 1)
        return n;
    return (unsigned long long) mysql_affected_rows(my);
}

/*
 * A failed statement is logged with what it was (e.g. "applying 12
 * upserts") and the table, and the server's error number kept for
 * error_is_transient (a lost connection is, so the flow reconnects and
 * resumes from the checkpoint).
 */
static GwResult
report(MyConn *c, const StmtNote *q)
{
    char *what = stmt_note_describe(q);
    GwResult rc = mysql_conn_report(c, what);
    free(what);
    return rc;
}

/*
 * Sends every queued statement in one multi-statement query and reads each
 * one's result, in order.  The server runs none after the first that fails:
 * that one is reported, and the connection is left to be closed (the open
 * transaction dies with it).  last_matched is then the last statement's
 * "Rows matched".
 */
GwResult
mysql_apply_send_pending(MyApplier *a, MyConn *c)
{
    size_t n = stmt_queue_waiting(&a->queued);
    if (n == 0)
        return GW_OK;
    MYSQL *my = c->my;
    size_t done = 0;
    bool failed = mysql_real_query(my, a->pending.data, a->pending.len) != 0;
    while (!failed) {
        MYSQL_RES *res = mysql_store_result(my);
        if (res)
            mysql_free_result(res);
        else if (mysql_field_count(my) != 0)
            failed = true;
        if (failed)
            break;
        if (++done == n)
            a->last_matched = rows_matched(my);
        int more = mysql_next_result(my);
        if (more < 0)
            break;
        failed = more > 0;
    }
    GwResult rc = GW_OK;
    if (failed) {
        rc = report(c, &a->queued.notes[done < n ? done : n - 1]);
    } else if (done != n) {
        mysql_conn_note_error(&c->base, 0);
        log_error("%s %s: %zu statements sent, %zu results received", role_name(c->base.role),
                  c->base.endpoint->redacted, n, done);
        rc = role_error(c->base.role);
    }
    mysql_apply_pending_clear(a);
    return rc;
}

/*
 * Queues a statement (sent later, in order, by send_pending): what is
 * queued is sent first when this one would make it too big, and all of it
 * when it has grown big.
 */
GwResult
mysql_apply_queue(MyApplier *a, MyConn *c, const char *sql, size_t len, StmtNote note)
{
    GwResult rc = GW_OK;
    if (stmt_queue_waiting(&a->queued) > 0 && a->pending.len + len + 1 > a->pending_max)
        rc = mysql_apply_send_pending(a, c);
    if (rc)
        return rc;
    strbuf_append_n(&a->pending, sql, len);
    strbuf_append_char(&a->pending, ';');
    stmt_queue_push(&a->queued, note);
    if (a->pending.len >= a->pending_max || stmt_queue_waiting(&a->queued) >= PENDING_MAX_STMTS)
        rc = mysql_apply_send_pending(a, c);
    return rc;
}

/* Queues the statement built in a->stmt. */
GwResult
mysql_apply_queue_stmt(MyApplier *a, MyConn *c, const char *what, const ApplyTable *t)
{
    return mysql_apply_queue(a, c, a->stmt.data, a->stmt.len, note_of(what, t));
}

/* Starts a statement with the session's tag, by which a later run ends it if this process dies. */
void
mysql_apply_stmt_start(MyApplier *a, MyConn *c)
{
    strbuf_reset(&a->stmt);
    if (c->tag)
        strbuf_append(&a->stmt, c->tag);
}

/* ---------------------------------------------------------------------------------------------
 * Batches.
 */

/* Ends the batch being built, if any: queues its statement. */
GwResult
mysql_apply_flush(MyApplier *a, MyConn *c)
{
    if (a->batch == BATCH_NONE)
        return GW_OK;
    const ApplyTable *t = a->batch_table;
    if (a->batch == BATCH_UPSERT)
        strbuf_append(&a->sql, t->upsert_tail);
    else if (a->batch == BATCH_DELETE)
        strbuf_append(&a->sql, ")");
    if (a->batch_guard) {
        char *guard = mysql_render_predicate(&c->base, a->batch_guard);
        strbuf_appendf(&a->sql, " AND (%s)", guard);
        free(guard);
    }
    StmtNote q = note_of(batch_verb(a->batch), t);
    q.rows = a->batch_rows;
    GwResult rc = mysql_apply_queue(a, c, a->sql.data, a->sql.len, q);
    mysql_apply_batch_clear(a);
    return rc;
}
/* Starts the table's batch of a kind, ending any other first. */
static GwResult
batch_start(MyApplier *a, MyConn *c, ApplyTable *t, BatchKind kind, const struct Predicate *guard)
{
    if (a->batch == kind && a->batch_table == t && a->batch_guard == guard)
        return GW_OK;
    GwResult rc = mysql_apply_flush(a, c);
    if (rc)
        return rc;
    a->batch = kind;
    a->batch_table = t;
    a->batch_guard = guard;
    strbuf_append(&a->sql, kind == BATCH_DELETE ? t->delete_head : t->upsert_head);
    return GW_OK;
}

/* Counts a row appended to the batch; a full batch is queued. */
static GwResult
batch_added(MyApplier *a, MyConn *c)
{
    a->batch_rows++;
    if (a->batch_rows >= BATCH_MAX_ROWS || a->sql.len >= BATCH_MAX_BYTES)
        return mysql_apply_flush(a, c);
    return GW_OK;
}

/*
 * Adds a row to the table's batch of its kind (sending any other batch
 * first): the whole row for an upsert or an insert, its key for a delete
 * (guarded: only if the row matches the guard, a phase's predicate).
 */
GwResult
mysql_apply_batch_add(MyApplier *a, MyConn *c, ApplyTable *t, BatchKind kind, const ChangeTuple *row,
          const struct Predicate *guard)
{
    GwResult rc = batch_start(a, c, t, kind, guard);
    if (rc)
        return rc;
    size_t mark = a->sql.len;
    if (a->batch_rows > 0)
        strbuf_append_char(&a->sql, ',');
    rc = mysql_apply_row_sql(c, t, row, kind == BATCH_DELETE, &a->sql);
    if (rc) {
        a->sql.len = mark;
        a->sql.data[mark] = '\0';
        if (a->batch_rows == 0)
            mysql_apply_batch_clear(a);
        return rc;
    }
    return batch_added(a, c);
}

/* ---------------------------------------------------------------------------------------------
 * Net changes by key (ApplyTable.mergeable).
 */

/*
 * Sends the table's net changes: its deleted keys, then its rows (keys are
 * distinct, so the order between the two does not matter), after whatever
 * is batched (older).
 */
GwResult
mysql_apply_merge_send(MyApplier *a, MyConn *c, ApplyTable *t)
{
    RowMerge *m = &t->merge;
    if (m->nentries == 0)
        return GW_OK;
    GwResult rc = GW_OK;
    for (int pass = 0; pass < 2 && rc == GW_OK; pass++) {
        BatchKind kind = pass == 0 ? BATCH_DELETE : BATCH_UPSERT;
        for (size_t n = 0; n < m->nentries && rc == GW_OK; n++) {
            const RowMergeEntry *e = &m->entries[n];
            if (e->deleted != (kind == BATCH_DELETE))
                continue;
            rc = batch_start(a, c, t, kind, NULL);
            if (rc)
                break;
            if (a->batch_rows > 0)
                strbuf_append_char(&a->sql, ',');
            if (e->deleted)
                strbuf_append_n(&a->sql, row_merge_key(m, e), e->key_len);
            else
                strbuf_append_n(&a->sql, row_merge_row(m, e), e->row_len);
            rc = batch_added(a, c);
        }
    }
    if (rc == GW_OK)
        rc = mysql_apply_flush(a, c);
    row_merge_reset(m);
    return rc;
}

GwResult
mysql_apply_merge_send_all(MyApplier *a, MyConn *c)
{
    GwResult rc = GW_OK;
    for (size_t i = 0; i < a->ntables && rc == GW_OK; i++)
        rc = mysql_apply_merge_send(a, c, a->tables[i]);
    return rc;
}

void
mysql_apply_merge_forget_all(MyApplier *a)
{
    for (size_t i = 0; i < a->ntables; i++)
        row_merge_reset(&a->tables[i]->merge);
}

/* The row of key_of's key becomes row (whole), or deleted when row is NULL. */
GwResult
mysql_apply_merge_put(MyApplier *a, MyConn *c, ApplyTable *t, const ChangeTuple *key_of, const ChangeTuple *row)
{
    strbuf_reset(&a->key_text);
    GwResult rc = mysql_apply_row_sql(c, t, key_of, true, &a->key_text);
    if (rc == GW_OK && row) {
        strbuf_reset(&a->row_text);
        rc = mysql_apply_row_sql(c, t, row, false, &a->row_text);
    }
    if (rc)
        return rc;
    row_merge_put(&t->merge, a->key_text.data, a->key_text.len, row ? a->row_text.data : NULL,
                  row ? a->row_text.len : 0);
    if (t->merge.nentries >= MERGE_MAX_ROWS || row_merge_bytes(&t->merge) >= MERGE_MAX_BYTES)
        return mysql_apply_merge_send(a, c, t);
    return GW_OK;
}
