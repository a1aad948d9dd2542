/*
 * pg_snapshot.c: the source's consistent snapshot and the stream that
 * continues from it (DESIGN.md, "Snapshot to stream hand-off").
 *
 * A new stream creates its publication first and then its logical slot with
 * an exported snapshot: pgoutput looks the publication up as of each change,
 * so a publication created after the slot would miss the first changes.
 * The snapshot stays importable while the replication connection that
 * exported it is idle, so that connection is held until snapshot_release().
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/phase_names.h"
#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_describe.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

static GwResult
check_log_settings(PgConn *c)
{
    PGresult *res;
    GwResult rc = pg_query(c,
                           "SELECT current_setting('wal_level'), r.rolname, r.rolsuper OR r.rolreplication"
                           " FROM pg_catalog.pg_roles r WHERE r.rolname = current_user",
                           3, &res);
    if (rc)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return pg_report(c, NULL, "reading wal_level and the role's privileges");
    }
    if (strcmp(PQgetvalue(res, 0, 0), "logical") != 0) {
        log_error("source %s: wal_level is '%s'; streaming changes needs wal_level = logical"
                  " (ALTER SYSTEM SET wal_level = logical, then restart), or use --no-stream",
                  c->base.endpoint->redacted, PQgetvalue(res, 0, 0));
        rc = GW_ERR_USAGE;
    } else if (PQgetvalue(res, 0, 2)[0] != 't') {
        log_error("source %s: role \"%s\" lacks the REPLICATION privilege needed to create a replication slot"
                  " (ALTER ROLE \"%s\" REPLICATION), or use --no-stream",
                  c->base.endpoint->redacted, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 1));
        rc = GW_ERR_USAGE;
    }
    PQclear(res);
    return rc;
}

/* The catalog's tables as a JSON array of [schema, table], a parameter of the checks below. */
static char *
tables_json(const Catalog *cat)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < cat->ntables; i++)
        json_array_append_new(arr, json_pack("[s, s]", cat->tables[i].schema, cat->tables[i].name));
    char *s = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return s;
}

/*
 * The first table of cat the role may not use as the fetch needs: read it
 * (always), and, for a new stream, own it (CREATE PUBLICATION ... FOR TABLE
 * takes only tables the role owns).
 */
static GwResult
check_table_rights(PgConn *c, const Catalog *cat, bool new_stream)
{
    char *json = tables_json(cat);
    const char *params[2] = {json, new_stream ? "t" : "f"};
    PGresult *res;
    GwResult rc = pg_query_params(c,
                                  "SELECT e->>0, e->>1, NOT pg_catalog.has_table_privilege(k.oid, 'SELECT')"
                                  " FROM pg_catalog.json_array_elements($1::json) e"
                                  " JOIN pg_catalog.pg_namespace n ON n.nspname = e->>0"
                                  " JOIN pg_catalog.pg_class k ON k.relnamespace = n.oid AND k.relname = e->>1"
                                  " WHERE NOT pg_catalog.has_table_privilege(k.oid, 'SELECT')"
                                  " OR ($2::boolean AND NOT pg_catalog.pg_has_role(k.relowner, 'USAGE')) LIMIT 1",
                                  2, params, 3, &res);
    free(json);
    if (rc)
        return rc;
    if (PQntuples(res) == 1) {
        bool no_select = PQgetvalue(res, 0, 2)[0] == 't';
        log_error("source %s: role %s %s table %s.%s%s", c->base.endpoint->redacted, PQuser(c->pg),
                  no_select ? "may not read" : "does not own", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
                  no_select ? " (GRANT SELECT on it)"
                            : ", so it cannot publish its changes (run the fetch as the table's owner or a"
                              " superuser), or use --no-stream");
        rc = GW_ERR_USAGE;
    }
    PQclear(res);
    return rc;
}

static GwResult
check_create_publication(PgConn *c)
{
    PGresult *res;
    GwResult rc = pg_query(c, "SELECT pg_catalog.has_database_privilege(current_database(), 'CREATE')", 1, &res);
    if (rc)
        return rc;
    if (PQntuples(res) != 1 || PQgetvalue(res, 0, 0)[0] != 't') {
        log_error("source %s: role %s lacks the CREATE privilege on the database, needed to create the"
                  " phase's publication (GRANT CREATE ON DATABASE ...), or use --no-stream",
                  c->base.endpoint->redacted, PQuser(c->pg));
        rc = GW_ERR_USAGE;
    }
    PQclear(res);
    return rc;
}

static GwResult check_stream_names(PgConn *c, const char *slot);

GwResult
pg_check_source(EngineConn *conn, const Catalog *cat, bool stream, const char *new_stream)
{
    PgConn *c = PG(conn);
    GwResult rc = stream ? check_log_settings(c) : GW_OK;
    if (rc == GW_OK)
        rc = check_table_rights(c, cat, stream && new_stream);
    if (rc == GW_OK && stream && new_stream)
        rc = check_create_publication(c);
    if (rc == GW_OK && stream && new_stream && *new_stream)
        rc = check_stream_names(c, new_stream);
    return rc;
}

/*
 * A new stream's slot (slots are per server: another database's migration
 * may hold the name) and publications must not exist yet: they belong to
 * someone else, and taking them over would break their stream.
 */
static GwResult
check_stream_names(PgConn *c, const char *slot)
{
    char *ins = gw_asprintf("%s" PHASE_NAMES_INSERT_ONLY, slot);
    bool exists = false;
    GwResult rc = pg_slot_exists(c, slot, false, &exists);
    if (rc == GW_OK && exists) {
        log_error("source %s: replication slot \"%s\" already exists: an earlier fetch of this migration's phase"
                  " stopped before recording its state; drop it with SELECT pg_drop_replication_slot('%s')",
                  c->base.endpoint->redacted, slot, slot);
        rc = GW_ERR_USAGE;
    }
    PGresult *res = NULL;
    const char *params[2] = {slot, ins};
    if (rc == GW_OK)
        rc = pg_query_params(c, "SELECT pubname FROM pg_catalog.pg_publication WHERE pubname IN ($1, $2) LIMIT 1",
                             2, params, 1, &res);
    if (rc == GW_OK && PQntuples(res) == 1) {
        log_error("source %s: publication \"%s\" already exists: an earlier fetch of this migration's phase"
                  " stopped before recording its state; drop it (DROP PUBLICATION)", c->base.endpoint->redacted,
                  PQgetvalue(res, 0, 0));
        rc = GW_ERR_USAGE;
    }
    if (res)
        PQclear(res);
    free(ins);
    return rc;
}

/* CREATE_REPLICATION_SLOT on a walsender connection, exporting its snapshot. */
static GwResult
create_slot(PgConn *c, const char *slot, bool temporary, Snapshot *out)
{
    GwResult rc = pg_open(c->base.endpoint, true, &c->repl);
    if (rc)
        return rc;
    char *qslot = pg_quote_ident(slot);
    char *cmd = c->server_version >= 150000
                    ? gw_asprintf("CREATE_REPLICATION_SLOT %s%s LOGICAL pgoutput (SNAPSHOT 'export')", qslot,
                                  temporary ? " TEMPORARY" : "")
                    : gw_asprintf("CREATE_REPLICATION_SLOT %s%s LOGICAL pgoutput EXPORT_SNAPSHOT", qslot,
                                  temporary ? " TEMPORARY" : "");
    free(qslot);
    PGresult *res = PQexec(c->repl, cmd);
    free(cmd);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQnfields(res) < 3) {
        rc = pg_report_on(c, c->repl, res, "creating replication slot");
        PQclear(res);
        return rc;
    }
    out->position = gw_strdup(PQgetvalue(res, 0, 1));
    out->id = gw_strdup(PQgetvalue(res, 0, 2));
    PQclear(res);
    return GW_OK;
}

static GwResult
export_plain_snapshot(PgConn *c, Snapshot *out)
{
    /* The exporting transaction stays open on c->repl until release. */
    GwResult rc = pg_open(c->base.endpoint, false, &c->repl);
    if (rc)
        return rc;
    PGresult *res = PQexec(c->repl, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = pg_report_on(c, c->repl, res, "starting the snapshot transaction");
        PQclear(res);
        return rc;
    }
    PQclear(res);
    res = PQexec(c->repl, "SELECT pg_catalog.pg_export_snapshot(), pg_catalog.pg_current_wal_lsn()::text");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQnfields(res) != 2) {
        rc = pg_report_on(c, c->repl, res, "exporting a snapshot");
        PQclear(res);
        return rc;
    }
    out->id = gw_strdup(PQgetvalue(res, 0, 0));
    out->position = gw_strdup(PQgetvalue(res, 0, 1));
    PQclear(res);
    return GW_OK;
}

GwResult
pg_snapshot_create(EngineConn *conn, const char *slot, const Catalog *cat, SnapshotKind kind, Snapshot *out)
{
    PgConn *c = PG(conn);
    memset(out, 0, sizeof *out);
    if (kind == SNAPSHOT_PLAIN)
        return export_plain_snapshot(c, out);
    if (kind == SNAPSHOT_RESUME) {
        /* A temporary slot gives the exact position of a new snapshot; it is dropped on disconnect. */
        char *tmp = gw_asprintf("%s_r%d", slot, (int) getpid());
        GwResult rc = create_slot(c, tmp, true, out);
        free(tmp);
        return rc;
    }
    GwResult rc = check_stream_names(c, slot);
    if (rc == GW_OK)
        rc = pg_publications_create(c, slot, cat, &out->publications);
    if (rc == GW_OK)
        rc = create_slot(c, slot, false, out);
    if (rc == GW_OK)
        out->slot = gw_strdup(slot);
    if (rc)
        snapshot_free(out);
    return rc;
}

GwResult
pg_snapshot_release(EngineConn *conn)
{
    PgConn *c = PG(conn);
    if (c->repl) {
        PQfinish(c->repl);
        c->repl = NULL;
    }
    return GW_OK;
}

GwResult
pg_snapshot_join(EngineConn *conn, const Snapshot *snap)
{
    PgConn *c = PG(conn);
    char *lit = pg_quote_literal(snap->id);
    GwResult rc = pg_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (rc) {
        free(lit);
        return rc;
    }
    char *sql = gw_asprintf("SET TRANSACTION SNAPSHOT %s", lit);
    rc = pg_exec(c, sql);
    free(sql);
    free(lit);
    return rc;
}

GwResult
pg_drop_stream(EngineConn *conn, const char *slot)
{
    PgConn *c = PG(conn);
    /* The slot and the full publication share the stream's name. */
    char *ins = gw_asprintf("%s" PHASE_NAMES_INSERT_ONLY, slot);
    const char *params[1] = {slot};
    PGresult *res = NULL;
    GwResult rc = pg_query_params(c,
                                  "SELECT pg_catalog.pg_drop_replication_slot(slot_name)"
                                  " FROM pg_catalog.pg_replication_slots WHERE slot_name = $1"
                                  " AND database = pg_catalog.current_database()",
                                  1, params, 1, &res);
    /* A finish run again finds nothing to drop: say so rather than claim a drop. */
    bool dropped = rc == GW_OK && PQntuples(res) > 0;
    PQclear(res);
    for (int i = 0; i < 2 && rc == GW_OK; i++) {
        char *q = pg_quote_ident(i ? ins : slot);
        char *sql = gw_asprintf("DROP PUBLICATION IF EXISTS %s", q);
        rc = pg_exec(c, sql);
        free(sql);
        free(q);
    }
    if (rc == GW_OK && dropped)
        log_info("dropped replication slot %s and its publications on the %s", slot, role_name(c->base.role));
    else if (rc == GW_OK)
        log_info("no replication slot %s on the %s (already removed)", slot, role_name(c->base.role));
    free(ins);
    return rc;
}
