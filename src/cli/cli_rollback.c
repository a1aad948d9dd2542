/*
 * cli_rollback.c: `godwit rollback` and `godwit finish` (the same flags)
 * into RollbackOptions.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "flow/cutover.h"

static const char rollback_usage[] =
    "usage: godwit rollback --source URL --target URL --phase NAME [options]\n"
    "\n"
    "Returns a cut-over phase's writes to the source, losing none made on the target:\n"
    "fences the phase on the target (triggers refuse its writes there from anyone but\n"
    "godwit), lets failback apply everything written before the fence (a running\n"
    "`godwit failback` of the phase exits 0 by itself there; if none runs, rollback\n"
    "streams it), lifts the source's fence and records the event.  Prints the write\n"
    "downtime.  Then the phase's slots, publications and replication origins are\n"
    "removed from both databases.  A step that fails leaves the phase cut over, the\n"
    "target unfenced.\n"
    "\n"
    "  --source URL --target URL --phase NAME   the migration and the phase\n"
    "  --plan FILE             the migration's plan (checked; the phase must be in it)\n"
    "  --drain-timeout S       how long applying up to the fence may take (default 60)\n"
    "  --format text|json      summary format on stdout\n"
    "  --log-format text|json, -v/--verbose, -q/--quiet\n";

static const char finish_usage[] =
    "usage: godwit finish --source URL --target URL --phase NAME [--plan FILE] [--discard-unapplied]\n"
    "\n"
    "Ends a phase's failback once it is no longer wanted (after cutover, or after a\n"
    "rollback): refuses while `godwit failback` of the phase runs, and while failback's\n"
    "slot holds changes written on the target that the source does not have yet;\n"
    "then removes the phase's slots, publications and replication origins from both\n"
    "databases and its fences on both sides, and records the event.  The phase's rows\n"
    "are left as they are on both sides.\n"
    "\n"
    "  --discard-unapplied     finish although failback has changes not applied (they\n"
    "                          are lost; how many is printed)\n"
    "  --format text|json      summary format on stdout\n";

static GwResult run_rollback(int argc, char **argv);
static GwResult run_finish(int argc, char **argv);

const Command cli_rollback_command = {
    .name = "rollback",
    .summary = "return a cut-over phase's writes to the source, losing nothing",
    .usage = rollback_usage,
    .run = run_rollback,
};

const Command cli_finish_command = {
    .name = "finish",
    .summary = "end a phase's failback: drop its stream and fences",
    .usage = finish_usage,
    .run = run_finish,
};

enum { OPT_SOURCE = 6001, OPT_TARGET, OPT_PHASE, OPT_PLAN, OPT_DRAIN, OPT_FORMAT, OPT_DISCARD };

static const struct option long_options[] = {
    {"source", required_argument, NULL, OPT_SOURCE},
    {"target", required_argument, NULL, OPT_TARGET},
    {"phase", required_argument, NULL, OPT_PHASE},
    {"plan", required_argument, NULL, OPT_PLAN},
    {"drain-timeout", required_argument, NULL, OPT_DRAIN},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"discard-unapplied", no_argument, NULL, OPT_DISCARD},
    CLI_COMMON_LONG_OPTIONS,
    {NULL, 0, NULL, 0},
};

typedef struct RollbackArgs {
    const Command *cmd;
    RollbackOptions o;
    const char *plan;
} RollbackArgs;

static GwResult
parse_one(void *opts, int opt, const char *arg)
{
    RollbackArgs *a = opts;
    switch (opt) {
    case OPT_SOURCE: a->o.source_url = arg; return GW_OK;
    case OPT_TARGET: a->o.target_url = arg; return GW_OK;
    case OPT_PHASE: return cli_phase_flag(a->cmd, arg, &a->o.phase);
    case OPT_PLAN: a->plan = arg; return GW_OK;
    case OPT_DRAIN:
        return cli_parse_number("--drain-timeout", arg, 1, 86400, &a->o.drain_timeout) ? GW_ERR_USAGE : GW_OK;
    case OPT_FORMAT:
        return cli_parse_format(a->cmd, arg, &a->o.json_output);
    case OPT_DISCARD:
        if (a->cmd != &cli_finish_command)
            return cli_usage_error(a->cmd, "--discard-unapplied is an option of finish");
        a->o.discard_unapplied = true;
        return GW_OK;
    default:
        return cli_usage_error(a->cmd, "unknown option");
    }
}

static GwResult
parse(const Command *cmd, int argc, char **argv, RollbackArgs *a, bool *help)
{
    a->cmd = cmd;
    a->o.drain_timeout = 60;
    GwResult rc = cli_parse(cmd, argc, argv, long_options, parse_one, a, help);
    if (rc || *help)
        return rc;
    rc = cli_url(cmd, "--source", &a->o.source_url, true);
    if (rc == GW_OK)
        rc = cli_url(cmd, "--target", &a->o.target_url, true);
    if (rc == GW_OK)
        rc = cli_require(cmd, "--phase", a->o.phase);
    if (rc == GW_OK && a->plan)
        rc = cli_plan_check(cmd, a->plan, a->o.phase);
    return rc;
}

static GwResult
run_rollback(int argc, char **argv)
{
    RollbackArgs a = {0};
    bool help = false;
    GwResult rc = parse(&cli_rollback_command, argc, argv, &a, &help);
    return rc || help ? rc : flow_rollback(&a.o);
}

static GwResult
run_finish(int argc, char **argv)
{
    RollbackArgs a = {0};
    bool help = false;
    GwResult rc = parse(&cli_finish_command, argc, argv, &a, &help);
    return rc || help ? rc : flow_finish(&a.o);
}
