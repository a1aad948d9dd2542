/*
 * test_row_merge.c: a table's net change per key, checked against a plain
 * model (an array searched linearly) over random change sequences.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/row_merge.h"

static const RowMergeEntry *
find(const RowMerge *m, const char *key)
{
    for (size_t i = 0; i < m->nentries; i++) {
        const RowMergeEntry *e = &m->entries[i];
        if (e->key_len == strlen(key) && !memcmp(row_merge_key(m, e), key, e->key_len))
            return e;
    }
    return NULL;
}

static void
test_last_change_wins(void **state)
{
    (void) state;
    RowMerge m;
    row_merge_init(&m);
    row_merge_put(&m, "1", 1, "(1,'a')", 7);
    row_merge_put(&m, "2", 1, "(2,'b')", 7);
    row_merge_put(&m, "1", 1, NULL, 0);
    row_merge_put(&m, "2", 1, "(2,'c')", 7);
    row_merge_put(&m, "10", 2, NULL, 0);
    assert_int_equal(m.nentries, 3);
    /* First-change order. */
    assert_memory_equal(row_merge_key(&m, &m.entries[0]), "1", 1);
    assert_true(m.entries[0].deleted);
    assert_false(m.entries[1].deleted);
    assert_memory_equal(row_merge_row(&m, &m.entries[1]), "(2,'c')", 7);
    assert_true(find(&m, "10")->deleted);
    /* A key deleted and written again holds the new row. */
    row_merge_put(&m, "1", 1, "(1,'z')", 7);
    assert_false(find(&m, "1")->deleted);
    assert_memory_equal(row_merge_row(&m, find(&m, "1")), "(1,'z')", 7);
    row_merge_reset(&m);
    assert_int_equal(m.nentries, 0);
    assert_int_equal(row_merge_bytes(&m), 0);
    assert_null(find(&m, "1"));
    row_merge_put(&m, "1", 1, NULL, 0);
    assert_int_equal(m.nentries, 1);
    row_merge_free(&m);
}

/* Many keys (the index grows several times), random puts, against a model. */
static void
test_random_against_model(void **state)
{
    (void) state;
    enum { NKEYS = 5000, NPUTS = 60000 };
    int *model = calloc(NKEYS, sizeof *model);  /* 0: untouched, -1: deleted, else the row's number */
    RowMerge m;
    row_merge_init(&m);
    srand(7);
    for (int round = 0; round < 2; round++) {
        memset(model, 0, NKEYS * sizeof *model);
        for (int i = 0; i < NPUTS; i++) {
            int k = rand() % NKEYS;
            char key[16], row[32];
            int klen = snprintf(key, sizeof key, "%d", k);
            if (rand() % 3 == 0) {
                row_merge_put(&m, key, (size_t) klen, NULL, 0);
                model[k] = -1;
            } else {
                int rlen = snprintf(row, sizeof row, "(%d,%d)", k, i + 1);
                row_merge_put(&m, key, (size_t) klen, row, (size_t) rlen);
                model[k] = i + 1;
            }
        }
        size_t touched = 0;
        for (int k = 0; k < NKEYS; k++) {
            if (model[k] == 0)
                continue;
            touched++;
            char key[16], row[32];
            snprintf(key, sizeof key, "%d", k);
            const RowMergeEntry *e = find(&m, key);
            assert_non_null(e);
            assert_int_equal(e->deleted, model[k] == -1);
            if (model[k] > 0) {
                int rlen = snprintf(row, sizeof row, "(%d,%d)", k, model[k]);
                assert_int_equal(e->row_len, rlen);
                assert_memory_equal(row_merge_row(&m, e), row, (size_t) rlen);
            }
        }
        assert_int_equal(m.nentries, touched);
        row_merge_reset(&m);
    }
    row_merge_free(&m);
    free(model);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_last_change_wins),
        cmocka_unit_test(test_random_against_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
