/*
 * stream_loop.h: the loop of one stream (flow/replicate.c sets it up):
 * the reader's transactions grouped into writer transactions, commits sent
 * ahead while the next group fills, checkpoints, and the stop at a
 * handover's position.  Internal to flow/; the unit test drives it with a
 * fake stream and writer (tests/unit/test_stream_loop.c).
 */
#ifndef GW_STREAM_LOOP_H
#define GW_STREAM_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/catalog.h"
#include "core/phase.h"
#include "core/selection.h"
#include "engine/engine.h"
#include "flow/replicate.h"
#include "flow/runner_lock.h"
#include "flow/stream_reader.h"
#include "util/metrics.h"

/* Most group commits sent and not yet known to be done (see ApplyOps.apply_commit_send). */
#define MAX_IN_FLIGHT 64

typedef struct ReplTable {
    const TableDef *def;
    const Predicate *predicate;
    StreamPos copied_until;     /* keyless table copied by a resumed fetch: skip changes before this */
    Metric *changes;
} ReplTable;

/* A commit sent to the writer whose outcome is not read yet. */
typedef struct InFlight {
    StreamPos pos;              /* the position its checkpoint says */
    bool group;                 /* a group of changes, else a checkpoint alone */
    int64_t commit_time;        /* of the group's last source transaction, source clock */
} InFlight;

/* The series every replicator exports; per-table ones live in ReplTable. */
typedef struct ReplMetrics {
    Metric *txns;
    Metric *bytes;
    Metric *source_pos;
    Metric *applied_pos;
    Metric *lag_bytes;
    Metric *lag_seconds;
    Metric *reconnects;
    Metric *last_apply;
    Metric *skipped_own;
} ReplMetrics;

typedef struct Replicator {
    const ReplicateOptions *opts;
    Endpoint reader_ep;         /* forward: the source; failback: the target */
    Endpoint writer_ep;
    EngineConn *reader;
    EngineConn *writer;
    EngineConn *state;          /* the migration's target: the phase's state */
    EngineConn *watch;          /* the same database, for watching the phase's status between transactions */
    RunnerLock lock;            /* this process is the stream's only runner while it holds it (on the writer) */
    const EngineOps *rd;
    const EngineOps *wr;
    StreamReader so;               /* the stream's: the reader's own log's, or the feed's */
    const ReplicateFeed *feed;  /* NULL: the reader's own log */
    bool feed_started;
    Phase phase;                /* as loaded (core/phase.h): state, parsed filters, tables, shards */
    Catalog catalog;            /* the writer's tables of this phase */
    ReplTable *tables;
    size_t ntables;
    const ReplTable **table_slots;  /* find_table's cache, by relation id (a power of two of them) */
    size_t table_slot_mask;
    char *stream_name;          /* NULL until the migration is checked (name_stream) */
    char migration_id[MIGRATION_ID_LEN + 1];  /* whose streams' writes are echoes to skip (on_origin) */
    StreamPos start;
    StreamPos goal;
    ChangeStream *stream;

    bool in_txn;
    bool skipping;
    StreamPos txn_pos;          /* commit position of the transaction being read */
    bool group_open;
    int group_changes;
    int group_limit;            /* most changes in the group being filled (see GROUP_RAMP_START) */
    double group_started;
    StreamPos group_pos;        /* end of the last source transaction in the group */
    char group_pos_text[512];   /* its position as the source names it, when it says more than group_pos */
    InFlight in_flight[MAX_IN_FLIGHT];  /* oldest first */
    int nin_flight;
    StreamPos applied;          /* committed on the target with its checkpoint */
    StreamPos checkpointed;     /* position of the last checkpoint written */
    StreamPos seen_pos;         /* end of the last source transaction read (applied or not) */
    char seen_text[512];        /* its position as the source names it, when it says more than seen_pos */
    bool names_positions;       /* the reader's positions say more than a StreamPos (a MySQL binlog file, GTIDs) */
    bool handoff;               /* the phase is being handed over: stop at handoff_goal */
    bool quiet;                 /* --stop-when-quiet: the phase had no change for that long */
    StreamPos handoff_goal;
    double last_watch;
    double last_lock_check;
    double last_idle_checkpoint;
    double last_phase_change;   /* when a change of the phase was last applied (progress_now) */
    double last_poll;
    double last_log;
    double now;                 /* progress_now() as the stream loop last returned from the stream */
    long long txns;
    long long changes;
    long long skipped_own;      /* transactions of godwit's own writes, not applied again */
    int txn_started_changes;    /* group_changes when the current transaction began */
    bool stopping;
    bool fatal;                 /* the last error needs the operator, however it looks */
    bool progressed;            /* applied or confirmed something since the last (re)connect */
    int64_t txn_commit_time;    /* of the transaction being read, source clock */
    int64_t group_commit_time;  /* of the last transaction in the group */
    int64_t applied_commit_time;  /* of the last source transaction the writer holds (0: none yet) */
    /* The lag (see observe_lag in stream_loop.c): both figures from one observation. */
    bool caught_up;             /* the stream went idle with nothing open or in flight */
    StreamPos log_end;          /* the reader's log's end, as last asked */
    double last_log_end;        /* when it was asked */
    int64_t lag_bytes;
    double lag_seconds;
    long long logged_changes;   /* changes at the last progress line, for its rate */
    bool lag_table_ready;       /* the state's lag table exists (store_lag) */
    ReplMetrics m;
} Replicator;

/* Reads and applies until done (caught up, handed over, quiet, stopped) or an error. */
GwResult stream_loop_run(Replicator *r) GW_MUST_CHECK;
/* The progress line, every REPLICATE_LOG_INTERVAL seconds or now (force). */
void stream_loop_log_progress(Replicator *r, bool force);
/* The first group's size limit after a pause (see GROUP_RAMP_START). */
int stream_loop_group_ramp_start(const Replicator *r);
/* find_table's cache, once r->tables is filled. */
void stream_loop_table_slots_init(Replicator *r);
void stream_loop_format_pos(const Replicator *r, StreamPos pos, char *buf, size_t len);

#endif
