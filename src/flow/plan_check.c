/*
 * plan_check.c: a plan's phases checked against each other (statically)
 * and against the source's rows (see plan_check.h).
 *
 * The static check decides from the predicates alone and refuses what two
 * phases could share; the data check then counts real rows, which also
 * catches what the static check had to assume away (a collation that
 * orders text otherwise than bytes, a column type that reads a literal
 * differently).  This file must never write to a database: it runs before
 * fetch creates anything.
 */
#include "flow/plan_check.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/plan_overlap.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* Overlapping pairs (or tables in no phase) named one by one before the rest are only counted. */
#define PLAN_REPORT_MAX 10

/* The phases that include schema.table, each with its row filter for it (NULL: the whole table). */
static size_t
phases_of_table(const Plan *plan, const char *schema, const char *table, PlanTablePhase *out)
{
    size_t n = 0;
    for (size_t i = 0; i < plan->nphases; i++) {
        const PlanPhase *ph = &plan->phases[i];
        if (!selection_includes(&ph->selection, schema, table))
            continue;
        out[n++] = (PlanTablePhase) {.phase = ph->name,
                                     .filter = selection_filter_for(&ph->selection, schema, table)};
    }
    return n;
}

static const char *
filter_text(const RowFilter *f)
{
    return f ? f->text : "the whole table";
}

/* Logs the overlapping pairs of one table; returns how many. */
static size_t
check_table_static(const Plan *plan, const char *schema, const char *table, size_t *reported)
{
    PlanTablePhase *phases = gw_calloc(plan->nphases + 1, sizeof *phases);
    size_t n = phases_of_table(plan, schema, table, phases);
    PlanOverlap *pairs;
    size_t npairs = plan_table_overlaps(phases, n, &pairs);
    for (size_t i = 0; i < npairs; i++) {
        if ((*reported)++ >= PLAN_REPORT_MAX)
            continue;
        const PlanTablePhase *a = &phases[pairs[i].a], *b = &phases[pairs[i].b];
        log_error("plan %s: table %s.%s: phase '%s' (%s) and phase '%s' (%s) %s: %s%s; phases must not share rows",
                  plan->path, schema, table, a->phase, filter_text(a->filter), b->phase, filter_text(b->filter),
                  pairs[i].verdict == PLAN_OVERLAP ? "overlap" : "may overlap", pairs[i].why,
                  pairs[i].verdict == PLAN_OVERLAP && strncmp(pairs[i].why, "a row", 5) == 0 ? " matches both" : "");
    }
    plan_overlaps_free(pairs, npairs);
    free(phases);
    return npairs;
}

/* Whether an earlier entry of the plan's filters names the same table (each table is checked once). */
static bool
filter_seen_before(const Plan *plan, size_t phase, size_t filter)
{
    const RowFilter *f = &plan->phases[phase].selection.filters[filter];
    for (size_t p = 0; p <= phase; p++) {
        const Selection *s = &plan->phases[p].selection;
        for (size_t i = 0; i < (p == phase ? filter : s->nfilters); i++)
            if (!strcmp(s->filters[i].schema, f->schema) && !strcmp(s->filters[i].table, f->table))
                return true;
    }
    return false;
}

GwResult
flow_plan_check_static(const Plan *plan, const Catalog *cat)
{
    size_t pairs = 0, reported = 0;
    if (cat) {
        for (size_t i = 0; i < cat->ntables; i++)
            pairs += check_table_static(plan, cat->tables[i].schema, cat->tables[i].name, &reported);
    } else {
        for (size_t p = 0; p < plan->nphases; p++)
            for (size_t i = 0; i < plan->phases[p].selection.nfilters; i++)
                if (!filter_seen_before(plan, p, i))
                    pairs += check_table_static(plan, plan->phases[p].selection.filters[i].schema,
                                                plan->phases[p].selection.filters[i].table, &reported);
    }
    if (pairs == 0)
        return GW_OK;
    if (pairs > PLAN_REPORT_MAX)
        log_error("plan %s: and %zu more pairs of phases that share rows", plan->path, pairs - PLAN_REPORT_MAX);
    return GW_ERR_USAGE;
}

/* Every where key names a table of the source that its phase includes, and only that table's columns. */
static GwResult
check_where_keys(const Plan *plan, const Catalog *cat)
{
    for (size_t p = 0; p < plan->nphases; p++) {
        const PlanPhase *ph = &plan->phases[p];
        for (size_t i = 0; i < ph->selection.nfilters; i++) {
            const RowFilter *f = &ph->selection.filters[i];
            const TableDef *t = catalog_find_table(cat, f->schema, f->table);
            if (!t || !selection_includes(&ph->selection, f->schema, f->table)) {
                log_error("plan %s: phase '%s': where names table %s.%s, which %s", plan->path, ph->name, f->schema,
                          f->table, !t ? "does not exist on the source" : "the phase's tables and exclude leave out");
                return GW_ERR_USAGE;
            }
            for (size_t c = 0; c < predicate_column_count(f->predicate); c++) {
                const char *col = predicate_column(f->predicate, c);
                if (table_find_column(t, col) < 0) {
                    log_error("plan %s: phase '%s': where for %s.%s: column \"%s\" does not exist in that table",
                              plan->path, ph->name, f->schema, f->table, col);
                    return GW_ERR_USAGE;
                }
            }
        }
    }
    return GW_OK;
}

/* A phase pattern that matches no table of the source is likely a typo: said, not refused (other phases' business). */
static void
warn_unmatched_patterns(const Plan *plan, const Catalog *cat)
{
    for (size_t p = 0; p < plan->nphases; p++) {
        const Selection *s = &plan->phases[p].selection;
        for (size_t i = 0; i < s->ninclude; i++) {
            Selection one;
            selection_init(&one);
            selection_add_includes(&one, s->include[i]);
            bool any = false;
            for (size_t t = 0; t < cat->ntables && !any; t++)
                any = selection_includes(&one, cat->tables[t].schema, cat->tables[t].name);
            selection_free(&one);
            if (!any)
                log_warn("plan %s: phase '%s': no table of the source matches '%s'", plan->path,
                         plan->phases[p].name, s->include[i]);
        }
    }
}

typedef struct DataCheck {
    const Plan *plan;
    EngineConn *source;
    bool allow_uncovered;
    size_t split;           /* tables whose rows the phases divide by predicates */
    size_t whole;           /* tables one phase takes whole */
    int64_t overlapping;
    int64_t uncovered;
    bool refused;
} DataCheck;

static GwResult
count_where(DataCheck *d, const TableDef *t, const char *where, int64_t *n)
{
    return d->source->ops->source->count_rows(d->source, t->schema, t->name, where, n);
}

/* Names each pair of phases that shares rows, with how many: the table's total was not zero. */
static GwResult
count_overlapping_pairs(DataCheck *d, const TableDef *t, const PlanTablePhase *phases, char **sql, size_t n)
{
    GwResult rc = GW_OK;
    for (size_t i = 0; i < n && rc == GW_OK; i++)
        for (size_t j = i + 1; j < n && rc == GW_OK; j++) {
            char *where = gw_asprintf("%s AND %s", sql[i], sql[j]);
            int64_t rows = 0;
            rc = count_where(d, t, where, &rows);
            free(where);
            if (rc == GW_OK && rows > 0)
                log_error("plan %s: table %s.%s: %" PRId64 " row%s match%s both phase '%s' (%s) and phase '%s' (%s)"
                          " on the source; make the predicates disjoint", d->plan->path, t->schema, t->name, rows,
                          rows == 1 ? "" : "s", rows == 1 ? "es" : "", phases[i].phase, phases[i].filter->text,
                          phases[j].phase, phases[j].filter->text);
        }
    return rc;
}

/* One table that n >= 1 phases divide by predicates (all have one: the static check refused otherwise). */
static GwResult
check_table_rows(DataCheck *d, const TableDef *t, const PlanTablePhase *phases, size_t n)
{
    char **sql = gw_calloc(n + 1, sizeof *sql);
    StrBuf sum, any, preds;
    strbuf_init(&sum);
    strbuf_init(&any);
    strbuf_init(&preds);
    for (size_t i = 0; i < n; i++) {
        sql[i] = d->source->ops->source->render_predicate(d->source, phases[i].filter->predicate);
        strbuf_appendf(&sum, "%s(CASE WHEN %s THEN 1 ELSE 0 END)", i ? " + " : "", sql[i]);
        strbuf_appendf(&any, "%sCOALESCE(%s, FALSE)", i ? " OR " : "", sql[i]);
        strbuf_appendf(&preds, "%s%s: %s", i ? "; " : "", phases[i].phase, phases[i].filter->text);
    }
    GwResult rc = GW_OK;
    int64_t both = 0, none = 0;
    if (n > 1) {
        char *where = gw_asprintf("(%s) > 1", sum.data);
        rc = count_where(d, t, where, &both);
        free(where);
        if (rc == GW_OK && both > 0) {
            d->overlapping += both;
            d->refused = true;
            rc = count_overlapping_pairs(d, t, phases, sql, n);
        }
    }
    if (rc == GW_OK) {
        char *where = gw_asprintf("NOT (%s)", any.data);
        rc = count_where(d, t, where, &none);
        free(where);
    }
    if (rc == GW_OK && none > 0) {
        d->uncovered += none;
        const char *s = none == 1 ? "" : "s";
        if (d->allow_uncovered) {
            log_warn("plan %s: table %s.%s: %" PRId64 " row%s match%s no phase's predicate (%s); --allow-uncovered:"
                     " they stay on the source only and are not migrated", d->plan->path, t->schema, t->name, none, s,
                     none == 1 ? "es" : "", preds.data);
        } else {
            log_error("plan %s: table %s.%s: %" PRId64 " row%s match%s no phase's predicate (%s); add them to a"
                      " phase, or pass --allow-uncovered to leave them on the source", d->plan->path, t->schema,
                      t->name, none, s, none == 1 ? "es" : "", preds.data);
            d->refused = true;
        }
    }
    log_debug("plan %s: table %s.%s: %" PRId64 " rows in two phases, %" PRId64 " in none", d->plan->path, t->schema,
              t->name, both, none);
    for (size_t i = 0; i < n; i++)
        free(sql[i]);
    free(sql);
    strbuf_free(&sum);
    strbuf_free(&any);
    strbuf_free(&preds);
    return rc;
}

static void
warn_tables_in_no_phase(const Plan *plan, const Catalog *cat, const bool *in_none, size_t count)
{
    if (count == 0)
        return;
    StrBuf names;
    strbuf_init(&names);
    size_t listed = 0;
    for (size_t i = 0; i < cat->ntables; i++)
        if (in_none[i] && listed++ < PLAN_REPORT_MAX)
            strbuf_appendf(&names, "%s%s.%s", listed > 1 ? ", " : "", cat->tables[i].schema, cat->tables[i].name);
    if (count > PLAN_REPORT_MAX)
        strbuf_appendf(&names, " and %zu more", count - PLAN_REPORT_MAX);
    log_warn("plan %s: %zu table%s of the source %s in no phase and stay%s on the source only: %s", plan->path, count,
             count == 1 ? "" : "s", count == 1 ? "is" : "are", count == 1 ? "s" : "", names.data);
    strbuf_free(&names);
}

static GwResult
check_rows(DataCheck *d, const Catalog *cat)
{
    const Plan *plan = d->plan;
    if (!(d->source->ops->source && d->source->ops->source->count_rows)) {
        log_error("plan %s: source %s (%s) cannot count rows, which checking a plan's phases needs", plan->path,
                  d->source->endpoint->redacted, d->source->ops->name);
        return GW_ERR_USAGE;
    }
    PlanTablePhase *phases = gw_calloc(plan->nphases + 1, sizeof *phases);
    bool *in_none = gw_calloc(cat->ntables + 1, sizeof *in_none);
    size_t nnone = 0;
    GwResult rc = GW_OK;
    for (size_t i = 0; i < cat->ntables && rc == GW_OK; i++) {
        const TableDef *t = &cat->tables[i];
        size_t n = phases_of_table(plan, t->schema, t->name, phases);
        bool filtered = n > 0;
        for (size_t k = 0; k < n; k++)
            filtered = filtered && phases[k].filter;
        if (n == 0) {
            in_none[i] = true;
            nnone++;
        } else if (!filtered) {
            d->whole++;
        } else {
            d->split++;
            rc = check_table_rows(d, t, phases, n);
        }
    }
    if (rc == GW_OK)
        warn_tables_in_no_phase(plan, cat, in_none, nnone);
    if (rc == GW_OK)
        log_info("plan %s: %zu phase%s over %zu table%s of the source: %zu divided by row predicates, %zu taken whole"
                 " by one phase, %zu in no phase; %" PRId64 " row%s in two phases, %" PRId64 " in none%s",
                 plan->path, plan->nphases, plan->nphases == 1 ? "" : "s", cat->ntables, cat->ntables == 1 ? "" : "s",
                 d->split, d->whole, nnone, d->overlapping, d->overlapping == 1 ? "" : "s", d->uncovered,
                 d->uncovered && d->allow_uncovered ? " (allowed)" : "");
    free(phases);
    free(in_none);
    if (rc == GW_OK && d->refused)
        rc = GW_ERR_USAGE;
    return rc;
}

GwResult
flow_plan_check_source(const Plan *plan, EngineConn *source, bool allow_uncovered)
{
    Catalog cat;
    catalog_init(&cat);
    Selection all;
    selection_init(&all);
    GwResult rc = source->ops->source->describe(source, &all, &cat);
    selection_free(&all);
    if (rc == GW_OK)
        rc = check_where_keys(plan, &cat);
    if (rc == GW_OK) {
        warn_unmatched_patterns(plan, &cat);
        rc = flow_plan_check_static(plan, &cat);
    }
    if (rc == GW_OK) {
        DataCheck d = {.plan = plan, .source = source, .allow_uncovered = allow_uncovered};
        rc = check_rows(&d, &cat);
    }
    catalog_free(&cat);
    return rc;
}

GwResult
flow_plan_check_recorded(const Plan *plan, const char *phase, const char *target_url)
{
    const PlanPhase *ph = plan_phase(plan, phase, NULL, 0);
    if (!ph)
        return GW_ERR_USAGE;   /* the caller checked it is there */
    Endpoint ep;
    memset(&ep, 0, sizeof ep);
    EngineConn *target = NULL;
    PhaseState ps;
    memset(&ps, 0, sizeof ps);
    bool found = false;
    MigrationPhase mp;
    phase_names_init(&mp, NULL, phase);
    char *app = phase_names_app(&mp, "plan");
    GwResult rc = endpoint_init(&ep, target_url, ROLE_TARGET, app);
    free(app);
    if (rc == GW_OK)
        rc = engine_connect(&ep, &target);
    if (rc == GW_OK)
        rc = target->ops->state->state_get_phase(target, phase, &ps, &found);
    char why[1024];
    if (rc == GW_OK && found && !plan_phase_filters_match(ph, ps.filters, why, sizeof why)) {
        log_error("phase '%s' was fetched with other filters than plan %s gives it: %s; use the plan it was fetched"
                  " with, or fetch the phase again (--schema drop-create)", phase, plan->path, why);
        rc = GW_ERR_USAGE;
    }
    phase_state_free(&ps);
    engine_close(target);
    endpoint_free(&ep);
    return rc;
}
