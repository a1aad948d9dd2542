/*
 * test_url.c: URL scheme detection and password redaction, in every form a
 * connection string can take (URLs, libpq keyword/value strings, malformed
 * ones), in argv and in libpq's own messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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
check_scrub(const char *msg, const char *conninfo, const char *want)
{
    char *got = url_scrub(msg, conninfo);
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
    check_redact("postgres://db/app?PASSWORD=x", "postgres://db/app?PASSWORD=***");
    check_redact("mariadb://u@h/db?socket=/tmp/s&password=p%40ss", "mariadb://u@h/db?socket=/tmp/s&password=***");
    /* An '@' in the query is no userinfo. */
    check_redact("postgres://host:5432/db?user=me@corp", "postgres://host:5432/db?user=me@corp");
}

static void
test_redact_all_schemes(void **state)
{
    (void) state;
    check_redact("postgresql://u:pw@h/db", "postgresql://u:***@h/db");
    check_redact("mysql://u:pw@h:3306/db", "mysql://u:***@h:3306/db");
    check_redact("mariadb://u:p%3Aw@[::1]:3306/db", "mariadb://u:***@[::1]:3306/db");
    check_redact("POSTGRES://u:pw@h/db", "POSTGRES://u:***@h/db");
}

static void
test_redact_malformed(void **state)
{
    (void) state;
    /* A bad port, an unterminated bracket, a password with '/' or '?' unencoded, a scheme typo. */
    check_redact("postgres://u:s3cret@host:badport/db", "postgres://u:***@host:badport/db");
    check_redact("postgres://u:s3cret@[::1/db", "postgres://u:***@[::1/db");
    check_redact("postgres://u:se/cret@host/db", "postgres://u:***@host/db");
    check_redact("postgres://u:se?cret@host/db", "postgres://u:***@host/db");
    check_redact("postgres:/u:s3cret@host/db", "postgres:***@host/db");
    check_redact("u:s3cret@host", "u:***@host");
    check_redact("http://u:s3cret@host/", "http://u:***@host/");
}

static void
test_redact_keywords(void **state)
{
    (void) state;
    check_redact("host=h password=s3cret dbname=d", "host=h password=*** dbname=d");
    check_redact("host=h password = 's3 \\'cret' dbname=d", "host=h password = *** dbname=d");
    check_redact("password='unterminated s3cret", "password=***");
    check_redact("host=h PASSWORD=s3cret", "host=h PASSWORD=***");
    /* "missing =": libpq quotes the next word, which is the password. */
    check_redact("host=h password s3cret", "host=h password ***");
    /* An unquoted password with a space: libpq reads "s3" as the value and complains about "cret". */
    check_redact("host=h password=s3 cret dbname=d", "host=h password=*** *** dbname=d");
    check_scrub("missing \"=\" after \"cret\" in connection info string\n", "host=h password=s3 cret",
                "missing \"=\" after \"***\" in connection info string\n");
    /* dbname may hold a whole connection string. */
    check_redact("dbname=postgres://u:s3cret@h/db", "dbname=postgres://u:***@h/db");
    check_redact("dbname='host=h password=s3cret'", "dbname='host=h password=***'");
    check_redact("host=h dbname=d", "host=h dbname=d");
    /* An option and its URL in one argument (argv, the command line printed to go on with). */
    check_redact("--source=postgres://u:s3cret@h/db", "--source=postgres://u:***@h/db");
}

static void
test_mask_in_place(void **state)
{
    (void) state;
    char a[] = "postgres://u:s3cret@h/db";
    assert_true(url_mask_in_place(a));
    assert_string_equal(a, "postgres://u:******@h/db");
    char b[] = "host=h password=s3cret";
    assert_true(url_mask_in_place(b));
    assert_string_equal(b, "host=h password=******");
    char c[] = "--phase";
    assert_false(url_mask_in_place(c));
    assert_string_equal(c, "--phase");
}

static void
test_scrub_libpq_messages(void **state)
{
    (void) state;
    /* libpq's own errors, as it words them for these strings. */
    check_scrub("end of string reached when looking for matching \"]\" in IPv6 host address in URI: "
                "\"postgres://u:s3cret@[::1/db\"\n",
                "postgres://u:s3cret@[::1/db",
                "end of string reached when looking for matching \"]\" in IPv6 host address in URI: "
                "\"postgres://u:***@[::1/db\"\n");
    check_scrub("missing \"=\" after \"s3cret\" in connection info string\n", "host=h password s3cret",
                "missing \"=\" after \"***\" in connection info string\n");
    check_scrub("invalid percent-encoded token: \"s3%zzcret\"\n", "postgres://u:s3%zzcret@h/db",
                "invalid percent-encoded token: \"***\"\n");
    /* A decoded password, and a fragment of one. */
    check_scrub("password p@ss rejected", "postgres://u:p%40ss@h/db", "password *** rejected");
    check_scrub("invalid port \"se\"", "postgres://u:se/cret@h/db", "invalid port \"***\"");
    check_scrub("unterminated quoted string in connection info string", "password='s3 cret",
                "unterminated quoted string in connection info string");
    check_scrub("port 'se' is not a number from 1 to 65535", "mysql://u:se/cret@h/db",
                "port '***' is not a number from 1 to 65535");
    check_scrub("connection refused", NULL, "connection refused");
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
        cmocka_unit_test(test_redact_all_schemes),
        cmocka_unit_test(test_redact_malformed),
        cmocka_unit_test(test_redact_keywords),
        cmocka_unit_test(test_mask_in_place),
        cmocka_unit_test(test_scrub_libpq_messages),
        cmocka_unit_test(test_scheme),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
