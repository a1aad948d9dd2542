/*
 * changefeed_message.c: the webhook sink's request bodies (see
 * changefeed_message.h).  It checks shape only; which table a topic names
 * and whether the row fits it is decided by whoever stages the rows.
 */
#include "core/changefeed_message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/strbuf.h"

static bool
refuse(char *err, size_t errlen, const char *fmt, size_t index, const char *what)
{
    snprintf(err, errlen, fmt, index, what);
    return false;
}

static bool
parse_hlc(const JsonvNode *v, Hlc *out)
{
    return v && v->kind == JV_STRING && hlc_parse(v->str, v->len, out);
}

static bool
parse_row(const JsonvNode *item, size_t i, ChangefeedRow *row, char *err, size_t errlen)
{
    static const char fmt[] = "payload[%zu]: %s";
    if (item->kind != JV_OBJECT)
        return refuse(err, errlen, fmt, i, "not an object");
    const JsonvNode *topic = jsonv_get(item, "topic");
    if (!topic || topic->kind != JV_STRING || topic->len == 0 || strlen(topic->str) != topic->len)
        return refuse(err, errlen, fmt, i, "\"topic\" is missing or not a table name");
    row->topic = topic->str;
    row->key = jsonv_get(item, "key");
    if (!row->key || row->key->kind != JV_ARRAY)
        return refuse(err, errlen, fmt, i, "\"key\" is missing or not an array");
    const JsonvNode *updated = jsonv_get(item, "updated");
    if (!updated)
        return refuse(err, errlen, fmt, i, "\"updated\" is missing: create the changefeed WITH updated");
    if (!parse_hlc(updated, &row->updated))
        return refuse(err, errlen, fmt, i, "\"updated\" is not a timestamp \"<nanos>.<logical>\"");
    row->after = jsonv_get(item, "after");
    if (!row->after || (row->after->kind != JV_OBJECT && row->after->kind != JV_NULL))
        return refuse(err, errlen, fmt, i, "\"after\" is missing or neither an object nor null (envelope=wrapped)");
    row->before = jsonv_get(item, "before");
    if (row->before && row->before->kind != JV_OBJECT && row->before->kind != JV_NULL)
        return refuse(err, errlen, fmt, i, "\"before\" is neither an object nor null");
    return true;
}

static bool
parse_batch(const JsonvNode *root, ChangefeedMessage *m, char *err, size_t errlen)
{
    const JsonvNode *payload = jsonv_get(root, "payload");
    if (!payload || payload->kind != JV_ARRAY) {
        snprintf(err, errlen, "neither \"payload\" (an array of rows) nor \"resolved\"");
        return false;
    }
    const JsonvNode *length = jsonv_get(root, "length");
    if (length) {
        char count[32];
        snprintf(count, sizeof count, "%zu", payload->count);
        if (length->kind != JV_NUMBER || strcmp(length->str, count) != 0) {
            snprintf(err, errlen, "\"length\" is not the number of rows in \"payload\" (%zu)", payload->count);
            return false;
        }
    }
    m->rows = gw_calloc(payload->count + 1, sizeof *m->rows);
    for (size_t i = 0; i < payload->count; i++)
        if (!parse_row(payload->items[i], i, &m->rows[i], err, errlen))
            return false;
    m->nrows = payload->count;
    return true;
}

bool
changefeed_message_parse(const char *body, size_t len, ChangefeedMessage *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char why[256];
    if (!jsonv_parse(body, len, &out->doc, why, sizeof why)) {
        snprintf(err, errlen, "malformed JSON %s", why);
        return false;
    }
    const JsonvNode *root = out->doc.root;
    bool ok;
    if (root->kind != JV_OBJECT) {
        snprintf(err, errlen, "not a JSON object");
        ok = false;
    } else if (jsonv_get(root, "resolved")) {
        ok = !jsonv_get(root, "payload") && parse_hlc(jsonv_get(root, "resolved"), &out->resolved);
        if (!ok)
            snprintf(err, errlen, "\"resolved\" is not a timestamp \"<nanos>.<logical>\" alone");
        out->is_resolved = ok;
    } else {
        ok = parse_batch(root, out, err, errlen);
    }
    if (!ok)
        changefeed_message_free(out);
    return ok;
}

void
changefeed_message_free(ChangefeedMessage *m)
{
    free(m->rows);
    jsonv_free(&m->doc);
    memset(m, 0, sizeof *m);
}

int
changefeed_topic_parts(const char *topic, char **parts, int max)
{
    int n = 0;
    const char *p = topic;
    while (*p) {
        StrBuf part;
        strbuf_init(&part);
        if (*p == '"') {
            for (p++; *p && !(p[0] == '"' && p[1] != '"'); p++) {
                if (p[0] == '"')
                    p++;
                strbuf_append_char(&part, *p);
            }
            if (*p != '"') {
                strbuf_free(&part);
                goto bad;
            }
            p++;
        } else {
            for (; *p && *p != '.'; p++)
                strbuf_append_char(&part, *p);
        }
        if (n == max || (*p && *p != '.') || part.len == 0) {
            strbuf_free(&part);
            goto bad;
        }
        parts[n++] = strbuf_take(&part);
        if (*p == '.' && !*++p)
            goto bad;
    }
    return n;
bad:
    for (int i = 0; i < n; i++)
        free(parts[i]);
    return -1;
}
