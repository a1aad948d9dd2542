/*
 * test_value_compare.c: unit tests for verify's value equality and key
 * order (src/core/value_compare.c): each class accepts the spellings two
 * engines give one value and refuses different values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/value_compare.h"

static bool
eq(ValueClass cls, const char *a, const char *b)
{
    return value_equal(cls, a, a ? strlen(a) : 0, b, b ? strlen(b) : 0, -1);
}

static void
test_classes(void **state)
{
    (void) state;
    assert_int_equal(value_class_of("integer"), VALUE_CLASS_NUMERIC);
    assert_int_equal(value_class_of("numeric(12,2)"), VALUE_CLASS_NUMERIC);
    assert_int_equal(value_class_of("pg_catalog.int8"), VALUE_CLASS_NUMERIC);
    assert_int_equal(value_class_of("interval"), VALUE_CLASS_DURATION);
    assert_int_equal(value_class_of("int4range"), VALUE_CLASS_EXACT);
    assert_int_equal(value_class_of("integer[]"), VALUE_CLASS_EXACT);
    assert_int_equal(value_class_of("double precision"), VALUE_CLASS_FLOAT);
    assert_int_equal(value_class_of("jsonb"), VALUE_CLASS_JSON);
    assert_int_equal(value_class_of("timestamp(3) with time zone"), VALUE_CLASS_TIMESTAMP);
    assert_int_equal(value_class_of("text"), VALUE_CLASS_EXACT);
    assert_int_equal(value_class_of("character(120)"), VALUE_CLASS_PADDED);
    assert_int_equal(value_class_of("character varying(10)"), VALUE_CLASS_EXACT);
    assert_int_equal(value_class_of("\"char\""), VALUE_CLASS_EXACT);
}

static void
test_nulls_and_text(void **state)
{
    (void) state;
    assert_true(eq(VALUE_CLASS_EXACT, NULL, NULL));
    assert_false(eq(VALUE_CLASS_EXACT, NULL, ""));
    assert_false(eq(VALUE_CLASS_EXACT, "a", "A"));
    assert_false(eq(VALUE_CLASS_EXACT, "a", "a "));
    assert_true(eq(VALUE_CLASS_EXACT, "\xc3\xa4", "\xc3\xa4"));
    assert_true(eq(VALUE_CLASS_PADDED, "abc", "abc       "));
    assert_false(eq(VALUE_CLASS_PADDED, "abc", " abc"));
    assert_false(eq(VALUE_CLASS_PADDED, NULL, ""));
}

static void
test_numeric(void **state)
{
    (void) state;
    assert_true(eq(VALUE_CLASS_NUMERIC, "1.50", "1.5"));
    assert_true(eq(VALUE_CLASS_NUMERIC, "-0.00", "0"));
    assert_true(eq(VALUE_CLASS_NUMERIC, "007", "7"));
    assert_false(eq(VALUE_CLASS_NUMERIC, "1.05", "1.5"));
    assert_false(eq(VALUE_CLASS_NUMERIC, "-1", "1"));
    assert_false(eq(VALUE_CLASS_NUMERIC, "18446744073709551615", "18446744073709551614"));
    assert_true(value_numeric_cmp("9", "10") < 0);
    assert_true(value_numeric_cmp("-10", "-9") < 0);
    assert_true(value_numeric_cmp("2.5", "2.50") == 0);
    assert_true(value_numeric_cmp("-0.1", "0") < 0);
}

static void
test_float(void **state)
{
    (void) state;
    assert_true(eq(VALUE_CLASS_FLOAT, "1e+20", "100000000000000000000"));
    assert_false(eq(VALUE_CLASS_FLOAT, "0.1", "0.10000000000000002"));
    assert_false(eq(VALUE_CLASS_FLOAT, "-0", "0"));
    assert_true(value_equal(VALUE_CLASS_FLOAT, "1.0", 3, "1.0000001", 9, 1e-6));
    assert_false(value_equal(VALUE_CLASS_FLOAT, "1.0", 3, "1.01", 4, 1e-6));
}

static void
test_json(void **state)
{
    (void) state;
    assert_true(eq(VALUE_CLASS_JSON, "{\"b\": 1, \"a\": [1,2]}", "{\"a\": [1, 2], \"b\": 1}"));
    assert_true(eq(VALUE_CLASS_JSON, "1.0", "1"));
    assert_false(eq(VALUE_CLASS_JSON, "{\"a\": [1, 2]}", "{\"a\": [2, 1]}"));
    assert_false(eq(VALUE_CLASS_JSON, "{\"a\": null}", "{}"));
    assert_false(eq(VALUE_CLASS_JSON, "\"1\"", "1"));
}

static void
test_timestamps(void **state)
{
    (void) state;
    assert_true(eq(VALUE_CLASS_TIMESTAMP, "2024-01-01 10:00:00.500+00", "2024-01-01 12:00:00.5+02"));
    assert_true(eq(VALUE_CLASS_TIMESTAMP, "2024-01-01 10:00:00", "2024-01-01 10:00:00.000000"));
    assert_false(eq(VALUE_CLASS_TIMESTAMP, "2024-01-01 10:00:00.000001", "2024-01-01 10:00:00"));
    assert_true(eq(VALUE_CLASS_TIMESTAMP, "2024-01-01 05:30:00-04:30", "2024-01-01 10:00:00+00"));
}

/* MySQL's SET: members in any order, written once each. */
static void
test_sets(void **state)
{
    (void) state;
    assert_true(eq(VALUE_CLASS_SET, "{Trailers,\"Deleted Scenes\"}", "{\"Deleted Scenes\",Trailers}"));
    assert_true(eq(VALUE_CLASS_SET, "{}", "{}"));
    assert_true(eq(VALUE_CLASS_SET, "{a,a,b}", "{b,a}"));
    assert_false(eq(VALUE_CLASS_SET, "{a,b}", "{a}"));
    assert_false(eq(VALUE_CLASS_SET, "{a}", "{}"));
    assert_false(eq(VALUE_CLASS_SET, "{\"a,b\"}", "{a,b}"));
    assert_true(eq(VALUE_CLASS_SET, "{\"q\\\"x\",y}", "{y,\"q\\\"x\"}"));
    assert_false(eq(VALUE_CLASS_SET, "a,b", "b,a"));
}

/* MySQL's TIME (to -838:59:59.000000) against PostgreSQL's interval, which prints no zero fraction. */
static void
test_durations(void **state)
{
    (void) state;
    assert_int_equal(value_class_of("interval"), VALUE_CLASS_DURATION);
    assert_true(eq(VALUE_CLASS_DURATION, "-838:59:59.000000", "-838:59:59"));
    assert_true(eq(VALUE_CLASS_DURATION, "838:59:59.000000", "838:59:59"));
    assert_true(eq(VALUE_CLASS_DURATION, "12:00:00.500000", "12:00:00.5"));
    assert_true(eq(VALUE_CLASS_DURATION, "00:00:00.000001", "00:00:00.000001"));
    assert_false(eq(VALUE_CLASS_DURATION, "-00:00:01", "00:00:01"));
    assert_false(eq(VALUE_CLASS_DURATION, "12:00:00.5", "12:00:00.05"));
    assert_false(eq(VALUE_CLASS_DURATION, "100:00:00", "10:00:00"));
    /* Days and months are PostgreSQL's own: compared as text. */
    assert_true(eq(VALUE_CLASS_DURATION, "1 day 02:00:00", "1 day 02:00:00"));
    assert_false(eq(VALUE_CLASS_DURATION, "1 day", "24:00:00"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes),    cmocka_unit_test(test_nulls_and_text), cmocka_unit_test(test_numeric),
        cmocka_unit_test(test_float),      cmocka_unit_test(test_json),           cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_durations),  cmocka_unit_test(test_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
