/*
 * verify_schema.c: the schema half of verify.  Tables and columns are matched
 * by name; what one side has and the other lacks, types the target cannot
 * hold the source's values in, and differing keys or nullability are
 * differences.  The rows of a table are compared on the columns both sides
 * have, and only when both have the same primary key.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/verify_internal.h"
#include "util/mem.h"
#include "util/strbuf.h"

void
vtable_add_schema(VTable *t, const char *kind, const char *column, const char *side, char *detail)
{
    t->schema = gw_realloc(t->schema, (t->nschema + 1) * sizeof *t->schema);
    t->schema[t->nschema++] = (SchemaDiff) {
        .kind = kind, .column = column ? gw_strdup(column) : NULL, .side = side, .detail = detail};
}

/* A type name without schema, spaces folded, and PostgreSQL's aliases resolved: "int4" -> "integer". */
static char *
type_norm(const char *type_sql)
{
    static const char *const alias[][2] = {
        {"int2", "smallint"}, {"int4", "integer"}, {"int", "integer"}, {"int8", "bigint"},
        {"float4", "real"}, {"float8", "double precision"}, {"bool", "boolean"}, {"decimal", "numeric"},
        {"varchar", "character varying"}, {"char", "character"}, {"bpchar", "character"},
        {"timestamptz", "timestamp with time zone"}, {"timestamp", "timestamp without time zone"},
        {"timetz", "time with time zone"}, {"time", "time without time zone"}, {"string", "text"},
    };
    StrBuf sb;
    strbuf_init(&sb);
    for (const char *p = type_sql; *p; p++)
        strbuf_append_char(&sb, (char) tolower((unsigned char) *p));
    char *s = strbuf_take(&sb);
    if (!strncmp(s, "pg_catalog.", 11))
        memmove(s, s + 11, strlen(s + 11) + 1);
    size_t base = strcspn(s, "([");
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++) {
        if (strlen(alias[i][0]) == base && !strncmp(s, alias[i][0], base)) {
            char *out = gw_asprintf("%s%s", alias[i][1], s + base);
            free(s);
            return out;
        }
    }
    return s;
}

/* The numbers in "name(a,b)"; -1 when absent. */
static void
type_mods(const char *t, long *a, long *b)
{
    *a = *b = -1;
    const char *p = strchr(t, '(');
    if (p && sscanf(p, "(%ld,%ld)", a, b) < 2 && sscanf(p, "(%ld)", a) < 1)
        *a = -1;
}

static bool
same_base(const char *a, const char *b, const char *name)
{
    size_t n = strlen(name);
    return !strncmp(a, name, n) && (a[n] == '\0' || a[n] == '(') && !strncmp(b, name, n) &&
           (b[n] == '\0' || b[n] == '(');
}

static int
int_rank(const char *t)
{
    return !strcmp(t, "smallint") ? 1 : !strcmp(t, "integer") ? 2 : !strcmp(t, "bigint") ? 3 : 0;
}

/* Whether every value of type s fits in type t without change. */
static bool
can_hold(const char *s, const char *t)
{
    if (!strcmp(s, t))
        return true;
    long sa, sb, ta, tb;
    type_mods(s, &sa, &sb);
    type_mods(t, &ta, &tb);
    if (int_rank(s) && int_rank(t))
        return int_rank(s) <= int_rank(t);
    if (int_rank(s) && !strncmp(t, "numeric", 7))
        return ta < 0 || ta - (tb < 0 ? 0 : tb) >= (int_rank(s) == 3 ? 19 : int_rank(s) == 2 ? 10 : 5);
    if (same_base(s, t, "numeric"))
        return ta < 0 || (sa >= 0 && tb >= (sb < 0 ? 0 : sb) && ta - tb >= sa - (sb < 0 ? 0 : sb));
    if (same_base(s, t, "character varying") || same_base(s, t, "character") || same_base(s, t, "bit varying"))
        return ta < 0 || (sa >= 0 && ta >= sa);
    if (!strcmp(t, "text") && (!strncmp(s, "character", 9)))
        return true;
    if (!strcmp(s, "real") && !strcmp(t, "double precision"))
        return true;
    if (same_base(s, t, "timestamp without time zone") || same_base(s, t, "timestamp with time zone") ||
        same_base(s, t, "time without time zone"))
        return ta < 0 || (sa >= 0 && ta >= sa);
    if (!strcmp(s, "json") && !strcmp(t, "jsonb"))
        return true;
    return false;
}

static const ColumnDef *
find_column(const TableDef *t, const char *name, size_t *pos)
{
    for (size_t i = 0; i < t->ncolumns; i++)
        if (!strcmp(t->columns[i].name, name)) {
            *pos = i;
            return &t->columns[i];
        }
    return NULL;
}

static char *
key_names(const TableDef *t)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append_char(&sb, '(');
    for (size_t i = 0; i < t->npk; i++)
        strbuf_appendf(&sb, "%s%s", i ? ", " : "", t->columns[t->pk[i]].name);
    strbuf_append_char(&sb, ')');
    return strbuf_take(&sb);
}

static bool
same_key(const TableDef *s, const TableDef *t)
{
    if (s->npk != t->npk)
        return false;
    for (size_t i = 0; i < s->npk; i++)
        if (strcmp(s->columns[s->pk[i]].name, t->columns[t->pk[i]].name) != 0)
            return false;
    return true;
}

/*
 * How a column's values compare: by the target's type, but a MySQL SET's
 * members as a set (MySQL orders them, PostgreSQL keeps the order written)
 * and a MySQL TIME's interval in hours (PostgreSQL writes days).
 */
static ValueClass
column_class(const ColumnDef *sc, const ColumnDef *tc)
{
    ValueClass cls = value_class_of(tc->type_sql);
    if (sc->set_of_members)
        return VALUE_CLASS_SET;
    if (sc->duration_in_hours && cls == VALUE_CLASS_DURATION)
        return VALUE_CLASS_HOURS;
    return cls;
}

static void
compare_column(VTable *vt, const ColumnDef *sc, const ColumnDef *tc)
{
    char *s = type_norm(sc->type_sql), *t = type_norm(tc->type_sql);
    if (!can_hold(s, t))
        vtable_add_schema(vt, "type", sc->name, NULL,
                          gw_asprintf("column \"%s\": type %s on the source, %s on the target: the target cannot"
                                      " hold every source value", sc->name, sc->type_sql, tc->type_sql));
    /* A column the fetch may make nullable for its values (ColumnDef.not_null_droppable) is either. */
    if (sc->not_null != tc->not_null && !(sc->not_null_droppable && !tc->not_null))
        vtable_add_schema(vt, "nullability", sc->name, NULL,
                          gw_asprintf("column \"%s\": %s on the source, %s on the target", sc->name,
                                      sc->not_null ? "NOT NULL" : "nullable", tc->not_null ? "NOT NULL" : "nullable"));
    free(s);
    free(t);
}

/* Pairs the columns of both sides by name; those of one side only are schema differences. */
static void
match_columns(VTable *vt)
{
    const TableDef *s = vt->src, *t = vt->tgt;
    vt->src_col = gw_calloc(s->ncolumns + 1, sizeof *vt->src_col);
    vt->tgt_col = gw_calloc(s->ncolumns + 1, sizeof *vt->tgt_col);
    vt->cls = gw_calloc(s->ncolumns + 1, sizeof *vt->cls);
    for (size_t i = 0; i < s->ncolumns; i++) {
        size_t j;
        const ColumnDef *tc = find_column(t, s->columns[i].name, &j);
        if (!tc) {
            vtable_add_schema(vt, "column_missing", s->columns[i].name, "target",
                              gw_asprintf("column \"%s\" missing on target", s->columns[i].name));
            continue;
        }
        compare_column(vt, &s->columns[i], tc);
        vt->src_col[vt->ncols] = i;
        vt->tgt_col[vt->ncols] = j;
        vt->cls[vt->ncols++] = column_class(&s->columns[i], tc);
    }
    for (size_t j = 0; j < t->ncolumns; j++) {
        size_t i;
        if (!find_column(s, t->columns[j].name, &i))
            vtable_add_schema(vt, "column_extra", t->columns[j].name, "target",
                              gw_asprintf("column \"%s\" extra on target (not on the source)",
                                          t->columns[j].name));
    }
}

/* The key columns' classes, by which the sides' keys are matched. */
static void
key_classes(VTable *vt)
{
    vt->key_cls = gw_calloc(vt->src->npk + 1, sizeof *vt->key_cls);
    for (size_t i = 0; i < vt->src->npk; i++)
        for (size_t j = 0; j < vt->ncols; j++)
            if (vt->src_col[j] == vt->src->pk[i])
                vt->key_cls[i] = vt->cls[j];
}

static VTable *
add_table(Verifier *v, const TableDef *src, const TableDef *tgt)
{
    v->tables = gw_realloc(v->tables, (v->ntables + 1) * sizeof *v->tables);
    VTable *vt = &v->tables[v->ntables++];
    memset(vt, 0, sizeof *vt);
    const TableDef *any = src ? src : tgt;
    vt->display = gw_asprintf("%s.%s", any->schema, any->name);
    vt->src = src;
    vt->tgt = tgt;
    vt->method = VERIFY_NONE;
    pthread_mutex_init(&vt->mu, NULL);
    return vt;
}

static void
match_table(VTable *vt)
{
    if (!vt->tgt) {
        vtable_add_schema(vt, "table_missing", NULL, "target", gw_strdup("table missing on target"));
        return;
    }
    if (!vt->src) {
        vtable_add_schema(vt, "table_extra", NULL, "target", gw_strdup("table extra on target (not on the source)"));
        return;
    }
    match_columns(vt);
    if (!same_key(vt->src, vt->tgt)) {
        char *a = key_names(vt->src), *b = key_names(vt->tgt);
        vtable_add_schema(vt, "primary_key", NULL, NULL,
                          gw_asprintf("primary key %s on the source, %s on the target: rows not compared",
                                      vt->src->npk ? a : "(none)", vt->tgt->npk ? b : "(none)"));
        free(a);
        free(b);
        return;
    }
    key_classes(vt);
    vt->method = vt->src->npk ? VERIFY_MERGE : VERIFY_UNKEYED;
    vt->same_columns = vt->ncols == vt->src->ncolumns && vt->ncols == vt->tgt->ncolumns;
    for (size_t j = 0; j < vt->ncols && vt->same_columns; j++)
        vt->same_columns = vt->src_col[j] == j && vt->tgt_col[j] == j;
}

static const PartitionDef *
find_partition(const TableDef *t, const char *schema, const char *name)
{
    for (size_t i = 0; i < t->npartitions; i++)
        if (!strcmp(t->partitions[i].schema, schema) && !strcmp(t->partitions[i].name, name))
            return &t->partitions[i];
    return NULL;
}

static bool
same_text(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

/*
 * A partitioned table's partitions, where the target keeps them: the same
 * key, the same partitions with the same bounds.  Rows equal as a whole are
 * then equal partition by partition too, since a row's values decide its
 * partition; so the rows are compared through the table, once.
 */
static void
match_partitions(VTable *vt)
{
    const TableDef *s = vt->src, *t = vt->tgt;
    if (!s || !t || (!s->partition_key_sql && !t->partition_key_sql))
        return;
    if (!same_text(s->partition_key_sql, t->partition_key_sql)) {
        vtable_add_schema(vt, "partitioning", NULL, NULL,
                          gw_asprintf("partitioned by %s on the source, %s on the target",
                                      s->partition_key_sql ? s->partition_key_sql : "nothing",
                                      t->partition_key_sql ? t->partition_key_sql : "nothing"));
        return;
    }
    for (size_t i = 0; i < s->npartitions; i++) {
        const PartitionDef *sp = &s->partitions[i];
        const PartitionDef *tp = find_partition(t, sp->schema, sp->name);
        if (!tp)
            vtable_add_schema(vt, "partition_missing", NULL, "target",
                              gw_asprintf("partition %s.%s (%s) missing on target", sp->schema, sp->name,
                                          sp->bound_sql));
        else if (!same_text(sp->bound_sql, tp->bound_sql) || !same_text(sp->key_sql, tp->key_sql) ||
                 !same_text(sp->parent_name, tp->parent_name))
            vtable_add_schema(vt, "partition", NULL, NULL,
                              gw_asprintf("partition %s.%s: %s of %s on the source, %s of %s on the target",
                                          sp->schema, sp->name, sp->bound_sql, sp->parent_name, tp->bound_sql,
                                          tp->parent_name));
    }
    for (size_t i = 0; i < t->npartitions; i++)
        if (!find_partition(s, t->partitions[i].schema, t->partitions[i].name))
            vtable_add_schema(vt, "partition_extra", NULL, "target",
                              gw_asprintf("partition %s.%s (%s) extra on target", t->partitions[i].schema,
                                          t->partitions[i].name, t->partitions[i].bound_sql));
}

void
verify_match_schema(Verifier *v)
{
    for (size_t i = 0; i < v->src_cat.ntables; i++) {
        const TableDef *s = &v->src_cat.tables[i];
        if (v->user_tables && !v->user_tables[i])
            continue;
        VTable *vt = add_table(v, s, catalog_find_table(&v->tgt_cat, s->schema, s->name));
        match_table(vt);
        if (v->target->ops->keeps_table_trees)
            match_partitions(vt);
    }
    /*
     * Tables only on the target count when the selection names them and they are in a schema the source
     * has (not _godwit, not another database's), and not for a phase (its tables are listed).
     */
    if (v->phase_found)
        return;
    for (size_t i = 0; i < v->tgt_cat.ntables; i++) {
        const TableDef *t = &v->tgt_cat.tables[i];
        /* Only in a schema the source's selected tables live in can the target have extra tables. */
        if (catalog_has_schema(&v->src_cat, t->schema) && !catalog_find_table(&v->src_cat, t->schema, t->name))
            match_table(add_table(v, NULL, t));
    }
}

void
vtable_free(VTable *t)
{
    free(t->display);
    free(t->src_pred);
    free(t->tgt_pred);
    free(t->src_col);
    free(t->tgt_col);
    free(t->cls);
    free(t->key_numeric);
    free(t->key_cls);
    for (size_t i = 0; i < t->nschema; i++) {
        free(t->schema[i].column);
        free(t->schema[i].detail);
    }
    free(t->schema);
    for (size_t i = 0; i < t->ndiffs; i++)
        row_diff_free(&t->diffs[i]);
    free(t->diffs);
    pthread_mutex_destroy(&t->mu);
}
