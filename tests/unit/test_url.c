/*
 * test_url.c: URL scheme detection and password redaction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "util/url.h"

static void
check_redact(const char *in, const char *want)
{
    char *got = url_redact(in);
    assert_string_equal(got, want);
    free(got);
}

static void
test_redact_userinfo(void **state)
{
    (void) state;
    check_redact("postgres://alice:s3cret@db:5432/app", "postgres://alice:***@db:5432/app");
    check_redact("postgres://alice@db/app", "postgres://alice@db/app");
    check_redact("mysql://root:p@ss@host/db", "mysql://root:***@host/db");
    check_redact("postgresql://u:pw@h1:5432,h2:5433/db?sslmode=require",
                 "postgresql://u:***@h1:5432,h2:5433/db?sslmode=require");
}

static void
test_redact_query(void **state)
{
    (void) state;
    check_redact("postgres://db/app?user=bob&password=hunter2&sslmode=disable",
                 "postgres://db/app?user=bob&password=***&sslmode=disable");
    check_redact("postgres://db/app?PASSWORD=x", "postgres://db/app?password=***");
}

static void
test_redact_not_a_url(void **state)
{
    (void) state;
    check_redact("nonsense", "nonsense");
    check_redact("", "");
}

static void
test_scheme(void **state)
{
    (void) state;
    assert_int_equal(url_scheme("postgres://x"), URL_SCHEME_POSTGRES);
    assert_int_equal(url_scheme("POSTGRESQL://x"), URL_SCHEME_POSTGRES);
    assert_int_equal(url_scheme("mariadb://x"), URL_SCHEME_MYSQL);
    assert_int_equal(url_scheme("mysql://x"), URL_SCHEME_MYSQL);
    assert_int_equal(url_scheme("http://x"), URL_SCHEME_UNKNOWN);
    assert_int_equal(url_scheme("host=x dbname=y"), URL_SCHEME_UNKNOWN);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact_userinfo),
        cmocka_unit_test(test_redact_query),
        cmocka_unit_test(test_redact_not_a_url),
        cmocka_unit_test(test_scheme),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
