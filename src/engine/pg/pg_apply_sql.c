/*
 * pg_apply_sql.c: the SQL of an apply operation (core/apply_rules.h) for a
 * PostgreSQL or CockroachDB target, and the order of its parameters.  Pure:
 * no connection, so the statements can be checked without a server.  Every
 * value is a parameter ($n), never a literal.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/pg/pg_apply_internal.h"
#include "util/mem.h"

bool
pg_has_identity_always(const TableDef *t)
{
    for (size_t i = 0; i < t->ncolumns; i++)
        if (t->columns[i].identity == 'a')
            return true;
    return false;
}

static bool
masked(const bool *mask, uint16_t i)
{
    return mask && mask[i];
}

/* Appends the quoted names of the masked columns, sep-separated, each followed by suffix_fmt's next parameter. */
static void
append_names(StrBuf *sb, const RelationInfo *rel, const bool *mask, const char *sep, const char *suffix_fmt,
             int *param)
{
    bool first = true;
    for (uint16_t i = 0; i < rel->ncols; i++) {
        if (!masked(mask, i))
            continue;
        char *q = pg_quote_ident(rel->cols[i].name);
        strbuf_appendf(sb, "%s%s", first ? "" : sep, q);
        if (suffix_fmt) {
            (*param)++;
            strbuf_appendf(sb, suffix_fmt, *param);
        }
        free(q);
        first = false;
    }
}

/*
 * " AND NOT EXISTS (the row of the new key)", naming the new key's values
 * by their parameters in the SET list: an UPDATE of a key does nothing
 * where a replay finds the new key there already (apply_rules.h).
 */
static void
append_new_key_absent(StrBuf *sb, const ApplyOp *op, const RelationInfo *rel, const char *only)
{
    StrBuf cond;
    strbuf_init(&cond);
    int param = 0;
    for (uint16_t i = 0; i < rel->ncols; i++) {
        if (!masked(op->set, i))
            continue;
        param++;
        if (!masked(op->match_cols, i))
            continue;
        char *q = pg_quote_ident(rel->cols[i].name);
        strbuf_appendf(&cond, "%sn.%s = $%d", cond.len ? " AND " : "", q, param);
        free(q);
    }
    if (cond.len)
        strbuf_appendf(sb, " AND NOT EXISTS (SELECT 1 FROM %s AS n WHERE %s)", only, cond.data);
    strbuf_free(&cond);
}

/* Matching a row by the values of the masked columns, compared as text so every type can be matched. */
static void
append_match(StrBuf *sb, const RelationInfo *rel, const bool *mask, int *param)
{
    bool first = true;
    for (uint16_t i = 0; i < rel->ncols; i++) {
        if (!masked(mask, i))
            continue;
        char *q = pg_quote_ident(rel->cols[i].name);
        (*param)++;
        strbuf_appendf(sb, "%s%s::text IS NOT DISTINCT FROM $%d", first ? "" : " AND ", q, *param);
        free(q);
        first = false;
    }
}

static bool
any_masked(const bool *mask, uint16_t n)
{
    for (uint16_t i = 0; i < n; i++)
        if (masked(mask, i))
            return true;
    return false;
}

static void
append_insert(StrBuf *sb, const ApplyOp *op, const RelationInfo *rel, const TableDef *t, const char *name)
{
    strbuf_appendf(sb, "INSERT INTO %s (", name);
    append_names(sb, rel, op->set, ", ", NULL, NULL);
    strbuf_appendf(sb, ")%s VALUES (", pg_has_identity_always(t) ? " OVERRIDING SYSTEM VALUE" : "");
    int param = 0;
    for (uint16_t i = 0; i < rel->ncols; i++)
        if (masked(op->set, i)) {
            strbuf_appendf(sb, "%s$%d", param ? ", " : "", param + 1);
            param++;
        }
    strbuf_append(sb, ")");
    if (op->kind != APPLY_UPSERT)
        return;
    strbuf_append(sb, " ON CONFLICT (");
    append_names(sb, rel, op->match_cols, ", ", NULL, NULL);
    strbuf_append(sb, ") DO ");
    bool any = false;
    for (uint16_t i = 0; i < rel->ncols; i++) {
        if (!masked(op->set, i) || masked(op->match_cols, i))
            continue;
        char *q = pg_quote_ident(rel->cols[i].name);
        strbuf_appendf(sb, "%s%s = EXCLUDED.%s", any ? ", " : "UPDATE SET ", q, q);
        free(q);
        any = true;
    }
    if (!any)
        strbuf_append(sb, "NOTHING");
}

/* "SET a = $1, b = $2"; with nothing to set (a row only looked for), a key column set to itself. */
static void
append_set(StrBuf *sb, const ApplyOp *op, const RelationInfo *rel, int *param)
{
    strbuf_append(sb, " SET ");
    if (any_masked(op->set, rel->ncols)) {
        append_names(sb, rel, op->set, ", ", " = $%d", param);
        return;
    }
    for (uint16_t i = 0; i < rel->ncols; i++)
        if (masked(op->match_cols, i)) {
            char *q = pg_quote_ident(rel->cols[i].name);
            strbuf_appendf(sb, "%s = %s", q, q);
            free(q);
            return;
        }
}

/* One row matched on the old row's values: CockroachDB has no ctid, and takes LIMIT on UPDATE and DELETE instead. */
static void
append_one_match(StrBuf *sb, const ApplyOp *op, const RelationInfo *rel, const PgApplySql *how, const char *only,
                 int *param)
{
    if (how->crdb) {
        strbuf_append(sb, " WHERE ");
        append_match(sb, rel, op->match_cols, param);
        strbuf_append(sb, " LIMIT 1");
        return;
    }
    strbuf_appendf(sb, " WHERE ctid = (SELECT ctid FROM %s WHERE ", only);
    append_match(sb, rel, op->match_cols, param);
    strbuf_append(sb, " LIMIT 1)");
}

char *
pg_apply_sql(const ApplyOp *op, const RelationInfo *rel, const TableDef *t, const PgApplySql *how)
{
    StrBuf sb;
    strbuf_init(&sb);
    char *name = pg_qualified(rel->schema, rel->name);
    /*
     * Updates and deletes must not reach the rows of tables inheriting from
     * this one; those of a partitioned table are its partitions' (pg_table_ref).
     */
    char *only = how->crdb || (t && table_partitioned(t)) ? gw_strdup(name) : gw_asprintf("ONLY %s", name);
    int param = 0;
    switch (op->kind) {
    case APPLY_UPSERT:
    case APPLY_INSERT:
        append_insert(&sb, op, rel, t, name);
        break;
    case APPLY_UPDATE:
    case APPLY_UPDATE_KEY:
        strbuf_appendf(&sb, "UPDATE %s", only);
        append_set(&sb, op, rel, &param);
        strbuf_append(&sb, " WHERE ");
        append_names(&sb, rel, op->match_cols, " AND ", " = $%d", &param);
        if (op->kind == APPLY_UPDATE_KEY)
            append_new_key_absent(&sb, op, rel, only);
        break;
    case APPLY_DELETE:
    case APPLY_DELETE_GUARDED:
        strbuf_appendf(&sb, "DELETE FROM %s WHERE ", only);
        append_names(&sb, rel, op->match_cols, " AND ", " = $%d", &param);
        if (op->kind == APPLY_DELETE_GUARDED)
            strbuf_appendf(&sb, " AND (%s)", how->guard_sql);
        break;
    case APPLY_UPDATE_MATCH:
        strbuf_appendf(&sb, "UPDATE %s", only);
        append_set(&sb, op, rel, &param);
        append_one_match(&sb, op, rel, how, only, &param);
        break;
    case APPLY_DELETE_MATCH:
        strbuf_appendf(&sb, "DELETE FROM %s", only);
        append_one_match(&sb, op, rel, how, only, &param);
        break;
    }
    free(name);
    free(only);
    return strbuf_take(&sb);
}

bool
pg_apply_params_match(const ApplyOp *op)
{
    return op->kind != APPLY_UPSERT && op->kind != APPLY_INSERT;
}

char *
pg_apply_statement_key(const ApplyOp *op, const RelationInfo *rel)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_appendf(&sb, "%d|%u|", (int) op->kind, rel->id);
    for (uint16_t i = 0; i < rel->ncols; i++)
        strbuf_append_char(&sb, (char) ('0' + (masked(op->set, i) ? 1 : 0) + (masked(op->match_cols, i) ? 2 : 0)));
    return strbuf_take(&sb);
}
