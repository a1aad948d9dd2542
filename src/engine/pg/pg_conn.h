/*
 * pg_conn.h: a libpq connection as an EngineConn, and the checked query
 * helpers every pg_*.c file uses.  Every helper logs a failure once, with
 * the side, the SQLSTATE and what was being done, and returns the role's
 * error code; callers only propagate it.
 */
#ifndef GW_PG_CONN_H
#define GW_PG_CONN_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "engine/engine.h"
#include "engine/pg/pg_ddl.h"
#include "engine/pg/pg_engine.h"

/*
 * What differs between the servers that speak PostgreSQL's protocol, as the
 * engine that took the connection declares it (pg_engine.c, crdb_engine.c).
 * The operations both engines share read these properties instead of asking
 * which server they talk to; an operation that differs as a whole is the
 * engine's own (engine/crdb/crdb_*.c).
 */
typedef struct PgDialect {
    const char *session_settings;   /* output settings (see pg_conn.c), as this server takes them */
    SqlDialect sql;                 /* how DDL is written (pg_ddl.h) */
    bool inheritance;               /* tables may inherit: a statement names ONLY s.t to mean one table */
    /* Declarative partitioning: partitioned tables, their partitions' bounds, and publishing them by their root. */
    bool partitioning;
    bool trigger_catalog;           /* pg_trigger tells whether a table has triggers of its own */
    bool privilege_checks;          /* has_*_privilege tells, before a fetch makes anything, what it may do */
    bool transactional_ddl;         /* a target's schema is made in one transaction */
    bool tuning_settings;           /* enable_seqscan and maintenance_work_mem exist */
    /* An existing column's type and nullability read back as the source's DDL wrote them: compared. */
    bool exact_column_types;
    bool create_with_pk;            /* a table's primary key is declared in its CREATE TABLE, not added after the load */
    bool domains;                   /* domain types are made on the target (else a column takes its base type) */
    /* A load may bypass existing foreign keys (session_replication_role): their rows are checked after. */
    bool loads_bypass_foreign_keys;
    /* Session temporary tables are usable: an applier stages the changes it merges per key in them. */
    bool temp_tables;
    /* synchronous_commit exists: a session can make its commits wait for the disk whatever the default. */
    bool synchronous_commit;
    /* TABLESAMPLE SYSTEM exists: a table's key range is split at a page sample of its keys. */
    bool table_sample;
    /*
     * Of a PostgreSQL source's schema script (SchemaScript): the kinds of
     * entries it makes (NULL: every kind; the others are listed as not
     * migrated), and whether it takes pg_dump's session settings.
     */
    const char *const *script_kinds;
    bool script_settings;
} PgDialect;

/* PostgreSQL's session settings: fixed output forms of every value (see pg_conn.c). */
extern const char pg_session_settings[];

typedef struct PgConn {
    EngineConn base;
    PGconn *pg;
    PGconn *repl;           /* replication connection exporting a snapshot */
    int server_version;     /* server_version_num; CockroachDB reports its PG compatibility */
    int crdb_version;       /* CockroachDB's own, major * 100 + minor (v24.2: 2402); 0 elsewhere or unknown */
    char sqlstate[6];       /* of the last failed command */
    /* bulk copy in progress */
    char *copy_chunk;       /* last PQgetCopyData buffer, freed on the next call */
    bool copy_active;
    struct Applier *applier;    /* change apply session (pg_apply.c), created on first use */
    int db_collation_binary;    /* -1 not read yet, else whether the database's collation is bytewise */
    int as_replica;             /* -1 not tried yet, else whether the session runs as a replica (pg_as_replica) */
    char replica_refused[160];  /* why it does not: the server's message */
    int phases_version;         /* -1 not read yet, else how many of the later columns _godwit.phases has */
    const PgDialect *dialect;   /* set by the engine that took the connection (pg_wire_start) */
} PgConn;

#define PG(conn) ((PgConn *) (conn))

/* Opens a libpq connection for ep; replication = logical walsender mode. */
GwResult pg_open(const Endpoint *ep, bool replication, PGconn **out) GW_MUST_CHECK;

/*
 * Puts the session in session_replication_role replica, once: its writes
 * fire only triggers and rules enabled ALWAYS or REPLICA, and no foreign-key
 * check or action, as PostgreSQL's own apply worker.  False when the server
 * refuses (before PostgreSQL 16 only a superuser may set it; CockroachDB has
 * no such setting): c->replica_refused says why.
 */
bool pg_as_replica(PgConn *c);
/* Whether the session's role may run as a replica, asked without staying one (why not: c->replica_refused). */
bool pg_may_be_replica(PgConn *c);

/* Runs a command that returns no rows. */
GwResult pg_exec(PgConn *c, const char *sql) GW_MUST_CHECK;
/* Like pg_exec, but an error with SQLSTATE ok_state is success. */
GwResult pg_exec_allow(PgConn *c, const char *sql, const char *ok_state) GW_MUST_CHECK;
/*
 * Runs NULL-terminated idempotent DDL (IF NOT EXISTS); a unique violation is
 * another godwit process creating the same object at the same moment.
 */
GwResult pg_exec_ddl(PgConn *c, const char *const *ddl) GW_MUST_CHECK;
/* Runs a command with parameters, its result (if any) unused. */
GwResult pg_exec_params(PgConn *c, const char *sql, int nparams, const char *const *params) GW_MUST_CHECK;
/* Runs a query; checks it returned rows with exactly ncols columns. */
GwResult pg_query(PgConn *c, const char *sql, int ncols, PGresult **out) GW_MUST_CHECK;
GwResult pg_query_params(PgConn *c, const char *sql, int nparams, const char *const *params, int ncols,
                         PGresult **out) GW_MUST_CHECK;
/* Ends a failed transaction; its own failure is moot (the connection may be gone). */
void pg_rollback(PgConn *c);
/* Logs a failed result (or the connection's error) and returns the role's code. */
GwResult pg_report(PgConn *c, PGresult *res, const char *what);
/* EngineOps.server_summary of PostgreSQL and CockroachDB. */
char *pg_server_summary(EngineConn *conn);
/* EngineOps.scratch_database of PostgreSQL and CockroachDB (pg_scratch.c). */
GwResult pg_scratch_database(EngineConn *conn, const char *name, bool create) GW_MUST_CHECK;
/* The same for another libpq connection of c (its replication connection). */
GwResult pg_report_on(PgConn *c, PGconn *pg, PGresult *res, const char *what);

/* Quoting: identifiers are always quoted, literals use standard strings. Caller frees. */
char *pg_quote_ident(const char *name);
char *pg_quote_literal(const char *value);
char *pg_qualified(const char *schema, const char *name);
/*
 * The same name as a statement reads or changes it: "ONLY s.t" on
 * PostgreSQL, where a plain name also takes the rows of the tables that
 * inherit from it (they are tables of their own, copied and streamed as
 * such); the plain name on CockroachDB, which has no inheritance (nor ONLY),
 * and for a partitioned table, which ONLY would make an empty one: a
 * SELECT reads nothing and an UPDATE or DELETE silently changes nothing.
 */
char *pg_only_qualified(const PgConn *c, const char *schema, const char *name, bool partitioned);
char *pg_table_ref(const PgConn *c, const TableDef *t);
/* Whether schema.name is a partitioned table on this server (for statements that only know its name). */
GwResult pg_is_partitioned(PgConn *c, const char *schema, const char *name, bool *out) GW_MUST_CHECK;


/*
 * The second step of opening a session (the first is pg_wire_open,
 * pg_engine.h): gives it the engine's ops table and dialect and applies the
 * dialect's session settings; closes it on failure.
 */
GwResult pg_wire_start(EngineConn *conn, const EngineOps *ops, const PgDialect *d) GW_MUST_CHECK;

/* EngineOps entries implemented here. */
GwResult pg_connect(const Endpoint *ep, EngineConn **out) GW_MUST_CHECK;
void pg_close(EngineConn *conn);
GwResult pg_end_stale_sessions(EngineConn *conn) GW_MUST_CHECK;
GwResult pg_count_sessions(EngineConn *conn, const char *app_name, int *count) GW_MUST_CHECK;
/* pg_runner.c; the first key of every runner lock ("gdwr"), which tells them from other advisory locks. */
#define PG_RUNNER_LOCK_CLASS "1734637426"
GwResult pg_runner_lock(EngineConn *conn, const char *stream, const RunnerInfo *me, bool *taken,
                        RunnerInfo *holder) GW_MUST_CHECK;
GwResult pg_runner_held(EngineConn *conn, const char *stream, bool *held) GW_MUST_CHECK;
GwResult pg_runner_end_holder(EngineConn *conn, const char *stream, long long session) GW_MUST_CHECK;
GwResult pg_runner_unlock(EngineConn *conn, const char *stream) GW_MUST_CHECK;
/* pg_count.c */
GwResult pg_count_rows(EngineConn *conn, const char *schema, const char *table, const char *where_sql,
                       int64_t *out) GW_MUST_CHECK;
GwResult pg_count_values(EngineConn *conn, const TableDef *t, size_t col, ValueTest test, const char *where_sql,
                         int64_t *n) GW_MUST_CHECK;
GwResult pg_check_predicate(EngineConn *conn, const TableDef *t, const char *where_sql,
                            const char *text) GW_MUST_CHECK;
bool pg_error_is_transient(EngineConn *conn);

#endif
