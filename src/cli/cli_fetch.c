/*
 * cli_fetch.c: `godwit fetch` flags into FetchOptions.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "flow/fetch.h"
#include "util/mem.h"
#include "util/signals.h"

static const char usage[] =
    "usage: godwit fetch --source URL --target URL [options]\n"
    "\n"
    "Bulk-loads the source's tables into the target from one consistent snapshot and\n"
    "prepares the change stream that `godwit replicate` continues from.\n"
    "\n"
    "  --source URL          database to copy from (postgres://..., mysql://..., mariadb://...)\n"
    "  --target URL          database to copy into (postgres://..., CockroachDB detected)\n"
    "                        (every URL option also takes env:NAME or file:PATH, and without it\n"
    "                        GODWIT_SOURCE_URL / GODWIT_TARGET_URL: keeps passwords out of ps)\n"
    "  --phase NAME          phase name (default: default); names the slot godwit_<id>_NAME\n"
    "  --plan FILE           phased plan (JSON, see docs/plans.md): fetch its phase --phase, with\n"
    "                        the plan's tables and row predicates; first checks that no two phases\n"
    "                        share a row and that every row of a table the phases divide is in one\n"
    "                        (on the source, before anything is created)\n"
    "  --allow-uncovered     with --plan: rows no phase takes are a warning (they stay on the source)\n"
    "  --tables GLOB,...     tables to copy, globs on schema.table (default: all)\n"
    "  --exclude GLOB,...    tables to leave out\n"
    "  --where 'T: PRED'     copy only rows of table T matching PRED, e.g.\n"
    "                        --where \"public.orders: region = 'A'\" (repeatable)\n"
    "  --jobs N              parallel copy workers (default: number of cores)\n"
    "  --schema MODE         create (default): create missing tables, refuse ones that differ;\n"
    "                        drop-create: drop and recreate, starting the phase over;\n"
    "                        existing: use existing empty tables as they are\n"
    "  --objects all|none    all (default, PostgreSQL to PostgreSQL, not with --schema existing): make\n"
    "                        the schemas' views, functions, triggers, rules, types, extensions, ...\n"
    "                        on the target too; none: only list them in the report\n"
    "  --privileges          with the objects, their owners and grants as on the source (the roles\n"
    "                        must exist on the target; default: the target role owns everything)\n"
    "  --resume              finish an interrupted fetch of this phase, with the same tables, --where,\n"
    "                        --schema and source options (refused if any differs)\n"
    "  --no-stream           plain snapshot, no replication slot (no replicate afterwards)\n"
    "  --shard-size MB       split tables larger than this by key ranges, or a\n"
    "                        PostgreSQL table without a key by blocks (default: 64;\n"
    "                        16 on CockroachDB, whose transactions must stay small)\n"
    "MySQL/MariaDB sources (kept with the phase for --resume and replicate):\n"
    "  --zero-dates error|null    zero or invalid dates stop the fetch (default) or load as NULL\n"
    "  --unsigned-bigint numeric|int8  BIGINT UNSIGNED as numeric(20,0) (default) or as bigint,\n"
    "                        refusing values above 9223372036854775807\n"
    "  --type-map FILE       JSON {\"db.table.column\": \"postgresql type\"}: per-column type overrides\n"
    "  --format text|json    summary format on stdout\n"
    "  --log-format text|json, -v/--verbose, -q/--quiet\n"
    "\n"
    "Exit codes: 0 done, 2 bad usage or configuration, 3 source error, 4 target error,\n"
    "5 internal error or interrupted (the last line says how to go on).\n";

static GwResult run_fetch(int argc, char **argv);

const Command cli_fetch_command = {
    .name = "fetch",
    .summary = "bulk-load the source into the target from a consistent snapshot",
    .usage = usage,
    .run = run_fetch,
};

enum {
    OPT_SOURCE = 2001, OPT_TARGET, OPT_PHASE, OPT_PLAN, OPT_TABLES, OPT_EXCLUDE, OPT_WHERE, OPT_JOBS,
    OPT_SCHEMA, OPT_OBJECTS, OPT_PRIVILEGES, OPT_RESUME, OPT_NO_STREAM, OPT_FORMAT, OPT_SHARD_SIZE, OPT_ZERO_DATES, OPT_UNSIGNED_BIGINT,
    OPT_TYPE_MAP, OPT_ALLOW_UNCOVERED,
};

static const struct option long_options[] = {
    {"source", required_argument, NULL, OPT_SOURCE},
    {"target", required_argument, NULL, OPT_TARGET},
    {"phase", required_argument, NULL, OPT_PHASE},
    {"plan", required_argument, NULL, OPT_PLAN},
    {"tables", required_argument, NULL, OPT_TABLES},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"where", required_argument, NULL, OPT_WHERE},
    {"jobs", required_argument, NULL, OPT_JOBS},
    {"schema", required_argument, NULL, OPT_SCHEMA},
    {"objects", required_argument, NULL, OPT_OBJECTS},
    {"privileges", no_argument, NULL, OPT_PRIVILEGES},
    {"resume", no_argument, NULL, OPT_RESUME},
    {"no-stream", no_argument, NULL, OPT_NO_STREAM},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"shard-size", required_argument, NULL, OPT_SHARD_SIZE},
    {"zero-dates", required_argument, NULL, OPT_ZERO_DATES},
    {"unsigned-bigint", required_argument, NULL, OPT_UNSIGNED_BIGINT},
    {"type-map", required_argument, NULL, OPT_TYPE_MAP},
    {"allow-uncovered", no_argument, NULL, OPT_ALLOW_UNCOVERED},
    CLI_COMMON_LONG_OPTIONS,
    {NULL, 0, NULL, 0},
};

static GwResult
parse_one(void *opts, int opt, const char *arg)
{
    FetchOptions *o = opts;
    const Command *cmd = &cli_fetch_command;
    int shard_mb;
    switch (opt) {
    case OPT_SOURCE: o->source_url = arg; return GW_OK;
    case OPT_TARGET: o->target_url = arg; return GW_OK;
    case OPT_PHASE: return cli_phase_flag(cmd, arg, &o->phase);
    case OPT_PLAN:
        if (!*arg)
            return cli_usage_error(cmd, "--plan needs a file name");
        o->plan_file = arg;
        return GW_OK;
    case OPT_ALLOW_UNCOVERED: o->allow_uncovered = true; return GW_OK;
    case OPT_TABLES: return cli_selection_flag(cmd, "tables", arg, &o->selection);
    case OPT_EXCLUDE: return cli_selection_flag(cmd, "exclude", arg, &o->selection);
    case OPT_WHERE: return cli_selection_flag(cmd, "where", arg, &o->selection);
    case OPT_JOBS: return cli_parse_positive("--jobs", arg, &o->jobs) ? GW_ERR_USAGE : GW_OK;
    case OPT_SHARD_SIZE:
        if (cli_parse_positive("--shard-size", arg, &shard_mb))
            return GW_ERR_USAGE;
        o->shard_bytes = (int64_t) shard_mb * 1024 * 1024;
        return GW_OK;
    case OPT_SCHEMA:
        if (!strcmp(arg, "create")) o->schema_mode = SCHEMA_CREATE;
        else if (!strcmp(arg, "drop-create")) o->schema_mode = SCHEMA_DROP_CREATE;
        else if (!strcmp(arg, "existing")) o->schema_mode = SCHEMA_EXISTING;
        else return cli_usage_error(cmd, "--schema must be create, drop-create or existing, not '%s'", arg);
        o->schema_given = true;
        return GW_OK;
    case OPT_OBJECTS:
        if (!strcmp(arg, "all")) o->objects = OBJECTS_ALL;
        else if (!strcmp(arg, "none")) o->objects = OBJECTS_NONE;
        else return cli_usage_error(cmd, "--objects must be all or none, not '%s'", arg);
        return GW_OK;
    case OPT_PRIVILEGES:
        o->privileges = true;
        return GW_OK;
    case OPT_ZERO_DATES: return cli_source_flag(cmd, "zero-dates", arg, &o->source);
    case OPT_UNSIGNED_BIGINT: return cli_source_flag(cmd, "unsigned-bigint", arg, &o->source);
    case OPT_TYPE_MAP: return cli_source_flag(cmd, "type-map", arg, &o->source);
    case OPT_RESUME: o->resume = true; return GW_OK;
    case OPT_NO_STREAM: o->stream = false; return GW_OK;
    case OPT_FORMAT:
        return cli_parse_format(cmd, arg, &o->json_output);
    default:
        return cli_usage_error(cmd, "unknown option");
    }
}

static GwResult
run_fetch(int argc, char **argv)
{
    FetchOptions o;
    memset(&o, 0, sizeof o);
    o.stream = true;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o.jobs = cores > 0 ? (int) cores : 2;
    o.shard_bytes = 0;
    selection_init(&o.selection);

    bool help;
    Plan *plan = NULL;
    const Command *cmd = &cli_fetch_command;
    GwResult rc = cli_parse(cmd, argc, argv, long_options, parse_one, &o, &help);
    if (rc == GW_OK && !help)
        rc = cli_url(cmd, "--source", &o.source_url, true);
    if (rc == GW_OK && !help)
        rc = cli_url(cmd, "--target", &o.target_url, true);
    if (rc == GW_OK && !help && o.allow_uncovered && !o.plan_file)
        rc = cli_usage_error(cmd, "--allow-uncovered goes with --plan");
    if (rc == GW_OK && !help)
        rc = cli_plan_option(cmd, o.plan_file, o.phase, &plan);
    if (rc == GW_OK && !help && plan)
        rc = cli_plan_selection(cmd, plan, o.phase, &o.selection);
    if (!o.phase)
        o.phase = "default";
    o.plan = plan;
    char *rerun = cli_command_line(NULL);
    char *resume = cli_command_line("--resume");
    o.rerun_command = rerun;
    o.resume_command = resume;
    /* A second signal does not wait for the step under way (a slot waiting for old transactions). */
    char *last_words = gw_asprintf("godwit fetch: stopped at once by a second signal; `godwit status` shows what was"
                                   " recorded; continue with: %s\n", resume);
    signals_set_last_words(last_words);
    if (rc == GW_OK && !help)
        rc = flow_fetch(&o);
    signals_set_last_words(NULL);
    free(last_words);
    free(rerun);
    free(resume);
    selection_free(&o.selection);
    cli_plan_free(plan);
    return rc;
}
