/*
 * cli_verify.c: `godwit verify` flags into VerifyOptions.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "flow/verify.h"

static const char usage[] =
    "usage: godwit verify --source URL --target URL [options]\n"
    "\n"
    "Compares source and target row by row, each side read from one consistent\n"
    "snapshot in primary-key order, and names every difference: tables, columns,\n"
    "types, keys and nullability that differ, rows missing or extra on the target,\n"
    "and rows whose values differ (compared by value: numbers, timestamps in UTC,\n"
    "JSON by structure). With a phase fetched on the target, its tables and row\n"
    "filters are compared. With --sample N, only about N rows of each table are\n"
    "compared, in windows of consecutive keys spread over it: no table is read or\n"
    "counted in full (fast enough to run while a cutover holds writes).\n"
    "\n"
    "  --source URL            the migration's source\n"
    "  --target URL            the migration's target\n"
    "  --phase NAME            phase whose tables and filters to compare (default: default)\n"
    "  --plan FILE             take the phase's tables and row predicates from this plan\n"
    "                          (docs/plans.md; needs --phase; not with --tables, --exclude, --where)\n"
    "  --tables GLOB,...       only these tables, globs on schema.table\n"
    "  --exclude GLOB,...      leave these tables out\n"
    "  --where 'T: PRED'       compare only rows of table T matching PRED (repeatable)\n"
    "  --jobs N                parallel readers per side (default: 4)\n"
    "  --sample N              compare about N rows per table (up to 16 windows of\n"
    "                          consecutive keys starting at random keys), not every row;\n"
    "                          tables without a primary key are not sampled (reported so);\n"
    "                          0: every row (default)\n"
    "  --live SECONDS          while replication runs: recheck differing rows with backoff for\n"
    "                          up to SECONDS; report only differences that persist\n"
    "  --format text|json      report format on stdout (default: text; json: one object per\n"
    "                          table, then a summary object)\n"
    "  --repair-sql FILE       write SQL (target dialect) that fixes the row differences found;\n"
    "                          nothing is applied\n"
    "  --float-tolerance X     floats equal within relative tolerance X (default: bit-exact)\n"
    "  --max-report N          rows listed per table in the report (default: 20)\n"
    "  --metrics-addr H:P      serve Prometheus /metrics and /healthz on HOST:PORT\n"
    "  --log-format text|json, -v/--verbose, -q/--quiet\n"
    "\n"
    "When the target holds godwit state for the phase, each run's result is also\n"
    "recorded in its _godwit.events (kind \"verify\"), which `godwit status` shows.\n"
    "\n"
    "Exit codes: 0 equal, 1 differences found, 2 bad usage or configuration,\n"
    "3 source error, 4 target error, 5 internal.\n";

static GwResult run_verify(int argc, char **argv);

const Command cli_verify_command = {
    .name = "verify",
    .summary = "compare source and target row by row and name every difference",
    .usage = usage,
    .run = run_verify,
};

enum { OPT_SOURCE = 4001, OPT_TARGET, OPT_PHASE, OPT_TABLES, OPT_EXCLUDE, OPT_WHERE, OPT_JOBS, OPT_LIVE,
       OPT_FORMAT, OPT_REPAIR, OPT_FLOAT_TOL, OPT_MAX_REPORT, OPT_METRICS, OPT_SAMPLE, OPT_PLAN };

static const struct option long_options[] = {
    {"source", required_argument, NULL, OPT_SOURCE},
    {"target", required_argument, NULL, OPT_TARGET},
    {"phase", required_argument, NULL, OPT_PHASE},
    {"tables", required_argument, NULL, OPT_TABLES},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"where", required_argument, NULL, OPT_WHERE},
    {"jobs", required_argument, NULL, OPT_JOBS},
    {"live", required_argument, NULL, OPT_LIVE},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"repair-sql", required_argument, NULL, OPT_REPAIR},
    {"float-tolerance", required_argument, NULL, OPT_FLOAT_TOL},
    {"max-report", required_argument, NULL, OPT_MAX_REPORT},
    {"metrics-addr", required_argument, NULL, OPT_METRICS},
    {"sample", required_argument, NULL, OPT_SAMPLE},
    {"plan", required_argument, NULL, OPT_PLAN},
    CLI_COMMON_LONG_OPTIONS,
    {NULL, 0, NULL, 0},
};

static GwResult
parse_tolerance(const char *arg, double *out)
{
    char *end;
    double x = strtod(arg, &end);
    if (*arg == '\0' || *end != '\0' || !(x >= 0 && x < 1))
        return cli_usage_error(&cli_verify_command, "--float-tolerance must be a number in [0, 1), not '%s'", arg);
    *out = x;
    return GW_OK;
}

/* What parse_one fills: the options, and --plan. */
typedef struct VerifyArgs {
    VerifyOptions *o;
    const char *plan_file;
} VerifyArgs;

static GwResult
parse_one(void *opts, int opt, const char *arg)
{
    VerifyArgs *a = opts;
    VerifyOptions *o = a->o;
    const Command *cmd = &cli_verify_command;
    switch (opt) {
    case OPT_SOURCE: o->source_url = arg; return GW_OK;
    case OPT_TARGET: o->target_url = arg; return GW_OK;
    case OPT_PHASE: return cli_phase_flag(cmd, arg, &o->phase);
    case OPT_TABLES: return cli_selection_flag(cmd, "tables", arg, &o->selection);
    case OPT_EXCLUDE: return cli_selection_flag(cmd, "exclude", arg, &o->selection);
    case OPT_WHERE: return cli_selection_flag(cmd, "where", arg, &o->selection);
    case OPT_JOBS: return cli_parse_number("--jobs", arg, 1, 64, &o->jobs) ? GW_ERR_USAGE : GW_OK;
    case OPT_LIVE: return cli_parse_number("--live", arg, 0, 86400, &o->live_seconds) ? GW_ERR_USAGE : GW_OK;
    case OPT_MAX_REPORT:
        return cli_parse_number("--max-report", arg, 0, 1000000, &o->max_report) ? GW_ERR_USAGE : GW_OK;
    case OPT_FORMAT:
        return cli_parse_format(cmd, arg, &o->json_output);
    case OPT_REPAIR:
        if (!*arg)
            return cli_usage_error(cmd, "--repair-sql needs a file name");
        o->repair_file = arg;
        return GW_OK;
    case OPT_FLOAT_TOL: return parse_tolerance(arg, &o->float_tolerance);
    case OPT_METRICS: o->metrics_addr = arg; return GW_OK;
    case OPT_SAMPLE:
        return cli_parse_number("--sample", arg, 0, 100000000, &o->sample_rows) ? GW_ERR_USAGE : GW_OK;
    case OPT_PLAN:
        if (!*arg)
            return cli_usage_error(cmd, "--plan needs a file name");
        a->plan_file = arg;
        return GW_OK;
    default: return cli_usage_error(cmd, "unknown option");
    }
}

static GwResult
run_verify(int argc, char **argv)
{
    VerifyOptions o;
    memset(&o, 0, sizeof o);
    o.jobs = 4;
    o.max_report = 20;
    o.float_tolerance = -1;
    selection_init(&o.selection);
    bool help;
    VerifyArgs args = {.o = &o, .plan_file = NULL};
    struct Plan *plan = NULL;
    GwResult rc = cli_parse(&cli_verify_command, argc, argv, long_options, parse_one, &args, &help);
    if (rc == GW_OK && !help)
        rc = cli_url(&cli_verify_command, "--source", &o.source_url, true);
    if (rc == GW_OK && !help)
        rc = cli_url(&cli_verify_command, "--target", &o.target_url, true);
    if (rc == GW_OK && !help)
        rc = cli_plan_option(&cli_verify_command, args.plan_file, o.phase, &plan);
    if (rc == GW_OK && !help && plan)
        rc = cli_plan_selection(&cli_verify_command, plan, o.phase, &o.selection);
    cli_plan_free(plan);
    if (!o.phase)
        o.phase = "default";
    if (rc == GW_OK && !help)
        rc = flow_verify(&o);
    selection_free(&o.selection);
    return rc;
}
