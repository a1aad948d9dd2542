/*
 * fetch_plan.c: what a fetch copies: the tables with their row filters and
 * copy format, and the shards (key ranges) of each, either planned anew or
 * read back from the target's progress records when resuming.
 *
 * Shard boundaries are persisted before any row moves, and a resumed fetch
 * reuses them exactly: a shard is the unit that is either wholly on the
 * target (done) or not at all.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "flow/fetch_internal.h"
#include "util/log.h"
#include "util/mem.h"

static GwResult
check_filter_columns(const TableDef *t, const RowFilter *f)
{
    for (size_t i = 0; i < predicate_column_count(f->predicate); i++) {
        const char *col = predicate_column(f->predicate, i);
        if (table_find_column(t, col) < 0) {
            log_error("--where for %s.%s: column \"%s\" does not exist in that table", t->schema, t->name, col);
            return GW_ERR_USAGE;
        }
    }
    return GW_OK;
}

/* Every --where must name a selected table, once, and only its columns. */
GwResult
fetch_check_filters(const Selection *sel, const Catalog *cat)
{
    for (size_t i = 0; i < sel->nfilters; i++) {
        const RowFilter *f = &sel->filters[i];
        const TableDef *t = catalog_find_table(cat, f->schema, f->table);
        if (!t) {
            log_error("--where names table %s.%s, which does not exist on the source or is not selected",
                      f->schema, f->table);
            return GW_ERR_USAGE;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(sel->filters[j].schema, f->schema) && !strcmp(sel->filters[j].table, f->table)) {
                log_error("--where is given twice for %s.%s; combine the predicates with AND", f->schema,
                          f->table);
                return GW_ERR_USAGE;
            }
        GwResult rc = check_filter_columns(t, f);
        if (rc)
            return rc;
    }
    return GW_OK;
}

GwResult
fetch_plan_tables(FetchRun *run)
{
    GwResult rc = fetch_check_filters(&run->opts->selection, &run->catalog);
    if (rc)
        return rc;
    run->ntables = run->catalog.ntables;
    run->tables = gw_calloc(run->ntables + 1, sizeof *run->tables);
    run->items = gw_calloc(run->ntables + 1, sizeof *run->items);
    bool binary_source = run->source->ops->copies_binary;
    for (size_t i = 0; i < run->ntables; i++) {
        FetchTable *ft = &run->tables[i];
        ft->def = &run->catalog.tables[i];
        const RowFilter *f = selection_filter_for(&run->opts->selection, ft->def->schema, ft->def->name);
        if (f)
            ft->predicate_sql = run->source->ops->source->render_predicate(run->source, f->predicate);
        ft->format = binary_source && run->target->ops->target->can_copy_binary(run->target, &run->catalog, ft->def)
                         ? COPY_FORMAT_BINARY
                         : COPY_FORMAT_TEXT;
        ft->progress = &run->items[i];
        ft->progress->name = table_display_name(ft->def);
        ft->progress->est_rows = ft->def->est_rows;
    }
    return GW_OK;
}

static char *
keys_to_json(char *const *values, size_t n)
{
    if (!values)
        return NULL;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_string(values[i]));
    char *s = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return s;
}

/* Reads back a key array written by keys_to_json(); NULL for an open end. */
static GwResult
keys_from_json(const char *text, size_t n, const char *table, char ***out)
{
    *out = NULL;
    if (!text)
        return GW_OK;
    json_error_t err;
    json_t *arr = json_loads(text, 0, &err);
    if (!json_is_array(arr) || json_array_size(arr) != n) {
        log_error("target: progress record of %s has a malformed key range %s: the table's key changed since"
                  " the fetch started; start over with --schema drop-create", table, text);
        json_decref(arr);
        return GW_ERR_TARGET;
    }
    char **v = gw_calloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        v[i] = gw_strdup(s ? s : "");
    }
    json_decref(arr);
    *out = v;
    return GW_OK;
}

static void
add_shard(FetchRun *run, FetchTable *ft, ShardProgress *state, KeyRange range)
{
    run->shards = gw_realloc(run->shards, (run->nshards + 1) * sizeof *run->shards);
    FetchShard *s = &run->shards[run->nshards++];
    s->table = ft;
    s->state = *state;
    s->range = range;
    ft->shards_left++;
}

/* A resume empties a partly copied one on the target to copy it again whole (restart_split_keyless). */
bool
fetch_splits_keyless(const EngineConn *source, const EngineConn *target, const TableDef *t)
{
    return t->npk == 0 && source->ops->splits_keyless && target->ops->target && target->ops->target->empty_table &&
           !table_partitioned(t);
}

static int
shard_count_for(const FetchRun *run, const FetchTable *ft)
{
    const TableDef *t = ft->def;
    int64_t size = run->opts->shard_bytes > 0 ? run->opts->shard_bytes : run->target->ops->preferred_shard_bytes;
    if (size <= 0)
        size = FETCH_DEFAULT_SHARD_BYTES;
    if (t->npk == 0 && !fetch_splits_keyless(run->source, run->target, t))
        return 1;
    int64_t n = t->est_bytes / size;
    return n < 1 ? 1 : n > FETCH_MAX_SHARDS ? FETCH_MAX_SHARDS : (int) n;
}

/* Splits a table anew and records its shards (not yet done) on the target. */
static GwResult
plan_new_table(FetchRun *run, FetchTable *ft)
{
    KeyRange *ranges;
    int n;
    const SourceOps *so = run->source->ops->source;
    GwResult rc = so->split_table(run->source, ft->def, shard_count_for(run, ft), &ranges, &n);
    if (rc)
        return rc;
    ShardProgress *states = gw_calloc((size_t) n, sizeof *states);
    for (int i = 0; i < n; i++) {
        states[i].schema = gw_strdup(ft->def->schema);
        states[i].table = gw_strdup(ft->def->name);
        states[i].shard = i;
        states[i].nshards = n;
        states[i].lower_json = keys_to_json(ranges[i].lower, key_range_width(ft->def));
        states[i].upper_json = keys_to_json(ranges[i].upper, key_range_width(ft->def));
    }
    rc = run->target->ops->state->state_put_shards(run->target, run->phase.name, states, n);
    for (int i = 0; i < n; i++) {
        if (rc == GW_OK) {
            states[i].snapshot_position = gw_strdup(run->snapshot.position);
            add_shard(run, ft, &states[i], ranges[i]);
        } else {
            shard_progress_free(&states[i]);
            key_range_free(&ranges[i], key_range_width(ft->def));
        }
    }
    ft->shards_total = n;
    free(states);
    free(ranges);
    return rc;
}

static bool
shard_of(const ShardProgress *sp, const TableDef *t)
{
    return !strcmp(sp->schema, t->schema) && !strcmp(sp->table, t->name);
}

/*
 * A table without a primary key split in shards, some copied and some not:
 * its stream tells no shard's changes from another's, so every shard must
 * come from one snapshot (replicate skips the table's changes up to it).
 * The table is emptied and all its shards copied again, under this run's.
 */
static GwResult
restart_split_keyless(FetchRun *run, FetchTable *ft, const ShardProgress *recorded, int nrecorded, bool *restart)
{
    int done = 0, left = 0;
    for (int i = 0; i < nrecorded; i++)
        if (shard_of(&recorded[i], ft->def))
            recorded[i].done ? done++ : left++;
    *restart = ft->def->npk == 0 && done > 0 && left > 0;
    if (!*restart)
        return GW_OK;
    log_info("table %s.%s: %d of its %d shards were copied under the earlier snapshot; without a primary key"
             " it is copied again whole, under this one", ft->def->schema, ft->def->name, done, done + left);
    /* Of a table phases share, only this phase's rows: the filter in the target's dialect. */
    const RowFilter *f = selection_filter_for(&run->opts->selection, ft->def->schema, ft->def->name);
    char *where = f ? run->target->ops->source->render_predicate(run->target, f->predicate) : NULL;
    GwResult rc = run->target->ops->target->empty_table(run->target, ft->def, where);
    free(where);
    return rc;
}

/* Whether a keyless table's bound (KeyRange) is a block number, or open. */
static bool
block_number(char *const *bound)
{
    if (!bound)
        return true;
    const char *v = bound[0];
    return *v && strspn(v, "0123456789") == strlen(v) && strlen(v) <= 10;
}

/* Takes a table's recorded shards: done ones count as copied, the others are copied again. */
static GwResult
plan_recorded_table(FetchRun *run, FetchTable *ft, ShardProgress *recorded, int nrecorded)
{
    char *name = table_display_name(ft->def);
    size_t width = key_range_width(ft->def);
    bool restart = false;
    GwResult rc = restart_split_keyless(run, ft, recorded, nrecorded, &restart);
    for (int i = 0; i < nrecorded && rc == GW_OK; i++) {
        ShardProgress *sp = &recorded[i];
        if (!shard_of(sp, ft->def))
            continue;
        ft->shards_total++;
        if (sp->done && !restart) {
            ft->rows += sp->rows;
            ft->bytes += sp->bytes;
            atomic_fetch_add(&ft->progress->rows, sp->rows);
            atomic_fetch_add(&ft->progress->bytes, sp->bytes);
            continue;
        }
        KeyRange range = {0};
        rc = keys_from_json(sp->lower_json, width, name, &range.lower);
        if (rc == GW_OK)
            rc = keys_from_json(sp->upper_json, width, name, &range.upper);
        if (rc == GW_OK && ft->def->npk == 0 && (!block_number(range.lower) || !block_number(range.upper))) {
            log_error("target: progress record of %s has a malformed block range %s..%s; start over with --schema"
                      " drop-create", name, sp->lower_json ? sp->lower_json : "", sp->upper_json ? sp->upper_json : "");
            rc = GW_ERR_TARGET;
        }
        if (rc) {
            key_range_free(&range, width);
            break;
        }
        ShardProgress copy = {
            .schema = gw_strdup(sp->schema),
            .table = gw_strdup(sp->table),
            .shard = sp->shard,
            .nshards = sp->nshards,
            .lower_json = sp->lower_json ? gw_strdup(sp->lower_json) : NULL,
            .upper_json = sp->upper_json ? gw_strdup(sp->upper_json) : NULL,
            .snapshot_position = gw_strdup(run->snapshot.position),
        };
        add_shard(run, ft, &copy, range);
    }
    free(name);
    return rc;
}

static int
compare_shards(const void *a, const void *b)
{
    const FetchShard *x = a, *y = b;
    int64_t bx = x->table->def->est_bytes, by = y->table->def->est_bytes;
    if (bx != by)
        return bx > by ? -1 : 1;
    if (x->table != y->table)
        return x->table < y->table ? -1 : 1;
    return x->state.shard - y->state.shard;
}

GwResult
fetch_plan_shards(FetchRun *run)
{
    ShardProgress *recorded = NULL;
    int nrecorded = 0;
    GwResult rc = GW_OK;
    if (run->opts->resume)
        rc = run->target->ops->state->state_get_shards(run->target, run->phase.name, &recorded, &nrecorded);
    for (size_t i = 0; i < run->ntables && rc == GW_OK; i++) {
        FetchTable *ft = &run->tables[i];
        bool known = false;
        for (int j = 0; j < nrecorded && !known; j++)
            known = shard_of(&recorded[j], ft->def);
        rc = known ? plan_recorded_table(run, ft, recorded, nrecorded) : plan_new_table(run, ft);
        if (rc == GW_OK && ft->shards_left == 0)
            atomic_store(&ft->progress->state, PROGRESS_DONE);
    }
    for (int j = 0; j < nrecorded; j++)
        shard_progress_free(&recorded[j]);
    free(recorded);
    if (rc == GW_OK && run->nshards > 1)
        qsort(run->shards, run->nshards, sizeof *run->shards, compare_shards);
    return rc;
}

void
fetch_plan_free(FetchRun *run)
{
    for (size_t i = 0; i < run->nshards; i++) {
        shard_progress_free(&run->shards[i].state);
        key_range_free(&run->shards[i].range, key_range_width(run->shards[i].table->def));
    }
    free(run->shards);
    for (size_t i = 0; i < run->ntables; i++) {
        free(run->tables[i].predicate_sql);
        free(run->items[i].name);
    }
    free(run->tables);
    free(run->items);
    free(run->finish_queue);
}
