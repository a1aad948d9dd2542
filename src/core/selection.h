/*
 * selection.h: which tables a command works on (--tables, --exclude) and
 * which rows of them (--where 'schema.table: PREDICATE').
 *
 * Patterns are shell globs on "schema.table" (unquoted names); a pattern with
 * no '.' matches the table name in any schema.  This module only matches
 * names: it never reads a catalog itself.
 */
#ifndef GW_SELECTION_H
#define GW_SELECTION_H

#include <stdbool.h>
#include <stddef.h>

#include "core/predicate.h"
#include "util/result.h"

typedef struct RowFilter {
    char *schema;
    char *table;
    char *text;             /* the predicate as the operator wrote it */
    Predicate *predicate;
} RowFilter;

typedef struct Selection {
    char **include;         /* empty: every table */
    size_t ninclude;
    char **exclude;
    size_t nexclude;
    RowFilter *filters;
    size_t nfilters;
    bool *include_used;     /* per include pattern: matched something */
} Selection;

void selection_init(Selection *sel);
void selection_free(Selection *sel);

/* Adds comma-separated patterns. */
void selection_add_includes(Selection *sel, const char *list);
void selection_add_excludes(Selection *sel, const char *list);
/* Adds exactly one table, whatever characters its names hold (escaped for the pattern matcher). */
void selection_add_table(Selection *sel, const char *schema, const char *table);

/* Parses "schema.table: predicate"; on error writes a one-line message into err. */
GwResult selection_add_filter(Selection *sel, const char *arg, char *err, size_t errlen) GW_MUST_CHECK;

/* Whether a table is selected; records which include patterns matched. */
bool selection_matches(Selection *sel, const char *schema, const char *table);

/* The same without recording anything (a plan asks about tables no command selects). */
bool selection_includes(const Selection *sel, const char *schema, const char *table);

/* Whether an exclude pattern names the table. */
bool selection_excludes(const Selection *sel, const char *schema, const char *table);

/* The first include pattern that matched no table, or NULL. */
const char *selection_unmatched_include(const Selection *sel);

const RowFilter *selection_filter_for(const Selection *sel, const char *schema, const char *table);

/*
 * The row filters as JSON ([{"schema", "table", "predicate"}]), to keep with a
 * phase, and back: the stream of a phase filters with what its fetch used.
 */
char *selection_filters_json(const Selection *sel);
GwResult selection_add_filters_json(Selection *sel, const char *json, char *err, size_t errlen) GW_MUST_CHECK;

#endif
