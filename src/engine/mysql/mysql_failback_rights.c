/*
 * mysql_failback_rights.c: ApplyOps.check_failback_writes for MySQL and
 * MariaDB: whether the user may do what failback does on this database
 * (write the phase's rows back, keep its state in `_godwit`, make the
 * tables' triggers again guarded: mysql_trigger_guard.c) and what cutover's
 * fence makes (mysql_fence.c), asked before a migration starts rather than
 * found at failback's first start, when the phase's writes have already
 * moved.  Changes nothing.
 *
 * What the server asks of CREATE TRIGGER (checked on MariaDB 10.11; MySQL's
 * reference manual says the same of MySQL 8):
 *   - TRIGGER on the table (global, schema or table grant);
 *   - with binary logging on, SUPER, unless log_bin_trust_function_creators
 *     is set (error 1419);
 *   - with another account as DEFINER, SUPER or, on MariaDB 10.5.2 and
 *     later, SET USER (MySQL 8: SET_USER_ID, or SET_ANY_DEFINER from 8.2).
 * A table with triggers of its own fails failback without them: refused.
 * A table without needs them only for cutover --fence: warned.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_internal.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* What the user may do that decides it, read once. */
typedef struct Rights {
    StrBuf global;
    bool binlog_allows;     /* no binary log, SUPER, or log_bin_trust_function_creators */
    bool any_definer;       /* SUPER, or SET USER and its MySQL names */
} Rights;

static GwResult
rights_load(MyConn *c, Rights *r)
{
    GwResult rc = mysql_privileges_global(c, &r->global);
    if (rc)
        return rc;
    bool super = mysql_privilege_listed(&r->global, "SUPER");
    r->any_definer = super || mysql_privilege_listed(&r->global, "SET USER") ||
                     mysql_privilege_listed(&r->global, "SET_USER_ID") ||
                     mysql_privilege_listed(&r->global, "SET_ANY_DEFINER");
    MYSQL_RES *res;
    rc = mysql_conn_query(c, "SELECT @@log_bin, @@log_bin_trust_function_creators", 2, &res);
    if (rc)
        return rc;
    MYSQL_ROW row = mysql_fetch_row(res);
    bool log_bin = !row || !row[0] || strcmp(row[0], "0") != 0;
    bool trusted = row && row[1] && strcmp(row[1], "0") != 0;
    mysql_free_result(res);
    r->binlog_allows = !log_bin || super || trusted;
    return GW_OK;
}

/* How many of the table's triggers are the application's, and one's other definer (NULL: all the user's). */
static GwResult
table_triggers(MyConn *c, const TableDef *t, long *count, char **foreign_definer)
{
    char *s = mysql_quote_literal(t->schema), *n = mysql_quote_literal(t->name);
    char *sql = gw_asprintf("SELECT BINARY EVENT_OBJECT_SCHEMA, BINARY EVENT_OBJECT_TABLE, DEFINER,"
                            " DEFINER = CURRENT_USER() FROM information_schema.TRIGGERS"
                            " WHERE EVENT_OBJECT_SCHEMA = %s AND EVENT_OBJECT_TABLE = %s"
                            " AND " MYSQL_NOT_OWN_TRIGGER,
                            s, n);
    free(s);
    free(n);
    MYSQL_RES *res;
    GwResult rc = mysql_conn_query(c, sql, 4, &res);
    free(sql);
    if (rc)
        return rc;
    *count = 0;
    *foreign_definer = NULL;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res))) {
        /* information_schema compares names without case: the exact ones are checked here. */
        if (!row[0] || !row[1] || strcmp(row[0], t->schema) || strcmp(row[1], t->name))
            continue;
        (*count)++;
        /* Without TRIGGER on the table the server hides the definer: it may be anyone's. */
        if (!*foreign_definer && !row[2])
            *foreign_definer = gw_strdup("another account (hidden without TRIGGER)");
        else if (!*foreign_definer && row[3] && !strcmp(row[3], "0"))
            *foreign_definer = gw_strdup(row[2]);
    }
    mysql_free_result(res);
    return GW_OK;
}

/* What the user lacks to make a trigger on t with definer (NULL: its own), as a grant to run; NULL: nothing. */
static char *
missing_grant(const Rights *r, bool trigger, const char *definer, const MyConn *c)
{
    StrBuf b;
    strbuf_init(&b);
    if (!trigger)
        strbuf_append(&b, "GRANT TRIGGER on the table");
    if (!r->binlog_allows)
        strbuf_appendf(&b, "%sGRANT SUPER ON *.* (or SET GLOBAL log_bin_trust_function_creators = ON: with"
                       " binary logging the server refuses CREATE TRIGGER otherwise)", b.len ? "; " : "");
    if (definer && !r->any_definer)
        strbuf_appendf(&b, "%sGRANT %s ON *.* (to make a trigger whose definer is %s)", b.len ? "; " : "",
                       c->mariadb ? "SET USER" : "SET_USER_ID", definer);
    if (b.len)
        return strbuf_take(&b);
    strbuf_free(&b);
    return NULL;
}

/* Failback writes the table's rows back: INSERT, UPDATE and DELETE on it. */
static GwResult
check_row_writes(MyConn *c, const Rights *r, const TableDef *t, LogLevel level, bool *refused)
{
    static const char *const writes[] = {"INSERT", "UPDATE", "DELETE"};
    StrBuf lacking;
    strbuf_init(&lacking);
    GwResult rc = GW_OK;
    for (size_t i = 0; i < sizeof writes / sizeof writes[0] && rc == GW_OK; i++) {
        bool granted = false;
        rc = mysql_privilege_on_table(c, &r->global, writes[i], t->schema, t->name, &granted);
        if (rc == GW_OK && !granted)
            strbuf_appendf(&lacking, "%s%s", lacking.len ? ", " : "", writes[i]);
    }
    if (rc == GW_OK && lacking.len) {
        log_msg(level, "source %s: failback writes the rows of table %s.%s back, which the user may not: GRANT %s on it",
                c->base.endpoint->redacted, t->schema, t->name, lacking.data);
        *refused = true;
    }
    strbuf_free(&lacking);
    return rc;
}

/* Failback keeps its checkpoints in `_godwit` here, made at its first start. */
static GwResult
check_state_schema(MyConn *c, const Rights *r, LogLevel level, bool *refused)
{
    static const char *const needs[] = {"CREATE", "SELECT", "INSERT", "UPDATE", "DELETE"};
    GwResult rc = GW_OK;
    for (size_t i = 0; i < sizeof needs / sizeof needs[0] && rc == GW_OK && !*refused; i++) {
        bool granted = false;
        rc = mysql_privilege_on_table(c, &r->global, needs[i], "_godwit", "", &granted);
        if (rc == GW_OK && !granted) {
            log_msg(level, "source %s: failback keeps its state in database _godwit, where the user lacks %s: GRANT"
                    " CREATE, SELECT, INSERT, UPDATE, DELETE, DROP ON _godwit.* (docs/privileges.md)",
                    c->base.endpoint->redacted, needs[i]);
            *refused = true;
        }
    }
    return rc;
}

GwResult
mysql_check_failback_writes(EngineConn *conn, const Catalog *cat, LogLevel level)
{
    MyConn *c = MY(conn);
    Rights r = {0};
    strbuf_init(&r.global);
    GwResult rc = rights_load(c, &r);
    bool refused = false;
    if (rc == GW_OK)
        rc = check_state_schema(c, &r, level, &refused);
    const TableDef *fence_table = NULL;
    char *fence_grant = NULL;
    for (size_t i = 0; i < cat->ntables && rc == GW_OK; i++) {
        const TableDef *t = &cat->tables[i];
        long count = 0;
        char *definer = NULL;
        bool trigger = false;
        rc = table_triggers(c, t, &count, &definer);
        if (rc == GW_OK)
            rc = mysql_privilege_on_table(c, &r.global, "TRIGGER", t->schema, t->name, &trigger);
        if (rc == GW_OK)
            rc = check_row_writes(c, &r, t, level, &refused);
        char *grant = rc == GW_OK ? missing_grant(&r, trigger, count ? definer : NULL, c) : NULL;
        if (grant && count) {
            log_msg(level, "source %s: failback makes the %ld trigger%s of table %s.%s again so that they stay quiet for"
                    " its writes, which the user may not: %s", c->base.endpoint->redacted, count,
                    count == 1 ? "" : "s", t->schema, t->name, grant);
            refused = true;
        } else if (grant && !fence_table) {
            fence_table = t;
            fence_grant = gw_strdup(grant);
        }
        free(grant);
        free(definer);
    }
    if (rc == GW_OK && !refused && fence_table)
        log_warn("source %s: cutover --fence makes triggers on the phase's tables, which the user may not (table"
                 " %s.%s: %s); without --fence, stop the application's writes to the phase yourself",
                 c->base.endpoint->redacted, fence_table->schema, fence_table->name, fence_grant);
    free(fence_grant);
    strbuf_free(&r.global);
    return rc ? rc : refused ? GW_ERR_USAGE : GW_OK;
}
