/*
 * mysql_conn.h: a MySQL/MariaDB connection (Connector/C) as an EngineConn,
 * its checked query helpers, identifier and literal quoting, and the
 * per-table column descriptions (MyColumn) that describe() reads and the
 * bulk reader and the binlog stream use.
 *
 * Every session is set up the same way (mysql_conn_open_raw): character set
 * utf8mb4 (the server converts every text column to UTF-8), time_zone
 * '+00:00' (TIMESTAMP values in UTC), sql_mode NO_BACKSLASH_ESCAPES (string
 * literals are standard SQL: '' is a quote, a backslash is itself) without
 * PAD_CHAR_TO_FULL_LENGTH, REPEATABLE READ, and long network timeouts (a
 * target that pauses must not make the server drop a streaming SELECT).
 *
 * Helpers log a failure once, naming the side, the server's error number
 * and what was being done, and return the role's error code.
 */
#ifndef GW_MYSQL_CONN_H
#define GW_MYSQL_CONN_H

#include <mysql.h>
#include <stdbool.h>

#include "engine/engine.h"
#include "engine/mysql/mysql_column.h"
#include "engine/mysql/mysql_engine.h"
#include "engine/mysql/mysql_types.h"

/* One table as describe() saw it: every column in ordinal order, generated ones included. */
typedef struct MyTable {
    char *schema;
    char *name;
    MyColumn *cols;         /* ncols entries; what mysql_table_columns() returns */
    MyPgType *pg;           /* the PostgreSQL side of each column */
    size_t ncols;
    size_t *pk;             /* positions in cols of the primary key, in key order */
    size_t npk;
    char *where_sql;        /* the phase's row filter in MySQL's dialect, or NULL */
} MyTable;

typedef struct MyCopy MyCopy;
typedef struct MyApplier MyApplier;

typedef struct MyConn {
    EngineConn base;
    MYSQL *my;
    bool mariadb;           /* MariaDB, not Oracle MySQL */
    unsigned long server_version;   /* e.g. 101119 */
    char *database;         /* the URL's database: only its tables are described; NULL: all */
    unsigned int last_errno;        /* of the last failure, for error_is_transient */
    char *tag;              /* "/ * app name * / " prefix of long queries (end_stale_sessions) */
    MyOptions opts;         /* the phase's source options */
    bool warned;            /* describe() gave its warnings once already (it runs twice per fetch) */
    MyTable **tables;       /* column descriptions, by describe() or on demand (stable addresses) */
    size_t ntables;
    /* snapshot (mysql_snapshot.c) */
    MYSQL *lock;            /* the session that took the snapshot, holding the lock until snapshot_ready */
    bool locked;            /* it holds FLUSH TABLES WITH READ LOCK */
    double lock_started;
    char *own_position;     /* position of this session's own snapshot (lock-free mode) */
    /* bulk copy in progress (mysql_copy.c) */
    MyCopy *copy;
    /* the apply session of a change stream written here (mysql_apply.c) */
    MyApplier *applier;
} MyConn;

#define MY(conn) ((MyConn *) (conn))

/*
 * Opens another raw session to conn's server, set up exactly like conn's
 * (same URL, password, character set, time zone, sql_mode): the binlog
 * stream's connection.  The caller closes it with mysql_close().
 */
GwResult mysql_conn_open_raw(EngineConn *conn, MYSQL **out) GW_MUST_CHECK;
/* The same from an endpoint (used by connect). */
GwResult mysql_conn_open_endpoint(const Endpoint *ep, MYSQL **out) GW_MUST_CHECK;

/*
 * Every column of schema.table, in ordinal order, generated columns
 * included (MyColumn.generated; a Catalog's TableDef lists only the others,
 * in the same order).  Described by describe() or, for a table it did not
 * describe, read now from information_schema with the connection's source
 * options.  *cols is NULL when the table does not exist; an error (logged,
 * with its number kept for error_is_transient) means the catalog could not be
 * read.  Valid until the connection is closed or the table is forgotten.
 */
GwResult mysql_table_columns(EngineConn *conn, const char *schema, const char *table, const MyColumn **cols,
                             size_t *ncols);
/* The whole description (PostgreSQL types, key); NULL as above. */
const MyTable *mysql_table_get(MyConn *c, const char *schema, const char *table);
/* Forgets a table's description (after its DDL changed): the next call reads it again. */
void mysql_table_forget(EngineConn *conn, const char *schema, const char *table);

/* Records an error number for error_is_transient (0: an error that is not transient). */
void mysql_conn_note_error(EngineConn *conn, unsigned int errnum);

/*
 * Marks what this session writes from now on as godwit's own (MariaDB's
 * skip_replication), so that forward streams of other phases reading the
 * same binlog skip it instead of stopping at its DDL; what: that DDL, for
 * the warning when the server refuses.  Nothing on Oracle MySQL.
 */
void mysql_conn_mark_own_writes(MyConn *c, const char *what);

/* Runs a statement that returns no rows. */
GwResult mysql_conn_exec(MyConn *c, const char *sql) GW_MUST_CHECK;
/* Runs a query and stores its result; checks it has exactly ncols columns. */
GwResult mysql_conn_query(MyConn *c, const char *sql, unsigned int ncols, MYSQL_RES **out) GW_MUST_CHECK;
/* Logs the connection's last error with what was being done; returns the role's code. */
GwResult mysql_conn_report(MyConn *c, const char *what);
/* The same for another session (mysql_close'd by the caller). */
GwResult mysql_conn_report_on(MyConn *c, MYSQL *my, const char *what);

/* Quoting: identifiers in backticks (doubled inside), literals in standard SQL. Caller frees. */
char *mysql_quote_ident(const char *name);
char *mysql_quote_literal(const char *value);
char *mysql_qualified(const char *schema, const char *name);

#endif
