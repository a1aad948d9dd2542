/*
 * engine_ops_check.c: whether an engine's ops table has every operation
 * its groups require (engine.h).  Each list below is its group's required
 * operations, those engine.h's header comment of the group does not call
 * optional: a new required operation is added to both.
 */
#include "engine/engine.h"

#include <stddef.h>

typedef struct Required {
    const char *name;
    bool present;
} Required;

static const char *
first_missing(const Required *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!r[i].present)
            return r[i].name;
    return NULL;
}

static const char *
source_missing(const SourceOps *g)
{
    const Required r[] = {
        {"source.check_source", g->check_source != NULL},
        {"source.describe", g->describe != NULL},
        {"source.render_predicate", g->render_predicate != NULL},
        {"source.snapshot_create", g->snapshot_create != NULL},
        {"source.snapshot_release", g->snapshot_release != NULL},
        {"source.snapshot_join", g->snapshot_join != NULL},
        {"source.split_table", g->split_table != NULL},
        {"source.copy_out_begin", g->copy_out_begin != NULL},
        {"source.copy_out_next", g->copy_out_next != NULL},
        {"source.copy_out_abort", g->copy_out_abort != NULL},
        {"source.scan_begin", g->scan_begin != NULL},
        {"source.source_identity", g->source_identity != NULL},
    };
    return first_missing(r, sizeof r / sizeof *r);
}

static const char *
stream_missing(const StreamOps *g)
{
    const Required r[] = {
        {"stream.stream_open", g->stream_open != NULL},
        {"stream.stream_next", g->stream_next != NULL},
        {"stream.stream_confirm", g->stream_confirm != NULL},
        {"stream.stream_sent_pos", g->stream_sent_pos != NULL},
        {"stream.stream_bytes", g->stream_bytes != NULL},
        {"stream.stream_close", g->stream_close != NULL},
        {"stream.current_pos", g->current_pos != NULL},
        {"stream.parse_pos", g->parse_pos != NULL},
        {"stream.format_pos", g->format_pos != NULL},
        {"stream.drop_stream", g->drop_stream != NULL},
    };
    return first_missing(r, sizeof r / sizeof *r);
}

static const char *
target_missing(const TargetOps *g)
{
    const Required r[] = {
        {"target.can_copy_binary", g->can_copy_binary != NULL},
        {"target.check_types", g->check_types != NULL},
        {"target.prepare_schema", g->prepare_schema != NULL},
        {"target.copy_in_begin", g->copy_in_begin != NULL},
        {"target.copy_in_put", g->copy_in_put != NULL},
        {"target.copy_in_end", g->copy_in_end != NULL},
        {"target.finish_table", g->finish_table != NULL},
        {"target.finish_schema", g->finish_schema != NULL},
    };
    return first_missing(r, sizeof r / sizeof *r);
}

static const char *
apply_missing(const ApplyOps *g)
{
    const Required r[] = {
        {"apply.apply_setup", g->apply_setup != NULL},
        {"apply.apply_change", g->apply_change != NULL},
        {"apply.apply_commit", g->apply_commit != NULL},
        {"apply.apply_abort", g->apply_abort != NULL},
        {"apply.checkpoint_get", g->checkpoint_get != NULL},
        {"apply.fence_install", g->fence_install != NULL},
        {"apply.fence_remove", g->fence_remove != NULL},
        {"apply.guard_triggers and unguard_triggers, both or neither",
         (g->guard_triggers == NULL) == (g->unguard_triggers == NULL)},
    };
    return first_missing(r, sizeof r / sizeof *r);
}

static const char *
state_missing(const StateOps *g)
{
    const Required r[] = {
        {"state.state_init", g->state_init != NULL},
        {"state.state_get_phase", g->state_get_phase != NULL},
        {"state.state_put_phase", g->state_put_phase != NULL},
        {"state.state_delete_phase", g->state_delete_phase != NULL},
        {"state.state_put_shards", g->state_put_shards != NULL},
        {"state.state_get_shards", g->state_get_shards != NULL},
        {"state.state_add_event", g->state_add_event != NULL},
        {"state.state_report", g->state_report != NULL},
        {"state.state_put_lag", g->state_put_lag != NULL},
        {"state.state_phase_names", g->state_phase_names != NULL},
        {"state.migration_get", g->migration_get != NULL},
        {"state.migration_put", g->migration_put != NULL},
    };
    return first_missing(r, sizeof r / sizeof *r);
}

static const char *
staging_missing(const StagingOps *g)
{
    const Required r[] = {
        {"staging.staging_init", g->staging_init != NULL},
        {"staging.staging_put", g->staging_put != NULL},
        {"staging.staging_resolve", g->staging_resolve != NULL},
        {"staging.staging_next_resolved", g->staging_next_resolved != NULL},
        {"staging.staging_read", g->staging_read != NULL},
        {"staging.staging_discard", g->staging_discard != NULL},
    };
    return first_missing(r, sizeof r / sizeof *r);
}

bool
engine_ops_complete(const EngineOps *ops, const char **missing)
{
    *missing = !ops->connect ? "connect" : !ops->close ? "close" : NULL;
    if (!*missing && ops->source)
        *missing = source_missing(ops->source);
    if (!*missing && ops->stream)
        *missing = stream_missing(ops->stream);
    if (!*missing && ops->target)
        *missing = target_missing(ops->target);
    if (!*missing && ops->apply)
        *missing = apply_missing(ops->apply);
    if (!*missing && ops->state)
        *missing = state_missing(ops->state);
    if (!*missing && ops->staging)
        *missing = staging_missing(ops->staging);
    return *missing == NULL;
}
