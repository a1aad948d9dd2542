/*
 * test_changefeed_message.c: CockroachDB changefeed webhook bodies: HLC
 * timestamps, the verbatim JSON parser, message shape (the documented
 * examples and malformed ones), and the CREATE CHANGEFEED statement.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/changefeed_message.h"
#include "core/changefeed_value.h"
#include "core/hlc.h"
#include "core/jsonv.h"
#include "flow/failback_changefeed.h"
#include "util/mem.h"
#include "util/strbuf.h"

static void
test_hlc(void **state)
{
    (void) state;
    Hlc h;
    char buf[HLC_TEXT_LEN];
    const char *t = "1629813621680097993.0000000000";
    assert_true(hlc_parse(t, strlen(t), &h));
    assert_int_equal(h.wall, 1629813621680097993LL);
    assert_int_equal(h.logical, 0);
    hlc_format(h, buf, sizeof buf);
    assert_string_equal(buf, t);
    t = "1629813621680097993.0000000002";
    assert_true(hlc_parse(t, strlen(t), &h));
    assert_int_equal(h.logical, 2);
    /* A shorter fraction is a decimal fraction: ".5" is 5000000000 ten-digit units. */
    assert_true(hlc_parse("12.5", 4, &h));
    assert_int_equal(h.wall, 12);
    assert_int_equal(h.logical, 5000000000LL);
    assert_true(hlc_parse("12", 2, &h));
    assert_int_equal(h.logical, 0);
    assert_true(hlc_parse("9223372036854775807.9999999999", 30, &h));
    assert_int_equal(h.wall, INT64_MAX);
    /* Refused: overflow, signs, exponents, spaces, empty parts, an 11th fraction digit. */
    const char *bad[] = {"", ".5", "12.", "-1.0", "+1", "1e9", " 1.0", "1.0 ", "9223372036854775808.0",
                         "1.00000000001", "1.2.3", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(hlc_parse(bad[i], strlen(bad[i]), &h));
}

static void
test_hlc_compare(void **state)
{
    (void) state;
    /* Numerically, not as text ("9" > "10" as strings) nor as doubles (19 digits do not fit one). */
    Hlc a = {.wall = 9, .logical = 0}, b = {.wall = 10, .logical = 0};
    assert_true(hlc_compare(a, b) < 0);
    Hlc c = {.wall = 1629813621680097993LL, .logical = 1}, d = {.wall = 1629813621680097994LL, .logical = 0};
    assert_true(hlc_compare(c, d) < 0);
    assert_true(hlc_compare(d, c) > 0);
    Hlc e = {.wall = 1629813621680097993LL, .logical = 2};
    assert_true(hlc_compare(c, e) < 0);
    assert_int_equal(hlc_compare(e, e), 0);
}

static char *
reserialized(const char *text)
{
    JsonvDoc doc;
    char err[200];
    if (!jsonv_parse(text, strlen(text), &doc, err, sizeof err))
        return NULL;
    StrBuf sb;
    strbuf_init(&sb);
    jsonv_write(doc.root, &sb);
    jsonv_free(&doc);
    return strbuf_take(&sb);
}

static void
test_jsonv_verbatim(void **state)
{
    (void) state;
    /* Numbers stay as sent: no rounding to double, no loss of scale, no int64 overflow. */
    char *s = reserialized(" { \"d\" : 25.00, \"big\": 123456789012345678901234567890.123456789,"
                           " \"i\": -9223372036854775809, \"e\": 1E+2, \"z\": -0 } ");
    assert_non_null(s);
    assert_string_equal(s, "{\"d\":25.00,\"big\":123456789012345678901234567890.123456789,"
                           "\"i\":-9223372036854775809,\"e\":1E+2,\"z\":-0}");
    free(s);
    /* Escapes decoded, then written back minimally; surrogate pairs; UTF-8 kept. */
    s = reserialized("[\"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\\u0001\", \"ü\", true, false, null, [], {}]");
    assert_non_null(s);
    assert_string_equal(s, "[\"a\\\"b\\\\c/d\\n\xc3\xa9\xf0\x9f\x98\x80\\u0001\",\"\xc3\xbc\",true,false,null,[],{}]");
    free(s);
    JsonvDoc doc;
    char err[200];
    assert_true(jsonv_parse("{\"a\":1,\"a\":2}", 13, &doc, err, sizeof err));
    assert_string_equal(jsonv_get(doc.root, "a")->str, "2");
    assert_null(jsonv_get(doc.root, "b"));
    jsonv_free(&doc);
    /* \u0000 is kept with its length. */
    assert_true(jsonv_parse("\"a\\u0000b\"", 10, &doc, err, sizeof err));
    assert_int_equal(doc.root->len, 3);
    jsonv_free(&doc);
}

static void
test_jsonv_malformed(void **state)
{
    (void) state;
    const char *bad[] = {
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[1 2]", "01", "1.", ".5", "1e", "-",
        "+1", "NaN", "Infinity", "nul", "tru", "\"abc", "\"a\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"",
        "\"\\ud800\\u0041\"", "\"a\tb\"", "\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "[1] x", "{} {}",
        "'a'", "[\"a\"\"b\"]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        JsonvDoc doc;
        char err[200] = "";
        bool ok = jsonv_parse(bad[i], strlen(bad[i]), &doc, err, sizeof err);
        if (ok)
            fail_msg("accepted malformed JSON #%zu: %s", i, bad[i]);
        assert_true(strncmp(err, "at byte ", 8) == 0);
    }
    /* Nesting is capped, not a stack overflow. */
    size_t n = JSONV_MAX_DEPTH + 1;
    char *deep = malloc(2 * n + 1);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    JsonvDoc doc;
    char err[200];
    assert_false(jsonv_parse(deep, 2 * n, &doc, err, sizeof err));
    assert_non_null(strstr(err, "nested deeper"));
    assert_true(jsonv_parse(deep + 1, 2 * n - 2, &doc, err, sizeof err));
    jsonv_free(&doc);
    free(deep);
    /* Bytes after an embedded NUL are still read: a length, not a C string. */
    assert_false(jsonv_parse("[1]\0]", 5, &doc, err, sizeof err));
}

/* The webhook sink example of CockroachDB's "Changefeed Sinks" page. */
static const char doc_example[] =
    "{\n"
    "    \"payload\":[\n"
    "       {\n"
    "          \"after\":{\n"
    "             \"city\":\"rome\",\n"
    "             \"creation_time\":\"2019-01-02T03:04:05\",\n"
    "             \"current_location\":\"39141 Travis Curve Suite 87\",\n"
    "             \"ext\":{\n"
    "                \"brand\":\"Schwinn\",\n"
    "                \"color\":\"red\"\n"
    "             },\n"
    "             \"id\":\"d7b18299-c0c4-4304-9ef7-05ae46fd5ee1\",\n"
    "             \"dog_owner_id\":\"5d0c85b5-8866-47cf-a6bc-d032f198e48f\",\n"
    "             \"status\":\"in_use\",\n"
    "             \"type\":\"bike\"\n"
    "          },\n"
    "          \"key\":[\n"
    "             \"rome\",\n"
    "             \"d7b18299-c0c4-4304-9ef7-05ae46fd5ee1\"\n"
    "          ],\n"
    "          \"topic\":\"vehicles\",\n"
    "          \"updated\":\"1629813621680097993.0000000000\"\n"
    "       }\n"
    "    ],\n"
    "    \"length\":1\n"
    " }\n";

static void
test_message_documented(void **state)
{
    (void) state;
    ChangefeedMessage m;
    char err[400];
    assert_true(changefeed_message_parse(doc_example, strlen(doc_example), &m, err, sizeof err));
    assert_false(m.is_resolved);
    assert_int_equal(m.nrows, 1);
    assert_string_equal(m.rows[0].topic, "vehicles");
    assert_int_equal(m.rows[0].updated.wall, 1629813621680097993LL);
    assert_int_equal(m.rows[0].key->count, 2);
    assert_string_equal(m.rows[0].key->items[0]->str, "rome");
    assert_int_equal(m.rows[0].after->kind, JV_OBJECT);
    assert_null(m.rows[0].before);
    assert_string_equal(jsonv_get(jsonv_get(m.rows[0].after, "ext"), "color")->str, "red");
    changefeed_message_free(&m);

    /* Two rows of one key in a batch, with diff (before), a delete, and no "length" (optional). */
    const char *diff = "{\"payload\": [{\"after\": {\"id\": 1, \"name\": \"Terri\"}, \"before\": {\"id\": 1, \"name\":"
                       " \"Terry\"}, \"key\": [1], \"topic\": \"employees\", \"updated\": \"1701102311425045162.0000000000\"},"
                       " {\"after\": null, \"before\": {\"id\": 1, \"name\": \"Terri\"}, \"key\": [1], \"topic\":"
                       " \"employees\", \"updated\": \"1701102320607990564.0000000001\"},"
                       " {\"after\": {\"id\": 2, \"name\": \"Alex\"}, \"before\": null, \"key\": [2], \"topic\":"
                       " \"employees\", \"updated\": \"1701102305519323705.0000000000\"}]}";
    assert_true(changefeed_message_parse(diff, strlen(diff), &m, err, sizeof err));
    assert_int_equal(m.nrows, 3);
    assert_int_equal(m.rows[0].before->kind, JV_OBJECT);
    assert_int_equal(m.rows[1].after->kind, JV_NULL);
    assert_int_equal(m.rows[1].updated.logical, 1);
    assert_int_equal(m.rows[2].before->kind, JV_NULL);
    changefeed_message_free(&m);

    const char *resolved = "{\"resolved\":\"1629813621680097993.0000000000\"}";
    assert_true(changefeed_message_parse(resolved, strlen(resolved), &m, err, sizeof err));
    assert_true(m.is_resolved);
    assert_int_equal(m.resolved.wall, 1629813621680097993LL);
    assert_int_equal(m.nrows, 0);
    changefeed_message_free(&m);

    const char *empty = "{\"payload\":[],\"length\":0}";
    assert_true(changefeed_message_parse(empty, strlen(empty), &m, err, sizeof err));
    assert_int_equal(m.nrows, 0);
    changefeed_message_free(&m);
}

static void
test_message_refused(void **state)
{
    (void) state;
    static const struct {
        const char *body;
        const char *why;
    } cases[] = {
        {"{\"payload\":[", "malformed JSON"},
        {"[]", "not a JSON object"},
        {"{}", "neither"},
        {"{\"payload\":{}}", "neither"},
        {"{\"resolved\":1629813621680097993}", "\"resolved\""},
        {"{\"resolved\":\"soon\"}", "\"resolved\""},
        {"{\"resolved\":\"1.0\",\"payload\":[]}", "\"resolved\""},
        {"{\"payload\":[1]}", "payload[0]: not an object"},
        {"{\"payload\":[{\"key\":[1],\"updated\":\"1.0\",\"after\":null}]}", "\"topic\""},
        {"{\"payload\":[{\"topic\":\"t\",\"updated\":\"1.0\",\"after\":null}]}", "\"key\""},
        {"{\"payload\":[{\"topic\":\"t\",\"key\":1,\"updated\":\"1.0\",\"after\":null}]}", "\"key\""},
        {"{\"payload\":[{\"topic\":\"t\",\"key\":[1],\"after\":null}]}", "WITH updated"},
        {"{\"payload\":[{\"topic\":\"t\",\"key\":[1],\"updated\":\"yesterday\",\"after\":null}]}", "\"updated\""},
        {"{\"payload\":[{\"topic\":\"t\",\"key\":[1],\"updated\":\"1.0\"}]}", "\"after\""},
        {"{\"payload\":[{\"topic\":\"t\",\"key\":[1],\"updated\":\"1.0\",\"after\":[1]}]}", "\"after\""},
        {"{\"payload\":[{\"topic\":\"t\",\"key\":[1],\"updated\":\"1.0\",\"after\":null,\"before\":3}]}", "\"before\""},
        {"{\"payload\":[{\"topic\":\"\",\"key\":[1],\"updated\":\"1.0\",\"after\":null}]}", "\"topic\""},
        {"{\"payload\":[{\"topic\":\"t\",\"key\":[1],\"updated\":\"1.0\",\"after\":null}],\"length\":2}", "\"length\""},
        {"{\"payload\":[],\"length\":\"0\"}", "\"length\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ChangefeedMessage m;
        char err[400] = "";
        if (changefeed_message_parse(cases[i].body, strlen(cases[i].body), &m, err, sizeof err))
            fail_msg("accepted #%zu: %s", i, cases[i].body);
        if (!strstr(err, cases[i].why))
            fail_msg("#%zu: message '%s' does not say '%s'", i, err, cases[i].why);
    }
}

static void
test_statement(void **state)
{
    (void) state;
    TableDef a = {.schema = "public", .name = "orders"}, b = {.schema = "Odd \"S\"", .name = "t"};
    const TableDef *tables[] = {&a, &b};
    ChangefeedSpec spec = {
        .tables = tables, .ntables = 2, .host = "godwit.example", .port = 8443, .phase = "region a",
        .cursor = {.wall = 1629813621680097993LL, .logical = 1}, .ca_cert_pem = "-----BEGIN X-----\n?\?>\n",
        .token_source = "--token-file", .flush_bytes = 4 << 20,
    };
    char *sql = failback_changefeed_sql(&spec);
    assert_non_null(strstr(sql, "CREATE CHANGEFEED FOR TABLE \"public\".\"orders\", \"Odd \"\"S\"\"\".\"t\"\n"));
    /* base64 of the PEM, with '+', '/' and '=' percent-encoded for the URI. */
    assert_non_null(strstr(sql, "INTO 'webhook-https://godwit.example:8443/godwit/region%20a?ca_cert="
                                "LS0tLS1CRUdJTiBYLS0tLS0KPz8%2BCg%3D%3D'"));
    assert_non_null(strstr(sql, "WITH updated, resolved = '1s', min_checkpoint_frequency = '1s', diff,"
                                " envelope = 'wrapped', format = 'json', full_table_name"));
    assert_non_null(strstr(sql, "encode_json_value_null_as_object, cursor = '1629813621680097993.0000000001'"));
    assert_non_null(strstr(sql, "webhook_auth_header = 'Bearer <token from --token-file>'"));
    assert_non_null(strstr(sql, "webhook_client_timeout = '60s'"));
    assert_non_null(strstr(sql, "\"Bytes\": 4194304"));
    assert_non_null(strstr(sql, "\"Retry\": {\"Max\": \"inf\""));
    assert_true(sql[strlen(sql) - 1] == ';');
    free(sql);
    /* Run rather than printed: the token itself, quoted as a literal; client certificate placeholders. */
    spec.token = "s3cr'et";
    spec.ca_cert_pem = NULL;
    spec.client_cert = true;
    sql = failback_changefeed_sql(&spec);
    assert_non_null(strstr(sql, "webhook_auth_header = 'Bearer s3cr''et'"));
    assert_non_null(strstr(sql, "/godwit/region%20a?client_cert=<base64 of the client certificate>&client_key="));
    assert_null(strstr(sql, "ca_cert"));
    free(sql);
}

/*
 * Topics as CockroachDB names them: the table's name as SQL writes it (tree.TableName formatting,
 * pkg/ccl/changefeedccl/topic.go), with full_table_name "db.schema.table", a part double-quoted
 * when it needs quoting.
 */
static void
test_topic_parts(void **state)
{
    (void) state;
    char *p[3];
    assert_int_equal(changefeed_topic_parts("vehicles", p, 3), 1);
    assert_string_equal(p[0], "vehicles");
    free(p[0]);
    assert_int_equal(changefeed_topic_parts("movr.public.vehicles", p, 3), 3);
    assert_string_equal(p[1], "public");
    assert_string_equal(p[2], "vehicles");
    for (int i = 0; i < 3; i++)
        free(p[i]);
    assert_int_equal(changefeed_topic_parts("shop.public.\"Order\"", p, 3), 3);
    assert_string_equal(p[2], "Order");
    for (int i = 0; i < 3; i++)
        free(p[i]);
    assert_int_equal(changefeed_topic_parts("\"my db\".\"Sales \u00dc\".\"a.b \"\"q\"\"\"", p, 3), 3);
    assert_string_equal(p[0], "my db");
    assert_string_equal(p[1], "Sales \u00dc");
    assert_string_equal(p[2], "a.b \"q\"");
    for (int i = 0; i < 3; i++)
        free(p[i]);
    assert_int_equal(changefeed_topic_parts("a.b.c.d", p, 3), -1);
    assert_int_equal(changefeed_topic_parts("a..b", p, 3), -1);
    assert_int_equal(changefeed_topic_parts("a.", p, 3), -1);
    assert_int_equal(changefeed_topic_parts("\"unclosed", p, 3), -1);
    assert_int_equal(changefeed_topic_parts("\"x\"y", p, 3), -1);
    assert_int_equal(changefeed_topic_parts("", p, 3), 0);
}

/* ---------------------------------------------------------------- fixtures (tests/unit/fixtures/changefeed/ORIGIN.md) */

#define CF_FIXTURES "tests/unit/fixtures/changefeed/"

/* Parses a fixture body; make unit runs from the source tree's root. */
static bool
parse_fixture(const char *name, ChangefeedMessage *m, char *err, size_t errlen)
{
    char path[256];
    snprintf(path, sizeof path, CF_FIXTURES "%s", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char body[8192];
    size_t n = fread(body, 1, sizeof body, f);
    fclose(f);
    return changefeed_message_parse(body, n, m, err, errlen);
}

/* A column's value as godwit applies it, for a column of kind t: its text, or "<null>" for SQL NULL. */
static char *
column_text(const JsonvNode *row, const char *column, ChangefeedType t)
{
    StrBuf sb;
    strbuf_init(&sb);
    bool is_null = false;
    char err[128];
    const JsonvNode *v = jsonv_get(row, column);
    assert_non_null(v);
    assert_true(changefeed_value_text(v, t, &sb, &is_null, err, sizeof err));
    char *out = is_null ? gw_strdup("<null>") : gw_strdup(sb.data ? sb.data : "");
    strbuf_free(&sb);
    return out;
}
/* A JSON column's value as godwit applies it. */
static char *
json_column(const JsonvNode *row, const char *column)
{
    ChangefeedType json = {CFV_JSON, CFV_SCALAR};
    return column_text(row, column, json);
}

static void
test_fixtures_cockroach(void **state)
{
    (void) state;
    ChangefeedMessage m;
    char err[256];
    assert_true(parse_fixture("docs-vehicles.json", &m, err, sizeof err));
    assert_int_equal(m.nrows, 1);
    assert_string_equal(m.rows[0].topic, "vehicles");
    assert_int_equal(m.rows[0].key->count, 2);
    assert_null(m.rows[0].before);
    assert_true(m.rows[0].updated.wall == 1629813621680097993LL && m.rows[0].updated.logical == 0);
    changefeed_message_free(&m);
    assert_true(parse_fixture("docs-resolved.json", &m, err, sizeof err));
    assert_true(m.is_resolved && m.resolved.wall == 1629813621680097993LL);
    changefeed_message_free(&m);
    /* A JSON null against an SQL NULL (encode_json_value_null_as_object). */
    assert_true(parse_fixture("crdb-json-null.json", &m, err, sizeof err));
    assert_int_equal(m.nrows, 3);
    char *b = json_column(m.rows[0].after, "b");
    assert_string_equal(b, "null");
    free(b);
    b = json_column(m.rows[1].after, "b");
    assert_string_equal(b, "<null>");
    free(b);
    b = json_column(m.rows[2].before, "b");
    assert_string_equal(b, "<null>");
    free(b);
    b = json_column(m.rows[2].after, "b");
    assert_string_equal(b, "{\"foo\":\"bar\"}");
    free(b);
    assert_int_equal(m.rows[2].updated.logical, 1);
    changefeed_message_free(&m);
}

/*
 * Each type as CockroachDB's to_json writes it (its json_builtins logic test), under a quoted
 * full_table_name topic and with mvcc_timestamp: the text godwit applies is one PostgreSQL reads as
 * the value CockroachDB's test started from (test_failback_webhook_fixtures.sh checks that on a server).
 */
static void
test_fixtures_cockroach_types(void **state)
{
    (void) state;
    ChangefeedMessage m;
    char err[256];
    assert_true(parse_fixture("crdb-to-json-types.json", &m, err, sizeof err));
    assert_int_equal(m.nrows, 3);
    char *parts[3];
    assert_int_equal(changefeed_topic_parts(m.rows[0].topic, parts, 3), 3);
    assert_string_equal(parts[1], "public");
    assert_string_equal(parts[2], "Typed \u00e9");
    for (int i = 0; i < 3; i++)
        free(parts[i]);
    const ChangefeedType scalar = {CFV_SCALAR, CFV_SCALAR}, boolean = {CFV_BOOL, CFV_SCALAR},
                         json = {CFV_JSON, CFV_SCALAR}, array = {CFV_ARRAY, CFV_SCALAR};
    static const struct {
        const char *column;
        int kind;   /* 0 scalar, 1 bool, 2 json, 3 array */
        const char *text;
    } want[] = {
        {"i", 0, "123"}, {"t", 0, "\\a"}, {"u", 0, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}, {"b", 0, "\\x0001"},
        {"bo", 1, "t"}, {"j", 2, "\"a\""}, {"f", 0, "1.234"}, {"d", 0, "1.234"}, {"ip", 0, "10.1.0.0/16"},
        {"ts", 0, "2014-05-28T12:22:35.614298"}, {"tz", 0, "2014-05-28T16:22:35.614298Z"}, {"dt", 0, "2014-05-28"},
        {"tm", 0, "00:00:00"}, {"iv", 0, "02:45:02.234"}, {"sa", 3, "{\"a\",\"b\",\"c\"}"}, {"da", 3, "{1.0,2.0,3.0}"},
        {"vb", 0, "0100110"}, {"e", 0, "e"}, {"fi", 0, "Infinity"},
    };
    const ChangefeedType kinds[] = {scalar, boolean, json, array};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char *got = column_text(m.rows[0].after, want[i].column, kinds[want[i].kind]);
        if (strcmp(got, want[i].text) != 0)
            fail_msg("column %s: got '%s', want '%s'", want[i].column, got, want[i].text);
        free(got);
        /* The update's before image is the same row. */
        got = column_text(m.rows[2].before, want[i].column, kinds[want[i].kind]);
        if (strcmp(got, want[i].text) != 0)
            fail_msg("before image, column %s: got '%s', want '%s'", want[i].column, got, want[i].text);
        free(got);
    }
    char *nan = column_text(m.rows[1].after, "fi", scalar);
    assert_string_equal(nan, "NaN");
    free(nan);
    char *null_text = column_text(m.rows[1].after, "sa", array);
    assert_string_equal(null_text, "<null>");
    free(null_text);
    assert_int_equal(m.rows[2].updated.logical, 1);
    changefeed_message_free(&m);
    /* Rows without "updated" (a changefeed WITH mvcc_timestamp alone) are refused, not given a time. */
    assert_false(parse_fixture("crdb-mvcc-timestamp.json", &m, err, sizeof err));
    assert_non_null(strstr(err, "\"updated\""));
}

static void
test_fixtures_molt(void **state)
{
    (void) state;
    ChangefeedMessage m;
    char err[256];
    /* Without "length", and timestamps written short ("10.0"). */
    assert_true(parse_fixture("molt-insert.json", &m, err, sizeof err));
    assert_int_equal(m.nrows, 2);
    assert_true(m.rows[0].updated.wall == 10 && m.rows[0].updated.logical == 0);
    assert_null(m.rows[0].before);
    assert_int_equal(m.rows[1].before->kind, JV_OBJECT);
    changefeed_message_free(&m);
    assert_true(parse_fixture("molt-resolved.json", &m, err, sizeof err));
    assert_true(m.is_resolved && m.resolved.wall == 20);
    changefeed_message_free(&m);
    /*
     * A row without "after" is refused, not taken for a delete: the wrapped envelope godwit's
     * changefeed asks for always sends it, and a key_only envelope's rows must never delete.
     */
    assert_false(parse_fixture("molt-delete-no-after.json", &m, err, sizeof err));
    assert_non_null(strstr(err, "payload[0]"));
    assert_non_null(strstr(err, "\"after\""));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topic_parts),
        cmocka_unit_test(test_fixtures_cockroach),
        cmocka_unit_test(test_fixtures_cockroach_types),
        cmocka_unit_test(test_fixtures_molt),
        cmocka_unit_test(test_hlc),
        cmocka_unit_test(test_hlc_compare),
        cmocka_unit_test(test_jsonv_verbatim),
        cmocka_unit_test(test_jsonv_malformed),
        cmocka_unit_test(test_message_documented),
        cmocka_unit_test(test_message_refused),
        cmocka_unit_test(test_statement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
