/*
 * plan.h: a phased-migration plan file (--plan FILE, DESIGN.md): named
 * phases, each a set of tables and, per table, a row predicate.
 *
 *   {"phases": [{"name": "region_a",
 *                "tables": ["public.*"],             optional, default: every table
 *                "exclude": ["public.audit"],        optional
 *                "where": {"public.orders": "region = 'A'"}}]}   optional
 *
 * "tables" and "exclude" are globs as for --tables and --exclude; "where"
 * maps schema.table (each part bare or "double quoted", as for --where) to
 * a predicate (core/predicate.h).  Each phase becomes a Selection exactly as
 * the flags would build it.  This module only reads the file: whether the
 * phases overlap is core/plan_overlap.h, checks against a database are
 * flow/plan_check.h.  It never logs; errors are one line into err.
 */
#ifndef GW_PLAN_H
#define GW_PLAN_H

#include <stddef.h>

#include "core/selection.h"
#include "util/result.h"

/*
 * A phase name names the phase's replication slot and publications on
 * PostgreSQL with the migration's id (core/phase_names.h):
 * "godwit_<id>_<name>", the failback stream's "..._failback", and each
 * one's insert-only publication "..._ins".  PostgreSQL allows lower-case
 * letters, digits and the underscore in slot names, at most 63 bytes: the
 * longest, with an 8-byte id and a 34-byte name, is exactly 63
 * (tests/unit/test_phase_names.c).  phase_names_slot cuts a longer phase
 * part (a --phase without a plan), so two long names could share a slot.
 * A plan's phase names are therefore [a-z0-9_], 1 to PLAN_PHASE_NAME_MAX
 * bytes: then every stream name of every phase is distinct and never
 * shortened.
 */
#define PLAN_PHASE_NAME_MAX 34
/* Largest plan file read. */
#define PLAN_FILE_MAX (16 * 1024 * 1024)

typedef struct PlanPhase {
    char *name;
    Selection selection;    /* includes, excludes and row filters of the phase */
} PlanPhase;

typedef struct Plan {
    char *path;             /* as given: messages name it */
    PlanPhase *phases;
    size_t nphases;
} Plan;

/* Reads and checks a plan file.  On error *out is empty and err holds one line naming the file, phase and key. */
GwResult plan_load(const char *path, Plan *out, char *err, size_t errlen) GW_MUST_CHECK;
/* The same from text in memory; name stands for the file in messages. */
GwResult plan_parse(const char *text, size_t len, const char *name, Plan *out, char *err,
                    size_t errlen) GW_MUST_CHECK;
void plan_free(Plan *plan);

/* Whether name is usable as a plan's phase name (see PLAN_PHASE_NAME_MAX); else why, one line. */
bool plan_phase_name_valid(const char *name, char *why, size_t whylen);

/* The phase named so, or NULL with a message listing the plan's phases. */
PlanPhase *plan_phase(const Plan *plan, const char *name, char *err, size_t errlen);

/* Fills an initialized, empty Selection with a copy of the phase's (a command's --tables/--exclude/--where). */
void plan_phase_selection(const PlanPhase *phase, Selection *out);

/*
 * Whether row filters recorded with a fetched phase (selection_filters_json)
 * are the plan phase's: the same tables, each with the same predicate
 * (compared as parsed, so spacing and keyword case do not matter).  Else
 * false with one line naming the first difference.
 */
bool plan_phase_filters_match(const PlanPhase *phase, const char *filters_json, char *why, size_t whylen);

#endif
