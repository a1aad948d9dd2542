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
    FILTER_AS_INSERT,       /* an update moved the row into the phase: insert it downstream */
} FilterVerdict;

/*
 * Decides what a change becomes.  An insert applies when its row matches.
 * An update is judged on its new row and, when the source sent the whole
 * old row (REPLICA IDENTITY FULL), on that too: in to in applies, out to in
 * becomes an insert, in to out a delete, out to out nothing.  Without the
 * old row, a new row outside the phase becomes a delete by key (a row that
 * was never in the phase is simply not there to delete) and one inside
 * applies, marked must_exist when it does not carry every value, because an
 * upsert is then impossible.  A delete always applies, for the same reason.
 * A predicate that cannot be decided (a column not sent) is an error.
 */
GwResult change_filter(const Predicate *p, const Catalog *cat, const TableDef *t, const Change *ch,
                       FilterVerdict *verdict, bool *must_exist) GW_MUST_CHECK;

/*
 * The change to apply downstream, after change_filter: *out is ch turned
 * into what the verdict says (an update leaving the phase becomes a delete,
 * guarded by the predicate when the old row is unknown; one entering it an
 * insert), or *skip when the row is not in the phase.  *out shares ch's
 * values.
 */
GwResult change_filter_rewrite(const Predicate *p, const Catalog *cat, const TableDef *t, const Change *ch,
                               Change *out, bool *skip) GW_MUST_CHECK;

#endif
