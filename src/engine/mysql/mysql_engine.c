/*
 * mysql_engine.c: the MySQL/MariaDB engine's ops table (a source: fetch and,
 * through mysql_stream.c, replicate; a writer of changes for failback,
 * through mysql_apply.c), its dialect for phase predicates, and the text and
 * number forms of binlog positions.
 *
 * Predicates are rendered so that the server compares the way the change
 * stream's evaluator does (core/predicate.h: text bytewise): every string
 * literal is utf8mb4 with a binary collation that does not pad (MariaDB
 * utf8mb4_nopad_bin, MySQL 8 utf8mb4_0900_bin), so that 'a' <> 'A' and
 * 'a' <> 'a ' as in the stream, whatever the column's collation.
 */
#include "engine/mysql/mysql_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/predicate.h"
#include "engine/mysql/mysql_apply.h"
#include "engine/mysql/mysql_internal.h"
#include "engine/mysql/mysql_pos.h"
#include "engine/mysql/mysql_stream.h"
#include "util/mem.h"

/* What the predicate's callbacks need: the connection, and the row its columns are of (NULL: the table's). */
typedef struct RenderCtx {
    const MyConn *c;
    const char *row;
} RenderCtx;

static char *
quote_ident_cb(const char *name, void *ctx)
{
    const RenderCtx *r = ctx;
    char *q = mysql_quote_ident(name);
    if (!r->row)
        return q;
    char *qualified = gw_asprintf("%s.%s", r->row, q);
    free(q);
    return qualified;
}

static char *
quote_literal_cb(const char *value, void *ctx)
{
    const MyConn *c = ((const RenderCtx *) ctx)->c;
    char *lit = mysql_quote_literal(value);
    char *sql = gw_asprintf("_utf8mb4%s COLLATE %s", lit,
                            c->mariadb ? "utf8mb4_nopad_bin" : c->server_version >= 80000 ? "utf8mb4_0900_bin"
                                                                                            : "utf8mb4_bin");
    free(lit);
    return sql;
}

char *
mysql_render_predicate(EngineConn *conn, const Predicate *p)
{
    RenderCtx r = {.c = MY(conn), .row = NULL};
    PredicateSqlDialect d = {.quote_ident = quote_ident_cb, .quote_literal = quote_literal_cb, .ctx = &r};
    return predicate_to_sql(p, &d);
}

char *
mysql_render_predicate_on_row(EngineConn *conn, const Predicate *p, const char *row)
{
    RenderCtx r = {.c = MY(conn), .row = row};
    PredicateSqlDialect d = {.quote_ident = quote_ident_cb, .quote_literal = quote_literal_cb, .ctx = &r};
    return predicate_to_sql(p, &d);
}

static int
mysql_parse_pos_text(const char *text, StreamPos *out)
{
    MyPos pos;
    if (mysql_pos_parse(text, &pos) != 0)
        return -1;
    /* What mysql_format_pos_text prints: the file's number only. */
    if (pos.file[0] && strspn(pos.file, "0123456789") == strlen(pos.file)) {
        *out = ((StreamPos) strtoul(pos.file, NULL, 10) << 32) | pos.offset;
        return *out ? 0 : -1;
    }
    *out = mysql_pos_order(pos.file, pos.offset);
    return *out ? 0 : -1;
}

/*
 * A StreamPos has the binlog file's number and the offset, not the file's
 * base name: it is printed "<file number, 6 digits>:<offset>", e.g.
 * "000003:1234" for mysql-bin.000003:1234.
 */
static void
mysql_format_pos_text(StreamPos pos, char *buf, size_t len)
{
    snprintf(buf, len, "%06u:%u", (unsigned) (pos >> 32), (unsigned) (pos & 0xffffffffu));
}

static const SourceOps mysql_source_ops = {
    .check_source = mysql_check_source,
    .count_rows = mysql_count_rows,
    .check_predicate = mysql_check_predicate,
    .describe = mysql_describe,
    .objects_left_out = mysql_objects_left_out,
    .nullable_by_values = mysql_nullable_by_values,
    .render_predicate = mysql_render_predicate,
    .snapshot_create = mysql_snapshot_create,
    .snapshot_release = mysql_snapshot_release,
    .snapshot_join = mysql_snapshot_join,
    .snapshot_ready = mysql_snapshot_ready,
    .joined_position = mysql_joined_position,
    .set_source_options = mysql_set_source_options,
    .split_table = mysql_split_table,
    .copy_out_begin = mysql_copy_out_begin,
    .copy_out_next = mysql_copy_out_next,
    .copy_out_abort = mysql_copy_out_abort,
    .scan_begin = mysql_scan_begin,
    .orders_like_bytes = mysql_orders_like_bytes,
    .source_identity = mysql_source_identity,
};

static const StreamOps mysql_stream_ops = {
    .drop_stream = mysql_drop_stream,
    .stream_open = mysql_stream_open,
    .stream_next = mysql_stream_next,
    .stream_confirm = mysql_stream_confirm,
    .stream_sent_pos = mysql_stream_sent_pos,
    .stream_bytes = mysql_stream_bytes,
    .stream_close = mysql_stream_close,
    .current_pos = mysql_current_pos,
    .parse_pos = mysql_parse_pos_text,
    .format_pos = mysql_format_pos_text,
};

static const ApplyOps mysql_apply_ops = {
    .runner_lock = mysql_runner_lock,
    .runner_held = mysql_runner_held,
    .runner_end_holder = mysql_runner_end_holder,
    .runner_unlock = mysql_runner_unlock,
    .apply_setup = mysql_apply_setup,
    .apply_change = mysql_apply_change,
    .apply_commit = mysql_apply_commit,
    .apply_abort = mysql_apply_abort,
    .checkpoint_get = mysql_checkpoint_get,
    .checkpoint_delete = mysql_checkpoint_delete,
    .fence_install = mysql_fence_install,
    .fence_remove = mysql_fence_remove,
    .guard_triggers = mysql_guard_triggers,
    .unguard_triggers = mysql_unguard_triggers,
    .check_failback_writes = mysql_check_failback_writes,
};

const EngineOps mysql_engine_ops = {
    .name = "mysql",
    .copies_binary = false,
    .log_has_cascade_effects = false,
    .keeps_table_trees = false,
    .failback_by_changefeed = false,
    .connect = mysql_connect,
    .close = mysql_close_conn,
    .end_stale_sessions = mysql_end_stale_sessions,
    .error_is_transient = mysql_error_is_transient,
    .server_summary = mysql_server_summary,
    .source = &mysql_source_ops,
    .stream = &mysql_stream_ops,
    .apply = &mysql_apply_ops,
};
