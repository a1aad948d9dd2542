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
    const ChangeTuple *fallback;    /* the whole old row, for values the new one did not carry */
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
        if (v->kind == VALUE_UNCHANGED && ctx->fallback && i < ctx->fallback->ncols)
            v = &ctx->fallback->values[i];
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

static bool
carries_every_value(const Change *ch, bool old_whole)
{
    for (uint16_t i = 0; i < ch->new_tuple.ncols; i++)
        if (ch->new_tuple.values[i].kind == VALUE_UNCHANGED &&
            !(old_whole && ch->old_tuple.values[i].kind != VALUE_UNCHANGED))
            return false;
    return true;
}

GwResult
change_filter_rewrite(const Predicate *p, const Catalog *cat, const TableDef *t, const Change *ch, Change *out,
                      bool *skip)
{
    FilterVerdict verdict;
    bool must_exist;
    GwResult rc = change_filter(p, cat, t, ch, &verdict, &must_exist);
    *skip = rc == GW_OK && verdict == FILTER_SKIP;
    if (rc || *skip)
        return rc;
    *out = *ch;
    out->must_exist = must_exist;
    if (verdict == FILTER_AS_DELETE) {
        out->kind = CHANGE_DELETE;
        if (ch->old_kind != CHANGE_OLD_ROW)
            out->delete_guard = p;
        if (!change_has_old(ch)) {
            out->old_kind = CHANGE_OLD_ROW;
            out->old_tuple = ch->new_tuple;
        }
    } else if (verdict == FILTER_AS_INSERT) {
        /* The old row stays attached: the applier takes unchanged TOASTed values from it. */
        out->kind = CHANGE_INSERT;
    }
    return GW_OK;
}

GwResult
change_filter(const Predicate *p, const Catalog *cat, const TableDef *t, const Change *ch, FilterVerdict *verdict,
              bool *must_exist)
{
    *verdict = FILTER_APPLY;
    *must_exist = false;
    if (!p || (ch->kind != CHANGE_INSERT && ch->kind != CHANGE_UPDATE))
        return GW_OK;
    bool old_whole = ch->kind == CHANGE_UPDATE && ch->old_kind == CHANGE_OLD_ROW;
    LookupCtx ctx = {.cat = cat, .table = t, .rel = ch->rel, .tuple = &ch->new_tuple,
                     .fallback = old_whole ? &ch->old_tuple : NULL};
    bool new_in, old_in = true;
    GwResult rc = evaluate(p, &ctx, &new_in);
    if (rc)
        return rc;
    if (ch->kind == CHANGE_INSERT) {
        *verdict = new_in ? FILTER_APPLY : FILTER_SKIP;
        return GW_OK;
    }
    if (old_whole) {
        LookupCtx old_ctx = {.cat = cat, .table = t, .rel = ch->rel, .tuple = &ch->old_tuple};
        rc = evaluate(p, &old_ctx, &old_in);
        if (rc)
            return rc;
    }
    if (new_in && !old_in)
        *verdict = FILTER_AS_INSERT;
    else if (!new_in)
        *verdict = old_in ? FILTER_AS_DELETE : FILTER_SKIP;
    else
        *must_exist = !old_whole && !carries_every_value(ch, false);
    return GW_OK;
}
