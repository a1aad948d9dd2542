/*
 * mysql_rowimage_text.c: the string family of row image values: CHAR, VARCHAR,
 * BINARY, BLOB/TEXT, MariaDB's JSON (text) and compressed columns, ENUM and SET,
 * and MySQL's binary JSON (through mysql_json_binary.c), into the canonical text
 * of mysql_column.h.
 *
 * Character sets: utf8mb4/utf8mb3/ascii pass through after a UTF-8 check; MySQL's
 * latin1 is Windows-1252 and is converted to UTF-8, the five bytes cp1252 leaves
 * undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) becoming U+0081.. as MySQL's own
 * conversion does.  It must never pass on a NUL character or invalid UTF-8:
 * PostgreSQL text cannot hold either, and the error is clearer here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/mysql/mysql_rowimage_internal.h"
#include "util/mem.h"

/* Windows-1252 0x80..0x9F as Unicode code points. */
static const uint16_t cp1252_80[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

/* Returns the offset of the first invalid UTF-8 sequence or NUL in s, or n when none. */
static size_t
utf8_invalid_at(const uint8_t *s, size_t n, bool *is_nul)
{
    size_t i = 0;
    *is_nul = false;
    while (i < n) {
        uint8_t c = s[i];
        if (c >= 0x01 && c < 0x80) {
            i++;
            continue;
        }
        if (c == 0) {
            *is_nul = true;
            return i;
        }
        size_t len;
        uint8_t lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;      /* no UTF-16 surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;      /* nothing above U+10FFFF */
        } else {
            return i;
        }
        if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t k = 2; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
        i += len;
    }
    return n;
}

static int
format_utf8(const RiValue *v, const uint8_t *s, size_t n)
{
    bool nul;
    size_t bad = utf8_invalid_at(s, n, &nul);
    if (bad < n) {
        if (nul)
            return ri_fail(v, "text contains a NUL character (byte %zu), which PostgreSQL "
                              "text cannot hold", bad);
        return ri_fail(v, "invalid UTF-8 at byte %zu (0x%02x)", bad, s[bad]);
    }
    return ri_emit_copy(v, (const char *) s, n);
}

static int
format_latin1(const RiValue *v, const uint8_t *s, size_t n)
{
    if (n > RI_MAX_VALUE_LEN / 3)
        return ri_fail(v, "value of %zu bytes is too large", n);
    char *out = rowarena_alloc(v->arena, 3 * n), *o = out;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == 0) {
            rowarena_shrink(v->arena, out, 3 * n, 0);
            return ri_fail(v, "text contains a NUL character (byte %zu), which PostgreSQL "
                              "text cannot hold", i);
        }
        uint32_t cp = c >= 0x80 && c < 0xA0 ? cp1252_80[c - 0x80] : c;
        if (cp < 0x80) {
            *o++ = (char) cp;
        } else if (cp < 0x800) {
            *o++ = (char) (0xC0 | cp >> 6);
            *o++ = (char) (0x80 | (cp & 0x3F));
        } else {
            *o++ = (char) (0xE0 | cp >> 12);
            *o++ = (char) (0x80 | ((cp >> 6) & 0x3F));
            *o++ = (char) (0x80 | (cp & 0x3F));
        }
    }
    size_t len = (size_t) (o - out);
    rowarena_shrink(v->arena, out, 3 * n, len);
    return ri_set_text(v, out, len);
}

static int
format_hex(const RiValue *v, const uint8_t *s, size_t n, size_t pad_to)
{
    static const char hex[] = "0123456789abcdef";
    size_t total = pad_to > n ? pad_to : n;
    if (total > (RI_MAX_VALUE_LEN - 2) / 2)
        return ri_fail(v, "value of %zu bytes is too large", total);
    char *out = rowarena_alloc(v->arena, 2 + 2 * total), *o = out;
    *o++ = '\\';
    *o++ = 'x';
    for (size_t i = 0; i < n; i++) {
        *o++ = hex[s[i] >> 4];
        *o++ = hex[s[i] & 15];
    }
    for (size_t i = n; i < total; i++) {
        *o++ = '0';
        *o++ = '0';
    }
    return ri_set_text(v, out, 2 + 2 * total);
}

int
ri_format_string(const RiValue *v, const uint8_t *s, size_t n, size_t pad_to)
{
    switch (v->c->kind) {
    case MYV_BYTES:
        return format_hex(v, s, n, v->c->charset == MYCS_BINARY ? pad_to : 0);
    case MYV_TEXT:
    case MYV_JSON:
        switch (v->c->charset) {
        case MYCS_UTF8: return format_utf8(v, s, n);
        case MYCS_LATIN1: return format_latin1(v, s, n);
        case MYCS_BINARY: break;
        }
        return ri_fail(v, "a %s column with the binary character set cannot be read as text",
                       ri_type_name(v->type));
    default:
        return ri_fail(v, "binlog type %s does not match the catalog's kind %s",
                       ri_type_name(v->type), ri_kind_name(v->c->kind));
    }
}

int
ri_format_enum(const RiValue *v, uint64_t index)
{
    if (v->c->kind != MYV_ENUM && v->c->kind != MYV_TEXT)
        return ri_fail(v, "binlog type ENUM does not match the catalog's kind %s",
                       ri_kind_name(v->c->kind));
    if (index == 0)
        return ri_fail(v, "ENUM value 0 (the empty string of an invalid value) has no label");
    if (index > v->c->nlabels)
        return ri_fail(v, "ENUM index %" PRIu64 " beyond the column's %zu labels", index,
                       v->c->nlabels);
    const char *label = v->c->labels[index - 1];
    return ri_emit_copy(v, label, strlen(label));
}

/* True when a text[] element must be double-quoted (PostgreSQL's array_in rules). */
static bool
set_needs_quotes(const char *s)
{
    if (*s == '\0' || strcasecmp(s, "NULL") == 0)
        return true;
    for (; *s; s++)
        if (strchr("{}\",\\ \t\n\r\v\f", *s) != NULL)
            return true;
    return false;
}

int
ri_format_set(const RiValue *v, uint64_t mask, unsigned nbytes)
{
    if (v->c->kind != MYV_SET)
        return ri_fail(v, "binlog type SET does not match the catalog's kind %s",
                       ri_kind_name(v->c->kind));
    size_t nlabels = v->c->nlabels;
    if (nlabels < 64 && (mask >> nlabels) != 0)
        return ri_fail(v, "SET value 0x%0*" PRIx64 " has members beyond the column's %zu labels",
                       (int) nbytes * 2, mask, nlabels);
    size_t cap = 2;
    for (size_t i = 0; i < nlabels && i < 64; i++)
        if (mask >> i & 1)
            cap += 3 + 2 * strlen(v->c->labels[i]);
    char *out = rowarena_alloc(v->arena, cap), *o = out;
    *o++ = '{';
    bool first = true;
    for (size_t i = 0; i < nlabels && i < 64; i++) {
        if (!(mask >> i & 1))
            continue;
        if (!first)
            *o++ = ',';
        first = false;
        const char *label = v->c->labels[i];
        bool quote = set_needs_quotes(label);
        if (quote)
            *o++ = '"';
        for (const char *c = label; *c; c++) {
            if (quote && (*c == '"' || *c == '\\'))
                *o++ = '\\';
            *o++ = *c;
        }
        if (quote)
            *o++ = '"';
    }
    *o++ = '}';
    size_t len = (size_t) (o - out);
    rowarena_shrink(v->arena, out, cap, len);
    return ri_set_text(v, out, len);
}

/*
 * MariaDB's compressed columns (Field_longstr::compress/uncompress, field_comp.cc):
 * an empty value is empty; otherwise a header byte: 0 means the rest is the value
 * as is; 0x80 | (8 when raw deflate) | (bytes of the length) is zlib, followed by
 * the uncompressed length big-endian and the deflated data.
 */
int
ri_format_compressed(const RiValue *v, const uint8_t *s, size_t n, size_t max_len)
{
    if (n == 0)
        return ri_format_string(v, s, 0, 0);
    unsigned h = s[0];
    if (h == 0)
        return ri_format_string(v, s + 1, n - 1, 0);
    unsigned lenlen = h & 0x07;
    if ((h & 0xF0) != 0x80 || lenlen < 1 || lenlen > 4)
        return ri_fail(v, "compressed column with unknown header 0x%02x", h);
    if (n < 1 + lenlen)
        return ri_fail(v, "truncated compressed column value");
    uint64_t ulen = ri_be_n(s + 1, lenlen);
    if (ulen > max_len || ulen > RI_MAX_INFLATED || ulen > RI_INFLATE_BOUND(n))
        return ri_fail(v, "compressed column value of %" PRIu64 " bytes uncompressed, at most "
                          "%zu allowed", ulen, max_len);
    uint8_t *buf = gw_malloc(ulen > 0 ? (size_t) ulen : 1);
    char msg[128];
    int rc;
    if (ri_inflate(s + 1 + lenlen, n - 1 - lenlen, buf, (size_t) ulen, (h & 0x08) ? -15 : 15,
                   msg, sizeof msg) != 0)
        rc = ri_fail(v, "compressed column: %s", msg);
    else
        rc = ri_format_string(v, buf, (size_t) ulen, 0);
    free(buf);
    return rc;
}

int
ri_format_json_binary(const RiValue *v, const uint8_t *s, size_t n)
{
    if (v->c->kind != MYV_JSON && v->c->kind != MYV_TEXT)
        return ri_fail(v, "binlog type JSON does not match the catalog's kind %s",
                       ri_kind_name(v->c->kind));
    StrBuf sb;
    strbuf_init(&sb);
    char msg[200];
    int rc;
    if (rowimage_json_to_text(s, n, &sb, msg, sizeof msg) != 0)
        rc = ri_fail(v, "MySQL binary JSON: %s", msg);
    else
        rc = ri_emit_copy(v, sb.data, sb.len);
    strbuf_free(&sb);
    return rc;
}
