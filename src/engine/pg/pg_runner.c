/*
 * pg_runner.c: the runner lock of a stream written to PostgreSQL (see
 * ApplyOps.runner_lock, flow/runner_lock.c): a session-level advisory lock
 * keyed (PG_RUNNER_LOCK_CLASS, hash of the stream's name), and the holder's
 * row in _godwit.runners, which names the database session holding the
 * lock so that a row left by a dead runner is never taken for the live
 * holder's.
 *
 * It must never wait for the lock: a second runner is refused at once.
 * CockroachDB has no session locks: there, nothing is locked (runner_lock
 * says taken).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/pg/pg_conn.h"
#include "util/log.h"

static const char *const ddl_runners[] = {
    "CREATE SCHEMA IF NOT EXISTS _godwit",
    "CREATE TABLE IF NOT EXISTS _godwit.runners (stream text PRIMARY KEY, host text NOT NULL, pid bigint NOT NULL,"
    " started_at timestamptz NOT NULL, session bigint NOT NULL)",
    NULL,
};

/* The lock's second key: FNV-1a of the stream's name, as a positive int4 (pg_locks shows it as an oid). */
static void
lock_key(const char *stream, char *buf, size_t len)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *) stream; *p; p++)
        h = (h ^ *p) * 16777619u;
    snprintf(buf, len, "%u", (unsigned) (h & 0x7fffffffu));
}

/* The session holding the lock, in this database. */
#define SQL_LOCK_HOLDER                                                                                       \
    "SELECT l.pid FROM pg_catalog.pg_locks l WHERE l.locktype = 'advisory' AND l.granted"                    \
    " AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())" \
    " AND l.classid = " PG_RUNNER_LOCK_CLASS "::oid AND l.objid = $1::int4::oid AND l.objsubid = 2"

static GwResult
record_me(PgConn *c, const char *stream, const RunnerInfo *me)
{
    GwResult rc = pg_exec_ddl(c, ddl_runners);
    char pid[32];
    snprintf(pid, sizeof pid, "%lld", me->pid);
    const char *params[3] = {stream, me->host, pid};
    if (rc == GW_OK)
        rc = pg_exec_params(c,
                            "INSERT INTO _godwit.runners (stream, host, pid, started_at, session)"
                            " VALUES ($1, $2, $3::bigint, pg_catalog.now(), pg_catalog.pg_backend_pid())"
                            " ON CONFLICT (stream) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid,"
                            " started_at = EXCLUDED.started_at, session = EXCLUDED.session",
                            3, params);
    return rc;
}

/* Who holds the lock: its session, and its row if the row names that session. */
static GwResult
read_holder(PgConn *c, const char *stream, const char *key, RunnerInfo *holder)
{
    memset(holder, 0, sizeof *holder);
    PGresult *res;
    GwResult rc = pg_query(c, "SELECT to_regclass('_godwit.runners') IS NOT NULL", 1, &res);
    if (rc)
        return rc;
    bool table = PQntuples(res) == 1 && !strcmp(PQgetvalue(res, 0, 0), "t");
    PQclear(res);
    const char *params[2] = {key, stream};
    rc = table ? pg_query_params(c,
                                 "SELECT h.pid, r.host, r.pid, pg_catalog.to_char(r.started_at AT TIME ZONE 'UTC',"
                                 " 'YYYY-MM-DD HH24:MI:SS \"UTC\"') FROM (" SQL_LOCK_HOLDER ") h(pid)"
                                 " LEFT JOIN _godwit.runners r ON r.stream = $2 AND r.session = h.pid",
                                 2, params, 4, &res)
               : pg_query_params(c, "SELECT h.pid, NULL, NULL, NULL FROM (" SQL_LOCK_HOLDER ") h(pid)", 1, params, 4,
                                 &res);
    if (rc)
        return rc;
    if (PQntuples(res) >= 1) {
        holder->session = atoll(PQgetvalue(res, 0, 0));
        holder->recorded = !PQgetisnull(res, 0, 1);
        if (holder->recorded) {
            snprintf(holder->host, sizeof holder->host, "%s", PQgetvalue(res, 0, 1));
            holder->pid = atoll(PQgetvalue(res, 0, 2));
            snprintf(holder->since, sizeof holder->since, "%s", PQgetvalue(res, 0, 3));
        }
    }
    PQclear(res);
    return GW_OK;
}

GwResult
pg_runner_lock(EngineConn *conn, const char *stream, const RunnerInfo *me, bool *taken, RunnerInfo *holder)
{
    PgConn *c = PG(conn);
    memset(holder, 0, sizeof *holder);
    *taken = true;
    char key[16];
    lock_key(stream, key, sizeof key);
    const char *params[1] = {key};
    PGresult *res;
    /*
     * The lock goes with the session: when the runner's machine goes silent
     * (no connection reset), the server ends the session once keepalives go
     * unanswered, about half a minute, instead of after the system's two
     * hours; a standby then takes over.
     */
    GwResult rc = pg_exec(c, "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5;"
                             " SET tcp_keepalives_count = 3");
    if (rc)
        return rc;
    rc = pg_query_params(c, "SELECT pg_catalog.pg_try_advisory_lock(" PG_RUNNER_LOCK_CLASS ", $1::int4)", 1, params,
                         1, &res);
    if (rc)
        return rc;
    *taken = PQntuples(res) == 1 && !strcmp(PQgetvalue(res, 0, 0), "t");
    PQclear(res);
    return *taken ? record_me(c, stream, me) : read_holder(c, stream, key, holder);
}

GwResult
pg_runner_held(EngineConn *conn, const char *stream, bool *held)
{
    PgConn *c = PG(conn);
    *held = true;
    char key[16];
    lock_key(stream, key, sizeof key);
    const char *params[1] = {key};
    PGresult *res;
    GwResult rc = pg_query_params(c, "SELECT EXISTS (" SQL_LOCK_HOLDER " AND l.pid = pg_catalog.pg_backend_pid())",
                                  1, params, 1, &res);
    if (rc)
        return rc;
    *held = PQntuples(res) == 1 && !strcmp(PQgetvalue(res, 0, 0), "t");
    PQclear(res);
    return GW_OK;
}

GwResult
pg_runner_end_holder(EngineConn *conn, const char *stream, long long session)
{
    PgConn *c = PG(conn);
    char key[16], pid[32];
    lock_key(stream, key, sizeof key);
    snprintf(pid, sizeof pid, "%lld", session);
    const char *params[2] = {key, pid};
    PGresult *res;
    GwResult rc = pg_query_params(c,
                                  "SELECT pg_catalog.pg_terminate_backend(h.pid) FROM (" SQL_LOCK_HOLDER ") h(pid)"
                                  " WHERE h.pid = $2::int4",
                                  2, params, 1, &res);
    if (rc == GW_OK)
        PQclear(res);
    return rc;
}

GwResult
pg_runner_unlock(EngineConn *conn, const char *stream)
{
    PgConn *c = PG(conn);
    const char *params[1] = {stream};
    GwResult rc = pg_exec_params(c,
                                 "DELETE FROM _godwit.runners WHERE stream = $1"
                                 " AND session = pg_catalog.pg_backend_pid()",
                                 1, params);
    return rc ? rc : pg_exec(c, "SELECT pg_catalog.pg_advisory_unlock_all()");
}
