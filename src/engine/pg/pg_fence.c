/*
 * pg_fence.c: the write fence of a phase on PostgreSQL (engine.h,
 * fence_install): per table, a BEFORE row trigger refusing any insert,
 * update or delete whose old or new row matches the phase's predicate, and a
 * BEFORE TRUNCATE trigger refusing truncates, unless the session is one of
 * godwit's appliers (it has a replication origin set up: failback into the
 * source, or forward apply into the target).
 *
 * The trigger functions live in _godwit, named "<fence>_<n>" after the
 * phase's fence name (core/phase_names.h: "godwit_fence_<id>_<phase>"), so
 * that fence_remove finds every one of a phase by name and drops them with
 * their triggers (CASCADE).  They are SECURITY DEFINER: checking the session's
 * replication origin needs a privilege the application's users do not have.
 * The predicate is tested on the row through a one-row subquery, (SELECT
 * (NEW).*), so the same SQL that filters the phase's rows elsewhere decides
 * here.  Everything is installed in one transaction: all tables or none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/phase_names.h"
#include "engine/pg/pg_describe.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"
#include "util/sleep.h"

/* How long one try at the fence waits for a table's lock, and how many tries. */
#define FENCE_LOCK_TIMEOUT "200ms"
#define FENCE_ATTEMPTS 50

/* The function's body: refuses a write of the phase's rows. */
static char *
fence_body(EngineConn *conn, const char *phase, const FenceTable *t)
{
    StrBuf sb;
    strbuf_init(&sb);
    char *where = t->predicate ? conn->ops->source->render_predicate(conn, t->predicate) : NULL;
    char *msg = gw_asprintf("godwit: phase \"%s\" is fenced: rows of %s.%s%s%s are written on the other database"
                            " now, not here (see godwit status)",
                            phase, t->schema, t->table, t->predicate_text ? " matching " : "",
                            t->predicate_text ? t->predicate_text : "");
    char *qmsg = pg_quote_literal(msg);
    strbuf_append(&sb, "#variable_conflict use_column\n"
                       "BEGIN\n"
                       "  IF pg_catalog.pg_replication_origin_session_is_setup() THEN\n"
                       "    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;\n"
                       "  END IF;\n");
    if (where) {
        strbuf_appendf(&sb,
                       "  IF TG_OP = 'TRUNCATE'\n"
                       "     OR (TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (SELECT 1 FROM (SELECT (OLD).*) AS r WHERE %s))\n"
                       "     OR (TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (SELECT 1 FROM (SELECT (NEW).*) AS r WHERE %s))"
                       " THEN\n",
                       where, where);
    } else {
        strbuf_append(&sb, "  IF true THEN\n");
    }
    strbuf_appendf(&sb,
                   "    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = %s;\n"
                   "  END IF;\n"
                   "  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;\n"
                   "END\n",
                   qmsg);
    free(where);
    free(msg);
    free(qmsg);
    return strbuf_take(&sb);
}

static char *
fence_function(const char *fence, size_t n)
{
    char *name = gw_asprintf("%s_%zu", fence, n);
    char *q = pg_qualified("_godwit", name);
    free(name);
    return q;
}

/* A lock wait cut short or a deadlock is expected (the caller tries again): no error line for it. */
static bool
lock_busy(const char *state)
{
    return state && (!strcmp(state, "55P03") || !strcmp(state, "40P01"));
}

static GwResult
exec_locking(PgConn *c, const char *sql)
{
    PGresult *res = PQexec(c->pg, sql);
    GwResult rc = GW_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        if (lock_busy(state)) {
            snprintf(c->sqlstate, sizeof c->sqlstate, "%s", state);
            rc = role_error(c->base.role);
        } else {
            rc = pg_report(c, res, "installing the fence");
        }
    }
    PQclear(res);
    return rc;
}

static GwResult
install_one(EngineConn *conn, const MigrationPhase *mp, const FenceTable *t, size_t n)
{
    PgConn *c = PG(conn);
    char *trig_name = phase_names_fence(mp);
    char *trunc_name = gw_asprintf("%s_trunc", trig_name);
    char *fn = fence_function(trig_name, n);
    char *body = fence_body(conn, mp->phase, t);
    char *qbody = pg_quote_literal(body);
    char *table = pg_qualified(t->schema, t->table);
    char *trig = pg_quote_ident(trig_name);
    char *trunc = pg_quote_ident(trunc_name);
    char *sql = gw_asprintf("CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER"
                            " SET search_path = pg_catalog, pg_temp AS %s;"
                            " CREATE TRIGGER %s BEFORE INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW"
                            " EXECUTE FUNCTION %s();"
                            " CREATE TRIGGER %s BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION %s()",
                            fn, qbody, trig, table, fn, trunc, table, fn);
    GwResult rc = exec_locking(c, sql);
    free(sql);
    free(fn);
    free(body);
    free(qbody);
    free(table);
    free(trig_name);
    free(trunc_name);
    free(trig);
    free(trunc);
    return rc;
}

/* The fence tells godwit's sessions by their replication origin: this user must be allowed to look. */
static GwResult
check_origin_privilege(PgConn *c)
{
    PGresult *res;
    GwResult rc = pg_query(c, "SELECT pg_catalog.pg_replication_origin_session_is_setup()", 1, &res);
    if (rc == GW_OK)
        PQclear(res);
    return rc;
}

/*
 * One try: every table's trigger in one transaction.  Each CREATE TRIGGER
 * waits for the writers of its table; an application transaction that
 * wrote one fenced table and then writes another would deadlock with it,
 * so locks are waited for briefly only (the caller tries again).
 */
static GwResult
install_all(EngineConn *conn, const MigrationPhase *mp, const FenceTable *tables, size_t n)
{
    PgConn *c = PG(conn);
    GwResult rc = pg_exec(c, "BEGIN");
    if (rc == GW_OK)
        rc = pg_exec(c, "SET LOCAL lock_timeout = '" FENCE_LOCK_TIMEOUT "'");
    for (size_t i = 0; i < n && rc == GW_OK; i++)
        rc = install_one(conn, mp, &tables[i], i);
    if (rc == GW_OK)
        rc = pg_exec(c, "COMMIT");
    else
        pg_rollback(c);
    return rc;
}

GwResult
pg_fence_install(EngineConn *conn, const MigrationPhase *mp, const FenceTable *tables, size_t n)
{
    PgConn *c = PG(conn);
    const char *phase = mp->phase;
    GwResult rc = check_origin_privilege(c);
    for (int attempt = 1; rc == GW_OK; attempt++) {
        rc = install_all(conn, mp, tables, n);
        bool busy = lock_busy(c->sqlstate);
        if (rc == GW_OK || !busy)
            break;
        if (attempt >= FENCE_ATTEMPTS) {
            log_error("%s %s: phase '%s': the fence could not take its tables' locks in %d tries of %s: the"
                      " application's transactions hold them; try again when they are shorter",
                      role_name(conn->role), conn->endpoint->redacted, phase, attempt, FENCE_LOCK_TIMEOUT);
            break;
        }
        log_info("phase '%s': the fence waited for the application's transactions; trying again (%d)", phase, attempt);
        c->sqlstate[0] = '\0';
        rc = GW_OK;
        sleep_ms(20);
    }
    if (rc == GW_OK)
        log_info("%s %s: phase '%s' fenced on %zu table(s)", role_name(conn->role), conn->endpoint->redacted, phase,
                 n);
    return rc;
}

GwResult
pg_fence_remove(EngineConn *conn, const MigrationPhase *mp)
{
    PgConn *c = PG(conn);
    const char *phase = mp->phase;
    char *fence = phase_names_fence(mp);
    /* Only digits after the prefix: phase "a" must not take phase "a_b"'s functions. */
    char *prefix = gw_asprintf("%s_", fence);
    free(fence);
    char *qprefix = pg_quote_literal(prefix);
    char *sql = gw_asprintf("DO $godwit$ DECLARE f regprocedure; BEGIN"
                            " FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p"
                            " JOIN pg_catalog.pg_namespace s ON s.oid = p.pronamespace"
                            " WHERE s.nspname = '_godwit' AND starts_with(p.proname, %s)"
                            " AND substr(p.proname, length(%s) + 1) ~ '^[0-9]+$' LOOP"
                            " EXECUTE 'DROP FUNCTION ' || f::text || ' CASCADE'; END LOOP; END $godwit$",
                            qprefix, qprefix);
    GwResult rc = pg_exec(c, sql);
    free(sql);
    free(prefix);
    free(qprefix);
    if (rc == GW_OK)
        log_info("%s %s: phase '%s' unfenced", role_name(conn->role), conn->endpoint->redacted, phase);
    return rc;
}
