/*
 * mysql_objects.c: SourceOps.objects_left_out for MySQL and MariaDB: the
 * views, triggers, stored procedures and functions and events of the
 * fetched tables' databases, which fetch does not make on a PostgreSQL
 * target (their SQL is MySQL's), so that the report names each one.  A
 * trigger is listed with its table; triggers of tables not fetched are not
 * this fetch's business, nor are godwit's own (another phase's fence).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_conn.h"
#include "engine/mysql/mysql_internal.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* %s: the fetched tables' databases, as a list of literals. */
static const char *const sql_objects =
    "SELECT 'view', TABLE_SCHEMA, TABLE_NAME, '' FROM information_schema.VIEWS WHERE TABLE_SCHEMA IN (%s)"
    " UNION ALL SELECT LOWER(ROUTINE_TYPE), ROUTINE_SCHEMA, ROUTINE_NAME, '' FROM information_schema.ROUTINES"
    "  WHERE ROUTINE_SCHEMA IN (%s)"
    " UNION ALL SELECT 'trigger', EVENT_OBJECT_SCHEMA, TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS"
    "  WHERE EVENT_OBJECT_SCHEMA IN (%s) AND " MYSQL_NOT_OWN_TRIGGER
    " UNION ALL SELECT 'event', EVENT_SCHEMA, EVENT_NAME, '' FROM information_schema.EVENTS WHERE EVENT_SCHEMA IN (%s)"
    " ORDER BY 1, 2, 3";

static char *
databases_of(const Catalog *cat)
{
    StrBuf sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < cat->ntables; i++) {
        if (!catalog_first_of_schema(cat, i))
            continue;
        char *q = mysql_quote_literal(cat->tables[i].schema);
        strbuf_appendf(&sb, "%s%s", sb.len ? ", " : "", q);
        free(q);
    }
    return strbuf_take(&sb);
}

GwResult
mysql_objects_left_out(EngineConn *conn, const Catalog *cat, SchemaObjects *out)
{
    MyConn *c = MY(conn);
    if (cat->ntables == 0)
        return GW_OK;
    char *dbs = databases_of(cat);
    char *sql = gw_asprintf(sql_objects, dbs, dbs, dbs, dbs);
    free(dbs);
    MYSQL_RES *res;
    GwResult rc = mysql_conn_query(c, sql, 4, &res);
    free(sql);
    if (rc)
        return rc;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res))) {
        const char *kind = row[0], *schema = row[1], *name = row[2], *table = row[3];
        bool on_table = table && *table;
        if (on_table && !catalog_find_table(cat, schema, table))
            continue;
        char *shown = on_table ? gw_asprintf("%s ON %s.%s", name, schema, table) : gw_asprintf("%s.%s", schema, name);
        schema_objects_add(out, kind, shown);
        free(shown);
    }
    mysql_free_result(res);
    return GW_OK;
}
