/*
 * mysql_value.c: canonical forms of floats, dates, BIT and SET values (see
 * mysql_value.h).  No I/O; never allocates except through the StrBuf given.
 */
#include "engine/mysql/mysql_value.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool
round_trips(const char *text, double x, bool single)
{
    return single ? strtof(text, NULL) == (float) x : strtod(text, NULL) == x;
}

/*
 * The shortest "%.*e" of x that reads back to x.  For a normal number the
 * search may start at FLT_DIG (DBL_DIG) digits: half an ulp is then smaller
 * than half a unit in the last of that many digits, so x rounded to them is
 * the shortest form padded with zeros, which the caller trims.  A subnormal
 * has fewer bits, and shorter forms: its search starts at one digit.
 */
static void
shortest_e(double x, bool single, char *e, size_t cap)
{
    bool subnormal = x != 0 && fabs(x) < (single ? FLT_MIN : DBL_MIN);
    int first = subnormal ? 1 : single ? FLT_DIG : DBL_DIG;
    int last = single ? 9 : 17;
    for (int n = first; n <= last; n++) {
        snprintf(e, cap, "%.*e", n - 1, x);
        if (round_trips(e, x, single))
            return;
    }
}

/* Lays out digits dig[0..nd) times 10^exp10 as %g would with the precision limit. */
static size_t
layout(char *buf, size_t cap, bool neg, const char *dig, int nd, int exp10, int limit)
{
    char *b = buf;
    if (neg)
        *b++ = '-';
    if (exp10 < -4 || exp10 >= limit) {
        *b++ = dig[0];
        if (nd > 1) {
            *b++ = '.';
            memcpy(b, dig + 1, (size_t) nd - 1);
            b += nd - 1;
        }
        b += snprintf(b, cap - (size_t) (b - buf), "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    } else if (exp10 < 0) {
        *b++ = '0';
        *b++ = '.';
        for (int i = -1; i > exp10; i--)
            *b++ = '0';
        memcpy(b, dig, (size_t) nd);
        b += nd;
    } else {
        for (int i = 0; i <= exp10 || i < nd; i++) {
            if (i == exp10 + 1)
                *b++ = '.';
            *b++ = i < nd ? dig[i] : '0';
        }
    }
    *b = '\0';
    return (size_t) (b - buf);
}

size_t
mysql_value_format_float(double x, bool single, char *buf, size_t cap)
{
    if (isnan(x))
        return (size_t) snprintf(buf, cap, "NaN");
    if (isinf(x))
        return (size_t) snprintf(buf, cap, "%sInfinity", x < 0 ? "-" : "");
    char e[40];
    shortest_e(x, single, e, sizeof e);
    const char *s = e;
    bool neg = *s == '-';
    if (neg)
        s++;
    char dig[24];
    int nd = 0;
    for (; *s && *s != 'e' && nd < (int) sizeof dig; s++)
        if (*s != '.')
            dig[nd++] = *s;
    int exp10 = *s == 'e' ? atoi(s + 1) : 0;
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    if (x == 0)
        exp10 = 0;
    return layout(buf, cap, neg, dig, nd, exp10, single ? FLT_DIG : DBL_DIG);
}

static int
two_digits(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

MyDateCheck
mysql_value_check_date(const char *s, size_t n)
{
    static const int days[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (n < 10 || s[4] != '-' || s[7] != '-')
        return MYDATE_INVALID;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char) s[i]))
            return MYDATE_INVALID;
    int y = two_digits(s) * 100 + two_digits(s + 2), m = two_digits(s + 5), d = two_digits(s + 8);
    if (y == 0 || m == 0 || d == 0)
        return MYDATE_ZERO;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m > 12 || d > days[m] || (m == 2 && d == 29 && !leap))
        return MYDATE_INVALID;
    return MYDATE_OK;
}

void
mysql_value_bits(char *dst, const unsigned char *s, size_t n, int nbits)
{
    for (int k = 0; k < nbits; k++) {
        int bit = nbits - 1 - k;        /* most significant first */
        size_t byte = (size_t) bit / 8;
        dst[k] = byte < n ? (char) ('0' + ((s[n - 1 - byte] >> (bit % 8)) & 1)) : '0';
    }
}

static bool
needs_quotes(const char *label)
{
    if (!*label || !strcasecmp(label, "null"))
        return true;
    for (const char *p = label; *p; p++)
        if (strchr("{}\",\\", *p) || isspace((unsigned char) *p))
            return true;
    return false;
}

static void
append_element(StrBuf *out, const char *label)
{
    if (!needs_quotes(label)) {
        strbuf_append(out, label);
        return;
    }
    strbuf_append_char(out, '"');
    for (const char *p = label; *p; p++) {
        if (*p == '"' || *p == '\\')
            strbuf_append_char(out, '\\');
        strbuf_append_char(out, *p);
    }
    strbuf_append_char(out, '"');
}

int
mysql_value_set_literal(StrBuf *out, const MyColumn *col, uint64_t mask)
{
    if (col->nlabels < 64 && (mask >> col->nlabels) != 0)
        return -1;
    strbuf_append_char(out, '{');
    bool first = true;
    for (size_t i = 0; i < col->nlabels && i < 64; i++) {
        if (!(mask & ((uint64_t) 1 << i)))
            continue;
        if (!first)
            strbuf_append_char(out, ',');
        append_element(out, col->labels[i]);
        first = false;
    }
    strbuf_append_char(out, '}');
    return 0;
}
