/*
 * replicate.c: one stream of a phase (DESIGN.md, "Consistency contract"):
 * `godwit replicate` (forward: the source's changes into the target) and the
 * stream of `godwit failback` (the target's changes back into the source),
 * which is the same loop with the roles swapped.
 *
 * The reader's change stream is read from the writer's checkpoint (or, the
 * first time, from the stream's start position) and applied in the reader's
 * commit order.  Its transactions are grouped into one writer transaction
 * until the group is big or old enough, or the stream pauses; each group
 * commits with the checkpoint of its last transaction, and only then is the
 * reader told it may discard that log.  A transaction at or before the
 * checkpoint is skipped, which is what makes a restart after kill -9 apply
 * nothing twice; so is a transaction that a godwit stream wrote (its origin
 * says so), which is what keeps the two directions from echoing each other.
 *
 * The phase's own state (tables, filters, positions) lives on the
 * migration's target whichever way the stream flows.  A stream watches it,
 * on a connection of its own: when the phase is handed over (cutover for
 * the forward stream, rollback for failback), the stream applies up to the
 * position the handover fenced at, checkpoints it and exits by itself.  Connection failures
 * on either side are retried with exponential backoff and jitter, resuming
 * from the checkpoint; other errors stop.
 *
 * One process runs a stream at a time: it holds the stream's runner lock on
 * the writer's database (runner_lock.h) from before it first connects until
 * its writer is closed, and ends a killed run's sessions only under it.
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
#include "flow/migration.h"
#include "flow/runner_lock.h"
#include "http/http_server.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/metrics.h"
#include "util/progress.h"
#include "util/signals.h"
#include "util/sleep.h"

/* Seconds between progress log lines. */
#define REPLICATE_LOG_INTERVAL 10.0
/* While waiting to catch up, how often to ask the source where it stands. */
#define CATCH_UP_POLL_MS 100
/* How often, while commits are in flight and the stream is quiet, the writer is asked which are done. */
#define COLLECT_POLL_MS 1
/* How often a stream makes sure it still holds its runner lock (runner_lock.h). */
#define RUNNER_CHECK_S 1.0
/* How often a stream looks at its phase's state for a handover (cutover, rollback). */
#define HANDOFF_POLL_MS 50
/*
 * How often the checkpoint follows a stream that moved on with nothing of
 * the phase to apply: a handover, and status, see how far it really is.
 */
#define IDLE_CHECKPOINT_S 1.0
/*
 * Most changes in the first group after the stream paused.  Each group that
 * closes with more waiting may hold twice as many, up to --group-size: the
 * first transactions of a burst commit within a round trip or two, as they
 * would one by one, and a backlog still reaches full-size groups within a
 * few of them.
 */
#define GROUP_RAMP_START 32
/* Most group commits the writer works through before the next group is sent (see writer_busy). */
#define MAX_AHEAD 2
/* Most group commits sent and not yet known to be done (see EngineOps.apply_commit_send). */
#define MAX_IN_FLIGHT 64

typedef struct ReplTable {
    const TableDef *def;
    const Predicate *predicate;
    StreamPos copied_until;     /* keyless table copied by a resumed fetch: skip changes before this */
    Metric *changes;
} ReplTable;

/* A commit sent to the writer whose outcome is not read yet. */
typedef struct InFlight {
    StreamPos pos;              /* the position its checkpoint says */
    bool group;                 /* a group of changes, else a checkpoint alone */
    int64_t commit_time;        /* of the group's last source transaction, source clock */
} InFlight;

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
    Metric *skipped_own;
} ReplMetrics;

typedef struct Replicator {
    const ReplicateOptions *opts;
    Endpoint reader_ep;         /* forward: the source; failback: the target */
    Endpoint writer_ep;
    EngineConn *reader;
    EngineConn *writer;
    EngineConn *state;          /* the migration's target: the phase's state */
    EngineConn *watch;          /* the same database, for watching the phase's status between transactions */
    RunnerLock lock;            /* this process is the stream's only runner while it holds it (on the writer) */
    const EngineOps *rd;
    const EngineOps *wr;
    PhaseState phase;
    Catalog catalog;            /* the writer's tables of this phase */
    Selection filters;
    ReplTable *tables;
    size_t ntables;
    const ReplTable **table_slots;  /* find_table's cache, by relation id (a power of two of them) */
    size_t table_slot_mask;
    char *stream_name;          /* NULL until the migration is checked (name_stream) */
    char migration_id[MIGRATION_ID_LEN + 1];  /* whose streams' writes are echoes to skip (on_origin) */
    StreamPos start;
    StreamPos goal;
    ChangeStream *stream;

    bool in_txn;
    bool skipping;
    StreamPos txn_pos;          /* commit position of the transaction being read */
    bool group_open;
    int group_changes;
    int group_limit;            /* most changes in the group being filled (see GROUP_RAMP_START) */
    double group_started;
    StreamPos group_pos;        /* end of the last source transaction in the group */
    char group_pos_text[512];   /* its position as the source names it, when it says more than group_pos */
    InFlight in_flight[MAX_IN_FLIGHT];  /* oldest first */
    int nin_flight;
    StreamPos applied;          /* committed on the target with its checkpoint */
    StreamPos checkpointed;     /* position of the last checkpoint written */
    StreamPos seen_pos;         /* end of the last source transaction read (applied or not) */
    char seen_text[512];        /* its position as the source names it, when it says more than seen_pos */
    bool names_positions;       /* the reader's positions say more than a StreamPos (a MySQL binlog file, GTIDs) */
    bool handoff;               /* the phase is being handed over: stop at handoff_goal */
    bool quiet;                 /* --stop-when-quiet: the phase had no change for that long */
    StreamPos handoff_goal;
    double last_watch;
    double last_lock_check;
    double last_idle_checkpoint;
    double last_phase_change;   /* when a change of the phase was last applied (progress_now) */
    double last_poll;
    double last_log;
    double now;                 /* progress_now() as the stream loop last returned from the stream */
    long long txns;
    long long changes;
    long long skipped_own;      /* transactions of godwit's own writes, not applied again */
    int txn_started_changes;    /* group_changes when the current transaction began */
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
    m->skipped_own = metrics_series("godwit_transactions_skipped_own_total",
                                    "Transactions a godwit stream wrote, read back and not applied again",
                                    METRIC_COUNTER, NULL, NULL);
    m->last_apply = metrics_series("godwit_last_apply_timestamp_seconds", "Unix time of the last target commit",
                                   METRIC_GAUGE, NULL, NULL);
}

static void
metrics_update(Replicator *r, bool idle)
{
    StreamPos sent = r->stream ? r->rd->stream_sent_pos(r->stream) : 0;
    StreamPos head = sent > r->applied ? sent : r->applied;
    metrics_set(r->m.source_pos, (double) head);
    metrics_set(r->m.applied_pos, (double) r->applied);
    metrics_set(r->m.lag_bytes, (double) (head - r->applied));
    if (idle && !r->in_txn && !r->group_open)
        metrics_set(r->m.lag_seconds, 0);
    if (r->stream)
        metrics_set(r->m.bytes, (double) r->rd->stream_bytes(r->stream));
}

static bool
names_table(const ReplTable *rt, const RelationInfo *rel)
{
    return !strcmp(rt->def->name, rel->name) && !strcmp(rt->def->schema, rel->schema);
}

/*
 * The phase's table a change belongs to.  Every change asks, so a phase of
 * thousands of tables must not cost a search by name each time: the last
 * table found for the relation's id is tried first.  An id may name
 * another table later (a binlog's table ids are reused), so a hit counts
 * only if its names match.
 */
static const ReplTable *
find_table(Replicator *r, const RelationInfo *rel)
{
    /* load_tables made the slots: no stream is open before it has run. */
    const ReplTable **slot = &r->table_slots[(rel->id * 2654435761u) & r->table_slot_mask];
    if (*slot && names_table(*slot, rel))
        return *slot;
    for (size_t i = 0; i < r->ntables; i++)
        if (names_table(&r->tables[i], rel))
            return *slot = &r->tables[i];
    return NULL;
}

static void
table_slots_init(Replicator *r)
{
    size_t n = 8;
    while (n < 2 * r->ntables)
        n *= 2;
    r->table_slots = gw_calloc(n, sizeof *r->table_slots);
    r->table_slot_mask = n - 1;
}

static void
format_pos(const Replicator *r, StreamPos pos, char *buf, size_t len)
{
    r->rd->format_pos(pos, buf, len);
}

/*
 * The phase's tables (those its fetch copied) as the writer has them, with
 * their filters and resume positions.
 */
static GwResult
load_tables(Replicator *r)
{
    ShardProgress *shards = NULL;
    int nshards = 0;
    GwResult rc = r->state->ops->state_get_shards(r->state, r->phase.name, &shards, &nshards);
    Selection phase_tables;
    selection_init(&phase_tables);
    for (int i = 0; rc == GW_OK && i < nshards; i++)
        selection_add_table(&phase_tables, shards[i].schema, shards[i].table);
    if (rc == GW_OK)
        rc = r->wr->describe(r->writer, &phase_tables, &r->catalog);
    selection_free(&phase_tables);
    catalog_mark_referenced(&r->catalog);
    r->tables = gw_calloc(r->catalog.ntables + 1, sizeof *r->tables);
    for (int i = 0; rc == GW_OK && i < nshards; i++) {
        const TableDef *t = catalog_find_table(&r->catalog, shards[i].schema, shards[i].table);
        if (!t) {
            log_error("%s %s: table %s.%s of phase '%s' does not exist", role_name(r->writer_ep.role),
                      r->writer_ep.redacted, shards[i].schema, shards[i].table, r->phase.name);
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
            const RowFilter *f = selection_filter_for(&r->filters, t->schema, t->name);
            rt->predicate = f ? f->predicate : NULL;
        }
        StreamPos pos;
        /* Only the forward stream has changes that a resumed fetch copied already. */
        if (!r->opts->failback && t->npk == 0 && shards[i].snapshot_position &&
            r->rd->parse_pos(shards[i].snapshot_position, &pos) == 0 && pos > rt->copied_until)
            rt->copied_until = pos;
    }
    for (int i = 0; i < nshards; i++)
        shard_progress_free(&shards[i]);
    free(shards);
    table_slots_init(r);
    return rc;
}

/* Whether the phase's state lets this stream run; says why not. */
static bool
phase_allows_stream(const Replicator *r, bool found)
{
    const char *target = r->opts->failback ? r->reader_ep.redacted : r->writer_ep.redacted;
    if (!found || !strcmp(r->phase.status, "fetching")) {
        log_error("phase '%s' has %s on target %s: run `godwit fetch` for it first", r->opts->phase,
                  found ? "an unfinished fetch" : "no fetch", target);
        return false;
    }
    const char *st = r->phase.status;
    bool failing_back = !strcmp(st, PHASE_FAILBACK) || !strcmp(st, PHASE_ROLLING_BACK);
    if (!r->opts->failback && failing_back) {
        log_error("phase '%s' is cut over: its writes go to the target now and flow back to the source with"
                  " `godwit failback`; forward replication of it is over", r->opts->phase);
        return false;
    }
    if (r->opts->failback && (!failing_back || !r->phase.failback_slot)) {
        if (!strcmp(st, PHASE_ROLLED_BACK) || !strcmp(st, PHASE_FINISHED))
            log_error("phase '%s' is %s: failback of it is over", r->opts->phase,
                      !strcmp(st, PHASE_FINISHED) ? "finished" : "rolled back");
        else
            log_error("phase '%s' has no failback stream prepared on target %s", r->opts->phase, target);
        return false;
    }
    if (!r->opts->failback && strcmp(st, PHASE_FETCHED) != 0 && strcmp(st, PHASE_CUTTING_OVER) != 0) {
        log_error("phase '%s' is in state '%s' on target %s; replicate needs a fetched phase", r->opts->phase,
                  r->phase.status, target);
        return false;
    }
    return true;
}

static GwResult
load_phase(Replicator *r)
{
    bool found;
    GwResult rc = r->state->ops->state_get_phase(r->state, r->opts->phase, &r->phase, &found);
    if (rc)
        return rc;
    if (!phase_allows_stream(r, found))
        return GW_ERR_USAGE;
    char err[512];
    if (selection_add_filters_json(&r->filters, r->phase.filters, err, sizeof err) != GW_OK) {
        log_error("phase '%s': %s", r->opts->phase, err);
        return GW_ERR_TARGET;
    }
    if (r->opts->failback) {
        /* The failback stream reads the target's own slot and publications. */
        free(r->phase.slot);
        free(r->phase.publications);
        r->phase.slot = gw_strdup(r->phase.failback_slot);
        r->phase.publications = gw_strdup(r->phase.failback_publications ? r->phase.failback_publications : "");
    }
    return load_tables(r);
}

static GwResult
load_start(Replicator *r)
{
    char *pos = NULL;
    bool found;
    GwResult rc = r->wr->checkpoint_get(r->writer, r->stream_name, &pos, &found);
    if (rc)
        return rc;
    const char *first = r->opts->failback ? r->phase.failback_position : r->phase.snapshot_position;
    const char *text = found ? pos : first;
    if (!text || r->rd->parse_pos(text, &r->start) != 0) {
        log_error("phase '%s': invalid stream position '%s' on the %s", r->phase.name, text ? text : "",
                  role_name(found ? r->writer_ep.role : ROLE_TARGET));
        rc = found ? role_error(r->writer_ep.role) : GW_ERR_TARGET;
    } else {
        r->applied = r->checkpointed = r->start;
        char plain[32];
        format_pos(r, r->start, plain, sizeof plain);
        r->names_positions = strcmp(plain, text) != 0;
        log_info("phase '%s': %s at %s", r->phase.name,
                 found ? "resuming from checkpoint"
                       : r->opts->failback ? "starting from the cutover's position" : "starting from the fetch's snapshot",
                 text);
    }
    free(pos);
    return rc;
}

static GwResult
connect_all(Replicator *r)
{
    GwResult rc = engine_connect(&r->reader_ep, &r->reader);
    if (rc == GW_OK)
        rc = engine_connect(&r->writer_ep, &r->writer);
    if (rc)
        return rc;
    r->rd = r->reader->ops;
    r->wr = r->writer->ops;
    r->state = r->opts->failback ? r->reader : r->writer;
    if (!r->rd->stream_open || !r->wr->apply_change) {
        log_error("%s cannot stream to %s", r->rd->name, r->wr->name);
        return GW_ERR_USAGE;
    }
    /* Under the runner lock (setup took it): what they end is a dead runner's, never a live one's. */
    rc = r->rd->end_stale_sessions(r->reader);
    if (rc == GW_OK)
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
        r->rd->stream_close(r->stream);
    r->stream = NULL;
    if (r->writer && r->group_open)
        r->wr->apply_abort(r->writer);
    engine_close(r->writer);
    if (last)
        runner_lock_release(&r->lock);
    engine_close(r->reader);
    engine_close(r->watch);
    r->reader = r->writer = r->state = r->watch = NULL;
    phase_state_free(&r->phase);
    catalog_free(&r->catalog);
    selection_free(&r->filters);
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
    r->phase.tables = gw_calloc(r->ntables + 1, sizeof *r->phase.tables);
    for (size_t i = 0; i < r->ntables; i++)
        r->phase.tables[i] = table_display_name(r->tables[i].def);
    r->phase.ntables = r->ntables;
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
    r->reader_ep.read.reader_id = o->server_id ? o->server_id : phase_names_server_id(&mp);
    runner_lock_init(&r->lock, &r->writer_ep, r->stream_name, o->failback ? "failback" : "forward replication",
                     o->phase);
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
        rc = connect_all(r);
    if (rc == GW_OK)
        rc = load_phase(r);
    /* The fetch's conversions (zero dates, type map, ...) apply to streamed values too, both ways. */
    EngineConn *source = r->opts->failback ? r->writer : r->reader;
    if (rc == GW_OK && r->phase.source_options && source->ops->set_source_options)
        rc = source->ops->set_source_options(source, r->phase.source_options);
    if (rc == GW_OK)
        rc = load_start(r);
    if (rc == GW_OK)
        rc = r->wr->apply_setup(r->writer, r->stream_name);
    if (rc == GW_OK && first && r->opts->stop_when_caught_up) {
        rc = r->rd->current_pos(r->reader, &r->goal);
        char goal[32];
        format_pos(r, r->goal, goal, sizeof goal);
        if (rc == GW_OK)
            log_info("will stop once caught up with %s", goal);
    }
    if (rc == GW_OK) {
        name_phase_tables(r);
        rc = r->rd->stream_open(r->reader, &r->phase, r->start, &r->stream);
    }
    return rc;
}

static int
group_ramp_start(const Replicator *r)
{
    return r->opts->group_changes < GROUP_RAMP_START ? r->opts->group_changes : GROUP_RAMP_START;
}

/*
 * Takes note of the commits the writer completed (all of them with wait):
 * what they hold is on the target for good, and the reader may discard it.
 */
static GwResult
collect_commits(Replicator *r, bool wait)
{
    if (r->nin_flight == 0)
        return GW_OK;
    unsigned long long done = (unsigned long long) r->nin_flight;
    GwResult rc = r->wr->apply_collect ? r->wr->apply_collect(r->writer, wait, &done) : GW_OK;
    if (rc)
        return rc;
    int n = done < (unsigned long long) r->nin_flight ? (int) done : r->nin_flight;
    const InFlight *last_group = NULL;
    for (int i = 0; i < n; i++) {
        r->checkpointed = r->in_flight[i].pos;
        if (r->in_flight[i].group)
            last_group = &r->in_flight[i];
    }
    if (last_group) {
        r->applied = last_group->pos;
        r->progressed = true;
        double lag = (double) (change_clock_now() - last_group->commit_time) / 1e6;
        metrics_set(r->m.lag_seconds, lag > 0 ? lag : 0);
        metrics_set(r->m.last_apply, (double) time(NULL));
        metrics_update(r, false);
    }
    memmove(r->in_flight, r->in_flight + n, (size_t) (r->nin_flight - n) * sizeof *r->in_flight);
    r->nin_flight -= n;
    return last_group ? r->rd->stream_confirm(r->stream, r->applied, false) : GW_OK;
}

/*
 * Commits the open group with its checkpoint.  While the stream goes on,
 * the commit is only sent: the next group follows it at once, and
 * collect_commits() hears of it later.
 */
static GwResult
commit_group(Replicator *r)
{
    if (!r->group_open)
        return GW_OK;
    char pos[32];
    format_pos(r, r->group_pos, pos, sizeof pos);
    const char *text = r->group_pos_text[0] ? r->group_pos_text : pos;
    bool send_only = r->wr->apply_commit_send && !r->stopping && r->nin_flight < MAX_IN_FLIGHT - 1;
    GwResult rc = send_only ? r->wr->apply_commit_send(r->writer, r->stream_name, r->phase.name, text)
                            : r->wr->apply_commit(r->writer, r->stream_name, r->phase.name, text);
    if (rc)
        return rc;
    r->in_flight[r->nin_flight++] = (InFlight) {.pos = r->group_pos, .group = true, .commit_time = r->group_commit_time};
    r->group_open = false;
    r->group_changes = 0;
    return collect_commits(r, false);
}

/*
 * Whether the writer still has MAX_AHEAD commits to work through: the open
 * group then keeps growing (it is applied more cheaply as one) instead of
 * queueing behind them, up to twice its ramp's limit.  Not further: the
 * first transactions of a burst wait for their group's commit, and a group
 * grown to --group-size while the target worked (1500 changes, 30 ms of
 * the target's time) held them that long.
 */
static GwResult
writer_busy(Replicator *r, bool *busy)
{
    *busy = false;
    if (r->nin_flight < MAX_AHEAD || r->stopping)
        return GW_OK;
    GwResult rc = collect_commits(r, false);
    *busy = rc == GW_OK && r->nin_flight >= MAX_AHEAD;
    return rc;
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
        log_error("the %s sent a change for %s.%s, which is not a table of phase '%s'", role_name(r->reader_ep.role),
                  ch->rel->schema, ch->rel->name, r->phase.name);
        return role_error(r->reader_ep.role);
    }
    if (rt->copied_until && r->txn_pos < rt->copied_until)
        return GW_OK;
    Change rewritten;
    bool skip;
    GwResult rc = change_filter_rewrite(rt->predicate, &r->catalog, rt->def, ch, &rewritten, &skip);
    if (rc || skip)
        return rc;
    r->group_changes++;
    r->changes++;
    r->last_phase_change = r->now;
    metrics_add(rt->changes, 1);
    return r->wr->apply_change(r->writer, &rewritten, rt->def);
}

/*
 * A TRUNCATE of the phase's tables.  A table with a row filter may share
 * its rows with other phases downstream: only this phase's rows go, one
 * table at a time (a delete guarded by the filter); the others are
 * truncated together.
 */
static GwResult
apply_truncate(Replicator *r, const Change *ch)
{
    Change mine = *ch;
    const RelationInfo **rels = gw_calloc(ch->nrels + 1, sizeof *rels);
    mine.rels = rels;
    mine.nrels = 0;
    GwResult rc = GW_OK;
    for (uint32_t i = 0; i < ch->nrels && rc == GW_OK; i++) {
        const ReplTable *rt = find_table(r, ch->rels[i]);
        if (!rt)
            continue;
        if (!rt->predicate) {
            rels[mine.nrels++] = ch->rels[i];
            continue;
        }
        Change filtered = *ch;
        filtered.rels = &ch->rels[i];
        filtered.nrels = 1;
        filtered.delete_guard = rt->predicate;
        r->group_changes++;
        r->changes++;
        rc = r->wr->apply_change(r->writer, &filtered, rt->def);
    }
    if (rc == GW_OK && mine.nrels > 0) {
        r->group_changes++;
        r->changes++;
        rc = r->wr->apply_change(r->writer, &mine, NULL);
    }
    free(rels);
    return rc;
}

static GwResult
on_commit(Replicator *r, const Change *ch)
{
    r->in_txn = false;
    r->seen_pos = ch->end_pos;
    snprintf(r->seen_text, sizeof r->seen_text, "%s", ch->position_text ? ch->position_text : "");
    if (r->skipping) {
        r->skipping = false;
        return GW_OK;
    }
    r->txns++;
    metrics_add(r->m.txns, 1);
    r->group_commit_time = r->txn_commit_time;
    if (r->group_changes == 0 && !r->group_open) {
        /* Nothing of this phase in it: nothing to write, but the source may move on (once nothing is in flight). */
        if (r->nin_flight > 0)
            return GW_OK;
        r->applied = ch->end_pos;
        return r->rd->stream_confirm(r->stream, r->applied, false);
    }
    r->group_open = true;
    r->group_pos = ch->end_pos;
    snprintf(r->group_pos_text, sizeof r->group_pos_text, "%s", ch->position_text ? ch->position_text : "");
    if (r->group_changes < r->group_limit && (r->now - r->group_started) * 1000 < r->opts->group_ms &&
        !r->stopping)
        return GW_OK;
    bool busy;
    GwResult rc = writer_busy(r, &busy);
    if (rc || (busy && r->group_changes < 2 * r->group_limit))
        return rc;
    /* More of the stream is waiting: the next group may be bigger. */
    r->group_limit = r->group_limit > r->opts->group_changes / 2 ? r->opts->group_changes : r->group_limit * 2;
    return commit_group(r);
}

/*
 * A transaction a stream of this migration applied (either direction, any
 * phase) is read back here but never applied again (DESIGN.md, "No loops").
 * Its position still moves on at its commit, as for any skipped transaction.
 * Another migration's applier is not an echo: when two targets migrate one
 * source database, one's failback writes its target's rows into the source,
 * and the other's forward stream must carry them (skipping them lost them).
 */
static GwResult
on_origin(Replicator *r, const Change *ch)
{
    if (!r->in_txn || r->skipping || !phase_names_origin_is_migrations(ch->origin, r->migration_id))
        return GW_OK;
    if (r->group_changes > 0 && r->txn_started_changes != r->group_changes) {
        log_error("the %s sent origin %s after changes of its transaction", role_name(r->reader_ep.role), ch->origin);
        return role_error(r->reader_ep.role);
    }
    log_debug("skipping a transaction written by %s", ch->origin);
    metrics_add(r->m.skipped_own, 1);
    r->skipped_own++;
    r->skipping = true;
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
        r->txn_started_changes = r->group_changes;
        if (!r->group_open && !r->skipping)
            r->group_started = r->now;
        return GW_OK;
    case CHANGE_COMMIT:
        return on_commit(r, ch);
    case CHANGE_RELATION:
        return check_relation(r, ch->rel);
    case CHANGE_ORIGIN:
        return on_origin(r, ch);
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

/* Whether the stream stops once it reaches a position: --stop-when-caught-up, or a handover. */
static bool
stops_at_goal(const Replicator *r)
{
    return r->opts->stop_when_caught_up || r->handoff;
}

static bool
caught_up(Replicator *r)
{
    if (!stops_at_goal(r) || r->in_txn || r->group_open || r->nin_flight > 0)
        return false;
    /* A handover's position is where the other side was fenced: exactly everything before it. */
    StreamPos goal = r->handoff ? r->handoff_goal : r->goal;
    return r->applied >= goal || r->rd->stream_sent_pos(r->stream) >= goal;
}

/*
 * Looks at the phase's status (every HANDOFF_POLL_MS): a cutover of the
 * phase stops the forward stream, a rollback the failback stream, at the
 * position recorded with the status.
 */
static GwResult
watch_handoff(Replicator *r)
{
    if (r->handoff || r->now - r->last_watch < HANDOFF_POLL_MS / 1000.0)
        return GW_OK;
    r->last_watch = r->now;
    const Endpoint *ep = r->opts->failback ? &r->reader_ep : &r->writer_ep;
    GwResult rc = r->watch ? GW_OK : engine_connect(ep, &r->watch);
    PhaseState ps;
    bool found = false;
    if (rc == GW_OK)
        rc = r->watch->ops->state_get_phase(r->watch, r->phase.name, &ps, &found);
    if (rc) {
        /* Not this stream's failure: it goes on, and looks again with a new connection next time. */
        log_warn("phase '%s': cannot read its status on target %s; trying again", r->phase.name, ep->redacted);
        engine_close(r->watch);
        r->watch = NULL;
        return GW_OK;
    }
    const char *handing = r->opts->failback ? PHASE_ROLLING_BACK : PHASE_CUTTING_OVER;
    if (found && !strcmp(ps.status, handing) && ps.handoff_position) {
        if (r->rd->parse_pos(ps.handoff_position, &r->handoff_goal) != 0) {
            log_error("phase '%s': invalid handover position '%s' on target %s", r->phase.name, ps.handoff_position,
                      ep->redacted);
            rc = GW_ERR_TARGET;
        } else {
            r->handoff = true;
            log_info("phase '%s' is being %s: applying up to %s, then stopping", r->phase.name,
                     r->opts->failback ? "rolled back" : "cut over", ps.handoff_position);
        }
    }
    if (found)
        phase_state_free(&ps);
    return rc;
}

/*
 * The checkpoint says how far this stream got even when the transactions it
 * went past last had nothing of the phase: at a handover's end (the handover
 * waits for it to reach the fence's position), and now and then while idle.
 */
static GwResult
checkpoint_applied(Replicator *r)
{
    /*
     * A source whose positions say more than a StreamPos (a binlog file's
     * name, a GTID) is checkpointed at the end of the last transaction read,
     * as it named it: a resume needs those.
     */
    if (r->names_positions && !r->seen_text[0])
        return GW_OK;
    GwResult rc = collect_commits(r, true);
    StreamPos at = r->seen_text[0] ? r->seen_pos : r->applied;
    if (rc || at <= r->checkpointed || at > r->applied)
        return rc;
    char pos[32];
    format_pos(r, at, pos, sizeof pos);
    rc = r->wr->apply_commit(r->writer, r->stream_name, r->phase.name, r->seen_text[0] ? r->seen_text : pos);
    if (rc)
        return rc;
    r->in_flight[r->nin_flight++] = (InFlight) {.pos = at};
    return collect_commits(r, false);
}

/* The stream paused: commit what is open, let an idle source move on, and check for the end. */
static GwResult
on_idle(Replicator *r, bool *done)
{
    GwResult rc = GW_OK;
    if (!r->in_txn) {
        bool busy;
        rc = writer_busy(r, &busy);
        if (rc == GW_OK && !busy)
            rc = commit_group(r);
    }
    /* Not waited for: the stream may go on any moment, and reading it must not wait on the writer. */
    if (rc == GW_OK)
        rc = collect_commits(r, false);
    r->group_limit = group_ramp_start(r);
    StreamPos sent = r->rd->stream_sent_pos(r->stream);
    if (rc == GW_OK && !r->in_txn && !r->group_open && r->nin_flight == 0 && sent > r->applied) {
        /* Everything before `sent` was delivered and nothing of it is pending here. */
        r->applied = sent;
        r->progressed = true;
        rc = r->rd->stream_confirm(r->stream, sent, false);
    }
    if (rc == GW_OK && !r->in_txn && !r->group_open && r->applied > r->checkpointed &&
        r->now - r->last_idle_checkpoint >= IDLE_CHECKPOINT_S) {
        r->last_idle_checkpoint = r->now;
        rc = checkpoint_applied(r);
    }
    /* --stop-when-quiet: no change of the phase for that long, and nothing open. */
    if (rc == GW_OK && r->opts->quiet_ms > 0 && !r->in_txn && !r->group_open &&
        (r->now - r->last_phase_change) * 1000 >= r->opts->quiet_ms) {
        char pos[32];
        format_pos(r, r->applied, pos, sizeof pos);
        log_info("phase '%s': no change for %d ms: quiet at %s", r->phase.name, r->opts->quiet_ms, pos);
        r->quiet = true;
    }
    metrics_update(r, true);
    *done = rc == GW_OK && (caught_up(r) || r->quiet || (r->stopping && !r->in_txn));
    if (rc == GW_OK && !*done && stops_at_goal(r) && r->now - r->last_poll >= CATCH_UP_POLL_MS / 1000.0) {
        r->last_poll = r->now;
        rc = r->rd->stream_confirm(r->stream, r->applied, true);
    }
    return rc;
}

static void
log_progress(Replicator *r, bool force)
{
    if (!r->rd)
        return;
    double now = force ? progress_now() : r->now;
    if (!force && now - r->last_log < REPLICATE_LOG_INTERVAL)
        return;
    r->last_log = now;
    char pos[32];
    format_pos(r, r->applied, pos, sizeof pos);
    log_info("%s %s: %lld transactions, %lld changes applied, %lld own transactions skipped; position %s",
             r->opts->failback ? "failback" : "replicate", r->opts->phase, r->txns, r->changes, r->skipped_own, pos);
}

/* Now and then: the runner lock is still this process's (taken again if its session was lost). */
static GwResult
keep_lock(Replicator *r)
{
    if (r->now - r->last_lock_check < RUNNER_CHECK_S)
        return GW_OK;
    r->last_lock_check = r->now;
    return runner_lock_hold(&r->lock);
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
        /*
         * An open group commits as soon as nothing more is already waiting
         * between transactions (unless the writer is busy: then it grows
         * while the writer's results are polled for), and commits in flight
         * are polled for until done: a backlog still fills groups, a
         * caught-up stream adds no wait, and the stream is read while the
         * writer works.  Inside a transaction nothing can commit: the loop
         * waits for the stream instead of spinning (thousands of empty polls
         * in a row were seen, a core kept busy while the source's walsender,
         * on the same machine, was still sending the transaction).
         */
        bool can_commit = r->group_open && !r->in_txn;
        int timeout = r->stopping         ? 1
                      : can_commit        ? (r->nin_flight >= MAX_AHEAD ? COLLECT_POLL_MS : 0)
                      : r->nin_flight > 0 ? COLLECT_POLL_MS
                      : stops_at_goal(r)  ? CATCH_UP_POLL_MS
                                          : HANDOFF_POLL_MS;
        GwResult rc = watch_handoff(r);
        if (rc == GW_OK)
            rc = keep_lock(r);
        if (rc == GW_OK)
            rc = r->rd->stream_next(r->stream, timeout, &ev, &ch);
        if (rc)
            return rc;
        /* Read once per turn: on this machine's virtual clock the reads were a fifth of godwit's CPU. */
        r->now = progress_now();
        bool done = false;
        rc = ev == STREAM_CHANGE ? on_change(r, &ch) : on_idle(r, &done);
        if (rc)
            return rc;
        if (ev == STREAM_CHANGE && r->stopping && !r->in_txn && !r->group_open)
            done = true;
        if (ev == STREAM_CHANGE && caught_up(r))
            done = true;
        log_progress(r, false);
        if (done) {
            rc = collect_commits(r, true);
            return rc == GW_OK && (r->handoff || r->quiet) ? checkpoint_applied(r) : rc;
        }
    }
}

static bool
transient(const Replicator *r, GwResult rc)
{
    if (r->fatal)
        return false;
    if (r->lock.transient)
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
            disconnect_all(r, true);
            return rc;
        }
        disconnect_all(r, false);
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
        sleep_unless_stopped(wait);
        delay = delay * 2 > 30 ? 30 : delay * 2;
    }
}

GwResult
flow_replicate(const ReplicateOptions *opts)
{
    Replicator r;
    memset(&r, 0, sizeof r);
    r.opts = opts;
    r.last_phase_change = r.now = progress_now();
    r.group_limit = group_ramp_start(&r);
    catalog_init(&r.catalog);
    selection_init(&r.filters);
    const char *command = opts->failback ? "failback" : "replicate";
    /* Roles stay those of the migration: failback reads the target and writes to the source. */
    const char *reader_url = opts->failback ? opts->target_url : opts->source_url;
    const char *writer_url = opts->failback ? opts->source_url : opts->target_url;
    /* Named by the migration once it is checked (name_stream). */
    GwResult rc = endpoint_init(&r.reader_ep, reader_url, opts->failback ? ROLE_TARGET : ROLE_SOURCE, "godwit");
    if (rc == GW_OK)
        rc = endpoint_init(&r.writer_ep, writer_url, opts->failback ? ROLE_SOURCE : ROLE_TARGET, "godwit");
    r.reader_ep.read.ddl_applied = opts->ddl_applied;
    metrics_init(&r.m);
    HttpServer *http = NULL;
    if (rc == GW_OK && opts->metrics_addr)
        rc = http_server_start(opts->metrics_addr, &http);
    if (rc == GW_OK)
        rc = run_with_retries(&r);
    runner_lock_release(&r.lock);
    http_server_stop(http);
    metrics_reset();
    if (rc == GW_OK)
        log_info("%s %s: stopped cleanly", command, opts->phase);
    if (opts->result && r.rd) {
        opts->result->last_phase_change = r.last_phase_change;
        format_pos(&r, r.applied, opts->result->applied, sizeof opts->result->applied);
    }
    endpoint_free(&r.reader_ep);
    endpoint_free(&r.writer_ep);
    free(r.stream_name);
    return rc;
}
