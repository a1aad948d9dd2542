/*
 * pg_scratch.c: EngineOps.scratch_database of PostgreSQL and CockroachDB,
 * the database preflight's probe makes, uses and drops (its statements:
 * pg_ddl.c).
 */
#include <stdlib.h>

#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_ddl.h"
#include "util/mem.h"

/* PostgreSQL 13 ended other sessions of a dropped database itself (DROP DATABASE ... WITH (FORCE)). */
#define PG_DROP_FORCE_SINCE 130000
/* PostgreSQL 15 recorded a database's locale provider (pg_database.datlocprovider, daticulocale). */
#define PG_LOCALE_PROVIDER_SINCE 150000

static const char *const sql_locale_15 =
    "SELECT pg_catalog.pg_encoding_to_char(encoding), datcollate, datctype,"
    " CASE WHEN datlocprovider = 'i' THEN daticulocale END"
    " FROM pg_catalog.pg_database WHERE datname = current_database()";
static const char *const sql_locale =
    "SELECT pg_catalog.pg_encoding_to_char(encoding), datcollate, datctype, NULL"
    " FROM pg_catalog.pg_database WHERE datname = current_database()";

/*
 * On PostgreSQL, made with the connected database's encoding and locale:
 * what the target accepts of a value (a character its encoding lacks) and
 * how it orders text are the migration's database's, not template1's.
 */
static GwResult
create_sql(PgConn *c, const char *name, char **sql)
{
    if (c->dialect->sql.crdb) {
        *sql = ddl_create_database(name, &c->dialect->sql, NULL);
        return GW_OK;
    }
    PGresult *res;
    GwResult rc = pg_query(c, c->server_version >= PG_LOCALE_PROVIDER_SINCE ? sql_locale_15 : sql_locale, 4, &res);
    if (rc)
        return rc;
    DatabaseLocale like = {PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
                           PQgetisnull(res, 0, 3) ? NULL : PQgetvalue(res, 0, 3)};
    *sql = ddl_create_database(name, &c->dialect->sql, &like);
    PQclear(res);
    return GW_OK;
}

/* The probe's sessions have closed when it drops the database, but a backend may not have exited yet. */
GwResult
pg_scratch_database(EngineConn *conn, const char *name, bool create)
{
    PgConn *c = PG(conn);
    char *sql = NULL;
    GwResult rc = create ? create_sql(c, name, &sql) : GW_OK;
    if (!create)
        sql = ddl_drop_database(name, &c->dialect->sql, c->server_version >= PG_DROP_FORCE_SINCE);
    if (rc == GW_OK)
        rc = pg_exec(c, sql);
    free(sql);
    return rc;
}
