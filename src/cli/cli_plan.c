/*
 * cli_plan.c: --plan FILE for every command that takes it (fetch, verify,
 * replicate, failback, cutover, rollback, finish).
 *
 * A plan is read and checked before the command does anything: a bad file,
 * a missing or unknown --phase, or phases that statically overlap are
 * usage errors (exit 2).  Checks that need the source's rows are fetch's
 * (flow/plan_check.c), made before it creates anything.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/plan.h"
#include "flow/plan_check.h"
#include "util/mem.h"

void
cli_plan_free(Plan *plan)
{
    if (!plan)
        return;
    plan_free(plan);
    free(plan);
}

GwResult
cli_plan_option(const Command *cmd, const char *path, const char *phase, Plan **out)
{
    *out = NULL;
    if (!path)
        return GW_OK;
    if (!phase)
        return cli_usage_error(cmd, "--plan needs --phase: which of the plan's phases to work on");
    Plan *plan = gw_calloc(1, sizeof *plan);
    char err[1024];
    GwResult rc = plan_load(path, plan, err, sizeof err);
    if (rc == GW_OK && !plan_phase(plan, phase, err, sizeof err))
        rc = GW_ERR_USAGE;
    if (rc) {
        cli_plan_free(plan);
        return cli_usage_error(cmd, "%s", err);
    }
    rc = flow_plan_check_static(plan, NULL);
    if (rc) {
        cli_plan_free(plan);
        return rc;
    }
    *out = plan;
    return GW_OK;
}

GwResult
cli_plan_check(const Command *cmd, const char *path, const char *phase)
{
    Plan *plan;
    GwResult rc = cli_plan_option(cmd, path, phase, &plan);
    cli_plan_free(plan);
    return rc;
}

GwResult
cli_plan_selection(const Command *cmd, const Plan *plan, const char *phase, Selection *sel)
{
    if (sel->ninclude || sel->nexclude || sel->nfilters)
        return cli_usage_error(cmd, "--plan cannot be combined with --tables, --exclude or --where: the plan's"
                                    " phase chooses the tables and rows");
    const PlanPhase *ph = plan_phase(plan, phase, NULL, 0);
    if (!ph)
        return GW_ERR_USAGE;    /* cli_plan_option checked it is there */
    plan_phase_selection(ph, sel);
    return GW_OK;
}

GwResult
cli_plan_check_recorded(const Command *cmd, const Plan *plan, const char *phase, const char *target_url)
{
    (void) cmd;
    return plan ? flow_plan_check_recorded(plan, phase, target_url) : GW_OK;
}
