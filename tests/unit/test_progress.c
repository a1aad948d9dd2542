/*
 * test_progress.c: the live display's lines fit the terminal (util/progress.h):
 * cut to its width in characters, never inside a UTF-8 character.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/progress.h"

static void
test_fit(void **state)
{
    (void) state;
    assert_int_equal(progress_fit("short", 80), 5);
    assert_int_equal(progress_fit("abcdefghij", 5), 4);
    assert_int_equal(progress_fit("abc\nrest", 80), 3);
    /* "é" and "ü" are two bytes, one column each: 4 columns fit in 5 */
    const char *u = "\xc3\xa9t\xc3\xa9 \xc3\xbc";
    assert_int_equal(progress_fit(u, 5), 6);
    assert_int_equal(progress_fit(u, 80), strlen(u));
    /* A cut never leaves half a character. */
    assert_int_equal(progress_fit("\xc3\xa9\xc3\xa9\xc3\xa9", 3), 4);
    assert_int_equal(progress_fit("", 80), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
