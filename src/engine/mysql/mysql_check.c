/*
 * mysql_check.c: what a MySQL/MariaDB source must offer before a fetch
 * starts, each refusal one line and exit 2, before anything is created on
 * the target:
 *   - with a stream to follow (not --no-stream): binary logging on,
 *     binlog_format = ROW, binlog_row_image = FULL (and on MySQL 8 no
 *     partial JSON updates), the REPLICATION SLAVE and REPLICATION CLIENT
 *     (MariaDB: BINLOG MONITOR) privileges, and either RELOAD (for the
 *     global read lock) or, on MariaDB, primary keys on every table;
 *   - values PostgreSQL cannot take, looked for in the selected rows: zero
 *     or invalid dates (unless --zero-dates null), TINYINT(1) values other
 *     than 0 and 1, BIGINT UNSIGNED above the bigint range when it is stored
 *     as bigint, and ENUM's invalid empty value.  Every column holding one
 *     is named in one refusal, with how many rows do, a value and a key.
 *     This reads every row of the tables that have such columns (one pass
 *     per table on the server, one row sent).
 * SELECT itself needs no check: information_schema shows only the tables
 * the user may read, and a column it may not read fails the copy by name.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/mysql/mysql_internal.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

static GwResult
check_binlog(MyConn *c)
{
    MYSQL_RES *res;
    GwResult rc = mysql_conn_query(c, "SELECT @@GLOBAL.log_bin, @@GLOBAL.binlog_format, @@GLOBAL.binlog_row_image",
                                   3, &res);
    if (rc)
        return rc;
    MYSQL_ROW row = mysql_fetch_row(res);
    const char *log_bin = row && row[0] ? row[0] : "0", *format = row && row[1] ? row[1] : "",
               *image = row && row[2] ? row[2] : "";
    const char *who = c->base.endpoint->redacted;
    if (strcmp(log_bin, "1") != 0 && strcasecmp(log_bin, "ON") != 0) {
        log_error("source %s: binary logging is off; streaming changes needs it (start the server with --log-bin"
                  " and --binlog-format=ROW), or use --no-stream", who);
        rc = GW_ERR_USAGE;
    } else if (strcasecmp(format, "ROW") != 0) {
        log_error("source %s: binlog_format is %s; streaming changes needs ROW (SET GLOBAL binlog_format = 'ROW'"
                  " and restart the applications' sessions, or --binlog-format=ROW), or use --no-stream", who,
                  format);
        rc = GW_ERR_USAGE;
    } else if (strcasecmp(image, "FULL") != 0) {
        log_error("source %s: binlog_row_image is %s; streaming changes needs FULL (SET GLOBAL binlog_row_image ="
                  " 'FULL'), or use --no-stream", who, image);
        rc = GW_ERR_USAGE;
    }
    mysql_free_result(res);
    return rc;
}

/* MySQL 8 can log only the changed part of a JSON document, which a row image cannot be rebuilt from. */
static GwResult
check_partial_json(MyConn *c)
{
    if (c->mariadb || c->server_version < 80000)
        return GW_OK;
    MYSQL_RES *res;
    GwResult rc = mysql_conn_query(c, "SELECT @@GLOBAL.binlog_row_value_options", 1, &res);
    if (rc)
        return rc;
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row && row[0] && *row[0]) {
        log_error("source %s: binlog_row_value_options is %s; streaming changes needs it empty"
                  " (SET GLOBAL binlog_row_value_options = ''), or use --no-stream", c->base.endpoint->redacted,
                  row[0]);
        rc = GW_ERR_USAGE;
    }
    mysql_free_result(res);
    return rc;
}

static const MyTable *
keyless_table(const MyConn *c)
{
    for (size_t i = 0; i < c->ntables; i++)
        if (c->tables[i]->npk == 0)
            return c->tables[i];
    return NULL;
}

/* Without RELOAD there is no global read lock: see mysql_snapshot.c for what that needs. */
static GwResult
check_lock_free(MyConn *c)
{
    const char *who = c->base.endpoint->redacted;
    const MyTable *t = keyless_table(c);
    if (!c->mariadb) {
        log_error("source %s: the user lacks the RELOAD privilege: MySQL gives the exact binlog position of a"
                  " snapshot only under FLUSH TABLES WITH READ LOCK (GRANT RELOAD ON *.*), or use --no-stream", who);
        return GW_ERR_USAGE;
    }
    if (t) {
        log_error("source %s: the user lacks the RELOAD privilege, so each session takes its own snapshot and the"
                  " stream replays from the earliest with upserts, which needs a primary key: table %s.%s has none"
                  " (GRANT RELOAD ON *.*, add a primary key, or --exclude it)", who, t->schema, t->name);
        return GW_ERR_USAGE;
    }
    return GW_OK;
}

static GwResult
check_privileges(MyConn *c)
{
    StrBuf list;
    strbuf_init(&list);
    GwResult rc = mysql_privileges_global(c, &list);
    if (rc) {
        strbuf_free(&list);
        return rc;
    }
    bool slave = mysql_privilege_listed(&list, "REPLICATION SLAVE");
    bool client = mysql_privilege_listed(&list, "REPLICATION CLIENT") ||
                  mysql_privilege_listed(&list, "BINLOG MONITOR") || mysql_privilege_listed(&list, "SUPER");
    if (!slave || !client) {
        log_error("source %s: the user lacks %s%s%s, needed to read the binlog (GRANT REPLICATION SLAVE,"
                  " %s ON *.* TO ...), or use --no-stream", c->base.endpoint->redacted,
                  slave ? "" : "REPLICATION SLAVE", !slave && !client ? " and " : "",
                  client ? "" : c->mariadb ? "BINLOG MONITOR" : "REPLICATION CLIENT",
                  c->mariadb ? "BINLOG MONITOR" : "REPLICATION CLIENT");
        rc = GW_ERR_USAGE;
    } else if (!mysql_privilege_listed(&list, "RELOAD")) {
        rc = check_lock_free(c);
    }
    strbuf_free(&list);
    return rc;
}

/* The SQL that finds a value the column cannot carry to PostgreSQL; NULL for columns that need no look. */
static char *
bad_value_condition(const MyColumn *col, const MyPgType *pg)
{
    char *q = mysql_quote_ident(col->name);
    char *cond = NULL;
    switch (col->kind) {
    case MYV_DATE: case MYV_DATETIME: case MYV_TIMESTAMP:
        cond = col->zero_dates_null
                   ? gw_asprintf("(%s + INTERVAL 0 DAY IS NULL AND %s IS NOT NULL AND YEAR(%s) <> 0 AND MONTH(%s) <> 0"
                                 " AND DAYOFMONTH(%s) <> 0)", q, q, q, q, q)
                   : gw_asprintf("(%s + INTERVAL 0 DAY IS NULL AND %s IS NOT NULL)", q, q);
        break;
    case MYV_BOOL: cond = gw_asprintf("%s NOT IN (0, 1)", q); break;
    case MYV_UINT:
        if (col->int8_checked)
            cond = gw_asprintf("%s > 9223372036854775807", q);
        break;
    case MYV_ENUM:
        if (pg->is_enum)
            cond = gw_asprintf("%s+0 = 0", q);
        break;
    default: break;
    }
    free(q);
    return cond;
}

/* CONCAT_WS(', ', key columns): a row's key as one text; NULL for a table without a primary key. */
static char *
key_text_sql(const MyTable *t)
{
    if (t->npk == 0)
        return NULL;
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, "CONCAT_WS(', '");
    for (size_t k = 0; k < t->npk; k++) {
        char *s = mysql_key_select(&t->cols[t->pk[k]]);
        strbuf_appendf(&sb, ", %s", s);
        free(s);
    }
    strbuf_append_char(&sb, ')');
    return strbuf_take(&sb);
}

/*
 * One pass over the table's (phase's) rows: for each column that may hold
 * a value PostgreSQL cannot take, how many rows do, one such value, and the
 * smallest key of a row holding one.  NULL: nothing to check.
 */
static char *
scan_sql(const MyConn *c, const MyTable *t, size_t **checked, size_t *nchecked)
{
    StrBuf sel, cond;
    strbuf_init(&sel);
    strbuf_init(&cond);
    *checked = gw_calloc(t->ncols + 1, sizeof **checked);
    *nchecked = 0;
    char *key = key_text_sql(t);
    for (size_t i = 0; i < t->ncols; i++) {
        char *bad = t->cols[i].generated ? NULL : bad_value_condition(&t->cols[i], &t->pg[i]);
        if (!bad)
            continue;
        char *q = mysql_quote_ident(t->cols[i].name);
        strbuf_appendf(&sel, "%sSUM(%s), MIN(CASE WHEN %s THEN %s%s END), MIN(CASE WHEN %s THEN %s END)",
                       sel.len ? ", " : "", bad, bad, q, t->cols[i].kind == MYV_ENUM ? "+0" : "", bad,
                       key ? key : "NULL");
        strbuf_appendf(&cond, "%s%s", cond.len ? " OR " : "", bad);
        (*checked)[(*nchecked)++] = i;
        free(q);
        free(bad);
    }
    char *sql = NULL;
    if (*nchecked) {
        char *name = mysql_qualified(t->schema, t->name);
        sql = gw_asprintf("%sSELECT %s FROM %s WHERE %s%s%s(%s)", c->tag, sel.data, name, t->where_sql ? "(" : "",
                          t->where_sql ? t->where_sql : "", t->where_sql ? ") AND " : "", cond.data);
        free(name);
    }
    free(key);
    strbuf_free(&sel);
    strbuf_free(&cond);
    return sql;
}

/* "key (a, b)=(1, x)" for a key's text, or a row of a table without one. */
static char *
where_is(const MyTable *t, const char *key)
{
    if (!key || t->npk == 0)
        return gw_strdup("a row of a table without a primary key");
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, "key (");
    for (size_t k = 0; k < t->npk; k++)
        strbuf_appendf(&sb, "%s%s", k ? ", " : "", t->cols[t->pk[k]].name);
    strbuf_appendf(&sb, ")=(%s)", key);
    return strbuf_take(&sb);
}

/* Names every column of the table holding bad values: how many rows, one value, and a key. */
static bool
report_bad_columns(const MyTable *t, MYSQL_ROW row, const unsigned long *lengths, const size_t *checked,
                   size_t nchecked)
{
    bool any = false;
    for (size_t i = 0; i < nchecked; i++) {
        const char *count = row[3 * i], *value = row[3 * i + 1], *key = row[3 * i + 2];
        if (!count || !strcmp(count, "0") || !value)
            continue;
        const MyColumn *col = &t->cols[checked[i]];
        const char *problem = mysql_value_problem(col, value, lengths[3 * i + 1]);
        if (!problem && col->kind == MYV_ENUM && !strcmp(value, "0"))
            problem = "is the empty value MySQL stores for an invalid ENUM label (fix the row, or --type-map the"
                      " column to text)";
        if (!problem)
            problem = "cannot be stored by PostgreSQL";
        char *at = where_is(t, key);
        log_error("source table %s.%s, column %s, %s: value '%s' %s (%s row(s) of the table hold such values)",
                  t->schema, t->name, col->name, at, value, problem, count);
        free(at);
        any = true;
    }
    return any;
}

/* Whether the table's rows hold values PostgreSQL cannot take (each column named); rc: the query's. */
static GwResult
scan_table(MyConn *c, const MyTable *t, bool *bad)
{
    size_t *checked, nchecked;
    char *sql = scan_sql(c, t, &checked, &nchecked);
    GwResult rc = GW_OK;
    MYSQL_RES *res;
    if (sql)
        rc = mysql_conn_query(c, sql, (unsigned) (3 * nchecked), &res);
    if (sql && rc == GW_OK) {
        MYSQL_ROW row = mysql_fetch_row(res);
        if (row && report_bad_columns(t, row, mysql_fetch_lengths(res), checked, nchecked))
            *bad = true;
        mysql_free_result(res);
    }
    free(sql);
    free(checked);
    return rc;
}

/* A MySQL source creates nothing for a new stream (no slot: the binlog is the server's), so new_stream needs no check. */
GwResult
mysql_check_source(EngineConn *conn, const Catalog *cat, bool stream, const char *new_stream)
{
    MyConn *c = MY(conn);
    (void) cat;
    (void) new_stream;
    GwResult rc = GW_OK;
    if (stream)
        rc = check_binlog(c);
    if (stream && rc == GW_OK)
        rc = check_partial_json(c);
    if (stream && rc == GW_OK)
        rc = check_privileges(c);
    /* Every table and column is looked at: one refusal names them all. */
    bool bad = false;
    for (size_t i = 0; i < c->ntables && rc == GW_OK; i++)
        rc = scan_table(c, c->tables[i], &bad);
    if (rc == GW_OK && bad)
        rc = GW_ERR_USAGE;
    return rc;
}
