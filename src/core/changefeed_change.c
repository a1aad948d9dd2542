/*
 * changefeed_change.c: changefeed rows as Changes (see changefeed_change.h).
 * Values are canonical text in one buffer; their pointers are set only once
 * the buffer has stopped growing.
 */
#include "core/changefeed_change.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define OFFSET_NONE ((size_t) -1)

void
changefeed_table_init(ChangefeedTable *t, const Catalog *cat, const TableDef *def, uint32_t id)
{
    memset(t, 0, sizeof *t);
    t->def = def;
    t->rel.id = id;
    t->rel.schema = def->schema;
    t->rel.name = def->name;
    t->rel.replica_identity = def->npk ? REPLICA_IDENTITY_DEFAULT : REPLICA_IDENTITY_FULL;
    t->rel.cols = gw_calloc(def->ncolumns + 1, sizeof *t->rel.cols);
    t->types = gw_calloc(def->ncolumns + 1, sizeof *t->types);
    t->rel_of_def = gw_calloc(def->ncolumns + 1, sizeof *t->rel_of_def);
    for (size_t i = 0; i < def->ncolumns; i++) {
        const ColumnDef *col = &def->columns[i];
        t->rel_of_def[i] = -1;
        if (col->generated_sql)
            continue;
        RelationColumn *rc = &t->rel.cols[t->rel.ncols];
        rc->name = col->name;
        rc->type_id = col->type_id;
        rc->typmod = -1;
        for (size_t k = 0; k < def->npk; k++)
            rc->key = rc->key || def->pk[k] == i;
        t->types[t->rel.ncols] = changefeed_type_of(cat, col->type_id);
        t->rel_of_def[i] = t->rel.ncols++;
    }
}

void
changefeed_table_free(ChangefeedTable *t)
{
    free(t->rel.cols);
    free(t->types);
    free(t->rel_of_def);
    memset(t, 0, sizeof *t);
}

void
changefeed_change_init(ChangefeedChange *c)
{
    memset(c, 0, sizeof *c);
    strbuf_init(&c->text);
}

void
changefeed_change_free(ChangefeedChange *c)
{
    free(c->new_values);
    free(c->old_values);
    free(c->new_offsets);
    free(c->old_offsets);
    strbuf_free(&c->text);
    memset(c, 0, sizeof *c);
}

static ssize_t
rel_column(const ChangefeedTable *t, const char *name, size_t len)
{
    for (uint16_t i = 0; i < t->rel.ncols; i++)
        if (strlen(t->rel.cols[i].name) == len && memcmp(t->rel.cols[i].name, name, len) == 0)
            return i;
    return -1;
}

/* One value into the buffer: its offset, or OFFSET_NONE for NULL. */
static bool
put_value(ChangefeedChange *c, const ChangefeedTable *t, uint16_t col, const JsonvNode *v, size_t *offset,
          char *err, size_t errlen)
{
    size_t start = c->text.len;
    bool is_null;
    char why[256];
    if (!changefeed_value_text(v, t->types[col], &c->text, &is_null, why, sizeof why)) {
        snprintf(err, errlen, "table %s.%s, column %s: %s", t->rel.schema, t->rel.name, t->rel.cols[col].name, why);
        return false;
    }
    *offset = is_null ? OFFSET_NONE : start;
    /* The value ends where the next begins: a NUL keeps each one a C string too. */
    strbuf_append_char(&c->text, '\0');
    return true;
}

/* Every column of the row from a JSON object; offsets[i] set for each. */
static bool
fill_row(ChangefeedChange *c, const ChangefeedTable *t, const JsonvNode *obj, size_t *offsets, bool *seen,
         char *err, size_t errlen)
{
    memset(seen, 0, t->rel.ncols * sizeof *seen);
    for (size_t m = 0; m < obj->count; m++) {
        const JsonvMember *mb = &obj->members[m];
        ssize_t col = rel_column(t, mb->key, mb->key_len);
        if (col < 0) {
            /* A generated column is computed by the source; "rowid" is CockroachDB's key of a table without one. */
            ssize_t def_col = table_find_column(t->def, mb->key);
            if ((def_col >= 0 && t->def->columns[def_col].generated_sql) || (t->def->npk == 0 && !strcmp(mb->key, "rowid")))
                continue;
            snprintf(err, errlen, "table %s.%s: column %s is in the changefeed's rows but not in the source table"
                     " (add it on the source, or drop it on the target)", t->rel.schema, t->rel.name, mb->key);
            return false;
        }
        if (!put_value(c, t, (uint16_t) col, mb->value, &offsets[col], err, errlen))
            return false;
        seen[col] = true;
    }
    for (uint16_t i = 0; i < t->rel.ncols; i++)
        if (!seen[i]) {
            snprintf(err, errlen, "table %s.%s: column %s of the source table is not in the changefeed's rows",
                     t->rel.schema, t->rel.name, t->rel.cols[i].name);
            return false;
        }
    return true;
}

/* The primary key's values from the changefeed's key array; other columns are not known. */
static bool
fill_key(ChangefeedChange *c, const ChangefeedTable *t, const JsonvNode *key, size_t *offsets, bool *seen,
         char *err, size_t errlen)
{
    memset(seen, 0, t->rel.ncols * sizeof *seen);
    if (t->def->npk == 0) {
        snprintf(err, errlen, "table %s.%s has no primary key on the source: a delete needs the row before it"
                 " (create the changefeed WITH diff)", t->rel.schema, t->rel.name);
        return false;
    }
    if (key->count != t->def->npk) {
        snprintf(err, errlen, "table %s.%s: the changefeed's key has %zu value(s), the source's primary key %zu",
                 t->rel.schema, t->rel.name, key->count, t->def->npk);
        return false;
    }
    for (size_t k = 0; k < t->def->npk; k++) {
        ssize_t col = t->rel_of_def[t->def->pk[k]];
        if (col < 0) {
            snprintf(err, errlen, "table %s.%s: key column %s is generated", t->rel.schema, t->rel.name,
                     t->def->columns[t->def->pk[k]].name);
            return false;
        }
        if (!put_value(c, t, (uint16_t) col, key->items[k], &offsets[col], err, errlen))
            return false;
        if (offsets[col] == OFFSET_NONE) {
            snprintf(err, errlen, "table %s.%s: key column %s is null in the changefeed's key", t->rel.schema,
                     t->rel.name, t->rel.cols[col].name);
            return false;
        }
        seen[col] = true;
    }
    return true;
}

static void
set_values(ChangefeedChange *c, ChangeValue *values, const size_t *offsets, const bool *seen, uint16_t n)
{
    for (uint16_t i = 0; i < n; i++) {
        if (!seen[i]) {
            values[i] = (ChangeValue) {.kind = VALUE_UNCHANGED};
        } else if (offsets[i] == OFFSET_NONE) {
            values[i] = (ChangeValue) {.kind = VALUE_NULL};
        } else {
            const char *data = c->text.data + offsets[i];
            values[i] = (ChangeValue) {.kind = VALUE_TEXT, .data = data, .len = (uint32_t) strlen(data)};
        }
    }
}

bool
changefeed_change_build(ChangefeedChange *c, const ChangefeedTable *t, const JsonvNode *key, const JsonvNode *after,
                        const JsonvNode *before, char *err, size_t errlen)
{
    uint16_t n = t->rel.ncols;
    if (c->cap < (size_t) n + 1) {
        c->cap = (size_t) n + 1;
        c->new_values = gw_realloc(c->new_values, c->cap * sizeof *c->new_values);
        c->old_values = gw_realloc(c->old_values, c->cap * sizeof *c->old_values);
        c->new_offsets = gw_realloc(c->new_offsets, c->cap * sizeof *c->new_offsets);
        c->old_offsets = gw_realloc(c->old_offsets, c->cap * sizeof *c->old_offsets);
    }
    strbuf_reset(&c->text);
    memset(&c->change, 0, sizeof c->change);
    Change *ch = &c->change;
    ch->rel = &t->rel;
    bool *new_seen = gw_calloc((size_t) n + 1, sizeof *new_seen), *old_seen = gw_calloc((size_t) n + 1, sizeof *old_seen);
    bool has_after = after->kind == JV_OBJECT, has_before = before && before->kind == JV_OBJECT;
    bool ok = true;
    if (has_after)
        ok = fill_row(c, t, after, c->new_offsets, new_seen, err, errlen);
    if (ok && has_before)
        ok = fill_row(c, t, before, c->old_offsets, old_seen, err, errlen);
    else if (ok && !has_after)
        ok = fill_key(c, t, key, c->old_offsets, old_seen, err, errlen);
    if (ok) {
        if (has_after) {
            ch->new_tuple = (ChangeTuple) {.ncols = n, .values = c->new_values};
            set_values(c, c->new_values, c->new_offsets, new_seen, n);
        }
        if (has_before || !has_after) {
            ch->old_kind = has_before ? CHANGE_OLD_ROW : CHANGE_OLD_KEY;
            ch->old_tuple = (ChangeTuple) {.ncols = n, .values = c->old_values};
            set_values(c, c->old_values, c->old_offsets, old_seen, n);
        }
        ch->kind = !has_after ? CHANGE_DELETE : (before && before->kind == JV_NULL) ? CHANGE_INSERT : CHANGE_UPDATE;
    }
    free(new_seen);
    free(old_seen);
    return ok;
}
