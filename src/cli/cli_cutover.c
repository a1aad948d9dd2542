/*
 * cli_cutover.c: `godwit cutover` flags into CutoverOptions.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "flow/cutover.h"
#include "util/log.h"
#include "util/signals.h"

static const char usage[] =
    "usage: godwit cutover --source URL --target URL --phase NAME [options]\n"
    "\n"
    "Moves a phase's writes from the source to the target, with the write downtime\n"
    "measured: waits for forward replication to catch up, fences the phase on the\n"
    "source (--fence) or waits for its writes to stop, lets replication apply up to\n"
    "that point (a running `godwit replicate` of the phase exits 0 by itself there),\n"
    "verifies the phase, and prepares failback from the target's position (from then\n"
    "on every write on the target is kept for `godwit failback`; replicate refuses the\n"
    "phase).  Prints the write downtime (fence to failback prepared) and next steps.\n"
    "A step that fails leaves the source the system of record, unfenced.\n"
    "\n"
    "  --source URL            the migration's source\n"
    "  --target URL            the migration's target\n"
    "  --phase NAME            the phase to cut over\n"
    "  --plan FILE             the migration's plan (checked; the phase must be in it)\n"
    "  --fence                 refuse the phase's writes on the source with triggers\n"
    "                          (rows matching its predicates; godwit's own writes pass)\n"
    "                          until `godwit rollback`; without it, stop the\n"
    "                          application's writes to the phase yourself: cutover waits\n"
    "                          for --quiet-seconds without a change\n"
    "  --quiet-seconds S       without --fence: the quiet period (default 5)\n"
    "  --verify MODE           full, sample (default) or none\n"
    "  --sample-rows N         rows per table compared by --verify sample (default 1000)\n"
    "  --catch-up-timeout S    how long forward replication may take to catch up before\n"
    "                          the fence (default 120)\n"
    "  --drain-timeout S       how long applying up to the fence may take (default 60)\n"
    "  --changefeed            failback through the changefeed webhook (automatic with a\n"
    "                          CockroachDB target)\n"
    "  --format text|json      summary format on stdout\n"
    "  --log-format text|json, -v/--verbose, -q/--quiet\n"
    "\n"
    "Exit codes: 0 cut over, 1 verify found differences (the source stays the system of\n"
    "record), 2 refused (nothing changed), 3 source error, 4 target error.\n";

static GwResult run_cutover(int argc, char **argv);

const Command cli_cutover_command = {
    .name = "cutover",
    .summary = "move a phase's writes to the target (fence, drain, verify, failback ready)",
    .usage = usage,
    .run = run_cutover,
};

enum {
    OPT_SOURCE = 5001, OPT_TARGET, OPT_PHASE, OPT_PLAN, OPT_FENCE, OPT_QUIET, OPT_VERIFY, OPT_SAMPLE_ROWS,
    OPT_CATCH_UP, OPT_DRAIN, OPT_CHANGEFEED, OPT_FORMAT,
};

static const struct option long_options[] = {
    {"source", required_argument, NULL, OPT_SOURCE},
    {"target", required_argument, NULL, OPT_TARGET},
    {"phase", required_argument, NULL, OPT_PHASE},
    {"plan", required_argument, NULL, OPT_PLAN},
    {"fence", no_argument, NULL, OPT_FENCE},
    {"quiet-seconds", required_argument, NULL, OPT_QUIET},
    {"verify", required_argument, NULL, OPT_VERIFY},
    {"sample-rows", required_argument, NULL, OPT_SAMPLE_ROWS},
    {"catch-up-timeout", required_argument, NULL, OPT_CATCH_UP},
    {"drain-timeout", required_argument, NULL, OPT_DRAIN},
    {"changefeed", no_argument, NULL, OPT_CHANGEFEED},
    {"format", required_argument, NULL, OPT_FORMAT},
    CLI_COMMON_LONG_OPTIONS,
    {NULL, 0, NULL, 0},
};

typedef struct CutoverArgs {
    CutoverOptions o;
    const char *plan;
} CutoverArgs;

static GwResult
parse_one(void *opts, int opt, const char *arg)
{
    CutoverArgs *a = opts;
    CutoverOptions *o = &a->o;
    const Command *cmd = &cli_cutover_command;
    switch (opt) {
    case OPT_SOURCE: o->source_url = arg; return GW_OK;
    case OPT_TARGET: o->target_url = arg; return GW_OK;
    case OPT_PHASE: return cli_phase_flag(cmd, arg, &o->phase);
    case OPT_PLAN: a->plan = arg; return GW_OK;
    case OPT_FENCE: o->fence = true; return GW_OK;
    case OPT_CHANGEFEED: o->changefeed = true; return GW_OK;
    case OPT_QUIET: return cli_parse_number("--quiet-seconds", arg, 1, 3600, &o->quiet_seconds) ? GW_ERR_USAGE : GW_OK;
    case OPT_SAMPLE_ROWS:
        return cli_parse_number("--sample-rows", arg, 1, 100000000, &o->sample_rows) ? GW_ERR_USAGE : GW_OK;
    case OPT_CATCH_UP:
        return cli_parse_number("--catch-up-timeout", arg, 1, 86400, &o->catch_up_timeout) ? GW_ERR_USAGE : GW_OK;
    case OPT_DRAIN: return cli_parse_number("--drain-timeout", arg, 1, 86400, &o->drain_timeout) ? GW_ERR_USAGE : GW_OK;
    case OPT_VERIFY:
        if (!strcmp(arg, "full")) o->verify = CUTOVER_VERIFY_FULL;
        else if (!strcmp(arg, "sample")) o->verify = CUTOVER_VERIFY_SAMPLE;
        else if (!strcmp(arg, "none")) o->verify = CUTOVER_VERIFY_NONE;
        else return cli_usage_error(cmd, "--verify must be full, sample or none, not '%s'", arg);
        return GW_OK;
    case OPT_FORMAT:
        return cli_parse_format(cmd, arg, &o->json_output);
    default:
        return cli_usage_error(cmd, "unknown option");
    }
}

static GwResult
run_cutover(int argc, char **argv)
{
    CutoverArgs a = {.o = {.verify = CUTOVER_VERIFY_SAMPLE, .sample_rows = 1000, .quiet_seconds = 5, .catch_up_timeout = 120,
                           .drain_timeout = 60}};
    const Command *cmd = &cli_cutover_command;
    bool help;
    GwResult rc = cli_parse(cmd, argc, argv, long_options, parse_one, &a, &help);
    if (rc || help)
        return rc;
    rc = cli_url(cmd, "--source", &a.o.source_url, true);
    if (rc == GW_OK)
        rc = cli_url(cmd, "--target", &a.o.target_url, true);
    if (rc == GW_OK)
        rc = cli_require(cmd, "--phase", a.o.phase);
    if (rc == GW_OK && a.plan)
        rc = cli_plan_check(cmd, a.plan, a.o.phase);
    if (rc)
        return rc;
    rc = flow_cutover(&a.o);
    if (rc && signals_stop_requested()) {
        char *again = cli_command_line(NULL);
        log_error("cutover of phase '%s' interrupted; the next cutover undoes what it left (lifts the fence) and"
                  " starts over: %s", a.o.phase, again);
        free(again);
    }
    return rc;
}
