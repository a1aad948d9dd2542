/*
 * apply_rules.h: what a change does to a target table, decided once for
 * every engine.  An applier asks apply_rules_plan() for the operations of a
 * change, and apply_rules_merge() whether a table's changes may be merged per
 * key; it then only renders those operations in its SQL and batches them.
 * It must never decide on its own what a change means.
 *
 * The rules, and why:
 *   - A table with a usable key (the target's primary key, every column of
 *     it in the stream) is written by key.  An insert, and an update that
 *     carries its whole new row, become an upsert: replaying changes the
 *     target already holds (a resumed fetch, a stream restarted from an
 *     earlier position) converges to the source's rows instead of failing.
 *   - An update whose key moved deletes the old key first, then upserts the
 *     new row: idempotent like the upsert.  That is only right when the
 *     source's log carries what the source's foreign-key actions did (the
 *     log has the children's changes; the target's own actions must not run
 *     again, and a delete that cascades would lose them): PostgreSQL's WAL
 *     does.  A log that omits them (MySQL's binlog has no cascades) needs the
 *     target's actions to fire, so the key is changed by an UPDATE of the key.
 *   - A new row missing values (PostgreSQL's unchanged TOASTed values, not
 *     sent and taken from a whole old row when there is one) is never
 *     written whole: only the values sent are set, by an UPDATE of the row
 *     found by its key, or of its old key when the key moved.  A value the
 *     applier did not receive is never sent, so never overwritten with NULL.
 *     When the row must already be there (Change.must_exist: it entered the
 *     phase), finding none is an error the applier reports.
 *   - An insert must have every value: an update turned into an insert (a
 *     row moved into the phase) without them cannot be applied.
 *   - A delete is by key; with a guard (Change.delete_guard), only of a row
 *     that matches the phase's predicate, for a row other phases may own.
 *   - A table without a usable key is matched on the old row's identifying
 *     values (change_match_mask), one row at a time; with no old row to
 *     match, an update or delete cannot be applied (no identity).
 *   - Changes may be merged per key (the last per key wins, applied as one
 *     set of deletes and one of upserts) and applied out of order with other
 *     tables' only when nothing can see the order: no unique constraint but
 *     the key, no foreign key the target checks or acts on, no trigger that
 *     fires, and keys the merge tells apart exactly.  Only whole rows and
 *     unguarded deletes by key are merged (ApplyOp.mergeable).
 */
#ifndef GW_APPLY_RULES_H
#define GW_APPLY_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/catalog.h"
#include "core/change.h"

/*
 * What the source's log and the target's session mean for a stream's
 * changes.  log_has_cascade_effects: the source's log carries the changes
 * its foreign-key actions made (PostgreSQL's WAL, CockroachDB's changefeeds),
 * so the target's must not fire again; without (MySQL's binlog omits
 * cascades) they must, and a key update is an UPDATE of the key.
 * target_fires_triggers: the target's triggers fire for the changes applied,
 * so each change must reach them, in order.
 */
typedef struct ApplySemantics {
    bool log_has_cascade_effects;
    bool target_fires_triggers;
} ApplySemantics;

/*
 * An applier's semantics until apply_setup says what the reader's log
 * carries (EngineOps.log_has_cascade_effects): cascades in the log, and
 * triggers firing.
 */
static inline ApplySemantics
apply_semantics_today(void)
{
    return (ApplySemantics) {.log_has_cascade_effects = true, .target_fires_triggers = true};
}

typedef enum ApplyOpKind {
    APPLY_UPSERT,           /* the whole new row: inserted, or replacing the row of its key */
    APPLY_INSERT,           /* the whole new row, into a table without a usable key */
    APPLY_UPDATE,           /* the set columns of the row found by its key (match: the new row) */
    APPLY_UPDATE_KEY,       /* the set columns, the key among them, of the row found by its old key */
    APPLY_DELETE,           /* the row of the key in match */
    APPLY_DELETE_GUARDED,   /* the same, only if it matches guard */
    APPLY_UPDATE_MATCH,     /* no key: the set columns of one row equal to match on match_cols */
    APPLY_DELETE_MATCH,     /* no key: one row equal to match on match_cols */
} ApplyOpKind;

/* One operation; its pointers are into the Change, the key, or the plan's scratch. */
typedef struct ApplyOp {
    ApplyOpKind kind;
    const ChangeTuple *row;         /* values written (set columns); NULL for deletes */
    const bool *set;                /* columns written; NULL for deletes */
    const ChangeTuple *match;       /* values that find the row (and give an upsert's key) */
    const bool *match_cols;         /* the key, or the old row's identifying columns; NULL for an insert */
    const struct Predicate *guard;  /* APPLY_DELETE_GUARDED */
    bool must_find;                 /* APPLY_UPDATE: no row found is an error (Change.must_exist) */
    bool mergeable;                 /* may join the table's net changes (apply_rules_merge) */
} ApplyOp;

/* At most: a key's UPDATE, the old key's delete and the new row's upsert (a key moved, FK actions firing). */
#define APPLY_PLAN_MAX_OPS 3

/* The operations of one change, in order; scratch grown to the widest relation planned. */
typedef struct ApplyPlan {
    ApplyOp ops[APPLY_PLAN_MAX_OPS];
    int nops;
    /* When the change cannot be applied: what it is ("a delete"), for the applier's error. */
    const char *refused;
    ChangeTuple row;                /* the new row, completed (change_complete_new_row) */
    bool *set, *only, *match;
    size_t cap;
} ApplyPlan;

void apply_plan_init(ApplyPlan *p);
void apply_plan_free(ApplyPlan *p);

/*
 * The operations of an INSERT, UPDATE or DELETE (ch->rel's columns) into a
 * table whose key is key (per relation column; NULL: no usable key).
 * False, with p->refused set, when the change cannot be applied; true with
 * no operation when there is nothing to write.
 */
bool apply_rules_plan(const Change *ch, const bool *key, const ApplySemantics *sem, ApplyPlan *p);

/*
 * The target's primary key as a mask over the relation's columns (ncols
 * entries); false (no usable key) if it has none or a key column is not in
 * the relation.
 */
bool apply_rules_key_mask(const TableDef *t, const RelationInfo *rel, bool *mask);

/* What a target table is, for the merge rule. */
typedef struct ApplyTableTraits {
    bool has_key;               /* a usable key (as apply_rules_key_mask) */
    bool other_unique;          /* a unique constraint or index besides the primary key, or an exclusion */
    bool has_foreign_keys;      /* a foreign key from or to it */
    bool foreign_keys_checked;  /* the target's session checks foreign keys */
    bool has_triggers;
    bool keys_merge_exactly;    /* the merge tells keys apart as the target does (equal keys, equal text) */
} ApplyTableTraits;

typedef enum ApplyMerge {
    APPLY_MERGE_NONE,           /* every change in the source's order */
    APPLY_MERGE_INSERTS,        /* no key: inserts may be applied together, out of order with other tables */
    APPLY_MERGE_BY_KEY,         /* the last change per key wins, out of order with other tables */
} ApplyMerge;

ApplyMerge apply_rules_merge(const ApplyTableTraits *t, const ApplySemantics *sem);

/* A PostgreSQL-described table's traits (has_key and keys_merge_exactly left to the caller). */
ApplyTableTraits apply_rules_traits_of(const TableDef *t);

#endif
