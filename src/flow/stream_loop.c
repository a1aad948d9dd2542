/*
 * stream_loop.c: the loop of one stream (stream_loop.h; DESIGN.md,
 * "Consistency contract").
 *
 * Transactions are grouped into one writer transaction until the group is
 * big or old enough, or the stream pauses; each group commits with the
 * checkpoint of its last transaction, and only then is the reader told it
 * may discard that log.  A transaction at or before the checkpoint is
 * skipped, which is what makes a restart after kill -9 apply nothing twice;
 * so is a transaction that a godwit stream wrote (its origin says so),
 * which is what keeps the two directions from echoing each other.
 */
#include "flow/stream_loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/phase_names.h"
#include "flow/change_filter.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/progress.h"
#include "util/signals.h"

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
 * Longest wait for a feed's stream while nothing is open: a feed is not
 * handed over, and it wakes the loop itself when news arrives (a resolved
 * timestamp), so shorter waits would only query staging more often.
 */
#define FEED_POLL_MS 500
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

/* Seconds between asking the reader's database where its log ends (see observe_lag). */
#define LOG_END_ASK_S 2.0

/*
 * The lag, both figures from one observation, so that the log line, the
 * metrics and what status reads never disagree.  Caught up (the stream
 * idle with nothing open or in flight, or nothing past what the writer
 * holds) is 0 bytes and 0 seconds.  Behind:
 * the bytes from what the writer holds to the end of the reader's log
 * (asked of its database every LOG_END_ASK_S: what the stream has sent is
 * only what it has read so far), and the age of the last source commit the
 * writer holds.  A feed (changefeed staging) has no log of its own to ask:
 * what it sent.
 */
static void
observe_lag(Replicator *r)
{
    StreamPos sent = r->stream ? r->so.sent_pos(r->stream) : 0;
    if (!r->feed && r->reader && r->rd->stream && r->now - r->last_log_end >= LOG_END_ASK_S) {
        r->last_log_end = r->now;
        StreamPos end;
        if (r->rd->stream->current_pos(r->reader, &end) == GW_OK)
            r->log_end = end;
    }
    StreamPos head = sent > r->applied ? sent : r->applied;
    if (r->log_end > head)
        head = r->log_end;
    if (r->caught_up || head <= r->applied) {
        r->lag_bytes = 0;
        r->lag_seconds = 0;
    } else {
        r->lag_bytes = (int64_t) (head - r->applied);
        int64_t since = r->applied_commit_time ? r->applied_commit_time : r->txn_commit_time;
        double age = since ? (double) (change_clock_now() - since) / 1e6 : 0;
        r->lag_seconds = age > 0 ? age : 0;
    }
    metrics_set(r->m.source_pos, (double) head);
    metrics_set(r->m.applied_pos, (double) r->applied);
    metrics_set(r->m.lag_bytes, (double) r->lag_bytes);
    metrics_set(r->m.lag_seconds, r->lag_seconds);
    if (r->stream)
        metrics_set(r->m.bytes, (double) r->so.bytes(r->stream));
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

void
stream_loop_table_slots_init(Replicator *r)
{
    size_t n = 8;
    while (n < 2 * r->ntables)
        n *= 2;
    r->table_slots = gw_calloc(n, sizeof *r->table_slots);
    r->table_slot_mask = n - 1;
}

void
stream_loop_format_pos(const Replicator *r, StreamPos pos, char *buf, size_t len)
{
    r->so.format_pos(pos, buf, len);
}

int
stream_loop_group_ramp_start(const Replicator *r)
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
    GwResult rc = r->wr->apply->apply_collect ? r->wr->apply->apply_collect(r->writer, wait, &done) : GW_OK;
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
        r->applied_commit_time = last_group->commit_time;
        r->progressed = true;
        metrics_set(r->m.last_apply, (double) time(NULL));
        observe_lag(r);
    }
    memmove(r->in_flight, r->in_flight + n, (size_t) (r->nin_flight - n) * sizeof *r->in_flight);
    r->nin_flight -= n;
    return last_group ? r->so.confirm(r->stream, r->applied, false) : GW_OK;
}

/*
 * Commits the open group with its checkpoint.  While the stream goes on,
 * the commit is only sent: the next group follows it at once, and
 * collect_commits() hears of it later.
 */
static GwResult
commit_group(Replicator *r, bool wait)
{
    if (!r->group_open)
        return GW_OK;
    char pos[32];
    stream_loop_format_pos(r, r->group_pos, pos, sizeof pos);
    const char *text = r->group_pos_text[0] ? r->group_pos_text : pos;
    bool send_only = r->wr->apply->apply_commit_send && !wait && !r->stopping && r->nin_flight < MAX_IN_FLIGHT - 1;
    GwResult rc = r->so.seal ? r->so.seal(r->stream, r->writer, r->group_pos) : GW_OK;
    if (rc == GW_OK)
        rc = send_only ? r->wr->apply->apply_commit_send(r->writer, r->stream_name, r->phase.state.name, text)
                            : r->wr->apply->apply_commit(r->writer, r->stream_name, r->phase.state.name, text);
    if (rc)
        return rc;
    r->in_flight[r->nin_flight++] = (InFlight) {.pos = r->group_pos, .group = true, .commit_time = r->group_commit_time};
    r->group_open = false;
    r->group_changes = 0;
    return collect_commits(r, wait);
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
        stream_loop_format_pos(r, r->txn_pos, pos, sizeof pos);
        stream_loop_format_pos(r, r->applied, applied, sizeof applied);
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
                  ch->rel->schema, ch->rel->name, r->phase.state.name);
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
    return r->wr->apply->apply_change(r->writer, &rewritten, rt->def);
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
    const TableDef **defs = gw_calloc(ch->nrels + 1, sizeof *defs);
    mine.rels = rels;
    mine.rel_defs = defs;
    mine.nrels = 0;
    GwResult rc = GW_OK;
    for (uint32_t i = 0; i < ch->nrels && rc == GW_OK; i++) {
        const ReplTable *rt = find_table(r, ch->rels[i]);
        if (!rt)
            continue;
        if (!rt->predicate) {
            defs[mine.nrels] = rt->def;
            rels[mine.nrels++] = ch->rels[i];
            continue;
        }
        Change filtered = *ch;
        filtered.rels = &ch->rels[i];
        filtered.rel_defs = &rt->def;
        filtered.nrels = 1;
        filtered.delete_guard = rt->predicate;
        r->group_changes++;
        r->changes++;
        rc = r->wr->apply->apply_change(r->writer, &filtered, rt->def);
    }
    if (rc == GW_OK && mine.nrels > 0) {
        r->group_changes++;
        r->changes++;
        rc = r->wr->apply->apply_change(r->writer, &mine, NULL);
    }
    free(rels);
    free(defs);
    return rc;
}

/* Whether the stream stops once it reaches a position: --stop-when-caught-up, or a handover. */
static bool
stops_at_goal(const Replicator *r)
{
    return r->opts->stop_when_caught_up || r->handoff;
}

/*
 * Whether a transaction ending at end is the last the stream applies (a
 * handover's position, or the end of --stop-when-caught-up): it commits at
 * once, and the loop ends before it reads what follows.
 */
static bool
reached_goal(const Replicator *r, StreamPos end)
{
    return !r->feed && stops_at_goal(r) && end >= (r->handoff ? r->handoff_goal : r->goal);
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
    bool at_goal = reached_goal(r, ch->end_pos);
    if (r->group_changes == 0 && !r->group_open) {
        /* Nothing of this phase in it: nothing to write, but the source may move on (once nothing is in flight). */
        GwResult rc = at_goal ? collect_commits(r, true) : GW_OK;
        if (rc || r->nin_flight > 0)
            return rc;
        r->applied = ch->end_pos;
        return r->so.confirm(r->stream, r->applied, false);
    }
    r->group_open = true;
    r->group_pos = ch->end_pos;
    snprintf(r->group_pos_text, sizeof r->group_pos_text, "%s", ch->position_text ? ch->position_text : "");
    if (at_goal)
        return commit_group(r, true);
    if (r->group_changes < r->group_limit && (r->now - r->group_started) * 1000 < r->opts->group_ms &&
        !r->stopping)
        return GW_OK;
    bool busy;
    GwResult rc = writer_busy(r, &busy);
    if (rc || (busy && r->group_changes < 2 * r->group_limit))
        return rc;
    /* More of the stream is waiting: the next group may be bigger. */
    r->group_limit = r->group_limit > r->opts->group_changes / 2 ? r->opts->group_changes : r->group_limit * 2;
    return commit_group(r, false);
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
        r->caught_up = false;
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

static bool
caught_up(Replicator *r)
{
    if (!stops_at_goal(r) || r->in_txn || r->group_open || r->nin_flight > 0)
        return false;
    if (r->feed)
        return r->feed->caught_up(r->feed->ctx);
    /* A handover's position is where the other side was fenced: exactly everything before it. */
    StreamPos goal = r->handoff ? r->handoff_goal : r->goal;
    return r->applied >= goal || r->so.sent_pos(r->stream) >= goal;
}

/*
 * Looks at the phase's status (every HANDOFF_POLL_MS): a cutover of the
 * phase stops the forward stream, a rollback the failback stream, at the
 * position recorded with the status.
 */
static GwResult
watch_handoff(Replicator *r)
{
    /* A feed is not handed over: it runs until stopped. */
    if (r->feed || r->handoff || r->now - r->last_watch < HANDOFF_POLL_MS / 1000.0)
        return GW_OK;
    r->last_watch = r->now;
    const Endpoint *ep = r->opts->failback ? &r->reader_ep : &r->writer_ep;
    GwResult rc = r->watch ? GW_OK : engine_connect(ep, &r->watch);
    PhaseState ps;
    bool found = false;
    if (rc == GW_OK)
        rc = r->watch->ops->state->state_get_phase(r->watch, r->phase.state.name, &ps, &found);
    if (rc) {
        /* Not this stream's failure: it goes on, and looks again with a new connection next time. */
        log_warn("phase '%s': cannot read its status on target %s; trying again", r->phase.state.name, ep->redacted);
        engine_close(r->watch);
        r->watch = NULL;
        return GW_OK;
    }
    PhaseStatus handing = r->opts->failback ? PHASE_ROLLING_BACK : PHASE_CUTTING_OVER;
    if (found && ps.status == handing && ps.handoff_position) {
        if (r->so.parse_pos(ps.handoff_position, &r->handoff_goal) != 0) {
            log_error("phase '%s': invalid handover position '%s' on target %s", r->phase.state.name, ps.handoff_position,
                      ep->redacted);
            rc = GW_ERR_TARGET;
        } else {
            r->handoff = true;
            log_info("phase '%s' is being %s: applying up to %s, then stopping", r->phase.state.name,
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
    stream_loop_format_pos(r, at, pos, sizeof pos);
    if (r->so.seal)
        rc = r->so.seal(r->stream, r->writer, at);
    if (rc == GW_OK)
        rc = r->wr->apply->apply_commit(r->writer, r->stream_name, r->phase.state.name, r->seen_text[0] ? r->seen_text : pos);
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
            rc = commit_group(r, false);
    }
    /* Not waited for: the stream may go on any moment, and reading it must not wait on the writer. */
    if (rc == GW_OK)
        rc = collect_commits(r, false);
    r->group_limit = stream_loop_group_ramp_start(r);
    StreamPos sent = r->so.sent_pos(r->stream);
    if (rc == GW_OK && !r->in_txn && !r->group_open && r->nin_flight == 0 && sent > r->applied) {
        /* Everything before `sent` was delivered and nothing of it is pending here. */
        r->applied = sent;
        r->progressed = true;
        rc = r->so.confirm(r->stream, sent, false);
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
        stream_loop_format_pos(r, r->applied, pos, sizeof pos);
        log_info("phase '%s': no change for %d ms: quiet at %s", r->phase.state.name, r->opts->quiet_ms, pos);
        r->quiet = true;
    }
    r->caught_up = rc == GW_OK && !r->in_txn && !r->group_open && r->nin_flight == 0;
    observe_lag(r);
    *done = rc == GW_OK && (caught_up(r) || r->quiet || (r->stopping && !r->in_txn));
    if (rc == GW_OK && !*done && stops_at_goal(r) && r->now - r->last_poll >= CATCH_UP_POLL_MS / 1000.0) {
        r->last_poll = r->now;
        rc = r->so.confirm(r->stream, r->applied, true);
    }
    return rc;
}

/*
 * Keeps the lag where status reads it (the migration's target), on the
 * session that watches the phase.  A failure is not the stream's: it goes
 * on, and tries again with the next progress line.
 */
static void
store_lag(Replicator *r)
{
    const Endpoint *ep = r->opts->failback ? &r->reader_ep : &r->writer_ep;
    /* Only a stream that runs has a lag: not one refused before its phase was loaded. */
    if (!r->stream_name || !r->phase.state.name || !ep->url || (!r->watch && engine_connect(ep, &r->watch) != GW_OK))
        return;
    /* State a fetch of an earlier godwit version made lacks the lag's table: made once (state_init is idempotent). */
    if (!r->lag_table_ready && r->watch->ops->state->state_init(r->watch) == GW_OK)
        r->lag_table_ready = true;
    if (r->watch->ops->state->state_put_lag(r->watch, r->phase.state.name, r->stream_name, r->lag_seconds,
                                            r->lag_bytes) != GW_OK) {
        engine_close(r->watch);
        r->watch = NULL;
    }
}

void
stream_loop_log_progress(Replicator *r, bool force)
{
    if (!r->so.format_pos)
        return;
    double now = force ? progress_now() : r->now;
    if (!force && now - r->last_log < REPLICATE_LOG_INTERVAL)
        return;
    double rate = r->last_log > 0 && now > r->last_log ? (double) (r->changes - r->logged_changes) / (now - r->last_log)
                                                        : 0;
    r->last_log = now;
    r->logged_changes = r->changes;
    char pos[32], bytes[16];
    stream_loop_format_pos(r, r->applied, pos, sizeof pos);
    log_info("%s %s: %lld transactions, %lld changes applied, %lld own transactions skipped; %.0f changes/s;"
             " lag %.1f s, %s; position %s",
             r->opts->failback ? "failback" : "replicate", r->opts->phase, r->txns, r->changes, r->skipped_own, rate,
             r->lag_seconds, progress_format_bytes((double) r->lag_bytes, bytes, sizeof bytes), pos);
    store_lag(r);
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

GwResult
stream_loop_run(Replicator *r)
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
         * waits for the stream instead of spinning on empty polls, which
         * would keep a core busy while the source is still sending the
         * transaction.
         */
        bool can_commit = r->group_open && !r->in_txn;
        int timeout = r->stopping         ? 1
                      : can_commit        ? (r->nin_flight >= MAX_AHEAD ? COLLECT_POLL_MS : 0)
                      : r->nin_flight > 0 ? COLLECT_POLL_MS
                      : r->feed           ? FEED_POLL_MS
                      : stops_at_goal(r)  ? CATCH_UP_POLL_MS
                                          : HANDOFF_POLL_MS;
        GwResult rc = watch_handoff(r);
        if (rc == GW_OK)
            rc = keep_lock(r);
        if (rc == GW_OK)
            rc = r->so.next(r->stream, timeout, &ev, &ch);
        if (rc)
            return rc;
        /* Read once per turn: reading the clock is not free on every machine, and each change would ask. */
        r->now = progress_now();
        bool done = false;
        rc = ev == STREAM_CHANGE ? on_change(r, &ch) : on_idle(r, &done);
        if (rc)
            return rc;
        if (ev == STREAM_CHANGE && r->stopping && !r->in_txn && !r->group_open)
            done = true;
        if (ev == STREAM_CHANGE && caught_up(r))
            done = true;
        stream_loop_log_progress(r, false);
        if (done) {
            rc = collect_commits(r, true);
            return rc == GW_OK && (r->handoff || r->quiet) ? checkpoint_applied(r) : rc;
        }
    }
}
