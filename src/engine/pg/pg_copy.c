/*
 * pg_copy.c: bulk copy: key-range splitting of large tables, COPY TO STDOUT
 * on the source and COPY FROM STDIN on the target.
 *
 * Rows stream chunk by chunk from one connection to the other: nothing is
 * buffered beyond the chunk in hand, so memory stays flat whatever the size
 * of a table.  A shard's rows and its "done" mark commit in one target
 * transaction, so an interrupted shard leaves nothing behind to clean up.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_ddl.h"
#include "engine/pg/pg_describe.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

/*
 * Sample wanted per shard: rows, and pages, because TABLESAMPLE SYSTEM draws
 * whole pages and rows on one page are neighbours in key order more often
 * than not.  More gives evener shards.
 */
#define SPLIT_SAMPLE_ROWS_PER_SHARD 200
#define SPLIT_SAMPLE_PAGES_PER_SHARD 64
#define PG_PAGE_BYTES 8192

/*
 * The key columns qualified by the sample's alias, optionally cast to text.
 * The qualification matters: an unqualified ORDER BY "id" would name the
 * output column "id"::text and sort the keys as text, making shards overlap.
 */
static char *
key_columns_sql(const TableDef *t, bool as_text)
{
    StrBuf sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < t->npk; i++) {
        char *q = pg_quote_ident(t->columns[t->pk[i]].name);
        /* ::text gives each value's canonical text, which is what ranges store. */
        strbuf_appendf(&sb, "%ss.%s%s", i ? ", " : "", q, as_text ? "::text" : "");
        free(q);
    }
    return strbuf_take(&sb);
}

static char **
row_values(PGresult *res, int row, size_t n)
{
    char **v = gw_calloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = gw_strdup(PQgetvalue(res, row, (int) i));
    return v;
}

/*
 * A table without a primary key: n ranges of its heap's blocks, even in
 * size (the blocks a snapshot sees are where its rows stay while it is
 * held; rows written after it land anywhere, and are not read).  A
 * partitioned table's rows are in its partitions: one range.
 */
static GwResult
split_by_blocks(PgConn *c, const TableDef *t, int nshards, KeyRange **ranges, int *nranges)
{
    KeyRange *out = gw_calloc((size_t) nshards, sizeof *out);
    *ranges = out;
    *nranges = 1;
    if (table_partitioned(t) || c->base.kind != ENGINE_POSTGRES)
        return GW_OK;
    char *name = pg_qualified(t->schema, t->name);
    const char *params[1] = {name};
    PGresult *res;
    GwResult rc = pg_query_params(c,
                                  "SELECT pg_catalog.pg_relation_size($1::regclass)"
                                  " / pg_catalog.current_setting('block_size')::bigint",
                                  1, params, 1, &res);
    free(name);
    if (rc)
        return rc;
    long long blocks = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    int n = blocks < nshards ? (int) (blocks > 0 ? blocks : 1) : nshards;
    for (int k = 1; k < n; k++) {
        long long b = blocks * k / n;
        out[k - 1].upper = gw_calloc(1, sizeof (char *));
        out[k - 1].upper[0] = gw_asprintf("%lld", b);
        out[k].lower = gw_calloc(1, sizeof (char *));
        out[k].lower[0] = gw_asprintf("%lld", b);
    }
    *nranges = n;
    return GW_OK;
}

/*
 * Boundaries come from a page sample of the primary key (TABLESAMPLE SYSTEM
 * reads a fraction of the pages, not the table), taken at even quantiles.
 * They only partition the key space, so a skewed sample makes shards uneven,
 * never wrong.
 */
GwResult
pg_split_table(EngineConn *conn, const TableDef *t, int nshards, KeyRange **ranges, int *nranges)
{
    PgConn *c = PG(conn);
    *ranges = NULL;
    *nranges = 0;
    if (t->npk == 0 && nshards >= 2)
        return split_by_blocks(c, t, nshards, ranges, nranges);
    if (t->npk == 0 || nshards < 2 || !c->dialect->table_sample) {
        *ranges = gw_calloc(1, sizeof **ranges);
        *nranges = 1;
        return GW_OK;
    }
    double pct_rows = t->est_rows > 0 ? 100.0 * nshards * SPLIT_SAMPLE_ROWS_PER_SHARD / (double) t->est_rows : 100.0;
    double pages = (double) t->est_bytes / PG_PAGE_BYTES;
    double pct_pages = pages > 0 ? 100.0 * nshards * SPLIT_SAMPLE_PAGES_PER_SHARD / pages : 100.0;
    double pct = pct_rows > pct_pages ? pct_rows : pct_pages;
    if (pct > 100.0)
        pct = 100.0;
    char *name = pg_table_ref(c, t);
    char *cols = key_columns_sql(t, true), *order = key_columns_sql(t, false);
    char *sql = gw_asprintf("SELECT %s FROM %s AS s TABLESAMPLE SYSTEM (%.6f) ORDER BY %s", cols, name, pct, order);
    free(name);
    free(cols);
    free(order);
    PGresult *res;
    GwResult rc = pg_query(c, sql, (int) t->npk, &res);
    free(sql);
    if (rc)
        return rc;

    int nsample = PQntuples(res);
    KeyRange *out = gw_calloc((size_t) nshards, sizeof *out);
    int n = 0;
    char **prev = NULL;
    for (int k = 1; k < nshards && nsample > 0; k++) {
        int row = (int) ((long long) k * nsample / nshards);
        char **b = row_values(res, row, t->npk);
        bool same = prev != NULL;
        for (size_t i = 0; same && i < t->npk; i++)
            same = !strcmp(prev[i], b[i]);
        if (same) {
            KeyRange tmp = {.lower = b};
            key_range_free(&tmp, t->npk);
            continue;
        }
        out[n].upper = b;
        out[n + 1].lower = row_values(res, row, t->npk);
        n++;
        prev = b;
    }
    PQclear(res);
    *ranges = out;
    *nranges = n + 1;
    return GW_OK;
}

/*
 * "schema"."table" ("a", "b"): what COPY names.  A table with no stored
 * columns still has rows; COPY then takes no column list.
 */
static char *
copy_target(const TableDef *t)
{
    char *name = pg_qualified(t->schema, t->name);
    char *cols = ddl_copy_columns(t);
    char *target = *cols ? gw_asprintf("%s (%s)", name, cols) : gw_strdup(name);
    free(name);
    free(cols);
    return target;
}

/* (SELECT "a", "b" FROM ONLY "s"."t" WHERE (key range) AND predicate): a shard or a phase's rows. */
static char *
filtered_select(const PgConn *c, const TableDef *t, const char *where, const char *predicate_sql)
{
    char *name = pg_table_ref(c, t);
    char *cols = ddl_copy_columns(t);
    char *sql = gw_asprintf("(SELECT %s FROM %s%s%s%s%s%s%s)", cols, name, where || predicate_sql ? " WHERE " : "",
                            where ? "(" : "",
                            where ? where : "", where ? ")" : "", where && predicate_sql ? " AND " : "",
                            predicate_sql ? predicate_sql : "");
    free(name);
    free(cols);
    return sql;
}

static char *
copy_options(CopyFormat fmt)
{
    return gw_strdup(fmt == COPY_FORMAT_BINARY ? " WITH (FORMAT binary)" : "");
}

GwResult
pg_copy_out_begin(EngineConn *conn, const TableDef *t, const KeyRange *range, const char *predicate_sql,
                  CopyFormat fmt)
{
    PgConn *c = PG(conn);
    char *where = ddl_key_range(t, range);
    char *opts = copy_options(fmt);
    /* COPY reads a partitioned table's rows only through a query. */
    char *source = where || predicate_sql || table_partitioned(t) ? filtered_select(c, t, where, predicate_sql)
                                                                   : copy_target(t);
    char *sql = gw_asprintf("COPY %s TO STDOUT%s", source, opts);
    free(source);
    free(opts);

    /* A key range must be read through the key's index, not by scanning the whole table per shard. */
    GwResult rc = pg_exec(c, where ? "SET enable_seqscan = off" : "SET enable_seqscan = on");
    free(where);
    if (rc == GW_OK)
        rc = pg_copy_out_start(c, sql, "copying", t);
    free(sql);
    return rc;
}

GwResult
pg_copy_out_start(PgConn *c, const char *sql, const char *doing, const TableDef *t)
{
    GwResult rc = GW_OK;
    PGresult *res = PQexec(c->pg, sql);
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        char *what = gw_asprintf("%s %s.%s", doing, t->schema, t->name);
        rc = pg_report(c, res, what);
        free(what);
    }
    PQclear(res);
    c->copy_active = rc == GW_OK;
    return rc;
}

GwResult
pg_copy_out_next(EngineConn *conn, const char **buf, int *len)
{
    PgConn *c = PG(conn);
    if (c->copy_chunk) {
        PQfreemem(c->copy_chunk);
        c->copy_chunk = NULL;
    }
    int n = PQgetCopyData(c->pg, &c->copy_chunk, 0);
    if (n > 0) {
        *buf = c->copy_chunk;
        *len = n;
        return GW_OK;
    }
    *buf = NULL;
    *len = 0;
    c->copy_active = false;
    GwResult rc = GW_OK;
    PGresult *res;
    while ((res = PQgetResult(c->pg)) != NULL) {
        if (rc == GW_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = pg_report(c, res, "reading COPY data");
        PQclear(res);
    }
    if (n == -2 && rc == GW_OK)
        rc = pg_report(c, NULL, "reading COPY data");
    return rc;
}

/*
 * Abandons a COPY TO STDOUT midway (the target failed): libpq has no way to
 * stop it but to cancel the query and drain what is left.
 */
void
pg_copy_out_abort(EngineConn *conn)
{
    PgConn *c = PG(conn);
    if (!c->copy_active)
        return;
    PGcancel *cancel = PQgetCancel(c->pg);
    char err[256];
    if (cancel) {
        (void) PQcancel(cancel, err, sizeof err);
        PQfreeCancel(cancel);
    }
    char *buf;
    while (PQgetCopyData(c->pg, &buf, 0) > 0)
        PQfreemem(buf);
    PGresult *res;
    while ((res = PQgetResult(c->pg)) != NULL)
        PQclear(res);
    c->copy_active = false;
}

/*
 * Loads run with session_replication_role = replica, so that the target's
 * foreign keys and triggers do not fire for the copied rows (as with
 * pg_restore --disable-triggers).  A phase loaded into tables whose foreign
 * keys exist already (an earlier phase made them) would otherwise fail
 * whenever a child's shard commits before its parent's; pg_finish_schema
 * checks those keys once every shard is in.  Before PostgreSQL 16 only a
 * superuser may set it: without, the keys fire and a warning says so once.
 * CockroachDB has no such setting.
 */
static void
load_as_replica(PgConn *c)
{
    static atomic_bool warned;
    if (c->as_replica < 0 && !pg_as_replica(c) && !atomic_exchange(&warned, true))
        log_warn("target: rows are loaded with the target's foreign keys and triggers firing (cannot set"
                 " session_replication_role: %s); a phase loaded into tables whose foreign keys exist fails"
                 " if a child's rows commit before its parent's",
                 c->replica_refused);
}

GwResult
pg_copy_in_begin(EngineConn *conn, const TableDef *t, CopyFormat fmt)
{
    PgConn *c = PG(conn);
    load_as_replica(c);
    GwResult rc = pg_exec(c, "BEGIN");
    if (rc)
        return rc;
    char *target = copy_target(t);
    char *opts = copy_options(fmt);
    char *sql = gw_asprintf("COPY %s FROM STDIN%s", target, opts);
    free(target);
    free(opts);
    PGresult *res = PQexec(c->pg, sql);
    free(sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        char *what = gw_asprintf("loading %s.%s", t->schema, t->name);
        rc = pg_report(c, res, what);
        free(what);
    }
    PQclear(res);
    return rc;
}

GwResult
pg_copy_in_put(EngineConn *conn, const char *buf, int len)
{
    PgConn *c = PG(conn);
    if (PQputCopyData(c->pg, buf, len) != 1)
        return pg_report(c, NULL, "sending COPY data");
    return GW_OK;
}

static GwResult
mark_shard_done(PgConn *c, const char *phase, const ShardProgress *s, int64_t rows)
{
    char shard[16], nrows[32], nbytes[32];
    snprintf(shard, sizeof shard, "%d", s->shard);
    snprintf(nrows, sizeof nrows, "%lld", (long long) rows);
    snprintf(nbytes, sizeof nbytes, "%lld", (long long) s->bytes);
    const char *params[7] = {phase, s->schema, s->table, shard, nrows, nbytes, s->snapshot_position};
    PGresult *res = PQexecParams(c->pg,
                                 "UPDATE _godwit.fetch_progress SET done = true, rows = $5, bytes = $6,"
                                 " snapshot_position = $7, done_at = now()"
                                 " WHERE phase = $1 AND table_schema = $2 AND table_name = $3 AND shard = $4",
                                 7, NULL, params, NULL, NULL, 0);
    GwResult rc = GW_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK || strcmp(PQcmdTuples(res), "1") != 0)
        rc = pg_report(c, res, "recording shard progress");
    PQclear(res);
    return rc;
}

GwResult
pg_copy_in_end(EngineConn *conn, const char *phase, const ShardProgress *shard, bool commit, int64_t *rows)
{
    PgConn *c = PG(conn);
    GwResult rc = GW_OK;
    if (PQputCopyEnd(c->pg, commit ? NULL : "godwit: copy abandoned") != 1)
        rc = pg_report(c, NULL, "ending COPY");
    PGresult *res;
    while ((res = PQgetResult(c->pg)) != NULL) {
        if (PQresultStatus(res) == PGRES_COMMAND_OK) {
            if (rows)
                *rows = strtoll(PQcmdTuples(res), NULL, 10);
        } else if (commit && rc == GW_OK) {
            char *what = gw_asprintf("loading %s.%s", shard->schema, shard->table);
            rc = pg_report(c, res, what);
            free(what);
        }
        PQclear(res);
    }
    if (commit && rc == GW_OK)
        rc = mark_shard_done(c, phase, shard, rows ? *rows : 0);
    if (commit && rc == GW_OK)
        return pg_exec(c, "COMMIT");
    pg_rollback(c);
    return commit ? rc : GW_OK;
}
