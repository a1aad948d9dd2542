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
 *
 * TRUNCATE TABLE fires no trigger, but InnoDB refuses to truncate (or drop)
 * a table another table's foreign key references, even an empty one: per
 * InnoDB table with a primary key, the fence also makes an empty table
 * `_godwit`.<fence>_<n>_t of its key's columns referencing it.  A table
 * without a primary key, or of another engine, can still be truncated
 * (said when the fence is made).  A session with foreign_key_checks = 0 can
 * too: MySQL's rule, not godwit's.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/phase_names.h"
#include "engine/mysql/mysql_internal.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

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

/*
 * The table's primary key columns as a column list and as definitions
 * (type, character set and collation as they are, NOT NULL), or none when it
 * has no primary key or is not InnoDB (no foreign key can reference it).
 */
static GwResult
key_columns(MyConn *c, const FenceTable *t, StrBuf *names, StrBuf *defs)
{
    char *s = mysql_quote_literal(t->schema), *n = mysql_quote_literal(t->table);
    char *sql = gw_asprintf("SELECT k.COLUMN_NAME, c.COLUMN_TYPE, c.CHARACTER_SET_NAME, c.COLLATION_NAME"
                            " FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.COLUMNS c"
                            " ON c.TABLE_SCHEMA = k.TABLE_SCHEMA AND c.TABLE_NAME = k.TABLE_NAME"
                            " AND c.COLUMN_NAME = k.COLUMN_NAME JOIN information_schema.TABLES b"
                            " ON b.TABLE_SCHEMA = k.TABLE_SCHEMA AND b.TABLE_NAME = k.TABLE_NAME"
                            " WHERE k.TABLE_SCHEMA = %s AND k.TABLE_NAME = %s AND k.CONSTRAINT_NAME = 'PRIMARY'"
                            " AND b.ENGINE = 'InnoDB' ORDER BY k.ORDINAL_POSITION",
                            s, n);
    free(s);
    free(n);
    MYSQL_RES *res;
    GwResult rc = mysql_conn_query(c, sql, 4, &res);
    free(sql);
    if (rc)
        return rc;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res))) {
        if (!row[0] || !row[1])
            continue;
        char *col = mysql_quote_ident(row[0]);
        strbuf_appendf(names, "%s%s", names->len ? ", " : "", col);
        strbuf_appendf(defs, "%s %s", col, row[1]);
        if (row[2] && row[3])
            strbuf_appendf(defs, " CHARACTER SET %s COLLATE %s", row[2], row[3]);
        strbuf_append(defs, " NOT NULL, ");
        free(col);
    }
    mysql_free_result(res);
    return GW_OK;
}

/* The empty table whose foreign key keeps t from being truncated; *guarded: t could take one. */
static GwResult
install_truncate_guard(MyConn *c, const FenceTable *t, const char *name, bool *guarded)
{
    StrBuf names, defs;
    strbuf_init(&names);
    strbuf_init(&defs);
    GwResult rc = key_columns(c, t, &names, &defs);
    *guarded = rc == GW_OK && names.len > 0;
    if (*guarded) {
        char *guard = mysql_qualified("_godwit", name), *table = mysql_qualified(t->schema, t->table);
        char *sql = gw_asprintf("CREATE TABLE %s (%sFOREIGN KEY (%s) REFERENCES %s (%s)) ENGINE=InnoDB", guard,
                                defs.data, names.data, table, names.data);
        rc = mysql_conn_exec(c, MYSQL_SQL_CREATE_STATE_DB);
        if (rc == GW_OK)
            rc = mysql_conn_exec(c, sql);
        free(sql);
        free(guard);
        free(table);
    }
    strbuf_free(&names);
    strbuf_free(&defs);
    return rc;
}

/* Whether a name is one of the phase's fence objects: the prefix, digits, then one of suffixes. */
static bool
is_fence_object(const char *name, const char *prefix, const char *const *suffix, size_t nsuffix)
{
    size_t plen = strlen(prefix);
    if (strncmp(name, prefix, plen) != 0)
        return false;
    const char *p = name + plen;
    if (!isdigit((unsigned char) *p))
        return false;
    while (isdigit((unsigned char) *p))
        p++;
    for (size_t i = 0; i < nsuffix; i++)
        if (*p == '_' && !strcmp(p + 1, suffix[i]))
            return true;
    return false;
}

/*
 * Drops the phase's fence objects a query lists (schema, name): its
 * triggers, or its truncate guards.  The names are collected first: the
 * result set is closed before the DROPs run.
 */
static GwResult
drop_fence_objects(MyConn *c, const MigrationPhase *mp, const char *list_sql, const char *drop,
                   const char *const *suffix, size_t nsuffix)
{
    MYSQL_RES *res;
    GwResult rc = mysql_conn_query(c, list_sql, 2, &res);
    if (rc)
        return rc;
    char *fence = phase_names_fence(mp);
    char *prefix = gw_asprintf("%s_", fence);
    free(fence);
    char **objects = NULL;
    size_t n = 0, cap = 0;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res))) {
        if (!row[0] || !row[1] || !is_fence_object(row[1], prefix, suffix, nsuffix))
            continue;
        gw_grow((void **) &objects, &cap, n + 1, sizeof *objects);
        objects[n++] = mysql_qualified(row[0], row[1]);
    }
    mysql_free_result(res);
    free(prefix);
    for (size_t i = 0; i < n; i++) {
        char *sql = gw_asprintf("%s %s", drop, objects[i]);
        if (rc == GW_OK)
            rc = mysql_conn_exec(c, sql);
        free(sql);
        free(objects[i]);
    }
    free(objects);
    return rc;
}

GwResult
mysql_fence_remove(EngineConn *conn, const MigrationPhase *mp)
{
    MyConn *c = MY(conn);
    mysql_conn_mark_own_writes(c, "the fence's DDL");
    GwResult rc = drop_fence_objects(c, mp,
                                     "SELECT TRIGGER_SCHEMA, TRIGGER_NAME FROM information_schema.TRIGGERS"
                                     " WHERE TRIGGER_NAME LIKE 'godwit\\_fence\\_%'",
                                     "DROP TRIGGER IF EXISTS", suffixes, 3);
    static const char *const guard_suffix[1] = {"t"};
    if (rc == GW_OK)
        rc = drop_fence_objects(c, mp,
                                "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES"
                                " WHERE TABLE_SCHEMA = '_godwit' AND TABLE_NAME LIKE 'godwit\\_fence\\_%'",
                                "DROP TABLE IF EXISTS", guard_suffix, 1);
    if (rc == GW_OK)
        log_info("%s %s: phase '%s' unfenced", role_name(conn->role), conn->endpoint->redacted, mp->phase);
    return rc;
}

GwResult
mysql_fence_install(EngineConn *conn, const MigrationPhase *mp, const FenceTable *tables, size_t n)
{
    MyConn *c = MY(conn);
    const char *phase = mp->phase;
    mysql_conn_mark_own_writes(c, "the fence's DDL");
    GwResult rc = GW_OK;
    char *fence = phase_names_fence(mp);
    const FenceTable *unguarded = NULL;
    for (size_t i = 0; i < n && rc == GW_OK; i++) {
        rc = install_one(c, mp, &tables[i], i);
        char *guard = gw_asprintf("%s_%zu_t", fence, i);
        bool guarded = false;
        if (rc == GW_OK)
            rc = install_truncate_guard(c, &tables[i], guard, &guarded);
        if (rc == GW_OK && !guarded && !unguarded)
            unguarded = &tables[i];
        free(guard);
    }
    free(fence);
    if (rc) {
        /* Not transactional: what was created goes, so that a failed cutover leaves no fence. */
        if (mysql_fence_remove(conn, mp) != GW_OK)
            log_warn("phase '%s': some fence triggers may remain; `godwit rollback` removes them", phase);
        return rc;
    }
    log_info("%s %s: phase '%s' fenced on %zu table(s)", role_name(conn->role), conn->endpoint->redacted, phase, n);
    if (unguarded)
        log_warn("%s %s: table %s.%s (and others like it) can still be truncated: MySQL refuses TRUNCATE only of an"
                 " InnoDB table a foreign key references, and it has no primary key to reference",
                 role_name(conn->role), conn->endpoint->redacted, unguarded->schema, unguarded->table);
    return GW_OK;
}
