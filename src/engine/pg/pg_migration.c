/*
 * pg_migration.c: the migration a PostgreSQL (or CockroachDB) target
 * belongs to, in _godwit.migration, and the identity of a PostgreSQL source
 * database (engine.h: source_identity, migration_get, migration_put;
 * flow/migration.h says what they are for).
 *
 * The table holds one row: a target database receives one migration.  It is
 * created by migration_put only, the moment fetch first writes state, never
 * by a read.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_describe.h"
#include "util/log.h"
#include "util/mem.h"

static const char *const migration_ddl[] = {
    "CREATE SCHEMA IF NOT EXISTS _godwit",
    "CREATE TABLE IF NOT EXISTS _godwit.migration ("
    " singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), id text NOT NULL,"
    " source_identity text NOT NULL, source_desc text NOT NULL,"
    " created_at timestamptz NOT NULL DEFAULT now())",
    NULL,
};

GwResult
pg_read_identity(PgConn *c, const char *sql, char **identity)
{
    PGresult *res;
    GwResult rc = pg_query(c, sql, 1, &res);
    if (rc)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return pg_report(c, NULL, "reading the database's identity");
    }
    *identity = gw_strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return GW_OK;
}

/*
 * The cluster's system identifier (set by initdb, the same on every
 * physical standby and after a restart, a move or a pg_upgrade --link keeps
 * it too) and the database's name.  pg_control_system() is executable by
 * every role.
 */
GwResult
pg_source_identity(EngineConn *conn, char **identity)
{
    return pg_read_identity(PG(conn),
                            "SELECT 'pg:' || system_identifier::text || '/' || current_database()"
                            " FROM pg_catalog.pg_control_system()",
                            identity);
}

/* The phases an earlier godwit left in _godwit.phases without a migration row, comma separated, or NULL. */
static GwResult
legacy_phases(PgConn *c, char **out)
{
    PGresult *res;
    GwResult rc = pg_query(c,
                           "SELECT string_agg(name, ', ' ORDER BY name) FROM _godwit.phases",
                           1, &res);
    if (rc)
        return rc;
    *out = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) ? gw_strdup(PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    return GW_OK;
}

static GwResult
read_record(PgConn *c, MigrationRecord *out, bool *found)
{
    PGresult *res;
    GwResult rc = pg_query(c, "SELECT id, source_identity, source_desc, created_at::text FROM _godwit.migration",
                           4, &res);
    if (rc)
        return rc;
    *found = PQntuples(res) == 1;
    if (*found) {
        out->id = gw_strdup(PQgetvalue(res, 0, 0));
        out->source_identity = gw_strdup(PQgetvalue(res, 0, 1));
        out->source_desc = gw_strdup(PQgetvalue(res, 0, 2));
        out->created_at = gw_strdup(PQgetvalue(res, 0, 3));
    }
    PQclear(res);
    return GW_OK;
}

GwResult
pg_migration_get(EngineConn *conn, MigrationRecord *out, bool *found, char **legacy)
{
    PgConn *c = PG(conn);
    memset(out, 0, sizeof *out);
    *found = false;
    *legacy = NULL;
    PGresult *res;
    GwResult rc = pg_query(c,
                           "SELECT to_regclass('_godwit.migration') IS NOT NULL,"
                           " to_regclass('_godwit.phases') IS NOT NULL",
                           2, &res);
    if (rc)
        return rc;
    bool has_migration = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    bool has_phases = PQntuples(res) == 1 && PQgetvalue(res, 0, 1)[0] == 't';
    PQclear(res);
    if (has_migration)
        rc = read_record(c, out, found);
    if (rc == GW_OK && !*found && has_phases)
        rc = legacy_phases(c, legacy);
    return rc;
}

GwResult
pg_migration_put(EngineConn *conn, const MigrationRecord *m, MigrationRecord *stored)
{
    PgConn *c = PG(conn);
    memset(stored, 0, sizeof *stored);
    GwResult rc = pg_exec_ddl(c, migration_ddl);
    const char *params[3] = {m->id, m->source_identity, m->source_desc};
    if (rc == GW_OK)
        rc = pg_exec_params(c,
                            "INSERT INTO _godwit.migration (id, source_identity, source_desc) VALUES ($1, $2, $3)"
                            " ON CONFLICT (singleton) DO NOTHING",
                            3, params);
    bool found = false;
    if (rc == GW_OK)
        rc = read_record(c, stored, &found);
    if (rc == GW_OK && !found)
        return pg_report(c, NULL, "recording the migration in _godwit.migration");
    return rc;
}
