/*
 * mysql_json_binary.c: MySQL 8's binary JSON (the storage and binlog form of a
 * JSON column) to JSON text, after MySQL's documentation of the format
 * (sql-common/json_binary.h):
 *
 *   doc       ::= type value
 *   type      ::= 0x00 small object | 0x01 large object | 0x02 small array |
 *                 0x03 large array | 0x04 literal | 0x05 int16 | 0x06 uint16 |
 *                 0x07 int32 | 0x08 uint32 | 0x09 int64 | 0x0a uint64 |
 *                 0x0b double | 0x0c utf8mb4 string | 0x0f custom data
 *   object    ::= element-count size key-entry* value-entry* key* value*
 *   array     ::= element-count size value-entry* value*
 *   element-count, size, key-offset, value offset: uint16 in small, uint32 in
 *                 large containers; key-length: uint16; offsets count from the
 *                 container's first byte
 *   value-entry ::= type offset-or-inlined-value (literals and [u]int16 inlined;
 *                 in large containers [u]int32 too)
 *   literal   ::= 0x00 null | 0x01 true | 0x02 false
 *   string    ::= data-length utf8mb4-data (data-length: 7 bits a byte, low
 *                 first, high bit set when another byte follows)
 *   custom    ::= field-type data-length data (DECIMAL: precision, scale, binary
 *                 decimal; DATE/TIME/DATETIME/TIMESTAMP: 8-byte packed value)
 *   numbers are little-endian; a double is the 8 bytes of IEEE 754, little-endian.
 *
 * The text is laid out as MySQL prints JSON: ", " and ": " separators, keys in
 * stored order.  Untested against a live MySQL server: the unit tests use byte
 * strings built from the documentation above.
 *
 * It must never read outside the value: every offset and length is checked
 * against the end of the container that holds it, and nesting is bounded.
 * Nor may the text outgrow the value: offsets may point several entries at
 * the same bytes, which MySQL never writes but which would otherwise turn a
 * few hundred bytes into 2^40 values (containers each holding the next one
 * twice) or a megabyte into terabytes (every entry of a container naming one
 * long string).  Each byte of a document MySQL writes becomes at most a few
 * bytes of text (6 for a control character in a string), so text beyond
 * JSONB_MAX_GROWTH times the value is refused as overlapping values.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "engine/mysql/mysql_rowimage_internal.h"

#define JSONB_MAX_DEPTH 150
/* The most text a document may become, per byte of it (plus JSONB_MAX_GROWTH_SLACK): see above. */
#define JSONB_MAX_GROWTH 16
#define JSONB_MAX_GROWTH_SLACK 64

enum {
    JSONB_SMALL_OBJECT = 0x00, JSONB_LARGE_OBJECT = 0x01, JSONB_SMALL_ARRAY = 0x02,
    JSONB_LARGE_ARRAY = 0x03, JSONB_LITERAL = 0x04, JSONB_INT16 = 0x05, JSONB_UINT16 = 0x06,
    JSONB_INT32 = 0x07, JSONB_UINT32 = 0x08, JSONB_INT64 = 0x09, JSONB_UINT64 = 0x0a,
    JSONB_DOUBLE = 0x0b, JSONB_STRING = 0x0c, JSONB_OPAQUE = 0x0f,
};

typedef struct JsonCtx {
    StrBuf *out;
    size_t out_limit;   /* out->len beyond which the document's values must overlap */
    size_t doc_len;
    char *err;
    size_t errlen;
} JsonCtx;

static int
jfail(JsonCtx *cx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
jfail(JsonCtx *cx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cx->err, cx->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* A two's complement number of `bytes` little-endian bytes. */
static int64_t
jsigned(const uint8_t *p, unsigned bytes)
{
    uint64_t u = ri_le_n(p, bytes);
    uint64_t m = (uint64_t) 1 << (8 * bytes - 1);
    if (u & m)
        return -(int64_t) (~u & (m - 1)) - 1;
    return (int64_t) u;
}

/* data-length: returns the bytes it takes (1..5), 0 when malformed or truncated. */
static size_t
jvarlen(const uint8_t *p, size_t avail, uint32_t *len)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 5 && i < avail; i++) {
        v |= (uint64_t) (p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            if (v > UINT32_MAX)
                return 0;
            *len = (uint32_t) v;
            return i + 1;
        }
    }
    return 0;
}

/* A JSON string literal: MySQL's escapes (\" \\ \b \f \n \r \t, \u00XX for other controls). */
static void
jstring(JsonCtx *cx, const uint8_t *s, size_t n)
{
    StrBuf *o = cx->out;
    strbuf_append_char(o, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        const char *esc = NULL;
        char ubuf[8];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (c < 0x20) {
                snprintf(ubuf, sizeof ubuf, "\\u%04x", c);
                esc = ubuf;
            }
        }
        if (esc == NULL)
            continue;
        strbuf_append_n(o, (const char *) s + run, i - run);
        strbuf_append(o, esc);
        run = i + 1;
    }
    strbuf_append_n(o, (const char *) s + run, n - run);
    strbuf_append_char(o, '"');
}

static void
jdouble(JsonCtx *cx, double d)
{
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    /* MySQL writes exponents without "+" and leading zeros: 1e300, 1.5e-7. */
    char out[40], *o = out;
    for (const char *s = buf; *s; s++) {
        *o++ = *s;
        if (*s == 'e') {
            s++;
            if (*s == '-')
                *o++ = *s++;
            else if (*s == '+')
                s++;
            while (*s == '0' && s[1] != '\0')
                s++;
            while (*s)
                *o++ = *s++;
            break;
        }
    }
    *o = '\0';
    strbuf_append(cx->out, out);
}

static const char base64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
jopaque(JsonCtx *cx, uint8_t ftype, const uint8_t *d, size_t n)
{
    StrBuf *o = cx->out;
    if (ftype == MYSQL_TYPE_NEWDECIMAL) {
        if (n < 2)
            return jfail(cx, "truncated DECIMAL");
        unsigned prec = d[0], scale = d[1];
        if (prec < 1 || prec > 65 || scale > 30 || scale > prec ||
            n - 2 < ri_decimal_size(prec, scale))
            return jfail(cx, "invalid DECIMAL(%u,%u) of %zu bytes", prec, scale, n - 2);
        char buf[RI_DECIMAL_TEXT_MAX];
        if (ri_decimal_text(d + 2, prec, scale, buf, cx->err, cx->errlen) < 0)
            return -1;
        strbuf_append(o, buf);
        return 0;
    }
    if (ftype == MYSQL_TYPE_DATE || ftype == MYSQL_TYPE_TIME || ftype == MYSQL_TYPE_DATETIME ||
        ftype == MYSQL_TYPE_TIMESTAMP) {
        if (n < 8)
            return jfail(cx, "truncated temporal value");
        int64_t packed = jsigned(d, 8);
        bool neg = packed < 0;
        uint64_t mag = neg ? 0 - (uint64_t) packed : (uint64_t) packed; /* INT64_MIN too */
        unsigned usec = (unsigned) (mag % (1u << 24));
        uint64_t ymdhms = mag >> 24;
        char buf[64];
        /* Beyond the fields MySQL packs (a 10-bit hour; a year to 9999, never negative) the value
         * is not one MySQL wrote: refused rather than printed wrapped. */
        if (ftype == MYSQL_TYPE_TIME ? (ymdhms >> 22) != 0
                                     : neg || (ymdhms >> 22) / 13 > 9999)
            return jfail(cx, "invalid packed temporal value of type %u", ftype);
        if (ftype == MYSQL_TYPE_TIME) {
            unsigned hour = (unsigned) ((ymdhms >> 12) % 1024);
            unsigned minute = (unsigned) ((ymdhms >> 6) % 64), second = (unsigned) (ymdhms % 64);
            snprintf(buf, sizeof buf, "%s%02u:%02u:%02u.%06u", neg ? "-" : "", hour, minute,
                     second, usec);
        } else {
            uint64_t ymd = ymdhms >> 17, hms = ymdhms % (1 << 17);
            unsigned day = (unsigned) (ymd % 32), month = (unsigned) ((ymd >> 5) % 13);
            unsigned year = (unsigned) ((ymd >> 5) / 13 % 10000);
            if (ftype == MYSQL_TYPE_DATE)
                snprintf(buf, sizeof buf, "%04u-%02u-%02u", year, month, day);
            else
                snprintf(buf, sizeof buf, "%04u-%02u-%02u %02u:%02u:%02u.%06u", year, month, day,
                         (unsigned) (hms >> 12) % 100, (unsigned) ((hms >> 6) % 64),
                         (unsigned) (hms % 64), usec);
        }
        strbuf_appendf(o, "\"%s\"", buf);
        return 0;
    }
    strbuf_appendf(o, "\"base64:type%u:", ftype);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t) d[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t) d[i + 1] << 8;
        if (i + 2 < n)
            v |= d[i + 2];
        char q[4] = {base64_chars[v >> 18], base64_chars[(v >> 12) & 63],
                     i + 1 < n ? base64_chars[(v >> 6) & 63] : '=',
                     i + 2 < n ? base64_chars[v & 63] : '='};
        strbuf_append_n(o, q, 4);
    }
    strbuf_append_char(o, '"');
    return 0;
}

static int jvalue(JsonCtx *cx, uint8_t type, const uint8_t *p, size_t avail, int depth);

/* Whether the text has outgrown the document (overlapping values); fails then. */
static int
joutgrown(JsonCtx *cx)
{
    if (cx->out->len <= cx->out_limit)
        return 0;
    return jfail(cx, "values overlap: the text would be over %d times the document's %zu bytes",
                 JSONB_MAX_GROWTH, cx->doc_len);
}

/* A literal byte: null, true or false. */
static int
jliteral(JsonCtx *cx, unsigned v)
{
    static const char *const names[] = {"null", "true", "false"};
    if (v > 2)
        return jfail(cx, "unknown literal 0x%02x", v);
    strbuf_append(cx->out, names[v]);
    return 0;
}

/* An object or array at c, with avail bytes from c to the end of its parent. */
static int
jcontainer(JsonCtx *cx, uint8_t type, const uint8_t *c, size_t avail, int depth)
{
    if (depth > JSONB_MAX_DEPTH)
        return jfail(cx, "nested deeper than %d levels", JSONB_MAX_DEPTH);
    bool large = type == JSONB_LARGE_OBJECT || type == JSONB_LARGE_ARRAY;
    bool object = type == JSONB_SMALL_OBJECT || type == JSONB_LARGE_OBJECT;
    unsigned w = large ? 4 : 2;
    if (avail < 2 * w)
        return jfail(cx, "truncated container header");
    uint64_t count = ri_le_n(c, w), size = ri_le_n(c + w, w);
    if (size > avail || size < 2 * w)
        return jfail(cx, "container of %" PRIu64 " bytes in %zu", size, avail);
    uint64_t key_entries = object ? count * (w + 2) : 0;
    uint64_t value_entries = count * (1 + w);
    if (2 * w + key_entries + value_entries > size)
        return jfail(cx, "container of %" PRIu64 " elements does not fit in %" PRIu64 " bytes",
                     count, size);
    const uint8_t *keys = c + 2 * w, *vals = keys + key_entries;
    StrBuf *o = cx->out;
    strbuf_append_char(o, object ? '{' : '[');
    for (uint64_t i = 0; i < count; i++) {
        if (joutgrown(cx) != 0)
            return -1;
        if (i > 0)
            strbuf_append(o, ", ");
        if (object) {
            const uint8_t *ke = keys + i * (w + 2);
            uint64_t koff = ri_le_n(ke, w), klen = ri_le16(ke + w);
            if (koff > size || klen > size - koff)
                return jfail(cx, "key %" PRIu64 " outside its object", i);
            jstring(cx, c + koff, (size_t) klen);
            strbuf_append(o, ": ");
        }
        const uint8_t *ve = vals + i * (1 + w);
        uint8_t vtype = ve[0];
        const uint8_t *vp = ve + 1;
        bool inlined = vtype == JSONB_LITERAL || vtype == JSONB_INT16 || vtype == JSONB_UINT16 ||
                       (large && (vtype == JSONB_INT32 || vtype == JSONB_UINT32));
        int rc;
        if (inlined) {
            switch (vtype) {
            case JSONB_LITERAL: rc = jliteral(cx, (unsigned) ri_le_n(vp, w)); break;
            case JSONB_INT16: strbuf_appendf(o, "%" PRId64, jsigned(vp, 2)); rc = 0; break;
            case JSONB_UINT16: strbuf_appendf(o, "%u", (unsigned) ri_le16(vp)); rc = 0; break;
            case JSONB_INT32: strbuf_appendf(o, "%" PRId64, jsigned(vp, 4)); rc = 0; break;
            default: strbuf_appendf(o, "%u", (unsigned) ri_le32(vp)); rc = 0; break;
            }
        } else {
            uint64_t voff = ri_le_n(vp, w);
            if (voff >= size)
                return jfail(cx, "value %" PRIu64 " outside its container", i);
            rc = jvalue(cx, vtype, c + voff, (size_t) (size - voff), depth + 1);
        }
        if (rc != 0)
            return -1;
    }
    strbuf_append_char(o, object ? '}' : ']');
    return 0;
}

/* A value of `type` at p, with avail bytes from p to the end of its container. */
static int
jvalue(JsonCtx *cx, uint8_t type, const uint8_t *p, size_t avail, int depth)
{
    static const unsigned sizes[] = {
        [JSONB_LITERAL] = 1, [JSONB_INT16] = 2, [JSONB_UINT16] = 2, [JSONB_INT32] = 4,
        [JSONB_UINT32] = 4, [JSONB_INT64] = 8, [JSONB_UINT64] = 8, [JSONB_DOUBLE] = 8,
    };
    StrBuf *o = cx->out;
    switch (type) {
    case JSONB_SMALL_OBJECT: case JSONB_LARGE_OBJECT:
    case JSONB_SMALL_ARRAY: case JSONB_LARGE_ARRAY:
        return jcontainer(cx, type, p, avail, depth);
    case JSONB_LITERAL: case JSONB_INT16: case JSONB_UINT16: case JSONB_INT32:
    case JSONB_UINT32: case JSONB_INT64: case JSONB_UINT64: case JSONB_DOUBLE:
        if (avail < sizes[type])
            return jfail(cx, "truncated scalar of type 0x%02x", type);
        break;
    case JSONB_STRING: {
        uint32_t len;
        size_t n = jvarlen(p, avail, &len);
        if (n == 0 || len > avail - n)
            return jfail(cx, "truncated string");
        jstring(cx, p + n, len);
        return 0;
    }
    case JSONB_OPAQUE: {
        uint32_t len;
        size_t n = avail > 0 ? jvarlen(p + 1, avail - 1, &len) : 0;
        if (n == 0 || len > avail - 1 - n)
            return jfail(cx, "truncated opaque value");
        return jopaque(cx, p[0], p + 1 + n, len);
    }
    default:
        return jfail(cx, "unknown value type 0x%02x", type);
    }
    switch (type) {
    case JSONB_LITERAL: return jliteral(cx, p[0]);
    case JSONB_INT16: strbuf_appendf(o, "%" PRId64, jsigned(p, 2)); break;
    case JSONB_UINT16: strbuf_appendf(o, "%u", (unsigned) ri_le16(p)); break;
    case JSONB_INT32: strbuf_appendf(o, "%" PRId64, jsigned(p, 4)); break;
    case JSONB_UINT32: strbuf_appendf(o, "%u", (unsigned) ri_le32(p)); break;
    case JSONB_INT64: strbuf_appendf(o, "%" PRId64, jsigned(p, 8)); break;
    case JSONB_UINT64: strbuf_appendf(o, "%" PRIu64, ri_le64(p)); break;
    default: {
        uint64_t u = ri_le64(p);
        double d;
        memcpy(&d, &u, sizeof d);
        if (!isfinite(d))
            return jfail(cx, "a double that is not finite");
        jdouble(cx, d);
        break;
    }
    }
    return 0;
}

int
rowimage_json_to_text(const uint8_t *data, size_t len, StrBuf *out, char *err, size_t errlen)
{
    JsonCtx cx = {.out = out, .out_limit = out->len + JSONB_MAX_GROWTH_SLACK, .doc_len = len, .err = err,
                  .errlen = errlen};
    cx.out_limit += len > (SIZE_MAX - cx.out_limit) / JSONB_MAX_GROWTH ? SIZE_MAX - cx.out_limit
                                                                       : len * JSONB_MAX_GROWTH;
    if (len == 0) {
        strbuf_append(out, "null");
        return 0;
    }
    if (jvalue(&cx, data[0], data + 1, len - 1, 0) != 0)
        return -1;
    return joutgrown(&cx);
}
