/*
 * migration.c: reading, checking and recording the migration a target
 * belongs to (see migration.h).
 */
#include "flow/migration.h"


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "util/log.h"
#include "util/mem.h"

/* A new id: MIGRATION_ID_LEN lower-case hex digits from the kernel's random source. */
static GwResult
new_id(char **out)
{
    unsigned char bytes[MIGRATION_ID_LEN / 2];
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t) sizeof bytes) {
        log_error("cannot read random bytes for the migration's id");
        return GW_ERR_INTERNAL;
    }
    char hex[MIGRATION_ID_LEN + 1];
    for (size_t i = 0; i < sizeof bytes; i++)
        snprintf(hex + 2 * i, 3, "%02x", bytes[i]);
    *out = gw_strdup(hex);
    return GW_OK;
}

static GwResult
refuse_legacy(const Endpoint *target, const char *phases)
{
    log_error("target %s holds phases (%s) recorded by an earlier godwit version, without a migration identity:"
              " finish them with that version, or drop schema _godwit on the target and that version's slots"
              " (godwit_<phase>) on the source to start over",
              target->redacted, phases);
    return GW_ERR_USAGE;
}

static GwResult
refuse_other_source(const Endpoint *target, const MigrationRecord *rec, const Endpoint *source, const char *given)
{
    log_error("target %s belongs to migration %s from source %s (%s); the source given, %s, is %s: give that"
              " migration's source, or use another target database for a migration of this one",
              target->redacted, rec->id, rec->source_desc, rec->source_identity, source->redacted, given);
    return GW_ERR_USAGE;
}

/* An earlier version named a phase's slot "godwit_<phase>": never reused, and refused rather than left unnoticed. */
static GwResult
refuse_legacy_slot(EngineConn *conn, const char *phase)
{
    MigrationPhase old;
    phase_names_init(&old, NULL, phase);
    char *slot = phase_names_slot(&old, false);
    bool exists = false;
    const StreamOps *so = conn->ops->stream;
    GwResult rc = so && so->stream_exists ? so->stream_exists(conn, slot, &exists) : GW_OK;
    if (rc == GW_OK && exists) {
        log_error("source %s holds replication slot %s, made by an earlier godwit version for phase '%s': finish"
                  " that phase with that version, or drop the slot (SELECT pg_drop_replication_slot('%s')) and its"
                  " publications",
                  conn->endpoint->redacted, slot, phase, slot);
        rc = GW_ERR_USAGE;
    }
    free(slot);
    return rc;
}

/* The source's identity, on a session of its own; for a fetch, refuses a slot of an earlier version. */
static GwResult
read_source(const Endpoint *ep, const char *fetch_phase, char **identity)
{
    EngineConn *conn = NULL;
    GwResult rc = engine_connect(ep, &conn);
    if (rc == GW_OK && !conn->ops->source) {
        log_error("source %s: %s cannot be a migration's source", ep->redacted, conn->ops->name);
        rc = GW_ERR_USAGE;
    }
    if (rc == GW_OK)
        rc = conn->ops->source->source_identity(conn, identity);
    if (rc == GW_OK && fetch_phase)
        rc = refuse_legacy_slot(conn, fetch_phase);
    engine_close(conn);
    return rc;
}

/*
 * The target's record, on a session of its own; refuses an earlier version's
 * state.  An engine that keeps no state (a MySQL database compared by verify)
 * records none.
 */
static GwResult
read_record(const Endpoint *ep, Migration *m)
{
    EngineConn *conn = NULL;
    char *legacy = NULL;
    GwResult rc = engine_connect(ep, &conn);
    if (rc == GW_OK && conn->ops->state)
        rc = conn->ops->state->migration_get(conn, &m->rec, &m->recorded, &legacy);
    if (rc == GW_OK && legacy)
        rc = refuse_legacy(ep, legacy);
    free(legacy);
    engine_close(conn);
    return rc;
}

GwResult
migration_open(const char *source_url, const char *target_url, const char *command, const char *fetch_phase,
               Migration *m)
{
    memset(m, 0, sizeof *m);
    Endpoint source_ep, target_ep;
    memset(&source_ep, 0, sizeof source_ep);
    char *app = phase_names_command_app(command);
    GwResult rc = endpoint_init(&target_ep, target_url, ROLE_TARGET, app);
    if (rc == GW_OK && source_url)
        rc = endpoint_init(&source_ep, source_url, ROLE_SOURCE, app);
    free(app);
    if (rc == GW_OK)
        rc = read_record(&target_ep, m);
    if (rc == GW_OK && source_url)
        rc = read_source(&source_ep, fetch_phase, &m->given_identity);
    if (rc == GW_OK && m->recorded && m->given_identity && strcmp(m->rec.source_identity, m->given_identity) != 0)
        rc = refuse_other_source(&target_ep, &m->rec, &source_ep, m->given_identity);
    if (rc == GW_OK && !m->recorded && fetch_phase && m->given_identity) {
        rc = new_id(&m->rec.id);
        m->rec.source_identity = gw_strdup(m->given_identity);
        m->rec.source_desc = gw_strdup(source_ep.redacted);
    }
    endpoint_free(&source_ep);
    endpoint_free(&target_ep);
    return rc;
}

GwResult
migration_record(EngineConn *target, Migration *m)
{
    if (m->recorded)
        return GW_OK;
    if (!target->ops->state) {
        log_error("target %s: %s cannot be a migration's target", target->endpoint->redacted, target->ops->name);
        return GW_ERR_USAGE;
    }
    MigrationRecord stored;
    GwResult rc = target->ops->state->migration_put(target, &m->rec, &stored);
    if (rc)
        return rc;
    if (strcmp(stored.id, m->rec.id) != 0 && strcmp(stored.source_identity, m->rec.source_identity) != 0) {
        log_error("target %s: another fetch recorded migration %s from source %s (%s) meanwhile; this one's source"
                  " is %s (%s)",
                  target->endpoint->redacted, stored.id, stored.source_desc, stored.source_identity,
                  m->rec.source_desc, m->rec.source_identity);
        migration_record_free(&stored);
        return GW_ERR_USAGE;
    }
    if (strcmp(stored.id, m->rec.id) != 0)
        log_info("target %s: joining migration %s, which a fetch of another phase recorded meanwhile",
                 target->endpoint->redacted, stored.id);
    else
        log_info("target %s: migration %s from source %s recorded", target->endpoint->redacted, stored.id,
                 stored.source_desc);
    migration_record_free(&m->rec);
    m->rec = stored;
    m->recorded = true;
    return GW_OK;
}

GwResult
migration_check(const char *source_url, const char *target_url, const char *command, const char *phase,
                MigrationPhase *mp)
{
    Migration m;
    GwResult rc = migration_open(source_url, target_url, command, NULL, &m);
    phase_names_init(mp, rc == GW_OK ? m.rec.id : NULL, phase);
    migration_free(&m);
    return rc;
}

GwResult
migration_phase(const char *checked_id, const char *source_url, const char *target_url, const char *command,
                const char *phase, MigrationPhase *mp)
{
    if (!checked_id)
        return migration_check(source_url, target_url, command, phase, mp);
    phase_names_init(mp, checked_id, phase);
    return GW_OK;
}

void
migration_free(Migration *m)
{
    migration_record_free(&m->rec);
    free(m->given_identity);
    memset(m, 0, sizeof *m);
}

GwResult
migration_check_phase_names(EngineConn *target, const MigrationPhase *mp)
{
    char **names = NULL;
    size_t n = 0;
    GwResult rc = target->ops->state->state_phase_names(target, &names, &n);
    char *mine = phase_names_slot(mp, false);
    for (size_t i = 0; i < n; i++) {
        if (rc == GW_OK && strcmp(names[i], mp->phase) != 0) {
            MigrationPhase other;
            phase_names_init(&other, mp->id, names[i]);
            char *theirs = phase_names_slot(&other, false);
            if (!strcmp(theirs, mine)) {
                log_error("phase '%s' would have the same slot, publications and checkpoints (%s) as phase '%s' on"
                          " target %s: phase names that differ only in case or punctuation are one; choose another"
                          " name", mp->phase, mine, names[i], target->endpoint->redacted);
                rc = GW_ERR_USAGE;
            }
            free(theirs);
        }
        free(names[i]);
    }
    free(names);
    free(mine);
    return rc;
}
