/*
 * cli_common.c: what every command's option parsing shares.
 */
#include <getopt.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/version.h"
#include "core/selection.h"
#include "flow/source_flags.h"
#include "util/log.h"
#include "util/url.h"

static LogFormat chosen_format = LOG_FORMAT_TEXT;
static LogLevel chosen_level = LOG_INFO;

int
cli_common_option(int opt, const char *arg, GwResult *rc)
{
    *rc = GW_OK;
    switch (opt) {
    case 1001:
        if (!strcmp(arg, "text"))
            chosen_format = LOG_FORMAT_TEXT;
        else if (!strcmp(arg, "json"))
            chosen_format = LOG_FORMAT_JSON;
        else {
            fprintf(stderr, "godwit: --log-format must be text or json, not '%s'\n", arg);
            *rc = GW_ERR_USAGE;
        }
        break;
    case 'v':
        chosen_level = LOG_DEBUG;
        break;
    case 'q':
        chosen_level = LOG_WARN;
        break;
    default:
        return 0;
    }
    log_configure(chosen_format, chosen_level);
    return 1;
}

GwResult
cli_usage_error(const Command *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "godwit %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'godwit %s --help')\n", cmd->name);
    return GW_ERR_USAGE;
}

GwResult
cli_parse_format(const Command *cmd, const char *arg, bool *json)
{
    if (strcmp(arg, "text") != 0 && strcmp(arg, "json") != 0)
        return cli_usage_error(cmd, "--format must be text or json, not '%s'", arg);
    *json = !strcmp(arg, "json");
    return GW_OK;
}

int
cli_parse_number_ll(const char *opt, const char *arg, long long min, long long max, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || errno == ERANGE || v < min || v > max) {
        fprintf(stderr, "godwit: %s takes a number from %lld to %lld, not '%s'\n", opt, min, max, arg);
        return -1;
    }
    *out = v;
    return 0;
}

int
cli_parse_number(const char *opt, const char *arg, long min, long max, int *out)
{
    long long v;
    if (cli_parse_number_ll(opt, arg, min, max, &v) != 0)
        return -1;
    *out = (int) v;
    return 0;
}

int
cli_parse_positive(const char *opt, const char *arg, int *out)
{
    return cli_parse_number(opt, arg, 1, 1024, out);
}

/* An argument echoed in an error may be a URL put in the wrong place: never with its password. */
static GwResult
bad_argument(const Command *cmd, const char *what, const char *arg)
{
    char *shown = url_redact(arg);
    GwResult rc = cli_usage_error(cmd, "%s '%s'", what, shown);
    free(shown);
    return rc;
}

GwResult
cli_parse(const Command *cmd, int argc, char **argv, const struct option *longopts,
          GwResult (*one)(void *opts, int opt, const char *arg), void *opts, bool *help)
{
    GwResult rc = GW_OK;
    int opt;
    *help = false;
    optind = 1;
    opterr = 0;
    while (rc == GW_OK && (opt = getopt_long(argc, argv, "vqhV", longopts, NULL)) != -1) {
        if (opt == 'h' || opt == 'V') {
            if (opt == 'h')
                fputs(cmd->usage, stdout);
            else
                printf("godwit-%s (godwit) %s\n", cmd->name, GODWIT_VERSION);
            *help = true;
            return GW_OK;
        }
        if (opt == '?')
            rc = bad_argument(cmd, "unknown or incomplete option", argv[optind - 1]);
        else if (!cli_common_option(opt, optarg, &rc))
            rc = one(opts, opt, optarg);
    }
    if (rc == GW_OK && optind < argc)
        rc = bad_argument(cmd, "unexpected argument", argv[optind]);
    return rc;
}

GwResult
cli_phase_flag(const Command *cmd, const char *arg, const char **phase)
{
    if (!*arg)
        return cli_usage_error(cmd, "--phase must not be empty");
    *phase = arg;
    return GW_OK;
}

GwResult
cli_require(const Command *cmd, const char *option, const char *value)
{
    return value ? GW_OK : cli_usage_error(cmd, "%s is required", option);
}

GwResult
cli_source_flag(const Command *cmd, const char *name, const char *arg, SourceFlags *f)
{
    if (!strcmp(name, "zero-dates")) {
        if (strcmp(arg, "error") != 0 && strcmp(arg, "null") != 0)
            return cli_usage_error(cmd, "--zero-dates must be error or null, not '%s'", arg);
        f->zero_dates = arg;
    } else if (!strcmp(name, "unsigned-bigint")) {
        if (strcmp(arg, "numeric") != 0 && strcmp(arg, "int8") != 0)
            return cli_usage_error(cmd, "--unsigned-bigint must be numeric or int8, not '%s'", arg);
        f->unsigned_bigint = arg;
    } else {
        if (!*arg)
            return cli_usage_error(cmd, "--type-map needs a file name");
        f->type_map_file = arg;
    }
    return GW_OK;
}

GwResult
cli_selection_flag(const Command *cmd, const char *name, const char *arg, Selection *sel)
{
    char err[512];
    if (!strcmp(name, "tables"))
        selection_add_includes(sel, arg);
    else if (!strcmp(name, "exclude"))
        selection_add_excludes(sel, arg);
    else if (selection_add_filter(sel, arg, err, sizeof err) != GW_OK)
        return cli_usage_error(cmd, "%s", err);
    return GW_OK;
}
