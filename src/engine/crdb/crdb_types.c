/*
 * crdb_types.c: PostgreSQL types to CockroachDB types.
 *
 * Follows CockroachDB's "Data types" documentation: it stores the integer,
 * float, decimal, string, bytes, bool, date/time, interval, uuid, jsonb,
 * inet, bit, oid and full-text types, user-defined enums, and
 * one-dimensional arrays of those.  It has no domains (the base type is
 * used, so the domain's checks are not enforced), no json (stored as jsonb,
 * which does not keep key order or duplicate keys), and none of money, cidr,
 * macaddr, ranges, xml, geometric types or composite types.  It must never
 * accept a type whose values CockroachDB would silently change.
 */
#include "engine/crdb/crdb_types.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"

static const char *const storable[] = {
    "int2", "int4", "int8", "float4", "float8", "numeric", "bool", "text", "varchar", "bpchar", "char",
    "name", "bytea", "date", "time", "timetz", "timestamp", "timestamptz", "interval", "uuid", "json",
    "jsonb", "inet", "bit", "varbit", "oid", "tsvector", "tsquery", NULL,
};

static bool
builtin_storable(const TypeDef *t)
{
    for (size_t i = 0; storable[i]; i++)
        if (!strcmp(t->name, storable[i]))
            return true;
    return false;
}

/* Whether a non-array type can be stored; domains resolve to their base. */
static bool
scalar_storable(const Catalog *cat, const TypeDef *t, const char **why)
{
    if (t && t->kind == TYPE_DOMAIN)
        t = catalog_storage_type(cat, t->id);
    if (!t) {
        *why = "unknown type";
        return false;
    }
    if (t->kind == TYPE_ENUM)
        return true;
    if (t->kind == TYPE_BASE && t->builtin && builtin_storable(t))
        return true;
    *why = "CockroachDB has no equivalent type";
    return false;
}

/*
 * A type as CockroachDB must read it: there INTEGER (and INT) is INT8 unless
 * the session's default_int_size says otherwise (docs: "INT"), so
 * PostgreSQL's integer is written INT4; json is stored as jsonb.
 */
static char *
crdb_spelling(const char *type_sql)
{
    if (!strncmp(type_sql, "integer", 7) && (!type_sql[7] || type_sql[7] == '['))
        return gw_asprintf("INT4%s", type_sql + 7);
    if (!strncmp(type_sql, "json", 4) && (!type_sql[4] || type_sql[4] == '['))
        return gw_asprintf("jsonb%s", type_sql + 4);
    return gw_strdup(type_sql);
}

char *
crdb_column_type(const Catalog *cat, const ColumnDef *col, const char **why)
{
    *why = NULL;
    const TypeDef *t = catalog_find_type(cat, col->type_id);
    const TypeDef *storage = t && t->kind == TYPE_DOMAIN ? catalog_storage_type(cat, t->id) : t;
    if (!storage) {
        *why = "unknown type";
        return NULL;
    }
    if (storage->kind == TYPE_ARRAY) {
        const TypeDef *elem = catalog_find_type(cat, storage->elem_id);
        if (elem && elem->kind == TYPE_DOMAIN)
            elem = catalog_storage_type(cat, elem->id);
        if (!elem || elem->kind == TYPE_ARRAY || !scalar_storable(cat, elem, why)) {
            if (!*why)
                *why = "CockroachDB arrays hold only scalar types";
            return NULL;
        }
        /* The column's own text keeps the element's modifiers (bit(8)[]; an element's bare bit is BIT(1)). */
        const TypeDef *named = catalog_find_type(cat, storage->elem_id);
        if (named && named->kind == TYPE_DOMAIN) {
            char *elem_sql = crdb_spelling(elem->sql);
            char *sql = gw_asprintf("%s[]", elem_sql);
            free(elem_sql);
            return sql;
        }
        return crdb_spelling(col->type_sql);
    }
    if (!scalar_storable(cat, storage, why))
        return NULL;
    /*
     * A domain's column takes the base type with the domain's modifiers, or
     * the storage type when the base is itself a domain.
     */
    if (t->kind == TYPE_DOMAIN) {
        const TypeDef *base = catalog_find_type(cat, t->base_id);
        bool direct = base && base->kind != TYPE_DOMAIN && t->base_sql;
        return crdb_spelling(direct ? t->base_sql : storage->sql);
    }
    return crdb_spelling(col->type_sql);
}

const char *
crdb_constraint_problem(const ConstraintDef *k)
{
    /* docs "Constraints": PRIMARY KEY, UNIQUE, FOREIGN KEY, CHECK, NOT NULL, DEFAULT; no exclusion constraints. */
    if (k->kind == CONSTRAINT_EXCLUSION)
        return "CockroachDB has no EXCLUDE constraints";
    if (k->kind == CONSTRAINT_UNIQUE && k->definition && strstr(k->definition, "NULLS NOT DISTINCT"))
        return "CockroachDB's UNIQUE always treats NULLs as distinct (no NULLS NOT DISTINCT)";
    return NULL;
}

const char *
crdb_index_problem(const IndexDef *ix)
{
    /*
     * docs "CREATE INDEX": btree-like indexes, inverted (USING gin) and, for
     * spatial types only, USING gist; its USING HASH makes a hash-sharded
     * index, which is another thing than PostgreSQL's hash index.
     */
    static const char *const methods[] = {" USING hash ", " USING brin ", " USING spgist ", " USING gist ",
                                          " USING bloom ", NULL};
    for (size_t i = 0; methods[i]; i++)
        if (ix->definition && strstr(ix->definition, methods[i]))
            return "CockroachDB has no index of this method";
    if (ix->definition && strstr(ix->definition, "NULLS NOT DISTINCT"))
        return "CockroachDB's unique indexes always treat NULLs as distinct";
    return NULL;
}

char *
crdb_immediate_definition(const char *definition)
{
    static const char *const clauses[] = {" NOT DEFERRABLE", " DEFERRABLE", " INITIALLY DEFERRED",
                                          " INITIALLY IMMEDIATE", NULL};
    char *out = gw_strdup(definition);
    for (size_t i = 0; clauses[i]; i++) {
        char *at;
        size_t n = strlen(clauses[i]);
        /* pg_get_constraintdef writes them last, after the referenced columns and actions. */
        while ((at = strstr(out, clauses[i])) && (at[n] == '\0' || at[n] == ' '))
            memmove(at, at + n, strlen(at + n) + 1);
    }
    return out;
}
