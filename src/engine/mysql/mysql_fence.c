/*
 * mysql_fence.c: the write fence of a phase on MySQL/MariaDB (engine.h,
 * fence_install): per table, BEFORE INSERT, UPDATE and DELETE triggers that
 * SIGNAL an error when the new or old row matches the phase's predicate,
 * unless the session is godwit's applier (it sets @godwit_apply).
 *
 * Triggers are named <fence>_<n>_{i,u,d} after the phase's fence name
 * (core/phase_names.h: godwit_fence_<id>_<phase>), so that fence_remove
 * finds exactly the phase's of this migration.  The short suffixes keep the
 * longest name (a 34-byte phase) within MySQL's 64 characters up to 99,999
 * tables.  MySQL's DDL is not
 * transactional: a failed install removes what it created.  The session
 * installing them sets skip_replication (MariaDB), so that forward streams
 * of other phases reading the same binlog skip this DDL as godwit's own.
 * TRUNCATE TABLE fires no trigger: it cannot be fenced here.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/phase_names.h"
#include "engine/mysql/mysql_internal.h"
#include "util/log.h"
#include "util/mem.h"

/* SIGNAL's MESSAGE_TEXT holds at most 128 characters. */
#define MESSAGE_MAX 128

static const char *const events[3] = {"INSERT", "UPDATE", "DELETE"};
static const char *const suffixes[3] = {"i", "u", "d"};

/* The condition on the trigger's rows: NEW for inserts, both for updates, OLD for deletes. */
static char *
fence_condition(EngineConn *conn, const FenceTable *t, int event)
{
    if (!t->predicate)
        return gw_strdup("TRUE");
    char *on_new = event != 2 ? mysql_render_predicate_on_row(conn, t->predicate, "NEW") : NULL;
    char *on_old = event != 0 ? mysql_render_predicate_on_row(conn, t->predicate, "OLD") : NULL;
    char *cond = on_new && on_old ? gw_asprintf("COALESCE(%s, FALSE) OR COALESCE(%s, FALSE)", on_new, on_old)
                                  : gw_asprintf("COALESCE(%s, FALSE)", on_new ? on_new : on_old);
    free(on_new);
    free(on_old);
    return cond;
}

static char *
fence_message(const char *phase)
{
    char text[MESSAGE_MAX + 1];
    snprintf(text, sizeof text, "godwit: phase \"%s\" is fenced: write its rows on the other database (godwit status)",
             phase);
    return mysql_quote_literal(text);
}

static GwResult
install_one(MyConn *c, const MigrationPhase *mp, const FenceTable *t, size_t n)
{
    char *table = mysql_qualified(t->schema, t->table);
    char *msg = fence_message(mp->phase);
    char *fence = phase_names_fence(mp);
    GwResult rc = GW_OK;
    for (int e = 0; e < 3 && rc == GW_OK; e++) {
        char *name = gw_asprintf("%s_%zu_%s", fence, n, suffixes[e]);
        char *trigger = mysql_qualified(t->schema, name);
        char *cond = fence_condition(&c->base, t, e);
        char *sql = gw_asprintf("CREATE TRIGGER %s BEFORE %s ON %s FOR EACH ROW"
                                " IF IFNULL(@godwit_apply, 0) = 0 AND (%s) THEN"
                                " SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = %s; END IF",
                                trigger, events[e], table, cond, msg);
        rc = mysql_conn_exec(c, sql);
        free(sql);
        free(cond);
        free(trigger);
        free(name);
    }
    free(table);
    free(msg);
    free(fence);
    return rc;
}

/* Whether a trigger's name is one of the phase's fence triggers: the prefix, digits, _i/_u/_d. */
static bool
is_fence_trigger(const char *name, const char *prefix)
{
    size_t plen = strlen(prefix);
    if (strncmp(name, prefix, plen) != 0)
        return false;
    const char *p = name + plen;
    if (!isdigit((unsigned char) *p))
        return false;
    while (isdigit((unsigned char) *p))
        p++;
    return !strcmp(p, "_i") || !strcmp(p, "_u") || !strcmp(p, "_d");
}

GwResult
mysql_fence_remove(EngineConn *conn, const MigrationPhase *mp)
{
    const char *phase = mp->phase;
    MyConn *c = MY(conn);
    mysql_conn_mark_own_writes(c, "the fence's DDL");
    MYSQL_RES *res;
    GwResult rc = mysql_conn_query(c,
                                   "SELECT TRIGGER_SCHEMA, TRIGGER_NAME FROM information_schema.TRIGGERS"
                                   " WHERE TRIGGER_NAME LIKE 'godwit\\_fence\\_%'",
                                   2, &res);
    if (rc)
        return rc;
    /* The names are collected first: the result set is closed before the DROPs run. */
    char *fence = phase_names_fence(mp);
    char *prefix = gw_asprintf("%s_", fence);
    free(fence);
    char **triggers = NULL;
    size_t n = 0, cap = 0;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res))) {
        if (!row[0] || !row[1] || !is_fence_trigger(row[1], prefix))
            continue;
        gw_grow((void **) &triggers, &cap, n + 1, sizeof *triggers);
        triggers[n++] = mysql_qualified(row[0], row[1]);
    }
    mysql_free_result(res);
    free(prefix);
    for (size_t i = 0; i < n; i++) {
        char *sql = gw_asprintf("DROP TRIGGER IF EXISTS %s", triggers[i]);
        if (rc == GW_OK)
            rc = mysql_conn_exec(c, sql);
        free(sql);
        free(triggers[i]);
    }
    free(triggers);
    if (rc == GW_OK)
        log_info("%s %s: phase '%s' unfenced", role_name(conn->role), conn->endpoint->redacted, phase);
    return rc;
}

GwResult
mysql_fence_install(EngineConn *conn, const MigrationPhase *mp, const FenceTable *tables, size_t n)
{
    MyConn *c = MY(conn);
    const char *phase = mp->phase;
    mysql_conn_mark_own_writes(c, "the fence's DDL");
    GwResult rc = GW_OK;
    for (size_t i = 0; i < n && rc == GW_OK; i++)
        rc = install_one(c, mp, &tables[i], i);
    if (rc) {
        /* Not transactional: what was created goes, so that a failed cutover leaves no fence. */
        if (mysql_fence_remove(conn, mp) != GW_OK)
            log_warn("phase '%s': some fence triggers may remain; `godwit rollback` removes them", phase);
        return rc;
    }
    log_info("%s %s: phase '%s' fenced on %zu table(s); TRUNCATE TABLE cannot be fenced on MySQL", role_name(conn->role),
             conn->endpoint->redacted, phase, n);
    return GW_OK;
}
