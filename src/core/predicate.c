/*
 * predicate.c: the tree of a phase predicate, its SQL rendering and its
 * read-only view (see predicate.h).  The parser is predicate_parse.c, the
 * evaluator predicate_eval.c, exact numbers predicate_decimal.c.
 *
 * The SQL must never let operator precedence differ from the text the user
 * wrote (it is fully parenthesized), never write a number an engine could
 * read as floating point, and rendering never recurses deeper than the
 * nesting the parser admitted (PREDICATE_MAX_DEPTH).
 */
#include "core/predicate.h"

#include <stdlib.h>

#include "core/predicate_internal.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* ------------------------------------------------------------------ */
/* The tree                                                             */
/* ------------------------------------------------------------------ */

size_t
predicate_add_node(Predicate *p, Node node)
{
    gw_grow((void **) &p->nodes, &p->cap_nodes, p->n_nodes + 1, sizeof *p->nodes);
    p->nodes[p->n_nodes] = node;
    return p->n_nodes++;
}

size_t
predicate_add_literal(Predicate *p, LitKind kind, char *text)
{
    gw_grow((void **) &p->lits, &p->cap_lits, p->n_lits + 1, sizeof *p->lits);
    p->lits[p->n_lits] = (Literal) {.kind = kind, .text = text};
    return p->n_lits++;
}

/* Takes ownership of name; a column seen before keeps its first index. */
size_t
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


const char *
predicate_op_text(PredOp op)
{
    static const char *const text[] = {"=", "<>", "<", "<=", ">", ">="};
    return text[op];
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
        strbuf_appendf(sb, " %s ", predicate_op_text(n->op));
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
