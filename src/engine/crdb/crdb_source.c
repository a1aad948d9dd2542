/*
 * crdb_source.c: what CockroachDB does differently as a database read from:
 * no replication slots, publications or origins (its change stream is a
 * changefeed, engine/pg/pg_changefeed.c), and a snapshot is a cluster
 * timestamp every session reads AS OF.
 */
#include "engine/crdb/crdb_internal.h"

#include <stdlib.h>
#include <string.h>

#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_describe.h"
#include "util/mem.h"
#include "util/sleep.h"

/* Nothing to check: verify reads it as of a timestamp, and nothing streams from it through a slot. */
GwResult
crdb_check_source(EngineConn *conn, const Catalog *cat, bool stream, const char *new_stream)
{
    (void) conn;
    (void) cat;
    (void) stream;
    (void) new_stream;
    return GW_OK;
}

/* CockroachDB exports no snapshot: every session reads AS OF SYSTEM TIME one cluster timestamp. */
static GwResult
plain_snapshot(PgConn *c, Snapshot *out)
{
    PGresult *res;
    GwResult rc = pg_query(c, CRDB_SQL_NOW, 1, &res);
    if (rc)
        return rc;
    out->id = gw_strdup(PQgetvalue(res, 0, 0));
    out->position = gw_strdup(out->id);
    PQclear(res);
    return GW_OK;
}

GwResult
crdb_snapshot_create(EngineConn *conn, const char *slot, const Catalog *cat, SnapshotKind kind, Snapshot *out)
{
    if (kind != SNAPSHOT_PLAIN)
        return pg_snapshot_create(conn, slot, cat, kind, out);
    memset(out, 0, sizeof *out);
    return plain_snapshot(PG(conn), out);
}

/*
 * The snapshot's timestamp came from one node's clock; another node whose
 * clock is behind refuses it as "in the future" until its clock passes it,
 * which the cluster's maximum clock offset bounds (docs "AS OF SYSTEM TIME",
 * --max-offset, 500 ms by default): such a refusal is waited out.
 */
#define JOIN_WAIT_MS 50
#define JOIN_WAIT_MAX_MS 5000

GwResult
crdb_snapshot_join(EngineConn *conn, const Snapshot *snap)
{
    PgConn *c = PG(conn);
    char *lit = pg_quote_literal(snap->id);
    char *begin = gw_asprintf("BEGIN AS OF SYSTEM TIME %s", lit);
    GwResult rc = GW_OK;
    for (int waited = 0;; waited += JOIN_WAIT_MS) {
        PGresult *res = PQexec(c->pg, begin);
        bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        const char *msg = ok ? NULL : PQresultErrorMessage(res);
        bool future = msg && strstr(msg, "in the future") && waited < JOIN_WAIT_MAX_MS;
        if (!ok && !future)
            rc = pg_report(c, res, "joining the snapshot (AS OF SYSTEM TIME)");
        PQclear(res);
        if (ok || !future)
            break;
        PQclear(PQexec(c->pg, "ROLLBACK"));
        sleep_ms(JOIN_WAIT_MS);
    }
    free(begin);
    free(lit);
    return rc;
}

/*
 * A table made without a primary key gets a hidden key column, rowid,
 * DEFAULT unique_rowid() (docs "Primary Key Constraint"), and a hash-sharded
 * index a hidden computed crdb_internal_..._shard_N column (docs
 * "Hash-sharded Indexes"); pg_attribute lists both as any other column, and
 * information_schema.columns marks them is_hidden (docs
 * "information_schema").  Neither is the source's: left out, the table has
 * no key, as on the source.  A column the operator made NOT VISIBLE stays.
 */
static const char *const sql_hidden_columns =
    "SELECT table_schema, table_name, column_name FROM information_schema.columns"
    " WHERE is_hidden = 'YES' AND table_catalog = current_database()"
    " AND (column_default LIKE 'unique_rowid()%' OR column_name LIKE 'crdb\\_internal\\_%')";

GwResult
crdb_describe(EngineConn *conn, Selection *sel, Catalog *out)
{
    GwResult rc = pg_describe(conn, sel, out);
    PGresult *res = NULL;
    if (rc == GW_OK)
        rc = pg_query(PG(conn), sql_hidden_columns, 3, &res);
    for (int i = 0; rc == GW_OK && i < PQntuples(res); i++) {
        TableDef *t = catalog_find_table(out, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
        ssize_t col = t ? table_find_column(t, PQgetvalue(res, i, 2)) : -1;
        if (col >= 0)
            table_drop_hidden_column(t, (size_t) col);
    }
    PQclear(res);
    return rc;
}

/* CockroachDB has no pg_control_system(): its cluster id. */
GwResult
crdb_source_identity(EngineConn *conn, char **identity)
{
    return pg_read_identity(PG(conn), "SELECT 'crdb:' || crdb_internal.cluster_id()::text || '/' || current_database()",
                            identity);
}

/* CockroachDB has no replication slots. */
GwResult
crdb_stream_exists(EngineConn *conn, const char *slot, bool *exists)
{
    (void) conn;
    (void) slot;
    *exists = false;
    return GW_OK;
}

GwResult
crdb_list_slots(EngineConn *conn, SlotInfo **out, size_t *n)
{
    (void) conn;
    *out = NULL;
    *n = 0;
    return GW_OK;
}

/* No slot holds anything. */
GwResult
crdb_stream_pending(EngineConn *conn, const PhaseState *ps, StreamPos after, PendingChanges *out)
{
    (void) conn;
    (void) ps;
    (void) after;
    memset(out, 0, sizeof *out);
    return GW_OK;
}

/* No replication origins: nothing to remove. */
GwResult
crdb_drop_origin(EngineConn *conn, const char *stream)
{
    (void) conn;
    (void) stream;
    return GW_OK;
}
