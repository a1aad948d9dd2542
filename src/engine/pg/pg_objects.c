/*
 * pg_objects.c: the objects of a PostgreSQL source that fetch does not make
 * on a target without a schema script (--objects none, --schema existing,
 * a CockroachDB target: SourceOps.objects_left_out), for the fetch report.
 * fetch makes the selected tables with their keys, indexes and constraints,
 * the types and sequences their columns use and the schemas' standalone
 * sequences (the Catalog describe fills);
 * everything else of their schemas, and what is attached to the tables
 * (triggers, rules), is listed here, so that an operator sees what is left
 * to make on the target before cutover.  Objects of an extension are the
 * extension's, and a range type's constructors are the type's: only the
 * extension, or the type, is listed.  A partition's indexes are made with
 * its table's, except one made on the partition alone: that one is listed.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_describe.h"
#include "util/mem.h"

/* $1: the schemas (text[]), $2: the tables (oid[]).  Columns: kind, schema, raw name, name as SQL writes it. */
static const char *const sql_left_out =
    "WITH ext AS (SELECT classid, objid FROM pg_catalog.pg_depend WHERE deptype = 'e')"
    " SELECT kind, nspname, objname, shown FROM ("
    " SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' ELSE 'sequence' END AS kind,"
    "   n.nspname, c.relname AS objname,"
    "   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS shown"
    "  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    "  WHERE c.relkind IN ('v', 'm', 'S') AND n.nspname = ANY($1::text[])"
    "   AND (c.oid NOT IN (SELECT objid FROM ext WHERE classid = 'pg_catalog.pg_class'::regclass))"
    " UNION ALL"
    " SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,"
    "   n.nspname, p.proname,"
    "   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.proname)"
    "   || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')'"
    "  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
    "  WHERE n.nspname = ANY($1::text[])"
    "   AND p.oid NOT IN (SELECT objid FROM ext WHERE classid = 'pg_catalog.pg_proc'::regclass)"
    "   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::regclass"
    "     AND d.objid = p.oid AND d.deptype = 'i')"
    " UNION ALL"
    " SELECT 'trigger', '', g.tgname, pg_catalog.quote_ident(g.tgname) || ' ON ' || g.tgrelid::regclass::text"
    "  FROM pg_catalog.pg_trigger g"
    "  WHERE g.tgrelid = ANY($2::oid[]) AND NOT g.tgisinternal AND g.tgname NOT LIKE 'godwit\\_fence\\_%'"
    " UNION ALL"
    " SELECT 'rule', '', r.rulename, pg_catalog.quote_ident(r.rulename) || ' ON ' || r.ev_class::regclass::text"
    "  FROM pg_catalog.pg_rewrite r WHERE r.ev_class = ANY($2::oid[]) AND r.rulename <> '_RETURN'"
    " UNION ALL"
    " SELECT CASE t.typtype WHEN 'e' THEN 'enum type' WHEN 'd' THEN 'domain' WHEN 'r' THEN 'range type'"
    "   ELSE 'composite type' END, n.nspname, t.typname, t.oid::regtype::text"
    "  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
    "  WHERE n.nspname = ANY($1::text[]) AND t.typtype IN ('e', 'd', 'r', 'c')"
    "   AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')"
    "   AND t.oid NOT IN (SELECT objid FROM ext WHERE classid = 'pg_catalog.pg_type'::regclass)"
    " UNION ALL"
    " SELECT 'collation', n.nspname, co.collname,"
    "   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(co.collname)"
    "  FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace n ON n.oid = co.collnamespace"
    "  WHERE n.nspname = ANY($1::text[])"
    "   AND co.oid NOT IN (SELECT objid FROM ext WHERE classid = 'pg_catalog.pg_collation'::regclass)"
    " UNION ALL"
    " SELECT 'index of a partition', '', ic.relname,"
    "   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(ic.relname)"
    "   || ' ON ' || i.indrelid::regclass::text"
    "  FROM unnest($2::oid[]) AS r(oid) CROSS JOIN LATERAL pg_catalog.pg_partition_tree(r.oid) pt"
    "  JOIN pg_catalog.pg_index i ON i.indrelid = pt.relid JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid"
    "  JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace"
    "  WHERE pt.level > 0 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid)"
    " UNION ALL"
    " SELECT 'extension', '', x.extname, pg_catalog.quote_ident(x.extname)"
    "  FROM pg_catalog.pg_extension x WHERE x.extname <> 'plpgsql'"
    " ) o ORDER BY kind, shown";

/* Types and sequences the tables' columns use are made with them (describe put them in cat). */
static bool
made_with_tables(const Catalog *cat, const char *kind, const char *schema, const char *name)
{
    if (!strcmp(kind, "sequence"))
        return catalog_find_sequence(cat, schema, name) != NULL;
    if (strstr(kind, "type") || !strcmp(kind, "domain")) {
        for (size_t i = 0; i < cat->ntypes; i++)
            if (cat->types[i].schema && !strcmp(cat->types[i].schema, schema) && !strcmp(cat->types[i].name, name))
                return true;
    }
    return false;
}

GwResult
pg_objects_left_out(EngineConn *conn, const Catalog *cat, SchemaObjects *out)
{
    PgConn *c = PG(conn);
    PGresult *res;
    GwResult rc = pg_query_by_catalog(c, sql_left_out, cat, 4, &res);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(res); i++) {
        const char *kind = PQgetvalue(res, i, 0);
        if (!made_with_tables(cat, kind, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2)))
            schema_objects_add(out, kind, PQgetvalue(res, i, 3));
    }
    PQclear(res);
    return GW_OK;
}
