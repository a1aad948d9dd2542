/*
 * test_changefeed_value.c: changefeed JSON values as canonical text, per
 * column type, and changefeed rows (key, after, before) as Changes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/catalog.h"
#include "core/changefeed_change.h"
#include "core/changefeed_value.h"
#include "core/jsonv.h"
#include "util/mem.h"

static const ChangefeedType SCALAR = {CFV_SCALAR, CFV_SCALAR}, BOOL = {CFV_BOOL, CFV_SCALAR},
                            JSON = {CFV_JSON, CFV_SCALAR}, TEXT_ARRAY = {CFV_ARRAY, CFV_SCALAR},
                            BOOL_ARRAY = {CFV_ARRAY, CFV_BOOL}, JSON_ARRAY = {CFV_ARRAY, CFV_JSON};

/* The canonical text of one JSON value for a type, "<null>" for SQL NULL, "<error: ...>" when refused. */
static char *
text_of(const char *json, ChangefeedType t)
{
    JsonvDoc doc;
    char err[200];
    if (!jsonv_parse(json, strlen(json), &doc, err, sizeof err))
        return gw_asprintf("<bad test JSON: %s>", err);
    StrBuf sb;
    strbuf_init(&sb);
    bool is_null;
    char *out;
    if (!changefeed_value_text(doc.root, t, &sb, &is_null, err, sizeof err))
        out = gw_asprintf("<error: %s>", err);
    else if (is_null)
        out = gw_strdup("<null>");
    else
        out = gw_strdup(sb.data ? sb.data : "");
    strbuf_free(&sb);
    jsonv_free(&doc);
    return out;
}

#define assert_text(json, type, expected)                                                                        \
    do {                                                                                                         \
        char *got_ = text_of(json, type);                                                                        \
        assert_string_equal(got_, expected);                                                                     \
        free(got_);                                                                                              \
    } while (0)

static void
test_scalars(void **state)
{
    (void) state;
    /* INT, FLOAT and DECIMAL arrive as numbers and pass as sent: scale, precision and exponent kept. */
    assert_text("42", SCALAR, "42");
    assert_text("-9223372036854775808", SCALAR, "-9223372036854775808");
    assert_text("25.00", SCALAR, "25.00");
    assert_text("123456789012345678901234567890.000000001", SCALAR, "123456789012345678901234567890.000000001");
    assert_text("1.5E+300", SCALAR, "1.5E+300");
    assert_text("0.30000000000000004", SCALAR, "0.30000000000000004");
    /* Non-finite floats and decimals come as strings. */
    assert_text("\"NaN\"", SCALAR, "NaN");
    assert_text("\"-Infinity\"", SCALAR, "-Infinity");
    /* Strings pass as they are: text, UUID, dates, times, intervals, INET, enums, BIT. */
    assert_text("\"d7b18299-c0c4-4304-9ef7-05ae46fd5ee1\"", SCALAR, "d7b18299-c0c4-4304-9ef7-05ae46fd5ee1");
    assert_text("\"2019-01-02T03:04:05.123456Z\"", SCALAR, "2019-01-02T03:04:05.123456Z");
    assert_text("\"2019-01-02T03:04:05\"", SCALAR, "2019-01-02T03:04:05");
    assert_text("\"1 day 02:03:04.5\"", SCALAR, "1 day 02:03:04.5");
    assert_text("\"192.168.0.1/24\"", SCALAR, "192.168.0.1/24");
    assert_text("\"line1\\nline2\\ttab \\\"q\\\" \\\\ \\u00fc\"", SCALAR, "line1\nline2\ttab \"q\" \\ \xc3\xbc");
    assert_text("\"\"", SCALAR, "");
    /* BYTES: CockroachDB's hex form, which is bytea's. */
    assert_text("\"\\\\x68656c6c6f00ff\"", SCALAR, "\\x68656c6c6f00ff");
    /* BOOL: t/f. */
    assert_text("true", BOOL, "t");
    assert_text("false", BOOL, "f");
    /* SQL NULL for every type. */
    assert_text("null", SCALAR, "<null>");
    assert_text("null", BOOL, "<null>");
    assert_text("null", JSON, "<null>");
    assert_text("null", TEXT_ARRAY, "<null>");
    /* A NUL character cannot go into PostgreSQL text. */
    assert_text("\"a\\u0000b\"", SCALAR, "<error: a string holds a NUL character, which PostgreSQL text cannot>");
    /* An object or array for a column that is neither JSON nor an array. */
    assert_text("{\"a\":1}", SCALAR,
                "<error: the value is an object, which godwit converts only for json, jsonb and array columns>");
    assert_text("[1]", BOOL,
                "<error: the value is an array, which godwit converts only for json, jsonb and array columns>");
}

static void
test_json_columns(void **state)
{
    (void) state;
    /* JSONB values are the JSON document itself, compact, numbers verbatim. */
    assert_text("{\"brand\": \"Schwinn\", \"n\": 1.50, \"tags\": [1, \"x\", null, true]}", JSON,
                "{\"brand\":\"Schwinn\",\"n\":1.50,\"tags\":[1,\"x\",null,true]}");
    assert_text("[1, 2]", JSON, "[1,2]");
    /* A JSON string stays a JSON string (quoted); a JSON number or boolean stays one. */
    assert_text("\"abc\"", JSON, "\"abc\"");
    assert_text("\"a\\\"b\\n\"", JSON, "\"a\\\"b\\n\"");
    assert_text("12.50", JSON, "12.50");
    assert_text("true", JSON, "true");
    /*
     * encode_json_value_null_as_object: a JSON null, against an SQL NULL.  The values are those of
     * CockroachDB's own encoder test (pkg/ccl/changefeedccl, "json null" and "sql null" cases:
     * {"after": {"a":1,"b":{"__crdb_json_null__":true}}, "before": null}).
     */
    assert_text("{\"__crdb_json_null__\":true}", JSON, "null");
    assert_text("{\"__crdb_json_null__\": true}", JSON, "null");
    assert_text("null", JSON, "<null>");
    /* Only that object: another value with the key, or false, is a document like any other. */
    assert_text("{\"__crdb_json_null__\":false}", JSON, "{\"__crdb_json_null__\":false}");
    assert_text("{\"__crdb_json_null__\":true,\"x\":1}", JSON, "{\"__crdb_json_null__\":true,\"x\":1}");
}

static void
test_arrays(void **state)
{
    (void) state;
    assert_text("[1, 2, 3]", TEXT_ARRAY, "{1,2,3}");
    assert_text("[]", TEXT_ARRAY, "{}");
    /* Strings always quoted, with " and \ escaped; NULL unquoted; "NULL" the string quoted. */
    assert_text("[\"a b\", null, \"NULL\", \"x\\\"y\", \"c\\\\d\", \"\", \"{}\"]", TEXT_ARRAY,
                "{\"a b\",NULL,\"NULL\",\"x\\\"y\",\"c\\\\d\",\"\",\"{}\"}");
    assert_text("[true, false, null]", BOOL_ARRAY, "{t,f,NULL}");
    assert_text("[1.50, -2e3]", TEXT_ARRAY, "{1.50,-2e3}");
    /* Bytes elements keep their backslash, escaped for the literal. */
    assert_text("[\"\\\\x00ff\"]", TEXT_ARRAY, "{\"\\\\x00ff\"}");
    /* More dimensions nest. */
    assert_text("[[1, 2], [3, null]]", TEXT_ARRAY, "{{1,2},{3,NULL}}");
    /* JSONB[]: each element its JSON text, quoted. */
    assert_text("[{\"a\": 1}, \"s\", 2, null]", JSON_ARRAY, "{\"{\\\"a\\\":1}\",\"\\\"s\\\"\",\"2\",NULL}");
    assert_text("[{\"a\": 1}]", TEXT_ARRAY,
                "<error: an array element is an object, which only json and jsonb arrays take>");
}

/* A catalog with the types the tests' table uses, as describe() would fill it. */
static void
add_type(Catalog *cat, uint32_t id, const char *name, TypeKind kind, char category, uint32_t elem, uint32_t base)
{
    TypeDef *t = catalog_add_type(cat);
    t->id = id;
    t->schema = gw_strdup(id < 16384 ? "pg_catalog" : "public");
    t->name = gw_strdup(name);
    t->sql = gw_strdup(name);
    t->kind = kind;
    t->builtin = id < 16384;
    t->category = category;
    t->elem_id = elem;
    t->base_id = base;
}

static void
test_type_of(void **state)
{
    (void) state;
    Catalog cat;
    catalog_init(&cat);
    add_type(&cat, 23, "int4", TYPE_BASE, 'N', 0, 0);
    add_type(&cat, 16, "bool", TYPE_BASE, 'B', 0, 0);
    add_type(&cat, 3802, "jsonb", TYPE_BASE, 'U', 0, 0);
    add_type(&cat, 114, "json", TYPE_BASE, 'U', 0, 0);
    add_type(&cat, 1009, "_text", TYPE_ARRAY, 'A', 25, 0);
    add_type(&cat, 25, "text", TYPE_BASE, 'S', 0, 0);
    add_type(&cat, 1000, "_bool", TYPE_ARRAY, 'A', 16, 0);
    add_type(&cat, 3807, "_jsonb", TYPE_ARRAY, 'A', 3802, 0);
    add_type(&cat, 20000, "flag", TYPE_DOMAIN, 'B', 0, 16);
    add_type(&cat, 20001, "jsonb", TYPE_BASE, 'U', 0, 0); /* a user type named jsonb is not JSON */
    assert_int_equal(changefeed_type_of(&cat, 23).kind, CFV_SCALAR);
    assert_int_equal(changefeed_type_of(&cat, 16).kind, CFV_BOOL);
    assert_int_equal(changefeed_type_of(&cat, 3802).kind, CFV_JSON);
    assert_int_equal(changefeed_type_of(&cat, 114).kind, CFV_JSON);
    assert_int_equal(changefeed_type_of(&cat, 1009).kind, CFV_ARRAY);
    assert_int_equal(changefeed_type_of(&cat, 1009).elem, CFV_SCALAR);
    assert_int_equal(changefeed_type_of(&cat, 1000).elem, CFV_BOOL);
    assert_int_equal(changefeed_type_of(&cat, 3807).elem, CFV_JSON);
    assert_int_equal(changefeed_type_of(&cat, 20000).kind, CFV_BOOL);
    assert_int_equal(changefeed_type_of(&cat, 20001).kind, CFV_SCALAR);
    assert_int_equal(changefeed_type_of(&cat, 99999).kind, CFV_SCALAR);
    catalog_free(&cat);
}

/* public.orders (id int4, region text, flags bool[], doc jsonb, total int4 GENERATED), key (id). */
typedef struct Fixture {
    Catalog cat;
    TableDef *t;
    ChangefeedTable ct;
    ChangefeedChange cc;
    JsonvDoc docs[3];
} Fixture;

static int
setup(void **state)
{
    Fixture *f = gw_calloc(1, sizeof *f);
    catalog_init(&f->cat);
    add_type(&f->cat, 23, "int4", TYPE_BASE, 'N', 0, 0);
    add_type(&f->cat, 25, "text", TYPE_BASE, 'S', 0, 0);
    add_type(&f->cat, 16, "bool", TYPE_BASE, 'B', 0, 0);
    add_type(&f->cat, 1000, "_bool", TYPE_ARRAY, 'A', 16, 0);
    add_type(&f->cat, 3802, "jsonb", TYPE_BASE, 'U', 0, 0);
    TableDef *t = catalog_add_table(&f->cat);
    t->schema = gw_strdup("public");
    t->name = gw_strdup("orders");
    static const char *names[] = {"id", "region", "flags", "doc", "total"};
    static const uint32_t types[] = {23, 25, 1000, 3802, 23};
    t->columns = gw_calloc(5, sizeof *t->columns);
    t->ncolumns = 5;
    for (size_t i = 0; i < 5; i++) {
        t->columns[i].name = gw_strdup(names[i]);
        t->columns[i].type_sql = gw_strdup("x");
        t->columns[i].type_id = types[i];
    }
    t->columns[4].generated_sql = gw_strdup("id * 2");
    t->pk = gw_calloc(1, sizeof *t->pk);
    t->pk[0] = 0;
    t->npk = 1;
    f->t = t;
    changefeed_table_init(&f->ct, &f->cat, t, 7);
    changefeed_change_init(&f->cc);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    Fixture *f = *state;
    changefeed_change_free(&f->cc);
    changefeed_table_free(&f->ct);
    for (int i = 0; i < 3; i++)
        jsonv_free(&f->docs[i]);
    catalog_free(&f->cat);
    free(f);
    return 0;
}

/* Builds the change of (key, after, before): before NULL means not sent. */
static bool
build(Fixture *f, const char *key, const char *after, const char *before, char *err, size_t errlen)
{
    const char *texts[3] = {key, after, before};
    for (int i = 0; i < 3; i++) {
        jsonv_free(&f->docs[i]);
        if (texts[i] && !jsonv_parse(texts[i], strlen(texts[i]), &f->docs[i], err, errlen))
            fail_msg("bad test JSON %s: %s", texts[i], err);
    }
    return changefeed_change_build(&f->cc, &f->ct, f->docs[0].root, f->docs[1].root, before ? f->docs[2].root : NULL,
                                   err, errlen);
}

static void
assert_value(const ChangeTuple *t, int col, ValueKind kind, const char *text)
{
    assert_int_equal(t->values[col].kind, kind);
    if (text) {
        assert_int_equal(t->values[col].len, strlen(text));
        assert_memory_equal(t->values[col].data, text, strlen(text));
    }
}

static void
test_change_kinds(void **state)
{
    Fixture *f = *state;
    char err[400];
    /* The generated column takes no value: it is not a column of the relation. */
    assert_int_equal(f->ct.rel.ncols, 4);
    assert_true(f->ct.rel.cols[0].key);
    assert_false(f->ct.rel.cols[1].key);
    const char *row = "{\"id\": 1, \"region\": \"A\", \"flags\": [true, null], \"doc\": {\"k\": [1.0]}, \"total\": 2}";
    const char *row2 = "{\"id\": 1, \"region\": \"B\", \"flags\": null, \"doc\": \"s\", \"total\": 2}";

    /* No diff: an upsert, no old row. */
    assert_true(build(f, "[1]", row, NULL, err, sizeof err));
    const Change *ch = &f->cc.change;
    assert_int_equal(ch->kind, CHANGE_UPDATE);
    assert_false(change_has_old(ch));
    assert_ptr_equal(ch->rel, &f->ct.rel);
    assert_int_equal(ch->new_tuple.ncols, 4);
    assert_value(&ch->new_tuple, 0, VALUE_TEXT, "1");
    assert_value(&ch->new_tuple, 1, VALUE_TEXT, "A");
    assert_value(&ch->new_tuple, 2, VALUE_TEXT, "{t,NULL}");
    assert_value(&ch->new_tuple, 3, VALUE_TEXT, "{\"k\":[1.0]}");

    /* diff, before null: an insert. */
    assert_true(build(f, "[1]", row, "null", err, sizeof err));
    assert_int_equal(ch->kind, CHANGE_INSERT);
    assert_false(change_has_old(ch));

    /* diff, before a row: an update with the whole old row. */
    assert_true(build(f, "[1]", row2, row, err, sizeof err));
    assert_int_equal(ch->kind, CHANGE_UPDATE);
    assert_true(change_has_old(ch));
    assert_int_equal(ch->old_kind, CHANGE_OLD_ROW);
    assert_value(&ch->new_tuple, 1, VALUE_TEXT, "B");
    assert_value(&ch->new_tuple, 2, VALUE_NULL, NULL);
    assert_value(&ch->new_tuple, 3, VALUE_TEXT, "\"s\"");
    assert_value(&ch->old_tuple, 1, VALUE_TEXT, "A");

    /* after null with the old row: a delete of it. */
    assert_true(build(f, "[1]", "null", row, err, sizeof err));
    assert_int_equal(ch->kind, CHANGE_DELETE);
    assert_int_equal(ch->old_kind, CHANGE_OLD_ROW);
    assert_value(&ch->old_tuple, 1, VALUE_TEXT, "A");

    /* after null without diff: a delete by the key's values only. */
    assert_true(build(f, "[42]", "null", NULL, err, sizeof err));
    assert_int_equal(ch->kind, CHANGE_DELETE);
    assert_true(change_has_old(ch));
    assert_int_equal(ch->old_kind, CHANGE_OLD_KEY);
    assert_value(&ch->old_tuple, 0, VALUE_TEXT, "42");
    assert_value(&ch->old_tuple, 1, VALUE_UNCHANGED, NULL);
    assert_true(build(f, "[42]", "null", "null", err, sizeof err));
    assert_int_equal(ch->old_kind, CHANGE_OLD_KEY);
}

static void
test_change_refused(void **state)
{
    Fixture *f = *state;
    char err[400];
    /* A column the source does not have. */
    assert_false(build(f, "[1]", "{\"id\": 1, \"region\": \"A\", \"flags\": null, \"doc\": null, \"new\": 1}", NULL, err,
                       sizeof err));
    assert_non_null(strstr(err, "column new is in the changefeed's rows but not in the source table"));
    /* A column of the source the row lacks. */
    assert_false(build(f, "[1]", "{\"id\": 1, \"region\": \"A\", \"flags\": null}", NULL, err, sizeof err));
    assert_non_null(strstr(err, "column doc of the source table is not in the changefeed's rows"));
    /* "rowid" is not CockroachDB's implicit key here: the table has a primary key. */
    assert_false(build(f, "[1]", "{\"id\": 1, \"region\": \"A\", \"flags\": null, \"doc\": null, \"rowid\": 5}", NULL,
                       err, sizeof err));
    /* A key of the wrong length, a null key value. */
    assert_false(build(f, "[1, 2]", "null", NULL, err, sizeof err));
    assert_non_null(strstr(err, "key has 2 value(s), the source's primary key 1"));
    assert_false(build(f, "[null]", "null", NULL, err, sizeof err));
    assert_non_null(strstr(err, "key column id is null"));
    /* A value the column cannot take, named with its column. */
    assert_false(build(f, "[1]", "{\"id\": 1, \"region\": {\"x\": 1}, \"flags\": null, \"doc\": null}", NULL, err,
                       sizeof err));
    assert_non_null(strstr(err, "table public.orders, column region: the value is an object"));
}

static void
test_change_keyless(void **state)
{
    Fixture *f = *state;
    char err[400];
    /* Without a primary key, CockroachDB adds rowid: ignored; a delete needs the row before it. */
    free(f->t->pk);
    f->t->pk = NULL;
    f->t->npk = 0;
    changefeed_table_free(&f->ct);
    changefeed_table_init(&f->ct, &f->cat, f->t, 7);
    assert_true(build(f, "[123]", "{\"id\": 1, \"region\": \"A\", \"flags\": null, \"doc\": null, \"rowid\": 123}",
                      "null", err, sizeof err));
    assert_int_equal(f->cc.change.kind, CHANGE_INSERT);
    assert_false(build(f, "[123]", "null", NULL, err, sizeof err));
    assert_non_null(strstr(err, "WITH diff"));
    assert_true(build(f, "[123]", "null", "{\"id\": 1, \"region\": \"A\", \"flags\": null, \"doc\": null, \"rowid\": 123}",
                      err, sizeof err));
    assert_int_equal(f->cc.change.kind, CHANGE_DELETE);
    assert_int_equal(f->cc.change.old_kind, CHANGE_OLD_ROW);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_json_columns),
        cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_type_of),
        cmocka_unit_test_setup_teardown(test_change_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_keyless, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
