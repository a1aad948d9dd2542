/*
 * mysql_rowimage_numbers.c: the numeric values of a row image: integers (by the
 * catalog's kind: signed, unsigned, TINYINT(1) boolean), DECIMAL, FLOAT, DOUBLE
 * and BIT, into the canonical text of mysql_column.h.
 *
 * Layouts (checked against events recorded from MariaDB 10.11):
 *   integers, FLOAT, DOUBLE      little-endian two's complement / IEEE 754
 *   NEWDECIMAL                   MySQL's binary decimal: groups of 9 digits in 4
 *                                big-endian bytes (fewer for the leading and trailing
 *                                partial groups), sign bit flipped, all bytes inverted
 *                                when negative
 *   BIT                          big-endian, (bits + 7) / 8 bytes
 *
 * It must never print a number it could not decode exactly: a decimal group of
 * ten digits is an error, not a rounded value; floats print in the fewest digits
 * that read back to the same bits, and DECIMAL never goes through floating point.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "engine/mysql/mysql_rowimage_internal.h"
#include "engine/mysql/mysql_value.h"

const uint32_t ri_pow10[10] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
};

int
ri_format_integer(const RiValue *v, const uint8_t *p, unsigned n)
{
    uint64_t u = ri_le_n(p, n);
    int64_t s = ri_sign_extend(u, 8 * n);
    char buf[24];
    int len;
    switch (v->c->kind) {
    case MYV_INT:
        len = snprintf(buf, sizeof buf, "%" PRId64, s);
        break;
    case MYV_UINT:
        len = snprintf(buf, sizeof buf, "%" PRIu64, u);
        break;
    case MYV_BOOL:
        if (u > 1)
            return ri_fail(v, "value %" PRId64 " is not a boolean (0 or 1)", s);
        return ri_emit_copy(v, u ? "t" : "f", 1);
    default:
        return ri_kind_mismatch(v);
    }
    return ri_emit_copy(v, buf, (size_t) len);
}

static const unsigned dig2bytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};

size_t
ri_decimal_size(unsigned prec, unsigned scale)
{
    unsigned intg = prec - scale;
    return (intg / 9) * 4 + dig2bytes[intg % 9] + (scale / 9) * 4 + dig2bytes[scale % 9];
}

/* Writes the group at *p (nbytes, holding ndigits digits) zero-padded to ndigits. */
static bool
decimal_group(const uint8_t **p, unsigned nbytes, unsigned ndigits, char **out)
{
    uint64_t g = ri_be_n(*p, nbytes);
    *p += nbytes;
    if (g >= ri_pow10[ndigits])
        return false;
    for (unsigned i = ndigits; i > 0; i--) {
        (*out)[i - 1] = (char) ('0' + g % 10);
        g /= 10;
    }
    *out += ndigits;
    return true;
}

int
ri_decimal_text(const uint8_t *src, unsigned prec, unsigned scale, char *buf, char *err,
                size_t errlen)
{
    if (prec < 1 || prec > 65 || scale > 30 || scale > prec) {
        snprintf(err, errlen, "DECIMAL(%u,%u) is not a valid decimal type", prec, scale);
        return -1;
    }
    unsigned intg = prec - scale;
    size_t size = ri_decimal_size(prec, scale);
    uint8_t bin[40];        /* 65 digits take at most 30 bytes */
    memcpy(bin, src, size);
    bool neg = !(bin[0] & 0x80);
    bin[0] ^= 0x80;
    if (neg)
        for (size_t i = 0; i < size; i++)
            bin[i] ^= 0xff;

    char digits[80], *d = digits;
    const uint8_t *p = bin;
    bool ok = true;
    if (intg % 9)
        ok = decimal_group(&p, dig2bytes[intg % 9], intg % 9, &d);
    for (unsigned i = 0; ok && i < intg / 9; i++)
        ok = decimal_group(&p, 4, 9, &d);
    char *frac = d;
    for (unsigned i = 0; ok && i < scale / 9; i++)
        ok = decimal_group(&p, 4, 9, &d);
    if (ok && scale % 9)
        ok = decimal_group(&p, dig2bytes[scale % 9], scale % 9, &d);
    if (!ok) {
        snprintf(err, errlen, "corrupt DECIMAL(%u,%u) value (a group has too many digits)",
                 prec, scale);
        return -1;
    }

    /* The integer digits without leading zeros (at least one), then the fraction. */
    const char *ip = digits;
    while (ip < frac && *ip == '0')
        ip++;
    bool zero = true;
    for (const char *q = digits; q < d; q++)
        if (*q != '0')
            zero = false;
    char *b = buf;
    if (neg && !zero)
        *b++ = '-';
    if (ip == frac) {
        *b++ = '0';
    } else {
        memcpy(b, ip, (size_t) (frac - ip));
        b += frac - ip;
    }
    if (scale > 0) {
        *b++ = '.';
        memcpy(b, frac, scale);
        b += scale;
    }
    *b = '\0';
    return (int) (b - buf);
}

int
ri_format_decimal(const RiValue *v, const uint8_t *src)
{
    char buf[RI_DECIMAL_TEXT_MAX], msg[128];
    int n = ri_decimal_text(src, v->meta >> 8, v->meta & 0xff, buf, msg, sizeof msg);
    if (n < 0)
        return ri_fail(v, "%s", msg);
    return ri_emit_copy(v, buf, (size_t) n);
}

int
ri_format_float(const RiValue *v, const uint8_t *p, bool single)
{
    if (v->c->kind != MYV_FLOAT && v->c->kind != MYV_DOUBLE)
        return ri_kind_mismatch(v);
    double x;
    if (single) {
        uint32_t u = ri_le32(p);
        float f;
        memcpy(&f, &u, sizeof f);
        x = f;
    } else {
        uint64_t u = ri_le64(p);
        memcpy(&x, &u, sizeof x);
    }
    char buf[48];
    size_t n = mysql_value_format_float(x, single, buf, sizeof buf);
    return ri_emit_copy(v, buf, n);
}

int
ri_format_bit(const RiValue *v, const uint8_t *p, unsigned nbytes)
{
    if (v->c->kind != MYV_BIT)
        return ri_kind_mismatch(v);
    unsigned nbits = (v->meta >> 8) * 8 + (v->meta & 0xff);
    char *b = rowarena_alloc(v->arena, nbits);
    for (unsigned k = 0; k < nbits; k++) {
        unsigned bit = nbits - 1 - k;      /* most significant first */
        b[k] = (char) ('0' + ((p[nbytes - 1 - bit / 8] >> (bit % 8)) & 1));
    }
    return ri_set_text(v, b, nbits);
}
