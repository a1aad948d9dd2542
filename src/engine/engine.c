/*
 * engine.c: engine selection by URL and the helpers every engine shares.
 * It must not know any engine's internals beyond its ops table.
 */
#include "engine/engine.h"

#include <stdlib.h>
#include <string.h>

#include "engine/crdb/crdb_engine.h"
#include "engine/mysql/mysql_engine.h"
#include "engine/pg/pg_engine.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/url.h"

GwResult
endpoint_init(Endpoint *ep, const char *url, EndpointRole role, const char *app_name)
{
    memset(ep, 0, sizeof *ep);
    ep->role = role;
    ep->app_name = gw_strdup(app_name);
    if (!url || !*url) {
        log_error("--%s is required", role_name(role));
        return GW_ERR_USAGE;
    }
    ep->redacted = url_redact(url);
    if (url_scheme(url) == URL_SCHEME_UNKNOWN) {
        log_error("%s URL '%s' is not valid: expected postgres://, postgresql://, mysql:// or mariadb://",
                  role_name(role), ep->redacted);
        return GW_ERR_USAGE;
    }
    ep->url = gw_strdup(url);
    return GW_OK;
}

void
endpoint_free(Endpoint *ep)
{
    free(ep->url);
    free(ep->redacted);
    free(ep->app_name);
    free(ep->database);
    memset(ep, 0, sizeof *ep);
}

const char *
role_name(EndpointRole role)
{
    return role == ROLE_SOURCE ? "source" : "target";
}

GwResult
role_error(EndpointRole role)
{
    return role == ROLE_SOURCE ? GW_ERR_SOURCE : GW_ERR_TARGET;
}

/* A postgres:// URL may reach CockroachDB: the server's version picks the engine. */
static GwResult
connect_pg_wire(const Endpoint *ep, EngineConn **out)
{
    GwResult rc = pg_wire_open(ep, out);
    if (rc)
        return rc;
    return (*out)->kind == ENGINE_COCKROACH ? crdb_engine_start(*out) : pg_engine_start(*out);
}

static GwResult
connect_by_scheme(const Endpoint *ep, EngineConn **out)
{
    switch (url_scheme(ep->url)) {
    case URL_SCHEME_POSTGRES:
        return connect_pg_wire(ep, out);
    case URL_SCHEME_MYSQL:
        if (ep->role == ROLE_TARGET) {
            log_error("target %s: MySQL/MariaDB is supported as a source only", ep->redacted);
            return GW_ERR_USAGE;
        }
        return mysql_engine_ops.connect(ep, out);
    default:
        log_error("%s URL '%s' is not valid", role_name(ep->role), ep->redacted);
        return GW_ERR_USAGE;
    }
}

GwResult
engine_connect(const Endpoint *ep, EngineConn **out)
{
    GwResult rc = connect_by_scheme(ep, out);
    const char *missing;
    if (rc == GW_OK && !engine_ops_complete((*out)->ops, &missing)) {
        log_error("%s %s: engine %s lacks operation %s", role_name(ep->role), ep->redacted, (*out)->ops->name,
                  missing);
        engine_close(*out);
        *out = NULL;
        rc = GW_ERR_INTERNAL;
    }
    return rc;
}

void
engine_close(EngineConn *conn)
{
    if (conn)
        conn->ops->close(conn);
}

GwResult
snapshot_share(EngineConn *creator, EngineConn *const *sessions, int n, Snapshot *snap)
{
    const EngineOps *ops = creator->ops;
    GwResult rc = ops->source->snapshot_join(creator, snap);
    for (int i = 0; i < n && rc == GW_OK; i++)
        rc = ops->source->snapshot_join(sessions[i], snap);
    if (ops->source && ops->source->snapshot_ready) {
        GwResult ready = ops->source->snapshot_ready(creator, snap);
        if (rc == GW_OK)
            rc = ready;
    }
    return rc;
}

void
snapshot_free(Snapshot *s)
{
    free(s->id);
    free(s->position);
    free(s->slot);
    free(s->publications);
    memset(s, 0, sizeof *s);
}

size_t
key_range_width(const TableDef *t)
{
    return t->npk > 0 ? t->npk : 1;
}

void
key_range_free(KeyRange *r, size_t nkeys)
{
    for (size_t i = 0; i < nkeys; i++) {
        if (r->lower)
            free(r->lower[i]);
        if (r->upper)
            free(r->upper[i]);
    }
    free(r->lower);
    free(r->upper);
    r->lower = r->upper = NULL;
}

void
migration_record_free(MigrationRecord *m)
{
    free(m->id);
    free(m->source_identity);
    free(m->source_desc);
    free(m->created_at);
    memset(m, 0, sizeof *m);
}

void
phase_state_free(PhaseState *ps)
{
    free(ps->name);
    free(ps->snapshot_position);
    free(ps->slot);
    free(ps->publications);
    free(ps->filters);
    free(ps->source_options);
    free(ps->fetch_job);
    free(ps->failback_slot);
    free(ps->failback_publications);
    free(ps->failback_position);
    free(ps->handoff_position);
    for (size_t i = 0; i < ps->ntables; i++)
        free(ps->tables[i]);
    free(ps->tables);
    memset(ps, 0, sizeof *ps);
}

void
shard_progress_free(ShardProgress *s)
{
    free(s->schema);
    free(s->table);
    free(s->lower_json);
    free(s->upper_json);
    free(s->snapshot_position);
    memset(s, 0, sizeof *s);
}

void
staged_change_free(StagedChange *c)
{
    free(c->schema);
    free(c->table);
    free(c->key);
    free(c->after);
    free(c->before);
    memset(c, 0, sizeof *c);
}

/* Frees the n slots of s and s itself. */
void
slot_info_free(SlotInfo *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++) {
        free(s[i].name);
        free(s[i].database);
    }
    free(s);
}
