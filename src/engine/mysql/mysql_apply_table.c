/*
 * mysql_apply_table.c: a relation of the change stream matched to its
 * MySQL/MariaDB table: for each of the relation's columns (by name), the
 * column it is written to, its key, the texts its batches start with, and
 * whether its changes may be merged by key.  Checked against the relation
 * on every use: the reader may describe a table again.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_apply_internal.h"
#include "util/log.h"
#include "util/mem.h"

void
mysql_apply_table_free(ApplyTable *t)
{
    if (!t)
        return;
    for (uint16_t i = 0; i < t->ncols; i++) {
        free(t->colnames[i]);
        free(t->qcols[i]);
    }
    free(t->colnames);
    free(t->qcols);
    free(t->cols);
    free(t->is_char);
    free(t->key);
    free(t->schema);
    free(t->name);
    free(t->qname);
    free(t->upsert_head);
    free(t->upsert_tail);
    free(t->delete_head);
    row_merge_free(&t->merge);
    free(t);
}

/* An error of godwit's own (no server error): logged, not transient. */
static GwResult
fail_table(MyConn *c, const char *schema, const char *table, const char *what, const char *name)
{
    mysql_conn_note_error(&c->base, 0);
    log_error("%s %s: table %s.%s %s%s", role_name(c->base.role), c->base.endpoint->redacted, schema, table, what,
              name ? name : "");
    return role_error(c->base.role);
}

static bool
table_matches(const ApplyTable *t, const RelationInfo *rel)
{
    if (t->rel != rel || t->ncols != rel->ncols || strcmp(t->schema, rel->schema) != 0 ||
        strcmp(t->name, rel->name) != 0)
        return false;
    for (uint16_t i = 0; i < rel->ncols; i++)
        if (strcmp(t->colnames[i], rel->cols[i].name) != 0)
            return false;
    return true;
}

static bool
is_char_type(const MyPgType *pg)
{
    return pg->type_sql && !strncmp(pg->type_sql, "character(", strlen("character("));
}

static bool
keys_are_integers(const ApplyTable *t)
{
    for (uint16_t i = 0; i < t->ncols; i++)
        if (t->key[i] && t->cols[i]->kind != MYV_INT && t->cols[i]->kind != MYV_UINT)
            return false;
    return true;
}

/* Another unique index, and triggers, as the server has them; false when it says nothing. */
static GwResult
read_traits(MyConn *c, const ApplyTable *t, ApplyTableTraits *tr)
{
    char *schema = mysql_quote_literal(t->schema);
    char *name = mysql_quote_literal(t->name);
    char *sql = gw_asprintf("SELECT (SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s"
                            " AND TABLE_NAME = %s AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY'),"
                            " (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = %s"
                            " AND EVENT_OBJECT_TABLE = %s)",
                            schema, name, schema, name);
    free(schema);
    free(name);
    MYSQL_RES *res;
    GwResult rc = mysql_conn_query(c, sql, 2, &res);
    free(sql);
    if (rc)
        return rc;
    MYSQL_ROW row = mysql_fetch_row(res);
    bool known = row && row[0] && row[1];
    tr->other_unique = !known || strcmp(row[0], "0") != 0;
    tr->has_triggers = !known || strcmp(row[1], "0") != 0;
    mysql_free_result(res);
    return GW_OK;
}

/*
 * Whether the table's changes may be merged by key (ApplyTable.mergeable),
 * by apply_rules_merge: the key's text is compared as bytes, so it must be
 * integers.  Foreign keys are not looked at: the session runs without
 * foreign key checks, and the sources it is written from (PostgreSQL) log
 * what their foreign-key actions did.
 */
static GwResult
merge_allowed(MyConn *c, const ApplySemantics *sem, ApplyTable *t)
{
    ApplyTableTraits tr = {.has_key = t->has_key, .keys_merge_exactly = keys_are_integers(t)};
    if (!tr.has_key || !tr.keys_merge_exactly) {
        if (t->has_key)
            log_debug("table %s.%s: changes are not merged by key (a key column is not an integer)", t->schema,
                      t->name);
        return GW_OK;
    }
    GwResult rc = read_traits(c, t, &tr);
    if (rc)
        return rc;
    t->mergeable = apply_rules_merge(&tr, sem) == APPLY_MERGE_BY_KEY;
    log_debug("table %s.%s: changes %s", t->schema, t->name,
              t->mergeable ? "are merged by key" : "are not merged by key (a second unique key, or a trigger)");
    return GW_OK;
}

/* Matches a relation to its MySQL table (described on this connection), column by column. */
static GwResult
table_make(MyConn *c, const ApplySemantics *sem, const RelationInfo *rel, ApplyTable **out)
{
    *out = NULL;
    const MyColumn *described;
    size_t ndescribed;
    GwResult rc = mysql_table_columns(&c->base, rel->schema, rel->name, &described, &ndescribed);
    if (rc)
        return rc;
    const MyTable *mt = described ? mysql_table_get(c, rel->schema, rel->name) : NULL;
    if (!mt)
        return fail_table(c, rel->schema, rel->name, "does not exist", NULL);
    ApplyTable *t = gw_calloc(1, sizeof *t);
    row_merge_init(&t->merge);
    size_t n = rel->ncols;
    t->rel = rel;
    t->schema = gw_strdup(rel->schema);
    t->name = gw_strdup(rel->name);
    t->ncols = rel->ncols;
    t->colnames = gw_calloc(n + 1, sizeof *t->colnames);
    t->qcols = gw_calloc(n + 1, sizeof *t->qcols);
    t->cols = gw_calloc(n + 1, sizeof *t->cols);
    t->is_char = gw_calloc(n + 1, sizeof *t->is_char);
    t->key = gw_calloc(n + 1, sizeof *t->key);
    t->qname = mysql_qualified(rel->schema, rel->name);
    for (uint16_t i = 0; i < rel->ncols; i++) {
        t->colnames[i] = gw_strdup(rel->cols[i].name);
        t->qcols[i] = mysql_quote_ident(rel->cols[i].name);
        for (size_t k = 0; k < mt->ncols && !t->cols[i]; k++) {
            if (mt->cols[k].generated || strcmp(mt->cols[k].name, rel->cols[i].name) != 0)
                continue;
            t->cols[i] = &mt->cols[k];
            t->is_char[i] = mt->cols[k].kind == MYV_TEXT && is_char_type(&mt->pg[k]);
        }
        if (!t->cols[i] && rc == GW_OK)
            rc = fail_table(c, rel->schema, rel->name, "has no (writable) column ", rel->cols[i].name);
    }
    t->has_key = mt->npk > 0;
    for (size_t k = 0; k < mt->npk; k++) {
        bool found = false;
        for (uint16_t i = 0; i < rel->ncols && !found; i++)
            if (!strcmp(rel->cols[i].name, mt->cols[mt->pk[k]].name))
                found = t->key[i] = true;
        t->has_key = t->has_key && found;
    }
    if (!t->has_key)
        memset(t->key, 0, n * sizeof *t->key);
    for (uint16_t i = 0; i < rel->ncols; i++)
        t->nkey += t->key[i];
    mysql_apply_table_heads(t, c->tag);
    if (rc == GW_OK)
        rc = merge_allowed(c, sem, t);
    if (rc) {
        mysql_apply_table_free(t);
        return rc;
    }
    *out = t;
    return GW_OK;
}

/* The table of a relation, made on first use and again when the relation changed. */
GwResult
mysql_apply_table_for(MyApplier *a, MyConn *c, const RelationInfo *rel, ApplyTable **out)
{
    size_t slot = a->ntables;
    for (size_t i = 0; i < a->ntables; i++) {
        if (table_matches(a->tables[i], rel)) {
            *out = a->tables[i];
            return GW_OK;
        }
        if (slot == a->ntables && !strcmp(a->tables[i]->schema, rel->schema) &&
            !strcmp(a->tables[i]->name, rel->name))
            slot = i;
    }
    /*
     * What is batched or queued was made with the old description, and
     * names the table about to be freed: it goes first, before the
     * description is read.
     */
    GwResult rc = mysql_apply_merge_send_all(a, c);
    if (rc == GW_OK)
        rc = mysql_apply_flush(a, c);
    if (rc == GW_OK)
        rc = mysql_apply_send_pending(a, c);
    ApplyTable *t = NULL;
    if (rc == GW_OK)
        rc = table_make(c, &a->sem, rel, &t);
    if (rc)
        return rc;
    if (slot < a->ntables) {
        mysql_apply_table_free(a->tables[slot]);
    } else {
        gw_grow((void **) &a->tables, &a->cap_tables, a->ntables + 1, sizeof *a->tables);
        a->ntables++;
    }
    a->tables[slot] = t;
    *out = t;
    return GW_OK;
}
