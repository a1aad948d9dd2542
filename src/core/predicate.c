/*
 * predicate.c: parser, SQL renderer and three-valued evaluator for phase
 * predicates (see predicate.h for the language and the semantics).
 *
 * This file must never convert a number to floating point (the SQL side
 * compares exact decimals, so the evaluator must too), never allocate inside
 * predicate_eval (it runs for every change event), and never recurse deeper
 * than the nesting the parser admitted (PREDICATE_MAX_DEPTH).
 */
#include "core/predicate.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"
#include "util/strbuf.h"

/* ------------------------------------------------------------------ */
/* Exact decimal numbers                                                */
/* ------------------------------------------------------------------ */

/* Declared in sort order: -Infinity < finite < Infinity < NaN (PostgreSQL). */
typedef enum DecKind { DEC_NEG_INF, DEC_FINITE, DEC_POS_INF, DEC_NAN } DecKind;

/*
 * A number as written: its digits are int_digits followed by frac_digits and
 * its value is those digits * 10^(exp - frac_len).  It points into the text
 * it was read from, so reading one never allocates.
 */
typedef struct DecNum {
    DecKind kind;
    bool negative;
    const char *int_digits;
    size_t int_len;
    const char *frac_digits;
    size_t frac_len;
    int64_t exp;
} DecNum;

/* Row values may carry float exponents (1e+308).  Past this bound position
 * arithmetic could overflow, and no engine writes such numbers. */
#define DEC_MAX_EXP 1000000000
/* Literals are rendered as plain decimals, so their exponent bounds the SQL
 * length. */
#define DEC_MAX_LITERAL_EXP 1000

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool
word_is(const char *s, size_t n, const char *word)
{
    return n == strlen(word) && strncasecmp(s, word, n) == 0;
}

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
static bool
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
static bool
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

static int
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
static char *
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

/* ------------------------------------------------------------------ */
/* The tree                                                             */
/* ------------------------------------------------------------------ */

typedef enum PredOp { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } PredOp;
typedef enum NodeKind { NODE_AND, NODE_OR, NODE_NOT, NODE_CMP, NODE_IN, NODE_IS_NULL } NodeKind;
typedef enum LitKind { LIT_NULL, LIT_NUMBER, LIT_STRING, LIT_TRUE, LIT_FALSE } LitKind;

typedef struct Literal {
    LitKind kind;
    char *text;   /* plain decimal for numbers, the value for strings, else NULL */
} Literal;

typedef struct Node {
    NodeKind kind;
    PredOp op;        /* NODE_CMP, with the column on the left */
    bool negated;     /* NOT IN, IS NOT NULL */
    size_t column;    /* tests: index into columns */
    size_t first;     /* AND/OR: into kids; NOT: the child node; CMP/IN: into lits */
    size_t count;
} Node;

/* Nodes refer to each other by index into flat arrays, so freeing is a
 * handful of loops and n-ary AND/OR keep long chains from nesting deeply. */
struct Predicate {
    Node *nodes;
    size_t n_nodes, cap_nodes;
    size_t *kids;
    size_t n_kids, cap_kids;
    Literal *lits;
    size_t n_lits, cap_lits;
    char **columns;
    size_t n_columns, cap_columns;
    size_t root;
};

#define NO_NODE SIZE_MAX

static size_t
predicate_add_node(Predicate *p, Node node)
{
    gw_grow((void **) &p->nodes, &p->cap_nodes, p->n_nodes + 1, sizeof *p->nodes);
    p->nodes[p->n_nodes] = node;
    return p->n_nodes++;
}

static size_t
predicate_add_literal(Predicate *p, LitKind kind, char *text)
{
    gw_grow((void **) &p->lits, &p->cap_lits, p->n_lits + 1, sizeof *p->lits);
    p->lits[p->n_lits] = (Literal) {.kind = kind, .text = text};
    return p->n_lits++;
}

/* Takes ownership of name; a column seen before keeps its first index. */
static size_t
predicate_add_column(Predicate *p, char *name)
{
    for (size_t i = 0; i < p->n_columns; i++) {
        if (strcmp(p->columns[i], name) == 0) {
            free(name);
            return i;
        }
    }
    gw_grow((void **) &p->columns, &p->cap_columns, p->n_columns + 1, sizeof *p->columns);
    p->columns[p->n_columns] = name;
    return p->n_columns++;
}

void
predicate_free(Predicate *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_lits; i++)
        free(p->lits[i].text);
    for (size_t i = 0; i < p->n_columns; i++)
        free(p->columns[i]);
    free(p->nodes);
    free(p->kids);
    free(p->lits);
    free(p->columns);
    free(p);
}

size_t
predicate_column_count(const Predicate *p)
{
    return p->n_columns;
}

const char *
predicate_column(const Predicate *p, size_t i)
{
    return i < p->n_columns ? p->columns[i] : NULL;
}

/* ------------------------------------------------------------------ */
/* Lexer                                                                */
/* ------------------------------------------------------------------ */

typedef enum TokKind {
    TOK_END, TOK_ERROR, TOK_IDENT, TOK_QIDENT, TOK_NUMBER, TOK_STRING,
    TOK_TRUE, TOK_FALSE, TOK_NULL, TOK_AND, TOK_OR, TOK_NOT, TOK_IN, TOK_IS,
    TOK_OP, TOK_LPAREN, TOK_RPAREN, TOK_COMMA,
} TokKind;

typedef struct Token {
    TokKind kind;
    PredOp op;      /* TOK_OP */
    size_t start;   /* byte offsets into the text */
    size_t end;
} Token;

typedef struct Parser {
    const char *text;
    size_t pos;        /* where the next token starts scanning */
    Token tok;         /* the current token */
    Predicate *pred;
    char *err;
    size_t errlen;
    bool failed;
    int depth;
} Parser;

/* 1-based position in characters, because users count characters, not the
 * bytes of a UTF-8 encoding. */
static size_t
text_char_position(const char *text, size_t byte)
{
    size_t chars = 1;
    for (size_t i = 0; i < byte; i++)
        if (((unsigned char) text[i] & 0xC0) != 0x80)
            chars++;
    return chars;
}

/* Records the first error only: later ones are consequences of it. */
static void parser_fail(Parser *P, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
parser_fail(Parser *P, size_t at, const char *fmt, ...)
{
    if (P->failed)
        return;
    P->failed = true;
    P->tok.kind = TOK_ERROR;
    if (!P->err || P->errlen == 0)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(P->err, P->errlen, "at position %zu: %s", text_char_position(P->text, at), msg);
}

/* Copies at most about 40 bytes of s for a message, never splitting a UTF-8
 * character and turning control characters into spaces so the message stays
 * one line. */
static void
text_excerpt(const char *s, size_t len, char *buf, size_t size)
{
    size_t max = size - 4;
    size_t n = len;
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = ((unsigned char) s[i] < 0x20 || s[i] == 0x7f) ? ' ' : s[i];
    strcpy(buf + n, n < len ? "..." : "");
}

/* Describes the current token for "found ...": quoted tokens as written,
 * others in single quotes. */
static void
parser_describe_token(const Parser *P, char *buf, size_t size)
{
    const Token *t = &P->tok;
    if (t->kind == TOK_END) {
        snprintf(buf, size, "end of input");
        return;
    }
    char excerpt[48];
    text_excerpt(P->text + t->start, t->end - t->start, excerpt, sizeof excerpt);
    bool quoted = t->kind == TOK_STRING || t->kind == TOK_QIDENT;
    snprintf(buf, size, quoted ? "%s" : "'%s'", excerpt);
}

static void
parser_expected(Parser *P, const char *what)
{
    char found[64];
    parser_describe_token(P, found, sizeof found);
    parser_fail(P, P->tok.start, "expected %s, found %s", what, found);
}

/* Returns the byte offset of the first invalid UTF-8 sequence, or SIZE_MAX.
 * Overlong forms and surrogates are refused: they must not reach SQL. */
static size_t
utf8_find_invalid(const char *text)
{
    const unsigned char *s = (const unsigned char *) text;
    size_t i = 0;
    while (s[i]) {
        unsigned char c = s[i];
        size_t n = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2
                 : c >= 0xF0 && c <= 0xF4 ? 3 : SIZE_MAX;
        if (n == SIZE_MAX)
            return i;
        unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
        unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
        for (size_t k = 1; k <= n; k++) {
            unsigned char b = s[i + k];
            if (k == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80)
                return i;
        }
        i += n + 1;
    }
    return SIZE_MAX;
}

static bool
is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (unsigned char) c >= 0x80;
}

static bool
is_ident_char(char c)
{
    return is_ident_start(c) || is_digit(c);
}

/* Scans a quoted token starting at P->pos; the quote doubles to escape
 * itself.  Returns false at the end of input. */
static bool
lex_quoted(Parser *P, char quote)
{
    size_t i = P->pos + 1;
    for (;;) {
        if (P->text[i] == '\0')
            return false;
        if (P->text[i] == quote) {
            if (P->text[i + 1] != quote)
                break;
            i++;
        }
        i++;
    }
    P->pos = i + 1;
    return true;
}

static void
lex_string(Parser *P)
{
    P->tok.kind = TOK_STRING;
    if (!lex_quoted(P, '\''))
        parser_fail(P, P->tok.start, "unterminated string, expected a closing '");
}

static void
lex_quoted_ident(Parser *P)
{
    P->tok.kind = TOK_QIDENT;
    if (!lex_quoted(P, '"'))
        parser_fail(P, P->tok.start, "unterminated quoted column name, expected a closing \"");
    else if (P->pos - P->tok.start == 2)
        parser_fail(P, P->tok.start, "empty quoted column name");
}

/*
 * A number token runs over every character that could continue a word, so
 * that "12abc" or "1.2.3" is one bad number rather than a number followed by
 * something confusing.
 */
static void
lex_number(Parser *P)
{
    const char *s = P->text;
    size_t i = P->pos;
    if (s[i] == '+' || s[i] == '-')
        i++;
    while (is_ident_char(s[i]) || s[i] == '.'
           || ((s[i] == '+' || s[i] == '-') && (s[i - 1] == 'e' || s[i - 1] == 'E')))
        i++;
    P->pos = i;
    P->tok.kind = TOK_NUMBER;
    int len = (int) (i - P->tok.start);
    DecNum d;
    if (!dec_read(s + P->tok.start, i - P->tok.start, &d) || d.kind != DEC_FINITE)
        parser_fail(P, P->tok.start, "bad number '%.*s'", len, s + P->tok.start);
    else if (d.exp > DEC_MAX_LITERAL_EXP || d.exp < -DEC_MAX_LITERAL_EXP)
        parser_fail(P, P->tok.start, "number '%.*s' has an exponent beyond +-%d", len,
                    s + P->tok.start, DEC_MAX_LITERAL_EXP);
}

static void
lex_word(Parser *P)
{
    static const struct { const char *word; TokKind kind; } keywords[] = {
        {"and", TOK_AND}, {"or", TOK_OR}, {"not", TOK_NOT}, {"in", TOK_IN}, {"is", TOK_IS},
        {"null", TOK_NULL}, {"true", TOK_TRUE}, {"false", TOK_FALSE},
    };
    while (is_ident_char(P->text[P->pos]))
        P->pos++;
    P->tok.kind = TOK_IDENT;
    const char *w = P->text + P->tok.start;
    size_t n = P->pos - P->tok.start;
    for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
        if (word_is(w, n, keywords[k].word))
            P->tok.kind = keywords[k].kind;
}

static void
lex_operator(Parser *P)
{
    static const struct { const char *text; PredOp op; } ops[] = {
        {"=", OP_EQ}, {"<>", OP_NE}, {"!=", OP_NE}, {"<", OP_LT},
        {"<=", OP_LE}, {">", OP_GT}, {">=", OP_GE},
    };
    while (P->text[P->pos] && strchr("<>=!", P->text[P->pos]))
        P->pos++;
    const char *w = P->text + P->tok.start;
    size_t n = P->pos - P->tok.start;
    P->tok.kind = TOK_OP;
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        if (n == strlen(ops[k].text) && memcmp(w, ops[k].text, n) == 0) {
            P->tok.op = ops[k].op;
            return;
        }
    }
    parser_fail(P, P->tok.start, "unknown operator '%.*s', expected one of = <> != < <= > >=",
                (int) n, w);
}

static bool
starts_number(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    return is_digit(*s) || (*s == '.' && is_digit(s[1]));
}

/* Moves to the next token.  After an error the token stays TOK_ERROR. */
static void
parser_advance(Parser *P)
{
    if (P->failed)
        return;
    while (is_space(P->text[P->pos]))
        P->pos++;
    P->tok.start = P->pos;
    char c = P->text[P->pos];
    if (c == '\0')
        P->tok.kind = TOK_END;
    else if (c == '(' || c == ')' || c == ',') {
        P->tok.kind = c == '(' ? TOK_LPAREN : c == ')' ? TOK_RPAREN : TOK_COMMA;
        P->pos++;
    } else if (c == '\'')
        lex_string(P);
    else if (c == '"')
        lex_quoted_ident(P);
    else if (strchr("<>=!", c))
        lex_operator(P);
    else if (starts_number(P->text + P->pos))
        lex_number(P);
    else if (is_ident_start(c))
        lex_word(P);
    else if ((unsigned char) c < 0x20 || c == 0x7f)
        parser_fail(P, P->pos, "unexpected control character 0x%02x", (unsigned) c);
    else
        parser_fail(P, P->pos, "unexpected character '%c'", c);
    P->tok.end = P->pos;
}

/* ------------------------------------------------------------------ */
/* Parser                                                               */
/* ------------------------------------------------------------------ */

/* Removes the quotes around a quoted token and undoubles inner quotes. */
static char *
token_unquote(const Parser *P, char quote)
{
    const char *s = P->text + P->tok.start + 1;
    size_t n = P->tok.end - P->tok.start - 2;
    char *out = gw_malloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        out[o++] = s[i];
        if (s[i] == quote)
            i++;
    }
    out[o] = '\0';
    return out;
}

static bool
token_is_column(const Token *t)
{
    return t->kind == TOK_IDENT || t->kind == TOK_QIDENT;
}

static bool
token_is_literal(const Token *t)
{
    return t->kind == TOK_NUMBER || t->kind == TOK_STRING || t->kind == TOK_TRUE
        || t->kind == TOK_FALSE || t->kind == TOK_NULL;
}

/* Adds the current column token to the predicate and advances past it. */
static size_t
parser_take_column(Parser *P)
{
    char *name;
    if (P->tok.kind == TOK_QIDENT) {
        name = token_unquote(P, '"');
    } else {
        name = gw_strndup(P->text + P->tok.start, P->tok.end - P->tok.start);
        for (char *c = name; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char) (*c - 'A' + 'a');
    }
    parser_advance(P);
    return predicate_add_column(P->pred, name);
}

/* Adds the current literal token to the predicate and advances past it. */
static size_t
parser_take_literal(Parser *P)
{
    LitKind kind = LIT_NULL;
    char *text = NULL;
    if (P->tok.kind == TOK_NUMBER) {
        DecNum d;
        (void) dec_read(P->text + P->tok.start, P->tok.end - P->tok.start, &d);   /* lexer checked */
        kind = LIT_NUMBER;
        text = dec_render_plain(&d);
    } else if (P->tok.kind == TOK_STRING) {
        kind = LIT_STRING;
        text = token_unquote(P, '\'');
    } else if (P->tok.kind == TOK_TRUE || P->tok.kind == TOK_FALSE) {
        kind = P->tok.kind == TOK_TRUE ? LIT_TRUE : LIT_FALSE;
    }
    parser_advance(P);
    return predicate_add_literal(P->pred, kind, text);
}

static const char *
op_text(PredOp op)
{
    static const char *const text[] = {"=", "<>", "<", "<=", ">", ">="};
    return text[op];
}

/* 5 < id means id > 5: the tree always has the column on the left. */
static PredOp
op_flip(PredOp op)
{
    switch (op) {
    case OP_LT: return OP_GT;
    case OP_LE: return OP_GE;
    case OP_GT: return OP_LT;
    case OP_GE: return OP_LE;
    default: return op;
    }
}

/* Refuses `= NULL`: SQL makes it never true, so a phase using it would
 * silently select nothing. */
static bool
parser_refuse_null_comparison(Parser *P, PredOp op)
{
    if (P->tok.kind != TOK_NULL)
        return false;
    parser_fail(P, P->tok.start,
                "a comparison with NULL is never true; write IS NULL or IS NOT NULL instead of '%s' NULL",
                op_text(op));
    return true;
}

static size_t
parser_parse_comparison(Parser *P, size_t column)
{
    PredOp op = P->tok.op;
    char what[64];
    snprintf(what, sizeof what, "a literal after '%.*s'", (int) (P->tok.end - P->tok.start),
             P->text + P->tok.start);
    parser_advance(P);
    if (!token_is_literal(&P->tok)) {
        parser_expected(P, what);
        return NO_NODE;
    }
    if (parser_refuse_null_comparison(P, op))
        return NO_NODE;
    size_t lit = parser_take_literal(P);
    return predicate_add_node(P->pred, (Node) {.kind = NODE_CMP, .op = op, .column = column,
                                               .first = lit, .count = 1});
}

/* Parses "(lit, ...)" after IN; the literals land contiguously in lits. */
static size_t
parser_parse_in_list(Parser *P, size_t column, bool negated)
{
    parser_advance(P);
    if (P->tok.kind != TOK_LPAREN) {
        parser_expected(P, "'(' after IN");
        return NO_NODE;
    }
    parser_advance(P);
    size_t first = P->pred->n_lits;
    for (;;) {
        if (!token_is_literal(&P->tok)) {
            parser_expected(P, "a literal in the IN list");
            return NO_NODE;
        }
        parser_take_literal(P);
        if (P->tok.kind == TOK_RPAREN)
            break;
        if (P->tok.kind != TOK_COMMA) {
            parser_expected(P, "',' or ')' in the IN list");
            return NO_NODE;
        }
        parser_advance(P);
    }
    parser_advance(P);
    return predicate_add_node(P->pred, (Node) {.kind = NODE_IN, .negated = negated, .column = column,
                                               .first = first, .count = P->pred->n_lits - first});
}

static size_t
parser_parse_is_null(Parser *P, size_t column)
{
    parser_advance(P);
    bool negated = P->tok.kind == TOK_NOT;
    if (negated)
        parser_advance(P);
    if (P->tok.kind != TOK_NULL) {
        parser_expected(P, negated ? "NULL after IS NOT" : "NULL or NOT NULL after IS");
        return NO_NODE;
    }
    parser_advance(P);
    return predicate_add_node(P->pred, (Node) {.kind = NODE_IS_NULL, .negated = negated,
                                               .column = column});
}

/* What may follow a column: op literal, [NOT] IN (...), IS [NOT] NULL. */
static size_t
parser_parse_column_test(Parser *P)
{
    char what[96];
    char name[48];
    text_excerpt(P->text + P->tok.start, P->tok.end - P->tok.start, name, sizeof name);
    size_t column = parser_take_column(P);
    switch (P->tok.kind) {
    case TOK_OP:
        return parser_parse_comparison(P, column);
    case TOK_IN:
        return parser_parse_in_list(P, column, false);
    case TOK_IS:
        return parser_parse_is_null(P, column);
    case TOK_NOT:
        parser_advance(P);
        if (P->tok.kind == TOK_IN)
            return parser_parse_in_list(P, column, true);
        parser_expected(P, "IN after NOT");
        return NO_NODE;
    default:
        snprintf(what, sizeof what, "an operator, IN, NOT IN or IS after column %s", name);
        parser_expected(P, what);
        return NO_NODE;
    }
}

/* literal op column, stored as column flipped-op literal. */
static size_t
parser_parse_literal_test(Parser *P)
{
    if (P->tok.kind == TOK_NULL) {
        parser_fail(P, P->tok.start, "a comparison with NULL is never true; write column IS NULL");
        return NO_NODE;
    }
    size_t lit = parser_take_literal(P);
    if (P->tok.kind != TOK_OP) {
        parser_expected(P, "a comparison operator after the literal");
        return NO_NODE;
    }
    PredOp op = op_flip(P->tok.op);
    parser_advance(P);
    if (!token_is_column(&P->tok)) {
        parser_expected(P, "a column name after the operator (one side must be a column)");
        return NO_NODE;
    }
    size_t column = parser_take_column(P);
    return predicate_add_node(P->pred, (Node) {.kind = NODE_CMP, .op = op, .column = column,
                                               .first = lit, .count = 1});
}

static size_t parser_parse_or(Parser *P);

static bool
parser_enter(Parser *P)
{
    if (++P->depth <= PREDICATE_MAX_DEPTH)
        return true;
    parser_fail(P, P->tok.start, "nesting deeper than %d levels of parentheses and NOT",
                PREDICATE_MAX_DEPTH);
    return false;
}

static size_t
parser_parse_parens(Parser *P)
{
    size_t open = P->tok.start;
    if (!parser_enter(P))
        return NO_NODE;
    parser_advance(P);
    size_t inner = parser_parse_or(P);
    if (inner == NO_NODE)
        return NO_NODE;
    if (P->tok.kind != TOK_RPAREN) {
        char what[64];
        snprintf(what, sizeof what, "')' to close the '(' at position %zu",
                 text_char_position(P->text, open));
        parser_expected(P, what);
        return NO_NODE;
    }
    parser_advance(P);
    P->depth--;
    return inner;
}

static size_t
parser_parse_not(Parser *P)
{
    if (P->tok.kind == TOK_NOT) {
        if (!parser_enter(P))
            return NO_NODE;
        parser_advance(P);
        size_t child = parser_parse_not(P);
        if (child == NO_NODE)
            return NO_NODE;
        P->depth--;
        return predicate_add_node(P->pred, (Node) {.kind = NODE_NOT, .first = child, .count = 1});
    }
    if (P->tok.kind == TOK_LPAREN)
        return parser_parse_parens(P);
    if (token_is_column(&P->tok))
        return parser_parse_column_test(P);
    if (token_is_literal(&P->tok))
        return parser_parse_literal_test(P);
    parser_expected(P, "a condition (column op literal, NOT or '(')");
    return NO_NODE;
}

/*
 * Parses sub { sep sub } into one n-ary node.  Chains stay flat so that a
 * long generated "a = 1 OR a = 2 OR ..." never turns into deep recursion.
 */
static size_t
parser_parse_chain(Parser *P, TokKind sep, NodeKind kind, size_t (*sub)(Parser *))
{
    size_t first = sub(P);
    if (first == NO_NODE || P->tok.kind != sep)
        return first;
    size_t *kids = NULL, n = 0, cap = 0;
    gw_grow((void **) &kids, &cap, 1, sizeof *kids);
    kids[n++] = first;
    while (P->tok.kind == sep) {
        parser_advance(P);
        size_t next = sub(P);
        if (next == NO_NODE) {
            free(kids);
            return NO_NODE;
        }
        gw_grow((void **) &kids, &cap, n + 1, sizeof *kids);
        kids[n++] = next;
    }
    Predicate *p = P->pred;
    gw_grow((void **) &p->kids, &p->cap_kids, p->n_kids + n, sizeof *p->kids);
    memcpy(p->kids + p->n_kids, kids, n * sizeof *kids);
    free(kids);
    size_t node = predicate_add_node(p, (Node) {.kind = kind, .first = p->n_kids, .count = n});
    p->n_kids += n;
    return node;
}

static size_t
parser_parse_and(Parser *P)
{
    return parser_parse_chain(P, TOK_AND, NODE_AND, parser_parse_not);
}

static size_t
parser_parse_or(Parser *P)
{
    return parser_parse_chain(P, TOK_OR, NODE_OR, parser_parse_and);
}

Predicate *
predicate_parse(const char *text, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    Parser P = {.text = text, .err = err, .errlen = errlen};
    P.pred = gw_calloc(1, sizeof *P.pred);
    size_t bad = utf8_find_invalid(text);
    if (bad != SIZE_MAX)
        parser_fail(&P, bad, "invalid UTF-8");
    parser_advance(&P);
    P.pred->root = parser_parse_or(&P);
    if (!P.failed && P.tok.kind == TOK_RPAREN)
        parser_fail(&P, P.tok.start, "found ')' without a matching '('");
    if (!P.failed && P.tok.kind != TOK_END)
        parser_expected(&P, "AND, OR or end of input");
    if (P.failed) {
        predicate_free(P.pred);
        return NULL;
    }
    return P.pred;
}

/* ------------------------------------------------------------------ */
/* SQL rendering                                                        */
/* ------------------------------------------------------------------ */

static void
sql_append_owned(StrBuf *sb, char *s)
{
    strbuf_append(sb, s);
    free(s);
}

static void
sql_append_literal(StrBuf *sb, const Literal *lit, const PredicateSqlDialect *d)
{
    switch (lit->kind) {
    case LIT_NULL: strbuf_append(sb, "NULL"); break;
    case LIT_TRUE: strbuf_append(sb, "TRUE"); break;
    case LIT_FALSE: strbuf_append(sb, "FALSE"); break;
    case LIT_NUMBER: strbuf_append(sb, lit->text); break;
    case LIT_STRING: sql_append_owned(sb, d->quote_literal(lit->text, d->ctx)); break;
    }
}

static void
sql_append_test(StrBuf *sb, const Predicate *p, const Node *n, const PredicateSqlDialect *d)
{
    strbuf_append_char(sb, '(');
    sql_append_owned(sb, d->quote_ident(p->columns[n->column], d->ctx));
    if (n->kind == NODE_IS_NULL) {
        strbuf_append(sb, n->negated ? " IS NOT NULL)" : " IS NULL)");
        return;
    }
    if (n->kind == NODE_CMP) {
        strbuf_appendf(sb, " %s ", op_text(n->op));
        sql_append_literal(sb, &p->lits[n->first], d);
        strbuf_append_char(sb, ')');
        return;
    }
    strbuf_append(sb, n->negated ? " NOT IN (" : " IN (");
    for (size_t i = 0; i < n->count; i++) {
        if (i)
            strbuf_append(sb, ", ");
        sql_append_literal(sb, &p->lits[n->first + i], d);
    }
    strbuf_append(sb, "))");
}

static void
sql_append_node(StrBuf *sb, const Predicate *p, size_t idx, const PredicateSqlDialect *d)
{
    const Node *n = &p->nodes[idx];
    switch (n->kind) {
    case NODE_AND:
    case NODE_OR:
        strbuf_append_char(sb, '(');
        for (size_t i = 0; i < n->count; i++) {
            if (i)
                strbuf_append(sb, n->kind == NODE_AND ? " AND " : " OR ");
            sql_append_node(sb, p, p->kids[n->first + i], d);
        }
        strbuf_append_char(sb, ')');
        break;
    case NODE_NOT:
        strbuf_append(sb, "(NOT ");
        sql_append_node(sb, p, n->first, d);
        strbuf_append_char(sb, ')');
        break;
    default:
        sql_append_test(sb, p, n, d);
        break;
    }
}

char *
predicate_to_sql(const Predicate *p, const PredicateSqlDialect *d)
{
    StrBuf sb;
    strbuf_init(&sb);
    sql_append_node(&sb, p, p->root, d);
    return strbuf_take(&sb);
}

/* ------------------------------------------------------------------ */
/* Evaluation                                                           */
/* ------------------------------------------------------------------ */

typedef struct EvalState {
    const Predicate *pred;
    PredicateLookup lookup;
    void *ctx;
    const char *missing;
} EvalState;

static PredicateTruth
truth_of(bool b)
{
    return b ? PRED_TRUE : PRED_FALSE;
}

static PredicateTruth
truth_not(PredicateTruth t)
{
    return t == PRED_UNKNOWN ? PRED_UNKNOWN : truth_of(t == PRED_FALSE);
}

/* Reads t/f/true/false in any case, the forms PostgreSQL prints and users
 * write. */
static bool
bool_read(const char *s, bool *out)
{
    size_t n = strlen(s);
    if (word_is(s, n, "t") || word_is(s, n, "true"))
        *out = true;
    else if (word_is(s, n, "f") || word_is(s, n, "false"))
        *out = false;
    else
        return false;
    return true;
}

/* A literal as a number: numbers, strings that read as one, TRUE/FALSE as 1/0. */
static bool
literal_as_number(const Literal *lit, DecNum *out)
{
    switch (lit->kind) {
    case LIT_NUMBER:
    case LIT_STRING: return dec_read_text(lit->text, out);
    case LIT_TRUE: return dec_read_text("1", out);
    case LIT_FALSE: return dec_read_text("0", out);
    case LIT_NULL: break;
    }
    return false;
}

static bool
compare_number_text(const char *value, const Literal *lit, int *ord)
{
    DecNum a, b;
    if (!dec_read_text(value, &a) || !literal_as_number(lit, &b))
        return false;
    *ord = dec_compare(&a, &b);
    return true;
}

static bool
compare_bool_text(const char *value, const Literal *lit, int *ord)
{
    bool a, b;
    if (!bool_read(value, &a))
        return false;
    if (lit->kind == LIT_NUMBER)
        return compare_number_text(a ? "1" : "0", lit, ord);
    if (lit->kind == LIT_TRUE || lit->kind == LIT_FALSE)
        b = lit->kind == LIT_TRUE;
    else if (lit->kind != LIT_STRING || !bool_read(lit->text, &b))
        return false;
    *ord = (int) a - (int) b;
    return true;
}

static bool
compare_text_text(const char *value, const Literal *lit, int *ord)
{
    if (lit->kind == LIT_NUMBER)
        return compare_number_text(value, lit, ord);
    if (lit->kind != LIT_STRING)
        return false;
    /* strcmp compares as unsigned char, i.e. bytewise like memcmp. */
    int c = strcmp(value, lit->text);
    *ord = (c > 0) - (c < 0);
    return true;
}

/* Orders a row value against a literal; false when SQL would say UNKNOWN. */
static bool
eval_compare(const PredicateValue *v, const Literal *lit, int *ord)
{
    if (v->kind == PV_NULL || lit->kind == LIT_NULL || !v->text)
        return false;
    switch (v->kind) {
    case PV_NUMBER: return compare_number_text(v->text, lit, ord);
    case PV_BOOL: return compare_bool_text(v->text, lit, ord);
    case PV_TEXT: return compare_text_text(v->text, lit, ord);
    case PV_NULL: break;
    }
    return false;
}

static PredicateTruth
eval_operator(PredOp op, const PredicateValue *v, const Literal *lit)
{
    int ord;
    if (!eval_compare(v, lit, &ord))
        return PRED_UNKNOWN;
    switch (op) {
    case OP_EQ: return truth_of(ord == 0);
    case OP_NE: return truth_of(ord != 0);
    case OP_LT: return truth_of(ord < 0);
    case OP_LE: return truth_of(ord <= 0);
    case OP_GT: return truth_of(ord > 0);
    case OP_GE: return truth_of(ord >= 0);
    }
    return PRED_UNKNOWN;
}

/* SQL IN: TRUE on any match, else UNKNOWN if any comparison was, else FALSE. */
static PredicateTruth
eval_in(const Predicate *p, const Node *n, const PredicateValue *v)
{
    PredicateTruth result = PRED_FALSE;
    for (size_t i = 0; i < n->count; i++) {
        PredicateTruth t = eval_operator(OP_EQ, v, &p->lits[n->first + i]);
        if (t == PRED_TRUE)
            return PRED_TRUE;
        if (t == PRED_UNKNOWN)
            result = PRED_UNKNOWN;
    }
    return result;
}

static PredicateTruth
eval_test(EvalState *st, const Node *n)
{
    const Predicate *p = st->pred;
    PredicateValue v = {.kind = PV_NULL, .text = NULL};
    if (!st->lookup(p->columns[n->column], &v, st->ctx)) {
        if (!st->missing)
            st->missing = p->columns[n->column];
        return PRED_UNKNOWN;
    }
    switch (n->kind) {
    case NODE_IS_NULL: return truth_of((v.kind == PV_NULL) != n->negated);
    case NODE_CMP: return eval_operator(n->op, &v, &p->lits[n->first]);
    case NODE_IN: {
        PredicateTruth t = eval_in(p, n, &v);
        return n->negated ? truth_not(t) : t;
    }
    default: return PRED_UNKNOWN;
    }
}

static PredicateTruth eval_node(EvalState *st, size_t idx);

/* AND stops at FALSE and OR at TRUE: no later operand can change that. */
static PredicateTruth
eval_chain(EvalState *st, const Node *n)
{
    PredicateTruth decisive = n->kind == NODE_AND ? PRED_FALSE : PRED_TRUE;
    PredicateTruth result = truth_not(decisive);
    for (size_t i = 0; i < n->count; i++) {
        PredicateTruth t = eval_node(st, st->pred->kids[n->first + i]);
        if (t == decisive)
            return decisive;
        if (t == PRED_UNKNOWN)
            result = PRED_UNKNOWN;
    }
    return result;
}

static PredicateTruth
eval_node(EvalState *st, size_t idx)
{
    const Node *n = &st->pred->nodes[idx];
    switch (n->kind) {
    case NODE_AND:
    case NODE_OR: return eval_chain(st, n);
    case NODE_NOT: return truth_not(eval_node(st, n->first));
    default: return eval_test(st, n);
    }
}

PredicateTruth
predicate_eval(const Predicate *p, PredicateLookup lookup, void *ctx, const char **missing_column)
{
    EvalState st = {.pred = p, .lookup = lookup, .ctx = ctx, .missing = NULL};
    PredicateTruth t = eval_node(&st, p->root);
    if (missing_column)
        *missing_column = st.missing;
    return t;
}

/* ------------------------------------------------------------------ */
/* Read-only view of the tree                                           */
/* ------------------------------------------------------------------ */

size_t
predicate_root(const Predicate *p)
{
    return p->root;
}

void
predicate_node(const Predicate *p, size_t node, PredicateNode *out)
{
    static const PredicateNodeKind kinds[] = {
        [NODE_AND] = PREDICATE_NODE_AND, [NODE_OR] = PREDICATE_NODE_OR, [NODE_NOT] = PREDICATE_NODE_NOT,
        [NODE_CMP] = PREDICATE_NODE_COMPARE, [NODE_IN] = PREDICATE_NODE_IN, [NODE_IS_NULL] = PREDICATE_NODE_IS_NULL,
    };
    static const PredicateOperator ops[] = {
        [OP_EQ] = PREDICATE_OP_EQ, [OP_NE] = PREDICATE_OP_NE, [OP_LT] = PREDICATE_OP_LT,
        [OP_LE] = PREDICATE_OP_LE, [OP_GT] = PREDICATE_OP_GT, [OP_GE] = PREDICATE_OP_GE,
    };
    const Node *n = &p->nodes[node];
    bool test = n->kind == NODE_CMP || n->kind == NODE_IN || n->kind == NODE_IS_NULL;
    *out = (PredicateNode) {
        .kind = kinds[n->kind],
        .op = ops[n->op],
        .negated = n->negated,
        .column = test ? p->columns[n->column] : NULL,
        .count = n->kind == NODE_IS_NULL ? 0 : n->kind == NODE_NOT ? 1 : n->count,
    };
}

size_t
predicate_node_operand(const Predicate *p, size_t node, size_t i)
{
    const Node *n = &p->nodes[node];
    return n->kind == NODE_NOT ? n->first : p->kids[n->first + i];
}

PredicateLiteral
predicate_node_literal(const Predicate *p, size_t node, size_t i)
{
    static const PredicateLiteralKind kinds[] = {
        [LIT_NULL] = PREDICATE_LIT_NULL, [LIT_NUMBER] = PREDICATE_LIT_NUMBER, [LIT_STRING] = PREDICATE_LIT_STRING,
        [LIT_TRUE] = PREDICATE_LIT_TRUE, [LIT_FALSE] = PREDICATE_LIT_FALSE,
    };
    const Literal *lit = &p->lits[p->nodes[node].first + i];
    return (PredicateLiteral) {.kind = kinds[lit->kind], .text = lit->text};
}
