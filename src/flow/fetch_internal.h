/*
 * fetch_internal.h: the state of one fetch run, shared by the files of
 * flow/fetch*.c.  Owned by flow_fetch(); workers only read it, except for
 * the fields guarded by FetchRun.mu and the progress counters (atomics).
 */
#ifndef GW_FETCH_INTERNAL_H
#define GW_FETCH_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "flow/fetch.h"
#include "flow/migration.h"
#include "util/progress.h"

typedef struct FetchTable {
    TableDef *def;
    char *predicate_sql;    /* row filter in the source's dialect, or NULL */
    CopyFormat format;
    int shards_total;
    int shards_left;        /* guarded by FetchRun.mu */
    int64_t rows;           /* final, from the target's COPY counts; guarded by mu */
    int64_t bytes;
    double started;         /* guarded by mu */
    double finished;
    ProgressItem *progress;
} FetchTable;

typedef struct FetchShard {
    FetchTable *table;
    ShardProgress state;
    KeyRange range;
} FetchShard;

typedef struct FetchRun {
    FetchOptions *opts;
    Endpoint source_ep;
    Endpoint target_ep;
    EngineConn *source;     /* control connections, main thread only */
    EngineConn *target;
    char *source_options;   /* JSON applied to every source connection, or NULL */
    EngineConn **worker_sources;    /* one per worker, opened before the snapshot; workers take them */
    int nworkers;
    Catalog catalog;
    SchemaObjects left_out; /* what the fetch does not make on the target: the report lists it */
    bool left_out_known;    /* the source could tell (SourceOps.objects_left_out) */
    SchemaScript objects;   /* the schemas' other objects the fetch makes (fetch_objects.c) */
    bool objects_made;      /* it makes them: objects holds the script */
    Snapshot snapshot;
    PhaseState phase;
    Migration migration;    /* the target's, or a new one recorded when the phase is first saved */
    MigrationPhase mp;      /* names of the phase's stream and sessions (core/phase_names.h) */
    bool reset;             /* the phase's earlier state and stream are thrown away before it starts over */
    char *old_filters;      /* the row filters it had then (a drop-create clears their rows too), or NULL */
    FetchTable *tables;
    size_t ntables;
    FetchShard *shards;     /* shards still to copy, largest tables first */
    size_t nshards;
    ProgressItem *items;
    Progress progress;
    double started;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t next_shard;
    FetchTable **finish_queue;
    size_t nfinish;
    size_t finish_cap;
    int in_flight;
    atomic_int failed;      /* first GwResult that failed a worker */
} FetchRun;

/* fetch_source_options.c */
GwResult fetch_source_options(FetchRun *run) GW_MUST_CHECK;
GwResult fetch_connect_source(FetchRun *run, EngineConn **out) GW_MUST_CHECK;

/* fetch_job.c */
char *fetch_job_json(const Catalog *cat, SchemaMode mode);
GwResult fetch_job_check(FetchRun *run, const PhaseState *ps, const Catalog *cat) GW_MUST_CHECK;

/* fetch_objects.c */
GwResult fetch_objects_plan(FetchRun *run, const Catalog *cat) GW_MUST_CHECK;
GwResult fetch_objects_check(FetchRun *run, const Catalog *cat) GW_MUST_CHECK;
GwResult fetch_objects_make(FetchRun *run, ScriptStage stage) GW_MUST_CHECK;
void fetch_objects_list_deferred(FetchRun *run);

/* fetch_plan.c */
GwResult fetch_check_filters(const Selection *sel, const Catalog *cat) GW_MUST_CHECK;
GwResult fetch_plan_tables(FetchRun *run) GW_MUST_CHECK;
GwResult fetch_plan_shards(FetchRun *run) GW_MUST_CHECK;
void fetch_plan_free(FetchRun *run);

/* fetch_workers.c */
GwResult fetch_run_workers(FetchRun *run) GW_MUST_CHECK;

/* fetch_report.c */
void fetch_report(const FetchRun *run, double seconds);
char *fetch_event_detail(const FetchRun *run, double seconds);

#endif
