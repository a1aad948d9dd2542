/*
 * changefeed_value.c: changefeed JSON values as canonical text (see
 * changefeed_value.h).  It never reformats a number or a string: the text
 * CockroachDB sent is the text PostgreSQL reads.
 */
#include "core/changefeed_value.h"

#include <stdio.h>
#include <string.h>

static ChangefeedValueKind
kind_of(const TypeDef *ty)
{
    if (!ty)
        return CFV_SCALAR;
    if (ty->builtin && (!strcmp(ty->name, "json") || !strcmp(ty->name, "jsonb")))
        return CFV_JSON;
    if (ty->category == 'B')
        return CFV_BOOL;
    if (ty->kind == TYPE_ARRAY)
        return CFV_ARRAY;
    return CFV_SCALAR;
}

ChangefeedType
changefeed_type_of(const Catalog *cat, uint32_t type_id)
{
    const TypeDef *ty = catalog_storage_type(cat, type_id);
    ChangefeedType t = {.kind = kind_of(ty), .elem = CFV_SCALAR};
    if (t.kind == CFV_ARRAY) {
        t.elem = kind_of(catalog_storage_type(cat, ty->elem_id));
        /* PostgreSQL has no arrays of arrays, only more dimensions: nested JSON arrays say so. */
        if (t.elem == CFV_ARRAY)
            t.elem = CFV_SCALAR;
    }
    return t;
}

static bool
has_nul(const JsonvNode *v)
{
    return strlen(v->str) != v->len;
}

static bool
nul_error(char *err, size_t errlen)
{
    snprintf(err, errlen, "a string holds a NUL character, which PostgreSQL text cannot");
    return false;
}

static const char *
kind_name(JsonvKind k)
{
    return k == JV_OBJECT ? "an object" : k == JV_ARRAY ? "an array" : "a value";
}

/* One element (or nested array) of an array literal. */
static bool
array_element(const JsonvNode *v, ChangefeedValueKind elem, StrBuf *out, char *err, size_t errlen)
{
    switch (v->kind) {
    case JV_NULL: strbuf_append(out, "NULL"); return true;
    case JV_TRUE: strbuf_append(out, elem == CFV_BOOL ? "t" : "true"); return true;
    case JV_FALSE: strbuf_append(out, elem == CFV_BOOL ? "f" : "false"); return true;
    case JV_NUMBER:
        if (elem == CFV_JSON)
            strbuf_append_array_element(out, v->str, v->len);
        else
            strbuf_append_n(out, v->str, v->len);
        return true;
    case JV_STRING:
        if (has_nul(v))
            return nul_error(err, errlen);
        if (elem == CFV_JSON) {
            StrBuf j;
            strbuf_init(&j);
            jsonv_write(v, &j);
            strbuf_append_array_element(out, j.data, j.len);
            strbuf_free(&j);
        } else {
            strbuf_append_array_element(out, v->str, v->len);
        }
        return true;
    case JV_OBJECT:
    case JV_ARRAY:
        if (elem == CFV_JSON) {
            StrBuf j;
            strbuf_init(&j);
            jsonv_write(v, &j);
            strbuf_append_array_element(out, j.data, j.len);
            strbuf_free(&j);
            return true;
        }
        if (v->kind == JV_OBJECT) {
            snprintf(err, errlen, "an array element is an object, which only json and jsonb arrays take");
            return false;
        }
        strbuf_append_char(out, '{');
        for (size_t i = 0; i < v->count; i++) {
            if (i)
                strbuf_append_char(out, ',');
            if (!array_element(v->items[i], elem, out, err, errlen))
                return false;
        }
        strbuf_append_char(out, '}');
        return true;
    }
    return false;
}

/* {"__crdb_json_null__": true}: CockroachDB's JSON null (its changefeed encoder, jsonNullAsObjectKey). */
static bool
is_json_null_object(const JsonvNode *v)
{
    const JsonvNode *flag = v->kind == JV_OBJECT && v->count == 1 ? jsonv_get(v, "__crdb_json_null__") : NULL;
    return flag && flag->kind == JV_TRUE;
}

bool
changefeed_value_text(const JsonvNode *v, ChangefeedType t, StrBuf *out, bool *is_null, char *err, size_t errlen)
{
    *is_null = v->kind == JV_NULL;
    if (*is_null)
        return true;
    if (t.kind == CFV_JSON) {
        /* encode_json_value_null_as_object: a JSON null, where null alone is an SQL NULL. */
        if (is_json_null_object(v))
            strbuf_append(out, "null");
        else
            jsonv_write(v, out);
        return true;
    }
    switch (v->kind) {
    case JV_TRUE:
    case JV_FALSE:
        strbuf_append(out, t.kind == CFV_BOOL ? (v->kind == JV_TRUE ? "t" : "f")
                                              : (v->kind == JV_TRUE ? "true" : "false"));
        return true;
    case JV_NUMBER:
        strbuf_append_n(out, v->str, v->len);
        return true;
    case JV_STRING:
        if (has_nul(v))
            return nul_error(err, errlen);
        strbuf_append_n(out, v->str, v->len);
        return true;
    case JV_ARRAY:
        if (t.kind == CFV_ARRAY) {
            strbuf_append_char(out, '{');
            for (size_t i = 0; i < v->count; i++) {
                if (i)
                    strbuf_append_char(out, ',');
                if (!array_element(v->items[i], t.elem, out, err, errlen))
                    return false;
            }
            strbuf_append_char(out, '}');
            return true;
        }
        break;
    default:
        break;
    }
    snprintf(err, errlen, "the value is %s, which godwit converts only for json, jsonb and array columns",
             kind_name(v->kind));
    return false;
}
