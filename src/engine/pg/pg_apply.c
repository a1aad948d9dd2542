/*
 * pg_apply.c: applies change events to a PostgreSQL or CockroachDB target,
 * in libpq pipeline mode with prepared statements, one open transaction
 * per group of source transactions, and the stream's checkpoint written in
 * that same transaction (DESIGN.md, "Exactly-once apply").
 *
 * Statement shapes: a table with a primary key gets upserts (INSERT ... ON
 * CONFLICT DO UPDATE) for inserts and for updates that carry the whole row,
 * UPDATE ... WHERE key for updates with unchanged TOASTed values (which
 * are never written, so never overwritten with NULL), and DELETE ... WHERE
 * key; replaying changes the target already holds (after a resumed fetch)
 * converges to the source's rows.  A table without a key is matched on the
 * old row's values, one row at a time.  It must never send a value it did
 * not receive.
 */
#include <stdlib.h>
#include <string.h>

#include "core/phase_names.h"
#include "engine/pg/pg_apply_internal.h"
#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_describe.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

typedef enum ApplyOp {
    OP_UPSERT, OP_INSERT, OP_UPDATE_KEY, OP_DELETE_KEY, OP_DELETE_KEY_GUARDED, OP_UPDATE_MATCH, OP_DELETE_MATCH
} ApplyOp;

static Applier *
applier_of(PgConn *c)
{
    if (!c->applier) {
        c->applier = gw_calloc(1, sizeof *c->applier);
        strbuf_init(&c->applier->values);
    }
    return c->applier;
}

static void
clear_pending(Applier *a)
{
    for (size_t i = a->head; i < a->npending; i++)
        free(a->pending[i].text);
    a->head = a->npending = 0;
}

void
pg_apply_free(PgConn *c)
{
    Applier *a = c->applier;
    if (!a)
        return;
    for (size_t i = 0; i < a->nstmts; i++) {
        free(a->stmts[i].key);
        free(a->stmts[i].name);
    }
    free(a->stmts);
    pg_stage_free(a);
    clear_pending(a);
    free(a->pending);
    free(a->params);
    free(a->offsets);
    strbuf_free(&a->values);
    free(a);
    c->applier = NULL;
}

/* Room for one more queued result; the ones read already make room first. */
static Pending *
pending_push(Applier *a)
{
    if (a->head > 0 && a->head * 2 >= a->npending) {
        memmove(a->pending, a->pending + a->head, (a->npending - a->head) * sizeof *a->pending);
        a->npending -= a->head;
        a->head = 0;
    }
    gw_grow((void **) &a->pending, &a->cap_pending, a->npending + 1, sizeof *a->pending);
    return &a->pending[a->npending++];
}

void
pg_apply_queue_result(Applier *a, char *what)
{
    *pending_push(a) = (Pending) {.text = what};
}

void
pg_apply_queue_change(Applier *a, const char *verb, const TableDef *t)
{
    *pending_push(a) = (Pending) {.verb = verb, .table = t};
}

static GwResult
report_pending(PgConn *c, PGresult *res, const Pending *p)
{
    if (!p->table)
        return pg_report(c, res, p->text);
    char *what = gw_asprintf("applying %s on %s.%s", p->verb, p->table->schema, p->table->name);
    GwResult rc = pg_report(c, res, what);
    free(what);
    return rc;
}

/*
 * Reads the result of the oldest queued statement.  The first error is
 * reported (into *rc) with what its statement was; the statements after it
 * in the pipeline were aborted, and only their results are read.
 */
static void
take_result(PgConn *c, GwResult *rc)
{
    Applier *a = c->applier;
    Pending *p = &a->pending[a->head++];
    PGresult *res = PQgetResult(c->pg);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK) {
        a->last_rows = strtol(PQcmdTuples(res), NULL, 10);
        a->commits_done += p->commit;
    }
    if (!res)
        *rc = *rc ? *rc : report_pending(c, NULL, p);
    else if (st == PGRES_FATAL_ERROR && *rc == GW_OK)
        *rc = report_pending(c, res, p);
    PQclear(res);
    /* Each statement's results end with a NULL; an aborted or failed one too. */
    while (res && (res = PQgetResult(c->pg)) != NULL)
        PQclear(res);
    free(p->text);
    p->text = NULL;
}

/* Sends a sync and reads every queued result, reporting the first error. */
GwResult
pg_apply_sync(PgConn *c)
{
    Applier *a = c->applier;
    if (PQpipelineSync(c->pg) != 1)
        return pg_report(c, NULL, "sending changes");
    GwResult rc = GW_OK;
    while (a->head < a->npending)
        take_result(c, &rc);
    clear_pending(a);
    PGresult *res = PQgetResult(c->pg);
    if (PQresultStatus(res) != PGRES_PIPELINE_SYNC && rc == GW_OK)
        rc = pg_report(c, res, "reading the results of applied changes");
    PQclear(res);
    return rc;
}

/*
 * Reads the results that have arrived, without waiting for more.  Without
 * a sync, a failed statement makes the server skip everything after it:
 * the error is final for this session, which the caller then closes.
 */
static GwResult
read_arrived(PgConn *c)
{
    Applier *a = c->applier;
    if (PQconsumeInput(c->pg) != 1)
        return pg_report(c, NULL, "reading the results of applied changes");
    GwResult rc = GW_OK;
    while (rc == GW_OK && a->head < a->npending && !PQisBusy(c->pg))
        take_result(c, &rc);
    if (a->head == a->npending)
        clear_pending(a);
    return rc;
}

static GwResult
send_or_sync(PgConn *c)
{
    Applier *a = c->applier;
    return a->npending - a->head >= APPLY_SYNC_EVERY ? pg_apply_sync(c) : GW_OK;
}

static GwResult
enter_pipeline(PgConn *c)
{
    Applier *a = c->applier;
    if (a->pipeline)
        return GW_OK;
    if (PQenterPipelineMode(c->pg) != 1)
        return pg_report(c, NULL, "entering pipeline mode");
    a->pipeline = true;
    return GW_OK;
}

static GwResult
begin_if_needed(PgConn *c)
{
    Applier *a = applier_of(c);
    if (a->in_txn)
        return GW_OK;
    GwResult rc = enter_pipeline(c);
    if (rc)
        return rc;
    if (PQsendQueryParams(c->pg, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) != 1)
        return pg_report(c, NULL, "beginning a transaction");
    pg_apply_queue_result(a, gw_strdup("BEGIN"));
    a->in_txn = true;
    return GW_OK;
}

GwResult
pg_apply_begin(PgConn *c)
{
    return begin_if_needed(c);
}

/* Appends the quoted names of the relation's columns selected by mask, as "a", "b". */
static void
append_names(StrBuf *sb, const RelationInfo *rel, const bool *mask, const char *sep, const char *suffix_fmt,
             int *param)
{
    bool first = true;
    for (uint16_t i = 0; i < rel->ncols; i++) {
        if (!mask[i])
            continue;
        char *q = pg_quote_ident(rel->cols[i].name);
        strbuf_appendf(sb, "%s%s", first ? "" : sep, q);
        if (suffix_fmt) {
            (*param)++;
            strbuf_appendf(sb, suffix_fmt, *param);
        }
        free(q);
        first = false;
    }
}

/* Matching a row by the values of the masked columns, compared as text so every type can be matched. */
static void
append_match(StrBuf *sb, const RelationInfo *rel, const bool *mask, int *param)
{
    bool first = true;
    for (uint16_t i = 0; i < rel->ncols; i++) {
        if (!mask[i])
            continue;
        char *q = pg_quote_ident(rel->cols[i].name);
        (*param)++;
        strbuf_appendf(sb, "%s%s::text IS NOT DISTINCT FROM $%d", first ? "" : " AND ", q, *param);
        free(q);
        first = false;
    }
}

bool
pg_has_identity_always(const TableDef *t)
{
    for (size_t i = 0; i < t->ncolumns; i++)
        if (t->columns[i].identity == 'a')
            return true;
    return false;
}

static char *
build_sql(const PgConn *c, ApplyOp op, const TableDef *t, const Change *ch, const bool *set, const bool *key)
{
    const RelationInfo *rel = ch->rel;
    StrBuf sb;
    strbuf_init(&sb);
    char *name = pg_qualified(rel->schema, rel->name);
    /* Updates and deletes must not reach the rows of tables inheriting from this one. */
    char *only = pg_only_qualified(c, rel->schema, rel->name);
    int param = 0;
    switch (op) {
    case OP_UPSERT:
    case OP_INSERT:
        strbuf_appendf(&sb, "INSERT INTO %s (", name);
        append_names(&sb, rel, set, ", ", NULL, NULL);
        strbuf_appendf(&sb, ")%s VALUES (", pg_has_identity_always(t) ? " OVERRIDING SYSTEM VALUE" : "");
        for (uint16_t i = 0; i < rel->ncols; i++) {
            if (!set[i])
                continue;
            strbuf_appendf(&sb, "%s$%d", param ? ", " : "", param + 1);
            param++;
        }
        strbuf_append(&sb, ")");
        if (op == OP_UPSERT) {
            strbuf_append(&sb, " ON CONFLICT (");
            append_names(&sb, rel, key, ", ", NULL, NULL);
            strbuf_append(&sb, ") DO ");
            bool any = false;
            for (uint16_t i = 0; i < rel->ncols; i++) {
                if (!set[i] || key[i])
                    continue;
                char *q = pg_quote_ident(rel->cols[i].name);
                strbuf_appendf(&sb, "%s%s = EXCLUDED.%s", any ? ", " : "UPDATE SET ", q, q);
                free(q);
                any = true;
            }
            if (!any)
                strbuf_append(&sb, "NOTHING");
        }
        break;
    case OP_UPDATE_KEY:
        strbuf_appendf(&sb, "UPDATE %s SET ", only);
        append_names(&sb, rel, set, ", ", " = $%d", &param);
        strbuf_append(&sb, " WHERE ");
        append_names(&sb, rel, key, " AND ", " = $%d", &param);
        break;
    case OP_DELETE_KEY:
    case OP_DELETE_KEY_GUARDED:
        strbuf_appendf(&sb, "DELETE FROM %s WHERE ", only);
        append_names(&sb, rel, key, " AND ", " = $%d", &param);
        if (op == OP_DELETE_KEY_GUARDED) {
            char *guard = c->base.ops->render_predicate((EngineConn *) &c->base, ch->delete_guard);
            strbuf_appendf(&sb, " AND (%s)", guard);
            free(guard);
        }
        break;
    case OP_UPDATE_MATCH:
        strbuf_appendf(&sb, "UPDATE %s SET ", only);
        append_names(&sb, rel, set, ", ", " = $%d", &param);
        /* CockroachDB has no ctid; it takes LIMIT on UPDATE and DELETE instead. */
        if (pg_is_crdb(c)) {
            strbuf_append(&sb, " WHERE ");
            append_match(&sb, rel, key, &param);
            strbuf_append(&sb, " LIMIT 1");
        } else {
            strbuf_appendf(&sb, " WHERE ctid = (SELECT ctid FROM %s WHERE ", only);
            append_match(&sb, rel, key, &param);
            strbuf_append(&sb, " LIMIT 1)");
        }
        break;
    case OP_DELETE_MATCH:
        if (pg_is_crdb(c)) {
            strbuf_appendf(&sb, "DELETE FROM %s WHERE ", only);
            append_match(&sb, rel, key, &param);
            strbuf_append(&sb, " LIMIT 1");
        } else {
            strbuf_appendf(&sb, "DELETE FROM %s WHERE ctid = (SELECT ctid FROM %s WHERE ", only, only);
            append_match(&sb, rel, key, &param);
            strbuf_append(&sb, " LIMIT 1)");
        }
        break;
    }
    free(name);
    free(only);
    return strbuf_take(&sb);
}

static char *
statement_key(ApplyOp op, const RelationInfo *rel, const bool *set, const bool *key)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_appendf(&sb, "%d|%u|", (int) op, rel->id);
    for (uint16_t i = 0; i < rel->ncols; i++)
        strbuf_append_char(&sb, (char) ('0' + (set[i] ? 1 : 0) + (key[i] ? 2 : 0)));
    return strbuf_take(&sb);
}

/* Finds or prepares (in the pipeline) the statement for this shape. */
static const Statement *
statement_for(PgConn *c, ApplyOp op, const TableDef *t, const Change *ch, const bool *set, const bool *key,
              int nparams)
{
    Applier *a = c->applier;
    char *k = statement_key(op, ch->rel, set, key);
    for (size_t i = 0; i < a->nstmts; i++)
        if (!strcmp(a->stmts[i].key, k)) {
            free(k);
            return &a->stmts[i];
        }
    char *sql = build_sql(c, op, t, ch, set, key);
    gw_grow((void **) &a->stmts, &a->cap_stmts, a->nstmts + 1, sizeof *a->stmts);
    Statement *s = &a->stmts[a->nstmts++];
    s->key = k;
    s->name = gw_asprintf("godwit_%u", a->next_id++);
    if (PQsendPrepare(c->pg, s->name, sql, nparams, NULL) != 1)
        log_debug("queueing prepare of %s failed: %s", s->name, PQerrorMessage(c->pg));
    pg_apply_queue_result(a, gw_asprintf("preparing %s", sql));
    log_debug("prepared %s: %s", s->name, sql);
    free(sql);
    return s;
}

/* Collects parameter values: first the set columns from `from`, then the key columns from `keys_from`. */
static int
collect_params(Applier *a, const RelationInfo *rel, const bool *set, const ChangeTuple *from, const bool *key,
               const ChangeTuple *keys_from)
{
    strbuf_reset(&a->values);
    gw_grow((void **) &a->params, &a->cap_params, (size_t) rel->ncols * 2 + 1, sizeof *a->params);
    gw_grow((void **) &a->offsets, &a->cap_offsets, (size_t) rel->ncols * 2 + 1, sizeof *a->offsets);
    int n = 0;
    for (int pass = 0; pass < 2; pass++) {
        const bool *mask = pass ? key : set;
        const ChangeTuple *tup = pass ? keys_from : from;
        if (!mask || !tup)
            continue;
        for (uint16_t i = 0; i < rel->ncols; i++) {
            if (!mask[i])
                continue;
            const ChangeValue *v = &tup->values[i];
            if (v->kind == VALUE_NULL) {
                a->offsets[n++] = (size_t) -1;
                continue;
            }
            a->offsets[n++] = a->values.len;
            strbuf_append_n(&a->values, v->data, v->len);
            strbuf_append_char(&a->values, '\0');
        }
    }
    /* Pointers are taken once the buffer has stopped growing. */
    for (int i = 0; i < n; i++)
        a->params[i] = a->offsets[i] == (size_t) -1 ? NULL : a->values.data + a->offsets[i];
    return n;
}

static GwResult
send_statement(PgConn *c, ApplyOp op, const TableDef *t, const Change *ch, const bool *set, const ChangeTuple *from,
               const bool *key, const ChangeTuple *keys_from, const char *verb)
{
    Applier *a = c->applier;
    /* A statement without set columns (a delete) or without key columns (an insert) has an empty mask. */
    bool *none = gw_calloc((size_t) ch->rel->ncols + 1, sizeof *none);
    int n = collect_params(a, ch->rel, set, from, key, keys_from);
    const Statement *s = statement_for(c, op, t, ch, set ? set : none, key ? key : none, n);
    free(none);
    if (PQsendQueryPrepared(c->pg, s->name, n, a->params, NULL, NULL, 0) != 1)
        return pg_report(c, NULL, "sending a change");
    pg_apply_queue_change(a, verb, t);
    return send_or_sync(c);
}

/* The target's primary key as a mask over the relation's columns; false if a key column is missing. */
static bool
primary_key_mask(const TableDef *t, const RelationInfo *rel, bool *mask)
{
    memset(mask, 0, rel->ncols * sizeof *mask);
    if (t->npk == 0)
        return false;
    for (size_t k = 0; k < t->npk; k++) {
        const char *col = t->columns[t->pk[k]].name;
        bool found = false;
        for (uint16_t i = 0; i < rel->ncols && !found; i++)
            if (!strcmp(rel->cols[i].name, col))
                found = mask[i] = true;
        if (!found)
            return false;
    }
    return true;
}

static GwResult
no_identity(const Change *ch, const char *verb)
{
    log_error("cannot apply %s on %s.%s: the table has no primary key on the target and the source sent no old"
              " row to identify it (set REPLICA IDENTITY FULL on the source table)",
              verb, ch->rel->schema, ch->rel->name);
    return GW_ERR_TARGET;
}

/* An insert; also an update turned into one (a row moved into a phase), completed from its old row. */
static GwResult
apply_insert(PgConn *c, const Change *ch, const TableDef *t, bool *set, bool *key)
{
    ChangeTuple row = {.ncols = ch->rel->ncols, .values = gw_calloc((size_t) ch->rel->ncols + 1, sizeof *row.values)};
    GwResult rc;
    if (!change_complete_new_row(ch, &row, set))
        rc = no_identity(ch, "an update that moves a row into the phase without all its values");
    else if (primary_key_mask(t, ch->rel, key))
        rc = send_statement(c, OP_UPSERT, t, ch, set, &row, key, NULL, "an insert");
    else
        rc = send_statement(c, OP_INSERT, t, ch, set, &row, NULL, NULL, "an insert");
    free(row.values);
    return rc;
}

/*
 * An update that must find its row (see Change.must_exist) is read back at
 * once, before anything can commit: finding nothing means the row entered
 * the phase without the values needed to insert it.
 */
static GwResult
check_row_found(PgConn *c, const Change *ch)
{
    GwResult rc = pg_apply_sync(c);
    if (rc == GW_OK && c->applier->last_rows == 0) {
        log_error("table %s.%s: a row moved into the phase, but its unchanged TOASTed values were not sent and it"
                  " is not on the target; set REPLICA IDENTITY FULL on the source table and fetch the phase again",
                  ch->rel->schema, ch->rel->name);
        rc = GW_ERR_USAGE;
    }
    return rc;
}


static GwResult
apply_update(PgConn *c, const Change *ch, const TableDef *t, bool *set, bool *key)
{
    const RelationInfo *rel = ch->rel;
    ChangeTuple row = {.ncols = rel->ncols, .values = gw_calloc(rel->ncols + 1, sizeof *row.values)};
    bool complete = change_complete_new_row(ch, &row, set);
    GwResult rc = GW_OK;
    if (primary_key_mask(t, rel, key)) {
        const ChangeTuple *old = change_has_old(ch) && change_tuple_has(&ch->old_tuple, key, rel->ncols) ? &ch->old_tuple : NULL;
        bool key_moved = old && !change_keys_equal(old, &row, key, rel->ncols);
        /* A moved key with unchanged TOASTed values is updated in place, keeping them. */
        if (key_moved && complete)
            rc = send_statement(c, OP_DELETE_KEY, t, ch, NULL, NULL, key, old, "an update's delete of the old key");
        if (rc == GW_OK && complete)
            rc = send_statement(c, OP_UPSERT, t, ch, set, &row, key, NULL, "an update");
        else if (rc == GW_OK && key_moved)
            rc = send_statement(c, OP_UPDATE_KEY, t, ch, set, &row, key, old, "an update of the key");
        else if (rc == GW_OK) {
            /* Unchanged TOASTed values stay as they are: only the values that were sent are set. */
            bool *only_values = gw_calloc((size_t) rel->ncols + 1, sizeof *only_values);
            bool any = false;
            for (uint16_t i = 0; i < rel->ncols; i++) {
                only_values[i] = set[i] && !key[i];
                any = any || only_values[i];
            }
            if (any)
                rc = send_statement(c, OP_UPDATE_KEY, t, ch, only_values, &row, key, &row, "an update");
            if (rc == GW_OK && ch->must_exist)
                rc = check_row_found(c, ch);
            free(only_values);
        }
    } else if (change_has_old(ch) && change_match_mask(ch, key)) {
        rc = send_statement(c, OP_UPDATE_MATCH, t, ch, set, &row, key, &ch->old_tuple, "an update");
    } else {
        rc = no_identity(ch, "an update");
    }
    free(row.values);
    return rc;
}

static GwResult
apply_delete(PgConn *c, const Change *ch, const TableDef *t, bool *key)
{
    if (!change_has_old(ch))
        return no_identity(ch, "a delete");
    if (primary_key_mask(t, ch->rel, key) && change_tuple_has(&ch->old_tuple, key, ch->rel->ncols))
        return send_statement(c, ch->delete_guard ? OP_DELETE_KEY_GUARDED : OP_DELETE_KEY, t, ch, NULL, NULL, key,
                              &ch->old_tuple, "a delete");
    if (change_match_mask(ch, key))
        return send_statement(c, OP_DELETE_MATCH, t, ch, NULL, NULL, key, &ch->old_tuple, "a delete");
    return no_identity(ch, "a delete");
}

static GwResult
apply_truncate(PgConn *c, const Change *ch)
{
    StrBuf sb;
    strbuf_init(&sb);
    if (ch->delete_guard && ch->nrels == 1) {
        /* Only the phase's rows of a table other phases share (see Change.delete_guard). */
        char *name = pg_only_qualified(c, ch->rels[0]->schema, ch->rels[0]->name);
        char *guard = c->base.ops->render_predicate(&c->base, ch->delete_guard);
        strbuf_appendf(&sb, "DELETE FROM %s WHERE %s", name, guard);
        free(guard);
        free(name);
        GwResult rc = GW_OK;
        if (PQsendQueryParams(c->pg, sb.data, 0, NULL, NULL, NULL, NULL, 0) != 1)
            rc = pg_report(c, NULL, "sending a truncate of the phase's rows");
        else
            pg_apply_queue_result(c->applier, gw_asprintf("applying %s", sb.data));
        strbuf_free(&sb);
        return rc;
    }
    strbuf_append(&sb, "TRUNCATE ");
    for (uint32_t i = 0; i < ch->nrels; i++) {
        char *q = pg_only_qualified(c, ch->rels[i]->schema, ch->rels[i]->name);
        strbuf_appendf(&sb, "%s%s", i ? ", " : "", q);
        free(q);
    }
    if (ch->restart_identity)
        strbuf_append(&sb, " RESTART IDENTITY");
    if (ch->cascade)
        strbuf_append(&sb, " CASCADE");
    GwResult rc = GW_OK;
    if (PQsendQueryParams(c->pg, sb.data, 0, NULL, NULL, NULL, NULL, 0) != 1)
        rc = pg_report(c, NULL, "sending a truncate");
    else
        pg_apply_queue_result(c->applier, gw_asprintf("applying %s", sb.data));
    strbuf_free(&sb);
    return rc;
}

/* One change as its own statement, queued in the pipeline. */
GwResult
pg_apply_row(PgConn *c, const Change *ch, const TableDef *t)
{
    if (ch->kind == CHANGE_TRUNCATE)
        return apply_truncate(c, ch);
    uint16_t n = ch->rel->ncols;
    bool *set = gw_calloc((size_t) n + 1, sizeof *set), *key = gw_calloc((size_t) n + 1, sizeof *key);
    GwResult rc = GW_OK;
    switch (ch->kind) {
    case CHANGE_INSERT: rc = apply_insert(c, ch, t, set, key); break;
    case CHANGE_UPDATE: rc = apply_update(c, ch, t, set, key); break;
    case CHANGE_DELETE: rc = apply_delete(c, ch, t, key); break;
    default: break;
    }
    free(set);
    free(key);
    return rc;
}

GwResult
pg_apply_change(EngineConn *conn, const Change *ch, const TableDef *t)
{
    PgConn *c = PG(conn);
    GwResult rc = begin_if_needed(c);
    if (rc)
        return rc;
    bool staged = false;
    if (ch->kind != CHANGE_TRUNCATE)
        rc = pg_stage_change(c, ch, t, &staged);
    if (rc || staged)
        return rc;
    /* What follows must not overtake what is staged. */
    rc = pg_stage_flush(c);
    return rc ? rc : pg_apply_row(c, ch, t);
}

static const char *const sql_checkpoint =
    "INSERT INTO _godwit.checkpoints (stream, phase, direction, position, updated_at)"
    " VALUES ($1, $2, $3, $4, now()) ON CONFLICT (stream) DO UPDATE"
    " SET position = excluded.position, updated_at = excluded.updated_at";

/* Queues what ends the open transaction: the staged rows, the checkpoint and COMMIT. */
static GwResult
queue_commit(PgConn *c, const char *stream, const char *phase, const char *position)
{
    GwResult rc = begin_if_needed(c);
    if (rc == GW_OK)
        rc = pg_stage_flush(c);
    if (rc)
        return rc;
    Applier *a = c->applier;
    if (!a->checkpoint_prepared) {
        if (PQsendPrepare(c->pg, "godwit_checkpoint", sql_checkpoint, 4, NULL) != 1)
            return pg_report(c, NULL, "preparing the checkpoint");
        pg_apply_queue_result(a, gw_strdup("preparing the checkpoint"));
        a->checkpoint_prepared = true;
    }
    const char *dir = strrchr(stream, ':');
    const char *params[4] = {stream, phase, dir ? dir + 1 : "forward", position};
    if (PQsendQueryPrepared(c->pg, "godwit_checkpoint", 4, params, NULL, NULL, 0) != 1 ||
        PQsendQueryParams(c->pg, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) != 1)
        return pg_report(c, NULL, "sending the commit");
    pg_apply_queue_result(a, gw_strdup("writing the checkpoint"));
    pg_apply_queue_result(a, gw_strdup("committing"));
    a->pending[a->npending - 1].commit = true;
    a->in_txn = false;
    return GW_OK;
}

/* Reads every result still due and leaves pipeline mode: the session is idle and usable for anything. */
static GwResult
settle(PgConn *c)
{
    Applier *a = c->applier;
    if (!a || !a->pipeline)
        return GW_OK;
    GwResult rc = pg_apply_sync(c);
    if (rc == GW_OK && PQexitPipelineMode(c->pg) != 1)
        rc = pg_report(c, NULL, "leaving pipeline mode");
    a->pipeline = rc != GW_OK;
    return rc;
}

GwResult
pg_apply_commit(EngineConn *conn, const char *stream, const char *phase, const char *position)
{
    PgConn *c = PG(conn);
    GwResult rc = queue_commit(c, stream, phase, position);
    return rc ? rc : settle(c);
}

/*
 * The next group's changes follow in the same pipeline while this one
 * commits: the target never waits for a round trip between groups.  A flush
 * request makes the server send the results of what it ran so far.
 */
GwResult
pg_apply_commit_send(EngineConn *conn, const char *stream, const char *phase, const char *position)
{
    PgConn *c = PG(conn);
    /* Not tried against CockroachDB's pipelining of explicit transactions yet: it commits at once. */
    if (pg_is_crdb(c))
        return pg_apply_commit(conn, stream, phase, position);
    GwResult rc = queue_commit(c, stream, phase, position);
    if (rc == GW_OK && (PQsendFlushRequest(c->pg) != 1 || PQflush(c->pg) != 0))
        rc = pg_report(c, NULL, "sending the commit");
    return rc;
}

GwResult
pg_apply_collect(EngineConn *conn, bool wait, unsigned long long *completed)
{
    PgConn *c = PG(conn);
    Applier *a = c->applier;
    *completed = 0;
    if (!a)
        return GW_OK;
    GwResult rc = GW_OK;
    if (a->pipeline && a->head < a->npending)
        rc = !wait ? read_arrived(c) : a->in_txn ? pg_apply_sync(c) : settle(c);
    *completed = a->commits_done;
    a->commits_done = 0;
    return rc;
}

void
pg_apply_abort(EngineConn *conn)
{
    PgConn *c = PG(conn);
    Applier *a = c->applier;
    if (!a || !a->in_txn)
        return;
    /* The connection is closed by the caller next; the open transaction dies with it. */
    a->in_txn = false;
    clear_pending(a);
}

GwResult
pg_checkpoint_get(EngineConn *conn, const char *stream, char **position, bool *found)
{
    const char *params[1] = {stream};
    PGresult *res;
    GwResult rc = pg_query_params(PG(conn), "SELECT position FROM _godwit.checkpoints WHERE stream = $1", 1, params,
                                  1, &res);
    if (rc)
        return rc;
    *found = PQntuples(res) == 1;
    *position = *found ? gw_strdup(PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    return GW_OK;
}

/*
 * Tags the session's writes with the stream's replication origin
 * (phase_names_origin: "godwit:<stream>", the stream named by migration and phase):
 * pgoutput marks them with an Origin message, so a stream reading this
 * database can drop them.  Without the privilege (superuser, or EXECUTE on
 * the pg_replication_origin_* functions) it warns and goes on: forward
 * replication is correct without it, only failback needs it.
 */
static GwResult
setup_origin(PgConn *c, const char *stream)
{
    char *name = phase_names_origin(stream);
    const char *params[1] = {name};
    PGresult *res = PQexecParams(c->pg,
                                 "SELECT pg_catalog.pg_replication_origin_session_setup($1)"
                                 " FROM (SELECT pg_catalog.pg_replication_origin_create($1)"
                                 " WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_origin"
                                 " WHERE roname = $1)) AS created RIGHT JOIN (SELECT 1) AS one ON true",
                                 1, NULL, params, NULL, NULL, 0);
    GwResult rc = GW_OK;
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (PQresultStatus(res) == PGRES_TUPLES_OK)
        log_debug("applying with replication origin %s", name);
    else if (state && !strcmp(state, "42501"))
        log_warn("target %s: cannot set replication origin %s (%s); changes applied now could be read back by a"
                 " failback stream: grant EXECUTE on pg_replication_origin_create and"
                 " pg_replication_origin_session_setup, or use a superuser",
                 c->base.endpoint->redacted, name, PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
    else
        rc = pg_report(c, res, "setting the replication origin");
    PQclear(res);
    free(name);
    return rc;
}

GwResult
pg_apply_setup(EngineConn *conn, const char *stream)
{
    PgConn *c = PG(conn);
    if (pg_is_crdb(c)) {
        /* CockroachDB: changefeeds skip writes of sessions with this setting (its docs, v24.2+). */
        GwResult rc = pg_exec_allow(c, "SET disable_changefeed_replication = true", "42704");
        return rc;
    }
    /*
     * The source is told to discard what the target committed: that commit
     * must survive a crash of the target, whatever its synchronous_commit.
     */
    GwResult rc = pg_exec(c, "SET synchronous_commit = on");
    return rc ? rc : setup_origin(c, stream);
}
