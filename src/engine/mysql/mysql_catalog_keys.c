/*
 * mysql_catalog_keys.c: the keys and indexes half of describe() for
 * MySQL/MariaDB (see mysql_catalog.c): primary and unique keys, indexes,
 * and foreign keys, from information_schema.STATISTICS and
 * KEY_COLUMN_USAGE, into the Catalog and the connection's MyTable
 * descriptions.  What PostgreSQL cannot have (FULLTEXT, SPATIAL, prefix and
 * functional indexes) is left out with a warning.  It only reads the server.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_catalog_internal.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* One index as STATISTICS lists it, gathered over its rows. */
typedef struct IndexRows {
    char *name;
    bool unique;
    bool primary;
    char *skip;             /* why it is not copied, or NULL */
    char **cols;
    bool *desc;
    size_t ncols;
} IndexRows;

static void
index_rows_free(IndexRows *ix)
{
    for (size_t i = 0; i < ix->ncols; i++)
        free(ix->cols[i]);
    free(ix->cols);
    free(ix->desc);
    free(ix->name);
    free(ix->skip);
    memset(ix, 0, sizeof *ix);
}

static ssize_t
mycol_index(const MyTable *mt, const char *name)
{
    for (size_t i = 0; i < mt->ncols; i++)
        if (!strcmp(mt->cols[i].name, name))
            return (ssize_t) i;
    return -1;
}

/* ("a", "b" DESC): the column list of a PostgreSQL key or index. */
static char *
column_list(const IndexRows *ix, bool with_order)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append_char(&sb, '(');
    for (size_t i = 0; i < ix->ncols; i++) {
        char *q = pgname_quote(ix->cols[i]);
        strbuf_appendf(&sb, "%s%s%s", i ? ", " : "", q, with_order && ix->desc[i] ? " DESC" : "");
        free(q);
    }
    strbuf_append_char(&sb, ')');
    return strbuf_take(&sb);
}

/* "schema\x1ftable\x1fa\x1fb" with the columns sorted: foreign keys may name a key's columns in any order. */
static char *
key_string(const char *schema, const char *table, char **cols, size_t ncols)
{
    char **sorted = gw_calloc(ncols + 1, sizeof *sorted);
    memcpy(sorted, cols, ncols * sizeof *sorted);
    for (size_t i = 1; i < ncols; i++)
        for (size_t j = i; j > 0 && strcmp(sorted[j - 1], sorted[j]) > 0; j--) {
            char *tmp = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = tmp;
        }
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_appendf(&sb, "%s\x1f%s", schema, table);
    for (size_t i = 0; i < ncols; i++)
        strbuf_appendf(&sb, "\x1f%s", sorted[i]);
    free(sorted);
    return strbuf_take(&sb);
}

static void
remember_unique(Describe *d, const TableDef *t, char **cols, size_t ncols)
{
    d->unique_keys = gw_realloc(d->unique_keys, (d->nunique + 1) * sizeof *d->unique_keys);
    d->unique_keys[d->nunique++] = key_string(t->schema, t->name, cols, ncols);
}

static void
add_constraint(TableDef *t, char *name, ConstraintKind kind, char *definition)
{
    t->constraints = gw_realloc(t->constraints, (t->nconstraints + 1) * sizeof *t->constraints);
    ConstraintDef *k = &t->constraints[t->nconstraints++];
    memset(k, 0, sizeof *k);
    k->name = name;
    k->kind = kind;
    k->definition = definition;
}

/* The primary key: positions in the MyTable and, in a full describe, in the TableDef. */
static GwResult
set_primary_key(Describe *d, MyTable *mt, TableDef *t, const IndexRows *ix)
{
    mt->pk = gw_calloc(ix->ncols + 1, sizeof *mt->pk);
    for (size_t i = 0; i < ix->ncols; i++) {
        ssize_t pos = mycol_index(mt, ix->cols[i]);
        if (pos < 0)
            return GW_OK;
        mt->pk[mt->npk++] = (size_t) pos;
    }
    if (!t)
        return GW_OK;
    t->pk = gw_calloc(ix->ncols + 1, sizeof *t->pk);
    for (size_t i = 0; i < ix->ncols; i++) {
        ssize_t pos = table_find_column(t, ix->cols[i]);
        if (pos < 0) {
            log_error("source table %s.%s: its primary key includes generated column %s, which is not copied"
                      " (--exclude the table)", t->schema, t->name, ix->cols[i]);
            return GW_ERR_USAGE;
        }
        t->pk[t->npk++] = (size_t) pos;
    }
    char *base = gw_asprintf("%s_pkey", t->name);
    char *cols = column_list(ix, false);
    add_constraint(t, pgname_unique(&d->names, t->schema, base), CONSTRAINT_PRIMARY,
                   gw_asprintf("PRIMARY KEY %s", cols));
    free(cols);
    free(base);
    remember_unique(d, t, ix->cols, ix->ncols);
    return GW_OK;
}

/* A unique key becomes a UNIQUE constraint, any other index a CREATE INDEX, named "<table>_<index>". */
static void
add_index(Describe *d, TableDef *t, const IndexRows *ix)
{
    for (size_t i = 0; i < ix->ncols; i++)
        if (table_find_column(t, ix->cols[i]) < 0) {
            if (d->warn)
                log_warn("source table %s.%s: index %s is not copied (it uses generated column %s)", t->schema,
                         t->name, ix->name, ix->cols[i]);
            return;
        }
    char *base = gw_asprintf("%s_%s", t->name, ix->name);
    char *name = pgname_unique(&d->names, t->schema, base);
    free(base);
    if (ix->unique) {
        char *cols = column_list(ix, false);
        add_constraint(t, name, CONSTRAINT_UNIQUE, gw_asprintf("UNIQUE %s", cols));
        free(cols);
        remember_unique(d, t, ix->cols, ix->ncols);
        return;
    }
    char *cols = column_list(ix, true);
    char *qn = pgname_quote(name), *qt = pgname_qualified(t->schema, t->name);
    t->indexes = gw_realloc(t->indexes, (t->nindexes + 1) * sizeof *t->indexes);
    IndexDef *idx = &t->indexes[t->nindexes++];
    idx->name = name;
    idx->definition = gw_asprintf("CREATE INDEX %s ON %s USING btree %s", qn, qt, cols);
    idx->unique = false;
    free(qn);
    free(qt);
    free(cols);
}

static GwResult
finish_index(Describe *d, const char *schema, const char *table, IndexRows *ix)
{
    MyTable *mt = mysql_describe_cached(d->c, schema, table);
    TableDef *t = d->cat ? catalog_find_table(d->cat, schema, table) : NULL;
    GwResult rc = GW_OK;
    if (mt && ix->primary)
        rc = set_primary_key(d, mt, t, ix);
    else if (t && ix->skip && d->warn)
        log_warn("source table %s.%s: index %s is not copied (%s)", schema, table, ix->name, ix->skip);
    else if (t && !ix->skip)
        add_index(d, t, ix);
    index_rows_free(ix);
    return rc;
}

/* Statistics query: 0 schema, 1 table, 2 index, 3 NON_UNIQUE, 4 column, 5 SUB_PART, 6 INDEX_TYPE, 7 COLLATION. */
static void
add_index_row(IndexRows *ix, MYSQL_ROW row)
{
    if (!ix->name) {
        ix->name = gw_strdup(val(row, 2));
        ix->primary = !strcmp(ix->name, "PRIMARY");
        ix->unique = !strcmp(val(row, 3), "0");
        const char *type = val(row, 6);
        if (!strcmp(type, "FULLTEXT") || !strcmp(type, "SPATIAL"))
            ix->skip = gw_asprintf("a %s index", type);
    }
    if (!row[4] && !ix->skip)
        ix->skip = gw_strdup("an index on an expression");
    if (row[5] && !ix->skip && !ix->primary)
        ix->skip = gw_asprintf("a prefix index on %s(%s)", val(row, 4), row[5]);
    ix->cols = gw_realloc(ix->cols, (ix->ncols + 1) * sizeof *ix->cols);
    ix->desc = gw_realloc(ix->desc, (ix->ncols + 1) * sizeof *ix->desc);
    ix->cols[ix->ncols] = gw_strdup(val(row, 4));
    ix->desc[ix->ncols++] = !strcmp(val(row, 7), "D");
}

GwResult
mysql_describe_indexes(Describe *d)
{
    MYSQL_RES *res;
    GwResult rc = mysql_describe_query(d,
                                       "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART,"
                                       " INDEX_TYPE, COLLATION FROM information_schema.STATISTICS WHERE %W"
                                       " ORDER BY BINARY TABLE_SCHEMA, BINARY TABLE_NAME, INDEX_NAME <> 'PRIMARY',"
                                       " BINARY INDEX_NAME, SEQ_IN_INDEX",
                                       "TABLE_SCHEMA", "TABLE_NAME", 8, &res);
    if (rc)
        return rc;
    IndexRows ix = {0};
    char *schema = NULL, *table = NULL;
    MYSQL_ROW row;
    while (rc == GW_OK && (row = mysql_fetch_row(res))) {
        bool same = ix.name && !strcmp(schema, val(row, 0)) && !strcmp(table, val(row, 1)) &&
                    !strcmp(ix.name, val(row, 2));
        if (!same && ix.name)
            rc = finish_index(d, schema, table, &ix);
        if (!same) {
            free(schema);
            free(table);
            schema = gw_strdup(val(row, 0));
            table = gw_strdup(val(row, 1));
        }
        add_index_row(&ix, row);
    }
    if (rc == GW_OK && ix.name)
        rc = finish_index(d, schema, table, &ix);
    index_rows_free(&ix);
    free(schema);
    free(table);
    mysql_free_result(res);
    return rc;
}

/* One foreign key gathered over its rows. */
typedef struct ForeignRows {
    char *schema, *table, *name, *ref_schema, *ref_table, *on_update, *on_delete;
    char **cols, **ref_cols;
    size_t ncols;
} ForeignRows;

static void
foreign_rows_free(ForeignRows *f)
{
    for (size_t i = 0; i < f->ncols; i++) {
        free(f->cols[i]);
        free(f->ref_cols[i]);
    }
    free(f->cols);
    free(f->ref_cols);
    free(f->schema);
    free(f->table);
    free(f->name);
    free(f->ref_schema);
    free(f->ref_table);
    free(f->on_update);
    free(f->on_delete);
    memset(f, 0, sizeof *f);
}

/* PostgreSQL needs the referenced columns to be a primary or unique key (InnoDB takes any index). */
static bool
references_a_key(const Describe *d, const ForeignRows *f)
{
    if (!catalog_find_table(d->cat, f->ref_schema, f->ref_table))
        return true;    /* not copied: pg_finish_schema leaves the key out with its own warning */
    char *want = key_string(f->ref_schema, f->ref_table, f->ref_cols, f->ncols);
    bool found = false;
    for (size_t i = 0; i < d->nunique && !found; i++)
        found = !strcmp(d->unique_keys[i], want);
    free(want);
    return found;
}

static void
finish_foreign(Describe *d, ForeignRows *f)
{
    TableDef *t = catalog_find_table(d->cat, f->schema, f->table);
    if (!t) {
        foreign_rows_free(f);
        return;
    }
    if (!references_a_key(d, f)) {
        if (d->warn)
            log_warn("source table %s.%s: foreign key %s is not copied (the columns it references in %s.%s are"
                     " not a primary or unique key, which PostgreSQL requires)", f->schema, f->table, f->name,
                     f->ref_schema, f->ref_table);
        foreign_rows_free(f);
        return;
    }
    IndexRows mine = {.cols = f->cols, .ncols = f->ncols}, theirs = {.cols = f->ref_cols, .ncols = f->ncols};
    char *cols = column_list(&mine, false), *ref_cols = column_list(&theirs, false);
    char *ref = pgname_qualified(f->ref_schema, f->ref_table);
    char *def = gw_asprintf("FOREIGN KEY %s REFERENCES %s%s ON UPDATE %s ON DELETE %s", cols, ref, ref_cols,
                            f->on_update, f->on_delete);
    add_constraint(t, pgname_truncate(f->name), CONSTRAINT_FOREIGN, def);
    ConstraintDef *k = &t->constraints[t->nconstraints - 1];
    k->ref_schema = gw_strdup(f->ref_schema);
    k->ref_table = gw_strdup(f->ref_table);
    free(cols);
    free(ref_cols);
    free(ref);
    foreign_rows_free(f);
}

static void
add_foreign_row(ForeignRows *f, MYSQL_ROW row)
{
    if (!f->name) {
        f->schema = gw_strdup(val(row, 0));
        f->table = gw_strdup(val(row, 1));
        f->name = gw_strdup(val(row, 2));
        f->ref_schema = gw_strdup(val(row, 4));
        f->ref_table = gw_strdup(val(row, 5));
        f->on_update = gw_strdup(val(row, 7));
        f->on_delete = gw_strdup(val(row, 8));
    }
    f->cols = gw_realloc(f->cols, (f->ncols + 1) * sizeof *f->cols);
    f->ref_cols = gw_realloc(f->ref_cols, (f->ncols + 1) * sizeof *f->ref_cols);
    f->cols[f->ncols] = gw_strdup(val(row, 3));
    f->ref_cols[f->ncols++] = gw_strdup(val(row, 6));
}

GwResult
mysql_describe_foreign_keys(Describe *d)
{
    MYSQL_RES *res;
    GwResult rc = mysql_describe_query(d,
                                       "SELECT k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME,"
                                       " k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME,"
                                       " r.UPDATE_RULE, r.DELETE_RULE FROM information_schema.KEY_COLUMN_USAGE k"
                                       " JOIN information_schema.REFERENTIAL_CONSTRAINTS r"
                                       " ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME"
                                       " AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME"
                                       " WHERE k.REFERENCED_TABLE_NAME IS NOT NULL AND %W"
                                       " ORDER BY BINARY k.TABLE_SCHEMA, BINARY k.TABLE_NAME, BINARY k.CONSTRAINT_NAME,"
                                       " k.ORDINAL_POSITION",
                                       "k.TABLE_SCHEMA", "k.TABLE_NAME", 9, &res);
    if (rc)
        return rc;
    ForeignRows f = {0};
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res))) {
        bool same = f.name && !strcmp(f.schema, val(row, 0)) && !strcmp(f.table, val(row, 1)) &&
                    !strcmp(f.name, val(row, 2));
        if (!same && f.name)
            finish_foreign(d, &f);
        add_foreign_row(&f, row);
    }
    if (f.name)
        finish_foreign(d, &f);
    mysql_free_result(res);
    return GW_OK;
}

/* TypeDefs of the built-in PostgreSQL types the columns use (and text for text[]). */
