/*
 * pg_objects_make.c: TargetOps.check_objects and make_objects for
 * PostgreSQL: runs a source's schema script (pg_dump_script.c) stage by
 * stage, one entry per transaction, and says what became of each.
 *
 * An entry the target already has (an earlier phase, or the operator, made
 * it) is kept as it is.  One that needs what is not there (a view on a
 * table this fetch does not take) is left out; one the target refuses for
 * another reason is not migrated; either way the fetch goes on with a line
 * saying so, since the rows are what it moves and they do not depend on it.
 * Triggers and rules are made only where godwit's apply runs as a replica:
 * elsewhere they would fire again for every replicated change, whose
 * effects the stream carries already.  For the same reason one the source
 * enables ALWAYS or REPLICA (which fire for a replica too) is made disabled,
 * and the report says to enable it after cutover.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_describe.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* The extension's state on the target: its name; whether it is made, and whether it can be. */
static GwResult
extension_state(PgConn *c, const char *name, bool *installed, bool *available)
{
    const char *params[1] = {name};
    PGresult *res;
    GwResult rc = pg_query_params(c,
                                  "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = $1),"
                                  " EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = $1)",
                                  1, params, 2, &res);
    if (rc)
        return rc;
    *installed = PQgetvalue(res, 0, 0)[0] == 't';
    *available = PQgetvalue(res, 0, 1)[0] == 't';
    PQclear(res);
    return GW_OK;
}

/* The columns of cat whose type (or element type) an extension brings: "public.t.c (citext)", or NULL. */
static char *
columns_needing(const Catalog *cat, const char *extension)
{
    char *list = NULL;
    for (size_t i = 0; i < cat->ntables; i++) {
        const TableDef *t = &cat->tables[i];
        for (size_t j = 0; j < t->ncolumns; j++) {
            const TypeDef *ty = catalog_find_type(cat, t->columns[j].type_id);
            if (ty && ty->kind == TYPE_ARRAY)
                ty = catalog_find_type(cat, ty->elem_id);
            if (!ty || !ty->extension || strcmp(ty->extension, extension) != 0)
                continue;
            char *more = gw_asprintf("%s%s%s.%s.%s (%s)", list ? list : "", list ? ", " : "", t->schema, t->name,
                                     t->columns[j].name, ty->sql);
            free(list);
            list = more;
        }
    }
    return list;
}

/* Whether this server makes entries of that kind (PgDialect.script_kinds). */
static bool
makes_kind(const PgConn *c, const char *kind)
{
    const char *const *k = c->dialect->script_kinds;
    for (size_t i = 0; k && k[i]; i++)
        if (!strcmp(k[i], kind))
            return true;
    return !k;
}

GwResult
pg_check_objects(EngineConn *conn, const Catalog *cat, SchemaScript *objects)
{
    PgConn *c = PG(conn);
    GwResult rc = GW_OK;
    for (size_t i = 0; i < objects->n && rc == GW_OK; i++) {
        ScriptEntry *e = &objects->entries[i];
        if (!makes_kind(c, e->kind)) {
            char *why = gw_asprintf("%s does not make it", c->base.ops->name);
            script_entry_set(e, SCRIPT_FAILED, why);
            free(why);
            continue;
        }
        if (strcmp(e->kind, "extension") != 0)
            continue;
        bool installed, available;
        rc = extension_state(c, e->name, &installed, &available);
        if (rc || installed) {
            if (rc == GW_OK)
                script_entry_set(e, SCRIPT_EXISTED, NULL);
            continue;
        }
        if (available)
            continue;
        char *columns = columns_needing(cat, e->name);
        if (columns || e->needed_by) {
            log_error("target %s: extension %s is not available there (its package is not installed), and the"
                      " fetch needs it: %s%s%s; install it on the target first (or fetch with --objects none, or"
                      " without what needs it)", c->base.endpoint->redacted, e->name, columns ? columns : "",
                      columns && e->needed_by ? ", " : "", e->needed_by ? e->needed_by : "");
            rc = GW_ERR_USAGE;
        } else {
            log_warn("target %s: extension %s is not available there: the objects that need it are not migrated",
                     c->base.endpoint->redacted, e->name);
            script_entry_set(e, SCRIPT_FAILED, "not available on the target (its package is not installed)");
        }
        free(columns);
    }
    return rc;
}

/* The server's message, one line (its first). */
static char *
one_line_error(const PGresult *res, PgConn *c)
{
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg)
        msg = PQerrorMessage(c->pg);
    return gw_strndup(msg, strcspn(msg, "\n"));
}

/*
 * What an error says of the entry: the object is there already, or it needs
 * an object that is not (a table not fetched), or the target refused it.
 */
static ScriptStatus
status_of_error(const char *state)
{
    static const char *const exists[] = {"42P07", "42710", "42723", "42P06", "42701", NULL};
    static const char *const missing[] = {"42P01", "42704", "42883", "3F000", "42703", NULL};
    for (size_t i = 0; state && exists[i]; i++)
        if (!strcmp(state, exists[i]))
            return SCRIPT_EXISTED;
    for (size_t i = 0; state && missing[i]; i++)
        if (!strcmp(state, missing[i]))
            return SCRIPT_LEFT_OUT;
    return SCRIPT_FAILED;
}

/* Runs sql in a transaction of its own; *status and *why say what it did. A lost session fails. */
static GwResult
run_entry(PgConn *c, const char *sql, ScriptStatus *status, char **why)
{
    *why = NULL;
    GwResult rc = pg_exec(c, "BEGIN");
    if (rc)
        return rc;
    PGresult *res = PQexec(c->pg, sql);
    if (PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK) {
        PQclear(res);
        *status = SCRIPT_CREATED;
        return pg_exec(c, "COMMIT");
    }
    *status = status_of_error(PQresultErrorField(res, PG_DIAG_SQLSTATE));
    *why = one_line_error(res, c);
    PQclear(res);
    pg_rollback(c);
    if (PQstatus(c->pg) != CONNECTION_OK) {
        log_error("target %s: the session making the schema's objects was lost: %s", c->base.endpoint->redacted,
                  *why);
        return GW_ERR_TARGET;
    }
    return GW_OK;
}

static bool
fires_on_changes(const ScriptEntry *e)
{
    return !strcmp(e->kind, "trigger") || !strcmp(e->kind, "rule");
}

/*
 * sql with pg_dump's "ALTER TABLE t ENABLE ALWAYS|REPLICA TRIGGER|RULE x"
 * lines turned into DISABLE; NULL when it has none.
 */
static char *
disabled_for_replicas(const char *sql)
{
    static const char *const modes[] = {" ENABLE ALWAYS ", " ENABLE REPLICA "};
    StrBuf sb;
    strbuf_init(&sb);
    bool changed = false;
    for (const char *line = sql; *line;) {
        size_t len = strcspn(line, "\n");
        const char *hit = NULL, *mode = NULL;
        for (size_t m = 0; m < 2 && !hit && !strncmp(line, "ALTER TABLE ", 12); m++) {
            hit = strstr(line, modes[m]);
            mode = modes[m];
            if (hit && hit >= line + len)
                hit = NULL;
        }
        if (hit) {
            strbuf_append_n(&sb, line, (size_t) (hit - line));
            strbuf_append(&sb, " DISABLE ");
            const char *rest = hit + strlen(mode);
            strbuf_append_n(&sb, rest, (size_t) (line + len - rest));
            changed = true;
        } else {
            strbuf_append_n(&sb, line, len);
        }
        if (!line[len])
            break;
        strbuf_append_char(&sb, '\n');
        line += len + 1;
    }
    if (changed)
        return strbuf_take(&sb);
    strbuf_free(&sb);
    return NULL;
}

static GwResult
make_entry(PgConn *c, ScriptEntry *e, bool replica, const char *replica_refused)
{
    if (fires_on_changes(e) && !replica) {
        char *why = gw_asprintf("not made: godwit's apply cannot run as a replica here (%s), so it would fire"
                                " again for every replicated change; make it at cutover",
                                replica_refused);
        script_entry_set(e, SCRIPT_FAILED, why);
        free(why);
        return GW_OK;
    }
    char *disabled = fires_on_changes(e) ? disabled_for_replicas(e->sql) : NULL;
    ScriptStatus status;
    char *why;
    GwResult rc = run_entry(c, disabled ? disabled : e->sql, &status, &why);
    if (rc == GW_OK && disabled && status == SCRIPT_CREATED)
        script_entry_set(e, SCRIPT_FAILED, "made DISABLED: the source enables it for replicas too (ALWAYS or"
                                           " REPLICA), so it would fire again for every replicated change; enable"
                                           " it as on the source after cutover");
    else if (rc == GW_OK)
        script_entry_set(e, status, status == SCRIPT_EXISTED ? NULL : why);
    free(why);
    free(disabled);
    return rc;
}

/* Once the rows are in: each materialized view made or found computes its rows, in the order they were made. */
static GwResult
refresh_views(PgConn *c, SchemaScript *objects)
{
    GwResult rc = GW_OK;
    for (size_t i = 0; i < objects->n && rc == GW_OK; i++) {
        ScriptEntry *e = &objects->entries[i];
        if (!e->refresh_sql || (e->status != SCRIPT_CREATED && e->status != SCRIPT_EXISTED))
            continue;
        ScriptStatus status;
        char *why;
        rc = run_entry(c, e->refresh_sql, &status, &why);
        if (rc == GW_OK && status != SCRIPT_CREATED) {
            char *text = gw_asprintf("made, but not refreshed: %s", why);
            script_entry_set(e, SCRIPT_FAILED, text);
            free(text);
        }
        free(why);
    }
    return rc;
}

GwResult
pg_make_objects(EngineConn *conn, SchemaScript *objects, ScriptStage stage)
{
    PgConn *c = PG(conn);
    ScriptStatus applied = SCRIPT_CREATED;
    char *why = NULL;
    bool settings = c->dialect->script_settings && objects->settings && *objects->settings;
    GwResult rc = settings ? run_entry(c, objects->settings, &applied, &why) : GW_OK;
    if (rc == GW_OK && applied != SCRIPT_CREATED) {
        log_error("target %s: the settings of the schema's objects were refused: %s", c->base.endpoint->redacted, why);
        rc = GW_ERR_TARGET;
    }
    free(why);
    /* Godwit's apply sessions run as a replica where this role may (pg_apply.c): then triggers fire not for them. */
    bool replica = stage == SCRIPT_AFTER_DATA && makes_kind(c, "trigger") && pg_may_be_replica(c);
    for (size_t i = 0; i < objects->n && rc == GW_OK; i++) {
        ScriptEntry *e = &objects->entries[i];
        if (e->stage != stage || e->status != SCRIPT_PENDING)
            continue;
        rc = make_entry(c, e, replica, c->replica_refused);
        /* Before the tables, what needs one of them (its row type, its rows) is tried again after them. */
        if (rc == GW_OK && stage == SCRIPT_BEFORE_TABLES && e->status == SCRIPT_LEFT_OUT) {
            script_entry_set(e, SCRIPT_PENDING, NULL);
            e->stage = SCRIPT_AFTER_TABLES;
        }
    }
    if (rc == GW_OK && stage == SCRIPT_AFTER_DATA)
        rc = refresh_views(c, objects);
    return rc;
}
