/*
 * verify_report.c: what verify found, as text for a person or as JSON lines
 * for a program (one object per table, then a summary), and as SQL that
 * would make the target equal to the source.
 */
#include <errno.h>
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

static void
text_table(const VTable *t, const VerifyOptions *o)
{
    for (size_t i = 0; i < t->nschema; i++)
        printf("schema %s: %s\n", t->display, t->schema[i].detail);
    if (t->method == VERIFY_NONE)
        return;
    int64_t diffs = t->missing + t->extra + t->mismatched;
    if (diffs == 0) {
        printf("%s: %lld rows compared: equal\n", t->display, (long long) t->compared);
        return;
    }
    printf("%s: %lld rows compared: %lld missing, %lld extra, %lld mismatched\n", t->display,
           (long long) t->compared, (long long) t->missing, (long long) t->extra, (long long) t->mismatched);
    if (t->method == VERIFY_UNKEYED) {
        printf("  no primary key: %lld rows on the source, %lld on the target, contents %s\n",
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
        printf("%s\n", sb.data);
        strbuf_free(&sb);
        free(key);
    }
    int64_t listed = (int64_t) t->ndiffs < o->max_report ? (int64_t) t->ndiffs : o->max_report;
    if (diffs > listed)
        printf("  ... %lld more\n", (long long) (diffs - listed));
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
    char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    printf("%s\n", line);
    free(line);
    json_decref(o);
}

void
verify_report(const Verifier *v, bool json)
{
    int64_t rows = 0, missing = 0, extra = 0, mismatched = 0, schema = 0;
    for (size_t i = 0; i < v->ntables; i++) {
        VTable *t = &v->tables[i];
        if (t->ndiffs)
            qsort(t->diffs, t->ndiffs, sizeof *t->diffs, by_kind_and_key);
        if (json)
            json_table(t, v->opts);
        else
            text_table(t, v->opts);
        rows += t->compared;
        missing += t->missing;
        extra += t->extra;
        mismatched += t->mismatched;
        schema += (int64_t) t->nschema;
    }
    bool equal = !missing && !extra && !mismatched && !schema;
    if (json) {
        json_t *o = json_pack("{s:{s:I, s:I, s:I, s:I, s:I, s:I, s:b}}", "summary", "tables", (json_int_t) v->ntables,
                              "rows_compared", (json_int_t) rows, "missing", (json_int_t) missing, "extra",
                              (json_int_t) extra, "mismatched", (json_int_t) mismatched, "schema_differences",
                              (json_int_t) schema, "equal", equal);
        char *line = json_dumps(o, JSON_COMPACT);
        printf("%s\n", line);
        free(line);
        json_decref(o);
    } else {
        printf("verify: %zu tables, %lld rows compared: %s", v->ntables, (long long) rows, equal ? "equal\n" : "");
        if (!equal)
            printf("%lld missing, %lld extra, %lld mismatched, %lld schema difference%s\n", (long long) missing,
                   (long long) extra, (long long) mismatched, (long long) schema, schema == 1 ? "" : "s");
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
