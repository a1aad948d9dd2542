/*
 * crdb_internal.h: the CockroachDB engine's own operations, where they
 * differ from PostgreSQL's as a whole.  Internal to src/engine/crdb; the
 * rest of godwit reaches them through crdb_engine_ops only.
 */
#ifndef GW_CRDB_INTERNAL_H
#define GW_CRDB_INTERNAL_H

#include "engine/engine.h"

/* The cluster's HLC timestamp now, as text: a snapshot's AS OF SYSTEM TIME, a changefeed's cursor. */
#define CRDB_SQL_NOW "SELECT cluster_logical_timestamp()::STRING"

/* crdb_source.c */
GwResult crdb_check_source(EngineConn *conn, const Catalog *cat, bool stream, const char *new_stream) GW_MUST_CHECK;
GwResult crdb_snapshot_create(EngineConn *conn, const char *slot, const Catalog *cat, SnapshotKind kind,
                              Snapshot *out) GW_MUST_CHECK;
GwResult crdb_snapshot_join(EngineConn *conn, const Snapshot *snap) GW_MUST_CHECK;
/* pg_describe without the columns CockroachDB adds out of sight (a keyless table's rowid). */
GwResult crdb_describe(EngineConn *conn, Selection *sel, Catalog *out) GW_MUST_CHECK;
GwResult crdb_source_identity(EngineConn *conn, char **identity) GW_MUST_CHECK;
GwResult crdb_stream_exists(EngineConn *conn, const char *slot, bool *exists) GW_MUST_CHECK;
GwResult crdb_list_slots(EngineConn *conn, SlotInfo **out, size_t *n) GW_MUST_CHECK;
GwResult crdb_stream_pending(EngineConn *conn, const PhaseState *ps, StreamPos after,
                             PendingChanges *out) GW_MUST_CHECK;
GwResult crdb_drop_origin(EngineConn *conn, const char *stream) GW_MUST_CHECK;

/* crdb_target.c */
GwResult crdb_check_types(EngineConn *conn, const Catalog *cat, const SchemaScript *objects) GW_MUST_CHECK;
GwResult crdb_changefeed_cursor(EngineConn *conn, Hlc *now, bool *exact) GW_MUST_CHECK;
GwResult crdb_changefeed_create(EngineConn *conn, const char *sql, char **job_id) GW_MUST_CHECK;
GwResult crdb_changefeed_check(EngineConn *conn, const Catalog *tables, int64_t *horizon_seconds) GW_MUST_CHECK;
GwResult crdb_apply_setup(EngineConn *conn, const char *stream, bool log_has_cascade_effects) GW_MUST_CHECK;
bool crdb_can_copy_binary(EngineConn *conn, const Catalog *cat, const TableDef *t);
GwResult crdb_fence_install(EngineConn *conn, const MigrationPhase *mp, const FenceTable *tables,
                            size_t n) GW_MUST_CHECK;
GwResult crdb_end_stale_sessions(EngineConn *conn) GW_MUST_CHECK;
GwResult crdb_count_sessions(EngineConn *conn, const char *app_name, int *count) GW_MUST_CHECK;
GwResult crdb_runner_lock(EngineConn *conn, const char *stream, const RunnerInfo *me, bool *taken,
                          RunnerInfo *holder) GW_MUST_CHECK;
GwResult crdb_runner_held(EngineConn *conn, const char *stream, bool *held) GW_MUST_CHECK;
GwResult crdb_runner_unlock(EngineConn *conn, const char *stream) GW_MUST_CHECK;

#endif
