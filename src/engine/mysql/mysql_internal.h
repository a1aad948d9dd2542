/*
 * mysql_internal.h: the MySQL engine's operations, grouped by file.
 * Internal to src/engine/mysql; the rest of godwit reaches them through
 * mysql_engine_ops only.
 */
#ifndef GW_MYSQL_INTERNAL_H
#define GW_MYSQL_INTERNAL_H

#include "core/phase_names.h"
#include "engine/engine.h"
#include "engine/mysql/mysql_conn.h"
#include "util/strbuf.h"

/* The databases godwit never copies. */
#define MYSQL_SYSTEM_SCHEMAS "'mysql', 'information_schema', 'performance_schema', 'sys', '_godwit'"

/* mysql_conn.c */
GwResult mysql_connect(const Endpoint *ep, EngineConn **out) GW_MUST_CHECK;
void mysql_close_conn(EngineConn *conn);
bool mysql_error_is_transient(EngineConn *conn);
char *mysql_server_summary(EngineConn *conn);
GwResult mysql_end_stale_sessions(EngineConn *conn) GW_MUST_CHECK;
/* mysql_runner.c */
GwResult mysql_runner_lock(EngineConn *conn, const char *stream, const RunnerInfo *me, bool *taken,
                           RunnerInfo *holder) GW_MUST_CHECK;
GwResult mysql_runner_held(EngineConn *conn, const char *stream, bool *held) GW_MUST_CHECK;
GwResult mysql_runner_end_holder(EngineConn *conn, const char *stream, long long session) GW_MUST_CHECK;
GwResult mysql_runner_unlock(EngineConn *conn, const char *stream) GW_MUST_CHECK;
/* mysql_count.c */
GwResult mysql_count_rows(EngineConn *conn, const char *schema, const char *table, const char *where_sql,
                          int64_t *out) GW_MUST_CHECK;
GwResult mysql_set_source_options(EngineConn *conn, const char *json) GW_MUST_CHECK;
/* Adds an empty table description to the cache (replacing one of the same name). */
MyTable *mysql_table_add(MyConn *c, const char *schema, const char *name);
void mysql_tables_clear(MyConn *c);

/* mysql_engine.c */
char *mysql_render_predicate(EngineConn *conn, const Predicate *p);
/* The same, its columns those of a trigger's row: row is "NEW" or "OLD". */
char *mysql_render_predicate_on_row(EngineConn *conn, const Predicate *p, const char *row);

/* mysql_fence.c */
GwResult mysql_fence_install(EngineConn *conn, const MigrationPhase *mp, const FenceTable *tables,
                             size_t n) GW_MUST_CHECK;
GwResult mysql_fence_remove(EngineConn *conn, const MigrationPhase *mp) GW_MUST_CHECK;

/* mysql_zero_dates.c */
GwResult mysql_nullable_by_values(EngineConn *conn, Catalog *cat) GW_MUST_CHECK;

/* mysql_trigger_guard.c */
GwResult mysql_guard_triggers(EngineConn *conn, const MigrationPhase *mp, const Selection *tables) GW_MUST_CHECK;
GwResult mysql_unguard_triggers(EngineConn *conn, const MigrationPhase *mp) GW_MUST_CHECK;

/* mysql_catalog.c */
GwResult mysql_describe(EngineConn *conn, Selection *sel, Catalog *out) GW_MUST_CHECK;
GwResult mysql_objects_left_out(EngineConn *conn, const Catalog *cat, SchemaObjects *out) GW_MUST_CHECK;
/* Reads the columns and primary key of one table into the cache (mysql_table_columns). */
GwResult mysql_describe_one(MyConn *c, const char *schema, const char *table, bool *found) GW_MUST_CHECK;

/* godwit's state database on a MySQL/MariaDB server (checkpoints, runners, guarded triggers, fences). */
#define MYSQL_SQL_CREATE_STATE_DB "CREATE DATABASE IF NOT EXISTS `_godwit` CHARACTER SET utf8mb4"

/*
 * information_schema.TRIGGERS rows that are not godwit's own (fences, the
 * guard's probe), compared as bytes: the server compares names without case.
 */
#define MYSQL_NOT_OWN_TRIGGER \
    "BINARY LEFT(TRIGGER_NAME, CHAR_LENGTH('" PHASE_NAMES_FENCE_PREFIX "')) <> '" PHASE_NAMES_FENCE_PREFIX "'"

/* mysql_privileges.c: the session user's grants, its enabled roles' included. */
/* Appends its global privileges to list as "|SUPER|RELOAD|..." (mysql_privilege_listed reads it). */
GwResult mysql_privileges_global(MyConn *c, StrBuf *list) GW_MUST_CHECK;
bool mysql_privilege_listed(const StrBuf *list, const char *privilege);
/* Whether privilege is granted on the table: globally (in global), on its schema or on it. */
GwResult mysql_privilege_on_table(MyConn *c, const StrBuf *global, const char *privilege, const char *schema,
                                  const char *table, bool *granted) GW_MUST_CHECK;

/* mysql_failback_rights.c */
GwResult mysql_check_failback_writes(EngineConn *conn, const Catalog *cat, LogLevel level) GW_MUST_CHECK;

/* mysql_check.c */
GwResult mysql_check_source(EngineConn *conn, const Catalog *cat, bool stream, const char *new_stream) GW_MUST_CHECK;
GwResult mysql_check_predicate(EngineConn *conn, const TableDef *t, const char *where_sql,
                               const char *text) GW_MUST_CHECK;

/* mysql_snapshot.c */
GwResult mysql_snapshot_create(EngineConn *conn, const char *slot, const Catalog *cat, SnapshotKind kind,
                               Snapshot *out) GW_MUST_CHECK;
GwResult mysql_snapshot_join(EngineConn *conn, const Snapshot *snap) GW_MUST_CHECK;
GwResult mysql_snapshot_ready(EngineConn *conn, Snapshot *snap) GW_MUST_CHECK;
GwResult mysql_snapshot_release(EngineConn *conn);
const char *mysql_joined_position(EngineConn *conn);
GwResult mysql_drop_stream(EngineConn *conn, const char *slot) GW_MUST_CHECK;
GwResult mysql_source_identity(EngineConn *conn, char **identity) GW_MUST_CHECK;
GwResult mysql_current_pos(EngineConn *conn, StreamPos *out) GW_MUST_CHECK;

/* mysql_split.c */
GwResult mysql_split_table(EngineConn *conn, const TableDef *t, int nshards, KeyRange **ranges,
                           int *nranges) GW_MUST_CHECK;
/* A key value (as the server prints it in a split) as a literal for the key column's kind. */
char *mysql_key_literal(const MyColumn *col, const char *value);
/* WHERE text for a key range (lower inclusive, upper exclusive); NULL when unbounded. */
char *mysql_key_range_sql(const MyTable *mt, const KeyRange *r);
/* WHERE text for keys after one, and for a list of keys, each given in canonical form (verify). */
char *mysql_key_after_sql(const MyTable *mt, char *const *values);
char *mysql_key_in_sql(const MyTable *mt, char **const *keys, size_t nkeys);
/* The key's columns, quoted: "`a`, `b`". */
char *mysql_key_names(const MyTable *mt);
/* The select expression of a key column in a split: what mysql_key_literal() reads back. */
char *mysql_key_select(const MyColumn *col);

/* mysql_copy.c */
GwResult mysql_copy_out_begin(EngineConn *conn, const TableDef *t, const KeyRange *range,
                              const char *predicate_sql, CopyFormat fmt) GW_MUST_CHECK;
GwResult mysql_copy_out_next(EngineConn *conn, const char **buf, int *len) GW_MUST_CHECK;
void mysql_copy_out_abort(EngineConn *conn);
GwResult mysql_scan_begin(EngineConn *conn, const TableDef *t, const ScanRequest *req) GW_MUST_CHECK;
bool mysql_orders_like_bytes(EngineConn *conn, const TableDef *t, size_t col);
void mysql_copy_free(MyConn *c);
/*
 * Checks one value of a column as the bulk reader would convert it; NULL
 * when it converts, else why not (a static string).  Used by the source
 * checks to name the first bad value before anything is written.
 */
const char *mysql_value_problem(const MyColumn *col, const char *value, size_t len);

#endif
