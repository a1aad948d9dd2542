/*
 * mysql_defaults.c: column defaults of a MySQL catalog as PostgreSQL DEFAULT
 * expressions.  Literal defaults are carried over (numbers, strings, dates,
 * times, BIT, ENUM and SET values) and CURRENT_TIMESTAMP / CURRENT_DATE;
 * any other expression, a binary literal and a zero date are not, and the
 * reason is returned for a warning.  It must never produce a default that
 * gives a different value than the source's would.
 *
 * information_schema.COLUMNS.COLUMN_DEFAULT differs by server: MariaDB
 * (10.2.7+) quotes string literals ('abc') and writes NULL for an explicit
 * NULL default; MySQL 8 gives the bare text and marks expressions with
 * DEFAULT_GENERATED in EXTRA.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/mysql/mysql_defaults.h"
#include "engine/mysql/mysql_value.h"
#include "util/mem.h"
#include "util/strbuf.h"

static char *
pg_literal(const char *s)
{
    return str_quote(s, '\'');
}

/* MariaDB's 'quoted' literal: '' is a quote, \x escapes as the server writes them. NULL when not one. */
static char *
unquote(const char *v)
{
    size_t n = strlen(v);
    if (n < 2 || v[0] != '\'' || v[n - 1] != '\'')
        return NULL;
    StrBuf sb;
    strbuf_init(&sb);
    for (size_t i = 1; i + 1 < n; i++) {
        if (v[i] == '\'' && v[i + 1] == '\'' && i + 2 < n) {
            strbuf_append_char(&sb, '\'');
            i++;
        } else if (v[i] == '\\' && i + 2 < n) {
            char c = v[i + 1];
            strbuf_append_char(&sb, c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c);
            i++;
        } else {
            strbuf_append_char(&sb, v[i]);
        }
    }
    return strbuf_take(&sb);
}

static bool
is_number(const char *s)
{
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    bool digits = false;
    for (; *p; p++) {
        if (isdigit((unsigned char) *p))
            digits = true;
        else if (*p != '.' && *p != 'e' && *p != 'E' && *p != '-' && *p != '+')
            return false;
    }
    return digits;
}

static bool
is_now(const char *v)
{
    return !strncasecmp(v, "current_timestamp", 17) || !strncasecmp(v, "now()", 5) ||
           !strncasecmp(v, "localtimestamp", 14) || !strncasecmp(v, "localtime", 9);
}

/* b'101' (or 0b101) as a PostgreSQL bit string of exactly n bits. */
static char *
bit_default(const char *v, int nbits)
{
    const char *p = !strncasecmp(v, "b'", 2) ? v + 2 : !strncasecmp(v, "0b", 2) ? v + 2 : NULL;
    if (!p)
        return NULL;
    size_t len = strcspn(p, "'");
    if ((int) len > nbits)
        return NULL;
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, "B'");
    for (int i = 0; i < nbits - (int) len; i++)
        strbuf_append_char(&sb, '0');
    strbuf_append_n(&sb, p, len);
    strbuf_append_char(&sb, '\'');
    return strbuf_take(&sb);
}

/* A SET default "a,b" as a text[] literal. */
static char *
set_default(const MyColumn *col, const char *text)
{
    uint64_t mask = 0;
    char *copy = gw_strdup(text);
    bool ok = true;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok && ok; tok = strtok_r(NULL, ",", &save)) {
        ok = false;
        for (size_t i = 0; i < col->nlabels && i < 64; i++)
            if (!strcasecmp(col->labels[i], tok)) {
                mask |= (uint64_t) 1 << i;
                ok = true;
            }
    }
    free(copy);
    StrBuf sb;
    strbuf_init(&sb);
    if (!ok || mysql_value_set_literal(&sb, col, mask) != 0) {
        strbuf_free(&sb);
        return NULL;
    }
    char *lit = pg_literal(sb.data);
    strbuf_free(&sb);
    return lit;
}

/* A literal default's text for the column's kind; NULL with *why when it cannot be written. */
static char *
literal_default(const MyColumn *col, const char *text, const char **why)
{
    switch (col->kind) {
    case MYV_INT: case MYV_UINT: case MYV_DECIMAL: case MYV_FLOAT: case MYV_DOUBLE:
        if (is_number(text))
            return gw_strdup(text);
        break;
    case MYV_YEAR:
        if (is_number(text))
            return gw_asprintf("%d", atoi(text));
        break;
    case MYV_BOOL:
        if (!strcmp(text, "0") || !strcmp(text, "1"))
            return gw_strdup(text[0] == '1' ? "true" : "false");
        break;
    case MYV_TEXT: case MYV_ENUM: case MYV_JSON: case MYV_TIME:
        return pg_literal(text);
    case MYV_SET:
        return set_default(col, text);
    case MYV_DATE: case MYV_DATETIME:
        if (mysql_value_check_date(text, strlen(text)) == MYDATE_OK)
            return pg_literal(text);
        *why = "a zero or invalid date";
        return NULL;
    case MYV_BIT:
        return bit_default(text, col->length);
    case MYV_TIMESTAMP:
        *why = "a TIMESTAMP literal depends on the session time zone";
        return NULL;
    case MYV_BYTES:
        *why = "binary defaults are not carried over";
        return NULL;
    }
    if (!*why)
        *why = "not a literal of the column's type";
    return NULL;
}

/* An expression default: only the current time and date have an exact PostgreSQL equivalent. */
static char *
expression_default(const MyColumn *col, const char *v, const char **why)
{
    bool temporal = col->kind == MYV_DATETIME || col->kind == MYV_TIMESTAMP;
    if (temporal && is_now(v))
        return gw_strdup("CURRENT_TIMESTAMP");
    if (col->kind == MYV_DATE && (!strncasecmp(v, "curdate()", 9) || !strncasecmp(v, "current_date", 12)))
        return gw_strdup("CURRENT_DATE");
    if (col->kind == MYV_BIT)
        return bit_default(v, col->length);
    *why = "an expression";
    return NULL;
}

char *
mysql_default_sql(const MyColumn *col, const char *column_default, const char *extra, bool mariadb,
                  const char **why)
{
    *why = NULL;
    if (!column_default || (mariadb && !strcmp(column_default, "NULL")))
        return NULL;
    bool expression = extra && strstr(extra, "DEFAULT_GENERATED");
    if (mariadb) {
        char *text = unquote(column_default);
        if (text) {
            char *sql = literal_default(col, text, why);
            free(text);
            return sql;
        }
        expression = !is_number(column_default);
    }
    if (expression)
        return expression_default(col, column_default, why);
    return literal_default(col, column_default, why);
}

bool
mysql_default_is_zero_date(const MyColumn *col, const char *column_default, bool mariadb)
{
    bool temporal = col->kind == MYV_DATE || col->kind == MYV_DATETIME || col->kind == MYV_TIMESTAMP;
    if (!temporal || !column_default)
        return false;
    char *text = mariadb ? unquote(column_default) : NULL;
    const char *v = text ? text : column_default;
    bool zero = mysql_value_check_date(v, strlen(v)) == MYDATE_ZERO;
    free(text);
    return zero;
}
