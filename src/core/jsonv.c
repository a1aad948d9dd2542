/*
 * jsonv.c: the verbatim JSON parser (see jsonv.h).
 *
 * Recursive descent over a byte range that is not NUL-terminated.  Children
 * of an array or object are gathered on one shared stack and copied into the
 * arena when their container closes, so a document costs a handful of
 * allocations however many values it has.  Every read checks the remaining
 * length first; nothing here may read past text + len.
 */
#include "core/jsonv.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hex.h"
#include "util/mem.h"

#define JSONV_BLOCK_SIZE (64 * 1024)

struct JsonvBlock {
    JsonvBlock *next;
    size_t used, size;
    max_align_t data[];
};

typedef struct Parser {
    const unsigned char *s;
    size_t len;
    size_t pos;
    int depth;
    JsonvDoc *doc;
    char *err;
    size_t errlen;
    bool failed;
    /* Children of the containers being parsed, innermost last. */
    JsonvNode **items;
    size_t nitems, cap_items;
    JsonvMember *members;
    size_t nmembers, cap_members;
} Parser;

static void *
arena_alloc(JsonvDoc *doc, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    JsonvBlock *b = doc->blocks;
    if (!b || b->size - b->used < n) {
        size_t size = n > JSONV_BLOCK_SIZE / 4 ? n : JSONV_BLOCK_SIZE;
        JsonvBlock *nb = gw_malloc(sizeof *nb + size);
        nb->used = 0;
        nb->size = size;
        if (b && n > JSONV_BLOCK_SIZE / 4) {
            /* A big one-off allocation goes behind the current block, which keeps its free room. */
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            doc->blocks = nb;
        }
        b = nb;
    }
    void *p = (char *) b->data + b->used;
    b->used += n;
    return p;
}

static bool
fail(Parser *p, const char *fmt, ...)
{
    if (!p->failed) {
        char msg[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(p->err, p->errlen, "at byte %zu: %s", p->pos, msg);
        p->failed = true;
    }
    return false;
}

static void
skip_space(Parser *p)
{
    while (p->pos < p->len &&
           (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static bool
literal(Parser *p, const char *word, JsonvNode *node, JsonvKind kind)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return fail(p, "invalid literal");
    p->pos += n;
    node->kind = kind;
    return true;
}

static bool
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static size_t
digits(Parser *p)
{
    size_t start = p->pos;
    while (p->pos < p->len && is_digit(p->s[p->pos]))
        p->pos++;
    return p->pos - start;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, kept as its text. */
static bool
number(Parser *p, JsonvNode *node)
{
    size_t start = p->pos;
    if (p->s[p->pos] == '-')
        p->pos++;
    if (p->pos >= p->len || !is_digit(p->s[p->pos]))
        return fail(p, "invalid number");
    if (p->s[p->pos] == '0')
        p->pos++;
    else
        digits(p);
    if (p->pos < p->len && p->s[p->pos] == '.') {
        p->pos++;
        if (digits(p) == 0)
            return fail(p, "invalid number: no digit after the decimal point");
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
            p->pos++;
        if (digits(p) == 0)
            return fail(p, "invalid number: no digit in the exponent");
    }
    size_t n = p->pos - start;
    char *text = arena_alloc(p->doc, n + 1);
    memcpy(text, p->s + start, n);
    text[n] = '\0';
    node->kind = JV_NUMBER;
    node->str = text;
    node->len = n;
    return true;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t
utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t need;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    /* Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8. */
    if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return need;
}

static int
hex4(const unsigned char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit_value((char) s[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t
put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char) cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char) (0xC0 | (cp >> 6));
        out[1] = (char) (0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char) (0xE0 | (cp >> 12));
        out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char) (0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char) (0xF0 | (cp >> 18));
    out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char) (0x80 | (cp & 0x3F));
    return 4;
}

/* A \uXXXX escape (p->pos at the 'u'), a surrogate pair taken whole; the code point in *cp. */
static bool
unicode_escape(Parser *p, uint32_t *cp)
{
    if (p->len - p->pos < 5)
        return fail(p, "truncated \\u escape");
    int hi = hex4(p->s + p->pos + 1);
    if (hi < 0)
        return fail(p, "invalid \\u escape");
    p->pos += 5;
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return fail(p, "unpaired UTF-16 surrogate in a \\u escape");
    if (hi < 0xD800 || hi > 0xDBFF) {
        *cp = (uint32_t) hi;
        return true;
    }
    int lo = p->len - p->pos >= 6 && p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u' ? hex4(p->s + p->pos + 2) : -1;
    if (lo < 0xDC00 || lo > 0xDFFF)
        return fail(p, "unpaired UTF-16 surrogate in a \\u escape");
    p->pos += 6;
    *cp = 0x10000 + (((uint32_t) hi - 0xD800) << 10) + ((uint32_t) lo - 0xDC00);
    return true;
}

/* A string (p->pos at the opening quote), decoded into the arena: never longer than its escaped form. */
static bool
string(Parser *p, const char **out, size_t *out_len)
{
    size_t start = ++p->pos, end = start;
    while (end < p->len && p->s[end] != '"')
        end += p->s[end] == '\\' ? 2 : 1;
    if (end >= p->len)
        return fail(p, "unterminated string");
    char *buf = arena_alloc(p->doc, end - start + 1);
    size_t n = 0;
    while (p->pos < end) {
        unsigned char c = p->s[p->pos];
        if (c < 0x20)
            return fail(p, "control character in a string");
        if (c >= 0x80) {
            size_t k = utf8_sequence(p->s + p->pos, end - p->pos);
            if (k == 0)
                return fail(p, "invalid UTF-8 in a string");
            memcpy(buf + n, p->s + p->pos, k);
            n += k;
            p->pos += k;
            continue;
        }
        if (c != '\\') {
            buf[n++] = (char) c;
            p->pos++;
            continue;
        }
        p->pos++;
        switch (p->s[p->pos]) {
        case '"': buf[n++] = '"'; break;
        case '\\': buf[n++] = '\\'; break;
        case '/': buf[n++] = '/'; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u': {
            uint32_t cp = 0;
            if (!unicode_escape(p, &cp))
                return false;
            n += put_utf8(buf + n, cp);
            continue;
        }
        default:
            return fail(p, "invalid escape in a string");
        }
        p->pos++;
    }
    if (p->pos != end)
        return fail(p, "unterminated string");
    p->pos = end + 1;
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return true;
}

static bool value(Parser *p, JsonvNode *node);

static bool
array(Parser *p, JsonvNode *node)
{
    size_t base = p->nitems;
    p->pos++;
    skip_space(p);
    if (p->pos < p->len && p->s[p->pos] == ']') {
        p->pos++;
    } else {
        for (;;) {
            JsonvNode *item = arena_alloc(p->doc, sizeof *item);
            if (!value(p, item))
                return false;
            gw_grow((void **) &p->items, &p->cap_items, p->nitems + 1, sizeof *p->items);
            p->items[p->nitems++] = item;
            skip_space(p);
            if (p->pos >= p->len)
                return fail(p, "unterminated array");
            if (p->s[p->pos] == ']') {
                p->pos++;
                break;
            }
            if (p->s[p->pos] != ',')
                return fail(p, "expected ',' or ']' in an array");
            p->pos++;
        }
    }
    node->kind = JV_ARRAY;
    node->count = p->nitems - base;
    node->items = arena_alloc(p->doc, (node->count + 1) * sizeof *node->items);
    if (node->count > 0)
        memcpy(node->items, p->items + base, node->count * sizeof *node->items);
    p->nitems = base;
    return true;
}

static bool
object(Parser *p, JsonvNode *node)
{
    size_t base = p->nmembers;
    p->pos++;
    skip_space(p);
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
    } else {
        for (;;) {
            skip_space(p);
            if (p->pos >= p->len || p->s[p->pos] != '"')
                return fail(p, "expected a string key in an object");
            JsonvMember m = {0};
            if (!string(p, &m.key, &m.key_len))
                return false;
            skip_space(p);
            if (p->pos >= p->len || p->s[p->pos] != ':')
                return fail(p, "expected ':' after an object key");
            p->pos++;
            m.value = arena_alloc(p->doc, sizeof *m.value);
            if (!value(p, m.value))
                return false;
            gw_grow((void **) &p->members, &p->cap_members, p->nmembers + 1, sizeof *p->members);
            p->members[p->nmembers++] = m;
            skip_space(p);
            if (p->pos >= p->len)
                return fail(p, "unterminated object");
            if (p->s[p->pos] == '}') {
                p->pos++;
                break;
            }
            if (p->s[p->pos] != ',')
                return fail(p, "expected ',' or '}' in an object");
            p->pos++;
        }
    }
    node->kind = JV_OBJECT;
    node->count = p->nmembers - base;
    node->members = arena_alloc(p->doc, (node->count + 1) * sizeof *node->members);
    if (node->count > 0)
        memcpy(node->members, p->members + base, node->count * sizeof *node->members);
    p->nmembers = base;
    return true;
}

static bool
value(Parser *p, JsonvNode *node)
{
    memset(node, 0, sizeof *node);
    skip_space(p);
    if (p->pos >= p->len)
        return fail(p, "unexpected end of input");
    switch (p->s[p->pos]) {
    case 'n': return literal(p, "null", node, JV_NULL);
    case 't': return literal(p, "true", node, JV_TRUE);
    case 'f': return literal(p, "false", node, JV_FALSE);
    case '"':
        node->kind = JV_STRING;
        return string(p, &node->str, &node->len);
    case '[':
    case '{': {
        if (++p->depth > JSONV_MAX_DEPTH)
            return fail(p, "nested deeper than %d levels", JSONV_MAX_DEPTH);
        bool ok = p->s[p->pos] == '[' ? array(p, node) : object(p, node);
        p->depth--;
        return ok;
    }
    default:
        if (p->s[p->pos] == '-' || is_digit(p->s[p->pos]))
            return number(p, node);
        return fail(p, "unexpected character '%c'", p->s[p->pos] >= 0x20 && p->s[p->pos] < 0x7f ? p->s[p->pos] : '?');
    }
}

bool
jsonv_parse(const char *text, size_t len, JsonvDoc *doc, char *err, size_t errlen)
{
    memset(doc, 0, sizeof *doc);
    Parser p = {.s = (const unsigned char *) text, .len = len, .doc = doc, .err = err, .errlen = errlen};
    JsonvNode *root = arena_alloc(doc, sizeof *root);
    bool ok = value(&p, root);
    if (ok) {
        skip_space(&p);
        if (p.pos != len)
            ok = fail(&p, "text after the JSON value");
    }
    free(p.items);
    free(p.members);
    if (!ok) {
        jsonv_free(doc);
        return false;
    }
    doc->root = root;
    return true;
}

void
jsonv_free(JsonvDoc *doc)
{
    for (JsonvBlock *b = doc->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    doc->blocks = NULL;
    doc->root = NULL;
}

const JsonvNode *
jsonv_get(const JsonvNode *obj, const char *key)
{
    if (!obj || obj->kind != JV_OBJECT)
        return NULL;
    size_t n = strlen(key);
    for (size_t i = obj->count; i-- > 0;)
        if (obj->members[i].key_len == n && memcmp(obj->members[i].key, key, n) == 0)
            return obj->members[i].value;
    return NULL;
}

static void
write_string(const char *s, size_t len, StrBuf *out)
{
    strbuf_append_char(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        strbuf_append_n(out, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': strbuf_append(out, "\\\""); break;
        case '\\': strbuf_append(out, "\\\\"); break;
        case '\b': strbuf_append(out, "\\b"); break;
        case '\f': strbuf_append(out, "\\f"); break;
        case '\n': strbuf_append(out, "\\n"); break;
        case '\r': strbuf_append(out, "\\r"); break;
        case '\t': strbuf_append(out, "\\t"); break;
        default: strbuf_appendf(out, "\\u%04x", c); break;
        }
    }
    strbuf_append_n(out, s + run, len - run);
    strbuf_append_char(out, '"');
}

void
jsonv_write(const JsonvNode *v, StrBuf *out)
{
    switch (v->kind) {
    case JV_NULL: strbuf_append(out, "null"); break;
    case JV_FALSE: strbuf_append(out, "false"); break;
    case JV_TRUE: strbuf_append(out, "true"); break;
    case JV_NUMBER: strbuf_append_n(out, v->str, v->len); break;
    case JV_STRING: write_string(v->str, v->len, out); break;
    case JV_ARRAY:
        strbuf_append_char(out, '[');
        for (size_t i = 0; i < v->count; i++) {
            if (i)
                strbuf_append_char(out, ',');
            jsonv_write(v->items[i], out);
        }
        strbuf_append_char(out, ']');
        break;
    case JV_OBJECT:
        strbuf_append_char(out, '{');
        for (size_t i = 0; i < v->count; i++) {
            if (i)
                strbuf_append_char(out, ',');
            write_string(v->members[i].key, v->members[i].key_len, out);
            strbuf_append_char(out, ':');
            jsonv_write(v->members[i].value, out);
        }
        strbuf_append_char(out, '}');
        break;
    }
}
