/*
 * pg_apply_stage.c: set-based apply.  Row changes of a table are staged
 * (as COPY text, in memory up to a bound) and applied per table with one
 * COPY into a temporary table and one merge statement, instead of one
 * statement per change.  The merge keeps the last change of each key
 * (DISTINCT ON ... ORDER BY the change's sequence number DESC): deletes of
 * keys whose last change is a delete, upserts of the others.  A hot row
 * updated a thousand times in a group is written once.
 *
 * Merging per key, and flushing tables in any order, reorders changes
 * between keys and between tables.  That is only invisible when nothing
 * checks a row against another row mid-transaction, so only tables that
 * table_is_independent() accepts are staged (no unique constraint or index
 * but the primary key, no foreign key from or to them).  A table without a
 * primary key stages inserts only, copied straight into it.  Anything else
 * (an update missing unchanged TOASTed values, a change that must find its
 * row, a truncate, a table with foreign keys) first flushes what is staged
 * and then goes row by row, so the order that matters is kept.
 *
 * A flush sends a table's staged rows by COPY and a merge only when there
 * are at least STAGE_COPY_MIN of them: for a few rows the extra round trips
 * of leaving pipeline mode cost more than they save (the lag under a steady
 * load is made of small groups), so those go as one statement per row.
 *
 * CockroachDB targets are not staged: its temporary tables are experimental.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/pg/pg_apply_internal.h"
#include "util/log.h"
#include "util/mem.h"

/* Staged rows are flushed beyond these: what the applier holds stays bounded. */
#define STAGE_MAX_ROWS 20000
#define STAGE_MAX_BYTES (8u << 20)
/* Fewer staged rows of a table than this are applied row by row at a flush. */
#define STAGE_COPY_MIN 64

/* Column names of a stage that a table's own columns must not take. */
#define STAGE_SEQ_COLUMN "godwit$n"
#define STAGE_DELETE_COLUMN "godwit$del"

/* One staged value: NULL, or len bytes at off in the stage's data. */
typedef struct StagedCell {
    uint32_t off;
    uint32_t len;
    bool null;
} StagedCell;

struct Stage {
    const TableDef *t;      /* target table */
    RelationInfo rel;       /* owned copy of the relation's shape (names, ids) */
    bool *key;              /* per column: part of the primary key */
    bool usable;            /* false: this table's changes go row by row */
    bool keyed;             /* merged by key through a temporary table; else copied straight in */
    bool created;           /* its temporary table and merge statement exist in this session */
    unsigned id;
    StrBuf data;            /* bytes of the staged values */
    StagedCell *cells;      /* nrows * rel.ncols */
    size_t cap_cells;
    bool *deletes;          /* per row: a delete of its key, else an upsert (an insert without key) */
    size_t cap_deletes;
    size_t nrows;
};

static void
relation_copy(RelationInfo *to, const RelationInfo *from)
{
    *to = (RelationInfo) {.id = from->id, .replica_identity = from->replica_identity, .ncols = from->ncols};
    to->schema = gw_strdup(from->schema);
    to->name = gw_strdup(from->name);
    to->cols = gw_calloc((size_t) from->ncols + 1, sizeof *to->cols);
    for (uint16_t i = 0; i < from->ncols; i++) {
        to->cols[i] = from->cols[i];
        to->cols[i].name = gw_strdup(from->cols[i].name);
    }
}

static void
relation_free(RelationInfo *rel)
{
    for (uint16_t i = 0; i < rel->ncols; i++)
        free(rel->cols[i].name);
    free(rel->cols);
    free(rel->schema);
    free(rel->name);
}

void
pg_stage_free(Applier *a)
{
    for (size_t i = 0; i < a->nstages; i++) {
        Stage *s = &a->stages[i];
        relation_free(&s->rel);
        free(s->key);
        free(s->cells);
        free(s->deletes);
        strbuf_free(&s->data);
    }
    free(a->stages);
    a->stages = NULL;
    a->nstages = a->cap_stages = 0;
}

static bool
same_shape(const Stage *s, const TableDef *t, const RelationInfo *rel)
{
    if (s->t != t || s->rel.ncols != rel->ncols)
        return false;
    for (uint16_t i = 0; i < rel->ncols; i++)
        if (strcmp(s->rel.cols[i].name, rel->cols[i].name) != 0)
            return false;
    return true;
}

/* Whether the relation's columns can be staged into this table, and which of them form its key. */
static bool
stage_usable(const PgConn *c, Stage *s)
{
    const TableDef *t = s->t;
    if (pg_is_crdb(c) || !table_is_independent(t))
        return false;
    size_t nkey = 0;
    for (uint16_t i = 0; i < s->rel.ncols; i++) {
        const char *name = s->rel.cols[i].name;
        if (!strcmp(name, STAGE_SEQ_COLUMN) || !strcmp(name, STAGE_DELETE_COLUMN))
            return false;
        ssize_t pos = table_find_column(t, name);
        if (pos < 0 || t->columns[pos].generated_sql)
            return false;
        for (size_t k = 0; k < t->npk; k++)
            if (t->pk[k] == (size_t) pos) {
                s->key[i] = true;
                nkey++;
            }
    }
    s->keyed = t->npk > 0;
    return nkey == t->npk;
}

static Stage *
stage_for(PgConn *c, const TableDef *t, const RelationInfo *rel)
{
    Applier *a = c->applier;
    for (size_t i = 0; i < a->nstages; i++)
        if (same_shape(&a->stages[i], t, rel))
            return &a->stages[i];
    gw_grow((void **) &a->stages, &a->cap_stages, a->nstages + 1, sizeof *a->stages);
    Stage *s = &a->stages[a->nstages];
    *s = (Stage) {.t = t, .id = (unsigned) a->nstages};
    a->nstages++;
    relation_copy(&s->rel, rel);
    s->key = gw_calloc((size_t) rel->ncols + 1, sizeof *s->key);
    strbuf_init(&s->data);
    s->usable = stage_usable(c, s);
    return s;
}

/* Appends a value in COPY text form: backslash, tab, newline and carriage return escaped. */
static void
append_copy_value(StrBuf *sb, const ChangeValue *v)
{
    if (v->kind == VALUE_NULL) {
        strbuf_append_n(sb, "\\N", 2);
        return;
    }
    size_t from = 0;
    for (size_t i = 0; i < v->len; i++) {
        char e;
        switch (v->data[i]) {
        case '\\': e = '\\'; break;
        case '\t': e = 't'; break;
        case '\n': e = 'n'; break;
        case '\r': e = 'r'; break;
        default: continue;
        }
        strbuf_append_n(sb, v->data + from, i - from);
        strbuf_append_char(sb, '\\');
        strbuf_append_char(sb, e);
        from = i + 1;
    }
    strbuf_append_n(sb, v->data + from, v->len - from);
}

static bool
is_text_or_null(const ChangeValue *v)
{
    return v->kind == VALUE_TEXT || v->kind == VALUE_NULL;
}

static bool
new_row_complete(const Change *ch)
{
    if (ch->new_tuple.ncols < ch->rel->ncols)
        return false;
    for (uint16_t i = 0; i < ch->rel->ncols; i++)
        if (!is_text_or_null(change_new_value(ch, i)))
            return false;
    return true;
}

/* Whether the old row carries every key column (as text). */
static bool
old_key_complete(const Change *ch, const Stage *s)
{
    if (!ch->has_old || ch->old_tuple.ncols < s->rel.ncols)
        return false;
    for (uint16_t i = 0; i < s->rel.ncols; i++)
        if (s->key[i] && ch->old_tuple.values[i].kind != VALUE_TEXT)
            return false;
    return true;
}

static bool
key_moved(const Change *ch, const Stage *s)
{
    for (uint16_t i = 0; i < s->rel.ncols; i++) {
        if (!s->key[i])
            continue;
        const ChangeValue *o = &ch->old_tuple.values[i], *n = change_new_value(ch, i);
        if (o->len != n->len || memcmp(o->data, n->data, o->len) != 0)
            return true;
    }
    return false;
}

/* One staged row: the key of a delete (other columns NULL), or the whole new row. */
static void
stage_row(Applier *a, Stage *s, const Change *ch, bool delete)
{
    uint16_t n = s->rel.ncols;
    gw_grow((void **) &s->cells, &s->cap_cells, (s->nrows + 1) * n, sizeof *s->cells);
    gw_grow((void **) &s->deletes, &s->cap_deletes, s->nrows + 1, sizeof *s->deletes);
    StagedCell *cells = &s->cells[s->nrows * n];
    size_t before = s->data.len;
    for (uint16_t i = 0; i < n; i++) {
        const ChangeValue *v = delete ? &ch->old_tuple.values[i] : change_new_value(ch, i);
        cells[i] = (StagedCell) {.null = (delete && !s->key[i]) || v->kind == VALUE_NULL};
        if (cells[i].null)
            continue;
        cells[i].off = (uint32_t) s->data.len;
        cells[i].len = v->len;
        strbuf_append_n(&s->data, v->data, v->len);
    }
    s->deletes[s->nrows++] = delete;
    a->staged_rows++;
    a->staged_bytes += s->data.len - before + n * sizeof *cells;
}

GwResult
pg_stage_change(PgConn *c, const Change *ch, const TableDef *t, bool *staged)
{
    *staged = false;
    if (!t || ch->must_exist || ch->delete_guard)
        return GW_OK;
    Stage *s = stage_for(c, t, ch->rel);
    if (!s->usable)
        return GW_OK;
    Applier *a = c->applier;
    switch (ch->kind) {
    case CHANGE_INSERT:
    case CHANGE_UPDATE:
        if (!new_row_complete(ch) || (!s->keyed && ch->kind != CHANGE_INSERT))
            return GW_OK;
        if (ch->kind == CHANGE_UPDATE && old_key_complete(ch, s) && key_moved(ch, s))
            stage_row(a, s, ch, true);
        stage_row(a, s, ch, false);
        break;
    case CHANGE_DELETE:
        if (!s->keyed || !old_key_complete(ch, s))
            return GW_OK;
        stage_row(a, s, ch, true);
        break;
    default:
        return GW_OK;
    }
    *staged = true;
    if (a->staged_rows >= STAGE_MAX_ROWS || a->staged_bytes >= STAGE_MAX_BYTES)
        return pg_stage_flush(c, false);
    return GW_OK;
}

/* Appends "sep"-separated quoted columns selected by want (NULL: all), each prefixed by prefix. */
static void
append_columns(StrBuf *sb, const Stage *s, const bool *want, bool match, const char *prefix)
{
    bool first = true;
    for (uint16_t i = 0; i < s->rel.ncols; i++) {
        if (want && want[i] != match)
            continue;
        char *q = pg_quote_ident(s->rel.cols[i].name);
        strbuf_appendf(sb, "%s%s%s", first ? "" : ", ", prefix, q);
        free(q);
        first = false;
    }
}

static char *
stage_name(const Stage *s)
{
    return gw_asprintf("pg_temp.\"godwit_stage_%u\"", s->id);
}

static char *
merge_name(const Stage *s)
{
    return gw_asprintf("godwit_merge_%u", s->id);
}

/*
 * The merge: the last staged change of each key wins; keys whose last change
 * is a delete are deleted, the others upserted.  The two sets of keys are
 * disjoint, so one statement does both.
 */
static char *
merge_sql(const Stage *s)
{
    StrBuf sb;
    strbuf_init(&sb);
    char *table = pg_qualified(s->t->schema, s->t->name), *stage = stage_name(s);
    strbuf_append(&sb, "WITH s AS MATERIALIZED (SELECT DISTINCT ON (");
    append_columns(&sb, s, s->key, true, "");
    strbuf_appendf(&sb, ") * FROM %s ORDER BY ", stage);
    append_columns(&sb, s, s->key, true, "");
    strbuf_appendf(&sb, ", \"" STAGE_SEQ_COLUMN "\" DESC), d AS (DELETE FROM %s AS t USING s WHERE s.\"" STAGE_DELETE_COLUMN
                        "\"",
                   table);
    for (uint16_t i = 0; i < s->rel.ncols; i++) {
        if (!s->key[i])
            continue;
        char *q = pg_quote_ident(s->rel.cols[i].name);
        strbuf_appendf(&sb, " AND t.%s = s.%s", q, q);
        free(q);
    }
    strbuf_appendf(&sb, ") INSERT INTO %s AS t (", table);
    append_columns(&sb, s, NULL, true, "");
    strbuf_appendf(&sb, ")%s SELECT ", pg_has_identity_always(s->t) ? " OVERRIDING SYSTEM VALUE" : "");
    append_columns(&sb, s, NULL, true, "s.");
    strbuf_append(&sb, " FROM s WHERE NOT s.\"" STAGE_DELETE_COLUMN "\" ON CONFLICT (");
    append_columns(&sb, s, s->key, true, "");
    strbuf_append(&sb, ") DO ");
    bool any = false;
    for (uint16_t i = 0; i < s->rel.ncols; i++) {
        if (s->key[i])
            continue;
        char *q = pg_quote_ident(s->rel.cols[i].name);
        strbuf_appendf(&sb, "%s%s = EXCLUDED.%s", any ? ", " : "UPDATE SET ", q, q);
        free(q);
        any = true;
    }
    if (!any)
        strbuf_append(&sb, "NOTHING");
    free(table);
    free(stage);
    return strbuf_take(&sb);
}

/* The stage's temporary table (typed like the target's columns, without their constraints) and merge statement. */
static GwResult
stage_create(PgConn *c, Stage *s)
{
    StrBuf sb;
    strbuf_init(&sb);
    char *table = pg_qualified(s->t->schema, s->t->name), *stage = stage_name(s);
    strbuf_appendf(&sb,
                   "CREATE TEMPORARY TABLE %s ON COMMIT DELETE ROWS AS SELECT 0::pg_catalog.int8 AS \"" STAGE_SEQ_COLUMN
                   "\", false AS \"" STAGE_DELETE_COLUMN "\", ",
                   stage);
    append_columns(&sb, s, NULL, true, "");
    strbuf_appendf(&sb, " FROM %s WITH NO DATA", table);
    GwResult rc = pg_exec(c, sb.data);
    free(table);
    free(stage);
    strbuf_free(&sb);
    if (rc)
        return rc;
    char *sql = merge_sql(s), *name = merge_name(s);
    PGresult *res = PQprepare(c->pg, name, sql, 0, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = pg_report(c, res, "preparing a merge of staged changes");
    else
        log_debug("prepared %s: %s", name, sql);
    PQclear(res);
    free(sql);
    free(name);
    s->created = rc == GW_OK;
    return rc;
}

static char *
copy_sql(const Stage *s)
{
    if (s->keyed) {
        char *stage = stage_name(s);
        char *sql = gw_asprintf("COPY %s FROM STDIN", stage);
        free(stage);
        return sql;
    }
    StrBuf sb;
    strbuf_init(&sb);
    char *table = pg_qualified(s->t->schema, s->t->name);
    strbuf_appendf(&sb, "COPY %s (", table);
    append_columns(&sb, s, NULL, true, "");
    strbuf_append(&sb, ") FROM STDIN");
    free(table);
    return strbuf_take(&sb);
}

static GwResult
report_copy(PgConn *c, PGresult *res, const Stage *s)
{
    char *what = gw_asprintf("applying a batch of %zu changes to %s.%s", s->nrows, s->t->schema, s->t->name);
    GwResult rc = pg_report(c, res, what);
    free(what);
    return rc;
}

/* The staged rows in COPY text form; a keyed stage's rows start with their sequence number and delete flag. */
static void
copy_text(const Stage *s, StrBuf *out)
{
    uint16_t n = s->rel.ncols;
    for (size_t r = 0; r < s->nrows; r++) {
        if (s->keyed)
            strbuf_appendf(out, "%zu\t%c\t", r + 1, s->deletes[r] ? 't' : 'f');
        for (uint16_t i = 0; i < n; i++) {
            const StagedCell *cell = &s->cells[r * n + i];
            ChangeValue v = {.kind = cell->null ? VALUE_NULL : VALUE_TEXT, .data = s->data.data + cell->off,
                             .len = cell->len};
            if (i)
                strbuf_append_char(out, '\t');
            append_copy_value(out, &v);
        }
        strbuf_append_char(out, '\n');
    }
}

/* Sends the staged rows with COPY: into the stage's temporary table, or straight into a keyless table. */
static GwResult
stage_copy(PgConn *c, Stage *s)
{
    if (s->keyed && !s->created) {
        GwResult rc = stage_create(c, s);
        if (rc)
            return rc;
    }
    char *sql = copy_sql(s);
    PGresult *res = PQexec(c->pg, sql);
    free(sql);
    if (PQresultStatus(res) != PGRES_COPY_IN)
        return report_copy(c, res, s);
    PQclear(res);
    StrBuf text;
    strbuf_init(&text);
    copy_text(s, &text);
    int sent = PQputCopyData(c->pg, text.data ? text.data : "", (int) text.len);
    strbuf_free(&text);
    if (sent != 1 || PQputCopyEnd(c->pg, NULL) != 1)
        return report_copy(c, NULL, s);
    GwResult rc = GW_OK;
    while ((res = PQgetResult(c->pg)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == GW_OK)
            rc = report_copy(c, res, s);
        PQclear(res);
    }
    return rc;
}

/* Queues the merge of a keyed stage; a flush inside a transaction empties the stage for what follows. */
static GwResult
queue_merge(PgConn *c, const Stage *s, bool at_commit)
{
    Applier *a = c->applier;
    char *name = merge_name(s);
    int ok = PQsendQueryPrepared(c->pg, name, 0, NULL, NULL, NULL, 0);
    free(name);
    if (ok != 1)
        return pg_report(c, NULL, "sending a merge of staged changes");
    pg_apply_queue_change(a, "a batch of changes", s->t);
    if (at_commit)
        return GW_OK;   /* ON COMMIT DELETE ROWS empties it */
    char *stage = stage_name(s), *sql = gw_asprintf("TRUNCATE %s", stage);
    ok = PQsendQueryParams(c->pg, sql, 0, NULL, NULL, NULL, NULL, 0);
    pg_apply_queue_result(a, sql);
    free(stage);
    return ok == 1 ? GW_OK : pg_report(c, NULL, "emptying a stage");
}

/* A few staged rows: each as its own statement, in the order they were staged. */
static GwResult
apply_rows(PgConn *c, const Stage *s)
{
    uint16_t n = s->rel.ncols;
    ChangeValue *values = gw_calloc((size_t) n + 1, sizeof *values);
    GwResult rc = GW_OK;
    for (size_t r = 0; rc == GW_OK && r < s->nrows; r++) {
        for (uint16_t i = 0; i < n; i++) {
            const StagedCell *cell = &s->cells[r * n + i];
            values[i] = (ChangeValue) {.kind = cell->null ? VALUE_NULL : VALUE_TEXT,
                                       .data = s->data.data + cell->off, .len = cell->len};
        }
        Change ch = {.rel = &s->rel};
        ChangeTuple tuple = {.ncols = n, .values = values};
        if (s->deletes[r]) {
            ch.kind = CHANGE_DELETE;
            ch.has_old = true;
            ch.old_kind = 'K';
            ch.old_tuple = tuple;
        } else {
            ch.kind = CHANGE_INSERT;
            ch.new_tuple = tuple;
        }
        rc = pg_apply_row(c, &ch, s->t);
    }
    free(values);
    return rc;
}

static bool
copies(const Stage *s)
{
    return s->nrows >= STAGE_COPY_MIN;
}

static void
stage_reset(Applier *a)
{
    for (size_t i = 0; i < a->nstages; i++) {
        strbuf_reset(&a->stages[i].data);
        a->stages[i].nrows = 0;
    }
    a->staged_rows = a->staged_bytes = 0;
}

/* COPY of every stage big enough for it, outside pipeline mode (COPY is not allowed in it). */
static GwResult
copy_stages(PgConn *c)
{
    Applier *a = c->applier;
    bool any = false;
    for (size_t i = 0; i < a->nstages; i++)
        any = any || copies(&a->stages[i]);
    if (!any)
        return GW_OK;
    GwResult rc = pg_apply_sync(c);
    if (rc == GW_OK && PQexitPipelineMode(c->pg) != 1)
        rc = pg_report(c, NULL, "leaving pipeline mode");
    if (rc == GW_OK)
        a->pipeline = false;
    for (size_t i = 0; rc == GW_OK && i < a->nstages; i++)
        if (copies(&a->stages[i]))
            rc = stage_copy(c, &a->stages[i]);
    return rc ? rc : pg_apply_enter_pipeline(c);
}

GwResult
pg_stage_flush(PgConn *c, bool at_commit)
{
    Applier *a = c->applier;
    if (!a || a->staged_rows == 0)
        return GW_OK;
    GwResult rc = copy_stages(c);
    for (size_t i = 0; rc == GW_OK && i < a->nstages; i++) {
        const Stage *s = &a->stages[i];
        if (s->nrows == 0)
            continue;
        if (!copies(s))
            rc = apply_rows(c, s);
        else if (s->keyed)
            rc = queue_merge(c, s, at_commit);
    }
    stage_reset(a);
    return rc;
}
