/*
 * change_filter.c: phase predicates over change events (see change_filter.h).
 */
#include "flow/change_filter.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/mem.h"

typedef struct LookupCtx {
    const Catalog *cat;
    const TableDef *table;
    const RelationInfo *rel;
    const ChangeTuple *tuple;
    char **scratch;         /* NUL-terminated copies handed to the predicate */
    size_t nscratch;
} LookupCtx;

static PredicateValueKind
kind_of_type(const Catalog *cat, const TableDef *t, const char *column)
{
    ssize_t pos = table_find_column(t, column);
    const TypeDef *ty = pos >= 0 ? catalog_storage_type(cat, t->columns[pos].type_id) : NULL;
    if (!ty)
        return PV_TEXT;
    if (ty->category == 'N')
        return PV_NUMBER;
    if (ty->category == 'B')
        return PV_BOOL;
    return PV_TEXT;
}

static bool
lookup_value(const char *column, PredicateValue *out, void *arg)
{
    LookupCtx *ctx = arg;
    for (uint16_t i = 0; i < ctx->rel->ncols && i < ctx->tuple->ncols; i++) {
        if (strcmp(ctx->rel->cols[i].name, column) != 0)
            continue;
        const ChangeValue *v = &ctx->tuple->values[i];
        if (v->kind == VALUE_UNCHANGED || v->kind == VALUE_BINARY)
            return false;
        if (v->kind == VALUE_NULL) {
            out->kind = PV_NULL;
            out->text = NULL;
            return true;
        }
        char *copy = gw_strndup(v->data, v->len);
        ctx->scratch = gw_realloc(ctx->scratch, (ctx->nscratch + 1) * sizeof *ctx->scratch);
        ctx->scratch[ctx->nscratch++] = copy;
        out->kind = kind_of_type(ctx->cat, ctx->table, column);
        out->text = copy;
        return true;
    }
    return false;
}

static GwResult
evaluate(const Predicate *p, LookupCtx *ctx, bool *matches)
{
    const char *missing = NULL;
    PredicateTruth truth = predicate_eval(p, lookup_value, ctx, &missing);
    for (size_t i = 0; i < ctx->nscratch; i++)
        free(ctx->scratch[i]);
    free(ctx->scratch);
    ctx->scratch = NULL;
    ctx->nscratch = 0;
    if (truth == PRED_UNKNOWN && missing) {
        log_error("table %s.%s: the phase predicate needs column %s, which the change does not carry (an"
                  " unchanged TOASTed value?); set REPLICA IDENTITY FULL on the source table",
                  ctx->rel->schema, ctx->rel->name, missing);
        return GW_ERR_USAGE;
    }
    *matches = truth == PRED_TRUE;
    return GW_OK;
}

GwResult
change_filter(const Predicate *p, const Catalog *cat, const TableDef *t, const Change *ch, FilterVerdict *verdict)
{
    *verdict = FILTER_APPLY;
    if (!p || (ch->kind != CHANGE_INSERT && ch->kind != CHANGE_UPDATE))
        return GW_OK;
    LookupCtx ctx = {.cat = cat, .table = t, .rel = ch->rel, .tuple = &ch->new_tuple};
    bool matches;
    GwResult rc = evaluate(p, &ctx, &matches);
    if (rc)
        return rc;
    if (!matches)
        *verdict = ch->kind == CHANGE_INSERT ? FILTER_SKIP : FILTER_AS_DELETE;
    return GW_OK;
}
