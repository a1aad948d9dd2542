/*
 * test_predicate.c: unit tests for the phase predicate language
 * (src/core/predicate.c): parsing, error messages, SQL rendering and
 * three-valued evaluation with exact decimals.
 *
 * These tests must never depend on a server or on the locale: everything is
 * in memory, and expected texts are spelled out byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/predicate.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* ---- helpers ---- */

/* Doubles the quote character inside quote...quote, the SQL standard rule. */
static char *
quote_with(const char *s, char quote)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append_char(&sb, quote);
    for (; *s; s++) {
        if (*s == quote)
            strbuf_append_char(&sb, quote);
        strbuf_append_char(&sb, *s);
    }
    strbuf_append_char(&sb, quote);
    return strbuf_take(&sb);
}

static char *
test_quote_ident(const char *name, void *ctx)
{
    (void) ctx;
    return quote_with(name, '"');
}

static char *
test_quote_literal(const char *value, void *ctx)
{
    (void) ctx;
    return quote_with(value, '\'');
}

static const PredicateSqlDialect test_dialect = {
    .quote_ident = test_quote_ident,
    .quote_literal = test_quote_literal,
    .ctx = NULL,
};

/* Parses text (which must parse) and checks its SQL rendering. */
static void
check_sql(const char *text, const char *expected)
{
    char err[256];
    Predicate *p = predicate_parse(text, err, sizeof err);
    if (!p)
        fail_msg("parse of [%s] failed: %s", text, err);
    char *sql = predicate_to_sql(p, &test_dialect);
    if (strcmp(sql, expected) != 0)
        fail_msg("[%s]\n  rendered [%s]\n  expected [%s]", text, sql, expected);
    free(sql);
    predicate_free(p);
}

/* Checks that text fails to parse with exactly this message. */
static void
check_error(const char *text, const char *expected)
{
    char err[256] = "untouched";
    Predicate *p = predicate_parse(text, err, sizeof err);
    if (p) {
        predicate_free(p);
        fail_msg("[%s] parsed but should fail with [%s]", text, expected);
    }
    if (strcmp(err, expected) != 0)
        fail_msg("[%s]\n  error    [%s]\n  expected [%s]", text, err, expected);
}

/* A row for evaluation: columns absent from the list are missing. */
typedef struct TestColumn {
    const char *name;
    PredicateValueKind kind;
    const char *text;
} TestColumn;

typedef struct TestRow {
    const TestColumn *columns;
    size_t count;
    int lookups;
} TestRow;

static bool
test_lookup(const char *column, PredicateValue *out, void *ctx)
{
    TestRow *row = ctx;
    row->lookups++;
    for (size_t i = 0; i < row->count; i++) {
        if (strcmp(row->columns[i].name, column) == 0) {
            out->kind = row->columns[i].kind;
            out->text = row->columns[i].text;
            return true;
        }
    }
    return false;
}

static PredicateTruth
eval_row(const char *text, const TestColumn *columns, size_t count, const char **missing)
{
    char err[256];
    Predicate *p = predicate_parse(text, err, sizeof err);
    if (!p)
        fail_msg("parse of [%s] failed: %s", text, err);
    TestRow row = {.columns = columns, .count = count};
    const char *miss = NULL;
    PredicateTruth t = predicate_eval(p, test_lookup, &row, &miss);
    if (missing)
        *missing = miss ? gw_strdup(miss) : NULL;   /* the name dies with p */
    predicate_free(p);
    return t;
}

/* Evaluates text against a single column x of the given kind and text. */
static PredicateTruth
eval_x(const char *text, PredicateValueKind kind, const char *value)
{
    TestColumn col = {"x", kind, value};
    return eval_row(text, &col, 1, NULL);
}

#define EXPECT_X(text, kind, value, truth) \
    do { \
        PredicateTruth got_ = eval_x(text, kind, value); \
        if (got_ != (truth)) \
            fail_msg("[%s] with x=%s gave %d, expected %d", text, value ? value : "NULL", \
                     (int) got_, (int) (truth)); \
    } while (0)

static int
number_cmp(const char *a, const char *b)
{
    int c = 99;
    if (!predicate_number_compare(a, b, &c))
        fail_msg("[%s] vs [%s] not read as numbers", a, b);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
}

#define EXPECT_CMP(a, b, expected) \
    do { \
        int got_ = number_cmp(a, b); \
        if (got_ != (expected)) \
            fail_msg("compare(%s, %s) = %d, expected %d", a, b, got_, expected); \
        int back_ = number_cmp(b, a); \
        if (back_ != -(expected)) \
            fail_msg("compare(%s, %s) = %d, expected %d", b, a, back_, -(expected)); \
    } while (0)

/* ---- parsing ---- */

static void
test_parse_comparisons(void **state)
{
    (void) state;
    check_sql("a = 1", "(\"a\" = 1)");
    check_sql("a <> 1", "(\"a\" <> 1)");
    check_sql("a != 1", "(\"a\" <> 1)");
    check_sql("a < 1", "(\"a\" < 1)");
    check_sql("a <= 1", "(\"a\" <= 1)");
    check_sql("a > 1", "(\"a\" > 1)");
    check_sql("a >= 1", "(\"a\" >= 1)");
    check_sql("a>=1", "(\"a\" >= 1)");
    check_sql("a=-1", "(\"a\" = -1)");
    check_sql("a = 'x'", "(\"a\" = 'x')");
    check_sql("a = TRUE", "(\"a\" = TRUE)");
    check_sql("a = false", "(\"a\" = FALSE)");
}

static void
test_parse_literals(void **state)
{
    (void) state;
    check_sql("a = 100.50", "(\"a\" = 100.50)");
    check_sql("a = +7", "(\"a\" = 7)");
    check_sql("a = -0", "(\"a\" = 0)");
    check_sql("a = 007", "(\"a\" = 7)");
    check_sql("a = .5", "(\"a\" = 0.5)");
    check_sql("a = -.5", "(\"a\" = -0.5)");
    check_sql("a = 5.", "(\"a\" = 5)");
    check_sql("a = 1e5", "(\"a\" = 100000)");
    check_sql("a = 1E+2", "(\"a\" = 100)");
    check_sql("a = 1.50e1", "(\"a\" = 15.0)");
    check_sql("a = 2.5e-3", "(\"a\" = 0.0025)");
    check_sql("a = -12345678901234567890.000001",
              "(\"a\" = -12345678901234567890.000001)");
    check_sql("a = 'it''s'", "(\"a\" = 'it''s')");
    check_sql("a = ''", "(\"a\" = '')");
    check_sql("a = 'Zürich 東京 🚀'", "(\"a\" = 'Zürich 東京 🚀')");
    check_sql("a = 'AND OR ( )'", "(\"a\" = 'AND OR ( )')");
}

static void
test_parse_in_and_null(void **state)
{
    (void) state;
    check_sql("status IN ('new','paid')", "(\"status\" IN ('new', 'paid'))");
    check_sql("id in (1)", "(\"id\" IN (1))");
    check_sql("id NOT IN (1, 2.0, -3)", "(\"id\" NOT IN (1, 2.0, -3))");
    check_sql("id IN (1, NULL)", "(\"id\" IN (1, NULL))");
    check_sql("flag IN (TRUE, FALSE)", "(\"flag\" IN (TRUE, FALSE))");
    check_sql("d IS NULL", "(\"d\" IS NULL)");
    check_sql("d is not null", "(\"d\" IS NOT NULL)");
    check_sql("d Is NoT nUlL", "(\"d\" IS NOT NULL)");
}

static void
test_parse_literal_first(void **state)
{
    (void) state;
    check_sql("5 < id", "(\"id\" > 5)");
    check_sql("5 <= id", "(\"id\" >= 5)");
    check_sql("5 > id", "(\"id\" < 5)");
    check_sql("5 >= id", "(\"id\" <= 5)");
    check_sql("5 = id", "(\"id\" = 5)");
    check_sql("5 != id", "(\"id\" <> 5)");
    check_sql("'A' = \"Region\"", "(\"Region\" = 'A')");
}

static void
test_parse_identifiers(void **state)
{
    (void) state;
    check_sql("Region = 'A'", "(\"region\" = 'A')");
    check_sql("REGION_2 = 'A'", "(\"region_2\" = 'A')");
    check_sql("_x = 1", "(\"_x\" = 1)");
    check_sql("\"Region\" = 'A'", "(\"Region\" = 'A')");
    check_sql("\"Deleted At\" IS NULL", "(\"Deleted At\" IS NULL)");
    check_sql("\"say \"\"hi\"\"\" = 1", "(\"say \"\"hi\"\"\" = 1)");
    check_sql("\"and\" = 1", "(\"and\" = 1)");
    check_sql("\"Straße\" = 1", "(\"Straße\" = 1)");
    /* Bare names fold ASCII only: non-ASCII letters keep their case. */
    check_sql("ÄrgerNis = 1", "(\"Ärgernis\" = 1)");
    check_sql("名前 = 'x'", "(\"名前\" = 'x')");
}

static void
test_parse_example_from_design(void **state)
{
    (void) state;
    check_sql("region = 'A' AND (status IN ('new','paid') OR amount >= 100.50) "
              "AND NOT \"Deleted At\" IS NOT NULL",
              "((\"region\" = 'A') AND ((\"status\" IN ('new', 'paid')) OR (\"amount\" >= 100.50)) "
              "AND (NOT (\"Deleted At\" IS NOT NULL)))");
}

static void
test_parse_precedence(void **state)
{
    (void) state;
    check_sql("a = 1 OR b = 2 AND c = 3",
              "((\"a\" = 1) OR ((\"b\" = 2) AND (\"c\" = 3)))");
    check_sql("a = 1 AND b = 2 OR c = 3",
              "(((\"a\" = 1) AND (\"b\" = 2)) OR (\"c\" = 3))");
    check_sql("(a = 1 OR b = 2) AND c = 3",
              "(((\"a\" = 1) OR (\"b\" = 2)) AND (\"c\" = 3))");
    check_sql("NOT a = 1 AND b = 2",
              "((NOT (\"a\" = 1)) AND (\"b\" = 2))");
    check_sql("NOT a = 1 OR b = 2",
              "((NOT (\"a\" = 1)) OR (\"b\" = 2))");
    check_sql("NOT (a = 1 OR b = 2)",
              "(NOT ((\"a\" = 1) OR (\"b\" = 2)))");
    check_sql("NOT NOT a = 1", "(NOT (NOT (\"a\" = 1)))");
    check_sql("a = 1 or b = 2 or c = 3 and d = 4 and e = 5",
              "((\"a\" = 1) OR (\"b\" = 2) OR ((\"c\" = 3) AND (\"d\" = 4) AND (\"e\" = 5)))");
    check_sql("((a = 1))", "(\"a\" = 1)");
    check_sql("a = 1 AND (b = 2 AND c = 3)",
              "((\"a\" = 1) AND ((\"b\" = 2) AND (\"c\" = 3)))");
    check_sql("a NOT IN (1) AND NOT b IN (2)",
              "((\"a\" NOT IN (1)) AND (NOT (\"b\" IN (2))))");
}

static void
test_parse_whitespace_and_case(void **state)
{
    (void) state;
    check_sql("  a\t=\n1\r\n", "(\"a\" = 1)");
    check_sql("A = 1 aNd B = 2 Or c In (3) AND d iS nOt NuLL and e = True",
              "(((\"a\" = 1) AND (\"b\" = 2)) OR ((\"c\" IN (3)) AND (\"d\" IS NOT NULL) "
              "AND (\"e\" = TRUE)))");
    check_sql("(a=1)and(b=2)", "((\"a\" = 1) AND (\"b\" = 2))");
}

static void
test_parse_columns(void **state)
{
    (void) state;
    char err[256];
    Predicate *p = predicate_parse("Region = 'A' AND (\"Region\" > 1 OR region IS NULL) "
                                   "AND \"x y\" IN (1) AND 3 < z",
                                   err, sizeof err);
    assert_non_null(p);
    assert_int_equal(predicate_column_count(p), 4);
    assert_string_equal(predicate_column(p, 0), "region");
    assert_string_equal(predicate_column(p, 1), "Region");
    assert_string_equal(predicate_column(p, 2), "x y");
    assert_string_equal(predicate_column(p, 3), "z");
    assert_null(predicate_column(p, 4));
    predicate_free(p);
}

static void
test_parse_long_chain_is_flat(void **state)
{
    (void) state;
    /* 20000 ORs would overflow a recursive evaluator if chains nested. */
    StrBuf sb;
    strbuf_init(&sb);
    for (int i = 0; i < 20000; i++)
        strbuf_appendf(&sb, "%sx = %d", i ? " OR " : "", i);
    char *text = strbuf_take(&sb);
    char err[256];
    Predicate *p = predicate_parse(text, err, sizeof err);
    assert_non_null(p);
    assert_int_equal(predicate_column_count(p), 1);
    TestColumn col = {"x", PV_NUMBER, "19999"};
    TestRow row = {.columns = &col, .count = 1};
    assert_int_equal(predicate_eval(p, test_lookup, &row, NULL), PRED_TRUE);
    predicate_free(p);
    free(text);
}

/* ---- errors ---- */

static void
test_error_messages(void **state)
{
    (void) state;
    check_error("", "at position 1: expected a condition (column op literal, NOT or '('), "
                    "found end of input");
    check_error("   ", "at position 4: expected a condition (column op literal, NOT or '('), "
                       "found end of input");
    check_error("region = 'A' AND", "at position 17: expected a condition (column op literal, "
                                    "NOT or '('), found end of input");
    check_error("amount = AND b = 1", "at position 10: expected a literal after '=', found 'AND'");
    check_error("amount >=", "at position 10: expected a literal after '>=', found end of input");
    check_error("(a = 1 OR b = 2", "at position 16: expected ')' to close the '(' at position 1, "
                                   "found end of input");
    check_error("((a = 1)", "at position 9: expected ')' to close the '(' at position 1, "
                            "found end of input");
    check_error("a = 1)", "at position 6: found ')' without a matching '('");
    check_error("name = 'abc", "at position 8: unterminated string, expected a closing '");
    check_error("name = 'it''s", "at position 8: unterminated string, expected a closing '");
    check_error("\"Deleted At IS NULL", "at position 1: unterminated quoted column name, "
                                         "expected a closing \"");
    check_error("\"\" = 1", "at position 1: empty quoted column name");
    check_error("a = 1 b", "at position 7: expected AND, OR or end of input, found 'b'");
    check_error("a = 1 2", "at position 7: expected AND, OR or end of input, found '2'");
    check_error("a IN ()", "at position 7: expected a literal in the IN list, found ')'");
    check_error("a IN (1,)", "at position 9: expected a literal in the IN list, found ')'");
    check_error("a IN (1 2)", "at position 9: expected ',' or ')' in the IN list, found '2'");
    check_error("a IN 1", "at position 6: expected '(' after IN, found '1'");
    check_error("a IN (1", "at position 8: expected ',' or ')' in the IN list, found end of input");
    check_error("a == 1", "at position 3: unknown operator '==', expected one of = <> != < <= > >=");
    check_error("a =< 1", "at position 3: unknown operator '=<', expected one of = <> != < <= > >=");
    check_error("a LIKE 'x'", "at position 3: expected an operator, IN, NOT IN or IS after "
                              "column a, found 'LIKE'");
    check_error("\"A b\" ~ 'x'", "at position 7: unexpected character '~'");
    check_error("a = 12abc", "at position 5: bad number '12abc'");
    check_error("a = 1.2.3", "at position 5: bad number '1.2.3'");
    check_error("a = 1e", "at position 5: bad number '1e'");
    check_error("a = 1e+", "at position 5: bad number '1e+'");
    check_error("a = 0x1F", "at position 5: bad number '0x1F'");
    check_error("a = 1e1001", "at position 5: number '1e1001' has an exponent beyond +-1000");
    check_error("a = 1AND b = 2", "at position 5: bad number '1AND'");
    check_error("a = - 1", "at position 5: unexpected character '-'");
    check_error("a IS 1", "at position 6: expected NULL or NOT NULL after IS, found '1'");
    check_error("a IS NOT 1", "at position 10: expected NULL after IS NOT, found '1'");
    check_error("a NOT = 1", "at position 7: expected IN after NOT, found '='");
    check_error("a = NULL", "at position 5: a comparison with NULL is never true; write IS NULL "
                            "or IS NOT NULL instead of '=' NULL");
    check_error("a != NULL", "at position 6: a comparison with NULL is never true; write IS NULL "
                             "or IS NOT NULL instead of '<>' NULL");
    check_error("NULL = a", "at position 1: a comparison with NULL is never true; write column "
                            "IS NULL");
    check_error("a = b", "at position 5: expected a literal after '=', found 'b'");
    check_error("1 = 2", "at position 5: expected a column name after the operator (one side "
                         "must be a column), found '2'");
    check_error("1 AND a = 1", "at position 3: expected a comparison operator after the literal, "
                               "found 'AND'");
    check_error("and = 1", "at position 1: expected a condition (column op literal, NOT or '('), "
                           "found 'and'");
    check_error("a = 1 AND OR b = 2", "at position 11: expected a condition (column op literal, "
                                      "NOT or '('), found 'OR'");
    check_error("a.b = 1", "at position 2: unexpected character '.'");
    check_error("a = 1\x01", "at position 6: unexpected control character 0x01");
}

static void
test_error_positions_count_characters(void **state)
{
    (void) state;
    /* 'é' and '東' are several bytes each but one character. */
    check_error("ville = 'Zürich' AND = 1",
                "at position 22: expected a condition (column op literal, NOT or '('), found '='");
    check_error("名前 = 東", "at position 6: expected a literal after '=', found '東'");
    check_error("a = 'x\xff'", "at position 7: invalid UTF-8");
    check_error("a = '\xc0\xaf'", "at position 6: invalid UTF-8");          /* overlong '/' */
    check_error("a = '\xed\xa0\x80'", "at position 6: invalid UTF-8");      /* surrogate */
}

static void
test_error_found_is_one_line_and_short(void **state)
{
    (void) state;
    check_error("a = 1 'line one\nline two'",
                "at position 7: expected AND, OR or end of input, found 'line one line two'");
    check_error("a = 1 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'",
                "at position 7: expected AND, OR or end of input, "
                "found '" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...");   /* 44 bytes */
}

static void
test_error_nesting_limit(void **state)
{
    (void) state;
    StrBuf sb;
    strbuf_init(&sb);
    for (int i = 0; i < PREDICATE_MAX_DEPTH; i++)
        strbuf_append(&sb, "(");
    strbuf_append(&sb, "a = 1");
    for (int i = 0; i < PREDICATE_MAX_DEPTH; i++)
        strbuf_append(&sb, ")");
    char *ok = strbuf_take(&sb);
    char err[256];
    Predicate *p = predicate_parse(ok, err, sizeof err);
    assert_non_null(p);
    predicate_free(p);
    free(ok);

    strbuf_init(&sb);
    for (int i = 0; i < 100000; i++)
        strbuf_append(&sb, "NOT ");
    strbuf_append(&sb, "a = 1");
    char *deep = strbuf_take(&sb);
    assert_null(predicate_parse(deep, err, sizeof err));
    assert_string_equal(err, "at position 401: nesting deeper than 100 levels of parentheses and NOT");
    free(deep);
}

static void
test_error_buffer_handling(void **state)
{
    (void) state;
    assert_null(predicate_parse("a =", NULL, 0));
    char small[12];
    assert_null(predicate_parse("a =", small, sizeof small));
    assert_string_equal(small, "at position");
    char err[64] = "stale";
    Predicate *p = predicate_parse("a = 1", err, sizeof err);
    assert_non_null(p);
    assert_string_equal(err, "");
    predicate_free(p);
}

/* ---- SQL rendering ---- */

static void
test_sql_quoting(void **state)
{
    (void) state;
    check_sql("\"Deleted At\" IS NOT NULL AND \"we\"\"ird\" = 'O''Brien'",
              "((\"Deleted At\" IS NOT NULL) AND (\"we\"\"ird\" = 'O''Brien'))");
    check_sql("\"Ünïcödé 列\" IN ('ä', '''', '\"')",
              "(\"Ünïcödé 列\" IN ('ä', '''', '\"'))");
    /* Injection attempts stay inside their quotes. */
    check_sql("\"x\"\"); DROP TABLE t; --\" = '''; DROP TABLE t; --'",
              "(\"x\"\"); DROP TABLE t; --\" = '''; DROP TABLE t; --')");
}

/* A dialect with a context, to check that ctx reaches the callbacks. */
static char *
backtick_ident(const char *name, void *ctx)
{
    (*(int *) ctx)++;
    return quote_with(name, '`');
}

static void
test_sql_dialect_context(void **state)
{
    (void) state;
    int calls = 0;
    PredicateSqlDialect d = {.quote_ident = backtick_ident, .quote_literal = test_quote_literal,
                             .ctx = &calls};
    Predicate *p = predicate_parse("a = 'x' OR `b` = 1", NULL, 0);
    assert_null(p);   /* a backtick is not our quoting */
    p = predicate_parse("a = 'x' OR \"b`\" = 1", NULL, 0);
    assert_non_null(p);
    char *sql = predicate_to_sql(p, &d);
    assert_string_equal(sql, "((`a` = 'x') OR (`b``` = 1))");
    assert_int_equal(calls, 2);
    free(sql);
    predicate_free(p);
}

/* ---- evaluation ---- */

static PredicateValueKind
kind_of(const char *v)
{
    return v ? PV_BOOL : PV_NULL;
}

/* Kleene truth tables, with a and b each t, f or NULL (UNKNOWN). */
static void
test_eval_truth_tables(void **state)
{
    (void) state;
    static const char *const vals[] = {"t", "f", NULL};
    static const PredicateTruth as_truth[] = {PRED_TRUE, PRED_FALSE, PRED_UNKNOWN};
    static const PredicateTruth and_table[3][3] = {
        {PRED_TRUE, PRED_FALSE, PRED_UNKNOWN},
        {PRED_FALSE, PRED_FALSE, PRED_FALSE},
        {PRED_UNKNOWN, PRED_FALSE, PRED_UNKNOWN},
    };
    static const PredicateTruth or_table[3][3] = {
        {PRED_TRUE, PRED_TRUE, PRED_TRUE},
        {PRED_TRUE, PRED_FALSE, PRED_UNKNOWN},
        {PRED_TRUE, PRED_UNKNOWN, PRED_UNKNOWN},
    };
    static const PredicateTruth not_table[3] = {PRED_FALSE, PRED_TRUE, PRED_UNKNOWN};
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            TestColumn row[] = {{"a", kind_of(vals[i]), vals[i]}, {"b", kind_of(vals[j]), vals[j]}};
            assert_int_equal(eval_row("a = TRUE", row, 2, NULL), as_truth[i]);
            assert_int_equal(eval_row("a = TRUE AND b = TRUE", row, 2, NULL), and_table[i][j]);
            assert_int_equal(eval_row("a = TRUE OR b = TRUE", row, 2, NULL), or_table[i][j]);
            assert_int_equal(eval_row("NOT a = TRUE", row, 2, NULL), not_table[i]);
            assert_int_equal(eval_row("NOT (a = TRUE AND b = TRUE)", row, 2, NULL),
                             not_table[and_table[i][j] == PRED_TRUE ? 0
                                       : and_table[i][j] == PRED_FALSE ? 1 : 2]);
        }
    }
}

static void
test_eval_precedence(void **state)
{
    (void) state;
    /* a=1 OR (b=2 AND c=3): TRUE here; (a=1 OR b=2) AND c=3 would be FALSE. */
    TestColumn row[] = {{"a", PV_NUMBER, "1"}, {"b", PV_NUMBER, "0"}, {"c", PV_NUMBER, "0"}};
    assert_int_equal(eval_row("a = 1 OR b = 2 AND c = 3", row, 3, NULL), PRED_TRUE);
    assert_int_equal(eval_row("(a = 1 OR b = 2) AND c = 3", row, 3, NULL), PRED_FALSE);
    /* NOT binds tighter than AND: (NOT a=1) AND b=0 is FALSE; NOT (a=1 AND b=0) too. */
    assert_int_equal(eval_row("NOT a = 1 AND b = 0", row, 3, NULL), PRED_FALSE);
    assert_int_equal(eval_row("NOT a = 2 AND b = 0", row, 3, NULL), PRED_TRUE);
    /* NOT binds tighter than OR: (NOT a=1) OR b=0 is TRUE, NOT (a=1 OR b=0) would be FALSE. */
    assert_int_equal(eval_row("NOT a = 1 OR b = 0", row, 3, NULL), PRED_TRUE);
    assert_int_equal(eval_row("NOT (a = 1 OR b = 0)", row, 3, NULL), PRED_FALSE);
}

static void
test_eval_design_example(void **state)
{
    (void) state;
    const char *text = "region = 'A' AND (status IN ('new','paid') OR amount >= 100.50) "
                       "AND NOT \"Deleted At\" IS NOT NULL";
    TestColumn row[] = {{"region", PV_TEXT, "A"}, {"status", PV_TEXT, "shipped"},
                        {"amount", PV_NUMBER, "100.5"}, {"Deleted At", PV_NULL, NULL}};
    assert_int_equal(eval_row(text, row, 4, NULL), PRED_TRUE);
    row[2].text = "100.49";
    assert_int_equal(eval_row(text, row, 4, NULL), PRED_FALSE);
    row[1].text = "paid";
    assert_int_equal(eval_row(text, row, 4, NULL), PRED_TRUE);
    row[3] = (TestColumn) {"Deleted At", PV_TEXT, "2024-01-01 00:00:00+00"};
    assert_int_equal(eval_row(text, row, 4, NULL), PRED_FALSE);
    row[3] = (TestColumn) {"Deleted At", PV_NULL, NULL};
    row[0] = (TestColumn) {"region", PV_NULL, NULL};
    assert_int_equal(eval_row(text, row, 4, NULL), PRED_UNKNOWN);
}

static void
test_eval_comparisons_with_null(void **state)
{
    (void) state;
    static const char *const tests[] = {"x = 1", "x <> 1", "x < 1", "x <= 1", "x > 1", "x >= 1",
                                        "x = 'a'", "x = TRUE", "1 < x"};
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        EXPECT_X(tests[i], PV_NULL, NULL, PRED_UNKNOWN);
        char negated[64];
        snprintf(negated, sizeof negated, "NOT %s", tests[i]);
        EXPECT_X(negated, PV_NULL, NULL, PRED_UNKNOWN);
    }
    EXPECT_X("x IS NULL", PV_NULL, NULL, PRED_TRUE);
    EXPECT_X("x IS NOT NULL", PV_NULL, NULL, PRED_FALSE);
    EXPECT_X("x IS NULL", PV_TEXT, "", PRED_FALSE);
    EXPECT_X("x IS NOT NULL", PV_TEXT, "", PRED_TRUE);
    EXPECT_X("x IS NULL", PV_NUMBER, "0", PRED_FALSE);
}

static void
test_eval_operators(void **state)
{
    (void) state;
    EXPECT_X("x = 5", PV_NUMBER, "5", PRED_TRUE);
    EXPECT_X("x <> 5", PV_NUMBER, "5", PRED_FALSE);
    EXPECT_X("x != 5", PV_NUMBER, "4", PRED_TRUE);
    EXPECT_X("x < 5", PV_NUMBER, "4", PRED_TRUE);
    EXPECT_X("x < 5", PV_NUMBER, "5", PRED_FALSE);
    EXPECT_X("x <= 5", PV_NUMBER, "5", PRED_TRUE);
    EXPECT_X("x > 5", PV_NUMBER, "5", PRED_FALSE);
    EXPECT_X("x >= 5", PV_NUMBER, "5", PRED_TRUE);
    EXPECT_X("x >= 5", PV_NUMBER, "4.999", PRED_FALSE);
    /* literal op column is flipped, not mirrored. */
    EXPECT_X("5 < x", PV_NUMBER, "6", PRED_TRUE);
    EXPECT_X("5 < x", PV_NUMBER, "4", PRED_FALSE);
    EXPECT_X("5 >= x", PV_NUMBER, "5", PRED_TRUE);
    EXPECT_X("'b' > x", PV_TEXT, "a", PRED_TRUE);
}

static void
test_eval_exact_decimals(void **state)
{
    (void) state;
    EXPECT_X("x = 1.5", PV_NUMBER, "1.50", PRED_TRUE);
    EXPECT_X("x = 1.50", PV_NUMBER, "1.5", PRED_TRUE);
    EXPECT_X("x = 0", PV_NUMBER, "-0", PRED_TRUE);
    EXPECT_X("x = 0", PV_NUMBER, "-0.000", PRED_TRUE);
    EXPECT_X("x = 100", PV_NUMBER, "1e2", PRED_TRUE);
    EXPECT_X("x = 1e2", PV_NUMBER, "100.000", PRED_TRUE);
    /* Doubles cannot tell these apart; exact decimals must. */
    EXPECT_X("x > 12345678901234567890", PV_NUMBER, "12345678901234567890.000001", PRED_TRUE);
    EXPECT_X("x = 12345678901234567890", PV_NUMBER, "12345678901234567890.000001", PRED_FALSE);
    EXPECT_X("x = 12345678901234567891", PV_NUMBER, "12345678901234567890", PRED_FALSE);
    EXPECT_X("x < 0.3", PV_NUMBER, "0.30000000000000001", PRED_FALSE);
    EXPECT_X("x = 9007199254740993", PV_NUMBER, "9007199254740992", PRED_FALSE);
    EXPECT_X("x < -1", PV_NUMBER, "-2", PRED_TRUE);
    EXPECT_X("x > -1.5", PV_NUMBER, "-1.49", PRED_TRUE);
    EXPECT_X("x < 2.5e-3", PV_NUMBER, "0.0024999", PRED_TRUE);
    EXPECT_X("x < 1e3", PV_NUMBER, "NaN", PRED_FALSE);
    EXPECT_X("x > 1e3", PV_NUMBER, "NaN", PRED_TRUE);
    EXPECT_X("x = 'NaN'", PV_NUMBER, "NaN", PRED_TRUE);
    EXPECT_X("x > 'Infinity'", PV_NUMBER, "NaN", PRED_TRUE);
    EXPECT_X("x < 99999999999999999999", PV_NUMBER, "Infinity", PRED_FALSE);
    EXPECT_X("x < -99999999999999999999", PV_NUMBER, "-Infinity", PRED_TRUE);
    EXPECT_X("x = '-inf'", PV_NUMBER, "-Infinity", PRED_TRUE);
    EXPECT_X("x IN (1, 2.50, 3)", PV_NUMBER, "2.5", PRED_TRUE);
    EXPECT_X("x = 1", PV_NUMBER, "one", PRED_UNKNOWN);   /* unreadable value */
}

static void
test_number_compare(void **state)
{
    (void) state;
    EXPECT_CMP("1.50", "1.5", 0);
    EXPECT_CMP("-0", "0", 0);
    EXPECT_CMP("0.000", "-0e7", 0);
    EXPECT_CMP("1e2", "100", 0);
    EXPECT_CMP("1E+2", "100.0", 0);
    EXPECT_CMP("12.5e-1", "1.25", 0);
    EXPECT_CMP("0.001", "1e-3", 0);
    EXPECT_CMP("007", "7", 0);
    EXPECT_CMP(".5", "0.5", 0);
    EXPECT_CMP("5.", "5", 0);
    EXPECT_CMP("+3", "3", 0);
    EXPECT_CMP(" 42 ", "42", 0);
    EXPECT_CMP("12345678901234567890.000001", "12345678901234567890", 1);
    EXPECT_CMP("0.1", "0.10000000000000000000000000001", -1);
    EXPECT_CMP("-12345678901234567890.000001", "-12345678901234567890", -1);
    EXPECT_CMP("-1", "1", -1);
    EXPECT_CMP("-2", "-1", -1);
    EXPECT_CMP("-0.5", "0", -1);
    EXPECT_CMP("0", "0.0000001", -1);
    EXPECT_CMP("99", "100", -1);
    EXPECT_CMP("9.99", "10", -1);
    EXPECT_CMP("1e-5", "1e-6", 1);
    EXPECT_CMP("-1e-5", "-1e-6", -1);
    EXPECT_CMP("1e+308", "1e307", 1);
    EXPECT_CMP("123.456", "123.4561", -1);
    EXPECT_CMP("NaN", "NaN", 0);
    EXPECT_CMP("nan", "Infinity", 1);
    EXPECT_CMP("NaN", "-Infinity", 1);
    EXPECT_CMP("NaN", "1e999999", 1);
    EXPECT_CMP("Infinity", "1e999999", 1);
    EXPECT_CMP("-Infinity", "-1e999999", -1);
    EXPECT_CMP("inf", "Infinity", 0);
    EXPECT_CMP("-inf", "inf", -1);
    int c;
    assert_false(predicate_number_compare("1.2.3", "1", &c));
    assert_false(predicate_number_compare("1", "abc", &c));
    assert_false(predicate_number_compare("", "1", &c));
    assert_false(predicate_number_compare("1e", "1", &c));
    assert_false(predicate_number_compare("-NaN", "1", &c));
    assert_false(predicate_number_compare("1e2000000000", "1", &c));   /* exponent out of range */
    assert_false(predicate_number_compare(".", "1", &c));
}

static void
test_eval_in_with_null(void **state)
{
    (void) state;
    EXPECT_X("x IN (1, 2)", PV_NUMBER, "2", PRED_TRUE);
    EXPECT_X("x IN (1, 2)", PV_NUMBER, "3", PRED_FALSE);
    EXPECT_X("x IN (1, NULL)", PV_NUMBER, "1", PRED_TRUE);
    EXPECT_X("x IN (1, NULL)", PV_NUMBER, "3", PRED_UNKNOWN);
    EXPECT_X("x IN (1, 2)", PV_NULL, NULL, PRED_UNKNOWN);
    EXPECT_X("x IN (NULL)", PV_NULL, NULL, PRED_UNKNOWN);
    EXPECT_X("x NOT IN (1, 2)", PV_NUMBER, "3", PRED_TRUE);
    EXPECT_X("x NOT IN (1, 2)", PV_NUMBER, "2", PRED_FALSE);
    /* The classic trap: NOT IN with a NULL is never TRUE. */
    EXPECT_X("x NOT IN (1, NULL)", PV_NUMBER, "3", PRED_UNKNOWN);
    EXPECT_X("x NOT IN (1, NULL)", PV_NUMBER, "1", PRED_FALSE);
    EXPECT_X("x NOT IN (1, 2)", PV_NULL, NULL, PRED_UNKNOWN);
    EXPECT_X("x IN ('new', 'paid')", PV_TEXT, "paid", PRED_TRUE);
    EXPECT_X("x IN ('new', 'paid')", PV_TEXT, "Paid", PRED_FALSE);
    /* A mismatched element is UNKNOWN, like a NULL. */
    EXPECT_X("x IN (TRUE, 'a')", PV_TEXT, "b", PRED_UNKNOWN);
    EXPECT_X("x IN (TRUE, 'a')", PV_TEXT, "a", PRED_TRUE);
}

static void
test_eval_text(void **state)
{
    (void) state;
    EXPECT_X("x = 'A'", PV_TEXT, "A", PRED_TRUE);
    EXPECT_X("x = 'A'", PV_TEXT, "a", PRED_FALSE);
    EXPECT_X("x = 'A'", PV_TEXT, "A ", PRED_FALSE);
    EXPECT_X("x < 'b'", PV_TEXT, "a", PRED_TRUE);
    EXPECT_X("x < 'ab'", PV_TEXT, "a", PRED_TRUE);
    EXPECT_X("x < 'a'", PV_TEXT, "", PRED_TRUE);
    EXPECT_X("x < 'a'", PV_TEXT, "B", PRED_TRUE);         /* C collation: upper before lower */
    EXPECT_X("x > 'z'", PV_TEXT, "é", PRED_TRUE);         /* bytewise: UTF-8 after ASCII */
    EXPECT_X("x = 'Zürich'", PV_TEXT, "Zürich", PRED_TRUE);
    EXPECT_X("x = 'it''s'", PV_TEXT, "it's", PRED_TRUE);
    EXPECT_X("x = ''", PV_TEXT, "", PRED_TRUE);
}

static void
test_eval_type_mixing(void **state)
{
    (void) state;
    /* number vs string literal: the string is read as a number. */
    EXPECT_X("x = '1.50'", PV_NUMBER, "1.5", PRED_TRUE);
    EXPECT_X("x > ' 10 '", PV_NUMBER, "9", PRED_FALSE);
    EXPECT_X("x = 'abc'", PV_NUMBER, "1", PRED_UNKNOWN);
    EXPECT_X("x <> 'abc'", PV_NUMBER, "1", PRED_UNKNOWN);
    /* text vs number literal: the text is read as a number. */
    EXPECT_X("x = 10", PV_TEXT, "10.0", PRED_TRUE);
    EXPECT_X("x < 9", PV_TEXT, "10", PRED_FALSE);
    EXPECT_X("x = 10", PV_TEXT, "ten", PRED_UNKNOWN);
    /* booleans */
    EXPECT_X("x = TRUE", PV_BOOL, "t", PRED_TRUE);
    EXPECT_X("x = FALSE", PV_BOOL, "t", PRED_FALSE);
    EXPECT_X("x <> TRUE", PV_BOOL, "f", PRED_TRUE);
    EXPECT_X("x < TRUE", PV_BOOL, "f", PRED_TRUE);
    EXPECT_X("x = 't'", PV_BOOL, "t", PRED_TRUE);
    EXPECT_X("x = 'TRUE'", PV_BOOL, "t", PRED_TRUE);
    EXPECT_X("x = 'f'", PV_BOOL, "t", PRED_FALSE);
    EXPECT_X("x = 'false'", PV_BOOL, "f", PRED_TRUE);
    EXPECT_X("x = 'yes'", PV_BOOL, "t", PRED_UNKNOWN);
    EXPECT_X("x = TRUE", PV_BOOL, "true", PRED_TRUE);
    EXPECT_X("x = TRUE", PV_BOOL, "maybe", PRED_UNKNOWN);
    /* booleans and numbers meet as 1/0 (MySQL TINYINT(1)). */
    EXPECT_X("x = TRUE", PV_NUMBER, "1", PRED_TRUE);
    EXPECT_X("x = FALSE", PV_NUMBER, "0", PRED_TRUE);
    EXPECT_X("x = TRUE", PV_NUMBER, "2", PRED_FALSE);
    EXPECT_X("x = 1", PV_BOOL, "t", PRED_TRUE);
    EXPECT_X("x = 0", PV_BOOL, "t", PRED_FALSE);
    /* unresolvable mismatches are UNKNOWN, also under NOT. */
    EXPECT_X("x = TRUE", PV_TEXT, "t", PRED_UNKNOWN);
    EXPECT_X("NOT x = TRUE", PV_TEXT, "t", PRED_UNKNOWN);
    EXPECT_X("x <> FALSE", PV_TEXT, "abc", PRED_UNKNOWN);
}

static void
test_eval_missing_column(void **state)
{
    (void) state;
    TestColumn row[] = {{"a", PV_NUMBER, "1"}};
    char *missing = NULL;
    assert_int_equal(eval_row("b = 1", row, 1, (const char **) &missing), PRED_UNKNOWN);
    assert_string_equal(missing, "b");
    free(missing);
    assert_int_equal(eval_row("b IS NULL", row, 1, (const char **) &missing), PRED_UNKNOWN);
    assert_string_equal(missing, "b");
    free(missing);
    assert_int_equal(eval_row("a = 1 AND \"Missing One\" = 2 AND c = 3", row, 1,
                              (const char **) &missing), PRED_UNKNOWN);
    assert_string_equal(missing, "Missing One");
    free(missing);
    /* Decided whatever the missing column holds: the name is still reported. */
    assert_int_equal(eval_row("b = 1 AND a = 2", row, 1, (const char **) &missing), PRED_FALSE);
    assert_string_equal(missing, "b");
    free(missing);
    assert_int_equal(eval_row("b = 1 OR a = 1", row, 1, (const char **) &missing), PRED_TRUE);
    assert_string_equal(missing, "b");
    free(missing);
    /* Short-circuit: the missing column after the deciding test is never consulted. */
    assert_int_equal(eval_row("a = 1 OR b = 1", row, 1, (const char **) &missing), PRED_TRUE);
    assert_null(missing);
    assert_int_equal(eval_row("a = 1", row, 1, (const char **) &missing), PRED_TRUE);
    assert_null(missing);

    /* missing_column may be NULL, and the reported name belongs to the predicate. */
    Predicate *p = predicate_parse("zz = 1", NULL, 0);
    assert_non_null(p);
    TestRow r = {.columns = row, .count = 1};
    assert_int_equal(predicate_eval(p, test_lookup, &r, NULL), PRED_UNKNOWN);
    const char *name = NULL;
    assert_int_equal(predicate_eval(p, test_lookup, &r, &name), PRED_UNKNOWN);
    assert_ptr_equal(name, predicate_column(p, 0));
    predicate_free(p);
}

static void
test_eval_short_circuit_lookups(void **state)
{
    (void) state;
    TestColumn row[] = {{"a", PV_NUMBER, "1"}, {"b", PV_NUMBER, "2"}};
    Predicate *p = predicate_parse("a = 2 AND b = 2", NULL, 0);
    assert_non_null(p);
    TestRow r = {.columns = row, .count = 2};
    assert_int_equal(predicate_eval(p, test_lookup, &r, NULL), PRED_FALSE);
    assert_int_equal(r.lookups, 1);
    predicate_free(p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_comparisons),
        cmocka_unit_test(test_parse_literals),
        cmocka_unit_test(test_parse_in_and_null),
        cmocka_unit_test(test_parse_literal_first),
        cmocka_unit_test(test_parse_identifiers),
        cmocka_unit_test(test_parse_example_from_design),
        cmocka_unit_test(test_parse_precedence),
        cmocka_unit_test(test_parse_whitespace_and_case),
        cmocka_unit_test(test_parse_columns),
        cmocka_unit_test(test_parse_long_chain_is_flat),
        cmocka_unit_test(test_error_messages),
        cmocka_unit_test(test_error_positions_count_characters),
        cmocka_unit_test(test_error_found_is_one_line_and_short),
        cmocka_unit_test(test_error_nesting_limit),
        cmocka_unit_test(test_error_buffer_handling),
        cmocka_unit_test(test_sql_quoting),
        cmocka_unit_test(test_sql_dialect_context),
        cmocka_unit_test(test_eval_truth_tables),
        cmocka_unit_test(test_eval_precedence),
        cmocka_unit_test(test_eval_design_example),
        cmocka_unit_test(test_eval_comparisons_with_null),
        cmocka_unit_test(test_eval_operators),
        cmocka_unit_test(test_eval_exact_decimals),
        cmocka_unit_test(test_number_compare),
        cmocka_unit_test(test_eval_in_with_null),
        cmocka_unit_test(test_eval_text),
        cmocka_unit_test(test_eval_type_mixing),
        cmocka_unit_test(test_eval_missing_column),
        cmocka_unit_test(test_eval_short_circuit_lookups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
