/*
 * pg_changefeed.c: changefeed cursor and creation on a CockroachDB target,
 * and staging on the source (see pg_changefeed.h; the flow is
 * flow/failback_changefeed.c).
 *
 * Staged changes are keyed by phase, table, key and timestamp, so that a
 * redelivered message (CockroachDB delivers at least once) is stored once;
 * the timestamp is kept as two integers so that SQL orders and compares it
 * exactly.  Staged rows and resolved timestamps leave only inside the
 * apply transaction that writes the checkpoint covering them: a crash at
 * any point loses nothing and applies nothing twice.
 */
#include "engine/pg/pg_changefeed.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/pg/pg_apply_internal.h"
#include "engine/pg/pg_conn.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* Rows per INSERT statement of a staged batch (7 parameters each, under libpq's 65535). */
#define STAGE_ROWS_PER_STATEMENT 500

static const char *const staging_ddl[] = {
    "CREATE SCHEMA IF NOT EXISTS _godwit",
    "CREATE TABLE IF NOT EXISTS _godwit.changefeed_staging ("
    " phase text NOT NULL, table_schema text NOT NULL, table_name text NOT NULL,"
    " key_hash text NOT NULL, key text NOT NULL, wall bigint NOT NULL, logical bigint NOT NULL,"
    " after text NOT NULL, before text, seq bigserial NOT NULL,"
    " received_at timestamptz NOT NULL DEFAULT now(),"
    " PRIMARY KEY (phase, table_schema, table_name, key_hash, wall, logical))",
    "CREATE INDEX IF NOT EXISTS changefeed_staging_order ON _godwit.changefeed_staging (phase, wall, logical, seq)",
    "CREATE TABLE IF NOT EXISTS _godwit.changefeed_resolved ("
    " phase text NOT NULL, wall bigint NOT NULL, logical bigint NOT NULL,"
    " received_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (phase, wall, logical))",
    NULL,
};

GwResult
pg_changefeed_cursor_query(EngineConn *conn, const char *sql, Hlc *now)
{
    PgConn *c = PG(conn);
    PGresult *res;
    GwResult rc = pg_query(c, sql, 1, &res);
    if (rc)
        return rc;
    const char *text = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "";
    if (!hlc_parse(text, strlen(text), now)) {
        log_error("%s %s: the current timestamp '%s' is not an HLC timestamp", role_name(conn->role),
                  conn->endpoint->redacted, text);
        rc = role_error(conn->role);
    }
    PQclear(res);
    return rc;
}

GwResult
pg_changefeed_cursor(EngineConn *conn, Hlc *now, bool *exact)
{
    /*
     * PostgreSQL has no HLC: the microseconds of its clock make a cursor of
     * the same form, which is all a stand-in target needs.
     */
    *exact = false;
    return pg_changefeed_cursor_query(conn,
                                      "SELECT ((extract(epoch FROM pg_catalog.clock_timestamp()) * 1000000)::bigint"
                                      " * 1000)::text", now);
}

GwResult
pg_staging_init(EngineConn *conn)
{
    PgConn *c = PG(conn);
    GwResult rc = pg_exec_ddl(c, staging_ddl);
    if (rc)
        return rc;
    /* A 200 to the webhook promises the batch survives a crash of the source, whatever its default. */
    return c->dialect->synchronous_commit ? pg_exec(c, "SET synchronous_commit = on") : GW_OK;
}

static void
format_int(char *buf, size_t len, int64_t v)
{
    snprintf(buf, len, "%" PRId64, v);
}

/* One INSERT of rows[0..n), n <= STAGE_ROWS_PER_STATEMENT. */
static GwResult
put_rows(PgConn *c, const char *phase, const StagedChange *rows, size_t n)
{
    StrBuf sql;
    strbuf_init(&sql);
    strbuf_append(&sql, "INSERT INTO _godwit.changefeed_staging"
                        " (phase, table_schema, table_name, key, key_hash, wall, logical, after, before) VALUES ");
    const char **params = gw_calloc(n * 7 + 2, sizeof *params);
    char (*ints)[2][24] = gw_calloc(n + 1, sizeof *ints);
    params[0] = phase;
    int p = 1;
    for (size_t i = 0; i < n; i++) {
        format_int(ints[i][0], sizeof ints[i][0], rows[i].updated.wall);
        format_int(ints[i][1], sizeof ints[i][1], rows[i].updated.logical);
        strbuf_appendf(&sql, "%s($1, $%d, $%d, $%d, pg_catalog.md5($%d), $%d::bigint, $%d::bigint, $%d, $%d)",
                       i ? ", " : "", p + 1, p + 2, p + 3, p + 3, p + 4, p + 5, p + 6, p + 7);
        params[p++] = rows[i].schema;
        params[p++] = rows[i].table;
        params[p++] = rows[i].key;
        params[p++] = ints[i][0];
        params[p++] = ints[i][1];
        params[p++] = rows[i].after;
        params[p++] = rows[i].before;
    }
    /* A redelivery of a staged change: the first copy stays. */
    strbuf_append(&sql, " ON CONFLICT DO NOTHING");
    GwResult rc = pg_exec_params(c, sql.data, p, params);
    strbuf_free(&sql);
    free(params);
    free(ints);
    return rc;
}

GwResult
pg_staging_put(EngineConn *conn, const char *phase, const StagedChange *rows, size_t n)
{
    PgConn *c = PG(conn);
    GwResult rc = pg_exec(c, "BEGIN");
    for (size_t i = 0; rc == GW_OK && i < n; i += STAGE_ROWS_PER_STATEMENT)
        rc = put_rows(c, phase, rows + i, n - i < STAGE_ROWS_PER_STATEMENT ? n - i : STAGE_ROWS_PER_STATEMENT);
    if (rc == GW_OK)
        rc = pg_exec(c, "COMMIT");
    if (rc)
        pg_rollback(c);
    return rc;
}

GwResult
pg_staging_resolve(EngineConn *conn, const char *phase, Hlc resolved)
{
    char wall[24], logical[24];
    format_int(wall, sizeof wall, resolved.wall);
    format_int(logical, sizeof logical, resolved.logical);
    const char *params[3] = {phase, wall, logical};
    /* Only forward: an older or repeated resolved timestamp says nothing new. */
    return pg_exec_params(PG(conn),
                          "INSERT INTO _godwit.changefeed_resolved (phase, wall, logical)"
                          " SELECT $1, $2::bigint, $3::bigint WHERE NOT EXISTS (SELECT 1 FROM _godwit.changefeed_resolved"
                          " WHERE phase = $1 AND (wall, logical) >= ($2::bigint, $3::bigint))"
                          " ON CONFLICT DO NOTHING",
                          3, params);
}

static bool
parse_int(const char *s, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    *out = v;
    return end != s && *end == '\0';
}

GwResult
pg_staging_next_resolved(EngineConn *conn, const char *phase, Hlc after, Hlc *next, bool *found)
{
    PgConn *c = PG(conn);
    char wall[24], logical[24];
    format_int(wall, sizeof wall, after.wall);
    format_int(logical, sizeof logical, after.logical);
    const char *params[3] = {phase, wall, logical};
    PGresult *res;
    GwResult rc = pg_query_params(c,
                                  "SELECT wall, logical FROM _godwit.changefeed_resolved WHERE phase = $1"
                                  " AND (wall, logical) > ($2::bigint, $3::bigint) ORDER BY wall, logical LIMIT 1",
                                  3, params, 2, &res);
    if (rc)
        return rc;
    *found = PQntuples(res) == 1;
    if (*found && (!parse_int(PQgetvalue(res, 0, 0), &next->wall) || !parse_int(PQgetvalue(res, 0, 1), &next->logical)))
        rc = pg_report(c, res, "reading a resolved timestamp");
    PQclear(res);
    return rc;
}

GwResult
pg_staging_read(EngineConn *conn, const char *phase, Hlc from, int64_t from_seq, Hlc upto, size_t limit,
                StagedChange **rows, size_t *n)
{
    PgConn *c = PG(conn);
    char ints[6][24];
    format_int(ints[0], sizeof ints[0], from.wall);
    format_int(ints[1], sizeof ints[1], from.logical);
    format_int(ints[2], sizeof ints[2], from_seq);
    format_int(ints[3], sizeof ints[3], upto.wall);
    format_int(ints[4], sizeof ints[4], upto.logical);
    format_int(ints[5], sizeof ints[5], (int64_t) limit);
    const char *params[7] = {phase, ints[0], ints[1], ints[2], ints[3], ints[4], ints[5]};
    PGresult *res;
    GwResult rc = pg_query_params(c,
                                  "SELECT table_schema, table_name, key, wall, logical, after, before, seq"
                                  " FROM _godwit.changefeed_staging WHERE phase = $1"
                                  " AND (wall, logical, seq) > ($2::bigint, $3::bigint, $4::bigint)"
                                  " AND (wall, logical) <= ($5::bigint, $6::bigint)"
                                  " ORDER BY wall, logical, seq LIMIT $7::bigint",
                                  7, params, 8, &res);
    if (rc)
        return rc;
    int count = PQntuples(res);
    StagedChange *out = gw_calloc((size_t) count + 1, sizeof *out);
    for (int i = 0; i < count && rc == GW_OK; i++) {
        StagedChange *s = &out[i];
        s->schema = gw_strdup(PQgetvalue(res, i, 0));
        s->table = gw_strdup(PQgetvalue(res, i, 1));
        s->key = gw_strdup(PQgetvalue(res, i, 2));
        s->after = gw_strdup(PQgetvalue(res, i, 5));
        s->before = PQgetisnull(res, i, 6) ? NULL : gw_strdup(PQgetvalue(res, i, 6));
        if (!parse_int(PQgetvalue(res, i, 3), &s->updated.wall) || !parse_int(PQgetvalue(res, i, 4), &s->updated.logical) ||
            !parse_int(PQgetvalue(res, i, 7), &s->seq))
            rc = pg_report(c, res, "reading staged changes");
    }
    PQclear(res);
    *rows = out;
    *n = (size_t) count;
    return rc;
}

GwResult
pg_staging_discard(EngineConn *conn, const char *phase, Hlc upto)
{
    PgConn *c = PG(conn);
    GwResult rc = pg_apply_begin(c);
    if (rc)
        return rc;
    char wall[24], logical[24];
    format_int(wall, sizeof wall, upto.wall);
    format_int(logical, sizeof logical, upto.logical);
    const char *params[3] = {phase, wall, logical};
    static const char *const sql[2] = {
        "DELETE FROM _godwit.changefeed_staging WHERE phase = $1 AND (wall, logical) <= ($2::bigint, $3::bigint)",
        "DELETE FROM _godwit.changefeed_resolved WHERE phase = $1 AND (wall, logical) <= ($2::bigint, $3::bigint)",
    };
    for (int i = 0; i < 2; i++) {
        if (PQsendQueryParams(c->pg, sql[i], 3, NULL, params, NULL, NULL, 0) != 1)
            return pg_report(c, NULL, "discarding applied changefeed changes");
        pg_apply_queue_result(c->applier, gw_strdup("discarding applied changefeed changes"));
    }
    return GW_OK;
}
