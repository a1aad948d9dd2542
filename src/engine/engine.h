/*
 * engine.h: the one interface every database engine implements.
 *
 * flow/ drives migrations only through this table of operations; it never
 * includes an engine's own headers.  The operations are grouped by the role
 * a database plays (source, stream, target, apply, state, staging); an
 * engine fills the groups of the roles it can take, and a NULL group means
 * "not supported by this engine": the flow reports it as a configuration
 * error.  Within a group, the operations its header comment calls optional
 * may be NULL; engine_connect checks the others once, when a connection
 * opens.  Types in a Catalog are PostgreSQL types (the canonical value
 * model of DESIGN.md); engines that store other types map them in describe()
 * and back in their writers.
 *
 * Every operation logs its own errors, once, naming the side (source or
 * target), and returns GW_ERR_SOURCE or GW_ERR_TARGET according to the role
 * the connection was opened for.
 */
#ifndef GW_ENGINE_H
#define GW_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/catalog.h"
#include "core/change.h"
#include "core/hlc.h"
#include "core/phase_names.h"
#include "core/phase_status.h"
#include "core/schema_script.h"
#include "core/selection.h"
#include "util/log.h"
#include "util/result.h"

typedef enum EngineKind { ENGINE_POSTGRES, ENGINE_COCKROACH, ENGINE_MYSQL } EngineKind;
typedef enum EndpointRole { ROLE_SOURCE, ROLE_TARGET } EndpointRole;

/*
 * How a command reads a source, said in the command's terms; each engine
 * does what it means for it, and engines that need none ignore them.
 */
typedef struct SourceReadOptions {
    /*
     * The id the source knows the stream's reader by (set by the flow:
     * --server-id or phase_names_server_id).  MySQL: the binlog reader's
     * server_id.
     */
    uint32_t reader_id;
    /*
     * The rows read do not change (a fenced phase): a plain snapshot (verify)
     * needs nothing that stops writers.  MySQL: no FLUSH TABLES WITH READ
     * LOCK, each session its own snapshot; the lock would wait behind the
     * other phases' transactions.
     */
    bool rows_fenced;
    /* The first DDL the stream meets in the phase's databases was applied on the target by hand: go past it. */
    bool ddl_applied;
} SourceReadOptions;

typedef struct Endpoint {
    char *url;              /* as given; may hold a password: never print */
    char *redacted;         /* safe to print */
    EndpointRole role;
    char *app_name;         /* tags every session of one command and phase */
    SourceReadOptions read; /* a source's (replicate's and verify's flags) */
    /* A database of the same server other than the URL's (preflight's scratch database); NULL: the URL's. */
    char *database;
} Endpoint;

typedef struct EngineOps EngineOps;

/* Every engine connection starts with this header. */
typedef struct EngineConn {
    const EngineOps *ops;
    EngineKind kind;
    EndpointRole role;
    const Endpoint *endpoint;
} EngineConn;

/* Row transfer format of a bulk copy. */
typedef enum CopyFormat {
    COPY_FORMAT_TEXT,       /* canonical: PostgreSQL COPY text */
    COPY_FORMAT_BINARY,     /* PostgreSQL binary COPY, between PostgreSQL engines only */
} CopyFormat;

/* A consistent snapshot of a source, and where its change stream starts. */
typedef struct Snapshot {
    char *id;               /* what workers pass to snapshot_join() */
    char *position;         /* change-log position the snapshot corresponds to */
    char *slot;             /* replication slot (NULL without a stream) */
    char *publications;     /* comma-separated publication names */
} Snapshot;

/*
 * A key range of a table: lower inclusive, upper exclusive; NULL = open.
 * A table without a primary key is bounded by its rows' physical place
 * instead, where the source can split one (EngineOps.splits_keyless): one
 * value, a block number of its heap ("120": the block's first row).
 */
typedef struct KeyRange {
    char **lower;           /* key_range_width values: one canonical text value per key column */
    char **upper;
} KeyRange;

/*
 * What scan_begin reads: rows in primary-key order, in COPY text, every
 * column of the TableDef (verify).  Each restriction is optional.
 */
typedef struct ScanRequest {
    const KeyRange *range;  /* a key range shard */
    const char *predicate_sql; /* the phase's row filter, in this engine's dialect */
    char *const *after;     /* only keys after this one (paging through the table) */
    char **const *keys;     /* only these keys (nkeys of them, each npk values) */
    size_t nkeys;
    long limit;             /* at most this many rows; 0: all */
} ScanRequest;

/* Per-phase state kept on the database a stream writes to (DESIGN.md, "State"). */
typedef struct PhaseState {
    char *name;
    PhaseStatus status;
    char *snapshot_position;
    char *slot;
    char *publications;
    char *filters;          /* JSON array of {"schema", "table", "predicate"} */
    char *source_options;   /* JSON object of the source engine's options (set_source_options), or NULL */
    /*
     * JSON object of the rest of what a fetch was started with (flow/fetch_job.c):
     * its tables and schema mode; NULL in state written before it was kept.
     */
    char *fetch_job;
    bool stream;
    /* The failback stream on the target (godwit failback), once prepared; NULL before. */
    char *failback_slot;
    char *failback_publications;
    char *failback_position;    /* the target's position it starts from */
    /*
     * While a phase is handed over (status cutting_over: cutover; rolling_back:
     * rollback), the position in the stream's reader where the running stream
     * stops: everything written before the fence.  NULL otherwise.
     */
    char *handoff_position;
    /* Set by replicate, not stored: the phase's tables as "schema.table" (a stream of a whole server filters by them). */
    char **tables;
    size_t ntables;
} PhaseState;

/* A table to fence, and the predicate of the phase's rows (NULL: every row). */
typedef struct FenceTable {
    const char *schema;
    const char *table;
    const Predicate *predicate;
    const char *predicate_text;     /* as the operator wrote it: the refusal quotes it */
} FenceTable;

typedef struct ShardProgress {
    char *schema;
    char *table;
    int shard;
    int nshards;
    char *lower_json;       /* JSON array of key values, or NULL when open */
    char *upper_json;
    bool done;
    int64_t rows;
    int64_t bytes;
    char *snapshot_position; /* the snapshot this shard was copied under */
} ShardProgress;

/*
 * A row change a CockroachDB changefeed delivered to godwit's webhook, kept
 * on the source until a resolved timestamp covers it (failback from
 * CockroachDB; DESIGN.md, "CockroachDB specifics").  JSON texts as received.
 */
typedef struct StagedChange {
    char *schema;           /* the source table it belongs to */
    char *table;
    char *key;              /* JSON array of the primary key's values */
    Hlc updated;            /* its commit timestamp on the target */
    char *after;            /* JSON object, or "null" for a delete */
    char *before;           /* JSON object or "null"; NULL when the changefeed sends none (no diff) */
    int64_t seq;            /* arrival order (set by staging_read): the tiebreak within one timestamp */
} StagedChange;

/* What a target records of the migration it belongs to (_godwit.migration). */
typedef struct MigrationRecord {
    char *id;               /* MIGRATION_ID_LEN lower-case hex digits */
    char *source_identity;  /* the source's SourceOps.source_identity */
    char *source_desc;      /* the source's URL, redacted: for messages */
    char *created_at;       /* as the target printed it; NULL when not read */
} MigrationRecord;

void migration_record_free(MigrationRecord *m);

/* A replication slot godwit made (its name starts with "godwit"), as status shows it. */
typedef struct SlotInfo {
    char *name;
    char *database;         /* the database it decodes */
    bool other_database;    /* not the connected database: another migration's, or one no phase here knows */
    bool active;            /* a session streams from it now */
    bool temporary;         /* dropped by itself when its session ends (a resumed fetch's) */
    int64_t retained_bytes; /* log kept for it: the server's current position minus its restart position */
} SlotInfo;

/* What a stream's slot still holds that its applier has not applied (stream_pending). */
typedef struct PendingChanges {
    int64_t changes;        /* inserts, updates, deletes and truncates */
    int64_t transactions;
    int64_t bytes;          /* of those transactions' messages */
} PendingChanges;

/*
 * The runner of a stream, as it recorded itself on taking the stream's
 * runner lock (see ApplyOps.runner_lock).  recorded false: the lock is held
 * by a session that has not said who it is (yet).
 */
typedef struct RunnerInfo {
    bool recorded;
    char host[256];
    long long pid;
    char since[64];         /* when it took the lock, UTC */
    long long session;      /* the database session holding the lock */
} RunnerInfo;

/* What kind of snapshot a fetch takes. */
typedef enum SnapshotKind {
    SNAPSHOT_PLAIN,         /* --no-stream: no change stream follows */
    SNAPSHOT_NEW_STREAM,    /* creates the phase's stream, starting at the snapshot */
    SNAPSHOT_RESUME,        /* a new snapshot whose exact position is known, for a resumed fetch */
} SnapshotKind;

typedef enum SchemaMode { SCHEMA_CREATE, SCHEMA_DROP_CREATE, SCHEMA_EXISTING } SchemaMode;

/*
 * What prepare_schema makes ready on the target for a phase's fetch.  rows:
 * this run's row filters; an existing table may already hold other phases'
 * rows but none of this one's.  With drop-create (not resumed), a table no
 * other phase recorded on the target holds is dropped and made again; in a
 * table shared with other phases only this phase's rows are deleted (those
 * of its row filter, and of old_filters, the filters it was recorded with
 * before this run started it over), and only when its filter and theirs
 * select no common row; otherwise the fetch is refused, naming them.
 * check_only: makes every check that could refuse, and changes nothing.
 */
typedef struct SchemaPrep {
    const Catalog *cat;
    const Selection *rows;
    SchemaMode mode;
    bool resume;
    const char *phase;
    const char *old_filters;    /* JSON as PhaseState.filters, or NULL */
    bool check_only;
} SchemaPrep;

/* An open change stream of a source (engine-owned). */
typedef struct ChangeStream ChangeStream;

/* What stream_next() returned. */
typedef enum StreamEvent {
    STREAM_CHANGE,          /* *change is filled */
    STREAM_IDLE,            /* nothing within the timeout; stream_sent_pos() may have advanced */
} StreamEvent;

/* Values a target may lack (EngineOps.infinite_times, .multidim_arrays), looked for by SourceOps.count_values. */
typedef enum ValueTest {
    VALUE_TEST_INFINITE,        /* a date or timestamp 'infinity' or '-infinity' */
    VALUE_TEST_MULTIDIM_ARRAY,  /* an array of more than one dimension */
} ValueTest;

/*
 * Reading a database: its catalog, a consistent snapshot, bulk copy and
 * verify's scans.  Every engine that can be a source fills it.
 * Optional (NULL: see each one): check_predicate, count_rows, snapshot_ready,
 * joined_position, set_source_options, orders_like_bytes, objects_left_out,
 * schema_script;
 * the others are required (engine_connect checks them).
 */
typedef struct SourceOps {
    /*
     * Everything on the source that could refuse a fetch of the tables in
     * cat, checked before anything is created anywhere (read-only): with a
     * stream, the change log's settings and the privileges to read it; when
     * new_stream is given (the slot name snapshot_create will be given), the
     * rights to make it and, unless it is "" (a name not known yet:
     * preflight's), that nothing holds its names.
     */
    GwResult (*check_source)(EngineConn *conn, const Catalog *cat, bool stream, const char *new_stream) GW_MUST_CHECK;
    /*
     * Optional (NULL: no column is ColumnDef.not_null_droppable).  Before a
     * fetch makes the target's tables: each such column of cat whose rows (of
     * the phase's filter) hold values written as NULL becomes nullable, and
     * is logged with how many rows do.
     */
    GwResult (*nullable_by_values)(EngineConn *conn, Catalog *cat) GW_MUST_CHECK;
    /*
     * Optional: whether where_sql (render_predicate's, of the row filter the
     * operator wrote as `text`) is valid against t's real columns: the source
     * parses and plans it and reads no row.  A refusal is GW_ERR_USAGE, naming
     * the table, the filter and the server's reason.
     */
    GwResult (*check_predicate)(EngineConn *conn, const TableDef *t, const char *where_sql,
                                const char *text) GW_MUST_CHECK;
    /*
     * Optional: how many rows of schema.table match where_sql (this engine's
     * SQL, e.g. from render_predicate; NULL: every row).  Checks of a plan's
     * phases (flow/plan_check.c).
     */
    /*
     * Optional (NULL: its values never are of those kinds).  How many of t's
     * rows (those of where_sql, in this engine's dialect, or all) hold a value
     * of the kind in column col.
     */
    GwResult (*count_values)(EngineConn *conn, const TableDef *t, size_t col, ValueTest test, const char *where_sql,
                             int64_t *n) GW_MUST_CHECK;
    GwResult (*count_rows)(EngineConn *conn, const char *schema, const char *table, const char *where_sql,
                           int64_t *out) GW_MUST_CHECK;
    GwResult (*describe)(EngineConn *conn, Selection *sel, Catalog *out) GW_MUST_CHECK;
    /*
     * Optional (NULL: the engine cannot tell): the objects of the schemas of
     * cat's tables, and those attached to its tables, that fetch does not
     * make on a target (views, functions, triggers, rules, standalone
     * sequences and types, extensions, ...); cat is describe's.
     */
    GwResult (*objects_left_out)(EngineConn *conn, const Catalog *cat, SchemaObjects *out) GW_MUST_CHECK;
    /*
     * Optional (NULL: the engine cannot write them): everything of the
     * schemas of cat's tables besides what fetch makes from cat itself, as a
     * script a target of the same engine family runs (TargetOps.make_objects):
     * extensions, types, functions, views, triggers, rules, comments, ...;
     * with privileges, the owners and grants of every object and table too.
     */
    GwResult (*schema_script)(EngineConn *conn, const Catalog *cat, bool privileges, SchemaScript *out) GW_MUST_CHECK;
    /* SQL for a row predicate in this engine's dialect; caller frees. */
    char *(*render_predicate)(EngineConn *conn, const Predicate *p);
    /* slot: the stream's name (phase_names_slot): its slot and publications, where the engine has them. */
    GwResult (*snapshot_create)(EngineConn *conn, const char *slot, const Catalog *cat, SnapshotKind kind,
                                Snapshot *out) GW_MUST_CHECK;
    GwResult (*snapshot_release)(EngineConn *conn);
    GwResult (*snapshot_join)(EngineConn *conn, const Snapshot *snap) GW_MUST_CHECK;
    /*
     * Optional (NULL: nothing to do).  Called on the connection that created
     * the snapshot once every session of the fetch has joined it, or joining
     * failed: releases what snapshot_create held so that all joins share one
     * instant (MySQL: the global read lock, held for milliseconds only), and
     * may complete snap->position with what is slow to learn under the lock
     * (MariaDB: the GTID position of the binlog offset).
     */
    GwResult (*snapshot_ready)(EngineConn *conn, Snapshot *snap) GW_MUST_CHECK;
    /*
     * Optional.  The position of the snapshot this session joined when it
     * differs from Snapshot.position (each session took its own: MySQL without
     * the RELOAD privilege; Snapshot.position is then the earliest), else NULL.
     */
    const char *(*joined_position)(EngineConn *conn);
    /*
     * Optional (NULL: the engine takes no options).  Applies a phase's source
     * options, a JSON object kept in PhaseState.source_options (MySQL: see
     * README, "MySQL and MariaDB sources"), to a connection, before describe,
     * copy or stream.
     */
    GwResult (*set_source_options)(EngineConn *conn, const char *json) GW_MUST_CHECK;
    GwResult (*split_table)(EngineConn *conn, const TableDef *t, int nshards, KeyRange **ranges,
                            int *nranges) GW_MUST_CHECK;
    GwResult (*copy_out_begin)(EngineConn *conn, const TableDef *t, const KeyRange *range,
                               const char *predicate_sql, CopyFormat fmt) GW_MUST_CHECK;
    /* Returns GW_OK with *len > 0 for a chunk, *len == 0 at the end. *buf is
     * valid until the next call. */
    GwResult (*copy_out_next)(EngineConn *conn, const char **buf, int *len) GW_MUST_CHECK;
    /* Stops a copy midway (the other side failed) so the connection is usable again. */
    void (*copy_out_abort)(EngineConn *conn);
    /* Starts a read for verify (ScanRequest); rows come from copy_out_next in COPY text. */
    GwResult (*scan_begin)(EngineConn *conn, const TableDef *t, const ScanRequest *req) GW_MUST_CHECK;
    /*
     * Whether this engine's index orders column col of t as verify's merge
     * does: numbers by value, anything else by the bytes of its canonical
     * text (true for dates, uuids, bytea, text in a binary collation; false
     * for text in a linguistic or case-insensitive one).  Optional: NULL is
     * false.  Keys that both sides order so are merge-compared; others are
     * looked up.
     */
    bool (*orders_like_bytes)(EngineConn *conn, const TableDef *t, size_t col);
    /*
     * A stable string naming the source database (the same whatever URL
     * reaches it), as the migration a target records names it
     * (flow/migration.h); caller frees.
     */
    GwResult (*source_identity)(EngineConn *conn, char **identity) GW_MUST_CHECK;
} SourceOps;

/*
 * The change stream read from a database (replicate's source, failback's
 * target), its positions, and the slots and feeds that keep it.
 * Optional (NULL: see each one): list_slots, stream_pending, stream_exists,
 * changefeed_cursor, changefeed_create; the others are required
 * (engine_connect checks them).
 */
typedef struct StreamOps {
    /* Drops the stream snapshot_create made under this name, if any. */
    GwResult (*drop_stream)(EngineConn *conn, const char *slot) GW_MUST_CHECK;
    /*
     * Optional (NULL: the engine keeps no log for godwit).  The replication
     * slots of this server whose names godwit makes, with the log each keeps;
     * the caller frees them with slot_info_free and the array.
     */
    GwResult (*list_slots)(EngineConn *conn, SlotInfo **out, size_t *n) GW_MUST_CHECK;
    /*
     * Optional.  What ps's slot, read through ps's publications, still holds
     * of transactions that commit at or after `after` (the stream's
     * checkpoint) and that no godwit stream wrote: nothing is consumed, and
     * the slot must not be in use.  A slot that does not exist holds nothing.
     */
    GwResult (*stream_pending)(EngineConn *conn, const PhaseState *ps, StreamPos after,
                               PendingChanges *out) GW_MUST_CHECK;
    GwResult (*stream_open)(EngineConn *conn, const PhaseState *ps, StreamPos start, ChangeStream **out) GW_MUST_CHECK;
    GwResult (*stream_next)(ChangeStream *s, int timeout_ms, StreamEvent *ev, Change *change) GW_MUST_CHECK;
    /* Tells the source what the target has durably applied; may ask it to answer at once. */
    GwResult (*stream_confirm)(ChangeStream *s, StreamPos applied, bool request_reply) GW_MUST_CHECK;
    /* How far the source has sent: every change before it has been delivered. */
    StreamPos (*stream_sent_pos)(ChangeStream *s);
    /* Bytes received on the stream so far. */
    uint64_t (*stream_bytes)(ChangeStream *s);
    void (*stream_close)(ChangeStream *s);
    /* The source's current end of log: what "caught up" is measured against. */
    GwResult (*current_pos)(EngineConn *conn, StreamPos *out) GW_MUST_CHECK;
    int (*parse_pos)(const char *text, StreamPos *out);
    void (*format_pos)(StreamPos pos, char *buf, size_t len);
    /*
     * Failback from CockroachDB through a changefeed webhook (DESIGN.md,
     * "CockroachDB specifics").  Optional: NULL means this engine cannot take
     * that role.  Reader side (the migration's target): a changefeed cursor
     * for now, *exact false when the engine has no HLC clock and the cursor
     * is only made from its wall clock (a stand-in in tests); and running the
     * CREATE CHANGEFEED statement, returning its job id.
     */
    GwResult (*changefeed_cursor)(EngineConn *conn, Hlc *now, bool *exact) GW_MUST_CHECK;
    GwResult (*changefeed_create)(EngineConn *conn, const char *sql, char **job_id) GW_MUST_CHECK;
    /*
     * Optional (NULL: nothing to check).  Whether a changefeed of these tables
     * can run (GW_ERR_USAGE, said, when a setting forbids it), and how long
     * after its cursor it may still be created (*horizon_seconds, 0 when
     * unknown): the tables' garbage collection keeps older versions no longer.
     */
    GwResult (*changefeed_check)(EngineConn *conn, const Catalog *tables, int64_t *horizon_seconds) GW_MUST_CHECK;
    /* Optional: whether the source's database has a stream (slot) of that name; NULL: no named streams. */
    GwResult (*stream_exists)(EngineConn *conn, const char *slot, bool *exists) GW_MUST_CHECK;
} StreamOps;

/*
 * Loading a database: its schema, bulk copy in, constraints, indexes and
 * sequences.  Every engine that can be a fetch's target fills it.
 * Optional (NULL: see each one): advance_sequences, check_objects,
 * make_objects, empty_table; the others are required (engine_connect checks them).
 */
typedef struct TargetOps {
    bool (*can_copy_binary)(EngineConn *conn, const Catalog *cat, const TableDef *t);
    /*
     * Refuses a column type the target cannot store.  objects: the script the
     * fetch runs too (NULL: none), whose extensions may bring a type.
     */
    GwResult (*check_types)(EngineConn *conn, const Catalog *cat, const SchemaScript *objects) GW_MUST_CHECK;
    /*
     * Optional, with make_objects (NULL: the engine runs no schema script;
     * see SourceOps.schema_script).  Before anything is made: marks the
     * extensions the target has already and those it cannot make, and
     * refuses (GW_ERR_USAGE, naming the extension and the columns) one that a
     * column of cat needs.
     */
    GwResult (*check_objects)(EngineConn *conn, const Catalog *cat, SchemaScript *objects) GW_MUST_CHECK;
    /* Makes the script's pending entries of one stage, setting each one's status; only the session failing fails it. */
    GwResult (*make_objects)(EngineConn *conn, SchemaScript *objects, ScriptStage stage) GW_MUST_CHECK;
    /* See SchemaPrep. */
    GwResult (*prepare_schema)(EngineConn *conn, const SchemaPrep *prep) GW_MUST_CHECK;
    GwResult (*copy_in_begin)(EngineConn *conn, const TableDef *t, CopyFormat fmt) GW_MUST_CHECK;
    GwResult (*copy_in_put)(EngineConn *conn, const char *buf, int len) GW_MUST_CHECK;
    /* Ends the copy; with commit, marks the shard done in the same transaction. */
    GwResult (*copy_in_end)(EngineConn *conn, const char *phase, const ShardProgress *shard, bool commit,
                            int64_t *rows) GW_MUST_CHECK;
    GwResult (*finish_table)(EngineConn *conn, const Catalog *cat, const TableDef *t) GW_MUST_CHECK;
    /*
     * Optional (NULL: a fetch into it copies a table without a primary key
     * whole, in one transaction).  Removes the table's rows (not its
     * partitions' or children's), only those matching predicate_sql (in this
     * engine's dialect) when given, in transactions the engine can commit: a
     * resumed fetch copies a keyless table split in shards again whole, under
     * one snapshot, since its stream cannot tell which shard a change belongs
     * to.
     */
    GwResult (*empty_table)(EngineConn *conn, const TableDef *t, const char *predicate_sql) GW_MUST_CHECK;
    GwResult (*finish_schema)(EngineConn *conn, const Catalog *cat) GW_MUST_CHECK;
    /*
     * Moves conn's sequences named in cat (with the other database's values)
     * to at least those values, never back.  NULL where the database follows
     * inserted values by itself (MySQL's AUTO_INCREMENT).
     */
    GwResult (*advance_sequences)(EngineConn *conn, const Catalog *cat) GW_MUST_CHECK;
} TargetOps;

/*
 * Writing a stream's changes into a database (replicate's target,
 * failback's source), exactly once with its checkpoint; the lock that
 * makes one process its runner; and the fence that lets only godwit's
 * appliers write a phase's rows.
 * Optional (NULL: see each one): apply_commit_send, apply_collect,
 * checkpoint_delete, drop_origin, runner_lock, runner_held, runner_end_holder,
 * runner_unlock, guard_triggers, unguard_triggers; the others are required
 * (engine_connect checks them).
 */
typedef struct ApplyOps {
    /*
     * Optional, all four or none (NULL: the engine cannot tell, and nothing
     * stops a second runner).  The lock that makes one process the only
     * runner of a stream written to this database (flow/runner_lock.c), held
     * by a session of its own until runner_unlock or the session's end.
     * runner_lock tries to take it without waiting; once taken it records
     * me (host, pid) in _godwit.runners, else *holder says who holds it.
     * runner_unlock removes that record and lets go.  runner_held: whether
     * this session still holds it.  runner_end_holder ends the session
     * holding it if that is still `session` (a dead runner's).
     * end_stale_sessions never ends a session holding a runner lock: only
     * the lock's taker may, knowing its runner is dead.
     */
    GwResult (*runner_lock)(EngineConn *conn, const char *stream, const RunnerInfo *me, bool *taken,
                            RunnerInfo *holder) GW_MUST_CHECK;
    GwResult (*runner_held)(EngineConn *conn, const char *stream, bool *held) GW_MUST_CHECK;
    GwResult (*runner_end_holder)(EngineConn *conn, const char *stream, long long session) GW_MUST_CHECK;
    GwResult (*runner_unlock)(EngineConn *conn, const char *stream) GW_MUST_CHECK;
    /* Optional (NULL: nothing to remove).  Removes the replication origin apply_setup made for stream, if any. */
    GwResult (*drop_origin)(EngineConn *conn, const char *stream) GW_MUST_CHECK;
    /* Optional.  Removes the stream's checkpoint, if any. */
    GwResult (*checkpoint_delete)(EngineConn *conn, const char *stream) GW_MUST_CHECK;
    /*
     * Prepares a connection to apply a stream: durable commits, and its writes
     * tagged so that no change stream of this target reads them back (DESIGN.md,
     * "No loops").  log_has_cascade_effects: the reader's
     * (EngineOps.log_has_cascade_effects), for the apply rules.
     */
    GwResult (*apply_setup)(EngineConn *conn, const char *stream, bool log_has_cascade_effects) GW_MUST_CHECK;
    GwResult (*apply_change)(EngineConn *conn, const Change *c, const TableDef *t) GW_MUST_CHECK;
    GwResult (*apply_commit)(EngineConn *conn, const char *stream, const char *phase, const char *position) GW_MUST_CHECK;
    /*
     * Optional, both or neither (NULL: every commit is done when apply_commit
     * returns).  apply_commit_send is apply_commit returning once the commit
     * is sent, so the next transaction's changes follow without waiting for
     * it; apply_collect says how many commits (sent either way, in order)
     * completed since it last said, waiting for all of them with wait.  An
     * error from either leaves the session to be closed: what committed is
     * what the stream's checkpoint says.
     */
    GwResult (*apply_commit_send)(EngineConn *conn, const char *stream, const char *phase,
                                  const char *position) GW_MUST_CHECK;
    GwResult (*apply_collect)(EngineConn *conn, bool wait, unsigned long long *completed) GW_MUST_CHECK;
    void (*apply_abort)(EngineConn *conn);
    GwResult (*checkpoint_get)(EngineConn *conn, const char *stream, char **position, bool *found) GW_MUST_CHECK;
    /*
     * The write fence of a phase (cutover on the source, rollback on the
     * target): triggers that refuse every write of a row matching the
     * table's predicate (every row when it has none), old or new, from any
     * session but godwit's appliers; the message names the phase.
     * fence_install puts them on every table at once (or on none);
     * fence_remove takes away every fence of the phase, if any.
     */
    GwResult (*fence_install)(EngineConn *conn, const MigrationPhase *mp, const FenceTable *tables,
                              size_t n) GW_MUST_CHECK;
    GwResult (*fence_remove)(EngineConn *conn, const MigrationPhase *mp) GW_MUST_CHECK;
    /*
     * Optional, both or neither (NULL: the engine's appliers fire none of the
     * database's triggers, as PostgreSQL's, which run as replicas).  While a
     * phase fails back into this database, the triggers of its tables (those
     * tables selects) must not fire for the changes godwit's appliers write:
     * what they did on the other side comes with the stream.  guard_triggers
     * keeps them from firing for the appliers only (and again for triggers
     * made since); unguard_triggers makes them as they were once no phase
     * needs them quiet.  Both may run again after a failure half-way.
     */
    GwResult (*guard_triggers)(EngineConn *conn, const MigrationPhase *mp, const Selection *tables) GW_MUST_CHECK;
    GwResult (*unguard_triggers)(EngineConn *conn, const MigrationPhase *mp) GW_MUST_CHECK;
    /*
     * Optional (NULL: nothing to check).  Whether failback could write cat's
     * tables back into this database (rows, its state, what it makes besides:
     * MySQL's guarded triggers) and cutover's fence be made, by this user:
     * GW_ERR_USAGE if not, each problem logged at level naming the table and
     * the grant.  Changes nothing: preflight asks it (errors), cutover too
     * (warnings: a migration that will not fail back needs none of it).
     */
    GwResult (*check_failback_writes)(EngineConn *conn, const Catalog *cat, LogLevel level) GW_MUST_CHECK;
} ApplyOps;

/*
 * godwit's state kept in a database (DESIGN.md, "State"): phases, shards,
 * events, and the migration a target records.
 * Every operation is required (engine_connect checks them).
 */
typedef struct StateOps {
    GwResult (*state_init)(EngineConn *conn) GW_MUST_CHECK;
    GwResult (*state_get_phase)(EngineConn *conn, const char *phase, PhaseState *out, bool *found) GW_MUST_CHECK;
    GwResult (*state_put_phase)(EngineConn *conn, const PhaseState *ps) GW_MUST_CHECK;
    GwResult (*state_delete_phase)(EngineConn *conn, const char *phase) GW_MUST_CHECK;
    GwResult (*state_put_shards)(EngineConn *conn, const char *phase, const ShardProgress *shards,
                                 int nshards) GW_MUST_CHECK;
    GwResult (*state_get_shards)(EngineConn *conn, const char *phase, ShardProgress **shards,
                                 int *nshards) GW_MUST_CHECK;
    GwResult (*state_add_event)(EngineConn *conn, const char *phase, const char *kind,
                                const char *detail_json) GW_MUST_CHECK;
    /* Every phase with its fetch progress, streams and last events, as JSON; *found false without state. */
    GwResult (*state_report)(EngineConn *conn, char **json, bool *found) GW_MUST_CHECK;
    /* The names of the phases recorded (none without state); the caller frees each and the array. */
    GwResult (*state_phase_names)(EngineConn *conn, char ***names, size_t *n) GW_MUST_CHECK;
    /*
     * A running stream's lag as it last observed it (flow/stream_loop.c),
     * kept with the time of the observation so that status shows it without
     * reaching the stream's reader.
     */
    GwResult (*state_put_lag)(EngineConn *conn, const char *phase, const char *stream, double seconds,
                              int64_t bytes) GW_MUST_CHECK;
    /*
     * The migration a target records (flow/migration.h).  migration_get: the
     * target's record, or *found false; *legacy_phases (caller frees, NULL if
     * none) lists, comma separated, the phases an earlier godwit version
     * recorded without a migration.  It creates nothing.  migration_put
     * records m unless a record exists; either way *stored is what the target
     * holds after.
     */
    GwResult (*migration_get)(EngineConn *conn, MigrationRecord *out, bool *found, char **legacy_phases) GW_MUST_CHECK;
    GwResult (*migration_put)(EngineConn *conn, const MigrationRecord *m, MigrationRecord *stored) GW_MUST_CHECK;
} StateOps;

/*
 * The staging tables of a failback through a changefeed webhook, on the
 * migration's source (DESIGN.md, "CockroachDB specifics").
 * Every operation is required (engine_connect checks them).
 */
typedef struct StagingOps {
    /*
     * Writer side (the migration's source), in its _godwit state: staged
     * changes and resolved timestamps per phase.  staging_put stores a batch
     * in one transaction; a change already staged (same table, key and
     * timestamp: a redelivery) is left as it is.  staging_resolve records a
     * resolved timestamp later than every one recorded (others are ignored).
     */
    GwResult (*staging_init)(EngineConn *conn) GW_MUST_CHECK;
    GwResult (*staging_put)(EngineConn *conn, const char *phase, const StagedChange *rows, size_t n) GW_MUST_CHECK;
    GwResult (*staging_resolve)(EngineConn *conn, const char *phase, Hlc resolved) GW_MUST_CHECK;
    /* The earliest recorded resolved timestamp after `after`; *found false if none. */
    GwResult (*staging_next_resolved)(EngineConn *conn, const char *phase, Hlc after, Hlc *next,
                                      bool *found) GW_MUST_CHECK;
    /*
     * Staged changes with (updated, seq) after (from, from_seq) and updated
     * at or before upto, in (updated, seq) order, at most limit of them; the
     * caller frees each with staged_change_free and the array.
     */
    GwResult (*staging_read)(EngineConn *conn, const char *phase, Hlc from, int64_t from_seq, Hlc upto,
                             size_t limit, StagedChange **rows, size_t *n) GW_MUST_CHECK;
    /*
     * Inside the open apply transaction (before apply_commit): removes the
     * staged changes and resolved timestamps at or before upto, so that they
     * go exactly when their checkpoint is written.
     */
    GwResult (*staging_discard)(EngineConn *conn, const char *phase, Hlc upto) GW_MUST_CHECK;
} StagingOps;

struct EngineOps {
    const char *name;
    /* What flow/ asks of an engine, instead of which engine it is. */
    /*
     * copy_out_begin writes PostgreSQL's binary COPY (COPY_FORMAT_BINARY);
     * the target's can_copy_binary says whether it takes it for a table.
     */
    bool copies_binary;
    /*
     * A failback from this engine, as the migration's target, comes through a
     * changefeed to godwit's webhook (it has no failback slot of its own).
     */
    bool failback_by_changefeed;
    /*
     * As a target, a table it makes keeps its partitions and the tables it
     * inherits from (TableDef.partitions, .inherits); otherwise a
     * partitioned table is one table and a child a table of its own.
     */
    bool keeps_table_trees;
    /*
     * As a stream's reader, its log carries the changes the database's own
     * foreign-key actions made (cascades, SET NULL): PostgreSQL's WAL and
     * CockroachDB's changefeeds do, MySQL's binlog does not (InnoDB makes them
     * below it), so a target must make them again (core/apply_rules.h).
     */
    bool log_has_cascade_effects;
    /*
     * As a fetch's target, how many bytes one shard (one transaction) should
     * hold at most when the operator gives no --shard-size; 0: godwit's default.
     */
    int64_t preferred_shard_bytes;
    /*
     * As a fetch's target, the largest transaction it commits (0: no limit
     * godwit knows): a table without a primary key, copied in one, must not
     * be larger.
     */
    int64_t largest_transaction_bytes;
    /*
     * As a fetch's source, split_table splits a table without a primary key
     * by its rows' physical place (KeyRange), one snapshot holding them all
     * in place while the shards are copied.
     */
    bool splits_keyless;
    /*
     * Its dates and timestamps have the values 'infinity' and '-infinity'
     * (PostgreSQL); a target without them (CockroachDB stores them as far
     * dates) gets none from a fetch.
     */
    bool infinite_times;
    /* Its arrays may have more than one dimension (PostgreSQL); a target without them gets none from a fetch. */
    bool multidim_arrays;
    GwResult (*connect)(const Endpoint *ep, EngineConn **out) GW_MUST_CHECK;
    void (*close)(EngineConn *conn);
    /*
     * Ends other sessions carrying this endpoint's app_name.  After a kill -9,
     * the server keeps running what the dead process had started (an index
     * build, a slot creation) until it next talks to the client; a resumed
     * run must not race those.
     */
    GwResult (*end_stale_sessions)(EngineConn *conn) GW_MUST_CHECK;
    /* Optional: how many other sessions carry this application name (another godwit command running). */
    GwResult (*count_sessions)(EngineConn *conn, const char *app_name, int *count) GW_MUST_CHECK;
    /* Whether the last error on this connection may pass by itself (a restart, a lost connection). */
    bool (*error_is_transient)(EngineConn *conn);
    /* Optional: the server's engine and version, and whether the session is encrypted, as one phrase. */
    char *(*server_summary)(EngineConn *conn);
    /*
     * Optional (NULL: the engine makes none).  Makes (create) or drops, with
     * everything in it, a database of conn's server, reached by an Endpoint
     * whose .database names it: preflight's probe of a target.
     */
    GwResult (*scratch_database)(EngineConn *conn, const char *name, bool create) GW_MUST_CHECK;

    /* What the engine can be; NULL: it cannot take that role (see each group above). */
    const SourceOps *source;
    const StreamOps *stream;
    const TargetOps *target;
    const ApplyOps *apply;
    const StateOps *state;
    const StagingOps *staging;
};

/*
 * Whether every group ops fills has its required operations; when not,
 * *missing names the first one missing ("source.describe").
 * engine_connect checks each connection's table once, so that callers
 * test only a group, or an operation its group calls optional.
 */
bool engine_ops_complete(const EngineOps *ops, const char **missing);

/* Picks the engine for a URL and connects; detects CockroachDB behind postgres://. */
GwResult engine_connect(const Endpoint *ep, EngineConn **out) GW_MUST_CHECK;
void engine_close(EngineConn *conn);

/* Fills an Endpoint from a URL; GW_ERR_USAGE with a message if malformed. */
GwResult endpoint_init(Endpoint *ep, const char *url, EndpointRole role, const char *app_name) GW_MUST_CHECK;
void endpoint_free(Endpoint *ep);

const char *role_name(EndpointRole role);
GwResult role_error(EndpointRole role);

/*
 * Joins the session that created snap, then n others, to it; then lets the
 * creator release what it held while they joined (snapshot_ready), also when
 * a join failed.
 */
GwResult snapshot_share(EngineConn *creator, EngineConn *const *sessions, int n, Snapshot *snap) GW_MUST_CHECK;
void snapshot_free(Snapshot *s);
void key_range_free(KeyRange *r, size_t nkeys);
/* How many values bound a KeyRange of t: its key's columns, or the one block number of a keyless table. */
size_t key_range_width(const TableDef *t);
void phase_state_free(PhaseState *ps);
void shard_progress_free(ShardProgress *s);
void staged_change_free(StagedChange *c);
/* Frees the n slots and the array. */
void slot_info_free(SlotInfo *s, size_t n);

#endif
