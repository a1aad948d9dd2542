/*
 * pg_publication.c: the publications of a stream (fetch's on the source,
 * failback's on the target), and the rule they keep: the database they are
 * made in never refuses a write because of them.
 *
 * PostgreSQL refuses every UPDATE and DELETE of a table that a publication
 * publishes updates or deletes of while the table has no usable replica
 * identity.  So a table without one goes into a second publication that
 * carries inserts and truncates only, and every table is named with ONLY:
 * a plain name would also publish every table inheriting from it, with the
 * parent's publish flags.  A partitioned table is published by its root
 * (publish_via_partition_root): its partitions are not tables of the
 * catalog, and a row moving between partitions stays one table's change.  Once made, what the publications cover is read
 * back from pg_publication_tables and checked: a table nobody selected, or
 * one whose updates are published without a usable identity, drops both
 * publications and refuses the stream, naming the table.  This file must
 * never publish a table the caller did not name.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/pg/pg_conn.h"
#include "core/phase_names.h"
#include "engine/pg/pg_describe.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

/*
 * Whether pg_class c has a replica identity PostgreSQL can publish updates
 * and deletes with: FULL, DEFAULT with a primary key, or USING INDEX of an
 * index that still exists (dropping it leaves relreplident 'i' and no
 * identity at all).
 */
#define SQL_USABLE_IDENTITY_OF(c)                                                                                      \
    "(" c ".relreplident = 'f'"                                                                                        \
    " OR (" c ".relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_catalog.pg_index x"                                    \
    "     WHERE x.indrelid = " c ".oid AND x.indisprimary))"                                                            \
    " OR (" c ".relreplident = 'i' AND EXISTS (SELECT 1 FROM pg_catalog.pg_index x"                                    \
    "     WHERE x.indrelid = " c ".oid AND x.indisreplident)))"

/*
 * A partitioned table's rows are written in its partitions, and each
 * partition's UPDATE and DELETE need an identity of its own: the table's
 * and every leaf partition's must be usable.
 */
#define SQL_USABLE_IDENTITY                                                                                            \
    "(" SQL_USABLE_IDENTITY_OF("c")                                                                                    \
    " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_partition_tree(c.oid) pt"                                            \
    "     JOIN pg_catalog.pg_class l ON l.oid = pt.relid"                                                              \
    "     WHERE pt.level > 0 AND pt.isleaf AND NOT " SQL_USABLE_IDENTITY_OF("l") "))"

static const char *const sql_identities =
    "SELECT c.oid, " SQL_USABLE_IDENTITY " FROM pg_catalog.pg_class c WHERE c.oid = ANY($1::oid[])";

/* Every table the publications $1 (comma-separated) cover that breaks the rule; $2: the tables named. */
static const char *const sql_violations =
    "SELECT pt.pubname, pt.schemaname, pt.tablename, c.oid = ANY($2::oid[])"
    " FROM pg_catalog.pg_publication_tables pt"
    " JOIN pg_catalog.pg_publication p ON p.pubname = pt.pubname"
    " JOIN pg_catalog.pg_namespace n ON n.nspname = pt.schemaname"
    " JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename"
    " WHERE pt.pubname = ANY(pg_catalog.string_to_array($1, ','))"
    " AND (c.oid <> ALL($2::oid[]) OR ((p.pubupdate OR p.pubdelete) AND NOT " SQL_USABLE_IDENTITY "))"
    " ORDER BY pt.schemaname, pt.tablename, pt.pubname";

static char *
oid_array(const Catalog *cat)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append_char(&sb, '{');
    for (size_t i = 0; i < cat->ntables; i++)
        strbuf_appendf(&sb, "%s%u", i ? "," : "", cat->tables[i].id);
    strbuf_append_char(&sb, '}');
    return strbuf_take(&sb);
}

/* usable[i]: whether cat's table i has a usable replica identity now. */
static GwResult
read_identities(PgConn *c, const Catalog *cat, const char *oids, bool *usable)
{
    const char *params[1] = {oids};
    PGresult *res;
    GwResult rc = pg_query_params(c, sql_identities, 1, params, 2, &res);
    if (rc)
        return rc;
    for (int r = 0; r < PQntuples(res); r++) {
        unsigned long oid = strtoul(PQgetvalue(res, r, 0), NULL, 10);
        for (size_t i = 0; i < cat->ntables; i++)
            if (cat->tables[i].id == oid)
                usable[i] = PQgetvalue(res, r, 1)[0] == 't';
    }
    PQclear(res);
    return GW_OK;
}

/* "ONLY s.a, ONLY s.b": the tables of one publication, each without its inheriting tables. */
static void
split_tables(const PgConn *c, const Catalog *cat, const bool *usable, StrBuf *full, StrBuf *ins)
{
    for (size_t i = 0; i < cat->ntables; i++) {
        const TableDef *t = &cat->tables[i];
        StrBuf *list = usable[i] ? full : ins;
        char *q = pg_qualified(t->schema, t->name);
        strbuf_appendf(list, "%sONLY %s", list->len ? ", " : "", q);
        free(q);
        /* Said once per stream: the source's at fetch, the target's (failback's) at cutover. */
        if (!usable[i] && c->base.role == ROLE_SOURCE)
            log_warn("table %s.%s%s has no primary key or replica identity: it is copied, but replicating its updates"
                     " and deletes needs REPLICA IDENTITY FULL (ALTER TABLE ... REPLICA IDENTITY FULL) before fetch;"
                     " until then only its inserts are streamed", t->schema, t->name,
                     table_partitioned(t) ? " (or one of its partitions)" : "");
        else if (!usable[i])
            log_warn("table %s.%s%s on the target has no primary key or replica identity: failback carries only its"
                     " inserts back (REPLICA IDENTITY FULL on the target's table before a cutover carries its updates and"
                     " deletes too)", t->schema,
                     t->name, table_partitioned(t) ? " (or one of its partitions)" : "");
    }
}

static GwResult
drop_publication(PgConn *c, const char *name)
{
    char *qn = pg_quote_ident(name);
    char *sql = gw_asprintf("DROP PUBLICATION IF EXISTS %s", qn);
    GwResult rc = pg_exec(c, sql);
    free(sql);
    free(qn);
    return rc;
}

/* Makes publication name over list (if any), replacing one left by an earlier run; appends its name to names. */
static GwResult
make_publication(PgConn *c, const char *name, const StrBuf *list, bool inserts_only, StrBuf *names)
{
    GwResult rc = drop_publication(c, name);
    if (rc || !list->len)
        return rc;
    char *qn = pg_quote_ident(name);
    /* A partitioned table's changes are published as its own, as its catalog entry and the target know it. */
    char *sql = gw_asprintf("CREATE PUBLICATION %s FOR TABLE %s WITH (publish_via_partition_root = true%s)", qn,
                            list->data, inserts_only ? ", publish = 'insert, truncate'" : "");
    rc = pg_exec(c, sql);
    free(sql);
    free(qn);
    if (rc == GW_OK)
        strbuf_appendf(names, "%s%s", names->len ? "," : "", name);
    return rc;
}

/* Refuses (after logging each) the tables the publications named in names cover against the rule. */
static GwResult
check_rule(PgConn *c, const char *names, const char *oids)
{
    const char *params[2] = {names, oids};
    PGresult *res;
    GwResult rc = pg_query_params(c, sql_violations, 2, params, 4, &res);
    if (rc)
        return rc;
    for (int r = 0; r < PQntuples(res); r++) {
        const char *pub = PQgetvalue(res, r, 0), *schema = PQgetvalue(res, r, 1), *table = PQgetvalue(res, r, 2);
        if (PQgetvalue(res, r, 3)[0] != 't')
            log_error("%s %s: publication \"%s\" covers table %s.%s, which was not selected (it inherits from a"
                      " selected table, or is a partition); refused, the publications are dropped",
                      role_name(c->base.role), c->base.endpoint->redacted, pub, schema, table);
        else
            log_error("%s %s: publication \"%s\" publishes updates and deletes of table %s.%s, which has no usable"
                      " replica identity: every UPDATE and DELETE on it would fail; refused, the publications are"
                      " dropped (give it a primary key or REPLICA IDENTITY FULL)",
                      role_name(c->base.role), c->base.endpoint->redacted, pub, schema, table);
        rc = GW_ERR_USAGE;
    }
    PQclear(res);
    return rc;
}

GwResult
pg_publications_create(PgConn *c, const char *slot, const Catalog *cat, char **names_out)
{
    char *pubs[2] = {gw_strdup(slot), gw_asprintf("%s" PHASE_NAMES_INSERT_ONLY, slot)};
    char *oids = oid_array(cat);
    bool *usable = gw_calloc(cat->ntables + 1, sizeof *usable);
    StrBuf lists[2], names;
    strbuf_init(&lists[0]);
    strbuf_init(&lists[1]);
    strbuf_init(&names);
    GwResult rc = read_identities(c, cat, oids, usable);
    if (rc == GW_OK)
        split_tables(c, cat, usable, &lists[0], &lists[1]);
    for (int i = 0; i < 2 && rc == GW_OK; i++)
        rc = make_publication(c, pubs[i], &lists[i], i == 1, &names);
    if (rc == GW_OK)
        rc = check_rule(c, names.data, oids);
    if (rc == GW_ERR_USAGE)
        for (int i = 0; i < 2; i++)
            (void) drop_publication(c, pubs[i]);
    if (rc == GW_OK)
        *names_out = strbuf_take(&names);
    else
        strbuf_free(&names);
    strbuf_free(&lists[0]);
    strbuf_free(&lists[1]);
    free(usable);
    free(oids);
    free(pubs[0]);
    free(pubs[1]);
    return rc;
}
