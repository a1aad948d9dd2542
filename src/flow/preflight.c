/*
 * preflight.c: `godwit preflight` (preflight.h).
 *
 * Each check is the one the command that depends on it runs (fetch's
 * refusals before it creates anything, cutover's changefeed settings), run
 * here with nothing made: its verdict is one line, its first error the
 * line's reason.  A check whose prerequisite failed (no connection, no
 * tables) is skipped and says so; the exit status is 0 only when every
 * check ran and passed.
 */
#include "flow/preflight_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/catalog.h"
#include "core/phase_names.h"
#include "engine/engine.h"
#include "flow/failback_changefeed.h"
#include "flow/target_fit.h"
#include "util/log.h"
#include "util/mem.h"

/* Prints one check's line (or keeps it for --format json); takes detail. */
static void
say(Preflight *p, const char *check, const char *verdict, char *detail)
{
    if (p->opts->json_output) {
        json_array_append_new(p->checks, json_pack("{s:s, s:s, s:s}", "check", check, "result", verdict, "detail",
                                                   detail ? detail : ""));
    } else {
        printf("%-8s %s%s%s\n", verdict, check, detail && *detail ? ": " : "", detail ? detail : "");
        fflush(stdout);
    }
    free(detail);
}

/*
 * Runs one check: its result, and the first error it logged as the reason;
 * ok_detail (taken) says what passed.
 */
static bool
verdict(Preflight *p, const char *check, GwResult rc, char *error, char *ok_detail)
{
    if (rc == GW_OK) {
        free(error);
        say(p, check, "ok", ok_detail);
        return true;
    }
    free(ok_detail);
    p->problems++;
    say(p, check, "PROBLEM", error ? error : gw_strdup("see the log above"));
    return false;
}

void
preflight_not_run(Preflight *p, const char *check, const char *why, bool problem)
{
    p->problems += problem;
    say(p, check, problem ? "skipped" : "not run", gw_strdup(why));
}

static bool
connect_side(Preflight *p, const char *check, const char *url, EndpointRole role, Endpoint *ep, EngineConn **conn)
{
    char *app = phase_names_command_app("preflight");
    char *error = NULL;
    log_capture_first_error(&error);
    GwResult rc = endpoint_init(ep, url, role, app);
    if (rc == GW_OK)
        rc = engine_connect(ep, conn);
    log_capture_first_error(NULL);
    free(app);
    char *detail = NULL;
    if (rc == GW_OK)
        detail = (*conn)->ops->server_summary ? (*conn)->ops->server_summary(*conn) : gw_strdup((*conn)->ops->name);
    return verdict(p, check, rc, error, detail);
}

static bool
describe_tables(Preflight *p)
{
    char *error = NULL;
    log_capture_first_error(&error);
    const SourceOps *so = p->source->ops->source;
    char *options = NULL;
    GwResult rc = so ? source_flags_json(&p->opts->source, &options) : GW_ERR_USAGE;
    if (rc == GW_OK)
        rc = source_flags_apply(p->source, options);
    free(options);
    if (rc == GW_OK)
        rc = so->describe(p->source, &p->opts->selection, &p->cat);
    /* As fetch makes the target's tables: without a NOT NULL the rows' values cannot keep. */
    if (rc == GW_OK && so->nullable_by_values)
        rc = so->nullable_by_values(p->source, &p->cat);
    const char *missing = rc == GW_OK ? selection_unmatched_include(&p->opts->selection) : NULL;
    if (!so) {
        log_error("source %s (%s) cannot be a migration's source", p->source_ep.redacted, p->source->ops->name);
    } else if (missing) {
        log_error("no table matches '%s'", missing);
        rc = GW_ERR_USAGE;
    } else if (rc == GW_OK && p->cat.ntables == 0) {
        log_error("no tables to migrate");
        rc = GW_ERR_USAGE;
    }
    log_capture_first_error(NULL);
    p->described = rc == GW_OK;
    return verdict(p, "tables", rc, error, gw_asprintf("%zu selected", p->cat.ntables));
}

bool
preflight_check(Preflight *p, const char *check, CheckFn fn, char *ok_detail)
{
    char *error = NULL;
    log_capture_first_error(&error);
    GwResult rc = fn(p);
    log_capture_first_error(NULL);
    return verdict(p, check, rc, error, ok_detail);
}

/* A check over the described tables. */
static void
run_check(Preflight *p, const char *check, CheckFn fn, const char *ok_detail)
{
    if (!p->described) {
        preflight_not_run(p, check, "needs both connections and the tables", true);
        return;
    }
    (void) preflight_check(p, check, fn, gw_strdup(ok_detail));
}

static GwResult
check_source(Preflight *p)
{
    /* A new stream's rights are checked; its names are the fetch's to check (the migration's id makes them). */
    return p->source->ops->source->check_source(p->source, &p->cat, p->opts->stream, "");
}

static GwResult
check_filters(Preflight *p)
{
    const Selection *sel = &p->opts->selection;
    const SourceOps *so = p->source->ops->source;
    GwResult rc = GW_OK;
    for (size_t i = 0; i < sel->nfilters && rc == GW_OK; i++) {
        const RowFilter *f = &sel->filters[i];
        const TableDef *t = catalog_find_table(&p->cat, f->schema, f->table);
        if (!t) {
            log_error("--where names %s.%s, which is not a selected table", f->schema, f->table);
            return GW_ERR_USAGE;
        }
        char *sql = so->render_predicate(p->source, f->predicate);
        if (sql && so->check_predicate)
            rc = so->check_predicate(p->source, t, sql, f->text + strspn(f->text, " \t"));
        free(sql);
    }
    return rc;
}

static GwResult
check_types(Preflight *p)
{
    const TargetOps *to = p->target->ops->target;
    if (!to) {
        log_error("target %s (%s) cannot be a migration's target", p->target_ep.redacted, p->target->ops->name);
        return GW_ERR_USAGE;
    }
    return to->check_types(p->target, &p->cat, NULL);
}

static GwResult
check_fit(Preflight *p)
{
    if (!p->target->ops->target)
        return GW_ERR_USAGE;
    return target_fit_check(p->source, p->target, &p->cat, &p->opts->selection);
}

static GwResult
check_target_tables(Preflight *p)
{
    const TargetOps *to = p->target->ops->target;
    if (!to)
        return GW_ERR_USAGE;
    SchemaPrep prep = {.cat = &p->cat, .rows = &p->opts->selection, .mode = SCHEMA_CREATE,
                       .phase = p->opts->phase, .check_only = true};
    return to->prepare_schema(p->target, &prep);
}

static GwResult
check_failback_writes(Preflight *p)
{
    GwResult rc = p->source->ops->apply->check_failback_writes(p->source, &p->cat, LOG_ERROR);
    if (rc == GW_ERR_USAGE)
        log_info("a migration that will not fail back needs none of this: preflight --no-failback");
    return rc;
}

static GwResult
check_changefeed(Preflight *p)
{
    return failback_changefeed_ready(p->target, &p->cat, p->opts->phase);
}

GwResult
flow_preflight(PreflightOptions *opts)
{
    Preflight p;
    memset(&p, 0, sizeof p);
    p.opts = opts;
    p.checks = json_array();
    catalog_init(&p.cat);
    bool src = connect_side(&p, "source connection", opts->source_url, ROLE_SOURCE, &p.source_ep, &p.source);
    bool tgt = connect_side(&p, "target connection", opts->target_url, ROLE_TARGET, &p.target_ep, &p.target);
    if (src && tgt)
        (void) describe_tables(&p);
    else
        preflight_not_run(&p, "tables", "needs both connections", true);
    run_check(&p, "source settings, privileges and values", check_source,
              opts->stream ? "the change log can be read from a new stream" : "a snapshot can be read");
    run_check(&p, "row filters", check_filters, "each is valid on the source");
    run_check(&p, "column types on the target", check_types, "every column can be stored");
    run_check(&p, "rows the target can take", check_fit, "no value or table it would refuse");
    run_check(&p, "target tables", check_target_tables, "can be made (none in the way)");
    /* Failback needs the forward stream: a --no-stream migration has none. */
    bool changefeed = opts->changefeed || (p.target && p.target->ops->failback_by_changefeed);
    if (opts->stream && opts->no_failback) {
        preflight_not_run(&p, "failback into the source", "--no-failback", false);
        if (changefeed)
            preflight_not_run(&p, "changefeed for failback", "--no-failback", false);
    } else {
        if (opts->stream && p.source && p.source->ops->apply && p.source->ops->apply->check_failback_writes)
            run_check(&p, "failback into the source", check_failback_writes, "its writes, state and triggers allowed");
        if (changefeed)
            run_check(&p, "changefeed for failback", check_changefeed, "can run");
    }
    preflight_probe(&p);
    if (opts->json_output) {
        json_t *out = json_pack("{s:o, s:b}", "checks", p.checks, "ok", p.problems == 0);
        char *text = json_dumps(out, JSON_COMPACT);
        printf("%s\n", text);
        free(text);
        json_decref(out);
    } else {
        json_decref(p.checks);
        printf("%s\n", p.problems == 0 ? "preflight: the migration can start"
                                       : "preflight: fix the problems above before the migration starts");
    }
    catalog_free(&p.cat);
    engine_close(p.source);
    engine_close(p.target);
    endpoint_free(&p.source_ep);
    endpoint_free(&p.target_ep);
    return p.problems == 0 ? GW_OK : GW_ERR_USAGE;
}
