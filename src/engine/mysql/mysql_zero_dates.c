/*
 * mysql_zero_dates.c: SourceOps.nullable_by_values for MySQL and MariaDB.
 * With --zero-dates null a zero date ('0000-00-00', a zero month or day:
 * mysql_value_check_date's MYDATE_ZERO) is loaded as NULL, so a NOT NULL
 * date column that holds one cannot keep its NOT NULL on the target; every
 * other keeps it, so that a NULL written on the target after cutover is
 * refused there and never stops failback.  One pass per table counts them
 * over the phase's rows.  A zero date written later into a column that
 * kept its NOT NULL stops replicate at that row, naming the column.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_internal.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* The table's columns that may lose their NOT NULL, with their place in mt; n of them. */
static size_t
droppable_columns(const TableDef *t, const MyTable *mt, ColumnDef **defs, size_t *cols)
{
    size_t n = 0;
    for (size_t i = 0; i < t->ncolumns; i++) {
        ColumnDef *cd = &t->columns[i];
        if (!cd->not_null_droppable || !cd->not_null)
            continue;
        for (size_t k = 0; k < mt->ncols; k++)
            if (!strcmp(mt->cols[k].name, cd->name)) {
                defs[n] = cd;
                cols[n++] = k;
            }
    }
    return n;
}

static char *
count_sql(const MyConn *c, const MyTable *mt, const size_t *cols, size_t n)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_appendf(&sb, "%sSELECT ", c->tag ? c->tag : "");
    for (size_t i = 0; i < n; i++) {
        char *q = mysql_quote_ident(mt->cols[cols[i]].name);
        strbuf_appendf(&sb, "%sCOALESCE(SUM(%s IS NOT NULL AND (YEAR(%s) = 0 OR MONTH(%s) = 0 OR DAYOFMONTH(%s) = 0)),"
                       " 0)", i ? ", " : "", q, q, q, q);
        free(q);
    }
    char *name = mysql_qualified(mt->schema, mt->name);
    strbuf_appendf(&sb, " FROM %s", name);
    free(name);
    if (mt->where_sql)
        strbuf_appendf(&sb, " WHERE %s", mt->where_sql);
    return strbuf_take(&sb);
}

static GwResult
relax_table(MyConn *c, TableDef *t)
{
    const MyTable *mt = mysql_table_get(c, t->schema, t->name);
    if (!mt)
        return GW_OK;
    ColumnDef **defs = gw_calloc(t->ncolumns + 1, sizeof *defs);
    size_t *cols = gw_calloc(t->ncolumns + 1, sizeof *cols);
    size_t n = droppable_columns(t, mt, defs, cols);
    GwResult rc = GW_OK;
    if (n > 0) {
        char *sql = count_sql(c, mt, cols, n);
        MYSQL_RES *res;
        rc = mysql_conn_query(c, sql, (unsigned) n, &res);
        free(sql);
        MYSQL_ROW row = rc == GW_OK ? mysql_fetch_row(res) : NULL;
        for (size_t i = 0; row && i < n; i++) {
            long long zeros = row[i] ? atoll(row[i]) : 0;
            if (zeros == 0)
                continue;
            defs[i]->not_null = false;
            log_info("source table %s.%s: column %s is nullable on the target: %lld row(s) hold zero dates, loaded"
                     " as NULL (--zero-dates null)", t->schema, t->name, defs[i]->name, zeros);
        }
        if (rc == GW_OK)
            mysql_free_result(res);
    }
    free(defs);
    free(cols);
    return rc;
}

GwResult
mysql_nullable_by_values(EngineConn *conn, Catalog *cat)
{
    GwResult rc = GW_OK;
    for (size_t i = 0; i < cat->ntables && rc == GW_OK; i++)
        rc = relax_table(MY(conn), &cat->tables[i]);
    return rc;
}
