/*
 * pg_slots.c: what godwit's streams leave on a PostgreSQL server besides
 * rows: replication slots (listed with the WAL each keeps, and peeked for
 * what their applier has not applied yet), the replication origins the
 * appliers tag their writes with, and checkpoints; and their removal when a
 * phase is over.
 *
 * Peeking decodes the slot's changes without consuming them: the slot stays
 * exactly where it was, so a refusal built on it changes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "core/phase_names.h"
#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_describe.h"
#include "engine/pg/pg_pgoutput.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

GwResult
pg_drop_origin(EngineConn *conn, const char *stream)
{
    PgConn *c = PG(conn);
    char *name = phase_names_origin(stream);
    const char *params[1] = {name};
    GwResult rc = pg_exec_params(c,
                                 "SELECT pg_catalog.pg_replication_origin_drop(roname)"
                                 " FROM pg_catalog.pg_replication_origin WHERE roname = $1",
                                 1, params);
    if (rc == GW_OK)
        log_debug("%s: replication origin %s removed (if it was there)", role_name(c->base.role), name);
    free(name);
    return rc;
}

GwResult
pg_checkpoint_delete(EngineConn *conn, const char *stream)
{
    PgConn *c = PG(conn);
    PGresult *res;
    GwResult rc = pg_query(c, "SELECT pg_catalog.to_regclass('_godwit.checkpoints') IS NOT NULL", 1, &res);
    if (rc)
        return rc;
    /* No _godwit state here: no checkpoint to remove. */
    bool exists = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    const char *params[1] = {stream};
    return exists ? pg_exec_params(c, "DELETE FROM _godwit.checkpoints WHERE stream = $1", 1, params) : GW_OK;
}

GwResult
pg_list_slots(EngineConn *conn, SlotInfo **out, size_t *n)
{
    PgConn *c = PG(conn);
    *out = NULL;
    *n = 0;
    PGresult *res;
    GwResult rc = pg_query(c,
                           "SELECT slot_name, active, temporary,"
                           " COALESCE(pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), restart_lsn), -1)::bigint,"
                           " COALESCE(database, ''), database IS DISTINCT FROM pg_catalog.current_database()"
                           " FROM pg_catalog.pg_replication_slots WHERE slot_name LIKE 'godwit%'"
                           " ORDER BY database IS DISTINCT FROM pg_catalog.current_database(), database, slot_name",
                           6, &res);
    if (rc)
        return rc;
    *n = (size_t) PQntuples(res);
    *out = gw_calloc(*n + 1, sizeof **out);
    for (size_t i = 0; i < *n; i++) {
        SlotInfo *s = &(*out)[i];
        s->name = gw_strdup(PQgetvalue(res, (int) i, 0));
        s->active = PQgetvalue(res, (int) i, 1)[0] == 't';
        s->temporary = PQgetvalue(res, (int) i, 2)[0] == 't';
        s->retained_bytes = strtoll(PQgetvalue(res, (int) i, 3), NULL, 10);
        s->database = gw_strdup(PQgetvalue(res, (int) i, 4));
        s->other_database = PQgetvalue(res, (int) i, 5)[0] == 't';
    }
    PQclear(res);
    return GW_OK;
}

/* "a,b" -> "\"a\",\"b\"": pgoutput reads publication_names as a list of identifiers. */
static char *
quoted_publications(const char *pubs)
{
    StrBuf sb;
    strbuf_init(&sb);
    for (const char *p = pubs; *p;) {
        size_t len = strcspn(p, ",");
        char *name = gw_strndup(p, len);
        char *q = pg_quote_ident(name);
        strbuf_appendf(&sb, "%s%s", sb.len ? "," : "", q);
        free(q);
        free(name);
        p += len + (p[len] == ',');
    }
    return strbuf_take(&sb);
}

/* The transaction being read from the peeked messages. */
typedef struct PeekTxn {
    bool skip;              /* committed before `after`, or written by a godwit stream */
    int64_t changes;
    int64_t bytes;
} PeekTxn;

/* Adds one decoded message to the transaction, and a committed transaction to the total. */
static void
peek_count(PeekTxn *t, const Change *ch, size_t len, StreamPos after, PendingChanges *out)
{
    switch (ch->kind) {
    case CHANGE_BEGIN:
        /* As replicate skips on restart: committed before the checkpoint, already applied. */
        *t = (PeekTxn) {.skip = ch->commit_pos < after};
        break;
    case CHANGE_ORIGIN:
        if (ch->origin && !strncmp(ch->origin, CHANGE_ORIGIN_GODWIT, strlen(CHANGE_ORIGIN_GODWIT)))
            t->skip = true;
        break;
    case CHANGE_INSERT:
    case CHANGE_UPDATE:
    case CHANGE_DELETE:
    case CHANGE_TRUNCATE:
        t->changes++;
        break;
    case CHANGE_COMMIT:
        if (!t->skip && t->changes > 0) {
            out->changes += t->changes;
            out->transactions++;
            out->bytes += t->bytes + (int64_t) len;
        }
        *t = (PeekTxn) {.skip = true};
        return;
    default:
        break;
    }
    t->bytes += (int64_t) len;
}

/* Reads the peek's rows one at a time (a slot may hold far more than fits in memory). */
static GwResult
peek_rows(PgConn *c, StreamPos after, PendingChanges *out)
{
    PgOutputDecoder *d = pgoutput_new();
    PeekTxn txn = {.skip = true};
    GwResult rc = GW_OK;
    char err[256];
    PGresult *res;
    while ((res = PQgetResult(c->pg)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (rc == GW_OK && st == PGRES_SINGLE_TUPLE && PQnfields(res) == 1) {
            Change ch;
            size_t len = (size_t) PQgetlength(res, 0, 0);
            if (pgoutput_decode(d, PQgetvalue(res, 0, 0), len, &ch, err, sizeof err) != 0) {
                log_error("%s %s: peeking a slot's changes: %s", role_name(c->base.role), c->base.endpoint->redacted,
                          err);
                rc = role_error(c->base.role);
            } else {
                peek_count(&txn, &ch, len, after, out);
            }
        } else if (rc == GW_OK && st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK) {
            rc = pg_report(c, res, "peeking the slot's changes");
        }
        PQclear(res);
    }
    pgoutput_free(d);
    return rc;
}

/*
 * Whether the server has a replication slot of that name: in any database
 * (slot names are per server, so a new stream's name must be free
 * everywhere), or in this one only.
 */
GwResult
pg_slot_exists(PgConn *c, const char *slot, bool this_database, bool *exists)
{
    const char *params[2] = {slot, this_database ? "t" : "f"};
    PGresult *res;
    GwResult rc = pg_query_params(c,
                                  "SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1"
                                  " AND (NOT $2::boolean OR database = pg_catalog.current_database())",
                                  2, params, 1, &res);
    if (rc)
        return rc;
    *exists = PQntuples(res) > 0;
    PQclear(res);
    return GW_OK;
}

/*
 * Whether this database has a replication slot of that name (an earlier
 * godwit version's "godwit_<phase>": flow/migration.c refuses it).
 */
GwResult
pg_stream_exists(EngineConn *conn, const char *slot, bool *exists)
{
    PgConn *c = PG(conn);
    *exists = false;
    return pg_slot_exists(c, slot, true, exists);
}

GwResult
pg_stream_pending(EngineConn *conn, const PhaseState *ps, StreamPos after, PendingChanges *out)
{
    PgConn *c = PG(conn);
    memset(out, 0, sizeof *out);
    bool exists = false;
    GwResult rc = ps->slot && ps->publications && *ps->publications ? pg_stream_exists(conn, ps->slot, &exists) : GW_OK;
    if (rc || !exists)
        return rc;
    /*
     * Decoding stops at the WAL flushed so far: a commit made with
     * synchronous_commit = off may not be flushed yet.  A transaction that
     * wrote WAL (a logical message: no table, and no slot publishes it) and
     * commits synchronously flushes all WAL before it.
     */
    rc = pg_exec(c, "BEGIN; SET LOCAL synchronous_commit = on;"
                    " SELECT FROM pg_catalog.pg_logical_emit_message(true, 'godwit', 'flush'); COMMIT");
    if (rc)
        return rc;
    char *pubs = quoted_publications(ps->publications);
    const char *params[2] = {ps->slot, pubs};
    if (PQsendQueryParams(c->pg,
                          "SELECT data FROM pg_catalog.pg_logical_slot_peek_binary_changes($1, NULL, NULL,"
                          " 'proto_version', '1', 'publication_names', $2)",
                          2, NULL, params, NULL, NULL, 1) != 1 ||
        PQsetSingleRowMode(c->pg) != 1) {
        rc = pg_report(c, NULL, "peeking the slot's changes");
        PGresult *res;
        while ((res = PQgetResult(c->pg)) != NULL)
            PQclear(res);
    } else {
        rc = peek_rows(c, after, out);
    }
    free(pubs);
    return rc;
}
