/*
 * pg_conn.c: libpq connections and checked query helpers (see pg_conn.h).
 *
 * Sessions are set to fixed output settings so that the text form of every
 * value is the same on every server (dates, intervals, floats, bytea):
 * text COPY between two servers is only exact if both agree on these.
 */
#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_grant.h"
#include "engine/pg/pg_describe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/url.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* PostgreSQL's session settings (pg_engine.c's dialect). */
const char pg_session_settings[] =
    "SET client_encoding = 'UTF8'; SET datestyle = 'ISO, YMD'; SET intervalstyle = 'postgres';"
    "SET extra_float_digits = 3; SET timezone = 'UTC'; SET bytea_output = 'hex';"
    "SET standard_conforming_strings = on; SET lc_monetary = 'C'; SET statement_timeout = 0;"
    "SET search_path = ''; SET client_min_messages = warning;";

/* The same output settings for a walsender, which takes them only at connection time. */
static const char *const replication_options =
    "-c datestyle=ISO -c intervalstyle=postgres -c extra_float_digits=3 -c timezone=UTC -c bytea_output=hex"
    " -c lc_monetary=C";

/* A port list as libpq takes it: "5432" or "5432,5433" for several hosts. */
static bool
ports_valid(const char *ports)
{
    const char *p = ports;
    do {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 65535 || (*end != ',' && *end != '\0'))
            return false;
        p = *end == ',' ? end + 1 : end;
    } while (*p);
    return true;
}

/* Server notices ("does not exist, skipping") are debug detail, never stray stderr text. */
static void
notice_to_log(void *arg, const char *message)
{
    (void) arg;
    log_debug("server notice: %s", message);
}

GwResult
pg_open(const Endpoint *ep, bool replication, PGconn **out)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(ep->url, &err);
    if (!opts) {
        /* libpq quotes the string, or a piece of it, in its message. */
        char *why = url_scrub(err ? err : "cannot parse", ep->url);
        log_error("%s URL '%s' is not valid: %s", role_name(ep->role), ep->redacted, why);
        free(why);
        PQfreemem(err);
        return GW_ERR_USAGE;
    }
    bool has_timeout = false;
    GwResult rc = GW_OK;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!strcmp(o->keyword, "connect_timeout") && o->val && *o->val)
            has_timeout = true;
        if (!strcmp(o->keyword, "port") && o->val && !ports_valid(o->val)) {
            /* In a malformed URL the "port" can be a piece of the password. */
            char *port = gw_asprintf("\"%s\"", o->val);
            char *shown = url_scrub(port, ep->url);
            log_error("%s URL '%s' is not valid: port %s is not a number from 1 to 65535", role_name(ep->role),
                      ep->redacted, shown);
            free(shown);
            free(port);
            rc = GW_ERR_USAGE;
        }
    }
    PQconninfoFree(opts);
    if (rc)
        return rc;

    const char *keys[8] = {"dbname", "application_name", NULL, NULL, NULL, NULL, NULL, NULL};
    const char *vals[8] = {ep->url, ep->app_name ? ep->app_name : "godwit", NULL, NULL, NULL, NULL, NULL, NULL};
    int n = 2;
    if (ep->database) {
        /* A later dbname is a plain name that overrides the URL's (libpq, PQconnectdbParams). */
        keys[n] = "dbname";
        vals[n++] = ep->database;
    }
    if (!has_timeout) {
        keys[n] = "connect_timeout";
        vals[n++] = "10";
    }
    if (replication) {
        keys[n] = "replication";
        vals[n++] = "database";
        /*
         * A walsender prints values with its own session settings: without
         * these, the server's datestyle or extra_float_digits would decide
         * what reaches the target (a float rounded, a date the target reads
         * differently).
         */
        keys[n] = "options";
        vals[n++] = replication_options;
    }
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(pg) != CONNECTION_OK) {
        char *why = url_scrub(PQerrorMessage(pg), ep->url);
        log_error("%s %s: cannot connect: %s", role_name(ep->role), ep->redacted, why);
        free(why);
        PQfinish(pg);
        return role_error(ep->role);
    }
    PQsetNoticeProcessor(pg, notice_to_log, NULL);
    *out = pg;
    return GW_OK;
}

GwResult
pg_report(PgConn *c, PGresult *res, const char *what)
{
    return pg_report_on(c, c->pg, res, what);
}

GwResult
pg_report_on(PgConn *c, PGconn *pg, PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    /*
     * Every error the server sends has a SQLSTATE; one without comes from
     * libpq itself, most often a connection that is gone, which in pipeline
     * mode can still read CONNECTION_OK: call it connection_failure.
     */
    if (!state && (PQstatus(pg) != CONNECTION_OK || (res && PQresultStatus(res) == PGRES_FATAL_ERROR)))
        state = "08006";
    snprintf(c->sqlstate, sizeof c->sqlstate, "%s", state ? state : "");
    const char *msg = res ? PQresultErrorMessage(res) : "";
    if (!msg || !*msg)
        msg = PQerrorMessage(pg);
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK)
        msg = "unexpected result shape";
    /* A privilege the user lacks is the operator's to grant, not a failure of the database (exit 2). */
    bool privilege = state && !strcmp(state, "42501");
    bool writing = what && (strstr(what, "apply") || strstr(what, "INSERT") || strstr(what, "UPDATE") ||
                            strstr(what, "DELETE") || strstr(what, "CREATE") || strstr(what, "loading"));
    char *grant = privilege ? pg_grant_for(msg, PQuser(pg), writing) : NULL;
    char *hint = !privilege ? gw_strdup("")
                 : grant    ? gw_asprintf("; as a superuser: %s (docs/privileges.md lists what godwit needs)", grant)
                            : gw_strdup("; grant it (docs/privileges.md lists what godwit needs)");
    log_error("%s %s: %s: %s%s%s%s%s", role_name(c->base.role), c->base.endpoint->redacted, what, msg,
              state ? " (SQLSTATE " : "", state ? state : "", state ? ")" : "", hint);
    free(hint);
    free(grant);
    return privilege ? GW_ERR_USAGE : role_error(c->base.role);
}

/* First line of a statement, shortened: what a log line says was being done. */
static char *
sql_summary(const char *sql)
{
    size_t n = strcspn(sql, "\n");
    if (n > 120)
        n = 120;
    return gw_strndup(sql, n);
}

GwResult
pg_exec_allow(PgConn *c, const char *sql, const char *ok_state)
{
    PGresult *res = PQexec(c->pg, sql);
    ExecStatusType st = PQresultStatus(res);
    GwResult rc = GW_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        if (ok_state && state && !strcmp(state, ok_state)) {
            PQclear(res);
            return GW_OK;
        }
        char *what = sql_summary(sql);
        rc = pg_report(c, res, what);
        free(what);
    }
    PQclear(res);
    return rc;
}

GwResult
pg_exec_ddl(PgConn *c, const char *const *ddl)
{
    GwResult rc = GW_OK;
    for (size_t i = 0; ddl[i] && rc == GW_OK; i++)
        rc = pg_exec_allow(c, ddl[i], "23505");
    return rc;
}

GwResult
pg_exec(PgConn *c, const char *sql)
{
    return pg_exec_allow(c, sql, NULL);
}

GwResult
pg_exec_params(PgConn *c, const char *sql, int nparams, const char *const *params)
{
    PGresult *res = PQexecParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    GwResult rc = GW_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        char *what = sql_summary(sql);
        rc = pg_report(c, res, what);
        free(what);
    }
    PQclear(res);
    return rc;
}

static GwResult
pg_check_rows(PgConn *c, PGresult *res, const char *sql, int ncols, PGresult **out)
{
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != ncols) {
        char *what = sql_summary(sql);
        GwResult rc = pg_report(c, res, what);
        free(what);
        PQclear(res);
        return rc;
    }
    *out = res;
    return GW_OK;
}

GwResult
pg_query(PgConn *c, const char *sql, int ncols, PGresult **out)
{
    return pg_check_rows(c, PQexec(c->pg, sql), sql, ncols, out);
}

GwResult
pg_query_params(PgConn *c, const char *sql, int nparams, const char *const *params, int ncols, PGresult **out)
{
    PGresult *res = PQexecParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0);
    return pg_check_rows(c, res, sql, ncols, out);
}

void
pg_rollback(PgConn *c)
{
    PQclear(PQexec(c->pg, "ROLLBACK"));
}

char *
pg_quote_ident(const char *name)
{
    return str_quote(name, '"');
}

char *
pg_quote_literal(const char *value)
{
    return str_quote(value, '\'');
}

char *
pg_qualified(const char *schema, const char *name)
{
    char *s = pg_quote_ident(schema), *n = pg_quote_ident(name);
    char *q = gw_asprintf("%s.%s", s, n);
    free(s);
    free(n);
    return q;
}

char *
pg_only_qualified(const PgConn *c, const char *schema, const char *name, bool partitioned)
{
    char *q = pg_qualified(schema, name);
    if (!c->dialect->inheritance || partitioned)
        return q;
    char *only = gw_asprintf("ONLY %s", q);
    free(q);
    return only;
}

char *
pg_table_ref(const PgConn *c, const TableDef *t)
{
    return pg_only_qualified(c, t->schema, t->name, table_partitioned(t));
}

GwResult
pg_is_partitioned(PgConn *c, const char *schema, const char *name, bool *out)
{
    *out = false;
    if (!c->dialect->partitioning)
        return GW_OK;
    const char *params[2] = {schema, name};
    PGresult *res;
    GwResult rc = pg_query_params(c,
                                  "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                                  " ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2"
                                  " AND c.relkind = 'p'",
                                  2, params, 1, &res);
    if (rc)
        return rc;
    *out = PQntuples(res) > 0;
    PQclear(res);
    return GW_OK;
}

/* Tells CockroachDB (which speaks the PostgreSQL protocol) from PostgreSQL by version(). */
static GwResult
detect_server(PgConn *c)
{
    PGresult *res;
    GwResult rc = pg_query(c, "SELECT version(), current_setting('server_version_num')", 2, &res);
    if (rc)
        return rc;
    if (PQntuples(res) == 1) {
        const char *v = PQgetvalue(res, 0, 0), *crdb = strstr(v, "CockroachDB");
        c->base.kind = crdb ? ENGINE_COCKROACH : ENGINE_POSTGRES;
        c->server_version = atoi(PQgetvalue(res, 0, 1));
        /* "CockroachDB CCL v24.2.1 (x86_64-...)" */
        const char *at = crdb ? strstr(crdb, " v") : NULL;
        int major = 0, minor = 0;
        if (at && sscanf(at + 2, "%d.%d", &major, &minor) == 2)
            c->crdb_version = major * 100 + minor;
    }
    PQclear(res);
    return GW_OK;
}

GwResult
pg_wire_open(const Endpoint *ep, EngineConn **out)
{
    PGconn *pg;
    GwResult rc = pg_open(ep, false, &pg);
    if (rc)
        return rc;
    PgConn *c = gw_calloc(1, sizeof *c);
    c->db_collation_binary = -1;
    c->as_replica = -1;
    c->phases_version = -1;
    c->base.role = ep->role;
    c->base.endpoint = ep;
    c->pg = pg;
    rc = detect_server(c);
    if (rc) {
        pg_close(&c->base);
        return rc;
    }
    *out = &c->base;
    return GW_OK;
}

GwResult
pg_wire_start(EngineConn *conn, const EngineOps *ops, const PgDialect *d)
{
    PgConn *c = PG(conn);
    conn->ops = ops;
    c->dialect = d;
    GwResult rc = pg_exec(c, d->session_settings);
    if (rc)
        pg_close(conn);
    return rc;
}

GwResult
pg_connect(const Endpoint *ep, EngineConn **out)
{
    GwResult rc = pg_wire_open(ep, out);
    return rc ? rc : pg_engine_start(*out);
}

/*
 * Errors worth retrying: connection failures (class 08), the server shutting
 * down or starting (57P01-57P03), too many connections (53300), a slot still
 * held by a walsender of a dead run (55006), and any error on a connection
 * that is gone (pg_report_on records those as 08006), and a deadlock or
 * serialization failure (40P01, 40001).
 */
bool
pg_error_is_transient(EngineConn *conn)
{
    PgConn *c = PG(conn);
    const char *s = c->sqlstate;
    if (PQstatus(c->pg) != CONNECTION_OK)
        return true;
    /* A deadlock or serialization failure rolled the transaction back: it is tried again from the checkpoint. */
    return !strncmp(s, "08", 2) || !strcmp(s, "57P01") || !strcmp(s, "57P02") || !strcmp(s, "57P03") ||
           !strcmp(s, "53300") || !strcmp(s, "55006") || !strcmp(s, "40P01") || !strcmp(s, "40001");
}

/* Waits this long for ended sessions to go away. */
#define STALE_SESSION_WAIT_SECONDS 30

/*
 * Other sessions with this connection's application_name, in its database or
 * replicating.  spare ($3): leaves out those holding a runner lock
 * (pg_runner.c), which end_stale_sessions never ends: that one is the live
 * runner's own, or a dead runner's that only the lock's taker may end.
 */
static const char *const sql_stale_sessions =
    "SELECT count(CASE WHEN $2 THEN pg_catalog.pg_terminate_backend(pid) END), count(*)"
    " FROM pg_catalog.pg_stat_activity WHERE application_name = $1 AND pid <> pg_catalog.pg_backend_pid()"
    " AND (datname = current_database() OR backend_type = 'walsender')"
    " AND (NOT $3 OR pid NOT IN (SELECT l.pid FROM pg_catalog.pg_locks l WHERE l.locktype = 'advisory'"
    " AND l.classid = " PG_RUNNER_LOCK_CLASS "::oid AND l.objsubid = 2 AND l.granted AND l.pid IS NOT NULL))";

static GwResult
stale_sessions(PgConn *c, const char *app_name, bool terminate, bool spare, int *count)
{
    const char *params[3] = {app_name, terminate ? "true" : "false", spare ? "true" : "false"};
    PGresult *res;
    GwResult rc = pg_query_params(c, sql_stale_sessions, 3, params, 2, &res);
    if (rc)
        return rc;
    *count = PQntuples(res) == 1 ? atoi(PQgetvalue(res, 0, terminate ? 0 : 1)) : 0;
    PQclear(res);
    return GW_OK;
}

bool
pg_as_replica(PgConn *c)
{
    if (c->as_replica >= 0)
        return c->as_replica;
    PGresult *res = PQexec(c->pg, "SET session_replication_role = replica");
    c->as_replica = PQresultStatus(res) == PGRES_COMMAND_OK;
    const char *why = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    snprintf(c->replica_refused, sizeof c->replica_refused, "%s", c->as_replica ? "" : why ? why : "refused");
    PQclear(res);
    return c->as_replica;
}

bool
pg_may_be_replica(PgConn *c)
{
    bool ok = pg_as_replica(c);
    if (ok) {
        PQclear(PQexec(c->pg, "RESET session_replication_role"));
        c->as_replica = -1;
    }
    return ok;
}

GwResult
pg_end_stale_sessions(EngineConn *conn)
{
    PgConn *c = PG(conn);
    if (!c->base.endpoint->app_name)
        return GW_OK;
    int ended;
    GwResult rc = stale_sessions(c, c->base.endpoint->app_name, true, true, &ended);
    if (rc || ended == 0)
        return rc;
    log_warn("%s: ended %d session(s) left by an earlier godwit run of the same phase", role_name(c->base.role),
             ended);
    for (int waited = 0; waited < STALE_SESSION_WAIT_SECONDS * 10; waited++) {
        int left;
        rc = stale_sessions(c, c->base.endpoint->app_name, false, true, &left);
        if (rc || left == 0)
            return rc;
        rc = pg_exec(c, "SELECT pg_catalog.pg_sleep(0.1)");
        if (rc)
            return rc;
    }
    log_error("%s: sessions of an earlier godwit run did not end within %d s", role_name(c->base.role),
              STALE_SESSION_WAIT_SECONDS);
    return role_error(c->base.role);
}

GwResult
pg_count_sessions(EngineConn *conn, const char *app_name, int *count)
{
    PgConn *c = PG(conn);
    *count = 0;
    return stale_sessions(c, app_name, false, false, count);
}

void
pg_close(EngineConn *conn)
{
    PgConn *c = PG(conn);
    pg_apply_free(c);
    if (c->copy_chunk)
        PQfreemem(c->copy_chunk);
    if (c->repl)
        PQfinish(c->repl);
    PQfinish(c->pg);
    free(c);
}

char *
pg_server_summary(EngineConn *conn)
{
    PgConn *c = PG(conn);
    const char *version = PQparameterStatus(c->pg, "server_version");
    const char *protocol = PQsslInUse(c->pg) ? PQsslAttribute(c->pg, "protocol") : NULL;
    char *tls = PQsslInUse(c->pg) ? gw_asprintf("TLS %s", protocol ? protocol : "on") : gw_strdup("no TLS");
    char *out = conn->kind == ENGINE_COCKROACH
                    ? gw_asprintf("CockroachDB v%d.%d (PostgreSQL %s), %s", c->crdb_version / 100,
                                  c->crdb_version % 100, version ? version : "?", tls)
                    : gw_asprintf("PostgreSQL %s, %s", version ? version : "?", tls);
    free(tls);
    return out;
}
