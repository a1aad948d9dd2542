/*
 * predicate_internal.h: what the parts of the predicate module share (see
 * predicate.h): exact decimal numbers (predicate_decimal.c), the tree the
 * parser (predicate_parse.c) builds and the renderer (predicate.c) and the
 * evaluator (predicate_eval.c) read.  Nothing outside src/core/predicate*.c
 * includes it.
 */
#ifndef GW_PREDICATE_INTERNAL_H
#define GW_PREDICATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "core/predicate.h"

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

static inline bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static inline bool
word_is(const char *s, size_t n, const char *word)
{
    return n == strlen(word) && strncasecmp(s, word, n) == 0;
}


/* Reads exactly the n bytes at s as a number (no surrounding spaces); false if it is not one. */
bool dec_read(const char *s, size_t n, DecNum *out);
/* Reads a NUL-terminated text as a number, ignoring surrounding spaces as PostgreSQL's numeric input does. */
bool dec_read_text(const char *s, DecNum *out);
/* <0, 0 or >0, by exact value, in PostgreSQL's order (-Infinity < numbers < Infinity < NaN). */
int dec_compare(const DecNum *a, const DecNum *b);
/* A finite number as a plain decimal, for SQL (see predicate_decimal.c); malloc'd. */
char *dec_render_plain(const DecNum *d);

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

size_t predicate_add_node(Predicate *p, Node node);
/* Takes ownership of text. */
size_t predicate_add_literal(Predicate *p, LitKind kind, char *text);
/* Takes ownership of name; a column seen before keeps its first index. */
size_t predicate_add_column(Predicate *p, char *name);
/* "=", "<>", ...: as the SQL is written and errors quote it. */
const char *predicate_op_text(PredOp op);

#endif
