/*
 * test_stmt_queue.c: statements whose results are still to be read, in
 * order, and what each is reported as.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/mem.h"
#include "util/stmt_queue.h"

static void
assert_describes(const StmtNote *n, const char *want)
{
    char *s = stmt_note_describe(n);
    assert_string_equal(s, want);
    free(s);
}

static void
test_describe(void **state)
{
    (void) state;
    assert_describes(&(StmtNote) {.what = "applying an insert", .schema = "s", .table = "t"},
                     "applying an insert on s.t");
    assert_describes(&(StmtNote) {.what = "upsert", .rows = 12, .schema = "s", .table = "t"},
                     "applying 12 upserts on s.t");
    assert_describes(&(StmtNote) {.what = "delete", .rows = 1, .schema = "s", .table = "t"},
                     "applying 1 delete on s.t");
    assert_describes(&(StmtNote) {.what = "committing"}, "committing");
    assert_describes(&(StmtNote) {.text = "preparing SELECT 1"}, "preparing SELECT 1");
}

/* Notes are read in order; the ones read make room; clearing frees the texts (checked by ASan). */
static void
test_order_and_room(void **state)
{
    (void) state;
    StmtQueue q;
    stmt_queue_init(&q);
    assert_null(stmt_queue_take(&q));
    size_t next = 0;
    for (size_t i = 0; i < 1000; i++) {
        stmt_queue_push(&q, (StmtNote) {.text = gw_asprintf("%zu", i), .commit = i % 7 == 0});
        if (i % 3 != 0) {
            StmtNote *n = stmt_queue_take(&q);
            assert_non_null(n);
            char want[16];
            snprintf(want, sizeof want, "%zu", next);
            assert_string_equal(n->text, want);
            assert_int_equal(n->commit, next % 7 == 0);
            next++;
        }
    }
    assert_int_equal(stmt_queue_waiting(&q), 1000 - next);
    assert_true(q.cap < 1000);
    stmt_queue_clear(&q);
    assert_int_equal(stmt_queue_waiting(&q), 0);
    stmt_queue_push(&q, (StmtNote) {.text = gw_strdup("x")});
    stmt_queue_free(&q);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_order_and_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
