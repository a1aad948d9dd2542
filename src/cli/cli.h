/*
 * cli.h: the command table.  Each command is one cli_*.c file that turns
 * flags into options and calls one flow_* function; main() dispatches and
 * turns the result into the exit code.  Options are validated before any
 * work starts.
 */
#ifndef GW_CLI_H
#define GW_CLI_H

#include <stdbool.h>
#include <stddef.h>

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
extern const Command cli_cutover_command;
extern const Command cli_rollback_command;
extern const Command cli_finish_command;
extern const Command cli_preflight_command;

/* Options every command takes: --log-format, --verbose, --quiet.  Returns 1 if consumed. */
int cli_common_option(int opt, const char *arg, GwResult *rc);
#define CLI_COMMON_LONG_OPTIONS                                                                                \
    {"log-format", required_argument, NULL, 1001}, {"verbose", no_argument, NULL, 'v'},                       \
        {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}

/* --phase NAME into *phase; an empty name is a usage error. */
GwResult cli_phase_flag(const Command *cmd, const char *arg, const char **phase) GW_MUST_CHECK;

/* --tables, --exclude or --where (name: the flag without its dashes) into sel; a bad filter is a usage error. */
struct Selection;
GwResult cli_selection_flag(const Command *cmd, const char *name, const char *arg, struct Selection *sel) GW_MUST_CHECK;

/*
 * --zero-dates, --unsigned-bigint or --type-map (flow/source_flags.h; name:
 * the flag without its dashes) into f, its value checked.
 */
struct SourceFlags;
GwResult cli_source_flag(const Command *cmd, const char *name, const char *arg, struct SourceFlags *f) GW_MUST_CHECK;

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

/*
 * A URL option (--source, --target; cli_url.c): *url as given is the URL,
 * env:NAME or file:PATH, and NULL takes GODWIT_SOURCE_URL or
 * GODWIT_TARGET_URL; *url becomes the URL itself (owned until
 * cli_urls_free).  A usage error when required and there is none.
 */
GwResult cli_url(const Command *cmd, const char *option, const char **url, bool required) GW_MUST_CHECK;
/*
 * Whether argv[i] is the value of a URL option (after --source or --target,
 * or "--source=..."); *offset: where the value starts in it.
 */
bool cli_url_argument(char *const *argv, int i, size_t *offset);
/* main(): keeps the command line, passwords masked, for cli_command_line. */
void cli_remember_command_line(int argc, char **argv);
/*
 * The command line as given (passwords masked, shell-quoted, "godwit" for
 * argv[0]), with the argument add appended unless present (add may be
 * NULL).  Malloc'd.
 */
char *cli_command_line(const char *add);
void cli_urls_free(void);

/*
 * --plan FILE (cli_plan.c).  cli_plan_option loads the plan, requires
 * --phase (phase NULL: not given) and that the plan has it, and runs the
 * static overlap check over the tables the plan's where keys name; every
 * refusal is GW_ERR_USAGE with one line.  *out is NULL when path is NULL;
 * free it with cli_plan_free.
 */
struct Plan;
struct Selection;
GwResult cli_plan_option(const Command *cmd, const char *path, const char *phase, struct Plan **out) GW_MUST_CHECK;
void cli_plan_free(struct Plan *plan);
/* --plan of a command that only checks it: the plan loads, passes its static checks and holds the phase. */
GwResult cli_plan_check(const Command *cmd, const char *path, const char *phase) GW_MUST_CHECK;
/*
 * The phase's tables and row filters as a command's selection (fetch,
 * verify); refuses --tables, --exclude and --where next to --plan.
 */
GwResult cli_plan_selection(const Command *cmd, const struct Plan *plan, const char *phase,
                            struct Selection *sel) GW_MUST_CHECK;
/* replicate, failback: the phase was fetched with the plan's filters (read from the target's state). */
GwResult cli_plan_check_recorded(const Command *cmd, const struct Plan *plan, const char *phase,
                                 const char *target_url) GW_MUST_CHECK;

/* Prints "godwit: MESSAGE" and the usage hint; returns GW_ERR_USAGE. */
GwResult cli_usage_error(const Command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_parse_positive(const char *opt, const char *arg, int *out);
/* --format text|json: *json for json; a usage error otherwise. */
GwResult cli_parse_format(const Command *cmd, const char *arg, bool *json) GW_MUST_CHECK;
/* Parses a whole number in [min, max]; prints the error and returns -1 otherwise. */
int cli_parse_number(const char *opt, const char *arg, long min, long max, int *out);
int cli_parse_number_ll(const char *opt, const char *arg, long long min, long long max, long long *out);

#endif
