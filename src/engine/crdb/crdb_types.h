/*
 * crdb_types.h: which PostgreSQL column types CockroachDB can store, and how
 * to write them in its dialect.
 */
#ifndef GW_CRDB_TYPES_H
#define GW_CRDB_TYPES_H

#include "core/catalog.h"

/* The CockroachDB type for a column, or NULL with *why explaining the refusal. Caller frees. */
char *crdb_column_type(const Catalog *cat, const ColumnDef *col, const char **why);

/*
 * Why CockroachDB cannot make a constraint as PostgreSQL defines it (an
 * EXCLUDE constraint, UNIQUE NULLS NOT DISTINCT), or NULL.
 */
const char *crdb_constraint_problem(const ConstraintDef *k);

/* Why CockroachDB has no index like this one (its method: hash, brin, spgist, gist), or NULL. */
const char *crdb_index_problem(const IndexDef *ix);

/*
 * A constraint's definition without its DEFERRABLE, NOT DEFERRABLE and
 * INITIALLY clauses, which CockroachDB does not take (cockroach#31632): it
 * checks every constraint at each statement.  Caller frees.
 */
char *crdb_immediate_definition(const char *definition);

#endif
