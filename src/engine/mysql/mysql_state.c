/*
 * mysql_state.c: godwit's state in a MySQL/MariaDB database it writes to
 * (DESIGN.md, "State"): database `_godwit`, table `checkpoints`, one row per
 * stream with the position of the last source transaction it applied.  The
 * applier writes that row in the same transaction as the changes
 * (mysql_apply.c); a restarted stream reads it back here.
 *
 * It must never treat a missing `_godwit` as an error when reading: a stream
 * that never committed has no checkpoint yet.
 */
#include <mysqld_error.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_apply.h"
#include "engine/mysql/mysql_internal.h"
#include "engine/mysql/mysql_literal.h"
#include "util/log.h"
#include "util/mem.h"

static const char *const sql_create_database = MYSQL_SQL_CREATE_STATE_DB;

static const char *const sql_create_checkpoints =
    "CREATE TABLE IF NOT EXISTS `_godwit`.`checkpoints` ("
    " stream VARCHAR(255) NOT NULL PRIMARY KEY,"
    " phase VARCHAR(255) NOT NULL,"
    " direction VARCHAR(32) NOT NULL,"
    " position TEXT NOT NULL,"
    " updated_at DATETIME(6) NOT NULL"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

static void
append_text(StrBuf *sql, const char *s)
{
    mysql_literal_string(sql, s, strlen(s));
}

GwResult
mysql_state_tables_exist(MyConn *c, const char *const *tables, bool *exist)
{
    StrBuf sql;
    strbuf_init(&sql);
    strbuf_append(&sql, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '_godwit' AND TABLE_NAME IN (");
    size_t n = 0;
    for (; tables[n]; n++) {
        strbuf_append(&sql, n ? ", " : "");
        append_text(&sql, tables[n]);
    }
    strbuf_append(&sql, ")");
    MYSQL_RES *res;
    GwResult rc = mysql_conn_query(c, sql.data, 1, &res);
    strbuf_free(&sql);
    if (rc)
        return rc;
    MYSQL_ROW row = mysql_fetch_row(res);
    *exist = row && row[0] && strtoull(row[0], NULL, 10) == n;
    mysql_free_result(res);
    return GW_OK;
}

/*
 * Looks before it creates: DDL is written to the binlog even when it finds
 * everything there, and a binlog reader of the same server then has one
 * more statement to judge.
 */
GwResult
mysql_state_ensure_checkpoints(MyConn *c)
{
    static const char *const tables[] = {"checkpoints", NULL};
    bool exists;
    GwResult rc = mysql_state_tables_exist(c, tables, &exists);
    if (rc || exists)
        return rc;
    rc = mysql_conn_exec(c, sql_create_database);
    return rc ? rc : mysql_conn_exec(c, sql_create_checkpoints);
}


void
mysql_state_checkpoint_sql(StrBuf *sql, const char *stream, const char *phase, const char *position)
{
    strbuf_append(sql, "INSERT INTO `_godwit`.`checkpoints` (stream, phase, direction, position, updated_at) VALUES (");
    append_text(sql, stream);
    strbuf_append(sql, ", ");
    append_text(sql, phase);
    strbuf_append(sql, ", ");
    append_text(sql, phase_names_stream_direction(stream));
    strbuf_append(sql, ", ");
    append_text(sql, position);
    strbuf_append(sql, ", UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE position = VALUES(position),"
                       " updated_at = VALUES(updated_at)");
}

GwResult
mysql_checkpoint_get(EngineConn *conn, const char *stream, char **position, bool *found)
{
    MyConn *c = MY(conn);
    *position = NULL;
    *found = false;
    StrBuf sql;
    strbuf_init(&sql);
    strbuf_append(&sql, "SELECT position FROM `_godwit`.`checkpoints` WHERE stream = ");
    append_text(&sql, stream);
    GwResult rc = GW_OK;
    MYSQL_RES *res = NULL;
    if (mysql_real_query(c->my, sql.data, sql.len) != 0) {
        unsigned e = mysql_errno(c->my);
        if (e != ER_BAD_DB_ERROR && e != ER_NO_SUCH_TABLE)
            rc = mysql_conn_report(c, "reading the stream's checkpoint from `_godwit`.`checkpoints`");
    } else if (!(res = mysql_store_result(c->my))) {
        rc = mysql_conn_report(c, "reading the stream's checkpoint");
    } else {
        MYSQL_ROW row = mysql_fetch_row(res);
        if (row && row[0]) {
            *position = gw_strdup(row[0]);
            *found = true;
        }
    }
    if (res)
        mysql_free_result(res);
    strbuf_free(&sql);
    return rc;
}

GwResult
mysql_checkpoint_delete(EngineConn *conn, const char *stream)
{
    MyConn *c = MY(conn);
    StrBuf sql;
    strbuf_init(&sql);
    strbuf_append(&sql, "DELETE FROM `_godwit`.`checkpoints` WHERE stream = ");
    append_text(&sql, stream);
    GwResult rc = GW_OK;
    /* Without `_godwit` there is no checkpoint to remove. */
    if (mysql_real_query(c->my, sql.data, sql.len) != 0) {
        unsigned e = mysql_errno(c->my);
        if (e != ER_BAD_DB_ERROR && e != ER_NO_SUCH_TABLE)
            rc = mysql_conn_report(c, "removing the stream's checkpoint from `_godwit`.`checkpoints`");
    }
    strbuf_free(&sql);
    return rc;
}
