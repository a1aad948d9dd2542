/*
 * mysql_names.h: PostgreSQL identifiers for a MySQL catalog (mysql_names.c):
 * quote_ident()-style spelling, and names unique within a schema.
 */
#ifndef GW_MYSQL_NAMES_H
#define GW_MYSQL_NAMES_H

#include <stddef.h>

/* PostgreSQL truncates identifiers longer than this many bytes. */
#define PGNAME_MAX_BYTES 63

/* Names taken in each schema: tables, indexes and the constraints that make one, types, sequences. */
typedef struct PgNameSet {
    char **schemas;
    char **names;
    size_t n;
} PgNameSet;

/* name as quote_ident() writes it: bare when lower-case and not a keyword, else double-quoted. Caller frees. */
char *pgname_quote(const char *name);
/* schema.name as format_type() writes a user type. Caller frees. */
char *pgname_qualified(const char *schema, const char *name);
void pgname_reserve(PgNameSet *set, const char *schema, const char *name);
/* base cut to 63 bytes (whole characters), with "_2", "_3"... when taken; reserved and returned. */
char *pgname_unique(PgNameSet *set, const char *schema, const char *base);
/* name cut to 63 bytes (whole characters). Caller frees. */
char *pgname_truncate(const char *name);
void pgname_set_free(PgNameSet *set);

#endif
