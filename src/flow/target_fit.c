/*
 * target_fit.c: what of a phase's rows a target could not take (target_fit.h).
 */
#include "flow/target_fit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/fetch.h"
#include "util/log.h"

/* Whether a column holds dates or timestamps, by its type. */
static bool
is_time_column(const ColumnDef *col)
{
    return !strncmp(col->type_sql, "timestamp", 9) || !strcmp(col->type_sql, "date");
}

static bool
is_array_column(const ColumnDef *col)
{
    size_t n = strlen(col->type_sql);
    return n > 2 && !strcmp(col->type_sql + n - 2, "[]");
}

/* A kind of value the target lacks: the columns that may hold one, and how the refusal says it. */
typedef struct LackedValues {
    ValueTest test;
    bool (*column_may)(const ColumnDef *col);
    const char *what;
} LackedValues;

/* Counts, in one column of the phase's rows, the values the target lacks; names them when there are. */
static GwResult
check_column_values(EngineConn *source, EngineConn *target, const TableDef *t, size_t col, const LackedValues *lv, const char *filter,
                    bool *refused)
{
    int64_t n = 0;
    GwResult rc = source->ops->source->count_values(source, t, col, lv->test, filter, &n);
    if (rc == GW_OK && n > 0) {
        log_error("table %s.%s, column %s: %lld row(s) hold %s, which target %s (%s) cannot store as they are;"
                  " change them on the source or --exclude the table",
                  t->schema, t->name, t->columns[col].name, (long long) n, lv->what, target->endpoint->redacted,
                  target->ops->name);
        *refused = true;
    }
    return rc;
}

/*
 * Values the source's type system has and the target's lacks, which the
 * target would change or refuse in the middle of the copy: each column
 * holding one, in the phase's rows, is named with how many.
 */
static GwResult
check_lacked_values(EngineConn *source, EngineConn *target, const Catalog *cat, const Selection *rows,
                    bool *refused)
{
    const EngineOps *so = source->ops, *to = target->ops;
    if (!so->source->count_values)
        return GW_OK;
    LackedValues lacked[2];
    size_t nlacked = 0;
    if (so->infinite_times && !to->infinite_times)
        lacked[nlacked++] = (LackedValues) {VALUE_TEST_INFINITE, is_time_column, "'infinity' or '-infinity'"};
    if (so->multidim_arrays && !to->multidim_arrays)
        lacked[nlacked++] = (LackedValues) {VALUE_TEST_MULTIDIM_ARRAY, is_array_column,
                                            "arrays of more than one dimension"};
    GwResult rc = GW_OK;
    for (size_t i = 0; i < cat->ntables && rc == GW_OK && nlacked > 0; i++) {
        const TableDef *t = &cat->tables[i];
        const RowFilter *f = selection_filter_for(rows, t->schema, t->name);
        char *filter = f ? so->source->render_predicate(source, f->predicate) : NULL;
        for (size_t k = 0; k < t->ncolumns && rc == GW_OK; k++)
            for (size_t l = 0; l < nlacked && rc == GW_OK; l++)
                if (lacked[l].column_may(&t->columns[k]))
                    rc = check_column_values(source, target, t, k, &lacked[l], filter, refused);
        free(filter);
    }
    return rc;
}

/*
 * A table without a primary key is copied as one shard, one transaction,
 * unless fetch splits it by place (fetch_splits_keyless: then in at most
 * FETCH_MAX_SHARDS); a target that cannot commit a shard that large
 * (EngineOps.largest_transaction_bytes) would fail it after loading, every
 * time.  Its size is the source's estimate of the whole table.
 */
static void
check_keyless_sizes(EngineConn *source, EngineConn *target, const Catalog *cat, bool *refused)
{
    int64_t limit = target->ops->largest_transaction_bytes;
    for (size_t i = 0; i < cat->ntables && limit > 0; i++) {
        const TableDef *t = &cat->tables[i];
        bool split = fetch_splits_keyless(source, target, t);
        int64_t shard = split ? t->est_bytes / FETCH_MAX_SHARDS : t->est_bytes;
        if (t->npk > 0 || shard <= limit)
            continue;
        char why[96];
        if (split)
            snprintf(why, sizeof why, "it is copied in at most %d transactions", FETCH_MAX_SHARDS);
        else
            snprintf(why, sizeof why, "it is copied in one transaction%s", table_partitioned(t) ? " (it is partitioned)" : "");
        log_error("table %s.%s has no primary key, so %s, and holds about %lld MB: target %s (%s) cannot commit"
                  " more than %lld MB in one; give it a primary key on the source (ALTER TABLE ... ADD PRIMARY"
                  " KEY, or a new identity column), or --exclude it",
                  t->schema, t->name, why, (long long) (t->est_bytes >> 20), target->endpoint->redacted,
                  target->ops->name, (long long) (limit >> 20));
        *refused = true;
    }
}

GwResult
target_fit_check(EngineConn *source, EngineConn *target, const Catalog *cat, const Selection *rows)
{
    bool refused = false;
    check_keyless_sizes(source, target, cat, &refused);
    GwResult rc = check_lacked_values(source, target, cat, rows, &refused);
    return rc ? rc : refused ? GW_ERR_USAGE : GW_OK;
}
