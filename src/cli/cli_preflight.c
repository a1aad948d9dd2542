/*
 * cli_preflight.c: `godwit preflight` flags into PreflightOptions.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "flow/preflight.h"

static const char usage[] =
    "usage: godwit preflight --source URL --target URL [options]\n"
    "\n"
    "Checks, before a migration starts, what it will need: both connections\n"
    "(server, version, TLS), the selected tables, the source's change-log settings\n"
    "and privileges (wal_level, slots and replication rights on PostgreSQL; binlog\n"
    "format, row image and replication rights on MySQL/MariaDB), values the target\n"
    "could not take (MySQL zero dates, ...), the row filters, every column type\n"
    "against the target's dialect, that the target's tables can be made, and on a\n"
    "CockroachDB target whether a changefeed can carry failback (rangefeeds, GC\n"
    "TTL), and whether failback could write back into the source (its rows, its\n"
    "state, what fires for its writes). One line per check: ok, or PROBLEM with\n"
    "the reason; the details are logged on stderr.\n"
    "\n"
    "On a CockroachDB target (or with --probe) it then probes the target: in a\n"
    "scratch database it makes and drops (CREATEDB needed), it runs what fetch,\n"
    "replicate and verify send: godwit's state tables, the tables with every\n"
    "column type, the first row of each table copied from the source, keys,\n"
    "indexes, a snapshot read, an applier's update/delete/insert/truncate, foreign\n"
    "keys and sequences. Nothing else is written on either database.\n"
    "\n"
    "  --source URL            the migration's source\n"
    "  --target URL            the migration's target\n"
    "  --phase NAME            the phase to be fetched (default: default)\n"
    "  --plan FILE             the phase's tables and row predicates from this plan (needs --phase)\n"
    "  --tables GLOB,...       only these tables, globs on schema.table\n"
    "  --exclude GLOB,...      leave these tables out\n"
    "  --where 'T: PRED'       the rows of table T the phase takes (repeatable)\n"
    "  --no-stream             the migration will not replicate (a one-time copy)\n"
    "  --changefeed            failback will come through a changefeed (always on CockroachDB)\n"
    "  --no-failback           the migration will not fail back: the source is only read\n"
    "  --zero-dates error|null, --unsigned-bigint numeric|int8, --type-map FILE\n"
    "                          a MySQL/MariaDB source's conversions, as fetch will be given them\n"
    "  --probe, --no-probe     probe the target (default: on CockroachDB only)\n"
    "  --format text|json      one line per check (default), or one JSON object\n"
    "  --log-format text|json, -v/--verbose, -q/--quiet\n"
    "\n"
    "Exit codes: 0 every check passed, 2 a check found a problem (or bad usage).\n";

static GwResult run_preflight(int argc, char **argv);

const Command cli_preflight_command = {
    .name = "preflight",
    .summary = "check everything a migration needs before it starts, writing nothing",
    .usage = usage,
    .run = run_preflight,
};

enum { OPT_SOURCE = 4101, OPT_TARGET, OPT_PHASE, OPT_PLAN, OPT_TABLES, OPT_EXCLUDE, OPT_WHERE, OPT_NO_STREAM, OPT_NO_FAILBACK,
       OPT_CHANGEFEED, OPT_PROBE, OPT_NO_PROBE, OPT_FORMAT, OPT_ZERO_DATES, OPT_UNSIGNED_BIGINT, OPT_TYPE_MAP };

static const struct option long_options[] = {
    {"source", required_argument, NULL, OPT_SOURCE},
    {"target", required_argument, NULL, OPT_TARGET},
    {"phase", required_argument, NULL, OPT_PHASE},
    {"plan", required_argument, NULL, OPT_PLAN},
    {"tables", required_argument, NULL, OPT_TABLES},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"where", required_argument, NULL, OPT_WHERE},
    {"no-stream", no_argument, NULL, OPT_NO_STREAM},
    {"no-failback", no_argument, NULL, OPT_NO_FAILBACK},
    {"changefeed", no_argument, NULL, OPT_CHANGEFEED},
    {"probe", no_argument, NULL, OPT_PROBE},
    {"no-probe", no_argument, NULL, OPT_NO_PROBE},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"zero-dates", required_argument, NULL, OPT_ZERO_DATES},
    {"unsigned-bigint", required_argument, NULL, OPT_UNSIGNED_BIGINT},
    {"type-map", required_argument, NULL, OPT_TYPE_MAP},
    CLI_COMMON_LONG_OPTIONS,
    {NULL, 0, NULL, 0},
};

typedef struct PreflightArgs {
    PreflightOptions *o;
    const char *plan_file;
} PreflightArgs;

static GwResult
parse_one(void *opts, int opt, const char *arg)
{
    PreflightArgs *a = opts;
    PreflightOptions *o = a->o;
    const Command *cmd = &cli_preflight_command;
    switch (opt) {
    case OPT_SOURCE: o->source_url = arg; return GW_OK;
    case OPT_TARGET: o->target_url = arg; return GW_OK;
    case OPT_PHASE: return cli_phase_flag(cmd, arg, &o->phase);
    case OPT_PLAN:
        if (!*arg)
            return cli_usage_error(cmd, "--plan needs a file name");
        a->plan_file = arg;
        return GW_OK;
    case OPT_TABLES: return cli_selection_flag(cmd, "tables", arg, &o->selection);
    case OPT_EXCLUDE: return cli_selection_flag(cmd, "exclude", arg, &o->selection);
    case OPT_WHERE: return cli_selection_flag(cmd, "where", arg, &o->selection);
    case OPT_NO_STREAM: o->stream = false; return GW_OK;
    case OPT_NO_FAILBACK: o->no_failback = true; return GW_OK;
    case OPT_CHANGEFEED: o->changefeed = true; return GW_OK;
    case OPT_PROBE: o->probe = PROBE_ON; return GW_OK;
    case OPT_NO_PROBE: o->probe = PROBE_OFF; return GW_OK;
    case OPT_FORMAT: return cli_parse_format(cmd, arg, &o->json_output);
    case OPT_ZERO_DATES: return cli_source_flag(cmd, "zero-dates", arg, &o->source);
    case OPT_UNSIGNED_BIGINT: return cli_source_flag(cmd, "unsigned-bigint", arg, &o->source);
    case OPT_TYPE_MAP: return cli_source_flag(cmd, "type-map", arg, &o->source);
    default: return cli_usage_error(cmd, "unknown option");
    }
}

static GwResult
run_preflight(int argc, char **argv)
{
    PreflightOptions o;
    memset(&o, 0, sizeof o);
    o.stream = true;
    selection_init(&o.selection);
    bool help;
    PreflightArgs args = {.o = &o, .plan_file = NULL};
    struct Plan *plan = NULL;
    const Command *cmd = &cli_preflight_command;
    GwResult rc = cli_parse(cmd, argc, argv, long_options, parse_one, &args, &help);
    if (rc == GW_OK && !help)
        rc = cli_url(cmd, "--source", &o.source_url, true);
    if (rc == GW_OK && !help)
        rc = cli_url(cmd, "--target", &o.target_url, true);
    if (rc == GW_OK && !help)
        rc = cli_plan_option(cmd, args.plan_file, o.phase, &plan);
    if (rc == GW_OK && !help && plan)
        rc = cli_plan_selection(cmd, plan, o.phase, &o.selection);
    cli_plan_free(plan);
    if (!o.phase)
        o.phase = "default";
    if (rc == GW_OK && !help)
        rc = flow_preflight(&o);
    selection_free(&o.selection);
    return rc;
}
