/*
 * handover.c: the parts of cutover, rollback and finish that are the same
 * (handover.h).
 */
#include "flow/handover.h"

#include <stdlib.h>
#include <string.h>

#include "flow/migration.h"
#include "flow/source_flags.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/progress.h"
#include "util/sleep.h"

/* How often a wait looks at the stream's checkpoint and sessions. */
#define WAIT_POLL_MS 20

static GwResult
load_phase(Handover *h)
{
    bool found;
    GwResult rc = phase_load(h->target, h->phase, &h->recorded, &found);
    if (rc)
        return rc;
    if (!found) {
        log_error("phase '%s' has no fetch on target %s", h->phase, h->target_ep.redacted);
        return GW_ERR_USAGE;
    }
    /* The source is described (its sequences, at the handover) with the options the phase was fetched with. */
    rc = source_flags_apply(h->source, h->recorded.state.source_options);
    if (rc == GW_OK)
        rc = phase_describe_tables(&h->recorded, h->target, &h->tables);
    if (rc)
        return rc;
    h->fence = gw_calloc(h->tables.ntables + 1, sizeof *h->fence);
    for (size_t i = 0; i < h->tables.ntables; i++) {
        const TableDef *t = &h->tables.tables[i];
        const RowFilter *f = phase_filter_for(&h->recorded, t->schema, t->name);
        h->fence[h->nfence++] = (FenceTable) {.schema = t->schema, .table = t->name,
                                              .predicate = f ? f->predicate : NULL,
                                              .predicate_text = f ? f->text + strspn(f->text, " \t") : NULL};
    }
    return GW_OK;
}

/*
 * A sequence of a table whose rows are split between phases keeps handing
 * out values on both databases from now on, each from its own copy: the
 * same value can be taken twice, and replicating one side's row to the other
 * then fails on its key.  Only the operator can give them disjoint ranges.
 */
static void
warn_shared_sequence(const Handover *h, const SequenceDef *s)
{
    if (!s->owner_table || !phase_filter_for(&h->recorded, s->owner_schema, s->owner_table))
        return;
    log_warn("table %s.%s: column %s takes its values from a sequence, and the table's rows of other phases are"
             " still written on the other database: both now hand out values from their own copy of it; give them"
             " disjoint ranges (e.g. ALTER SEQUENCE ... RESTART far beyond the other side's values) or use keys"
             " that do not come from a sequence",
             s->owner_schema, s->owner_table, s->owner_column);
}

GwResult
handover_advance_sequences(Handover *h, EngineConn *from, EngineConn *to)
{
    if (!(to->ops->target && to->ops->target->advance_sequences))
        return GW_OK;
    Selection sel;
    selection_init(&sel);
    for (size_t i = 0; i < h->tables.ntables; i++)
        selection_add_table(&sel, h->tables.tables[i].schema, h->tables.tables[i].name);
    Catalog cat;
    catalog_init(&cat);
    GwResult rc = from->ops->source->describe(from, &sel, &cat);
    if (rc == GW_OK)
        rc = to->ops->target->advance_sequences(to, &cat);
    for (size_t i = 0; rc == GW_OK && i < cat.nsequences; i++)
        warn_shared_sequence(h, &cat.sequences[i]);
    if (rc == GW_OK && cat.nsequences > 0)
        log_info("phase '%s': %zu sequences of its tables on %s moved past the values used on %s", h->phase,
                 cat.nsequences, to->endpoint->redacted, from->endpoint->redacted);
    catalog_free(&cat);
    selection_free(&sel);
    return rc;
}

GwResult
handover_open(Handover *h, const char *source_url, const char *target_url, const char *phase, const char *command)
{
    memset(h, 0, sizeof *h);
    h->phase = phase;
    phase_init(&h->recorded);
    catalog_init(&h->tables);
    GwResult rc = migration_check(source_url, target_url, command, phase, &h->mp);
    char *app = phase_names_app(&h->mp, command);
    if (rc == GW_OK)
        rc = endpoint_init(&h->source_ep, source_url, ROLE_SOURCE, app);
    if (rc == GW_OK)
        rc = endpoint_init(&h->target_ep, target_url, ROLE_TARGET, app);
    free(app);
    if (rc == GW_OK)
        rc = engine_connect(&h->target_ep, &h->target);
    if (rc == GW_OK)
        rc = engine_connect(&h->source_ep, &h->source);
    /* The source's _godwit holds the fence's functions and failback's checkpoints. */
    if (rc == GW_OK && h->source->ops->state)
        rc = h->source->ops->state->state_init(h->source);
    if (rc == GW_OK)
        rc = load_phase(h);
    return rc;
}

void
handover_close(Handover *h)
{
    engine_close(h->source);
    engine_close(h->target);
    endpoint_free(&h->source_ep);
    endpoint_free(&h->target_ep);
    phase_free(&h->recorded);
    catalog_free(&h->tables);
    free(h->fence);
    memset(h, 0, sizeof *h);
}

GwResult
handover_unguard_triggers(Handover *h)
{
    const ApplyOps *apply = h->source->ops->apply;
    return apply && apply->unguard_triggers ? apply->unguard_triggers(h->source, &h->mp) : GW_OK;
}

GwResult
handover_set_status(Handover *h, PhaseStatus status, const char *handoff_position)
{
    GwResult rc = phase_state_move(&h->recorded.state, status);
    if (rc)
        return rc;
    free(h->recorded.state.handoff_position);
    h->recorded.state.handoff_position = handoff_position ? gw_strdup(handoff_position) : NULL;
    return h->target->ops->state->state_put_phase(h->target, &h->recorded.state);
}

GwResult
handover_unfence(Handover *h, EngineConn *fenced, PhaseStatus status)
{
    GwResult rc = fenced->ops->apply ? fenced->ops->apply->fence_remove(fenced, &h->mp) : GW_OK;
    return rc ? rc : handover_set_status(h, status, NULL);
}

GwResult
handover_event(Handover *h, const char *kind, json_t *detail)
{
    char *text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    json_decref(detail);
    GwResult rc = h->target->ops->state->state_add_event(h->target, h->phase, kind, text);
    free(text);
    return rc;
}

GwResult
handover_position(EngineConn *conn, StreamPos *pos, char *text, size_t len)
{
    if (!conn->ops->stream) {
        log_error("%s %s (%s): cannot tell its current position", role_name(conn->role), conn->endpoint->redacted,
                  conn->ops->name);
        return GW_ERR_USAGE;
    }
    GwResult rc = conn->ops->stream->current_pos(conn, pos);
    if (rc == GW_OK)
        conn->ops->stream->format_pos(*pos, text, len);
    return rc;
}

GwResult
handover_running(EngineConn *conn, const char *app, bool *running)
{
    int n = 0;
    GwResult rc = conn->ops->count_sessions ? conn->ops->count_sessions(conn, app, &n) : GW_OK;
    *running = n > 0;
    return rc;
}

/* The stream's checkpoint as a position (0 when it has none). */
static GwResult
checkpoint_pos(EngineConn *writer, const EngineOps *reader_ops, const char *stream, StreamPos *out)
{
    char *text = NULL;
    bool found = false;
    *out = 0;
    GwResult rc = writer->ops->apply->checkpoint_get(writer, stream, &text, &found);
    if (rc == GW_OK && found && reader_ops->stream->parse_pos(text, out) != 0) {
        log_error("%s %s: invalid checkpoint '%s' of stream %s", role_name(writer->role), writer->endpoint->redacted,
                  text, stream);
        rc = role_error(writer->role);
    }
    free(text);
    return rc;
}

GwResult
handover_wait(EngineConn *writer, const EngineOps *reader_ops, EngineConn *sessions_on, const char *stream,
              const char *app, StreamPos goal, bool until_gone, double timeout, HandoverWait *out)
{
    double started = progress_now();
    for (;;) {
        StreamPos at;
        bool running;
        GwResult rc = checkpoint_pos(writer, reader_ops, stream, &at);
        if (rc == GW_OK)
            rc = handover_running(sessions_on, app, &running);
        if (rc)
            return rc;
        if (!running || (at >= goal && !until_gone)) {
            *out = at >= goal ? WAIT_REACHED : WAIT_NOT_RUNNING;
            return GW_OK;
        }
        if (progress_now() - started >= timeout) {
            *out = WAIT_TIMED_OUT;
            return GW_OK;
        }
        sleep_ms(WAIT_POLL_MS);
    }
}

/* Removes a stream's replication origin on conn (where its applier wrote), if the engine has them. */
static GwResult
drop_origin(EngineConn *conn, const MigrationPhase *mp, bool failback)
{
    if (!(conn->ops->apply && conn->ops->apply->drop_origin))
        return GW_OK;
    char *stream = phase_names_stream(mp, failback);
    GwResult rc = conn->ops->apply->drop_origin(conn, stream);
    free(stream);
    return rc;
}

static GwResult
drop_failback_checkpoint(EngineConn *source, const MigrationPhase *mp)
{
    if (!(source->ops->apply && source->ops->apply->checkpoint_delete))
        return GW_OK;
    char *stream = phase_names_stream(mp, true);
    GwResult rc = source->ops->apply->checkpoint_delete(source, stream);
    free(stream);
    return rc;
}

/* Drops the phase's stream in one direction (its slot and publications) where the engine keeps one. */
static GwResult
drop_stream(EngineConn *conn, const MigrationPhase *mp, bool failback)
{
    if (!conn->ops->stream)
        return GW_OK;
    char *slot = phase_names_slot(mp, failback);
    GwResult rc = conn->ops->stream->drop_stream(conn, slot);
    free(slot);
    return rc;
}

GwResult
handover_remove_streams(Handover *h)
{
    EngineConn *src = h->source, *tgt = h->target;
    GwResult rc = drop_stream(src, &h->mp, false);
    /* A target whose failback comes through a changefeed has no slot. */
    if (rc == GW_OK && !tgt->ops->failback_by_changefeed)
        rc = drop_stream(tgt, &h->mp, true);
    if (rc == GW_OK)
        rc = drop_origin(tgt, &h->mp, false);
    if (rc == GW_OK)
        rc = drop_origin(src, &h->mp, true);
    if (rc == GW_OK)
        rc = drop_failback_checkpoint(src, &h->mp);
    if (rc == GW_OK)
        log_info("phase '%s': its streams, and what marks their writes, are removed from both databases",
                 h->phase);
    return rc;
}
