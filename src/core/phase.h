/*
 * phase.h: a phase as a command finds it on the database that keeps its
 * state (the target; DESIGN.md, "State"): its status, its row filters with
 * their predicates parsed, and its tables, as its fetch recorded them.
 *
 * A command that works on a phase's tables and filters (replicate and
 * failback, cutover, rollback and finish through flow/handover.c, verify)
 * loads the phase here, so that what a phase's tables and filters are is
 * decided in one place: its tables are those its fetch recorded shards of.
 * Status moves are checked against core/phase_status.h's table here too.
 * This module reads state and never writes it: storing stays with the
 * command that decided.
 */
#ifndef GW_PHASE_H
#define GW_PHASE_H

#include <stdbool.h>

#include "core/phase_status.h"
#include "core/selection.h"
#include "engine/engine.h"
#include "util/result.h"

typedef struct Phase {
    PhaseState state;       /* as stored */
    Selection filters;      /* its row filters (no tables selected), as its fetch recorded them */
    Selection tables;       /* its tables, one exact entry each (selection_add_table), none of them filtered */
    ShardProgress *shards;  /* its fetch's shards, ordered by table and shard */
    int nshards;
} Phase;

void phase_init(Phase *p);
void phase_free(Phase *p);

/*
 * Reads phase name from conn's state.  *found false: no phase of that name
 * (p stays empty; not an error).  A recorded filter that does not parse is
 * GW_ERR_TARGET, logged.
 */
GwResult phase_load(EngineConn *conn, const char *name, Phase *p, bool *found) GW_MUST_CHECK;

/* The phase's tables as conn has them (the target's, or the source's). */
GwResult phase_describe_tables(Phase *p, EngineConn *conn, Catalog *out) GW_MUST_CHECK;

/* The row filter of a table of the phase, or NULL: every row. */
const RowFilter *phase_filter_for(const Phase *p, const char *schema, const char *table);

/*
 * Sets ps's status to `to` (in memory: the caller stores it), if the table
 * allows the move; otherwise GW_ERR_INTERNAL, logged: no command moves a
 * phase any other way.
 */
GwResult phase_state_move(PhaseState *ps, PhaseStatus to) GW_MUST_CHECK;

#endif
