/*
 * test_mysql_literal.c: canonical text -> MySQL literal (engine/mysql/mysql_literal.h), the
 * writer side of failback: every MyValueKind, the forms PostgreSQL prints and their edges, what
 * must be refused (with nothing appended), and round trips through the forward conversions
 * (mysql_value.h's floats, BIT and SET; the binlog decoder's TIME2, DATETIME2 and TIMESTAMP2):
 * a value read from MySQL, written as canonical text and turned back into a literal names the
 * same value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <mysql.h>

#include "engine/mysql/mysql_literal.h"
#include "engine/mysql/mysql_rowimage.h"
#include "engine/mysql/mysql_value.h"

static char last_err[256];

/* The literal of text for col, or NULL (reason in last_err); checks that a refusal appends nothing. */
static char *
literal(const MyColumn *col, const char *text, size_t len)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, "x=");
    last_err[0] = '\0';
    if (mysql_literal_append(&sb, col, text, len, last_err, sizeof last_err) != 0) {
        if (sb.len != 2 || strcmp(sb.data, "x=") != 0)
            fail_msg("[%.*s] was refused (%s) but left [%s]", (int) len, text, last_err, sb.data);
        if (!last_err[0])
            fail_msg("[%.*s] was refused without a reason", (int) len, text);
        strbuf_free(&sb);
        return NULL;
    }
    char *out = strdup(sb.data + 2);
    strbuf_free(&sb);
    return out;
}

static void
expect_ok_n(const MyColumn *col, const char *text, size_t len, const char *want)
{
    char *got = literal(col, text, len);
    if (!got)
        fail_msg("[%.*s]: want %s, got error: %s", (int) len, text, want, last_err);
    if (strcmp(got, want) != 0)
        fail_msg("[%.*s]: want %s, got %s", (int) len, text, want, got);
    free(got);
}

static void
expect_ok(const MyColumn *col, const char *text, const char *want)
{
    expect_ok_n(col, text, strlen(text), want);
}

/* Refused, with a reason that contains why (case-sensitive). */
static void
expect_bad(const MyColumn *col, const char *text, const char *why)
{
    char *got = literal(col, text, strlen(text));
    if (got)
        fail_msg("[%s]: want a refusal (%s), got %s", text, why, got);
    if (!strstr(last_err, why))
        fail_msg("[%s]: the reason '%s' does not say '%s'", text, last_err, why);
}

#define COL(k) {.name = "c", .kind = (k)}

static void
test_bool_and_integers(void **state)
{
    (void) state;
    MyColumn b = COL(MYV_BOOL), i = COL(MYV_INT), u = COL(MYV_UINT), y = COL(MYV_YEAR);
    expect_ok(&b, "t", "1");
    expect_ok(&b, "f", "0");
    expect_bad(&b, "true", "boolean");
    expect_bad(&b, "1", "boolean");
    expect_bad(&b, "", "boolean");
    expect_ok(&i, "0", "0");
    expect_ok(&i, "-128", "-128");
    expect_ok(&i, "+5", "+5");
    expect_ok(&i, "-9223372036854775808", "-9223372036854775808");
    expect_ok(&u, "18446744073709551615", "18446744073709551615");
    expect_ok(&y, "2024", "2024");
    expect_ok(&y, "0", "0");
    expect_bad(&i, "1.5", "integer");
    expect_bad(&i, "1e3", "integer");
    expect_bad(&i, "", "integer");
    expect_bad(&i, "-", "integer");
    expect_bad(&i, "12a", "integer");
    expect_bad(&i, " 1", "integer");
    expect_bad(&i, "1; DROP TABLE t", "integer");
    expect_bad(&u, "0x10", "integer");
}

static void
test_numbers(void **state)
{
    (void) state;
    MyColumn d = COL(MYV_DECIMAL), f = COL(MYV_FLOAT), g = COL(MYV_DOUBLE);
    expect_ok(&d, "-0.50", "-0.50");
    expect_ok(&d, "12345", "12345");
    expect_ok(&d, "99999999999999999999999999999999999.999999999999999999999999999999",
              "99999999999999999999999999999999999.999999999999999999999999999999");
    expect_ok(&d, ".5", ".5");
    expect_ok(&d, "5.", "5.");
    expect_ok(&d, "-1.5E-3", "-1.5E-3");
    expect_bad(&d, "NaN", "NaN");
    expect_bad(&d, "Infinity", "infinities");
    expect_bad(&d, "-Infinity", "infinities");
    expect_bad(&d, ".", "not a number");
    expect_bad(&d, "1e", "not a number");
    expect_bad(&d, "--1", "not a number");
    expect_bad(&d, "1 ", "not a number");
    expect_bad(&d, "1,5", "not a number");
    expect_bad(&d, "1'", "not a number");

    /* A FLOAT is written as its exact value, a double literal. */
    expect_ok(&f, "1.1", "1.1000000238418579e0");
    expect_ok(&f, "100", "100e0");
    expect_ok(&f, "-0", "-0e0");
    expect_ok(&f, "3.4028235e+38", "3.4028234663852886e+38");
    expect_ok(&f, "1e-45", "1.4012984643248171e-45");
    expect_ok(&f, "0.1", "0.10000000149011612e0");
    expect_bad(&f, "NaN", "NaN");
    expect_bad(&f, "Infinity", "FLOAT");
    expect_bad(&f, "-Infinity", "FLOAT");
    expect_bad(&f, "1e39", "range");
    expect_bad(&f, "abc", "not a number");

    expect_ok(&g, "0.1", "0.1e0");
    expect_ok(&g, "0.30000000000000004", "0.30000000000000004e0");
    expect_ok(&g, "1e+300", "1e+300");
    expect_ok(&g, "-1.5e-05", "-1.5e-05");
    expect_ok(&g, "5e-324", "5e-324");
    expect_ok(&g, "-0", "-0e0");
    expect_bad(&g, "NaN", "DOUBLE");
    expect_bad(&g, "Infinity", "DOUBLE");
    expect_bad(&g, "1e400", "range");
}

static void
test_strings_and_bits(void **state)
{
    (void) state;
    MyColumn t = COL(MYV_TEXT), j = COL(MYV_JSON), bit = COL(MYV_BIT);
    expect_ok(&t, "it's", "'it''s'");
    expect_ok(&t, "''", "''''''");
    expect_ok(&t, "a\\b\\'", "'a\\b\\'''");       /* NO_BACKSLASH_ESCAPES: a backslash is itself */
    expect_ok(&t, "", "''");
    expect_ok(&t, "tab\there\nline\r", "'tab\there\nline\r'");
    expect_ok(&t, "ünïcode 😀 \"q\"", "'ünïcode 😀 \"q\"'");
    expect_ok_n(&t, "ab", 1, "'a'");            /* exactly len bytes */
    expect_ok(&j, "{\"a\": [1, \"it's\"]}", "'{\"a\": [1, \"it''s\"]}'");
    expect_ok(&bit, "0101", "b'0101'");
    expect_ok(&bit, "1", "b'1'");
    expect_ok(&bit, "", "b''");
    expect_bad(&bit, "012", "bit");
    expect_bad(&bit, "b'1'", "bit");
}

static void
test_bytes(void **state)
{
    (void) state;
    MyColumn b = COL(MYV_BYTES);
    expect_ok(&b, "\\x0a0B", "X'0a0b'");
    expect_ok(&b, "\\x", "X''");
    expect_ok(&b, "\\x00ff00", "X'00ff00'");
    expect_bad(&b, "\\x0", "hex");
    expect_bad(&b, "\\xzz", "hex");
    expect_bad(&b, "\\x0a'", "hex");
    /* The escape format, read defensively. */
    expect_ok(&b, "ab\\000\\\\", "X'6162005c'");
    expect_ok(&b, "\\377'", "X'ff27'");
    expect_ok(&b, "", "X''");
    expect_bad(&b, "a\\9", "backslash");
    expect_bad(&b, "a\\", "backslash");
    expect_bad(&b, "\\400", "backslash");
}

static void
test_dates(void **state)
{
    (void) state;
    MyColumn d = COL(MYV_DATE), dt = COL(MYV_DATETIME);
    expect_ok(&d, "2024-02-29", "'2024-02-29'");
    expect_ok(&d, "0001-01-01", "'0001-01-01'");
    expect_ok(&d, "9999-12-31", "'9999-12-31'");
    expect_bad(&d, "2023-02-29", "valid date");
    expect_bad(&d, "2024-13-01", "valid date");
    expect_bad(&d, "2024-01-00", "valid date");
    expect_bad(&d, "2024-01-02 BC", "BC");
    expect_bad(&d, "infinity", "infinite");
    expect_bad(&d, "-infinity", "infinite");
    expect_bad(&d, "10000-01-01", "9999");
    expect_bad(&d, "2024-1-2", "YYYY-MM-DD");
    expect_bad(&d, "2024-01-02 00:00:00", "date");
    expect_bad(&d, "", "date");

    expect_ok(&dt, "2024-01-02 03:04:05", "'2024-01-02 03:04:05'");
    expect_ok(&dt, "2024-01-02 03:04:05.5", "'2024-01-02 03:04:05.5'");
    expect_ok(&dt, "2024-01-02 23:59:59.123456", "'2024-01-02 23:59:59.123456'");
    expect_ok(&dt, "1000-01-01 00:00:00", "'1000-01-01 00:00:00'");
    expect_bad(&dt, "2024-01-02 03:04:05.1234567", "timestamp");
    expect_bad(&dt, "2024-01-02 03:04:05.", "timestamp");
    expect_bad(&dt, "2024-01-02 24:00:00", "time of day");
    expect_bad(&dt, "2024-01-02 23:60:00", "time of day");
    expect_bad(&dt, "2024-01-02T03:04:05", "timestamp");
    expect_bad(&dt, "2024-01-02", "timestamp");
    expect_bad(&dt, "2024-01-02 03:04:05 BC", "BC");
    expect_bad(&dt, "infinity", "infinite");
    expect_bad(&dt, "12024-01-02 03:04:05", "9999");
    /* A DATETIME mapped to timestamptz (--type-map) comes back with an offset: in UTC. */
    expect_ok(&dt, "2024-01-02 03:04:05+00", "'2024-01-02 03:04:05'");
}

static void
test_timestamps(void **state)
{
    (void) state;
    MyColumn ts = COL(MYV_TIMESTAMP);
    expect_ok(&ts, "2024-01-02 03:04:05.5+00", "'2024-01-02 03:04:05.5'");
    expect_ok(&ts, "2024-01-02 03:04:05+00:00", "'2024-01-02 03:04:05'");
    expect_ok(&ts, "2024-01-02 03:04:05", "'2024-01-02 03:04:05'");
    /* Other offsets are applied: the literal is UTC, as the session's time zone is. */
    expect_ok(&ts, "2024-01-02 03:04:05.5+05:30", "'2024-01-01 21:34:05.5'");
    expect_ok(&ts, "2024-01-02 03:04:05-08", "'2024-01-02 11:04:05'");
    expect_ok(&ts, "2024-01-01 01:00:00+02", "'2023-12-31 23:00:00'");
    expect_ok(&ts, "2024-03-01 00:30:00+01", "'2024-02-29 23:30:00'");
    expect_ok(&ts, "2023-12-31 23:30:00-01", "'2024-01-01 00:30:00'");
    expect_ok(&ts, "1970-01-01 00:09:21.000001+00:09:21", "'1970-01-01 00:00:00.000001'");
    expect_ok(&ts, "2100-02-28 23:00:00-01", "'2100-03-01 00:00:00'");
    expect_bad(&ts, "2024-01-02 03:04:05+5", "timestamp");
    expect_bad(&ts, "2024-01-02 03:04:05+05:60", "timestamp");
    expect_bad(&ts, "2024-01-02 03:04:05+00 BC", "BC");
    expect_bad(&ts, "-infinity", "infinite");
    expect_bad(&ts, "0001-01-01 00:00:00+01", "0001 to 9999");
    expect_bad(&ts, "9999-12-31 23:00:00-02", "0001 to 9999");
}

static void
test_times(void **state)
{
    (void) state;
    MyColumn t = COL(MYV_TIME);
    expect_ok(&t, "838:59:59", "'838:59:59'");
    expect_ok(&t, "-838:59:59", "'-838:59:59'");
    expect_ok(&t, "00:00:00", "'0:00:00'");
    expect_ok(&t, "-01:02:03.5", "'-1:02:03.5'");
    expect_ok(&t, "12:34:56.000001", "'12:34:56.000001'");
    expect_ok(&t, "-00:00:00.000001", "'-0:00:00.000001'");
    expect_ok(&t, "1 day 02:03:04", "'26:03:04'");
    expect_ok(&t, "3 days", "'72:00:00'");
    expect_ok(&t, "1 day", "'24:00:00'");
    expect_ok(&t, "-1 days +02:00:00", "'-22:00:00'");
    expect_ok(&t, "-1 days -02:00:00", "'-26:00:00'");
    expect_ok(&t, "1 day -02:00:00", "'22:00:00'");
    expect_ok(&t, "34 days 22:59:59.999999", "'838:59:59.999999'");
    expect_ok(&t, "-34 days -22:59:59", "'-838:59:59'");
    expect_ok(&t, "0 years 0 mons 2 days", "'48:00:00'");
    expect_bad(&t, "34 days 23:00:00", "TIME range");
    expect_bad(&t, "839:00:00", "TIME range");
    expect_bad(&t, "-839:00:00", "TIME range");
    expect_bad(&t, "100000000 days", "TIME range");
    expect_bad(&t, "1000000000000 days", "interval");
    expect_bad(&t, "1 mon", "months");
    expect_bad(&t, "1 year 2 mons", "months");
    expect_bad(&t, "-1 years", "months");
    expect_bad(&t, "1 hour", "interval");
    expect_bad(&t, "01:60:00", "interval");
    expect_bad(&t, "01:00:60", "interval");
    expect_bad(&t, "01:00", "interval");
    expect_bad(&t, "1:00:00.1234567", "interval");
    expect_bad(&t, "01:02:03 04:05:06", "interval");
    expect_bad(&t, "P1D", "interval");
    expect_bad(&t, "", "interval");
}

static char *set_labels[] = {"a", "b c", "", "NULL", "x\"y", "back\\slash"};

static void
test_enum_and_set(void **state)
{
    (void) state;
    char *labels[] = {"small", "Big one", "it's"};
    MyColumn e = {.name = "e", .kind = MYV_ENUM, .labels = labels, .nlabels = 3};
    MyColumn any_enum = COL(MYV_ENUM);
    expect_ok(&e, "small", "'small'");
    expect_ok(&e, "it's", "'it''s'");
    expect_bad(&e, "Small", "labels");
    expect_bad(&e, "", "labels");
    expect_ok(&any_enum, "whatever", "'whatever'");

    MyColumn s = {.name = "s", .kind = MYV_SET, .labels = set_labels, .nlabels = 6};
    MyColumn any_set = COL(MYV_SET);
    expect_ok(&s, "{}", "''");
    expect_ok(&s, "{a}", "'a'");
    expect_ok(&s, "{a,\"b c\"}", "'a,b c'");
    expect_ok(&s, "{\"b c\",a}", "'a,b c'");          /* in the SET's order, as MySQL prints it */
    expect_ok(&s, "{a,a}", "'a'");
    expect_ok(&s, "{\"x\\\"y\",\"back\\\\slash\"}", "'x\"y,back\\slash'");
    expect_ok(&s, "{\"NULL\",a}", "'a,NULL'");         /* quoted: the label, not a null */
    expect_ok(&s, "{\"\"}", "''");
    expect_bad(&s, "{a,z}", "labels");
    expect_bad(&s, "{NULL}", "NULL");
    expect_bad(&s, "{a,{b}}", "one-dimensional");
    expect_bad(&s, "[1:1]={a}", "one-dimensional");
    expect_bad(&s, "{a", "one-dimensional");
    expect_bad(&s, "{\"a}", "unterminated");
    expect_bad(&s, "{a,}", "empty");
    expect_bad(&s, "{\"a\"b}", "one-dimensional");
    expect_ok(&any_set, "{x,y}", "'x,y'");
    expect_ok(&any_set, "{y,x}", "'y,x'");
    expect_bad(&any_set, "{\"x,y\"}", "comma");
    expect_bad(&any_set, "{null}", "NULL");
}

static void
test_unknown_kind(void **state)
{
    (void) state;
    MyColumn odd = {.name = "c", .kind = (MyValueKind) 99};
    expect_bad(&odd, "1", "cannot write");
}

/* ---------------------------------------------------------------------------------------------
 * Round trips through the forward conversions.
 */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t
rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* What the server reads a FLOAT/DOUBLE literal as: a double (strtod), narrowed for a FLOAT. */
static double
read_literal(const char *lit)
{
    char *end;
    double d = strtod(lit, &end);
    if (*end)
        fail_msg("literal %s is not a plain number", lit);
    return d;
}

static void
float_round_trip(float x)
{
    char canonical[64];
    mysql_value_format_float(x, true, canonical, sizeof canonical);
    MyColumn f = COL(MYV_FLOAT);
    char *lit = literal(&f, canonical, strlen(canonical));
    if (!lit)
        fail_msg("float %a (%s): %s", (double) x, canonical, last_err);
    float back = (float) read_literal(lit);
    if (memcmp(&back, &x, sizeof x) != 0)
        fail_msg("float %a: canonical %s, literal %s reads back as %a", (double) x, canonical, lit, (double) back);
    free(lit);
}

static void
double_round_trip(double x)
{
    char canonical[64];
    mysql_value_format_float(x, false, canonical, sizeof canonical);
    MyColumn g = COL(MYV_DOUBLE);
    char *lit = literal(&g, canonical, strlen(canonical));
    if (!lit)
        fail_msg("double %a (%s): %s", x, canonical, last_err);
    double back = read_literal(lit);
    if (memcmp(&back, &x, sizeof x) != 0)
        fail_msg("double %a: canonical %s, literal %s reads back as %a", x, canonical, lit, back);
    free(lit);
}

static void
test_round_trip_floats(void **state)
{
    (void) state;
    const float fs[] = {0.0f, -0.0f, 1.1f, 0.1f, 16777216.0f, 3.4028234663852886e38f, 1.17549435e-38f,
                        1e-45f, -2.5f, 123456.7f};
    for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++)
        float_round_trip(fs[i]);
    const double ds[] = {0.0, -0.0, 0.1, 0.1 + 0.2, 1e300, 5e-324, 2.2250738585072014e-308, -1.5e-5,
                         1.7976931348623157e308};
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++)
        double_round_trip(ds[i]);
    for (int i = 0; i < 20000; i++) {
        uint32_t u = (uint32_t) rng();
        float f;
        memcpy(&f, &u, sizeof f);
        if (isfinite(f))
            float_round_trip(f);
        uint64_t v = rng();
        double d;
        memcpy(&d, &v, sizeof d);
        if (isfinite(d))
            double_round_trip(d);
    }
}

static void
test_round_trip_set_and_bits(void **state)
{
    (void) state;
    MyColumn s = {.name = "s", .kind = MYV_SET, .labels = set_labels, .nlabels = 6};
    for (uint64_t mask = 0; mask < 64; mask++) {
        StrBuf canonical, want;
        strbuf_init(&canonical);
        strbuf_init(&want);
        assert_int_equal(mysql_value_set_literal(&canonical, &s, mask), 0);
        strbuf_append_char(&want, '\'');
        bool first = true;
        for (size_t i = 0; i < 6; i++) {
            if (!(mask & (1u << i)))
                continue;
            strbuf_appendf(&want, "%s%s", first ? "" : ",", set_labels[i]);
            first = false;
        }
        strbuf_append_char(&want, '\'');
        expect_ok(&s, canonical.data, want.data);
        strbuf_free(&canonical);
        strbuf_free(&want);
    }
    MyColumn bit = COL(MYV_BIT);
    for (int i = 0; i < 200; i++) {
        uint64_t v = rng();
        unsigned char bytes[8];
        for (int k = 0; k < 8; k++)
            bytes[k] = (unsigned char) (v >> (8 * (7 - k)));
        int nbits = 1 + (int) (rng() % 64);
        char bits[65], want[70];
        mysql_value_bits(bits, bytes, 8, nbits);
        bits[nbits] = '\0';
        snprintf(want, sizeof want, "b'%s'", bits);
        expect_ok(&bit, bits, want);
        /* The literal's value is the number the bytes hold (its low nbits). */
        uint64_t back = strtoull(bits, NULL, 2);
        uint64_t low = nbits == 64 ? v : v & ((UINT64_C(1) << nbits) - 1);
        assert_true(back == low);
    }
}

/* Decodes one binlog value (a hand-built row image of one column) to its canonical text. */
static char *
decode_one(uint8_t type, uint8_t fsp, MyValueKind kind, const uint8_t *value, size_t len)
{
    RowImageTable t;
    char msg[256];
    uint8_t meta = fsp;
    if (rowimage_table_init(&t, &type, 1, &meta, 1, msg, sizeof msg) != 0)
        fail_msg("table: %s", msg);
    uint8_t img[16] = {0};
    memcpy(img + 1, value, len);
    const uint8_t *p = img, present = 1;
    RowArena *arena = rowarena_new();
    MyColumn col = {.name = "c", .kind = kind, .scale = fsp};
    ChangeValue v;
    RowImageError err;
    if (rowimage_decode(&t, &col, &present, &p, img + 1 + len, arena, &v, &err) != 0)
        fail_msg("decode: %s", err.message);
    char *text = strndup(v.data, v.len);
    rowarena_free(arena);
    rowimage_table_free(&t);
    return text;
}

static void
put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t) (v >> (8 * (n - 1 - i)));
}

/* TIME(6) [-]h:m:s.us: the binlog's TIME2 -> canonical -> literal names the same time. */
static void
time_round_trip(bool neg, unsigned h, unsigned m, unsigned s, unsigned us, const char *want)
{
    int64_t packed = (int64_t) ((((uint64_t) h << 12 | m << 6 | s) << 24) | us);
    if (neg)
        packed = -packed;
    uint8_t b[6];
    put_be(b, (uint64_t) (packed + INT64_C(0x800000000000)), 6);
    char *canonical = decode_one(MYSQL_TYPE_TIME2, 6, MYV_TIME, b, 6);
    MyColumn t = COL(MYV_TIME);
    expect_ok(&t, canonical, want);
    free(canonical);
}

static void
test_round_trip_temporal(void **state)
{
    (void) state;
    time_round_trip(false, 838, 59, 59, 0, "'838:59:59'");
    time_round_trip(true, 838, 59, 59, 0, "'-838:59:59'");
    time_round_trip(false, 0, 0, 0, 0, "'0:00:00'");
    time_round_trip(true, 1, 2, 3, 500000, "'-1:02:03.5'");
    time_round_trip(true, 0, 0, 0, 1, "'-0:00:00.000001'");
    time_round_trip(false, 100, 0, 1, 123456, "'100:00:01.123456'");

    /* DATETIME(6) 2024-02-29 13:05:09.120000. */
    uint64_t ymd = ((uint64_t) 2024 * 13 + 2) << 5 | 29, hms = 13 << 12 | 5 << 6 | 9;
    uint8_t dt[8];
    put_be(dt, (ymd << 17 | hms) + UINT64_C(0x8000000000), 5);
    put_be(dt + 5, 120000, 3);
    char *canonical = decode_one(MYSQL_TYPE_DATETIME2, 6, MYV_DATETIME, dt, 8);
    MyColumn c = COL(MYV_DATETIME);
    expect_ok(&c, canonical, "'2024-02-29 13:05:09.120000'");
    free(canonical);

    /* TIMESTAMP(3) 2038-01-19 03:14:07.5 UTC, printed "+00". */
    uint8_t ts[6];
    put_be(ts, 2147483647u, 4);
    put_be(ts + 4, 5000, 2);
    canonical = decode_one(MYSQL_TYPE_TIMESTAMP2, 3, MYV_TIMESTAMP, ts, 6);
    assert_string_equal(canonical, "2038-01-19 03:14:07.500+00");
    MyColumn tz = COL(MYV_TIMESTAMP);
    expect_ok(&tz, canonical, "'2038-01-19 03:14:07.500'");
    free(canonical);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bool_and_integers),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_strings_and_bits),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_enum_and_set),
        cmocka_unit_test(test_unknown_kind),
        cmocka_unit_test(test_round_trip_floats),
        cmocka_unit_test(test_round_trip_set_and_bits),
        cmocka_unit_test(test_round_trip_temporal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
