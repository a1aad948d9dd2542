/*
 * pg_apply_stage.c: set-based apply.  Row changes of a table are staged (in
 * memory up to a bound) and applied per table with one statement whose
 * parameters are arrays, one per column, instead of one statement per
 * change.  The statement keeps the last change of each key (DISTINCT ON ...
 * ORDER BY the change's sequence number DESC): deletes of keys whose last
 * change is a delete, upserts of the others.  A hot row updated a thousand
 * times in a group is written once.  It is queued in the pipeline like any
 * statement: no round trip, so a target far away costs no more per group.
 *
 * Merging per key, and flushing tables in any order, reorders changes
 * between keys and between tables: only tables apply_rules_merge() allows
 * are staged (the session checks foreign keys), and only the operations
 * apply_rules_plan() marks mergeable.  A table without a primary key stages
 * inserts only, inserted as they are.  Anything else (an update missing
 * unchanged TOASTed values, a change that must find its row, a truncate)
 * first flushes what is staged and then goes statement by statement, so
 * the order that matters is kept.  A table with a single staged row gets a
 * plain statement for it.
 *
 * CockroachDB targets are not staged: not tried there yet.
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
#define STAGE_ARRAY_MIN 2

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
    bool *all;              /* per column: true (every column of a staged row is set) */
    bool usable;            /* false: this table's changes go row by row */
    bool keyed;             /* merged by key; else (no primary key) inserted as they are */
    bool array_prepared;    /* its array statement is prepared in this session */
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
        free(s->all);
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

/* Whether the relation's columns can be staged into this table (their values are cast to its types by name). */
static bool
columns_stageable(const Stage *s)
{
    for (uint16_t i = 0; i < s->rel.ncols; i++) {
        const char *name = s->rel.cols[i].name;
        if (!strcmp(name, STAGE_SEQ_COLUMN) || !strcmp(name, STAGE_DELETE_COLUMN))
            return false;
        ssize_t pos = table_find_column(s->t, name);
        /* A column's type must be known by name: its values are cast to it (array_rows_sql). */
        if (pos < 0 || s->t->columns[pos].generated_sql || !s->t->columns[pos].type_name_sql)
            return false;
    }
    return true;
}

/* Whether this table's changes are staged, and which of the relation's columns form its key. */
static bool
stage_usable(const PgConn *c, Stage *s)
{
    ApplyTableTraits traits = apply_rules_traits_of(s->t);
    traits.has_key = apply_rules_key_mask(s->t, &s->rel, s->key);
    /* The merge is DISTINCT ON the key's typed values: it tells keys apart as the table does. */
    traits.keys_merge_exactly = true;
    /* As a replica (pg_apply_setup) the session fires only triggers enabled for replicas, and checks no foreign key. */
    bool replica = c->applier->as_replica;
    traits.has_triggers = replica ? s->t->has_replica_triggers : s->t->has_triggers;
    traits.foreign_keys_checked = !replica;
    ApplyMerge merge = apply_rules_merge(&traits, &c->applier->sem);
    s->keyed = merge == APPLY_MERGE_BY_KEY;
    /* A primary key the stream does not carry whole: its rows go one by one. */
    bool key_missing = s->t->npk > 0 && !traits.has_key;
    return c->dialect->temp_tables && merge != APPLY_MERGE_NONE && !key_missing && columns_stageable(s);
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
    s->all = gw_calloc((size_t) rel->ncols + 1, sizeof *s->all);
    for (uint16_t i = 0; i < rel->ncols; i++)
        s->all[i] = true;
    strbuf_init(&s->data);
    s->usable = stage_usable(c, s);
    return s;
}

/* One staged row: the key of a delete (other columns NULL), or the whole new row. */
static void
stage_row(Applier *a, Stage *s, const ApplyOp *op)
{
    bool delete = op->kind == APPLY_DELETE;
    const ChangeTuple *from = delete ? op->match : op->row;
    uint16_t n = s->rel.ncols;
    gw_grow((void **) &s->cells, &s->cap_cells, (s->nrows + 1) * n, sizeof *s->cells);
    gw_grow((void **) &s->deletes, &s->cap_deletes, s->nrows + 1, sizeof *s->deletes);
    StagedCell *cells = &s->cells[s->nrows * n];
    size_t before = s->data.len;
    for (uint16_t i = 0; i < n; i++) {
        const ChangeValue *v = &from->values[i];
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

/* Whether the stage takes every operation: mergeable, and of its kinds (by key: upserts and deletes). */
static bool
stage_takes(const Stage *s, const ApplyPlan *p)
{
    for (int i = 0; i < p->nops; i++) {
        ApplyOpKind k = p->ops[i].kind;
        if (!p->ops[i].mergeable || (s->keyed ? k != APPLY_UPSERT && k != APPLY_DELETE : k != APPLY_INSERT))
            return false;
    }
    return p->nops > 0;
}

GwResult
pg_stage_plan(PgConn *c, const RelationInfo *rel, const TableDef *t, const ApplyPlan *p, bool *staged)
{
    *staged = false;
    if (!t)
        return GW_OK;
    Stage *s = stage_for(c, t, rel);
    if (!s->usable || !stage_takes(s, p))
        return GW_OK;
    Applier *a = c->applier;
    for (int i = 0; i < p->nops; i++)
        stage_row(a, s, &p->ops[i]);
    *staged = true;
    if (a->staged_rows >= STAGE_MAX_ROWS || a->staged_bytes >= STAGE_MAX_BYTES)
        return pg_stage_flush(c);
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

/*
 * The merge of the rows of `source` (a relation with the stage's columns,
 * sequence numbers and delete flags): the last staged change of each key
 * wins; keys whose last change is a delete are deleted, the others
 * upserted.  The two sets of keys are disjoint, so one statement does both.
 */
static char *
merge_sql(const Stage *s, const char *source)
{
    StrBuf sb;
    strbuf_init(&sb);
    char *table = pg_qualified(s->t->schema, s->t->name);
    strbuf_append(&sb, "WITH s AS MATERIALIZED (SELECT DISTINCT ON (");
    append_columns(&sb, s, s->key, true, "");
    strbuf_appendf(&sb, ") * FROM %s ORDER BY ", source);
    append_columns(&sb, s, s->key, true, "");
    strbuf_appendf(&sb, ", \"" STAGE_SEQ_COLUMN "\" DESC), d AS (DELETE FROM %s%s AS t USING s WHERE s.\"" STAGE_DELETE_COLUMN
                        "\"",
                   table_partitioned(s->t) ? "" : "ONLY ", table);
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
    return strbuf_take(&sb);
}

/*
 * The staged rows as a relation built from array parameters: one text
 * array per column, each value cast to the column's type without its
 * modifiers (the insert then applies them as it would to any value, so a
 * value too long is refused, never cut), and for a keyed stage the delete
 * flags first and the sequence numbers as the ordinality.
 */
static char *
array_rows_sql(const Stage *s)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, "(SELECT ");
    if (s->keyed)
        strbuf_append(&sb, "u.\"" STAGE_SEQ_COLUMN "\", u.\"" STAGE_DELETE_COLUMN "\", ");
    for (uint16_t i = 0; i < s->rel.ncols; i++) {
        const ColumnDef *col = &s->t->columns[table_find_column(s->t, s->rel.cols[i].name)];
        char *q = pg_quote_ident(s->rel.cols[i].name);
        strbuf_appendf(&sb, "%su.%s::%s%s%s AS %s", i ? ", " : "", q, col->type_name_sql,
                       col->collation_sql ? " COLLATE " : "", col->collation_sql ? col->collation_sql : "", q);
        free(q);
    }
    /* ROWS FROM: a multi-argument unnest cannot be schema-qualified. */
    strbuf_append(&sb, " FROM ROWS FROM (");
    int param = 1;
    if (s->keyed)
        strbuf_appendf(&sb, "pg_catalog.unnest($%d::pg_catalog.bool[]), ", param++);
    for (uint16_t i = 0; i < s->rel.ncols; i++)
        strbuf_appendf(&sb, "%spg_catalog.unnest($%d::pg_catalog.text[])", i ? ", " : "", param++);
    strbuf_appendf(&sb, ")%s AS u(", s->keyed ? " WITH ORDINALITY" : "");
    if (s->keyed)
        strbuf_append(&sb, "\"" STAGE_DELETE_COLUMN "\", ");
    append_columns(&sb, s, NULL, true, "");
    strbuf_append(&sb, s->keyed ? ", \"" STAGE_SEQ_COLUMN "\")) AS x" : ")) AS x");
    return strbuf_take(&sb);
}

/* The statement that applies a stage's rows sent as arrays: the merge, or a plain insert into a keyless table. */
static char *
array_sql(const Stage *s)
{
    char *rows = array_rows_sql(s);
    if (s->keyed) {
        char *sql = merge_sql(s, rows);
        free(rows);
        return sql;
    }
    StrBuf sb;
    strbuf_init(&sb);
    char *table = pg_qualified(s->t->schema, s->t->name);
    strbuf_appendf(&sb, "INSERT INTO %s (", table);
    append_columns(&sb, s, NULL, true, "");
    strbuf_appendf(&sb, ")%s SELECT * FROM %s", pg_has_identity_always(s->t) ? " OVERRIDING SYSTEM VALUE" : "", rows);
    free(table);
    free(rows);
    return strbuf_take(&sb);
}

/* Appends column col of every staged row as one NUL-terminated array literal. */
static void
append_column_array(StrBuf *sb, const Stage *s, uint16_t col)
{
    strbuf_append_char(sb, '{');
    for (size_t r = 0; r < s->nrows; r++) {
        const StagedCell *cell = &s->cells[r * s->rel.ncols + col];
        if (r)
            strbuf_append_char(sb, ',');
        if (cell->null)
            strbuf_append_n(sb, "NULL", 4);
        else
            strbuf_append_array_element(sb, s->data.data + cell->off, cell->len);
    }
    strbuf_append_n(sb, "}", 2);
}

static void
append_delete_flags(StrBuf *sb, const Stage *s)
{
    strbuf_append_char(sb, '{');
    for (size_t r = 0; r < s->nrows; r++) {
        if (r)
            strbuf_append_char(sb, ',');
        strbuf_append_char(sb, s->deletes[r] ? 't' : 'f');
    }
    strbuf_append_n(sb, "}", 2);
}

static GwResult
prepare_array(PgConn *c, Stage *s, const char *name, int nparams)
{
    char *sql = array_sql(s);
    int ok = PQsendPrepare(c->pg, name, sql, nparams, NULL);
    log_debug("prepared %s: %s", name, sql);
    pg_apply_queue_result(c->applier, gw_asprintf("preparing %s", sql));
    free(sql);
    s->array_prepared = ok == 1;
    return ok == 1 ? GW_OK : pg_report(c, NULL, "preparing a batch of changes");
}

/* Queues a stage's rows as one statement with array parameters. */
static GwResult
queue_array(PgConn *c, Stage *s)
{
    int nparams = s->rel.ncols + (s->keyed ? 1 : 0);
    char *name = gw_asprintf("godwit_array_%u", s->id);
    GwResult rc = s->array_prepared ? GW_OK : prepare_array(c, s, name, nparams);
    StrBuf buf;
    strbuf_init(&buf);
    size_t *offsets = gw_calloc((size_t) nparams + 1, sizeof *offsets);
    int n = 0;
    if (s->keyed) {
        offsets[n++] = buf.len;
        append_delete_flags(&buf, s);
    }
    for (uint16_t i = 0; i < s->rel.ncols; i++) {
        offsets[n++] = buf.len;
        append_column_array(&buf, s, i);
    }
    /* Pointers are taken once the buffer has stopped growing. */
    const char **params = gw_calloc((size_t) nparams + 1, sizeof *params);
    for (int i = 0; i < n; i++)
        params[i] = buf.data + offsets[i];
    if (rc == GW_OK && PQsendQueryPrepared(c->pg, name, nparams, params, NULL, NULL, 0) != 1)
        rc = pg_report(c, NULL, "sending a batch of changes");
    if (rc == GW_OK)
        pg_apply_queue_change(c->applier, "applying a batch of changes", s->t);
    free(params);
    free(offsets);
    strbuf_free(&buf);
    free(name);
    return rc;
}

/* A few staged rows: each as its own statement, in the order they were staged. */
static GwResult
apply_rows(PgConn *c, const Stage *s)
{
    uint16_t n = s->rel.ncols;
    ChangeValue *values = gw_calloc((size_t) n + 1, sizeof *values);
    ChangeTuple tuple = {.ncols = n, .values = values};
    GwResult rc = GW_OK;
    for (size_t r = 0; rc == GW_OK && r < s->nrows; r++) {
        for (uint16_t i = 0; i < n; i++) {
            const StagedCell *cell = &s->cells[r * n + i];
            values[i] = (ChangeValue) {.kind = cell->null ? VALUE_NULL : VALUE_TEXT,
                                       .data = s->data.data + cell->off, .len = cell->len};
        }
        ApplyOp op = {.match = &tuple, .match_cols = s->keyed ? s->key : NULL};
        if (s->deletes[r]) {
            op.kind = APPLY_DELETE;
        } else {
            op.kind = s->keyed ? APPLY_UPSERT : APPLY_INSERT;
            op.row = &tuple;
            op.set = s->all;
        }
        rc = pg_apply_send_op(c, &op, &s->rel, s->t, s->deletes[r] ? "applying a delete" : "applying an insert");
    }
    free(values);
    return rc;
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

GwResult
pg_stage_flush(PgConn *c)
{
    Applier *a = c->applier;
    if (!a || a->staged_rows == 0)
        return GW_OK;
    GwResult rc = GW_OK;
    for (size_t i = 0; rc == GW_OK && i < a->nstages; i++) {
        Stage *s = &a->stages[i];
        if (s->nrows >= STAGE_ARRAY_MIN)
            rc = queue_array(c, s);
        else if (s->nrows > 0)
            rc = apply_rows(c, s);
    }
    stage_reset(a);
    return rc;
}
