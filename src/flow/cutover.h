/*
 * cutover.h: `godwit cutover`, `godwit rollback` and `godwit finish`: a
 * phase's handover from the source to the target (with its write downtime
 * measured and kept short), back again, and the end of its failback.
 */
#ifndef GW_CUTOVER_H
#define GW_CUTOVER_H

#include <stdbool.h>

#include "util/result.h"

typedef enum CutoverVerify { CUTOVER_VERIFY_NONE, CUTOVER_VERIFY_SAMPLE, CUTOVER_VERIFY_FULL } CutoverVerify;

typedef struct CutoverOptions {
    const char *source_url;
    const char *target_url;
    const char *phase;
    bool fence;                 /* --fence: triggers refuse the phase's writes on the source */
    CutoverVerify verify;
    int sample_rows;            /* --verify sample: rows per table */
    int quiet_seconds;          /* without --fence: the phase is quiet after this long without a change */
    int catch_up_timeout;       /* seconds forward replication may take to catch up, before the fence */
    int drain_timeout;          /* seconds it may take to apply up to the fence */
    bool changefeed;            /* failback through the changefeed webhook even for a PostgreSQL target */
    bool json_output;
} CutoverOptions;

GwResult flow_cutover(const CutoverOptions *opts) GW_MUST_CHECK;

typedef struct RollbackOptions {
    const char *source_url;
    const char *target_url;
    const char *phase;
    int drain_timeout;
    bool json_output;
    bool discard_unapplied;     /* finish: go on although failback has changes not applied (they are lost) */
} RollbackOptions;

GwResult flow_rollback(const RollbackOptions *opts) GW_MUST_CHECK;
GwResult flow_finish(const RollbackOptions *opts) GW_MUST_CHECK;

#endif
