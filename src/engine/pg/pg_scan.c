/*
 * pg_scan.c: reads for verify: a table's rows in primary-key order, through
 * the key's index, restricted to a shard, a page after a key or a list of
 * keys; and which keys are ordered as verify's merge orders them.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_ddl.h"
#include "engine/pg/pg_describe.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* Types whose btree order is that of their value (numbers) or of their canonical text's bytes. */
enum {
    OID_BOOL = 16, OID_BYTEA = 17, OID_NAME = 19, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25,
    OID_OID = 26, OID_VARCHAR = 1043, OID_DATE = 1082, OID_TIMESTAMP = 1114, OID_TIMESTAMPTZ = 1184,
    OID_NUMERIC = 1700, OID_UUID = 2950,
};

static void
append_where(StrBuf *sb, bool *first, char *cond)
{
    if (!cond)
        return;
    strbuf_appendf(sb, "%s(%s)", *first ? " WHERE " : " AND ", cond);
    *first = false;
    free(cond);
}

static char *
scan_sql(const PgConn *c, const TableDef *t, const ScanRequest *req)
{
    char *name = pg_table_ref(c, t), *cols = ddl_copy_columns(t), *order = ddl_key_order(t);
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_appendf(&sb, "COPY (SELECT %s FROM %s", *cols ? cols : "", name);
    bool first = true;
    append_where(&sb, &first, ddl_key_range(t, req->range));
    append_where(&sb, &first, req->predicate_sql ? gw_strdup(req->predicate_sql) : NULL);
    append_where(&sb, &first, req->after && t->npk ? ddl_key_after(t, req->after) : NULL);
    append_where(&sb, &first, req->keys && t->npk ? ddl_key_in(t, req->keys, req->nkeys) : NULL);
    if (t->npk)
        strbuf_appendf(&sb, " ORDER BY %s", order);
    if (req->limit > 0)
        strbuf_appendf(&sb, " LIMIT %ld", req->limit);
    strbuf_append(&sb, ") TO STDOUT");
    free(name);
    free(cols);
    free(order);
    return strbuf_take(&sb);
}

GwResult
pg_scan_begin(EngineConn *conn, const TableDef *t, const ScanRequest *req)
{
    PgConn *c = PG(conn);
    /* Key order comes from the primary key's index, never from sorting a whole table. */
    GwResult rc = c->dialect->tuning_settings ? pg_exec(c, "SET enable_seqscan = off") : GW_OK;
    if (rc)
        return rc;
    char *sql = scan_sql(c, t, req);
    rc = pg_copy_out_start(c, sql, "reading", t);
    free(sql);
    return rc;
}

static bool
collation_is_binary(const char *collation)
{
    if (!collation)
        return false;
    const char *dot = strrchr(collation, '.');
    const char *name = dot ? dot + 1 : collation;
    return !strcmp(name, "\"C\"") || !strcmp(name, "\"POSIX\"") || !strcmp(name, "C") || !strcmp(name, "POSIX") ||
           !strcmp(name, "\"ucs_basic\"") || !strcmp(name, "ucs_basic");
}

/* The database's default collation is bytewise ("C" or "POSIX"); read once per connection. */
static bool
default_collation_is_binary(PgConn *c)
{
    if (c->db_collation_binary < 0) {
        PGresult *res = NULL;
        c->db_collation_binary = 0;
        if (pg_query(c, "SELECT datcollate FROM pg_catalog.pg_database WHERE datname = current_database()", 1,
                     &res) == GW_OK && PQntuples(res) == 1)
            c->db_collation_binary = collation_is_binary(PQgetvalue(res, 0, 0));
        PQclear(res);
    }
    return c->db_collation_binary == 1;
}

bool
pg_orders_like_bytes(EngineConn *conn, const TableDef *t, size_t col)
{
    PgConn *c = PG(conn);
    const ColumnDef *cd = &t->columns[col];
    switch (cd->type_id) {
    case OID_BOOL: case OID_BYTEA: case OID_INT8: case OID_INT2: case OID_INT4: case OID_OID: case OID_DATE:
    case OID_TIMESTAMP: case OID_TIMESTAMPTZ: case OID_NUMERIC: case OID_UUID:
        return true;
    case OID_TEXT: case OID_VARCHAR: case OID_NAME:
        if (cd->collation_sql)
            return collation_is_binary(cd->collation_sql);
        return default_collation_is_binary(c);
    default:
        return false;
    }
}
