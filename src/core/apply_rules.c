/*
 * apply_rules.c: a change's operations on a target table, and whether a
 * table's changes may be merged per key (the rules are in apply_rules.h).
 */
#include "core/apply_rules.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

void
apply_plan_init(ApplyPlan *p)
{
    memset(p, 0, sizeof *p);
}

void
apply_plan_free(ApplyPlan *p)
{
    free(p->row.values);
    free(p->set);
    free(p->only);
    free(p->match);
    memset(p, 0, sizeof *p);
}

static void
reserve(ApplyPlan *p, uint16_t ncols)
{
    if ((size_t) ncols + 1 <= p->cap)
        return;
    p->cap = (size_t) ncols + 1;
    p->row.values = gw_realloc(p->row.values, p->cap * sizeof *p->row.values);
    p->set = gw_realloc(p->set, p->cap * sizeof *p->set);
    p->only = gw_realloc(p->only, p->cap * sizeof *p->only);
    p->match = gw_realloc(p->match, p->cap * sizeof *p->match);
}

static ApplyOp *
add(ApplyPlan *p, ApplyOpKind kind)
{
    assert(p->nops < APPLY_PLAN_MAX_OPS);
    ApplyOp *op = &p->ops[p->nops++];
    *op = (ApplyOp) {.kind = kind};
    return op;
}

static bool
refuse(ApplyPlan *p, const char *what)
{
    p->refused = what;
    return false;
}

/* A merge keeps values as text: a binary value (never sent in text mode) goes the ordinary way. */
static bool
all_text(const ChangeTuple *row, const bool *mask, uint16_t ncols)
{
    for (uint16_t i = 0; i < ncols; i++)
        if ((!mask || mask[i]) && row->values[i].kind == VALUE_BINARY)
            return false;
    return true;
}

/* The whole new row, by key (upsert) or without one (insert). */
static void
add_row(ApplyPlan *p, const bool *key, uint16_t ncols)
{
    ApplyOp *op = add(p, key ? APPLY_UPSERT : APPLY_INSERT);
    op->row = op->match = &p->row;
    op->set = p->set;
    op->match_cols = key;
    op->mergeable = all_text(&p->row, NULL, ncols);
}

static void
add_delete(ApplyPlan *p, const ChangeTuple *old, const bool *key, const struct Predicate *guard, uint16_t ncols)
{
    ApplyOp *op = add(p, guard ? APPLY_DELETE_GUARDED : APPLY_DELETE);
    op->match = old;
    op->match_cols = key;
    op->guard = guard;
    op->mergeable = !guard && all_text(old, key, ncols);
}

static bool
plan_insert(const Change *ch, const bool *key, ApplyPlan *p)
{
    if (!change_complete_new_row(ch, &p->row, p->set))
        return refuse(p, "an update that moves a row into the phase without all its values");
    add_row(p, key, ch->rel->ncols);
    return true;
}

/* An update missing values, key unmoved: the values sent, of the row found by its key. */
static void
plan_partial_update(const Change *ch, const bool *key, ApplyPlan *p)
{
    bool any = false;
    for (uint16_t i = 0; i < ch->rel->ncols; i++) {
        p->only[i] = p->set[i] && !key[i];
        any = any || p->only[i];
    }
    /* Nothing but the key was sent: there is only something to do if the row must be found. */
    if (!any && !ch->must_exist)
        return;
    ApplyOp *op = add(p, APPLY_UPDATE);
    op->row = op->match = &p->row;
    op->set = p->only;
    op->match_cols = key;
    op->must_find = ch->must_exist;
}

static void
plan_update_key(const ChangeTuple *old, const bool *key, ApplyPlan *p)
{
    ApplyOp *op = add(p, APPLY_UPDATE_KEY);
    op->row = &p->row;
    op->set = p->set;
    op->match = old;
    op->match_cols = key;
}

static bool
plan_update_keyless(const Change *ch, ApplyPlan *p)
{
    if (!change_has_old(ch) || !change_match_mask(ch, p->match))
        return refuse(p, "an update");
    bool any = false;
    for (uint16_t i = 0; i < ch->rel->ncols; i++)
        any = any || p->set[i];
    if (!any)
        return true;
    ApplyOp *op = add(p, APPLY_UPDATE_MATCH);
    op->row = &p->row;
    op->set = p->set;
    op->match = &ch->old_tuple;
    op->match_cols = p->match;
    return true;
}

static bool
plan_update(const Change *ch, const bool *key, const ApplySemantics *sem, ApplyPlan *p)
{
    uint16_t n = ch->rel->ncols;
    bool complete = change_complete_new_row(ch, &p->row, p->set);
    if (!key)
        return plan_update_keyless(ch, p);
    const ChangeTuple *old = change_has_old(ch) && change_tuple_has(&ch->old_tuple, key, n) ? &ch->old_tuple : NULL;
    bool key_moved = old && !change_keys_equal(old, &p->row, key, n);
    /*
     * A moved key with missing values is updated in place, keeping them; so
     * is any when FK actions must fire.  A whole new row is then made sure
     * of too, for a replay: the UPDATE does nothing where the new key is
     * there already, the old key's row (one a replay made) goes, and the new
     * row is upserted.
     */
    if (key_moved && (!complete || !sem->log_has_cascade_effects)) {
        plan_update_key(old, key, p);
        if (complete) {
            add_delete(p, old, key, NULL, n);
            add_row(p, key, n);
        }
    } else if (!complete)
        plan_partial_update(ch, key, p);
    else {
        if (key_moved)
            add_delete(p, old, key, NULL, n);
        add_row(p, key, n);
    }
    return true;
}

static bool
plan_delete(const Change *ch, const bool *key, ApplyPlan *p)
{
    if (!change_has_old(ch))
        return refuse(p, "a delete");
    if (key && change_tuple_has(&ch->old_tuple, key, ch->rel->ncols)) {
        add_delete(p, &ch->old_tuple, key, ch->delete_guard, ch->rel->ncols);
        return true;
    }
    /* No key, or an old row without it (another replica identity): the old row's identifying values. */
    if (!change_match_mask(ch, p->match))
        return refuse(p, "a delete");
    ApplyOp *op = add(p, APPLY_DELETE_MATCH);
    op->match = &ch->old_tuple;
    op->match_cols = p->match;
    return true;
}

bool
apply_rules_plan(const Change *ch, const bool *key, const ApplySemantics *sem, ApplyPlan *p)
{
    uint16_t n = ch->rel->ncols;
    reserve(p, n);
    p->nops = 0;
    p->refused = NULL;
    p->row.ncols = n;
    memset(p->set, 0, p->cap * sizeof *p->set);
    memset(p->only, 0, p->cap * sizeof *p->only);
    memset(p->match, 0, p->cap * sizeof *p->match);
    switch (ch->kind) {
    case CHANGE_INSERT: return plan_insert(ch, key, p);
    case CHANGE_UPDATE: return plan_update(ch, key, sem, p);
    case CHANGE_DELETE: return plan_delete(ch, key, p);
    default: return true;
    }
}

bool
apply_rules_key_mask(const TableDef *t, const RelationInfo *rel, bool *mask)
{
    memset(mask, 0, rel->ncols * sizeof *mask);
    if (t->npk == 0)
        return false;
    for (size_t k = 0; k < t->npk; k++) {
        const char *col = t->columns[t->pk[k]].name;
        bool found = false;
        for (uint16_t i = 0; i < rel->ncols && !found; i++)
            if (!strcmp(rel->cols[i].name, col))
                found = mask[i] = true;
        if (!found)
            return false;
    }
    return true;
}

ApplyMerge
apply_rules_merge(const ApplyTableTraits *t, const ApplySemantics *sem)
{
    /* A change of one row may collide with another row's unique value: their order matters. */
    if (t->other_unique)
        return APPLY_MERGE_NONE;
    /* A trigger that fires must see every change, in order. */
    if (t->has_triggers && sem->target_fires_triggers)
        return APPLY_MERGE_NONE;
    /* A checked foreign key sees the order between tables; an action that fires, every delete. */
    if (t->has_foreign_keys && (t->foreign_keys_checked || !sem->log_has_cascade_effects))
        return APPLY_MERGE_NONE;
    if (!t->has_key)
        return APPLY_MERGE_INSERTS;
    return t->keys_merge_exactly ? APPLY_MERGE_BY_KEY : APPLY_MERGE_NONE;
}

ApplyTableTraits
apply_rules_traits_of(const TableDef *t)
{
    ApplyTableTraits tr = {.has_foreign_keys = t->referenced || t->fk_actions, .has_triggers = t->has_triggers};
    for (size_t k = 0; k < t->nconstraints; k++) {
        char kind = t->constraints[k].kind;
        if (kind == CONSTRAINT_FOREIGN)
            tr.has_foreign_keys = true;
        else if (kind != CONSTRAINT_PRIMARY && kind != CONSTRAINT_CHECK)
            tr.other_unique = true;
    }
    for (size_t k = 0; k < t->nindexes; k++)
        tr.other_unique = tr.other_unique || t->indexes[k].unique;
    return tr;
}
