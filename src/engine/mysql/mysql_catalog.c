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
#include "engine/mysql/mysql_catalog_internal.h"
#include "engine/mysql/mysql_defaults.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* Type ids of the enum types a MySQL catalog makes (PostgreSQL OIDs of built-in types are far below). */
#define MYSQL_ENUM_TYPE_ID_BASE 0x40000000u

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

GwResult
mysql_describe_query(Describe *d, const char *fmt, const char *schema_col, const char *table_col, unsigned ncols,
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

MyTable *
mysql_describe_cached(MyConn *c, const char *schema, const char *table)
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
    GwResult rc = mysql_describe_query(d,
                                       "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_ROWS, DATA_LENGTH, AUTO_INCREMENT"
                                       " FROM information_schema.TABLES"
                                       " WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') AND %W"
                                       " ORDER BY BINARY TABLE_SCHEMA, BINARY TABLE_NAME",
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
    GwResult rc = mysql_describe_query(d,
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

/* What the column's MySQL type cannot hold, refused on the target too (mysql_limits.c). */
static void
add_source_limit(TableDef *t, const MyColumnSource *src, const MyColumn *col)
{
    char *check = mysql_column_limit(src, col);
    if (!check)
        return;
    t->constraints = gw_realloc(t->constraints, (t->nconstraints + 1) * sizeof *t->constraints);
    ConstraintDef *k = &t->constraints[t->nconstraints++];
    memset(k, 0, sizeof *k);
    k->name = gw_asprintf("godwit_limit_%zu", t->ncolumns);
    k->kind = CONSTRAINT_CHECK;
    k->definition = gw_asprintf("CHECK (%s)", check);
    k->source_limit = true;
    free(check);
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
    cd->set_of_members = col->kind == MYV_SET;
    cd->duration_in_hours = col->kind == MYV_TIME;
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
    /* Not for a type the operator chose, nor a generated column (its value is the target's own). */
    if (!pg->type_mapped && !src->generated)
        add_source_limit(t, src, col);
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
    col.zero_default = rc == GW_OK && mysql_default_is_zero_date(&col, row[11], d->c->mariadb);
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
    GwResult rc = mysql_describe_query(d,
                                       "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE,"
                                       " CHARACTER_SET_NAME, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE,"
                                       " DATETIME_PRECISION, IS_NULLABLE, COLUMN_DEFAULT, EXTRA"
                                       " FROM information_schema.COLUMNS WHERE %W"
                                       " ORDER BY BINARY TABLE_SCHEMA, BINARY TABLE_NAME, ORDINAL_POSITION",
                                       "TABLE_SCHEMA", "TABLE_NAME", 13, &res);
    if (rc)
        return rc;
    MYSQL_ROW row;
    MyTable *mt = NULL;
    while (rc == GW_OK && (row = mysql_fetch_row(res))) {
        if (!mt || strcmp(mt->schema, val(row, 0)) != 0 || strcmp(mt->name, val(row, 1)) != 0)
            mt = d->one_schema && !mysql_describe_cached(d->c, val(row, 0), val(row, 1))
                     ? mysql_table_add(d->c, val(row, 0), val(row, 1))
                     : mysql_describe_cached(d->c, val(row, 0), val(row, 1));
        if (mt)
            rc = load_column(d, row, mt);
    }
    mysql_free_result(res);
    return rc;
}

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

/*
 * With --zero-dates null, a zero date is written as NULL: a NOT NULL date
 * column outside the key keeps its NOT NULL on the target only while its
 * rows hold none (nullable_by_values looks), and loses it at once when its
 * default is a zero date (every insert that omits it writes one).
 */
static void
zero_dates_nullability(Describe *d, TableDef *t, const MyTable *mt)
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
        if (!date || !cd->not_null || in_pk)
            continue;
        if (col->zero_default) {
            cd->not_null = false;
            if (d->warn)
                log_info("source table %s.%s: column %s is nullable on the target: its default is a zero date"
                         " (--zero-dates null)", t->schema, t->name, cd->name);
        } else {
            cd->not_null_droppable = true;
        }
    }
}

static void
finish_tables(Describe *d)
{
    for (size_t i = 0; i < d->cat->ntables; i++) {
        TableDef *t = &d->cat->tables[i];
        MyTable *mt = mysql_describe_cached(d->c, t->schema, t->name);
        if (!mt)
            continue;
        zero_dates_nullability(d, t, mt);
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
        rc = mysql_describe_indexes(&d);
    if (rc == GW_OK)
        rc = mysql_describe_foreign_keys(&d);
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
        rc = mysql_describe_indexes(&d);
    describe_free(&d);
    *found = rc == GW_OK && mysql_describe_cached(c, schema, table) != NULL;
    return rc;
}
