/*
 * failback.c: `godwit failback` (DESIGN.md, "failback": replicate with the
 * roles swapped).
 *
 * `godwit cutover` prepares a phase's failback (failback_prepare_stream:
 * a slot and publications of its own on the target, so every write there
 * is kept from that moment, with the phase's status failback, after which
 * forward replication of the phase refuses to run).  `godwit failback`
 * only runs for a phase so handed over (or being rolled back, whose drain
 * is this same stream): it streams the target's changes of the phase into
 * the source, with the checkpoint in the source's _godwit state, through
 * the same loop as replicate.  A phase not cut over is refused before
 * anything is written on either side: the application may already write on
 * the target, and no stream would have kept those writes.
 */
#include "flow/failback.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/phase.h"
#include "engine/engine.h"
#include "flow/failback_changefeed.h"
#include "flow/migration.h"
#include "util/log.h"
#include "util/mem.h"

typedef struct Precheck {
    const ReplicateOptions *opts;
    Endpoint source_ep;
    Endpoint target_ep;
    EngineConn *source;
    EngineConn *target;
    Phase phase;
    MigrationPhase mp;
} Precheck;

/*
 * A new slot and new publications on the target for the phase's tables.  A
 * run killed before recording them left a stream nothing has read yet: it
 * is dropped and made again.
 */
static GwResult
create_failback_stream(EngineConn *target, const MigrationPhase *mp, const Catalog *cat, Snapshot *snap)
{
    const EngineOps *ops = target->ops;
    if (!ops->stream || !ops->source) {
        log_error("target %s (%s): failback from it is not supported yet", target->endpoint->redacted, ops->name);
        return GW_ERR_USAGE;
    }
    char *name = phase_names_slot(mp, true);
    GwResult rc = ops->stream->drop_stream(target, name);
    if (rc == GW_OK)
        rc = ops->source->snapshot_create(target, name, cat, SNAPSHOT_NEW_STREAM, snap);
    if (rc == GW_OK)
        rc = ops->source->snapshot_release(target);
    free(name);
    return rc;
}

static GwResult
record_prepared(EngineConn *target, PhaseState *phase, const Snapshot *snap)
{
    GwResult rc = phase_state_move(phase, PHASE_FAILBACK);
    if (rc)
        return rc;
    free(phase->handoff_position);
    phase->handoff_position = NULL;
    phase->failback_slot = gw_strdup(snap->slot);
    phase->failback_publications = gw_strdup(snap->publications);
    phase->failback_position = gw_strdup(snap->position);
    rc = target->ops->state->state_put_phase(target, phase);
    if (rc)
        return rc;
    json_t *detail = json_pack("{s:s, s:s}", "position", snap->position, "slot", snap->slot);
    char *text = json_dumps(detail, JSON_COMPACT);
    json_decref(detail);
    rc = target->ops->state->state_add_event(target, phase->name, "failback_prepared", text);
    free(text);
    if (rc == GW_OK)
        log_info("phase '%s': failback prepared; the target's changes are kept from %s (stream %s)", phase->name,
                 snap->position, snap->slot);
    return rc;
}

GwResult
failback_prepare_stream(EngineConn *target, const MigrationPhase *mp, Phase *phase, bool webhook)
{
    if (webhook)
        return failback_changefeed_prepare(target, &phase->state);
    Catalog cat;
    catalog_init(&cat);
    Snapshot snap;
    memset(&snap, 0, sizeof snap);
    GwResult rc = phase_describe_tables(phase, target, &cat);
    if (rc == GW_OK)
        rc = create_failback_stream(target, mp, &cat, &snap);
    if (rc == GW_OK)
        rc = record_prepared(target, &phase->state, &snap);
    snapshot_free(&snap);
    catalog_free(&cat);
    return rc;
}

/*
 * Failback carries back the writes of a phase handed over to the target.
 * Before the cutover the application may already write on the target, and
 * nothing would keep those writes: the stream is made by cutover (which
 * fences the source and drains forward replication first), never here.
 */
static GwResult
check_phase(Precheck *p)
{
    bool found;
    GwResult rc = phase_load(p->target, p->opts->phase, &p->phase, &found);
    if (rc)
        return rc;
    PhaseStatus st = found ? p->phase.state.status : PHASE_NONE;
    if (phase_status_streams_failback(st))
        return GW_OK;
    if (!found || st == PHASE_STARTING || st == PHASE_FETCHING)
        log_error("phase '%s' has %s on target %s: failback follows `godwit cutover` of a fetched phase",
                  p->opts->phase, found ? "an unfinished fetch" : "no fetch", p->target_ep.redacted);
    else if (phase_status_streams_forward(st))
        log_error("phase '%s' is %s on target %s, not cut over: failback starts after `godwit cutover --phase %s`"
                  " (which keeps every write on the target from then on)",
                  p->opts->phase, phase_status_name(st), p->target_ep.redacted, p->opts->phase);
    else
        log_error("phase '%s' is %s on target %s: failback cannot start now", p->opts->phase, phase_status_name(st),
                  p->target_ep.redacted);
    return GW_ERR_USAGE;
}

/*
 * Both databases, and the phase cut over; nothing is written before the
 * check.  Its sessions carry the command's name, not the stream's: a closed
 * session can linger a moment on the server, and the stream, started next
 * in this process, would take one with its own name for a dead runner's.
 */
static GwResult
connect_both(Precheck *p, bool *webhook)
{
    char *app = phase_names_command_app("failback");
    GwResult rc = endpoint_init(&p->source_ep, p->opts->source_url, ROLE_SOURCE, app);
    if (rc == GW_OK)
        rc = endpoint_init(&p->target_ep, p->opts->target_url, ROLE_TARGET, app);
    free(app);
    if (rc == GW_OK)
        rc = engine_connect(&p->target_ep, &p->target);
    if (rc == GW_OK)
        rc = engine_connect(&p->source_ep, &p->source);
    if (rc == GW_OK) {
        *webhook = p->opts->webhook.requested || p->target->ops->failback_by_changefeed;
        rc = *webhook ? failback_changefeed_check(p->opts, p->source) : GW_OK;
    }
    if (rc == GW_OK)
        rc = check_phase(p);
    /* The source keeps the failback stream's checkpoints (DESIGN.md, "State"). */
    if (rc == GW_OK && p->source->ops->state)
        rc = p->source->ops->state->state_init(p->source);
    return rc;
}

/*
 * The source's triggers on the phase's tables stay quiet for what failback
 * applies (ApplyOps.guard_triggers): their effects on the target come with
 * the stream.  Done at every start, so that a trigger made since is too.
 */
static GwResult
guard_source_triggers(Precheck *p)
{
    const ApplyOps *apply = p->source->ops->apply;
    if (!apply || !apply->guard_triggers)
        return GW_OK;
    return apply->guard_triggers(p->source, &p->mp, &p->phase.tables);
}

static void
precheck_free(Precheck *p)
{
    engine_close(p->source);
    engine_close(p->target);
    endpoint_free(&p->source_ep);
    endpoint_free(&p->target_ep);
    phase_free(&p->phase);
}

/*
 * The phase must be cut over (its failback stream prepared by cutover).
 * *webhook: the target's changes come through a changefeed webhook
 * (failback_changefeed.h), not a slot: a CockroachDB target, or --changefeed.
 */
static GwResult
check_handed_over(const ReplicateOptions *opts, MigrationPhase *mp, bool *webhook)
{
    Precheck p;
    memset(&p, 0, sizeof p);
    p.opts = opts;
    phase_init(&p.phase);
    GwResult rc = migration_phase(opts->migration_id, opts->source_url, opts->target_url, "failback", opts->phase,
                                  &p.mp);
    *mp = p.mp;
    if (rc == GW_OK)
        rc = connect_both(&p, webhook);
    if (rc == GW_OK)
        rc = guard_source_triggers(&p);
    precheck_free(&p);
    return rc;
}

GwResult
flow_failback(const ReplicateOptions *opts)
{
    bool webhook = false;
    MigrationPhase mp;
    GwResult rc = check_handed_over(opts, &mp, &webhook);
    if (rc)
        return rc;
    ReplicateOptions back = *opts;
    back.migration_id = mp.id;
    if (webhook)
        return flow_failback_changefeed(&back);
    back.failback = true;
    return flow_replicate(&back);
}
