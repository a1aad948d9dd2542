/*
 * predicate_eval.c: the three-valued evaluator of phase predicates over a
 * row of a change event (see predicate.h for the semantics).
 *
 * It must never allocate (it runs for every change event), never compare
 * numbers through floating point, and never recurse deeper than the
 * nesting the parser admitted (PREDICATE_MAX_DEPTH).
 */
#include <stdlib.h>

#include "core/predicate_internal.h"

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

