/*
 * crdb_engine.c: the CockroachDB engine's ops table and dialect.  The
 * operations CockroachDB runs as PostgreSQL does are the PostgreSQL
 * engine's (engine/pg/pg_describe.h), reading this dialect where a detail
 * differs; the others are crdb_*.c's.
 */
#include "engine/crdb/crdb_engine.h"

#include <stdio.h>

#include "engine/crdb/crdb_internal.h"
#include "engine/pg/pg_changefeed.h"
#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_describe.h"

/*
 * What of a PostgreSQL source's schema it makes besides the tables and their
 * sequences: views and comments (its documentation: CREATE VIEW, CREATE
 * MATERIALIZED VIEW, COMMENT ON); no extensions, triggers, rules or
 * user-defined functions in PostgreSQL's languages.
 */
static const char *const crdb_script_kinds[] = {"view", "materialized view", "comment", NULL};

/* CockroachDB accepts a subset of PostgreSQL's session settings. */
static const PgDialect crdb_dialect = {
    .session_settings = "SET client_encoding = 'UTF8'; SET datestyle = 'ISO, YMD'; SET intervalstyle = 'postgres';"
                        "SET extra_float_digits = 3; SET timezone = 'UTC'; SET bytea_output = 'hex';",
    .sql = {.crdb = true},
    .inheritance = false,
    .partitioning = false,
    .trigger_catalog = false,
    /* Its privileges are checked by the statements themselves. */
    .privilege_checks = false,
    .transactional_ddl = false,
    .tuning_settings = false,
    .exact_column_types = false,
    /* Its primary key cannot be added once the table exists. */
    .create_with_pk = true,
    .domains = false,
    .loads_bypass_foreign_keys = false,
    /* Its temporary tables are experimental (off by default): merged changes are written directly. */
    .temp_tables = false,
    /* Every commit is durable (Raft): there is no synchronous_commit to set. */
    .synchronous_commit = false,
    /* No TABLESAMPLE (cockroach#7030): a table is one key range (verify reads it in one piece). */
    .table_sample = false,
    .script_kinds = crdb_script_kinds,
    /* pg_dump's settings (check_function_bodies, xmloption, row_security) are PostgreSQL's. */
    .script_settings = false,
};

GwResult
crdb_engine_start(EngineConn *conn)
{
    PgConn *c = PG(conn);
    /* Rows load with the target's foreign keys and triggers firing: it has no session_replication_role. */
    c->as_replica = 0;
    snprintf(c->replica_refused, sizeof c->replica_refused, "CockroachDB has no session_replication_role");
    /* It compares strings by their bytes unless a collation is named. */
    c->db_collation_binary = 1;
    return pg_wire_start(conn, &crdb_engine_ops, &crdb_dialect);
}

static GwResult
crdb_connect(const Endpoint *ep, EngineConn **out)
{
    GwResult rc = pg_wire_open(ep, out);
    return rc ? rc : crdb_engine_start(*out);
}

static const SourceOps crdb_source_ops = {
    .check_source = crdb_check_source,
    .count_rows = pg_count_rows,
    .count_values = pg_count_values,
    .check_predicate = pg_check_predicate,
    .describe = crdb_describe,
    .render_predicate = pg_render_predicate,
    .snapshot_create = crdb_snapshot_create,
    .snapshot_release = pg_snapshot_release,
    .snapshot_join = crdb_snapshot_join,
    .split_table = pg_split_table,
    .copy_out_begin = pg_copy_out_begin,
    .copy_out_next = pg_copy_out_next,
    .copy_out_abort = pg_copy_out_abort,
    .scan_begin = pg_scan_begin,
    .orders_like_bytes = pg_orders_like_bytes,
    .source_identity = crdb_source_identity,
};

static const StreamOps crdb_stream_ops = {
    .drop_stream = pg_drop_stream,
    .list_slots = crdb_list_slots,
    .stream_pending = crdb_stream_pending,
    .stream_open = pg_stream_open,
    .stream_next = pg_stream_next,
    .stream_confirm = pg_stream_confirm,
    .stream_sent_pos = pg_stream_sent_pos,
    .stream_bytes = pg_stream_bytes,
    .stream_close = pg_stream_close,
    .current_pos = pg_current_pos,
    .parse_pos = pg_parse_pos,
    .format_pos = pg_format_pos,
    .changefeed_cursor = crdb_changefeed_cursor,
    .changefeed_create = crdb_changefeed_create,
    .changefeed_check = crdb_changefeed_check,
    .stream_exists = crdb_stream_exists,
};

static const TargetOps crdb_target_ops = {
    .can_copy_binary = crdb_can_copy_binary,
    .check_types = crdb_check_types,
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

static const ApplyOps crdb_apply_ops = {
    .runner_lock = crdb_runner_lock,
    .runner_held = crdb_runner_held,
    .runner_end_holder = pg_runner_end_holder,
    .runner_unlock = crdb_runner_unlock,
    .drop_origin = crdb_drop_origin,
    .checkpoint_delete = pg_checkpoint_delete,
    .apply_setup = crdb_apply_setup,
    .apply_change = pg_apply_change,
    /* No apply_commit_send: its pipelining of explicit transactions is not tried, so each commit is waited for. */
    .apply_commit = pg_apply_commit,
    .apply_collect = pg_apply_collect,
    .apply_abort = pg_apply_abort,
    .checkpoint_get = pg_checkpoint_get,
    .fence_install = crdb_fence_install,
    .fence_remove = pg_fence_remove,
};

const EngineOps crdb_engine_ops = {
    .name = "cockroachdb",
    /* 'infinity' is taken and stored as a date in year 294276 (docs "TIMESTAMP"): changed silently. */
    .infinite_times = false,
    /* docs "ARRAY": one-dimensional arrays only. */
    .multidim_arrays = false,
    /*
     * A shard is one transaction of COPY, and a long one meets CockroachDB's
     * commit deadline (docs "Transaction Retry Error Reference":
     * RETRY_COMMIT_DEADLINE_EXCEEDED): smaller ones commit sooner.
     */
    .preferred_shard_bytes = 16LL * 1024 * 1024,
    /*
     * That deadline is the lease of the tables it writes, 5 minutes by default
     * (the same page; cockroach#35284): a copy much past 1 GB in one
     * transaction cannot be expected to commit within it.
     */
    .largest_transaction_bytes = 1024LL * 1024 * 1024,
    .copies_binary = false,
    .log_has_cascade_effects = true,
    .keeps_table_trees = false,
    .failback_by_changefeed = true,
    .connect = crdb_connect,
    .close = pg_close,
    .end_stale_sessions = crdb_end_stale_sessions,
    .count_sessions = crdb_count_sessions,
    .error_is_transient = pg_error_is_transient,
    .server_summary = pg_server_summary,
    .scratch_database = pg_scratch_database,
    .source = &crdb_source_ops,
    .stream = &crdb_stream_ops,
    .target = &crdb_target_ops,
    .apply = &crdb_apply_ops,
    .state = &pg_state_ops,
    .staging = &pg_staging_ops,
};
