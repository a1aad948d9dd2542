/*
 * selection.c: table selection by glob and row filters (see selection.h).
 */
#include "core/selection.h"

#include <fnmatch.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/strbuf.h"

void
selection_init(Selection *sel)
{
    memset(sel, 0, sizeof *sel);
}

void
selection_free(Selection *sel)
{
    for (size_t i = 0; i < sel->ninclude; i++)
        free(sel->include[i]);
    for (size_t i = 0; i < sel->nexclude; i++)
        free(sel->exclude[i]);
    for (size_t i = 0; i < sel->nfilters; i++) {
        free(sel->filters[i].schema);
        free(sel->filters[i].table);
        free(sel->filters[i].text);
        predicate_free(sel->filters[i].predicate);
    }
    free(sel->include);
    free(sel->exclude);
    free(sel->filters);
    free(sel->include_used);
    selection_init(sel);
}

static void
add_patterns(char ***items, size_t *n, const char *list)
{
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        /* Trim blanks around each pattern: "a, b" is two patterns. */
        const char *s = p, *e = p + len;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > s) {
            *items = gw_realloc(*items, (*n + 1) * sizeof **items);
            (*items)[(*n)++] = gw_strndup(s, (size_t) (e - s));
        }
        p += len;
        if (*p == ',')
            p++;
    }
}

void
selection_add_includes(Selection *sel, const char *list)
{
    add_patterns(&sel->include, &sel->ninclude, list);
    sel->include_used = gw_realloc(sel->include_used, (sel->ninclude + 1) * sizeof *sel->include_used);
    memset(sel->include_used, 0, (sel->ninclude + 1) * sizeof *sel->include_used);
}

/* Backslash before every character fnmatch() would treat as a pattern. */
static void
append_escaped(StrBuf *sb, const char *name)
{
    for (const char *p = name; *p; p++) {
        if (strchr("*?[]\\", *p))
            strbuf_append_char(sb, '\\');
        strbuf_append_char(sb, *p);
    }
}

void
selection_add_table(Selection *sel, const char *schema, const char *table)
{
    StrBuf sb;
    strbuf_init(&sb);
    append_escaped(&sb, schema);
    strbuf_append_char(&sb, '.');
    append_escaped(&sb, table);
    sel->include = gw_realloc(sel->include, (sel->ninclude + 1) * sizeof *sel->include);
    sel->include[sel->ninclude++] = strbuf_take(&sb);
    sel->include_used = gw_realloc(sel->include_used, (sel->ninclude + 1) * sizeof *sel->include_used);
    memset(sel->include_used, 0, (sel->ninclude + 1) * sizeof *sel->include_used);
}

void
selection_add_excludes(Selection *sel, const char *list)
{
    add_patterns(&sel->exclude, &sel->nexclude, list);
}

static bool
pattern_matches(const char *pattern, const char *schema, const char *table)
{
    if (!strchr(pattern, '.'))
        return fnmatch(pattern, table, 0) == 0;
    char *full = gw_asprintf("%s.%s", schema, table);
    bool ok = fnmatch(pattern, full, 0) == 0;
    free(full);
    return ok;
}

bool
selection_matches(Selection *sel, const char *schema, const char *table)
{
    for (size_t i = 0; i < sel->nexclude; i++)
        if (pattern_matches(sel->exclude[i], schema, table))
            return false;
    if (sel->ninclude == 0)
        return true;
    bool matched = false;
    for (size_t i = 0; i < sel->ninclude; i++)
        if (pattern_matches(sel->include[i], schema, table)) {
            sel->include_used[i] = true;
            matched = true;
        }
    return matched;
}

bool
selection_includes(const Selection *sel, const char *schema, const char *table)
{
    for (size_t i = 0; i < sel->nexclude; i++)
        if (pattern_matches(sel->exclude[i], schema, table))
            return false;
    if (sel->ninclude == 0)
        return true;
    for (size_t i = 0; i < sel->ninclude; i++)
        if (pattern_matches(sel->include[i], schema, table))
            return true;
    return false;
}

bool
selection_excludes(const Selection *sel, const char *schema, const char *table)
{
    for (size_t i = 0; i < sel->nexclude; i++)
        if (pattern_matches(sel->exclude[i], schema, table))
            return true;
    return false;
}

const char *
selection_unmatched_include(const Selection *sel)
{
    for (size_t i = 0; i < sel->ninclude; i++)
        if (!sel->include_used[i])
            return sel->include[i];
    return NULL;
}

/*
 * Reads one identifier: "quoted" (with "" for a quote, case kept) or bare
 * (up to stop characters).  Returns the position after it, or NULL.
 */
static const char *
read_ident(const char *p, const char *stops, char **out)
{
    if (*p == '"') {
        char *buf = gw_malloc(strlen(p) + 1);
        size_t n = 0;
        for (p++; *p; p++) {
            if (*p == '"') {
                if (p[1] != '"')
                    break;
                p++;
            }
            buf[n++] = *p;
        }
        if (*p != '"' || n == 0) {
            free(buf);
            return NULL;
        }
        buf[n] = '\0';
        *out = buf;
        return p + 1;
    }
    size_t len = strcspn(p, stops);
    while (len > 0 && p[len - 1] == ' ')
        len--;
    if (len == 0)
        return NULL;
    *out = gw_strndup(p, len);
    return p + len;
}

GwResult
selection_add_filter(Selection *sel, const char *arg, char *err, size_t errlen)
{
    const char *p = arg;
    while (*p == ' ')
        p++;
    char *first = NULL, *second = NULL;
    p = read_ident(p, ".:", &first);
    if (p && *p == '.')
        p = read_ident(p + 1, ":", &second);
    while (p && *p == ' ')
        p++;
    if (!p || *p != ':') {
        snprintf(err, errlen, "--where '%s': expected 'schema.table: predicate'", arg);
        free(first);
        free(second);
        return GW_ERR_USAGE;
    }
    char perr[256];
    Predicate *pred = predicate_parse(p + 1, perr, sizeof perr);
    if (!pred) {
        snprintf(err, errlen, "--where '%s': %s", arg, perr);
        free(first);
        free(second);
        return GW_ERR_USAGE;
    }
    sel->filters = gw_realloc(sel->filters, (sel->nfilters + 1) * sizeof *sel->filters);
    RowFilter *f = &sel->filters[sel->nfilters++];
    f->schema = second ? first : gw_strdup("public");
    f->table = second ? second : first;
    f->text = gw_strdup(p + 1);
    f->predicate = pred;
    return GW_OK;
}

const RowFilter *
selection_filter_for(const Selection *sel, const char *schema, const char *table)
{
    for (size_t i = 0; i < sel->nfilters; i++)
        if (!strcmp(sel->filters[i].schema, schema) && !strcmp(sel->filters[i].table, table))
            return &sel->filters[i];
    return NULL;
}

char *
selection_filters_json(const Selection *sel)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < sel->nfilters; i++) {
        const RowFilter *f = &sel->filters[i];
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "schema", f->schema, "table", f->table,
                                             "predicate", f->text));
    }
    char *s = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return s;
}

GwResult
selection_add_filters_json(Selection *sel, const char *json, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *arr = json_loads(json ? json : "[]", 0, &jerr);
    GwResult rc = json_is_array(arr) ? GW_OK : GW_ERR_USAGE;
    if (rc)
        snprintf(err, errlen, "stored phase filters are not valid JSON: %s", jerr.text);
    for (size_t i = 0; rc == GW_OK && i < json_array_size(arr); i++) {
        const char *schema = NULL, *table = NULL, *pred = NULL;
        if (json_unpack(json_array_get(arr, i), "{s:s, s:s, s:s}", "schema", &schema, "table", &table, "predicate",
                        &pred) != 0) {
            snprintf(err, errlen, "stored phase filter %zu is malformed", i);
            rc = GW_ERR_USAGE;
            break;
        }
        char perr[256];
        Predicate *p = predicate_parse(pred, perr, sizeof perr);
        if (!p) {
            snprintf(err, errlen, "stored predicate for %s.%s: %s", schema, table, perr);
            rc = GW_ERR_USAGE;
            break;
        }
        sel->filters = gw_realloc(sel->filters, (sel->nfilters + 1) * sizeof *sel->filters);
        RowFilter *f = &sel->filters[sel->nfilters++];
        f->schema = gw_strdup(schema);
        f->table = gw_strdup(table);
        f->text = gw_strdup(pred);
        f->predicate = p;
    }
    json_decref(arr);
    return rc;
}
