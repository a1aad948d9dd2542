/*
 * fetch_job.c: what a fetch was started with, kept with its phase so that
 * --resume finishes that job and no other:
 *
 *   PhaseState.fetch_job  {"tables": [{"schema": s, "table": t}, ...], "schema": "create"}
 *   PhaseState.filters    the row filters (also what the phase's stream filters by)
 *   PhaseState.source_options  checked by fetch_source_options.c
 *
 * The tables are the ones the selection (--tables/--exclude, or the plan's
 * phase) matched when the fetch started, not its patterns: a table created
 * since that a pattern now matches would be copied under another snapshot
 * than its stream's.  A resume that differs in any is refused, naming the
 * first difference, before anything is changed; without --schema it takes
 * the phase's mode.  State written before fetch_job was kept has only its
 * filters compared.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "flow/fetch_internal.h"
#include "util/log.h"
#include "util/mem.h"

static const char *const mode_names[] = {"create", "drop-create", "existing"};

char *
fetch_job_json(const Catalog *cat, SchemaMode mode)
{
    json_t *tables = json_array();
    for (size_t i = 0; i < cat->ntables; i++)
        json_array_append_new(tables, json_pack("{s:s, s:s}", "schema", cat->tables[i].schema, "table",
                                                cat->tables[i].name));
    json_t *job = json_pack("{s:o, s:s}", "tables", tables, "schema", mode_names[mode]);
    char *s = json_dumps(job, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(job);
    return s;
}

static bool
job_has_table(json_t *tables, const char *schema, const char *table)
{
    size_t i;
    json_t *e;
    json_array_foreach(tables, i, e) {
        const char *s = json_string_value(json_object_get(e, "schema"));
        const char *t = json_string_value(json_object_get(e, "table"));
        if (s && t && !strcmp(s, schema) && !strcmp(t, table))
            return true;
    }
    return false;
}

/* The first table selected now and not then, or then and not now, as a sentence; NULL when the same. */
static char *
tables_difference(json_t *tables, const Catalog *cat)
{
    for (size_t i = 0; i < cat->ntables; i++)
        if (!job_has_table(tables, cat->tables[i].schema, cat->tables[i].name))
            return gw_asprintf("table %s.%s is selected now but was not when the fetch started",
                               cat->tables[i].schema, cat->tables[i].name);
    size_t i;
    json_t *e;
    json_array_foreach(tables, i, e) {
        const char *s = json_string_value(json_object_get(e, "schema"));
        const char *t = json_string_value(json_object_get(e, "table"));
        if (s && t && !catalog_find_table(cat, s, t))
            return gw_asprintf("table %s.%s was selected when the fetch started and is not now", s, t);
    }
    return NULL;
}

/* A filter as the operator wrote it, without the blanks after "table:". */
static const char *
filter_text(const RowFilter *f)
{
    return f->text + strspn(f->text, " \t");
}

static char *
filter_difference_one(const char *schema, const char *table, const RowFilter *then, const RowFilter *now)
{
    if (then && now && !strcmp(filter_text(then), filter_text(now)))
        return NULL;
    if (!then && !now)
        return NULL;
    return gw_asprintf("--where for %s.%s was %s%s%s and is now %s%s%s", schema, table, then ? "\"" : "",
                       then ? filter_text(then) : "none", then ? "\"" : "", now ? "\"" : "",
                       now ? filter_text(now) : "none", now ? "\"" : "");
}

/* The first table whose row filter differs, as a sentence; NULL when all are the same. */
static char *
filters_difference(const char *recorded, const Selection *now, char **error)
{
    Selection then;
    selection_init(&then);
    char err[256];
    char *diff = NULL;
    *error = NULL;
    if (selection_add_filters_json(&then, recorded, err, sizeof err) != GW_OK) {
        *error = gw_strdup(err);
        selection_free(&then);
        return NULL;
    }
    for (size_t i = 0; i < now->nfilters && !diff; i++) {
        const RowFilter *f = &now->filters[i];
        diff = filter_difference_one(f->schema, f->table, selection_filter_for(&then, f->schema, f->table), f);
    }
    for (size_t i = 0; i < then.nfilters && !diff; i++) {
        const RowFilter *f = &then.filters[i];
        diff = filter_difference_one(f->schema, f->table, f, selection_filter_for(now, f->schema, f->table));
    }
    selection_free(&then);
    return diff;
}

/* The schema mode the phase recorded (or -1), and the tables, from its fetch_job. */
static int
recorded_mode(json_t *job)
{
    const char *m = json_string_value(json_object_get(job, "schema"));
    for (int i = 0; m && i < 3; i++)
        if (!strcmp(m, mode_names[i]))
            return i;
    return -1;
}

static char *
job_difference(FetchOptions *o, json_t *job, const Catalog *cat)
{
    json_t *tables = json_object_get(job, "tables");
    char *diff = json_is_array(tables) ? tables_difference(tables, cat) : NULL;
    int mode = recorded_mode(job);
    if (!diff && mode >= 0 && o->schema_given && (int) o->schema_mode != mode)
        diff = gw_asprintf("--schema was %s and is now %s", mode_names[mode], mode_names[o->schema_mode]);
    if (mode >= 0 && !o->schema_given)
        o->schema_mode = (SchemaMode) mode;
    return diff;
}

GwResult
fetch_job_check(FetchRun *run, const PhaseState *ps, const Catalog *cat)
{
    FetchOptions *o = run->opts;
    char *error = NULL, *diff = NULL;
    json_t *job = ps->fetch_job ? json_loads(ps->fetch_job, 0, NULL) : NULL;
    if (ps->fetch_job && !json_is_object(job))
        error = gw_strdup("its recorded job is not a JSON object");
    else if (job)
        diff = job_difference(o, job, cat);
    if (!diff && !error)
        diff = filters_difference(ps->filters, &o->selection, &error);
    json_decref(job);
    GwResult rc = GW_OK;
    if (error) {
        log_error("phase '%s': cannot read what its fetch started with (%s); start it over with --schema"
                  " drop-create", o->phase, error);
        rc = GW_ERR_USAGE;
    } else if (diff) {
        log_error("phase '%s': --resume must finish the fetch as it started, but %s; give the same options, or"
                  " start over with --schema drop-create", o->phase, diff);
        rc = GW_ERR_USAGE;
    }
    free(error);
    free(diff);
    return rc;
}
