/*
 * pg_catalog.c: describe() for PostgreSQL: reads tables, columns, types,
 * constraints, indexes and sequences from the system catalogs into a Catalog.
 *
 * Runs inside the snapshot transaction when there is one, so that what is
 * described is exactly what is copied.  It only reads; it must never change
 * anything on the server.  The session's search_path is empty, so every name
 * that format_type() and pg_get_*def() print is schema-qualified.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_describe.h"
#include "engine/pg/pg_pgoutput.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

/*
 * %s, %s: whether the table has triggers that fire for an ordinary session
 * and for one in session_replication_role replica (sql_has_triggers, or
 * false for both); %s: the partitioning columns (sql_partitioning, or
 * sql_no_partitioning); %s: whether a foreign key acts on the table's
 * changes (sql_fk_actions, or false).  A partition comes with the root of its tree, which
 * select_tables decides on.
 */
static const char *const sql_tables =
    "SELECT c.oid, n.nspname, c.relname, c.relkind, c.relreplident, c.relispartition, %s, %s, %s, %s"
    " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't'"
    " AND n.nspname <> ALL (ARRAY['pg_catalog', 'information_schema', '_godwit'])"
    " AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'"
    " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass"
    "   AND d.objid = c.oid AND d.deptype = 'e')"
    " ORDER BY n.nspname, c.relname";

/*
 * Size estimates (a partitioned table's are its leaves'; pg_partition_tree
 * has no rows for a table that is not partitioned), the partition key,
 * and the schema and name of a partition's root.
 */
static const char *const sql_partitioning =
    "CASE WHEN c.relkind <> 'p' THEN GREATEST(c.reltuples, 0)::bigint"
    " ELSE (SELECT COALESCE(sum(GREATEST(l.reltuples, 0)), 0)::bigint FROM pg_catalog.pg_partition_tree(c.oid) pt"
    "  JOIN pg_catalog.pg_class l ON l.oid = pt.relid WHERE pt.isleaf) END,"
    " CASE WHEN c.relkind <> 'p' THEN pg_catalog.pg_table_size(c.oid)"
    " ELSE (SELECT COALESCE(sum(pg_catalog.pg_table_size(pt.relid)), 0)::bigint"
    "  FROM pg_catalog.pg_partition_tree(c.oid) pt WHERE pt.isleaf) END,"
    " CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,"
    " (SELECT rn.nspname FROM pg_catalog.pg_class r JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace"
    "  WHERE c.relispartition AND r.oid = pg_catalog.pg_partition_root(c.oid)),"
    " (SELECT r.relname FROM pg_catalog.pg_class r"
    "  WHERE c.relispartition AND r.oid = pg_catalog.pg_partition_root(c.oid))";
/*
 * Without partitioning (CockroachDB), and without a size: pg_table_size is
 * unknown there before v26.3 (cockroach#86017, added by #170413).
 */
static const char *const sql_no_partitioning = "GREATEST(c.reltuples, 0)::bigint, NULL::bigint, NULL, NULL, NULL";

/* Every partition below each table, each after its parent. */
static const char *const sql_partitions =
    "SELECT t.root, n.nspname, c.relname, pn.nspname, p.relname, pg_catalog.pg_get_expr(c.relpartbound, c.oid),"
    " CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END, c.relkind"
    " FROM unnest($1::oid[]) AS t(root) CROSS JOIN LATERAL pg_catalog.pg_partition_tree(t.root) pt"
    " JOIN pg_catalog.pg_class c ON c.oid = pt.relid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_catalog.pg_class p ON p.oid = pt.parentrelid JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace"
    " WHERE pt.level > 0 ORDER BY t.root, pt.level, n.nspname, c.relname";

/* The tables each table inherits from (partitions aside), in their order. */
static const char *const sql_inherits =
    "SELECT i.inhrelid, pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(p.relname)"
    " FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid"
    " JOIN pg_catalog.pg_class p ON p.oid = i.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace"
    " WHERE i.inhrelid = ANY($1::oid[]) AND NOT c.relispartition ORDER BY i.inhrelid, i.inhseqno";

/*
 * Not asked of CockroachDB, whose changes are never merged (and whose
 * pg_trigger is not documented).  godwit's own fence triggers
 * (core/phase_names.h: "godwit_fence_...") do not count: they let every
 * change of godwit's appliers through and have no effect of their own, so
 * merging a fenced table's changes (failback into the source after cutover)
 * hides nothing from them.
 */
static const char *const sql_has_triggers =
    "EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g WHERE g.tgrelid = c.oid AND NOT g.tgisinternal"
    " AND g.tgenabled IN ('O', 'A') AND g.tgname NOT LIKE 'godwit\\_fence\\_%')";
/* A foreign key, of any table, whose ON UPDATE or ON DELETE changes rows when this table's change. */
static const char *const sql_fk_actions =
    "EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.confrelid = c.oid AND k.contype = 'f'"
    " AND (k.confupdtype NOT IN ('a', 'r') OR k.confdeltype NOT IN ('a', 'r')))";
static const char *const sql_has_replica_triggers =
    "EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g WHERE g.tgrelid = c.oid AND NOT g.tgisinternal"
    " AND g.tgenabled IN ('A', 'R') AND g.tgname NOT LIKE 'godwit\\_fence\\_%')";

static const char *const sql_columns =
    "SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.atttypid, a.attnotnull,"
    " a.attidentity, a.attgenerated, pg_catalog.pg_get_expr(ad.adbin, ad.adrelid),"
    " NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_attrdef'::regclass"
    "   AND d.objid = ad.oid AND d.refclassid = 'pg_catalog.pg_proc'::regclass AND d.refobjid >= 16384),"
    " CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation"
    "   THEN pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END,"
    " pg_catalog.format_type(a.atttypid, -1), NOT a.attislocal"
    " FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
    " LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum"
    " LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation"
    " LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace"
    " WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped"
    " ORDER BY a.attrelid, a.attnum";

/* Every type the columns use, and recursively their bases, elements and range subtypes. */
static const char *const sql_types =
    "WITH RECURSIVE ty(oid) AS ("
    "  SELECT a.atttypid FROM pg_catalog.pg_attribute a"
    "  WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped"
    "  UNION"
    "  SELECT x.oid FROM ty JOIN pg_catalog.pg_type t ON t.oid = ty.oid"
    "  LEFT JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid"
    "  CROSS JOIN LATERAL (VALUES (t.typbasetype), (CASE WHEN t.typlen = -1 THEN t.typelem ELSE 0 END),"
    "    (COALESCE(r.rngsubtype, 0))) AS x(oid)"
    "  WHERE x.oid <> 0)"
    " SELECT t.oid, n.nspname, t.typname, pg_catalog.format_type(t.oid, NULL), t.typtype, t.typbasetype,"
    " CASE WHEN t.typlen = -1 THEN t.typelem ELSE 0 END, t.typcategory, t.typnotnull,"
    " CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END, t.typdefault,"
    " (SELECT x.extname FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension x ON x.oid = d.refobjid"
    "  WHERE d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'"
    "  AND d.refclassid = 'pg_catalog.pg_extension'::regclass)"
    " FROM ty JOIN pg_catalog.pg_type t ON t.oid = ty.oid"
    " JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace ORDER BY t.oid";

static const char *const sql_enum_labels =
    "SELECT enumtypid, enumlabel FROM pg_catalog.pg_enum WHERE enumtypid = ANY($1::oid[])"
    " ORDER BY enumtypid, enumsortorder";

static const char *const sql_domain_checks =
    "SELECT contypid, conname, pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint"
    " WHERE contypid = ANY($1::oid[]) AND contype = 'c' ORDER BY contypid, conname";

static const char *const sql_constraints =
    "SELECT c.conrelid, c.conname, c.contype, pg_catalog.pg_get_constraintdef(c.oid), rn.nspname, r.relname,"
    " NOT c.conislocal"
    " FROM pg_catalog.pg_constraint c LEFT JOIN pg_catalog.pg_class r ON r.oid = c.confrelid"
    " LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace"
    " WHERE c.conrelid = ANY($1::oid[]) AND c.contype IN ('p', 'u', 'x', 'c', 'f')"
    " ORDER BY c.conrelid, c.contype, c.conname";

static const char *const sql_pk_columns =
    "SELECT c.conrelid, a.attname FROM pg_catalog.pg_constraint c"
    " CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)"
    " JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum"
    " WHERE c.contype = 'p' AND c.conrelid = ANY($1::oid[]) ORDER BY c.conrelid, k.ord";

static const char *const sql_indexes =
    "SELECT i.indrelid, ic.relname, pg_catalog.pg_get_indexdef(i.indexrelid), i.indisunique"
    " FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid"
    " WHERE i.indrelid = ANY($1::oid[]) AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k"
    "   WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))"
    " ORDER BY i.indrelid, ic.relname";

/*
 * Sequences owned by the tables' columns (serial, identity) or used by their
 * defaults, and the standalone ones of the tables' schemas (owned by no
 * table, no extension's), which applications call nextval() on themselves:
 * made and kept in step like the others.
 */
static const char *const sql_sequences =
    "WITH owned AS ("
    "  SELECT d.objid AS seq, d.refobjid AS tbl, d.refobjsubid AS col, d.deptype FROM pg_catalog.pg_depend d"
    "  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass"
    "  AND d.deptype IN ('a', 'i') AND d.refobjid = ANY($1::oid[]) AND d.refobjsubid > 0),"
    " used AS ("
    "  SELECT d.refobjid AS seq FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_attrdef ad"
    "  ON d.classid = 'pg_catalog.pg_attrdef'::regclass AND d.objid = ad.oid"
    "  WHERE ad.adrelid = ANY($1::oid[]) AND d.refclassid = 'pg_catalog.pg_class'::regclass),"
    " standalone AS ("
    "  SELECT c.oid AS seq FROM pg_catalog.pg_class c WHERE c.relkind = 'S'"
    "  AND c.relnamespace IN (SELECT t.relnamespace FROM pg_catalog.pg_class t WHERE t.oid = ANY($1::oid[]))"
    "  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass"
    "   AND d.objid = c.oid AND d.deptype IN ('a', 'i', 'e'))),"
    " seqs AS (SELECT seq FROM owned UNION SELECT seq FROM used UNION SELECT seq FROM standalone)"
    " SELECT n.nspname, c.relname, pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement,"
    " s.seqmin, s.seqmax, s.seqcache, s.seqcycle, ps.last_value, tn.nspname, tc.relname, ta.attname,"
    " COALESCE(o.deptype = 'i', false)"
    " FROM seqs JOIN pg_catalog.pg_sequence s ON s.seqrelid = seqs.seq"
    " JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN pg_catalog.pg_sequences ps ON ps.schemaname = n.nspname AND ps.sequencename = c.relname"
    " LEFT JOIN owned o ON o.seq = s.seqrelid"
    " LEFT JOIN pg_catalog.pg_class tc ON tc.oid = o.tbl"
    " LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace"
    " LEFT JOIN pg_catalog.pg_attribute ta ON ta.attrelid = o.tbl AND ta.attnum = o.col"
    " ORDER BY n.nspname, c.relname";

static char *
value_or_null(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : gw_strdup(PQgetvalue(res, row, col));
}

static bool
value_bool(PGresult *res, int row, int col)
{
    return PQgetvalue(res, row, col)[0] == 't';
}

static uint32_t
value_oid(PGresult *res, int row, int col)
{
    return (uint32_t) strtoul(PQgetvalue(res, row, col), NULL, 10);
}

static int64_t
value_int64(PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* "{1,2,3}": the oid[] parameter of every per-table query. */
static char *
oid_array(const uint32_t *ids, size_t n)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append_char(&sb, '{');
    for (size_t i = 0; i < n; i++)
        strbuf_appendf(&sb, "%s%u", i ? "," : "", ids[i]);
    strbuf_append_char(&sb, '}');
    return strbuf_take(&sb);
}

GwResult
pg_query_by_catalog(PgConn *c, const char *sql, const Catalog *cat, int ncols, PGresult **out)
{
    StrBuf s;
    strbuf_init(&s);
    uint32_t *ids = gw_calloc(cat->ntables + 1, sizeof *ids);
    strbuf_append_char(&s, '{');
    for (size_t i = 0; i < cat->ntables; i++) {
        if (i)
            strbuf_append_char(&s, ',');
        strbuf_append_array_element(&s, cat->tables[i].schema, strlen(cat->tables[i].schema));
        ids[i] = cat->tables[i].id;
    }
    strbuf_append_char(&s, '}');
    char *oids = oid_array(ids, cat->ntables);
    const char *params[2] = {s.data, oids};
    GwResult rc = pg_query_params(c, sql, 2, params, ncols, out);
    strbuf_free(&s);
    free(oids);
    free(ids);
    return rc;
}

static GwResult
query_by_oids(PgConn *c, const char *sql, const char *oids, int ncols, PGresult **out)
{
    const char *params[1] = {oids};
    return pg_query_params(c, sql, 1, params, ncols, out);
}

static TypeKind
type_kind(char typtype, uint32_t elem)
{
    switch (typtype) {
    case 'e': return TYPE_ENUM;
    case 'd': return TYPE_DOMAIN;
    case 'r': return TYPE_RANGE;
    case 'm': return TYPE_MULTIRANGE;
    case 'c': return TYPE_COMPOSITE;
    case 'b': return elem ? TYPE_ARRAY : TYPE_BASE;
    default: return TYPE_OTHER;
    }
}

/*
 * A partition is never selected on its own: its rows are its root's.  It
 * goes with its root when the root is selected, and is left out with a root
 * an --exclude names.  Naming a partition without its root, or excluding one
 * of a selected root, is refused: the rows cannot be split that way.
 */
static GwResult
check_partition(Selection *sel, const char *schema, const char *name, const char *root_schema,
                const char *root_name)
{
    bool root_in = selection_includes(sel, root_schema, root_name);
    if (root_in && selection_excludes(sel, schema, name)) {
        log_error("source table %s.%s is a partition of %s.%s, which is selected: a partition cannot be left out"
                  " (its rows are the table's; give %s.%s a row filter instead)", schema, name, root_schema,
                  root_name, root_schema, root_name);
        return GW_ERR_USAGE;
    }
    if (!root_in && !selection_excludes(sel, root_schema, root_name) && sel->ninclude > 0 &&
        selection_matches(sel, schema, name)) {
        log_error("source table %s.%s is a partition of %s.%s: select %s.%s (its partitions come with it), or a"
                  " row filter on it", schema, name, root_schema, root_name, root_schema, root_name);
        return GW_ERR_USAGE;
    }
    return GW_OK;
}

static GwResult
select_tables(PgConn *c, Selection *sel, Catalog *cat)
{
    PGresult *res;
    bool triggers = c->dialect->trigger_catalog;
    char *sql = gw_asprintf(sql_tables, triggers ? sql_has_triggers : "false",
                            triggers ? sql_has_replica_triggers : "false",
                            c->dialect->partitioning ? sql_partitioning : sql_no_partitioning,
                            triggers ? sql_fk_actions : "false");
    GwResult rc = pg_query(c, sql, 14, &res);
    free(sql);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(res) && rc == GW_OK; i++) {
        const char *schema = PQgetvalue(res, i, 1), *name = PQgetvalue(res, i, 2);
        if (value_bool(res, i, 5)) {
            rc = check_partition(sel, schema, name, PQgetvalue(res, i, 11), PQgetvalue(res, i, 12));
            continue;
        }
        if (!selection_matches(sel, schema, name))
            continue;
        TableDef *t = catalog_add_table(cat);
        t->id = value_oid(res, i, 0);
        t->schema = gw_strdup(schema);
        t->name = gw_strdup(name);
        (void) pgoutput_replica_identity(PQgetvalue(res, i, 4)[0], &t->replica_identity);
        t->has_triggers = value_bool(res, i, 6);
        t->has_replica_triggers = value_bool(res, i, 7);
        t->est_rows = value_int64(res, i, 8);
        t->est_bytes = value_int64(res, i, 9);
        t->partition_key_sql = value_or_null(res, i, 10);
        t->fk_actions = value_bool(res, i, 13);
    }
    PQclear(res);
    return rc;
}

/* The partitions of the partitioned tables; a foreign table among them is refused (its rows are elsewhere). */
static GwResult
load_partitions(PgConn *c, Catalog *cat, const char *oids)
{
    if (!c->dialect->partitioning)
        return GW_OK;
    PGresult *res;
    GwResult rc = query_by_oids(c, sql_partitions, oids, 8, &res);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(res) && rc == GW_OK; i++) {
        TableDef *t = catalog_find_table_id(cat, value_oid(res, i, 0));
        char kind = PQgetvalue(res, i, 7)[0];
        if (kind != 'r' && kind != 'p') {
            log_error("source table %s.%s: partition %s.%s is not a table of this database (a foreign table?):"
                      " not supported", t->schema, t->name, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
            rc = GW_ERR_USAGE;
            break;
        }
        t->partitions = gw_realloc(t->partitions, (t->npartitions + 1) * sizeof *t->partitions);
        t->partitions[t->npartitions++] = (PartitionDef) {
            .schema = gw_strdup(PQgetvalue(res, i, 1)),
            .name = gw_strdup(PQgetvalue(res, i, 2)),
            .parent_schema = gw_strdup(PQgetvalue(res, i, 3)),
            .parent_name = gw_strdup(PQgetvalue(res, i, 4)),
            .bound_sql = gw_strdup(PQgetvalue(res, i, 5)),
            .key_sql = value_or_null(res, i, 6),
        };
    }
    PQclear(res);
    return rc;
}

static GwResult
load_inherits(PgConn *c, Catalog *cat, const char *oids)
{
    if (!c->dialect->inheritance)
        return GW_OK;
    PGresult *res;
    GwResult rc = query_by_oids(c, sql_inherits, oids, 2, &res);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(res); i++) {
        TableDef *t = catalog_find_table_id(cat, value_oid(res, i, 0));
        t->inherits = gw_realloc(t->inherits, (t->ninherits + 1) * sizeof *t->inherits);
        t->inherits[t->ninherits++] = gw_strdup(PQgetvalue(res, i, 1));
    }
    PQclear(res);
    return GW_OK;
}

static GwResult
load_columns(PgConn *c, Catalog *cat, const char *oids)
{
    PGresult *res;
    GwResult rc = query_by_oids(c, sql_columns, oids, 12, &res);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(res); i++) {
        TableDef *t = catalog_find_table_id(cat, value_oid(res, i, 0));
        if (!t)
            continue;
        t->columns = gw_realloc(t->columns, (t->ncolumns + 1) * sizeof *t->columns);
        ColumnDef *col = &t->columns[t->ncolumns++];
        memset(col, 0, sizeof *col);
        col->name = gw_strdup(PQgetvalue(res, i, 1));
        col->type_sql = gw_strdup(PQgetvalue(res, i, 2));
        col->type_id = value_oid(res, i, 3);
        col->not_null = value_bool(res, i, 4);
        col->identity = PQgetvalue(res, i, 5)[0];
        bool generated = PQgetvalue(res, i, 6)[0] == 's';
        char *expr = value_or_null(res, i, 7);
        if (generated)
            col->generated_sql = expr;
        else if (expr && value_bool(res, i, 8))
            col->default_sql = expr;
        else
            col->deferred_default_sql = expr;
        col->collation_sql = value_or_null(res, i, 9);
        col->type_name_sql = gw_strdup(PQgetvalue(res, i, 10));
        col->inherited = value_bool(res, i, 11);
    }
    PQclear(res);
    return GW_OK;
}

static GwResult
load_types(PgConn *c, Catalog *cat, const char *oids)
{
    PGresult *res;
    GwResult rc = query_by_oids(c, sql_types, oids, 12, &res);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(res); i++) {
        TypeDef *t = catalog_add_type(cat);
        t->id = value_oid(res, i, 0);
        t->schema = gw_strdup(PQgetvalue(res, i, 1));
        t->name = gw_strdup(PQgetvalue(res, i, 2));
        t->sql = gw_strdup(PQgetvalue(res, i, 3));
        t->base_id = value_oid(res, i, 5);
        t->elem_id = value_oid(res, i, 6);
        t->kind = type_kind(PQgetvalue(res, i, 4)[0], t->elem_id);
        t->builtin = t->id < 16384;
        t->category = PQgetvalue(res, i, 7)[0];
        t->not_null = value_bool(res, i, 8);
        t->base_sql = value_or_null(res, i, 9);
        t->default_sql = value_or_null(res, i, 10);
        t->extension = value_or_null(res, i, 11);
    }
    PQclear(res);
    return GW_OK;
}

/* Enum labels and domain checks, for the user-defined types only. */
static GwResult
load_type_details(PgConn *c, Catalog *cat)
{
    uint32_t *ids = gw_calloc(cat->ntypes + 1, sizeof *ids);
    size_t n = 0;
    for (size_t i = 0; i < cat->ntypes; i++)
        if (cat->types[i].kind == TYPE_ENUM || cat->types[i].kind == TYPE_DOMAIN)
            ids[n++] = cat->types[i].id;
    char *oids = oid_array(ids, n);
    free(ids);

    PGresult *res;
    GwResult rc = query_by_oids(c, sql_enum_labels, oids, 2, &res);
    if (rc == GW_OK) {
        for (int i = 0; i < PQntuples(res); i++) {
            TypeDef *t = (TypeDef *) catalog_find_type(cat, value_oid(res, i, 0));
            t->labels = gw_realloc(t->labels, (t->nlabels + 1) * sizeof *t->labels);
            t->labels[t->nlabels++] = gw_strdup(PQgetvalue(res, i, 1));
        }
        PQclear(res);
        rc = query_by_oids(c, sql_domain_checks, oids, 3, &res);
    }
    if (rc == GW_OK) {
        for (int i = 0; i < PQntuples(res); i++) {
            TypeDef *t = (TypeDef *) catalog_find_type(cat, value_oid(res, i, 0));
            t->checks = gw_realloc(t->checks, (t->nchecks + 1) * sizeof *t->checks);
            t->check_names = gw_realloc(t->check_names, (t->nchecks + 1) * sizeof *t->check_names);
            t->check_names[t->nchecks] = gw_strdup(PQgetvalue(res, i, 1));
            t->checks[t->nchecks++] = gw_strdup(PQgetvalue(res, i, 2));
        }
        PQclear(res);
    }
    free(oids);
    return rc;
}

static GwResult
load_constraints(PgConn *c, Catalog *cat, const char *oids)
{
    PGresult *res;
    GwResult rc = query_by_oids(c, sql_constraints, oids, 7, &res);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(res); i++) {
        TableDef *t = catalog_find_table_id(cat, value_oid(res, i, 0));
        if (!t)
            continue;
        t->constraints = gw_realloc(t->constraints, (t->nconstraints + 1) * sizeof *t->constraints);
        t->constraints[t->nconstraints++] = (ConstraintDef) {
            .name = gw_strdup(PQgetvalue(res, i, 1)),
            .kind = (ConstraintKind) PQgetvalue(res, i, 2)[0],
            .definition = gw_strdup(PQgetvalue(res, i, 3)),
            .ref_schema = value_or_null(res, i, 4),
            .ref_table = value_or_null(res, i, 5),
            .inherited = value_bool(res, i, 6),
        };
    }
    PQclear(res);

    rc = query_by_oids(c, sql_pk_columns, oids, 2, &res);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(res); i++) {
        TableDef *t = catalog_find_table_id(cat, value_oid(res, i, 0));
        ssize_t pos = t ? table_find_column(t, PQgetvalue(res, i, 1)) : -1;
        if (pos < 0)
            continue;
        t->pk = gw_realloc(t->pk, (t->npk + 1) * sizeof *t->pk);
        t->pk[t->npk++] = (size_t) pos;
    }
    PQclear(res);
    return GW_OK;
}

static GwResult
load_indexes(PgConn *c, Catalog *cat, const char *oids)
{
    PGresult *res;
    GwResult rc = query_by_oids(c, sql_indexes, oids, 4, &res);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(res); i++) {
        TableDef *t = catalog_find_table_id(cat, value_oid(res, i, 0));
        if (!t)
            continue;
        t->indexes = gw_realloc(t->indexes, (t->nindexes + 1) * sizeof *t->indexes);
        IndexDef *ix = &t->indexes[t->nindexes++];
        ix->name = gw_strdup(PQgetvalue(res, i, 1));
        ix->definition = gw_strdup(PQgetvalue(res, i, 2));
        ix->unique = value_bool(res, i, 3);
    }
    PQclear(res);
    return GW_OK;
}

static GwResult
load_sequences(PgConn *c, Catalog *cat, const char *oids)
{
    PGresult *res;
    GwResult rc = query_by_oids(c, sql_sequences, oids, 14, &res);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(res); i++) {
        SequenceDef *s = catalog_add_sequence(cat);
        s->schema = gw_strdup(PQgetvalue(res, i, 0));
        s->name = gw_strdup(PQgetvalue(res, i, 1));
        s->type_sql = gw_strdup(PQgetvalue(res, i, 2));
        s->start = value_int64(res, i, 3);
        s->increment = value_int64(res, i, 4);
        s->min = value_int64(res, i, 5);
        s->max = value_int64(res, i, 6);
        s->cache = value_int64(res, i, 7);
        s->cycle = value_bool(res, i, 8);
        s->has_value = !PQgetisnull(res, i, 9);
        s->last_value = s->has_value ? value_int64(res, i, 9) : 0;
        s->owner_schema = value_or_null(res, i, 10);
        s->owner_table = value_or_null(res, i, 11);
        s->owner_column = value_or_null(res, i, 12);
        s->identity = value_bool(res, i, 13);
    }
    PQclear(res);
    return GW_OK;
}

GwResult
pg_describe(EngineConn *conn, Selection *sel, Catalog *cat)
{
    PgConn *c = PG(conn);
    GwResult rc = select_tables(c, sel, cat);
    if (rc)
        return rc;
    uint32_t *ids = gw_calloc(cat->ntables + 1, sizeof *ids);
    for (size_t i = 0; i < cat->ntables; i++)
        ids[i] = cat->tables[i].id;
    char *oids = oid_array(ids, cat->ntables);
    free(ids);

    rc = load_columns(c, cat, oids);
    if (!rc)
        rc = load_partitions(c, cat, oids);
    if (!rc)
        rc = load_inherits(c, cat, oids);
    if (!rc)
        rc = load_types(c, cat, oids);
    if (!rc)
        rc = load_type_details(c, cat);
    if (!rc)
        rc = load_constraints(c, cat, oids);
    if (!rc)
        rc = load_indexes(c, cat, oids);
    if (!rc)
        rc = load_sequences(c, cat, oids);
    free(oids);
    return rc;
}
