/*
 * plan.c: reading a plan file into phases (see plan.h for the format).
 *
 * Everything a plan says is checked here, before any command uses it: a
 * key this file does not know is refused rather than ignored (a misspelt
 * "exclude" would otherwise copy tables the operator meant to leave out).
 * It never logs and never opens a database.
 */
#include "core/plan.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/strbuf.h"

static void plan_error(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
plan_error(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    /* One line, whatever a name or a parser message held. */
    for (char *c = err; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
}

void
plan_free(Plan *plan)
{
    for (size_t i = 0; i < plan->nphases; i++) {
        free(plan->phases[i].name);
        selection_free(&plan->phases[i].selection);
    }
    free(plan->phases);
    free(plan->path);
    memset(plan, 0, sizeof *plan);
}

bool
plan_phase_name_valid(const char *name, char *why, size_t whylen)
{
    size_t len = strlen(name);
    if (len == 0) {
        plan_error(why, whylen, "is empty");
        return false;
    }
    if (len > PLAN_PHASE_NAME_MAX) {
        plan_error(why, whylen, "is %zu bytes long; at most %d fit in its replication slot's name", len,
                   PLAN_PHASE_NAME_MAX);
        return false;
    }
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_')) {
            plan_error(why, whylen,
                       "has the character '%c'; use lower-case letters, digits and _ only (it names a"
                       " replication slot)", *c);
            return false;
        }
    return true;
}

/* Reads one part of a where key: "quoted" (with "" for a quote) or bare. Returns the position after it. */
static const char *
read_key_part(const char *p, bool *ok)
{
    if (*p == '"') {
        size_t n = 0;
        for (p++; *p; p++) {
            if (*p == '"') {
                if (p[1] != '"')
                    break;
                p++;
            }
            n++;
        }
        *ok = *p == '"' && n > 0;
        return *p == '"' ? p + 1 : p;
    }
    size_t len = strcspn(p, ".\": \t\r\n");
    *ok = len > 0;
    return p + len;
}

/* A where key must be schema.table: a bare table name would silently mean public.table. */
static bool
where_key_valid(const char *key)
{
    bool ok;
    const char *p = read_key_part(key, &ok);
    if (!ok || *p != '.')
        return false;
    p = read_key_part(p + 1, &ok);
    return ok && *p == '\0';
}

/* Adds a JSON array of glob strings to a phase. */
static GwResult
add_patterns(Selection *sel, bool exclude, json_t *arr, const char *file, const char *phase, const char *key,
             char *err, size_t errlen)
{
    if (!json_is_array(arr) || (!exclude && json_array_size(arr) == 0)) {
        plan_error(err, errlen, "plan %s: phase '%s': \"%s\" must be %s", file, phase, key,
                   exclude ? "an array of glob strings" : "a non-empty array of glob strings (leave it out to"
                                                          " take every table)");
        return GW_ERR_USAGE;
    }
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        const char *s = json_string_value(v);
        if (!s || !*s) {
            plan_error(err, errlen, "plan %s: phase '%s': \"%s\"[%zu] must be a non-empty string (a glob on"
                       " schema.table)", file, phase, key, i);
            return GW_ERR_USAGE;
        }
        if (exclude)
            selection_add_excludes(sel, s);
        else
            selection_add_includes(sel, s);
    }
    return GW_OK;
}

static GwResult
add_where(Selection *sel, json_t *obj, const char *file, const char *phase, char *err, size_t errlen)
{
    if (!json_is_object(obj)) {
        plan_error(err, errlen, "plan %s: phase '%s': \"where\" must be an object {\"schema.table\": \"predicate\"}",
                   file, phase);
        return GW_ERR_USAGE;
    }
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        const char *text = json_string_value(v);
        if (!where_key_valid(key)) {
            plan_error(err, errlen, "plan %s: phase '%s': where key \"%s\" is not schema.table (each part bare or"
                       " \"double quoted\")", file, phase, key);
            return GW_ERR_USAGE;
        }
        if (!text) {
            plan_error(err, errlen, "plan %s: phase '%s': where \"%s\" must be a predicate string", file, phase, key);
            return GW_ERR_USAGE;
        }
        char perr[256];
        Predicate *p = predicate_parse(text, perr, sizeof perr);
        if (!p) {
            plan_error(err, errlen, "plan %s: phase '%s': where \"%s\": %s", file, phase, key, perr);
            return GW_ERR_USAGE;
        }
        predicate_free(p);
        char *arg = gw_asprintf("%s:%s", key, text);
        size_t before = sel->nfilters;
        GwResult rc = selection_add_filter(sel, arg, perr, sizeof perr);
        free(arg);
        if (rc) {
            plan_error(err, errlen, "plan %s: phase '%s': where \"%s\": %s", file, phase, key, perr);
            return rc;
        }
        const RowFilter *added = &sel->filters[before];
        for (size_t i = 0; i < before; i++)
            if (!strcmp(sel->filters[i].schema, added->schema) && !strcmp(sel->filters[i].table, added->table)) {
                plan_error(err, errlen, "plan %s: phase '%s': where names table %s.%s twice; combine the"
                           " predicates with AND", file, phase, added->schema, added->table);
                return GW_ERR_USAGE;
            }
    }
    return GW_OK;
}

static GwResult
parse_phase(Plan *plan, json_t *obj, size_t index, const char *file, char *err, size_t errlen)
{
    if (!json_is_object(obj)) {
        plan_error(err, errlen, "plan %s: phases[%zu] must be an object with \"name\"", file, index);
        return GW_ERR_USAGE;
    }
    const char *name = json_string_value(json_object_get(obj, "name"));
    if (!name) {
        plan_error(err, errlen, "plan %s: phases[%zu] has no \"name\" string", file, index);
        return GW_ERR_USAGE;
    }
    char why[160];
    if (!plan_phase_name_valid(name, why, sizeof why)) {
        plan_error(err, errlen, "plan %s: phases[%zu]: phase name '%s' %s", file, index, name, why);
        return GW_ERR_USAGE;
    }
    for (size_t i = 0; i < plan->nphases; i++)
        if (!strcmp(plan->phases[i].name, name)) {
            plan_error(err, errlen, "plan %s: phases[%zu]: phase name '%s' is used twice", file, index, name);
            return GW_ERR_USAGE;
        }
    PlanPhase *ph = &plan->phases[plan->nphases++];
    ph->name = gw_strdup(name);
    selection_init(&ph->selection);
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        GwResult rc = GW_OK;
        if (!strcmp(key, "name"))
            continue;
        if (!strcmp(key, "tables"))
            rc = add_patterns(&ph->selection, false, v, file, name, key, err, errlen);
        else if (!strcmp(key, "exclude"))
            rc = add_patterns(&ph->selection, true, v, file, name, key, err, errlen);
        else if (!strcmp(key, "where"))
            rc = add_where(&ph->selection, v, file, name, err, errlen);
        else {
            plan_error(err, errlen, "plan %s: phase '%s': unknown key \"%s\" (a phase has name, tables, exclude,"
                       " where)", file, name, key);
            rc = GW_ERR_USAGE;
        }
        if (rc)
            return rc;
    }
    return GW_OK;
}

static GwResult
parse_root(Plan *plan, json_t *root, const char *file, char *err, size_t errlen)
{
    if (!json_is_object(root)) {
        plan_error(err, errlen, "plan %s: expected a JSON object {\"phases\": [...]}", file);
        return GW_ERR_USAGE;
    }
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (strcmp(key, "phases") != 0) {
            plan_error(err, errlen, "plan %s: unknown key \"%s\" (a plan has only \"phases\")", file, key);
            return GW_ERR_USAGE;
        }
    }
    json_t *phases = json_object_get(root, "phases");
    if (!json_is_array(phases) || json_array_size(phases) == 0) {
        plan_error(err, errlen, "plan %s: \"phases\" must be a non-empty array of phases", file);
        return GW_ERR_USAGE;
    }
    plan->phases = gw_calloc(json_array_size(phases), sizeof *plan->phases);
    size_t i;
    json_array_foreach(phases, i, v) {
        GwResult rc = parse_phase(plan, v, i, file, err, errlen);
        if (rc)
            return rc;
    }
    return GW_OK;
}

GwResult
plan_parse(const char *text, size_t len, const char *name, Plan *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    /* Duplicate keys are refused: {"where": {"t": "a"}, "where": ...} would otherwise keep only one. */
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        plan_error(err, errlen, "plan %s: line %d, column %d: %s", name, jerr.line, jerr.column, jerr.text);
        return GW_ERR_USAGE;
    }
    out->path = gw_strdup(name);
    GwResult rc = parse_root(out, root, name, err, errlen);
    json_decref(root);
    if (rc)
        plan_free(out);
    return rc;
}

GwResult
plan_load(const char *path, Plan *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        plan_error(err, errlen, "plan %s: cannot open it: %s", path, strerror(errno));
        return GW_ERR_USAGE;
    }
    StrBuf sb;
    strbuf_init(&sb);
    char buf[65536];
    size_t n;
    bool too_big = false;
    while (!too_big && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        strbuf_append_n(&sb, buf, n);
        too_big = sb.len > PLAN_FILE_MAX;
    }
    bool failed = ferror(f);
    int saved = errno;
    fclose(f);
    GwResult rc = GW_ERR_USAGE;
    if (failed)
        plan_error(err, errlen, "plan %s: cannot read it: %s", path, strerror(saved));
    else if (too_big)
        plan_error(err, errlen, "plan %s: larger than %d bytes", path, PLAN_FILE_MAX);
    else
        rc = plan_parse(sb.data ? sb.data : "", sb.len, path, out, err, errlen);
    strbuf_free(&sb);
    return rc;
}

PlanPhase *
plan_phase(const Plan *plan, const char *name, char *err, size_t errlen)
{
    for (size_t i = 0; i < plan->nphases; i++)
        if (!strcmp(plan->phases[i].name, name))
            return &plan->phases[i];
    StrBuf names;
    strbuf_init(&names);
    for (size_t i = 0; i < plan->nphases; i++)
        strbuf_appendf(&names, "%s%s", i ? ", " : "", plan->phases[i].name);
    plan_error(err, errlen, "plan %s has no phase '%s'; its phases: %s", plan->path, name,
               names.data ? names.data : "(none)");
    strbuf_free(&names);
    return NULL;
}

void
plan_phase_selection(const PlanPhase *phase, Selection *out)
{
    const Selection *in = &phase->selection;
    for (size_t i = 0; i < in->ninclude; i++)
        selection_add_includes(out, in->include[i]);
    for (size_t i = 0; i < in->nexclude; i++)
        selection_add_excludes(out, in->exclude[i]);
    for (size_t i = 0; i < in->nfilters; i++) {
        const RowFilter *f = &in->filters[i];
        Predicate *p = predicate_parse(f->text, NULL, 0);
        if (!p)
            continue;   /* cannot happen: it parsed when the plan was read */
        out->filters = gw_realloc(out->filters, (out->nfilters + 1) * sizeof *out->filters);
        out->filters[out->nfilters++] = (RowFilter) {.schema = gw_strdup(f->schema), .table = gw_strdup(f->table),
                                                     .text = gw_strdup(f->text), .predicate = p};
    }
}

static char *
canon_quote_ident(const char *name, void *ctx)
{
    (void) ctx;
    return str_quote(name, '"');
}

static char *
canon_quote_literal(const char *value, void *ctx)
{
    (void) ctx;
    return str_quote(value, '\'');
}

/* One text per meaning: the predicate rendered fully parenthesized with standard quoting. */
static char *
canonical(const Predicate *p)
{
    PredicateSqlDialect d = {.quote_ident = canon_quote_ident, .quote_literal = canon_quote_literal, .ctx = NULL};
    return predicate_to_sql(p, &d);
}

static bool
same_predicate(const RowFilter *a, const RowFilter *b)
{
    char *x = canonical(a->predicate), *y = canonical(b->predicate);
    bool same = !strcmp(x, y);
    free(x);
    free(y);
    return same;
}

bool
plan_phase_filters_match(const PlanPhase *phase, const char *filters_json, char *why, size_t whylen)
{
    Selection rec;
    selection_init(&rec);
    char err[512];
    if (selection_add_filters_json(&rec, filters_json, err, sizeof err) != GW_OK) {
        plan_error(why, whylen, "%s", err);
        selection_free(&rec);
        return false;
    }
    const Selection *plan = &phase->selection;
    bool same = true;
    for (size_t i = 0; same && i < rec.nfilters; i++) {
        const RowFilter *r = &rec.filters[i];
        const RowFilter *p = selection_filter_for(plan, r->schema, r->table);
        if (!p)
            plan_error(why, whylen, "%s.%s was fetched with the filter \"%s\", the plan has none for it", r->schema,
                       r->table, r->text);
        else if (!same_predicate(r, p))
            plan_error(why, whylen, "%s.%s was fetched with the filter \"%s\", the plan has \"%s\"", r->schema,
                       r->table, r->text, p->text);
        same = p && same_predicate(r, p);
    }
    for (size_t i = 0; same && i < plan->nfilters; i++) {
        const RowFilter *p = &plan->filters[i];
        if (!selection_filter_for(&rec, p->schema, p->table)) {
            plan_error(why, whylen, "%s.%s was fetched without a filter, the plan has \"%s\"", p->schema, p->table,
                       p->text);
            same = false;
        }
    }
    selection_free(&rec);
    return same;
}
