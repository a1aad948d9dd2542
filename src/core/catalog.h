/*
 * catalog.h: the engine-neutral description of what a migration moves:
 * tables with their columns, keys, indexes and constraints, and the types and
 * sequences they depend on.
 *
 * An engine's describe() fills a Catalog; fetch, verify and replicate read it.
 * Every string is owned by the Catalog and freed by catalog_free(); nothing
 * outside this module frees a member.  SQL fragments stored here (types,
 * defaults, index definitions) are in the describing engine's dialect.
 */
#ifndef GW_CATALOG_H
#define GW_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What kind of type a TypeDef is; mirrors PostgreSQL's typtype plus arrays. */
typedef enum TypeKind {
    TYPE_BASE,
    TYPE_ARRAY,
    TYPE_ENUM,
    TYPE_DOMAIN,
    TYPE_RANGE,
    TYPE_MULTIRANGE,
    TYPE_COMPOSITE,
    TYPE_OTHER,
} TypeKind;

typedef struct TypeDef {
    uint32_t id;            /* engine's type id (PostgreSQL OID) */
    char *schema;
    char *name;             /* unquoted name, e.g. "int4", "Mood" */
    char *sql;              /* how to write it in DDL, qualified and quoted */
    TypeKind kind;
    bool builtin;           /* shipped with the engine (OID below 16384) */
    uint32_t base_id;       /* domain: its base type */
    uint32_t elem_id;       /* array: its element type */
    char category;          /* PostgreSQL typcategory ('N', 'S', 'D', ...) */
    char *extension;        /* the extension it belongs to (PostgreSQL), or NULL */
    /* enum */
    char **labels;
    size_t nlabels;
    /* domain */
    char *base_sql;         /* base type with modifiers */
    bool not_null;
    char *default_sql;
    char **checks;          /* CHECK (...) clauses */
    char **check_names;
    size_t nchecks;
} TypeDef;

typedef struct ColumnDef {
    char *name;
    char *type_sql;         /* exact type with modifiers, e.g. numeric(12,2) */
    char *type_name_sql;    /* the type without modifiers: format_type(oid, -1), e.g. numeric, bpchar (not
                             * "character", which means character(1)); PostgreSQL describe only, else NULL */
    uint32_t type_id;
    bool not_null;
    char *default_sql;      /* NULL when none or not portable */
    /*
     * A default that calls a user-defined function: not part of the table as
     * it is made, only once that function exists (PostgreSQL describe only).
     */
    char *deferred_default_sql;
    char *generated_sql;    /* stored generated column expression: not copied */
    char identity;          /* 0, 'a' (ALWAYS) or 'd' (BY DEFAULT) */
    char *collation_sql;    /* non-default collation, quoted; NULL otherwise */
    bool inherited;         /* it comes from a table this one inherits from, and is not declared here too */
    bool set_of_members;    /* an array whose order does not count: MySQL's SET (its server orders members) */
    bool duration_in_hours; /* an interval holding a MySQL TIME: a day written on the other side is 24 hours */
    /*
     * NOT NULL on the source, where some values it may hold are written as
     * NULL (a MySQL zero date with --zero-dates null): the target keeps the
     * NOT NULL only while the rows hold none (SourceOps.nullable_by_values),
     * and may lack it.
     */
    bool not_null_droppable;
} ColumnDef;

typedef enum ConstraintKind {
    CONSTRAINT_PRIMARY = 'p',
    CONSTRAINT_UNIQUE = 'u',
    CONSTRAINT_EXCLUSION = 'x',
    CONSTRAINT_CHECK = 'c',
    CONSTRAINT_FOREIGN = 'f',
} ConstraintKind;

typedef struct ConstraintDef {
    char *name;
    ConstraintKind kind;
    char *definition;       /* pg_get_constraintdef() form: "PRIMARY KEY (id)" */
    char *ref_schema;       /* foreign keys: the referenced table */
    char *ref_table;
    bool inherited;         /* it comes from a table this one inherits from (a CHECK), and is not declared here */
    /* a CHECK holding the target's values to what the source's type can hold (PostgreSQL targets only) */
    bool source_limit;
} ConstraintDef;

typedef struct IndexDef {
    char *name;
    char *definition;       /* a complete CREATE INDEX statement */
    bool unique;
} IndexDef;

/*
 * A partition of a partitioned table (PostgreSQL's declarative
 * partitioning), at any level below it.  Its rows are the table's: it is
 * never a table of the catalog on its own.
 */
typedef struct PartitionDef {
    char *schema;
    char *name;
    char *parent_schema;    /* the table or partition it is a partition of */
    char *parent_name;
    char *bound_sql;        /* "FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')", "DEFAULT" */
    char *key_sql;          /* itself partitioned: "HASH (id)"; NULL for a leaf */
} PartitionDef;

/* Which old values a source's change log carries for an update or delete of a table (PostgreSQL's terms). */
typedef enum ReplicaIdentity {
    REPLICA_IDENTITY_DEFAULT,   /* the primary key's */
    REPLICA_IDENTITY_FULL,      /* the whole old row */
    REPLICA_IDENTITY_INDEX,     /* a unique index's columns */
    REPLICA_IDENTITY_NOTHING,
} ReplicaIdentity;

typedef struct TableDef {
    uint32_t id;
    char *schema;
    char *name;
    ColumnDef *columns;
    size_t ncolumns;
    size_t *pk;             /* column positions of the primary key, in key order */
    size_t npk;
    ConstraintDef *constraints;
    size_t nconstraints;
    IndexDef *indexes;      /* indexes that back no constraint */
    size_t nindexes;
    ReplicaIdentity replica_identity;
    bool referenced;        /* a foreign key of this catalog points at it (catalog_mark_referenced) */
    bool has_triggers;      /* user triggers that fire for an ordinary session (PostgreSQL describe only) */
    /* user triggers that fire for a session in session_replication_role replica (ENABLE ALWAYS or REPLICA) */
    bool has_replica_triggers;
    /* a foreign key (of any table) acts on its changes: ON UPDATE or ON DELETE CASCADE, SET NULL, SET DEFAULT */
    bool fk_actions;
    int64_t est_rows;       /* of a partitioned table: of all its partitions */
    int64_t est_bytes;
    /*
     * Declarative partitioning (PostgreSQL): key_sql is pg_get_partkeydef's
     * "RANGE (d)"; partitions lists every partition below the table, each
     * after its parent.  A partitioned table holds no rows of its own, so it
     * is never read or written with ONLY, which would see none of them.
     */
    char *partition_key_sql;    /* NULL: not partitioned */
    PartitionDef *partitions;
    size_t npartitions;
    /* Inheritance: the tables it inherits from, each quoted and qualified, in their order. */
    char **inherits;
    size_t ninherits;
} TableDef;

/* Whether t is partitioned: its rows live in its partitions. */
static inline bool
table_partitioned(const TableDef *t)
{
    return t->partition_key_sql != NULL;
}

typedef struct SequenceDef {
    char *schema;
    char *name;
    char *type_sql;
    int64_t start, increment, min, max, cache;
    bool cycle;
    bool has_value;         /* false: never called, nothing to set */
    int64_t last_value;
    /* The column that owns it (serial or identity), if any. */
    char *owner_schema;
    char *owner_table;
    char *owner_column;
    bool identity;          /* created by an identity column, not by us */
} SequenceDef;

typedef struct Catalog {
    TableDef *tables;
    size_t ntables;
    size_t cap_tables;
    TypeDef *types;
    size_t ntypes;
    size_t cap_types;
    SequenceDef *sequences;
    size_t nsequences;
    size_t cap_sequences;
} Catalog;

/*
 * Objects of the source's schemas that fetch does not make on a target
 * (SourceOps.objects_left_out): what the fetch report lists as not
 * migrated, so that nothing is left behind without a line saying so.
 */
typedef struct SchemaObject {
    char *kind;             /* "view", "function", "trigger", ... */
    char *name;             /* as SQL names it, qualified: public.film_list, film_stamp ON public.film */
} SchemaObject;

typedef struct SchemaObjects {
    SchemaObject *items;
    size_t n;
    size_t cap;
} SchemaObjects;

void schema_objects_add(SchemaObjects *l, const char *kind, const char *name);
void schema_objects_free(SchemaObjects *l);

void catalog_init(Catalog *cat);
void catalog_free(Catalog *cat);

TableDef *catalog_add_table(Catalog *cat);
TypeDef *catalog_add_type(Catalog *cat);
SequenceDef *catalog_add_sequence(Catalog *cat);

TableDef *catalog_find_table(const Catalog *cat, const char *schema, const char *name);
const SequenceDef *catalog_find_sequence(const Catalog *cat, const char *schema, const char *name);
/* Whether one of cat's tables is in schema (NULL: none is). */
bool catalog_has_schema(const Catalog *cat, const char *schema);
/* Whether table i is the first of cat's tables in its schema (to go through the schemas once each). */
bool catalog_first_of_schema(const Catalog *cat, size_t i);
TableDef *catalog_find_table_id(const Catalog *cat, uint32_t id);
const TypeDef *catalog_find_type(const Catalog *cat, uint32_t id);
/* Follows domains to the type that stores the value. */
const TypeDef *catalog_storage_type(const Catalog *cat, uint32_t id);
ssize_t table_find_column(const TableDef *t, const char *name);
const ConstraintDef *table_primary_key(const TableDef *t);
/*
 * Removes column col, one the database keeps out of sight (CockroachDB's
 * rowid of a table made without a primary key): a primary key over it was
 * the database's own, so the table has none.
 */
void table_drop_hidden_column(TableDef *t, size_t col);
/* Sets TableDef.referenced on every table some foreign key of the catalog points at. */
void catalog_mark_referenced(Catalog *cat);

/* "schema.table" unquoted, for messages and glob matching; caller frees. */
char *table_display_name(const TableDef *t);

#endif
