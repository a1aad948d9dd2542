/*
 * test_phase.c: the phase status table (core/phase_status.h): every stored
 * name parses back to its status, unknown names are refused, and exactly
 * the moves the commands make are allowed, no other.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/phase.h"
#include "core/phase_status.h"

static const PhaseStatus all[] = {
    PHASE_NONE,     PHASE_STARTING,     PHASE_FETCHING,    PHASE_FETCHED,  PHASE_CUTTING_OVER,
    PHASE_FAILBACK, PHASE_ROLLING_BACK, PHASE_ROLLED_BACK, PHASE_FINISHED,
};
#define NALL (sizeof all / sizeof all[0])

static void
test_names(void **state)
{
    (void) state;
    static const char *const names[] = {"", "starting", "fetching", "fetched", "cutting_over",
                                        "failback", "rolling_back", "rolled_back", "finished"};
    for (size_t i = 0; i < NALL; i++) {
        assert_string_equal(phase_status_name(all[i]), names[i]);
        PhaseStatus st = PHASE_FINISHED;
        assert_int_equal(phase_status_parse(names[i], &st), all[i] != PHASE_NONE);
        if (all[i] != PHASE_NONE)
            assert_int_equal(st, all[i]);
    }
    PhaseStatus st;
    assert_false(phase_status_parse("replicating", &st));
    assert_false(phase_status_parse("Fetched", &st));
    assert_false(phase_status_parse("fetched ", &st));
    assert_false(phase_status_parse(NULL, &st));
    assert_string_equal(phase_status_meaning(PHASE_FETCHED), "replicating");
    assert_string_equal(phase_status_meaning(PHASE_FAILBACK), "cut over, failing back");
}

/* Every move a command makes, as (from, to); staying is always allowed. */
static const PhaseStatus moves[][2] = {
    {PHASE_NONE, PHASE_STARTING},           /* fetch: a new phase, or one it started over */
    {PHASE_STARTING, PHASE_FETCHING},       /* fetch: the snapshot */
    {PHASE_FETCHING, PHASE_FETCHED},        /* fetch: copied */
    {PHASE_FETCHING, PHASE_STARTING},       /* fetch --schema drop-create (accepted by its check) */
    {PHASE_FETCHED, PHASE_STARTING},        /* fetch --schema drop-create */
    {PHASE_FETCHED, PHASE_CUTTING_OVER},    /* cutover: fenced */
    {PHASE_CUTTING_OVER, PHASE_FETCHED},    /* cutover undone, or a killed one lifted */
    {PHASE_CUTTING_OVER, PHASE_FAILBACK},   /* cutover: failback prepared */
    {PHASE_FAILBACK, PHASE_FETCHED},        /* cutover undone after its failback was prepared */
    {PHASE_FAILBACK, PHASE_ROLLING_BACK},   /* rollback: the target fenced */
    {PHASE_FAILBACK, PHASE_FINISHED},       /* finish */
    {PHASE_ROLLING_BACK, PHASE_FAILBACK},   /* rollback undone, or a killed one lifted */
    {PHASE_ROLLING_BACK, PHASE_ROLLED_BACK}, /* rollback done */
    {PHASE_ROLLED_BACK, PHASE_FAILBACK},    /* rollback undone after its status was stored */
    {PHASE_ROLLED_BACK, PHASE_FINISHED},    /* finish */
};

static bool
listed(PhaseStatus from, PhaseStatus to)
{
    for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
        if (moves[i][0] == from && moves[i][1] == to)
            return true;
    return from == to;
}

static void
test_moves(void **state)
{
    (void) state;
    for (size_t i = 0; i < NALL; i++)
        for (size_t j = 0; j < NALL; j++) {
            bool want = listed(all[i], all[j]);
            if (phase_status_can_move(all[i], all[j]) != want)
                fail_msg("%s -> %s: %s", phase_status_name(all[i]), phase_status_name(all[j]),
                         want ? "refused" : "allowed");
        }
    assert_false(phase_status_can_move(PHASE_FETCHED, (PhaseStatus) 99));
}

/* The checks the commands make with the table, as the statuses each accepted before it existed. */
static void
test_command_checks(void **state)
{
    (void) state;
    for (size_t i = 1; i < NALL; i++) {
        PhaseStatus st = all[i];
        /* fetch: --resume or --schema drop-create of any phase not handed over */
        assert_int_equal(phase_status_can_move(st, PHASE_STARTING),
                         st == PHASE_STARTING || st == PHASE_FETCHING || st == PHASE_FETCHED);
        /* cutover (cutting_over is lifted first), rollback (rolling_back likewise), finish */
        assert_int_equal(phase_status_can_move(st, PHASE_CUTTING_OVER),
                         st == PHASE_FETCHED || st == PHASE_CUTTING_OVER);
        assert_int_equal(phase_status_can_move(st, PHASE_ROLLING_BACK),
                         st == PHASE_FAILBACK || st == PHASE_ROLLING_BACK);
        assert_int_equal(phase_status_can_move(st, PHASE_FINISHED),
                         st == PHASE_FAILBACK || st == PHASE_ROLLED_BACK || st == PHASE_FINISHED);
        /* replicate, failback, and status's slot owners */
        assert_int_equal(phase_status_streams_forward(st), st == PHASE_FETCHED || st == PHASE_CUTTING_OVER);
        assert_int_equal(phase_status_streams_failback(st), st == PHASE_FAILBACK || st == PHASE_ROLLING_BACK);
        assert_int_equal(phase_status_holds_forward_slot(st), st == PHASE_STARTING || st == PHASE_FETCHING ||
                                                                   st == PHASE_FETCHED || st == PHASE_CUTTING_OVER);
    }
}

static void
test_state_move(void **state)
{
    (void) state;
    PhaseState ps;
    memset(&ps, 0, sizeof ps);
    assert_int_equal(phase_state_move(&ps, PHASE_STARTING), GW_OK);
    assert_int_equal(ps.status, PHASE_STARTING);
    assert_int_equal(phase_state_move(&ps, PHASE_FAILBACK), GW_ERR_INTERNAL);
    assert_int_equal(ps.status, PHASE_STARTING);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_moves),
        cmocka_unit_test(test_command_checks),
        cmocka_unit_test(test_state_move),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
