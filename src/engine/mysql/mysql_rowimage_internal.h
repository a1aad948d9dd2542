/*
 * mysql_rowimage_internal.h: what the files of the row image decoder share
 * (mysql_rowimage*.c, mysql_json_binary.c).  Not for other modules: they use
 * mysql_rowimage.h.
 *
 * Every multi-byte read goes through the byte-assembling readers below, never
 * through a cast to a wider pointer, so unaligned and big-endian-host reads are
 * both fine.  Callers check the length before calling them.
 */
#ifndef GW_MYSQL_ROWIMAGE_INTERNAL_H
#define GW_MYSQL_ROWIMAGE_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "engine/mysql/mysql_rowimage.h"

/* The largest value the decoder produces: ChangeValue.len is 32 bits. */
#define RI_MAX_VALUE_LEN ((size_t) UINT32_MAX)
/* The largest uncompressed rows event or column accepted (MySQL's max_allowed_packet limit). */
#define RI_MAX_INFLATED (1024u * 1024u * 1024u)
/*
 * Deflate cannot expand data more than 1032 times: a stated length beyond that is corrupt, and
 * is refused before anything is allocated for it.
 */
#define RI_INFLATE_BOUND(src_len) ((uint64_t) (src_len) * 1032u + 64u)

static inline uint32_t ri_le16(const uint8_t *p) { return (uint32_t) p[0] | (uint32_t) p[1] << 8; }
static inline uint32_t ri_le24(const uint8_t *p) { return ri_le16(p) | (uint32_t) p[2] << 16; }
static inline uint32_t ri_le32(const uint8_t *p) { return ri_le24(p) | (uint32_t) p[3] << 24; }
static inline uint64_t ri_le64(const uint8_t *p)
{
    return (uint64_t) ri_le32(p) | (uint64_t) ri_le32(p + 4) << 32;
}
/* Little-endian unsigned of n (0..8) bytes. */
static inline uint64_t ri_le_n(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i > 0; i--)
        v = v << 8 | p[i - 1];
    return v;
}
/* Big-endian unsigned of n (0..8) bytes. */
static inline uint64_t ri_be_n(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* The low `bits` (1..64) bits of u as a two's complement number, without implementation-defined
 * conversions. */
static inline int64_t ri_sign_extend(uint64_t u, unsigned bits)
{
    uint64_t m = (uint64_t) 1 << (bits - 1);
    if (bits < 64)
        u &= (m << 1) - 1;
    if (u & m)
        return -(int64_t) (~u & (m - 1)) - 1;
    return (int64_t) u;
}

/* 10^0 .. 10^9 */
extern const uint32_t ri_pow10[10];

/* One value being decoded: where it goes and what describes it. */
typedef struct RiValue {
    uint32_t col;
    uint8_t type;           /* RowImageTable.types[col] */
    uint16_t meta;          /* RowImageTable.meta[col] */
    const MyColumn *c;
    RowArena *arena;
    ChangeValue *out;
    RowImageError *err;
} RiValue;

/* Fills v->err about v's column; returns -1. */
int ri_fail(const RiValue *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Fills err (column -1 unless given); returns -1. */
int ri_error(RowImageError *err, int column, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets v->out to the n bytes at s (already in the arena). */
int ri_set_text(const RiValue *v, const char *s, size_t n) GW_MUST_CHECK;
/* Copies n bytes into the arena and sets v->out to them. */
int ri_emit_copy(const RiValue *v, const char *s, size_t n) GW_MUST_CHECK;
const char *ri_type_name(uint8_t type);
const char *ri_kind_name(MyValueKind kind);

/*
 * Decodes the value of v's column at *pp (bounded by end): steps over its bytes
 * and fills v->out (VALUE_TEXT, VALUE_NULL for a zero date that is to be NULL,
 * or VALUE_UNCHANGED for a generated column).  mysql_rowimage_values.c.
 */
int ri_decode_value(const RiValue *v, const uint8_t **pp, const uint8_t *end) GW_MUST_CHECK;

/* Fills v->err: the binlog type of v does not match the catalog's kind; returns -1. */
int ri_kind_mismatch(const RiValue *v);

/*
 * The numeric family (mysql_rowimage_numbers.c) and the temporal one
 * (mysql_rowimage_temporal.c): p points at the value's bytes, whose number the
 * dispatcher has checked (n bytes of an integer, nbytes of a BIT, the fraction
 * bytes fsp implies).  MariaDB's pre-10.1 TIME/DATETIME/TIMESTAMP take their fsp
 * from the catalog; ri_old_temporal_size() says how many bytes they take.
 */
int ri_format_integer(const RiValue *v, const uint8_t *p, unsigned n) GW_MUST_CHECK;
int ri_format_decimal(const RiValue *v, const uint8_t *p) GW_MUST_CHECK;
int ri_format_float(const RiValue *v, const uint8_t *p, bool single) GW_MUST_CHECK;
int ri_format_bit(const RiValue *v, const uint8_t *p, unsigned nbytes) GW_MUST_CHECK;
int ri_format_year(const RiValue *v, const uint8_t *p) GW_MUST_CHECK;
int ri_format_date(const RiValue *v, const uint8_t *p) GW_MUST_CHECK;
int ri_format_time2(const RiValue *v, const uint8_t *p, unsigned fsp) GW_MUST_CHECK;
int ri_format_datetime2(const RiValue *v, const uint8_t *p, unsigned fsp) GW_MUST_CHECK;
int ri_format_timestamp2(const RiValue *v, const uint8_t *p, unsigned fsp) GW_MUST_CHECK;
int ri_format_old_time(const RiValue *v, const uint8_t *p, unsigned fsp) GW_MUST_CHECK;
int ri_format_old_datetime(const RiValue *v, const uint8_t *p, unsigned fsp) GW_MUST_CHECK;
int ri_format_old_timestamp(const RiValue *v, const uint8_t *p, unsigned fsp) GW_MUST_CHECK;
unsigned ri_old_temporal_size(uint8_t type, unsigned fsp);

/*
 * The string family (mysql_rowimage_text.c): s/n are the value's bytes after its
 * length prefix.  ri_format_string handles CHAR/VARCHAR/BLOB/TEXT/JSON-as-text
 * by kind (MYV_TEXT, MYV_JSON, MYV_BYTES); pad_to > n pads MYV_BYTES of charset
 * binary with 0x00.  ri_format_enum/ri_format_set take the stored index/bitmask.
 * ri_format_compressed inflates a MariaDB compressed column first.
 */
int ri_format_string(const RiValue *v, const uint8_t *s, size_t n, size_t pad_to) GW_MUST_CHECK;
int ri_format_enum(const RiValue *v, uint64_t index) GW_MUST_CHECK;
int ri_format_set(const RiValue *v, uint64_t mask, unsigned nbytes) GW_MUST_CHECK;
int ri_format_compressed(const RiValue *v, const uint8_t *s, size_t n, size_t max_len) GW_MUST_CHECK;
int ri_format_json_binary(const RiValue *v, const uint8_t *s, size_t n) GW_MUST_CHECK;

/*
 * MySQL's binary DECIMAL(prec, scale): its size in bytes, and its text ("-0.50",
 * exactly `scale` fraction digits, no "-" on zero) written NUL-terminated into buf
 * (RI_DECIMAL_TEXT_MAX bytes); returns the length, or -1 with a message in err.
 * mysql_rowimage_numbers.c.
 */
#define RI_DECIMAL_TEXT_MAX 72
size_t ri_decimal_size(unsigned prec, unsigned scale);
int ri_decimal_text(const uint8_t *src, unsigned prec, unsigned scale, char *buf, char *err,
                    size_t errlen) GW_MUST_CHECK;

/*
 * Inflates src into exactly dst_len bytes at dst (mysql_rowimage_zlib.c).  wbits as
 * zlib's inflateInit2: 15 for a zlib stream, -15 for raw deflate.  Returns 0, or
 * -1 with a message in err when the data is corrupt, shorter or longer than
 * dst_len, or zlib is not available.
 */
int ri_inflate(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len, int wbits,
               char *err, size_t errlen) GW_MUST_CHECK;

#endif
