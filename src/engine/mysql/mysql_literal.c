/*
 * mysql_literal.c: canonical text -> MySQL literal, per MyValueKind (see
 * mysql_literal.h).  Every parser here reads exactly len bytes, accepts only
 * the forms PostgreSQL prints (and says why anything else is refused), and
 * leaves out untouched when it refuses.
 */
#include "engine/mysql/mysql_literal.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/mysql/mysql_value.h"
#include "util/hex.h"
#include "util/mem.h"

/* MySQL's TIME range, in microseconds: MariaDB allows up to 838:59:59.999999 (Oracle MySQL to .000000). */
#define TIME_MAX_USEC ((838LL * 3600 + 59 * 60 + 59) * 1000000 + 999999)

static int refuse(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
refuse(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

void
mysql_literal_string(StrBuf *out, const char *s, size_t n)
{
    strbuf_append_char(out, '\'');
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\'')
            continue;
        strbuf_append_n(out, s + from, i + 1 - from);
        strbuf_append_char(out, '\'');
        from = i + 1;
    }
    strbuf_append_n(out, s + from, n - from);
    strbuf_append_char(out, '\'');
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Digits from *i on; how many. */
static size_t
skip_digits(const char *s, size_t n, size_t *i)
{
    size_t start = *i;
    while (*i < n && is_digit(s[*i]))
        (*i)++;
    return *i - start;
}

/*
 * A number as SQL may take it: [+-]digits, and unless integer_only a
 * fraction (digits '.' digits, either side may be empty but not both) and
 * an exponent.
 */
static bool
number_ok(const char *s, size_t n, bool integer_only)
{
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    size_t whole = skip_digits(s, n, &i);
    if (integer_only)
        return whole > 0 && i == n;
    size_t frac = 0;
    if (i < n && s[i] == '.') {
        i++;
        frac = skip_digits(s, n, &i);
    }
    if (whole + frac == 0)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        if (skip_digits(s, n, &i) == 0)
            return false;
    }
    return i == n;
}

static bool
is_word(const char *s, size_t n, const char *word)
{
    return n == strlen(word) && !strncasecmp(s, word, n);
}

/* NaN and the infinities, which no MySQL number type stores. */
static bool
not_finite(const char *s, size_t n)
{
    return is_word(s, n, "NaN") || is_word(s, n, "Infinity") || is_word(s, n, "-Infinity") ||
           is_word(s, n, "+Infinity") || is_word(s, n, "inf") || is_word(s, n, "-inf");
}

static int
number_literal(StrBuf *out, const char *s, size_t n, MyValueKind kind, char *err, size_t errlen)
{
    const char *type = kind == MYV_DECIMAL ? "DECIMAL" : kind == MYV_FLOAT ? "FLOAT" : "DOUBLE";
    if (not_finite(s, n))
        return refuse(err, errlen, "MySQL's %s cannot store NaN or infinities", type);
    if (!number_ok(s, n, false))
        return refuse(err, errlen, "not a number (for a %s column)", type);
    if (kind == MYV_DECIMAL) {
        strbuf_append_n(out, s, n);
        return 0;
    }
    char buf[64];
    if (n >= sizeof buf)
        return refuse(err, errlen, "a number too long for a %s column", type);
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (kind == MYV_FLOAT) {
        /*
         * The float's exact value, as a double: the server parses it as a
         * double and narrows it to that very float, where parsing the short
         * text and narrowing might round twice.
         */
        float f = strtof(buf, NULL);
        if (!isfinite(f))
            return refuse(err, errlen, "beyond the range of MySQL's %s", type);
        snprintf(buf, sizeof buf, "%.17g", (double) f);
    } else if (!isfinite(strtod(buf, NULL))) {
        return refuse(err, errlen, "beyond the range of MySQL's %s", type);
    }
    strbuf_append(out, buf);
    /* A double literal, not a DECIMAL one: read with the server's strtod. */
    if (!strpbrk(buf, "eE"))
        strbuf_append(out, "e0");
    return 0;
}

static int
bool_literal(StrBuf *out, const char *s, size_t n, char *err, size_t errlen)
{
    if (n == 1 && (s[0] == 't' || s[0] == 'f')) {
        strbuf_append_char(out, s[0] == 't' ? '1' : '0');
        return 0;
    }
    return refuse(err, errlen, "not a boolean (t or f)");
}

static int
bit_literal(StrBuf *out, const char *s, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '0' && s[i] != '1')
            return refuse(err, errlen, "not a bit string (only 0 and 1)");
    strbuf_append(out, "b'");
    strbuf_append_n(out, s, n);
    strbuf_append_char(out, '\'');
    return 0;
}

/* bytea: "\x0a0b" (hex, what the reader prints), or the escape format ("a\000\\"), read defensively. */
static int
bytes_literal(StrBuf *out, const char *s, size_t n, char *err, size_t errlen)
{
    size_t mark = out->len;
    strbuf_append(out, "X'");
    if (n >= 2 && s[0] == '\\' && s[1] == 'x') {
        if ((n - 2) % 2 != 0)
            goto bad_hex;
        for (size_t i = 2; i < n; i++) {
            int v = hex_digit_value(s[i]);
            if (v < 0)
                goto bad_hex;
            strbuf_append_char(out, hex_lower_digits[v]);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            unsigned byte = (unsigned char) s[i];
            if (s[i] == '\\') {
                if (i + 1 < n && s[i + 1] == '\\') {
                    byte = '\\';
                    i++;
                } else if (i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
                           s[i + 3] >= '0' && s[i + 3] <= '7') {
                    byte = (unsigned) ((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
                    i += 3;
                } else {
                    out->len = mark;
                    out->data[mark] = '\0';
                    return refuse(err, errlen, "not a bytea value (a backslash not followed by \\ or 3 octal"
                                               " digits)");
                }
            }
            strbuf_append_char(out, hex_lower_digits[byte >> 4]);
            strbuf_append_char(out, hex_lower_digits[byte & 15]);
        }
    }
    strbuf_append_char(out, '\'');
    return 0;
bad_hex:
    out->len = mark;
    out->data[mark] = '\0';
    return refuse(err, errlen, "not a bytea hex value (\\x and pairs of hex digits)");
}

/* ---------------------------------------------------------------------------------------------
 * Dates and times.
 */

typedef struct Stamp {
    int year, month, day, hour, minute, second;
    char frac[7];           /* fraction digits as given (up to 6), NUL-terminated; "" for none */
    bool has_offset;
    int offset_s;           /* east of UTC */
} Stamp;

/* Exactly ndigits digits at s[*i]; -1 otherwise. */
static int
fixed_digits(const char *s, size_t n, size_t *i, int ndigits)
{
    int v = 0;
    for (int k = 0; k < ndigits; k++, (*i)++) {
        if (*i >= n || !is_digit(s[*i]))
            return -1;
        v = v * 10 + (s[*i] - '0');
    }
    return v;
}

static int
days_in_month(int y, int m)
{
    static const int days[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m];
}

/* Why a date or timestamp PostgreSQL can hold has no MySQL form; NULL when it looks like one. */
static const char *
unmappable_date(const char *s, size_t n)
{
    if (is_word(s, n, "infinity") || is_word(s, n, "-infinity"))
        return "MySQL has no infinite dates";
    if (n >= 3 && !strncmp(s + n - 3, " BC", 3))
        return "MySQL has no dates before the year 1 (BC)";
    size_t i = 0;
    if (skip_digits(s, n, &i) > 4)
        return "MySQL has no years beyond 9999";
    return NULL;
}

/*
 * "YYYY-MM-DD", then with want_time " HH:MM:SS[.f{1,6}]" and an optional
 * UTC offset "[+-]HH[:MM[:SS]]".
 */
static int
parse_stamp(const char *s, size_t n, bool want_time, Stamp *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    const char *why = unmappable_date(s, n);
    if (why)
        return refuse(err, errlen, "%s", why);
    size_t i = 0;
    t->year = fixed_digits(s, n, &i, 4);
    if (t->year < 0 || i >= n || s[i++] != '-' || (t->month = fixed_digits(s, n, &i, 2)) < 0 || i >= n ||
        s[i++] != '-' || (t->day = fixed_digits(s, n, &i, 2)) < 0)
        goto malformed;
    if (t->month < 1 || t->month > 12 || t->day < 1 || t->day > days_in_month(t->year, t->month) || t->year == 0)
        return refuse(err, errlen, "not a valid date");
    if (!want_time)
        return i == n ? 0 : refuse(err, errlen, "not a date (YYYY-MM-DD)");
    if (i >= n || s[i++] != ' ' || (t->hour = fixed_digits(s, n, &i, 2)) < 0 || i >= n || s[i++] != ':' ||
        (t->minute = fixed_digits(s, n, &i, 2)) < 0 || i >= n || s[i++] != ':' ||
        (t->second = fixed_digits(s, n, &i, 2)) < 0)
        goto malformed;
    if (t->hour > 23 || t->minute > 59 || t->second > 59)
        return refuse(err, errlen, "not a valid time of day");
    if (i < n && s[i] == '.') {
        i++;
        size_t start = i, nd = skip_digits(s, n, &i);
        if (nd == 0 || nd > 6)
            goto malformed;
        memcpy(t->frac, s + start, nd);
        t->frac[nd] = '\0';
    }
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i++] == '-' ? -1 : 1;
        int oh = fixed_digits(s, n, &i, 2), om = 0, os = 0;
        if (oh < 0)
            goto malformed;
        if (i < n && s[i] == ':') {
            i++;
            if ((om = fixed_digits(s, n, &i, 2)) < 0)
                goto malformed;
            if (i < n && s[i] == ':') {
                i++;
                if ((os = fixed_digits(s, n, &i, 2)) < 0)
                    goto malformed;
            }
        }
        if (om > 59 || os > 59)
            goto malformed;
        t->has_offset = true;
        t->offset_s = sign * (oh * 3600 + om * 60 + os);
    }
    if (i != n)
        goto malformed;
    return 0;
malformed:
    return refuse(err, errlen, "not a %s", want_time ? "timestamp (YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]])"
                                                     : "date (YYYY-MM-DD)");
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian), and back (H. Hinnant's algorithms). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int) (doy - (153 * mp + 2) / 5 + 1);
    *m = (int) (mp < 10 ? mp + 3 : mp - 9);
    *y = (int) (yoe + era * 400 + (*m <= 2));
}

/* Moves a timestamp with a UTC offset to UTC. */
static void
to_utc(Stamp *t)
{
    if (!t->has_offset || t->offset_s == 0)
        return;
    int64_t secs = days_from_civil(t->year, t->month, t->day) * 86400 + t->hour * 3600 + t->minute * 60 +
                   t->second - t->offset_s;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rest = secs - days * 86400;
    civil_from_days(days, &t->year, &t->month, &t->day);
    t->hour = (int) (rest / 3600);
    t->minute = (int) (rest % 3600 / 60);
    t->second = (int) (rest % 60);
}

static int
date_literal(StrBuf *out, const char *s, size_t n, char *err, size_t errlen)
{
    Stamp t;
    if (parse_stamp(s, n, false, &t, err, errlen) != 0)
        return -1;
    strbuf_appendf(out, "'%04d-%02d-%02d'", t.year, t.month, t.day);
    return 0;
}

static int
datetime_literal(StrBuf *out, const char *s, size_t n, char *err, size_t errlen)
{
    Stamp t;
    if (parse_stamp(s, n, true, &t, err, errlen) != 0)
        return -1;
    to_utc(&t);
    if (t.year < 1 || t.year > 9999)
        return refuse(err, errlen, "beyond MySQL's years 0001 to 9999 in UTC");
    strbuf_appendf(out, "'%04d-%02d-%02d %02d:%02d:%02d%s%s'", t.year, t.month, t.day, t.hour, t.minute, t.second,
                   t.frac[0] ? "." : "", t.frac);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Intervals (IntervalStyle postgres) as MySQL TIME.
 */

/* A number of at most max_digits digits (no sign); -1 otherwise. */
static int64_t
bounded_number(const char *s, size_t n, size_t *i, size_t max_digits)
{
    size_t start = *i;
    int64_t v = 0;
    while (*i < n && is_digit(s[*i])) {
        if (*i - start >= max_digits)
            return -1;
        v = v * 10 + (s[*i] - '0');
        (*i)++;
    }
    return *i > start ? v : -1;
}

/*
 * "[+-]N year(s)|mon(s)|day(s)" fields, then an optional "[+-]H:MM:SS[.f]";
 * the total in microseconds.  Years and months have no length in time: any
 * that are not zero are refused.
 */
static int
parse_interval(const char *s, size_t n, int64_t *usec, char *err, size_t errlen)
{
    size_t i = 0;
    int64_t days = 0, clock = 0;
    bool any = false, seen_clock = false;
    while (i < n) {
        if (s[i] == ' ' && any) {
            i++;
            continue;
        }
        if (seen_clock)
            goto malformed;
        int sign = 1;
        if (s[i] == '-' || s[i] == '+')
            sign = s[i++] == '-' ? -1 : 1;
        int64_t v = bounded_number(s, n, &i, 9);
        if (v < 0)
            goto malformed;
        any = true;
        if (i < n && s[i] == ':') {
            i++;
            int64_t m = bounded_number(s, n, &i, 2), sec;
            if (m < 0 || m > 59 || i >= n || s[i++] != ':' || (sec = bounded_number(s, n, &i, 2)) < 0 || sec > 59)
                goto malformed;
            int64_t frac = 0;
            if (i < n && s[i] == '.') {
                i++;
                size_t start = i, nd = skip_digits(s, n, &i);
                if (nd == 0 || nd > 6)
                    goto malformed;
                for (size_t k = 0; k < 6; k++)
                    frac = frac * 10 + (k < nd ? s[start + k] - '0' : 0);
            }
            clock = sign * (((v * 60 + m) * 60 + sec) * 1000000 + frac);
            seen_clock = true;
            continue;
        }
        if (i >= n || s[i++] != ' ')
            goto malformed;
        size_t w = i;
        while (i < n && s[i] >= 'a' && s[i] <= 'z')
            i++;
        const char *unit = s + w;
        size_t ul = i - w;
        if (is_word(unit, ul, "day") || is_word(unit, ul, "days")) {
            days += sign * v;
        } else if (is_word(unit, ul, "year") || is_word(unit, ul, "years") || is_word(unit, ul, "mon") ||
                   is_word(unit, ul, "mons")) {
            if (v != 0)
                return refuse(err, errlen, "an interval with years or months has no MySQL TIME form");
        } else {
            goto malformed;
        }
    }
    if (!any)
        goto malformed;
    if (days > 100000 || days < -100000)
        goto range;
    *usec = days * 86400LL * 1000000 + clock;
    if (*usec > TIME_MAX_USEC || *usec < -TIME_MAX_USEC)
        goto range;
    return 0;
range:
    return refuse(err, errlen, "beyond MySQL's TIME range (-838:59:59 to 838:59:59)");
malformed:
    return refuse(err, errlen, "not an interval as PostgreSQL prints it ('1 day 02:03:04', '-01:02:03.5')");
}

static int
time_literal(StrBuf *out, const char *s, size_t n, char *err, size_t errlen)
{
    int64_t usec = 0;
    if (parse_interval(s, n, &usec, err, errlen) != 0)
        return -1;
    bool neg = usec < 0;
    uint64_t u = (uint64_t) (neg ? -usec : usec);
    uint64_t secs = u / 1000000, frac = u % 1000000;
    strbuf_appendf(out, "'%s%" PRIu64 ":%02u:%02u", neg ? "-" : "", secs / 3600, (unsigned) (secs / 60 % 60),
                   (unsigned) (secs % 60));
    if (frac) {
        char f[8];
        snprintf(f, sizeof f, "%06u", (unsigned) frac);
        size_t nd = 6;
        while (nd > 1 && f[nd - 1] == '0')
            nd--;
        strbuf_appendf(out, ".%.*s", (int) nd, f);
    }
    strbuf_append_char(out, '\'');
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * ENUM and SET.
 */

/* The label's position among col->labels; -1 when it is none of them, -2 when the column lists none. */
static long
label_index(const MyColumn *col, const char *s, size_t n)
{
    if (col->nlabels == 0)
        return -2;          /* nothing to check against: the server checks */
    for (size_t i = 0; i < col->nlabels; i++)
        if (strlen(col->labels[i]) == n && !memcmp(col->labels[i], s, n))
            return (long) i;
    return -1;
}

static int
enum_literal(StrBuf *out, const MyColumn *col, const char *s, size_t n, char *err, size_t errlen)
{
    if (label_index(col, s, n) == -1)
        return refuse(err, errlen, "not one of the ENUM's labels");
    mysql_literal_string(out, s, n);
    return 0;
}

/*
 * A one-dimensional text[] literal: '{}', '{a,b}', '{"a b","x\"y"}'.  The
 * members are appended to members, separated by commas: in the column's
 * label order when it lists its labels (as MySQL prints a SET, so that the
 * text compares equal to the column's value), else as given.  NULL members,
 * members with a comma (no MySQL SET member has one) and other shapes are
 * refused.
 */
static int
parse_set_array(const MyColumn *col, const char *s, size_t n, StrBuf *members, char *err, size_t errlen)
{
    if (n < 2 || s[0] != '{' || s[n - 1] != '}')
        return refuse(err, errlen, "not a one-dimensional text[] value ('{a,b}')");
    size_t i = 1, end = n - 1;
    if (i == end)
        return 0;
    bool *chosen = gw_calloc(col->nlabels + 1, sizeof *chosen);
    StrBuf m;
    strbuf_init(&m);
    int rc = 0;
    for (bool first = true;; first = false) {
        strbuf_reset(&m);
        while (i < end && s[i] == ' ')
            i++;
        if (i < end && s[i] == '"') {
            for (i++; i < end && s[i] != '"'; i++) {
                if (s[i] == '\\' && i + 1 < end)
                    i++;
                strbuf_append_char(&m, s[i]);
            }
            if (i >= end) {
                rc = refuse(err, errlen, "not a text[] value: an unterminated quoted member");
                break;
            }
            i++;
            while (i < end && s[i] == ' ')
                i++;
        } else {
            for (; i < end && s[i] != ',' && rc == 0; i++) {
                if (s[i] == '{' || s[i] == '}' || s[i] == '"')
                    rc = refuse(err, errlen, "not a one-dimensional text[] value");
                if (s[i] == '\\' && i + 1 < end)
                    i++;
                strbuf_append_char(&m, s[i]);
            }
            if (rc)
                break;
            while (m.len > 0 && m.data[m.len - 1] == ' ')
                m.data[--m.len] = '\0';
            if (m.len == 0) {
                rc = refuse(err, errlen, "not a text[] value: an empty unquoted member");
                break;
            }
            if (!strcasecmp(m.data, "NULL")) {
                rc = refuse(err, errlen, "a SET cannot hold a NULL member");
                break;
            }
        }
        if (memchr(m.data, ',', m.len)) {
            rc = refuse(err, errlen, "a MySQL SET member cannot contain a comma");
            break;
        }
        long label = label_index(col, m.data, m.len);
        if (label == -1) {
            rc = refuse(err, errlen, "a member that is not one of the SET's labels");
            break;
        }
        if (label >= 0) {
            chosen[label] = true;
        } else {
            if (!first)
                strbuf_append_char(members, ',');
            strbuf_append_n(members, m.data, m.len);
        }
        if (i == end)
            break;
        if (s[i] != ',') {
            rc = refuse(err, errlen, "not a one-dimensional text[] value");
            break;
        }
        i++;
    }
    bool any = members->len > 0;
    for (size_t k = 0; rc == 0 && k < col->nlabels; k++) {
        if (!chosen[k])
            continue;
        if (any)
            strbuf_append_char(members, ',');
        strbuf_append(members, col->labels[k]);
        any = true;
    }
    strbuf_free(&m);
    free(chosen);
    return rc;
}

static int
set_literal(StrBuf *out, const MyColumn *col, const char *s, size_t n, char *err, size_t errlen)
{
    StrBuf members;
    strbuf_init(&members);
    int rc = parse_set_array(col, s, n, &members, err, errlen);
    if (rc == 0)
        mysql_literal_string(out, members.data, members.len);
    strbuf_free(&members);
    return rc;
}

int
mysql_literal_append(StrBuf *out, const MyColumn *col, const char *text, size_t len, char *err, size_t errlen)
{
    switch (col->kind) {
    case MYV_BOOL:
        return bool_literal(out, text, len, err, errlen);
    case MYV_INT:
    case MYV_UINT:
    case MYV_YEAR:
        if (!number_ok(text, len, true))
            return refuse(err, errlen, "not an integer");
        strbuf_append_n(out, text, len);
        return 0;
    case MYV_DECIMAL:
    case MYV_FLOAT:
    case MYV_DOUBLE:
        return number_literal(out, text, len, col->kind, err, errlen);
    case MYV_BIT:
        return bit_literal(out, text, len, err, errlen);
    case MYV_TEXT:
    case MYV_JSON:
        mysql_literal_string(out, text, len);
        return 0;
    case MYV_ENUM:
        return enum_literal(out, col, text, len, err, errlen);
    case MYV_BYTES:
        return bytes_literal(out, text, len, err, errlen);
    case MYV_DATE:
        return date_literal(out, text, len, err, errlen);
    case MYV_DATETIME:
    case MYV_TIMESTAMP:
        return datetime_literal(out, text, len, err, errlen);
    case MYV_TIME:
        return time_literal(out, text, len, err, errlen);
    case MYV_SET:
        return set_literal(out, col, text, len, err, errlen);
    }
    return refuse(err, errlen, "a column kind godwit cannot write");
}
