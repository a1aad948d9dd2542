/*
 * replicate.c: one stream of a phase (DESIGN.md, "Consistency contract"):
 * `godwit replicate` (forward: the source's changes into the target), the
 * stream of `godwit failback` (the target's changes back into the source),
 * which is the same loop with the roles swapped, and failback through a
 * changefeed, whose changes come from the staging on the source instead of
 * the target's log (a ReplicateFeed, flow/failback_changefeed.c).  Here:
 * the setup around the loop (flow/stream_loop.c), run again after each
 * lost connection.
 *
 * The reader's change stream is read from the writer's checkpoint (or, the
 * first time, from the stream's start position) and applied in the reader's
 * commit order.  The phase's own state (tables, filters, positions) lives
 * on the migration's target whichever way the stream flows.  A stream
 * watches it, on a connection of its own: when the phase is handed over
 * (cutover for the forward stream, rollback for failback), the stream
 * applies up to the position the handover fenced at, checkpoints it and
 * exits by itself.  Connection failures on either side are retried with
 * exponential backoff and jitter (util/retry.h), resuming from the
 * checkpoint; other errors stop.
 *
 * One process runs a stream at a time: it holds the stream's runner lock on
 * the writer's database (runner_lock.h) from before it first connects until
 * its writer is closed, and ends a killed run's sessions only under it.
 */
#include "flow/replicate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/selection.h"
#include "engine/engine.h"
#include "flow/migration.h"
#include "flow/runner_lock.h"
#include "flow/source_flags.h"
#include "flow/stream_loop.h"
#include "http/http_server.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/metrics.h"
#include "util/progress.h"
#include "util/signals.h"
#include "util/retry.h"
#include "util/sleep.h"

static void
metrics_init(ReplMetrics *m)
{
    m->txns = metrics_series("godwit_transactions_applied_total", "Source transactions applied", METRIC_COUNTER,
                             NULL, NULL);
    m->bytes = metrics_series("godwit_stream_bytes_received_total", "Bytes received from the change stream",
                              METRIC_COUNTER, NULL, NULL);
    m->source_pos = metrics_series("godwit_source_position",
                                   "Position the source has sent up to (as its engine numbers it)", METRIC_GAUGE,
                                   NULL, NULL);
    m->applied_pos = metrics_series("godwit_applied_position",
                                    "Position committed on the target (as the source's engine numbers it)",
                                    METRIC_GAUGE, NULL, NULL);
    m->lag_bytes = metrics_series("godwit_lag_bytes",
                                  "Bytes of the reader's log past what the writer holds (0 when caught up)",
                                  METRIC_GAUGE, NULL, NULL);
    m->lag_seconds = metrics_series("godwit_lag_seconds",
                                    "Seconds since the last source commit the writer holds, while behind (0 when"
                                    " caught up)",
                                    METRIC_GAUGE, NULL, NULL);
    m->reconnects = metrics_series("godwit_reconnects_total", "Reconnections after a lost connection",
                                   METRIC_COUNTER, NULL, NULL);
    m->skipped_own = metrics_series("godwit_transactions_skipped_own_total",
                                    "Transactions a godwit stream wrote, read back and not applied again",
                                    METRIC_COUNTER, NULL, NULL);
    m->last_apply = metrics_series("godwit_last_apply_timestamp_seconds", "Unix time of the last target commit",
                                   METRIC_GAUGE, NULL, NULL);
}

/*
 * The phase's tables (those its fetch copied) as the writer has them, with
 * their filters and resume positions.
 */
static GwResult
load_tables(Replicator *r)
{
    const ShardProgress *shards = r->phase.shards;
    int nshards = r->phase.nshards;
    GwResult rc = phase_describe_tables(&r->phase, r->writer, &r->catalog);
    catalog_mark_referenced(&r->catalog);
    r->tables = gw_calloc(r->catalog.ntables + 1, sizeof *r->tables);
    for (int i = 0; rc == GW_OK && i < nshards; i++) {
        const TableDef *t = catalog_find_table(&r->catalog, shards[i].schema, shards[i].table);
        if (!t) {
            log_error("%s %s: table %s.%s of phase '%s' does not exist", role_name(r->writer_ep.role),
                      r->writer_ep.redacted, shards[i].schema, shards[i].table, r->phase.state.name);
            rc = role_error(r->writer_ep.role);
            break;
        }
        ReplTable *rt = NULL;
        for (size_t j = 0; j < r->ntables; j++)
            if (r->tables[j].def == t)
                rt = &r->tables[j];
        if (!rt) {
            rt = &r->tables[r->ntables++];
            rt->def = t;
            char *label = table_display_name(t);
            rt->changes = metrics_series("godwit_changes_applied_total", "Row changes applied, per table",
                                         METRIC_COUNTER, "table", label);
            free(label);
            const RowFilter *f = phase_filter_for(&r->phase, t->schema, t->name);
            rt->predicate = f ? f->predicate : NULL;
        }
        StreamPos pos;
        /* Only the forward stream has changes that a resumed fetch copied already. */
        if (!r->opts->failback && t->npk == 0 && shards[i].snapshot_position &&
            r->so.parse_pos(shards[i].snapshot_position, &pos) == 0 && pos > rt->copied_until)
            rt->copied_until = pos;
    }
    stream_loop_table_slots_init(r);
    return rc;
}

/* Whether the phase's state lets this stream run; says why not. */
static bool
phase_allows_stream(const Replicator *r, bool found)
{
    const char *target = r->opts->failback ? r->reader_ep.redacted : r->writer_ep.redacted;
    if (r->feed)
        return r->feed->prepared(r->feed->ctx, found ? &r->phase.state : NULL, target);
    if (!found || r->phase.state.status == PHASE_FETCHING) {
        log_error("phase '%s' has %s on target %s: run `godwit fetch` for it first", r->opts->phase,
                  found ? "an unfinished fetch" : "no fetch", target);
        return false;
    }
    PhaseStatus st = r->phase.state.status;
    bool failing_back = phase_status_streams_failback(st);
    if (!r->opts->failback && failing_back) {
        log_error("phase '%s' is cut over: its writes go to the target now and flow back to the source with"
                  " `godwit failback`; forward replication of it is over", r->opts->phase);
        return false;
    }
    if (r->opts->failback && (!failing_back || !r->phase.state.failback_slot)) {
        if (st == PHASE_ROLLED_BACK || st == PHASE_FINISHED)
            log_error("phase '%s' is %s: failback of it is over", r->opts->phase,
                      st == PHASE_FINISHED ? "finished" : "rolled back");
        else
            log_error("phase '%s' has no failback stream prepared on target %s", r->opts->phase, target);
        return false;
    }
    if (!r->opts->failback && !phase_status_streams_forward(st)) {
        log_error("phase '%s' is in state '%s' on target %s; replicate needs a fetched phase", r->opts->phase,
                  phase_status_name(st), target);
        return false;
    }
    return true;
}

static GwResult
load_phase(Replicator *r)
{
    bool found;
    GwResult rc = phase_load(r->state, r->opts->phase, &r->phase, &found);
    if (rc)
        return rc;
    if (!phase_allows_stream(r, found))
        return GW_ERR_USAGE;
    if (r->opts->failback && !r->feed) {
        /* The failback stream reads the target's own slot and publications. */
        free(r->phase.state.slot);
        free(r->phase.state.publications);
        r->phase.state.slot = gw_strdup(r->phase.state.failback_slot);
        const char *pubs = r->phase.state.failback_publications;
        r->phase.state.publications = gw_strdup(pubs ? pubs : "");
    }
    /* The fetch's conversions (zero dates, type map, ...) apply to streamed values too, both ways. */
    rc = source_flags_apply(r->opts->failback ? r->writer : r->reader, r->phase.state.source_options);
    return rc ? rc : load_tables(r);
}

static GwResult
load_start(Replicator *r)
{
    char *pos = NULL;
    bool found;
    GwResult rc = r->wr->apply->checkpoint_get(r->writer, r->stream_name, &pos, &found);
    if (rc)
        return rc;
    const char *first = r->opts->failback ? r->phase.state.failback_position : r->phase.state.snapshot_position;
    const char *text = found ? pos : first;
    if (!text || r->so.parse_pos(text, &r->start) != 0) {
        log_error("phase '%s': invalid stream position '%s' on the %s", r->phase.state.name, text ? text : "",
                  role_name(found ? r->writer_ep.role : ROLE_TARGET));
        rc = found ? role_error(r->writer_ep.role) : GW_ERR_TARGET;
    } else {
        r->applied = r->checkpointed = r->start;
        char plain[32];
        stream_loop_format_pos(r, r->start, plain, sizeof plain);
        r->names_positions = strcmp(plain, text) != 0;
        log_info("phase '%s': %s %s", r->phase.state.name,
                 found ? "resuming from checkpoint"
                       : r->opts->failback ? "starting from the cutover's position" : "starting from the fetch's snapshot at",
                 text);
    }
    free(pos);
    return rc;
}

static GwResult
connect_all(Replicator *r, bool first)
{
    GwResult rc = engine_connect(&r->reader_ep, &r->reader);
    if (rc == GW_OK)
        rc = engine_connect(&r->writer_ep, &r->writer);
    if (rc)
        return rc;
    r->rd = r->reader->ops;
    r->wr = r->writer->ops;
    r->state = r->opts->failback ? r->reader : r->writer;
    if ((!r->feed && !r->rd->stream) || !r->wr->apply) {
        log_error("%s cannot stream to %s", r->rd->name, r->wr->name);
        return GW_ERR_USAGE;
    }
    if (r->feed)
        r->so = *r->feed->ops;
    else
        stream_reader_of_engine(r->rd, &r->so);
    /*
     * Under the runner lock (setup took it): what they end is a dead
     * runner's, never a live one's.  A feed's reader is not streamed from,
     * and once the feed started, its own sessions on the writer are live.
     */
    if (!r->feed)
        rc = r->rd->end_stale_sessions(r->reader);
    if (rc == GW_OK && (first || !r->feed))
        rc = r->wr->end_stale_sessions(r->writer);
    return rc;
}

/*
 * last: the stream ends, and the runner lock goes too, once nothing writes
 * any more but before the sessions that cutover and rollback watch for
 * (reader, watch) close: once those are gone, the lock is free.
 */
static void
disconnect_all(Replicator *r, bool last)
{
    if (r->stream)
        r->so.close(r->stream);
    r->stream = NULL;
    if (r->writer && r->group_open)
        r->wr->apply->apply_abort(r->writer);
    engine_close(r->writer);
    if (last)
        runner_lock_release(&r->lock);
    engine_close(r->reader);
    engine_close(r->watch);
    r->reader = r->writer = r->state = r->watch = NULL;
    phase_free(&r->phase);
    catalog_free(&r->catalog);
    free(r->tables);
    r->tables = NULL;
    r->ntables = 0;
    free(r->table_slots);
    r->table_slots = NULL;
    r->in_txn = r->skipping = r->group_open = false;
    r->group_changes = 0;
    /* Whether they committed, the checkpoint on the writer says at the next start. */
    r->nin_flight = 0;
}

/* The phase's tables by name, for a source whose stream carries every table. */
static void
name_phase_tables(Replicator *r)
{
    r->phase.state.tables = gw_calloc(r->ntables + 1, sizeof *r->phase.state.tables);
    for (size_t i = 0; i < r->ntables; i++)
        r->phase.state.tables[i] = table_display_name(r->tables[i].def);
    r->phase.state.ntables = r->ntables;
}

/*
 * Checks the target's migration and names the stream, its sessions and (MySQL)
 * its binlog reader by it (core/phase_names.h).  Inside the retry loop: a
 * database that is not reachable yet is waited for as any lost connection.
 */
static GwResult
name_stream(Replicator *r)
{
    const ReplicateOptions *o = r->opts;
    const char *command = o->failback ? "failback" : "replicate";
    MigrationPhase mp;
    GwResult rc = migration_phase(o->migration_id, o->source_url, o->target_url, command, o->phase, &mp);
    if (rc)
        return rc;
    r->stream_name = phase_names_stream(&mp, o->failback);
    memcpy(r->migration_id, mp.id, sizeof r->migration_id);
    free(r->reader_ep.app_name);
    free(r->writer_ep.app_name);
    r->reader_ep.app_name = phase_names_app(&mp, command);
    r->writer_ep.app_name = phase_names_app(&mp, command);
    r->reader_ep.read.reader_id = o->read.reader_id ? o->read.reader_id : phase_names_server_id(&mp);
    runner_lock_init(&r->lock, &r->writer_ep, r->stream_name, o->failback ? "failback" : "forward replication",
                     o->phase);
    r->lock.standby = o->standby;
    return GW_OK;
}

/* Everything from connecting to an open stream; run again after each reconnect. */
static GwResult
setup(Replicator *r, bool first)
{
    GwResult rc = r->stream_name ? GW_OK : name_stream(r);
    /* Then the lock: a second runner is refused before it touches anything. */
    if (rc == GW_OK)
        rc = runner_lock_hold(&r->lock);
    r->last_lock_check = progress_now();
    if (rc == GW_OK)
        rc = connect_all(r, first);
    if (rc == GW_OK)
        rc = load_phase(r);
    if (rc == GW_OK)
        rc = load_start(r);
    if (rc == GW_OK)
        rc = r->wr->apply->apply_setup(r->writer, r->stream_name, r->reader->ops->log_has_cascade_effects);
    if (rc == GW_OK && r->feed && !r->feed_started) {
        rc = r->feed->start(r->feed->ctx, r->reader, r->writer, &r->phase.state, &r->catalog, r->start);
        r->feed_started = rc == GW_OK;
    }
    if (rc == GW_OK && first && r->opts->stop_when_caught_up && !r->feed) {
        rc = r->rd->stream->current_pos(r->reader, &r->goal);
        char goal[32];
        stream_loop_format_pos(r, r->goal, goal, sizeof goal);
        if (rc == GW_OK)
            log_info("will stop once caught up with %s", goal);
    }
    if (rc == GW_OK) {
        name_phase_tables(r);
        rc = r->feed ? r->feed->open(r->feed->ctx, &r->writer_ep, &r->phase.state, &r->catalog, r->start, &r->stream)
                     : r->rd->stream->stream_open(r->reader, &r->phase.state, r->start, &r->stream);
    }
    return rc;
}

static bool
transient(const Replicator *r, GwResult rc)
{
    if (r->fatal)
        return false;
    if (r->lock.transient)
        return true;
    if (r->feed && rc == GW_ERR_SOURCE && r->feed->transient(r->stream))
        return true;
    /* Error codes name the migration's roles: in failback the reader is the target. */
    if (rc == role_error(r->reader_ep.role))
        return !r->reader || r->reader->ops->error_is_transient(r->reader);
    if (rc == role_error(r->writer_ep.role))
        return !r->writer || r->writer->ops->error_is_transient(r->writer);
    return false;
}

static GwResult
run_with_retries(Replicator *r)
{
    Retry retry;
    /* Jittered: many replicators restarting together do not reconnect in lockstep. */
    RetryPolicy policy = {.initial = 0.5, .cap = 30, .jitter = RETRY_JITTER_EQUAL, .budget = r->opts->retry_seconds};
    retry_init(&retry, &policy);
    for (int attempt = 1;; attempt++) {
        r->progressed = false;
        GwResult rc = setup(r, attempt == 1);
        double streamed_from = progress_now();
        if (rc == GW_OK)
            rc = stream_loop_run(r);
        /*
         * Only a connection that got work done, or stayed up a while, ends an
         * outage: a reconnect that fails at once does not.
         */
        if (r->progressed || (rc == GW_OK || progress_now() - streamed_from >= 10.0))
            retry_succeeded(&retry);
        /* A standby stopped while it waited did nothing and failed at nothing. */
        if (r->lock.stood_down) {
            disconnect_all(r, true);
            return GW_OK;
        }
        stream_loop_log_progress(r, true);
        if (rc == GW_OK || !transient(r, rc) || signals_stop_requested()) {
            disconnect_all(r, true);
            return rc;
        }
        disconnect_all(r, false);
        if (!retry_failed(&retry, progress_now())) {
            log_error("giving up after %d s without a working %s connection", r->opts->retry_seconds,
                      rc == GW_ERR_SOURCE ? "source" : "target");
            return rc;
        }
        double wait = retry_next_delay(&retry);
        log_warn("connection lost (attempt %d); reconnecting in %.1f s", attempt, wait);
        metrics_add(r->m.reconnects, 1);
        sleep_unless_stopped(wait);
    }
}

GwResult
flow_replicate(const ReplicateOptions *opts)
{
    return flow_replicate_feed(opts, NULL);
}

GwResult
flow_replicate_feed(const ReplicateOptions *opts, const ReplicateFeed *feed)
{
    Replicator r;
    memset(&r, 0, sizeof r);
    r.opts = opts;
    r.feed = feed;
    r.last_phase_change = r.now = progress_now();
    r.group_limit = stream_loop_group_ramp_start(&r);
    catalog_init(&r.catalog);
    phase_init(&r.phase);
    const char *command = opts->failback ? "failback" : "replicate";
    /* Roles stay those of the migration: failback reads the target and writes to the source. */
    const char *reader_url = opts->failback ? opts->target_url : opts->source_url;
    const char *writer_url = opts->failback ? opts->source_url : opts->target_url;
    /* Named by the migration once it is checked (name_stream). */
    char *app = phase_names_command_app(command);
    GwResult rc = endpoint_init(&r.reader_ep, reader_url, opts->failback ? ROLE_TARGET : ROLE_SOURCE, app);
    if (rc == GW_OK)
        rc = endpoint_init(&r.writer_ep, writer_url, opts->failback ? ROLE_SOURCE : ROLE_TARGET, app);
    free(app);
    r.reader_ep.read.ddl_applied = opts->read.ddl_applied;
    metrics_init(&r.m);
    HttpServer *http = NULL;
    if (rc == GW_OK && opts->metrics_addr)
        rc = http_server_start(opts->metrics_addr, &http);
    if (rc == GW_OK)
        rc = run_with_retries(&r);
    runner_lock_release(&r.lock);
    if (feed)
        feed->stop(feed->ctx);
    http_server_stop(http);
    metrics_reset();
    if (rc == GW_OK)
        log_info("%s %s: stopped cleanly", command, opts->phase);
    if (opts->result && r.so.format_pos) {
        opts->result->last_phase_change = r.last_phase_change;
        stream_loop_format_pos(&r, r.applied, opts->result->applied, sizeof opts->result->applied);
    }
    endpoint_free(&r.reader_ep);
    endpoint_free(&r.writer_ep);
    free(r.stream_name);
    return rc;
}
