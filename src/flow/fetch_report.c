/*
 * fetch_report.c: the summary a fetch prints on stdout (text or JSON), and
 * the detail of its audit event.  Only numbers the run measured.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "flow/fetch_internal.h"
#include "util/progress.h"

static bool
not_made(const ScriptEntry *e)
{
    return e->status == SCRIPT_LEFT_OUT || e->status == SCRIPT_FAILED;
}

/* Whether the report says what is not migrated: the source could tell, or the fetch made objects, or it flattened some. */
static bool
knows_left_out(const FetchRun *run)
{
    return run->left_out_known || run->objects_made || run->left_out.n > 0;
}

/* Every object the fetch did not make: the source's list, and the script's entries not made. */
static json_t *
not_migrated_json(const FetchRun *run)
{
    json_t *left = json_array();
    for (size_t i = 0; i < run->left_out.n; i++)
        json_array_append_new(left, json_pack("{s:s, s:s}", "kind", run->left_out.items[i].kind, "name",
                                              run->left_out.items[i].name));
    for (size_t i = 0; run->objects_made && i < run->objects.n; i++) {
        const ScriptEntry *e = &run->objects.entries[i];
        if (not_made(e))
            json_array_append_new(left, json_pack("{s:s, s:s, s:s}", "kind", e->kind, "name", e->name, "why",
                                                  e->why ? e->why : ""));
    }
    return left;
}

/* Each object of the schema script and what became of it. */
static json_t *
objects_json(const SchemaScript *objects)
{
    json_t *list = json_array();
    for (size_t i = 0; i < objects->n; i++) {
        const ScriptEntry *e = &objects->entries[i];
        json_t *o = json_pack("{s:s, s:s, s:s}", "kind", e->kind, "name", e->name, "status",
                              script_status_name(e->status));
        if (e->why)
            json_object_set_new(o, "why", json_string(e->why));
        json_array_append_new(list, o);
    }
    return list;
}

static json_t *
report_json(const FetchRun *run, double seconds)
{
    json_t *tables = json_array();
    json_int_t rows = 0, bytes = 0;
    for (size_t i = 0; i < run->ntables; i++) {
        const FetchTable *ft = &run->tables[i];
        double secs = ft->finished > ft->started && ft->started > 0 ? ft->finished - ft->started : 0;
        json_array_append_new(tables, json_pack("{s:s, s:s, s:I, s:I, s:i, s:s, s:f, s:b}", "schema", ft->def->schema, "table", ft->def->name,
                                                "rows", (json_int_t) ft->rows, "bytes", (json_int_t) ft->bytes,
                                                "shards", ft->shards_total, "format",
                                                ft->format == COPY_FORMAT_BINARY ? "binary" : "text", "seconds",
                                                secs, "filtered", ft->predicate_sql != NULL));
        rows += ft->rows;
        bytes += ft->bytes;
    }
    json_t *o = json_pack("{s:s, s:s, s:b, s:I, s:I, s:f, s:o}", "phase", run->phase.name, "start_position",
                          run->phase.snapshot_position ? run->phase.snapshot_position : "", "stream",
                          run->phase.stream, "rows", rows, "bytes", bytes, "seconds", seconds, "tables", tables);
    if (knows_left_out(run))
        json_object_set_new(o, "not_migrated", not_migrated_json(run));
    if (run->objects_made)
        json_object_set_new(o, "objects", objects_json(&run->objects));
    if (run->phase.slot)
        json_object_set_new(o, "slot", json_string(run->phase.slot));
    if (run->phase.publications)
        json_object_set_new(o, "publications", json_string(run->phase.publications));
    return o;
}

char *
fetch_event_detail(const FetchRun *run, double seconds)
{
    json_t *o = report_json(run, seconds);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/* How many of the script's entries were made, found, or not made. */
static void
report_objects(const FetchRun *run)
{
    const SchemaScript *s = &run->objects;
    if (!run->objects_made)
        return;
    printf("schema objects: %zu created, %zu already on the target, %zu not migrated\n",
           schema_script_count(s, SCRIPT_CREATED), schema_script_count(s, SCRIPT_EXISTED),
           schema_script_count(s, SCRIPT_LEFT_OUT) + schema_script_count(s, SCRIPT_FAILED));
}

/* One line per object not made: the source's list, then the script's entries with their reason. */
static void
report_left_out(const FetchRun *run)
{
    const SchemaObjects *l = &run->left_out;
    size_t n = l->n;
    for (size_t i = 0; run->objects_made && i < run->objects.n; i++)
        n += not_made(&run->objects.entries[i]);
    if (!knows_left_out(run) || n == 0)
        return;
    printf("not migrated (make these on the target before cutover): %zu\n", n);
    for (size_t i = 0; i < l->n; i++)
        printf("  %-18s %s\n", l->items[i].kind, l->items[i].name);
    for (size_t i = 0; run->objects_made && i < run->objects.n; i++) {
        const ScriptEntry *e = &run->objects.entries[i];
        if (not_made(e))
            printf("  %-18s %s: %s\n", e->kind, e->name, e->why ? e->why : "");
    }
}

static void
report_text(const FetchRun *run, double seconds)
{
    char b[32];
    int64_t rows = 0, bytes = 0;
    printf("%-48s %14s %12s %7s %9s\n", "table", "rows", "bytes", "shards", "seconds");
    for (size_t i = 0; i < run->ntables; i++) {
        const FetchTable *ft = &run->tables[i];
        double secs = ft->finished > ft->started && ft->started > 0 ? ft->finished - ft->started : 0;
        printf("%-48s %14lld %12s %7d %9.1f\n", ft->progress->name, (long long) ft->rows,
               progress_format_bytes((double) ft->bytes, b, sizeof b), ft->shards_total, secs);
        rows += ft->rows;
        bytes += ft->bytes;
    }
    printf("fetched phase '%s': %zu tables, %lld rows, %s in %.1f s\n", run->phase.name, run->ntables,
           (long long) rows, progress_format_bytes((double) bytes, b, sizeof b), seconds);
    report_objects(run);
    report_left_out(run);
    if (run->phase.stream && run->phase.slot)
        printf("start position: %s (slot %s, publications %s): run `godwit replicate` to stream from here\n",
               run->phase.snapshot_position, run->phase.slot,
               run->phase.publications ? run->phase.publications : "none");
    else if (run->phase.stream)
        printf("start position: %s: run `godwit replicate` to stream from here\n", run->phase.snapshot_position);
    else
        printf("snapshot position: %s (--no-stream: no change stream was prepared)\n",
               run->phase.snapshot_position);
}

void
fetch_report(const FetchRun *run, double seconds)
{
    if (run->opts->json_output) {
        json_t *o = report_json(run, seconds);
        char *s = json_dumps(o, JSON_INDENT(2));
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(o);
    } else {
        report_text(run, seconds);
    }
    fflush(stdout);
}
