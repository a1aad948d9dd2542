/*
 * mysql_conn.c: Connector/C sessions as EngineConns, checked query helpers,
 * quoting, the table description cache, stale-session cleanup and the
 * phase's source options (see mysql_conn.h).
 *
 * It must never print a password: messages name the endpoint by its
 * redacted URL, and Connector/C's own messages do not contain it.
 */
#include "engine/mysql/mysql_conn.h"
#include "engine/mysql/mysql_apply.h"

#include <errmsg.h>
#include <mysqld_error.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_grant.h"
#include "engine/mysql/mysql_internal.h"
#include "engine/mysql/mysql_url.h"
#include "util/log.h"
#include "util/url.h"
#include "util/mem.h"
#include "util/strbuf.h"
#include "util/sleep.h"

/* Seconds a connection attempt may take when the URL does not say. */
#define MYSQL_CONNECT_TIMEOUT_S 10
/* How long a resumed run waits for the sessions of a killed one to end. */
#define MYSQL_STALE_WAIT_S 30

static const char *const session_settings =
    "SET SESSION time_zone = '+00:00', sql_mode = 'NO_ENGINE_SUBSTITUTION,NO_BACKSLASH_ESCAPES',"
    " net_write_timeout = 3600, net_read_timeout = 3600, wait_timeout = 604800";

static pthread_once_t library_once = PTHREAD_ONCE_INIT;

static void
library_end(void)
{
    mysql_library_end();
}

/* Connector/C's global state is set up once, before any thread opens a session. */
static void
library_init(void)
{
    if (mysql_library_init(0, NULL, NULL) == 0)
        atexit(library_end);
}

/*
 * TLS as the URL says it, in Connector/C's options: REQUIRED and stricter
 * enforce it (no session in clear text); the VERIFY modes check the
 * server's certificate, against ssl-ca when given (Connector/C checks its
 * host name in the same step, so VERIFY_CA is VERIFY_IDENTITY).
 */
static void
set_tls(MYSQL *my, const MyUrl *u)
{
    if (u->ssl_mode == MY_SSL_DISABLED)
        return;
    if (u->ssl_ca)
        mysql_optionsv(my, MYSQL_OPT_SSL_CA, u->ssl_ca);
    if (u->ssl_capath)
        mysql_optionsv(my, MYSQL_OPT_SSL_CAPATH, u->ssl_capath);
    if (u->ssl_cert)
        mysql_optionsv(my, MYSQL_OPT_SSL_CERT, u->ssl_cert);
    if (u->ssl_key)
        mysql_optionsv(my, MYSQL_OPT_SSL_KEY, u->ssl_key);
    my_bool enforce = u->ssl_mode >= MY_SSL_REQUIRED;
    my_bool verify = u->ssl_mode >= MY_SSL_VERIFY_CA;
    mysql_optionsv(my, MYSQL_OPT_SSL_ENFORCE, &enforce);
    mysql_optionsv(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
}

static void
set_options(MYSQL *my, const MyUrl *u, const Endpoint *ep)
{
    unsigned int timeout = u->connect_timeout ? u->connect_timeout : MYSQL_CONNECT_TIMEOUT_S;
    unsigned int no = 0;
    mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_options(my, MYSQL_OPT_LOCAL_INFILE, &no);
    mysql_optionsv(my, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", ep->app_name ? ep->app_name : "godwit");
    set_tls(my, u);
}

/* The session settings every godwit session runs under (mysql_conn.h). */
static int
setup_session(MYSQL *my, bool mariadb)
{
    if (mysql_query(my, session_settings) != 0 ||
        mysql_query(my, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ") != 0)
        return -1;
    /* MySQL 8 caches table statistics (AUTO_INCREMENT, TABLE_ROWS) for a day by default. */
    if (!mariadb && mysql_get_server_version(my) >= 80000 &&
        mysql_query(my, "SET SESSION information_schema_stats_expiry = 0") != 0)
        return -1;
    return 0;
}

/* errnum (may be NULL): the MySQL error of a failed connect, for error_is_transient. */
static GwResult
open_session(const Endpoint *ep, MYSQL **out, char **database, unsigned int *errnum)
{
    pthread_once(&library_once, library_init);
    MyUrl u;
    char err[256];
    if (mysql_url_parse(ep->url, &u, err, sizeof err) != 0) {
        /* In a malformed URL the piece the parser quotes (a "port") can be part of the password. */
        char *why = url_scrub(err, ep->url);
        log_error("%s URL '%s' is not valid: %s", role_name(ep->role), ep->redacted, why);
        free(why);
        return GW_ERR_USAGE;
    }
    MYSQL *my = mysql_init(NULL);
    if (!my) {
        mysql_url_free(&u);
        log_error("%s %s: out of memory for a connection", role_name(ep->role), ep->redacted);
        return GW_ERR_INTERNAL;
    }
    set_options(my, &u, ep);
    GwResult rc = GW_OK;
    if (!mysql_real_connect(my, u.host, u.user, u.password, u.database, u.port, u.socket, 0)) {
        log_error("%s %s: cannot connect: %s (MySQL error %u)", role_name(ep->role), ep->redacted, mysql_error(my),
                  mysql_errno(my));
        rc = role_error(ep->role);
    } else if (setup_session(my, strstr(mysql_get_server_info(my), "MariaDB") != NULL) != 0) {
        log_error("%s %s: setting up the session: %s (MySQL error %u)", role_name(ep->role), ep->redacted,
                  mysql_error(my), mysql_errno(my));
        rc = role_error(ep->role);
    }
    if (rc && errnum)
        *errnum = mysql_errno(my);
    if (rc == GW_OK && database && u.database)
        *database = gw_strdup(u.database);
    mysql_url_free(&u);
    if (rc) {
        mysql_close(my);
        return rc;
    }
    *out = my;
    return GW_OK;
}

GwResult
mysql_conn_open_endpoint(const Endpoint *ep, MYSQL **out)
{
    return open_session(ep, out, NULL, NULL);
}

GwResult
mysql_conn_open_raw(EngineConn *conn, MYSQL **out)
{
    /* A session opened mid-stream (the binlog's) that cannot connect is an outage like any other. */
    return open_session(conn->endpoint, out, NULL, &MY(conn)->last_errno);
}

/* "/ * godwit fetch:default * / ": marks the long queries of this app (no comment delimiters inside). */
static char *
make_tag(const char *app)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, "/* ");
    for (const char *p = app ? app : "godwit"; *p; p++)
        strbuf_append_char(&sb, *p == '*' || *p == '/' ? '_' : *p);
    strbuf_append(&sb, " */ ");
    return strbuf_take(&sb);
}

GwResult
mysql_connect(const Endpoint *ep, EngineConn **out)
{
    MYSQL *my;
    char *database = NULL;
    GwResult rc = open_session(ep, &my, &database, NULL);
    if (rc)
        return rc;
    MyConn *c = gw_calloc(1, sizeof *c);
    c->base.ops = &mysql_engine_ops;
    c->base.kind = ENGINE_MYSQL;
    c->base.role = ep->role;
    c->base.endpoint = ep;
    c->my = my;
    c->mariadb = strstr(mysql_get_server_info(my), "MariaDB") != NULL;
    c->server_version = mysql_get_server_version(my);
    c->database = database;
    c->tag = make_tag(ep->app_name);
    *out = &c->base;
    return GW_OK;
}

void
mysql_close_conn(EngineConn *conn)
{
    MyConn *c = MY(conn);
    mysql_copy_free(c);
    mysql_apply_free(c);
    if (c->lock)
        mysql_close(c->lock);
    mysql_tables_clear(c);
    mysql_options_free(&c->opts);
    mysql_close(c->my);
    free(c->database);
    free(c->tag);
    free(c->own_position);
    free(c);
}

void
mysql_conn_note_error(EngineConn *conn, unsigned int errnum)
{
    MY(conn)->last_errno = errnum;
}

/*
 * MySQL's "access denied" errors: a privilege the user lacks (ER_DBACCESS_DENIED_ERROR ...
 * ER_SPECIFIC_ACCESS_DENIED_ERROR), and CREATE TRIGGER or a routine without SUPER under binary
 * logging (ER_BINLOG_CREATE_ROUTINE_NEED_SUPER).
 */
static bool
access_denied(unsigned int errnum)
{
    return errnum == 1044 || errnum == 1142 || errnum == 1143 || errnum == 1227 || errnum == 1370 || errnum == 1419;
}

/* The account the session runs as (CURRENT_USER(), user@host), asked after a refusal; NULL if it cannot say. */
static char *
session_account(MYSQL *my)
{
    if (mysql_query(my, "SELECT CURRENT_USER()") != 0)
        return NULL;
    MYSQL_RES *res = mysql_store_result(my);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    char *account = row && row[0] ? gw_strdup(row[0]) : NULL;
    if (res)
        mysql_free_result(res);
    return account;
}

GwResult
mysql_conn_report_on(MyConn *c, MYSQL *my, const char *what)
{
    unsigned errnum = mysql_errno(my);
    c->last_errno = errnum;
    if (!access_denied(errnum)) {
        log_error("%s %s: %s: %s (MySQL error %u)", role_name(c->base.role), c->base.endpoint->redacted, what,
                  mysql_error(my), errnum);
        return role_error(c->base.role);
    }
    /* A privilege the user lacks is the operator's to grant, not a failure of the database (exit 2). */
    char *message = gw_strdup(mysql_error(my));
    char *account = session_account(my);
    char *grant = mysql_grant_for(errnum, message, account);
    log_error("%s %s: %s: %s (MySQL error %u); %s%s (docs/privileges.md lists what godwit needs)",
              role_name(c->base.role), c->base.endpoint->redacted, what, message, errnum,
              grant ? "as an administrator: " : "grant it", grant ? grant : "");
    free(grant);
    free(account);
    free(message);
    return GW_ERR_USAGE;
}

GwResult
mysql_conn_report(MyConn *c, const char *what)
{
    return mysql_conn_report_on(c, c->my, what);
}

/* First line of a statement, shortened (and without the tag): what a log line says was being done. */
static char *
sql_summary(const MyConn *c, const char *sql)
{
    if (c->tag && !strncmp(sql, c->tag, strlen(c->tag)))
        sql += strlen(c->tag);
    size_t n = strcspn(sql, "\n");
    return gw_strndup(sql, n > 120 ? 120 : n);
}

void
mysql_conn_mark_own_writes(MyConn *c, const char *what)
{
    if (!c->mariadb)
        return;
    const char *sql = "SET SESSION skip_replication = 1";
    if (mysql_real_query(c->my, sql, strlen(sql)) != 0)
        log_warn("%s %s: cannot set skip_replication (%s): forward streams of other phases may stop at %s",
                 role_name(c->base.role), c->base.endpoint->redacted, mysql_error(c->my), what);
}

GwResult
mysql_conn_exec(MyConn *c, const char *sql)
{
    if (mysql_real_query(c->my, sql, strlen(sql)) != 0) {
        char *what = sql_summary(c, sql);
        GwResult rc = mysql_conn_report(c, what);
        free(what);
        return rc;
    }
    MYSQL_RES *res = mysql_store_result(c->my);
    if (res)
        mysql_free_result(res);
    return GW_OK;
}

GwResult
mysql_conn_query(MyConn *c, const char *sql, unsigned int ncols, MYSQL_RES **out)
{
    MYSQL_RES *res = NULL;
    if (mysql_real_query(c->my, sql, strlen(sql)) == 0)
        res = mysql_store_result(c->my);
    if (res && mysql_num_fields(res) == ncols) {
        *out = res;
        return GW_OK;
    }
    char *what = sql_summary(c, sql);
    GwResult rc;
    if (res || mysql_errno(c->my) == 0) {
        log_error("%s %s: %s: unexpected result shape", role_name(c->base.role), c->base.endpoint->redacted, what);
        rc = role_error(c->base.role);
    } else {
        rc = mysql_conn_report(c, what);
    }
    if (res)
        mysql_free_result(res);
    free(what);
    return rc;
}

char *
mysql_quote_ident(const char *name)
{
    return str_quote(name, '`');
}

/* Standard SQL: every session runs with NO_BACKSLASH_ESCAPES, so doubling quotes is complete. */
char *
mysql_quote_literal(const char *value)
{
    return str_quote(value, '\'');
}

char *
mysql_qualified(const char *schema, const char *name)
{
    char *s = mysql_quote_ident(schema), *n = mysql_quote_ident(name);
    char *q = gw_asprintf("%s.%s", s, n);
    free(s);
    free(n);
    return q;
}

static void
table_free(MyTable *t)
{
    for (size_t i = 0; i < t->ncols; i++) {
        mysql_column_free(&t->cols[i]);
        mysql_pg_type_free(&t->pg[i]);
    }
    free(t->cols);
    free(t->pg);
    free(t->pk);
    free(t->schema);
    free(t->name);
    free(t->where_sql);
    memset(t, 0, sizeof *t);
}

static MyTable *
table_find(MyConn *c, const char *schema, const char *name)
{
    for (size_t i = 0; i < c->ntables; i++)
        if (!strcmp(c->tables[i]->schema, schema) && !strcmp(c->tables[i]->name, name))
            return c->tables[i];
    return NULL;
}

MyTable *
mysql_table_add(MyConn *c, const char *schema, const char *name)
{
    MyTable *t = table_find(c, schema, name);
    if (t) {
        table_free(t);
    } else {
        c->tables = gw_realloc(c->tables, (c->ntables + 1) * sizeof *c->tables);
        t = c->tables[c->ntables++] = gw_calloc(1, sizeof *t);
    }
    t->schema = gw_strdup(schema);
    t->name = gw_strdup(name);
    return t;
}

void
mysql_tables_clear(MyConn *c)
{
    for (size_t i = 0; i < c->ntables; i++) {
        table_free(c->tables[i]);
        free(c->tables[i]);
    }
    free(c->tables);
    c->tables = NULL;
    c->ntables = 0;
}

/* The table's description, read on first use; *out NULL when it does not exist. */
static GwResult
table_lookup(MyConn *c, const char *schema, const char *table, const MyTable **out)
{
    *out = table_find(c, schema, table);
    if (*out)
        return GW_OK;
    bool found = false;
    GwResult rc = mysql_describe_one(c, schema, table, &found);
    if (rc == GW_OK && found)
        *out = table_find(c, schema, table);
    return rc;
}

const MyTable *
mysql_table_get(MyConn *c, const char *schema, const char *table)
{
    const MyTable *t;
    if (table_lookup(c, schema, table, &t) != GW_OK)
        return NULL;
    if (!t)
        log_error("%s %s: table %s.%s does not exist", role_name(c->base.role), c->base.endpoint->redacted, schema,
                  table);
    return t;
}

GwResult
mysql_table_columns(EngineConn *conn, const char *schema, const char *table, const MyColumn **cols, size_t *ncols)
{
    const MyTable *t;
    GwResult rc = table_lookup(MY(conn), schema, table, &t);
    *cols = t ? t->cols : NULL;
    *ncols = t ? t->ncols : 0;
    return rc;
}

void
mysql_table_forget(EngineConn *conn, const char *schema, const char *table)
{
    MyConn *c = MY(conn);
    for (size_t i = 0; i < c->ntables; i++) {
        MyTable *t = c->tables[i];
        if (strcmp(t->schema, schema) != 0 || strcmp(t->name, table) != 0)
            continue;
        table_free(t);
        free(t);
        c->tables[i] = c->tables[--c->ntables];
        return;
    }
}

GwResult
mysql_set_source_options(EngineConn *conn, const char *json)
{
    MyConn *c = MY(conn);
    char err[256];
    MyOptions opts;
    if (mysql_options_parse(json, &opts, err, sizeof err) != 0) {
        log_error("source options %s: %s", json, err);
        return GW_ERR_USAGE;
    }
    mysql_options_free(&c->opts);
    c->opts = opts;
    /* Descriptions depend on the options (types, zero dates): read them again. */
    mysql_tables_clear(c);
    return GW_OK;
}

/*
 * Lost connections, a server shutting down or starting, too many
 * connections, a lock wait or deadlock (the statement may succeed when run
 * again).
 */
bool
mysql_error_is_transient(EngineConn *conn)
{
    static const unsigned int transient[] = {
        CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_SERVER_GONE_ERROR, CR_SERVER_LOST, 2055 /* lost, extended */,
        ER_CON_COUNT_ERROR, ER_SERVER_SHUTDOWN, ER_NORMAL_SHUTDOWN, ER_NET_READ_ERROR, ER_NET_READ_INTERRUPTED,
        ER_NET_ERROR_ON_WRITE, ER_NET_WRITE_INTERRUPTED, ER_LOCK_WAIT_TIMEOUT, ER_LOCK_DEADLOCK,
        1927 /* MariaDB: connection killed */, 4031 /* MySQL 8: disconnected by the server */,
    };
    unsigned int e = MY(conn)->last_errno;
    for (size_t i = 0; i < sizeof transient / sizeof transient[0]; i++)
        if (e == transient[i])
            return true;
    return false;
}

/* Ids of other sessions running a query that carries this app's tag. */
static GwResult
stale_ids(MyConn *c, unsigned long **ids, size_t *n)
{
    MYSQL_RES *res;
    *ids = NULL;
    *n = 0;
    GwResult rc = mysql_conn_query(c,
                                   "SELECT ID, INFO FROM information_schema.PROCESSLIST"
                                   " WHERE ID <> CONNECTION_ID() AND INFO LIKE '/* godwit%'",
                                   2, &res);
    if (rc)
        return rc;
    MYSQL_ROW row;
    size_t taglen = strlen(c->tag);
    while ((row = mysql_fetch_row(res))) {
        if (!row[0] || !row[1] || strncmp(row[1], c->tag, taglen) != 0)
            continue;
        *ids = gw_realloc(*ids, (*n + 1) * sizeof **ids);
        (*ids)[(*n)++] = strtoul(row[0], NULL, 10);
    }
    mysql_free_result(res);
    return GW_OK;
}

/*
 * A killed run's sessions are recognized by the comment that starts each of
 * its long queries (the app name: "godwit fetch:<phase>"); an idle session
 * of a dead client is closed by the server itself when the socket closes.
 */
GwResult
mysql_end_stale_sessions(EngineConn *conn)
{
    MyConn *c = MY(conn);
    unsigned long *ids;
    size_t n;
    GwResult rc = stale_ids(c, &ids, &n);
    for (size_t i = 0; i < n && rc == GW_OK; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, "KILL %lu", ids[i]);
        if (mysql_query(c->my, sql) != 0 && mysql_errno(c->my) != ER_NO_SUCH_THREAD)
            rc = mysql_conn_report(c, "ending a session of an earlier run");
    }
    free(ids);
    if (rc || n == 0)
        return rc;
    log_warn("%s: ended %zu session(s) left by an earlier godwit run of the same phase", role_name(c->base.role), n);
    for (int waited = 0; waited < MYSQL_STALE_WAIT_S * 10; waited++) {
        rc = stale_ids(c, &ids, &n);
        free(ids);
        if (rc || n == 0)
            return rc;
        sleep_ms(100);
    }
    log_error("%s: sessions of an earlier godwit run did not end within %d s", role_name(c->base.role),
              MYSQL_STALE_WAIT_S);
    return role_error(c->base.role);
}

char *
mysql_server_summary(EngineConn *conn)
{
    MyConn *c = MY(conn);
    const char *cipher = mysql_get_ssl_cipher(c->my);
    return gw_asprintf("%s %s, %s%s", c->mariadb ? "MariaDB" : "MySQL", mysql_get_server_info(c->my),
                       cipher ? "TLS " : "no TLS", cipher ? cipher : "");
}
