/*
 * phase_status.c: the phase status table (see phase_status.h).  Each row
 * says what a status is called, what it means, which stream may run in it,
 * and which statuses may follow it, with the command that moves it there.
 */
#include "core/phase_status.h"

#include <stddef.h>
#include <string.h>

#define TO(st) (1u << (st))

typedef struct StatusRow {
    const char *name;
    const char *meaning;
    bool forward;           /* forward replication may run */
    bool failback;          /* failback may run */
    bool forward_slot;      /* the forward stream's slot is the phase's */
    unsigned moves;         /* TO() of each status it may move to, besides itself */
} StatusRow;

static const StatusRow rows[] = {
    /* fetch records a new phase (or one it started over, whose state it deleted) as starting. */
    [PHASE_NONE] = {"", "", false, false, false, TO(PHASE_STARTING)},
    /* fetch: the snapshot taken. */
    [PHASE_STARTING] = {"starting", "loading", false, false, true, TO(PHASE_FETCHING)},
    /* fetch: every shard copied; or fetch --schema drop-create starts it over. */
    [PHASE_FETCHING] = {"fetching", "loading", false, false, true, TO(PHASE_FETCHED) | TO(PHASE_STARTING)},
    /* cutover fences the source; fetch --schema drop-create starts it over. */
    [PHASE_FETCHED] = {"fetched", "replicating", true, false, true, TO(PHASE_CUTTING_OVER) | TO(PHASE_STARTING)},
    /*
     * cutover prepares failback; or a cutover that failed (or one killed
     * half-way, undone by the next) leaves the phase fetched.
     */
    [PHASE_CUTTING_OVER] = {"cutting_over", "cutting over", true, false, true,
                            TO(PHASE_FAILBACK) | TO(PHASE_FETCHED)},
    /*
     * rollback fences the target; finish ends failback.  A cutover whose
     * last step (recording failback prepared) failed is undone to fetched.
     */
    [PHASE_FAILBACK] = {"failback", "cut over, failing back", false, true, false,
                        TO(PHASE_ROLLING_BACK) | TO(PHASE_FINISHED) | TO(PHASE_FETCHED)},
    /* rollback done; or a rollback that failed (or one killed half-way, undone by the next) leaves it cut over. */
    [PHASE_ROLLING_BACK] = {"rolling_back", "rolling back", false, true, false,
                            TO(PHASE_ROLLED_BACK) | TO(PHASE_FAILBACK)},
    /* finish removes what is left; a rollback whose event could not be recorded is undone to failback. */
    [PHASE_ROLLED_BACK] = {"rolled_back", "rolled back", false, false, false, TO(PHASE_FINISHED) | TO(PHASE_FAILBACK)},
    /* The end: fetch refuses the name from here on. */
    [PHASE_FINISHED] = {"finished", "finished", false, false, false, 0},
};

#define NROWS (sizeof rows / sizeof rows[0])

static const StatusRow *
row(PhaseStatus st)
{
    return (size_t) st < NROWS ? &rows[st] : &rows[PHASE_NONE];
}

bool
phase_status_parse(const char *name, PhaseStatus *out)
{
    for (size_t i = PHASE_NONE + 1; name && i < NROWS; i++)
        if (!strcmp(rows[i].name, name)) {
            *out = (PhaseStatus) i;
            return true;
        }
    return false;
}

const char *
phase_status_name(PhaseStatus st)
{
    return row(st)->name;
}

const char *
phase_status_meaning(PhaseStatus st)
{
    return row(st)->meaning;
}

bool
phase_status_can_move(PhaseStatus from, PhaseStatus to)
{
    if ((size_t) to >= NROWS)
        return false;
    return from == to || (row(from)->moves & TO(to)) != 0;
}

bool
phase_status_streams_forward(PhaseStatus st)
{
    return row(st)->forward;
}

bool
phase_status_streams_failback(PhaseStatus st)
{
    return row(st)->failback;
}

bool
phase_status_holds_forward_slot(PhaseStatus st)
{
    return row(st)->forward_slot;
}
