/*
 * failback.c: `godwit failback` (DESIGN.md, "failback": replicate with the
 * roles swapped).
 *
 * The first run for a phase prepares it: it refuses while a forward
 * `replicate` of the phase is running, drains forward replication itself
 * (everything the source had committed is applied), creates the phase's
 * failback stream on the target (a slot and publications of its own, so
 * every later write on the target is kept from that moment), and records
 * the target's position and the phase's new status, after which forward
 * replication of the phase refuses to run.  Every run then streams the
 * target's changes of the phase into the source, with the checkpoint in the
 * source's _godwit state, through the same loop as replicate.
 *
 * Until `cutover` exists, the operator stops the application's writes to the
 * phase on the source before the first failback run: changes the source
 * commits after the drain would not reach the target.
 */
#include "flow/failback.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/selection.h"
#include "engine/engine.h"
#include "flow/failback_changefeed.h"
#include "util/log.h"
#include "util/mem.h"

typedef struct Preparer {
    const ReplicateOptions *opts;
    Endpoint source_ep;
    Endpoint target_ep;
    EngineConn *source;
    EngineConn *target;
    PhaseState phase;
} Preparer;

static GwResult
refuse_if_forward_running(Preparer *p)
{
    if (!p->target->ops->count_sessions)
        return GW_OK;
    char *app = gw_asprintf("godwit replicate:%s", p->opts->phase);
    int running = 0;
    GwResult rc = p->target->ops->count_sessions(p->target, app, &running);
    free(app);
    if (rc == GW_OK && running > 0) {
        log_error("forward replication of phase '%s' is still running (%d session(s) on target %s): failback"
                  " starts from a drained phase; stop `godwit replicate` (SIGTERM) once the application no longer"
                  " writes to the phase on the source, then run failback again",
                  p->opts->phase, running, p->target_ep.redacted);
        rc = GW_ERR_USAGE;
    }
    return rc;
}

/* Everything the source had committed reaches the target first: forward replication until caught up. */
static GwResult
drain_forward(const ReplicateOptions *opts)
{
    ReplicateOptions fwd = *opts;
    fwd.failback = false;
    fwd.stop_when_caught_up = true;
    fwd.metrics_addr = NULL;
    log_info("phase '%s': draining forward replication before failback", opts->phase);
    return flow_replicate(&fwd);
}

char *
failback_stream_phase(const char *phase)
{
    return gw_asprintf("%s_failback", phase);
}

GwResult
failback_describe_phase_tables(EngineConn *conn, const char *phase, Catalog *out)
{
    ShardProgress *shards = NULL;
    int nshards = 0;
    GwResult rc = conn->ops->state_get_shards(conn, phase, &shards, &nshards);
    Selection sel;
    selection_init(&sel);
    for (int i = 0; rc == GW_OK && i < nshards; i++)
        selection_add_table(&sel, shards[i].schema, shards[i].table);
    if (rc == GW_OK)
        rc = conn->ops->describe(conn, &sel, out);
    selection_free(&sel);
    for (int i = 0; i < nshards; i++)
        shard_progress_free(&shards[i]);
    free(shards);
    return rc;
}

/*
 * A new slot and new publications on the target for the phase's tables.  A
 * run killed before recording them left a stream nothing has read yet: it
 * is dropped and made again.
 */
static GwResult
create_failback_stream(EngineConn *target, const PhaseState *phase, const Catalog *cat, Snapshot *snap)
{
    const EngineOps *ops = target->ops;
    if (!ops->drop_stream || !ops->snapshot_create) {
        log_error("target %s (%s): failback from it is not supported yet", target->endpoint->redacted, ops->name);
        return GW_ERR_USAGE;
    }
    char *name = failback_stream_phase(phase->name);
    GwResult rc = ops->drop_stream(target, name);
    if (rc == GW_OK)
        rc = ops->snapshot_create(target, name, cat, SNAPSHOT_NEW_STREAM, snap);
    if (rc == GW_OK)
        rc = ops->snapshot_release(target);
    free(name);
    return rc;
}

static GwResult
record_prepared(EngineConn *target, PhaseState *phase, const Snapshot *snap)
{
    free(phase->status);
    phase->status = gw_strdup(PHASE_FAILBACK);
    free(phase->handoff_position);
    phase->handoff_position = NULL;
    phase->failback_slot = gw_strdup(snap->slot);
    phase->failback_publications = gw_strdup(snap->publications);
    phase->failback_position = gw_strdup(snap->position);
    GwResult rc = target->ops->state_put_phase(target, phase);
    if (rc)
        return rc;
    json_t *detail = json_pack("{s:s, s:s}", "position", snap->position, "slot", snap->slot);
    char *text = json_dumps(detail, JSON_COMPACT);
    json_decref(detail);
    rc = target->ops->state_add_event(target, phase->name, "failback_prepared", text);
    free(text);
    if (rc == GW_OK)
        log_info("phase '%s': failback prepared; the target's changes are kept from %s (slot %s)", phase->name,
                 snap->position, snap->slot);
    return rc;
}

GwResult
failback_prepare_stream(EngineConn *target, PhaseState *phase, bool webhook)
{
    if (webhook)
        return failback_changefeed_prepare(target, phase);
    Catalog cat;
    catalog_init(&cat);
    Snapshot snap;
    memset(&snap, 0, sizeof snap);
    GwResult rc = failback_describe_phase_tables(target, phase->name, &cat);
    if (rc == GW_OK)
        rc = create_failback_stream(target, phase, &cat, &snap);
    if (rc == GW_OK)
        rc = record_prepared(target, phase, &snap);
    snapshot_free(&snap);
    catalog_free(&cat);
    return rc;
}

static GwResult
load_phase(Preparer *p, bool *prepared)
{
    bool found;
    GwResult rc = p->target->ops->state_get_phase(p->target, p->opts->phase, &p->phase, &found);
    if (rc)
        return rc;
    const char *st = found ? p->phase.status : "";
    *prepared = !strcmp(st, PHASE_FAILBACK) || !strcmp(st, PHASE_ROLLING_BACK);
    if (*prepared || !strcmp(st, PHASE_FETCHED))
        return GW_OK;
    if (!found || !strcmp(st, PHASE_STARTING) || !strcmp(st, PHASE_FETCHING))
        log_error("phase '%s' has %s on target %s: fetch and replicate it first", p->opts->phase,
                  found ? "an unfinished fetch" : "no fetch", p->target_ep.redacted);
    else
        log_error("phase '%s' is %s on target %s: failback cannot start now", p->opts->phase, st,
                  p->target_ep.redacted);
    return GW_ERR_USAGE;
}

static GwResult
connect_both(Preparer *p)
{
    char *app = gw_asprintf("godwit failback:%s", p->opts->phase);
    GwResult rc = endpoint_init(&p->source_ep, p->opts->source_url, ROLE_SOURCE, app);
    if (rc == GW_OK)
        rc = endpoint_init(&p->target_ep, p->opts->target_url, ROLE_TARGET, app);
    free(app);
    if (rc == GW_OK)
        rc = engine_connect(&p->target_ep, &p->target);
    if (rc == GW_OK)
        rc = engine_connect(&p->source_ep, &p->source);
    /* The source keeps the failback stream's checkpoints (DESIGN.md, "State"). */
    if (rc == GW_OK && p->source->ops->state_init)
        rc = p->source->ops->state_init(p->source);
    return rc;
}

static void
preparer_free(Preparer *p)
{
    engine_close(p->source);
    engine_close(p->target);
    endpoint_free(&p->source_ep);
    endpoint_free(&p->target_ep);
    phase_state_free(&p->phase);
}

/*
 * The first run's steps; later runs find the phase prepared and skip them.
 * *webhook: the target's changes come through a changefeed webhook
 * (failback_changefeed.h), not a slot: a CockroachDB target, or --changefeed.
 */
static GwResult
prepare(const ReplicateOptions *opts, bool *webhook)
{
    Preparer p;
    memset(&p, 0, sizeof p);
    p.opts = opts;
    bool prepared = false;
    GwResult rc = connect_both(&p);
    if (rc == GW_OK) {
        *webhook = opts->changefeed || p.target->kind == ENGINE_COCKROACH;
        rc = *webhook ? failback_changefeed_check(opts, p.source) : GW_OK;
    }
    if (rc == GW_OK)
        rc = load_phase(&p, &prepared);
    if (rc == GW_OK && !prepared)
        rc = refuse_if_forward_running(&p);
    if (rc == GW_OK && !prepared) {
        rc = drain_forward(opts);
        if (rc == GW_OK)
            rc = failback_prepare_stream(p.target, &p.phase, *webhook);
    }
    preparer_free(&p);
    return rc;
}

GwResult
flow_failback(const ReplicateOptions *opts)
{
    bool webhook = false;
    GwResult rc = prepare(opts, &webhook);
    if (rc)
        return rc;
    if (webhook)
        return flow_failback_changefeed(opts);
    ReplicateOptions back = *opts;
    back.failback = true;
    return flow_replicate(&back);
}
