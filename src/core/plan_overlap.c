/*
 * plan_overlap.c: the static overlap check of a plan's phases (see
 * plan_overlap.h for what it decides and what it assumes).
 *
 * It must never call a pair disjoint when a row could match both under the
 * assumptions stated there: when in doubt it answers PLAN_OVERLAP or
 * PLAN_UNDECIDED.  It never compares numbers through floating point
 * (predicate_number_compare is exact) and never talks to a database.
 */
#include "core/plan_overlap.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"
#include "util/strbuf.h"

/* ------------------------------------------------------------------ */
/* Atoms and their disjunctive normal form                              */
/* ------------------------------------------------------------------ */

/*
 * What must hold of one column for a predicate to be TRUE.  A comparison,
 * IN or NOT IN also requires the column to be non-NULL.  Literals are read
 * from the predicate's node; NULL literals of an IN list are skipped.
 */
typedef enum AtomKind { ATOM_NULL, ATOM_NOT_NULL, ATOM_CMP, ATOM_IN, ATOM_NOT_IN } AtomKind;

typedef struct Atom {
    AtomKind kind;
    const char *column;
    PredicateOperator op;       /* ATOM_CMP */
    const Predicate *pred;      /* literals: predicate_node_literal(pred, node, i), i < nlits */
    size_t node;
    size_t nlits;
} Atom;

typedef struct Conj {
    Atom *atoms;
    size_t n;
} Conj;

typedef struct Dnf {
    Conj *terms;
    size_t n, cap;
} Dnf;

typedef enum Sat { SAT_NO, SAT_YES, SAT_UNKNOWN } Sat;

static PredicateLiteral
atom_lit(const Atom *a, size_t i)
{
    return predicate_node_literal(a->pred, a->node, i);
}

static void
dnf_free(Dnf *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->terms[i].atoms);
    free(d->terms);
    memset(d, 0, sizeof *d);
}

/* Takes ownership of c's atoms. */
static void
dnf_add(Dnf *d, Conj c)
{
    gw_grow((void **) &d->terms, &d->cap, d->n + 1, sizeof *d->terms);
    d->terms[d->n++] = c;
}

static Conj
conj_join(const Conj *a, const Conj *b)
{
    Conj c = {.atoms = gw_malloc((a->n + b->n + 1) * sizeof *c.atoms), .n = a->n + b->n};
    if (a->n)
        memcpy(c.atoms, a->atoms, a->n * sizeof *a->atoms);
    if (b->n)
        memcpy(c.atoms + a->n, b->atoms, b->n * sizeof *b->atoms);
    return c;
}

static Sat conj_sat(const Conj *c, StrBuf *why);

/* ------------------------------------------------------------------ */
/* Building                                                             */
/* ------------------------------------------------------------------ */

static PredicateOperator
op_negate(PredicateOperator op)
{
    switch (op) {
    case PREDICATE_OP_EQ: return PREDICATE_OP_NE;
    case PREDICATE_OP_NE: return PREDICATE_OP_EQ;
    case PREDICATE_OP_LT: return PREDICATE_OP_GE;
    case PREDICATE_OP_LE: return PREDICATE_OP_GT;
    case PREDICATE_OP_GT: return PREDICATE_OP_LE;
    case PREDICATE_OP_GE: return PREDICATE_OP_LT;
    }
    return op;
}

static void
dnf_single(Dnf *out, Atom a)
{
    Conj c = {.atoms = gw_malloc(sizeof a), .n = 1};
    c.atoms[0] = a;
    dnf_add(out, c);
}

/*
 * A test where it is TRUE (positive) or FALSE (not positive): SQL's
 * three-valued logic makes these two different from each other's
 * complement, because both exclude UNKNOWN (a NULL compared).  An empty
 * result means the test can never be so.
 */
static void
dnf_test(const Predicate *p, size_t node, const PredicateNode *n, bool positive, Dnf *out)
{
    Atom a = {.column = n->column, .pred = p, .node = node, .nlits = n->count};
    if (n->kind == PREDICATE_NODE_IS_NULL) {
        a.kind = positive != n->negated ? ATOM_NULL : ATOM_NOT_NULL;
        a.nlits = 0;
        dnf_single(out, a);
        return;
    }
    if (n->kind == PREDICATE_NODE_COMPARE) {
        if (predicate_node_literal(p, node, 0).kind == PREDICATE_LIT_NULL)
            return;     /* never TRUE nor FALSE (the parser refuses it anyway) */
        a.kind = ATOM_CMP;
        a.op = positive ? n->op : op_negate(n->op);
        dnf_single(out, a);
        return;
    }
    /* IN: TRUE on a match; FALSE only when nothing matched and no NULL was compared. */
    bool membership = positive != n->negated;
    size_t nonnull = 0;
    for (size_t i = 0; i < n->count; i++)
        nonnull += predicate_node_literal(p, node, i).kind != PREDICATE_LIT_NULL;
    if (membership ? nonnull == 0 : nonnull < n->count)
        return;
    a.kind = membership ? ATOM_IN : ATOM_NOT_IN;
    dnf_single(out, a);
}

typedef struct Builder {
    bool overflow;
} Builder;

static void dnf_build(Builder *b, const Predicate *p, size_t node, bool positive, Dnf *out);

/* Conjunction of operands: the product of their forms, dropping terms that cannot hold. */
static void
dnf_build_all(Builder *b, const Predicate *p, size_t node, size_t count, bool positive, Dnf *out)
{
    Dnf acc = {0};
    dnf_add(&acc, (Conj) {.atoms = NULL, .n = 0});
    for (size_t i = 0; i < count && acc.n > 0 && !b->overflow; i++) {
        Dnf part = {0};
        dnf_build(b, p, predicate_node_operand(p, node, i), positive, &part);
        Dnf next = {0};
        for (size_t x = 0; x < acc.n && !b->overflow; x++)
            for (size_t y = 0; y < part.n && !b->overflow; y++) {
                Conj c = conj_join(&acc.terms[x], &part.terms[y]);
                if (conj_sat(&c, NULL) == SAT_NO) {
                    free(c.atoms);
                    continue;
                }
                dnf_add(&next, c);
                b->overflow = next.n > PLAN_OVERLAP_MAX_TERMS;
            }
        dnf_free(&part);
        dnf_free(&acc);
        acc = next;
    }
    for (size_t i = 0; i < acc.n; i++)
        dnf_add(out, acc.terms[i]);
    free(acc.terms);
}

/* Disjunction of operands: their forms side by side. */
static void
dnf_build_any(Builder *b, const Predicate *p, size_t node, size_t count, bool positive, Dnf *out)
{
    for (size_t i = 0; i < count && !b->overflow; i++) {
        dnf_build(b, p, predicate_node_operand(p, node, i), positive, out);
        b->overflow = out->n > PLAN_OVERLAP_MAX_TERMS;
    }
}

/* Recursion is bounded by the parser's nesting limit (PREDICATE_MAX_DEPTH). */
static void
dnf_build(Builder *b, const Predicate *p, size_t node, bool positive, Dnf *out)
{
    PredicateNode n;
    predicate_node(p, node, &n);
    switch (n.kind) {
    case PREDICATE_NODE_AND:
        if (positive)
            dnf_build_all(b, p, node, n.count, positive, out);
        else
            dnf_build_any(b, p, node, n.count, positive, out);
        break;
    case PREDICATE_NODE_OR:
        if (positive)
            dnf_build_any(b, p, node, n.count, positive, out);
        else
            dnf_build_all(b, p, node, n.count, positive, out);
        break;
    case PREDICATE_NODE_NOT:
        dnf_build(b, p, predicate_node_operand(p, node, 0), !positive, out);
        break;
    default:
        dnf_test(p, node, &n, positive, out);
        break;
    }
}

/* ------------------------------------------------------------------ */
/* Values of one column                                                 */
/* ------------------------------------------------------------------ */

/* How a column's literals are compared with each other. */
typedef enum Reading { READ_NUMBER, READ_BYTES, READ_BOOL } Reading;

static bool
bool_text(const char *s, int *out)
{
    if (!strcasecmp(s, "t") || !strcasecmp(s, "true")) {
        *out = 1;
        return true;
    }
    if (!strcasecmp(s, "f") || !strcasecmp(s, "false")) {
        *out = 0;
        return true;
    }
    return false;
}

/* A literal as 0/1 under the boolean reading; false if it is not one. */
static bool
lit_bool(const PredicateLiteral *l, int *out)
{
    if (l->kind == PREDICATE_LIT_TRUE || l->kind == PREDICATE_LIT_FALSE) {
        *out = l->kind == PREDICATE_LIT_TRUE;
        return true;
    }
    return l->kind == PREDICATE_LIT_STRING && bool_text(l->text, out);
}

/* Orders two literals under a reading; the caller checked that both read so. */
static int
lit_compare(Reading r, const PredicateLiteral *a, const PredicateLiteral *b)
{
    int c = 0, x = 0, y = 0;
    switch (r) {
    case READ_NUMBER:
        if (!predicate_number_compare(a->text, b->text, &c))
            c = strcmp(a->text, b->text);   /* unreachable: both were checked to be numbers */
        return c;
    case READ_BYTES:
        c = strcmp(a->text, b->text);
        return (c > 0) - (c < 0);
    case READ_BOOL:
        (void) lit_bool(a, &x);
        (void) lit_bool(b, &y);
        return x - y;
    }
    return 0;
}

static bool
op_holds(PredicateOperator op, int c)
{
    switch (op) {
    case PREDICATE_OP_EQ: return c == 0;
    case PREDICATE_OP_NE: return c != 0;
    case PREDICATE_OP_LT: return c < 0;
    case PREDICATE_OP_LE: return c <= 0;
    case PREDICATE_OP_GT: return c > 0;
    case PREDICATE_OP_GE: return c >= 0;
    }
    return false;
}

/* Whether value v (a non-NULL literal) satisfies atom a of its column. */
static bool
value_satisfies(Reading r, const PredicateLiteral *v, const Atom *a)
{
    if (a->kind == ATOM_NULL)
        return false;
    if (a->kind == ATOM_NOT_NULL)
        return true;
    if (a->kind == ATOM_CMP) {
        PredicateLiteral lit = atom_lit(a, 0);
        return op_holds(a->op, lit_compare(r, v, &lit));
    }
    bool member = false;
    for (size_t i = 0; i < a->nlits && !member; i++) {
        PredicateLiteral lit = atom_lit(a, i);
        member = lit.kind != PREDICATE_LIT_NULL && lit_compare(r, v, &lit) == 0;
    }
    return a->kind == ATOM_IN ? member : !member;
}

static bool
value_satisfies_all(Reading r, const PredicateLiteral *v, const Atom *const *atoms, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!value_satisfies(r, v, atoms[i]))
            return false;
    return true;
}

/* ------------------------------------------------------------------ */
/* Messages                                                             */
/* ------------------------------------------------------------------ */

static void
append_column(StrBuf *sb, const char *name)
{
    bool plain = (*name >= 'a' && *name <= 'z') || *name == '_';
    for (const char *c = name; *c && plain; c++)
        plain = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
    if (plain) {
        strbuf_append(sb, name);
        return;
    }
    char *q = str_quote(name, '"');
    strbuf_append(sb, q);
    free(q);
}

static void
append_literal(StrBuf *sb, const PredicateLiteral *l)
{
    switch (l->kind) {
    case PREDICATE_LIT_NULL: strbuf_append(sb, "NULL"); break;
    case PREDICATE_LIT_TRUE: strbuf_append(sb, "TRUE"); break;
    case PREDICATE_LIT_FALSE: strbuf_append(sb, "FALSE"); break;
    case PREDICATE_LIT_NUMBER: strbuf_append(sb, l->text); break;
    case PREDICATE_LIT_STRING: {
        char *q = str_quote(l->text, '\'');
        strbuf_append(sb, q);
        free(q);
        break;
    }
    }
}

/* "col op literal", joined to what is there with AND. */
static void
append_condition(StrBuf *sb, const char *column, const char *op, const PredicateLiteral *l)
{
    if (sb->len)
        strbuf_append(sb, " AND ");
    append_column(sb, column);
    strbuf_appendf(sb, " %s", op);
    if (l) {
        strbuf_append_char(sb, ' ');
        append_literal(sb, l);
    }
}

/* ------------------------------------------------------------------ */
/* Satisfiability                                                       */
/* ------------------------------------------------------------------ */

/*
 * Whether one value of the column satisfies every atom under reading r.
 * Sets describes the value found (or the range it lies in) when why is
 * given.
 */
static Sat
column_sat_reading(Reading r, const char *column, const Atom *const *atoms, size_t n, StrBuf *why)
{
    /* = or IN: the value is one of a finite set. */
    for (size_t i = 0; i < n; i++) {
        const Atom *a = atoms[i];
        if (a->kind != ATOM_IN && !(a->kind == ATOM_CMP && a->op == PREDICATE_OP_EQ))
            continue;
        for (size_t k = 0; k < a->nlits; k++) {
            PredicateLiteral v = atom_lit(a, k);
            if (v.kind != PREDICATE_LIT_NULL && value_satisfies_all(r, &v, atoms, n)) {
                if (why)
                    append_condition(why, column, "=", &v);
                return SAT_YES;
            }
        }
        return SAT_NO;
    }
    if (r == READ_BOOL) {
        static const PredicateLiteral values[] = {{PREDICATE_LIT_FALSE, NULL}, {PREDICATE_LIT_TRUE, NULL}};
        for (size_t k = 0; k < 2; k++)
            if (value_satisfies_all(r, &values[k], atoms, n)) {
                if (why)
                    append_condition(why, column, "=", &values[k]);
                return SAT_YES;
            }
        return SAT_NO;
    }
    /* A dense order: only the tightest bounds matter, and <> or NOT IN exclude finitely many values. */
    PredicateLiteral lo = {0}, hi = {0};
    bool has_lo = false, has_hi = false, lo_strict = false, hi_strict = false;
    for (size_t i = 0; i < n; i++) {
        const Atom *a = atoms[i];
        if (a->kind != ATOM_CMP)
            continue;
        PredicateLiteral l = atom_lit(a, 0);
        bool strict = a->op == PREDICATE_OP_GT || a->op == PREDICATE_OP_LT;
        if (a->op == PREDICATE_OP_GT || a->op == PREDICATE_OP_GE) {
            int c = has_lo ? lit_compare(r, &l, &lo) : 1;
            if (c > 0)
                lo_strict = strict;
            else if (c == 0)
                lo_strict = lo_strict || strict;
            if (c > 0)
                lo = l;
            has_lo = true;
        } else if (a->op == PREDICATE_OP_LT || a->op == PREDICATE_OP_LE) {
            int c = has_hi ? lit_compare(r, &l, &hi) : -1;
            if (c < 0)
                hi_strict = strict;
            else if (c == 0)
                hi_strict = hi_strict || strict;
            if (c < 0)
                hi = l;
            has_hi = true;
        }
    }
    if (has_lo && has_hi) {
        int c = lit_compare(r, &lo, &hi);
        if (c > 0 || (c == 0 && (lo_strict || hi_strict)))
            return SAT_NO;
        if (c == 0) {
            if (!value_satisfies_all(r, &lo, atoms, n))
                return SAT_NO;
            if (why)
                append_condition(why, column, "=", &lo);
            return SAT_YES;
        }
    }
    if (why) {
        if (has_lo)
            append_condition(why, column, lo_strict ? ">" : ">=", &lo);
        if (has_hi)
            append_condition(why, column, hi_strict ? "<" : "<=", &hi);
        if (!has_lo && !has_hi)
            append_condition(why, column, "IS NOT NULL", NULL);
    }
    return SAT_YES;
}

/* Whether every literal of the atoms reads as a number (or as a boolean). */
static bool
all_literals_read(const Atom *const *atoms, size_t n, Reading r)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < atoms[i]->nlits; k++) {
            PredicateLiteral l = atom_lit(atoms[i], k);
            int cmp, b;
            if (l.kind == PREDICATE_LIT_NULL)
                continue;
            if (r == READ_NUMBER && !predicate_number_compare(l.text ? l.text : "", "0", &cmp))
                return false;
            if (r == READ_BOOL && !lit_bool(&l, &b))
                return false;
        }
    return true;
}

/* One column's atoms within a conjunction. */
static Sat
column_sat(const char *column, const Atom *const *atoms, size_t n, StrBuf *why)
{
    bool is_null = false, needs_value = false;
    bool number = false, string = false, boolean = false;
    for (size_t i = 0; i < n; i++) {
        is_null = is_null || atoms[i]->kind == ATOM_NULL;
        needs_value = needs_value || atoms[i]->kind != ATOM_NULL;
        for (size_t k = 0; k < atoms[i]->nlits; k++) {
            PredicateLiteral l = atom_lit(atoms[i], k);
            number = number || l.kind == PREDICATE_LIT_NUMBER;
            string = string || l.kind == PREDICATE_LIT_STRING;
            boolean = boolean || l.kind == PREDICATE_LIT_TRUE || l.kind == PREDICATE_LIT_FALSE;
        }
    }
    if (is_null) {
        if (needs_value)
            return SAT_NO;
        if (why)
            append_condition(why, column, "IS NULL", NULL);
        return SAT_YES;
    }
    if (number + string + boolean > 1) {
        if (why) {
            strbuf_reset(why);
            strbuf_append(why, "column ");
            append_column(why, column);
            strbuf_appendf(why, " is compared with both %s and %s (its type decides how they compare)",
                           number ? "a number" : "a string", boolean ? "a boolean" : "a string");
        }
        return SAT_UNKNOWN;
    }
    if (number)
        return column_sat_reading(READ_NUMBER, column, atoms, n, why);
    if (boolean)
        return column_sat_reading(READ_BOOL, column, atoms, n, why);
    if (column_sat_reading(READ_BYTES, column, atoms, n, why) == SAT_YES)
        return SAT_YES;
    /* Strings a numeric or boolean column would read otherwise ('01' = '1', 't' = 'true'). */
    if (all_literals_read(atoms, n, READ_NUMBER) && column_sat_reading(READ_NUMBER, column, atoms, n, why) == SAT_YES) {
        if (why)
            strbuf_append(why, " (compared as numbers)");
        return SAT_YES;
    }
    if (all_literals_read(atoms, n, READ_BOOL) && column_sat_reading(READ_BOOL, column, atoms, n, why) == SAT_YES) {
        if (why)
            strbuf_append(why, " (compared as booleans)");
        return SAT_YES;
    }
    return SAT_NO;
}

/*
 * A conjunction holds when each of its columns can take a value satisfying
 * that column's atoms: columns are independent.  why gets the witness (one
 * condition per constrained column) or the reason for SAT_UNKNOWN.
 */
static Sat
conj_sat(const Conj *c, StrBuf *why)
{
    const Atom **group = gw_malloc((c->n + 1) * sizeof *group);
    bool *done = gw_calloc(c->n + 1, sizeof *done);
    Sat result = SAT_YES;
    StrBuf witness, reason;
    strbuf_init(&witness);
    strbuf_init(&reason);
    for (size_t i = 0; i < c->n && result != SAT_NO; i++) {
        if (done[i])
            continue;
        size_t n = 0;
        for (size_t j = i; j < c->n; j++)
            if (!done[j] && !strcmp(c->atoms[j].column, c->atoms[i].column)) {
                group[n++] = &c->atoms[j];
                done[j] = true;
            }
        StrBuf col;
        strbuf_init(&col);
        Sat s = column_sat(c->atoms[i].column, group, n, why ? &col : NULL);
        if (s == SAT_NO) {
            result = SAT_NO;
        } else if (s == SAT_UNKNOWN) {
            if (result == SAT_YES && why)
                strbuf_append(&reason, col.data ? col.data : "");
            result = SAT_UNKNOWN;
        } else if (why && col.len) {
            if (witness.len)
                strbuf_append(&witness, " AND ");
            strbuf_append(&witness, col.data);
        }
        strbuf_free(&col);
    }
    if (why) {
        strbuf_reset(why);
        if (result == SAT_YES)
            strbuf_append(why, witness.len ? witness.data : "any row");
        else if (result == SAT_UNKNOWN)
            strbuf_append(why, reason.data ? reason.data : "");
    }
    strbuf_free(&witness);
    strbuf_free(&reason);
    free(group);
    free(done);
    return result;
}

/* ------------------------------------------------------------------ */
/* Pairs                                                                */
/* ------------------------------------------------------------------ */

static void
set_why(char *why, size_t whylen, const char *fmt, const char *arg)
{
    if (why && whylen)
        snprintf(why, whylen, fmt, arg);
}

PlanOverlapVerdict
plan_predicates_overlap(const Predicate *a, const Predicate *b, char *why, size_t whylen)
{
    if (why && whylen)
        why[0] = '\0';
    if (!a || !b) {
        set_why(why, whylen, "%s", !a && !b ? "both take the whole table" : "one of them takes the whole table");
        return PLAN_OVERLAP;
    }
    Builder bld = {.overflow = false};
    Dnf da = {0}, db = {0};
    dnf_build(&bld, a, predicate_root(a), true, &da);
    if (!bld.overflow)
        dnf_build(&bld, b, predicate_root(b), true, &db);
    PlanOverlapVerdict verdict = PLAN_DISJOINT;
    if (bld.overflow || (da.n && db.n > PLAN_OVERLAP_MAX_PAIRS / da.n)) {
        char limit[96];
        if (bld.overflow)
            snprintf(limit, sizeof limit, "more than %d alternatives once AND, OR and NOT are expanded",
                     PLAN_OVERLAP_MAX_TERMS);
        else
            snprintf(limit, sizeof limit, "more than %d pairs of alternatives to compare", PLAN_OVERLAP_MAX_PAIRS);
        set_why(why, whylen, "cannot decide: the predicates have %s; simplify them (e.g. use IN lists)", limit);
        verdict = PLAN_UNDECIDED;
    }
    StrBuf msg, first_unknown;
    strbuf_init(&msg);
    strbuf_init(&first_unknown);
    for (size_t i = 0; i < da.n && verdict != PLAN_OVERLAP && !bld.overflow; i++)
        for (size_t j = 0; j < db.n && verdict != PLAN_OVERLAP && verdict != PLAN_UNDECIDED; j++) {
            Conj c = conj_join(&da.terms[i], &db.terms[j]);
            Sat s = conj_sat(&c, &msg);
            free(c.atoms);
            if (s == SAT_YES) {
                set_why(why, whylen, "a row with %s", msg.data ? msg.data : "any value");
                verdict = PLAN_OVERLAP;
            } else if (s == SAT_UNKNOWN && !first_unknown.len) {
                strbuf_append(&first_unknown, msg.data ? msg.data : "?");
            }
        }
    /* An undecided pair matters only when no pair is known to overlap. */
    if (verdict == PLAN_DISJOINT && first_unknown.len) {
        set_why(why, whylen, "cannot decide whether a row can match both: %s", first_unknown.data);
        verdict = PLAN_UNDECIDED;
    }
    strbuf_free(&msg);
    strbuf_free(&first_unknown);
    dnf_free(&da);
    dnf_free(&db);
    return verdict;
}

size_t
plan_table_overlaps(const PlanTablePhase *phases, size_t n, PlanOverlap **out)
{
    *out = NULL;
    size_t count = 0, cap = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            const RowFilter *fa = phases[i].filter, *fb = phases[j].filter;
            char why[512];
            PlanOverlapVerdict v;
            if (!fa || !fb) {
                v = PLAN_OVERLAP;
                if (!fa && !fb)
                    snprintf(why, sizeof why, "both take the whole table");
                else
                    snprintf(why, sizeof why, "phase '%s' takes the whole table (no where for it)",
                             !fa ? phases[i].phase : phases[j].phase);
            } else {
                v = plan_predicates_overlap(fa->predicate, fb->predicate, why, sizeof why);
            }
            if (v == PLAN_DISJOINT)
                continue;
            gw_grow((void **) out, &cap, count + 1, sizeof **out);
            (*out)[count++] = (PlanOverlap) {.a = i, .b = j, .verdict = v, .why = gw_strdup(why)};
        }
    return count;
}

void
plan_overlaps_free(PlanOverlap *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i].why);
    free(list);
}
