/*
 * pg_count.c: counting the rows of a table that match a predicate
 * (EngineOps.count_rows), for the checks of a plan's phases.
 *
 * Read-only: it must never write, because it runs before fetch has
 * created anything.
 */
#include <stdlib.h>

#include "engine/pg/pg_conn.h"
#include "util/log.h"
#include "util/mem.h"

GwResult
pg_count_rows(EngineConn *conn, const char *schema, const char *table, const char *where_sql, int64_t *out)
{
    PgConn *c = PG(conn);
    *out = 0;
    char *name = pg_only_qualified(c, schema, table);
    char *sql = where_sql ? gw_asprintf("SELECT pg_catalog.count(*) FROM %s WHERE %s", name, where_sql)
                          : gw_asprintf("SELECT pg_catalog.count(*) FROM %s", name);
    free(name);
    PGresult *res;
    GwResult rc = pg_query(c, sql, 1, &res);
    free(sql);
    if (rc)
        return rc;
    if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
        log_error("%s %s: counting the rows of %s.%s returned no count", role_name(c->base.role),
                  c->base.endpoint->redacted, schema, table);
        rc = role_error(c->base.role);
    } else {
        *out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    }
    PQclear(res);
    return rc;
}
