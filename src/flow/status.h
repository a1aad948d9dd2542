/*
 * status.h: `godwit status`: what the target's _godwit state says about
 * every phase: its step, fetch progress, streams and last events.
 */
#ifndef GW_STATUS_H
#define GW_STATUS_H

#include <stdbool.h>

#include "util/result.h"

/* source_url (optional): read failback streams' checkpoints there. */
GwResult flow_status(const char *target_url, const char *source_url, bool json_output) GW_MUST_CHECK;

#endif
