/*
 * mysql_split.c: primary-key ranges of a large table, so that several
 * workers copy it at once, and the WHERE text of a range.
 *
 * MySQL has no TABLESAMPLE.  A single integer key is split by arithmetic
 * between its MIN and MAX (two index lookups); any other key by walking the
 * key in order, one boundary every est_rows / nshards rows (ORDER BY key
 * LIMIT 1 OFFSET n from the previous boundary: a read of the key's index
 * once over).  Boundaries only partition the key space: a skewed split
 * makes uneven shards, never wrong ones, because each boundary is the upper
 * (exclusive) end of one range and the lower (inclusive) end of the next,
 * written as the same literal and compared by the server the same way.
 *
 * Range values are kept as the server prints the key (hex for binary keys,
 * the number for ENUM, SET and BIT keys) and read back by
 * mysql_key_literal(); they are stored in the target's fetch_progress for
 * --resume.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_internal.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

typedef __int128 Int128;

char *
mysql_key_select(const MyColumn *col)
{
    char *q = mysql_quote_ident(col->name);
    char *sql;
    switch (col->kind) {
    case MYV_BYTES: sql = gw_asprintf("HEX(%s)", q); break;
    case MYV_BIT: case MYV_ENUM: case MYV_SET: sql = gw_asprintf("%s+0", q); break;
    default: sql = gw_strdup(q); break;
    }
    free(q);
    return sql;
}

static bool
all_of(const char *s, const char *chars)
{
    return *s && strspn(s, chars) == strlen(s);
}

char *
mysql_key_literal(const MyColumn *col, const char *value)
{
    switch (col->kind) {
    case MYV_INT: case MYV_UINT: case MYV_DECIMAL: case MYV_BOOL: case MYV_YEAR: case MYV_BIT: case MYV_ENUM:
    case MYV_SET: case MYV_FLOAT: case MYV_DOUBLE:
        if (all_of(value, "0123456789+-.eE"))
            return gw_strdup(value);
        break;
    case MYV_BYTES:
        if (all_of(value, "0123456789abcdefABCDEF") && strlen(value) % 2 == 0)
            return gw_asprintf("X'%s'", value);
        if (!*value)
            return gw_strdup("X''");
        break;
    default:
        break;
    }
    return mysql_quote_literal(value);
}

/*
 * One bound over the key (k1, k2, ...) against values v: lower (">=") or
 * upper ("<"), expanded into comparisons the range optimizer reads:
 * k1 >= v1 AND (k1 > v1 OR (k1 = v1 AND k2 >= v2)).
 */
static void
append_bound_op(StrBuf *sb, const MyTable *mt, char *const *values, bool lower, bool inclusive,
                char *(*literal)(const MyColumn *, const char *));

static void
append_bound(StrBuf *sb, const MyTable *mt, char *const *values, bool lower)
{
    append_bound_op(sb, mt, values, lower, lower, mysql_key_literal);
}

/* A key value in canonical form (verify) as a literal: the forms a split prints, less their decoration. */
static char *
canonical_key_literal(const MyColumn *col, const char *value)
{
    switch (col->kind) {
    case MYV_BOOL: return gw_strdup(!strcmp(value, "t") ? "1" : "0");
    case MYV_BIT: return gw_asprintf("b'%s'", value);
    case MYV_BYTES: return mysql_key_literal(col, !strncmp(value, "\\x", 2) ? value + 2 : value);
    case MYV_TIMESTAMP: {
        size_t n = strlen(value);
        char *plain = gw_strndup(value, n > 3 && !strcmp(value + n - 3, "+00") ? n - 3 : n);
        char *lit = mysql_key_literal(col, plain);
        free(plain);
        return lit;
    }
    default: return mysql_key_literal(col, value);
    }
}

char *
mysql_key_after_sql(const MyTable *mt, char *const *values)
{
    StrBuf sb;
    strbuf_init(&sb);
    append_bound_op(&sb, mt, values, true, false, canonical_key_literal);
    return strbuf_take(&sb);
}

char *
mysql_key_names(const MyTable *mt)
{
    StrBuf sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < mt->npk; i++) {
        char *q = mysql_quote_ident(mt->cols[mt->pk[i]].name);
        strbuf_appendf(&sb, "%s%s", i ? ", " : "", q);
        free(q);
    }
    return strbuf_take(&sb);
}

char *
mysql_key_in_sql(const MyTable *mt, char **const *keys, size_t nkeys)
{
    StrBuf sb;
    strbuf_init(&sb);
    char *names = mysql_key_names(mt);
    strbuf_appendf(&sb, mt->npk > 1 ? "(%s) IN (" : "%s IN (", names);
    free(names);
    for (size_t k = 0; k < nkeys; k++) {
        strbuf_append(&sb, k ? ", " : "");
        strbuf_append(&sb, mt->npk > 1 ? "(" : "");
        for (size_t i = 0; i < mt->npk; i++) {
            char *lit = canonical_key_literal(&mt->cols[mt->pk[i]], keys[k][i]);
            strbuf_appendf(&sb, "%s%s", i ? ", " : "", lit);
            free(lit);
        }
        strbuf_append(&sb, mt->npk > 1 ? ")" : "");
    }
    strbuf_append_char(&sb, ')');
    return strbuf_take(&sb);
}

static void
append_bound_op(StrBuf *sb, const MyTable *mt, char *const *values, bool lower, bool inclusive,
                char *(*literal)(const MyColumn *, const char *))
{
    size_t n = mt->npk;
    char **names = gw_calloc(n, sizeof *names), **lits = gw_calloc(n, sizeof *lits);
    for (size_t i = 0; i < n; i++) {
        const MyColumn *col = &mt->cols[mt->pk[i]];
        names[i] = mysql_quote_ident(col->name);
        lits[i] = literal(col, values[i]);
    }
    const char *strict = lower ? ">" : "<", *last = inclusive ? (lower ? ">=" : "<=") : strict;
    if (n == 1) {
        strbuf_appendf(sb, "%s %s %s", names[0], last, lits[0]);
    } else {
        strbuf_appendf(sb, "%s %s= %s AND (", names[0], strict, lits[0]);
        for (size_t i = 0; i < n; i++) {
            strbuf_append(sb, i ? " OR (" : "(");
            for (size_t j = 0; j < i; j++)
                strbuf_appendf(sb, "%s = %s AND ", names[j], lits[j]);
            strbuf_appendf(sb, "%s %s %s)", names[i], i + 1 == n ? last : strict, lits[i]);
        }
        strbuf_append_char(sb, ')');
    }
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
        free(lits[i]);
    }
    free(names);
    free(lits);
}

char *
mysql_key_range_sql(const MyTable *mt, const KeyRange *r)
{
    if (!r || (!r->lower && !r->upper) || mt->npk == 0)
        return NULL;
    StrBuf sb;
    strbuf_init(&sb);
    if (r->lower)
        append_bound(&sb, mt, r->lower, true);
    if (r->lower && r->upper)
        strbuf_append(&sb, " AND ");
    if (r->upper)
        append_bound(&sb, mt, r->upper, false);
    return strbuf_take(&sb);
}

static char **
one_value(const char *v)
{
    char **out = gw_calloc(1, sizeof *out);
    out[0] = gw_strdup(v);
    return out;
}

static char *
int128_text(Int128 v)
{
    char buf[48], *p = buf + sizeof buf - 1;
    bool neg = v < 0;
    *p = '\0';
    do {
        int digit = (int) (v % 10);
        *--p = (char) ('0' + (digit < 0 ? -digit : digit));
        v /= 10;
    } while (v != 0);
    if (neg)
        *--p = '-';
    return gw_strdup(p);
}

static Int128
int128_parse(const char *s)
{
    bool neg = *s == '-';
    Int128 v = 0;
    for (const char *p = s + (neg || *s == '+'); isdigit((unsigned char) *p); p++)
        v = v * 10 + (*p - '0');
    return neg ? -v : v;
}

/* Ranges between boundaries b[0..nb): (-, b0), [b0, b1), ..., [b(nb-1), -). Takes the boundaries. */
static void
ranges_from_bounds(char ***bounds, int nb, size_t nkeys, KeyRange **ranges, int *nranges)
{
    KeyRange *out = gw_calloc((size_t) nb + 1, sizeof *out);
    for (int i = 0; i < nb; i++) {
        out[i].upper = bounds[i];
        out[i + 1].lower = gw_calloc(nkeys, sizeof *out[i + 1].lower);
        for (size_t k = 0; k < nkeys; k++)
            out[i + 1].lower[k] = gw_strdup(bounds[i][k]);
    }
    *ranges = out;
    *nranges = nb + 1;
}

static GwResult
split_integer(MyConn *c, const MyTable *mt, int nshards, char ***bounds, int *nb)
{
    char *key = mysql_quote_ident(mt->cols[mt->pk[0]].name), *name = mysql_qualified(mt->schema, mt->name);
    char *sql = gw_asprintf("%sSELECT MIN(%s), MAX(%s) FROM %s", c->tag, key, key, name);
    free(key);
    free(name);
    MYSQL_RES *res;
    GwResult rc = mysql_conn_query(c, sql, 2, &res);
    free(sql);
    if (rc)
        return rc;
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row && row[0] && row[1]) {
        Int128 lo = int128_parse(row[0]), hi = int128_parse(row[1]), span = hi - lo + 1, prev = lo;
        for (int i = 1; i < nshards; i++) {
            Int128 b = lo + span * i / nshards;
            if (b <= prev || b > hi)
                continue;
            char *text = int128_text(b);
            bounds[(*nb)++] = one_value(text);
            free(text);
            prev = b;
        }
    }
    mysql_free_result(res);
    return GW_OK;
}

/* SELECT <key> FROM t [WHERE key >= prev] ORDER BY key LIMIT 1 OFFSET step. */
static char *
walk_sql(MyConn *c, const MyTable *mt, char *const *prev, long long step)
{
    StrBuf sel, order;
    strbuf_init(&sel);
    strbuf_init(&order);
    for (size_t i = 0; i < mt->npk; i++) {
        const MyColumn *col = &mt->cols[mt->pk[i]];
        char *s = mysql_key_select(col), *q = mysql_quote_ident(col->name);
        strbuf_appendf(&sel, "%s%s", i ? ", " : "", s);
        strbuf_appendf(&order, "%s%s", i ? ", " : "", q);
        free(s);
        free(q);
    }
    char *name = mysql_qualified(mt->schema, mt->name);
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_appendf(&sb, "%sSELECT %s FROM %s", c->tag, sel.data, name);
    if (prev) {
        strbuf_append(&sb, " WHERE ");
        append_bound(&sb, mt, prev, true);
    }
    strbuf_appendf(&sb, " ORDER BY %s LIMIT 1 OFFSET %lld", order.data, step);
    free(name);
    strbuf_free(&sel);
    strbuf_free(&order);
    return strbuf_take(&sb);
}

static GwResult
split_by_walk(MyConn *c, const MyTable *mt, const TableDef *t, int nshards, char ***bounds, int *nb)
{
    long long step = t->est_rows / nshards;
    if (step < 1)
        return GW_OK;
    GwResult rc = GW_OK;
    for (int i = 1; i < nshards && rc == GW_OK; i++) {
        char *sql = walk_sql(c, mt, *nb ? bounds[*nb - 1] : NULL, step);
        MYSQL_RES *res;
        rc = mysql_conn_query(c, sql, (unsigned) mt->npk, &res);
        free(sql);
        if (rc)
            break;
        MYSQL_ROW row = mysql_fetch_row(res);
        bool found = row != NULL;
        for (size_t k = 0; found && k < mt->npk; k++)
            found = row[k] != NULL;
        if (found) {
            char **b = gw_calloc(mt->npk, sizeof *b);
            for (size_t k = 0; k < mt->npk; k++)
                b[k] = gw_strdup(row[k]);
            bounds[(*nb)++] = b;
        }
        mysql_free_result(res);
        if (!found)
            break;
    }
    return rc;
}

GwResult
mysql_split_table(EngineConn *conn, const TableDef *t, int nshards, KeyRange **ranges, int *nranges)
{
    MyConn *c = MY(conn);
    const MyTable *mt = mysql_table_get(c, t->schema, t->name);
    if (!mt)
        return GW_ERR_SOURCE;
    char ***bounds = gw_calloc((size_t) (nshards > 1 ? nshards : 1), sizeof *bounds);
    int nb = 0;
    GwResult rc = GW_OK;
    if (mt->npk == 1 && nshards > 1 && (mt->cols[mt->pk[0]].kind == MYV_INT || mt->cols[mt->pk[0]].kind == MYV_UINT))
        rc = split_integer(c, mt, nshards, bounds, &nb);
    else if (mt->npk > 0 && nshards > 1)
        rc = split_by_walk(c, mt, t, nshards, bounds, &nb);
    if (rc) {
        for (int i = 0; i < nb; i++) {
            KeyRange tmp = {.lower = bounds[i]};
            key_range_free(&tmp, mt->npk);
        }
        free(bounds);
        return rc;
    }
    ranges_from_bounds(bounds, nb, mt->npk, ranges, nranges);
    free(bounds);
    return GW_OK;
}
