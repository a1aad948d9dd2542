/*
 * handover.h: what `cutover`, `rollback` and `finish` share: both databases
 * of a migration open, the phase's state (on the target), its tables and
 * row filters as write fences, and waiting for a running stream of the
 * phase to reach a position and exit by itself.
 */
#ifndef GW_HANDOVER_H
#define GW_HANDOVER_H

#include <jansson.h>
#include <stdbool.h>

#include "core/phase.h"
#include "core/phase_names.h"
#include "core/selection.h"
#include "engine/engine.h"
#include "util/result.h"

/*
 * How long a stream run by cutover or rollback itself keeps reconnecting:
 * the phase's writes are stopped meanwhile, so it gives up sooner than a
 * stream left running.
 */
#define HANDOVER_RETRY_SECONDS 30

typedef struct Handover {
    const char *phase;
    MigrationPhase mp;          /* the target's migration and the phase: every derived name (core/phase_names.h) */
    Endpoint source_ep;
    Endpoint target_ep;
    EngineConn *source;
    EngineConn *target;         /* holds the phase's state */
    Phase recorded;             /* its state, row filters and tables, as its fetch recorded them */
    Catalog tables;             /* the phase's tables, as the target has them */
    FenceTable *fence;          /* per table: its predicate, for fence_install */
    size_t nfence;
} Handover;

/*
 * Checks the source is the target's migration's (flow/migration.h), then
 * connects to both databases as "godwit <command>:<id>:<phase>" (not a
 * stream's name: a stream ends sessions named like its own) and loads the
 * phase.
 */
GwResult handover_open(Handover *h, const char *source_url, const char *target_url, const char *phase,
                       const char *command) GW_MUST_CHECK;
void handover_close(Handover *h);

/* Stores the phase's status and handover position (NULL: none); a move core/phase_status.h lacks is refused. */
GwResult handover_set_status(Handover *h, PhaseStatus status, const char *handoff_position) GW_MUST_CHECK;
/*
 * Undoes a handover a killed cutover or rollback left half-way: lifts the
 * phase's fence on fenced (the source or the target), and the phase's status
 * goes back to status.
 */
GwResult handover_unfence(Handover *h, EngineConn *fenced, PhaseStatus status) GW_MUST_CHECK;
/*
 * The source's triggers on the phase's tables, kept quiet while it failed
 * back (ApplyOps.guard_triggers), made as they were: before the source
 * takes the phase's writes again, never after.
 */
GwResult handover_unguard_triggers(Handover *h) GW_MUST_CHECK;
/* Appends an event to the target's _godwit.events; takes detail (may be NULL). */
GwResult handover_event(Handover *h, const char *kind, json_t *detail) GW_MUST_CHECK;

/*
 * Once the phase's writes are fenced on from: the sequences of the phase's
 * tables on to move to at least from's values (replication carries rows, not
 * sequences), so that the side taking the writes hands out no value the
 * other side used.
 */
GwResult handover_advance_sequences(Handover *h, EngineConn *from, EngineConn *to) GW_MUST_CHECK;

/* Where conn's change log stands now, as its position text. */
GwResult handover_position(EngineConn *conn, StreamPos *pos, char *text, size_t len) GW_MUST_CHECK;

/* The outcome of waiting for a stream of the phase. */
typedef enum HandoverWait {
    WAIT_REACHED,           /* the stream checkpointed the goal and is gone */
    WAIT_NOT_RUNNING,       /* no session of the stream (any more), the goal not reached */
    WAIT_TIMED_OUT,
} HandoverWait;

/*
 * Waits (up to timeout seconds) until the stream named stream (checkpoint
 * in writer, positions of reader's log) has checkpointed goal, and with
 * until_gone until no session named app is left on sessions_on either.
 */
GwResult handover_wait(EngineConn *writer, const EngineOps *reader_ops, EngineConn *sessions_on, const char *stream,
                       const char *app, StreamPos goal, bool until_gone, double timeout,
                       HandoverWait *out) GW_MUST_CHECK;

/*
 * Once no stream of the phase will run again (rollback, finish): removes
 * everything its streams keep on either database.  On the source: the
 * forward stream's slot and publications (cutover drops them, unless that
 * failed), the replication origin failback applied with, and failback's
 * checkpoint.  On the target: failback's slot and publications and the
 * origin forward replication applied with.  What is already gone is no
 * error; no stream of the phase may be running.
 */
GwResult handover_remove_streams(Handover *h) GW_MUST_CHECK;

/* Whether a session named app is on conn (a stream of the phase running). */
GwResult handover_running(EngineConn *conn, const char *app, bool *running) GW_MUST_CHECK;

#endif
