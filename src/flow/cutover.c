/*
 * cutover.c: `godwit cutover`: a phase's writes move from the source to the
 * target, with the write downtime measured (from the fence to failback
 * prepared) and kept short.
 *
 *   1. Catch up, unfenced: a running `replicate` of the phase must apply
 *      everything the source had committed when cutover started (or, if
 *      none runs, cutover streams it itself).
 *   2. Fence: triggers on the phase's source tables refuse its writes from
 *      anyone but godwit (--fence), or, without a fence, the operator stops
 *      the application and cutover waits for the phase to go quiet.  The
 *      source's position after the fence is the handover position.
 *   3. Drain: the phase's status says cutting_over with that position; the
 *      running replicate sees it, applies up to it, checkpoints and exits.
 *      If none runs (or it died), cutover streams up to it itself.
 *   4. Verify the phase (--verify full|sample|none), its writes still fenced,
 *      and move the target's sequences of its tables past the source's.
 *   5. Prepare failback from the target's position now: from this moment
 *      every write on the target is kept; the status becomes failback, so
 *      replicate refuses the phase from now on.
 * A step that fails leaves the source the system of record: the fence is
 * lifted and the status is back to fetched.  The forward stream's slot is
 * dropped at the end: the source keeps no log for it any more.
 */
#include "flow/cutover.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/failback.h"
#include "flow/failback_changefeed.h"
#include "flow/handover.h"
#include "flow/replicate.h"
#include "flow/verify.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/progress.h"
#include "util/strbuf.h"

typedef struct Cutover {
    const CutoverOptions *opts;
    Handover h;
    char *replicate_app;        /* sessions of the phase's forward replicate */
    char *stream;               /* its checkpoint's name */
    bool running;               /* a forward replicate of the phase runs */
    bool fenced;
    bool status_changed;
    double fence_at;            /* progress_now() when writes stopped */
    StreamPos fence_pos;
    char fence_text[64];
    char failback_text[128];
    double verify_seconds;
    bool webhook;
} Cutover;

static ReplicateOptions
forward_options(const Cutover *c, int quiet_ms, ReplicateResult *result)
{
    const CutoverOptions *o = c->opts;
    return (ReplicateOptions) {.source_url = o->source_url, .target_url = o->target_url, .phase = o->phase,
                               .stop_when_caught_up = quiet_ms == 0, .quiet_ms = quiet_ms,
                               .retry_seconds = HANDOVER_RETRY_SECONDS,
                               .group_changes = REPLICATE_DEFAULT_GROUP_CHANGES,
                               .group_ms = REPLICATE_DEFAULT_GROUP_MS, .result = result,
                               .migration_id = c->h.mp.id};
}

/* A cutover killed after fencing left the phase cutting_over: undone, then started again. */
static GwResult
check_status(Cutover *c)
{
    PhaseStatus st = c->h.recorded.state.status;
    if (st == PHASE_CUTTING_OVER) {
        log_warn("phase '%s': an earlier cutover stopped half-way; lifting its fence and starting again", c->opts->phase);
        return handover_unfence(&c->h, c->h.source, PHASE_FETCHED);
    }
    if (phase_status_can_move(st, PHASE_CUTTING_OVER))
        return GW_OK;
    if (st == PHASE_FAILBACK)
        log_error("phase '%s' is already cut over (its writes go to the target; `godwit failback` carries them back)",
                  c->opts->phase);
    else
        log_error("phase '%s' is %s on target %s: cutover needs a fetched phase", c->opts->phase,
                  phase_status_name(st), c->h.target_ep.redacted);
    return GW_ERR_USAGE;
}

/*
 * What the source's database runs for the phase's tables that fetch could
 * not make on the target (a MySQL source's triggers, views, routines): said
 * before the writes move, since after cutover none of it runs for them.
 */
static void
warn_source_objects(Cutover *c)
{
    const SourceOps *so = c->h.source->ops->source;
    const TargetOps *to = c->h.target->ops->target;
    if (!so || !so->objects_left_out || (so->schema_script && to && to->make_objects))
        return;
    SchemaObjects l;
    memset(&l, 0, sizeof l);
    if (so->objects_left_out(c->h.source, &c->h.tables, &l) == GW_OK && l.n > 0) {
        StrBuf sb;
        strbuf_init(&sb);
        bool triggers = false;
        for (size_t i = 0; i < l.n; i++) {
            strbuf_appendf(&sb, "%s%s %s", i ? ", " : "", l.items[i].kind, l.items[i].name);
            triggers = triggers || !strcmp(l.items[i].kind, "trigger");
        }
        log_warn("phase '%s': the source has %zu object(s) the target does not (%s): after cutover they no longer"
                 " run for the application's writes; make them on the target (the fetch report listed them)%s",
                 c->opts->phase, l.n, sb.data,
                 triggers ? "; failback does not fire the source's triggers for the changes it brings back" : "");
        strbuf_free(&sb);
    }
    schema_objects_free(&l);
}

/*
 * Whether failback could write back into the source, asked as preflight
 * does (ApplyOps.check_failback_writes, on the source's own description of
 * the phase's tables): said before the writes move, as warnings, since a
 * migration that will not fail back needs none of it; failback refuses at
 * its start until it is granted.
 */
static void
warn_failback_rights(Cutover *c)
{
    const ApplyOps *apply = c->h.source->ops->apply;
    if (!apply || !apply->check_failback_writes)
        return;
    Catalog cat;
    catalog_init(&cat);
    GwResult rc = phase_describe_tables(&c->h.recorded, c->h.source, &cat);
    if (rc == GW_OK && apply->check_failback_writes(c->h.source, &cat, LOG_WARN) == GW_ERR_USAGE)
        log_warn("phase '%s': failback into the source would be refused as things are (above): grant that before"
                 " the way back is needed", c->opts->phase);
    catalog_free(&cat);
}

/* Step 1: everything the source had committed when cutover started is on the target. */
static GwResult
catch_up(Cutover *c)
{
    StreamPos now;
    char text[64];
    GwResult rc = handover_running(c->h.target, c->replicate_app, &c->running);
    if (rc == GW_OK)
        rc = handover_position(c->h.source, &now, text, sizeof text);
    if (rc)
        return rc;
    HandoverWait w = WAIT_NOT_RUNNING;
    if (c->running) {
        log_info("phase '%s': forward replication is running; waiting for it to reach %s", c->opts->phase, text);
        rc = handover_wait(c->h.target, c->h.source->ops, c->h.target, c->stream, c->replicate_app, now, false,
                           c->opts->catch_up_timeout, &w);
        if (rc == GW_OK && w == WAIT_TIMED_OUT) {
            log_error("phase '%s': forward replication did not catch up with %s within %d s: cut over once it has"
                      " caught up (see godwit status)", c->opts->phase, text, c->opts->catch_up_timeout);
            return GW_ERR_USAGE;
        }
    }
    if (rc || w == WAIT_REACHED)
        return rc;
    c->running = false;
    log_info("phase '%s': no forward replication running: catching up before the fence", c->opts->phase);
    ReplicateOptions fwd = forward_options(c, 0, NULL);
    return flow_replicate(&fwd);
}

/* Step 2 with --fence: the fence, and the source's position right after it. */
static GwResult
fence(Cutover *c)
{
    const EngineOps *ops = c->h.source->ops;
    if (!ops->apply) {
        log_error("source %s (%s): fencing is not supported; cut over without --fence", c->h.source_ep.redacted,
                  ops->name);
        return GW_ERR_USAGE;
    }
    c->fence_at = progress_now();
    GwResult rc = ops->apply->fence_install(c->h.source, &c->h.mp, c->h.fence, c->h.nfence);
    c->fenced = rc == GW_OK;
    if (rc == GW_OK)
        rc = handover_position(c->h.source, &c->fence_pos, c->fence_text, sizeof c->fence_text);
    if (rc == GW_OK)
        rc = handover_set_status(&c->h, PHASE_CUTTING_OVER, c->fence_text);
    c->status_changed = true;
    return rc;
}

/*
 * Step 2 without a fence: the operator stops the application's writes to
 * the phase; the phase is quiet once no change of it came for
 * --quiet-seconds.  A running replicate is stopped first (at the source's
 * position now): cutover reads the stream itself to see the quiet.
 */
static GwResult
wait_quiet(Cutover *c)
{
    GwResult rc = GW_OK;
    if (c->running) {
        StreamPos now;
        char text[64];
        HandoverWait w = WAIT_REACHED;
        rc = handover_position(c->h.source, &now, text, sizeof text);
        if (rc == GW_OK)
            rc = handover_set_status(&c->h, PHASE_CUTTING_OVER, text);
        c->status_changed = true;
        if (rc == GW_OK)
            rc = handover_wait(c->h.target, c->h.source->ops, c->h.target, c->stream, c->replicate_app, now, true,
                               c->opts->drain_timeout, &w);
        if (rc == GW_OK && w == WAIT_TIMED_OUT) {
            log_error("phase '%s': forward replication did not stop within %d s", c->opts->phase,
                      c->opts->drain_timeout);
            rc = GW_ERR_USAGE;
        }
        c->running = false;
    }
    if (rc == GW_OK)
        rc = handover_set_status(&c->h, PHASE_FETCHED, NULL);
    if (rc)
        return rc;
    log_info("phase '%s': waiting for its writes to stop (no change for %d s); stop the application's writes to it"
             " on the source now", c->opts->phase, c->opts->quiet_seconds);
    ReplicateResult result;
    memset(&result, 0, sizeof result);
    ReplicateOptions fwd = forward_options(c, c->opts->quiet_seconds * 1000, &result);
    rc = flow_replicate(&fwd);
    if (rc)
        return rc;
    c->fence_at = result.last_phase_change;
    snprintf(c->fence_text, sizeof c->fence_text, "%s", result.applied);
    if (c->h.source->ops->stream->parse_pos(c->fence_text, &c->fence_pos) != 0) {
        log_error("phase '%s': invalid position '%s' at the quiet point", c->opts->phase, c->fence_text);
        return GW_ERR_INTERNAL;
    }
    c->status_changed = true;
    return handover_set_status(&c->h, PHASE_CUTTING_OVER, c->fence_text);
}

/* Step 3: everything before the fence is on the target, and the forward stream is gone. */
static GwResult
drain(Cutover *c)
{
    HandoverWait w = WAIT_NOT_RUNNING;
    GwResult rc = GW_OK;
    if (c->running) {
        rc = handover_wait(c->h.target, c->h.source->ops, c->h.target, c->stream, c->replicate_app, c->fence_pos, true,
                           c->opts->drain_timeout, &w);
        if (rc == GW_OK && w == WAIT_TIMED_OUT) {
            log_error("phase '%s': forward replication did not reach the fence's position %s within %d s",
                      c->opts->phase, c->fence_text, c->opts->drain_timeout);
            return GW_ERR_USAGE;
        }
    }
    if (rc || w == WAIT_REACHED)
        return rc;
    /* It sees the phase cutting over and stops at the fence's position. */
    ReplicateOptions fwd = forward_options(c, 0, NULL);
    return flow_replicate(&fwd);
}

/* Step 4. */
static GwResult
verify(Cutover *c)
{
    if (c->opts->verify == CUTOVER_VERIFY_NONE)
        return GW_OK;
    double started = progress_now();
    VerifyOptions vo;
    memset(&vo, 0, sizeof vo);
    vo.source_url = c->opts->source_url;
    vo.target_url = c->opts->target_url;
    vo.phase = c->opts->phase;
    vo.migration_id = c->h.mp.id;
    selection_init(&vo.selection);
    vo.jobs = 2;
    vo.float_tolerance = -1;
    vo.max_report = 10;
    vo.sample_rows = c->opts->verify == CUTOVER_VERIFY_SAMPLE ? c->opts->sample_rows : 0;
    vo.summary_only = true;
    vo.embedded = true;
    vo.fenced = c->fenced;
    vo.report_to_log = c->opts->json_output;
    GwResult rc = flow_verify(&vo);
    selection_free(&vo.selection);
    c->verify_seconds = progress_now() - started;
    /* Exit 1, as `godwit verify` for the same finding: scripts tell differences from refusals. */
    if (rc == GW_DIFFERENT)
        log_error("phase '%s': verify found differences between source and target (listed above); not cutting over",
                  c->opts->phase);
    return rc;
}

/* Step 5. */
static GwResult
prepare_failback(Cutover *c)
{
    GwResult rc = failback_prepare_stream(c->h.target, &c->h.mp, &c->h.recorded, c->webhook);
    if (rc == GW_OK)
        snprintf(c->failback_text, sizeof c->failback_text, "%s",
                 c->h.recorded.state.failback_position ? c->h.recorded.state.failback_position : "");
    return rc;
}

/* A failed step: the source stays the system of record. */
static void
undo(Cutover *c, const char *step)
{
    GwResult rc = GW_OK;
    if (c->fenced)
        rc = c->h.source->ops->apply->fence_remove(c->h.source, &c->h.mp);
    if (rc == GW_OK && c->status_changed)
        rc = handover_set_status(&c->h, PHASE_FETCHED, NULL);
    if (rc == GW_OK)
        rc = handover_event(&c->h, "cutover_failed", json_pack("{s:s}", "step", step));
    if (rc == GW_OK)
        log_error("cutover of phase '%s' failed while %s: the source remains the system of record, %s; start"
                  " `godwit replicate` of the phase again if it stopped",
                  c->opts->phase, step, c->fenced ? "its fence lifted" : "unfenced");
    else
        log_error("cutover of phase '%s' failed while %s, and undoing it failed too: run `godwit cutover` again"
                  " (it lifts an earlier fence first) or `godwit rollback`",
                  c->opts->phase, step);
}

/* What the cutover event records, and --format json prints (with the phase's name). */
static json_t *
outcome(const Cutover *c, double downtime)
{
    const char *verify = c->opts->verify == CUTOVER_VERIFY_FULL     ? "full"
                         : c->opts->verify == CUTOVER_VERIFY_SAMPLE ? "sample"
                                                                    : "none";
    return json_pack("{s:s, s:s, s:f, s:f, s:b, s:s}", "fence_position", c->fence_text, "failback_position",
                     c->failback_text, "write_downtime_seconds", downtime, "verify_seconds", c->verify_seconds,
                     "fenced", c->fenced, "verify", verify);
}

static void
report(const Cutover *c, double downtime)
{
    if (c->opts->json_output) {
        json_t *o = outcome(c, downtime);
        json_object_set_new(o, "phase", json_string(c->opts->phase));
        char *text = json_dumps(o, JSON_COMPACT);
        printf("%s\n", text);
        free(text);
        json_decref(o);
        return;
    }
    printf("phase %s cut over: write downtime %.3f s (%s to failback prepared; verify %.3f s)\n", c->opts->phase,
           downtime, c->fenced ? "fence" : "last write seen", c->verify_seconds);
    printf("  source position at the fence: %s; failback starts from the target's %s\n", c->fence_text,
           c->failback_text);
    printf("next: point the application's writes for phase %s at the target; run `godwit failback --phase %s`\n"
           "      (any time: it applies from the cutover on); `godwit rollback --phase %s` returns the phase to the\n"
           "      source; `godwit finish --phase %s` once failback is no longer wanted\n",
           c->opts->phase, c->opts->phase, c->opts->phase, c->opts->phase);
}

/* The forward stream is over: its slot would keep the source's log forever. */
static void
drop_forward_stream(Cutover *c)
{
    const EngineOps *ops = c->h.source->ops;
    char *slot = phase_names_slot(&c->h.mp, false);
    GwResult rc = ops->stream ? ops->stream->drop_stream(c->h.source, slot) : GW_OK;
    if (rc != GW_OK)
        log_warn("phase '%s': could not drop the forward stream %s on the source; drop it by hand", c->opts->phase,
                 slot);
    free(slot);
}

GwResult
flow_cutover(const CutoverOptions *opts)
{
    Cutover c;
    memset(&c, 0, sizeof c);
    c.opts = opts;
    GwResult rc = handover_open(&c.h, opts->source_url, opts->target_url, opts->phase, "cutover");
    c.replicate_app = phase_names_app(&c.h.mp, "replicate");
    c.stream = phase_names_stream(&c.h.mp, false);
    if (rc == GW_OK) {
        c.webhook = opts->changefeed || c.h.target->ops->failback_by_changefeed;
        rc = check_status(&c);
    }
    /* Before anything moves. */
    if (rc == GW_OK && c.webhook)
        rc = failback_changefeed_ready(c.h.target, &c.h.tables, opts->phase);
    if (rc == GW_OK) {
        warn_source_objects(&c);
        warn_failback_rights(&c);
        rc = catch_up(&c);
    }
    const char *step = "fencing the source";
    if (rc == GW_OK)
        rc = opts->fence ? fence(&c) : wait_quiet(&c);
    if (rc == GW_OK) {
        step = "applying the changes before the fence";
        rc = drain(&c);
    }
    if (rc == GW_OK) {
        step = "verifying";
        rc = verify(&c);
    }
    if (rc == GW_OK) {
        step = "moving the target's sequences past the source's";
        rc = handover_advance_sequences(&c.h, c.h.source, c.h.target);
    }
    if (rc == GW_OK) {
        step = "preparing failback";
        rc = prepare_failback(&c);
    }
    double downtime = progress_now() - c.fence_at;
    if (rc == GW_OK) {
        if (c.fenced)
            log_info("phase '%s': the source's fence stays: its writes there are refused from now on", opts->phase);
        rc = handover_event(&c.h, "cutover", outcome(&c, downtime));
        drop_forward_stream(&c);
        report(&c, downtime);
    } else if (c.h.target && (c.fenced || c.status_changed)) {
        undo(&c, step);
    }
    handover_close(&c.h);
    free(c.replicate_app);
    free(c.stream);
    return rc;
}
