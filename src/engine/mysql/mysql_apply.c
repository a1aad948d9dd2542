/*
 * mysql_apply.c: applies change events to a MySQL/MariaDB database (the
 * writer side of failback: a PostgreSQL target's changes go back into a
 * MySQL source), in one open transaction per group of source transactions,
 * with the stream's checkpoint written in that same transaction (DESIGN.md,
 * "Exactly-once apply").  What a change does is core/apply_rules.h's; here
 * its operations go into batches and merges (mysql_apply_queue.c) or become
 * statements of their own (mysql_apply_sql.c).  TRUNCATE becomes DELETE
 * FROM: MySQL's TRUNCATE commits by itself, which would split the changes
 * from their checkpoint.
 *
 * The session is set up once per connection (apply_setup): skip_replication
 * (MariaDB), so that a binlog reader can tell godwit's writes from the
 * application's (DESIGN.md, "No loops"), no foreign key checks (the changes
 * arrive in the order the other database accepted them, like PostgreSQL's
 * own apply worker), and strict SQL mode, so a value the column cannot hold
 * is an error, never a silently different value.
 *
 * What it must never do: send a value it did not receive, reorder two
 * changes of one row, or commit changes without their checkpoint.
 */
#include "engine/mysql/mysql_apply.h"

#include <mysqld_error.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_apply_internal.h"
#include "util/log.h"
#include "util/mem.h"

static void
tables_clear(MyApplier *a)
{
    mysql_apply_batch_clear(a);
    mysql_apply_pending_clear(a);
    for (size_t i = 0; i < a->ntables; i++)
        mysql_apply_table_free(a->tables[i]);
    a->ntables = 0;
}

static void
applier_free(MyApplier *a)
{
    tables_clear(a);
    free(a->tables);
    strbuf_free(&a->sql);
    strbuf_free(&a->pending);
    stmt_queue_free(&a->queued);
    strbuf_free(&a->stmt);
    strbuf_free(&a->key_text);
    strbuf_free(&a->row_text);
    apply_plan_free(&a->plan);
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
        c->applier->sem = apply_semantics_today();
        apply_plan_init(&c->applier->plan);
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

static GwResult
begin_if_needed(MyApplier *a, MyConn *c)
{
    if (a->in_txn)
        return GW_OK;
    static const char sql[] = "START TRANSACTION";
    GwResult rc = mysql_apply_queue(a, c, sql, sizeof sql - 1, (StmtNote) {.what = "beginning a transaction"});
    a->in_txn = rc == GW_OK;
    return rc;
}

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
 * An operation that is a statement of its own, after everything before it.
 * When the row must be found (Change.must_exist) and is not there, the row
 * entered the phase without the values needed to insert it.
 */
static GwResult
apply_alone(MyApplier *a, MyConn *c, const ApplyTable *t, const ApplyOp *op)
{
    mysql_apply_stmt_start(a, c);
    GwResult rc = mysql_apply_op_sql(c, t, op, a->text_collation, &a->stmt);
    if (rc == GW_OK)
        rc = mysql_apply_flush(a, c);
    if (rc)
        return rc;
    bool update = op->kind != APPLY_DELETE_MATCH;
    rc = mysql_apply_queue_stmt(a, c, op->kind == APPLY_UPDATE_KEY ? "applying an update of the key"
                                      : update                    ? "applying an update"
                                                                  : "applying a delete",
                                t);
    /* The row count is needed now: this statement goes with what is queued before it. */
    if (rc == GW_OK && op->must_find)
        rc = mysql_apply_send_pending(a, c);
    if (rc == GW_OK && op->must_find && a->last_matched == 0) {
        mysql_conn_note_error(&c->base, 0);
        log_error("%s %s: table %s.%s: a row moved into the phase, but its unchanged TOASTed values were not sent"
                  " and it is not here; set REPLICA IDENTITY FULL on the PostgreSQL table, and copy the row by hand",
                  role_name(c->base.role), c->base.endpoint->redacted, t->schema, t->name);
        rc = GW_ERR_USAGE;
    }
    return rc;
}

/* One operation: into the table's net changes when both allow it, else batched or alone, in order. */
static GwResult
apply_op(MyApplier *a, MyConn *c, ApplyTable *t, const ApplyOp *op)
{
    bool upsert = op->kind == APPLY_UPSERT || op->kind == APPLY_INSERT;
    bool delete = op->kind == APPLY_DELETE || op->kind == APPLY_DELETE_GUARDED;
    if (op->mergeable && t->mergeable && (upsert || delete))
        return mysql_apply_merge_put(a, c, t, upsert ? op->row : op->match, upsert ? op->row : NULL);
    /* What follows is ordered after the table's merged changes. */
    GwResult rc = mysql_apply_merge_send(a, c, t);
    if (rc)
        return rc;
    if (upsert)
        return mysql_apply_batch_add(a, c, t, op->kind == APPLY_UPSERT ? BATCH_UPSERT : BATCH_INSERT, op->row, NULL);
    if (delete)
        return mysql_apply_batch_add(a, c, t, BATCH_DELETE, op->match, op->guard);
    return apply_alone(a, c, t, op);
}

static GwResult
apply_row_change(MyApplier *a, MyConn *c, ApplyTable *t, const Change *ch)
{
    if (!apply_rules_plan(ch, t->has_key ? t->key : NULL, &a->sem, &a->plan))
        return no_identity(c, ch, a->plan.refused);
    GwResult rc = GW_OK;
    for (int i = 0; i < a->plan.nops && rc == GW_OK; i++)
        rc = apply_op(a, c, t, &a->plan.ops[i]);
    return rc;
}

/*
 * TRUNCATE as DELETE FROM: MySQL's TRUNCATE TABLE commits, which would split
 * the group from its checkpoint.  With a guard (a table other phases share),
 * only the rows that match it.
 */
static GwResult
apply_truncate(MyApplier *a, MyConn *c, const Change *ch)
{
    GwResult rc = mysql_apply_merge_send_all(a, c);
    if (rc == GW_OK)
        rc = mysql_apply_flush(a, c);
    for (uint32_t i = 0; i < ch->nrels && rc == GW_OK; i++) {
        mysql_apply_stmt_start(a, c);
        char *q = mysql_qualified(ch->rels[i]->schema, ch->rels[i]->name);
        strbuf_appendf(&a->stmt, "DELETE FROM %s", q);
        free(q);
        if (ch->delete_guard) {
            char *guard = mysql_render_predicate(&c->base, ch->delete_guard);
            strbuf_appendf(&a->stmt, " WHERE %s", guard);
            free(guard);
        }
        rc = mysql_apply_queue_stmt(a, c, "applying a truncate (DELETE FROM)", NULL);
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
    rc = mysql_apply_table_for(a, c, ch->rel, &at);
    return rc ? rc : apply_row_change(a, c, at, ch);
}

GwResult
mysql_apply_commit(EngineConn *conn, const char *stream, const char *phase, const char *position)
{
    MyConn *c = MY(conn);
    MyApplier *a = applier_of(conn);
    GwResult rc = begin_if_needed(a, c);
    if (rc == GW_OK)
        rc = mysql_apply_merge_send_all(a, c);
    if (rc == GW_OK)
        rc = mysql_apply_flush(a, c);
    if (rc)
        return rc;
    /*
     * The checkpoint and COMMIT go in the same round trip as the changes
     * still queued: the server runs neither if a change before them fails.
     */
    mysql_apply_stmt_start(a, c);
    mysql_state_checkpoint_sql(&a->stmt, stream, phase, position);
    rc = mysql_apply_queue_stmt(a, c, "writing the checkpoint", NULL);
    static const char commit[] = "COMMIT";
    if (rc == GW_OK)
        rc = mysql_apply_queue(a, c, commit, sizeof commit - 1, (StmtNote) {.what = "committing"});
    if (rc == GW_OK)
        rc = mysql_apply_send_pending(a, c);
    a->in_txn = false;
    return rc;
}

void
mysql_apply_abort(EngineConn *conn)
{
    /* The connection is closed by the caller next; the open transaction dies with it. */
    MyApplier *a = applier_of(conn);
    a->in_txn = false;
    mysql_apply_merge_forget_all(a);
    mysql_apply_batch_clear(a);
    mysql_apply_pending_clear(a);
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
mysql_apply_setup(EngineConn *conn, const char *stream, bool log_has_cascade_effects)
{
    (void) stream;
    MyConn *c = MY(conn);
    MyApplier *a = applier_of(conn);
    a->sem.log_has_cascade_effects = log_has_cascade_effects;
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

