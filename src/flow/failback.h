/*
 * failback.h: `godwit failback`: after a phase's cutover, stream the
 * target's changes of the phase back into the source, exactly once and
 * without echoing godwit's own writes.
 */
#ifndef GW_FAILBACK_H
#define GW_FAILBACK_H

#include "flow/replicate.h"
#include "util/result.h"

/* Prepares the phase's failback stream on its first run, then streams (see replicate.h). */
GwResult flow_failback(const ReplicateOptions *opts) GW_MUST_CHECK;

#endif
