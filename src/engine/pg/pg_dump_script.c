/*
 * pg_dump_script.c: SourceOps.schema_script for PostgreSQL: every object of
 * the fetched tables' schemas, as pg_dump writes it, in pg_dump's order.
 *
 * pg_dump is the field's well-kept writer of PostgreSQL DDL: it knows every
 * object kind of every server version it supports, and orders them by
 * their dependencies.  It is run once, schema only, on the fetched tables'
 * schemas with the tables godwit does not fetch there excluded; its plain
 * output is cut into its entries ("-- Name: ...; Type: ...; Schema: ..."),
 * and the ones godwit makes itself from its catalog (tables, their
 * partitions, keys, indexes, constraints, sequences, defaults) are left to
 * it, because those follow its phases, resumes and drop-creates.  Each
 * other entry gets its stage: relations (views, sequences) and defaults come
 * after the tables, triggers, rules, policies and statistics once the rows
 * are in, and everything else (types, collations, functions, ...) before
 * the tables, which may need it; the target tries again after the tables
 * one that turns out to need a table (a function returning its rows).  A pg_dump older than the source's server is refused: it cannot read
 * that server's catalogs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/phase_names.h"
#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_describe.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"
#include "util/subprocess.h"

/*
 * The relations of the fetched tables' schemas that are neither fetched nor
 * a partition of a fetched table, and the sequences they own: another
 * phase's, or none.
 */
static const char *const sql_not_fetched =
    "WITH other AS (SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    "  WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'f') AND c.oid <> ALL($2::oid[])"
    "  AND NOT (c.relispartition AND pg_catalog.pg_partition_root(c.oid) = ANY($2::oid[])))"
    " SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.oid IN (SELECT oid FROM other)"
    "  OR c.oid IN (SELECT d.objid FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass"
    "   AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i')"
    "   AND d.refobjid IN (SELECT oid FROM other))"
    " ORDER BY 1, 2";

/*
 * Every extension but plpgsql, and what of the fetch needs it: the objects
 * (columns, indexes, views, functions, ...) that depend on one of its
 * members and belong to a fetched table ($2, or a partition of one) or, for
 * the others, to a fetched table's schema ($1).
 */
static const char *const sql_extensions =
    "WITH member AS (SELECT d.classid, d.objid, d.refobjid AS ext FROM pg_catalog.pg_depend d"
    "  WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e'),"
    " dep AS (SELECT DISTINCT m.ext, d.classid, d.objid, d.objsubid,"
    "  CASE d.classid"
    "   WHEN 'pg_catalog.pg_class'::regclass THEN COALESCE((SELECT i.indrelid FROM pg_catalog.pg_index i"
    "     WHERE i.indexrelid = d.objid), d.objid)"
    "   WHEN 'pg_catalog.pg_rewrite'::regclass THEN (SELECT r.ev_class FROM pg_catalog.pg_rewrite r WHERE r.oid = d.objid)"
    "   WHEN 'pg_catalog.pg_trigger'::regclass THEN (SELECT g.tgrelid FROM pg_catalog.pg_trigger g WHERE g.oid = d.objid)"
    "   WHEN 'pg_catalog.pg_constraint'::regclass THEN (SELECT NULLIF(k.conrelid, 0) FROM pg_catalog.pg_constraint k"
    "     WHERE k.oid = d.objid)"
    "   WHEN 'pg_catalog.pg_attrdef'::regclass THEN (SELECT a.adrelid FROM pg_catalog.pg_attrdef a WHERE a.oid = d.objid)"
    "  END AS rel"
    "  FROM pg_catalog.pg_depend d JOIN member m ON m.classid = d.refclassid AND m.objid = d.refobjid"
    "  WHERE d.deptype = 'n' AND NOT EXISTS (SELECT 1 FROM member m2 WHERE m2.classid = d.classid AND m2.objid = d.objid)),"
    " needs AS (SELECT dep.ext, CASE WHEN dep.classid = 'pg_catalog.pg_rewrite'::regclass"
    "   THEN (SELECT CASE c.relkind WHEN 'm' THEN 'materialized view ' ELSE 'view ' END FROM pg_catalog.pg_class c"
    "     WHERE c.oid = dep.rel) || dep.rel::regclass::text"
    "   ELSE o.type || ' ' || o.identity END AS what"
    "  FROM dep CROSS JOIN LATERAL pg_catalog.pg_identify_object(dep.classid, dep.objid, dep.objsubid) o"
    "  LEFT JOIN pg_catalog.pg_class r ON r.oid = dep.rel"
    "  LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace"
    "  WHERE CASE WHEN r.relkind IN ('r', 'p', 'f')"
    "   THEN r.oid = ANY($2::oid[]) OR (r.relispartition AND pg_catalog.pg_partition_root(r.oid) = ANY($2::oid[]))"
    "   WHEN r.oid IS NOT NULL THEN rn.nspname = ANY($1::text[])"
    "   ELSE o.schema = ANY($1::text[]) END)"
    " SELECT x.extname, n.nspname, (SELECT string_agg(DISTINCT needs.what, ', ') FROM needs WHERE needs.ext = x.oid)"
    " FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace"
    " WHERE x.extname <> 'plpgsql' ORDER BY 1";

/* pg_dump's entry kinds that belong after the data (its post-data section). */
static const char *const post_data_kinds[] = {
    "TRIGGER", "RULE", "POLICY", "ROW SECURITY", "STATISTICS", "EVENT TRIGGER", "INDEX", "INDEX ATTACH",
    "CONSTRAINT", "FK CONSTRAINT", "MATERIALIZED VIEW DATA", NULL,
};

/* Kinds made after the tables: relations, what is said of their columns, and grants (--privileges). */
static const char *const after_tables_kinds[] = {
    "TABLE", "VIEW", "MATERIALIZED VIEW", "SEQUENCE", "SEQUENCE OWNED BY", "FOREIGN TABLE", "DEFAULT",
    "TABLE ATTACH", "CHECK CONSTRAINT", "ACL", "DEFAULT ACL", NULL,
};

static bool
kind_in(const char *kind, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (!strcmp(kind, list[i]))
            return true;
    return false;
}

/* The major version of a pg_dump, from "pg_dump (PostgreSQL) 15.18 (Debian ...)"; 0 when it does not run. */
static int
program_major(const char *path)
{
    const char *argv[] = {path, "--version", NULL};
    ProgramRun run;
    int major = 0;
    if (program_run(argv, NULL, NULL, &run) && run.status == 0) {
        const char *v = strstr(run.out, ") ");
        major = v ? atoi(v + 2) : 0;
    }
    program_run_free(&run);
    return major;
}

/*
 * The pg_dump to use for a server of this major version: GODWIT_PG_DUMP, or
 * Debian's for that version, or the one in PATH; it must be at least as
 * new as the server.
 */
static GwResult
find_pg_dump(PgConn *c, char **path)
{
    int server = c->server_version / 10000;
    const char *forced = getenv("GODWIT_PG_DUMP");
    char *debian = gw_asprintf("/usr/lib/postgresql/%d/bin/pg_dump", server);
    const char *candidates[] = {forced && *forced ? forced : NULL, debian, "pg_dump"};
    int best = 0;
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++) {
        if (!candidates[i])
            continue;
        int major = program_major(candidates[i]);
        if (major >= server) {
            *path = gw_strdup(candidates[i]);
            free(debian);
            return GW_OK;
        }
        if (major > best)
            best = major;
        if (forced && i == 0)
            break;
    }
    free(debian);
    if (best)
        log_error("source %s: its server is PostgreSQL %d and the newest pg_dump found is %d, which cannot read it:"
                  " install pg_dump %d or newer (postgresql-client-%d; GODWIT_PG_DUMP names one), or fetch with"
                  " --objects none", c->base.endpoint->redacted, server, best, server, server);
    else
        log_error("source %s: no pg_dump found to write the schema's objects: install pg_dump %d or newer"
                  " (postgresql-client-%d; GODWIT_PG_DUMP names one), or fetch with --objects none",
                  c->base.endpoint->redacted, server, server);
    return GW_ERR_USAGE;
}

/* A psql pattern that matches exactly one name: "..." with quotes doubled. */
static char *
exact_pattern(const char *name)
{
    return pg_quote_ident(name);
}

static void
add_arg(char ***argv, size_t *n, char *arg)
{
    *argv = gw_realloc(*argv, (*n + 2) * sizeof **argv);
    (*argv)[(*n)++] = arg;
    (*argv)[*n] = NULL;
}

/* pg_dump's arguments: the schemas of cat's tables, less the relations there that are not fetched. */
static GwResult
dump_arguments(PgConn *c, const Catalog *cat, bool privileges, const char *pg_dump, char ***argv, size_t *argc)
{
    add_arg(argv, argc, gw_strdup(pg_dump));
    const char *fixed[] = {"--schema-only", "--no-publications", "--no-subscriptions", "--no-security-labels",
                           "--no-tablespaces", NULL};
    for (size_t i = 0; fixed[i]; i++)
        add_arg(argv, argc, gw_strdup(fixed[i]));
    if (!privileges) {
        add_arg(argv, argc, gw_strdup("--no-owner"));
        add_arg(argv, argc, gw_strdup("--no-privileges"));
    }
    for (size_t i = 0; i < cat->ntables; i++)
        if (catalog_first_of_schema(cat, i)) {
            add_arg(argv, argc, gw_strdup("-n"));
            add_arg(argv, argc, exact_pattern(cat->tables[i].schema));
        }
    PGresult *res;
    GwResult rc = pg_query_by_catalog(c, sql_not_fetched, cat, 2, &res);
    if (rc)
        return rc;
    for (int r = 0; r < PQntuples(res); r++) {
        char *s = exact_pattern(PQgetvalue(res, r, 0)), *t = exact_pattern(PQgetvalue(res, r, 1));
        add_arg(argv, argc, gw_strdup("-T"));
        add_arg(argv, argc, gw_asprintf("%s.%s", s, t));
        free(s);
        free(t);
    }
    PQclear(res);
    return GW_OK;
}

/*
 * The connection's own parameters, as the environment variables libpq
 * reads (PGHOST, PGPASSWORD, ...): the child connects exactly as godwit
 * did, and no password is ever on a command line.
 */
static char **
connection_environment(PgConn *c, const char ***unset)
{
    PQconninfoOption *opts = PQconninfo(c->pg);
    size_t n = 0, k = 0, u = 0;
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        n++;
    char **set = gw_calloc(n + 2, sizeof *set);
    *unset = gw_calloc(n + 2, sizeof **unset);
    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        if (!o->envvar)
            continue;
        /* The names stay valid after PQconninfoFree: they point into libpq's own table. */
        (*unset)[u++] = o->envvar;
        if (o->val && *o->val)
            set[k++] = gw_asprintf("%s=%s", o->envvar, o->val);
    }
    set[k] = gw_asprintf("PGAPPNAME=%s", c->base.endpoint->app_name ? c->base.endpoint->app_name : "godwit");
    PQconninfoFree(opts);
    return set;
}

static GwResult
run_pg_dump(PgConn *c, const Catalog *cat, bool privileges, char **dump)
{
    char *pg_dump;
    GwResult rc = find_pg_dump(c, &pg_dump);
    if (rc)
        return rc;
    char **argv = NULL;
    size_t argc = 0;
    rc = dump_arguments(c, cat, privileges, pg_dump, &argv, &argc);
    const char **unset = NULL;
    char **set = rc == GW_OK ? connection_environment(c, &unset) : NULL;
    ProgramRun run = {0};
    if (rc == GW_OK && (!program_run((const char *const *) argv, unset, (const char *const *) set, &run) ||
                        run.status != 0)) {
        char *first = gw_strndup(run.err ? run.err : "", strcspn(run.err ? run.err : "", "\n"));
        log_error("source %s: %s failed (exit %d): %s", c->base.endpoint->redacted, pg_dump, run.status, first);
        free(first);
        rc = GW_ERR_SOURCE;
    }
    if (rc == GW_OK)
        *dump = gw_strdup(run.out);
    program_run_free(&run);
    for (size_t i = 0; set && set[i]; i++)
        free(set[i]);
    free(set);
    free(unset);
    for (size_t i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
    free(pg_dump);
    return rc;
}

/* ---------------------------------------------------------------- cutting the dump into entries */

/* One entry of pg_dump's plain output: its header's fields and its SQL. */
typedef struct DumpEntry {
    char *name;             /* pg_dump's tag: film, film_stamp(), film film_pkey */
    char *kind;             /* pg_dump's type: TABLE, FUNCTION, FK CONSTRAINT */
    char *schema;           /* NULL for "-" */
    char *sql;
} DumpEntry;

/* The value of "Field: value" up to the next "; " or the end of the line. */
static char *
header_field(const char *line, const char *field)
{
    const char *p = strstr(line, field);
    if (!p)
        return NULL;
    p += strlen(field);
    size_t n = strcspn(p, "\n");
    const char *semi = strstr(p, "; ");
    if (semi && (size_t) (semi - p) < n)
        n = (size_t) (semi - p);
    return gw_strndup(p, n);
}

/*
 * Removes the lines a recent pg_dump brackets its output with (psql's
 * \restrict and \unrestrict of one random key): psql meta-commands, not SQL.
 */
static void
drop_meta_lines(char *text)
{
    char *r = text, *w = text;
    while (*r) {
        size_t n = strcspn(r, "\n");
        bool meta = !strncmp(r, "\\restrict ", 10) || !strncmp(r, "\\unrestrict ", 12);
        if (!meta) {
            memmove(w, r, n);
            w += n;
            if (r[n] == '\n')
                *w++ = '\n';
        }
        r += n + (r[n] == '\n');
    }
    *w = '\0';
}

/*
 * Cuts the dump at each "--\n-- Name: ...\n--\n" header.  What precedes the
 * first one is the session's settings (SET lines); what follows the last
 * entry's SQL ("-- PostgreSQL database dump complete") is dropped.
 */
static void
cut_entries(char *dump, char **settings, DumpEntry **out, size_t *n)
{
    drop_meta_lines(dump);
    const char *mark = "\n--\n-- Name: ";
    char *end = strstr(dump, "\n--\n-- PostgreSQL database dump complete");
    if (end)
        end[1] = '\0';
    char *p = strstr(dump, mark);
    StrBuf set;
    strbuf_init(&set);
    for (char *line = dump; line && line < (p ? p : dump + strlen(dump));) {
        size_t len = strcspn(line, "\n");
        if (!strncmp(line, "SET ", 4) || !strncmp(line, "SELECT pg_catalog.set_config", 28))
            strbuf_appendf(&set, "%.*s\n", (int) len, line);
        line = line[len] ? line + len + 1 : NULL;
    }
    *settings = strbuf_take(&set);
    *out = NULL;
    *n = 0;
    while (p) {
        char *header = p + 4;   /* "-- Name: ..." */
        char *body = strstr(header, "\n--\n");
        if (!body)
            break;
        body += 4;
        char *next = strstr(body, mark);
        *out = gw_realloc(*out, (*n + 1) * sizeof **out);
        DumpEntry *e = &(*out)[(*n)++];
        e->name = header_field(header, "-- Name: ");
        e->kind = header_field(header, "; Type: ");
        char *schema = header_field(header, "; Schema: ");
        e->schema = schema && strcmp(schema, "-") != 0 ? schema : NULL;
        if (e->schema != schema)
            free(schema);
        size_t len = next ? (size_t) (next - body) : strlen(body);
        while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == ' '))
            len--;
        size_t lead = strspn(body, "\n");
        e->sql = gw_strndup(body + lead, len > lead ? len - lead : 0);
        p = next;
    }
}

static void
dump_entries_free(DumpEntry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(e[i].name);
        free(e[i].kind);
        free(e[i].schema);
        free(e[i].sql);
    }
    free(e);
}

/* ---------------------------------------------------------------- what godwit makes itself */

/* Whether schema.name is one of cat's tables or a partition of one. */
static bool
fetched_relation(const Catalog *cat, const char *schema, const char *name)
{
    if (catalog_find_table(cat, schema, name))
        return true;
    for (size_t i = 0; i < cat->ntables; i++)
        for (size_t j = 0; j < cat->tables[i].npartitions; j++) {
            const PartitionDef *p = &cat->tables[i].partitions[j];
            if (!strcmp(p->schema, schema) && !strcmp(p->name, name))
                return true;
        }
    return false;
}

/* The names of the indexes INDEX ATTACH entries attach to a parent's: made with the parent's index. */
static bool
attached_index(const DumpEntry *all, size_t n, const char *schema, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(all[i].kind, "INDEX ATTACH") && all[i].schema && !strcmp(all[i].schema, schema) &&
            !strcmp(all[i].name, name))
            return true;
    return false;
}

/*
 * Whether a "table thing" tag ("film film_pkey", "payment notes amount")
 * belongs to a fetched table, or to a partition of one as a key its table
 * gave it (its index attached to the table's: INDEX ATTACH), which godwit
 * makes.  The longest name of a fetched table or partition that, with a
 * space, starts the tag says whose it is.  A partition's own constraints
 * and defaults are not its table's, and godwit does not make them.
 */
static bool
tag_of_fetched(const Catalog *cat, const DumpEntry *all, size_t nall, const char *schema, const char *tag)
{
    size_t best = 0;
    bool table = false;
    for (size_t i = 0; i < cat->ntables; i++) {
        const TableDef *t = &cat->tables[i];
        size_t n = strlen(t->name);
        if (!strcmp(t->schema, schema) && !strncmp(tag, t->name, n) && tag[n] == ' ' && n > best) {
            best = n;
            table = true;
        }
        for (size_t j = 0; j < t->npartitions; j++) {
            const PartitionDef *p = &t->partitions[j];
            n = strlen(p->name);
            if (!strcmp(p->schema, schema) && !strncmp(tag, p->name, n) && tag[n] == ' ' && n > best) {
                best = n;
                table = false;
            }
        }
    }
    return table || (best > 0 && attached_index(all, nall, schema, tag + best + 1));
}

static bool
catalog_index(const Catalog *cat, const char *schema, const char *name)
{
    for (size_t i = 0; i < cat->ntables; i++) {
        const TableDef *t = &cat->tables[i];
        for (size_t j = 0; j < t->nindexes; j++)
            if (!strcmp(t->schema, schema) && !strcmp(t->indexes[j].name, name))
                return true;
    }
    return false;
}

/* Whether godwit makes entry e itself, from its catalog. */
static bool
made_by_godwit(const Catalog *cat, const DumpEntry *all, size_t n, const DumpEntry *e)
{
    const char *k = e->kind, *s = e->schema ? e->schema : "";
    if (!strcmp(k, "TABLE") || !strcmp(k, "FOREIGN TABLE") || !strcmp(k, "TABLE ATTACH"))
        return fetched_relation(cat, s, e->name);
    if (!strcmp(k, "CONSTRAINT") || !strcmp(k, "FK CONSTRAINT") ||
        !strcmp(k, "CHECK CONSTRAINT") || !strcmp(k, "DEFAULT"))
        return tag_of_fetched(cat, all, n, s, e->name);
    if (!strcmp(k, "INDEX"))
        return catalog_index(cat, s, e->name) || attached_index(all, n, s, e->name);
    if (!strcmp(k, "INDEX ATTACH"))
        return true;
    /* Another phase's fence on a table phases share: godwit's own, never the application's. */
    if (!strcmp(k, "TRIGGER"))
        return strstr(e->name, " " PHASE_NAMES_FENCE_PREFIX) != NULL;
    if (!strcmp(k, "SEQUENCE") || !strcmp(k, "SEQUENCE OWNED BY"))
        return catalog_find_sequence(cat, s, e->name) != NULL;
    return false;
}

/* ---------------------------------------------------------------- the script */

static char *
lower_kind(const char *kind)
{
    char *k = gw_strdup(kind);
    for (char *p = k; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char) (*p - 'A' + 'a');
    return k;
}

/*
 * An entry's SQL without its "ALTER ... OWNER TO role;" lines (*rest), and
 * those lines (*owner, NULL when none): an owner the target lacks must not
 * undo the object, and the owner of a table godwit makes is said apart.
 */
static void
split_owner(const char *sql, char **rest, char **owner)
{
    StrBuf r, o;
    strbuf_init(&r);
    strbuf_init(&o);
    for (const char *line = sql; *line;) {
        size_t len = strcspn(line, "\n");
        bool is_owner = !strncmp(line, "ALTER ", 6) && len > 1 && line[len - 1] == ';' &&
                        memmem(line, len, " OWNER TO ", 10) != NULL;
        StrBuf *to = is_owner ? &o : &r;
        strbuf_append_n(to, line, len);
        strbuf_append_char(to, '\n');
        line += len + (line[len] == '\n');
    }
    *rest = strbuf_take(&r);
    *owner = o.len ? strbuf_take(&o) : NULL;
    if (!*owner)
        strbuf_free(&o);
}

static void
add_entries(const Catalog *cat, const DumpEntry *all, size_t n, SchemaScript *out)
{
    ScriptStage last = SCRIPT_BEFORE_TABLES;
    for (size_t i = 0; i < n; i++) {
        const DumpEntry *e = &all[i];
        /* A comment is said of the entry before it. */
        ScriptStage stage = kind_in(e->kind, post_data_kinds)      ? SCRIPT_AFTER_DATA
                            : !strcmp(e->kind, "COMMENT")          ? last
                            : kind_in(e->kind, after_tables_kinds) ? SCRIPT_AFTER_TABLES
                                                                   : SCRIPT_BEFORE_TABLES;
        last = stage;
        char *rest, *owner;
        split_owner(e->sql, &rest, &owner);
        char *kind = lower_kind(e->kind);
        char *name = e->schema ? gw_asprintf("%s.%s", e->schema, e->name) : gw_strdup(e->name);
        if (!made_by_godwit(cat, all, n, e)) {
            ScriptEntry *se = schema_script_add(out, kind, name, rest, stage);
            if (!strcmp(e->kind, "MATERIALIZED VIEW") && e->schema) {
                char *q = pg_qualified(e->schema, e->name);
                se->refresh_sql = gw_asprintf("REFRESH MATERIALIZED VIEW %s", q);
                free(q);
            }
        }
        /* A sequence a column owns has its table's owner: said by the table's line. */
        const SequenceDef *seq = !strcmp(e->kind, "SEQUENCE") && e->schema
                                     ? catalog_find_sequence(cat, e->schema, e->name) : NULL;
        if (owner && seq && seq->owner_table) {
            free(owner);
            owner = NULL;
        }
        if (owner) {
            char *what = gw_asprintf("%s %s", kind, name);
            (void) schema_script_add(out, "owner", what, owner, stage == SCRIPT_BEFORE_TABLES ? stage
                                                                                                : SCRIPT_AFTER_TABLES);
            free(what);
        }
        free(kind);
        free(name);
        free(rest);
        free(owner);
    }
}

/* Column defaults describe kept aside because they call functions: made once the functions are. */
static void
add_deferred_defaults(PgConn *c, const Catalog *cat, SchemaScript *out)
{
    for (size_t i = 0; i < cat->ntables; i++) {
        const TableDef *t = &cat->tables[i];
        for (size_t j = 0; j < t->ncolumns; j++) {
            const ColumnDef *col = &t->columns[j];
            if (!col->deferred_default_sql)
                continue;
            char *table = pg_table_ref(c, t), *q = pg_quote_ident(col->name);
            char *sql = gw_asprintf("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s;", table, q,
                                    col->deferred_default_sql);
            char *name = gw_asprintf("%s.%s %s", t->schema, t->name, col->name);
            (void) schema_script_add(out, "default", name, sql, SCRIPT_AFTER_TABLES);
            free(name);
            free(sql);
            free(q);
            free(table);
        }
    }
}

/*
 * A partition's own CHECK constraints (not its table's): pg_dump writes them
 * inside the partition's CREATE TABLE, which godwit makes from its catalog.
 * $2: the fetched tables' oids ($1, their schemas, is named only so that
 * the server knows its type).
 */
static const char *const sql_partition_checks =
    "SELECT n.nspname, c.relname, k.conname, pg_catalog.pg_get_constraintdef(k.oid)"
    " FROM unnest($2::oid[]) AS r(oid) CROSS JOIN LATERAL pg_catalog.pg_partition_tree(r.oid) pt"
    " JOIN pg_catalog.pg_class c ON c.oid = pt.relid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_catalog.pg_constraint k ON k.conrelid = c.oid AND k.contype = 'c' AND k.conislocal"
    " WHERE pt.level > 0 AND k.coninhcount = 0 AND $1::text[] IS NOT NULL"
    " ORDER BY 1, 2, 3";

static GwResult
add_partition_checks(PgConn *c, const Catalog *cat, SchemaScript *out)
{
    PGresult *res;
    GwResult rc = pg_query_by_catalog(c, sql_partition_checks, cat, 4, &res);
    if (rc)
        return rc;
    for (int r = 0; r < PQntuples(res); r++) {
        char *table = pg_qualified(PQgetvalue(res, r, 0), PQgetvalue(res, r, 1));
        char *k = pg_quote_ident(PQgetvalue(res, r, 2));
        char *sql = gw_asprintf("ALTER TABLE ONLY %s ADD CONSTRAINT %s %s;", table, k, PQgetvalue(res, r, 3));
        char *name = gw_asprintf("%s.%s %s", PQgetvalue(res, r, 0), PQgetvalue(res, r, 1), PQgetvalue(res, r, 2));
        (void) schema_script_add(out, "check constraint", name, sql, SCRIPT_AFTER_DATA);
        free(name);
        free(sql);
        free(k);
        free(table);
    }
    PQclear(res);
    return GW_OK;
}

/* Every extension of the source's database, first: pg_dump -n leaves them out. */
static GwResult
add_extensions(PgConn *c, const Catalog *cat, SchemaScript *out)
{
    PGresult *res;
    GwResult rc = pg_query_by_catalog(c, sql_extensions, cat, 3, &res);
    if (rc)
        return rc;
    for (int r = 0; r < PQntuples(res); r++) {
        char *x = pg_quote_ident(PQgetvalue(res, r, 0)), *s = pg_quote_ident(PQgetvalue(res, r, 1));
        char *sql = gw_asprintf("CREATE SCHEMA IF NOT EXISTS %s; CREATE EXTENSION IF NOT EXISTS %s WITH SCHEMA %s;",
                                s, x, s);
        ScriptEntry *e = schema_script_add(out, "extension", PQgetvalue(res, r, 0), sql, SCRIPT_BEFORE_TABLES);
        e->needed_by = PQgetisnull(res, r, 2) ? NULL : gw_strdup(PQgetvalue(res, r, 2));
        free(sql);
        free(x);
        free(s);
    }
    PQclear(res);
    return GW_OK;
}

GwResult
pg_schema_script(EngineConn *conn, const Catalog *cat, bool privileges, SchemaScript *out)
{
    PgConn *c = PG(conn);
    char *dump = NULL;
    GwResult rc = run_pg_dump(c, cat, privileges, &dump);
    if (rc == GW_OK)
        rc = add_extensions(c, cat, out);
    if (rc)
        return rc;
    DumpEntry *entries;
    size_t n;
    cut_entries(dump, &out->settings, &entries, &n);
    add_entries(cat, entries, n, out);
    add_deferred_defaults(c, cat, out);
    rc = add_partition_checks(c, cat, out);
    dump_entries_free(entries, n);
    free(dump);
    return rc;
}
