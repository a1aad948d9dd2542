/*
 * verify_rows.c: the row half of verify.
 *
 * A table whose keys both sides order alike is read in key order on both
 * sides at once and merged, one pass each, nothing held but the current
 * rows.  When the orders differ (a case-insensitive collation against a
 * binary one), each side is paged through in its own key order and every
 * page is looked up on the other side by exact key: source pages find rows
 * missing or different on the target, target pages find the extra ones.
 * A table without a key is compared by row count and an order-free hash.
 * A sample's window (--sample) is a merge of the source's next N rows
 * from a key and the target's rows up to the same end key, or a lookup
 * of one page from that key on each side.
 */
#include <stdlib.h>
#include <string.h>

#include "flow/row_reader.h"
#include "flow/verify_internal.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* Rows per page of a lookup (and per recheck batch): one IN list of keys. */
#define LOOKUP_PAGE_ROWS 500

static void
vrow_copy(TextRow *dst, const TextRow *src)
{
    dst->n = src->n;
    dst->vals = gw_calloc(src->n + 1, sizeof *dst->vals);
    dst->lens = gw_calloc(src->n + 1, sizeof *dst->lens);
    for (size_t i = 0; i < src->n; i++) {
        dst->lens[i] = src->lens[i];
        dst->vals[i] = src->vals[i] ? gw_strndup(src->vals[i], src->lens[i]) : NULL;
    }
}

void
vrow_free(TextRow *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->vals[i]);
    free(r->vals);
    free(r->lens);
    memset(r, 0, sizeof *r);
}

void
row_diff_free(RowDiff *d)
{
    vrow_free(&d->src);
    vrow_free(&d->tgt);
    free(d->key);
}

static int
bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : alen == blen ? 0 : alen < blen ? -1 : 1;
}

/* Two values of key column i by their canonical texts (value_canonical): one spelling per value. */
static int
canonical_cmp(const VTable *t, size_t i, const char *a, size_t alen, const char *b, size_t blen)
{
    ValueClass cls = t->key_cls[i];
    if (cls == VALUE_CLASS_EXACT)
        return bytes_cmp(a, alen, b, blen);
    StrBuf x, y;
    strbuf_init(&x);
    strbuf_init(&y);
    value_canonical(cls, a, alen, &x);
    value_canonical(cls, b, blen, &y);
    int c = bytes_cmp(x.data ? x.data : "", x.len, y.data ? y.data : "", y.len);
    strbuf_free(&x);
    strbuf_free(&y);
    return c;
}

/* Merge order of a source row against a target row. */
static int
key_cmp(const VTable *t, const TextRow *s, const TextRow *g)
{
    for (size_t i = 0; i < t->src->npk; i++) {
        size_t a = t->src->pk[i], b = t->tgt->pk[i];
        int c = t->key_numeric[i] ? value_numeric_cmp(s->vals[a], g->vals[b])
                                  : canonical_cmp(t, i, s->vals[a], s->lens[a], g->vals[b], g->lens[b]);
        if (c)
            return c;
    }
    return 0;
}

static bool
rows_equal(const VTable *t, const TextRow *s, const TextRow *g, double tolerance)
{
    for (size_t j = 0; j < t->ncols; j++) {
        size_t a = t->src_col[j], b = t->tgt_col[j];
        if (!value_equal(t->cls[j], s->vals[a], s->lens[a], g->vals[b], g->lens[b], tolerance))
            return false;
    }
    return true;
}

void
vtable_count_diff(VTable *t, DiffKind kind, int64_t delta)
{
    if (kind == DIFF_MISSING)
        t->missing += delta;
    else if (kind == DIFF_EXTRA)
        t->extra += delta;
    else
        t->mismatched += delta;
}

/* A difference with copies of its rows; s or g is NULL for a row on one side only. */
static RowDiff
row_diff_make(const VTable *t, DiffKind kind, const TextRow *s, const TextRow *g)
{
    RowDiff d = {.kind = kind};
    if (s)
        vrow_copy(&d.src, s);
    if (g)
        vrow_copy(&d.tgt, g);
    /* The key points into the kept row of its side. */
    const TableDef *def = s ? t->src : t->tgt;
    const TextRow *row = s ? &d.src : &d.tgt;
    d.key = gw_calloc(def->npk + 1, sizeof *d.key);
    for (size_t i = 0; i < def->npk; i++)
        d.key[i] = row->vals[def->pk[i]];
    return d;
}

/* Records a difference; s or g is NULL for a row on one side only. */
static void
record(VTable *t, DiffKind kind, const TextRow *s, const TextRow *g)
{
    pthread_mutex_lock(&t->mu);
    vtable_count_diff(t, kind, 1);
    metrics_add(t->m_diffs, 1);
    if (t->ndiffs < VERIFY_KEPT_DIFFS) {
        gw_grow((void **) &t->diffs, &t->cap_diffs, t->ndiffs + 1, sizeof *t->diffs);
        t->diffs[t->ndiffs++] = row_diff_make(t, kind, s, g);
    } else {
        t->diffs_truncated = true;
    }
    pthread_mutex_unlock(&t->mu);
}

static void
count_rows(VTable *t, int64_t n)
{
    pthread_mutex_lock(&t->mu);
    t->compared += n;
    pthread_mutex_unlock(&t->mu);
    if (t->progress)
        atomic_fetch_add(&t->progress->rows, n);
    metrics_add(t->m_rows, (double) n);
}

/*
 * Merges two reads in key order.  tgt_limit > 0: the target's read stopped
 * after that many rows; once it has given them all, the source rows still
 * to come lie beyond what the target was asked for, so they are left
 * uncompared rather than called missing.
 */
static GwResult
merge_readers(VTable *t, RowReader *rs, RowReader *rg, long tgt_limit, double tolerance)
{
    bool hs = false, hg = false;
    int64_t n = 0;
    long ng = 0;
    GwResult rc = row_reader_next(rs, &hs);
    if (rc == GW_OK)
        rc = row_reader_next(rg, &hg);
    ng += hg;
    while (rc == GW_OK && (hs || hg)) {
        if (!hg && tgt_limit > 0 && ng >= tgt_limit)
            break;
        int c = 0;
        if (!(hs && hg && t->same_columns && row_reader_same_line(rs, rg))) {
            c = !hs ? 1 : !hg ? -1 : key_cmp(t, row_reader_row(rs), row_reader_row(rg));
            if (c < 0)
                record(t, DIFF_MISSING, row_reader_row(rs), NULL);
            else if (c > 0)
                record(t, DIFF_EXTRA, NULL, row_reader_row(rg));
            else if (!rows_equal(t, row_reader_row(rs), row_reader_row(rg), tolerance))
                record(t, DIFF_MISMATCH, row_reader_row(rs), row_reader_row(rg));
        }
        if (++n == 1000) {
            count_rows(t, n);
            n = 0;
        }
        if (c <= 0)
            rc = row_reader_next(rs, &hs);
        if (rc == GW_OK && c >= 0) {
            rc = row_reader_next(rg, &hg);
            ng += hg;
        }
    }
    count_rows(t, n);
    return rc;
}

static GwResult
merge_shard(VTable *t, const WorkItem *w, EngineConn *src, EngineConn *tgt, double tolerance)
{
    ScanRequest sr = {.range = &w->range, .predicate_sql = t->src_pred};
    ScanRequest tr = {.range = &w->range, .predicate_sql = t->tgt_pred};
    GwResult rc = src->ops->source->scan_begin(src, t->src, &sr);
    if (rc == GW_OK)
        rc = tgt->ops->source->scan_begin(tgt, t->tgt, &tr);
    if (rc)
        return rc;
    RowReader rs, rg;
    row_reader_init(&rs, src);
    row_reader_init(&rg, tgt);
    rc = merge_readers(t, &rs, &rg, 0, tolerance);
    row_reader_free(&rs);
    row_reader_free(&rg);
    if (rc) {
        src->ops->source->copy_out_abort(src);
        tgt->ops->source->copy_out_abort(tgt);
    }
    return rc;
}

/*
 * The first `keep` rows of a read, as their COPY lines (each ending in a
 * newline) appended to lines, *n of them; and the key of the row after
 * them, when the read has one, in *next (caller frees, npk values).
 */
static GwResult
read_window(EngineConn *conn, const TableDef *def, const ScanRequest *req, long keep, StrBuf *lines, long *n,
            char ***next)
{
    GwResult rc = conn->ops->source->scan_begin(conn, def, req);
    if (rc)
        return rc;
    RowReader r;
    row_reader_init(&r, conn);
    bool got;
    while ((rc = row_reader_next(&r, &got)) == GW_OK && got) {
        if (*n < keep) {
            strbuf_append_n(lines, r.line.data, r.line.len);
            strbuf_append_char(lines, '\n');
            ++*n;
        } else if (!*next) {
            const TextRow *row = row_reader_row(&r);
            *next = gw_calloc(def->npk + 1, sizeof **next);
            for (size_t k = 0; k < def->npk; k++)
                (*next)[k] = gw_strndup(row->vals[def->pk[k]], row->lens[def->pk[k]]);
        }
    }
    row_reader_free(&r);
    if (rc)
        conn->ops->source->copy_out_abort(conn);
    return rc;
}

/*
 * One window of a sample: the source's first `rows` rows from key `lower`
 * (NULL: the table's start) in key order, and the target's rows between the
 * same two keys: from `lower` up to the key of the source's next row
 * (exclusive), handed back in *next, or to the end when the source has no
 * more (*next NULL).  Both sides being bounded by the same keys, a row that
 * one side lacks inside the window is a difference, never an artefact of
 * where a read stopped.  The source's rows are held (as read: one window)
 * while the target's are read; the target's read is capped as well, so
 * that a target with a great many extra rows past the source's end is not
 * read to its end.
 */
GwResult
verify_window(VTable *t, char **lower, long rows, EngineConn *src, EngineConn *tgt, double tolerance, char ***next)
{
    *next = NULL;
    StrBuf lines;
    strbuf_init(&lines);
    long nsrc = 0;
    KeyRange from = {.lower = lower};
    ScanRequest sr = {.range = &from, .predicate_sql = t->src_pred, .limit = rows + 1};
    GwResult rc = read_window(src, t->src, &sr, rows, &lines, &nsrc, next);
    KeyRange bound = {.lower = lower, .upper = *next};
    ScanRequest tr = {.range = &bound, .predicate_sql = t->tgt_pred, .limit = nsrc + rows + 1};
    if (rc == GW_OK)
        rc = tgt->ops->source->scan_begin(tgt, t->tgt, &tr);
    if (rc == GW_OK) {
        RowReader rs, rg;
        row_reader_init(&rs, NULL);
        rs.chunk = lines.data;
        rs.len = (int) lines.len;
        rs.done = true;         /* all in hand: never asks a connection for more */
        row_reader_init(&rg, tgt);
        rc = merge_readers(t, &rs, &rg, tr.limit, tolerance);
        row_reader_free(&rs);
        row_reader_free(&rg);
        if (rc)
            tgt->ops->source->copy_out_abort(tgt);
    }
    if (rc) {
        KeyRange owned = {.upper = *next};
        key_range_free(&owned, t->src->npk);
        *next = NULL;
    }
    strbuf_free(&lines);
    return rc;
}

/* A row's key values joined with \x1f, for exact matching; row is its position in the set. */
typedef struct KeyRef {
    const char *key;
    size_t len;
    size_t row;
} KeyRef;

/* Rows held for a lookup: copies, with their keys joined for exact matching. */
typedef struct RowSet {
    TextRow *rows;
    char **keys;            /* each key's values joined with \x1f; its length in keylens */
    size_t *keylens;
    size_t n, cap;
    KeyRef *order;          /* the keys sorted by their bytes */
} RowSet;

static void
rowset_free(RowSet *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        vrow_free(&rs->rows[i]);
        free(rs->keys[i]);
    }
    free(rs->rows);
    free(rs->keys);
    free(rs->keylens);
    free(rs->order);
    memset(rs, 0, sizeof *rs);
}

/* The row's key as the sides match it: each value's canonical text (value_canonical), joined. */
static char *
joined_key(const VTable *t, const TableDef *def, const TextRow *row, size_t *len)
{
    StrBuf sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < def->npk; i++) {
        size_t c = def->pk[i];
        if (i)
            strbuf_append_char(&sb, '\x1f');
        value_canonical(t->key_cls[i], row->vals[c] ? row->vals[c] : "", row->lens[c], &sb);
    }
    *len = sb.len;
    return strbuf_take(&sb);
}

static int
by_key(const void *a, const void *b)
{
    const KeyRef *x = a, *y = b;
    return bytes_cmp(x->key, x->len, y->key, y->len);
}

static void
rowset_index(RowSet *rs)
{
    rs->order = gw_calloc(rs->n + 1, sizeof *rs->order);
    for (size_t i = 0; i < rs->n; i++)
        rs->order[i] = (KeyRef) {.key = rs->keys[i], .len = rs->keylens[i], .row = i};
    qsort(rs->order, rs->n, sizeof *rs->order, by_key);
}

static const TextRow *
rowset_find(const RowSet *rs, const char *key, size_t len)
{
    KeyRef probe = {.key = key, .len = len};
    const KeyRef *hit = rs->n ? bsearch(&probe, rs->order, rs->n, sizeof *rs->order, by_key) : NULL;
    return hit ? &rs->rows[hit->row] : NULL;
}

static void
key_values_free(char **values, size_t n)
{
    for (size_t k = 0; values && k < n; k++)
        free(values[k]);
    free(values);
}

/* Runs a read to its end, keeping every row. */
static GwResult
read_all(const VTable *t, EngineConn *conn, const TableDef *def, const ScanRequest *req, RowSet *out)
{
    GwResult rc = conn->ops->source->scan_begin(conn, def, req);
    if (rc)
        return rc;
    RowReader r;
    row_reader_init(&r, conn);
    bool got;
    while ((rc = row_reader_next(&r, &got)) == GW_OK && got) {
        gw_grow((void **) &out->rows, &out->cap, out->n + 1, sizeof *out->rows);
        out->keys = gw_realloc(out->keys, out->cap * sizeof *out->keys);
        out->keylens = gw_realloc(out->keylens, out->cap * sizeof *out->keylens);
        vrow_copy(&out->rows[out->n], row_reader_row(&r));
        out->keys[out->n] = joined_key(t, def, &r.row, &out->keylens[out->n]);
        out->n++;
    }
    row_reader_free(&r);
    if (rc)
        conn->ops->source->copy_out_abort(conn);
    return rc;
}

/* The key values of each row of a set, for an IN list. */
static char ***
key_list(const TableDef *def, const RowSet *rs)
{
    char ***keys = gw_calloc(rs->n + 1, sizeof *keys);
    for (size_t i = 0; i < rs->n; i++) {
        keys[i] = gw_calloc(def->npk + 1, sizeof *keys[i]);
        for (size_t k = 0; k < def->npk; k++)
            keys[i][k] = rs->rows[i].vals[def->pk[k]];
    }
    return keys;
}

static void
key_list_free(char ***keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
}

/*
 * One side's shard, page by page; each page looked up on the other side.
 * From the source: rows missing or different on the target.  From the
 * target: rows the source lacks (the rest were compared from the source).
 * With w->limit (a sample's window), only that many rows from the shard's
 * start.
 */
static GwResult
lookup_shard(VTable *t, const WorkItem *w, EngineConn *src, EngineConn *tgt, double tolerance)
{
    bool from_source = w->kind == WORK_SOURCE_PAGES;
    EngineConn *drive = from_source ? src : tgt, *other = from_source ? tgt : src;
    const TableDef *ddef = from_source ? t->src : t->tgt, *odef = from_source ? t->tgt : t->src;
    const char *dpred = from_source ? t->src_pred : t->tgt_pred, *opred = from_source ? t->tgt_pred : t->src_pred;
    char **after = NULL;
    GwResult rc = GW_OK;
    long left = w->limit;       /* a window's rows still to read, when it has a limit */
    for (;;) {
        RowSet page = {0}, found = {0};
        long want = left > 0 && left < LOOKUP_PAGE_ROWS ? left : LOOKUP_PAGE_ROWS;
        ScanRequest dr = {.range = &w->range, .predicate_sql = dpred, .after = after, .limit = want};
        rc = read_all(t, drive, ddef, &dr, &page);
        if (rc == GW_OK && page.n > 0) {
            char ***keys = key_list(ddef, &page);
            ScanRequest orq = {.predicate_sql = opred, .keys = keys, .nkeys = page.n};
            rc = read_all(t, other, odef, &orq, &found);
            key_list_free(keys, page.n);
        }
        if (rc == GW_OK) {
            rowset_index(&found);
            int64_t extras = 0;
            for (size_t i = 0; i < page.n; i++) {
                const TextRow *mate = rowset_find(&found, page.keys[i], page.keylens[i]);
                if (from_source && !mate)
                    record(t, DIFF_MISSING, &page.rows[i], NULL);
                else if (from_source && !rows_equal(t, &page.rows[i], mate, tolerance))
                    record(t, DIFF_MISMATCH, &page.rows[i], mate);
                else if (!from_source && !mate) {
                    record(t, DIFF_EXTRA, NULL, &page.rows[i]);
                    extras++;
                }
            }
            count_rows(t, from_source ? (int64_t) page.n : extras);
        }
        if (w->limit > 0)
            left -= (long) page.n;
        bool last = rc || (long) page.n < want || (w->limit > 0 && left <= 0);
        if (!last) {
            key_values_free(after, ddef->npk);
            after = gw_calloc(ddef->npk + 1, sizeof *after);
            /* The next page starts after this page's last key. */
            for (size_t k = 0; k < ddef->npk; k++)
                after[k] = gw_strdup(page.rows[page.n - 1].vals[ddef->pk[k]]);
        }
        rowset_free(&page);
        rowset_free(&found);
        if (last)
            break;
    }
    key_values_free(after, ddef->npk);
    return rc;
}

/* A hash of the row's values by their canonical texts (value_canonical), so both sides' spellings agree. */
static uint64_t
row_hash(const VTable *t, const TextRow *r, StrBuf *scratch)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < r->n; i++) {
        strbuf_reset(scratch);
        if (r->vals[i])
            value_canonical(t->cls[i], r->vals[i], r->lens[i], scratch);
        const unsigned char *p = (const unsigned char *) (scratch->data ? scratch->data : "");
        for (size_t k = 0; k < scratch->len; k++)
            h = (h ^ p[k]) * 1099511628211ULL;
        h = (h ^ (r->vals[i] ? 0x1eu : 0x1fu)) * 1099511628211ULL;
    }
    /* A final mix, so that sums of hashes of similar rows do not cancel. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

/* One side of a table without a key: its row count and the sum of its rows' hashes (order-free). */
static GwResult
hash_side(VTable *t, EngineConn *conn, const TableDef *def, const char *pred, const size_t *cols,
          int64_t *rows, uint64_t *hash)
{
    ScanRequest req = {.predicate_sql = pred};
    GwResult rc = conn->ops->source->scan_begin(conn, def, &req);
    if (rc)
        return rc;
    RowReader r;
    row_reader_init(&r, conn);
    TextRow pick = {.vals = gw_calloc(t->ncols + 1, sizeof(char *)), .lens = gw_calloc(t->ncols + 1, sizeof(size_t)),
                 .n = t->ncols};
    bool got;
    StrBuf scratch;
    strbuf_init(&scratch);
    while ((rc = row_reader_next(&r, &got)) == GW_OK && got) {
        row_reader_row(&r);
        for (size_t j = 0; j < t->ncols; j++) {
            pick.vals[j] = r.row.vals[cols[j]];
            pick.lens[j] = r.row.lens[cols[j]];
        }
        *hash += row_hash(t, &pick, &scratch);
        ++*rows;
    }
    strbuf_free(&scratch);
    free(pick.vals);
    free(pick.lens);
    row_reader_free(&r);
    if (rc)
        conn->ops->source->copy_out_abort(conn);
    return rc;
}

static GwResult
unkeyed_table(VTable *t, EngineConn *src, EngineConn *tgt)
{
    GwResult rc = hash_side(t, src, t->src, t->src_pred, t->src_col, &t->src_rows, &t->src_hash);
    if (rc == GW_OK)
        rc = hash_side(t, tgt, t->tgt, t->tgt_pred, t->tgt_col, &t->tgt_rows, &t->tgt_hash);
    if (rc == GW_OK) {
        count_rows(t, t->src_rows > t->tgt_rows ? t->src_rows : t->tgt_rows);
        if (t->src_rows != t->tgt_rows || t->src_hash != t->tgt_hash) {
            t->mismatched = 1;
            metrics_add(t->m_diffs, 1);
        }
    }
    return rc;
}

GwResult
verify_work(VTable *t, const WorkItem *w, EngineConn *src, EngineConn *tgt, double tolerance)
{
    switch (w->kind) {
    case WORK_MERGE: return merge_shard(t, w, src, tgt, tolerance);
    case WORK_SOURCE_PAGES:
    case WORK_TARGET_PAGES: return lookup_shard(t, w, src, tgt, tolerance);
    case WORK_UNKEYED: return unkeyed_table(t, src, tgt);
    case WORK_SAMPLE: return verify_sample_table(t, w, src, tgt, tolerance);
    }
    return GW_ERR_INTERNAL;
}

/* Reads the rows of some differences again on one side. */
static GwResult
reread(const VTable *t, EngineConn *conn, const TableDef *def, const char *pred, RowDiff *diffs, size_t n,
       RowSet *out)
{
    char ***keys = gw_calloc(n + 1, sizeof *keys);
    for (size_t i = 0; i < n; i++)
        keys[i] = diffs[i].key;
    ScanRequest req = {.predicate_sql = pred, .keys = keys, .nkeys = n};
    GwResult rc = read_all(t, conn, def, &req, out);
    free(keys);
    if (rc == GW_OK)
        rowset_index(out);
    return rc;
}

/* A difference as the rows now stand; false when they now match. */
static bool
refresh(VTable *t, RowDiff *d, const TextRow *s, const TextRow *g, double tolerance)
{
    if ((!s && !g) || (s && g && rows_equal(t, s, g, tolerance)))
        return false;
    RowDiff fresh = row_diff_make(t, !g ? DIFF_MISSING : !s ? DIFF_EXTRA : DIFF_MISMATCH, s, g);
    row_diff_free(d);
    *d = fresh;
    return true;
}

GwResult
verify_recheck(VTable *t, EngineConn *src, EngineConn *tgt, double tolerance)
{
    size_t kept = 0;
    GwResult rc = GW_OK;
    for (size_t start = 0; rc == GW_OK && start < t->ndiffs; start += LOOKUP_PAGE_ROWS) {
        size_t n = t->ndiffs - start < LOOKUP_PAGE_ROWS ? t->ndiffs - start : LOOKUP_PAGE_ROWS;
        RowSet s = {0}, g = {0};
        rc = reread(t, src, t->src, t->src_pred, &t->diffs[start], n, &s);
        if (rc == GW_OK)
            rc = reread(t, tgt, t->tgt, t->tgt_pred, &t->diffs[start], n, &g);
        for (size_t i = start; rc == GW_OK && i < start + n; i++) {
            RowDiff *d = &t->diffs[i];
            const TableDef *def = d->src.n ? t->src : t->tgt;
            size_t klen;
            char *key = joined_key(t, def, d->src.n ? &d->src : &d->tgt, &klen);
            const TextRow *sr = rowset_find(&s, key, klen), *gr = rowset_find(&g, key, klen);
            free(key);
            if (refresh(t, d, sr, gr, tolerance))
                t->diffs[kept++] = *d;
            else
                row_diff_free(d);
        }
        rowset_free(&s);
        rowset_free(&g);
        if (rc) {
            /* What was not reread stays as it was. */
            for (size_t i = start; i < t->ndiffs; i++)
                t->diffs[kept++] = t->diffs[i];
        }
    }
    t->ndiffs = kept;
    return rc;
}
