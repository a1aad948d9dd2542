/*
 * test_phase_names.c: the names godwit derives from (migration id, phase):
 * their form, that two migrations or two phases never share one, and that
 * the longest fits PostgreSQL's and MySQL's identifier limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/phase_names.h"
#include "core/plan.h"

/* PostgreSQL's NAMEDATALEN - 1 and MySQL's trigger name limit. */
#define PG_NAME_MAX 63
#define MYSQL_NAME_MAX 64

static void
expect(char *got, const char *want)
{
    assert_string_equal(got, want);
    free(got);
}

static void
test_forms(void **state)
{
    (void) state;
    MigrationPhase mp;
    phase_names_init(&mp, "0a1b2c3d", "region_a");
    expect(phase_names_slot(&mp, false), "godwit_0a1b2c3d_region_a");
    expect(phase_names_slot(&mp, true), "godwit_0a1b2c3d_region_a_failback");
    expect(phase_names_stream(&mp, false), "0a1b2c3d:region_a:forward");
    expect(phase_names_stream(&mp, true), "0a1b2c3d:region_a:failback");
    expect(phase_names_origin("0a1b2c3d:region_a:forward"), "godwit:0a1b2c3d:region_a:forward");
    expect(phase_names_app(&mp, "replicate"), "godwit replicate:0a1b2c3d:region_a");
    expect(phase_names_command_app("fetch"), "godwit fetch");
    assert_string_equal(phase_names_stream_direction("0a1b2c3d:region_a:forward"), "forward");
    assert_string_equal(phase_names_stream_direction("0a1b2c3d:region_a:failback"), "failback");
    expect(phase_names_fence(&mp), "godwit_fence_0a1b2c3d_region_a");
    expect(phase_names_staging(&mp), "0a1b2c3d:region_a");
    assert_true(phase_names_stream_is_failback("0a1b2c3d:region_a:failback"));
    assert_false(phase_names_stream_is_failback("0a1b2c3d:region_a:forward"));
    /* A slot name holds only what PostgreSQL allows: a free-form --phase is folded. */
    phase_names_init(&mp, "0a1b2c3d", "Région A-1");
    expect(phase_names_slot(&mp, false), "godwit_0a1b2c3d_r__gion_a_1");
}

static void
test_migrations_differ(void **state)
{
    (void) state;
    MigrationPhase a, b;
    phase_names_init(&a, "00000001", "default");
    phase_names_init(&b, "00000002", "default");
    char *sa = phase_names_slot(&a, false), *sb = phase_names_slot(&b, false);
    assert_string_not_equal(sa, sb);
    free(sa);
    free(sb);
    sa = phase_names_stream(&a, true);
    sb = phase_names_stream(&b, true);
    assert_string_not_equal(sa, sb);
    free(sa);
    free(sb);
    sa = phase_names_app(&a, "replicate");
    sb = phase_names_app(&b, "replicate");
    assert_string_not_equal(sa, sb);
    free(sa);
    free(sb);
    assert_int_not_equal(phase_names_server_id(&a), phase_names_server_id(&b));
    assert_true(phase_names_server_id(&a) & 0x80000000u);
}

/* The longest names, with a phase of PLAN_PHASE_NAME_MAX bytes, fit every limit. */
static void
test_longest_fit(void **state)
{
    (void) state;
    char phase[PLAN_PHASE_NAME_MAX + 1];
    memset(phase, 'p', PLAN_PHASE_NAME_MAX);
    phase[PLAN_PHASE_NAME_MAX] = '\0';
    MigrationPhase mp;
    phase_names_init(&mp, "ffffffff", phase);
    char *slot = phase_names_slot(&mp, true);
    /* engine/pg: the insert-only publication of the failback stream. */
    assert_true(strlen(slot) + strlen(PHASE_NAMES_INSERT_ONLY) <= PG_NAME_MAX);
    free(slot);
    slot = phase_names_slot(&mp, false);
    /* engine/pg: the temporary slot of a resumed fetch, "<slot>_r<pid>" (pids up to 7 digits). */
    assert_true(strlen(slot) + strlen("_r4194304") <= PG_NAME_MAX);
    free(slot);
    char *fence = phase_names_fence(&mp);
    /* engine/pg: "<fence>_trunc" and functions "<fence>_<n>"; engine/mysql: "<fence>_<n>_i" up to 99,999 tables. */
    assert_true(strlen(fence) + strlen("_trunc") <= PG_NAME_MAX);
    assert_true(strlen(fence) + strlen("_999999") <= PG_NAME_MAX);
    assert_true(strlen(fence) + strlen("_99999_i") <= MYSQL_NAME_MAX);
    free(fence);
    char *app = phase_names_app(&mp, "replicate");
    assert_true(strlen(app) <= PG_NAME_MAX);
    free(app);
}

/* A stream skips what its own migration's appliers wrote, never another migration's writes. */
static void
test_origin_of_migration(void **state)
{
    (void) state;
    assert_true(phase_names_origin_is_migrations("godwit:0a1b2c3d:p:failback", "0a1b2c3d"));
    assert_true(phase_names_origin_is_migrations("godwit:0a1b2c3d:other_phase:forward", "0a1b2c3d"));
    assert_false(phase_names_origin_is_migrations("godwit:99999999:p:failback", "0a1b2c3d"));
    assert_false(phase_names_origin_is_migrations("godwit:0a1b2c3dx:p:failback", "0a1b2c3d"));
    assert_false(phase_names_origin_is_migrations("pg_16384", "0a1b2c3d"));
    assert_false(phase_names_origin_is_migrations(NULL, "0a1b2c3d"));
    assert_false(phase_names_origin_is_migrations("godwit:skip_replication", "0a1b2c3d"));
    assert_false(phase_names_origin_is_migrations("godwit:skip_replication", ""));
    assert_true(phase_names_slot_is_migrations("godwit_0a1b2c3d_p_failback", "0a1b2c3d"));
    assert_false(phase_names_slot_is_migrations("godwit_0a1b2c3dx_p", "0a1b2c3d"));
    assert_false(phase_names_slot_is_migrations("godwit_99999999_p", "0a1b2c3d"));
    assert_false(phase_names_slot_is_migrations("other_0a1b2c3d_p", "0a1b2c3d"));
    assert_true(phase_names_slot_is_migrations("godwit_p", NULL));
    assert_true(phase_names_origin_is_migrations("godwit:99999999:p:failback", ""));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_migrations_differ),
        cmocka_unit_test(test_longest_fit),
        cmocka_unit_test(test_origin_of_migration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
