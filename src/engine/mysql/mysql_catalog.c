/*
 * mysql_catalog.c: describe() for MySQL/MariaDB: tables, columns, keys,
 * indexes, foreign keys and AUTO_INCREMENT from information_schema, into a
 * Catalog of PostgreSQL types and PostgreSQL-dialect SQL (the canonical
 * model), and into the connection's MyTable descriptions (mysql_conn.h).
 *
 * A MySQL database is a schema of the same name on the target; names are
 * kept as they are.  What PostgreSQL cannot have is left out with a warning
 * naming it: generated columns (not copied; the target table has no such
 * column), FULLTEXT, SPATIAL, prefix and functional indexes, CHECK
 * constraints (MySQL expressions), defaults that are expressions.  An
 * unsupported type or character set, or a name PostgreSQL would truncate,
 * is refused before anything happens.  It only reads the server.
 */
#include <stdlib.h>
#include <string.h>

#include "core/predicate.h"
#include "engine/mysql/mysql_defaults.h"
#include "engine/mysql/mysql_internal.h"
#include "engine/mysql/mysql_names.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* Type ids of the enum types a MySQL catalog makes (PostgreSQL OIDs of built-in types are far below). */
#define MYSQL_ENUM_TYPE_ID_BASE 0x40000000u

typedef struct Describe {
    MyConn *c;
    Catalog *cat;           /* NULL: one table's columns and key only (mysql_describe_one) */
    Selection *sel;
    bool warn;              /* this describe gives the warnings */
    const char *one_schema, *one_table;
    PgNameSet names;
    int64_t *auto_inc;      /* per catalog table: TABLES.AUTO_INCREMENT (the next value), 0 if none */
    char **json_cols;       /* MariaDB: "schema.table.column" of JSON columns */
    size_t njson;
    char **unique_keys;     /* "schema\x1ftable\x1fa\x1fb": column sets of primary and unique keys */
    size_t nunique;
    uint32_t next_type_id;
} Describe;

static const char *
val(MYSQL_ROW row, int i)
{
    return row[i] ? row[i] : "";
}

static long long
num(MYSQL_ROW row, int i)
{
    return row[i] ? strtoll(row[i], NULL, 10) : -1;
}

/* The SQL condition that limits a query to what this describe covers. */
static char *
scope(const Describe *d, const char *schema_col, const char *table_col)
{
    if (d->one_schema) {
        char *s = mysql_quote_literal(d->one_schema), *t = mysql_quote_literal(d->one_table);
        char *sql = gw_asprintf("%s = %s AND %s = %s", schema_col, s, table_col, t);
        free(s);
        free(t);
        return sql;
    }
    if (!d->c->database)
        return gw_asprintf("%s NOT IN (" MYSQL_SYSTEM_SCHEMAS ")", schema_col);
    char *db = mysql_quote_literal(d->c->database);
    char *sql = gw_asprintf("%s NOT IN (" MYSQL_SYSTEM_SCHEMAS ") AND %s = %s", schema_col, schema_col, db);
    free(db);
    return sql;
}

static GwResult
scoped_query(Describe *d, const char *fmt, const char *schema_col, const char *table_col, unsigned ncols,
             MYSQL_RES **res)
{
    char *where = scope(d, schema_col, table_col);
    StrBuf sb;
    strbuf_init(&sb);
    const char *mark = strstr(fmt, "%W");
    strbuf_append_n(&sb, fmt, (size_t) (mark - fmt));
    strbuf_append(&sb, where);
    strbuf_append(&sb, mark + 2);
    free(where);
    GwResult rc = mysql_conn_query(d->c, sb.data, ncols, res);
    strbuf_free(&sb);
    return rc;
}

/* PostgreSQL would cut a longer name and then not find the object by it. */
static GwResult
check_name_length(const char *what, const char *display, const char *name)
{
    if (strlen(name) <= PGNAME_MAX_BYTES)
        return GW_OK;
    log_error("source %s %s: the name is %zu bytes; PostgreSQL names hold at most %d bytes (rename it, or"
              " --exclude the table)", what, display, strlen(name), PGNAME_MAX_BYTES);
    return GW_ERR_USAGE;
}

static MyTable *
cache_find(MyConn *c, const char *schema, const char *table)
{
    for (size_t i = 0; i < c->ntables; i++)
        if (!strcmp(c->tables[i]->schema, schema) && !strcmp(c->tables[i]->name, table))
            return c->tables[i];
    return NULL;
}

static GwResult
load_tables(Describe *d)
{
    MYSQL_RES *res;
    GwResult rc = scoped_query(d,
                               "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_ROWS, DATA_LENGTH, AUTO_INCREMENT"
                               " FROM information_schema.TABLES WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')"
                               " AND %W ORDER BY BINARY TABLE_SCHEMA, BINARY TABLE_NAME",
                               "TABLE_SCHEMA", "TABLE_NAME", 5, &res);
    if (rc)
        return rc;
    MYSQL_ROW row;
    while (rc == GW_OK && (row = mysql_fetch_row(res))) {
        const char *schema = val(row, 0), *name = val(row, 1);
        if (!selection_matches(d->sel, schema, name))
            continue;
        rc = check_name_length("database", schema, schema);
        if (rc == GW_OK)
            rc = check_name_length("table", name, name);
        if (rc)
            break;
        TableDef *t = catalog_add_table(d->cat);
        t->id = (uint32_t) d->cat->ntables;
        t->schema = gw_strdup(schema);
        t->name = gw_strdup(name);
        t->replica_identity = REPLICA_IDENTITY_DEFAULT;
        t->est_rows = num(row, 2) > 0 ? num(row, 2) : 0;
        t->est_bytes = num(row, 3) > 0 ? num(row, 3) : 0;
        d->auto_inc = gw_realloc(d->auto_inc, d->cat->ntables * sizeof *d->auto_inc);
        d->auto_inc[d->cat->ntables - 1] = num(row, 4) > 0 ? num(row, 4) : 0;
        mysql_table_add(d->c, schema, name);
        pgname_reserve(&d->names, schema, name);
    }
    mysql_free_result(res);
    return rc;
}

static char *
column_key(const char *schema, const char *table, const char *column)
{
    return gw_asprintf("%s.%s.%s", schema, table, column);
}

/*
 * MariaDB stores JSON as LONGTEXT with a column CHECK (json_valid(`col`));
 * other CHECK constraints are MySQL expressions, not copied.
 */
static GwResult
load_checks(Describe *d)
{
    if (!d->c->mariadb)
        return GW_OK;
    MYSQL_RES *res;
    GwResult rc = scoped_query(d,
                               "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE"
                               " FROM information_schema.CHECK_CONSTRAINTS WHERE %W",
                               "CONSTRAINT_SCHEMA", "TABLE_NAME", 4, &res);
    if (rc)
        return rc;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res))) {
        char *col = mysql_quote_ident(val(row, 2));
        char *json_check = gw_asprintf("json_valid(%s)", col);
        free(col);
        if (!strcmp(val(row, 3), json_check)) {
            d->json_cols = gw_realloc(d->json_cols, (d->njson + 1) * sizeof *d->json_cols);
            d->json_cols[d->njson++] = column_key(val(row, 0), val(row, 1), val(row, 2));
        } else if (d->warn && d->cat && catalog_find_table(d->cat, val(row, 0), val(row, 1))) {
            log_warn("source table %s.%s: CHECK constraint %s (%s) is not copied", val(row, 0), val(row, 1),
                     val(row, 2), val(row, 3));
        }
        free(json_check);
    }
    mysql_free_result(res);
    return GW_OK;
}

static bool
is_json_column(const Describe *d, const char *schema, const char *table, const char *column)
{
    char *key = column_key(schema, table, column);
    bool found = false;
    for (size_t i = 0; i < d->njson && !found; i++)
        found = !strcmp(d->json_cols[i], key);
    free(key);
    return found;
}

/* Column query: 0 schema, 1 table, 2 name, 3 DATA_TYPE, 4 COLUMN_TYPE, 5 charset, 6 char length,
 * 7 precision, 8 scale, 9 fsp, 10 IS_NULLABLE, 11 COLUMN_DEFAULT, 12 EXTRA. */
static void
column_source(const Describe *d, MYSQL_ROW row, char *data_type, MyColumnSource *src)
{
    const char *extra = val(row, 12);
    memset(src, 0, sizeof *src);
    src->schema = val(row, 0);
    src->table = val(row, 1);
    src->name = val(row, 2);
    src->data_type = data_type;
    src->column_type = val(row, 4);
    src->charset = row[5];
    src->char_length = num(row, 6);
    src->precision = (int) num(row, 7);
    src->scale = (int) num(row, 8);
    src->fsp = (int) num(row, 9);
    src->generated = strstr(extra, "GENERATED") && (strstr(extra, "VIRTUAL") || strstr(extra, "STORED"));
    src->is_json = !strcmp(data_type, "longtext") && is_json_column(d, src->schema, src->table, src->name);
}

static TypeDef *
add_enum_type(Describe *d, const MyColumnSource *src, const MyColumn *col, MyPgType *pg)
{
    char *base = gw_asprintf("%s_%s", src->table, src->name);
    char *name = pgname_unique(&d->names, src->schema, base);
    free(base);
    TypeDef *ty = catalog_add_type(d->cat);
    ty->id = MYSQL_ENUM_TYPE_ID_BASE + d->next_type_id++;
    ty->schema = gw_strdup(src->schema);
    ty->name = name;
    ty->sql = pgname_qualified(src->schema, name);
    ty->kind = TYPE_ENUM;
    ty->category = 'E';
    ty->labels = gw_calloc(col->nlabels + 1, sizeof *ty->labels);
    for (size_t i = 0; i < col->nlabels; i++)
        ty->labels[i] = gw_strdup(col->labels[i]);
    ty->nlabels = col->nlabels;
    pg->type_sql = gw_strdup(ty->sql);
    pg->oid = ty->id;
    return ty;
}

/*
 * AUTO_INCREMENT: an identity column (integer types) or a sequence owned by
 * the column (numeric(20,0) for BIGINT UNSIGNED), set after the copy to the
 * value before the table's next AUTO_INCREMENT value.
 */
static void
add_auto_increment(Describe *d, const TableDef *t, ColumnDef *col, const MyPgType *pg)
{
    int64_t next = d->auto_inc[t - d->cat->tables];
    SequenceDef *s = catalog_add_sequence(d->cat);
    s->schema = gw_strdup(t->schema);
    s->type_sql = gw_strdup("bigint");
    s->start = s->increment = s->min = s->cache = 1;
    s->max = INT64_MAX;
    s->has_value = next > 1;
    s->last_value = next > 1 ? next - 1 : 0;
    s->owner_schema = gw_strdup(t->schema);
    s->owner_table = gw_strdup(t->name);
    s->owner_column = gw_strdup(col->name);
    s->identity = pg->oid == 20 || pg->oid == 21 || pg->oid == 23;
    char *base = gw_asprintf("%s_%s_seq", t->name, col->name);
    s->name = s->identity ? pgname_truncate(base) : pgname_unique(&d->names, t->schema, base);
    free(base);
    if (s->identity) {
        col->identity = 'd';
        return;
    }
    char *q = pgname_qualified(s->schema, s->name);
    col->default_sql = gw_asprintf("nextval('%s'::regclass)", q);
    free(q);
}

static void
add_column_def(Describe *d, TableDef *t, const MyColumnSource *src, MYSQL_ROW row, const MyColumn *col,
               const MyPgType *pg)
{
    t->columns = gw_realloc(t->columns, (t->ncolumns + 1) * sizeof *t->columns);
    ColumnDef *cd = &t->columns[t->ncolumns++];
    memset(cd, 0, sizeof *cd);
    cd->name = gw_strdup(src->name);
    cd->type_sql = gw_strdup(pg->type_sql);
    cd->type_id = pg->oid;
    cd->not_null = !strcmp(val(row, 10), "NO");
    const char *extra = val(row, 12);
    if (strstr(extra, "auto_increment")) {
        add_auto_increment(d, t, cd, pg);
    } else {
        const char *why;
        cd->default_sql = mysql_default_sql(col, row[11], extra, d->c->mariadb, &why);
        if (why && d->warn)
            log_warn("source table %s.%s, column %s: default %s is not copied (%s)", t->schema, t->name,
                     src->name, row[11], why);
    }
    if (d->warn && strstr(extra, "on update"))
        log_warn("source table %s.%s, column %s: ON UPDATE %s is not copied (PostgreSQL needs a trigger for it)",
                 t->schema, t->name, src->name, strstr(extra, "on update") + 10);
}

static void
append_column(MyTable *mt, const MyColumn *col, const MyPgType *pg)
{
    mt->cols = gw_realloc(mt->cols, (mt->ncols + 1) * sizeof *mt->cols);
    mt->pg = gw_realloc(mt->pg, (mt->ncols + 1) * sizeof *mt->pg);
    mt->cols[mt->ncols] = *col;
    mt->pg[mt->ncols++] = *pg;
}

/* One row of the column query: the MyColumn, and in a full describe the ColumnDef and its types. */
static GwResult
load_column(Describe *d, MYSQL_ROW row, MyTable *mt)
{
    char *data_type = gw_strdup(val(row, 3));
    for (char *p = data_type; *p; p++)
        *p = (char) (*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    MyColumnSource src;
    column_source(d, row, data_type, &src);
    MyColumn col = {.name = gw_strdup(src.name)};
    MyPgType pg = {0};
    char *display = gw_asprintf("%s.%s.%s", src.schema, src.table, src.name);
    GwResult rc = check_name_length("column", display, src.name);
    free(display);
    if (rc == GW_OK)
        rc = mysql_type_map(&src, &d->c->opts, &col, &pg);
    TableDef *t = rc == GW_OK && d->cat ? catalog_find_table(d->cat, src.schema, src.table) : NULL;
    if (t && src.generated && d->warn)
        log_info("source table %s.%s: generated column %s is not copied (the target table has no such column)",
                 src.schema, src.table, src.name);
    if (t && !src.generated && pg.is_enum)
        add_enum_type(d, &src, &col, &pg);
    if (t && !src.generated)
        add_column_def(d, t, &src, row, &col, &pg);
    free(data_type);
    if (rc) {
        mysql_column_free(&col);
        mysql_pg_type_free(&pg);
        return rc;
    }
    append_column(mt, &col, &pg);
    return GW_OK;
}

static GwResult
load_columns(Describe *d)
{
    MYSQL_RES *res;
    GwResult rc = scoped_query(d,
                               "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME,"
                               " CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION,"
                               " IS_NULLABLE, COLUMN_DEFAULT, EXTRA FROM information_schema.COLUMNS WHERE %W"
                               " ORDER BY BINARY TABLE_SCHEMA, BINARY TABLE_NAME, ORDINAL_POSITION",
                               "TABLE_SCHEMA", "TABLE_NAME", 13, &res);
    if (rc)
        return rc;
    MYSQL_ROW row;
    MyTable *mt = NULL;
    while (rc == GW_OK && (row = mysql_fetch_row(res))) {
        if (!mt || strcmp(mt->schema, val(row, 0)) != 0 || strcmp(mt->name, val(row, 1)) != 0)
            mt = d->one_schema && !cache_find(d->c, val(row, 0), val(row, 1))
                     ? mysql_table_add(d->c, val(row, 0), val(row, 1))
                     : cache_find(d->c, val(row, 0), val(row, 1));
        if (mt)
            rc = load_column(d, row, mt);
    }
    mysql_free_result(res);
    return rc;
}

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
    MyTable *mt = cache_find(d->c, schema, table);
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

static GwResult
load_indexes(Describe *d)
{
    MYSQL_RES *res;
    GwResult rc = scoped_query(d,
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

static GwResult
load_foreign_keys(Describe *d)
{
    MYSQL_RES *res;
    GwResult rc = scoped_query(d,
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
static void
add_builtin_types(Describe *d)
{
    for (size_t i = 0; i < d->cat->ntables; i++) {
        const TableDef *t = &d->cat->tables[i];
        for (size_t j = 0; j < t->ncolumns; j++) {
            const PgTypeInfo *info = mysql_pg_type_info(t->columns[j].type_id);
            for (int k = 0; info && k < 2; k++) {
                if (!catalog_find_type(d->cat, info->oid)) {
                    TypeDef *ty = catalog_add_type(d->cat);
                    ty->id = info->oid;
                    ty->schema = gw_strdup("pg_catalog");
                    ty->name = gw_strdup(info->name);
                    ty->sql = gw_strdup(info->sql);
                    ty->kind = info->elem ? TYPE_ARRAY : TYPE_BASE;
                    ty->elem_id = info->elem;
                    ty->builtin = true;
                    ty->category = info->category;
                }
                info = info->elem ? mysql_pg_type_info(info->elem) : NULL;
            }
        }
    }
}

/* With --zero-dates null, a date column outside the key may receive NULLs, so it is nullable on the target. */
static void
relax_date_columns(Describe *d, TableDef *t, const MyTable *mt)
{
    if (!d->c->opts.zero_dates_null)
        return;
    for (size_t i = 0, pos = 0; i < mt->ncols; i++) {
        const MyColumn *col = &mt->cols[i];
        if (col->generated)
            continue;
        ColumnDef *cd = &t->columns[pos++];
        bool in_pk = false;
        for (size_t k = 0; k < t->npk; k++)
            in_pk = in_pk || t->pk[k] == pos - 1;
        bool date = col->kind == MYV_DATE || col->kind == MYV_DATETIME || col->kind == MYV_TIMESTAMP;
        if (date && cd->not_null && !in_pk) {
            cd->not_null = false;
            if (d->warn)
                log_info("source table %s.%s: column %s is nullable on the target (--zero-dates null)", t->schema,
                         t->name, cd->name);
        }
    }
}

static void
finish_tables(Describe *d)
{
    for (size_t i = 0; i < d->cat->ntables; i++) {
        TableDef *t = &d->cat->tables[i];
        MyTable *mt = cache_find(d->c, t->schema, t->name);
        if (!mt)
            continue;
        relax_date_columns(d, t, mt);
        const RowFilter *f = selection_filter_for(d->sel, t->schema, t->name);
        free(mt->where_sql);
        mt->where_sql = f ? mysql_render_predicate(&d->c->base, f->predicate) : NULL;
    }
    add_builtin_types(d);
}

static void
describe_free(Describe *d)
{
    pgname_set_free(&d->names);
    free(d->auto_inc);
    for (size_t i = 0; i < d->njson; i++)
        free(d->json_cols[i]);
    free(d->json_cols);
    for (size_t i = 0; i < d->nunique; i++)
        free(d->unique_keys[i]);
    free(d->unique_keys);
}

GwResult
mysql_describe(EngineConn *conn, Selection *sel, Catalog *cat)
{
    MyConn *c = MY(conn);
    mysql_tables_clear(c);
    Describe d = {.c = c, .cat = cat, .sel = sel, .warn = !c->warned};
    GwResult rc = load_tables(&d);
    if (rc == GW_OK)
        rc = load_checks(&d);
    if (rc == GW_OK)
        rc = load_columns(&d);
    if (rc == GW_OK)
        rc = load_indexes(&d);
    if (rc == GW_OK)
        rc = load_foreign_keys(&d);
    if (rc == GW_OK)
        finish_tables(&d);
    describe_free(&d);
    c->warned = true;
    return rc;
}

GwResult
mysql_describe_one(MyConn *c, const char *schema, const char *table, bool *found)
{
    mysql_table_forget(&c->base, schema, table);
    Describe d = {.c = c, .one_schema = schema, .one_table = table};
    GwResult rc = load_checks(&d);
    if (rc == GW_OK)
        rc = load_columns(&d);
    if (rc == GW_OK)
        rc = load_indexes(&d);
    describe_free(&d);
    *found = rc == GW_OK && cache_find(c, schema, table) != NULL;
    return rc;
}
