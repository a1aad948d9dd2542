/*
 * test_selection.c: --tables/--exclude globs and --where parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/selection.h"

static void
test_globs(void **state)
{
    (void) state;
    Selection sel;
    selection_init(&sel);
    selection_add_includes(&sel, "public.order*, sales.items,customers");
    selection_add_excludes(&sel, "public.orders_archive");
    assert_true(selection_matches(&sel, "public", "orders"));
    assert_false(selection_matches(&sel, "public", "orders_archive"));
    assert_true(selection_matches(&sel, "sales", "items"));
    assert_false(selection_matches(&sel, "sales", "other"));
    /* A pattern without a schema matches the name in any schema. */
    assert_true(selection_matches(&sel, "crm", "customers"));
    assert_null(selection_unmatched_include(&sel));
    /* Whether an --exclude names a table, whatever the includes say (a partitioned table's partitions). */
    assert_true(selection_excludes(&sel, "public", "orders_archive"));
    assert_false(selection_excludes(&sel, "public", "orders"));
    assert_false(selection_excludes(&sel, "public", "nothing"));
    selection_free(&sel);
}

static void
test_unmatched_include(void **state)
{
    (void) state;
    Selection sel;
    selection_init(&sel);
    selection_add_includes(&sel, "public.a,public.nosuch");
    assert_true(selection_matches(&sel, "public", "a"));
    assert_string_equal(selection_unmatched_include(&sel), "public.nosuch");
    selection_free(&sel);
}

static void
test_empty_selects_all(void **state)
{
    (void) state;
    Selection sel;
    selection_init(&sel);
    selection_add_excludes(&sel, "*.tmp_*");
    assert_true(selection_matches(&sel, "x", "y"));
    assert_false(selection_matches(&sel, "x", "tmp_1"));
    selection_free(&sel);
}

static void
test_where_parsing(void **state)
{
    (void) state;
    Selection sel;
    selection_init(&sel);
    char err[256];
    assert_int_equal(selection_add_filter(&sel, "public.orders: region = 'A'", err, sizeof err), GW_OK);
    assert_int_equal(selection_add_filter(&sel, "\"Sales Ü\".\"Order \"\"Items\"\"\": qty > 1", err, sizeof err),
                     GW_OK);
    assert_int_equal(selection_add_filter(&sel, "plain: x IS NULL", err, sizeof err), GW_OK);
    assert_non_null(selection_filter_for(&sel, "public", "orders"));
    assert_non_null(selection_filter_for(&sel, "Sales Ü", "Order \"Items\""));
    assert_non_null(selection_filter_for(&sel, "public", "plain"));
    assert_null(selection_filter_for(&sel, "public", "other"));
    selection_free(&sel);
}

static void
test_where_errors(void **state)
{
    (void) state;
    Selection sel;
    selection_init(&sel);
    char err[256];
    assert_int_equal(selection_add_filter(&sel, "public.orders region = 'A'", err, sizeof err), GW_ERR_USAGE);
    assert_non_null(strstr(err, "schema.table: predicate"));
    assert_int_equal(selection_add_filter(&sel, "public.orders: region = = 'A'", err, sizeof err), GW_ERR_USAGE);
    assert_non_null(strstr(err, "position"));
    assert_int_equal(selection_add_filter(&sel, "\"unterminated: x = 1", err, sizeof err), GW_ERR_USAGE);
    assert_int_equal(sel.nfilters, 0);
    selection_free(&sel);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_globs),
        cmocka_unit_test(test_unmatched_include),
        cmocka_unit_test(test_empty_selects_all),
        cmocka_unit_test(test_where_parsing),
        cmocka_unit_test(test_where_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
