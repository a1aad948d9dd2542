/*
 * mysql_count.c: counting the rows of a table that match a predicate
 * (SourceOps.count_rows), for the checks of a plan's phases.
 *
 * Read-only: it must never write, because it runs before fetch has
 * created anything.
 */
#include <stdlib.h>
#include <string.h>

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

/*
 * The server parses the row filter against the table's real columns and
 * reads no row (MySQL compares a string with a number without an error, so
 * this finds unknown columns and functions and syntax, not every mismatch).
 * A server error (numbers below 2000) is the operator's to fix; a client
 * error (a lost connection) is the source's.
 */
GwResult
mysql_check_predicate(EngineConn *conn, const TableDef *t, const char *where_sql, const char *text)
{
    MyConn *c = MY(conn);
    char *name = mysql_qualified(t->schema, t->name);
    char *sql = gw_asprintf("SELECT 1 FROM %s WHERE %s LIMIT 0", name, where_sql);
    free(name);
    GwResult rc = GW_OK;
    if (mysql_real_query(c->my, sql, strlen(sql)) == 0) {
        MYSQL_RES *res = mysql_store_result(c->my);
        if (res)
            mysql_free_result(res);
    } else if (mysql_errno(c->my) < 2000) {
        log_error("--where for %s.%s: the source refuses \"%s\": %s", t->schema, t->name, text, mysql_error(c->my));
        rc = GW_ERR_USAGE;
    } else {
        rc = mysql_conn_report(c, "checking a row filter");
    }
    free(sql);
    return rc;
}
