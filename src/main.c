/*
 * main.c: godwit's entry point: the command table, signal setup, and the one
 * place where a result becomes the process exit code (DESIGN.md).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/log.h"
#include "util/signals.h"

#define GODWIT_VERSION "0.1.0"

static const Command *const commands[] = {
    &cli_fetch_command,
    &cli_replicate_command,
    &cli_failback_command,
    &cli_verify_command,
    &cli_cutover_command,
    &cli_rollback_command,
    &cli_finish_command,
    &cli_status_command,
    NULL,
};

static void
print_help(FILE *out)
{
    fprintf(out, "godwit %s: live database migration\n\nusage: godwit COMMAND [options]\n\ncommands:\n",
            GODWIT_VERSION);
    for (size_t i = 0; commands[i]; i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "\n'godwit COMMAND --help' describes a command's options.\n");
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return GW_ERR_USAGE;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("godwit %s\n", GODWIT_VERSION);
        return GW_OK;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        print_help(stdout);
        return GW_OK;
    }
    for (size_t i = 0; commands[i]; i++) {
        if (strcmp(argv[1], commands[i]->name) != 0)
            continue;
        signals_install();
        log_configure(LOG_FORMAT_TEXT, LOG_INFO);
        return (int) commands[i]->run(argc - 1, argv + 1);
    }
    fprintf(stderr, "godwit: unknown command '%s' (see 'godwit --help')\n", argv[1]);
    return GW_ERR_USAGE;
}
