/*
 * mysql_rowimage_values.c: one value of a row image: how many bytes it takes,
 * by binlog column type and metadata, and which formatter makes its text
 * (mysql_rowimage_numbers.c, mysql_rowimage_temporal.c, mysql_rowimage_text.c).
 *
 * It must never let a value's bytes run past the image: every length prefix and
 * fixed size is checked against the end before the value is touched.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <mysql.h>

#include "engine/mysql/mysql_rowimage_internal.h"

static int
need(const RiValue *v, size_t avail, size_t n)
{
    if (avail < n)
        return ri_fail(v, "truncated row image: %s value needs %zu bytes, %zu left",
                       ri_type_name(v->type), n, avail);
    return 0;
}

int
ri_kind_mismatch(const RiValue *v)
{
    return ri_fail(v, "binlog type %s does not match the catalog's kind %s",
                   ri_type_name(v->type), ri_kind_name(v->c->kind));
}

/* ----------------------------------------------------------------------------
 * The dispatcher
 */

/* The fsp of a column in MariaDB's pre-10.1 temporal format, which the TABLE_MAP does not give. */
static unsigned
col_fsp(const RiValue *v)
{
    return v->c->scale > 0 && v->c->scale <= 6 ? (unsigned) v->c->scale : 0;
}

/* The value's length prefix of `lenlen` bytes: *payload and *plen, *total = prefix + data. */
static int
prefixed(const RiValue *v, const uint8_t *p, size_t avail, unsigned lenlen,
         const uint8_t **payload, size_t *plen, size_t *total)
{
    if (need(v, avail, lenlen) != 0)
        return -1;
    uint64_t n = ri_le_n(p, lenlen);
    if (n > avail - lenlen)
        return ri_fail(v, "truncated row image: %s value of %" PRIu64 " bytes, %zu left",
                       ri_type_name(v->type), n, avail - lenlen);
    *payload = p + lenlen;
    *plen = (size_t) n;
    *total = lenlen + (size_t) n;
    return 0;
}

/* The maximum byte length of a CHAR from its metadata (high bits folded into the type byte). */
static unsigned
string_max_len(uint16_t meta)
{
    unsigned b0 = meta >> 8, b1 = meta & 0xff;
    if ((b0 & 0x30) != 0x30)
        return b1 | (((b0 & 0x30) ^ 0x30) << 4);
    return b1;
}

int
ri_decode_value(const RiValue *v, const uint8_t **pp, const uint8_t *end)
{
    const uint8_t *p = *pp;
    size_t avail = (size_t) (end - p);
    const uint8_t *payload = NULL;
    size_t plen = 0, total = 0;
    unsigned fsp = 0;

    /* First the value's extent: every byte it takes is checked to be there. */
    switch (v->type) {
    case MYSQL_TYPE_TINY: case MYSQL_TYPE_YEAR: total = 1; break;
    case MYSQL_TYPE_SHORT: total = 2; break;
    case MYSQL_TYPE_INT24: case MYSQL_TYPE_DATE: case MYSQL_TYPE_NEWDATE: total = 3; break;
    case MYSQL_TYPE_LONG: case MYSQL_TYPE_FLOAT: total = 4; break;
    case MYSQL_TYPE_LONGLONG: case MYSQL_TYPE_DOUBLE: total = 8; break;
    case MYSQL_TYPE_NEWDECIMAL: total = ri_decimal_size(v->meta >> 8, v->meta & 0xff); break;
    case MYSQL_TYPE_BIT: total = (v->meta >> 8) + ((v->meta & 0xff) ? 1 : 0); break;
    case MYSQL_TYPE_TIME2: fsp = v->meta; total = 3 + (fsp + 1) / 2; break;
    case MYSQL_TYPE_DATETIME2: fsp = v->meta; total = 5 + (fsp + 1) / 2; break;
    case MYSQL_TYPE_TIMESTAMP2: fsp = v->meta; total = 4 + (fsp + 1) / 2; break;
    case MYSQL_TYPE_TIME:
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_TIMESTAMP:
        fsp = col_fsp(v);
        total = ri_old_temporal_size(v->type, fsp);
        break;
    case MYSQL_TYPE_ENUM: case MYSQL_TYPE_SET: total = v->meta & 0xff; break;
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
    case ROWIMAGE_TYPE_VARCHAR_COMPRESSED:
        if (prefixed(v, p, avail, v->meta > 255 ? 2 : 1, &payload, &plen, &total) != 0)
            return -1;
        break;
    case MYSQL_TYPE_STRING:
        if (prefixed(v, p, avail, string_max_len(v->meta) > 255 ? 2 : 1, &payload, &plen,
                     &total) != 0)
            return -1;
        break;
    case MYSQL_TYPE_BLOB: case MYSQL_TYPE_TINY_BLOB: case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB: case MYSQL_TYPE_GEOMETRY: case MYSQL_TYPE_JSON:
    case ROWIMAGE_TYPE_BLOB_COMPRESSED:
        if (prefixed(v, p, avail, v->meta, &payload, &plen, &total) != 0)
            return -1;
        break;
    default:
        return ri_fail(v, "unsupported type %s (%u)", ri_type_name(v->type), v->type);
    }
    if (need(v, avail, total) != 0)
        return -1;
    *pp = p + total;
    if (v->c->generated) {
        v->out->kind = VALUE_UNCHANGED;
        return 0;
    }

    /* Then its text. */
    switch (v->type) {
    case MYSQL_TYPE_TINY: return ri_format_integer(v, p, 1);
    case MYSQL_TYPE_SHORT: return ri_format_integer(v, p, 2);
    case MYSQL_TYPE_INT24: return ri_format_integer(v, p, 3);
    case MYSQL_TYPE_LONG: return ri_format_integer(v, p, 4);
    case MYSQL_TYPE_LONGLONG: return ri_format_integer(v, p, 8);
    case MYSQL_TYPE_NEWDECIMAL: return ri_format_decimal(v, p);
    case MYSQL_TYPE_FLOAT: return ri_format_float(v, p, true);
    case MYSQL_TYPE_DOUBLE: return ri_format_float(v, p, false);
    case MYSQL_TYPE_BIT: return ri_format_bit(v, p, (unsigned) total);
    case MYSQL_TYPE_YEAR: return ri_format_year(v, p);
    case MYSQL_TYPE_DATE: case MYSQL_TYPE_NEWDATE: return ri_format_date(v, p);
    case MYSQL_TYPE_TIME2: return ri_format_time2(v, p, fsp);
    case MYSQL_TYPE_DATETIME2: return ri_format_datetime2(v, p, fsp);
    case MYSQL_TYPE_TIMESTAMP2: return ri_format_timestamp2(v, p, fsp);
    case MYSQL_TYPE_TIME: return ri_format_old_time(v, p, fsp);
    case MYSQL_TYPE_DATETIME: return ri_format_old_datetime(v, p, fsp);
    case MYSQL_TYPE_TIMESTAMP: return ri_format_old_timestamp(v, p, fsp);
    case MYSQL_TYPE_ENUM: return ri_format_enum(v, ri_le_n(p, (unsigned) total));
    case MYSQL_TYPE_SET: return ri_format_set(v, ri_le_n(p, (unsigned) total), (unsigned) total);
    case MYSQL_TYPE_STRING:
        return ri_format_string(v, payload, plen, string_max_len(v->meta));
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_BLOB: case MYSQL_TYPE_TINY_BLOB: case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
        return ri_format_string(v, payload, plen, 0);
    case ROWIMAGE_TYPE_VARCHAR_COMPRESSED:
        return ri_format_compressed(v, payload, plen, v->meta > 0 ? v->meta - 1u : 0);
    case ROWIMAGE_TYPE_BLOB_COMPRESSED:
        return ri_format_compressed(v, payload, plen,
                                    v->meta >= 4 ? UINT32_MAX : ((size_t) 1 << (8 * v->meta)) - 1);
    case MYSQL_TYPE_JSON: return ri_format_json_binary(v, payload, plen);
    case MYSQL_TYPE_GEOMETRY:
        /* Only as bytes (--type-map to bytea): the server's own format, as a SELECT gives it. */
        if (v->c->kind != MYV_BYTES)
            return ri_fail(v, "unsupported type GEOMETRY");
        return ri_format_string(v, payload, plen, 0);
    default:
        return ri_fail(v, "unsupported type %s (%u)", ri_type_name(v->type), v->type);
    }
}
