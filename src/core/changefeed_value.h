/*
 * changefeed_value.h: a value of a CockroachDB changefeed row (JSON) as the
 * canonical text of DESIGN.md's value model, for a column of the source.
 *
 * How CockroachDB writes each SQL type in JSON (its changefeed encoder,
 * format=json): INT, FLOAT and DECIMAL as numbers; BOOL as true/false;
 * STRING, UUID, DATE, TIME, INTERVAL, INET, ENUM values, BIT and every other
 * scalar as a string in its text form (TIMESTAMPTZ in RFC 3339 with a zone,
 * TIMESTAMP without); BYTES as a string in hex form ("\\x6869"); JSONB as
 * the JSON value itself; ARRAY as a JSON array of its elements so written;
 * SQL NULL as null.  PostgreSQL reads every one of those texts back as the
 * same value, so a string or a number passes through as it was sent; what
 * needs converting is booleans (t/f), JSON documents (kept as JSON, even a
 * JSON string, which must stay quoted) and arrays (an array literal).
 */
#ifndef GW_CHANGEFEED_VALUE_H
#define GW_CHANGEFEED_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/catalog.h"
#include "core/jsonv.h"
#include "util/strbuf.h"

typedef enum ChangefeedValueKind {
    CFV_SCALAR,             /* anything written as a string or a number */
    CFV_BOOL,
    CFV_JSON,               /* json, jsonb */
    CFV_ARRAY,
} ChangefeedValueKind;

typedef struct ChangefeedType {
    ChangefeedValueKind kind;
    ChangefeedValueKind elem;   /* CFV_ARRAY: its elements' kind */
} ChangefeedType;

/* The kind of a column of type type_id, as the source's catalog describes it (domains followed). */
ChangefeedType changefeed_type_of(const Catalog *cat, uint32_t type_id);

/*
 * Appends the canonical text of v, for a column of type t, to out; sets
 * *is_null (and appends nothing) for SQL NULL.  False, with a message, for a
 * value the column cannot take (an object for a text column, a string
 * holding a NUL character).
 */
bool changefeed_value_text(const JsonvNode *v, ChangefeedType t, StrBuf *out, bool *is_null, char *err,
                           size_t errlen);

#endif
