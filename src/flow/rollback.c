/*
 * rollback.c: `godwit rollback` (a cut-over phase's writes return to the
 * source, nothing written on the target lost) and `godwit finish` (failback
 * of a phase is no longer wanted).
 *
 * Rollback is cutover's mirror: the target is fenced for the phase, the
 * failback stream applies up to the target's position after the fence
 * (a running `failback` sees the phase rolling back and stops there by
 * itself; if none runs, rollback streams it), the source's sequences move
 * past the target's, the source's fence is lifted,
 * and the phase is rolled_back.  The target keeps its fence: its rows of the
 * phase are stale from then on.  A failed step lifts the target's fence and
 * leaves the phase cut over.  Once rolled back, no stream of the phase runs
 * again: its slots, publications and replication origins are removed from
 * both databases, so that neither keeps log for it.
 *
 * Finish never throws away a change made on the target that failback has
 * not applied to the source: it reads (without consuming) what failback's
 * slot holds after failback's checkpoint, and refuses while that is any row
 * change, unless told to discard them, and then it says how many.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/cutover.h"
#include "flow/failback.h"
#include "flow/handover.h"
#include "flow/replicate.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/progress.h"

typedef struct Rollback {
    const RollbackOptions *opts;
    Handover h;
    char *failback_app;
    char *stream;
    bool running;
    bool fenced;
    bool status_changed;
    StreamPos fence_pos;
    char fence_text[64];
} Rollback;

static GwResult
require_cut_over(Rollback *b)
{
    PhaseStatus st = b->h.recorded.state.status;
    if (st == PHASE_ROLLING_BACK) {
        log_warn("phase '%s': an earlier rollback stopped half-way; lifting the target's fence and starting again",
                 b->opts->phase);
        return handover_unfence(&b->h, b->h.target, PHASE_FAILBACK);
    }
    if (phase_status_can_move(st, PHASE_ROLLING_BACK))
        return GW_OK;
    log_error("phase '%s' is %s on target %s: rollback needs a cut-over phase", b->opts->phase, phase_status_name(st),
              b->h.target_ep.redacted);
    return GW_ERR_USAGE;
}

static GwResult
fence_target(Rollback *b)
{
    const EngineOps *ops = b->h.target->ops;
    if (!ops->apply) {
        log_error("target %s (%s): fencing is not supported, so rollback cannot stop the phase's writes there",
                  b->h.target_ep.redacted, ops->name);
        return GW_ERR_USAGE;
    }
    GwResult rc = ops->apply->fence_install(b->h.target, &b->h.mp, b->h.fence, b->h.nfence);
    b->fenced = rc == GW_OK;
    if (rc == GW_OK)
        rc = handover_position(b->h.target, &b->fence_pos, b->fence_text, sizeof b->fence_text);
    if (rc == GW_OK)
        rc = handover_set_status(&b->h, PHASE_ROLLING_BACK, b->fence_text);
    b->status_changed = true;
    return rc;
}

/* Everything written on the target before its fence reaches the source. */
static GwResult
drain_failback(Rollback *b)
{
    HandoverWait w = WAIT_NOT_RUNNING;
    GwResult rc = GW_OK;
    if (b->running) {
        rc = handover_wait(b->h.source, b->h.target->ops, b->h.target, b->stream, b->failback_app, b->fence_pos, true,
                           b->opts->drain_timeout, &w);
        if (rc == GW_OK && w == WAIT_TIMED_OUT) {
            log_error("phase '%s': failback did not reach the target's fence position %s within %d s", b->opts->phase,
                      b->fence_text, b->opts->drain_timeout);
            return GW_ERR_USAGE;
        }
    }
    if (rc || w == WAIT_REACHED)
        return rc;
    ReplicateOptions back = {.source_url = b->opts->source_url, .target_url = b->opts->target_url,
                             .phase = b->opts->phase, .stop_when_caught_up = true,
                             .retry_seconds = HANDOVER_RETRY_SECONDS,
                             .group_changes = REPLICATE_DEFAULT_GROUP_CHANGES,
                             .group_ms = REPLICATE_DEFAULT_GROUP_MS, .migration_id = b->h.mp.id};
    return flow_failback(&back);
}

static void
undo(Rollback *b, const char *step)
{
    GwResult rc = GW_OK;
    if (b->fenced)
        rc = b->h.target->ops->apply->fence_remove(b->h.target, &b->h.mp);
    if (rc == GW_OK && b->status_changed)
        rc = handover_set_status(&b->h, PHASE_FAILBACK, NULL);
    if (rc == GW_OK)
        rc = handover_event(&b->h, "rollback_failed", json_pack("{s:s}", "step", step));
    log_error("rollback of phase '%s' failed while %s: %s", b->opts->phase, step,
              rc == GW_OK ? "the phase stays cut over (the target is the system of record, unfenced)"
                          : "undoing it failed too: run `godwit rollback` again");
}

GwResult
flow_rollback(const RollbackOptions *opts)
{
    Rollback b;
    memset(&b, 0, sizeof b);
    b.opts = opts;
    GwResult rc = handover_open(&b.h, opts->source_url, opts->target_url, opts->phase, "rollback");
    b.failback_app = phase_names_app(&b.h.mp, "failback");
    b.stream = phase_names_stream(&b.h.mp, true);
    if (rc == GW_OK)
        rc = require_cut_over(&b);
    if (rc == GW_OK)
        rc = handover_running(b.h.target, b.failback_app, &b.running);
    const char *step = "fencing the target";
    double fenced_at = progress_now();
    if (rc == GW_OK)
        rc = fence_target(&b);
    if (rc == GW_OK) {
        step = "applying the target's changes before its fence";
        rc = drain_failback(&b);
    }
    if (rc == GW_OK) {
        step = "moving the source's sequences past the target's";
        rc = handover_advance_sequences(&b.h, b.h.target, b.h.source);
    }
    if (rc == GW_OK) {
        step = "making the source's triggers fire again";
        rc = handover_unguard_triggers(&b.h);
    }
    if (rc == GW_OK) {
        step = "lifting the source's fence";
        rc = b.h.source->ops->apply ? b.h.source->ops->apply->fence_remove(b.h.source, &b.h.mp) : GW_OK;
    }
    if (rc == GW_OK) {
        step = "recording the rollback";
        rc = handover_set_status(&b.h, PHASE_ROLLED_BACK, NULL);
    }
    double downtime = progress_now() - fenced_at;
    json_t *outcome = json_pack("{s:s, s:f}", "target_fence_position", b.fence_text, "write_downtime_seconds", downtime);
    if (rc == GW_OK)
        rc = handover_event(&b.h, "rollback", json_incref(outcome));
    /* Rolled back from here on: a failure to clean up must not undo it. */
    GwResult cleaned = rc == GW_OK ? handover_remove_streams(&b.h) : GW_OK;
    if (rc == GW_OK && opts->json_output) {
        json_object_set_new(outcome, "phase", json_string(opts->phase));
        char *text = json_dumps(outcome, JSON_COMPACT);
        printf("%s\n", text);
        free(text);
    } else if (rc == GW_OK) {
        printf("phase %s rolled back: write downtime %.3f s (target fenced to source unfenced); every write made on\n"
               "the target up to %s is on the source. next: point the application's writes for phase %s at the\n"
               "source; the target stays fenced for the phase (`godwit finish --phase %s` removes the fences)\n",
               opts->phase, downtime, b.fence_text, opts->phase, opts->phase);
    } else if (b.h.target && (b.fenced || b.status_changed)) {
        undo(&b, step);
    }
    if (cleaned) {
        log_error("phase '%s' is rolled back, but removing its streams failed (above): run `godwit finish --phase %s`",
                  opts->phase, opts->phase);
        rc = cleaned;
    }
    json_decref(outcome);
    handover_close(&b.h);
    free(b.failback_app);
    free(b.stream);
    return rc;
}

/* ------------------------------------------------------------------------------------------- finish */

/* Where failback stands: its checkpoint on the source, else where it was prepared (a position of the target). */
static GwResult
failback_applied(Handover *h, StreamPos *at)
{
    char *stream = phase_names_stream(&h->mp, true), *pos = NULL;
    bool found = false;
    GwResult rc = h->source->ops->apply->checkpoint_get(h->source, stream, &pos, &found);
    const char *text = found ? pos : h->recorded.state.failback_position;
    if (rc == GW_OK && (!text || h->target->ops->stream->parse_pos(text, at) != 0)) {
        log_error("phase '%s': invalid failback position '%s' (%s)", h->phase, text ? text : "",
                  found ? "its checkpoint on the source" : "recorded on the target");
        rc = found ? GW_ERR_SOURCE : GW_ERR_TARGET;
    }
    free(pos);
    free(stream);
    return rc;
}

/*
 * The changes written on the target that failback's slot still holds and
 * the source does not have: every row change of a transaction committed at
 * or after failback's checkpoint, not written by a godwit stream.  Counted
 * by table, not by the phase's row filter: a write to another phase's rows
 * of a shared table counts too (a refusal too many, never a change lost).
 */
static GwResult
unapplied_changes(Handover *h, PendingChanges *out)
{
    memset(out, 0, sizeof *out);
    const EngineOps *ops = h->target->ops;
    if (!h->recorded.state.failback_slot || !(ops->stream && ops->stream->stream_pending))
        return GW_OK;
    StreamPos at = 0;
    GwResult rc = failback_applied(h, &at);
    PhaseState ps = {.slot = h->recorded.state.failback_slot, .publications = h->recorded.state.failback_publications};
    return rc ? rc : ops->stream->stream_pending(h->target, &ps, at, out);
}

static GwResult
refuse_or_discard(Handover *h, const RollbackOptions *opts, const PendingChanges *p)
{
    if (p->changes == 0)
        return GW_OK;
    char b[32];
    progress_format_bytes((double) p->bytes, b, sizeof b);
    if (!opts->discard_unapplied) {
        log_error("phase '%s': failback's slot %s on target %s holds %lld change(s) in %lld transaction(s) (%s)"
                  " that were never applied to the source; finish refused, nothing changed: run `godwit failback"
                  " --phase %s --stop-when-caught-up` first, or finish with --discard-unapplied to lose them",
                  h->phase, h->recorded.state.failback_slot, h->target_ep.redacted, (long long) p->changes,
                  (long long) p->transactions, b, h->phase);
        return GW_ERR_USAGE;
    }
    log_warn("phase '%s': discarding %lld change(s) in %lld transaction(s) (%s) written on the target and never"
             " applied to the source (--discard-unapplied)",
             h->phase, (long long) p->changes, (long long) p->transactions, b);
    return GW_OK;
}

static GwResult
check_finishable(Handover *h, const RollbackOptions *opts)
{
    PhaseStatus st = h->recorded.state.status;
    if (!phase_status_can_move(st, PHASE_FINISHED)) {
        log_error("phase '%s' is %s on target %s: finish ends the failback of a cut-over (or rolled-back) phase",
                  opts->phase, phase_status_name(st), h->target_ep.redacted);
        return GW_ERR_USAGE;
    }
    char *app = phase_names_app(&h->mp, "failback");
    bool running = false;
    GwResult rc = handover_running(h->target, app, &running);
    free(app);
    if (rc == GW_OK && running) {
        log_error("`godwit failback` of phase '%s' is still running: stop it (SIGTERM) first", opts->phase);
        rc = GW_ERR_USAGE;
    }
    return rc;
}

static void
report_finish(const Handover *h, const RollbackOptions *opts, const PendingChanges *p)
{
    if (opts->json_output) {
        json_t *o = json_pack("{s:s, s:I, s:I}", "phase", opts->phase, "discarded_changes", (json_int_t) p->changes,
                              "discarded_bytes", (json_int_t) p->bytes);
        char *text = json_dumps(o, JSON_COMPACT);
        printf("%s\n", text);
        free(text);
        json_decref(o);
        return;
    }
    printf("phase %s finished: its slots, publications, replication origins and fences are gone from both"
           " databases%s\n",
           opts->phase,
           h->recorded.state.failback_slot ? "" : " (a changefeed, if any, is cancelled on CockroachDB by hand)");
    if (p->changes > 0)
        printf("  discarded: %lld change(s) in %lld transaction(s), %lld bytes, written on the target and never"
               " applied to the source\n",
               (long long) p->changes, (long long) p->transactions, (long long) p->bytes);
}

GwResult
flow_finish(const RollbackOptions *opts)
{
    Handover h;
    PendingChanges pending;
    memset(&pending, 0, sizeof pending);
    GwResult rc = handover_open(&h, opts->source_url, opts->target_url, opts->phase, "finish");
    const char *before = rc == GW_OK ? phase_status_name(h.recorded.state.status) : "";
    if (rc == GW_OK)
        rc = check_finishable(&h, opts);
    if (rc == GW_OK)
        rc = unapplied_changes(&h, &pending);
    if (rc == GW_OK)
        rc = refuse_or_discard(&h, opts, &pending);
    if (rc == GW_OK)
        rc = handover_remove_streams(&h);
    if (rc == GW_OK)
        rc = handover_unguard_triggers(&h);
    if (rc == GW_OK && h.source->ops->apply)
        rc = h.source->ops->apply->fence_remove(h.source, &h.mp);
    if (rc == GW_OK && h.target->ops->apply)
        rc = h.target->ops->apply->fence_remove(h.target, &h.mp);
    if (rc == GW_OK)
        rc = handover_set_status(&h, PHASE_FINISHED, NULL);
    if (rc == GW_OK)
        rc = handover_event(&h, "finish", json_pack("{s:s, s:I, s:I}", "after", before, "discarded_changes",
                                                    (json_int_t) pending.changes, "discarded_bytes",
                                                    (json_int_t) pending.bytes));
    if (rc == GW_OK)
        report_finish(&h, opts, &pending);
    handover_close(&h);
    return rc;
}
