/*
 * row_merge.h: the net effect of a run of changes on one table, by key.
 *
 * An applier that may reorder changes of different rows (a table
 * apply_rules_merge() allows, core/apply_rules.h) keeps, per key,
 * only what the last change left: the row's text, or "deleted".  Sent as one
 * DELETE of the deleted keys and one upsert of the others, a group of many
 * small transactions costs two statements per table instead of one or more
 * per change.  Keys are compared as bytes: the caller must give equal keys
 * equal text (integers in canonical form do).
 *
 * The texts are opaque to this module (the caller's rendered SQL), kept in
 * one arena; replacing an entry leaves the old text there until reset.
 */
#ifndef GW_ROW_MERGE_H
#define GW_ROW_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

typedef struct RowMergeEntry {
    size_t key_off, key_len;
    size_t row_off, row_len;
    bool deleted;
} RowMergeEntry;

typedef struct RowMerge {
    RowMergeEntry *entries;     /* in order of each key's first change */
    size_t nentries, cap_entries;
    uint32_t *index;            /* open addressing: entry number + 1, 0 = free */
    size_t index_cap;           /* a power of two, at least twice nentries */
    StrBuf arena;               /* every key and row text */
} RowMerge;

void row_merge_init(RowMerge *m);
void row_merge_free(RowMerge *m);
/* Forgets every entry (after they were sent, or when the transaction is abandoned). */
void row_merge_reset(RowMerge *m);

/* The key's row becomes this row (row != NULL) or deleted (row == NULL). */
void row_merge_put(RowMerge *m, const char *key, size_t key_len, const char *row, size_t row_len);

/* Bytes held: the arena grows with every put. */
static inline size_t
row_merge_bytes(const RowMerge *m)
{
    return m->arena.len;
}

static inline const char *
row_merge_key(const RowMerge *m, const RowMergeEntry *e)
{
    return m->arena.data + e->key_off;
}

static inline const char *
row_merge_row(const RowMerge *m, const RowMergeEntry *e)
{
    return m->arena.data + e->row_off;
}

#endif
