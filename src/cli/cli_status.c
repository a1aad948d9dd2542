/*
 * cli_status.c: `godwit status` flags.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "flow/status.h"

static const char usage[] =
    "usage: godwit status --target URL [--source URL] [--format text|json]\n"
    "\n"
    "Shows every phase recorded on the target: its step, fetch progress, streams with\n"
    "their applied position and last apply time, and its last events; then every\n"
    "godwit replication slot of the target's database with the WAL it keeps, those no\n"
    "phase uses marked ORPHAN.  With --source, also the position of each failback\n"
    "stream (its checkpoint is kept on the source) and the source's slots.\n";

static GwResult run_status(int argc, char **argv);

const Command cli_status_command = {
    .name = "status",
    .summary = "show the phases, streams and events recorded on a target",
    .usage = usage,
    .run = run_status,
};

static const struct option long_options[] = {
    {"target", required_argument, NULL, 4001},
    {"format", required_argument, NULL, 4002},
    {"source", required_argument, NULL, 4003},
    CLI_COMMON_LONG_OPTIONS,
    {NULL, 0, NULL, 0},
};

typedef struct StatusOptions {
    const char *target;
    const char *source;
    bool json;
} StatusOptions;

static GwResult
parse_one(void *opts, int opt, const char *arg)
{
    StatusOptions *o = opts;
    if (opt == 4001) {
        o->target = arg;
        return GW_OK;
    }
    if (opt == 4003) {
        o->source = arg;
        return GW_OK;
    }
    if (opt == 4002)
        return cli_parse_format(&cli_status_command, arg, &o->json);
    return cli_usage_error(&cli_status_command, "unknown option");
}

static GwResult
run_status(int argc, char **argv)
{
    StatusOptions o = {0};
    bool help;
    GwResult rc = cli_parse(&cli_status_command, argc, argv, long_options, parse_one, &o, &help);
    if (rc || help)
        return rc;
    rc = cli_url(&cli_status_command, "--target", &o.target, true);
    if (rc == GW_OK)
        rc = cli_url(&cli_status_command, "--source", &o.source, false);
    return rc ? rc : flow_status(o.target, o.source, o.json);
}
