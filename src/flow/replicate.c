/*
 * replicate.c: `godwit replicate` (DESIGN.md, "Consistency contract").
 *
 * Reads the phase's change stream from the target's checkpoint (or, the
 * first time, from the fetch's snapshot position) and applies it in source
 * commit order.  Source transactions are grouped into one target
 * transaction until the group is big or old enough, or the stream pauses;
 * each group commits with the checkpoint of its last source transaction,
 * and only then is the source told it may discard that WAL.  A source
 * transaction at or before the checkpoint is skipped, which is what makes a
 * restart after kill -9 apply nothing twice.
 *
 * Connection failures on either side are retried with exponential backoff
 * and jitter, resuming from the target's checkpoint; other errors stop.
 */
#include "flow/replicate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/selection.h"
#include "engine/engine.h"
#include "flow/change_filter.h"
#include "http/http_server.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/metrics.h"
#include "util/progress.h"
#include "util/signals.h"

/* Seconds between progress log lines. */
#define REPLICATE_LOG_INTERVAL 10.0
/* While waiting to catch up, how often to ask the source where it stands. */
#define CATCH_UP_POLL_MS 100

typedef struct ReplTable {
    const TableDef *def;
    const Predicate *predicate;
    StreamPos copied_until;     /* keyless table copied by a resumed fetch: skip changes before this */
    Metric *changes;
} ReplTable;

/* The series every replicator exports; per-table ones live in ReplTable. */
typedef struct ReplMetrics {
    Metric *txns;
    Metric *bytes;
    Metric *source_pos;
    Metric *applied_pos;
    Metric *lag_bytes;
    Metric *lag_seconds;
    Metric *reconnects;
    Metric *last_apply;
} ReplMetrics;

typedef struct Replicator {
    const ReplicateOptions *opts;
    Endpoint source_ep;
    Endpoint target_ep;
    EngineConn *source;
    EngineConn *target;
    const EngineOps *src;
    const EngineOps *tgt;
    PhaseState phase;
    Catalog catalog;            /* the target's tables of this phase */
    Selection filters;
    ReplTable *tables;
    size_t ntables;
    char *stream_name;
    StreamPos start;
    StreamPos goal;
    ChangeStream *stream;

    bool in_txn;
    bool skipping;
    StreamPos txn_pos;          /* commit position of the transaction being read */
    bool group_open;
    int group_changes;
    double group_started;
    StreamPos group_pos;        /* end of the last source transaction in the group */
    char group_pos_text[512];   /* its position as the source names it, when it says more than group_pos */
    StreamPos applied;          /* committed on the target with its checkpoint */
    double last_poll;
    double last_log;
    long long txns;
    long long changes;
    bool stopping;
    bool fatal;                 /* the last error needs the operator, however it looks */
    bool progressed;            /* applied or confirmed something since the last (re)connect */
    int64_t txn_commit_time;    /* of the transaction being read, source clock */
    int64_t group_commit_time;  /* of the last transaction in the group */
    ReplMetrics m;
} Replicator;

static void
metrics_init(ReplMetrics *m)
{
    m->txns = metrics_series("godwit_transactions_applied_total", "Source transactions applied", METRIC_COUNTER,
                             NULL, NULL);
    m->bytes = metrics_series("godwit_stream_bytes_received_total", "Bytes received from the change stream",
                              METRIC_COUNTER, NULL, NULL);
    m->source_pos = metrics_series("godwit_source_position", "Position the source has sent up to (LSN as a number)",
                                   METRIC_GAUGE, NULL, NULL);
    m->applied_pos = metrics_series("godwit_applied_position", "Position committed on the target (LSN as a number)",
                                    METRIC_GAUGE, NULL, NULL);
    m->lag_bytes = metrics_series("godwit_lag_bytes", "Source log bytes sent but not yet applied", METRIC_GAUGE,
                                  NULL, NULL);
    m->lag_seconds = metrics_series("godwit_lag_seconds", "Age of the last applied source commit while behind",
                                    METRIC_GAUGE, NULL, NULL);
    m->reconnects = metrics_series("godwit_reconnects_total", "Reconnections after a lost connection",
                                   METRIC_COUNTER, NULL, NULL);
    m->last_apply = metrics_series("godwit_last_apply_timestamp_seconds", "Unix time of the last target commit",
                                   METRIC_GAUGE, NULL, NULL);
}

static void
metrics_update(Replicator *r, bool idle)
{
    StreamPos sent = r->stream ? r->src->stream_sent_pos(r->stream) : 0;
    StreamPos head = sent > r->applied ? sent : r->applied;
    metrics_set(r->m.source_pos, (double) head);
    metrics_set(r->m.applied_pos, (double) r->applied);
    metrics_set(r->m.lag_bytes, (double) (head - r->applied));
    if (idle && !r->in_txn && !r->group_open)
        metrics_set(r->m.lag_seconds, 0);
    if (r->stream)
        metrics_set(r->m.bytes, (double) r->src->stream_bytes(r->stream));
}

static const ReplTable *
find_table(const Replicator *r, const RelationInfo *rel)
{
    for (size_t i = 0; i < r->ntables; i++)
        if (!strcmp(r->tables[i].def->schema, rel->schema) && !strcmp(r->tables[i].def->name, rel->name))
            return &r->tables[i];
    return NULL;
}

static void
format_pos(const Replicator *r, StreamPos pos, char *buf, size_t len)
{
    r->src->format_pos(pos, buf, len);
}

/* The phase's tables on the target, with their filters and resume positions. */
static GwResult
load_tables(Replicator *r)
{
    ShardProgress *shards = NULL;
    int nshards = 0;
    Selection all;
    selection_init(&all);
    GwResult rc = r->tgt->describe(r->target, &all, &r->catalog);
    selection_free(&all);
    catalog_mark_referenced(&r->catalog);
    if (rc == GW_OK)
        rc = r->tgt->state_get_shards(r->target, r->phase.name, &shards, &nshards);
    r->tables = gw_calloc(r->catalog.ntables + 1, sizeof *r->tables);
    for (int i = 0; rc == GW_OK && i < nshards; i++) {
        const TableDef *t = catalog_find_table(&r->catalog, shards[i].schema, shards[i].table);
        if (!t) {
            log_error("target %s: table %s.%s of phase '%s' does not exist", r->target_ep.redacted,
                      shards[i].schema, shards[i].table, r->phase.name);
            rc = GW_ERR_TARGET;
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
            const RowFilter *f = selection_filter_for(&r->filters, t->schema, t->name);
            rt->predicate = f ? f->predicate : NULL;
        }
        StreamPos pos;
        if (t->npk == 0 && shards[i].snapshot_position &&
            r->src->parse_pos(shards[i].snapshot_position, &pos) == 0 && pos > rt->copied_until)
            rt->copied_until = pos;
    }
    for (int i = 0; i < nshards; i++)
        shard_progress_free(&shards[i]);
    free(shards);
    return rc;
}

static GwResult
load_phase(Replicator *r)
{
    bool found;
    GwResult rc = r->tgt->state_get_phase(r->target, r->opts->phase, &r->phase, &found);
    if (rc)
        return rc;
    if (!found || strcmp(r->phase.status, "fetched") != 0) {
        log_error("phase '%s' has %s on target %s: run `godwit fetch` for it first", r->opts->phase,
                  found ? "an unfinished fetch" : "no fetch", r->target_ep.redacted);
        return GW_ERR_USAGE;
    }
    char err[512];
    if (selection_add_filters_json(&r->filters, r->phase.filters, err, sizeof err) != GW_OK) {
        log_error("phase '%s': %s", r->opts->phase, err);
        return GW_ERR_TARGET;
    }
    return load_tables(r);
}

static GwResult
load_start(Replicator *r)
{
    char *pos = NULL;
    bool found;
    GwResult rc = r->tgt->checkpoint_get(r->target, r->stream_name, &pos, &found);
    if (rc)
        return rc;
    const char *text = found ? pos : r->phase.snapshot_position;
    if (!text || r->src->parse_pos(text, &r->start) != 0) {
        log_error("phase '%s': invalid stream position '%s' on the target", r->phase.name, text ? text : "");
        rc = GW_ERR_TARGET;
    } else {
        r->applied = r->start;
        log_info("phase '%s': %s at %s", r->phase.name, found ? "resuming from checkpoint" : "starting from the fetch's snapshot", text);
    }
    free(pos);
    return rc;
}

static GwResult
connect_all(Replicator *r)
{
    GwResult rc = engine_connect(&r->source_ep, &r->source);
    if (rc == GW_OK)
        rc = engine_connect(&r->target_ep, &r->target);
    if (rc)
        return rc;
    r->src = r->source->ops;
    r->tgt = r->target->ops;
    if (!r->src->stream_open || !r->tgt->apply_change) {
        log_error("%s cannot stream to %s", r->src->name, r->tgt->name);
        return GW_ERR_USAGE;
    }
    rc = r->src->end_stale_sessions(r->source);
    if (rc == GW_OK)
        rc = r->tgt->end_stale_sessions(r->target);
    return rc;
}

static void
disconnect_all(Replicator *r)
{
    if (r->stream)
        r->src->stream_close(r->stream);
    r->stream = NULL;
    if (r->target && r->group_open)
        r->tgt->apply_abort(r->target);
    engine_close(r->source);
    engine_close(r->target);
    r->source = r->target = NULL;
    phase_state_free(&r->phase);
    catalog_free(&r->catalog);
    selection_free(&r->filters);
    free(r->tables);
    r->tables = NULL;
    r->ntables = 0;
    r->in_txn = r->skipping = r->group_open = false;
    r->group_changes = 0;
}

/* The phase's tables by name, for a source whose stream carries every table. */
static void
name_phase_tables(Replicator *r)
{
    r->phase.tables = gw_calloc(r->ntables + 1, sizeof *r->phase.tables);
    for (size_t i = 0; i < r->ntables; i++)
        r->phase.tables[i] = table_display_name(r->tables[i].def);
    r->phase.ntables = r->ntables;
}

/* Everything from connecting to an open stream; run again after each reconnect. */
static GwResult
setup(Replicator *r, bool first)
{
    GwResult rc = connect_all(r);
    if (rc == GW_OK)
        rc = load_phase(r);
    /* The fetch's conversions (zero dates, type map, ...) apply to streamed values too. */
    if (rc == GW_OK && r->phase.source_options && r->src->set_source_options)
        rc = r->src->set_source_options(r->source, r->phase.source_options);
    if (rc == GW_OK)
        rc = load_start(r);
    if (rc == GW_OK)
        rc = r->tgt->apply_setup(r->target, r->stream_name);
    if (rc == GW_OK && first && r->opts->stop_when_caught_up) {
        rc = r->src->current_pos(r->source, &r->goal);
        char goal[32];
        format_pos(r, r->goal, goal, sizeof goal);
        if (rc == GW_OK)
            log_info("will stop once caught up with %s", goal);
    }
    if (rc == GW_OK) {
        name_phase_tables(r);
        rc = r->src->stream_open(r->source, &r->phase, r->start, &r->stream);
    }
    return rc;
}

static GwResult
commit_group(Replicator *r)
{
    if (!r->group_open)
        return GW_OK;
    char pos[32];
    format_pos(r, r->group_pos, pos, sizeof pos);
    const char *text = r->group_pos_text[0] ? r->group_pos_text : pos;
    GwResult rc = r->tgt->apply_commit(r->target, r->stream_name, r->phase.name, text);
    if (rc)
        return rc;
    r->group_open = false;
    r->group_changes = 0;
    r->applied = r->group_pos;
    r->progressed = true;
    double lag = (double) (change_clock_now() - r->group_commit_time) / 1e6;
    metrics_set(r->m.lag_seconds, lag > 0 ? lag : 0);
    metrics_set(r->m.last_apply, (double) time(NULL));
    metrics_update(r, false);
    return r->src->stream_confirm(r->stream, r->applied, false);
}

/*
 * A table's shape on the source changed (or was first announced): every
 * column the source sends must exist on the target, or nothing can be
 * applied; the operator adds it and runs replicate again.
 */
static GwResult
check_relation(Replicator *r, const RelationInfo *rel)
{
    const ReplTable *rt = find_table(r, rel);
    if (!rt)
        return GW_OK;
    for (uint16_t i = 0; i < rel->ncols; i++) {
        if (table_find_column(rt->def, rel->cols[i].name) >= 0)
            continue;
        char pos[32], applied[32];
        format_pos(r, r->txn_pos, pos, sizeof pos);
        format_pos(r, r->applied, applied, sizeof applied);
        log_error("table %s.%s: column %s exists on the source but not on the target; the stream stopped before"
                  " the transaction committed at %s (applied up to %s): add the column on the target and run"
                  " replicate again",
                  rel->schema, rel->name, rel->cols[i].name, pos, applied);
        r->fatal = true;
        return GW_ERR_TARGET;
    }
    return GW_OK;
}

static GwResult
apply_row_change(Replicator *r, const Change *ch)
{
    const ReplTable *rt = find_table(r, ch->rel);
    if (!rt) {
        log_error("source sent a change for %s.%s, which is not a table of phase '%s'", ch->rel->schema,
                  ch->rel->name, r->phase.name);
        return GW_ERR_SOURCE;
    }
    if (rt->copied_until && r->txn_pos < rt->copied_until)
        return GW_OK;
    FilterVerdict verdict;
    bool must_exist;
    GwResult rc = change_filter(rt->predicate, &r->catalog, rt->def, ch, &verdict, &must_exist);
    if (rc || verdict == FILTER_SKIP)
        return rc;
    Change rewritten = *ch;
    rewritten.must_exist = must_exist;
    if (verdict == FILTER_AS_DELETE) {
        rewritten.kind = CHANGE_DELETE;
        if (!ch->has_old) {
            rewritten.has_old = true;
            rewritten.old_kind = 'O';
            rewritten.old_tuple = ch->new_tuple;
        }
    } else if (verdict == FILTER_AS_INSERT) {
        /* The old row stays attached: the applier takes unchanged TOASTed values from it. */
        rewritten.kind = CHANGE_INSERT;
    }
    ch = &rewritten;
    r->group_changes++;
    r->changes++;
    metrics_add(rt->changes, 1);
    return r->tgt->apply_change(r->target, ch, rt->def);
}

static GwResult
apply_truncate(Replicator *r, const Change *ch)
{
    Change mine = *ch;
    const RelationInfo **rels = gw_calloc(ch->nrels + 1, sizeof *rels);
    mine.rels = rels;
    mine.nrels = 0;
    for (uint32_t i = 0; i < ch->nrels; i++)
        if (find_table(r, ch->rels[i]))
            rels[mine.nrels++] = ch->rels[i];
    GwResult rc = GW_OK;
    if (mine.nrels > 0) {
        r->group_changes++;
        r->changes++;
        rc = r->tgt->apply_change(r->target, &mine, NULL);
    }
    free(rels);
    return rc;
}

static GwResult
on_commit(Replicator *r, const Change *ch)
{
    r->in_txn = false;
    if (r->skipping) {
        r->skipping = false;
        return GW_OK;
    }
    r->txns++;
    metrics_add(r->m.txns, 1);
    r->group_commit_time = r->txn_commit_time;
    if (r->group_changes == 0 && !r->group_open) {
        /* Nothing of this phase in it: nothing to write, but the source may move on. */
        r->applied = ch->end_pos;
        return r->src->stream_confirm(r->stream, r->applied, false);
    }
    r->group_open = true;
    r->group_pos = ch->end_pos;
    snprintf(r->group_pos_text, sizeof r->group_pos_text, "%s", ch->position_text ? ch->position_text : "");
    if (r->group_changes >= r->opts->group_changes ||
        (progress_now() - r->group_started) * 1000 >= r->opts->group_ms || r->stopping)
        return commit_group(r);
    return GW_OK;
}

static GwResult
on_change(Replicator *r, const Change *ch)
{
    switch (ch->kind) {
    case CHANGE_BEGIN:
        r->in_txn = true;
        r->txn_pos = ch->commit_pos;
        r->txn_commit_time = ch->commit_time;
        /* Committed before the checkpoint (or the snapshot): already on the target. */
        r->skipping = ch->commit_pos < r->start;
        if (!r->group_open && !r->skipping)
            r->group_started = progress_now();
        return GW_OK;
    case CHANGE_COMMIT:
        return on_commit(r, ch);
    case CHANGE_RELATION:
        return check_relation(r, ch->rel);
    case CHANGE_INSERT:
    case CHANGE_UPDATE:
    case CHANGE_DELETE:
        if (r->skipping)
            return GW_OK;
        r->group_open = true;
        return apply_row_change(r, ch);
    case CHANGE_TRUNCATE:
        if (r->skipping)
            return GW_OK;
        r->group_open = true;
        return apply_truncate(r, ch);
    default:
        return GW_OK;
    }
}

static bool
caught_up(Replicator *r)
{
    if (!r->opts->stop_when_caught_up || r->in_txn || r->group_open)
        return false;
    return r->applied >= r->goal || r->src->stream_sent_pos(r->stream) >= r->goal;
}

/* The stream paused: commit what is open, let an idle source move on, and check for the end. */
static GwResult
on_idle(Replicator *r, bool *done)
{
    GwResult rc = GW_OK;
    if (!r->in_txn)
        rc = commit_group(r);
    StreamPos sent = r->src->stream_sent_pos(r->stream);
    if (rc == GW_OK && !r->in_txn && !r->group_open && sent > r->applied) {
        /* Everything before `sent` was delivered and nothing of it is pending here. */
        r->applied = sent;
        r->progressed = true;
        rc = r->src->stream_confirm(r->stream, sent, false);
    }
    metrics_update(r, true);
    *done = rc == GW_OK && (caught_up(r) || (r->stopping && !r->in_txn));
    if (rc == GW_OK && !*done && r->opts->stop_when_caught_up && progress_now() - r->last_poll >= CATCH_UP_POLL_MS / 1000.0) {
        r->last_poll = progress_now();
        rc = r->src->stream_confirm(r->stream, r->applied, true);
    }
    return rc;
}

static void
log_progress(Replicator *r, bool force)
{
    if (!r->src)
        return;
    double now = progress_now();
    if (!force && now - r->last_log < REPLICATE_LOG_INTERVAL)
        return;
    r->last_log = now;
    char pos[32];
    format_pos(r, r->applied, pos, sizeof pos);
    log_info("replicate %s: %lld transactions, %lld changes applied; position %s", r->opts->phase, r->txns,
             r->changes, pos);
}

static GwResult
stream_loop(Replicator *r)
{
    for (;;) {
        if (signals_stop_requested() && !r->stopping) {
            r->stopping = true;
            log_info("stop requested: finishing the current transaction");
        }
        StreamEvent ev;
        Change ch;
        int timeout = r->group_open || r->stopping ? 1 : (r->opts->stop_when_caught_up ? CATCH_UP_POLL_MS : 1000);
        GwResult rc = r->src->stream_next(r->stream, timeout, &ev, &ch);
        if (rc)
            return rc;
        bool done = false;
        rc = ev == STREAM_CHANGE ? on_change(r, &ch) : on_idle(r, &done);
        if (rc)
            return rc;
        if (ev == STREAM_CHANGE && r->stopping && !r->in_txn && !r->group_open)
            done = true;
        if (ev == STREAM_CHANGE && caught_up(r))
            done = true;
        log_progress(r, false);
        if (done)
            return GW_OK;
    }
}

static bool
transient(const Replicator *r, GwResult rc)
{
    if (r->fatal)
        return false;
    if (rc == GW_ERR_SOURCE)
        return !r->source || r->source->ops->error_is_transient(r->source);
    if (rc == GW_ERR_TARGET)
        return !r->target || r->target->ops->error_is_transient(r->target);
    return false;
}

/* Sleeps for the backoff, in small steps so that a stop request is honoured. */
static void
backoff_sleep(double seconds)
{
    for (double slept = 0; slept < seconds && !signals_stop_requested(); slept += 0.05) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static GwResult
run_with_retries(Replicator *r)
{
    double delay = 0.5, outage_started = 0;
    unsigned seed = (unsigned) getpid() ^ (unsigned) time(NULL);
    for (int attempt = 1;; attempt++) {
        r->progressed = false;
        GwResult rc = setup(r, attempt == 1);
        double streamed_from = progress_now();
        if (rc == GW_OK)
            rc = stream_loop(r);
        /*
         * Only a connection that got work done, or stayed up a while, ends an
         * outage: a reconnect that fails at once does not.
         */
        if (r->progressed || (rc == GW_OK || progress_now() - streamed_from >= 10.0)) {
            outage_started = 0;
            delay = 0.5;
        }
        log_progress(r, true);
        if (rc == GW_OK || !transient(r, rc) || signals_stop_requested()) {
            disconnect_all(r);
            return rc;
        }
        disconnect_all(r);
        double now = progress_now();
        if (outage_started == 0)
            outage_started = now;
        if (now - outage_started >= r->opts->retry_seconds) {
            log_error("giving up after %d s without a working %s connection", r->opts->retry_seconds,
                      rc == GW_ERR_SOURCE ? "source" : "target");
            return rc;
        }
        /* Full jitter: many replicators restarting together do not reconnect in lockstep. */
        double wait = delay * (0.5 + 0.5 * ((double) rand_r(&seed) / RAND_MAX));
        log_warn("connection lost (attempt %d); reconnecting in %.1f s", attempt, wait);
        metrics_add(r->m.reconnects, 1);
        backoff_sleep(wait);
        delay = delay * 2 > 30 ? 30 : delay * 2;
    }
}

GwResult
flow_replicate(const ReplicateOptions *opts)
{
    Replicator r;
    memset(&r, 0, sizeof r);
    r.opts = opts;
    catalog_init(&r.catalog);
    selection_init(&r.filters);
    r.stream_name = gw_asprintf("%s:forward", opts->phase);
    char *app = gw_asprintf("godwit replicate:%s", opts->phase);
    GwResult rc = endpoint_init(&r.source_ep, opts->source_url, ROLE_SOURCE, app);
    if (rc == GW_OK)
        rc = endpoint_init(&r.target_ep, opts->target_url, ROLE_TARGET, app);
    free(app);
    r.source_ep.server_id = opts->server_id;
    r.source_ep.ddl_applied = opts->ddl_applied;
    metrics_init(&r.m);
    HttpServer *http = NULL;
    if (rc == GW_OK && opts->metrics_addr)
        rc = http_server_start(opts->metrics_addr, &http);
    if (rc == GW_OK)
        rc = run_with_retries(&r);
    http_server_stop(http);
    metrics_reset();
    if (rc == GW_OK)
        log_info("replicate %s: stopped cleanly", opts->phase);
    endpoint_free(&r.source_ep);
    endpoint_free(&r.target_ep);
    free(r.stream_name);
    return rc;
}
