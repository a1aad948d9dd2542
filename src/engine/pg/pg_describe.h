/*
 * pg_describe.h: the PostgreSQL engine's operations, grouped by file.
 * Internal to the engines of the PostgreSQL protocol (engine/pg and
 * engine/crdb, which shares most of them); the rest of godwit reaches them
 * through pg_engine_ops and crdb_engine_ops only.
 */
#ifndef GW_PG_DESCRIBE_H
#define GW_PG_DESCRIBE_H

#include "engine/engine.h"
#include "engine/pg/pg_conn.h"

/* pg_engine.c; the groups CockroachDB's engine shares whole. */
char *pg_render_predicate(EngineConn *conn, const Predicate *p);
extern const StateOps pg_state_ops;
extern const StagingOps pg_staging_ops;

/* pg_catalog.c */
GwResult pg_describe(EngineConn *conn, Selection *sel, Catalog *out) GW_MUST_CHECK;

/* pg_snapshot.c */
GwResult pg_check_source(EngineConn *conn, const Catalog *cat, bool stream, const char *new_stream) GW_MUST_CHECK;
/* pg_failback_rights.c */
GwResult pg_check_failback_writes(EngineConn *conn, const Catalog *cat, LogLevel level) GW_MUST_CHECK;
/* pg_objects.c */
/* A query of cat's tables: $1 their schemas (text[]), $2 their oids (oid[]). */
GwResult pg_query_by_catalog(PgConn *c, const char *sql, const Catalog *cat, int ncols, PGresult **out) GW_MUST_CHECK;
GwResult pg_objects_left_out(EngineConn *conn, const Catalog *cat, SchemaObjects *out) GW_MUST_CHECK;
GwResult pg_snapshot_create(EngineConn *conn, const char *slot, const Catalog *cat, SnapshotKind kind,
                            Snapshot *out) GW_MUST_CHECK;
GwResult pg_snapshot_release(EngineConn *conn);
GwResult pg_snapshot_join(EngineConn *conn, const Snapshot *snap) GW_MUST_CHECK;
GwResult pg_drop_stream(EngineConn *conn, const char *slot) GW_MUST_CHECK;

/* pg_migration.c; pg_read_identity: source_identity's result of a query of one row and column. */
GwResult pg_read_identity(PgConn *c, const char *sql, char **identity) GW_MUST_CHECK;
GwResult pg_source_identity(EngineConn *conn, char **identity) GW_MUST_CHECK;
GwResult pg_migration_get(EngineConn *conn, MigrationRecord *out, bool *found, char **legacy) GW_MUST_CHECK;
GwResult pg_migration_put(EngineConn *conn, const MigrationRecord *m, MigrationRecord *stored) GW_MUST_CHECK;

/* pg_publication.c: the stream's publications ("a,b" in *names_out), checked never to make a write fail. */
GwResult pg_publications_create(PgConn *c, const char *slot, const Catalog *cat, char **names_out) GW_MUST_CHECK;

/* pg_fence.c */
GwResult pg_fence_install(EngineConn *conn, const MigrationPhase *mp, const FenceTable *tables,
                          size_t n) GW_MUST_CHECK;
GwResult pg_fence_remove(EngineConn *conn, const MigrationPhase *mp) GW_MUST_CHECK;

/* pg_copy.c */
GwResult pg_split_table(EngineConn *conn, const TableDef *t, int nshards, KeyRange **ranges,
                        int *nranges) GW_MUST_CHECK;
GwResult pg_copy_out_begin(EngineConn *conn, const TableDef *t, const KeyRange *range, const char *predicate_sql,
                           CopyFormat fmt) GW_MUST_CHECK;
GwResult pg_copy_out_next(EngineConn *conn, const char **buf, int *len) GW_MUST_CHECK;
/* Runs a COPY ... TO STDOUT whose rows copy_out_next() returns; "doing" names it in errors ("copying"). */
GwResult pg_copy_out_start(PgConn *c, const char *sql, const char *doing, const TableDef *t) GW_MUST_CHECK;
void pg_copy_out_abort(EngineConn *conn);
GwResult pg_copy_in_begin(EngineConn *conn, const TableDef *t, CopyFormat fmt) GW_MUST_CHECK;
GwResult pg_copy_in_put(EngineConn *conn, const char *buf, int len) GW_MUST_CHECK;
GwResult pg_copy_in_end(EngineConn *conn, const char *phase, const ShardProgress *shard, bool commit,
                        int64_t *rows) GW_MUST_CHECK;

/* pg_scan.c */
GwResult pg_scan_begin(EngineConn *conn, const TableDef *t, const ScanRequest *req) GW_MUST_CHECK;
bool pg_orders_like_bytes(EngineConn *conn, const TableDef *t, size_t col);

/* pg_schema.c */
GwResult pg_check_types(EngineConn *conn, const Catalog *cat, const SchemaScript *objects) GW_MUST_CHECK;
GwResult pg_schema_script(EngineConn *conn, const Catalog *cat, bool privileges, SchemaScript *out) GW_MUST_CHECK;
GwResult pg_check_objects(EngineConn *conn, const Catalog *cat, SchemaScript *objects) GW_MUST_CHECK;
GwResult pg_make_objects(EngineConn *conn, SchemaScript *objects, ScriptStage stage) GW_MUST_CHECK;
bool pg_can_copy_binary(EngineConn *conn, const Catalog *cat, const TableDef *t);
GwResult pg_prepare_schema(EngineConn *conn, const SchemaPrep *prep) GW_MUST_CHECK;
GwResult pg_finish_table(EngineConn *conn, const Catalog *cat, const TableDef *t) GW_MUST_CHECK;
GwResult pg_empty_table(EngineConn *conn, const TableDef *t, const char *predicate_sql) GW_MUST_CHECK;
GwResult pg_finish_schema(EngineConn *conn, const Catalog *cat) GW_MUST_CHECK;
GwResult pg_advance_sequences(EngineConn *conn, const Catalog *cat) GW_MUST_CHECK;

/* pg_stream.c */
GwResult pg_stream_open(EngineConn *conn, const PhaseState *ps, StreamPos start, ChangeStream **out) GW_MUST_CHECK;
GwResult pg_stream_next(ChangeStream *s, int timeout_ms, StreamEvent *ev, Change *change) GW_MUST_CHECK;
GwResult pg_stream_confirm(ChangeStream *s, StreamPos applied, bool request_reply) GW_MUST_CHECK;
StreamPos pg_stream_sent_pos(ChangeStream *s);
uint64_t pg_stream_bytes(ChangeStream *s);
void pg_stream_close(ChangeStream *s);
GwResult pg_current_pos(EngineConn *conn, StreamPos *out) GW_MUST_CHECK;
int pg_parse_pos(const char *text, StreamPos *out);
void pg_format_pos(StreamPos pos, char *buf, size_t len);

/* pg_apply.c */
GwResult pg_apply_setup(EngineConn *conn, const char *stream, bool log_has_cascade_effects) GW_MUST_CHECK;
/* What the reader's log carries (EngineOps.log_has_cascade_effects), for the apply rules of conn's applier. */
void pg_apply_set_semantics(PgConn *c, bool log_has_cascade_effects);
GwResult pg_apply_change(EngineConn *conn, const Change *c, const TableDef *t) GW_MUST_CHECK;
GwResult pg_apply_commit(EngineConn *conn, const char *stream, const char *phase, const char *position) GW_MUST_CHECK;
GwResult pg_apply_commit_send(EngineConn *conn, const char *stream, const char *phase,
                              const char *position) GW_MUST_CHECK;
GwResult pg_apply_collect(EngineConn *conn, bool wait, unsigned long long *completed) GW_MUST_CHECK;
void pg_apply_abort(EngineConn *conn);
void pg_apply_free(PgConn *c);
GwResult pg_checkpoint_get(EngineConn *conn, const char *stream, char **position, bool *found) GW_MUST_CHECK;

/* pg_slots.c */
/* The replication origin of an apply session of stream: "godwit:<stream>". */
GwResult pg_drop_origin(EngineConn *conn, const char *stream) GW_MUST_CHECK;
GwResult pg_checkpoint_delete(EngineConn *conn, const char *stream) GW_MUST_CHECK;
GwResult pg_list_slots(EngineConn *conn, SlotInfo **out, size_t *n) GW_MUST_CHECK;
GwResult pg_stream_exists(EngineConn *conn, const char *slot, bool *exists) GW_MUST_CHECK;
GwResult pg_slot_exists(PgConn *c, const char *slot, bool this_database, bool *exists) GW_MUST_CHECK;
GwResult pg_stream_pending(EngineConn *conn, const PhaseState *ps, StreamPos after, PendingChanges *out) GW_MUST_CHECK;

/* pg_state.c */
GwResult pg_state_report(EngineConn *conn, char **json, bool *found) GW_MUST_CHECK;
GwResult pg_state_phase_names(EngineConn *conn, char ***names, size_t *n) GW_MUST_CHECK;
GwResult pg_state_put_lag(EngineConn *conn, const char *phase, const char *stream, double seconds,
                          int64_t bytes) GW_MUST_CHECK;
GwResult pg_state_init(EngineConn *conn) GW_MUST_CHECK;
GwResult pg_state_get_phase(EngineConn *conn, const char *phase, PhaseState *out, bool *found) GW_MUST_CHECK;
GwResult pg_state_put_phase(EngineConn *conn, const PhaseState *ps) GW_MUST_CHECK;
GwResult pg_state_delete_phase(EngineConn *conn, const char *phase) GW_MUST_CHECK;
/* Another phase recorded on this target that holds a table: its name, status and row filter there (NULL: every row). */
typedef struct PgPhaseHold {
    char *name;
    char *status;
    char *predicate;
} PgPhaseHold;
/* The phases other than `phase` that hold schema.table (by their recorded tables, shards or filters). */
GwResult pg_state_phases_holding(PgConn *c, const char *phase, const char *schema, const char *table,
                                 PgPhaseHold **out, size_t *n) GW_MUST_CHECK;
void pg_phase_holds_free(PgPhaseHold *h, size_t n);
GwResult pg_state_put_shards(EngineConn *conn, const char *phase, const ShardProgress *shards,
                             int nshards) GW_MUST_CHECK;
GwResult pg_state_get_shards(EngineConn *conn, const char *phase, ShardProgress **shards,
                             int *nshards) GW_MUST_CHECK;
GwResult pg_state_add_event(EngineConn *conn, const char *phase, const char *kind,
                            const char *detail_json) GW_MUST_CHECK;

#endif
