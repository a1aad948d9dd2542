/*
 * phase_status.h: the states a phase goes through, as kept in the target's
 * _godwit.phases.status, and the one table of which state may follow which.
 *
 *   starting, fetching   fetch running (or interrupted: fetch --resume)
 *   fetched              loaded; `replicate` streams it forward
 *   cutting_over         cutover: the source is fenced; the forward stream
 *                        stops at phases.handoff_position
 *   failback             cut over: the target is the system of record; the
 *                        failback stream carries its writes back
 *   rolling_back         rollback: the target is fenced; the failback stream
 *                        stops at phases.handoff_position
 *   rolled_back          the source is the system of record again
 *   finished             failback ended; its stream and fences are gone
 *
 * Every command that changes a phase's status asks phase_status_can_move
 * first, where it checks the status it found (flow/), and again where it
 * stores the new one (core/phase.h): a move the table lacks is refused.
 * The stored names never change: targets keep them across versions.  This
 * module never logs and never touches a database.
 */
#ifndef GW_PHASE_STATUS_H
#define GW_PHASE_STATUS_H

#include <stdbool.h>

typedef enum PhaseStatus {
    PHASE_NONE = 0,         /* no state recorded (yet, or any more): not a stored status */
    PHASE_STARTING,
    PHASE_FETCHING,
    PHASE_FETCHED,
    PHASE_CUTTING_OVER,
    PHASE_FAILBACK,
    PHASE_ROLLING_BACK,
    PHASE_ROLLED_BACK,
    PHASE_FINISHED,
} PhaseStatus;

/* The status stored as name; false for a name no status has (nor for "", PHASE_NONE's). */
bool phase_status_parse(const char *name, PhaseStatus *out);
/* The stored name ("" for PHASE_NONE). */
const char *phase_status_name(PhaseStatus st);
/* What the status means for the operator (godwit status): "replicating" for fetched, ... */
const char *phase_status_meaning(PhaseStatus st);

/*
 * Whether a phase in from may next be stored as to.  Storing the same
 * status again is always allowed (a step repeated, or undone before it
 * moved anything).
 */
bool phase_status_can_move(PhaseStatus from, PhaseStatus to);

/* Whether the phase's forward stream may run (replicate), and its failback stream (failback). */
bool phase_status_streams_forward(PhaseStatus st);
bool phase_status_streams_failback(PhaseStatus st);
/* Whether the forward stream's slot is still the phase's: from its fetch until cutover drops it. */
bool phase_status_holds_forward_slot(PhaseStatus st);

#endif
