/*
 * mysql_runner.c: the runner lock of a stream written to MySQL/MariaDB (see
 * ApplyOps.runner_lock, flow/runner_lock.c): a user lock GET_LOCK(name, 0)
 * named from a hash of the stream's name (names are at most 64 characters),
 * and the holder's row in `_godwit`.`runners`, which names the connection
 * holding the lock so that a row left by a dead runner is never taken for
 * the live holder's.
 *
 * It must never wait for the lock: a second runner is refused at once.
 */
#include <mysqld_error.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_internal.h"
#include "engine/mysql/mysql_literal.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

static const char *const sql_create_runners =
    "CREATE TABLE IF NOT EXISTS `_godwit`.`runners` ("
    " stream VARCHAR(255) NOT NULL PRIMARY KEY,"
    " host VARCHAR(255) NOT NULL,"
    " pid BIGINT NOT NULL,"
    " started_at DATETIME(6) NOT NULL,"
    " session BIGINT UNSIGNED NOT NULL"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

/* 'godwit runner <FNV-1a 64 of the stream, hex>', quoted. */
static void
lock_name(const char *stream, char *buf, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (const unsigned char *p = (const unsigned char *) stream; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    snprintf(buf, len, "'godwit runner %016llx'", (unsigned long long) h);
}

/* The first column of the first row of a one-column query; NULL (freed by the caller) if none or NULL. */
static GwResult
query_value(MyConn *c, const char *sql, char **out)
{
    MYSQL_RES *res;
    *out = NULL;
    GwResult rc = mysql_conn_query(c, sql, 1, &res);
    if (rc)
        return rc;
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row && row[0])
        *out = gw_strdup(row[0]);
    mysql_free_result(res);
    return GW_OK;
}

static GwResult
exec_sql(MyConn *c, StrBuf *sql)
{
    GwResult rc = mysql_conn_exec(c, sql->data);
    strbuf_free(sql);
    return rc;
}

/* Looks before it creates: DDL goes to the binlog even when it finds everything there. */
static GwResult
ensure_table(MyConn *c)
{
    char *n = NULL;
    GwResult rc = query_value(c,
                              "SELECT COUNT(*) FROM information_schema.TABLES"
                              " WHERE TABLE_SCHEMA = '_godwit' AND TABLE_NAME = 'runners'",
                              &n);
    bool exists = n && strcmp(n, "0") != 0;
    free(n);
    if (rc || exists)
        return rc;
    rc = mysql_conn_exec(c, MYSQL_SQL_CREATE_STATE_DB);
    return rc ? rc : mysql_conn_exec(c, sql_create_runners);
}

static GwResult
record_me(MyConn *c, const char *stream, const RunnerInfo *me)
{
    mysql_conn_mark_own_writes(c, "the DDL of `_godwit`.`runners`");
    GwResult rc = ensure_table(c);
    if (rc)
        return rc;
    StrBuf sql;
    strbuf_init(&sql);
    strbuf_append(&sql, "INSERT INTO `_godwit`.`runners` (stream, host, pid, started_at, session) VALUES (");
    mysql_literal_string(&sql, stream, strlen(stream));
    strbuf_append(&sql, ", ");
    mysql_literal_string(&sql, me->host, strlen(me->host));
    strbuf_appendf(&sql, ", %lld, UTC_TIMESTAMP(6), CONNECTION_ID()) ON DUPLICATE KEY UPDATE host = VALUES(host),"
                         " pid = VALUES(pid), started_at = VALUES(started_at), session = VALUES(session)",
                   me->pid);
    return exec_sql(c, &sql);
}

/* The row of the connection holding the lock, if it wrote one. */
static GwResult
read_row(MyConn *c, const char *stream, RunnerInfo *holder)
{
    StrBuf sql;
    strbuf_init(&sql);
    strbuf_append(&sql, "SELECT host, pid, DATE_FORMAT(started_at, '%Y-%m-%d %H:%i:%s UTC')"
                        " FROM `_godwit`.`runners` WHERE stream = ");
    mysql_literal_string(&sql, stream, strlen(stream));
    strbuf_appendf(&sql, " AND session = %lld", holder->session);
    GwResult rc = GW_OK;
    MYSQL_RES *res = NULL;
    if (mysql_real_query(c->my, sql.data, sql.len) != 0) {
        unsigned e = mysql_errno(c->my);
        if (e != ER_BAD_DB_ERROR && e != ER_NO_SUCH_TABLE)
            rc = mysql_conn_report(c, "reading who runs the stream from `_godwit`.`runners`");
    } else if (!(res = mysql_store_result(c->my)) || mysql_num_fields(res) != 3) {
        rc = mysql_conn_report(c, "reading who runs the stream");
    } else {
        MYSQL_ROW row = mysql_fetch_row(res);
        if (row && row[0] && row[1] && row[2]) {
            holder->recorded = true;
            snprintf(holder->host, sizeof holder->host, "%s", row[0]);
            holder->pid = atoll(row[1]);
            snprintf(holder->since, sizeof holder->since, "%s", row[2]);
        }
    }
    if (res)
        mysql_free_result(res);
    strbuf_free(&sql);
    return rc;
}

GwResult
mysql_runner_lock(EngineConn *conn, const char *stream, const RunnerInfo *me, bool *taken, RunnerInfo *holder)
{
    MyConn *c = MY(conn);
    memset(holder, 0, sizeof *holder);
    char name[64], sql[128], *v = NULL;
    lock_name(stream, name, sizeof name);
    snprintf(sql, sizeof sql, "SELECT GET_LOCK(%s, 0)", name);
    GwResult rc = query_value(c, sql, &v);
    *taken = v && !strcmp(v, "1");
    free(v);
    if (rc || *taken)
        return rc ? rc : record_me(c, stream, me);
    snprintf(sql, sizeof sql, "SELECT IS_USED_LOCK(%s)", name);
    rc = query_value(c, sql, &v);
    holder->session = v ? atoll(v) : 0;
    free(v);
    /* Let go meanwhile: the caller tries again. */
    if (rc || holder->session == 0)
        return rc;
    return read_row(c, stream, holder);
}

GwResult
mysql_runner_held(EngineConn *conn, const char *stream, bool *held)
{
    char name[64], sql[128], *v = NULL;
    lock_name(stream, name, sizeof name);
    snprintf(sql, sizeof sql, "SELECT IS_USED_LOCK(%s) = CONNECTION_ID()", name);
    GwResult rc = query_value(MY(conn), sql, &v);
    *held = v && !strcmp(v, "1");
    free(v);
    return rc;
}

GwResult
mysql_runner_end_holder(EngineConn *conn, const char *stream, long long session)
{
    MyConn *c = MY(conn);
    char name[64], sql[128], *v = NULL;
    lock_name(stream, name, sizeof name);
    snprintf(sql, sizeof sql, "SELECT IS_USED_LOCK(%s)", name);
    GwResult rc = query_value(c, sql, &v);
    bool same = v && atoll(v) == session;
    free(v);
    if (rc || !same)
        return rc;
    snprintf(sql, sizeof sql, "KILL %lld", session);
    if (mysql_query(c->my, sql) != 0 && mysql_errno(c->my) != ER_NO_SUCH_THREAD)
        return mysql_conn_report(c, "ending the session of a runner that is gone");
    return GW_OK;
}

GwResult
mysql_runner_unlock(EngineConn *conn, const char *stream)
{
    MyConn *c = MY(conn);
    StrBuf sql;
    strbuf_init(&sql);
    strbuf_append(&sql, "DELETE FROM `_godwit`.`runners` WHERE session = CONNECTION_ID() AND stream = ");
    mysql_literal_string(&sql, stream, strlen(stream));
    GwResult rc = exec_sql(c, &sql);
    char name[64], release[128];
    lock_name(stream, name, sizeof name);
    snprintf(release, sizeof release, "SELECT RELEASE_LOCK(%s)", name);
    return rc ? rc : mysql_conn_exec(c, release);
}
