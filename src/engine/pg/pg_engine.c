/*
 * pg_engine.c: the PostgreSQL engine's ops table and dialect.  CockroachDB's
 * engine (engine/crdb/crdb_engine.c) shares most of these operations with
 * its own dialect.
 */
#include "engine/pg/pg_engine.h"

#include <stdlib.h>

#include "core/predicate.h"
#include "engine/pg/pg_changefeed.h"
#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_describe.h"

static const PgDialect pg_dialect = {
    .session_settings = pg_session_settings,
    .sql = {.crdb = false},
    .inheritance = true,
    .partitioning = true,
    .trigger_catalog = true,
    .privilege_checks = true,
    .transactional_ddl = true,
    .tuning_settings = true,
    .exact_column_types = true,
    .create_with_pk = false,
    .domains = true,
    .loads_bypass_foreign_keys = true,
    .temp_tables = true,
    .synchronous_commit = true,
    .table_sample = true,
    .script_kinds = NULL,
    .script_settings = true,
};

GwResult
pg_engine_start(EngineConn *conn)
{
    return pg_wire_start(conn, &pg_engine_ops, &pg_dialect);
}

static char *
quote_ident_cb(const char *name, void *ctx)
{
    (void) ctx;
    return pg_quote_ident(name);
}

static char *
quote_literal_cb(const char *value, void *ctx)
{
    (void) ctx;
    return pg_quote_literal(value);
}

char *
pg_render_predicate(EngineConn *conn, const Predicate *p)
{
    (void) conn;
    PredicateSqlDialect d = {.quote_ident = quote_ident_cb, .quote_literal = quote_literal_cb, .ctx = NULL};
    return predicate_to_sql(p, &d);
}

static const SourceOps pg_source_ops = {
    .check_source = pg_check_source,
    .count_rows = pg_count_rows,
    .count_values = pg_count_values,
    .objects_left_out = pg_objects_left_out,
    .schema_script = pg_schema_script,
    .check_predicate = pg_check_predicate,
    .describe = pg_describe,
    .render_predicate = pg_render_predicate,
    .snapshot_create = pg_snapshot_create,
    .snapshot_release = pg_snapshot_release,
    .snapshot_join = pg_snapshot_join,
    .split_table = pg_split_table,
    .copy_out_begin = pg_copy_out_begin,
    .copy_out_next = pg_copy_out_next,
    .copy_out_abort = pg_copy_out_abort,
    .scan_begin = pg_scan_begin,
    .orders_like_bytes = pg_orders_like_bytes,
    .source_identity = pg_source_identity,
};

static const StreamOps pg_stream_ops = {
    .drop_stream = pg_drop_stream,
    .list_slots = pg_list_slots,
    .stream_pending = pg_stream_pending,
    .stream_open = pg_stream_open,
    .stream_next = pg_stream_next,
    .stream_confirm = pg_stream_confirm,
    .stream_sent_pos = pg_stream_sent_pos,
    .stream_bytes = pg_stream_bytes,
    .stream_close = pg_stream_close,
    .current_pos = pg_current_pos,
    .parse_pos = pg_parse_pos,
    .format_pos = pg_format_pos,
    .changefeed_cursor = pg_changefeed_cursor,
    .stream_exists = pg_stream_exists,
};

static const TargetOps pg_target_ops = {
    .can_copy_binary = pg_can_copy_binary,
    .check_types = pg_check_types,
    .check_objects = pg_check_objects,
    .make_objects = pg_make_objects,
    .prepare_schema = pg_prepare_schema,
    .copy_in_begin = pg_copy_in_begin,
    .copy_in_put = pg_copy_in_put,
    .copy_in_end = pg_copy_in_end,
    .finish_table = pg_finish_table,
    .empty_table = pg_empty_table,
    .finish_schema = pg_finish_schema,
    .advance_sequences = pg_advance_sequences,
};

static const ApplyOps pg_apply_ops = {
    .runner_lock = pg_runner_lock,
    .runner_held = pg_runner_held,
    .runner_end_holder = pg_runner_end_holder,
    .runner_unlock = pg_runner_unlock,
    .drop_origin = pg_drop_origin,
    .checkpoint_delete = pg_checkpoint_delete,
    .apply_setup = pg_apply_setup,
    .apply_change = pg_apply_change,
    .apply_commit = pg_apply_commit,
    .apply_commit_send = pg_apply_commit_send,
    .apply_collect = pg_apply_collect,
    .apply_abort = pg_apply_abort,
    .checkpoint_get = pg_checkpoint_get,
    .fence_install = pg_fence_install,
    .fence_remove = pg_fence_remove,
    .check_failback_writes = pg_check_failback_writes,
};

/* CockroachDB keeps its state and staging tables as PostgreSQL does (crdb_engine.c). */
const StateOps pg_state_ops = {
    .state_init = pg_state_init,
    .state_get_phase = pg_state_get_phase,
    .state_put_phase = pg_state_put_phase,
    .state_delete_phase = pg_state_delete_phase,
    .state_put_shards = pg_state_put_shards,
    .state_get_shards = pg_state_get_shards,
    .state_add_event = pg_state_add_event,
    .state_report = pg_state_report,
    .state_put_lag = pg_state_put_lag,
    .state_phase_names = pg_state_phase_names,
    .migration_get = pg_migration_get,
    .migration_put = pg_migration_put,
};

const StagingOps pg_staging_ops = {
    .staging_init = pg_staging_init,
    .staging_put = pg_staging_put,
    .staging_resolve = pg_staging_resolve,
    .staging_next_resolved = pg_staging_next_resolved,
    .staging_read = pg_staging_read,
    .staging_discard = pg_staging_discard,
};

const EngineOps pg_engine_ops = {
    .name = "postgresql",
    .infinite_times = true,
    .multidim_arrays = true,
    .copies_binary = true,
    .log_has_cascade_effects = true,
    .keeps_table_trees = true,
    .failback_by_changefeed = false,
    .splits_keyless = true,
    .connect = pg_connect,
    .close = pg_close,
    .end_stale_sessions = pg_end_stale_sessions,
    .count_sessions = pg_count_sessions,
    .error_is_transient = pg_error_is_transient,
    .server_summary = pg_server_summary,
    .scratch_database = pg_scratch_database,
    .source = &pg_source_ops,
    .stream = &pg_stream_ops,
    .target = &pg_target_ops,
    .apply = &pg_apply_ops,
    .state = &pg_state_ops,
    .staging = &pg_staging_ops,
};
