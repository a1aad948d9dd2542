/*
 * mysql_types.h: the one mapping from MySQL/MariaDB column types to the
 * canonical value model (a MyValueKind, mysql_column.h) and to PostgreSQL
 * types (what the Catalog holds), with the phase's source options that
 * change it (--zero-dates, --unsigned-bigint, --type-map).
 *
 * The table itself is in mysql_types.c and, in the same words, in the
 * README ("MySQL and MariaDB sources").  PostgreSQL types are spelled as
 * PostgreSQL's format_type() prints them ("timestamp(6) without time zone"),
 * because the target compares an existing table's columns by that text.
 */
#ifndef GW_MYSQL_TYPES_H
#define GW_MYSQL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/mysql/mysql_column.h"
#include "util/result.h"

/* What the bulk reader selects for a column, so that the text protocol returns an exact value. */
typedef enum MySelect {
    MYSEL_PLAIN,    /* the column */
    MYSEL_DOUBLE,   /* CAST(col AS DOUBLE): a FLOAT widened exactly and printed in full (the server
                     * prints a FLOAT with 6 digits only) */
    MYSEL_NUMBER,   /* col+0: an ENUM's index or a SET's bitmask (read as labels from MyColumn), a YEAR
                     * or a ZEROFILL number without its leading zeros */
} MySelect;

/* One column as information_schema.COLUMNS describes it: the mapping's input. */
typedef struct MyColumnSource {
    const char *schema, *table, *name;
    const char *data_type;      /* DATA_TYPE, e.g. "int", "varchar", "longtext" */
    const char *column_type;    /* COLUMN_TYPE, e.g. "int(10) unsigned", "enum('a','b')" */
    const char *charset;        /* CHARACTER_SET_NAME, or NULL */
    long long char_length;      /* CHARACTER_MAXIMUM_LENGTH, -1 when NULL */
    int precision;              /* NUMERIC_PRECISION, -1 when NULL */
    int scale;                  /* NUMERIC_SCALE, -1 when NULL */
    int fsp;                    /* DATETIME_PRECISION, -1 when NULL */
    bool is_json;               /* MariaDB's JSON: a LONGTEXT with a json_valid() check */
    bool generated;             /* a VIRTUAL or STORED generated column */
} MyColumnSource;

/* The phase's source options (SourceOps.set_source_options; README). */
typedef struct MyOptions {
    bool zero_dates_null;       /* "zero_dates": "null" */
    bool unsigned_int8;         /* "unsigned_bigint": "int8" */
    char **map_keys;            /* "type_map": {"db.table.column": "postgresql type"} */
    char **map_types;
    size_t nmap;
} MyOptions;

/* The PostgreSQL side of a column. */
typedef struct MyPgType {
    char *type_sql;             /* format_type() spelling; NULL for the column's own enum (named by describe) */
    uint32_t oid;               /* built-in type's OID; 0 for an enum */
    bool is_enum;               /* an enum type made for this column */
    bool type_mapped;           /* --type-map gave the PostgreSQL type */
    MySelect select;
} MyPgType;

/*
 * Maps one column.  Fills *col (kind, charset, length, precision, scale,
 * labels, flags; col->name is set by the caller) and *pg.  An unsupported
 * type or character set, or an unknown --type-map type, is GW_ERR_USAGE with
 * one log line naming the table and column.
 */
GwResult mysql_type_map(const MyColumnSource *src, const MyOptions *opts, MyColumn *col,
                        MyPgType *pg) GW_MUST_CHECK;
void mysql_column_free(MyColumn *col);
void mysql_pg_type_free(MyPgType *pg);

/* A built-in PostgreSQL type: what the Catalog's TypeDef for it holds. */
typedef struct PgTypeInfo {
    uint32_t oid;
    const char *name;           /* typname */
    const char *sql;            /* format_type(oid, NULL) */
    char category;              /* typcategory */
    uint32_t elem;              /* arrays: the element's OID */
} PgTypeInfo;

const PgTypeInfo *mysql_pg_type_info(uint32_t oid);

/*
 * A PostgreSQL type as an operator writes it ("int4", "varchar(20)",
 * "timestamptz(3)") in format_type() spelling ("integer", "character
 * varying(20)", "timestamp(3) with time zone"), with its OID; NULL when it is
 * not one of the built-in types godwit knows (README lists them).
 */
char *mysql_pg_type_normalize(const char *text, uint32_t *oid);

/* Parses the options' JSON; returns 0, or -1 with a reason in err. */
int mysql_options_parse(const char *json, MyOptions *out, char *err, size_t errlen);
void mysql_options_free(MyOptions *o);

/* The labels of an ENUM or SET COLUMN_TYPE ("enum('a','b''c')"); -1 when malformed. */
/* mysql_limits.c: a CHECK (PostgreSQL's SQL) holding the target's values to what the column can hold, or NULL. */
char *mysql_column_limit(const MyColumnSource *src, const MyColumn *col);
int mysql_parse_labels(const char *column_type, char ***labels, size_t *nlabels);

#endif
