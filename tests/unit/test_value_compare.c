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

/* An interval holding a MySQL TIME: PostgreSQL writes days where MySQL has hours. */
static void
test_hours(void **state)
{
    (void) state;
    assert_true(eq(VALUE_CLASS_HOURS, "26:03:04", "1 day 02:03:04"));
    assert_true(eq(VALUE_CLASS_HOURS, "-22:00:00.000000", "-1 days +02:00:00"));
    assert_true(eq(VALUE_CLASS_HOURS, "-26:00:00", "-1 days -02:00:00"));
    assert_true(eq(VALUE_CLASS_HOURS, "838:59:59.999999", "34 days 22:59:59.999999"));
    assert_true(eq(VALUE_CLASS_HOURS, "24:00:00", "1 day"));
    assert_true(eq(VALUE_CLASS_HOURS, "-838:59:59.000000", "-838:59:59"));
    assert_false(eq(VALUE_CLASS_HOURS, "25:00:00", "1 day"));
    assert_false(eq(VALUE_CLASS_HOURS, "720:00:00", "1 mon"));
    assert_false(eq(VALUE_CLASS_HOURS, "02:00:00", "1 day 02:00:00"));
    /* PostgreSQL's own intervals keep days apart from hours. */
    assert_false(eq(VALUE_CLASS_DURATION, "24:00:00", "1 day"));
}

/*
 * Every row of the MySQL type table (src/engine/mysql/mysql_types.c,
 * type_rules): the text godwit's MySQL reader gives for a value (as the
 * server prints it, converted as the copy converts it) against the text
 * PostgreSQL prints for the same value of the mapped type; then one value
 * that differs.  Each pair is checked by value_equal and by the canonical
 * texts that keys and rows without a key are matched by.
 */
typedef struct Pair {
    const char *mysql_type;
    ValueClass cls;
    const char *mysql;
    const char *pg;
    bool equal;
} Pair;

static const Pair mapping_pairs[] = {
    {"tinyint(1) -> boolean", VALUE_CLASS_EXACT, "t", "t", true},
    {"tinyint(1) -> boolean", VALUE_CLASS_EXACT, "t", "f", false},
    {"tinyint -> smallint", VALUE_CLASS_NUMERIC, "-128", "-128", true},
    {"tinyint unsigned -> smallint", VALUE_CLASS_NUMERIC, "255", "255", true},
    {"smallint unsigned -> integer", VALUE_CLASS_NUMERIC, "65535", "65534", false},
    {"mediumint -> integer", VALUE_CLASS_NUMERIC, "-8388608", "-8388608", true},
    {"int unsigned -> bigint", VALUE_CLASS_NUMERIC, "4294967295", "4294967295", true},
    {"bigint -> bigint", VALUE_CLASS_NUMERIC, "-9223372036854775808", "-9223372036854775808", true},
    {"bigint unsigned -> numeric(20,0)", VALUE_CLASS_NUMERIC, "18446744073709551615", "18446744073709551615", true},
    {"bigint unsigned -> numeric(20,0)", VALUE_CLASS_NUMERIC, "18446744073709551615", "18446744073709551614", false},
    {"decimal(65,30) -> numeric(65,30)", VALUE_CLASS_NUMERIC, "-0.000000000000000000000000000000", "0", true},
    {"decimal(10,2) -> numeric(10,2)", VALUE_CLASS_NUMERIC, "1.50", "1.5", true},
    {"decimal(10,2) -> numeric(10,2)", VALUE_CLASS_NUMERIC, "1.50", "1.05", false},
    {"float -> real", VALUE_CLASS_FLOAT, "3.4028235e38", "3.4028235e+38", true},
    {"float -> real", VALUE_CLASS_FLOAT, "1e-45", "1e-45", true},
    {"float -> real", VALUE_CLASS_FLOAT, "-0", "0", false},
    {"double -> double precision", VALUE_CLASS_FLOAT, "1e308", "1e+308", true},
    {"double -> double precision", VALUE_CLASS_FLOAT, "5e-324", "4.9406564584124654e-324", true},
    {"double -> double precision", VALUE_CLASS_FLOAT, "0.1", "0.10000000000000002", false},
    {"bit(10) -> bit(10)", VALUE_CLASS_EXACT, "0101010101", "0101010101", true},
    {"bit(10) -> bit(10)", VALUE_CLASS_EXACT, "0101010101", "1101010101", false},
    {"char(10) -> character(10)", VALUE_CLASS_PADDED, " a", " a        ", true},
    {"char(10) -> character(10)", VALUE_CLASS_PADDED, "a", " a        ", false},
    {"varchar(300) -> character varying(300)", VALUE_CLASS_EXACT, "it's \"q\" \\ \xf0\x9f\x98\x80",
     "it's \"q\" \\ \xf0\x9f\x98\x80", true},
    {"text (latin1) -> text", VALUE_CLASS_EXACT, "\xc3\x86tna", "\xc3\x86tna", true},
    {"text -> text", VALUE_CLASS_EXACT, "ab", "ab ", false},
    {"binary(4) -> bytea", VALUE_CLASS_EXACT, "\\x00ff0000", "\\x00ff0000", true},
    {"blob -> bytea", VALUE_CLASS_EXACT, "\\x5c78", "\\x5c79", false},
    {"date -> date", VALUE_CLASS_EXACT, "9999-12-31", "9999-12-31", true},
    {"datetime(6) -> timestamp(6) without time zone", VALUE_CLASS_TIMESTAMP, "2024-02-29 13:05:09.120000",
     "2024-02-29 13:05:09.12", true},
    {"datetime -> timestamp(0) without time zone", VALUE_CLASS_TIMESTAMP, "1000-01-01 00:00:00",
     "1000-01-01 00:00:00", true},
    {"datetime(6) -> timestamp(6) without time zone", VALUE_CLASS_TIMESTAMP, "2000-01-01 00:00:00.999999",
     "2000-01-01 00:00:01", false},
    {"timestamp(6) -> timestamp(6) with time zone", VALUE_CLASS_TIMESTAMP, "2024-06-01 06:30:00.500000+00",
     "2024-06-01 12:00:00.5+05:30", true},
    {"timestamp -> timestamp(0) with time zone", VALUE_CLASS_TIMESTAMP, "2038-01-19 03:14:07+00",
     "2038-01-19 03:14:07+00", true},
    {"time -> interval", VALUE_CLASS_HOURS, "838:59:59", "838:59:59", true},
    {"time(6) -> interval", VALUE_CLASS_HOURS, "-838:59:59.000000", "-838:59:59", true},
    {"time -> interval", VALUE_CLASS_HOURS, "26:03:04", "1 day 02:03:04", true},
    {"time(6) -> interval", VALUE_CLASS_HOURS, "-00:00:00.000001", "-00:00:00.000001", true},
    {"time -> interval", VALUE_CLASS_HOURS, "-00:00:01", "00:00:01", false},
    {"year -> smallint", VALUE_CLASS_NUMERIC, "2155", "2155", true},
    {"year -> smallint", VALUE_CLASS_NUMERIC, "0", "2000", false},
    {"enum -> its enum type", VALUE_CLASS_EXACT, "c'q", "c'q", true},
    {"enum -> its enum type", VALUE_CLASS_EXACT, "a", "b b", false},
    {"set -> text[]", VALUE_CLASS_SET, "{x,\"y z\",\"NULL\"}", "{\"NULL\",x,\"y z\"}", true},
    {"set -> text[]", VALUE_CLASS_SET, "{\"w\\\"q\",\"\"}", "{\"\",\"w\\\"q\"}", true},
    {"set -> text[]", VALUE_CLASS_SET, "{}", "{\"\"}", false},
    {"json -> jsonb", VALUE_CLASS_JSON, "{\"k\\\"q\": \"it's\", \"a\": [1, 2.5, null, true]}",
     "{\"a\": [1, 2.5, null, true], \"k\\\"q\": \"it's\"}", true},
    {"json -> jsonb", VALUE_CLASS_JSON, "[1, [2, [3, {}]]]", "[1, [2, [3, {}]]]", true},
    {"json -> jsonb", VALUE_CLASS_JSON, "{\"n\": 1.0}", "{\"n\": 1}", true},
    {"json -> jsonb", VALUE_CLASS_JSON, "\"4\"", "4", false},
};

static bool
canonical_same(ValueClass cls, const char *a, const char *b)
{
    StrBuf x, y;
    strbuf_init(&x);
    strbuf_init(&y);
    value_canonical(cls, a, strlen(a), &x);
    value_canonical(cls, b, strlen(b), &y);
    bool same = x.len == y.len && memcmp(x.data ? x.data : "", y.data ? y.data : "", x.len) == 0;
    strbuf_free(&x);
    strbuf_free(&y);
    return same;
}

static void
test_mysql_mapping_pairs(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof mapping_pairs / sizeof *mapping_pairs; i++) {
        const Pair *p = &mapping_pairs[i];
        if (eq(p->cls, p->mysql, p->pg) != p->equal || canonical_same(p->cls, p->mysql, p->pg) != p->equal)
            fail_msg("%s: MySQL '%s' against PostgreSQL '%s': expected %s (value_equal %d, canonical %d)",
                     p->mysql_type, p->mysql, p->pg, p->equal ? "equal" : "different",
                     eq(p->cls, p->mysql, p->pg), canonical_same(p->cls, p->mysql, p->pg));
    }
}

/* Canonical timestamps keep the order of the instants: merged keys stay in the servers' order. */
static void
test_canonical_order(void **state)
{
    (void) state;
    StrBuf a, b;
    strbuf_init(&a);
    strbuf_init(&b);
    value_canonical(VALUE_CLASS_TIMESTAMP, "2024-01-01 10:00:00", 19, &a);
    value_canonical(VALUE_CLASS_TIMESTAMP, "2024-01-01 10:00:00.5", 21, &b);
    assert_string_equal(a.data, "2024-01-01 10:00:00.000000");
    assert_true(strcmp(a.data, b.data) < 0);
    strbuf_reset(&a);
    value_canonical(VALUE_CLASS_TIMESTAMP, "1969-12-31 23:59:59.5+00", 24, &a);
    assert_string_equal(a.data, "1969-12-31 23:59:59.500000");
    strbuf_reset(&a);
    value_canonical(VALUE_CLASS_PADDED, "k105  ", 6, &a);
    assert_string_equal(a.data, "k105");
    strbuf_free(&a);
    strbuf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes),    cmocka_unit_test(test_nulls_and_text), cmocka_unit_test(test_numeric),
        cmocka_unit_test(test_float),      cmocka_unit_test(test_json),           cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_durations),  cmocka_unit_test(test_sets),           cmocka_unit_test(test_hours),
        cmocka_unit_test(test_mysql_mapping_pairs), cmocka_unit_test(test_canonical_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
