/*
 * pg_state.c: godwit's own state in the `_godwit` schema of the database a
 * stream writes to (DESIGN.md, "State"): phases, fetch progress per shard,
 * stream checkpoints and an audit log of events.
 *
 * Nothing outside these tables is needed to resume any step.  The DDL is
 * idempotent and written in the subset PostgreSQL and CockroachDB share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_describe.h"
#include "util/log.h"
#include "util/mem.h"

static const char *const state_ddl[] = {
    "CREATE SCHEMA IF NOT EXISTS _godwit",
    "CREATE TABLE IF NOT EXISTS _godwit.phases ("
    " name text PRIMARY KEY, status text NOT NULL, stream boolean NOT NULL,"
    " snapshot_position text, slot text, publications text, filters text,"
    " created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE IF NOT EXISTS _godwit.fetch_progress ("
    " phase text NOT NULL, table_schema text NOT NULL, table_name text NOT NULL, shard integer NOT NULL,"
    " nshards integer NOT NULL, lower_key text, upper_key text, done boolean NOT NULL DEFAULT false,"
    " rows bigint, bytes bigint, snapshot_position text, done_at timestamptz,"
    " PRIMARY KEY (phase, table_schema, table_name, shard))",
    "CREATE TABLE IF NOT EXISTS _godwit.checkpoints ("
    " stream text PRIMARY KEY, phase text NOT NULL, direction text NOT NULL, position text NOT NULL,"
    " updated_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE IF NOT EXISTS _godwit.events ("
    " id uuid PRIMARY KEY DEFAULT gen_random_uuid(), at timestamptz NOT NULL DEFAULT now(),"
    " phase text, kind text NOT NULL, detail jsonb)",
    /* Added after the first release: a target whose state predates it gets the column here. */
    "ALTER TABLE _godwit.phases ADD COLUMN IF NOT EXISTS source_options jsonb",
    "ALTER TABLE _godwit.phases ADD COLUMN IF NOT EXISTS failback_slot text",
    "ALTER TABLE _godwit.phases ADD COLUMN IF NOT EXISTS failback_publications text",
    "ALTER TABLE _godwit.phases ADD COLUMN IF NOT EXISTS failback_position text",
    "ALTER TABLE _godwit.phases ADD COLUMN IF NOT EXISTS handoff_position text",
    "ALTER TABLE _godwit.phases ADD COLUMN IF NOT EXISTS fetch_job jsonb",
    "CREATE TABLE IF NOT EXISTS _godwit.stream_lag ("
    " stream text PRIMARY KEY, phase text NOT NULL, lag_seconds double precision NOT NULL, lag_bytes bigint NOT NULL,"
    " observed_at timestamptz NOT NULL DEFAULT now())",
    NULL,
};

GwResult
pg_state_init(EngineConn *conn)
{
    return pg_exec_ddl(PG(conn), state_ddl);
}

static char *
get_or_null(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : gw_strdup(PQgetvalue(res, row, col));
}

/*
 * Whether _godwit.phases exists, and whether it has the columns added after
 * the first release (source_options, then failback_*, then handoff_position,
 * then fetch_job): a read of the state may come before state_init() upgraded
 * it.  *version: 0 to 4.
 */
static GwResult
phases_table_shape(PgConn *c, bool *exists, int *version)
{
    /*
     * Read once per session: columns are only ever added, and a stream asks
     * for its phase many times a second (looking for a handover).
     */
    if (c->phases_version >= 0) {
        *exists = true;
        *version = c->phases_version;
        return GW_OK;
    }
    PGresult *res;
    GwResult rc = pg_query(c,
                           "SELECT to_regclass('_godwit.phases') IS NOT NULL, (SELECT count(*) FROM"
                           " information_schema.columns WHERE table_schema = '_godwit' AND table_name = 'phases'"
                           " AND column_name IN ('source_options', 'failback_position', 'handoff_position', 'fetch_job'))",
                           2, &res);
    if (rc)
        return rc;
    *exists = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    *version = PQntuples(res) == 1 ? atoi(PQgetvalue(res, 0, 1)) : 0;
    PQclear(res);
    /* The newest shape is final; an older one may be migrated by a newer fetch while this session lives. */
    if (*exists && *version >= 4)
        c->phases_version = *version;
    return GW_OK;
}

/* A status this godwit does not know was written by another version: nothing it decides would be safe. */
static GwResult
parse_status(PgConn *c, const char *phase, const char *name, PhaseStatus *out)
{
    if (phase_status_parse(name, out))
        return GW_OK;
    log_error("%s %s: phase '%s' has the status '%s' in _godwit.phases, which this version of godwit does not know",
              role_name(c->base.role), c->base.endpoint->redacted, phase, name);
    return role_error(c->base.role);
}

GwResult
pg_state_get_phase(EngineConn *conn, const char *phase, PhaseState *out, bool *found)
{
    PgConn *c = PG(conn);
    const char *params[1] = {phase};
    PGresult *res;
    memset(out, 0, sizeof *out);
    *found = false;
    /* A target no fetch has touched has no state schema at all. */
    bool has_state;
    int version;
    GwResult rc = phases_table_shape(c, &has_state, &version);
    if (rc || !has_state)
        return rc;
    static const char *const columns[] = {
        "NULL::text, NULL, NULL, NULL, NULL, NULL",
        "source_options::text, NULL, NULL, NULL, NULL, NULL",
        "source_options::text, failback_slot, failback_publications, failback_position, NULL, NULL",
        "source_options::text, failback_slot, failback_publications, failback_position, handoff_position, NULL",
        ("source_options::text, failback_slot, failback_publications, failback_position, handoff_position,"
         " fetch_job::text"),
    };
    char *sql = gw_asprintf("SELECT name, status, stream, snapshot_position, slot, publications, filters, %s"
                            " FROM _godwit.phases WHERE name = $1", columns[version > 4 ? 4 : version]);
    rc = pg_query_params(c, sql, 1, params, 13, &res);
    free(sql);
    if (rc)
        return rc;
    memset(out, 0, sizeof *out);
    *found = PQntuples(res) == 1;
    if (*found) {
        out->name = gw_strdup(PQgetvalue(res, 0, 0));
        rc = parse_status(c, phase, PQgetvalue(res, 0, 1), &out->status);
        out->stream = PQgetvalue(res, 0, 2)[0] == 't';
        out->snapshot_position = get_or_null(res, 0, 3);
        out->slot = get_or_null(res, 0, 4);
        out->publications = get_or_null(res, 0, 5);
        out->filters = get_or_null(res, 0, 6);
        out->source_options = get_or_null(res, 0, 7);
        out->failback_slot = get_or_null(res, 0, 8);
        out->failback_publications = get_or_null(res, 0, 9);
        out->failback_position = get_or_null(res, 0, 10);
        out->handoff_position = get_or_null(res, 0, 11);
        out->fetch_job = get_or_null(res, 0, 12);
    }
    PQclear(res);
    if (rc) {
        phase_state_free(out);
        *found = false;
    }
    return rc;
}

/*
 * fetch_job is written only where the column exists: a target whose state
 * an earlier version made is upgraded by the next fetch, not by a cutover.
 */
GwResult
pg_state_put_phase(EngineConn *conn, const PhaseState *ps)
{
    PgConn *c = PG(conn);
    bool exists;
    int version;
    GwResult rc = phases_table_shape(c, &exists, &version);
    if (rc)
        return rc;
    bool job = version >= 4;
    const char *params[13] = {ps->name, phase_status_name(ps->status), ps->stream ? "true" : "false", ps->snapshot_position,
                              ps->slot, ps->publications, ps->filters, ps->source_options,
                              ps->failback_slot, ps->failback_publications, ps->failback_position,
                              ps->handoff_position, ps->fetch_job};
    char *sql = gw_asprintf("INSERT INTO _godwit.phases (name, status, stream, snapshot_position, slot,"
                            " publications, filters, source_options, failback_slot, failback_publications,"
                            " failback_position, handoff_position%s)"
                            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12%s)"
                            " ON CONFLICT (name) DO UPDATE SET status = excluded.status,"
                            " stream = excluded.stream, snapshot_position = excluded.snapshot_position,"
                            " slot = excluded.slot, publications = excluded.publications,"
                            " filters = excluded.filters, source_options = excluded.source_options,"
                            " failback_slot = excluded.failback_slot,"
                            " failback_publications = excluded.failback_publications,"
                            " failback_position = excluded.failback_position,"
                            " handoff_position = excluded.handoff_position,%s updated_at = now()",
                            job ? ", fetch_job" : "", job ? ", $13::jsonb" : "",
                            job ? " fetch_job = excluded.fetch_job," : "");
    rc = pg_exec_params(c, sql, job ? 13 : 12, params);
    free(sql);
    return rc;
}

GwResult
pg_state_delete_phase(EngineConn *conn, const char *phase)
{
    PgConn *c = PG(conn);
    const char *params[1] = {phase};
    static const char *const sql[] = {
        "DELETE FROM _godwit.fetch_progress WHERE phase = $1",
        "DELETE FROM _godwit.checkpoints WHERE phase = $1",
        "DELETE FROM _godwit.stream_lag WHERE phase = $1",
        "DELETE FROM _godwit.phases WHERE name = $1",
    };
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        GwResult rc = pg_exec_params(c, sql[i], 1, params);
        if (rc)
            return rc;
    }
    return GW_OK;
}

GwResult
pg_state_put_shards(EngineConn *conn, const char *phase, const ShardProgress *shards, int nshards)
{
    PgConn *c = PG(conn);
    GwResult rc = pg_exec(c, "BEGIN");
    for (int i = 0; i < nshards && rc == GW_OK; i++) {
        const ShardProgress *s = &shards[i];
        char shard[16], total[16];
        snprintf(shard, sizeof shard, "%d", s->shard);
        snprintf(total, sizeof total, "%d", s->nshards);
        const char *params[7] = {phase, s->schema, s->table, shard, total, s->lower_json, s->upper_json};
        rc = pg_exec_params(c,
                            "INSERT INTO _godwit.fetch_progress (phase, table_schema, table_name, shard, nshards,"
                            " lower_key, upper_key) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                            7, params);
    }
    if (rc == GW_OK)
        return pg_exec(c, "COMMIT");
    pg_rollback(c);
    return rc;
}

GwResult
pg_state_get_shards(EngineConn *conn, const char *phase, ShardProgress **shards, int *nshards)
{
    PgConn *c = PG(conn);
    const char *params[1] = {phase};
    PGresult *res;
    GwResult rc = pg_query_params(c,
                                  "SELECT table_schema, table_name, shard, nshards, lower_key, upper_key, done,"
                                  " COALESCE(rows, 0), COALESCE(bytes, 0), snapshot_position"
                                  " FROM _godwit.fetch_progress WHERE phase = $1"
                                  " ORDER BY table_schema, table_name, shard",
                                  1, params, 10, &res);
    if (rc)
        return rc;
    int n = PQntuples(res);
    ShardProgress *out = gw_calloc((size_t) n + 1, sizeof *out);
    for (int i = 0; i < n; i++) {
        out[i].schema = gw_strdup(PQgetvalue(res, i, 0));
        out[i].table = gw_strdup(PQgetvalue(res, i, 1));
        out[i].shard = atoi(PQgetvalue(res, i, 2));
        out[i].nshards = atoi(PQgetvalue(res, i, 3));
        out[i].lower_json = get_or_null(res, i, 4);
        out[i].upper_json = get_or_null(res, i, 5);
        out[i].done = PQgetvalue(res, i, 6)[0] == 't';
        out[i].rows = strtoll(PQgetvalue(res, i, 7), NULL, 10);
        out[i].bytes = strtoll(PQgetvalue(res, i, 8), NULL, 10);
        out[i].snapshot_position = get_or_null(res, i, 9);
    }
    PQclear(res);
    *shards = out;
    *nshards = n;
    return GW_OK;
}

GwResult
pg_state_add_event(EngineConn *conn, const char *phase, const char *kind, const char *detail_json)
{
    PgConn *c = PG(conn);
    const char *params[3] = {phase, kind, detail_json};
    return pg_exec_params(c, "INSERT INTO _godwit.events (phase, kind, detail) VALUES ($1, $2, $3::jsonb)", 3,
                          params);
}

/* %s: the phase's observed lags (sql_lags, or an empty array on state that predates them). */
static const char *const sql_report =
    "SELECT json_build_object('phases', COALESCE((SELECT json_agg(json_build_object("
    " 'name', p.name, 'status', p.status, 'stream', p.stream, 'start_position', p.snapshot_position,"
    " 'slot', p.slot, 'publications', p.publications, 'updated_at', p.updated_at,"
    " 'failback_slot', pg_catalog.to_jsonb(p) ->> 'failback_slot',"
    " 'fetch', (SELECT json_build_object('tables', count(DISTINCT (f.table_schema, f.table_name)),"
    "   'shards', count(*), 'shards_done', count(*) FILTER (WHERE f.done), 'rows', COALESCE(sum(f.rows), 0),"
    "   'bytes', COALESCE(sum(f.bytes), 0)) FROM _godwit.fetch_progress f WHERE f.phase = p.name),"
    " 'streams', COALESCE((SELECT json_agg(json_build_object('stream', c.stream, 'direction', c.direction,"
    "   'position', c.position, 'last_apply', c.updated_at,"
    "   'seconds_since_apply', round(extract(epoch FROM now() - c.updated_at)::numeric, 1)) ORDER BY c.stream)"
    "   FROM _godwit.checkpoints c WHERE c.phase = p.name), '[]'),"
    " 'events', COALESCE((SELECT json_agg(json_build_object('kind', e.kind, 'at', e.at, 'detail', e.detail)"
    "   ORDER BY e.at DESC)"
    "   FROM (SELECT kind, at, detail FROM _godwit.events WHERE phase = p.name AND at >= p.created_at"
    "   ORDER BY at DESC LIMIT 5) e), '[]'),"
    /* Events before the phase's row was made are of runs a drop-create started over: not this phase's. */
    " 'last_verify', (SELECT json_build_object('at', v.at, 'detail', v.detail) FROM _godwit.events v"
    "   WHERE v.phase = p.name AND v.kind = 'verify' AND v.at >= p.created_at ORDER BY v.at DESC LIMIT 1),"
    " 'observed_lags', %s"
    " ) ORDER BY p.name) FROM _godwit.phases p), '[]'))::text";

static const char *const sql_lags =
    "COALESCE((SELECT json_agg(json_build_object('stream', l.stream, 'seconds', l.lag_seconds, 'bytes', l.lag_bytes,"
    "   'observed_at', l.observed_at, 'observed_seconds_ago', round(extract(epoch FROM now() - l.observed_at)::numeric, 1))"
    "   ORDER BY l.stream) FROM _godwit.stream_lag l WHERE l.phase = p.name), '[]')";

GwResult
pg_state_report(EngineConn *conn, char **json, bool *found)
{
    PgConn *c = PG(conn);
    PGresult *res;
    *json = NULL;
    GwResult rc = pg_query(c, "SELECT to_regclass('_godwit.phases') IS NOT NULL,"
                              " to_regclass('_godwit.stream_lag') IS NOT NULL", 2, &res);
    if (rc)
        return rc;
    *found = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    bool lags = *found && PQgetvalue(res, 0, 1)[0] == 't';
    PQclear(res);
    if (!*found)
        return GW_OK;
    char *sql = gw_asprintf(sql_report, lags ? sql_lags : "'[]'::json");
    rc = pg_query(c, sql, 1, &res);
    free(sql);
    if (rc)
        return rc;
    if (PQntuples(res) == 1)
        *json = gw_strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return *json ? GW_OK : pg_report(c, NULL, "reading the state report");
}

/*
 * Which other phases hold a table: those whose fetch recorded it (its
 * tables, kept with the phase from when it starts; its shards) or that
 * filter its rows.  A drop-create of one phase must leave their rows alone.
 */
GwResult
pg_state_phases_holding(PgConn *c, const char *phase, const char *schema, const char *table, PgPhaseHold **out,
                        size_t *n)
{
    *out = NULL;
    *n = 0;
    bool exists;
    int version;
    GwResult rc = phases_table_shape(c, &exists, &version);
    if (rc || !exists)
        return rc;
    char *sql = gw_asprintf(
        "SELECT p.name, p.status, (SELECT e->>'predicate' FROM jsonb_array_elements(COALESCE(p.filters, '[]')::jsonb) e"
        "  WHERE e->>'schema' = $2 AND e->>'table' = $3 LIMIT 1)"
        " FROM _godwit.phases p WHERE p.name <> $1 AND ("
        " EXISTS (SELECT 1 FROM _godwit.fetch_progress f WHERE f.phase = p.name AND f.table_schema = $2"
        "  AND f.table_name = $3)"
        " OR EXISTS (SELECT 1 FROM jsonb_array_elements(COALESCE(p.filters, '[]')::jsonb) e"
        "  WHERE e->>'schema' = $2 AND e->>'table' = $3)%s)"
        " ORDER BY p.name",
        version >= 4 ? " OR EXISTS (SELECT 1 FROM jsonb_array_elements(COALESCE(p.fetch_job->'tables', '[]'::jsonb)) e"
                       "  WHERE e->>'schema' = $2 AND e->>'table' = $3)"
                     : "");
    const char *params[3] = {phase, schema, table};
    PGresult *res;
    rc = pg_query_params(c, sql, 3, params, 3, &res);
    free(sql);
    if (rc)
        return rc;
    int rows = PQntuples(res);
    PgPhaseHold *h = gw_calloc((size_t) rows + 1, sizeof *h);
    for (int i = 0; i < rows; i++) {
        h[i].name = gw_strdup(PQgetvalue(res, i, 0));
        h[i].status = gw_strdup(PQgetvalue(res, i, 1));
        h[i].predicate = get_or_null(res, i, 2);
    }
    PQclear(res);
    *out = h;
    *n = (size_t) rows;
    return GW_OK;
}

void
pg_phase_holds_free(PgPhaseHold *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(h[i].name);
        free(h[i].status);
        free(h[i].predicate);
    }
    free(h);
}

GwResult
pg_state_put_lag(EngineConn *conn, const char *phase, const char *stream, double seconds, int64_t bytes)
{
    char secs[32], b[32];
    snprintf(secs, sizeof secs, "%.3f", seconds);
    snprintf(b, sizeof b, "%lld", (long long) bytes);
    const char *params[4] = {stream, phase, secs, b};
    return pg_exec_params(PG(conn),
                          "INSERT INTO _godwit.stream_lag (stream, phase, lag_seconds, lag_bytes, observed_at)"
                          " VALUES ($1, $2, $3, $4, now()) ON CONFLICT (stream) DO UPDATE SET phase = excluded.phase,"
                          " lag_seconds = excluded.lag_seconds, lag_bytes = excluded.lag_bytes,"
                          " observed_at = excluded.observed_at",
                          4, params);
}

GwResult
pg_state_phase_names(EngineConn *conn, char ***names, size_t *n)
{
    PgConn *c = PG(conn);
    *names = NULL;
    *n = 0;
    PGresult *res;
    GwResult rc = pg_query(c, "SELECT to_regclass('_godwit.phases') IS NOT NULL", 1, &res);
    bool exists = rc == GW_OK && PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (rc || !exists)
        return rc;
    rc = pg_query(c, "SELECT name FROM _godwit.phases ORDER BY name", 1, &res);
    if (rc)
        return rc;
    *n = (size_t) PQntuples(res);
    *names = gw_calloc(*n + 1, sizeof **names);
    for (size_t i = 0; i < *n; i++)
        (*names)[i] = gw_strdup(PQgetvalue(res, (int) i, 0));
    PQclear(res);
    return GW_OK;
}
