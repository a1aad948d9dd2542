/*
 * cli.h: the command table.  Each command is one cli_*.c file that turns
 * flags into options and calls one flow_* function; main() dispatches and
 * turns the result into the exit code.  Options are validated before any
 * work starts.
 */
#ifndef GW_CLI_H
#define GW_CLI_H

#include <stdbool.h>

#include "util/result.h"

typedef struct Command {
    const char *name;
    const char *summary;
    const char *usage;      /* full --help text */
    GwResult (*run)(int argc, char **argv);
} Command;

extern const Command cli_fetch_command;
extern const Command cli_replicate_command;
extern const Command cli_failback_command;
extern const Command cli_status_command;
extern const Command cli_verify_command;

/* Options every command takes: --log-format, --verbose, --quiet.  Returns 1 if consumed. */
int cli_common_option(int opt, const char *arg, GwResult *rc);
#define CLI_COMMON_LONG_OPTIONS                                                                                \
    {"log-format", required_argument, NULL, 1001}, {"verbose", no_argument, NULL, 'v'},                       \
        {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'}

struct option;

/*
 * Parses argv for a command: the common options, --help (prints the usage,
 * sets *help), and one() for each of the command's own; then refuses stray
 * arguments.  Everything is validated here, before any work starts.
 */
GwResult cli_parse(const Command *cmd, int argc, char **argv, const struct option *longopts,
                   GwResult (*one)(void *opts, int opt, const char *arg), void *opts, bool *help) GW_MUST_CHECK;
/* A required option: usage error naming it when value is NULL. */
GwResult cli_require(const Command *cmd, const char *option, const char *value) GW_MUST_CHECK;

/* Prints "godwit: MESSAGE" and the usage hint; returns GW_ERR_USAGE. */
GwResult cli_usage_error(const Command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_parse_positive(const char *opt, const char *arg, int *out);
/* Parses a whole number in [min, max]; prints the error and returns -1 otherwise. */
int cli_parse_number(const char *opt, const char *arg, long min, long max, int *out);
int cli_parse_number_ll(const char *opt, const char *arg, long long min, long long max, long long *out);

#endif
