/*
 * mysql_rowimage.c: the row image decoder's frame: errors and names, TABLE_MAP
 * metadata, and one row image (its NULL bitmap, then its values).  The arena is
 * in mysql_rowimage_arena.c, rows events in mysql_rowimage_rows.c, the values in
 * mysql_rowimage_values.c and the files it dispatches to.
 *
 * It must never read outside the bytes it is given: every length taken from an
 * event is checked against the end of the event before it is used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "engine/mysql/mysql_rowimage_internal.h"
#include "util/mem.h"

/* ----------------------------------------------------------------------------
 * Errors and names
 */

int
ri_error(RowImageError *err, int column, const char *fmt, ...)
{
    va_list ap;
    err->column = column;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

int
ri_fail(const RiValue *v, const char *fmt, ...)
{
    va_list ap;
    v->err->column = (int) v->col;
    va_start(ap, fmt);
    vsnprintf(v->err->message, sizeof v->err->message, fmt, ap);
    va_end(ap);
    return -1;
}

const char *
ri_type_name(uint8_t type)
{
    switch (type) {
    case MYSQL_TYPE_DECIMAL: return "DECIMAL (old)";
    case MYSQL_TYPE_TINY: return "TINYINT";
    case MYSQL_TYPE_SHORT: return "SMALLINT";
    case MYSQL_TYPE_LONG: return "INT";
    case MYSQL_TYPE_FLOAT: return "FLOAT";
    case MYSQL_TYPE_DOUBLE: return "DOUBLE";
    case MYSQL_TYPE_NULL: return "NULL";
    case MYSQL_TYPE_TIMESTAMP: return "TIMESTAMP";
    case MYSQL_TYPE_LONGLONG: return "BIGINT";
    case MYSQL_TYPE_INT24: return "MEDIUMINT";
    case MYSQL_TYPE_DATE: return "DATE";
    case MYSQL_TYPE_TIME: return "TIME";
    case MYSQL_TYPE_DATETIME: return "DATETIME";
    case MYSQL_TYPE_YEAR: return "YEAR";
    case MYSQL_TYPE_NEWDATE: return "DATE (newdate)";
    case MYSQL_TYPE_VARCHAR: return "VARCHAR";
    case MYSQL_TYPE_BIT: return "BIT";
    case MYSQL_TYPE_TIMESTAMP2: return "TIMESTAMP2";
    case MYSQL_TYPE_DATETIME2: return "DATETIME2";
    case MYSQL_TYPE_TIME2: return "TIME2";
    case ROWIMAGE_TYPE_BLOB_COMPRESSED: return "BLOB COMPRESSED";
    case ROWIMAGE_TYPE_VARCHAR_COMPRESSED: return "VARCHAR COMPRESSED";
    case MYSQL_TYPE_JSON: return "JSON";
    case MYSQL_TYPE_NEWDECIMAL: return "DECIMAL";
    case MYSQL_TYPE_ENUM: return "ENUM";
    case MYSQL_TYPE_SET: return "SET";
    case MYSQL_TYPE_TINY_BLOB: return "TINYBLOB";
    case MYSQL_TYPE_MEDIUM_BLOB: return "MEDIUMBLOB";
    case MYSQL_TYPE_LONG_BLOB: return "LONGBLOB";
    case MYSQL_TYPE_BLOB: return "BLOB";
    case MYSQL_TYPE_VAR_STRING: return "VAR_STRING";
    case MYSQL_TYPE_STRING: return "CHAR";
    case MYSQL_TYPE_GEOMETRY: return "GEOMETRY";
    default: return "unknown";
    }
}

const char *
ri_kind_name(MyValueKind kind)
{
    static const char *const names[] = {
        [MYV_INT] = "integer", [MYV_UINT] = "unsigned integer", [MYV_BOOL] = "boolean",
        [MYV_DECIMAL] = "decimal", [MYV_FLOAT] = "float", [MYV_DOUBLE] = "double",
        [MYV_BIT] = "bit", [MYV_TEXT] = "text", [MYV_BYTES] = "bytes", [MYV_DATE] = "date",
        [MYV_DATETIME] = "datetime", [MYV_TIMESTAMP] = "timestamp", [MYV_TIME] = "time",
        [MYV_YEAR] = "year", [MYV_ENUM] = "enum", [MYV_SET] = "set", [MYV_JSON] = "json",
    };
    if ((unsigned) kind < sizeof names / sizeof names[0] && names[kind])
        return names[kind];
    return "unknown";
}

int
ri_set_text(const RiValue *v, const char *s, size_t n)
{
    if (n > RI_MAX_VALUE_LEN)
        return ri_fail(v, "value of %zu bytes is too large", n);
    v->out->kind = VALUE_TEXT;
    v->out->data = s;
    v->out->len = (uint32_t) n;
    return 0;
}

int
ri_emit_copy(const RiValue *v, const char *s, size_t n)
{
    char *d = rowarena_alloc(v->arena, n);
    if (n > 0)
        memcpy(d, s, n);
    return ri_set_text(v, d, n);
}

/* ----------------------------------------------------------------------------
 * TABLE_MAP metadata
 */

/* Bytes of TABLE_MAP metadata a column type has; -1 for a type we cannot size. */
static int
meta_size(uint8_t type)
{
    switch (type) {
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_NULL:
    case MYSQL_TYPE_TIMESTAMP:
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE:
    case MYSQL_TYPE_TIME:
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_YEAR:
        return 0;
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE:
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_GEOMETRY:
    case MYSQL_TYPE_JSON:
    case MYSQL_TYPE_TIMESTAMP2:
    case MYSQL_TYPE_DATETIME2:
    case MYSQL_TYPE_TIME2:
    case ROWIMAGE_TYPE_BLOB_COMPRESSED:
        return 1;
    case MYSQL_TYPE_NEWDECIMAL:
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_ENUM:
    case MYSQL_TYPE_SET:
    case MYSQL_TYPE_BIT:
    case ROWIMAGE_TYPE_VARCHAR_COMPRESSED:
        return 2;
    default:
        return -1;
    }
}

/* Checks one column's metadata (already packed) and resolves CHAR/ENUM/SET. */
static int
table_check_column(RowImageTable *t, uint32_t i, char *err, size_t errlen)
{
    uint8_t type = t->types[i];
    uint16_t m = t->meta[i];
    switch (type) {
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE:
        if (m != (type == MYSQL_TYPE_FLOAT ? 4 : 8))
            goto bad;
        break;
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_GEOMETRY:
    case MYSQL_TYPE_JSON:
    case ROWIMAGE_TYPE_BLOB_COMPRESSED:
        if (m < 1 || m > 4)
            goto bad;
        break;
    case MYSQL_TYPE_TIMESTAMP2:
    case MYSQL_TYPE_DATETIME2:
    case MYSQL_TYPE_TIME2:
        if (m > 6)
            goto bad;
        break;
    case MYSQL_TYPE_NEWDECIMAL: {
        unsigned prec = m >> 8, scale = m & 0xff;
        if (prec < 1 || prec > 65 || scale > 30 || scale > prec)
            goto bad;
        break;
    }
    case MYSQL_TYPE_BIT:
        if ((m & 0xff) > 7 || (m >> 8) > 8 || m == 0 || ((m >> 8) == 8 && (m & 0xff) != 0))
            goto bad;
        break;
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_ENUM:
    case MYSQL_TYPE_SET: {
        unsigned b0 = m >> 8, b1 = m & 0xff;
        unsigned real = (b0 & 0x30) != 0x30 ? (b0 | 0x30) : b0;
        if (real == MYSQL_TYPE_ENUM) {
            if (b1 != 1 && b1 != 2)
                goto bad;
        } else if (real == MYSQL_TYPE_SET) {
            if (b1 < 1 || b1 > 8)
                goto bad;
        } else if (real != MYSQL_TYPE_STRING) {
            snprintf(err, errlen, "column %u: CHAR column of unsupported real type %u", i + 1, real);
            return -1;
        }
        t->types[i] = (uint8_t) real;
        break;
    }
    default:
        break;
    }
    return 0;
bad:
    snprintf(err, errlen, "column %u: invalid metadata 0x%04x for a %s column", i + 1, m,
             ri_type_name(type));
    return -1;
}

int
rowimage_table_init(RowImageTable *out, const uint8_t *types, uint32_t ncols,
                    const uint8_t *metadata, size_t metadata_len, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (ncols == 0 || ncols > 4096 || types == NULL || (metadata == NULL && metadata_len > 0)) {
        snprintf(err, errlen, "TABLE_MAP with %u columns", ncols);
        return -1;
    }
    RowImageTable t = {.ncols = ncols};
    t.types = gw_malloc(ncols);
    t.meta = gw_calloc(ncols, sizeof *t.meta);
    memcpy(t.types, types, ncols);
    size_t off = 0;
    for (uint32_t i = 0; i < ncols; i++) {
        int n = meta_size(types[i]);
        if (n < 0) {
            snprintf(err, errlen, "column %u: unsupported column type %u", i + 1, types[i]);
            goto fail;
        }
        if (metadata_len - off < (size_t) n) {
            snprintf(err, errlen, "TABLE_MAP metadata too short (%zu bytes) at column %u",
                     metadata_len, i + 1);
            goto fail;
        }
        const uint8_t *m = n > 0 ? metadata + off : NULL;
        off += (size_t) n;
        switch (types[i]) {
        case MYSQL_TYPE_VARCHAR:
        case MYSQL_TYPE_VAR_STRING:
        case ROWIMAGE_TYPE_VARCHAR_COMPRESSED:
            t.meta[i] = (uint16_t) ri_le16(m);
            break;
        case MYSQL_TYPE_BIT:
            t.meta[i] = (uint16_t) (m[0] | m[1] << 8);
            break;
        default:
            t.meta[i] = n == 0 ? 0 : n == 1 ? m[0] : (uint16_t) (m[0] << 8 | m[1]);
            break;
        }
        if (table_check_column(&t, i, err, errlen) != 0)
            goto fail;
    }
    if (off != metadata_len) {
        snprintf(err, errlen, "TABLE_MAP metadata has %zu bytes, the columns use %zu",
                 metadata_len, off);
        goto fail;
    }
    *out = t;
    return 0;
fail:
    rowimage_table_free(&t);
    return -1;
}

void
rowimage_table_free(RowImageTable *t)
{
    free(t->types);
    free(t->meta);
    memset(t, 0, sizeof *t);
}

/* ----------------------------------------------------------------------------
 * One row image
 */

static inline bool
bit_is_set(const uint8_t *bits, uint32_t i)
{
    return (bits[i / 8] >> (i % 8)) & 1;
}

int
rowimage_decode(const RowImageTable *t, const MyColumn *cols, const uint8_t *present,
                const uint8_t **p, const uint8_t *end, RowArena *arena, ChangeValue *values,
                RowImageError *err)
{
    const uint8_t *q = *p;
    uint32_t npresent = 0;
    for (uint32_t i = 0; i < t->ncols; i++)
        npresent += bit_is_set(present, i);
    size_t nbytes = (npresent + 7) / 8;
    if (q > end || (size_t) (end - q) < nbytes)
        return ri_error(err, -1, "truncated row image: NULL bitmap needs %zu bytes, %td left",
                        nbytes, end - q);
    const uint8_t *nulls = q;
    q += nbytes;

    uint32_t k = 0;
    for (uint32_t i = 0; i < t->ncols; i++) {
        ChangeValue *out = &values[i];
        out->data = NULL;
        out->len = 0;
        if (!bit_is_set(present, i)) {
            out->kind = VALUE_UNCHANGED;
            continue;
        }
        if (bit_is_set(nulls, k++)) {
            out->kind = VALUE_NULL;
            continue;
        }
        RiValue v = {
            .col = i, .type = t->types[i], .meta = t->meta[i], .c = &cols[i],
            .arena = arena, .out = out, .err = err,
        };
        if (ri_decode_value(&v, &q, end) != 0)
            return -1;
    }
    *p = q;
    return 0;
}
