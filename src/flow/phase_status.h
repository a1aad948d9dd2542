/*
 * phase_status.h: the states a phase goes through, as kept in the target's
 * _godwit.phases.status.
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
 */
#ifndef GW_PHASE_STATUS_H
#define GW_PHASE_STATUS_H

#define PHASE_STARTING "starting"
#define PHASE_FETCHING "fetching"
#define PHASE_FETCHED "fetched"
#define PHASE_CUTTING_OVER "cutting_over"
#define PHASE_FAILBACK "failback"
#define PHASE_ROLLING_BACK "rolling_back"
#define PHASE_ROLLED_BACK "rolled_back"
#define PHASE_FINISHED "finished"

#endif
