/*
 * failback.h: `godwit failback`: after a phase's cutover, stream the
 * target's changes of the phase back into the source, exactly once and
 * without echoing godwit's own writes.
 */
#ifndef GW_FAILBACK_H
#define GW_FAILBACK_H

#include "core/phase.h"
#include "engine/engine.h"
#include "flow/replicate.h"
#include "util/result.h"

/*
 * Streams a cut-over phase's changes back (see replicate.h); a phase not cut
 * over is refused (GW_ERR_USAGE) before anything is created.
 */
GwResult flow_failback(const ReplicateOptions *opts) GW_MUST_CHECK;

/*
 * Cutover's step: creates the phase's failback stream on the target (a slot
 * and publications, or with webhook the changefeed's cursor) and records it in
 * the phase's state, whose status becomes failback: every write on the
 * target from this moment on is kept for `godwit failback`.  phase is
 * updated as stored.
 */
GwResult failback_prepare_stream(EngineConn *target, const MigrationPhase *mp, Phase *phase,
                                 bool webhook) GW_MUST_CHECK;

#endif
