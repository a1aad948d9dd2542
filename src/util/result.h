/*
 * result.h: the result codes every fallible godwit function returns.
 *
 * The numeric values are the process exit codes of DESIGN.md and must never
 * be renumbered: scripts depend on them.  Errors are logged once, where they
 * happen; callers only propagate the code.
 */
#ifndef GW_RESULT_H
#define GW_RESULT_H

typedef enum GwResult {
    GW_OK = 0,
    GW_DIFFERENT = 1,       /* verify found differences */
    GW_ERR_USAGE = 2,       /* bad usage or configuration */
    GW_ERR_SOURCE = 3,      /* the source failed or refused */
    GW_ERR_TARGET = 4,      /* the target failed or refused */
    GW_ERR_INTERNAL = 5,    /* a bug, out of memory, or interrupted */
} GwResult;

#define GW_MUST_CHECK __attribute__((warn_unused_result))

#endif
