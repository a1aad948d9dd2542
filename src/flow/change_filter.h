/*
 * change_filter.h: a phase's row predicate applied to change events
 * (DESIGN.md, "Phases side by side"): the same predicate that restricted
 * the bulk load decides what a change does downstream.
 */
#ifndef GW_CHANGE_FILTER_H
#define GW_CHANGE_FILTER_H

#include "core/catalog.h"
#include "core/change.h"
#include "core/predicate.h"
#include "util/result.h"

typedef enum FilterVerdict {
    FILTER_APPLY,           /* apply the change as it is */
    FILTER_SKIP,            /* the row is not in the phase: nothing to do */
    FILTER_AS_DELETE,       /* an update moved the row out of the phase: delete it downstream */
} FilterVerdict;

/*
 * Decides what a change becomes.  An insert applies when its row matches.
 * An update applies (an upsert, which also moves a row in) when the new row
 * matches, and becomes a delete by key when it does not: a row that was
 * never in the phase is then simply not there to delete.  A delete always
 * applies, for the same reason.  A predicate that cannot be decided (a
 * column not sent, such as an unchanged TOASTed value) is an error.
 */
GwResult change_filter(const Predicate *p, const Catalog *cat, const TableDef *t, const Change *ch,
                       FilterVerdict *verdict) GW_MUST_CHECK;

#endif
