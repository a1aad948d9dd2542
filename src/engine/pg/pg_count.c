/*
 * pg_count.c: counting the rows of a table that match a predicate
 * (SourceOps.count_rows), for the checks of a plan's phases, and checking
 * that the source takes a predicate at all (SourceOps.check_predicate).
 *
 * Read-only: it must never write, because it runs before fetch has
 * created anything.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/pg/pg_conn.h"
#include "util/log.h"
#include "util/mem.h"

GwResult
pg_count_rows(EngineConn *conn, const char *schema, const char *table, const char *where_sql, int64_t *out)
{
    PgConn *c = PG(conn);
    *out = 0;
    bool partitioned;
    GwResult rc = pg_is_partitioned(c, schema, table, &partitioned);
    if (rc)
        return rc;
    char *name = pg_only_qualified(c, schema, table, partitioned);
    char *sql = where_sql ? gw_asprintf("SELECT pg_catalog.count(*) FROM %s WHERE %s", name, where_sql)
                          : gw_asprintf("SELECT pg_catalog.count(*) FROM %s", name);
    free(name);
    PGresult *res;
    rc = pg_query(c, sql, 1, &res);
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

GwResult
pg_count_values(EngineConn *conn, const TableDef *t, size_t col, ValueTest test, const char *where_sql, int64_t *n)
{
    char *q = pg_quote_ident(t->columns[col].name);
    char *cond = test == VALUE_TEST_INFINITE ? gw_asprintf("%s IN ('infinity', '-infinity')", q)
                                             : gw_asprintf("pg_catalog.array_ndims(%s) > 1", q);
    char *where = where_sql ? gw_asprintf("(%s) AND %s", where_sql, cond) : gw_strdup(cond);
    GwResult rc = pg_count_rows(conn, t->schema, t->name, where, n);
    free(where);
    free(cond);
    free(q);
    return rc;
}

/*
 * The server parses and plans the row filter against the table's real
 * columns (a literal of the wrong type, an operator the type lacks) and
 * reads no row.  Errors of the statement itself (classes 22 data, 42
 * syntax or access) are the operator's to fix; any other is the source's.
 */
GwResult
pg_check_predicate(EngineConn *conn, const TableDef *t, const char *where_sql, const char *text)
{
    PgConn *c = PG(conn);
    char *name = pg_qualified(t->schema, t->name);
    char *sql = gw_asprintf("SELECT 1 FROM %s WHERE %s LIMIT 0", name, where_sql);
    free(name);
    PGresult *res = PQexec(c->pg, sql);
    free(sql);
    GwResult rc = GW_OK;
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        rc = GW_OK;
    } else if (state && (!strncmp(state, "22", 2) || !strncmp(state, "42", 2))) {
        const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        log_error("--where for %s.%s: the source refuses \"%s\": %s", t->schema, t->name, text, msg ? msg : state);
        rc = GW_ERR_USAGE;
    } else {
        rc = pg_report(c, res, "checking a row filter");
    }
    PQclear(res);
    return rc;
}
