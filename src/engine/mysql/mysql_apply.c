/*
 * mysql_apply.c: applies change events to a MySQL/MariaDB database (the
 * writer side of failback: a PostgreSQL target's changes go back into a
 * MySQL source), in one open transaction per group of source transactions,
 * with the stream's checkpoint written in that same transaction (DESIGN.md,
 * "Exactly-once apply").  The semantics are pg_apply.c's:
 *
 *   - a table with a primary key gets upserts for inserts and for updates
 *     that carry the whole row, a delete of the old key first when an
 *     update moves the key, UPDATE ... WHERE key for updates with unchanged
 *     TOASTed values (those are never written, so never overwritten; a
 *     moved key is then updated in place), and deletes by key, only of a
 *     row that matches the phase's predicate when the change says so
 *     (Change.delete_guard: a row other phases may own);
 *   - a table without one is matched on the old row's values (<=>), one row
 *     at a time (LIMIT 1);
 *   - TRUNCATE becomes DELETE FROM (MySQL's TRUNCATE commits by itself,
 *     which would split the changes from their checkpoint), guarded like a
 *     delete.
 *
 * For speed, a table whose rows nothing can tell apart in time (an
 * integer primary key, no other unique key, no trigger: with foreign key
 * checks off, the order in which its rows change is invisible) has its
 * changes of whole rows merged by key until commit: the last per key wins,
 * sent as one DELETE ... WHERE key IN (...) and one multi-row INSERT ... ON
 * DUPLICATE KEY UPDATE.  A group of many small transactions then costs two
 * statements per table.  Any other change of such a table (a partial
 * update, a guarded delete, a truncate) sends its merged changes first.
 * Other tables keep the source's order exactly: consecutive upserts into
 * one table become one multi-row upsert (later rows win, as later changes
 * must), consecutive deletes by key one DELETE, and consecutive inserts
 * into a keyless table one INSERT; a batch ends when the next change is of
 * another table or kind, when it is big, and before any statement that
 * must see it.  Statements are not sent one by one (a round trip each: a
 * workload that alternates tables and kinds makes one-row batches) but
 * queued, in order, and sent as one multi-statement query (the session has
 * MULTI_STATEMENTS on) with the checkpoint and COMMIT, or earlier when the
 * queue is big (a few MB, within max_allowed_packet) and before anything
 * that needs a statement's result or reads the database.  The server runs
 * them in order and none after the first that fails; that one is reported
 * as if it had run alone (what it was and its table).
 *
 * Values arrive in canonical text (the PostgreSQL column's text) and are
 * written as literals for the MySQL column's kind (mysql_literal.h), matched
 * to the table's columns by name.  The session is set up once per
 * connection (apply_setup): skip_replication (MariaDB), so that a binlog
 * reader can tell godwit's writes from the application's (DESIGN.md, "No
 * loops"), no foreign key checks (the changes arrive in the order the
 * other database accepted them, like PostgreSQL's own apply worker), and
 * strict SQL mode, so a value the column cannot hold is an error, never a
 * silently different value.
 *
 * What it must never do: send a value it did not receive, reorder two
 * changes of one row, or commit changes without their checkpoint.
 */
#include "engine/mysql/mysql_apply.h"

#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_internal.h"
#include "engine/mysql/mysql_literal.h"
#include "core/row_merge.h"
#include "util/log.h"
#include "util/mem.h"

/* A batch is ended (queued) when it holds this many rows, or this many bytes of SQL. */
#define BATCH_MAX_ROWS 1000
#define BATCH_MAX_BYTES (1u << 20)
/*
 * Queued statements are sent (one round trip) when they hold this many bytes
 * (at most half the server's max_allowed_packet), or this many statements.
 */
#define PENDING_MAX_BYTES (4u << 20)
#define PENDING_MIN_BYTES (64u << 10)
#define PENDING_MAX_STMTS 8192
/*
 * A table's net changes (row_merge.h) are sent when they hold this many
 * rows or bytes, and at commit.
 */
#define MERGE_MAX_ROWS 4096
#define MERGE_MAX_BYTES (4u << 20)
/* How much of a value an error message shows. */
#define SHOWN_VALUE_BYTES 200

typedef enum BatchKind { BATCH_NONE, BATCH_UPSERT, BATCH_INSERT, BATCH_DELETE } BatchKind;

typedef struct ApplyTable ApplyTable;

/*
 * A statement queued to be sent with others in one multi-statement query:
 * what a failure of it is reported as ("applying 12 upserts on t", as when
 * it ran alone).  The table outlives the entry: tables are only replaced or
 * freed when nothing is queued.
 */
typedef struct Queued {
    const char *what;           /* static text, or NULL for a batch: "applying <rows> <kind>s" */
    BatchKind batch;
    size_t rows;
    const ApplyTable *t;        /* NULL: no one table */
} Queued;

/*
 * A relation of the change stream matched to its MySQL table: for each of
 * the relation's columns (in the stream's order, by name), the MySQL column
 * it is written to.  Checked against the relation on every use: the
 * reader may describe a table again.
 */
struct ApplyTable {
    const RelationInfo *rel;
    char *schema;
    char *name;
    uint16_t ncols;
    char **colnames;            /* the relation's, as they were when this was made */
    const MyColumn **cols;      /* per relation column: the MySQL column */
    bool *is_char;              /* PostgreSQL character(n): its pad spaces are not part of the value */
    bool *key;                  /* per relation column: part of the MySQL table's primary key */
    size_t nkey;
    bool has_key;               /* the table has a primary key and every column of it is streamed */
    char *qname;                /* `schema`.`table` */
    char **qcols;
    char *upsert_head;          /* "INSERT INTO t (a, b) VALUES " */
    char *upsert_tail;          /* " ON DUPLICATE KEY UPDATE b = VALUES(b)" */
    char *delete_head;          /* "DELETE FROM t WHERE (k1, k2) IN (" */
    /*
     * Its changes of whole rows by key may be merged (the last per key wins,
     * sent as one DELETE and one upsert): the key is integers (equal keys
     * have equal text), the primary key is its only unique constraint, and
     * it has no triggers, so nothing can tell in which order rows changed.
     */
    bool mergeable;
    RowMerge merge;             /* rendered key -> rendered row, or deleted; newer than anything queued for it */
};

/* The apply session of one connection. */
struct MyApplier {
    EngineConn *conn;
    bool in_txn;
    ApplyTable **tables;
    size_t ntables, cap_tables;
    /* the batch being built */
    BatchKind batch;
    ApplyTable *batch_table;
    const struct Predicate *batch_guard;    /* deletes: only rows that match it (Change.delete_guard) */
    size_t batch_rows;
    StrBuf sql;
    /*
     * Statements queued, in the source's order, each ended by ';': sent in
     * one round trip (multi-statement query) at commit, when they are big,
     * and before anything that needs a statement's result or reads the
     * database.  The server stops at the first statement that fails.
     */
    StrBuf pending;
    Queued *queued;
    size_t nqueued, cap_queued;
    size_t pending_max;                 /* bytes: PENDING_MAX_BYTES, less on a small max_allowed_packet */
    unsigned long long last_matched;    /* "Rows matched" of the last statement sent */
    /* scratch */
    StrBuf stmt;
    StrBuf key_text, row_text;
    ChangeValue *row;
    bool *set;
    bool *mask;
    size_t cap_cols;
    const char *text_collation;  /* a binary collation without padding, for matching text */
};

static void
table_free(ApplyTable *t)
{
    if (!t)
        return;
    for (uint16_t i = 0; i < t->ncols; i++) {
        free(t->colnames[i]);
        free(t->qcols[i]);
    }
    free(t->colnames);
    free(t->qcols);
    free(t->cols);
    free(t->is_char);
    free(t->key);
    free(t->schema);
    free(t->name);
    free(t->qname);
    free(t->upsert_head);
    free(t->upsert_tail);
    free(t->delete_head);
    row_merge_free(&t->merge);
    free(t);
}

static void
batch_clear(MyApplier *a)
{
    a->batch = BATCH_NONE;
    a->batch_table = NULL;
    a->batch_guard = NULL;
    a->batch_rows = 0;
    strbuf_reset(&a->sql);
}

/* Forgets what is queued (unsent); a buffer grown by one huge statement is given back. */
static void
pending_clear(MyApplier *a)
{
    a->nqueued = 0;
    if (a->pending.cap > 2 * (size_t) PENDING_MAX_BYTES) {
        strbuf_free(&a->pending);
        strbuf_init(&a->pending);
    } else {
        strbuf_reset(&a->pending);
    }
}

static void
tables_clear(MyApplier *a)
{
    batch_clear(a);
    pending_clear(a);
    for (size_t i = 0; i < a->ntables; i++)
        table_free(a->tables[i]);
    a->ntables = 0;
}

static void
applier_free(MyApplier *a)
{
    tables_clear(a);
    free(a->tables);
    strbuf_free(&a->sql);
    strbuf_free(&a->pending);
    free(a->queued);
    strbuf_free(&a->stmt);
    strbuf_free(&a->key_text);
    strbuf_free(&a->row_text);
    free(a->row);
    free(a->set);
    free(a->mask);
    free(a);
}

static MyApplier *
applier_of(EngineConn *conn)
{
    MyConn *c = MY(conn);
    if (!c->applier) {
        c->applier = gw_calloc(1, sizeof *c->applier);
        c->applier->conn = conn;
        strbuf_init(&c->applier->sql);
        strbuf_init(&c->applier->stmt);
        strbuf_init(&c->applier->pending);
        strbuf_init(&c->applier->key_text);
        strbuf_init(&c->applier->row_text);
        c->applier->pending_max = PENDING_MAX_BYTES;
    }
    return c->applier;
}

void
mysql_apply_free(MyConn *c)
{
    if (c->applier)
        applier_free(c->applier);
    c->applier = NULL;
}

/* Room for one row of n columns in the scratch arrays. */
static void
reserve_cols(MyApplier *a, size_t n)
{
    if (n + 1 <= a->cap_cols)
        return;
    a->cap_cols = n + 1;
    a->row = gw_realloc(a->row, a->cap_cols * sizeof *a->row);
    a->set = gw_realloc(a->set, a->cap_cols * sizeof *a->set);
    a->mask = gw_realloc(a->mask, a->cap_cols * sizeof *a->mask);
}

/* ---------------------------------------------------------------------------------------------
 * Errors and statements.
 */

/* An error of godwit's own (no server error): logged, not transient. */
static GwResult
fail_table(MyConn *c, const char *schema, const char *table, const char *what, const char *name)
{
    mysql_conn_note_error(&c->base, 0);
    log_error("%s %s: table %s.%s %s%s", role_name(c->base.role), c->base.endpoint->redacted, schema, table, what,
              name ? name : "");
    return role_error(c->base.role);
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
report(MyConn *c, const Queued *q)
{
    unsigned e = mysql_errno(c->my);
    mysql_conn_note_error(&c->base, e);
    char what[64];
    if (q->what)
        snprintf(what, sizeof what, "%s", q->what);
    else
        snprintf(what, sizeof what, "applying %zu %s%s", q->rows, batch_verb(q->batch), q->rows == 1 ? "" : "s");
    if (q->t)
        log_error("%s %s: %s on %s.%s: %s (MySQL error %u)", role_name(c->base.role), c->base.endpoint->redacted,
                  what, q->t->schema, q->t->name, mysql_error(c->my), e);
    else
        log_error("%s %s: %s: %s (MySQL error %u)", role_name(c->base.role), c->base.endpoint->redacted, what,
                  mysql_error(c->my), e);
    return role_error(c->base.role);
}

/*
 * Sends every queued statement in one multi-statement query and reads each
 * one's result, in order.  The server runs none after the first that fails:
 * that one is reported, and the connection is left to be closed (the open
 * transaction dies with it).  last_matched is then the last statement's
 * "Rows matched".
 */
static GwResult
send_pending(MyApplier *a, MyConn *c)
{
    size_t n = a->nqueued;
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
        rc = report(c, &a->queued[done < n ? done : n - 1]);
    } else if (done != n) {
        mysql_conn_note_error(&c->base, 0);
        log_error("%s %s: %zu statements sent, %zu results received", role_name(c->base.role),
                  c->base.endpoint->redacted, n, done);
        rc = role_error(c->base.role);
    }
    pending_clear(a);
    return rc;
}

/*
 * Queues a statement (sent later, in order, by send_pending): what is
 * queued is sent first when this one would make it too big, and all of it
 * when it has grown big.
 */
static GwResult
queue(MyApplier *a, MyConn *c, const char *sql, size_t len, Queued q)
{
    GwResult rc = GW_OK;
    if (a->nqueued > 0 && a->pending.len + len + 1 > a->pending_max)
        rc = send_pending(a, c);
    if (rc)
        return rc;
    strbuf_append_n(&a->pending, sql, len);
    strbuf_append_char(&a->pending, ';');
    gw_grow((void **) &a->queued, &a->cap_queued, a->nqueued + 1, sizeof *a->queued);
    a->queued[a->nqueued++] = q;
    if (a->pending.len >= a->pending_max || a->nqueued >= PENDING_MAX_STMTS)
        rc = send_pending(a, c);
    return rc;
}

/* Queues the statement built in a->stmt. */
static GwResult
queue_stmt(MyApplier *a, MyConn *c, const char *what, const ApplyTable *t)
{
    return queue(a, c, a->stmt.data, a->stmt.len, (Queued) {.what = what, .t = t});
}

/* Starts a statement with the session's tag, by which a later run ends it if this process dies. */
static void
stmt_start(MyApplier *a, MyConn *c)
{
    strbuf_reset(&a->stmt);
    if (c->tag)
        strbuf_append(&a->stmt, c->tag);
}

static GwResult
begin_if_needed(MyApplier *a, MyConn *c)
{
    if (a->in_txn)
        return GW_OK;
    static const char sql[] = "START TRANSACTION";
    GwResult rc = queue(a, c, sql, sizeof sql - 1, (Queued) {.what = "beginning a transaction"});
    a->in_txn = rc == GW_OK;
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Relations and their tables.
 */

static bool
table_matches(const ApplyTable *t, const RelationInfo *rel)
{
    if (t->rel != rel || t->ncols != rel->ncols || strcmp(t->schema, rel->schema) != 0 ||
        strcmp(t->name, rel->name) != 0)
        return false;
    for (uint16_t i = 0; i < rel->ncols; i++)
        if (strcmp(t->colnames[i], rel->cols[i].name) != 0)
            return false;
    return true;
}

static void
append_list(StrBuf *sb, char *const *items, const bool *mask, uint16_t n, const char *sep)
{
    bool first = true;
    for (uint16_t i = 0; i < n; i++) {
        if (mask && !mask[i])
            continue;
        strbuf_appendf(sb, "%s%s", first ? "" : sep, items[i]);
        first = false;
    }
}

/* The statement texts every batch of the table starts and ends with. */
static void
make_heads(ApplyTable *t, const char *tag)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_appendf(&sb, "%sINSERT INTO %s (", tag ? tag : "", t->qname);
    append_list(&sb, t->qcols, NULL, t->ncols, ", ");
    strbuf_append(&sb, ") VALUES ");
    t->upsert_head = strbuf_take(&sb);

    strbuf_init(&sb);
    strbuf_append(&sb, " ON DUPLICATE KEY UPDATE ");
    bool any = false;
    for (uint16_t i = 0; i < t->ncols; i++) {
        if (t->key[i])
            continue;
        strbuf_appendf(&sb, "%s%s = VALUES(%s)", any ? ", " : "", t->qcols[i], t->qcols[i]);
        any = true;
    }
    /* Every column is in the key: there is nothing to update, but the row is there. */
    for (uint16_t i = 0; i < t->ncols && !any; i++)
        if (t->key[i]) {
            strbuf_appendf(&sb, "%s = %s", t->qcols[i], t->qcols[i]);
            any = true;
        }
    t->upsert_tail = strbuf_take(&sb);

    strbuf_init(&sb);
    strbuf_appendf(&sb, "%sDELETE FROM %s WHERE %s", tag ? tag : "", t->qname, t->nkey > 1 ? "(" : "");
    append_list(&sb, t->qcols, t->key, t->ncols, ", ");
    strbuf_appendf(&sb, "%s IN (", t->nkey > 1 ? ")" : "");
    t->delete_head = strbuf_take(&sb);
}

static bool
is_char_type(const MyPgType *pg)
{
    return pg->type_sql && !strncmp(pg->type_sql, "character(", strlen("character("));
}

/*
 * Whether the table's changes may be merged by key (ApplyTable.mergeable):
 * integer key columns, and on the server no other unique index and no
 * trigger.
 */
static GwResult
merge_allowed(MyConn *c, ApplyTable *t)
{
    t->mergeable = t->has_key;
    for (uint16_t i = 0; i < t->ncols && t->mergeable; i++)
        if (t->key[i] && t->cols[i]->kind != MYV_INT && t->cols[i]->kind != MYV_UINT)
            t->mergeable = false;
    if (!t->mergeable) {
        if (t->has_key)
            log_debug("table %s.%s: changes are not merged by key (a key column is not an integer)", t->schema,
                      t->name);
        return GW_OK;
    }
    char *schema = mysql_quote_literal(t->schema);
    char *name = mysql_quote_literal(t->name);
    char *sql = gw_asprintf("SELECT (SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s"
                            " AND TABLE_NAME = %s AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY'),"
                            " (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = %s"
                            " AND EVENT_OBJECT_TABLE = %s)",
                            schema, name, schema, name);
    free(schema);
    free(name);
    MYSQL_RES *res;
    GwResult rc = mysql_conn_query(c, sql, 2, &res);
    free(sql);
    if (rc)
        return rc;
    MYSQL_ROW row = mysql_fetch_row(res);
    t->mergeable = row && row[0] && row[1] && !strcmp(row[0], "0") && !strcmp(row[1], "0");
    mysql_free_result(res);
    log_debug("table %s.%s: changes %s", t->schema, t->name,
              t->mergeable ? "are merged by key" : "are not merged by key (a second unique key, or a trigger)");
    return GW_OK;
}

/* Matches a relation to its MySQL table (described on this connection), column by column. */
static GwResult
table_make(MyConn *c, const RelationInfo *rel, ApplyTable **out)
{
    *out = NULL;
    const MyColumn *described;
    size_t ndescribed;
    GwResult rc = mysql_table_columns(&c->base, rel->schema, rel->name, &described, &ndescribed);
    if (rc)
        return rc;
    const MyTable *mt = described ? mysql_table_get(c, rel->schema, rel->name) : NULL;
    if (!mt)
        return fail_table(c, rel->schema, rel->name, "does not exist", NULL);
    ApplyTable *t = gw_calloc(1, sizeof *t);
    row_merge_init(&t->merge);
    size_t n = rel->ncols;
    t->rel = rel;
    t->schema = gw_strdup(rel->schema);
    t->name = gw_strdup(rel->name);
    t->ncols = rel->ncols;
    t->colnames = gw_calloc(n + 1, sizeof *t->colnames);
    t->qcols = gw_calloc(n + 1, sizeof *t->qcols);
    t->cols = gw_calloc(n + 1, sizeof *t->cols);
    t->is_char = gw_calloc(n + 1, sizeof *t->is_char);
    t->key = gw_calloc(n + 1, sizeof *t->key);
    t->qname = mysql_qualified(rel->schema, rel->name);
    for (uint16_t i = 0; i < rel->ncols; i++) {
        t->colnames[i] = gw_strdup(rel->cols[i].name);
        t->qcols[i] = mysql_quote_ident(rel->cols[i].name);
        for (size_t k = 0; k < mt->ncols && !t->cols[i]; k++) {
            if (mt->cols[k].generated || strcmp(mt->cols[k].name, rel->cols[i].name) != 0)
                continue;
            t->cols[i] = &mt->cols[k];
            t->is_char[i] = mt->cols[k].kind == MYV_TEXT && is_char_type(&mt->pg[k]);
        }
        if (!t->cols[i] && rc == GW_OK)
            rc = fail_table(c, rel->schema, rel->name, "has no (writable) column ", rel->cols[i].name);
    }
    t->has_key = mt->npk > 0;
    for (size_t k = 0; k < mt->npk; k++) {
        bool found = false;
        for (uint16_t i = 0; i < rel->ncols && !found; i++)
            if (!strcmp(rel->cols[i].name, mt->cols[mt->pk[k]].name))
                found = t->key[i] = true;
        t->has_key = t->has_key && found;
    }
    if (!t->has_key)
        memset(t->key, 0, n * sizeof *t->key);
    for (uint16_t i = 0; i < rel->ncols; i++)
        t->nkey += t->key[i];
    make_heads(t, c->tag);
    if (rc == GW_OK)
        rc = merge_allowed(c, t);
    if (rc) {
        table_free(t);
        return rc;
    }
    *out = t;
    return GW_OK;
}

static GwResult flush(MyApplier *a, MyConn *c) GW_MUST_CHECK;
static GwResult merge_send_all(MyApplier *a, MyConn *c) GW_MUST_CHECK;

/* The table of a relation, made on first use and again when the relation changed. */
static GwResult
table_for(MyApplier *a, MyConn *c, const RelationInfo *rel, ApplyTable **out)
{
    size_t slot = a->ntables;
    for (size_t i = 0; i < a->ntables; i++) {
        if (table_matches(a->tables[i], rel)) {
            *out = a->tables[i];
            return GW_OK;
        }
        if (slot == a->ntables && !strcmp(a->tables[i]->schema, rel->schema) &&
            !strcmp(a->tables[i]->name, rel->name))
            slot = i;
    }
    /*
     * What is batched or queued was made with the old description, and
     * names the table about to be freed: it goes first, before the
     * description is read.
     */
    GwResult rc = merge_send_all(a, c);
    if (rc == GW_OK)
        rc = flush(a, c);
    if (rc == GW_OK)
        rc = send_pending(a, c);
    ApplyTable *t = NULL;
    if (rc == GW_OK)
        rc = table_make(c, rel, &t);
    if (rc)
        return rc;
    if (slot < a->ntables) {
        table_free(a->tables[slot]);
    } else {
        gw_grow((void **) &a->tables, &a->cap_tables, a->ntables + 1, sizeof *a->tables);
        a->ntables++;
    }
    a->tables[slot] = t;
    *out = t;
    return GW_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Values.
 */

/* Appends the literal of a value of the table's column i; an error names table, column and value. */
static GwResult
append_value(MyConn *c, const ApplyTable *t, uint16_t i, const ChangeValue *v, StrBuf *out)
{
    if (v->kind == VALUE_NULL) {
        strbuf_append(out, "NULL");
        return GW_OK;
    }
    if (v->kind != VALUE_TEXT) {
        mysql_conn_note_error(&c->base, 0);
        log_error("%s %s: table %s.%s, column %s: the change stream sent a %s value, which cannot be written",
                  role_name(c->base.role), c->base.endpoint->redacted, t->schema, t->name, t->colnames[i],
                  v->kind == VALUE_UNCHANGED ? "missing (unchanged TOASTed)" : "binary");
        return role_error(c->base.role);
    }
    size_t len = v->len;
    /* PostgreSQL pads a character(n) value with spaces; MySQL's CHAR never returns them. */
    while (t->is_char[i] && len > 0 && v->data[len - 1] == ' ')
        len--;
    char err[256];
    if (mysql_literal_append(out, t->cols[i], v->data, len, err, sizeof err) == 0)
        return GW_OK;
    mysql_conn_note_error(&c->base, 0);
    log_error("%s %s: table %s.%s, column %s: cannot write value '%.*s'%s: %s", role_name(c->base.role),
              c->base.endpoint->redacted, t->schema, t->name, t->colnames[i],
              (int) (v->len > SHOWN_VALUE_BYTES ? SHOWN_VALUE_BYTES : v->len), v->data,
              v->len > SHOWN_VALUE_BYTES ? "..." : "", err);
    return role_error(c->base.role);
}

/* "`a` = 1, `b` = 'x'": the masked columns of a row. */
static GwResult
append_assignments(MyConn *c, const ApplyTable *t, const ChangeTuple *row, const bool *mask, StrBuf *out)
{
    bool first = true;
    for (uint16_t i = 0; i < t->ncols; i++) {
        if (!mask[i])
            continue;
        strbuf_appendf(out, "%s%s = ", first ? "" : ", ", t->qcols[i]);
        GwResult rc = append_value(c, t, i, &row->values[i], out);
        if (rc)
            return rc;
        first = false;
    }
    return GW_OK;
}

/* "`k1` = 1 AND `k2` = 'x'": a row of a table with a key, by its key (compared as MySQL compares keys). */
static GwResult
append_key_match(MyConn *c, const ApplyTable *t, const ChangeTuple *row, StrBuf *out)
{
    bool first = true;
    for (uint16_t i = 0; i < t->ncols; i++) {
        if (!t->key[i])
            continue;
        strbuf_appendf(out, "%s%s = ", first ? "" : " AND ", t->qcols[i]);
        GwResult rc = append_value(c, t, i, &row->values[i], out);
        if (rc)
            return rc;
        first = false;
    }
    return GW_OK;
}

/*
 * A row of a table without a key, by the masked columns' values, exactly:
 * text byte for byte (a binary collation without padding: 'a' is not 'A'
 * nor 'a '), JSON by structure (the text PostgreSQL prints for jsonb is not
 * the text MySQL keeps), floats by their exact value (the literals are).
 */
static GwResult
append_value_match(MyApplier *a, MyConn *c, const ApplyTable *t, const ChangeTuple *row, const bool *mask,
                   StrBuf *out)
{
    bool first = true;
    for (uint16_t i = 0; i < t->ncols; i++) {
        if (!mask[i])
            continue;
        const ChangeValue *v = &row->values[i];
        const char *col = t->qcols[i];
        strbuf_append(out, first ? "" : " AND ");
        first = false;
        GwResult rc = GW_OK;
        MyValueKind kind = t->cols[i]->kind;
        if (v->kind == VALUE_NULL) {
            strbuf_appendf(out, "%s IS NULL", col);
        } else if (kind == MYV_JSON && c->mariadb && c->server_version >= 100700) {
            strbuf_appendf(out, "JSON_EQUALS(%s, ", col);
            rc = append_value(c, t, i, v, out);
            strbuf_append(out, ")");
        } else if (kind == MYV_JSON && !c->mariadb) {
            strbuf_appendf(out, "%s = CAST(", col);
            rc = append_value(c, t, i, v, out);
            strbuf_append(out, " AS JSON)");
        } else if (kind == MYV_TEXT) {
            strbuf_appendf(out, "%s = _utf8mb4", col);
            rc = append_value(c, t, i, v, out);
            strbuf_appendf(out, " COLLATE %s", a->text_collation);
        } else {
            strbuf_appendf(out, "%s <=> ", col);
            rc = append_value(c, t, i, v, out);
        }
        if (rc)
            return rc;
    }
    return GW_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Batches.
 */

/* Ends the batch being built, if any: queues its statement. */
static GwResult
flush(MyApplier *a, MyConn *c)
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
    Queued q = {.batch = a->batch, .rows = a->batch_rows, .t = t};
    GwResult rc = queue(a, c, a->sql.data, a->sql.len, q);
    batch_clear(a);
    return rc;
}

/*
 * A row as an item of a batch: "(1,'x')" for an upsert or insert; for a
 * delete (keys_only) its key, "1" or "(1,'x')".
 */
static GwResult
append_row(MyConn *c, const ApplyTable *t, const ChangeTuple *row, bool keys_only, StrBuf *out)
{
    bool tuple = !keys_only || t->nkey > 1;
    if (tuple)
        strbuf_append_char(out, '(');
    bool first = true;
    for (uint16_t i = 0; i < t->ncols; i++) {
        if (keys_only && !t->key[i])
            continue;
        if (!first)
            strbuf_append_char(out, ',');
        GwResult rc = append_value(c, t, i, &row->values[i], out);
        if (rc)
            return rc;
        first = false;
    }
    if (tuple)
        strbuf_append_char(out, ')');
    return GW_OK;
}

/* Starts the table's batch of a kind, ending any other first. */
static GwResult
batch_start(MyApplier *a, MyConn *c, ApplyTable *t, BatchKind kind, const struct Predicate *guard)
{
    if (a->batch == kind && a->batch_table == t && a->batch_guard == guard)
        return GW_OK;
    GwResult rc = flush(a, c);
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
        return flush(a, c);
    return GW_OK;
}

/*
 * Adds a row to the table's batch of its kind (sending any other batch
 * first): the whole row for an upsert or an insert, its key for a delete
 * (guarded: only if the row matches the guard, a phase's predicate).
 */
static GwResult
batch_add(MyApplier *a, MyConn *c, ApplyTable *t, BatchKind kind, const ChangeTuple *row,
          const struct Predicate *guard)
{
    GwResult rc = batch_start(a, c, t, kind, guard);
    if (rc)
        return rc;
    size_t mark = a->sql.len;
    if (a->batch_rows > 0)
        strbuf_append_char(&a->sql, ',');
    rc = append_row(c, t, row, kind == BATCH_DELETE, &a->sql);
    if (rc) {
        a->sql.len = mark;
        a->sql.data[mark] = '\0';
        if (a->batch_rows == 0)
            batch_clear(a);
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
static GwResult
merge_send(MyApplier *a, MyConn *c, ApplyTable *t)
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
        rc = flush(a, c);
    row_merge_reset(m);
    return rc;
}

static GwResult
merge_send_all(MyApplier *a, MyConn *c)
{
    GwResult rc = GW_OK;
    for (size_t i = 0; i < a->ntables && rc == GW_OK; i++)
        rc = merge_send(a, c, a->tables[i]);
    return rc;
}

static void
merge_forget_all(MyApplier *a)
{
    for (size_t i = 0; i < a->ntables; i++)
        row_merge_reset(&a->tables[i]->merge);
}

/* The row of key_of's key becomes row (whole), or deleted when row is NULL. */
static GwResult
merge_put(MyApplier *a, MyConn *c, ApplyTable *t, const ChangeTuple *key_of, const ChangeTuple *row)
{
    strbuf_reset(&a->key_text);
    GwResult rc = append_row(c, t, key_of, true, &a->key_text);
    if (rc == GW_OK && row) {
        strbuf_reset(&a->row_text);
        rc = append_row(c, t, row, false, &a->row_text);
    }
    if (rc)
        return rc;
    row_merge_put(&t->merge, a->key_text.data, a->key_text.len, row ? a->row_text.data : NULL,
                  row ? a->row_text.len : 0);
    if (t->merge.nentries >= MERGE_MAX_ROWS || row_merge_bytes(&t->merge) >= MERGE_MAX_BYTES)
        return merge_send(a, c, t);
    return GW_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Changes (pg_apply.c's rules).
 */

static GwResult
no_identity(MyConn *c, const Change *ch, const char *verb)
{
    mysql_conn_note_error(&c->base, 0);
    log_error("%s %s: cannot apply %s on %s.%s: the change stream did not send the old row's values needed to"
              " identify or complete the row (set REPLICA IDENTITY FULL on the PostgreSQL table)",
              role_name(c->base.role), c->base.endpoint->redacted, verb, ch->rel->schema, ch->rel->name);
    return role_error(c->base.role);
}

/*
 * An update whose unchanged TOASTed values were not sent: only the values
 * sent are set.  When the row must exist (Change.must_exist) and is not
 * there, the row entered the phase without the values needed to insert it.
 */
static GwResult
update_by_key(MyApplier *a, MyConn *c, const ApplyTable *t, const Change *ch, const ChangeTuple *row)
{
    bool any = false;
    for (uint16_t i = 0; i < t->ncols; i++) {
        a->mask[i] = a->set[i] && !t->key[i];
        any = any || a->mask[i];
    }
    stmt_start(a, c);
    strbuf_appendf(&a->stmt, "UPDATE %s SET ", t->qname);
    GwResult rc = GW_OK;
    if (any) {
        rc = append_assignments(c, t, row, a->mask, &a->stmt);
    } else {
        /* Nothing but the key was sent: the statement only looks for the row. */
        for (uint16_t i = 0; i < t->ncols; i++)
            if (t->key[i]) {
                strbuf_appendf(&a->stmt, "%s = %s", t->qcols[i], t->qcols[i]);
                break;
            }
    }
    strbuf_append(&a->stmt, " WHERE ");
    if (rc == GW_OK)
        rc = append_key_match(c, t, row, &a->stmt);
    if (rc == GW_OK && (any || ch->must_exist))
        rc = queue_stmt(a, c, "applying an update", t);
    /* The row count is needed now: this statement goes with what is queued before it. */
    if (rc == GW_OK && ch->must_exist)
        rc = send_pending(a, c);
    if (rc == GW_OK && ch->must_exist && a->last_matched == 0) {
        mysql_conn_note_error(&c->base, 0);
        log_error("%s %s: table %s.%s: a row moved into the phase, but its unchanged TOASTed values were not sent"
                  " and it is not here; set REPLICA IDENTITY FULL on the PostgreSQL table, and copy the row by hand",
                  role_name(c->base.role), c->base.endpoint->redacted, t->schema, t->name);
        rc = GW_ERR_USAGE;
    }
    return rc;
}

/* An update that moves the key of a row whose unchanged TOASTed values were not sent: every value sent is set. */
static GwResult
update_key_in_place(MyApplier *a, MyConn *c, const ApplyTable *t, const ChangeTuple *row, const ChangeTuple *old)
{
    stmt_start(a, c);
    strbuf_appendf(&a->stmt, "UPDATE %s SET ", t->qname);
    GwResult rc = append_assignments(c, t, row, a->set, &a->stmt);
    strbuf_append(&a->stmt, " WHERE ");
    if (rc == GW_OK)
        rc = append_key_match(c, t, old, &a->stmt);
    return rc ? rc : queue_stmt(a, c, "applying an update of the key", t);
}

/* An update or delete of a table without a key: one row whose values match the old row's. */
static GwResult
apply_matched(MyApplier *a, MyConn *c, const ApplyTable *t, const Change *ch, const ChangeTuple *row)
{
    stmt_start(a, c);
    GwResult rc = GW_OK;
    if (ch->kind == CHANGE_UPDATE) {
        bool any = false;
        for (uint16_t i = 0; i < t->ncols; i++)
            any = any || a->set[i];
        if (!any)
            return GW_OK;
        strbuf_appendf(&a->stmt, "UPDATE %s SET ", t->qname);
        rc = append_assignments(c, t, row, a->set, &a->stmt);
    } else {
        strbuf_appendf(&a->stmt, "DELETE FROM %s", t->qname);
    }
    strbuf_append(&a->stmt, " WHERE ");
    if (rc == GW_OK)
        rc = append_value_match(a, c, t, &ch->old_tuple, a->mask, &a->stmt);
    strbuf_append(&a->stmt, " LIMIT 1");
    if (rc == GW_OK)
        rc = flush(a, c);
    return rc ? rc : queue_stmt(a, c, ch->kind == CHANGE_UPDATE ? "applying an update" : "applying a delete", t);
}

/* An insert; also an update turned into one (a row moved into a phase), completed from its old row. */
static GwResult
apply_insert(MyApplier *a, MyConn *c, ApplyTable *t, const Change *ch, ChangeTuple *row)
{
    if (!change_complete_new_row(ch, row, a->set))
        return no_identity(c, ch, "an update that moves a row into the phase without all its values");
    if (t->mergeable)
        return merge_put(a, c, t, row, row);
    return batch_add(a, c, t, t->has_key ? BATCH_UPSERT : BATCH_INSERT, row, NULL);
}

static GwResult
apply_update(MyApplier *a, MyConn *c, ApplyTable *t, const Change *ch, ChangeTuple *row)
{
    bool complete = change_complete_new_row(ch, row, a->set);
    if (!t->has_key) {
        if (change_has_old(ch) && change_match_mask(ch, a->mask))
            return apply_matched(a, c, t, ch, row);
        return no_identity(c, ch, "an update");
    }
    const ChangeTuple *old = change_has_old(ch) && change_tuple_has(&ch->old_tuple, t->key, t->ncols) ? &ch->old_tuple : NULL;
    bool key_moved = old && !change_keys_equal(old, row, t->key, t->ncols);
    GwResult rc = GW_OK;
    if (complete && t->mergeable) {
        if (key_moved)
            rc = merge_put(a, c, t, old, NULL);
        return rc ? rc : merge_put(a, c, t, row, row);
    }
    /* What follows is ordered after the table's merged changes. */
    rc = merge_send(a, c, t);
    if (rc)
        return rc;
    if (complete) {
        if (key_moved)
            rc = batch_add(a, c, t, BATCH_DELETE, old, NULL);
        return rc ? rc : batch_add(a, c, t, BATCH_UPSERT, row, NULL);
    }
    rc = flush(a, c);
    if (rc)
        return rc;
    /* A moved key with unchanged TOASTed values is updated in place, keeping them. */
    return key_moved ? update_key_in_place(a, c, t, row, old) : update_by_key(a, c, t, ch, row);
}

static GwResult
apply_delete(MyApplier *a, MyConn *c, ApplyTable *t, const Change *ch)
{
    if (!change_has_old(ch))
        return no_identity(c, ch, "a delete");
    bool by_key = t->has_key && change_tuple_has(&ch->old_tuple, t->key, t->ncols);
    if (by_key && t->mergeable && !ch->delete_guard)
        return merge_put(a, c, t, &ch->old_tuple, NULL);
    GwResult rc = merge_send(a, c, t);
    if (rc)
        return rc;
    if (by_key)
        return batch_add(a, c, t, BATCH_DELETE, &ch->old_tuple, ch->delete_guard);
    if (!t->has_key && change_match_mask(ch, a->mask))
        return apply_matched(a, c, t, ch, NULL);
    return no_identity(c, ch, "a delete");
}

/*
 * TRUNCATE as DELETE FROM: MySQL's TRUNCATE TABLE commits, which would split
 * the group from its checkpoint.  With a guard (a table other phases share),
 * only the rows that match it.
 */
static GwResult
apply_truncate(MyApplier *a, MyConn *c, const Change *ch)
{
    GwResult rc = merge_send_all(a, c);
    if (rc == GW_OK)
        rc = flush(a, c);
    for (uint32_t i = 0; i < ch->nrels && rc == GW_OK; i++) {
        stmt_start(a, c);
        char *q = mysql_qualified(ch->rels[i]->schema, ch->rels[i]->name);
        strbuf_appendf(&a->stmt, "DELETE FROM %s", q);
        free(q);
        if (ch->delete_guard) {
            char *guard = mysql_render_predicate(&c->base, ch->delete_guard);
            strbuf_appendf(&a->stmt, " WHERE %s", guard);
            free(guard);
        }
        rc = queue_stmt(a, c, "applying a truncate (DELETE FROM)", NULL);
    }
    return rc;
}

GwResult
mysql_apply_change(EngineConn *conn, const Change *ch, const TableDef *t)
{
    (void) t;   /* the connection's own description (MyColumn) says how to write values */
    MyConn *c = MY(conn);
    MyApplier *a = applier_of(conn);
    GwResult rc = begin_if_needed(a, c);
    if (rc)
        return rc;
    if (ch->kind == CHANGE_TRUNCATE)
        return apply_truncate(a, c, ch);
    if (ch->kind != CHANGE_INSERT && ch->kind != CHANGE_UPDATE && ch->kind != CHANGE_DELETE)
        return GW_OK;
    ApplyTable *at;
    rc = table_for(a, c, ch->rel, &at);
    if (rc)
        return rc;
    reserve_cols(a, at->ncols);
    ChangeTuple row = {.ncols = at->ncols, .values = a->row};
    switch (ch->kind) {
    case CHANGE_INSERT: return apply_insert(a, c, at, ch, &row);
    case CHANGE_UPDATE: return apply_update(a, c, at, ch, &row);
    default: return apply_delete(a, c, at, ch);
    }
}

GwResult
mysql_apply_commit(EngineConn *conn, const char *stream, const char *phase, const char *position)
{
    MyConn *c = MY(conn);
    MyApplier *a = applier_of(conn);
    GwResult rc = begin_if_needed(a, c);
    if (rc == GW_OK)
        rc = merge_send_all(a, c);
    if (rc == GW_OK)
        rc = flush(a, c);
    if (rc)
        return rc;
    /*
     * The checkpoint and COMMIT go in the same round trip as the changes
     * still queued: the server runs neither if a change before them fails.
     */
    stmt_start(a, c);
    mysql_state_checkpoint_sql(&a->stmt, stream, phase, position);
    rc = queue_stmt(a, c, "writing the checkpoint", NULL);
    static const char commit[] = "COMMIT";
    if (rc == GW_OK)
        rc = queue(a, c, commit, sizeof commit - 1, (Queued) {.what = "committing"});
    if (rc == GW_OK)
        rc = send_pending(a, c);
    a->in_txn = false;
    return rc;
}

void
mysql_apply_abort(EngineConn *conn)
{
    /* The connection is closed by the caller next; the open transaction dies with it. */
    MyApplier *a = applier_of(conn);
    a->in_txn = false;
    merge_forget_all(a);
    batch_clear(a);
    pending_clear(a);
}

/* ---------------------------------------------------------------------------------------------
 * Session setup.
 */

/*
 * skip_replication (MariaDB) marks every binlog event this session writes
 * (LOG_EVENT_SKIP_REPLICATION_F): the binlog reader reports such a
 * transaction as godwit's own, and a forward stream drops it.  Without it
 * failback is still correct, but its writes would be read back.
 */
static GwResult
setup_skip_replication(MyConn *c)
{
    static bool warned;
    if (!c->mariadb) {
        if (!warned)
            log_warn("%s %s: Oracle MySQL has no skip_replication: the changes failback applies are not marked, and a"
                     " forward replicate of this database would read them back (loop prevention needs MariaDB)",
                     role_name(c->base.role), c->base.endpoint->redacted);
        warned = true;
        return GW_OK;
    }
    const char *sql = "SET SESSION skip_replication = 1";
    if (mysql_real_query(c->my, sql, strlen(sql)) == 0) {
        log_debug("applying with skip_replication");
        return GW_OK;
    }
    unsigned e = mysql_errno(c->my);
    if (e != ER_SPECIFIC_ACCESS_DENIED_ERROR && e != ER_DBACCESS_DENIED_ERROR && e != ER_ACCESS_DENIED_ERROR)
        return mysql_conn_report(c, "setting skip_replication");
    if (!warned)
        log_warn("%s %s: cannot set skip_replication (%s); changes applied now could be read back by a forward"
                 " stream: grant the privilege it needs (SUPER, or on MariaDB 10.5.2 and later the one the error"
                 " names) to the user",
                 role_name(c->base.role), c->base.endpoint->redacted, mysql_error(c->my));
    warned = true;
    return GW_OK;
}

/*
 * The session's sql_mode must still have NO_BACKSLASH_ESCAPES: the literals
 * rely on it.  Queued statements are sent in packets of at most half the
 * server's max_allowed_packet (a statement bigger than that still goes
 * alone, as it would anyway).
 */
static GwResult
check_session(MyApplier *a, MyConn *c)
{
    MYSQL_RES *res;
    GwResult rc = mysql_conn_query(c, "SELECT @@SESSION.sql_mode, @@SESSION.max_allowed_packet", 2, &res);
    if (rc)
        return rc;
    MYSQL_ROW row = mysql_fetch_row(res);
    bool ok = row && row[0] && strstr(row[0], "NO_BACKSLASH_ESCAPES") && strstr(row[0], "STRICT_ALL_TABLES");
    if (!ok)
        log_error("%s %s: the session's sql_mode is '%s', without NO_BACKSLASH_ESCAPES or STRICT_ALL_TABLES",
                  role_name(c->base.role), c->base.endpoint->redacted, row && row[0] ? row[0] : "");
    unsigned long long packet = row && row[1] ? strtoull(row[1], NULL, 10) : 0;
    a->pending_max = PENDING_MAX_BYTES;
    if (packet && packet / 2 < a->pending_max)
        a->pending_max = packet / 2 > PENDING_MIN_BYTES ? (size_t) (packet / 2) : PENDING_MIN_BYTES;
    mysql_free_result(res);
    return ok ? GW_OK : GW_ERR_INTERNAL;
}

GwResult
mysql_apply_setup(EngineConn *conn, const char *stream)
{
    (void) stream;
    MyConn *c = MY(conn);
    MyApplier *a = applier_of(conn);
    /* Descriptions may have been read again (source options): tables are matched afresh. */
    tables_clear(a);
    a->in_txn = false;
    a->text_collation = c->mariadb                   ? "utf8mb4_nopad_bin"
                        : c->server_version >= 80000 ? "utf8mb4_0900_bin"
                                                     : "utf8mb4_bin";
    /* First: the state's DDL, if any, is marked as godwit's too. */
    GwResult rc = setup_skip_replication(c);
    if (rc == GW_OK)
        rc = mysql_state_ensure_checkpoints(c);
    /*
     * No foreign key checks: the changes come in an order the other database
     * accepted, one transaction at a time (as PostgreSQL's apply worker runs
     * with session_replication_role = replica).  Strict mode: a value the
     * column cannot hold is an error, not a warning and another value.
     * NO_AUTO_VALUE_ON_ZERO: an id 0 is 0.  READ COMMITTED: no gap locks.
     */
    if (rc == GW_OK)
        rc = mysql_conn_exec(c, "SET SESSION foreign_key_checks = 0,"
                                " sql_mode = CONCAT(@@SESSION.sql_mode, ',STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO')");
    if (rc == GW_OK)
        rc = mysql_conn_exec(c, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    /* A phase's write fence (mysql_fence.c) lets this session through. */
    if (rc == GW_OK)
        rc = mysql_conn_exec(c, "SET @godwit_apply = 1");
    if (rc == GW_OK)
        rc = check_session(a, c);
    if (rc == GW_OK)
        rc = mysql_conn_exec(c, "SET SESSION autocommit = 0");
    /* Statements are queued and sent several at a time, one round trip for many (send_pending). */
    if (rc == GW_OK && mysql_set_server_option(c->my, MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0)
        rc = mysql_conn_report(c, "enabling multi-statement queries");
    return rc;
}
