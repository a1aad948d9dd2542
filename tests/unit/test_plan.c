/*
 * test_plan.c: plan files (core/plan.c) and the static overlap check of
 * their phases (core/plan_overlap.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/plan.h"
#include "core/plan_overlap.h"

/* ------------------------------------------------------------------ */
/* Overlap                                                              */
/* ------------------------------------------------------------------ */

static char last_why[512];

static PlanOverlapVerdict
overlap(const char *a, const char *b)
{
    char err[256];
    Predicate *pa = predicate_parse(a, err, sizeof err);
    if (!pa)
        fail_msg("%s: %s", a, err);
    Predicate *pb = predicate_parse(b, err, sizeof err);
    if (!pb)
        fail_msg("%s: %s", b, err);
    PlanOverlapVerdict v = plan_predicates_overlap(pa, pb, last_why, sizeof last_why);
    /* The answer does not depend on the order. */
    char why2[512];
    assert_int_equal(v, plan_predicates_overlap(pb, pa, why2, sizeof why2));
    predicate_free(pa);
    predicate_free(pb);
    return v;
}

#define assert_disjoint(a, b) assert_int_equal(PLAN_DISJOINT, overlap(a, b))
#define assert_overlap(a, b) assert_int_equal(PLAN_OVERLAP, overlap(a, b))

static void
test_equalities(void **state)
{
    (void) state;
    assert_disjoint("region = 'A'", "region = 'B'");
    assert_overlap("region = 'A'", "region = 'A'");
    assert_string_equal(last_why, "a row with region = 'A'");
    assert_overlap("region IN ('A', 'B')", "region = 'B'");
    assert_string_equal(last_why, "a row with region = 'B'");
    assert_disjoint("region IN ('A', 'B')", "region IN ('C', 'D')");
    assert_overlap("region IN ('A', 'B', 'C')", "region IN ('C', 'D')");
    assert_string_equal(last_why, "a row with region = 'C'");
    /* Different columns never contradict each other. */
    assert_overlap("region = 'A'", "country = 'B'");
    assert_disjoint("region <> 'A' AND region = 'A'", "id = 1");
    assert_disjoint("id <> 5", "id = 5");
    assert_overlap("id <> 5", "id = 6");
    assert_disjoint("region NOT IN ('A', 'B')", "region IN ('A', 'B')");
    assert_overlap("region NOT IN ('A', 'B')", "region IN ('B', 'C')");
    assert_string_equal(last_why, "a row with region = 'C'");
    /* Strings are not case-folded: byte order. */
    assert_disjoint("region = 'a'", "region = 'A'");
}

static void
test_ranges(void **state)
{
    (void) state;
    assert_disjoint("id < 100", "id >= 100");
    assert_overlap("id <= 100", "id >= 100");
    assert_string_equal(last_why, "a row with id = 100");
    assert_disjoint("id < 100", "id > 100");
    assert_disjoint("id <= 99", "id >= 100");
    assert_overlap("id < 100", "id > 99");     /* 99.5: numbers are decimals */
    assert_overlap("id >= 10 AND id < 20", "id >= 15 AND id < 30");
    assert_string_equal(last_why, "a row with id >= 15 AND id < 20");
    assert_disjoint("id >= 10 AND id < 20", "id >= 20 AND id < 30");
    /* Exact decimals: no rounding, any spelling. */
    assert_disjoint("amount < 0.1", "amount >= 0.10");
    assert_overlap("amount = 1e2", "amount = 100.00");
    assert_disjoint("amount < 100000000000000000000000000000.1", "amount >= 100000000000000000000000000000.1");
    assert_overlap("amount <= 100000000000000000000000000000.1", "amount >= 100000000000000000000000000000.1");
    assert_disjoint("amount > -1", "amount < -1");
    /* literal op column is read flipped. */
    assert_disjoint("100 > id", "id >= 100");
    /* A single point excluded by <>. */
    assert_disjoint("id >= 5 AND id <= 5", "id <> 5");
    assert_disjoint("id > 3 AND id < 3", "id = 1 OR id = 2");
    /* A range and an IN list. */
    assert_disjoint("id IN (1, 2, 3)", "id > 3");
    assert_overlap("id IN (1, 2, 3)", "id >= 3");
    assert_string_equal(last_why, "a row with id = 3");
    /* Strings by byte order ('B' < 'b'). */
    assert_disjoint("name < 'B'", "name >= 'B'");
    assert_overlap("name < 'b'", "name >= 'B'");
    assert_disjoint("name < 'M'", "name >= 'n'");
}

static void
test_not_and_or(void **state)
{
    (void) state;
    assert_overlap("NOT (region = 'A')", "region = 'B'");
    assert_disjoint("NOT (region = 'A')", "region = 'A'");
    assert_disjoint("NOT (region IN ('A', 'B'))", "region = 'A'");
    assert_overlap("NOT (region IN ('A', 'B'))", "region = 'C'");
    assert_disjoint("(region = 'A' OR region = 'B') AND id < 10", "region = 'B' AND id >= 10");
    assert_overlap("(region = 'A' OR region = 'B') AND id < 10", "region = 'B' AND id >= 5");
    assert_string_equal(last_why, "a row with region = 'B' AND id >= 5 AND id < 10");
    /* De Morgan. */
    assert_overlap("NOT (region = 'A' OR id > 5)", "id = 3 AND region = 'B'");
    assert_disjoint("NOT (region = 'A' OR id > 5)", "id = 6");
    assert_disjoint("NOT (region = 'A' OR id > 5)", "region = 'A'");
    assert_overlap("NOT (region = 'A' AND id > 5)", "region = 'A' AND id = 5");
    assert_disjoint("NOT (region = 'A' AND id > 5)", "region = 'A' AND id = 6");
    assert_disjoint("NOT NOT (region = 'A')", "region = 'B'");
    /* The usual "the rest" phase. */
    assert_disjoint("region NOT IN ('A', 'B')", "region = 'A' OR region = 'B'");
    assert_disjoint("NOT (region = 'A' OR region = 'B')", "region IN ('A', 'B')");
    assert_overlap("NOT (region = 'A' OR region = 'B') OR region IS NULL", "region IS NULL");
}

static void
test_nulls(void **state)
{
    (void) state;
    assert_disjoint("region IS NULL", "region = 'A'");
    assert_disjoint("region IS NULL", "region <> 'A'");
    assert_overlap("region IS NULL", "region IS NULL OR region = 'x'");
    assert_string_equal(last_why, "a row with region IS NULL");
    assert_overlap("region IS NOT NULL", "region = 'A'");
    assert_disjoint("region IS NOT NULL", "region IS NULL");
    assert_disjoint("NOT (region IS NULL)", "region IS NULL");
    /* NOT (col = 'A') is not TRUE for NULL. */
    assert_disjoint("NOT (region = 'A')", "region IS NULL");
    assert_disjoint("NOT (id > 5)", "id IS NULL");
    /* IN with NULL: never TRUE for a NULL column; NOT IN with NULL: never TRUE at all. */
    assert_disjoint("region IN ('A', NULL)", "region IS NULL");
    assert_disjoint("region NOT IN ('A', NULL)", "region = 'B'");
    assert_disjoint("NOT (region IN ('A', NULL))", "region = 'B'");
    assert_overlap("NOT (region NOT IN ('A', NULL))", "region = 'A'");
    /* A phase for the NULLs next to one for the values. */
    assert_disjoint("region IS NULL OR region = 'Z'", "region IN ('A', 'B')");
}

static void
test_booleans_and_kinds(void **state)
{
    (void) state;
    assert_disjoint("flag = TRUE", "flag = FALSE");
    assert_disjoint("flag <> TRUE", "flag <> FALSE");
    assert_overlap("flag <> TRUE", "flag = FALSE");
}

static void
test_kinds(void **state)
{
    (void) state;
    /* A number and a string on one column: cannot decide, said so. */
    assert_int_equal(PLAN_UNDECIDED, overlap("code = 1", "code = 'x'"));
    assert_non_null(strstr(last_why, "code"));
    assert_non_null(strstr(last_why, "a number and a string"));
    /* Strings that read as numbers also compare as numbers. */
    assert_overlap("code = '01'", "code = '1'");
    assert_non_null(strstr(last_why, "as numbers"));
    assert_disjoint("code = '01'", "code = '2'");
    /* A known overlap elsewhere wins over an undecided pair. */
    assert_overlap("code = 1 OR region = 'A'", "code = 'x' OR region = 'A'");
}

static void
test_dnf_cap(void **state)
{
    (void) state;
    char a[2048] = "";
    for (int i = 0; i < 11; i++) {
        char part[64];
        snprintf(part, sizeof part, "%s(c%d = 1 OR c%d = 2)", i ? " AND " : "", i, i);
        strcat(a, part);
    }
    assert_int_equal(PLAN_UNDECIDED, overlap(a, "c0 = 1"));
    assert_non_null(strstr(last_why, "simplify"));
    /* Contradictions are dropped while expanding, so a long but narrow predicate stays decidable. */
    char b[8192] = "id = 0";
    for (int i = 1; i < 400; i++) {
        char part[64];
        snprintf(part, sizeof part, " OR id = %d", i);
        strcat(b, part);
    }
    assert_disjoint(b, "id >= 400");
    assert_overlap(b, "id >= 399");
}

static void
test_table_pairs(void **state)
{
    (void) state;
    Selection sel;
    selection_init(&sel);
    char err[256];
    assert_int_equal(GW_OK, selection_add_filter(&sel, "public.orders: region = 'A'", err, sizeof err));
    assert_int_equal(GW_OK, selection_add_filter(&sel, "public.x: region IN ('A', 'B')", err, sizeof err));
    assert_int_equal(GW_OK, selection_add_filter(&sel, "public.y: region = 'C'", err, sizeof err));
    PlanTablePhase phases[] = {
        {"a", &sel.filters[0]}, {"ab", &sel.filters[1]}, {"c", &sel.filters[2]}, {"all", NULL},
    };
    PlanOverlap *list;
    size_t n = plan_table_overlaps(phases, 4, &list);
    /* a-ab, a-all, ab-all, c-all */
    assert_int_equal(4, n);
    assert_int_equal(0, list[0].a);
    assert_int_equal(1, list[0].b);
    assert_string_equal(list[0].why, "a row with region = 'A'");
    assert_int_equal(3, list[1].b);
    assert_non_null(strstr(list[1].why, "phase 'all' takes the whole table"));
    plan_overlaps_free(list, n);
    n = plan_table_overlaps(phases, 1, &list);
    assert_int_equal(0, n);
    plan_overlaps_free(list, n);
    selection_free(&sel);
}

/* ------------------------------------------------------------------ */
/* Plan files                                                           */
/* ------------------------------------------------------------------ */

static GwResult
parse(const char *json, Plan *plan, char *err, size_t errlen)
{
    return plan_parse(json, strlen(json), "p.json", plan, err, errlen);
}

static void
test_parse_ok(void **state)
{
    (void) state;
    Plan plan;
    char err[512] = "";
    const char *json =
        "{\"phases\": ["
        " {\"name\": \"region_a\", \"tables\": [\"public.*\"], \"exclude\": [\"public.audit\"],"
        "  \"where\": {\"public.orders\": \"region = 'A'\", \"\\\"Sales\\\".\\\"Big Customers\\\"\": \"region = 'A'\"}},"
        " {\"name\": \"rest_2\"}"
        "]}";
    assert_int_equal(GW_OK, parse(json, &plan, err, sizeof err));
    assert_int_equal(2, plan.nphases);
    PlanPhase *a = plan_phase(&plan, "region_a", err, sizeof err);
    assert_non_null(a);
    assert_true(selection_includes(&a->selection, "public", "orders"));
    assert_false(selection_includes(&a->selection, "public", "audit"));
    assert_false(selection_includes(&a->selection, "crm", "orders"));
    const RowFilter *f = selection_filter_for(&a->selection, "public", "orders");
    assert_non_null(f);
    assert_string_equal(f->text, "region = 'A'");
    assert_non_null(selection_filter_for(&a->selection, "Sales", "Big Customers"));
    PlanPhase *r = plan_phase(&plan, "rest_2", err, sizeof err);
    assert_non_null(r);
    assert_true(selection_includes(&r->selection, "any", "table"));
    assert_int_equal(0, r->selection.nfilters);

    /* Unknown phase: the message lists the plan's phases. */
    assert_null(plan_phase(&plan, "region_b", err, sizeof err));
    assert_string_equal(err, "plan p.json has no phase 'region_b'; its phases: region_a, rest_2");

    /* A copy for a command. */
    Selection copy;
    selection_init(&copy);
    plan_phase_selection(a, &copy);
    assert_int_equal(a->selection.ninclude, copy.ninclude);
    assert_int_equal(a->selection.nexclude, copy.nexclude);
    assert_int_equal(2, copy.nfilters);
    assert_true(selection_matches(&copy, "public", "orders"));
    assert_false(selection_matches(&copy, "public", "audit"));

    /* Recorded filters: the same meaning in other spelling matches; others do not. */
    char *json_rec = selection_filters_json(&copy);
    assert_true(plan_phase_filters_match(a, json_rec, err, sizeof err));
    free(json_rec);
    assert_true(plan_phase_filters_match(
        a, "[{\"schema\":\"public\",\"table\":\"orders\",\"predicate\":\"(region='A')\"},"
           "{\"schema\":\"Sales\",\"table\":\"Big Customers\",\"predicate\":\"REGION = 'A'\"}]", err, sizeof err));
    assert_false(plan_phase_filters_match(
        a, "[{\"schema\":\"public\",\"table\":\"orders\",\"predicate\":\"region = 'B'\"},"
           "{\"schema\":\"Sales\",\"table\":\"Big Customers\",\"predicate\":\"region = 'A'\"}]", err, sizeof err));
    assert_string_equal(err, "public.orders was fetched with the filter \"region = 'B'\", the plan has \"region = 'A'\"");
    assert_false(plan_phase_filters_match(a, "[]", err, sizeof err));
    assert_non_null(strstr(err, "fetched without a filter"));
    assert_false(plan_phase_filters_match(r, "[{\"schema\":\"public\",\"table\":\"orders\",\"predicate\":\"id = 1\"}]",
                                          err, sizeof err));
    assert_non_null(strstr(err, "the plan has none"));
    assert_true(plan_phase_filters_match(r, NULL, err, sizeof err));
    selection_free(&copy);
    plan_free(&plan);
}

/* Each bad plan is refused with one line containing the expected text. */
static void
expect_error(const char *json, const char *expected)
{
    Plan plan;
    char err[512] = "";
    GwResult rc = parse(json, &plan, err, sizeof err);
    if (rc != GW_ERR_USAGE)
        fail_msg("accepted: %s", json);
    if (!strstr(err, expected))
        fail_msg("for %s: expected '%s' in: %s", json, expected, err);
    if (strchr(err, '\n'))
        fail_msg("not one line: %s", err);
    if (strncmp(err, "plan p.json", 11) != 0)
        fail_msg("does not name the file: %s", err);
    assert_int_equal(0, plan.nphases);
}

static void
test_parse_errors(void **state)
{
    (void) state;
    expect_error("{\"phases\": [", "line 1, column 12");
    expect_error("{\"phases\": [{\"name\": \"a\"}]}\n}", "line 2");
    expect_error("[]", "expected a JSON object");
    expect_error("{}", "\"phases\" must be a non-empty array");
    expect_error("{\"phases\": []}", "\"phases\" must be a non-empty array");
    expect_error("{\"phases\": [{\"name\": \"a\"}], \"version\": 1}", "unknown key \"version\"");
    expect_error("{\"phases\": [{\"name\": \"a\", \"wher\": {}}]}", "phase 'a': unknown key \"wher\"");
    expect_error("{\"phases\": [{\"tables\": []}]}", "phases[0] has no \"name\"");
    expect_error("{\"phases\": [{\"name\": \"\"}]}", "is empty");
    expect_error("{\"phases\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}", "phases[1]: phase name 'a' is used twice");
    expect_error("{\"phases\": [{\"name\": \"Region-A\"}]}", "phase name 'Region-A' has the character 'R'");
    expect_error("{\"phases\": [{\"name\": \"region a\"}]}", "character ' '");
    expect_error("{\"phases\": [{\"name\": \"a2345678901234567890123456789012345\"}]}", "at most 34");
    expect_error("{\"phases\": [{\"name\": \"a\", \"tables\": []}]}", "\"tables\" must be a non-empty array");
    expect_error("{\"phases\": [{\"name\": \"a\", \"tables\": \"public.*\"}]}", "\"tables\" must be");
    expect_error("{\"phases\": [{\"name\": \"a\", \"exclude\": [1]}]}", "\"exclude\"[0] must be a non-empty string");
    expect_error("{\"phases\": [{\"name\": \"a\", \"where\": [\"x\"]}]}", "\"where\" must be an object");
    expect_error("{\"phases\": [{\"name\": \"a\", \"where\": {\"orders\": \"id = 1\"}}]}",
                 "where key \"orders\" is not schema.table");
    expect_error("{\"phases\": [{\"name\": \"a\", \"where\": {\"public.orders.x\": \"id = 1\"}}]}",
                 "is not schema.table");
    expect_error("{\"phases\": [{\"name\": \"a\", \"where\": {\"public.orders\": 1}}]}", "must be a predicate string");
    expect_error("{\"phases\": [{\"name\": \"b\", \"where\": {\"public.orders\": \"region = = 'A'\"}}]}",
                 "phase 'b': where \"public.orders\": at position 10: expected a literal");
    expect_error("{\"phases\": [{\"name\": \"a\", \"where\": {\"public.orders\": \"id = 1\", \"public.orders\": \"id = 2\"}}]}",
                 "duplicate");
    expect_error("{\"phases\": [{\"name\": \"a\", \"where\": {\"public.orders\": \"id = 1\", \"\\\"public\\\".orders\": \"id = 2\"}}]}",
                 "where names table public.orders twice");
}

static void
test_load_file(void **state)
{
    (void) state;
    Plan plan;
    char err[512];
    assert_int_equal(GW_ERR_USAGE, plan_load("/nonexistent/plan.json", &plan, err, sizeof err));
    assert_non_null(strstr(err, "plan /nonexistent/plan.json: cannot open it"));
    char path[] = "/tmp/godwit-test-plan-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("{\"phases\": [\n  {\"name\": \"a\",\n   \"where\": {\"public.t\": \"x IN (1, 2\"}}]}\n", f);
    fclose(f);
    assert_int_equal(GW_ERR_USAGE, plan_load(path, &plan, err, sizeof err));
    assert_non_null(strstr(err, "phase 'a': where \"public.t\": at position"));
    f = fopen(path, "w");
    fputs("{\"phases\": [{\"name\": \"a\", \"tables\": [\"public.t\"]}]}", f);
    fclose(f);
    assert_int_equal(GW_OK, plan_load(path, &plan, err, sizeof err));
    assert_string_equal(plan.path, path);
    assert_int_equal(1, plan.nphases);
    plan_free(&plan);
    unlink(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equalities),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_not_and_or),
        cmocka_unit_test(test_nulls),
        cmocka_unit_test(test_booleans_and_kinds),
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_dnf_cap),
        cmocka_unit_test(test_table_pairs),
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_load_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
