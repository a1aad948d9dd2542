/*
 * preflight.h: `godwit preflight`: everything a migration of the selected
 * tables will need, checked before it starts, without writing anything on
 * either database.  One line per check on stdout (ok, or the problem and
 * what to do); the details of a problem are logged as the command that
 * would meet it logs them.
 */
#ifndef GW_PREFLIGHT_H
#define GW_PREFLIGHT_H

#include <stdbool.h>

#include "core/selection.h"
#include "flow/source_flags.h"
#include "util/result.h"

/* Whether the target is probed (preflight_internal.h): by default, a target no test here reaches. */
typedef enum ProbeMode { PROBE_AUTO, PROBE_ON, PROBE_OFF } ProbeMode;

typedef struct PreflightOptions {
    const char *source_url;
    const char *target_url;
    const char *phase;          /* the phase the fetch would make (its names on the target) */
    Selection selection;        /* --tables, --exclude, --where, or the plan's phase */
    bool stream;                /* the migration will replicate (false: --no-stream) */
    bool changefeed;            /* failback through a changefeed (a CockroachDB target, or --changefeed) */
    bool no_failback;           /* the migration will not fail back (--no-failback): the source is only read */
    bool json_output;
    SourceFlags source;         /* a MySQL/MariaDB source's conversions, as the fetch will be given them */
    ProbeMode probe;            /* --probe, --no-probe */
} PreflightOptions;

/* GW_OK when every check passed; GW_ERR_USAGE when one found a problem (each said on stdout). */
GwResult flow_preflight(PreflightOptions *opts) GW_MUST_CHECK;

#endif
