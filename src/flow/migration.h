/*
 * migration.h: the migration a target database belongs to, and the check
 * every command makes with it before it touches any state.
 *
 * A migration is the pair (source database, target database).  The first
 * fetch into a target gives it an id (8 hex digits, random) and records it
 * on the target with the source's identity (SourceOps.source_identity) in
 * _godwit.migration.  Every name godwit derives outside the target's own
 * phase rows is keyed by that id and the phase (core/phase_names.h), so two
 * migrations never share a slot, origin, checkpoint, fence or session name,
 * whatever their phase names.  Every later command is refused (exit 2)
 * unless it is given the source the target's migration came from, and state
 * an earlier godwit version left (phases without a migration) is refused,
 * never reused.  This module only reads; migration_record writes the one row.
 */
#ifndef GW_MIGRATION_H
#define GW_MIGRATION_H

#include <stdbool.h>

#include "core/phase_names.h"
#include "engine/engine.h"
#include "util/result.h"

typedef struct Migration {
    MigrationRecord rec;    /* the target's record, or a new one (recorded false) */
    bool recorded;          /* the target holds rec */
    char *given_identity;   /* the identity of the source this command was given (NULL without one) */
} Migration;

/*
 * Opens sessions of its own to the target and (source_url not NULL) the
 * source, reads the target's migration and checks the source is its own.
 * Refuses, one line and GW_ERR_USAGE: another source than the migration's;
 * phases an earlier godwit version recorded.  fetch_phase (fetch only; NULL
 * otherwise): the phase fetch will make; an earlier version's slot for it
 * ("godwit_<phase>") in the source database is refused too, and with no
 * migration recorded m->rec is a new one of this source, to be recorded by
 * migration_record.  Otherwise, with none recorded, m->rec.id stays NULL (a
 * command with no state to resume).  command names the sessions ("godwit
 * <command>").
 */
GwResult migration_open(const char *source_url, const char *target_url, const char *command,
                        const char *fetch_phase, Migration *m) GW_MUST_CHECK;
/*
 * Records a new migration on the target (nothing when it is recorded
 * already): fetch calls it just before it first writes the phase's state.
 * Refuses when another fetch recorded one of another source meanwhile.
 */
GwResult migration_record(EngineConn *target, Migration *m) GW_MUST_CHECK;
/*
 * migration_open, for a command that only needs the id: fills mp with the
 * target's migration id (empty when it records none) and the phase.
 */
GwResult migration_check(const char *source_url, const char *target_url, const char *command, const char *phase,
                         MigrationPhase *mp) GW_MUST_CHECK;
/* The same, unless the caller passes the id its own check found (an in-process stream of cutover, rollback, failback). */
GwResult migration_phase(const char *checked_id, const char *source_url, const char *target_url,
                         const char *command, const char *phase, MigrationPhase *mp) GW_MUST_CHECK;
/*
 * Refuses (GW_ERR_USAGE, naming both) a phase whose derived names (its slot,
 * publications, checkpoint streams) another phase recorded on the target
 * already has: names that differ only in case or punctuation ("Bad-Name",
 * "bad_name") map to one slot.  fetch checks it before it makes a phase.
 */
GwResult migration_check_phase_names(EngineConn *target, const MigrationPhase *mp) GW_MUST_CHECK;
void migration_free(Migration *m);

#endif
