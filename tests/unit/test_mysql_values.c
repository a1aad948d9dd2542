/*
 * test_mysql_values.c: the MySQL engine's pure parts: URLs, canonical value
 * forms (floats, dates, BIT, SET), ENUM/SET label parsing, --type-map type
 * names, source options and PostgreSQL identifier spelling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/mysql/mysql_internal.h"
#include "engine/mysql/mysql_names.h"
#include "engine/mysql/mysql_types.h"
#include "engine/mysql/mysql_url.h"
#include "engine/mysql/mysql_value.h"

static void
test_url(void **state)
{
    (void) state;
    MyUrl u;
    char err[256];
    assert_int_equal(mysql_url_parse("mysql://bob:p%40ss:w@db.example:3307/shop?connect_timeout=5", &u, err, sizeof err), 0);
    assert_string_equal(u.user, "bob");
    assert_string_equal(u.password, "p@ss:w");
    assert_string_equal(u.host, "db.example");
    assert_int_equal(u.port, 3307);
    assert_string_equal(u.database, "shop");
    assert_int_equal(u.connect_timeout, 5);
    mysql_url_free(&u);

    assert_int_equal(mysql_url_parse("mariadb://[::1]:3306/My%20DB", &u, err, sizeof err), 0);
    assert_string_equal(u.host, "::1");
    assert_string_equal(u.database, "My DB");
    assert_null(u.user);
    mysql_url_free(&u);

    assert_int_equal(mysql_url_parse("mysql:///?socket=/tmp/my.sock", &u, err, sizeof err), 0);
    assert_string_equal(u.host, "localhost");
    assert_string_equal(u.socket, "/tmp/my.sock");
    assert_null(u.database);
    mysql_url_free(&u);

    assert_int_equal(mysql_url_parse("mysql://u:secret@h:99999/db", &u, err, sizeof err), -1);
    assert_non_null(strstr(err, "port"));
    assert_null(strstr(err, "secret"));
    assert_int_equal(mysql_url_parse("mysql://u:sec%zzret@h/db", &u, err, sizeof err), -1);
    assert_null(strstr(err, "sec"));
    assert_int_equal(mysql_url_parse("mysql://h/db?sslmode=x", &u, err, sizeof err), -1);
    assert_non_null(strstr(err, "sslmode"));
    assert_int_equal(mysql_url_parse("postgres://h/db", &u, err, sizeof err), -1);

    /* TLS in the client's terms, '-' or '_'. */
    assert_int_equal(mysql_url_parse("mysql://h/db?ssl-mode=verify_identity&ssl_ca=/c/ca.pem&ssl-cert=/c/a.pem"
                                     "&ssl-key=/c/a.key&ssl-capath=/c",
                                     &u, err, sizeof err), 0);
    assert_int_equal(u.ssl_mode, MY_SSL_VERIFY_IDENTITY);
    assert_string_equal(u.ssl_ca, "/c/ca.pem");
    assert_string_equal(u.ssl_cert, "/c/a.pem");
    assert_string_equal(u.ssl_key, "/c/a.key");
    assert_string_equal(u.ssl_capath, "/c");
    mysql_url_free(&u);
    /* Options in any order, each given once or more: the last wins, nothing is lost or freed twice. */
    assert_int_equal(mysql_url_parse("mysql://h/db?ssl-ca=/a&socket=/s&ssl_ca=/b&socket=/t", &u, err, sizeof err), 0);
    assert_string_equal(u.ssl_ca, "/b");
    assert_string_equal(u.socket, "/t");
    mysql_url_free(&u);
    assert_int_equal(mysql_url_parse("mysql://h/db?ssl=1", &u, err, sizeof err), 0);
    assert_int_equal(u.ssl_mode, MY_SSL_REQUIRED);
    mysql_url_free(&u);
    assert_int_equal(mysql_url_parse("mysql://h/db?SSL_MODE=Disabled", &u, err, sizeof err), 0);
    assert_int_equal(u.ssl_mode, MY_SSL_DISABLED);
    mysql_url_free(&u);
    assert_int_equal(mysql_url_parse("mysql://h/db?ssl-mode=sometimes", &u, err, sizeof err), -1);
    assert_non_null(strstr(err, "ssl-mode must be"));
    assert_int_equal(mysql_url_parse("mysql://h/db?ssl=yes", &u, err, sizeof err), -1);
}

/* The reference: the fewest digits from 1 up, as the binlog decoder searches them. */
static void
reference_shortest(double x, bool single, char *out, size_t cap)
{
    char e[40];
    for (int n = 1; n <= (single ? 9 : 17); n++) {
        snprintf(e, sizeof e, "%.*e", n - 1, x);
        if (single ? strtof(e, NULL) == (float) x : strtod(e, NULL) == x)
            break;
    }
    /* Only the digits and the exponent are compared: the layout is the same function. */
    double back = strtod(e, NULL);
    snprintf(out, cap, "%.17g", back);
}

static void
check_float(double x, bool single, const char *want)
{
    char buf[48];
    mysql_value_format_float(x, single, buf, sizeof buf);
    assert_string_equal(buf, want);
}

static void
test_float_format(void **state)
{
    (void) state;
    check_float((float) 1.2345678, true, "1.2345678");
    check_float(FLT_MAX, true, "3.4028235e+38");
    check_float(-FLT_MAX, true, "-3.4028235e+38");
    check_float(1e-45f, true, "1e-45");
    check_float(0.0f, true, "0");
    check_float(-0.0f, true, "-0");
    check_float(0.1f, true, "0.1");
    check_float(123456.0f, true, "123456");
    check_float(1234567.0f, true, "1.234567e+06");
    check_float(0.0001f, true, "0.0001");
    check_float(0.00001f, true, "1e-05");
    check_float(0.1, false, "0.1");
    check_float(0.1 + 0.2, false, "0.30000000000000004");
    check_float(DBL_MAX, false, "1.7976931348623157e+308");
    check_float(4.9e-324, false, "5e-324");
    check_float(123456789012345.0, false, "123456789012345");
    check_float(1234567890123456.0, false, "1.234567890123456e+15");
    check_float(NAN, false, "NaN");
    check_float(-INFINITY, true, "-Infinity");
}

/* The fast search gives the same digits as a search from one digit, for random floats and doubles. */
static void
test_float_shortest_random(void **state)
{
    (void) state;
    srand(12345);
    for (int i = 0; i < 200000; i++) {
        uint64_t bits = ((uint64_t) rand() << 42) ^ ((uint64_t) rand() << 21) ^ (uint64_t) rand();
        bool single = i % 2 == 0;
        double x;
        if (single) {
            uint32_t b32 = (uint32_t) bits;
            float f;
            memcpy(&f, &b32, sizeof f);
            x = f;
        } else {
            memcpy(&x, &bits, sizeof x);
        }
        if (isnan(x) || isinf(x))
            continue;
        char got[48], want[48];
        mysql_value_format_float(x, single, got, sizeof got);
        reference_shortest(x, single, want, sizeof want);
        char again[48];
        snprintf(again, sizeof again, "%.17g", strtod(got, NULL));
        if (strcmp(again, want) != 0)
            fail_msg("%.17g (%s): got %s, reference %s", x, single ? "float" : "double", got, want);
        if (single ? strtof(got, NULL) != (float) x : strtod(got, NULL) != x)
            fail_msg("%.17g does not round-trip through %s", x, got);
    }
}

static void
test_dates(void **state)
{
    (void) state;
    assert_int_equal(mysql_value_check_date("2024-02-29", 10), MYDATE_OK);
    assert_int_equal(mysql_value_check_date("2023-02-29 00:00:00", 19), MYDATE_INVALID);
    assert_int_equal(mysql_value_check_date("2024-04-31", 10), MYDATE_INVALID);
    assert_int_equal(mysql_value_check_date("0000-00-00 00:00:00", 19), MYDATE_ZERO);
    assert_int_equal(mysql_value_check_date("2020-00-15", 10), MYDATE_ZERO);
    assert_int_equal(mysql_value_check_date("2020-05-00", 10), MYDATE_ZERO);
    assert_int_equal(mysql_value_check_date("0000-01-01", 10), MYDATE_ZERO);
    assert_int_equal(mysql_value_check_date("9999-12-31 23:59:59.999999", 26), MYDATE_OK);
    assert_int_equal(mysql_value_check_date("1900-02-29", 10), MYDATE_INVALID);
    assert_int_equal(mysql_value_check_date("2000-02-29", 10), MYDATE_OK);
    assert_int_equal(mysql_value_check_date("20x0-01-01", 10), MYDATE_INVALID);
}

static void
test_bits(void **state)
{
    (void) state;
    char out[80];
    const unsigned char v10[] = {0x02, 0xAA};
    mysql_value_bits(out, v10, 2, 10);
    assert_memory_equal(out, "1010101010", 10);
    const unsigned char v1[] = {0x01};
    mysql_value_bits(out, v1, 1, 1);
    assert_memory_equal(out, "1", 1);
    const unsigned char v64[] = {0x80, 0, 0, 0, 0, 0, 0, 0x01};
    mysql_value_bits(out, v64, 8, 64);
    assert_memory_equal(out, "1000000000000000000000000000000000000000000000000000000000000001", 64);
}

static void
test_set_literal(void **state)
{
    (void) state;
    char *labels[] = {"x", "y z", "NULL", "{br}", "w\"q", "", "a\\b", "null"};
    MyColumn col = {.kind = MYV_SET, .labels = labels, .nlabels = 8};
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(mysql_value_set_literal(&sb, &col, 0), 0);
    assert_string_equal(sb.data, "{}");
    strbuf_reset(&sb);
    assert_int_equal(mysql_value_set_literal(&sb, &col, 0xFF), 0);
    assert_string_equal(sb.data, "{x,\"y z\",\"NULL\",\"{br}\",\"w\\\"q\",\"\",\"a\\\\b\",\"null\"}");
    strbuf_reset(&sb);
    assert_int_equal(mysql_value_set_literal(&sb, &col, 0x100), -1);
    strbuf_free(&sb);
}

static void
test_labels(void **state)
{
    (void) state;
    char **labels;
    size_t n;
    assert_int_equal(mysql_parse_labels("enum('a''b','c\\\\d','x,y','','é')", &labels, &n), 0);
    assert_int_equal(n, 5);
    assert_string_equal(labels[0], "a'b");
    assert_string_equal(labels[1], "c\\d");
    assert_string_equal(labels[2], "x,y");
    assert_string_equal(labels[3], "");
    assert_string_equal(labels[4], "é");
    for (size_t i = 0; i < n; i++)
        free(labels[i]);
    free(labels);
    assert_int_equal(mysql_parse_labels("set('unterminated", &labels, &n), -1);
    for (size_t i = 0; i < n; i++)
        free(labels[i]);
    free(labels);
}

static void
check_type(const char *in, const char *want, uint32_t want_oid)
{
    uint32_t oid = 0;
    char *got = mysql_pg_type_normalize(in, &oid);
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    assert_int_equal(oid, want_oid);
    free(got);
}

static void
test_type_names(void **state)
{
    (void) state;
    check_type("int4", "integer", 23);
    check_type("  SmallInt ", "smallint", 21);
    check_type("varchar(20)", "character varying(20)", 1043);
    check_type("character varying ( 20 )", "character varying(20)", 1043);
    check_type("numeric(10)", "numeric(10,0)", 1700);
    check_type("decimal(10, 2)", "numeric(10,2)", 1700);
    check_type("timestamptz(3)", "timestamp(3) with time zone", 1184);
    check_type("timestamp(3) with time zone", "timestamp(3) with time zone", 1184);
    check_type("timestamp", "timestamp without time zone", 1114);
    check_type("double precision", "double precision", 701);
    check_type("text[]", "text[]", 1009);
    check_type("bool", "boolean", 16);
    check_type("tinyint", NULL, 0);
    check_type("integer(4)", NULL, 0);
    check_type("varchar(abc)", NULL, 0);
    check_type("int; drop table x", NULL, 0);
}

static void
test_options(void **state)
{
    (void) state;
    MyOptions o;
    char err[128];
    assert_int_equal(mysql_options_parse("{\"zero_dates\":\"null\",\"unsigned_bigint\":\"int8\","
                                         "\"type_map\":{\"d.t.c\":\"text\"}}", &o, err, sizeof err), 0);
    assert_true(o.zero_dates_null);
    assert_true(o.unsigned_int8);
    assert_int_equal(o.nmap, 1);
    assert_string_equal(o.map_keys[0], "d.t.c");
    mysql_options_free(&o);
    assert_int_equal(mysql_options_parse("{\"zero_dates\":\"maybe\"}", &o, err, sizeof err), -1);
    assert_int_equal(mysql_options_parse("[1]", &o, err, sizeof err), -1);
}

static void
test_type_map(void **state)
{
    (void) state;
    MyOptions opts = {0};
    MyColumnSource src = {.schema = "d", .table = "t", .name = "c", .data_type = "bigint",
                          .column_type = "bigint(20) unsigned", .char_length = -1, .precision = 20, .scale = 0,
                          .fsp = -1};
    MyColumn col = {0};
    MyPgType pg;
    assert_int_equal(mysql_type_map(&src, &opts, &col, &pg), 0);
    assert_int_equal(col.kind, MYV_UINT);
    assert_string_equal(pg.type_sql, "numeric(20,0)");
    assert_false(col.int8_checked);
    mysql_pg_type_free(&pg);
    opts.unsigned_int8 = true;
    assert_int_equal(mysql_type_map(&src, &opts, &col, &pg), 0);
    assert_string_equal(pg.type_sql, "bigint");
    assert_true(col.int8_checked);
    mysql_pg_type_free(&pg);

    MyColumnSource b = {.schema = "d", .table = "t", .name = "flag", .data_type = "tinyint",
                        .column_type = "tinyint(1)", .char_length = -1, .precision = 3, .scale = 0, .fsp = -1};
    char *keys[] = {"d.t.flag"}, *types[] = {"int2"};
    MyOptions mapped = {.map_keys = keys, .map_types = types, .nmap = 1};
    assert_int_equal(mysql_type_map(&b, &opts, &col, &pg), 0);
    assert_int_equal(col.kind, MYV_BOOL);
    assert_int_equal(pg.oid, 16);
    mysql_pg_type_free(&pg);
    assert_int_equal(mysql_type_map(&b, &mapped, &col, &pg), 0);
    assert_int_equal(col.kind, MYV_INT);
    assert_string_equal(pg.type_sql, "smallint");
    mysql_pg_type_free(&pg);

    MyColumnSource dt = {.schema = "d", .table = "t", .name = "ts", .data_type = "timestamp",
                         .column_type = "timestamp(3)", .char_length = -1, .precision = -1, .scale = -1, .fsp = 3};
    assert_int_equal(mysql_type_map(&dt, &opts, &col, &pg), 0);
    assert_string_equal(pg.type_sql, "timestamp(3) with time zone");
    assert_int_equal(col.scale, 3);
    mysql_pg_type_free(&pg);
}

static void
test_pg_names(void **state)
{
    (void) state;
    char *q = pgname_quote("orders");
    assert_string_equal(q, "orders");
    free(q);
    q = pgname_quote("Order Items");
    assert_string_equal(q, "\"Order Items\"");
    free(q);
    q = pgname_quote("user");
    assert_string_equal(q, "\"user\"");
    free(q);
    q = pgname_quote("say\"hi");
    assert_string_equal(q, "\"say\"\"hi\"");
    free(q);
    PgNameSet set = {0};
    pgname_reserve(&set, "s", "t_pkey");
    char *n = pgname_unique(&set, "s", "t_pkey");
    assert_string_equal(n, "t_pkey_2");
    free(n);
    n = pgname_unique(&set, "other", "t_pkey");
    assert_string_equal(n, "t_pkey");
    free(n);
    char long_name[200];
    memset(long_name, 'a', 70);
    strcpy(long_name + 70, "é");
    n = pgname_unique(&set, "s", long_name);
    assert_int_equal(strlen(n), PGNAME_MAX_BYTES);
    free(n);
    n = pgname_unique(&set, "s", long_name);
    assert_int_equal(strlen(n), PGNAME_MAX_BYTES);
    assert_string_equal(n + PGNAME_MAX_BYTES - 2, "_2");
    free(n);
    pgname_set_free(&set);
}

static void
test_key_ranges(void **state)
{
    (void) state;
    MyColumn cols[3] = {{.name = "a`b", .kind = MYV_TEXT}, {.name = "n", .kind = MYV_INT}, {.name = "h", .kind = MYV_BYTES}};
    size_t pk1[1] = {1}, pk2[2] = {0, 1}, pk3[1] = {2};
    MyTable one = {.cols = cols, .ncols = 3, .pk = pk1, .npk = 1};
    char *lo[1] = {"10"}, *hi[1] = {"20"};
    KeyRange r = {.lower = lo, .upper = hi};
    char *sql = mysql_key_range_sql(&one, &r);
    assert_string_equal(sql, "`n` >= 10 AND `n` < 20");
    free(sql);
    KeyRange open_end = {.lower = lo};
    sql = mysql_key_range_sql(&one, &open_end);
    assert_string_equal(sql, "`n` >= 10");
    free(sql);
    KeyRange none = {0};
    assert_null(mysql_key_range_sql(&one, &none));

    MyTable two = {.cols = cols, .ncols = 3, .pk = pk2, .npk = 2};
    char *lo2[2] = {"x'y", "5"}, *hi2[2] = {"z", "-1"};
    KeyRange r2 = {.lower = lo2, .upper = hi2};
    sql = mysql_key_range_sql(&two, &r2);
    assert_string_equal(sql, "`a``b` >= 'x''y' AND ((`a``b` > 'x''y') OR (`a``b` = 'x''y' AND `n` >= 5))"
                             " AND `a``b` <= 'z' AND ((`a``b` < 'z') OR (`a``b` = 'z' AND `n` < -1))");
    free(sql);

    MyTable bin = {.cols = cols, .ncols = 3, .pk = pk3, .npk = 1};
    char *hexlo[1] = {"00FF"};
    KeyRange r3 = {.lower = hexlo};
    sql = mysql_key_range_sql(&bin, &r3);
    assert_string_equal(sql, "`h` >= X'00FF'");
    free(sql);
    char *lit = mysql_key_literal(&cols[1], "1; DROP TABLE x");
    assert_string_equal(lit, "'1; DROP TABLE x'");
    free(lit);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_float_format),
        cmocka_unit_test(test_float_shortest_random),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_bits),
        cmocka_unit_test(test_set_literal),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_type_map),
        cmocka_unit_test(test_pg_names),
        cmocka_unit_test(test_key_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
