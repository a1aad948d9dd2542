/*
 * phase_names.h: every name godwit gives to state outside a target's own
 * _godwit.phases row, built in this one place from (migration id, phase).
 *
 * Slots, publications, replication origins, checkpoint streams, application
 * names, fence triggers, the MySQL binlog reader's server_id and changefeed
 * staging keys all live where more than one migration can see them (a
 * PostgreSQL cluster, a MariaDB server, one source database read by two
 * migrations).  Keyed by the migration's id as well as the phase, two
 * migrations never share one, whatever their phase names.  The phase name
 * alone stays what messages show the operator.
 *
 * Lengths: a phase name is at most PLAN_PHASE_NAME_MAX (34) bytes of
 * [a-z0-9_] in a plan; the id is MIGRATION_ID_LEN (8) hex digits.  The
 * longest PostgreSQL identifier built here is the failback stream's
 * insert-only publication, "godwit_" + id + "_" + phase + "_failback_ins":
 * 63 bytes, PostgreSQL's limit (tests/unit/test_phase_names.c checks it).
 * This module never logs and never touches a database.
 */
#ifndef GW_PHASE_NAMES_H
#define GW_PHASE_NAMES_H

#include <stdbool.h>
#include <stdint.h>

#define MIGRATION_ID_LEN 8
/* The insert-only publication's suffix (engine/pg): appended to a stream's slot name. */
#define PHASE_NAMES_INSERT_ONLY "_ins"

/* A phase of one migration: what every derived name is built from. */
typedef struct MigrationPhase {
    char id[MIGRATION_ID_LEN + 1];  /* lower-case hex; "" when the target records no migration (nothing to name) */
    const char *phase;              /* the operator's phase name (not owned) */
} MigrationPhase;

/* Fills mp from an id (NULL or "": none) and a phase name (borrowed). */
void phase_names_init(MigrationPhase *mp, const char *id, const char *phase);

/*
 * The slot (and publication) name of a stream: "godwit_<id>_<phase>", and
 * "..._failback" for the failback stream on the target; the phase part
 * lower-cased, anything but [a-z0-9_] made '_' and cut at
 * PLAN_PHASE_NAME_MAX bytes.  Caller frees.
 */
char *phase_names_slot(const MigrationPhase *mp, bool failback);
/*
 * Whether a slot's name is one a phase of migration id would have
 * ("godwit_<id>_..."; any godwit slot when id is NULL or "").
 */
bool phase_names_slot_is_migrations(const char *slot, const char *id);
/* A stream's checkpoint name on the side it writes to: "<id>:<phase>:forward" or ":failback".  Caller frees. */
char *phase_names_stream(const MigrationPhase *mp, bool failback);
/* Whether a checkpoint stream name is a failback stream's (see phase_names_stream). */
bool phase_names_stream_is_failback(const char *stream);
/* The direction a checkpoint stream name ends with ("forward", "failback"), as its checkpoint row records it. */
const char *phase_names_stream_direction(const char *stream);
/* The PostgreSQL replication origin an applier of a stream tags its writes with: "godwit:<stream>".  Caller frees. */
char *phase_names_origin(const char *stream);
/*
 * Whether a transaction whose ORIGIN change names `origin` was written by a
 * stream of migration `id` (or, id "": by any godwit stream).  Only those
 * are echoes a stream of the migration must skip: what another migration's
 * applier wrote into a database this one reads (failback of another target
 * into a shared source) is the application's data here, and must be carried
 * on.
 *
 * MySQL/MariaDB's skip_replication (CHANGE_ORIGIN_SKIP) names no migration,
 * so it is never taken for an echo: skipping it lost another migration's
 * failback writes.  Nothing loops without it: the only writer into a MySQL
 * database is failback, which runs only once its phase's forward stream has
 * stopped at cutover (a phase's status allows one direction at a time), and
 * what it writes of other phases' tables and rows fails their streams' own
 * table and row filters, as phases never share a row.
 */
bool phase_names_origin_is_migrations(const char *origin, const char *id);
/*
 * The application name of a command's sessions: "godwit <command>:<id>:<phase>"
 * ("godwit <command>:<phase>" without a migration).  Sessions carrying it are
 * one command's of one migration: end_stale_sessions ends them, count_sessions
 * counts them.  Caller frees.
 */
char *phase_names_app(const MigrationPhase *mp, const char *command);
/* The application name of a command's sessions before it knows its migration: "godwit <command>".  Caller frees. */
char *phase_names_command_app(const char *command);
#define PHASE_NAMES_FENCE_PREFIX "godwit_fence_"
/*
 * The base name of a phase's fence objects: "godwit_fence_<id>_<phase>"
 * (engine/pg appends "_trunc" or "_<n>", engine/mysql "_<n>_i|u|d").  Caller frees.
 */
char *phase_names_fence(const MigrationPhase *mp);
/* The key changefeed staging rows of a phase are kept under on the source: "<id>:<phase>".  Caller frees. */
char *phase_names_staging(const MigrationPhase *mp);
/*
 * The server_id a MySQL binlog reader of the phase's forward stream
 * presents: stable across runs, distinct for two migrations, and in the top
 * half of the range, away from real servers' small ids.
 */
uint32_t phase_names_server_id(const MigrationPhase *mp);

#endif
