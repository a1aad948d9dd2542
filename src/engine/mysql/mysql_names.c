/*
 * mysql_names.c: PostgreSQL names for what a MySQL catalog becomes on the
 * target: identifiers spelled as PostgreSQL's quote_ident() and
 * format_type() spell them (the target compares existing columns' types by
 * that text), and names that must be unique in a schema (indexes, the
 * constraints that make one, enum types, sequences), which MySQL only keeps
 * unique per table.
 *
 * Generated names are deterministic (same catalog, same names), so that a
 * resumed fetch finds what an earlier run created.
 */
#include "engine/mysql/mysql_names.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/strbuf.h"

/* PostgreSQL 15's keywords that quote_ident() quotes (pg_get_keywords() WHERE catcode <> 'U'). */
static const char *const pg_keywords[] = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization", "between",
    "bigint", "binary", "bit", "boolean", "both", "case", "cast", "char", "character", "check", "coalesce",
    "collate", "collation", "column", "concurrently", "constraint", "create", "cross", "current_catalog",
    "current_date", "current_role", "current_schema", "current_time", "current_timestamp", "current_user", "dec",
    "decimal", "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "exists", "extract",
    "false", "fetch", "float", "for", "foreign", "freeze", "from", "full", "grant", "greatest", "group",
    "grouping", "having", "ilike", "in", "initially", "inner", "inout", "int", "integer", "intersect", "interval",
    "into", "is", "isnull", "join", "lateral", "leading", "least", "left", "like", "limit", "localtime",
    "localtimestamp", "national", "natural", "nchar", "none", "normalize", "not", "notnull", "null", "nullif",
    "numeric", "offset", "on", "only", "or", "order", "out", "outer", "overlaps", "overlay", "placing",
    "position", "precision", "primary", "real", "references", "returning", "right", "row", "select",
    "session_user", "setof", "similar", "smallint", "some", "substring", "symmetric", "table", "tablesample",
    "then", "time", "timestamp", "to", "trailing", "treat", "trim", "true", "union", "unique", "user", "using",
    "values", "varchar", "variadic", "verbose", "when", "where", "window", "with", "xmlattributes", "xmlconcat",
    "xmlelement", "xmlexists", "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot", "xmlserialize",
    "xmltable", NULL,
};

static bool
is_keyword(const char *name)
{
    for (size_t i = 0; pg_keywords[i]; i++)
        if (!strcmp(pg_keywords[i], name))
            return true;
    return false;
}

char *
pgname_quote(const char *name)
{
    bool safe = (name[0] >= 'a' && name[0] <= 'z') || name[0] == '_';
    for (const char *p = name; *p && safe; p++)
        safe = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
    if (safe && !is_keyword(name))
        return gw_strdup(name);
    return str_quote(name, '"');
}

char *
pgname_qualified(const char *schema, const char *name)
{
    char *s = pgname_quote(schema), *n = pgname_quote(name);
    char *q = gw_asprintf("%s.%s", s, n);
    free(s);
    free(n);
    return q;
}

/* The longest prefix of s of at most max bytes that does not cut a UTF-8 character. */
static size_t
utf8_prefix(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char) s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

static bool
taken(const PgNameSet *set, const char *schema, const char *name)
{
    for (size_t i = 0; i < set->n; i++)
        if (!strcmp(set->schemas[i], schema) && !strcmp(set->names[i], name))
            return true;
    return false;
}

void
pgname_reserve(PgNameSet *set, const char *schema, const char *name)
{
    if (taken(set, schema, name))
        return;
    set->schemas = gw_realloc(set->schemas, (set->n + 1) * sizeof *set->schemas);
    set->names = gw_realloc(set->names, (set->n + 1) * sizeof *set->names);
    set->schemas[set->n] = gw_strdup(schema);
    set->names[set->n++] = gw_strdup(name);
}

char *
pgname_unique(PgNameSet *set, const char *schema, const char *base)
{
    char *name = gw_strndup(base, utf8_prefix(base, PGNAME_MAX_BYTES));
    for (int n = 2; taken(set, schema, name); n++) {
        char suffix[16];
        int slen = snprintf(suffix, sizeof suffix, "_%d", n);
        size_t keep = utf8_prefix(base, PGNAME_MAX_BYTES - (size_t) slen);
        free(name);
        name = gw_asprintf("%.*s%s", (int) keep, base, suffix);
    }
    pgname_reserve(set, schema, name);
    return name;
}

char *
pgname_truncate(const char *name)
{
    return gw_strndup(name, utf8_prefix(name, PGNAME_MAX_BYTES));
}

void
pgname_set_free(PgNameSet *set)
{
    for (size_t i = 0; i < set->n; i++) {
        free(set->schemas[i]);
        free(set->names[i]);
    }
    free(set->schemas);
    free(set->names);
    memset(set, 0, sizeof *set);
}
