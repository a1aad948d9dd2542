/*
 * test_retry.c: the backoff's delays under each jitter, with an injected
 * random source so that every delay is known; the cap; the outage budget;
 * and that a success starts the delays again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/retry.h"

/* Returns the scripted values in turn, then the last one again. */
typedef struct {
    const double *values;
    size_t n, next;
} Script;

static double
scripted(void *ctx)
{
    Script *s = ctx;
    double v = s->values[s->next < s->n ? s->next : s->n - 1];
    s->next++;
    return v;
}

static void
start(Retry *r, RetryJitter jitter, Script *s)
{
    RetryPolicy p = {.initial = 0.5, .cap = 4, .jitter = jitter, .budget = 10};
    retry_init(r, &p);
    retry_set_random(r, scripted, s);
}

static void
test_no_jitter_doubles_to_cap(void **state)
{
    (void) state;
    Retry r;
    double zero = 0;
    Script s = {&zero, 1, 0};
    start(&r, RETRY_JITTER_NONE, &s);
    const double want[] = {0.5, 1, 2, 4, 4, 4};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        assert_float_equal(retry_next_delay(&r), want[i], 1e-9);
}

static void
test_equal_jitter_keeps_half(void **state)
{
    (void) state;
    Retry r;
    const double rnd[] = {0, 1 - 1e-12, 0.5};
    Script s = {rnd, 3, 0};
    start(&r, RETRY_JITTER_EQUAL, &s);
    assert_float_equal(retry_next_delay(&r), 0.25, 1e-9);
    assert_float_equal(retry_next_delay(&r), 1.0, 1e-9);
    assert_float_equal(retry_next_delay(&r), 1.5, 1e-9);
}

static void
test_full_jitter_spans_zero_to_delay(void **state)
{
    (void) state;
    Retry r;
    const double rnd[] = {0, 0.5, 0.25, 0.5, 0.5};
    Script s = {rnd, 5, 0};
    start(&r, RETRY_JITTER_FULL, &s);
    assert_float_equal(retry_next_delay(&r), 0, 1e-9);
    assert_float_equal(retry_next_delay(&r), 0.5, 1e-9);
    assert_float_equal(retry_next_delay(&r), 0.5, 1e-9);
    assert_float_equal(retry_next_delay(&r), 2, 1e-9);
    /* Capped at 4 before the jitter. */
    assert_float_equal(retry_next_delay(&r), 2, 1e-9);
}

static void
test_decorrelated_grows_from_last_delay(void **state)
{
    (void) state;
    Retry r;
    const double rnd[] = {1 - 1e-12, 0, 1 - 1e-12, 1 - 1e-12, 1 - 1e-12};
    Script s = {rnd, 5, 0};
    start(&r, RETRY_JITTER_DECORRELATED, &s);
    /* Up to 3 x 0.5. */
    assert_float_equal(retry_next_delay(&r), 1.5, 1e-9);
    /* Never under initial. */
    assert_float_equal(retry_next_delay(&r), 0.5, 1e-9);
    /* A short wait keeps the next one short: up to 3 x 0.5 again. */
    assert_float_equal(retry_next_delay(&r), 1.5, 1e-9);
    assert_float_equal(retry_next_delay(&r), 4, 1e-9);
    assert_float_equal(retry_next_delay(&r), 4, 1e-9);
}

static void
test_budget_and_success(void **state)
{
    (void) state;
    Retry r;
    double zero = 0;
    Script s = {&zero, 1, 0};
    start(&r, RETRY_JITTER_NONE, &s);
    assert_true(retry_failed(&r, 100));
    retry_next_delay(&r);
    retry_next_delay(&r);
    assert_true(retry_failed(&r, 109.9));
    assert_false(retry_failed(&r, 110));
    retry_succeeded(&r);
    assert_true(retry_failed(&r, 200));
    assert_float_equal(retry_next_delay(&r), 0.5, 1e-9);
    RetryPolicy unlimited = {.initial = 1, .cap = 1, .jitter = RETRY_JITTER_NONE, .budget = 0};
    retry_init(&r, &unlimited);
    assert_true(retry_failed(&r, 1));
    assert_true(retry_failed(&r, 1e9));
}

static void
test_default_random_in_range(void **state)
{
    (void) state;
    Retry r;
    RetryPolicy p = {.initial = 1, .cap = 1, .jitter = RETRY_JITTER_FULL, .budget = 0};
    retry_init(&r, &p);
    for (int i = 0; i < 1000; i++) {
        double d = retry_next_delay(&r);
        assert_true(d >= 0 && d < 1);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_jitter_doubles_to_cap),
        cmocka_unit_test(test_equal_jitter_keeps_half),
        cmocka_unit_test(test_full_jitter_spans_zero_to_delay),
        cmocka_unit_test(test_decorrelated_grows_from_last_delay),
        cmocka_unit_test(test_budget_and_success),
        cmocka_unit_test(test_default_random_in_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
