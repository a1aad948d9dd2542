/*
 * crdb_types.h: which PostgreSQL column types CockroachDB can store, and how
 * to write them in its dialect.
 */
#ifndef GW_CRDB_TYPES_H
#define GW_CRDB_TYPES_H

#include "core/catalog.h"

/* The CockroachDB type for a column, or NULL with *why explaining the refusal. Caller frees. */
char *crdb_column_type(const Catalog *cat, const ColumnDef *col, const char **why);

#endif
