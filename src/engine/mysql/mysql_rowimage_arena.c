/*
 * mysql_rowimage_arena.c: the storage of decoded values (RowArena in
 * mysql_rowimage.h): blocks that are never moved or resized, so that a value's
 * pointer stays valid until the arena is reset, reused from one transaction to
 * the next up to ROWARENA_KEEP_BYTES.
 *
 * It must never move a value that was handed out, nor keep unbounded memory
 * across resets: blocks made for large values are freed at every reset.
 */
#include <stdlib.h>

#include "engine/mysql/mysql_rowimage.h"
#include "util/mem.h"

/*
 * The arena: a list of blocks in use (the current one first) and a list of
 * empty standard blocks kept from earlier rounds.  A value larger than a
 * quarter block gets a block of its own, linked after the current one, so that
 * small values keep filling the current block.
 */

#define ARENA_BLOCK (64u * 1024u)

typedef struct ArenaBlock {
    struct ArenaBlock *next;
    size_t size;
    size_t used;
    char data[];
} ArenaBlock;

struct RowArena {
    ArenaBlock *blocks;     /* in use; blocks->data is where small values go */
    ArenaBlock *spare;      /* empty standard blocks */
    ArenaBlock *last;       /* block of the most recent allocation */
    char *last_ptr;         /* the most recent allocation */
    size_t used;            /* bytes handed out since the last reset */
};

static ArenaBlock *
arena_block_new(size_t size)
{
    ArenaBlock *b = gw_malloc(sizeof *b + size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

RowArena *
rowarena_new(void)
{
    return gw_calloc(1, sizeof(RowArena));
}

char *
rowarena_alloc(RowArena *a, size_t n)
{
    ArenaBlock *b = a->blocks;
    if (b == NULL || b->size - b->used < n) {
        if (n > ARENA_BLOCK / 4) {
            /* A block of its own, behind the current one. */
            ArenaBlock *big = arena_block_new(n);
            if (b != NULL) {
                big->next = b->next;
                b->next = big;
            } else {
                a->blocks = big;
            }
            b = big;
        } else {
            if (a->spare != NULL) {
                b = a->spare;
                a->spare = b->next;
            } else {
                b = arena_block_new(ARENA_BLOCK);
            }
            b->next = a->blocks;
            a->blocks = b;
        }
    }
    char *p = b->data + b->used;
    b->used += n;
    a->used += n;
    a->last = b;
    a->last_ptr = p;
    return p;
}

void
rowarena_shrink(RowArena *a, char *p, size_t old_n, size_t new_n)
{
    if (p == NULL || p != a->last_ptr || new_n > old_n)
        return;
    ArenaBlock *b = a->last;
    if (p + old_n == b->data + b->used) {
        b->used -= old_n - new_n;
        a->used -= old_n - new_n;
    }
}

size_t
rowarena_used(const RowArena *a)
{
    return a->used;
}

void
rowarena_reset(RowArena *a)
{
    size_t kept = 0;
    for (ArenaBlock *s = a->spare; s != NULL; s = s->next)
        kept += s->size;
    ArenaBlock *b = a->blocks;
    while (b != NULL) {
        ArenaBlock *next = b->next;
        if (b->size == ARENA_BLOCK && kept + b->size <= ROWARENA_KEEP_BYTES) {
            b->used = 0;
            b->next = a->spare;
            a->spare = b;
            kept += b->size;
        } else {
            free(b);
        }
        b = next;
    }
    a->blocks = NULL;
    a->last = NULL;
    a->last_ptr = NULL;
    a->used = 0;
}

void
rowarena_free(RowArena *a)
{
    if (a == NULL)
        return;
    rowarena_reset(a);
    ArenaBlock *b = a->spare;
    while (b != NULL) {
        ArenaBlock *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}
