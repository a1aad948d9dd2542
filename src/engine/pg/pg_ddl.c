/*
 * pg_ddl.c: DDL generation for PostgreSQL and CockroachDB (see pg_ddl.h).
 *
 * CockroachDB's dialect follows its documentation (SQL statements CREATE
 * TABLE, CREATE TYPE, CREATE SEQUENCE, CREATE INDEX and "Data types"):
 * no domains (columns take the domain's base type), no CYCLE sequences,
 * no index access method clause for plain indexes, JSON stored as JSONB,
 * and the primary key declared in CREATE TABLE, because adding one later
 * rewrites the table.  Nothing here has run against a live cluster.
 */
#include "engine/pg/pg_ddl.h"

#include <stdlib.h>
#include <string.h>

#include "engine/pg/pg_conn.h"
#include "engine/crdb/crdb_types.h"
#include "util/mem.h"
#include "util/strbuf.h"

char *
ddl_create_schema(const char *schema)
{
    char *q = pg_quote_ident(schema);
    char *sql = gw_asprintf("CREATE SCHEMA IF NOT EXISTS %s", q);
    free(q);
    return sql;
}

char *
ddl_create_database(const char *name, const SqlDialect *d, const DatabaseLocale *like)
{
    char *q = pg_quote_ident(name);
    if (d->crdb || !like) {
        char *sql = gw_asprintf("CREATE DATABASE %s", q);
        free(q);
        return sql;
    }
    char *enc = pg_quote_literal(like->encoding);
    char *collate = pg_quote_literal(like->collate);
    char *ctype = pg_quote_literal(like->ctype);
    char *icu = like->icu_locale ? pg_quote_literal(like->icu_locale) : NULL;
    char *sql = gw_asprintf("CREATE DATABASE %s TEMPLATE template0 ENCODING %s LC_COLLATE %s LC_CTYPE %s%s%s", q, enc,
                            collate, ctype, icu ? " LOCALE_PROVIDER icu ICU_LOCALE " : "", icu ? icu : "");
    free(icu);
    free(ctype);
    free(collate);
    free(enc);
    free(q);
    return sql;
}

/* docs "DROP DATABASE": CockroachDB drops a database that holds tables only with CASCADE. */
char *
ddl_drop_database(const char *name, const SqlDialect *d, bool force)
{
    char *q = pg_quote_ident(name);
    char *sql = gw_asprintf("DROP DATABASE IF EXISTS %s%s", q, d->crdb ? " CASCADE" : force ? " WITH (FORCE)" : "");
    free(q);
    return sql;
}

char *
ddl_create_enum(const TypeDef *t)
{
    StrBuf sb;
    strbuf_init(&sb);
    char *name = pg_qualified(t->schema, t->name);
    strbuf_appendf(&sb, "CREATE TYPE %s AS ENUM (", name);
    free(name);
    for (size_t i = 0; i < t->nlabels; i++) {
        char *lit = pg_quote_literal(t->labels[i]);
        strbuf_appendf(&sb, "%s%s", i ? ", " : "", lit);
        free(lit);
    }
    strbuf_append_char(&sb, ')');
    return strbuf_take(&sb);
}

char *
ddl_create_domain(const TypeDef *t)
{
    StrBuf sb;
    strbuf_init(&sb);
    char *name = pg_qualified(t->schema, t->name);
    strbuf_appendf(&sb, "CREATE DOMAIN %s AS %s", name, t->base_sql);
    free(name);
    if (t->default_sql)
        strbuf_appendf(&sb, " DEFAULT %s", t->default_sql);
    if (t->not_null)
        strbuf_append(&sb, " NOT NULL");
    for (size_t i = 0; i < t->nchecks; i++) {
        char *cn = pg_quote_ident(t->check_names[i]);
        strbuf_appendf(&sb, " CONSTRAINT %s %s", cn, t->checks[i]);
        free(cn);
    }
    return strbuf_take(&sb);
}

char *
ddl_create_sequence(const SequenceDef *s, const SqlDialect *d)
{
    char *name = pg_qualified(s->schema, s->name);
    char *sql;
    if (d->crdb)
        sql = gw_asprintf("CREATE SEQUENCE IF NOT EXISTS %s INCREMENT BY %lld MINVALUE %lld MAXVALUE %lld"
                          " START WITH %lld CACHE %lld",
                          name, (long long) s->increment, (long long) s->min, (long long) s->max,
                          (long long) s->start, (long long) s->cache);
    else
        sql = gw_asprintf("CREATE SEQUENCE IF NOT EXISTS %s AS %s INCREMENT BY %lld MINVALUE %lld MAXVALUE %lld"
                          " START WITH %lld CACHE %lld %sCYCLE",
                          name, s->type_sql, (long long) s->increment, (long long) s->min, (long long) s->max,
                          (long long) s->start, (long long) s->cache, s->cycle ? "" : "NO ");
    free(name);
    return sql;
}

char *
ddl_sequence_owned_by(const SequenceDef *s)
{
    if (!s->owner_table || s->identity)
        return NULL;
    char *name = pg_qualified(s->schema, s->name);
    char *owner = pg_qualified(s->owner_schema, s->owner_table);
    char *col = pg_quote_ident(s->owner_column);
    char *sql = gw_asprintf("ALTER SEQUENCE %s OWNED BY %s.%s", name, owner, col);
    free(name);
    free(owner);
    free(col);
    return sql;
}

/*
 * Moves a sequence to the source's value, never back: on PostgreSQL a phase
 * fetched or cut over after another must not hand out again the values the
 * application took on the target since (pg_sequences.last_value is at or
 * past the last one handed out; NULL when never called).  A descending
 * sequence moves down instead.  Identity sequences have a name the target
 * chose, so they are found through their column.  CockroachDB has
 * pg_sequence_last_value since v23.2.
 */
char *
ddl_sequence_setval(const SequenceDef *s)
{
    if (!s->has_value)
        return NULL;
    char *seq;
    if (s->identity) {
        char *owner = pg_qualified(s->owner_schema, s->owner_table);
        char *lit_owner = pg_quote_literal(owner);
        char *lit_col = pg_quote_literal(s->owner_column);
        seq = gw_asprintf("pg_catalog.pg_get_serial_sequence(%s, %s)", lit_owner, lit_col);
        free(owner);
        free(lit_owner);
        free(lit_col);
    } else {
        char *name = pg_qualified(s->schema, s->name);
        seq = pg_quote_literal(name);
        free(name);
    }
    char *sql = gw_asprintf("SELECT pg_catalog.setval(%s, %s(%lld, coalesce(pg_catalog.pg_sequence_last_value(%s::regclass),"
                            " %lld)), true)",
                            seq, s->increment < 0 ? "LEAST" : "GREATEST", (long long) s->last_value, seq,
                            (long long) s->last_value);
    free(seq);
    return sql;
}

char *
ddl_column_type(const Catalog *cat, const ColumnDef *col, const SqlDialect *d, const char **why)
{
    if (d->crdb)
        return crdb_column_type(cat, col, why);
    *why = NULL;
    return gw_strdup(col->type_sql);
}

static void
append_column(StrBuf *sb, const Catalog *cat, const ColumnDef *col, const SqlDialect *d)
{
    const char *why;
    char *name = pg_quote_ident(col->name);
    char *type = ddl_column_type(cat, col, d, &why);
    /* check_types() refused unstorable types before any DDL; keep the source's text. */
    strbuf_appendf(sb, "%s %s", name, type ? type : col->type_sql);
    free(name);
    free(type);
    if (col->collation_sql && !d->crdb)
        strbuf_appendf(sb, " COLLATE %s", col->collation_sql);
    if (col->generated_sql)
        strbuf_appendf(sb, " GENERATED ALWAYS AS (%s) STORED", col->generated_sql);
    else if (col->identity)
        /*
         * CockroachDB refuses a value written into an ALWAYS identity (428C9)
         * and has no OVERRIDING SYSTEM VALUE (docs: "CREATE TABLE", identity
         * columns): the copy and the apply write the source's values.
         */
        strbuf_appendf(sb, " GENERATED %s AS IDENTITY", col->identity == 'a' && !d->crdb ? "ALWAYS" : "BY DEFAULT");
    else if (col->default_sql)
        strbuf_appendf(sb, " DEFAULT %s", col->default_sql);
    if (col->not_null)
        strbuf_append(sb, " NOT NULL");
}

char *
ddl_create_table(const Catalog *cat, const TableDef *t, const SqlDialect *d, bool with_pk, bool inherit)
{
    StrBuf sb;
    strbuf_init(&sb);
    char *name = pg_qualified(t->schema, t->name);
    strbuf_appendf(&sb, "CREATE TABLE %s (", name);
    free(name);
    /* A child declares only what is its own: what it inherits comes with INHERITS, as on the source. */
    bool first = true;
    for (size_t i = 0; i < t->ncolumns; i++) {
        if (inherit && t->columns[i].inherited)
            continue;
        strbuf_append(&sb, first ? "\n    " : ",\n    ");
        append_column(&sb, cat, &t->columns[i], d);
        first = false;
    }
    for (size_t i = 0; i < t->nconstraints; i++) {
        const ConstraintDef *k = &t->constraints[i];
        if ((inherit && k->inherited) || (k->source_limit && d->crdb))
            continue;
        if (k->kind == CONSTRAINT_CHECK || (with_pk && k->kind == CONSTRAINT_PRIMARY)) {
            char *kn = pg_quote_ident(k->name);
            strbuf_appendf(&sb, "%sCONSTRAINT %s %s", first ? "\n    " : ",\n    ", kn, k->definition);
            free(kn);
            first = false;
        }
    }
    strbuf_append(&sb, first ? ")" : "\n)");
    /* Inherited columns and checks are merged with the ones listed, which the source's table has too. */
    for (size_t i = 0; inherit && i < t->ninherits; i++)
        strbuf_appendf(&sb, "%s%s", i ? ", " : " INHERITS (", t->inherits[i]);
    if (inherit && t->ninherits)
        strbuf_append_char(&sb, ')');
    /* CockroachDB's PARTITION BY places rows, not tables: its table is one table. */
    if (t->partition_key_sql && !d->crdb)
        strbuf_appendf(&sb, " PARTITION BY %s", t->partition_key_sql);
    return strbuf_take(&sb);
}

char *
ddl_replica_identity(const TableDef *t, const SqlDialect *d)
{
    if (d->crdb || (t->replica_identity != REPLICA_IDENTITY_FULL && t->replica_identity != REPLICA_IDENTITY_NOTHING))
        return NULL;
    char *name = pg_qualified(t->schema, t->name);
    char *sql = gw_asprintf("ALTER TABLE ONLY %s REPLICA IDENTITY %s", name,
                            t->replica_identity == REPLICA_IDENTITY_FULL ? "FULL" : "NOTHING");
    free(name);
    return sql;
}

char *
ddl_inherited_column(const TableDef *t, const ColumnDef *col)
{
    if (!col->default_sql && !col->not_null)
        return NULL;
    StrBuf sb;
    strbuf_init(&sb);
    char *name = pg_qualified(t->schema, t->name), *cn = pg_quote_ident(col->name);
    strbuf_appendf(&sb, "ALTER TABLE ONLY %s", name);
    if (col->default_sql)
        strbuf_appendf(&sb, " ALTER COLUMN %s SET DEFAULT %s", cn, col->default_sql);
    if (col->not_null)
        strbuf_appendf(&sb, "%s ALTER COLUMN %s SET NOT NULL", col->default_sql ? "," : "", cn);
    free(name);
    free(cn);
    return strbuf_take(&sb);
}

char *
ddl_create_partition(const PartitionDef *p)
{
    char *name = pg_qualified(p->schema, p->name), *parent = pg_qualified(p->parent_schema, p->parent_name);
    char *sql = gw_asprintf("CREATE TABLE IF NOT EXISTS %s PARTITION OF %s %s%s%s", name, parent, p->bound_sql,
                            p->key_sql ? " PARTITION BY " : "", p->key_sql ? p->key_sql : "");
    free(name);
    free(parent);
    return sql;
}

char *
ddl_add_constraint(const TableDef *t, const ConstraintDef *k, const SqlDialect *d)
{
    char *name = pg_qualified(t->schema, t->name);
    char *kn = pg_quote_ident(k->name);
    char *def = d->crdb ? crdb_immediate_definition(k->definition) : gw_strdup(k->definition);
    char *sql = gw_asprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", name, kn, def);
    free(def);
    free(name);
    free(kn);
    return sql;
}

/*
 * pg_get_indexdef() gives "CREATE [UNIQUE] INDEX name ON ...": add IF NOT
 * EXISTS so that a resumed fetch can run the statement again.  A
 * partitioned table's index reads "ON ONLY s.t", which would make it on the
 * table alone, invalid until each partition's is attached: made without
 * ONLY, it is made on every partition too.
 */
char *
ddl_create_index(const IndexDef *ix, const SqlDialect *d)
{
    const char *def = ix->definition;
    const char *kw = strstr(def, "INDEX ");
    if (!kw)
        return gw_strdup(def);
    size_t head = (size_t) (kw - def) + 6;
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append_n(&sb, def, head);
    strbuf_append(&sb, "IF NOT EXISTS ");
    const char *rest = def + head;
    const char *on_only = strstr(rest, " ON ONLY ");
    if (on_only) {
        strbuf_append_n(&sb, rest, (size_t) (on_only - rest));
        strbuf_append(&sb, " ON ");
        rest = on_only + 9;
    }
    const char *using_btree = d->crdb ? strstr(rest, " USING btree ") : NULL;
    if (using_btree) {
        strbuf_append_n(&sb, rest, (size_t) (using_btree - rest));
        strbuf_append(&sb, using_btree + 12);
    } else {
        strbuf_append(&sb, rest);
    }
    return strbuf_take(&sb);
}

char *
ddl_copy_columns(const TableDef *t)
{
    StrBuf sb;
    strbuf_init(&sb);
    bool first = true;
    for (size_t i = 0; i < t->ncolumns; i++) {
        if (t->columns[i].generated_sql)
            continue;
        char *q = pg_quote_ident(t->columns[i].name);
        strbuf_appendf(&sb, "%s%s", first ? "" : ", ", q);
        free(q);
        first = false;
    }
    return strbuf_take(&sb);
}

/* (k1, k2) or k1: the primary key as a row for comparisons. */
static void
append_key_names(StrBuf *sb, const TableDef *t)
{
    for (size_t i = 0; i < t->npk; i++) {
        char *q = pg_quote_ident(t->columns[t->pk[i]].name);
        strbuf_appendf(sb, "%s%s", i ? ", " : "", q);
        free(q);
    }
}

static void
append_key_row(StrBuf *sb, const TableDef *t)
{
    if (t->npk > 1)
        strbuf_append_char(sb, '(');
    append_key_names(sb, t);
    if (t->npk > 1)
        strbuf_append_char(sb, ')');
}

/*
 * Literals stay untyped: each is resolved against its key column's type by
 * the server, which works in both dialects without naming types.
 */
static void
append_key_values(StrBuf *sb, const TableDef *t, char *const *values)
{
    if (t->npk > 1)
        strbuf_append_char(sb, '(');
    for (size_t i = 0; i < t->npk; i++) {
        char *lit = pg_quote_literal(values[i]);
        strbuf_appendf(sb, "%s%s", i ? ", " : "", lit);
        free(lit);
    }
    if (t->npk > 1)
        strbuf_append_char(sb, ')');
}

/* ctid >= '(N,0)': from block N's first row on (N a block number, checked). */
static void
append_block_bound(StrBuf *sb, const char *op, const char *block)
{
    char *end = NULL;
    unsigned long long n = strtoull(block, &end, 10);
    if (!*block || *end || block[0] == '-')
        n = 0;  /* never written so: the range's own split made it */
    strbuf_appendf(sb, "ctid %s '(%llu,0)'::pg_catalog.tid", op, n);
}

/* A keyless table's range: blocks (KeyRange, EngineOps.splits_keyless). */
static char *
block_range(const KeyRange *r)
{
    StrBuf sb;
    strbuf_init(&sb);
    if (r->lower)
        append_block_bound(&sb, ">=", r->lower[0]);
    if (r->lower && r->upper)
        strbuf_append(&sb, " AND ");
    if (r->upper)
        append_block_bound(&sb, "<", r->upper[0]);
    return strbuf_take(&sb);
}

char *
ddl_key_range(const TableDef *t, const KeyRange *r)
{
    if (!r || (!r->lower && !r->upper))
        return NULL;
    if (t->npk == 0)
        return block_range(r);
    StrBuf sb;
    strbuf_init(&sb);
    if (r->lower) {
        append_key_row(&sb, t);
        strbuf_append(&sb, " >= ");
        append_key_values(&sb, t, r->lower);
    }
    if (r->upper) {
        if (r->lower)
            strbuf_append(&sb, " AND ");
        append_key_row(&sb, t);
        strbuf_append(&sb, " < ");
        append_key_values(&sb, t, r->upper);
    }
    return strbuf_take(&sb);
}

char *
ddl_key_after(const TableDef *t, char *const *values)
{
    StrBuf sb;
    strbuf_init(&sb);
    append_key_row(&sb, t);
    strbuf_append(&sb, " > ");
    append_key_values(&sb, t, values);
    return strbuf_take(&sb);
}

char *
ddl_key_in(const TableDef *t, char **const *keys, size_t nkeys)
{
    StrBuf sb;
    strbuf_init(&sb);
    append_key_row(&sb, t);
    strbuf_append(&sb, " IN (");
    for (size_t i = 0; i < nkeys; i++) {
        if (i)
            strbuf_append(&sb, ", ");
        append_key_values(&sb, t, keys[i]);
    }
    strbuf_append_char(&sb, ')');
    return strbuf_take(&sb);
}

char *
ddl_key_order(const TableDef *t)
{
    StrBuf sb;
    strbuf_init(&sb);
    append_key_names(&sb, t);
    return strbuf_take(&sb);
}
