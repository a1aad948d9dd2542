/*
 * verify_sample.c: verify --sample N: about N rows of a table compared, in
 * up to 16 windows of consecutive keys spread over it, instead of all of
 * them.
 *
 * The windows start where the engine's key-range split of the source puts
 * its boundaries (PostgreSQL: a page sample of the key, random each time;
 * MySQL: MIN/MAX arithmetic for an integer key, whose start is then drawn
 * at random within each range).  Each window is compared exactly
 * (verify_rows.c): the rows of both sides between the same two keys.  A
 * window that would reach into the next one starts the next where it ends.
 *
 * This runs while a cutover holds the phase's writes, so it must never read
 * a whole table, count one, or sort one: every read is an index range scan
 * with a row limit, and the split is a sample.
 */
#include <stdlib.h>
#include <string.h>

#include "flow/verify_internal.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/signals.h"

/* At most this many windows per table, and at least this many rows in each (fewer windows when N is small). */
#define SAMPLE_MAX_WINDOWS 16
#define SAMPLE_MIN_WINDOW_ROWS 32
/*
 * A row width assumed for a table never analyzed (no row estimate): what
 * the split then sizes its sample by.  Without a row estimate PostgreSQL's
 * split samples every page; with this one it samples its usual number of
 * pages per window.
 */
#define SAMPLE_GUESSED_ROW_BYTES 64

/* splitmix64: one state per table, so that workers share nothing. */
static uint64_t
rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static bool
parse_int(const char *s, long long *out)
{
    if (!s || !*s)
        return false;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end != '\0')
        return false;
    *out = v;
    return true;
}

/*
 * Where the window of one split range starts: its lower key, or, for a
 * single integer key with both ends known, a key drawn at random in
 * [lower, upper), so that evenly spaced boundaries (MySQL's arithmetic
 * split) do not sample the same rows every time.  NULL: the table's start.
 */
static char **
window_start(const VTable *t, const KeyRange *r, uint64_t *rng)
{
    if (!r->lower)
        return NULL;
    size_t npk = t->src->npk;
    char **start = gw_calloc(npk + 1, sizeof *start);
    long long lo, hi;
    if (t->method == VERIFY_MERGE && npk == 1 && t->key_numeric[0] && r->upper && parse_int(r->lower[0], &lo) &&
        parse_int(r->upper[0], &hi) && hi > lo + 1) {
        uint64_t span = (uint64_t) hi - (uint64_t) lo;
        start[0] = gw_asprintf("%lld", (long long) ((uint64_t) lo + rng_next(rng) % span));
        return start;
    }
    for (size_t k = 0; k < npk; k++)
        start[k] = gw_strdup(r->lower[k]);
    return start;
}

/* The table's windows as ranges of the source's key: one per split range, or the whole table. */
static GwResult
plan_windows(VTable *t, EngineConn *src, long rows, KeyRange **ranges, int *n)
{
    int want = (int) (rows / SAMPLE_MIN_WINDOW_ROWS);
    want = want < 1 ? 1 : want > SAMPLE_MAX_WINDOWS ? SAMPLE_MAX_WINDOWS : want;
    if (t->src->est_rows > 0 && t->src->est_rows <= rows)
        want = 1;
    if (want == 1) {
        *ranges = gw_calloc(1, sizeof **ranges);
        *n = 1;
        return GW_OK;
    }
    TableDef def = *t->src;
    if (def.est_rows <= 0 && def.est_bytes > 0)
        def.est_rows = def.est_bytes / SAMPLE_GUESSED_ROW_BYTES + 1;
    GwResult rc = src->ops->source->split_table(src, &def, want, ranges, n);
    if (rc == GW_OK && *n < 1) {
        free(*ranges);
        *ranges = gw_calloc(1, sizeof **ranges);
        *n = 1;
    }
    return rc;
}

/* Merge order of two keys given as text (as verify_rows.c's merge orders them). */
static int
keys_cmp(const VTable *t, char *const *a, char *const *b)
{
    for (size_t k = 0; k < t->src->npk; k++) {
        int c;
        if (t->key_numeric[k]) {
            c = value_numeric_cmp(a[k], b[k]);
        } else {
            size_t la = strlen(a[k]), lb = strlen(b[k]);
            c = memcmp(a[k], b[k], la < lb ? la : lb);
            c = c ? c : la == lb ? 0 : la < lb ? -1 : 1;
        }
        if (c)
            return c;
    }
    return 0;
}

/*
 * A table both sides order alike: each window from its start, or from
 * where the previous window ended when that is further on (windows never
 * overlap, so no row is counted twice, and each still gets its rows).
 */
static GwResult
sample_merged(VTable *t, char ***starts, int n, long per, EngineConn *src, EngineConn *tgt, double tolerance)
{
    size_t npk = t->src->npk;
    char **floor = NULL;        /* the key the previous window stopped before */
    GwResult rc = GW_OK;
    for (int i = 0; i < n && rc == GW_OK && !signals_stop_requested(); i++) {
        char **lower = starts[i];
        if (floor && (!lower || keys_cmp(t, lower, floor) < 0))
            lower = floor;
        char **next = NULL;
        rc = verify_window(t, lower, per, src, tgt, tolerance, &next);
        KeyRange old = {.lower = floor};
        key_range_free(&old, npk);
        floor = next;
        if (!next)
            break;      /* the source has no rows past this window: the rest would be empty */
    }
    KeyRange last = {.lower = floor};
    key_range_free(&last, npk);
    return rc;
}

/*
 * A table whose key the two sides order differently: a page from each
 * window's start on each side, up to the next window's start, each looked
 * up on the other side by exact key.
 */
static GwResult
sample_looked_up(VTable *t, char ***starts, int n, long per, EngineConn *src, EngineConn *tgt, double tolerance)
{
    GwResult rc = GW_OK;
    for (int i = 0; i < n && rc == GW_OK && !signals_stop_requested(); i++) {
        WorkItem win = {.table = t, .kind = WORK_SOURCE_PAGES, .limit = per,
                        .range = {.lower = starts[i], .upper = i + 1 < n ? starts[i + 1] : NULL}};
        rc = verify_work(t, &win, src, tgt, tolerance);
        win.kind = WORK_TARGET_PAGES;
        if (rc == GW_OK)
            rc = verify_work(t, &win, src, tgt, tolerance);
    }
    return rc;
}

GwResult
verify_sample_table(VTable *t, const WorkItem *w, EngineConn *src, EngineConn *tgt, double tolerance)
{
    KeyRange *ranges = NULL;
    int n = 0;
    GwResult rc = plan_windows(t, src, w->limit, &ranges, &n);
    if (rc)
        return rc;
    size_t npk = t->src->npk;
    uint64_t rng = w->seed;
    char ***starts = gw_calloc((size_t) n + 1, sizeof *starts);
    for (int i = 0; i < n; i++)
        starts[i] = window_start(t, &ranges[i], &rng);
    long per = (w->limit + n - 1) / n;
    log_debug("%s: sampling %d windows of %ld rows", t->display, n, per);
    if (t->method == VERIFY_MERGE)
        rc = sample_merged(t, starts, n, per, src, tgt, tolerance);
    else
        rc = sample_looked_up(t, starts, n, per, src, tgt, tolerance);
    for (int i = 0; i < n; i++) {
        KeyRange start = {.lower = starts[i]};
        key_range_free(&start, npk);
        key_range_free(&ranges[i], npk);
    }
    free(starts);
    free(ranges);
    return rc;
}
