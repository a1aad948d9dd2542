/*
 * change.h: one change of a change stream, engine-neutral (DESIGN.md,
 * "One value model").  A change reader produces these; the phase filter and
 * an applier consume them.
 *
 * Values point into the reader's receive buffer and are valid only until
 * the reader's next call: an applier that needs them longer copies them.
 * Nothing here owns memory except RelationInfo, which the reader's relation
 * cache owns.
 */
#ifndef GW_CHANGE_H
#define GW_CHANGE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/catalog.h"

/*
 * A position in a change log, opaque outside its engine: the engine that
 * reads the log encodes it (StreamOps.parse_pos, format_pos), so that the
 * order of the numbers is the order of the log, and flow/ only compares,
 * stores and shows it.  Wide enough for an LSN, a binlog file and offset, or
 * an HLC timestamp.  0 = none.
 */
typedef unsigned __int128 StreamPos;

/* Seconds between the Unix epoch and 2000-01-01, the epoch of stream times. */
#define CHANGE_EPOCH_OFFSET_S 946684800LL

/* Now, in the stream's clock: microseconds since 2000-01-01 (as Change.commit_time). */
static inline int64_t
change_clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ((int64_t) ts.tv_sec - CHANGE_EPOCH_OFFSET_S) * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Origins of godwit's own writes (DESIGN.md, "No loops"): a transaction whose
 * ORIGIN change names one starting with this prefix was applied by a godwit
 * stream; a stream never applies again what its own migration's streams
 * wrote (phase_names_origin_is_migrations).  PostgreSQL: the replication
 * origin "godwit:<id>:<phase>:<direction>" of the apply session.
 * MySQL/MariaDB readers report no origin: a transaction written with
 * skip_replication names no migration, so it is streamed as any other (see
 * phase_names.h).  CHANGE_ORIGIN_SKIP stays reserved: no reader reports
 * it, and phase_names_origin_is_migrations never takes it for a migration's.
 */
#define CHANGE_ORIGIN_GODWIT "godwit:"
#define CHANGE_ORIGIN_SKIP "godwit:skip_replication"

typedef enum ChangeKind {
    CHANGE_BEGIN,
    CHANGE_COMMIT,
    CHANGE_RELATION,    /* a table's current shape; replaces any earlier one */
    CHANGE_TYPE,
    CHANGE_INSERT,
    CHANGE_UPDATE,
    CHANGE_DELETE,
    CHANGE_TRUNCATE,
    CHANGE_ORIGIN,      /* the transaction was applied by a replication origin */
    CHANGE_MESSAGE,     /* a logical decoding message (pg_logical_emit_message) */
} ChangeKind;

typedef enum ValueKind {
    VALUE_NULL,
    VALUE_UNCHANGED,    /* an unchanged TOASTed value: not sent, must not be overwritten */
    VALUE_TEXT,         /* canonical text form */
    VALUE_BINARY,
} ValueKind;

typedef struct ChangeValue {
    ValueKind kind;
    const char *data;   /* not NUL-terminated; len bytes */
    uint32_t len;
} ChangeValue;

typedef struct ChangeTuple {
    uint16_t ncols;
    ChangeValue *values;    /* reader-owned scratch, ncols entries */
} ChangeTuple;

typedef struct RelationColumn {
    char *name;
    uint32_t type_id;
    int32_t typmod;
    bool key;               /* part of the replica identity */
} RelationColumn;

typedef struct RelationInfo {
    uint32_t id;
    char *schema;
    char *name;
    ReplicaIdentity replica_identity;
    uint16_t ncols;
    RelationColumn *cols;
} RelationInfo;

/* What an UPDATE or DELETE carries of the row before it. */
typedef enum ChangeOldRow {
    CHANGE_OLD_NONE,        /* nothing (an insert; an update whose key did not change) */
    CHANGE_OLD_KEY,         /* the replica identity's key columns only */
    CHANGE_OLD_ROW,         /* the whole old row, unchanged TOASTed values excepted */
} ChangeOldRow;

typedef struct Change {
    ChangeKind kind;
    /* BEGIN / COMMIT */
    uint32_t xid;
    StreamPos commit_pos;   /* of the commit record */
    StreamPos end_pos;      /* end of the commit record: the position to confirm */
    int64_t commit_time;    /* microseconds since 2000-01-01 (change_clock_now) */
    /* COMMIT: the position to record in a checkpoint, when the engine's text form says more than
     * end_pos can (a binlog position with its GTIDs); NULL otherwise.  Reader-owned. */
    const char *position_text;
    /* INSERT / UPDATE / DELETE / RELATION */
    const RelationInfo *rel;
    /*
     * Set by the consumer, not the reader: the target must already hold this
     * row, so an update that finds nothing is an error, not a no-op.
     */
    bool must_exist;
    /*
     * Set by the consumer: a DELETE that must remove the row only if it
     * matches this predicate (the phase's).  An update leaving the phase
     * without its old row cannot tell whether the row was ever in the phase,
     * and with phases side by side another phase may own the row.
     */
    const struct Predicate *delete_guard;
    ChangeOldRow old_kind;  /* UPDATE/DELETE: what old_tuple holds */
    ChangeTuple old_tuple;
    ChangeTuple new_tuple;
    /* TRUNCATE */
    uint32_t nrels;
    const RelationInfo **rels;
    /* Set by the consumer: the target's description of each of rels (NULL where it has none). */
    const TableDef *const *rel_defs;
    bool cascade;
    bool restart_identity;
    /* ORIGIN */
    const char *origin;
    StreamPos origin_pos;
    /* MESSAGE */
    bool transactional;
    const char *prefix;
    const char *content;
    uint32_t content_len;
} Change;

/*
 * Rows of a change (change_rows.c), over the relation's ncols columns.
 * change_tuple_has: every masked value was sent (none unchanged).
 * change_keys_equal: the masked values are the same bytes in both tuples.
 * change_match_mask: the columns that identify the old row of a table
 * without a usable key: the replica identity's key (CHANGE_OLD_KEY) or every
 * value of the old row that was sent (CHANGE_OLD_ROW); false if none.
 * change_new_value: column i of the new row, an unchanged TOASTed value taken
 * from a whole old row when it has it.
 * change_complete_new_row: every change_new_value into row (ncols entries),
 * set[i] telling which were sent; whether all were.
 */
static inline bool
change_has_old(const Change *ch)
{
    return ch->old_kind != CHANGE_OLD_NONE;
}

bool change_tuple_has(const ChangeTuple *tup, const bool *mask, uint16_t ncols);
bool change_keys_equal(const ChangeTuple *a, const ChangeTuple *b, const bool *mask, uint16_t ncols);
bool change_match_mask(const Change *ch, bool *mask);
const ChangeValue *change_new_value(const Change *ch, uint16_t i);
bool change_complete_new_row(const Change *ch, ChangeTuple *row, bool *set);

#endif
