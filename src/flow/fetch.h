/*
 * fetch.h: `godwit fetch`: bulk-load a source into a target from one
 * consistent snapshot, recording where the change stream continues.
 * Engine-neutral: it drives engines through engine.h only.
 */
#ifndef GW_FETCH_H
#define GW_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/plan.h"
#include "core/selection.h"
#include "flow/source_flags.h"
#include "engine/engine.h"
#include "util/result.h"

/* Whether fetch makes the source schemas' other objects (views, functions, triggers, ...) on the target. */
typedef enum ObjectsMode {
    OBJECTS_AUTO,           /* all when the target can run the source's script and --schema is not existing */
    OBJECTS_ALL,
    OBJECTS_NONE,           /* only listed in the report as not migrated */
} ObjectsMode;

/* Shard size when neither the operator nor the target (EngineOps.preferred_shard_bytes) says otherwise. */
#define FETCH_DEFAULT_SHARD_BYTES (64LL * 1024 * 1024)
/* Most shards one table is split into: bounds the progress rows and the sample size. */
#define FETCH_MAX_SHARDS 64

/*
 * Whether fetch splits table t, which has no primary key, into shards: the
 * source splits such tables by place (EngineOps.splits_keyless), the target
 * can empty one (of the phase's rows) for a resume (TargetOps.empty_table),
 * and it is one table (not a partitioned one, whose rows are in its
 * partitions).
 */
bool fetch_splits_keyless(const EngineConn *source, const EngineConn *target, const TableDef *t);

typedef struct FetchOptions {
    const char *source_url;
    const char *target_url;
    const char *phase;
    Selection selection;
    int jobs;
    SchemaMode schema_mode;
    bool schema_given;      /* --schema was given: a resume must match the phase's; else it takes it */
    ObjectsMode objects;
    bool privileges;        /* --privileges: owners and grants as on the source (the roles exist on the target) */
    bool resume;
    bool stream;
    bool json_output;
    int64_t shard_bytes;    /* a table larger than this is split by key ranges; 0: the target's preference */
    SourceFlags source;     /* MySQL/MariaDB only (flow/source_flags.h; fetch_source_options.c) */
    /* --plan: the phase's tables and filters are in selection; the plan is checked first (flow/plan_check.h). */
    const char *plan_file;
    const Plan *plan;               /* NULL: no plan */
    bool allow_uncovered;           /* rows no phase of the plan takes are a warning, not an error */
    /*
     * What an interrupted fetch tells the operator to run next (passwords
     * masked): the command line as given, and with --resume.  NULL: not said.
     */
    const char *rerun_command;
    const char *resume_command;
} FetchOptions;

GwResult flow_fetch(FetchOptions *opts) GW_MUST_CHECK;

#endif
