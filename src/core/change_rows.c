/*
 * change_rows.c: what every applier asks of a change's rows (change.h):
 * which values were sent, whether a key moved, which columns identify the
 * old row, and the new row completed from a whole old row.
 */
#include <string.h>

#include "core/change.h"

bool
change_tuple_has(const ChangeTuple *tup, const bool *mask, uint16_t ncols)
{
    for (uint16_t i = 0; i < ncols; i++)
        if (mask[i] && (i >= tup->ncols || tup->values[i].kind == VALUE_UNCHANGED))
            return false;
    return true;
}

bool
change_keys_equal(const ChangeTuple *a, const ChangeTuple *b, const bool *mask, uint16_t ncols)
{
    for (uint16_t i = 0; i < ncols; i++) {
        if (!mask[i])
            continue;
        const ChangeValue *x = &a->values[i], *y = &b->values[i];
        if (x->kind != y->kind || x->len != y->len || (x->len && memcmp(x->data, y->data, x->len) != 0))
            return false;
    }
    return true;
}

bool
change_match_mask(const Change *ch, bool *mask)
{
    const RelationInfo *rel = ch->rel;
    bool any = false;
    for (uint16_t i = 0; i < rel->ncols; i++) {
        ValueKind k = i < ch->old_tuple.ncols ? ch->old_tuple.values[i].kind : VALUE_UNCHANGED;
        mask[i] = ch->old_kind == CHANGE_OLD_KEY ? rel->cols[i].key : k != VALUE_UNCHANGED;
        any = any || mask[i];
    }
    return any;
}

const ChangeValue *
change_new_value(const Change *ch, uint16_t i)
{
    static const ChangeValue unchanged = {.kind = VALUE_UNCHANGED};
    const ChangeValue *v = i < ch->new_tuple.ncols ? &ch->new_tuple.values[i] : &unchanged;
    if (v->kind == VALUE_UNCHANGED && ch->old_kind == CHANGE_OLD_ROW && i < ch->old_tuple.ncols &&
        ch->old_tuple.values[i].kind != VALUE_UNCHANGED)
        return &ch->old_tuple.values[i];
    return v;
}

bool
change_complete_new_row(const Change *ch, ChangeTuple *row, bool *set)
{
    bool complete = true;
    for (uint16_t i = 0; i < ch->rel->ncols; i++) {
        row->values[i] = *change_new_value(ch, i);
        set[i] = row->values[i].kind != VALUE_UNCHANGED;
        complete = complete && set[i];
    }
    return complete;
}
