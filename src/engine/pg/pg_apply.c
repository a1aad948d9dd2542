/*
 * pg_apply.c: applies change events to a PostgreSQL or CockroachDB target,
 * in libpq pipeline mode with prepared statements, one open transaction
 * per group of source transactions, and the stream's checkpoint written in
 * that same transaction (DESIGN.md, "Exactly-once apply").  What a change
 * does is core/apply_rules.h's; here its operations become prepared
 * statements (pg_apply_sql.c) or join a table's merge (pg_apply_stage.c).
 * It must never send a value it did not receive.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/phase_names.h"
#include "engine/pg/pg_apply_internal.h"
#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_describe.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

static Applier *
applier_of(PgConn *c)
{
    if (!c->applier) {
        c->applier = gw_calloc(1, sizeof *c->applier);
        strbuf_init(&c->applier->values);
        apply_plan_init(&c->applier->plan);
        c->applier->sem = apply_semantics_today();
    }
    return c->applier;
}

void
pg_apply_set_semantics(PgConn *c, bool log_has_cascade_effects)
{
    applier_of(c)->sem.log_has_cascade_effects = log_has_cascade_effects;
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
    stmt_queue_free(&a->pending);
    free(a->params);
    free(a->offsets);
    free(a->key);
    apply_plan_free(&a->plan);
    strbuf_free(&a->values);
    free(a);
    c->applier = NULL;
}

void
pg_apply_queue_result(Applier *a, char *what)
{
    stmt_queue_push(&a->pending, (StmtNote) {.text = what});
}

void
pg_apply_queue_change(Applier *a, const char *what, const TableDef *t)
{
    stmt_queue_push(&a->pending, (StmtNote) {.what = what, .schema = t->schema, .table = t->name});
}

static GwResult
report_pending(PgConn *c, PGresult *res, const StmtNote *p)
{
    char *what = stmt_note_describe(p);
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
    StmtNote *p = stmt_queue_take(&a->pending);
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
}

/* Sends a sync and reads every queued result, reporting the first error. */
GwResult
pg_apply_sync(PgConn *c)
{
    Applier *a = c->applier;
    if (PQpipelineSync(c->pg) != 1)
        return pg_report(c, NULL, "sending changes");
    GwResult rc = GW_OK;
    while (stmt_queue_waiting(&a->pending) > 0)
        take_result(c, &rc);
    stmt_queue_clear(&a->pending);
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
    while (rc == GW_OK && stmt_queue_waiting(&a->pending) > 0 && !PQisBusy(c->pg))
        take_result(c, &rc);
    if (stmt_queue_waiting(&a->pending) == 0)
        stmt_queue_clear(&a->pending);
    return rc;
}

static GwResult
send_or_sync(PgConn *c)
{
    Applier *a = c->applier;
    return stmt_queue_waiting(&a->pending) >= APPLY_SYNC_EVERY ? pg_apply_sync(c) : GW_OK;
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

/* Finds or prepares (in the pipeline) the statement of this operation's shape. */
static const Statement *
statement_for(PgConn *c, const ApplyOp *op, const RelationInfo *rel, const TableDef *t, int nparams)
{
    Applier *a = c->applier;
    char *k = pg_apply_statement_key(op, rel);
    for (size_t i = 0; i < a->nstmts; i++)
        if (!strcmp(a->stmts[i].key, k)) {
            free(k);
            return &a->stmts[i];
        }
    char *guard = op->guard ? c->base.ops->source->render_predicate(&c->base, op->guard) : NULL;
    char *sql = pg_apply_sql(op, rel, t, &(PgApplySql) {.crdb = c->dialect->sql.crdb, .guard_sql = guard});
    free(guard);
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

/* Appends the masked values of a tuple as parameters (NUL-terminated copies; NULL as offset -1). */
static int
collect_values(Applier *a, int n, const bool *mask, const ChangeTuple *tup, uint16_t ncols)
{
    if (!mask || !tup)
        return n;
    for (uint16_t i = 0; i < ncols; i++) {
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
    return n;
}

/* The operation's parameters, in pg_apply_sql's order. */
static int
collect_params(Applier *a, const ApplyOp *op, uint16_t ncols)
{
    strbuf_reset(&a->values);
    gw_grow((void **) &a->params, &a->cap_params, (size_t) ncols * 2 + 1, sizeof *a->params);
    gw_grow((void **) &a->offsets, &a->cap_offsets, (size_t) ncols * 2 + 1, sizeof *a->offsets);
    int n = collect_values(a, 0, op->set, op->row, ncols);
    if (pg_apply_params_match(op))
        n = collect_values(a, n, op->match_cols, op->match, ncols);
    /* Pointers are taken once the buffer has stopped growing. */
    for (int i = 0; i < n; i++)
        a->params[i] = a->offsets[i] == (size_t) -1 ? NULL : a->values.data + a->offsets[i];
    return n;
}

GwResult
pg_apply_send_op(PgConn *c, const ApplyOp *op, const RelationInfo *rel, const TableDef *t, const char *what)
{
    Applier *a = c->applier;
    int n = collect_params(a, op, rel->ncols);
    const Statement *s = statement_for(c, op, rel, t, n);
    if (PQsendQueryPrepared(c->pg, s->name, n, a->params, NULL, NULL, 0) != 1)
        return pg_report(c, NULL, "sending a change");
    pg_apply_queue_change(a, what, t);
    return send_or_sync(c);
}

static GwResult
no_identity(const Change *ch, const char *verb)
{
    log_error("cannot apply %s on %s.%s: the table has no primary key on the target and the source sent no old"
              " row to identify it (set REPLICA IDENTITY FULL on the source table)",
              verb, ch->rel->schema, ch->rel->name);
    return GW_ERR_TARGET;
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

/* What an operation of a change is, in an error (static text). */
static const char *
op_what(const ApplyOp *op, ChangeKind kind)
{
    switch (op->kind) {
    case APPLY_UPSERT:
    case APPLY_INSERT: return kind == CHANGE_INSERT ? "applying an insert" : "applying an update";
    case APPLY_UPDATE_KEY: return "applying an update of the key";
    case APPLY_DELETE:
    case APPLY_DELETE_GUARDED:
        return kind == CHANGE_UPDATE ? "applying an update's delete of the old key" : "applying a delete";
    case APPLY_DELETE_MATCH: return "applying a delete";
    default: return "applying an update";
    }
}

/*
 * Whether op must run with the target's foreign-key actions firing: the
 * source's log omits what its own actions did (MySQL's binlog), the table
 * is one a foreign key acts on, and op changes a key or deletes.  A replica
 * session fires no action, so that one statement runs as the origin.
 */
static bool
fires_fk_actions(const Applier *a, const TableDef *t, const ApplyOp *op)
{
    if (a->sem.log_has_cascade_effects || !a->as_replica || !t || !t->fk_actions)
        return false;
    return op->kind == APPLY_UPDATE_KEY || op->kind == APPLY_DELETE || op->kind == APPLY_DELETE_GUARDED ||
           op->kind == APPLY_DELETE_MATCH || op->kind == APPLY_UPDATE_MATCH;
}

/* Queues a statement of the apply's own (no parameters, no rows). */
static GwResult
send_setting(PgConn *c, const char *sql)
{
    if (PQsendQueryParams(c->pg, sql, 0, NULL, NULL, NULL, NULL, 0) != 1)
        return pg_report(c, NULL, sql);
    pg_apply_queue_result(c->applier, gw_strdup(sql));
    return GW_OK;
}

/* The change's operations, each as its own statement. */
static GwResult
send_plan(PgConn *c, const Change *ch, const TableDef *t, const ApplyPlan *p)
{
    GwResult rc = GW_OK;
    for (int i = 0; i < p->nops && rc == GW_OK; i++) {
        bool actions = fires_fk_actions(c->applier, t, &p->ops[i]);
        if (actions)
            rc = send_setting(c, "SET LOCAL session_replication_role = origin");
        if (rc == GW_OK)
            rc = pg_apply_send_op(c, &p->ops[i], ch->rel, t, op_what(&p->ops[i], ch->kind));
        if (rc == GW_OK && p->ops[i].must_find)
            rc = check_row_found(c, ch);
        if (rc == GW_OK && actions)
            rc = send_setting(c, "SET LOCAL session_replication_role = replica");
    }
    return rc;
}

/* The change's operations by the rules (apply_rules.h), into c->applier->plan. */
static GwResult
plan_change(PgConn *c, const Change *ch, const TableDef *t)
{
    Applier *a = c->applier;
    gw_grow((void **) &a->key, &a->cap_key, (size_t) ch->rel->ncols + 1, sizeof *a->key);
    bool keyed = apply_rules_key_mask(t, ch->rel, a->key);
    if (!apply_rules_plan(ch, keyed ? a->key : NULL, &a->sem, &a->plan))
        return no_identity(ch, a->plan.refused);
    return GW_OK;
}

/* Whether the i-th table of a TRUNCATE is partitioned on the target (TRUNCATE ONLY refuses one). */
static bool
truncated_partitioned(const Change *ch, uint32_t i)
{
    return ch->rel_defs && ch->rel_defs[i] && table_partitioned(ch->rel_defs[i]);
}


/*
 * On CockroachDB a TRUNCATE is a schema change, run after the transaction
 * commits and able to fail then, after the rest of the group committed
 * (docs: "TRUNCATE", "Online Schema Changes"): the apply's exactly-once
 * needs it inside the transaction, so each table's rows are deleted there,
 * in reverse of the listed order (a cascade lists the referencing tables
 * after those named, so they go first).  RESTART IDENTITY
 * has no CockroachDB form: sequences keep their values.
 */
static GwResult
apply_truncate_as_deletes(PgConn *c, const Change *ch)
{
    GwResult rc = GW_OK;
    for (uint32_t k = ch->nrels; k-- > 0 && rc == GW_OK;) {
        char *q = pg_only_qualified(c, ch->rels[k]->schema, ch->rels[k]->name, truncated_partitioned(ch, k));
        char *sql = gw_asprintf("DELETE FROM %s", q);
        if (PQsendQueryParams(c->pg, sql, 0, NULL, NULL, NULL, NULL, 0) != 1)
            rc = pg_report(c, NULL, "sending a truncate (as a delete)");
        else
            pg_apply_queue_result(c->applier, gw_asprintf("applying %s", sql));
        free(sql);
        free(q);
    }
    if (rc == GW_OK && ch->restart_identity)
        log_warn("a TRUNCATE ... RESTART IDENTITY is applied on CockroachDB without restarting the sequences");
    return rc;
}

static GwResult
apply_truncate(PgConn *c, const Change *ch)
{
    StrBuf sb;
    strbuf_init(&sb);
    if (ch->delete_guard && ch->nrels == 1) {
        /* Only the phase's rows of a table other phases share (see Change.delete_guard). */
        char *name = pg_only_qualified(c, ch->rels[0]->schema, ch->rels[0]->name, truncated_partitioned(ch, 0));
        char *guard = c->base.ops->source->render_predicate(&c->base, ch->delete_guard);
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
    if (c->dialect->sql.crdb) {
        strbuf_free(&sb);
        return apply_truncate_as_deletes(c, ch);
    }
    strbuf_append(&sb, "TRUNCATE ");
    for (uint32_t i = 0; i < ch->nrels; i++) {
        char *q = pg_only_qualified(c, ch->rels[i]->schema, ch->rels[i]->name, truncated_partitioned(ch, i));
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

GwResult
pg_apply_change(EngineConn *conn, const Change *ch, const TableDef *t)
{
    PgConn *c = PG(conn);
    GwResult rc = begin_if_needed(c);
    if (rc)
        return rc;
    if (ch->kind == CHANGE_TRUNCATE) {
        /* What follows must not overtake what is staged. */
        rc = pg_stage_flush(c);
        return rc ? rc : apply_truncate(c, ch);
    }
    if (ch->kind != CHANGE_INSERT && ch->kind != CHANGE_UPDATE && ch->kind != CHANGE_DELETE)
        return GW_OK;
    rc = plan_change(c, ch, t);
    bool staged = false;
    if (rc == GW_OK)
        rc = pg_stage_plan(c, ch->rel, t, &c->applier->plan, &staged);
    if (rc || staged)
        return rc;
    rc = pg_stage_flush(c);
    return rc ? rc : send_plan(c, ch, t, &c->applier->plan);
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
    const char *params[4] = {stream, phase, phase_names_stream_direction(stream), position};
    if (PQsendQueryPrepared(c->pg, "godwit_checkpoint", 4, params, NULL, NULL, 0) != 1 ||
        PQsendQueryParams(c->pg, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) != 1)
        return pg_report(c, NULL, "sending the commit");
    pg_apply_queue_result(a, gw_strdup("writing the checkpoint"));
    pg_apply_queue_result(a, gw_strdup("committing"));
    a->pending.notes[a->pending.len - 1].commit = true;
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
    if (a->pipeline && stmt_queue_waiting(&a->pending) > 0)
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
    stmt_queue_clear(&a->pending);
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
        log_warn("%s %s: cannot set replication origin %s (%s); changes applied now could be read back by the"
                 " stream of the other direction: grant EXECUTE on pg_replication_origin_create and"
                 " pg_replication_origin_session_setup, or use a superuser",
                 role_name(c->base.role), c->base.endpoint->redacted, name,
                 PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
    else
        rc = pg_report(c, res, "setting the replication origin");
    PQclear(res);
    free(name);
    return rc;
}

/*
 * Replicated changes run as a replica, as PostgreSQL's own apply worker: the
 * writer's triggers, rules and foreign-key actions do not fire for them,
 * because what the source's fired is in the stream already (a trigger that
 * maintains a column or another table, a cascade); firing them again would
 * write it twice or differently.  A table with rules accepts the apply's
 * INSERT ... ON CONFLICT only so.  Triggers enabled ALWAYS or REPLICA still
 * fire, as they do for PostgreSQL's apply; the application's own sessions
 * are not affected.
 */
static void
apply_as_replica(PgConn *c)
{
    static atomic_bool warned;
    applier_of(c)->as_replica = pg_as_replica(c);
    if (!c->applier->as_replica && !atomic_exchange(&warned, true))
        log_warn("%s %s: replicated changes fire its triggers, rules and foreign-key actions, writing again what"
                 " the source's already did (cannot set session_replication_role: %s; a superuser can, or a role"
                 " granted SET ON PARAMETER session_replication_role)",
                 role_name(c->base.role), c->base.endpoint->redacted, c->replica_refused);
}

GwResult
pg_apply_setup(EngineConn *conn, const char *stream, bool log_has_cascade_effects)
{
    PgConn *c = PG(conn);
    pg_apply_set_semantics(c, log_has_cascade_effects);
    apply_as_replica(c);
    /*
     * The source is told to discard what the target committed: that commit
     * must survive a crash of the target, whatever its synchronous_commit.
     */
    GwResult rc = pg_exec(c, "SET synchronous_commit = on");
    return rc ? rc : setup_origin(c, stream);
}
