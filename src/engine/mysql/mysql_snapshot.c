/*
 * mysql_snapshot.c: one consistent snapshot shared by every session of a
 * fetch, and the binlog position it corresponds to (DESIGN.md, "Snapshot to
 * stream hand-off").
 *
 * With the RELOAD privilege: a separate session takes FLUSH TABLES WITH
 * READ LOCK, starts its own consistent snapshot and reads the position
 * (MariaDB: Binlog_snapshot_file/_position inside the snapshot; MySQL: SHOW
 * MASTER STATUS and the executed GTID set, exact because nothing commits
 * under the lock); every worker session then runs START TRANSACTION WITH
 * CONSISTENT SNAPSHOT while the lock is held, and snapshot_ready() unlocks at
 * once, then asks MariaDB for the GTID position of the offset
 * (BINLOG_GTID_POS() reads the binlog up to it: too slow for under the
 * lock).  The lock is held for the milliseconds these statements take, never
 * during describe, planning or copying.
 *
 * Without RELOAD (MariaDB only): no lock; each session takes its own
 * snapshot and reads its own exact position, recorded with the shards it
 * copies (joined_position); the phase's stream starts at the first
 * snapshot's position, which is the earliest, and replays the rest with
 * upserts, which needs a primary key on every table.
 *
 * MySQL/MariaDB has no replication slot: Snapshot.slot stays NULL and
 * nothing is created on the source.
 */
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "engine/mysql/mysql_internal.h"
#include "engine/mysql/mysql_pos.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/signals.h"

/* Snapshot.id: how the sessions share the snapshot. */
#define SNAPSHOT_LOCKED "global-read-lock"
#define SNAPSHOT_PER_SESSION "per-session"
/*
 * FLUSH TABLES WITH READ LOCK blocks writes while it waits for running
 * statements, and an application transaction between two statements can wait
 * for it in turn: it waits LOCK_WAIT_S seconds a try, and lets writes through
 * between tries, LOCK_TRIES times.
 */
#define LOCK_WAIT_S 2
#define LOCK_TRIES 5

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

static GwResult
raw_exec(MyConn *c, MYSQL *my, const char *sql)
{
    if (mysql_query(my, sql) != 0)
        return mysql_conn_report_on(c, my, sql);
    MYSQL_RES *res = mysql_store_result(my);
    if (res)
        mysql_free_result(res);
    return GW_OK;
}

static GwResult
raw_query(MyConn *c, MYSQL *my, const char *sql, unsigned ncols, MYSQL_RES **out)
{
    if (mysql_query(my, sql) != 0)
        return mysql_conn_report_on(c, my, sql);
    MYSQL_RES *res = mysql_store_result(my);
    if (!res || mysql_num_fields(res) < ncols) {
        if (res)
            mysql_free_result(res);
        log_error("source %s: %s: unexpected result shape", c->base.endpoint->redacted, sql);
        return GW_ERR_SOURCE;
    }
    *out = res;
    return GW_OK;
}

/* MariaDB: the binlog file and offset of the consistent snapshot this session holds. */
static GwResult
mariadb_snapshot_pos(MyConn *c, MYSQL *my, MyPos *pos)
{
    MYSQL_RES *res;
    GwResult rc = raw_query(c, my, "SHOW STATUS LIKE 'binlog_snapshot_%'", 2, &res);
    if (rc)
        return rc;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res))) {
        if (row[0] && row[1] && !strcasecmp(row[0], "Binlog_snapshot_file"))
            snprintf(pos->file, sizeof pos->file, "%s", row[1]);
        else if (row[0] && row[1] && !strcasecmp(row[0], "Binlog_snapshot_position"))
            pos->offset = (uint32_t) strtoul(row[1], NULL, 10);
    }
    mysql_free_result(res);
    return GW_OK;
}

/*
 * MariaDB: the GTID position of a binlog offset.  The server reads its
 * binlog up to the offset for it, which may take a while: never under the
 * global read lock.
 */
static GwResult
mariadb_gtid_pos(MyConn *c, MYSQL *my, MyPos *pos)
{
    if (!pos->file[0])
        return GW_OK;
    char *file = mysql_quote_literal(pos->file);
    char *sql = gw_asprintf("SELECT BINLOG_GTID_POS(%s, %u)", file, pos->offset);
    free(file);
    MYSQL_RES *res;
    GwResult rc = raw_query(c, my, sql, 1, &res);
    free(sql);
    if (rc)
        return rc;
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row && row[0])
        snprintf(pos->gtid, sizeof pos->gtid, "%s", row[0]);
    else
        log_warn("source %s: BINLOG_GTID_POS('%s', %u) gave no GTID position (the server cannot read its binlog"
                 " up to there, e.g. an event larger than max_allowed_packet); the position is recorded as file and"
                 " offset only", c->base.endpoint->redacted, pos->file, pos->offset);
    mysql_free_result(res);
    return GW_OK;
}

/* The binlog's current end: file, offset and (MySQL) the executed GTID set. */
static GwResult
master_status(MyConn *c, MYSQL *my, MyPos *pos)
{
    MYSQL_RES *res = NULL;
    if (mysql_query(my, "SHOW MASTER STATUS") == 0 || mysql_errno(my) != ER_PARSE_ERROR)
        res = mysql_store_result(my);
    else if (mysql_query(my, "SHOW BINARY LOG STATUS") == 0)      /* MySQL 8.4 */
        res = mysql_store_result(my);
    if (!res)
        return mysql_conn_report_on(c, my, "reading the binlog position (SHOW MASTER STATUS)");
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row && row[0] && row[1]) {
        snprintf(pos->file, sizeof pos->file, "%s", row[0]);
        pos->offset = (uint32_t) strtoul(row[1], NULL, 10);
        if (!c->mariadb && mysql_num_fields(res) >= 5 && row[4])
            snprintf(pos->gtid, sizeof pos->gtid, "%s", row[4]);
    }
    mysql_free_result(res);
    return GW_OK;
}

static char *
format_pos(const MyPos *pos)
{
    char buf[1400];
    buf[0] = '\0';
    if (pos->file[0])
        mysql_pos_format(pos, buf, sizeof buf);
    return gw_strdup(buf);
}

/*
 * The position of the snapshot session my holds ("" without binary
 * logging).  Under the lock, MariaDB's GTID is left to snapshot_ready.
 */
static GwResult
snapshot_position(MyConn *c, MYSQL *my, bool locked, char **out)
{
    MyPos pos;
    memset(&pos, 0, sizeof pos);
    GwResult rc = GW_OK;
    if (c->mariadb)
        rc = mariadb_snapshot_pos(c, my, &pos);
    else if (locked)
        rc = master_status(c, my, &pos);
    if (rc == GW_OK && c->mariadb && !locked)
        rc = mariadb_gtid_pos(c, my, &pos);
    if (rc == GW_OK)
        *out = format_pos(&pos);
    return rc;
}

static bool
has_keyless_table(const Catalog *cat, char **name)
{
    for (size_t i = 0; i < cat->ntables; i++)
        if (cat->tables[i].npk == 0) {
            *name = table_display_name(&cat->tables[i]);
            return true;
        }
    return false;
}

/* Without the global read lock: can the stream still start exactly? */
static GwResult
check_lock_free(MyConn *c, const Catalog *cat, SnapshotKind kind)
{
    if (kind == SNAPSHOT_PLAIN) {
        log_warn("source %s: without the RELOAD privilege each session takes its own snapshot: tables copied by"
                 " different workers may come from different instants (--jobs 1 copies from one)",
                 c->base.endpoint->redacted);
        return GW_OK;
    }
    char *keyless = NULL;
    if (!c->mariadb) {
        log_error("source %s: FLUSH TABLES WITH READ LOCK was refused (RELOAD privilege): MySQL gives the exact"
                  " binlog position of a snapshot only under that lock; GRANT RELOAD, or use --no-stream",
                  c->base.endpoint->redacted);
        return GW_ERR_USAGE;
    }
    if (has_keyless_table(cat, &keyless)) {
        log_error("source %s: without the RELOAD privilege every session takes its own snapshot and the stream"
                  " replays from the earliest with upserts, which needs a primary key: table %s has none"
                  " (GRANT RELOAD, add a primary key, or --exclude it)", c->base.endpoint->redacted, keyless);
        free(keyless);
        return GW_ERR_USAGE;
    }
    log_info("source %s: no RELOAD privilege: each session takes its own snapshot and records its position",
             c->base.endpoint->redacted);
    return GW_OK;
}

static GwResult
take_lock(MyConn *c, const Catalog *cat, SnapshotKind kind, bool *locked)
{
    char sql[64];
    snprintf(sql, sizeof sql, "SET SESSION lock_wait_timeout = %d", LOCK_WAIT_S);
    GwResult rc = raw_exec(c, c->lock, sql);
    if (rc)
        return rc;
    unsigned int e = 0;
    for (int attempt = 1; attempt <= LOCK_TRIES; attempt++) {
        c->lock_started = now_ms();
        *locked = c->locked = mysql_query(c->lock, "FLUSH TABLES WITH READ LOCK") == 0;
        if (*locked)
            return GW_OK;
        e = mysql_errno(c->lock);
        if (e != ER_LOCK_WAIT_TIMEOUT || attempt == LOCK_TRIES)
            break;
        /* Ctrl-C while the lock waits on a long statement: stop at this try
         * (the fetch then says what to run next) instead of trying again for
         * up to LOCK_TRIES * LOCK_WAIT_S seconds and ending as a source error. */
        if (signals_stop_requested())
            return GW_ERR_INTERNAL;
        log_info("source %s: FLUSH TABLES WITH READ LOCK waited %d s for running statements; trying again (%d)",
                 c->base.endpoint->redacted, LOCK_WAIT_S, attempt);
    }
    if (e == ER_SPECIFIC_ACCESS_DENIED_ERROR || e == ER_DBACCESS_DENIED_ERROR || e == ER_ACCESS_DENIED_ERROR)
        return check_lock_free(c, cat, kind);
    if (e == ER_LOCK_WAIT_TIMEOUT) {
        log_error("source %s: FLUSH TABLES WITH READ LOCK waited %d s for running statements (%d tries; a long"
                  " query or an open transaction holds tables); run the fetch again when they are done",
                  c->base.endpoint->redacted, LOCK_WAIT_S * LOCK_TRIES, LOCK_TRIES);
        c->last_errno = e;
        return GW_ERR_SOURCE;
    }
    return mysql_conn_report_on(c, c->lock, "FLUSH TABLES WITH READ LOCK");
}

GwResult
mysql_snapshot_create(EngineConn *conn, const char *slot, const Catalog *cat, SnapshotKind kind, Snapshot *out)
{
    MyConn *c = MY(conn);
    (void) slot;
    memset(out, 0, sizeof *out);
    GwResult rc = mysql_conn_open_raw(conn, &c->lock);
    bool locked = false;
    if (rc == GW_OK && !(kind == SNAPSHOT_PLAIN && c->base.endpoint->read.rows_fenced))
        rc = take_lock(c, cat, kind, &locked);
    if (rc == GW_OK)
        rc = raw_exec(c, c->lock, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
    if (rc == GW_OK)
        rc = snapshot_position(c, c->lock, locked, &out->position);
    if (rc == GW_OK && kind != SNAPSHOT_PLAIN && !out->position[0]) {
        log_error("source %s: no binlog position (binary logging is off)", c->base.endpoint->redacted);
        rc = GW_ERR_USAGE;
    }
    if (rc) {
        (void) mysql_snapshot_release(conn);
        snapshot_free(out);
        return rc;
    }
    out->id = gw_strdup(locked ? SNAPSHOT_LOCKED : SNAPSHOT_PER_SESSION);
    return GW_OK;
}

GwResult
mysql_snapshot_join(EngineConn *conn, const Snapshot *snap)
{
    MyConn *c = MY(conn);
    GwResult rc = mysql_conn_exec(c, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
    if (rc || strcmp(snap->id, SNAPSHOT_PER_SESSION) != 0)
        return rc;
    free(c->own_position);
    c->own_position = NULL;
    return snapshot_position(c, c->my, false, &c->own_position);
}

/* Unlocks at once, then completes a MariaDB position with its GTID (mariadb_gtid_pos). */
GwResult
mysql_snapshot_ready(EngineConn *conn, Snapshot *snap)
{
    MyConn *c = MY(conn);
    if (!c->lock)
        return GW_OK;
    bool locked = c->locked;
    GwResult rc = locked ? raw_exec(c, c->lock, "UNLOCK TABLES") : GW_OK;
    if (locked)
        log_info("source %s: global read lock held for %.1f ms while every session joined the snapshot",
                 c->base.endpoint->redacted, now_ms() - c->lock_started);
    c->locked = false;
    MyPos pos;
    if (rc == GW_OK && locked && c->mariadb && snap->position && mysql_pos_parse(snap->position, &pos) == 0) {
        rc = mariadb_gtid_pos(c, c->lock, &pos);
        if (rc == GW_OK) {
            free(snap->position);
            snap->position = format_pos(&pos);
        }
    }
    mysql_close(c->lock);
    c->lock = NULL;
    return rc;
}

GwResult
mysql_snapshot_release(EngineConn *conn)
{
    MyConn *c = MY(conn);
    if (c->lock)
        mysql_close(c->lock);
    c->lock = NULL;
    c->locked = false;
    return GW_OK;
}

const char *
mysql_joined_position(EngineConn *conn)
{
    MyConn *c = MY(conn);
    return c->own_position && c->own_position[0] ? c->own_position : NULL;
}

/* No slot, no publication: the binlog is the stream, and its files expire by the server's settings. */
GwResult
mysql_drop_stream(EngineConn *conn, const char *slot)
{
    (void) conn;
    (void) slot;
    return GW_OK;
}

GwResult
mysql_current_pos(EngineConn *conn, StreamPos *out)
{
    MyConn *c = MY(conn);
    MyPos pos;
    memset(&pos, 0, sizeof pos);
    GwResult rc = master_status(c, c->my, &pos);
    if (rc)
        return rc;
    *out = mysql_pos_order(pos.file, pos.offset);
    if (*out == 0) {
        log_error("source %s: binary logging is off (SHOW MASTER STATUS is empty)", c->base.endpoint->redacted);
        return GW_ERR_SOURCE;
    }
    return GW_OK;
}
