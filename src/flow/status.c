/*
 * status.c: `godwit status` (see status.h).  Read-only: it never writes to
 * the target.  Besides the phases, every godwit replication slot of the
 * target's server and (with --source) of the source's, with the log each
 * keeps, orphans marked: a slot nobody reads keeps log until the disk
 * fills.  JSON output is the engine's report with the slots added; the text
 * form is rendered from it.
 */
#include "flow/status.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/phase_names.h"
#include "core/phase_status.h"
#include "engine/engine.h"
#include "flow/migration.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/progress.h"

static const char *
str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

static json_int_t
num(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

/* A phase's status in the report (PHASE_NONE when it has none this godwit knows: nothing runs in it). */
static PhaseStatus
status_of(json_t *p)
{
    PhaseStatus st;
    return phase_status_parse(str(p, "status"), &st) ? st : PHASE_NONE;
}

/* Whether a stream of that direction ("forward", "failback") has run: it has a checkpoint, or stored its lag. */
static bool
has_stream(json_t *p, const char *direction)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(p, "streams"), i, s) {
        if (!strcmp(str(s, "direction"), direction) && strcmp(str(s, "position"), "not started") != 0)
            return true;
    }
    json_array_foreach(json_object_get(p, "observed_lags"), i, s) {
        if (!strcmp(phase_names_stream_direction(str(s, "stream")), direction))
            return true;
    }
    return false;
}

/*
 * What a phase's status means for the operator (core/phase_status.h), or the
 * status as stored; a phase fetched is replicating only once replicate has
 * run in it.
 */
static const char *
phase_state(json_t *p)
{
    PhaseStatus st = status_of(p);
    if (st == PHASE_FETCHED && json_is_true(json_object_get(p, "stream")) && !has_stream(p, "forward"))
        return "fetched, replicate not started";
    return st != PHASE_NONE ? phase_status_meaning(st) : str(p, "status");
}

/* The lag a running stream last stored (observed_lags), for the stream named. */
static json_t *
observed_lag(json_t *p, const char *stream)
{
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(p, "observed_lags"), i, l) {
        if (!strcmp(str(l, "stream"), stream))
            return l;
    }
    return NULL;
}

/* Past this, an observation is old news: its stream has likely stopped. */
#define LAG_STALE_S 60.0

static void
print_observed_lag(json_t *l)
{
    char b[32];
    double ago = json_number_value(json_object_get(l, "observed_seconds_ago"));
    printf("    lag: %.1f s, %s (observed %.0f s ago%s)\n", json_number_value(json_object_get(l, "seconds")),
           progress_format_bytes((double) num(l, "bytes"), b, sizeof b), ago,
           ago > LAG_STALE_S ? "; the stream does not seem to be running" : "");
}

static void
print_verify(json_t *p)
{
    json_t *v = json_object_get(p, "last_verify");
    json_t *d = json_object_get(v, "detail");
    if (!json_is_object(d)) {
        printf("  last verify: none\n");
        return;
    }
    printf("  last verify: %s (%s, %lld tables, %lld different, %lld rows compared) at %s\n",
           json_is_true(json_object_get(d, "equal")) ? "equal" : "DIFFERENT", str(d, "mode"),
           (long long) num(d, "tables"), (long long) num(d, "tables_different"), (long long) num(d, "rows_compared"),
           str(v, "at"));
}

static void
print_event(json_t *e)
{
    json_t *d = json_object_get(e, "detail");
    json_t *downtime = json_object_get(d, "write_downtime_seconds");
    if (json_is_number(downtime))
        printf("  event %s at %s: write downtime %.3f s\n", str(e, "kind"), str(e, "at"), json_number_value(downtime));
    else
        printf("  event %s at %s\n", str(e, "kind"), str(e, "at"));
}

static void
print_phase(json_t *p)
{
    char b[32];
    json_t *f = json_object_get(p, "fetch");
    printf("phase %s: %s%s\n", str(p, "name"), phase_state(p),
           json_is_true(json_object_get(p, "stream")) ? "" : " (no stream)");
    bool slot_held = phase_status_holds_forward_slot(status_of(p)) && json_is_true(json_object_get(p, "stream"));
    char *slot = slot_held ? gw_asprintf("slot %s", str(p, "slot")) : gw_strdup("its slot is gone");
    printf("  fetch: %lld/%lld shards of %lld tables, %lld rows, %s; stream starts at %s (%s)\n",
           (long long) num(f, "shards_done"), (long long) num(f, "shards"), (long long) num(f, "tables"),
           (long long) num(f, "rows"), progress_format_bytes((double) num(f, "bytes"), b, sizeof b),
           str(p, "start_position"), slot);
    free(slot);
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(p, "streams"), i, s) {
        if (!strcmp(str(s, "position"), "not started"))
            printf("  stream %s: not started\n", str(s, "direction"));
        else if (!json_object_get(s, "last_apply"))
            printf("  stream %s: applied up to %s (on the source)\n", str(s, "direction"), str(s, "position"));
        else
            printf("  stream %s: applied up to %s, last apply %s (%.1f s ago)\n", str(s, "direction"),
                   str(s, "position"), str(s, "last_apply"),
                   json_number_value(json_object_get(s, "seconds_since_apply")));
        json_t *l = observed_lag(p, str(s, "stream"));
        if (l)
            print_observed_lag(l);
        if (json_is_integer(json_object_get(s, "lag_bytes")))
            printf("    lag: %s of log behind the %s (measured now)\n",
                   progress_format_bytes((double) num(s, "lag_bytes"), b, sizeof b),
                   !strcmp(str(s, "direction"), "failback") ? "target" : "source");
    }
    /* A failback stream's checkpoint is on the source: without --source, its stored lag alone. */
    json_t *l;
    json_array_foreach(json_object_get(p, "observed_lags"), i, l) {
        bool listed = false;
        size_t j;
        json_array_foreach(json_object_get(p, "streams"), j, s) {
            listed = listed || !strcmp(str(s, "stream"), str(l, "stream"));
        }
        if (!listed) {
            printf("  stream %s:\n", phase_names_stream_direction(str(l, "stream")));
            print_observed_lag(l);
        }
    }
    print_verify(p);
    json_t *e;
    json_array_foreach(json_object_get(p, "events"), i, e) {
        print_event(e);
    }
}

/* The target's migration (flow/migration.h), as status shows it. */
static json_t *
migration_json(const MigrationRecord *rec)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "id", rec->id, "source", rec->source_desc, "source_identity",
                     rec->source_identity, "created_at", rec->created_at ? rec->created_at : "");
}

static void
print_migration(json_t *m)
{
    if (m)
        printf("migration %s from source %s (%s), since %s\n", str(m, "id"), str(m, "source"),
               str(m, "source_identity"), str(m, "created_at"));
}

/*
 * Adds each failback stream, read from the source's checkpoints, to the
 * streams of its phase.  The source only knows the position applied.
 */
static GwResult
add_failback_streams(json_t *root, EngineConn *conn, const char *migration_id)
{
    GwResult rc = GW_OK;
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(root, "phases"), i, p) {
        if (rc || !phase_status_streams_failback(status_of(p)) || !conn->ops->apply)
            continue;
        MigrationPhase mp;
        phase_names_init(&mp, migration_id, str(p, "name"));
        char *stream = phase_names_stream(&mp, true), *pos = NULL;
        bool found = false;
        rc = conn->ops->apply->checkpoint_get(conn, stream, &pos, &found);
        json_t *streams = json_object_get(p, "streams");
        if (rc == GW_OK && json_is_array(streams))
            json_array_append_new(streams, json_pack("{s:s, s:s, s:s}", "direction", "failback", "stream", stream,
                                                     "position", found ? pos : "not started"));
        free(pos);
        free(stream);
    }
    return rc;
}

/*
 * Each stream's lag in bytes of its reader's log: how far its checkpoint is
 * behind where that log stands now (the forward stream's on the source, with
 * --source; failback's on the target).  The checkpoint follows an idle
 * stream within a second or so.
 */
static void
add_lag(json_t *root, EngineConn *target, EngineConn *source)
{
    StreamPos at_target = 0, at_source = 0;
    if (target->ops->stream && target->ops->stream->current_pos(target, &at_target) != GW_OK)
        at_target = 0;
    if (source && source->ops->stream && source->ops->stream->current_pos(source, &at_source) != GW_OK)
        at_source = 0;
    size_t i, j;
    json_t *p, *s;
    json_array_foreach(json_object_get(root, "phases"), i, p) {
        bool forward_on = phase_status_streams_forward(status_of(p));
        bool failback_on = phase_status_streams_failback(status_of(p));
        json_array_foreach(json_object_get(p, "streams"), j, s) {
            bool failback = !strcmp(str(s, "direction"), "failback");
            bool active = failback ? failback_on : forward_on;
            EngineConn *reader = failback ? target : source;
            StreamPos head = failback ? at_target : at_source, pos;
            if (!active || !reader || !head || reader->ops->stream->parse_pos(str(s, "position"), &pos) != 0)
                continue;
            json_object_set_new(s, "lag_bytes", json_integer(head > pos ? (json_int_t) (head - pos) : 0));
        }
    }
}

/* Which stream of which phase uses a slot now, or NULL: a slot no phase refers to any more. */
static json_t *
slot_user(json_t *root, const char *slot, bool on_target)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(root, "phases"), i, p) {
        bool forward_on = phase_status_holds_forward_slot(status_of(p));
        bool failback_on = phase_status_streams_failback(status_of(p));
        if (!on_target && forward_on && !strcmp(str(p, "slot"), slot))
            return json_pack("{s:s, s:s}", "phase", str(p, "name"), "direction", "forward");
        if (on_target && failback_on && !strcmp(str(p, "failback_slot"), slot))
            return json_pack("{s:s, s:s}", "phase", str(p, "name"), "direction", "failback");
    }
    return NULL;
}

/*
 * Every godwit slot of conn's server, with the log it keeps, and the stream
 * using it.  In conn's database, a slot no phase uses (left by a run that
 * failed, or a phase handed over or gone) is an orphan: it keeps log for
 * nobody.  One of another database is shown with it, not judged: it may be
 * another migration's.
 */
static GwResult
add_slots(json_t *root, EngineConn *conn, bool on_target, const char *migration_id)
{
    if (!(conn->ops->stream && conn->ops->stream->list_slots))
        return GW_OK;
    SlotInfo *slots = NULL;
    size_t n = 0;
    GwResult rc = conn->ops->stream->list_slots(conn, &slots, &n);
    json_t *list = json_object_get(root, "slots");
    if (!list) {
        list = json_array();
        json_object_set_new(root, "slots", list);
    }
    for (size_t i = 0; rc == GW_OK && i < n; i++) {
        const SlotInfo *si = &slots[i];
        /* Another migration's slot in this database (the same source read by two migrations) is not judged either. */
        bool other = si->other_database || !phase_names_slot_is_migrations(si->name, migration_id);
        json_t *user = other ? NULL : slot_user(root, si->name, on_target);
        json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:b, s:I, s:b, s:b, s:b}", "side", on_target ? "target" : "source",
                              "slot", si->name, "database", si->database, "other_database", si->other_database,
                              "other_migration", other && !si->other_database, "retained_bytes",
                              (json_int_t) si->retained_bytes, "active", si->active, "temporary", si->temporary,
                              "orphan", !user && !si->temporary && !other);
        if (user)
            json_object_update(o, user);
        json_decref(user);
        json_array_append_new(list, o);
    }
    slot_info_free(slots, n);
    return rc;
}

static void
print_slots(json_t *root)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(root, "slots"), i, s) {
        char b[32];
        json_int_t kept = num(s, "retained_bytes");
        const char *size = kept >= 0 ? progress_format_bytes((double) kept, b, sizeof b) : "unknown";
        if (json_is_true(json_object_get(s, "orphan")))
            printf("slot %s on the %s: ORPHAN, no phase uses it; keeps %s of WAL (drop it: SELECT"
                   " pg_drop_replication_slot('%s'))\n",
                   str(s, "slot"), str(s, "side"), size, str(s, "slot"));
        else if (json_is_true(json_object_get(s, "other_migration")))
            printf("slot %s on the %s: not this migration's (another migration of this database, or an earlier"
                   " godwit version's); keeps %s of WAL\n", str(s, "slot"), str(s, "side"), size);
        else if (json_is_true(json_object_get(s, "other_database")))
            printf("slot %s on the %s server, database %s (not this migration's database); keeps %s of WAL\n",
                   str(s, "slot"), str(s, "side"), str(s, "database"), size);
        else if (json_is_true(json_object_get(s, "temporary")))
            printf("slot %s on the %s: temporary (a fetch being resumed); keeps %s of WAL\n", str(s, "slot"),
                   str(s, "side"), size);
        else
            printf("slot %s on the %s: %s stream of phase %s%s; keeps %s of WAL\n", str(s, "slot"), str(s, "side"),
                   str(s, "direction"), str(s, "phase"), json_is_true(json_object_get(s, "active")) ? ", streaming" : "",
                   size);
    }
}

GwResult
flow_status(const char *target_url, const char *source_url, bool json_output)
{
    Endpoint ep;
    memset(&ep, 0, sizeof ep);
    EngineConn *conn = NULL;
    char *report = NULL;
    bool found = false;
    Migration m;
    GwResult rc = migration_open(source_url, target_url, "status", NULL, &m);
    if (rc == GW_OK)
        rc = endpoint_init(&ep, target_url, ROLE_TARGET, "godwit status");
    if (rc == GW_OK)
        rc = engine_connect(&ep, &conn);
    if (rc == GW_OK)
        rc = conn->ops->state->state_report(conn, &report, &found);
    if (rc == GW_OK && !found) {
        log_error("target %s has no godwit state (schema _godwit): no fetch has run against it", ep.redacted);
        rc = GW_ERR_USAGE;
    }
    json_error_t err;
    json_t *root = rc == GW_OK ? json_loads(report, 0, &err) : NULL;
    if (root && m.recorded)
        json_object_set_new(root, "migration", migration_json(&m.rec));
    Endpoint source_ep;
    EngineConn *source = NULL;
    memset(&source_ep, 0, sizeof source_ep);
    if (rc == GW_OK && source_url) {
        rc = endpoint_init(&source_ep, source_url, ROLE_SOURCE, "godwit status");
        if (rc == GW_OK)
            rc = engine_connect(&source_ep, &source);
        if (rc == GW_OK)
            rc = add_failback_streams(root, source, m.rec.id);
    }
    if (rc == GW_OK)
        rc = add_slots(root, conn, true, m.recorded ? m.rec.id : NULL);
    if (rc == GW_OK && source)
        rc = add_slots(root, source, false, m.recorded ? m.rec.id : NULL);
    if (rc == GW_OK)
        add_lag(root, conn, source);
    engine_close(source);
    if (source_url)
        endpoint_free(&source_ep);
    if (rc == GW_OK && json_output) {
        char *text = json_dumps(root, JSON_COMPACT);
        printf("%s\n", text);
        free(text);
    } else if (rc == GW_OK) {
        print_migration(json_object_get(root, "migration"));
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(root, "phases"), i, p) {
            print_phase(p);
        }
        if (json_array_size(json_object_get(root, "phases")) == 0)
            printf("no phases on this target yet\n");
        print_slots(root);
    }
    json_decref(root);
    free(report);
    engine_close(conn);
    endpoint_free(&ep);
    migration_free(&m);
    return rc;
}
