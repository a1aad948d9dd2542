/*
 * mysql_catalog_internal.h: what the two halves of describe() for
 * MySQL/MariaDB share: mysql_catalog.c (tables, columns, AUTO_INCREMENT,
 * the describe itself) and mysql_catalog_keys.c (primary, unique and
 * foreign keys, indexes).  Nothing else includes it.
 */
#ifndef GW_MYSQL_CATALOG_INTERNAL_H
#define GW_MYSQL_CATALOG_INTERNAL_H

#include "engine/mysql/mysql_internal.h"
#include "engine/mysql/mysql_names.h"

typedef struct Describe {
    MyConn *c;
    Catalog *cat;           /* NULL: one table's columns and key only (mysql_describe_one) */
    Selection *sel;
    bool warn;              /* this describe gives the warnings */
    const char *one_schema, *one_table;
    PgNameSet names;
    int64_t *auto_inc;      /* per catalog table: TABLES.AUTO_INCREMENT (the next value), 0 if none */
    char **json_cols;       /* MariaDB: "schema.table.column" of JSON columns */
    size_t njson;
    char **unique_keys;     /* "schema\x1ftable\x1fa\x1fb": column sets of primary and unique keys */
    size_t nunique;
    uint32_t next_type_id;
} Describe;

static inline const char *
val(MYSQL_ROW row, int i)
{
    return row[i] ? row[i] : "";
}

/*
 * Runs fmt, whose "%W" becomes the condition that limits it to what this
 * describe covers (schema_col and table_col name the query's columns).
 */
GwResult mysql_describe_query(Describe *d, const char *fmt, const char *schema_col, const char *table_col,
                              unsigned ncols, MYSQL_RES **res) GW_MUST_CHECK;
/* The connection's description of a table, or NULL. */
MyTable *mysql_describe_cached(MyConn *c, const char *schema, const char *table);

/* Primary and unique keys and indexes of the described tables (mysql_catalog_keys.c). */
GwResult mysql_describe_indexes(Describe *d) GW_MUST_CHECK;
/* Their foreign keys, those that reference a primary or unique key of the catalog. */
GwResult mysql_describe_foreign_keys(Describe *d) GW_MUST_CHECK;

#endif
