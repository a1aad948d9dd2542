/*
 * cli_status.c: `godwit status` flags.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "flow/status.h"

static const char usage[] =
    "usage: godwit status --target URL [--format text|json]\n"
    "\n"
    "Shows every phase recorded on the target: its step, fetch progress, streams with\n"
    "their applied position and last apply time, and its last events.\n";

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
    CLI_COMMON_LONG_OPTIONS,
    {NULL, 0, NULL, 0},
};

static GwResult
run_status(int argc, char **argv)
{
    const char *target = NULL;
    bool json = false;
    GwResult rc = GW_OK;
    int opt;
    optind = 1;
    opterr = 0;
    while (rc == GW_OK && (opt = getopt_long(argc, argv, "vqh", long_options, NULL)) != -1) {
        if (opt == 'h') {
            fputs(usage, stdout);
            return GW_OK;
        }
        if (opt == '?')
            rc = cli_usage_error(&cli_status_command, "unknown or incomplete option '%s'", argv[optind - 1]);
        else if (opt == 4001)
            target = optarg;
        else if (opt == 4002 && strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0)
            rc = cli_usage_error(&cli_status_command, "--format must be text or json, not '%s'", optarg);
        else if (opt == 4002)
            json = !strcmp(optarg, "json");
        else
            cli_common_option(opt, optarg, &rc);
    }
    if (rc == GW_OK && !target)
        rc = cli_usage_error(&cli_status_command, "--target is required");
    return rc ? rc : flow_status(target, json);
}
