/*
 * phase.c: loading a recorded phase (see phase.h).
 */
#include "core/phase.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"

void
phase_init(Phase *p)
{
    memset(p, 0, sizeof *p);
    selection_init(&p->filters);
    selection_init(&p->tables);
}

void
phase_free(Phase *p)
{
    phase_state_free(&p->state);
    selection_free(&p->filters);
    selection_free(&p->tables);
    for (int i = 0; i < p->nshards; i++)
        shard_progress_free(&p->shards[i]);
    free(p->shards);
    phase_init(p);
}

/* One entry per table: the shards come ordered by table. */
static void
add_shard_tables(Phase *p)
{
    for (int i = 0; i < p->nshards; i++) {
        const ShardProgress *s = &p->shards[i];
        if (i > 0 && !strcmp(s->schema, s[-1].schema) && !strcmp(s->table, s[-1].table))
            continue;
        selection_add_table(&p->tables, s->schema, s->table);
    }
}

GwResult
phase_load(EngineConn *conn, const char *name, Phase *p, bool *found)
{
    phase_init(p);
    GwResult rc = conn->ops->state->state_get_phase(conn, name, &p->state, found);
    if (rc || !*found)
        return rc;
    char err[512];
    if (selection_add_filters_json(&p->filters, p->state.filters, err, sizeof err) != GW_OK) {
        log_error("phase '%s': %s", name, err);
        return GW_ERR_TARGET;
    }
    rc = conn->ops->state->state_get_shards(conn, name, &p->shards, &p->nshards);
    if (rc == GW_OK)
        add_shard_tables(p);
    return rc;
}

GwResult
phase_describe_tables(Phase *p, EngineConn *conn, Catalog *out)
{
    return conn->ops->source->describe(conn, &p->tables, out);
}

const RowFilter *
phase_filter_for(const Phase *p, const char *schema, const char *table)
{
    return selection_filter_for(&p->filters, schema, table);
}

GwResult
phase_state_move(PhaseState *ps, PhaseStatus to)
{
    if (!phase_status_can_move(ps->status, to)) {
        log_error("phase '%s': its status cannot go from %s to %s (a bug)", ps->name ? ps->name : "",
                  phase_status_name(ps->status), phase_status_name(to));
        return GW_ERR_INTERNAL;
    }
    ps->status = to;
    return GW_OK;
}
