/*
 * main.c: godwit's entry point: the command table, signal setup, hiding the
 * passwords of the command line from the process list, and the one place
 * where a result becomes the process exit code (DESIGN.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/version.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/url.h"

static const Command *const commands[] = {
    &cli_preflight_command,
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
    fprintf(out, "\n'godwit help COMMAND' (or 'godwit COMMAND --help') describes a command's options;\n"
                 "'godwit --version' prints the version.\n");
}

static const Command *
find_command(const char *name)
{
    for (size_t i = 0; commands[i]; i++)
        if (strcmp(name, commands[i]->name) == 0)
            return commands[i];
    return NULL;
}

static int
unknown_command(const char *name)
{
    char *shown = url_redact(name);
    fprintf(stderr, "godwit: unknown command '%s' (see 'godwit --help')\n", shown);
    free(shown);
    return GW_ERR_USAGE;
}

/* godwit help [COMMAND]: the general help, or a command's (its --help, word for word). */
static int
help(int argc, char **argv)
{
    if (argc < 3) {
        print_help(stdout);
        return GW_OK;
    }
    const Command *cmd = find_command(argv[2]);
    if (!cmd)
        return unknown_command(argv[2]);
    fputs(cmd->usage, stdout);
    return GW_OK;
}

/*
 * The command works on a copy of the arguments; the originals, which are
 * what ps and /proc/PID/cmdline show, get every password overwritten with
 * '*' in place, as PostgreSQL's server processes rewrite theirs.  Lengths
 * are kept: the kernel reads the arguments as one block from the memory
 * they were given in.
 */
static char **
take_arguments(int argc, char **argv)
{
    char **copy = gw_calloc((size_t) argc + 1, sizeof *copy);
    for (int i = 0; i < argc; i++)
        copy[i] = gw_strdup(argv[i]);
    for (int i = 1; i < argc; i++) {
        size_t off;
        /* URL options' values, and a URL put anywhere else by mistake (refused, but visible meanwhile). */
        if (cli_url_argument(argv, i, &off) || strstr(argv[i], "://"))
            (void) url_mask_in_place(argv[i] + off);
    }
    return copy;
}

static void
free_arguments(int argc, char **args)
{
    for (int i = 0; i < argc; i++)
        free(args[i]);
    free(args);
}

static int
run_command(const Command *cmd, int argc, char **argv)
{
    char **args = take_arguments(argc, argv);
    cli_remember_command_line(argc, args);
    signals_install();
    log_configure(LOG_FORMAT_TEXT, LOG_INFO);
    int rc = (int) cmd->run(argc - 1, args + 1);
    cli_urls_free();
    free_arguments(argc, args);
    return rc;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return GW_ERR_USAGE;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") || !strcmp(argv[1], "version")) {
        printf("godwit %s\n", GODWIT_VERSION);
        return GW_OK;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return help(1, argv);
    if (!strcmp(argv[1], "help"))
        return help(argc, argv);
    const Command *cmd = find_command(argv[1]);
    return cmd ? run_command(cmd, argc, argv) : unknown_command(argv[1]);
}
