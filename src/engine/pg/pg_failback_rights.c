/*
 * pg_failback_rights.c: ApplyOps.check_failback_writes for PostgreSQL:
 * whether the user may do what failback does on this database, asked
 * before a migration starts rather than found at failback's first start,
 * when the phase's writes have already moved.  Changes nothing (the
 * replica setting is tried on the session and reset).
 *
 *   - INSERT, UPDATE and DELETE on each table: failback writes its rows back;
 *   - its state schema `_godwit`: CREATE on the database, or on the schema
 *     if it is there;
 *   - session_replication_role = replica (superuser, or SET ON PARAMETER on
 *     PostgreSQL 15), where a table has triggers, rules or foreign-key
 *     actions: without it they fire again for what the target already did;
 *   - the pg_replication_origin_* functions: without them failback's writes
 *     are not marked as its own (a warning, as at run time: a forward stream
 *     of another phase could read them back).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_describe.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* $1, $2: pg_query_by_catalog's.  Per table: name, the writes it lacks, whether something fires for writes. */
static const char *const sql_tables =
    "SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),"
    "  pg_catalog.concat_ws(', ', CASE WHEN NOT pg_catalog.has_table_privilege(c.oid, 'INSERT') THEN 'INSERT' END,"
    "   CASE WHEN NOT pg_catalog.has_table_privilege(c.oid, 'UPDATE') THEN 'UPDATE' END,"
    "   CASE WHEN NOT pg_catalog.has_table_privilege(c.oid, 'DELETE') THEN 'DELETE' END),"
    "  EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g WHERE g.tgrelid = c.oid AND NOT g.tgisinternal"
    "          AND g.tgname NOT LIKE 'godwit\\_fence\\_%')"
    "  OR c.relhasrules"
    "  OR EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.confrelid = c.oid AND k.contype = 'f'"
    "             AND (k.confupdtype NOT IN ('a', 'r') OR k.confdeltype NOT IN ('a', 'r')))"
    " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.oid = ANY($2::oid[]) AND $1::text[] IS NOT NULL ORDER BY 1";

static const char *const sql_session =
    "SELECT pg_catalog.quote_ident(current_user),"
    "  CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = '_godwit')"
    "   THEN pg_catalog.has_schema_privilege('_godwit', 'USAGE') AND pg_catalog.has_schema_privilege('_godwit', 'CREATE')"
    "   ELSE pg_catalog.has_database_privilege(current_database(), 'CREATE') END,"
    "  r.rolsuper OR (pg_catalog.has_function_privilege('pg_catalog.pg_replication_origin_create(text)', 'EXECUTE')"
    "   AND pg_catalog.has_function_privilege('pg_catalog.pg_replication_origin_session_setup(text)', 'EXECUTE')),"
    "  pg_catalog.quote_ident(current_database())"
    " FROM pg_catalog.pg_roles r WHERE r.rolname = current_user";

static bool
is_true(const PGresult *res, int row, int col)
{
    return !strcmp(PQgetvalue(res, row, col), "t");
}

/* The tables' writes and what fires for them; *fires: one table's name where something would fire again. */
static GwResult
check_tables(PgConn *c, const Catalog *cat, const char *user, LogLevel level, bool *refused, char **fires)
{
    PGresult *res;
    GwResult rc = pg_query_by_catalog(c, sql_tables, cat, 3, &res);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(res); i++) {
        const char *lacking = PQgetvalue(res, i, 1);
        if (*lacking) {
            log_msg(level, "source %s: failback writes the rows of table %s back, which the user may not: as a"
                    " superuser: GRANT %s ON TABLE %s TO %s", c->base.endpoint->redacted, PQgetvalue(res, i, 0),
                    lacking, PQgetvalue(res, i, 0), user);
            *refused = true;
        }
        if (!*fires && is_true(res, i, 2))
            *fires = gw_strdup(PQgetvalue(res, i, 0));
    }
    PQclear(res);
    return GW_OK;
}

GwResult
pg_check_failback_writes(EngineConn *conn, const Catalog *cat, LogLevel level)
{
    PgConn *c = PG(conn);
    PGresult *res;
    GwResult rc = pg_query(c, sql_session, 4, &res);
    if (rc)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return GW_OK;   /* current_user is always a role: nothing to say otherwise */
    }
    char *user = gw_strdup(PQgetvalue(res, 0, 0)), *db = gw_strdup(PQgetvalue(res, 0, 3));
    bool state = is_true(res, 0, 1), origin = is_true(res, 0, 2);
    PQclear(res);
    bool refused = false;
    if (!state) {
        log_msg(level, "source %s: failback keeps its state in schema _godwit, which the user may not make or write: as"
                " a superuser: GRANT CREATE ON DATABASE %s TO %s", c->base.endpoint->redacted, db, user);
        refused = true;
    }
    char *fires = NULL;
    rc = check_tables(c, cat, user, level, &refused, &fires);
    if (rc == GW_OK && fires && !pg_may_be_replica(c)) {
        log_msg(level, "source %s: table %s has triggers, rules or foreign-key actions, which would fire again for the"
                " changes failback writes back (what they did came from the target already); it writes as a"
                " replica, which the user may not (%s): as a superuser: GRANT SET ON PARAMETER"
                " session_replication_role TO %s", c->base.endpoint->redacted, fires, c->replica_refused, user);
        refused = true;
    }
    if (rc == GW_OK && !refused && !origin)
        log_warn("source %s: failback's writes cannot be marked as its own (a replication origin) without EXECUTE on"
                 " pg_replication_origin_create(text) and pg_replication_origin_session_setup(text): a forward"
                 " stream of another phase of the same tables could read them back", c->base.endpoint->redacted);
    free(fires);
    free(user);
    free(db);
    return rc ? rc : refused ? GW_ERR_USAGE : GW_OK;
}
