/*
 * crdb_target.c: what CockroachDB does differently as a database written
 * to: its own column types (crdb_types.c), no fence triggers yet, no
 * session list or advisory locks godwit uses, and the changefeeds that
 * carry its changes back to a source (failback).
 */
#include "engine/crdb/crdb_internal.h"

#include <stdlib.h>
#include <string.h>

#include "engine/crdb/crdb_types.h"
#include "engine/pg/pg_changefeed.h"
#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_describe.h"
#include "util/log.h"
#include "util/mem.h"

/*
 * What CockroachDB cannot make as the source has it, said before any data
 * moves: a constraint that would change what the table accepts is refused;
 * a DEFERRABLE one is made immediate, which stalls replication at a source
 * transaction that relied on the deferral.
 */
static GwResult
check_constraints(const TableDef *t)
{
    for (size_t k = 0; k < t->nconstraints; k++) {
        const ConstraintDef *c = &t->constraints[k];
        const char *problem = crdb_constraint_problem(c);
        if (problem) {
            log_error("table %s.%s, constraint %s: %s; drop it on the source or --exclude the table (%s)", t->schema,
                      t->name, c->name, problem, c->definition);
            return GW_ERR_USAGE;
        }
        if (c->definition && strstr(c->definition, "DEFERRABLE") && !strstr(c->definition, "NOT DEFERRABLE"))
            log_warn("table %s.%s, constraint %s: CockroachDB has no DEFERRABLE constraints (cockroach#31632); it is"
                     " checked at each statement there, and a source transaction that relied on deferring it stops"
                     " replicate (drop it on the target until cutover if so)", t->schema, t->name, c->name);
    }
    return GW_OK;
}

GwResult
crdb_check_types(EngineConn *conn, const Catalog *cat, const SchemaScript *objects)
{
    (void) objects;
    (void) conn;
    for (size_t i = 0; i < cat->ntables; i++) {
        const TableDef *t = &cat->tables[i];
        GwResult rc = check_constraints(t);
        if (rc)
            return rc;
        for (size_t j = 0; j < t->ncolumns; j++) {
            const ColumnDef *col = &t->columns[j];
            const char *why;
            char *type = crdb_column_type(cat, col, &why);
            if (!type) {
                log_error("table %s.%s, column %s: type %s cannot be stored in CockroachDB: %s", t->schema,
                          t->name, col->name, col->type_sql, why);
                return GW_ERR_USAGE;
            }
            free(type);
        }
    }
    return GW_OK;
}

/* CockroachDB's binary COPY is not PostgreSQL's: rows go as text. */
bool
crdb_can_copy_binary(EngineConn *conn, const Catalog *cat, const TableDef *t)
{
    (void) conn;
    (void) cat;
    (void) t;
    return false;
}

GwResult
crdb_fence_install(EngineConn *conn, const MigrationPhase *mp, const FenceTable *tables, size_t n)
{
    (void) mp;
    (void) tables;
    (void) n;
    log_error("%s %s: fencing a phase on CockroachDB is not supported yet", role_name(conn->role),
              conn->endpoint->redacted);
    return GW_ERR_USAGE;
}

/* crdb_internal.cluster_sessions would tell; not done (untested there). */
GwResult
crdb_end_stale_sessions(EngineConn *conn)
{
    (void) conn;
    return GW_OK;
}

/*
 * The other open sessions with that application name, on every node
 * (docs: "crdb_internal", cluster_sessions; "SHOW SESSIONS"): a running
 * stream of the phase.  A user without VIEWACTIVITY sees its own user's
 * sessions only, which are godwit's.
 */
static const char *const sql_count_sessions =
    "SELECT count(*) FROM crdb_internal.cluster_sessions WHERE application_name = $1"
    " AND session_id <> (SELECT session_id FROM [SHOW session_id])";

GwResult
crdb_count_sessions(EngineConn *conn, const char *app_name, int *count)
{
    PgConn *c = PG(conn);
    *count = 0;
    PGresult *res;
    const char *params[1] = {app_name};
    GwResult rc = pg_query_params(c, sql_count_sessions, 1, params, 1, &res);
    if (rc)
        return rc;
    *count = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return GW_OK;
}

/* No advisory locks: nothing stops a second runner, and the operator is told so. */
GwResult
crdb_runner_lock(EngineConn *conn, const char *stream, const RunnerInfo *me, bool *taken, RunnerInfo *holder)
{
    (void) me;
    memset(holder, 0, sizeof *holder);
    *taken = true;
    log_warn("%s %s (CockroachDB): godwit cannot make sure that only one process runs stream %s into it;"
             " never start two",
             role_name(conn->role), conn->endpoint->redacted, stream);
    return GW_OK;
}

GwResult
crdb_runner_held(EngineConn *conn, const char *stream, bool *held)
{
    (void) conn;
    (void) stream;
    *held = true;
    return GW_OK;
}

GwResult
crdb_runner_unlock(EngineConn *conn, const char *stream)
{
    (void) conn;
    (void) stream;
    return GW_OK;
}

/* Its cluster's HLC now: a changefeed started at it (cursor=) sends every later change exactly. */
GwResult
crdb_changefeed_cursor(EngineConn *conn, Hlc *now, bool *exact)
{
    *exact = true;
    return pg_changefeed_cursor_query(conn, CRDB_SQL_NOW, now);
}

/*
 * encode_json_value_null_as_object exists from v24.2 (docs "CREATE
 * CHANGEFEED"): before, a JSON null and an SQL NULL arrive alike, as null,
 * and are applied as SQL NULL.
 */
#define JSON_NULL_OPTION ", encode_json_value_null_as_object"
#define JSON_NULL_OPTION_SINCE 2402

GwResult
crdb_changefeed_create(EngineConn *conn, const char *sql, char **job_id)
{
    PgConn *c = PG(conn);
    char *run = gw_strdup(sql);
    char *opt = strstr(run, JSON_NULL_OPTION);
    if (opt && c->crdb_version && c->crdb_version < JSON_NULL_OPTION_SINCE) {
        memmove(opt, opt + strlen(JSON_NULL_OPTION), strlen(opt + strlen(JSON_NULL_OPTION)) + 1);
        log_warn("%s %s: CockroachDB before v24.2 sends a JSON null like an SQL NULL: a json or jsonb value 'null'"
                 " written on it comes back to the source as NULL", role_name(conn->role), conn->endpoint->redacted);
    }
    PGresult *res = PQexec(c->pg, run);
    free(run);
    GwResult rc = GW_OK;
    /* The statement carries a secret: errors name it, never show it. */
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQnfields(res) < 1)
        rc = pg_report(c, res, "creating the changefeed");
    else
        *job_id = gw_strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}

GwResult
crdb_apply_setup(EngineConn *conn, const char *stream, bool log_has_cascade_effects)
{
    (void) stream;
    pg_apply_set_semantics(PG(conn), log_has_cascade_effects);
    /* Changefeeds skip writes of sessions with this setting (CockroachDB's docs, v24.2+): no loop back. */
    return pg_exec_allow(PG(conn), "SET disable_changefeed_replication = true", "42704");
}

/* A query's one value, or NULL (logged at debug) when the server refuses it: a privilege it lacks. */
static char *
one_value(PgConn *c, const char *sql)
{
    PGresult *res = PQexec(c->pg, sql);
    char *v = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && PQnfields(res) >= 1
                  ? gw_strdup(PQgetvalue(res, 0, 0))
                  : NULL;
    if (!v)
        log_debug("%s: %s", sql, PQerrorMessage(c->pg));
    PQclear(res);
    return v;
}

/*
 * docs "Create and Configure Changefeeds": rangefeeds must be on
 * (kv.rangefeed.enabled) on a self-hosted cluster; a changefeed's cursor
 * must be within the tables' gc.ttlseconds ("Configure Replication Zones",
 * default 4 h): its older versions are gone after that.
 */
GwResult
crdb_changefeed_check(EngineConn *conn, const Catalog *tables, int64_t *horizon_seconds)
{
    PgConn *c = PG(conn);
    *horizon_seconds = 0;
    char *on = one_value(c, "SHOW CLUSTER SETTING kv.rangefeed.enabled");
    if (on && strcmp(on, "t") != 0 && strcmp(on, "true") != 0) {
        log_error("%s %s: kv.rangefeed.enabled is off, so no changefeed can run: SET CLUSTER SETTING"
                  " kv.rangefeed.enabled = true, then cut over again", role_name(conn->role), conn->endpoint->redacted);
        free(on);
        return GW_ERR_USAGE;
    }
    if (!on)
        log_warn("%s %s: cannot read kv.rangefeed.enabled (a privilege): a changefeed needs it on",
                 role_name(conn->role), conn->endpoint->redacted);
    free(on);
    for (size_t i = 0; i < tables->ntables; i++) {
        char *name = pg_qualified(tables->tables[i].schema, tables->tables[i].name);
        char *sql = gw_asprintf("SELECT raw_config_sql FROM [SHOW ZONE CONFIGURATION FROM TABLE %s]", name);
        char *config = one_value(c, sql);
        const char *ttl = config ? strstr(config, "gc.ttlseconds = ") : NULL;
        long long seconds = ttl ? atoll(ttl + strlen("gc.ttlseconds = ")) : 0;
        if (seconds > 0 && (*horizon_seconds == 0 || seconds < *horizon_seconds))
            *horizon_seconds = seconds;
        free(config);
        free(sql);
        free(name);
    }
    return GW_OK;
}
