/*
 * pg_schema.c: the target's schema for a fetch: refuses types the target
 * cannot store, creates schemas, types, sequences and tables (or checks the
 * ones that exist), and after the data has loaded adds keys, indexes,
 * foreign keys and sequence values.
 *
 * Every statement here is safe to run again, so that a resumed fetch can
 * repeat a step that was interrupted: objects are created only when
 * missing, constraints only when no constraint of that name exists.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/crdb/crdb_types.h"
#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_ddl.h"
#include "engine/pg/pg_describe.h"
#include "core/predicate.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

static SqlDialect
dialect_of(const PgConn *c)
{
    return c->dialect->sql;
}

static GwResult query_exists(PgConn *c, const char *sql, int nparams, const char *const *params, bool *exists);

static GwResult
type_exists(PgConn *c, const TypeDef *ty, bool *exists)
{
    const char *params[2] = {ty->schema, ty->name};
    return query_exists(c,
                        "SELECT 1 FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n"
                        " ON n.oid = t.typnamespace WHERE n.nspname = $1 AND t.typname = $2",
                        2, params, exists);
}

/*
 * PostgreSQL stores every built-in type; user-defined ones must be enums or
 * domains (which godwit creates), or be made by the fetch's schema script
 * (an extension's, such as citext, or a type of a fetched table's schema),
 * or already exist on the target.
 */
static GwResult
check_type_pg(PgConn *c, const Catalog *cat, const SchemaScript *objects, const TableDef *t, const ColumnDef *col)
{
    const TypeDef *ty = catalog_find_type(cat, col->type_id);
    if (ty && ty->kind == TYPE_ARRAY)
        ty = catalog_find_type(cat, ty->elem_id);
    if (!ty || ty->builtin || ty->kind == TYPE_ENUM || ty->kind == TYPE_DOMAIN)
        return GW_OK;
    if (objects && (ty->extension ? schema_script_has_extension(objects, ty->extension)
                                  : (ty->kind == TYPE_COMPOSITE || ty->kind == TYPE_RANGE) &&
                                        catalog_has_schema(cat, ty->schema)))
        return GW_OK;
    bool found;
    GwResult rc = type_exists(c, ty, &found);
    if (rc || found)
        return rc;
    log_error("table %s.%s, column %s: type %s does not exist on the target (create it, or the extension"
              " that provides it, on the target first)", t->schema, t->name, col->name, ty->sql);
    return GW_ERR_USAGE;
}

GwResult
pg_check_types(EngineConn *conn, const Catalog *cat, const SchemaScript *objects)
{
    PgConn *c = PG(conn);
    for (size_t i = 0; i < cat->ntables; i++) {
        const TableDef *t = &cat->tables[i];
        for (size_t j = 0; j < t->ncolumns; j++) {
            GwResult rc = check_type_pg(c, cat, objects, t, &t->columns[j]);
            if (rc)
                return rc;
        }
    }
    return GW_OK;
}

bool
pg_can_copy_binary(EngineConn *conn, const Catalog *cat, const TableDef *t)
{
    (void) conn;
    /* Binary array and record values embed type OIDs, which differ between servers for user types. */
    for (size_t i = 0; i < t->ncolumns; i++) {
        const TypeDef *ty = catalog_find_type(cat, t->columns[i].type_id);
        const TypeDef *st = ty ? catalog_storage_type(cat, ty->id) : NULL;
        if (!st)
            return false;
        if (st->kind == TYPE_ARRAY) {
            const TypeDef *elem = catalog_find_type(cat, st->elem_id);
            if (!elem || !elem->builtin || elem->kind != TYPE_BASE)
                return false;
        } else if (st->kind == TYPE_COMPOSITE || ((st->kind == TYPE_RANGE || st->kind == TYPE_MULTIRANGE ||
                                                   st->kind == TYPE_BASE) && !st->builtin)) {
            return false;
        }
    }
    return true;
}

static GwResult
exec_owned(PgConn *c, char *sql)
{
    if (!sql)
        return GW_OK;
    GwResult rc = pg_exec(c, sql);
    free(sql);
    return rc;
}

static GwResult
query_exists(PgConn *c, const char *sql, int nparams, const char *const *params, bool *exists)
{
    PGresult *res;
    GwResult rc = pg_query_params(c, sql, nparams, params, 1, &res);
    if (rc)
        return rc;
    *exists = PQntuples(res) > 0;
    PQclear(res);
    return GW_OK;
}

static GwResult
table_exists(PgConn *c, const TableDef *t, bool *exists)
{
    const char *params[2] = {t->schema, t->name};
    return query_exists(c,
                        "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                        " ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2"
                        " AND c.relkind IN ('r', 'p')",
                        2, params, exists);
}

/* Whether the table has rows of its own (matching predicate_sql, when given). */
static GwResult
table_has_rows(PgConn *c, const TableDef *t, const char *predicate_sql, bool *has_rows)
{
    char *name = pg_table_ref(c, t);
    char *sql = predicate_sql ? gw_asprintf("SELECT 1 FROM %s WHERE %s LIMIT 1", name, predicate_sql)
                              : gw_asprintf("SELECT 1 FROM %s LIMIT 1", name);
    free(name);
    GwResult rc = query_exists(c, sql, 0, NULL, has_rows);
    free(sql);
    return rc;
}

/*
 * An existing target table must have every copied column with the same type
 * and nullability (CockroachDB spells types its own way, so there only the
 * names are compared).
 */
static GwResult
compare_table(PgConn *c, const Catalog *cat, const TableDef *t)
{
    const char *params[2] = {t->schema, t->name};
    PGresult *res;
    GwResult rc = pg_query_params(c,
                                  "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull"
                                  " FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
                                  " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                                  " WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped",
                                  2, params, 3, &res);
    if (rc)
        return rc;
    SqlDialect d = dialect_of(c);
    for (size_t i = 0; i < t->ncolumns && rc == GW_OK; i++) {
        const ColumnDef *col = &t->columns[i];
        int row = -1;
        for (int r = 0; r < PQntuples(res); r++)
            if (!strcmp(PQgetvalue(res, r, 0), col->name))
                row = r;
        const char *why;
        char *want = ddl_column_type(cat, col, &d, &why);
        if (row < 0) {
            log_error("target table %s.%s exists but has no column %s (source type %s)", t->schema, t->name,
                      col->name, col->type_sql);
            rc = GW_ERR_USAGE;
        } else if (c->dialect->exact_column_types && want && strcmp(PQgetvalue(res, row, 1), want) != 0) {
            log_error("target table %s.%s exists with column %s of type %s, but the source's is %s", t->schema,
                      t->name, col->name, PQgetvalue(res, row, 1), want);
            rc = GW_ERR_USAGE;
        } else if (c->dialect->exact_column_types && (PQgetvalue(res, row, 2)[0] == 't') != col->not_null &&
                   !(col->not_null_droppable && PQgetvalue(res, row, 2)[0] != 't')) {
            log_error("target table %s.%s exists with column %s %s, but on the source it is %s", t->schema,
                      t->name, col->name, col->not_null ? "nullable" : "NOT NULL",
                      col->not_null ? "NOT NULL" : "nullable");
            rc = GW_ERR_USAGE;
        }
        free(want);
    }
    for (int r = 0; r < PQntuples(res) && rc == GW_OK; r++) {
        if (table_find_column(t, PQgetvalue(res, r, 0)) < 0)
            log_warn("target table %s.%s has column %s that the source does not have; it is left empty",
                     t->schema, t->name, PQgetvalue(res, r, 0));
    }
    PQclear(res);
    return rc;
}

static GwResult
create_types(PgConn *c, const Catalog *cat)
{
    GwResult rc = GW_OK;
    for (size_t i = 0; i < cat->ntypes && rc == GW_OK; i++) {
        const TypeDef *ty = &cat->types[i];
        if (ty->builtin || (ty->kind != TYPE_ENUM && ty->kind != TYPE_DOMAIN))
            continue;
        if (ty->kind == TYPE_DOMAIN && !c->dialect->domains)
            continue;
        bool exists;
        rc = type_exists(c, ty, &exists);
        if (rc == GW_OK && !exists)
            rc = exec_owned(c, ty->kind == TYPE_ENUM ? ddl_create_enum(ty) : ddl_create_domain(ty));
    }
    return rc;
}

static GwResult
create_schemas(PgConn *c, const Catalog *cat)
{
    GwResult rc = GW_OK;
    for (size_t i = 0; i < cat->ntables && rc == GW_OK; i++)
        rc = exec_owned(c, ddl_create_schema(cat->tables[i].schema));
    for (size_t i = 0; i < cat->ntypes && rc == GW_OK; i++)
        if (!cat->types[i].builtin)
            rc = exec_owned(c, ddl_create_schema(cat->types[i].schema));
    for (size_t i = 0; i < cat->nsequences && rc == GW_OK; i++)
        rc = exec_owned(c, ddl_create_schema(cat->sequences[i].schema));
    return rc;
}

/*
 * What a drop-create does with a table: drop and make it again when no
 * other phase recorded on the target holds it, or keep it and delete only
 * this phase's rows.  Clearing, not refusing, because reloading one phase of
 * tables that phases share by row filters is what a drop-create is for
 * there, and filters that select no common row tell its rows apart exactly;
 * that they select none is checked on the rows the target has now (those a
 * cut-over phase's application wrote included), and a table where they
 * cannot be told apart is refused, naming the other phases.  Whatever the
 * other phases' status, their rows are never touched.
 */
typedef enum TableFate { FATE_DROP, FATE_CLEAR } TableFate;

typedef struct TablePlan {
    TableFate fate;
    char *owned_sql;        /* FATE_CLEAR: the rows this phase owns in it */
    char *holders;          /* FATE_CLEAR: the other phases, for the log */
} TablePlan;

static GwResult
drop_tables(PgConn *c, const Catalog *cat, const TablePlan *plans)
{
    GwResult rc = GW_OK;
    for (size_t i = 0; i < cat->ntables && rc == GW_OK; i++) {
        if (plans[i].fate == FATE_CLEAR)
            continue;
        char *name = pg_qualified(cat->tables[i].schema, cat->tables[i].name);
        rc = exec_owned(c, gw_asprintf("DROP TABLE IF EXISTS %s CASCADE", name));
        free(name);
    }
    for (size_t i = 0; i < cat->nsequences && rc == GW_OK; i++) {
        const SequenceDef *sq = &cat->sequences[i];
        /*
         * A sequence goes with its table.  One no table owns (used by defaults,
         * or called by the application) may serve tables of other phases,
         * whose values made since must never be handed out again: it stays,
         * and is only ever moved forward.
         */
        const TableDef *owner = sq->owner_table ? catalog_find_table(cat, sq->owner_schema, sq->owner_table) : NULL;
        if (sq->identity || !owner || plans[owner - cat->tables].fate == FATE_CLEAR)
            continue;
        char *name = pg_qualified(sq->schema, sq->name);
        rc = exec_owned(c, gw_asprintf("DROP SEQUENCE IF EXISTS %s CASCADE", name));
        free(name);
    }
    return rc;
}

static GwResult
clear_tables(PgConn *c, const Catalog *cat, const TablePlan *plans, const char *phase)
{
    GwResult rc = GW_OK;
    for (size_t i = 0; i < cat->ntables && rc == GW_OK; i++) {
        if (plans[i].fate != FATE_CLEAR)
            continue;
        const TableDef *t = &cat->tables[i];
        char *name = pg_qualified(t->schema, t->name);
        rc = exec_owned(c, gw_asprintf("DELETE FROM %s WHERE %s", name, plans[i].owned_sql));
        free(name);
        if (rc == GW_OK)
            log_info("table %s.%s is shared with phase %s: it is kept, and only phase '%s''s rows were deleted",
                     t->schema, t->name, plans[i].holders, phase);
    }
    return rc;
}

/* A row filter as written (the predicate language) in this target's SQL; NULL if it does not parse. */
static char *
render_text(PgConn *c, const char *text)
{
    char err[256];
    Predicate *p = predicate_parse(text, err, sizeof err);
    if (!p)
        return NULL;
    char *sql = c->base.ops->source->render_predicate(&c->base, p);
    predicate_free(p);
    return sql;
}

/*
 * The rows of t this phase owns on the target, as SQL: those of its row
 * filter, and of the one it was recorded with before this run started it
 * over (a drop-create may change the filter).  NULL: it has no filter on t,
 * so every row of t would be its.
 */
static char *
owned_rows_sql(PgConn *c, const SchemaPrep *prep, const Selection *old, const TableDef *t)
{
    const RowFilter *now = prep->rows ? selection_filter_for(prep->rows, t->schema, t->name) : NULL;
    const RowFilter *before = old ? selection_filter_for(old, t->schema, t->name) : NULL;
    if (!now)
        return NULL;
    char *a = c->base.ops->source->render_predicate(&c->base, now->predicate);
    if (!before || !strcmp(before->text, now->text))
        return a;
    char *b = c->base.ops->source->render_predicate(&c->base, before->predicate);
    char *both = gw_asprintf("(%s) OR (%s)", a, b);
    free(a);
    free(b);
    return both;
}

/* Whether a row of t on the target matches both SQL conditions. */
static GwResult
rows_overlap(PgConn *c, const TableDef *t, const char *a, const char *b, bool *overlap)
{
    char *name = pg_qualified(t->schema, t->name);
    char *sql = gw_asprintf("SELECT 1 FROM %s WHERE (%s) AND (%s) LIMIT 1", name, a, b);
    free(name);
    GwResult rc = query_exists(c, sql, 0, NULL, overlap);
    free(sql);
    return rc;
}

static char *
holders_list(const PgPhaseHold *h, size_t n)
{
    StrBuf sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < n; i++)
        strbuf_appendf(&sb, "%s'%s' (%s)", i ? ", " : "", h[i].name, h[i].status);
    return strbuf_take(&sb);
}

/*
 * Clearing only this phase's rows is safe when its rows and each other
 * phase's are told apart by their filters, on the rows the target has now
 * (a phase cut over may have rows the application wrote there).
 */
static GwResult
check_clear(PgConn *c, const SchemaPrep *prep, const TableDef *t, const char *owned, const PgPhaseHold *h,
            size_t n, const char *holders)
{
    if (!owned) {
        log_error("--schema drop-create of phase '%s': table %s.%s also holds the rows of phase %s, and this"
                  " phase has no row filter on it: the table can be neither dropped nor cleared (empty it"
                  " yourself, or fetch this phase with a row filter)", prep->phase, t->schema, t->name, holders);
        return GW_ERR_USAGE;
    }
    GwResult rc = GW_OK;
    for (size_t i = 0; i < n && rc == GW_OK; i++) {
        char *theirs = h[i].predicate ? render_text(c, h[i].predicate) : NULL;
        bool overlap = !theirs;
        if (theirs)
            rc = rows_overlap(c, t, owned, theirs, &overlap);
        if (rc == GW_OK && overlap) {
            log_error("--schema drop-create of phase '%s': table %s.%s also holds the rows of phase '%s' (%s)%s%s%s:"
                      " deleting this phase's rows would delete theirs; refusing", prep->phase, t->schema, t->name,
                      h[i].name, h[i].status, theirs ? ", and rows there match both phases' filters (" : ", every row",
                      theirs ? h[i].predicate + strspn(h[i].predicate, " \t") : "", theirs ? ")" : "");
            rc = GW_ERR_USAGE;
        }
        free(theirs);
    }
    return rc;
}

/*
 * A table dropped with CASCADE takes the tables inheriting from it along:
 * one this fetch does not make again (another phase's) refuses the drop.
 */
static GwResult
check_no_other_children(PgConn *c, const SchemaPrep *prep, const TableDef *t)
{
    if (!c->dialect->inheritance)
        return GW_OK;
    char *q = pg_qualified(t->schema, t->name);
    const char *params[1] = {q};
    PGresult *res = NULL;
    GwResult rc = pg_query_params(c,
                                  "SELECT n.nspname, k.relname FROM pg_catalog.pg_inherits i"
                                  " JOIN pg_catalog.pg_class k ON k.oid = i.inhrelid"
                                  " JOIN pg_catalog.pg_namespace n ON n.oid = k.relnamespace"
                                  " WHERE i.inhparent = pg_catalog.to_regclass($1) AND NOT k.relispartition"
                                  " ORDER BY 1, 2",
                                  1, params, 2, &res);
    free(q);
    for (int r = 0; rc == GW_OK && r < PQntuples(res); r++) {
        if (catalog_find_table(prep->cat, PQgetvalue(res, r, 0), PQgetvalue(res, r, 1)))
            continue;
        log_error("--schema drop-create of phase '%s': target table %s.%s has table %s.%s inheriting from it, which"
                  " this fetch does not make again: dropping %s.%s would drop it too; refusing", prep->phase,
                  t->schema, t->name, PQgetvalue(res, r, 0), PQgetvalue(res, r, 1), t->schema, t->name);
        rc = GW_ERR_USAGE;
    }
    PQclear(res);
    return rc;
}

/* What a drop-create does with table t (see TableFate). */
static GwResult
plan_table(PgConn *c, const SchemaPrep *prep, const Selection *old, const TableDef *t, TablePlan *plan)
{
    bool exists;
    GwResult rc = table_exists(c, t, &exists);
    PgPhaseHold *h = NULL;
    size_t n = 0;
    if (rc == GW_OK && exists)
        rc = pg_state_phases_holding(c, prep->phase, t->schema, t->name, &h, &n);
    if (rc || n == 0) {
        pg_phase_holds_free(h, n);
        plan->fate = FATE_DROP;
        return rc == GW_OK && exists ? check_no_other_children(c, prep, t) : rc;
    }
    char *holders = holders_list(h, n);
    char *owned = owned_rows_sql(c, prep, old, t);
    rc = check_clear(c, prep, t, owned, h, n, holders);
    pg_phase_holds_free(h, n);
    if (rc) {
        free(owned);
        free(holders);
        return rc;
    }
    plan->fate = FATE_CLEAR;
    plan->owned_sql = owned;
    plan->holders = holders;
    return GW_OK;
}

static GwResult
plan_tables(PgConn *c, const SchemaPrep *prep, TablePlan *plans)
{
    Selection old;
    selection_init(&old);
    char err[256];
    if (prep->old_filters && selection_add_filters_json(&old, prep->old_filters, err, sizeof err) != GW_OK)
        log_warn("phase '%s': %s; only its current row filters are cleared", prep->phase, err);
    GwResult rc = GW_OK;
    for (size_t i = 0; i < prep->cat->ntables && rc == GW_OK; i++)
        rc = plan_table(c, prep, &old, &prep->cat->tables[i], &plans[i]);
    selection_free(&old);
    return rc;
}

static void
table_plans_free(TablePlan *plans, size_t n)
{
    for (size_t i = 0; plans && i < n; i++) {
        free(plans[i].owned_sql);
        free(plans[i].holders);
    }
    free(plans);
}

/*
 * What the role needs on the target, checked before anything is made:
 * CREATE where schemas or tables are missing, INSERT into tables that exist
 * (and DELETE where a drop-create clears, ownership where it drops).
 * CockroachDB's privileges are checked by the statements themselves.
 */
static GwResult
check_rights(PgConn *c, const TableDef *t, bool exists, bool drop, bool clear)
{
    const char *params[2] = {t->schema, t->name};
    PGresult *res;
    GwResult rc = exists ? pg_query_params(c,
                                           "SELECT pg_catalog.has_table_privilege(k.oid, 'INSERT'),"
                                           " pg_catalog.has_table_privilege(k.oid, 'DELETE'),"
                                           " pg_catalog.pg_has_role(k.relowner, 'USAGE')"
                                           " FROM pg_catalog.pg_class k JOIN pg_catalog.pg_namespace n"
                                           " ON n.oid = k.relnamespace WHERE n.nspname = $1 AND k.relname = $2",
                                           2, params, 3, &res)
                         : pg_query_params(c,
                                           "SELECT COALESCE((SELECT pg_catalog.has_schema_privilege(n.oid, 'CREATE')"
                                           " FROM pg_catalog.pg_namespace n WHERE n.nspname = $1),"
                                           " pg_catalog.has_database_privilege(current_database(), 'CREATE')),"
                                           " true, true",
                                           1, params, 3, &res);
    if (rc)
        return rc;
    const char *missing = NULL;
    if (PQntuples(res) == 1) {
        if (PQgetvalue(res, 0, 0)[0] != 't')
            missing = exists ? "INSERT on it" : "CREATE on its schema (or on the database, to create the schema)";
        else if (clear && PQgetvalue(res, 0, 1)[0] != 't')
            missing = "DELETE on it";
        else if (drop && PQgetvalue(res, 0, 2)[0] != 't')
            missing = "ownership of it, to drop it";
    }
    if (missing) {
        log_error("target %s: role %s lacks %s, needed for table %s.%s", c->base.endpoint->redacted, PQuser(c->pg),
                  missing, t->schema, t->name);
        rc = GW_ERR_USAGE;
    }
    PQclear(res);
    return rc;
}

/* godwit's own state schema: made by the first fetch, which needs CREATE on the database. */
static GwResult
check_state_rights(PgConn *c)
{
    PGresult *res;
    GwResult rc = pg_query(c,
                           "SELECT to_regnamespace('_godwit') IS NOT NULL"
                           " OR pg_catalog.has_database_privilege(current_database(), 'CREATE')",
                           1, &res);
    if (rc)
        return rc;
    if (PQntuples(res) != 1 || PQgetvalue(res, 0, 0)[0] != 't') {
        log_error("target %s: role %s lacks the CREATE privilege on the database, needed to create godwit's"
                  " state schema _godwit (GRANT CREATE ON DATABASE ...)", c->base.endpoint->redacted,
                  PQuser(c->pg));
        rc = GW_ERR_USAGE;
    }
    PQclear(res);
    return rc;
}

/* The position in cat of the table a TableDef.inherits entry names ("s"."t"), or -1. */
static ssize_t
parent_in_catalog(const Catalog *cat, const char *qualified)
{
    for (size_t j = 0; j < cat->ntables; j++) {
        char *q = pg_qualified(cat->tables[j].schema, cat->tables[j].name);
        bool same = !strcmp(q, qualified);
        free(q);
        if (same)
            return (ssize_t) j;
    }
    return -1;
}

/*
 * Whether every table t inherits from is, or will be, on the target: one of
 * this fetch's (made before t) or one that exists there.  Otherwise t is
 * made as a table of its own, and said so: counts through a parent left
 * behind cannot agree anyway.
 */
static GwResult
parents_exist(PgConn *c, const Catalog *cat, const TableDef *t, bool *all)
{
    *all = true;
    for (size_t i = 0; i < t->ninherits && *all; i++) {
        if (parent_in_catalog(cat, t->inherits[i]) >= 0)
            continue;
        const char *params[1] = {t->inherits[i]};
        GwResult rc = query_exists(c, "SELECT 1 WHERE pg_catalog.to_regclass($1) IS NOT NULL", 1, params, all);
        if (rc)
            return rc;
        if (!*all)
            log_warn("table %s.%s inherits from %s, which is neither fetched nor on the target: it is made as a"
                     " table of its own", t->schema, t->name, t->inherits[i]);
    }
    return GW_OK;
}

/* A new table, with its partitions, on PostgreSQL below it (CockroachDB's is one table). */
static GwResult
create_table(PgConn *c, const Catalog *cat, const TableDef *t)
{
    bool inherit = false;
    GwResult rc = c->dialect->inheritance && t->ninherits ? parents_exist(c, cat, t, &inherit) : GW_OK;
    SqlDialect d = dialect_of(c);
    if (rc == GW_OK)
        rc = exec_owned(c, ddl_create_table(cat, t, &d, c->dialect->create_with_pk, inherit));
    /* What the source's log carries of old rows, the target's (failback's) carries too. */
    if (rc == GW_OK)
        rc = exec_owned(c, ddl_replica_identity(t, &d));
    /* An inherited column takes its parent's default and NOT NULL; the child's own are said again. */
    for (size_t i = 0; i < t->ncolumns && rc == GW_OK && inherit; i++)
        if (t->columns[i].inherited)
            rc = exec_owned(c, ddl_inherited_column(t, &t->columns[i]));
    for (size_t i = 0; i < t->npartitions && rc == GW_OK && c->dialect->partitioning; i++)
        rc = exec_owned(c, ddl_create_partition(&t->partitions[i]));
    return rc;
}

/*
 * One table: create it when missing, otherwise check it may receive the
 * rows.  dropped: a drop-create dropped it before; cleared: it deleted this
 * phase's rows in it.  With check_only nothing is created, and a table about
 * to be dropped is not compared.
 */
static GwResult
prepare_table(PgConn *c, const SchemaPrep *prep, const TableDef *t, bool dropped, bool cleared)
{
    bool exists;
    GwResult rc = table_exists(c, t, &exists);
    if (rc == GW_OK && prep->check_only && c->dialect->privilege_checks)
        rc = check_rights(c, t, exists, dropped, cleared);
    if (rc)
        return rc;
    if (prep->check_only && dropped)
        return GW_OK;
    if (!exists) {
        if (prep->mode == SCHEMA_EXISTING) {
            log_error("target table %s.%s does not exist (--schema existing uses tables as they are)", t->schema,
                      t->name);
            return GW_ERR_USAGE;
        }
        return prep->check_only ? GW_OK : create_table(c, prep->cat, t);
    }
    rc = compare_table(c, prep->cat, t);
    if (rc || prep->resume || cleared)
        return rc;
    /* With a row filter, the table may hold other phases' rows (phases side by side), but none of this one's. */
    const RowFilter *f = prep->rows ? selection_filter_for(prep->rows, t->schema, t->name) : NULL;
    char *predicate_sql = f ? c->base.ops->source->render_predicate(&c->base, f->predicate) : NULL;
    bool has_rows;
    rc = table_has_rows(c, t, predicate_sql, &has_rows);
    if (rc == GW_OK && has_rows) {
        log_error("target table %s.%s already has rows%s%s; empty it, use --schema drop-create, or --resume an"
                  " interrupted fetch", t->schema, t->name, f ? " matching this phase's filter " : "",
                  f ? f->text : "");
        rc = GW_ERR_USAGE;
    }
    free(predicate_sql);
    return rc;
}

static GwResult
create_sequences(PgConn *c, const Catalog *cat)
{
    SqlDialect d = dialect_of(c);
    GwResult rc = GW_OK;
    for (size_t i = 0; i < cat->nsequences && rc == GW_OK; i++)
        if (!cat->sequences[i].identity)
            rc = exec_owned(c, ddl_create_sequence(&cat->sequences[i], &d));
    return rc;
}

static GwResult
make_objects(PgConn *c, const SchemaPrep *prep, const TablePlan *plans)
{
    const Catalog *cat = prep->cat;
    GwResult rc = create_schemas(c, cat);
    if (rc == GW_OK && plans)
        rc = drop_tables(c, cat, plans);
    if (rc == GW_OK && plans)
        rc = clear_tables(c, cat, plans, prep->phase);
    if (rc == GW_OK && prep->mode != SCHEMA_EXISTING)
        rc = create_types(c, cat);
    if (rc == GW_OK && prep->mode != SCHEMA_EXISTING)
        rc = create_sequences(c, cat);
    return rc;
}

/* Whether t inherits from one of cat's tables not placed yet. */
static bool
waits_for_parent(const Catalog *cat, const TableDef *t, const bool *placed)
{
    for (size_t i = 0; i < t->ninherits; i++) {
        ssize_t j = parent_in_catalog(cat, t->inherits[i]);
        if (j >= 0 && !placed[j])
            return true;
    }
    return false;
}

/* cat's tables with every parent before the tables inheriting from it. */
static size_t *
creation_order(const Catalog *cat)
{
    size_t *order = gw_calloc(cat->ntables + 1, sizeof *order), n = 0;
    bool *placed = gw_calloc(cat->ntables + 1, sizeof *placed);
    while (n < cat->ntables) {
        size_t before = n;
        for (size_t i = 0; i < cat->ntables; i++)
            if (!placed[i] && !waits_for_parent(cat, &cat->tables[i], placed)) {
                placed[i] = true;
                order[n++] = i;
            }
        if (n == before)    /* a cycle cannot be: inheritance refuses one */
            for (size_t i = 0; i < cat->ntables; i++)
                if (!placed[i]) {
                    placed[i] = true;
                    order[n++] = i;
                }
    }
    free(placed);
    return order;
}

static GwResult
prepare_all(PgConn *c, const SchemaPrep *prep)
{
    const Catalog *cat = prep->cat;
    bool drop_create = prep->mode == SCHEMA_DROP_CREATE && !prep->resume;
    TablePlan *plans = drop_create ? gw_calloc(cat->ntables + 1, sizeof *plans) : NULL;
    GwResult rc = prep->check_only && c->dialect->privilege_checks ? check_state_rights(c) : GW_OK;
    if (rc == GW_OK && plans)
        rc = plan_tables(c, prep, plans);
    if (rc == GW_OK && !prep->check_only)
        rc = make_objects(c, prep, plans);
    size_t *order = creation_order(cat);
    for (size_t k = 0; k < cat->ntables && rc == GW_OK; k++) {
        size_t i = order[k];
        rc = prepare_table(c, prep, &cat->tables[i], plans && plans[i].fate == FATE_DROP,
                           plans && plans[i].fate == FATE_CLEAR);
    }
    free(order);
    for (size_t i = 0; i < cat->nsequences && rc == GW_OK && prep->mode != SCHEMA_EXISTING && !prep->check_only; i++)
        rc = exec_owned(c, ddl_sequence_owned_by(&cat->sequences[i]));
    table_plans_free(plans, cat->ntables);
    return rc;
}

/*
 * On PostgreSQL the whole preparation is one transaction, so a refusal
 * halfway (a table that differs) leaves the target as it was, and a
 * drop-create's deletes and drops happen together with the rest or not at
 * all.  With check_only it only reads.
 */
GwResult
pg_prepare_schema(EngineConn *conn, const SchemaPrep *prep)
{
    PgConn *c = PG(conn);
    bool txn = c->dialect->transactional_ddl && !prep->check_only;
    GwResult rc = txn ? pg_exec(c, "BEGIN") : GW_OK;
    if (rc == GW_OK)
        rc = prepare_all(c, prep);
    if (!txn)
        return rc;
    if (rc == GW_OK)
        return pg_exec(c, "COMMIT");
    pg_rollback(c);
    return rc;
}

static GwResult
constraint_exists(PgConn *c, const TableDef *t, const ConstraintDef *k, bool *exists)
{
    const char *params[3] = {t->schema, t->name, k->name};
    bool by_name;
    GwResult rc = query_exists(c,
                               "SELECT 1 FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c"
                               " ON c.oid = k.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                               " WHERE n.nspname = $1 AND c.relname = $2 AND k.conname = $3",
                               3, params, &by_name);
    if (rc || by_name || k->kind != CONSTRAINT_PRIMARY) {
        *exists = by_name;
        return rc;
    }
    /* A table can have one primary key, whatever its name. */
    return query_exists(c,
                        "SELECT 1 FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c"
                        " ON c.oid = k.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                        " WHERE n.nspname = $1 AND c.relname = $2 AND k.contype = 'p'",
                        2, params, exists);
}

/*
 * A foreign key whose rows do not all hold on the target (a phase's row
 * filter kept a child but not its parent) is added NOT VALID: it guards new
 * writes without claiming the old rows are consistent.
 */
static GwResult
add_foreign_key(PgConn *c, const TableDef *t, const ConstraintDef *k)
{
    SqlDialect d = dialect_of(c);
    char *sql = ddl_add_constraint(t, k, &d);
    PGresult *res = PQexec(c->pg, sql);
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    GwResult rc = GW_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        if (state && !strcmp(state, "23503")) {
            log_warn("table %s.%s: rows on the target violate foreign key %s (%s); it is added NOT VALID",
                     t->schema, t->name, k->name, PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)
                                                      ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)
                                                      : "");
            char *nv = gw_asprintf("%s NOT VALID", sql);
            rc = exec_owned(c, nv);
        } else {
            rc = pg_report(c, res, "adding a foreign key");
        }
    }
    PQclear(res);
    free(sql);
    return rc;
}

/*
 * The anti-join that finds a row of t breaking foreign key k (as text of the
 * key's columns), written by the server from the key's definition so that
 * every name is quoted as the catalog has it.  MATCH SIMPLE: a key with a
 * NULL column references nothing.
 */
#define FOREIGN_KEY_CHECK_SQL                                                                               \
    "SELECT format('SELECT ROW(%s)::text FROM %s AS ch WHERE %s AND NOT EXISTS"                             \
    " (SELECT FROM %s AS pa WHERE %s) LIMIT 1',"                                                            \
    " string_agg(format('ch.%I', ca.attname), ', ' ORDER BY k.i), k0.conrelid::regclass,"                   \
    " string_agg(format('ch.%I IS NOT NULL', ca.attname), ' AND ' ORDER BY k.i), k0.confrelid::regclass,"   \
    " string_agg(format('pa.%I = ch.%I', pa.attname, ca.attname), ' AND ' ORDER BY k.i))"                   \
    " FROM pg_catalog.pg_constraint k0 JOIN pg_catalog.pg_class cl ON cl.oid = k0.conrelid"                 \
    " JOIN pg_catalog.pg_namespace n ON n.oid = cl.relnamespace"                                            \
    " CROSS JOIN LATERAL unnest(k0.conkey, k0.confkey) WITH ORDINALITY AS k(ck, pk, i)"                     \
    " JOIN pg_catalog.pg_attribute ca ON ca.attrelid = k0.conrelid AND ca.attnum = k.ck"                    \
    " JOIN pg_catalog.pg_attribute pa ON pa.attrelid = k0.confrelid AND pa.attnum = k.pk"                   \
    " WHERE k0.contype = 'f' AND n.nspname = $1 AND cl.relname = $2 AND k0.conname = $3"                    \
    " GROUP BY k0.oid, k0.conrelid, k0.confrelid"

/*
 * A foreign key that existed before this load was bypassed by it (see
 * pg_copy.c, load_as_replica): the rows it brought must hold it too.  A row
 * whose parent belongs to a phase not loaded yet does not, and is reported
 * the way add_foreign_key reports one: the data is the source's, the key is
 * the operator's to settle (load that phase).
 */
static GwResult
check_foreign_key(PgConn *c, const TableDef *t, const ConstraintDef *k)
{
    const char *params[3] = {t->schema, t->name, k->name};
    PGresult *res;
    GwResult rc = pg_query_params(c, FOREIGN_KEY_CHECK_SQL, 3, params, 1, &res);
    if (rc || PQntuples(res) == 0) {
        if (rc == GW_OK)
            PQclear(res);
        return rc;
    }
    PGresult *bad;
    rc = pg_query(c, PQgetvalue(res, 0, 0), 1, &bad);
    PQclear(res);
    if (rc)
        return rc;
    if (PQntuples(bad) > 0)
        log_warn("table %s.%s: rows on the target violate foreign key %s, e.g. key %s has no row in %s.%s"
                 " (is it in a phase not loaded yet?)",
                 t->schema, t->name, k->name, PQgetvalue(bad, 0, 0), k->ref_schema, k->ref_table);
    PQclear(bad);
    return GW_OK;
}

static GwResult
add_constraints(PgConn *c, const Catalog *cat, const TableDef *t, bool foreign)
{
    SqlDialect d = dialect_of(c);
    GwResult rc = GW_OK;
    for (size_t i = 0; i < t->nconstraints && rc == GW_OK; i++) {
        const ConstraintDef *k = &t->constraints[i];
        if ((k->kind == CONSTRAINT_FOREIGN) != foreign || k->kind == CONSTRAINT_CHECK)
            continue;
        if (foreign && !catalog_find_table(cat, k->ref_schema, k->ref_table)) {
            log_warn("table %s.%s: foreign key %s references %s.%s, which is not copied; it is not created",
                     t->schema, t->name, k->name, k->ref_schema, k->ref_table);
            continue;
        }
        bool exists;
        rc = constraint_exists(c, t, k, &exists);
        if (rc == GW_OK && !exists)
            rc = foreign ? add_foreign_key(c, t, k) : exec_owned(c, ddl_add_constraint(t, k, &d));
        else if (rc == GW_OK && foreign && c->dialect->loads_bypass_foreign_keys)
            rc = check_foreign_key(c, t, k);
    }
    return rc;
}

/* Rows a CockroachDB DELETE removes per transaction when it empties part of a table (its size limits). */
#define EMPTY_BATCH_ROWS 10000

/*
 * TargetOps.empty_table: TRUNCATE of the table alone, or a DELETE of the
 * phase's rows; on CockroachDB in batches (DELETE ... LIMIT), each its own
 * transaction, until none is left.
 */
GwResult
pg_empty_table(EngineConn *conn, const TableDef *t, const char *predicate_sql)
{
    PgConn *c = PG(conn);
    char *name = pg_only_qualified(c, t->schema, t->name, false);
    bool crdb = c->base.kind == ENGINE_COCKROACH;
    char *sql = !predicate_sql ? gw_asprintf("TRUNCATE %s", name)
                : crdb         ? gw_asprintf("DELETE FROM %s WHERE (%s) LIMIT %d", name, predicate_sql, EMPTY_BATCH_ROWS)
                               : gw_asprintf("DELETE FROM %s WHERE (%s)", name, predicate_sql);
    free(name);
    GwResult rc = GW_OK;
    for (bool more = true; more && rc == GW_OK;) {
        PGresult *res = PQexec(c->pg, sql);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = pg_report(c, res, "emptying a table to copy it again");
        more = rc == GW_OK && predicate_sql && crdb && strtoll(PQcmdTuples(res), NULL, 10) > 0;
        PQclear(res);
    }
    free(sql);
    return rc;
}

/* After a table's rows are in: its primary key, unique and exclusion constraints, and indexes. */
GwResult
pg_finish_table(EngineConn *conn, const Catalog *cat, const TableDef *t)
{
    PgConn *c = PG(conn);
    SqlDialect d = dialect_of(c);
    GwResult rc = c->dialect->tuning_settings ? pg_exec(c, "SET maintenance_work_mem = '256MB'") : GW_OK;
    if (rc == GW_OK)
        rc = add_constraints(c, cat, t, false);
    for (size_t i = 0; i < t->nindexes && rc == GW_OK; i++) {
        /* An index is the target's performance, never its data: one CockroachDB cannot make is left out. */
        const char *problem = d.crdb ? crdb_index_problem(&t->indexes[i]) : NULL;
        if (problem)
            log_warn("table %s.%s: index %s is not made on CockroachDB: %s", t->schema, t->name,
                     t->indexes[i].name, problem);
        else
            rc = exec_owned(c, ddl_create_index(&t->indexes[i], &d));
    }
    return rc;
}

/*
 * After every table: foreign keys (only between copied tables; a reference
 * to a table left behind cannot hold) and sequence values.
 */
GwResult
pg_finish_schema(EngineConn *conn, const Catalog *cat)
{
    PgConn *c = PG(conn);
    GwResult rc = GW_OK;
    for (size_t i = 0; i < cat->ntables && rc == GW_OK; i++)
        rc = add_constraints(c, cat, &cat->tables[i], true);
    if (rc == GW_OK)
        rc = pg_advance_sequences(conn, cat);
    return rc;
}

GwResult
pg_advance_sequences(EngineConn *conn, const Catalog *cat)
{
    PgConn *c = PG(conn);
    GwResult rc = GW_OK;
    for (size_t i = 0; i < cat->nsequences && rc == GW_OK; i++)
        rc = exec_owned(c, ddl_sequence_setval(&cat->sequences[i]));
    return rc;
}
