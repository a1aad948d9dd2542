/*
 * plan_overlap.h: whether two phases of a plan can both take one row of a
 * table, decided from their predicates alone (no database).
 *
 * Two phases that both match a row would copy and stream it twice, and
 * their cutovers would fight over it.  This check runs before anything is
 * created; the data check (flow/plan_check.c) then counts real rows, which
 * also catches what the static check must assume (see below).
 *
 * How it decides: each predicate is rewritten to where it is TRUE in SQL's
 * three-valued logic (NOT pushed through with De Morgan and negated
 * operators; a comparison is never TRUE for NULL, so NOT (col = 1) does not
 * match NULL, and x NOT IN (.., NULL) matches nothing), expanded to a
 * disjunction of conjunctions (at most PLAN_OVERLAP_MAX_TERMS), and every
 * pair of conjunctions of the two predicates is checked column by column:
 * IS NULL against any comparison, = and IN sets, <> and NOT IN sets, and
 * ranges.  Assumptions, all on the side of reporting an overlap:
 *   - numbers are exact decimals (never floating point), and a range that
 *     holds only non-integers (id > 1 AND id < 2) still counts as a row;
 *   - strings are ordered bytewise (the C collation, as the change stream's
 *     evaluator does); a string range is assumed to hold a value whenever
 *     its bounds allow one;
 *   - strings that all read as numbers are also compared as numbers
 *     ('01' = '1' on a numeric column), and ones that all read as booleans
 *     as booleans: an overlap under either reading is an overlap;
 *   - booleans take FALSE and TRUE only;
 *   - a column compared with literals of different kinds (a number and a
 *     string) in one conjunction cannot be decided: reported, with why.
 * Disjoint under byte order is not disjoint under every collation (a < 'B'
 * and a >= 'a' share 'ab' in en_US): the data check counts such rows.
 */
#ifndef GW_PLAN_OVERLAP_H
#define GW_PLAN_OVERLAP_H

#include <stddef.h>

#include "core/predicate.h"
#include "core/selection.h"

/* Most conjunctions one predicate may expand to, and most pairs examined. */
#define PLAN_OVERLAP_MAX_TERMS 1024
#define PLAN_OVERLAP_MAX_PAIRS 1000000

typedef enum PlanOverlapVerdict {
    PLAN_DISJOINT,      /* no row can match both */
    PLAN_OVERLAP,       /* some row can match both; why names one */
    PLAN_UNDECIDED,     /* cannot tell; why says what to simplify */
} PlanOverlapVerdict;

/*
 * Whether a row can make both a and b TRUE; NULL stands for the whole table.
 * why (may be NULL) gets one line: "a row with region = 'B'" for an overlap,
 * the reason for an undecided one.
 */
PlanOverlapVerdict plan_predicates_overlap(const Predicate *a, const Predicate *b, char *why, size_t whylen);

/* One phase that includes a table, with its row filter (NULL: the whole table). */
typedef struct PlanTablePhase {
    const char *phase;
    const RowFilter *filter;
} PlanTablePhase;

/* A pair of phases (indexes into the array given) that can both take a row. */
typedef struct PlanOverlap {
    size_t a, b;
    PlanOverlapVerdict verdict;     /* PLAN_OVERLAP or PLAN_UNDECIDED */
    char *why;
} PlanOverlap;

/* Every overlapping or undecided pair among the phases that include one table; returns how many. */
size_t plan_table_overlaps(const PlanTablePhase *phases, size_t n, PlanOverlap **out);
void plan_overlaps_free(PlanOverlap *list, size_t n);

#endif
