/*
 * pg_ddl.h: DDL text for PostgreSQL and CockroachDB targets, generated from
 * a Catalog.  Pure functions: no connection, so unit tests cover every
 * statement, including CockroachDB's, which cannot run here.
 * Every returned string is malloc'd and owned by the caller.
 */
#ifndef GW_PG_DDL_H
#define GW_PG_DDL_H

#include <stdbool.h>

#include "core/catalog.h"
#include "engine/engine.h"

typedef struct SqlDialect {
    bool crdb;              /* CockroachDB's dialect instead of PostgreSQL's */
} SqlDialect;

char *ddl_create_schema(const char *schema);
/*
 * A scratch database (preflight's probe): on PostgreSQL with the encoding
 * and locale given (those of the migration's database; icu_locale NULL for
 * the libc provider); CockroachDB's databases have none.  Dropped with
 * everything in it; force ends sessions still in it (PostgreSQL 13+).
 */
typedef struct DatabaseLocale {
    const char *encoding;
    const char *collate;
    const char *ctype;
    const char *icu_locale;
} DatabaseLocale;
char *ddl_create_database(const char *name, const SqlDialect *d, const DatabaseLocale *like);
char *ddl_drop_database(const char *name, const SqlDialect *d, bool force);
char *ddl_create_enum(const TypeDef *t);
char *ddl_create_domain(const TypeDef *t);
char *ddl_create_sequence(const SequenceDef *s, const SqlDialect *d);
char *ddl_sequence_owned_by(const SequenceDef *s);
char *ddl_sequence_setval(const SequenceDef *s);
/* The column type for the target; NULL with *why set when it cannot store it. */
char *ddl_column_type(const Catalog *cat, const ColumnDef *col, const SqlDialect *d, const char **why);
/* CREATE TABLE; with_pk puts the primary key inline (CockroachDB needs it there). */
/* inherit: INHERITS the tables t inherits from (they exist); a partitioned t is made partitioned on PostgreSQL. */
char *ddl_create_table(const Catalog *cat, const TableDef *t, const SqlDialect *d, bool with_pk, bool inherit);
/* A replica identity other than the key's (FULL, NOTHING), as the source's table has it; NULL otherwise. */
char *ddl_replica_identity(const TableDef *t, const SqlDialect *d);
/* What a child says of a column it inherits: its own default and NOT NULL, or NULL when it has neither. */
char *ddl_inherited_column(const TableDef *t, const ColumnDef *col);
/* One partition, made as a partition of its parent (which exists). */
char *ddl_create_partition(const PartitionDef *p);
/* ALTER TABLE ... ADD CONSTRAINT; on CockroachDB without DEFERRABLE clauses (crdb_immediate_definition). */
char *ddl_add_constraint(const TableDef *t, const ConstraintDef *k, const SqlDialect *d);
char *ddl_create_index(const IndexDef *ix, const SqlDialect *d);
/* Column list "a", "b" of the copied (non-generated) columns. */
char *ddl_copy_columns(const TableDef *t);
/* WHERE text for a key range (a keyless table's: of blocks, by ctid): lower inclusive, upper exclusive; NULL when unbounded. */
char *ddl_key_range(const TableDef *t, const KeyRange *r);
/* WHERE text for keys after one (row comparison, read through the key's index). */
char *ddl_key_after(const TableDef *t, char *const *values);
/* WHERE text for a list of keys: (k1, k2) IN ((v1, v2), ...). */
char *ddl_key_in(const TableDef *t, char **const *keys, size_t nkeys);
/* ORDER BY list of the primary key. */
char *ddl_key_order(const TableDef *t);

#endif
