/*
 * jsonv.h: a JSON parser that keeps every value verbatim ("JSON values"):
 * a number stays the text it was sent as, so a DECIMAL of 30 digits or an
 * INT8 beyond 2^53 reaches the database exactly.  jansson, used elsewhere,
 * turns numbers into int64 and double, which is fine for godwit's own
 * documents but not for row values.
 *
 * Strict RFC 8259: one value, UTF-8 only, no comments, no trailing commas,
 * nesting at most JSONV_MAX_DEPTH.  It reads bytes from the network (the
 * changefeed webhook), so every failure is an error message, never a crash.
 * A parsed document lives in one arena, freed at once by jsonv_free().
 */
#ifndef GW_JSONV_H
#define GW_JSONV_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

#define JSONV_MAX_DEPTH 256

typedef enum JsonvKind { JV_NULL, JV_FALSE, JV_TRUE, JV_NUMBER, JV_STRING, JV_ARRAY, JV_OBJECT } JsonvKind;

typedef struct JsonvNode JsonvNode;

typedef struct JsonvMember {
    const char *key;        /* decoded, NUL-terminated; key_len bytes (a \u0000 may come before the end) */
    size_t key_len;
    JsonvNode *value;
} JsonvMember;

struct JsonvNode {
    JsonvKind kind;
    const char *str;        /* number: its text as sent; string: decoded UTF-8; NUL-terminated */
    size_t len;
    size_t count;           /* array: items; object: members, in document order */
    JsonvNode **items;
    JsonvMember *members;
};

typedef struct JsonvBlock JsonvBlock;

typedef struct JsonvDoc {
    JsonvNode *root;
    JsonvBlock *blocks;     /* the arena holding every node and string */
} JsonvDoc;

/* Parses len bytes; on failure returns false with a message in err ("at byte N: ..."). */
bool jsonv_parse(const char *text, size_t len, JsonvDoc *doc, char *err, size_t errlen);
void jsonv_free(JsonvDoc *doc);

/* The member named key of an object (the last one if repeated, as PostgreSQL's jsonb keeps); NULL if none. */
const JsonvNode *jsonv_get(const JsonvNode *obj, const char *key);
/* Appends v as compact JSON text: numbers as sent, strings re-escaped minimally. */
void jsonv_write(const JsonvNode *v, StrBuf *out);

#endif
