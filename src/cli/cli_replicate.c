/*
 * cli_replicate.c: `godwit replicate` flags into ReplicateOptions.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "flow/replicate.h"

static const char usage[] =
    "usage: godwit replicate --source URL --target URL [options]\n"
    "\n"
    "Streams every change committed on the source after the phase's fetch into the\n"
    "target, in source commit order, exactly once (the position is checkpointed in the\n"
    "target's _godwit.checkpoints in the same transaction as the changes).\n"
    "\n"
    "  --source URL            the fetch's source\n"
    "  --target URL            the fetch's target\n"
    "  --phase NAME            phase (default: default)\n"
    "  --stop-when-caught-up   exit 0 once everything the source had committed at start is applied\n"
    "  --retry-for SECONDS     keep reconnecting for this long after losing a connection (default: 300)\n"
    "  --group-size N          most changes grouped into one target transaction (default: 2000)\n"
    "  --group-ms MS           longest a group stays open before it commits (default: 10)\n"
    "  --metrics-addr H:P      serve Prometheus /metrics and /healthz on HOST:PORT\n"
    "  --server-id N           MySQL/MariaDB source: the binlog reader's server_id (default: derived\n"
    "                          from the phase name, in 2147483648..4294967295)\n"
    "  --ddl-applied           MySQL/MariaDB source: the DDL the stream last stopped at was made on\n"
    "                          the target by hand; go past it\n"
    "  --log-format text|json, -v/--verbose, -q/--quiet\n"
    "\n"
    "SIGINT or SIGTERM stops it after the current transaction. Exit codes: 0 stopped\n"
    "cleanly, 2 bad usage or configuration, 3 source error, 4 target error, 5 internal.\n";

static GwResult run_replicate(int argc, char **argv);

const Command cli_replicate_command = {
    .name = "replicate",
    .summary = "stream the source's changes into the target from the fetch's position",
    .usage = usage,
    .run = run_replicate,
};

enum { OPT_SOURCE = 3001, OPT_TARGET, OPT_PHASE, OPT_PLAN, OPT_STOP, OPT_RETRY, OPT_GROUP, OPT_GROUP_MS, OPT_METRICS,
       OPT_SERVER_ID, OPT_DDL_APPLIED };

static const struct option long_options[] = {
    {"source", required_argument, NULL, OPT_SOURCE},
    {"target", required_argument, NULL, OPT_TARGET},
    {"phase", required_argument, NULL, OPT_PHASE},
    {"plan", required_argument, NULL, OPT_PLAN},
    {"stop-when-caught-up", no_argument, NULL, OPT_STOP},
    {"retry-for", required_argument, NULL, OPT_RETRY},
    {"group-size", required_argument, NULL, OPT_GROUP},
    {"group-ms", required_argument, NULL, OPT_GROUP_MS},
    {"metrics-addr", required_argument, NULL, OPT_METRICS},
    {"server-id", required_argument, NULL, OPT_SERVER_ID},
    {"ddl-applied", no_argument, NULL, OPT_DDL_APPLIED},
    CLI_COMMON_LONG_OPTIONS,
    {NULL, 0, NULL, 0},
};

static GwResult
parse_one(void *opts, int opt, const char *arg)
{
    ReplicateOptions *o = opts;
    const Command *cmd = &cli_replicate_command;
    switch (opt) {
    case OPT_SOURCE: o->source_url = arg; return GW_OK;
    case OPT_TARGET: o->target_url = arg; return GW_OK;
    case OPT_PHASE:
        if (!*arg)
            return cli_usage_error(cmd, "--phase must not be empty");
        o->phase = arg;
        return GW_OK;
    case OPT_PLAN:
        return cli_usage_error(cmd, "--plan is not supported yet (phased plans come with `godwit cutover`)");
    case OPT_METRICS: o->metrics_addr = arg; return GW_OK;
    case OPT_STOP: o->stop_when_caught_up = true; return GW_OK;
    case OPT_RETRY: return cli_parse_number("--retry-for", arg, 0, 86400, &o->retry_seconds) ? GW_ERR_USAGE : GW_OK;
    case OPT_GROUP: return cli_parse_number("--group-size", arg, 1, 1000000, &o->group_changes) ? GW_ERR_USAGE : GW_OK;
    case OPT_GROUP_MS: return cli_parse_number("--group-ms", arg, 0, 60000, &o->group_ms) ? GW_ERR_USAGE : GW_OK;
    case OPT_SERVER_ID: {
        long long id;
        if (cli_parse_number_ll("--server-id", arg, 1, 4294967295LL, &id))
            return GW_ERR_USAGE;
        o->server_id = (uint32_t) id;
        return GW_OK;
    }
    case OPT_DDL_APPLIED: o->ddl_applied = true; return GW_OK;
    default: return cli_usage_error(cmd, "unknown option");
    }
}

static GwResult
run_replicate(int argc, char **argv)
{
    ReplicateOptions o = {
        .phase = "default",
        .retry_seconds = 300,
        .group_changes = 2000,
        .group_ms = 10,
    };
    bool help;
    GwResult rc = cli_parse(&cli_replicate_command, argc, argv, long_options, parse_one, &o, &help);
    if (rc || help)
        return rc;
    rc = cli_require(&cli_replicate_command, "--source", o.source_url);
    if (rc == GW_OK)
        rc = cli_require(&cli_replicate_command, "--target", o.target_url);
    return rc ? rc : flow_replicate(&o);
}
