/*
 * predicate_decimal.c: exact decimal numbers for phase predicates (see
 * predicate_internal.h): read from literals and row values, compared by
 * value, rendered as plain decimals for SQL.
 *
 * This file must never convert a number to floating point (the SQL side
 * compares exact decimals, so the evaluator must too), and reading a number
 * never allocates (predicate_eval runs for every change event).
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/predicate_internal.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* Reads the exponent digits after 'e'; false if absent or beyond DEC_MAX_EXP. */
static bool
dec_read_exponent(const char *s, size_t n, size_t *i, int64_t *exp)
{
    bool negative = false;
    if (*i < n && (s[*i] == '+' || s[*i] == '-'))
        negative = s[(*i)++] == '-';
    if (*i >= n || !is_digit(s[*i]))
        return false;
    int64_t e = 0;
    while (*i < n && is_digit(s[*i])) {
        e = e * 10 + (s[(*i)++] - '0');
        if (e > DEC_MAX_EXP)
            return false;
    }
    *exp = negative ? -e : e;
    return true;
}

/* Reads exactly the n bytes at s as a number (no surrounding spaces). */
bool
dec_read(const char *s, size_t n, DecNum *out)
{
    memset(out, 0, sizeof *out);
    out->kind = DEC_FINITE;
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        out->negative = s[i++] == '-';
    if (word_is(s + i, n - i, "nan")) {
        out->kind = DEC_NAN;
        return i == 0;   /* PostgreSQL has no signed NaN */
    }
    if (word_is(s + i, n - i, "infinity") || word_is(s + i, n - i, "inf")) {
        out->kind = out->negative ? DEC_NEG_INF : DEC_POS_INF;
        return true;
    }
    out->int_digits = s + i;
    while (i < n && is_digit(s[i]))
        i++;
    out->int_len = (size_t) (s + i - out->int_digits);
    if (i < n && s[i] == '.')
        i++;
    out->frac_digits = s + i;
    while (i < n && is_digit(s[i]))
        i++;
    out->frac_len = (size_t) (s + i - out->frac_digits);
    if (out->int_len + out->frac_len == 0)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (!dec_read_exponent(s, n, &i, &out->exp))
            return false;
    }
    return i == n;
}

/* Reads a NUL-terminated text as a number, ignoring surrounding spaces as
 * PostgreSQL's numeric input does. */
bool
dec_read_text(const char *s, DecNum *out)
{
    size_t n = strlen(s);
    while (n > 0 && is_space(*s)) {
        s++;
        n--;
    }
    while (n > 0 && is_space(s[n - 1]))
        n--;
    return dec_read(s, n, out);
}

/* The k-th digit of int_digits||frac_digits, '0' past the end. */
static char
dec_digit(const DecNum *d, size_t k)
{
    if (k < d->int_len)
        return d->int_digits[k];
    k -= d->int_len;
    return k < d->frac_len ? d->frac_digits[k] : '0';
}

/* Index of the first nonzero digit; false if the number is zero. */
static bool
dec_lead(const DecNum *d, size_t *lead)
{
    size_t len = d->int_len + d->frac_len;
    for (size_t k = 0; k < len; k++) {
        if (dec_digit(d, k) != '0') {
            *lead = k;
            return true;
        }
    }
    return false;
}

/*
 * Compares |a| and |b|, both nonzero.  Written as 0.D * 10^adj with D
 * starting at the first nonzero digit, the larger adj wins, and equal adj
 * leaves a digit-by-digit comparison where missing digits count as zeros;
 * that is what makes "1.50" equal "1.5" and "1e2" equal "100".
 */
static int
dec_compare_magnitude(const DecNum *a, size_t lead_a, const DecNum *b, size_t lead_b)
{
    int64_t adj_a = (int64_t) a->int_len + a->exp - (int64_t) lead_a;
    int64_t adj_b = (int64_t) b->int_len + b->exp - (int64_t) lead_b;
    if (adj_a != adj_b)
        return adj_a < adj_b ? -1 : 1;
    size_t rest_a = a->int_len + a->frac_len - lead_a;
    size_t rest_b = b->int_len + b->frac_len - lead_b;
    size_t rest = rest_a > rest_b ? rest_a : rest_b;
    for (size_t k = 0; k < rest; k++) {
        char da = k < rest_a ? dec_digit(a, lead_a + k) : '0';
        char db = k < rest_b ? dec_digit(b, lead_b + k) : '0';
        if (da != db)
            return da < db ? -1 : 1;
    }
    return 0;
}

static int
dec_compare_finite(const DecNum *a, const DecNum *b)
{
    size_t lead_a = 0, lead_b = 0;
    int sign_a = !dec_lead(a, &lead_a) ? 0 : a->negative ? -1 : 1;
    int sign_b = !dec_lead(b, &lead_b) ? 0 : b->negative ? -1 : 1;
    if (sign_a != sign_b)
        return sign_a < sign_b ? -1 : 1;
    if (sign_a == 0)
        return 0;
    int mag = dec_compare_magnitude(a, lead_a, b, lead_b);
    return sign_a < 0 ? -mag : mag;
}

int
dec_compare(const DecNum *a, const DecNum *b)
{
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    return a->kind == DEC_FINITE ? dec_compare_finite(a, b) : 0;
}

/*
 * Renders a finite number as a plain decimal without exponent: MySQL reads
 * 1e5 as a DOUBLE, which would make the SQL side inexact.  The scale written
 * is kept ("100.50" stays), leading zeros go, and zero loses its sign.
 */
char *
dec_render_plain(const DecNum *d)
{
    StrBuf sb;
    strbuf_init(&sb);
    size_t lead;
    int64_t len = (int64_t) (d->int_len + d->frac_len);
    int64_t point = (int64_t) d->int_len + d->exp;
    if (d->negative && dec_lead(d, &lead))
        strbuf_append_char(&sb, '-');
    bool any = false;
    for (int64_t k = 0; k < point; k++) {
        char c = dec_digit(d, (size_t) k);
        if (!any && c == '0')
            continue;
        any = true;
        strbuf_append_char(&sb, c);
    }
    if (!any)
        strbuf_append_char(&sb, '0');
    if (point < len)
        strbuf_append_char(&sb, '.');
    for (int64_t k = point; k < len; k++)
        strbuf_append_char(&sb, k < 0 ? '0' : dec_digit(d, (size_t) k));
    return strbuf_take(&sb);
}

bool
predicate_number_compare(const char *a, const char *b, int *cmp)
{
    DecNum da, db;
    if (!dec_read_text(a, &da) || !dec_read_text(b, &db))
        return false;
    *cmp = dec_compare(&da, &db);
    return true;
}

