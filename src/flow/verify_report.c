/*
 * verify_report.c: what verify found, as text for a person or as JSON lines
 * for a program (one object per table, then a summary), and as SQL that
 * would make the target equal to the source.
 */
#include <errno.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "flow/verify_internal.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* Values longer than this are shortened in the text report. */
#define REPORT_VALUE_BYTES 100

static void
append_short(StrBuf *sb, const char *v, size_t len)
{
    if (!v) {
        strbuf_append(sb, "NULL");
        return;
    }
    strbuf_append_n(sb, v, len > REPORT_VALUE_BYTES ? REPORT_VALUE_BYTES : len);
    if (len > REPORT_VALUE_BYTES)
        strbuf_append(sb, "...");
}

static const TableDef *
key_side(const VTable *t)
{
    return t->tgt ? t->tgt : t->src;
}

char *
verify_key_text(const VTable *t, char *const *key)
{
    const TableDef *def = key_side(t);
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append_char(&sb, '(');
    for (size_t i = 0; i < def->npk; i++)
        strbuf_appendf(&sb, "%s%s", i ? ", " : "", def->columns[def->pk[i]].name);
    strbuf_append(&sb, ")=(");
    for (size_t i = 0; i < def->npk; i++) {
        strbuf_append(&sb, i ? ", " : "");
        append_short(&sb, key[i], strlen(key[i]));
    }
    strbuf_append_char(&sb, ')');
    return strbuf_take(&sb);
}

/* Whether column j of a mismatched row differs, as the comparison judged it (with its float tolerance). */
static bool
column_differs(const VTable *t, const RowDiff *d, size_t j, double tolerance)
{
    size_t a = t->src_col[j], b = t->tgt_col[j];
    return !value_equal(t->cls[j], d->src.vals[a], d->src.lens[a], d->tgt.vals[b], d->tgt.lens[b], tolerance);
}

static int
by_kind_and_key(const void *x, const void *y)
{
    const RowDiff *a = x, *b = y;
    if (a->kind != b->kind)
        return (int) a->kind - (int) b->kind;
    for (size_t i = 0; a->key[i] && b->key[i]; i++) {
        bool numbers = strspn(a->key[i], "-0123456789.") == strlen(a->key[i]) &&
                       strspn(b->key[i], "-0123456789.") == strlen(b->key[i]);
        int c = numbers ? value_numeric_cmp(a->key[i], b->key[i]) : strcmp(a->key[i], b->key[i]);
        if (c)
            return c;
    }
    return 0;
}

static const char *const kind_text[] = {"missing on target", "extra on target", "mismatched"};
static const char *const kind_json[] = {"missing", "extra", "mismatched"};

static bool
table_differs(const VTable *t)
{
    return t->nschema || t->missing || t->extra || t->mismatched;
}

/*
 * One line of the report: on stdout, or as a log record (info) when the
 * caller's stdout carries something else (cutover --format json), so that
 * with --log-format json stderr stays JSON lines.
 */
static void __attribute__((format(printf, 2, 3)))
report_line(const VerifyOptions *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = NULL;
    if (vasprintf(&line, fmt, ap) < 0)
        line = NULL;
    va_end(ap);
    if (!line)
        return;
    if (o->report_to_log)
        log_info("%s", line);
    else
        printf("%s\n", line);
    free(line);
}

static void
text_table(const VTable *t, const VerifyOptions *o)
{
    for (size_t i = 0; i < t->nschema; i++)
        report_line(o, "schema %s: %s", t->display, t->schema[i].detail);
    if (t->method == VERIFY_NONE)
        return;
    if (t->not_sampled) {
        report_line(o, "%s: not sampled: no key", t->display);
        return;
    }
    const char *how = o->sample_rows > 0 ? " (sample)" : "";
    int64_t diffs = t->missing + t->extra + t->mismatched;
    if (diffs == 0) {
        report_line(o, "%s: %lld rows compared%s: equal", t->display, (long long) t->compared, how);
        return;
    }
    report_line(o, "%s: %lld rows compared%s: %lld missing, %lld extra, %lld mismatched", t->display,
                (long long) t->compared, how, (long long) t->missing, (long long) t->extra,
                (long long) t->mismatched);
    if (t->method == VERIFY_UNKEYED) {
        report_line(o, "  no primary key: %lld rows on the source, %lld on the target, contents %s",
                    (long long) t->src_rows, (long long) t->tgt_rows,
                    t->src_hash == t->tgt_hash ? "hash alike" : "differ (rows cannot be named without a key)");
        return;
    }
    for (size_t i = 0; i < t->ndiffs && (int) i < o->max_report; i++) {
        const RowDiff *d = &t->diffs[i];
        char *key = verify_key_text(t, d->key);
        StrBuf sb;
        strbuf_init(&sb);
        strbuf_appendf(&sb, "  %s %s", kind_text[d->kind], key);
        bool first = true;
        for (size_t j = 0; d->kind == DIFF_MISMATCH && j < t->ncols; j++) {
            if (!column_differs(t, d, j, o->float_tolerance))
                continue;
            size_t a = t->src_col[j], b = t->tgt_col[j];
            strbuf_appendf(&sb, "%s column \"%s\": source ", first ? ":" : ";", t->tgt->columns[b].name);
            first = false;
            append_short(&sb, d->src.vals[a], d->src.lens[a]);
            strbuf_append(&sb, ", target ");
            append_short(&sb, d->tgt.vals[b], d->tgt.lens[b]);
        }
        report_line(o, "%s", sb.data);
        strbuf_free(&sb);
        free(key);
    }
    int64_t listed = (int64_t) t->ndiffs < o->max_report ? (int64_t) t->ndiffs : o->max_report;
    if (diffs > listed)
        report_line(o, "  ... %lld more", (long long) (diffs - listed));
}

static json_t *
value_json(const char *v, size_t len)
{
    return v ? json_stringn_nocheck(v, len) : json_null();
}

static json_t *
diff_json(const VTable *t, const RowDiff *d, const VerifyOptions *opts)
{
    const TableDef *def = key_side(t);
    json_t *key = json_object();
    for (size_t i = 0; i < def->npk; i++)
        json_object_set_new(key, def->columns[def->pk[i]].name, json_string_nocheck(d->key[i]));
    json_t *o = json_pack("{s:s, s:o}", "kind", kind_json[d->kind], "key", key);
    if (d->kind != DIFF_MISMATCH)
        return o;
    json_t *cols = json_array();
    for (size_t j = 0; j < t->ncols; j++) {
        if (!column_differs(t, d, j, opts->float_tolerance))
            continue;
        size_t a = t->src_col[j], b = t->tgt_col[j];
        json_array_append_new(cols, json_pack("{s:s, s:o, s:o}", "name", t->tgt->columns[b].name, "source",
                                              value_json(d->src.vals[a], d->src.lens[a]), "target",
                                              value_json(d->tgt.vals[b], d->tgt.lens[b])));
    }
    json_object_set_new(o, "columns", cols);
    return o;
}

static void
json_table(const VTable *t, const VerifyOptions *opts)
{
    json_t *schema = json_array();
    for (size_t i = 0; i < t->nschema; i++) {
        const SchemaDiff *s = &t->schema[i];
        json_t *o = json_pack("{s:s, s:s}", "kind", s->kind, "detail", s->detail);
        if (s->column)
            json_object_set_new(o, "column", json_string_nocheck(s->column));
        if (s->side)
            json_object_set_new(o, "side", json_string(s->side));
        json_array_append_new(schema, o);
    }
    json_t *diffs = json_array();
    for (size_t i = 0; i < t->ndiffs && (int) i < opts->max_report; i++)
        json_array_append_new(diffs, diff_json(t, &t->diffs[i], opts));
    json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:o}", "table", t->display, "rows_compared",
                          (json_int_t) t->compared, "missing", (json_int_t) t->missing, "extra",
                          (json_int_t) t->extra, "mismatched", (json_int_t) t->mismatched, "schema", schema,
                          "differences", diffs);
    if (t->method == VERIFY_UNKEYED)
        json_object_set_new(o, "unkeyed", json_pack("{s:I, s:I, s:b}", "source_rows", (json_int_t) t->src_rows,
                                                     "target_rows", (json_int_t) t->tgt_rows, "contents_equal",
                                                     t->src_hash == t->tgt_hash));
    if (t->method == VERIFY_NONE)
        json_object_set_new(o, "rows_not_compared", json_true());
    if (opts->sample_rows > 0)
        json_object_set_new(o, "mode", json_string("sample"));
    if (t->not_sampled)
        json_object_set_new(o, "not_sampled", json_string("no key"));
    char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    report_line(opts, "%s", line);
    free(line);
    json_decref(o);
}

void
verify_result_compute(const Verifier *v, VerifyResult *r)
{
    memset(r, 0, sizeof *r);
    r->sampled = v->opts->sample_rows > 0;
    r->tables = (int) v->ntables;
    for (size_t i = 0; i < v->ntables; i++) {
        const VTable *t = &v->tables[i];
        r->rows_compared += t->compared;
        r->tables_different += table_differs(t);
        r->tables_not_sampled += t->not_sampled;
    }
    r->equal = r->tables_different == 0;
}

char *
verify_result_json(const VerifyResult *r)
{
    json_t *o = json_pack("{s:s, s:i, s:i, s:I, s:b, s:f}", "mode", r->sampled ? "sample" : "full", "tables",
                          r->tables, "tables_different", r->tables_different, "rows_compared",
                          (json_int_t) r->rows_compared, "equal", r->equal, "seconds",
                          (double) (int64_t) (r->seconds * 1000 + 0.5) / 1000);
    /* Milliseconds at most: "0.123", not 0.123's 17 digits. */
    char *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9));
    json_decref(o);
    return text;
}

/*
 * Per table (all of them, or with summary_only those that differ), then the
 * summary.  A sample says so: in each table's line, and in the summary with
 * the tables it could not sample.
 */
void
verify_report(const Verifier *v, bool json)
{
    const VerifyOptions *opts = v->opts;
    int64_t rows = 0, missing = 0, extra = 0, mismatched = 0, schema = 0;
    size_t not_sampled = 0;
    for (size_t i = 0; i < v->ntables; i++) {
        VTable *t = &v->tables[i];
        if (t->ndiffs)
            qsort(t->diffs, t->ndiffs, sizeof *t->diffs, by_kind_and_key);
        if (!opts->summary_only || table_differs(t)) {
            if (json)
                json_table(t, opts);
            else
                text_table(t, opts);
        }
        rows += t->compared;
        missing += t->missing;
        extra += t->extra;
        mismatched += t->mismatched;
        schema += (int64_t) t->nschema;
        not_sampled += t->not_sampled;
    }
    bool equal = !missing && !extra && !mismatched && !schema;
    bool sampled = opts->sample_rows > 0;
    if (json) {
        json_t *o = json_pack("{s:{s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:s}}", "summary", "tables",
                              (json_int_t) v->ntables, "rows_compared", (json_int_t) rows, "missing",
                              (json_int_t) missing, "extra", (json_int_t) extra, "mismatched",
                              (json_int_t) mismatched, "schema_differences", (json_int_t) schema, "equal", equal,
                              "mode", sampled ? "sample" : "full");
        if (sampled) {
            json_t *sum = json_object_get(o, "summary");
            json_object_set_new(sum, "sample_rows", json_integer(opts->sample_rows));
            json_object_set_new(sum, "tables_not_sampled", json_integer((json_int_t) not_sampled));
        }
        char *line = json_dumps(o, JSON_COMPACT);
        report_line(opts, "%s", line);
        free(line);
        json_decref(o);
    } else {
        StrBuf sb;
        strbuf_init(&sb);
        strbuf_appendf(&sb, "verify%s: %zu tables, %lld rows compared: ", sampled ? " (sample)" : "", v->ntables,
                       (long long) rows);
        if (equal)
            strbuf_append(&sb, "equal");
        else
            strbuf_appendf(&sb, "%lld missing, %lld extra, %lld mismatched, %lld schema difference%s",
                           (long long) missing, (long long) extra, (long long) mismatched, (long long) schema,
                           schema == 1 ? "" : "s");
        if (not_sampled)
            strbuf_appendf(&sb, " (%zu table%s not sampled: no key)", not_sampled, not_sampled == 1 ? "" : "s");
        report_line(opts, "%s", sb.data);
        strbuf_free(&sb);
    }
    fflush(stdout);
}

/* A canonical value as an SQL literal; the column's type reads it (both dialects). */
static void
append_literal(StrBuf *sb, const char *v, size_t len)
{
    if (!v) {
        strbuf_append(sb, "NULL");
        return;
    }
    strbuf_append_char(sb, '\'');
    for (size_t i = 0; i < len; i++) {
        if (v[i] == '\'')
            strbuf_append_char(sb, '\'');
        strbuf_append_char(sb, v[i]);
    }
    strbuf_append_char(sb, '\'');
}

static void
append_where_key(StrBuf *sb, const VTable *t, const RowDiff *d)
{
    const TableDef *def = t->tgt;
    strbuf_append(sb, " WHERE ");
    for (size_t i = 0; i < def->npk; i++) {
        char *q = str_quote(def->columns[def->pk[i]].name, '"');
        strbuf_appendf(sb, "%s%s = ", i ? " AND " : "", q);
        append_literal(sb, d->key[i], strlen(d->key[i]));
        free(q);
    }
}

static void
repair_row(StrBuf *sb, const VTable *t, const char *name, const RowDiff *d, const VerifyOptions *o)
{
    if (d->kind == DIFF_EXTRA) {
        strbuf_appendf(sb, "DELETE FROM %s", name);
        append_where_key(sb, t, d);
    } else if (d->kind == DIFF_MISSING) {
        strbuf_appendf(sb, "INSERT INTO %s (", name);
        for (size_t j = 0; j < t->ncols; j++) {
            char *q = str_quote(t->tgt->columns[t->tgt_col[j]].name, '"');
            strbuf_appendf(sb, "%s%s", j ? ", " : "", q);
            free(q);
        }
        strbuf_append(sb, ") VALUES (");
        for (size_t j = 0; j < t->ncols; j++) {
            strbuf_append(sb, j ? ", " : "");
            append_literal(sb, d->src.vals[t->src_col[j]], d->src.lens[t->src_col[j]]);
        }
        strbuf_append_char(sb, ')');
    } else {
        strbuf_appendf(sb, "UPDATE %s SET ", name);
        bool first = true;
        for (size_t j = 0; j < t->ncols; j++) {
            if (!column_differs(t, d, j, o->float_tolerance))
                continue;
            char *q = str_quote(t->tgt->columns[t->tgt_col[j]].name, '"');
            strbuf_appendf(sb, "%s%s = ", first ? "" : ", ", q);
            append_literal(sb, d->src.vals[t->src_col[j]], d->src.lens[t->src_col[j]]);
            free(q);
            first = false;
        }
        append_where_key(sb, t, d);
    }
    strbuf_append(sb, ";\n");
}

static void
repair_table(StrBuf *sb, const VTable *t, const VerifyOptions *o)
{
    if (t->method == VERIFY_UNKEYED && t->mismatched) {
        strbuf_appendf(sb, "-- %s: no primary key; its rows differ but cannot be named: fetch it again\n", t->display);
        return;
    }
    if (!t->ndiffs || !t->tgt)
        return;
    char *schema = str_quote(t->tgt->schema, '"'), *table = str_quote(t->tgt->name, '"');
    char *name = gw_asprintf("%s.%s", schema, table);
    if (t->diffs_truncated)
        strbuf_appendf(sb, "-- %s: only the first %d differences are here; run verify again after this\n",
                       t->display, VERIFY_KEPT_DIFFS);
    /* Deletes first: a changed key shows as a missing row and an extra one that may hold the same unique values. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < t->ndiffs; i++)
            if ((t->diffs[i].kind == DIFF_EXTRA) == (pass == 0))
                repair_row(sb, t, name, &t->diffs[i], o);
    free(name);
    free(schema);
    free(table);
}

GwResult
verify_write_repair(const Verifier *v, const char *path)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, "-- godwit verify: statements that make the target equal to the source, for the row\n"
                       "-- differences found (schema differences are not repaired).  Review, then run on the target.\n"
                       "BEGIN;\n");
    if (v->opts->sample_rows > 0)
        strbuf_appendf(&sb, "-- From a sample (--sample %d): rows outside the windows compared were not checked.\n",
                       v->opts->sample_rows);
    for (size_t i = 0; i < v->ntables; i++)
        repair_table(&sb, &v->tables[i], v->opts);
    strbuf_append(&sb, "COMMIT;\n");
    FILE *f = fopen(path, "w");
    bool ok = f && fwrite(sb.data, 1, sb.len, f) == sb.len;
    if (f && fclose(f) != 0)
        ok = false;
    strbuf_free(&sb);
    if (!ok) {
        log_error("cannot write the repair SQL to %s: %s", path, strerror(errno));
        return GW_ERR_USAGE;
    }
    log_info("repair SQL written to %s", path);
    return GW_OK;
}
