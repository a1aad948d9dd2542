/*
 * row_merge.c: a table's net change per key (row_merge.h), an
 * open-addressing hash over entries kept in first-change order.
 */
#include "core/row_merge.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define INITIAL_INDEX 64

void
row_merge_init(RowMerge *m)
{
    memset(m, 0, sizeof *m);
    strbuf_init(&m->arena);
}

void
row_merge_free(RowMerge *m)
{
    free(m->entries);
    free(m->index);
    strbuf_free(&m->arena);
    memset(m, 0, sizeof *m);
}

void
row_merge_reset(RowMerge *m)
{
    if (m->nentries > 0 && m->index)
        memset(m->index, 0, m->index_cap * sizeof *m->index);
    m->nentries = 0;
    strbuf_reset(&m->arena);
}

/* FNV-1a: the keys are short texts. */
static uint64_t
hash_key(const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char) key[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* The slot that holds the key, or the free slot where it would go. */
static size_t
find_slot(const RowMerge *m, const char *key, size_t len)
{
    size_t mask = m->index_cap - 1;
    size_t i = (size_t) hash_key(key, len) & mask;
    for (;;) {
        uint32_t e = m->index[i];
        if (e == 0)
            return i;
        const RowMergeEntry *en = &m->entries[e - 1];
        if (en->key_len == len && memcmp(m->arena.data + en->key_off, key, len) == 0)
            return i;
        i = (i + 1) & mask;
    }
}

static void
grow_index(RowMerge *m)
{
    size_t cap = m->index_cap ? m->index_cap * 2 : INITIAL_INDEX;
    free(m->index);
    m->index = gw_calloc(cap, sizeof *m->index);
    m->index_cap = cap;
    for (size_t n = 0; n < m->nentries; n++) {
        const RowMergeEntry *en = &m->entries[n];
        m->index[find_slot(m, m->arena.data + en->key_off, en->key_len)] = (uint32_t) (n + 1);
    }
}

/* Appends text to the arena and returns its offset. */
static size_t
arena_add(RowMerge *m, const char *s, size_t len)
{
    size_t off = m->arena.len;
    strbuf_append_n(&m->arena, s, len);
    return off;
}

void
row_merge_put(RowMerge *m, const char *key, size_t key_len, const char *row, size_t row_len)
{
    if (2 * (m->nentries + 1) > m->index_cap)
        grow_index(m);
    size_t slot = find_slot(m, key, key_len);
    RowMergeEntry *en;
    if (m->index[slot] == 0) {
        gw_grow((void **) &m->entries, &m->cap_entries, m->nentries + 1, sizeof *m->entries);
        en = &m->entries[m->nentries++];
        en->key_off = arena_add(m, key, key_len);
        en->key_len = key_len;
        m->index[slot] = (uint32_t) m->nentries;
    } else {
        en = &m->entries[m->index[slot] - 1];
    }
    en->deleted = row == NULL;
    en->row_off = row ? arena_add(m, row, row_len) : 0;
    en->row_len = row ? row_len : 0;
}
