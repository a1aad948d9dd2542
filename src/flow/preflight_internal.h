/*
 * preflight_internal.h: what the parts of `godwit preflight` share: the run,
 * and one line per check.
 */
#ifndef GW_PREFLIGHT_INTERNAL_H
#define GW_PREFLIGHT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "core/catalog.h"
#include "engine/engine.h"
#include "flow/preflight.h"

typedef struct Preflight {
    PreflightOptions *opts;
    Endpoint source_ep, target_ep;
    EngineConn *source, *target;
    Catalog cat;                /* the source's selected tables */
    bool described;
    int problems;
    json_t *checks;
    struct Probe *probe;        /* while the target probe runs */
} Preflight;

/* A check: its result, its errors logged (the first is its line's reason). */
typedef GwResult (*CheckFn)(Preflight *p);

/* Runs fn as one check and prints its line; ok_detail (taken) says what passed.  Whether it passed. */
bool preflight_check(Preflight *p, const char *check, CheckFn fn, char *ok_detail);
/* A check not run; problem: counted as one (a prerequisite failed) rather than left out on purpose. */
void preflight_not_run(Preflight *p, const char *check, const char *why, bool problem);

/*
 * The probe of the target (preflight_probe.c): what a fetch, a stream's
 * applier and verify send it, run in a scratch database made and dropped
 * here, with one row of each table read from the source.
 */
void preflight_probe(Preflight *p);

#endif
