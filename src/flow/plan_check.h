/*
 * plan_check.h: a plan's phases checked against each other and against
 * the source's rows, before a phase of it is fetched (DESIGN.md, "Phases
 * side by side"): no row may belong to two phases, and every row of a
 * table the phases split should belong to one.
 *
 * Every refusal is logged once, here, as one line naming the plan, the
 * table, the phases and their predicates; the result is GW_ERR_USAGE (exit
 * 2).  Nothing here writes to any database.
 */
#ifndef GW_PLAN_CHECK_H
#define GW_PLAN_CHECK_H

#include <stdbool.h>

#include "core/catalog.h"
#include "core/plan.h"
#include "engine/engine.h"
#include "util/result.h"

/*
 * The static check (core/plan_overlap.h) for every table of cat that two
 * phases include, or, with cat NULL (no source at hand), for the tables the
 * plan's where keys name.  Logs each pair that can share a row.
 */
GwResult flow_plan_check_static(const Plan *plan, const Catalog *cat) GW_MUST_CHECK;

/*
 * What fetch --plan checks before it creates anything: describes every
 * table of the source, checks that each where key names a table of the
 * source that its phase includes and only that table's columns, runs the
 * static check over all of them, then counts on the source (count_rows)
 * the rows two phases match and the rows no phase's predicate matches in
 * each table the phases split.  Uncovered rows are refused unless
 * allow_uncovered (then they are a warning: such rows stay on the source).
 * Tables no phase includes are a warning.  Ends with one summary log line.
 */
GwResult flow_plan_check_source(const Plan *plan, EngineConn *source, bool allow_uncovered) GW_MUST_CHECK;

/*
 * For streams of a fetched phase (replicate, failback, cutover): the row
 * filters the fetch recorded on the target (_godwit.phases) must be the
 * plan's for that phase.  A phase not recorded there passes (the command
 * itself reports it).
 */
GwResult flow_plan_check_recorded(const Plan *plan, const char *phase, const char *target_url) GW_MUST_CHECK;

#endif
