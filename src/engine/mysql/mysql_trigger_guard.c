/*
 * mysql_trigger_guard.c: ApplyOps.guard_triggers and unguard_triggers for
 * MySQL and MariaDB, the writing side of a failback.
 *
 * The changes failback applies already carry what triggers made of them on
 * the target (the target's own triggers, or the application writing both
 * tables); a source trigger firing again for them would do it twice, or
 * write a table failback also writes.  PostgreSQL's appliers run as
 * replicas, which fire no ordinary trigger; MySQL has no such switch for a
 * session.  So while a phase fails back, each trigger of its tables is made
 * again with its body inside IF IFNULL(@godwit_apply, 0) = 0 THEN ... END IF
 * (mysql_trigger_text.h): it runs for every session but godwit's appliers,
 * which set @godwit_apply (mysql_apply.c), as the fence's triggers do.
 * DECISION (docs/design.md, "Failback into MySQL"): rather than sending row
 * events through BINLOG statements as a replica applies them, which needs
 * privileges a migration user rarely has and writes no SQL we can check.
 *
 * A trigger made again is the same trigger: name, timing, event, definer,
 * sql_mode, client character set and collation, body, and its place among
 * the table's triggers (they are made again in their order, each one last).
 * A table's triggers are redone whole, under LOCK TABLES ... WRITE, so that
 * no write of another session (rows of other phases) falls between a DROP
 * and its CREATE; before it drops anything, a probe trigger with each
 * definer shows that the user may make them again.
 *
 * State, in `_godwit` on this database (never removed, as checkpoints):
 * trigger_guards lists the phases (migration, phase) that need a table's
 * triggers quiet, since phases may share a table; guarded_triggers holds
 * each guarded trigger's definition, written before any DDL, with
 * `redoing` set while its table's DDL runs, so that a run killed between a
 * DROP and its CREATE finds what to make again.  Unguarding removes the
 * phase's entries and restores every table no phase needs any more.  A
 * trigger the operator changed meanwhile is kept as it is now; one dropped
 * meanwhile stays dropped.
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_apply.h"
#include "engine/mysql/mysql_internal.h"
#include "engine/mysql/mysql_literal.h"
#include "engine/mysql/mysql_trigger_text.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* How long LOCK TABLES waits for other sessions' transactions on a table before the command gives up. */
#define GUARD_LOCK_WAIT_SECONDS 30

/* The fence's triggers (mysql_fence.c) and the probe are godwit's own: never guarded. */
#define OWN_PREFIX PHASE_NAMES_FENCE_PREFIX
#define PROBE_NAME PHASE_NAMES_FENCE_PREFIX "probe"

typedef struct TriggerList {
    TriggerDef *items;
    size_t n, cap;
} TriggerList;

typedef struct TableName {
    char *schema;
    char *name;
} TableName;

typedef struct TableList {
    TableName *items;
    size_t n, cap;
} TableList;

static const char *const sql_create_guards =
    "CREATE TABLE IF NOT EXISTS `_godwit`.`trigger_guards` ("
    " migration VARCHAR(64) NOT NULL, phase VARCHAR(255) NOT NULL,"
    " table_schema VARCHAR(64) NOT NULL, table_name VARCHAR(64) NOT NULL,"
    " PRIMARY KEY (migration, phase, table_schema, table_name)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

static const char *const sql_create_triggers =
    "CREATE TABLE IF NOT EXISTS `_godwit`.`guarded_triggers` ("
    " table_schema VARCHAR(64) NOT NULL, table_name VARCHAR(64) NOT NULL, trigger_name VARCHAR(64) NOT NULL,"
    " position INT NOT NULL, timing VARCHAR(6) NOT NULL, event VARCHAR(6) NOT NULL,"
    " definer VARCHAR(400) NOT NULL, sql_mode TEXT NOT NULL, character_set_client VARCHAR(64) NOT NULL,"
    " collation_connection VARCHAR(64) NOT NULL, body LONGTEXT NOT NULL, redoing BOOL NOT NULL,"
    " PRIMARY KEY (table_schema, table_name, trigger_name)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

/* ------------------------------------------------------------------------------------------- lists */

static void
triggers_free(TriggerList *l)
{
    for (size_t i = 0; i < l->n; i++)
        trigger_def_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static TriggerDef *
triggers_add(TriggerList *l)
{
    gw_grow((void **) &l->items, &l->cap, l->n + 1, sizeof *l->items);
    TriggerDef *d = &l->items[l->n++];
    memset(d, 0, sizeof *d);
    return d;
}

static TriggerDef *
triggers_find(const TriggerList *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->items[i].name, name))
            return &l->items[i];
    return NULL;
}

static void
tables_free(TableList *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].schema);
        free(l->items[i].name);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

static bool
tables_has(const TableList *l, const char *schema, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->items[i].schema, schema) && !strcmp(l->items[i].name, name))
            return true;
    return false;
}

static void
tables_add(TableList *l, const char *schema, const char *name)
{
    if (tables_has(l, schema, name))
        return;
    gw_grow((void **) &l->items, &l->cap, l->n + 1, sizeof *l->items);
    l->items[l->n++] = (TableName) {.schema = gw_strdup(schema), .name = gw_strdup(name)};
}

/* ------------------------------------------------------------------------------------------- reading */

static bool
own_trigger(const char *name)
{
    return !strncmp(name, OWN_PREFIX, strlen(OWN_PREFIX));
}

/* Whether the guard's state tables exist (looked at, not made: unguarding creates nothing). */
static GwResult
state_exists(MyConn *c, bool *exists)
{
    static const char *const tables[] = {"trigger_guards", "guarded_triggers", NULL};
    return mysql_state_tables_exist(c, tables, exists);
}

static GwResult
ensure_state(MyConn *c)
{
    bool exists;
    GwResult rc = state_exists(c, &exists);
    if (rc || exists)
        return rc;
    rc = mysql_conn_exec(c, MYSQL_SQL_CREATE_STATE_DB);
    if (rc == GW_OK)
        rc = mysql_conn_exec(c, sql_create_guards);
    return rc ? rc : mysql_conn_exec(c, sql_create_triggers);
}

/*
 * The table's triggers now, but godwit's own, each with its original body
 * (a guarded one unwrapped).  information_schema compares names without
 * case: the exact names are checked here.
 */
static GwResult
read_current(MyConn *c, const char *schema, const char *table, TriggerList *out)
{
    char *s = mysql_quote_literal(schema), *t = mysql_quote_literal(table);
    char *sql = gw_asprintf("SELECT EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE, TRIGGER_NAME, ACTION_TIMING,"
                            " EVENT_MANIPULATION, DEFINER, SQL_MODE, CHARACTER_SET_CLIENT, COLLATION_CONNECTION,"
                            " ACTION_STATEMENT, ACTION_ORDER FROM information_schema.TRIGGERS"
                            " WHERE EVENT_OBJECT_SCHEMA = %s AND EVENT_OBJECT_TABLE = %s",
                            s, t);
    free(s);
    free(t);
    MYSQL_RES *res;
    GwResult rc = mysql_conn_query(c, sql, 11, &res);
    free(sql);
    if (rc)
        return rc;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res))) {
        bool complete = true;
        for (int i = 0; i < 11; i++)
            complete = complete && row[i];
        if (!complete || strcmp(row[0], schema) || strcmp(row[1], table) || own_trigger(row[2]))
            continue;
        TriggerDef *d = triggers_add(out);
        char *original = trigger_unguarded_body(row[9]);
        *d = (TriggerDef) {.name = gw_strdup(row[2]), .timing = gw_strdup(row[3]), .event = gw_strdup(row[4]),
                           .definer = gw_strdup(row[5]), .sql_mode = gw_strdup(row[6]), .charset = gw_strdup(row[7]),
                           .collation = gw_strdup(row[8]), .body = original ? original : gw_strdup(row[9]),
                           .order = strtol(row[10], NULL, 10), .exists = true, .guarded = original != NULL};
    }
    mysql_free_result(res);
    return GW_OK;
}

/* The table's recorded triggers; *redoing: a redo of its DDL did not finish. */
static GwResult
read_records(MyConn *c, const char *schema, const char *table, TriggerList *out, bool *redoing)
{
    *redoing = false;
    char *s = mysql_quote_literal(schema), *t = mysql_quote_literal(table);
    char *sql = gw_asprintf("SELECT trigger_name, timing, event, definer, sql_mode, character_set_client,"
                            " collation_connection, body, position, redoing FROM `_godwit`.`guarded_triggers`"
                            " WHERE table_schema = %s AND table_name = %s ORDER BY position",
                            s, t);
    free(s);
    free(t);
    MYSQL_RES *res;
    GwResult rc = mysql_conn_query(c, sql, 10, &res);
    free(sql);
    if (rc)
        return rc;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res))) {
        TriggerDef *d = triggers_add(out);
        *d = (TriggerDef) {.name = gw_strdup(row[0]), .timing = gw_strdup(row[1]), .event = gw_strdup(row[2]),
                           .definer = gw_strdup(row[3]), .sql_mode = gw_strdup(row[4]), .charset = gw_strdup(row[5]),
                           .collation = gw_strdup(row[6]), .body = gw_strdup(row[7]),
                           .order = strtol(row[8], NULL, 10)};
        *redoing = *redoing || strcmp(row[9], "0") != 0;
    }
    mysql_free_result(res);
    return GW_OK;
}

/* ------------------------------------------------------------------------------------------- planning */

static TriggerDef
def_copy(const TriggerDef *d)
{
    return (TriggerDef) {.name = gw_strdup(d->name), .timing = gw_strdup(d->timing), .event = gw_strdup(d->event),
                         .definer = gw_strdup(d->definer), .sql_mode = gw_strdup(d->sql_mode),
                         .charset = gw_strdup(d->charset), .collation = gw_strdup(d->collation),
                         .body = gw_strdup(d->body), .order = d->order, .exists = d->exists, .guarded = d->guarded};
}

static int
by_place(const void *a, const void *b)
{
    const TriggerDef *x = a, *y = b;
    int k = strcmp(x->timing, y->timing);
    if (!k)
        k = strcmp(x->event, y->event);
    return k ? k : (x->order > y->order) - (x->order < y->order);
}

/*
 * The table's triggers as they must be made, in their order: those it has,
 * and, after a redo that did not finish, the recorded ones it lacks.  A
 * redo that did not finish left the table's triggers out of order: the
 * recorded order is theirs; one made since comes after them.
 */
static void
plan_table(const char *schema, const char *table, const TriggerList *now, const TriggerList *rec, bool redoing,
           TriggerList *out)
{
    for (size_t i = 0; i < now->n; i++) {
        TriggerDef *d = triggers_add(out);
        *d = def_copy(&now->items[i]);
        const TriggerDef *r = redoing ? triggers_find(rec, d->name) : NULL;
        d->order = r ? r->order : redoing ? (long) INT_MAX + d->order : d->order;
    }
    for (size_t i = 0; i < rec->n; i++) {
        const TriggerDef *r = &rec->items[i];
        if (triggers_find(now, r->name))
            continue;
        if (!redoing) {
            log_warn("trigger %s.%s of table %s.%s was dropped on the source while failback kept it quiet: it is not"
                     " made again", schema, r->name, schema, table);
            continue;
        }
        TriggerDef *d = triggers_add(out);
        *d = def_copy(r);
        d->exists = false;
        d->guarded = false;
    }
    qsort(out->items, out->n, sizeof *out->items, by_place);
}

static bool
all_in_form(const TriggerList *l, bool guarded)
{
    for (size_t i = 0; i < l->n; i++)
        if (!l->items[i].exists || l->items[i].guarded != guarded)
            return false;
    return true;
}

static bool
same_names(const TriggerList *a, const TriggerList *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (!triggers_find(b, a->items[i].name))
            return false;
    return true;
}

/* ------------------------------------------------------------------------------------------- records */

static void
append_literal(StrBuf *sb, const char *s)
{
    mysql_literal_string(sb, s, strlen(s));
}

/* The table's records become defs (positions in their order), in one transaction. */
static GwResult
write_records(MyConn *c, const char *schema, const char *table, const TriggerList *defs, bool redoing)
{
    StrBuf sql;
    strbuf_init(&sql);
    strbuf_append(&sql, "DELETE FROM `_godwit`.`guarded_triggers` WHERE table_schema = ");
    append_literal(&sql, schema);
    strbuf_append(&sql, " AND table_name = ");
    append_literal(&sql, table);
    GwResult rc = mysql_conn_exec(c, "START TRANSACTION");
    if (rc == GW_OK)
        rc = mysql_conn_exec(c, sql.data);
    strbuf_reset(&sql);
    for (size_t i = 0; i < defs->n; i++) {
        const TriggerDef *d = &defs->items[i];
        strbuf_append(&sql, i ? ", (" : "INSERT INTO `_godwit`.`guarded_triggers` VALUES (");
        const char *const parts[] = {schema, table, d->name};
        for (size_t k = 0; k < 3; k++) {
            append_literal(&sql, parts[k]);
            strbuf_append(&sql, ", ");
        }
        strbuf_appendf(&sql, "%zu", i);
        const char *const rest[] = {d->timing, d->event, d->definer, d->sql_mode, d->charset, d->collation, d->body};
        for (size_t k = 0; k < 7; k++) {
            strbuf_append(&sql, ", ");
            append_literal(&sql, rest[k]);
        }
        strbuf_appendf(&sql, ", %s)", redoing ? "TRUE" : "FALSE");
    }
    if (rc == GW_OK && defs->n > 0)
        rc = mysql_conn_exec(c, sql.data);
    strbuf_free(&sql);
    if (rc == GW_OK)
        return mysql_conn_exec(c, "COMMIT");
    if (mysql_real_query(c->my, "ROLLBACK", strlen("ROLLBACK")) != 0)
        log_debug("rollback after a failed write of guarded triggers: %s", mysql_error(c->my));
    return rc;
}

/* ------------------------------------------------------------------------------------------- DDL */

static bool
is_word(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char) *s) && *s != '_')
            return false;
    return true;
}

/* A statement run as it is, its failure said by the caller. */
static bool
run_quietly(MyConn *c, const char *sql, size_t len)
{
    if (mysql_real_query(c->my, sql, len) != 0)
        return false;
    MYSQL_RES *res = mysql_store_result(c->my);
    if (res)
        mysql_free_result(res);
    return true;
}

/*
 * The statement's text in the character set cs: the trigger was made by a
 * client speaking cs, and is made again the same way.  The session speaks
 * UTF-8, so the server converts it.
 */
static GwResult
in_charset(MyConn *c, const char *sql, const char *cs, char **out, size_t *len)
{
    if (!strncmp(cs, "utf8", 4)) {
        *out = gw_strdup(sql);
        *len = strlen(sql);
        return GW_OK;
    }
    StrBuf q;
    strbuf_init(&q);
    strbuf_append(&q, "SELECT CONVERT(");
    append_literal(&q, sql);
    strbuf_appendf(&q, " USING %s)", cs);
    GwResult rc = mysql_conn_exec(c, "SET character_set_results = binary");
    MYSQL_RES *res = NULL;
    if (rc == GW_OK)
        rc = mysql_conn_query(c, q.data, 1, &res);
    strbuf_free(&q);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    unsigned long *lengths = row ? mysql_fetch_lengths(res) : NULL;
    if (rc == GW_OK && (!row || !row[0] || !lengths)) {
        log_error("source %s: cannot convert a trigger's text to %s", c->base.endpoint->redacted, cs);
        rc = GW_ERR_SOURCE;
    }
    if (rc == GW_OK) {
        *out = gw_strndup(row[0], lengths[0]);
        *len = lengths[0];
    }
    if (res)
        mysql_free_result(res);
    GwResult back = mysql_conn_exec(c, "SET character_set_results = utf8mb4");
    return rc ? rc : back;
}

/*
 * Makes one trigger, in the session state it was made in (sql_mode, client
 * character set, collation), and puts the session back as it was.
 */
static GwResult
create_trigger(MyConn *c, const char *schema, const char *table, const TriggerDef *d, bool guarded)
{
    char *sql = trigger_create_sql(schema, table, d, guarded);
    if (!sql || !is_word(d->charset) || !is_word(d->collation)) {
        free(sql);
        log_error("source %s: trigger %s.%s: cannot make it again (timing %s, event %s, character set %s)",
                  c->base.endpoint->redacted, schema, d->name, d->timing, d->event, d->charset);
        return GW_ERR_SOURCE;
    }
    char *bytes = NULL;
    size_t len = 0;
    GwResult rc = in_charset(c, sql, d->charset, &bytes, &len);
    free(sql);
    char *mode = mysql_quote_literal(d->sql_mode);
    char *set_mode = gw_asprintf("SET SESSION sql_mode = %s", mode);
    char *set_names = gw_asprintf("SET NAMES %s COLLATE %s", d->charset, d->collation);
    free(mode);
    if (rc == GW_OK)
        rc = mysql_conn_exec(c, "SET @godwit_sql_mode = @@SESSION.sql_mode");
    if (rc == GW_OK)
        rc = mysql_conn_exec(c, set_mode);
    if (rc == GW_OK)
        rc = mysql_conn_exec(c, set_names);
    if (rc == GW_OK && !run_quietly(c, bytes, len)) {
        char *what = gw_asprintf("making trigger %s.%s of table %s.%s again", schema, d->name, schema, table);
        rc = mysql_conn_report(c, what);
        free(what);
    }
    /* Back to the session's own state whatever happened (mysql_conn.h). */
    GwResult back = mysql_conn_exec(c, "SET NAMES utf8mb4");
    if (back == GW_OK)
        back = mysql_conn_exec(c, "SET SESSION sql_mode = @godwit_sql_mode");
    free(set_mode);
    free(set_names);
    free(bytes);
    return rc ? rc : back;
}

/*
 * Before anything is dropped: whether the user may make a trigger of the
 * table with each definer of its triggers (another account's needs SUPER or
 * SET USER; with binary logging, CREATE TRIGGER may need SUPER too).
 */
static GwResult
probe_definers(MyConn *c, const char *schema, const char *table, const TriggerList *defs)
{
    char *probe = mysql_qualified(schema, PROBE_NAME);
    char *on = mysql_qualified(schema, table);
    char *drop = gw_asprintf("DROP TRIGGER IF EXISTS %s", probe);
    GwResult rc = GW_OK;
    for (size_t i = 0; i < defs->n && rc == GW_OK; i++) {
        bool seen = false;
        for (size_t k = 0; k < i; k++)
            seen = seen || !strcmp(defs->items[k].definer, defs->items[i].definer);
        if (seen)
            continue;
        char *definer = trigger_definer_sql(defs->items[i].definer);
        char *sql = gw_asprintf("CREATE DEFINER=%s TRIGGER %s BEFORE INSERT ON %s FOR EACH ROW SET @godwit_probe = 1",
                                definer, probe, on);
        rc = mysql_conn_exec(c, drop);
        if (rc == GW_OK && !run_quietly(c, sql, strlen(sql))) {
            log_error("source %s: cannot make the triggers of table %s.%s again as their definer %s (%s, MySQL error"
                      " %u): failback keeps them from firing for its changes by making them again; grant the user"
                      " what the error names (SUPER, or SET USER on MariaDB 10.5.2 and later) or make them with"
                      " the user as definer; nothing was changed",
                      c->base.endpoint->redacted, schema, table, defs->items[i].definer, mysql_error(c->my),
                      mysql_errno(c->my));
            rc = GW_ERR_USAGE;
        }
        if (rc == GW_OK)
            rc = mysql_conn_exec(c, drop);
        free(sql);
        free(definer);
    }
    free(probe);
    free(on);
    free(drop);
    return rc;
}

/*
 * Drops the table's triggers and makes them again in order, in the form
 * wanted, while the table is locked.  If one cannot be made guarded, it and
 * the rest are made as they were (a later run tries again: the records say
 * the redo did not finish).
 */
static GwResult
redo_table(MyConn *c, const char *schema, const char *table, const TriggerList *defs, bool guarded)
{
    char *on = mysql_qualified(schema, table);
    char *lock = gw_asprintf("LOCK TABLES %s WRITE", on);
    free(on);
    GwResult rc = mysql_conn_exec(c, lock);
    free(lock);
    if (rc)
        return rc;
    rc = probe_definers(c, schema, table, defs);
    for (size_t i = 0; i < defs->n && rc == GW_OK; i++) {
        if (!defs->items[i].exists)
            continue;
        char *name = mysql_qualified(schema, defs->items[i].name);
        char *drop = gw_asprintf("DROP TRIGGER IF EXISTS %s", name);
        rc = mysql_conn_exec(c, drop);
        free(drop);
        free(name);
    }
    /* The first failure is the one reported; the triggers after it are still made. */
    GwResult failed = GW_OK;
    bool form = guarded;
    for (size_t i = 0; rc == GW_OK && i < defs->n; i++) {
        GwResult made = create_trigger(c, schema, table, &defs->items[i], form);
        if (made != GW_OK && form) {
            form = false;
            if (create_trigger(c, schema, table, &defs->items[i], false) == GW_OK)
                log_warn("source %s: trigger %s.%s and those after it on table %s.%s are made as they were: they"
                         " will fire for failback's changes", c->base.endpoint->redacted, schema,
                         defs->items[i].name, schema, table);
        }
        if (made != GW_OK && failed == GW_OK)
            failed = made;
    }
    rc = rc ? rc : failed;
    GwResult unlocked = mysql_conn_exec(c, "UNLOCK TABLES");
    return rc ? rc : unlocked;
}

/*
 * Brings one table's triggers to the form wanted: guarded while a phase
 * needs them quiet, else as they were (and then forgets them).
 * *changed: how many triggers it made again.
 */
static GwResult
sync_table(MyConn *c, const char *schema, const char *table, bool guarded, size_t *changed)
{
    TriggerList now = {0}, rec = {0}, defs = {0};
    bool redoing = false;
    GwResult rc = read_current(c, schema, table, &now);
    if (rc == GW_OK)
        rc = read_records(c, schema, table, &rec, &redoing);
    if (rc == GW_OK)
        plan_table(schema, table, &now, &rec, redoing, &defs);
    bool redo = rc == GW_OK && !all_in_form(&defs, guarded);
    if (redo)
        rc = write_records(c, schema, table, &defs, true);
    if (rc == GW_OK && redo)
        rc = redo_table(c, schema, table, &defs, guarded);
    if (rc == GW_OK && guarded && (redo || !same_names(&defs, &rec)))
        rc = write_records(c, schema, table, &defs, false);
    if (rc == GW_OK && !guarded && rec.n > 0) {
        TriggerList none = {0};
        rc = write_records(c, schema, table, &none, false);
    }
    if (rc == GW_OK && redo) {
        *changed += defs.n;
        log_info("source %s: table %s.%s: %zu trigger(s) %s", c->base.endpoint->redacted, schema, table, defs.n,
                 guarded ? "made quiet for failback's changes (they still fire for every other session)"
                         : "made again as they were");
    }
    triggers_free(&now);
    triggers_free(&rec);
    triggers_free(&defs);
    return rc;
}

/* ------------------------------------------------------------------------------------------- tables */

/* Adds the (schema, table) pairs of a two-column query's rows, those selected when sel is not NULL. */
static GwResult
collect_tables(MyConn *c, const char *sql, const Selection *sel, TableList *out)
{
    MYSQL_RES *res;
    GwResult rc = mysql_conn_query(c, sql, 2, &res);
    if (rc)
        return rc;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res)))
        if (row[0] && row[1] && (!sel || selection_includes(sel, row[0], row[1])))
            tables_add(out, row[0], row[1]);
    mysql_free_result(res);
    return GW_OK;
}

/* Tables whose triggers a phase still needs quiet. */
static GwResult
held_tables(MyConn *c, TableList *out)
{
    return collect_tables(c, "SELECT table_schema, table_name FROM `_godwit`.`trigger_guards`", NULL, out);
}

/*
 * Tables with guarded triggers that no phase needs quiet any more: those
 * recorded, and any whose triggers are guarded without a record (`_godwit`
 * emptied meanwhile).
 */
static GwResult
tables_to_restore(MyConn *c, bool state, TableList *out)
{
    TableList held = {0}, found = {0};
    GwResult rc = state ? held_tables(c, &held) : GW_OK;
    if (rc == GW_OK && state)
        rc = collect_tables(c, "SELECT DISTINCT table_schema, table_name FROM `_godwit`.`guarded_triggers`", NULL,
                            &found);
    char *head = trigger_guarded_body("");
    char *prefix = gw_strndup(head, strcspn(head, "\n"));
    char *lit = mysql_quote_literal(prefix);
    char *sql = gw_asprintf("SELECT DISTINCT EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS"
                            " WHERE LEFT(ACTION_STATEMENT, CHAR_LENGTH(%s)) = %s",
                            lit, lit);
    if (rc == GW_OK)
        rc = collect_tables(c, sql, NULL, &found);
    for (size_t i = 0; rc == GW_OK && i < found.n; i++)
        if (!tables_has(&held, found.items[i].schema, found.items[i].name))
            tables_add(out, found.items[i].schema, found.items[i].name);
    free(sql);
    free(lit);
    free(prefix);
    free(head);
    tables_free(&held);
    tables_free(&found);
    return rc;
}

static GwResult
restore_unneeded(MyConn *c, bool state, size_t *restored)
{
    TableList tables = {0};
    GwResult rc = tables_to_restore(c, state, &tables);
    for (size_t i = 0; rc == GW_OK && i < tables.n; i++)
        rc = sync_table(c, tables.items[i].schema, tables.items[i].name, false, restored);
    tables_free(&tables);
    return rc;
}

static GwResult
add_holders(MyConn *c, const MigrationPhase *mp, const TableList *tables)
{
    if (tables->n == 0)
        return GW_OK;
    StrBuf sql;
    strbuf_init(&sql);
    strbuf_append(&sql, "INSERT IGNORE INTO `_godwit`.`trigger_guards` VALUES ");
    for (size_t i = 0; i < tables->n; i++) {
        strbuf_append(&sql, i ? ", (" : "(");
        append_literal(&sql, mp->id);
        strbuf_append(&sql, ", ");
        append_literal(&sql, mp->phase);
        strbuf_append(&sql, ", ");
        append_literal(&sql, tables->items[i].schema);
        strbuf_append(&sql, ", ");
        append_literal(&sql, tables->items[i].name);
        strbuf_append(&sql, ")");
    }
    GwResult rc = mysql_conn_exec(c, sql.data);
    strbuf_free(&sql);
    return rc;
}

/* The session's DDL is godwit's own, and it waits for a table's other users only so long. */
static GwResult
prepare_session(MyConn *c)
{
    mysql_conn_mark_own_writes(c, "the DDL that keeps triggers quiet for failback");
    char *sql = gw_asprintf("SET SESSION lock_wait_timeout = %d", GUARD_LOCK_WAIT_SECONDS);
    GwResult rc = mysql_conn_exec(c, sql);
    free(sql);
    return rc;
}

/* ------------------------------------------------------------------------------------------- operations */

GwResult
mysql_guard_triggers(EngineConn *conn, const MigrationPhase *mp, const Selection *tables)
{
    MyConn *c = MY(conn);
    /* A selection without tables selects every table: a phase always has some. */
    if (tables->ninclude == 0)
        return GW_OK;
    TableList guard = {0};
    GwResult rc = prepare_session(c);
    if (rc == GW_OK)
        rc = ensure_state(c);
    if (rc == GW_OK)
        rc = collect_tables(c,
                            "SELECT DISTINCT EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS"
                            " WHERE EVENT_OBJECT_SCHEMA NOT IN (" MYSQL_SYSTEM_SCHEMAS ")"
                            " AND " MYSQL_NOT_OWN_TRIGGER,
                            tables, &guard);
    /* A table whose triggers a killed redo dropped has only its records. */
    if (rc == GW_OK)
        rc = collect_tables(c, "SELECT DISTINCT table_schema, table_name FROM `_godwit`.`guarded_triggers`", tables,
                            &guard);
    if (rc == GW_OK)
        rc = add_holders(c, mp, &guard);
    size_t changed = 0, restored = 0;
    for (size_t i = 0; rc == GW_OK && i < guard.n; i++)
        rc = sync_table(c, guard.items[i].schema, guard.items[i].name, true, &changed);
    /* What an unguarding killed half-way left. */
    if (rc == GW_OK)
        rc = restore_unneeded(c, true, &restored);
    if (rc == GW_OK && guard.n > 0)
        log_info("phase '%s': the triggers of %zu table(s) on source %s do not fire for failback's changes (%zu made"
                 " quiet now); `godwit rollback` or `finish` makes them as they were",
                 mp->phase, guard.n, conn->endpoint->redacted, changed);
    tables_free(&guard);
    return rc;
}

GwResult
mysql_unguard_triggers(EngineConn *conn, const MigrationPhase *mp)
{
    MyConn *c = MY(conn);
    bool state = false;
    GwResult rc = prepare_session(c);
    if (rc == GW_OK)
        rc = state_exists(c, &state);
    if (rc == GW_OK && state) {
        StrBuf sql;
        strbuf_init(&sql);
        strbuf_append(&sql, "DELETE FROM `_godwit`.`trigger_guards` WHERE migration = ");
        append_literal(&sql, mp->id);
        strbuf_append(&sql, " AND phase = ");
        append_literal(&sql, mp->phase);
        rc = mysql_conn_exec(c, sql.data);
        strbuf_free(&sql);
    }
    size_t restored = 0;
    if (rc == GW_OK)
        rc = restore_unneeded(c, state, &restored);
    if (rc == GW_OK && restored > 0)
        log_info("phase '%s': %zu trigger(s) on source %s made again as they were, firing for every write", mp->phase,
                 restored, conn->endpoint->redacted);
    return rc;
}
