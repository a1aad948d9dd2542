/*
 * mysql_count.c: counting the rows of a table that match a predicate
 * (EngineOps.count_rows), for the checks of a plan's phases.
 *
 * Read-only: it must never write, because it runs before fetch has
 * created anything.
 */
#include <stdlib.h>

#include "engine/mysql/mysql_internal.h"
#include "util/log.h"
#include "util/mem.h"

GwResult
mysql_count_rows(EngineConn *conn, const char *schema, const char *table, const char *where_sql, int64_t *out)
{
    MyConn *c = MY(conn);
    *out = 0;
    char *name = mysql_qualified(schema, table);
    /* Tagged like the other long queries, so that a rerun's end_stale_sessions finds it. */
    char *sql = gw_asprintf("%sSELECT COUNT(*) FROM %s%s%s", c->tag ? c->tag : "", name, where_sql ? " WHERE " : "",
                            where_sql ? where_sql : "");
    free(name);
    MYSQL_RES *res;
    GwResult rc = mysql_conn_query(c, sql, 1, &res);
    free(sql);
    if (rc)
        return rc;
    MYSQL_ROW row = mysql_fetch_row(res);
    if (!row || !row[0]) {
        log_error("%s %s: counting the rows of %s.%s returned no count", role_name(c->base.role),
                  c->base.endpoint->redacted, schema, table);
        rc = role_error(c->base.role);
    } else {
        *out = strtoll(row[0], NULL, 10);
    }
    mysql_free_result(res);
    return rc;
}
