/*
 * predicate.h: phase row predicates ("region = 'A' AND amount >= 100").
 *
 * One parsed predicate is used twice: rendered to SQL for the snapshot
 * (fetch, verify) and evaluated over change events (replicate, failback).
 * The two must agree, so this module must never compare numbers through
 * floating point and never let operator precedence differ between the text
 * the user wrote and the SQL a target runs.  It never talks to a database.
 *
 * Grammar (keywords case-insensitive, NOT > AND > OR):
 *   expr    := and { OR and }
 *   and     := not { AND not }
 *   not     := NOT not | '(' expr ')' | test
 *   test    := column op literal | literal op column
 *            | column [NOT] IN '(' literal { ',' literal } ')'
 *            | column IS [NOT] NULL
 *   op      := = | <> | != | < | <= | > | >=
 *   literal := number | 'string' | TRUE | FALSE | NULL
 * Numbers: optional sign, digits with an optional fraction, optional
 * exponent (-12, 100.50, .5, 1e5, 2.5E-3).  Strings use SQL quoting ('' is
 * a quote) and may hold any UTF-8.  Bare column names are letters, digits, _
 * and non-ASCII characters, folded to lower case ASCII like SQL does;
 * "double quoted" names keep their case ("" is a quote).  The keywords AND,
 * OR, NOT, IN, IS, NULL, TRUE, FALSE must be double quoted to name a column.
 * `literal op column` is stored flipped (5 < id becomes id > 5).
 * `column = NULL` (any operator) is refused: it is never true in SQL, which
 * is always a mistake in a phase; write IS NULL.  NULL is allowed in IN lists.
 */
#ifndef GW_PREDICATE_H
#define GW_PREDICATE_H

#include <stdbool.h>
#include <stddef.h>

/* Nesting of parentheses and NOT deeper than this is a parse error, so that
 * recursion over the tree is bounded. */
#define PREDICATE_MAX_DEPTH 100

typedef struct Predicate Predicate;   /* opaque AST, owns all its memory */

/*
 * Parses text.  On error returns NULL and writes into err (size errlen, may
 * be 0) one line naming the 1-based character (not byte) position and what
 * was expected, e.g. "at position 12: expected a literal after '=', found
 * 'AND'".
 */
Predicate *predicate_parse(const char *text, char *err, size_t errlen);
void predicate_free(Predicate *p);

/* Distinct column names referenced, in first-appearance order, as they
 * must appear in the table (bare names already folded).  NULL past the end. */
size_t predicate_column_count(const Predicate *p);
const char *predicate_column(const Predicate *p, size_t i);

/*
 * Renders SQL for a WHERE clause, fully parenthesized, e.g.
 * (("region" = 'A') AND ("amount" >= 100.50)).  Identifiers and string
 * literals go through the dialect's callbacks, each returning a malloc'd
 * string that this function frees.  Numbers are written as plain decimals
 * (1e5 becomes 100000) so that no engine reads them as floating point; !=
 * is written <>.  Returns a malloc'd string.
 */
typedef struct PredicateSqlDialect {
    char *(*quote_ident)(const char *name, void *ctx);
    char *(*quote_literal)(const char *value, void *ctx);
    void *ctx;
} PredicateSqlDialect;
char *predicate_to_sql(const Predicate *p, const PredicateSqlDialect *d);

/*
 * Evaluation over one row of a change event, in SQL three-valued logic.
 *
 * Comparisons with NULL are UNKNOWN.  x IN (...) is TRUE if any element is
 * equal, else UNKNOWN if x or an element is NULL, else FALSE; NOT IN is its
 * negation.  How a row value meets a literal:
 *   number  vs number: by exact decimal value ("1.50" = "1.5", "-0" = "0",
 *           "1e2" = "100"); -Infinity < every number < Infinity < NaN, and
 *           NaN = NaN, as in PostgreSQL.
 *   number  vs 'string': the string is read as a number (NaN, Infinity, inf
 *           accepted, surrounding spaces ignored); if it is not one, UNKNOWN.
 *   text    vs 'string': bytewise (memcmp, i.e. the C collation).  A target
 *           whose collation differs may order non-ASCII or mixed-case text
 *           differently from the SQL form, so prefer = and IN on text.
 *   text    vs number: the text is read as a number, else UNKNOWN (as MySQL
 *           does; PostgreSQL refuses such SQL outright).
 *   boolean vs TRUE/FALSE or 't'/'f'/'true'/'false' (any case): FALSE < TRUE.
 *   boolean or number vs the other: booleans count as 1 and 0, because
 *           MySQL's BOOLEAN is TINYINT(1).
 *   anything else (text vs TRUE, boolean vs 'x', unreadable values): UNKNOWN.
 */
typedef enum PredicateTruth { PRED_FALSE = 0, PRED_TRUE = 1, PRED_UNKNOWN = 2 } PredicateTruth;
typedef enum PredicateValueKind { PV_NULL, PV_NUMBER, PV_TEXT, PV_BOOL } PredicateValueKind;
typedef struct PredicateValue {
    PredicateValueKind kind;
    const char *text;   /* a decimal number ("-12.50", "1e3", "NaN", "Infinity"),
                         * a string, or "t"/"f" for booleans; NULL for PV_NULL */
} PredicateValue;

/* Fills *out and returns true, or returns false if the row lacks the column
 * (e.g. an old tuple that carries only the key).  out->text must stay valid
 * until predicate_eval returns. */
typedef bool (*PredicateLookup)(const char *column, PredicateValue *out, void *ctx);

/*
 * Evaluates p over one row.  A test on a missing column is UNKNOWN, and
 * *missing_column (if non-NULL) is set to the first missing column consulted,
 * else to NULL; the name belongs to p.  Because three-valued logic is
 * monotone, a TRUE or FALSE result holds whatever the missing columns hold;
 * UNKNOWN with a missing column means the row does not carry enough data to
 * decide.  Evaluation stops early (AND at FALSE, OR at TRUE), so columns
 * after the deciding test are not looked up.  Never allocates.
 */
PredicateTruth predicate_eval(const Predicate *p, PredicateLookup lookup, void *ctx,
                              const char **missing_column);

/*
 * Compares two decimal number texts (the forms PredicateValue allows, plus
 * surrounding spaces) exactly: sets *cmp to <0, 0 or >0 and returns true, or
 * returns false if either is not a number.  Exposed for verify and tests.
 */
bool predicate_number_compare(const char *a, const char *b, int *cmp);

/*
 * A read-only view of the tree, for static analysis (core/plan_overlap.c
 * decides whether two phases' predicates can both hold).  Nodes are numbered
 * from 0; predicate_root() is the whole predicate.  `literal op column` is
 * seen flipped, as stored (5 < id is id > 5).
 */
typedef enum PredicateNodeKind {
    PREDICATE_NODE_AND, PREDICATE_NODE_OR, PREDICATE_NODE_NOT,
    PREDICATE_NODE_COMPARE,     /* column op literal */
    PREDICATE_NODE_IN,          /* column [NOT] IN (literals) */
    PREDICATE_NODE_IS_NULL,     /* column IS [NOT] NULL */
} PredicateNodeKind;
typedef enum PredicateOperator {
    PREDICATE_OP_EQ, PREDICATE_OP_NE, PREDICATE_OP_LT, PREDICATE_OP_LE, PREDICATE_OP_GT, PREDICATE_OP_GE,
} PredicateOperator;
typedef enum PredicateLiteralKind {
    PREDICATE_LIT_NULL, PREDICATE_LIT_NUMBER, PREDICATE_LIT_STRING, PREDICATE_LIT_TRUE, PREDICATE_LIT_FALSE,
} PredicateLiteralKind;
typedef struct PredicateLiteral {
    PredicateLiteralKind kind;
    const char *text;       /* a plain decimal for numbers, the value for strings, else NULL */
} PredicateLiteral;
typedef struct PredicateNode {
    PredicateNodeKind kind;
    PredicateOperator op;   /* COMPARE */
    bool negated;           /* NOT IN, IS NOT NULL */
    const char *column;     /* COMPARE, IN, IS_NULL: as in predicate_column() */
    size_t count;           /* AND, OR: operands; NOT: 1; COMPARE: 1 literal; IN: literals; IS_NULL: 0 */
} PredicateNode;

size_t predicate_root(const Predicate *p);
void predicate_node(const Predicate *p, size_t node, PredicateNode *out);
/* The i-th operand of an AND, OR or NOT node (i < count). */
size_t predicate_node_operand(const Predicate *p, size_t node, size_t i);
/* The i-th literal of a COMPARE or IN node (i < count); it belongs to p. */
PredicateLiteral predicate_node_literal(const Predicate *p, size_t node, size_t i);

#endif
