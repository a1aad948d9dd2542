/*
 * mysql_apply_sql.c: the statements of apply operations (core/apply_rules.h)
 * for a MySQL/MariaDB table, and its values as literals.  Values arrive in
 * canonical text (the PostgreSQL column's text) and are written as literals
 * for the MySQL column's kind (mysql_literal.h); the session's sql_mode has
 * NO_BACKSLASH_ESCAPES, which they rely on.  Nothing here talks to the
 * server: the connection only names the side in an error.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_apply_internal.h"
#include "engine/mysql/mysql_literal.h"
#include "util/log.h"

static void
append_list(StrBuf *sb, char *const *items, const bool *mask, uint16_t n, const char *sep)
{
    bool first = true;
    for (uint16_t i = 0; i < n; i++) {
        if (mask && !mask[i])
            continue;
        strbuf_appendf(sb, "%s%s", first ? "" : sep, items[i]);
        first = false;
    }
}

void
mysql_apply_table_heads(ApplyTable *t, const char *tag)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_appendf(&sb, "%sINSERT INTO %s (", tag ? tag : "", t->qname);
    append_list(&sb, t->qcols, NULL, t->ncols, ", ");
    strbuf_append(&sb, ") VALUES ");
    t->upsert_head = strbuf_take(&sb);

    strbuf_init(&sb);
    strbuf_append(&sb, " ON DUPLICATE KEY UPDATE ");
    bool any = false;
    for (uint16_t i = 0; i < t->ncols; i++) {
        if (t->key[i])
            continue;
        strbuf_appendf(&sb, "%s%s = VALUES(%s)", any ? ", " : "", t->qcols[i], t->qcols[i]);
        any = true;
    }
    /* Every column is in the key: there is nothing to update, but the row is there. */
    for (uint16_t i = 0; i < t->ncols && !any; i++)
        if (t->key[i]) {
            strbuf_appendf(&sb, "%s = %s", t->qcols[i], t->qcols[i]);
            any = true;
        }
    t->upsert_tail = strbuf_take(&sb);

    strbuf_init(&sb);
    strbuf_appendf(&sb, "%sDELETE FROM %s WHERE %s", tag ? tag : "", t->qname, t->nkey > 1 ? "(" : "");
    append_list(&sb, t->qcols, t->key, t->ncols, ", ");
    strbuf_appendf(&sb, "%s IN (", t->nkey > 1 ? ")" : "");
    t->delete_head = strbuf_take(&sb);
}

GwResult
mysql_apply_value(MyConn *c, const ApplyTable *t, uint16_t i, const ChangeValue *v, StrBuf *out)
{
    if (v->kind == VALUE_NULL) {
        strbuf_append(out, "NULL");
        return GW_OK;
    }
    if (v->kind != VALUE_TEXT) {
        mysql_conn_note_error(&c->base, 0);
        log_error("%s %s: table %s.%s, column %s: the change stream sent a %s value, which cannot be written",
                  role_name(c->base.role), c->base.endpoint->redacted, t->schema, t->name, t->colnames[i],
                  v->kind == VALUE_UNCHANGED ? "missing (unchanged TOASTed)" : "binary");
        return role_error(c->base.role);
    }
    size_t len = v->len;
    /* PostgreSQL pads a character(n) value with spaces; MySQL's CHAR never returns them. */
    while (t->is_char[i] && len > 0 && v->data[len - 1] == ' ')
        len--;
    char err[256];
    if (mysql_literal_append(out, t->cols[i], v->data, len, err, sizeof err) == 0)
        return GW_OK;
    mysql_conn_note_error(&c->base, 0);
    log_error("%s %s: table %s.%s, column %s: cannot write value '%.*s'%s: %s", role_name(c->base.role),
              c->base.endpoint->redacted, t->schema, t->name, t->colnames[i],
              (int) (v->len > SHOWN_VALUE_BYTES ? SHOWN_VALUE_BYTES : v->len), v->data,
              v->len > SHOWN_VALUE_BYTES ? "..." : "", err);
    return role_error(c->base.role);
}

/*
 * "`a` = 1, `b` = 'x'" (sep ", "): the masked columns of a row; with sep
 * " AND " and the key's mask, the row found by its key (compared as MySQL
 * compares keys).
 */
static GwResult
append_pairs(MyConn *c, const ApplyTable *t, const ChangeTuple *row, const bool *mask, const char *sep, StrBuf *out)
{
    bool first = true;
    for (uint16_t i = 0; i < t->ncols; i++) {
        if (!mask[i])
            continue;
        strbuf_appendf(out, "%s%s = ", first ? "" : sep, t->qcols[i]);
        GwResult rc = mysql_apply_value(c, t, i, &row->values[i], out);
        if (rc)
            return rc;
        first = false;
    }
    return GW_OK;
}

/*
 * A row of a table without a key, by the masked columns' values, exactly:
 * text byte for byte (a binary collation without padding: 'a' is not 'A'
 * nor 'a '), JSON by structure (the text PostgreSQL prints for jsonb is not
 * the text MySQL keeps), floats by their exact value (the literals are).
 */
static GwResult
append_value_match(MyConn *c, const ApplyTable *t, const ChangeTuple *row, const bool *mask,
                   const char *text_collation, StrBuf *out)
{
    bool first = true;
    for (uint16_t i = 0; i < t->ncols; i++) {
        if (!mask[i])
            continue;
        const ChangeValue *v = &row->values[i];
        const char *col = t->qcols[i];
        strbuf_append(out, first ? "" : " AND ");
        first = false;
        GwResult rc = GW_OK;
        MyValueKind kind = t->cols[i]->kind;
        if (v->kind == VALUE_NULL) {
            strbuf_appendf(out, "%s IS NULL", col);
        } else if (kind == MYV_JSON && c->mariadb && c->server_version >= 100700) {
            strbuf_appendf(out, "JSON_EQUALS(%s, ", col);
            rc = mysql_apply_value(c, t, i, v, out);
            strbuf_append(out, ")");
        } else if (kind == MYV_JSON && !c->mariadb) {
            strbuf_appendf(out, "%s = CAST(", col);
            rc = mysql_apply_value(c, t, i, v, out);
            strbuf_append(out, " AS JSON)");
        } else if (kind == MYV_TEXT) {
            strbuf_appendf(out, "%s = _utf8mb4", col);
            rc = mysql_apply_value(c, t, i, v, out);
            strbuf_appendf(out, " COLLATE %s", text_collation);
        } else {
            strbuf_appendf(out, "%s <=> ", col);
            rc = mysql_apply_value(c, t, i, v, out);
        }
        if (rc)
            return rc;
    }
    return GW_OK;
}

GwResult
mysql_apply_row_sql(MyConn *c, const ApplyTable *t, const ChangeTuple *row, bool keys_only, StrBuf *out)
{
    bool tuple = !keys_only || t->nkey > 1;
    if (tuple)
        strbuf_append_char(out, '(');
    bool first = true;
    for (uint16_t i = 0; i < t->ncols; i++) {
        if (keys_only && !t->key[i])
            continue;
        if (!first)
            strbuf_append_char(out, ',');
        GwResult rc = mysql_apply_value(c, t, i, &row->values[i], out);
        if (rc)
            return rc;
        first = false;
    }
    if (tuple)
        strbuf_append_char(out, ')');
    return GW_OK;
}


static bool
any_set(const bool *mask, uint16_t n)
{
    for (uint16_t i = 0; i < n; i++)
        if (mask[i])
            return true;
    return false;
}

/* "UPDATE t SET ...": the set columns; none (a row only looked for), a key column set to itself. */
static GwResult
append_update(MyConn *c, const ApplyTable *t, const ApplyOp *op, StrBuf *out)
{
    strbuf_appendf(out, "UPDATE %s SET ", t->qname);
    if (any_set(op->set, t->ncols))
        return append_pairs(c, t, op->row, op->set, ", ", out);
    for (uint16_t i = 0; i < t->ncols; i++)
        if (t->key[i]) {
            strbuf_appendf(out, "%s = %s", t->qcols[i], t->qcols[i]);
            break;
        }
    return GW_OK;
}

GwResult
mysql_apply_op_sql(MyConn *c, const ApplyTable *t, const ApplyOp *op, const char *text_collation, StrBuf *out)
{
    GwResult rc = GW_OK;
    if (op->kind == APPLY_DELETE_MATCH)
        strbuf_appendf(out, "DELETE FROM %s", t->qname);
    else
        rc = append_update(c, t, op, out);
    strbuf_append(out, " WHERE ");
    if (rc == GW_OK && (op->kind == APPLY_UPDATE || op->kind == APPLY_UPDATE_KEY))
        return append_pairs(c, t, op->match, t->key, " AND ", out);
    if (rc == GW_OK)
        rc = append_value_match(c, t, op->match, op->match_cols, text_collation, out);
    strbuf_append(out, " LIMIT 1");
    return rc;
}
