/*
 * predicate_parse.c: the lexer and parser of phase predicates (see
 * predicate.h for the language): text to the tree of predicate_internal.h,
 * or one error line naming the character position.
 *
 * It must never admit nesting deeper than PREDICATE_MAX_DEPTH: every
 * recursion over the tree relies on that bound.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/predicate_internal.h"
#include "util/mem.h"
#include "util/strbuf.h"

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
                predicate_op_text(op));
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

