/*
 * preflight_probe.c: the target probe of `godwit preflight`
 * (preflight_internal.h).
 *
 * Where the target cannot run beside godwit's tests (CockroachDB), what a
 * migration sends it is checked against its documentation only; the probe
 * sends it for real, through the engine's own operations, in a fetch's
 * order, in a scratch database of the target's server: godwit's state
 * tables; the selected tables as fetch makes them (every column type as
 * mapped); the first row by key of each table (of the phase's row filter),
 * read from the source and copied in one transaction with its shard's
 * progress; keys, constraints and indexes; a read of every table at one
 * snapshot (AS OF SYSTEM TIME on CockroachDB), as verify reads; an
 * applier's update, delete, insert and truncate of those rows, committed
 * with a checkpoint; then foreign keys and sequences.  The database is
 * dropped at the end, whatever failed.  Each step is one line, and once one
 * fails the rest are not run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/phase_names.h"
#include "flow/preflight_internal.h"
#include "flow/row_reader.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/signals.h"

/* The phase name the probe's state and checkpoint carry in the scratch database. */
#define PROBE_PHASE "probe"

typedef struct ProbeTable {
    const TableDef *src;        /* the source's, in p->cat */
    const TableDef *made;       /* the scratch database's, as its engine describes it */
    char *line;                 /* the source row's copied columns as COPY text, with its newline; NULL: none */
    char **vals;                /* the row's values, one per column of src (NULL: SQL NULL) */
    size_t *lens;
    RelationInfo rel;           /* src's columns that take values, as a change stream names them */
    ChangeValue *values;        /* the row as rel's values */
    ShardProgress shard;
} ProbeTable;

typedef struct Probe {
    MigrationPhase mp;
    char id[MIGRATION_ID_LEN + 1];
    char *db;                   /* the scratch database's name; NULL until made */
    char *stream;               /* the probe applier's checkpoint name */
    Endpoint ep;                /* the target's URL, in the scratch database */
    EngineConn *conn;
    Catalog made;
    ProbeTable *tables;         /* one per table of p->cat */
    size_t ntables;
    bool created;               /* db exists: dropped at the end */
} Probe;

static Probe *
probe_of(Preflight *p)
{
    return p->probe;
}

/* ---------------------------------------------------------------- steps */

static GwResult
make_database(Preflight *p)
{
    Probe *pr = probe_of(p);
    GwResult rc = p->target->ops->scratch_database(p->target, pr->db, true);
    if (rc) {
        log_error("target %s: the probe needs a database of its own (CREATEDB); grant it, or --no-probe",
                  p->target_ep.redacted);
        return rc;
    }
    pr->created = true;
    char *app = phase_names_app(&pr->mp, "preflight");
    rc = endpoint_init(&pr->ep, p->opts->target_url, ROLE_TARGET, app);
    free(app);
    if (rc)
        return rc;
    pr->ep.database = gw_strdup(pr->db);
    char *shown = gw_asprintf("%s (scratch database %s)", pr->ep.redacted, pr->db);
    free(pr->ep.redacted);
    pr->ep.redacted = shown;
    return engine_connect(&pr->ep, &pr->conn);
}

static GwResult
state_tables(Preflight *p)
{
    Probe *pr = probe_of(p);
    const StateOps *st = pr->conn->ops->state;
    GwResult rc = st->state_init(pr->conn);
    MigrationRecord m = {.id = pr->id, .source_identity = "godwit preflight", .source_desc = p->source_ep.redacted};
    MigrationRecord stored;
    memset(&stored, 0, sizeof stored);
    if (rc == GW_OK)
        rc = st->migration_put(pr->conn, &m, &stored);
    migration_record_free(&stored);
    char *filters = selection_filters_json(&p->opts->selection);
    PhaseState ps = {.name = PROBE_PHASE, .status = PHASE_FETCHING, .filters = filters, .stream = p->opts->stream};
    if (rc == GW_OK)
        rc = st->state_put_phase(pr->conn, &ps);
    free(filters);
    ShardProgress *shards = gw_calloc(pr->ntables + 1, sizeof *shards);
    for (size_t i = 0; i < pr->ntables; i++)
        shards[i] = pr->tables[i].shard;
    if (rc == GW_OK)
        rc = st->state_put_shards(pr->conn, PROBE_PHASE, shards, (int) pr->ntables);
    free(shards);
    if (rc == GW_OK)
        rc = st->state_add_event(pr->conn, PROBE_PHASE, "probe", "{}");
    PhaseState back;
    bool found = false;
    memset(&back, 0, sizeof back);
    if (rc == GW_OK)
        rc = st->state_get_phase(pr->conn, PROBE_PHASE, &back, &found);
    phase_state_free(&back);
    if (rc == GW_OK && !found) {
        log_error("target %s: the phase written into _godwit.phases cannot be read back", pr->ep.redacted);
        rc = GW_ERR_TARGET;
    }
    char *report = NULL;
    if (rc == GW_OK)
        rc = st->state_report(pr->conn, &report, &found);
    free(report);
    return rc;
}

/* The tables as fetch makes them. */
static GwResult
make_tables(Preflight *p)
{
    Probe *pr = probe_of(p);
    SchemaPrep prep = {.cat = &p->cat, .rows = &p->opts->selection, .mode = SCHEMA_CREATE, .phase = PROBE_PHASE};
    return pr->conn->ops->target->prepare_schema(pr->conn, &prep);
}

/* The tables as the target's engine describes them back, keys and all: what verify and the applier use. */
static GwResult
describe_made(Probe *pr)
{
    Selection sel;
    selection_init(&sel);
    for (size_t i = 0; i < pr->ntables; i++)
        selection_add_table(&sel, pr->tables[i].src->schema, pr->tables[i].src->name);
    GwResult rc = pr->conn->ops->source->describe(pr->conn, &sel, &pr->made);
    selection_free(&sel);
    for (size_t i = 0; i < pr->ntables && rc == GW_OK; i++) {
        ProbeTable *t = &pr->tables[i];
        t->made = catalog_find_table(&pr->made, t->src->schema, t->src->name);
        if (!t->made) {
            log_error("target %s: table %s.%s was made but is not found", pr->ep.redacted, t->src->schema,
                      t->src->name);
            rc = GW_ERR_TARGET;
        }
    }
    return rc;
}

/* Keeps the row the reader holds: its copied columns' COPY text, and its values. */
static void
keep_row(ProbeTable *t, RowReader *r)
{
    const TextRow *row = row_reader_row(r);
    t->vals = gw_calloc(row->n + 1, sizeof *t->vals);
    t->lens = gw_calloc(row->n + 1, sizeof *t->lens);
    for (size_t i = 0; i < row->n; i++) {
        t->lens[i] = row->lens[i];
        t->vals[i] = row->vals[i] ? gw_strndup(row->vals[i], row->lens[i]) : NULL;
    }
    /* A read gives every column; a copy takes those that are not generated, in the same order. */
    StrBuf sb;
    strbuf_init(&sb);
    const char *field = r->line.data;
    const char *end = r->line.data + r->line.len;
    for (size_t col = 0; col < t->src->ncolumns && field; col++) {
        const char *tab = memchr(field, '\t', (size_t) (end - field));
        const char *fend = tab ? tab : end;
        if (!t->src->columns[col].generated_sql) {
            if (sb.len)
                strbuf_append_char(&sb, '\t');
            strbuf_append_n(&sb, field, (size_t) (fend - field));
        }
        field = tab ? tab + 1 : NULL;
    }
    strbuf_append_char(&sb, '\n');
    t->line = strbuf_take(&sb);
}

/*
 * Whether a table is given a row of its own: a partitioned table whose
 * partitions the target keeps holds its rows in them (and reads them all).
 */
static bool
takes_row(const Preflight *p, const TableDef *t)
{
    return !(table_partitioned(t) && p->target->ops->keeps_table_trees);
}

/*
 * Reads what a scan of t on conn gives, to its end: counts the rows (n, if
 * not NULL) and keeps the first in keep (if not NULL).
 */
static GwResult
scan_rows(EngineConn *conn, const TableDef *t, const ScanRequest *req, ProbeTable *keep, int64_t *n)
{
    GwResult rc = conn->ops->source->scan_begin(conn, t, req);
    RowReader r;
    row_reader_init(&r, conn);
    bool got = rc == GW_OK;
    int64_t rows = 0;
    while (rc == GW_OK && got) {
        rc = row_reader_next(&r, &got);
        if (rc == GW_OK && got && rows++ == 0 && keep)
            keep_row(keep, &r);
    }
    row_reader_free(&r);
    if (n)
        *n = rows;
    return rc;
}

/* The table's first row by key of the phase's rows, if any. */
static GwResult
read_source_row(Preflight *p, ProbeTable *t)
{
    const SourceOps *so = p->source->ops->source;
    const RowFilter *f = selection_filter_for(&p->opts->selection, t->src->schema, t->src->name);
    char *where = f ? so->render_predicate(p->source, f->predicate) : NULL;
    ScanRequest req = {.predicate_sql = where, .limit = 1};
    GwResult rc = scan_rows(p->source, t->src, &req, t, NULL);
    free(where);
    return rc;
}

static GwResult
copy_rows(Preflight *p)
{
    Probe *pr = probe_of(p);
    const TargetOps *to = pr->conn->ops->target;
    GwResult rc = GW_OK;
    for (size_t i = 0; i < pr->ntables && rc == GW_OK; i++) {
        ProbeTable *t = &pr->tables[i];
        if (takes_row(p, t->src))
            rc = read_source_row(p, t);
        if (rc == GW_OK)
            rc = to->copy_in_begin(pr->conn, t->src, COPY_FORMAT_TEXT);
        if (rc == GW_OK && t->line)
            rc = to->copy_in_put(pr->conn, t->line, (int) strlen(t->line));
        int64_t rows = 0;
        if (rc == GW_OK)
            rc = to->copy_in_end(pr->conn, PROBE_PHASE, &t->shard, true, &rows);
    }
    return rc;
}

static GwResult
finish_tables(Preflight *p)
{
    Probe *pr = probe_of(p);
    GwResult rc = GW_OK;
    for (size_t i = 0; i < pr->ntables && rc == GW_OK; i++)
        rc = pr->conn->ops->target->finish_table(pr->conn, &p->cat, pr->tables[i].src);
    return rc ? rc : describe_made(pr);
}

/* As verify reads a target: a snapshot one session takes and another joins, each a session of its own. */
static GwResult
snapshot_read(Preflight *p)
{
    Probe *pr = probe_of(p);
    const SourceOps *so = pr->conn->ops->source;
    Snapshot snap;
    memset(&snap, 0, sizeof snap);
    EngineConn *taker = NULL, *reader = NULL;
    GwResult rc = engine_connect(&pr->ep, &taker);
    if (rc == GW_OK)
        rc = engine_connect(&pr->ep, &reader);
    if (rc == GW_OK)
        rc = so->snapshot_create(taker, NULL, &pr->made, SNAPSHOT_PLAIN, &snap);
    if (rc == GW_OK)
        rc = snapshot_share(taker, &reader, 1, &snap);
    for (size_t i = 0; i < pr->ntables && rc == GW_OK; i++) {
        ProbeTable *t = &pr->tables[i];
        int64_t n = 0;
        ScanRequest all = {0};
        rc = scan_rows(reader, t->made, &all, NULL, &n);
        if (rc == GW_OK && takes_row(p, t->src) && n != (t->line ? 1 : 0)) {
            log_error("target %s: table %s.%s read at a snapshot gives %lld rows, %d was copied", pr->ep.redacted,
                      t->src->schema, t->src->name, (long long) n, t->line ? 1 : 0);
            rc = GW_ERR_TARGET;
        }
    }
    if (snap.id)
        (void) so->snapshot_release(taker);
    engine_close(reader);
    engine_close(taker);
    snapshot_free(&snap);
    return rc;
}

/* The row as a change stream of the source would carry it (every column that takes a value); NULLs without one. */
static void
build_relation(ProbeTable *t)
{
    const TableDef *s = t->src;
    t->rel.schema = s->schema;
    t->rel.name = s->name;
    t->rel.replica_identity = s->npk ? REPLICA_IDENTITY_DEFAULT : REPLICA_IDENTITY_FULL;
    t->rel.cols = gw_calloc(s->ncolumns + 1, sizeof *t->rel.cols);
    t->values = gw_calloc(s->ncolumns + 1, sizeof *t->values);
    for (size_t col = 0; col < s->ncolumns; col++) {
        if (s->columns[col].generated_sql)
            continue;
        RelationColumn *rc = &t->rel.cols[t->rel.ncols];
        rc->name = s->columns[col].name;
        rc->type_id = s->columns[col].type_id;
        rc->typmod = -1;
        for (size_t k = 0; k < s->npk; k++)
            rc->key = rc->key || s->pk[k] == col;
        ChangeValue *v = &t->values[t->rel.ncols++];
        v->kind = t->vals && t->vals[col] ? VALUE_TEXT : VALUE_NULL;
        v->data = t->vals ? t->vals[col] : NULL;
        v->len = t->vals ? (uint32_t) t->lens[col] : 0;
    }
}

static GwResult
apply_one(EngineConn *conn, ProbeTable *t, ChangeKind kind)
{
    ChangeTuple row = {.ncols = t->rel.ncols, .values = t->values};
    Change ch = {.kind = kind, .rel = &t->rel, .must_exist = kind == CHANGE_UPDATE};
    if (kind != CHANGE_DELETE)
        ch.new_tuple = row;
    if (kind != CHANGE_INSERT && (kind == CHANGE_DELETE || !t->src->npk)) {
        ch.old_kind = t->src->npk ? CHANGE_OLD_KEY : CHANGE_OLD_ROW;
        ch.old_tuple = row;
    }
    return conn->ops->apply->apply_change(conn, &ch, t->made);
}

/* Every table emptied by one TRUNCATE change, as a stream carries it. */
static GwResult
apply_truncate(Probe *pr)
{
    const RelationInfo **rels = gw_calloc(pr->ntables + 1, sizeof *rels);
    const TableDef **defs = gw_calloc(pr->ntables + 1, sizeof *defs);
    for (size_t i = 0; i < pr->ntables; i++) {
        rels[i] = &pr->tables[i].rel;
        defs[i] = pr->tables[i].made;
    }
    Change ch = {.kind = CHANGE_TRUNCATE, .nrels = (uint32_t) pr->ntables, .rels = rels, .rel_defs = defs};
    GwResult rc = pr->conn->ops->apply->apply_change(pr->conn, &ch, NULL);
    free(defs);
    free(rels);
    return rc;
}

/* Update, delete and insert each row again, commit with a checkpoint; then truncate every table. */
static GwResult
apply_changes(Preflight *p)
{
    Probe *pr = probe_of(p);
    const ApplyOps *ap = pr->conn->ops->apply;
    GwResult rc = ap->apply_setup(pr->conn, pr->stream, p->source->ops->log_has_cascade_effects);
    for (size_t i = 0; i < pr->ntables && rc == GW_OK; i++) {
        ProbeTable *t = &pr->tables[i];
        if (!t->line)
            continue;
        build_relation(t);
        rc = apply_one(pr->conn, t, CHANGE_UPDATE);
        if (rc == GW_OK)
            rc = apply_one(pr->conn, t, CHANGE_DELETE);
        if (rc == GW_OK)
            rc = apply_one(pr->conn, t, CHANGE_INSERT);
    }
    if (rc == GW_OK)
        rc = ap->apply_commit(pr->conn, pr->stream, PROBE_PHASE, "1");
    for (size_t i = 0; i < pr->ntables && rc == GW_OK; i++)
        if (!pr->tables[i].line)
            build_relation(&pr->tables[i]);
    if (rc == GW_OK)
        rc = apply_truncate(pr);
    if (rc == GW_OK)
        rc = ap->apply_commit(pr->conn, pr->stream, PROBE_PHASE, "2");
    char *pos = NULL;
    bool found = false;
    if (rc == GW_OK)
        rc = ap->checkpoint_get(pr->conn, pr->stream, &pos, &found);
    if (rc == GW_OK && (!found || strcmp(pos, "2") != 0)) {
        log_error("target %s: the checkpoint committed with the changes reads back as %s", pr->ep.redacted,
                  found ? pos : "missing");
        rc = GW_ERR_TARGET;
    }
    free(pos);
    if (rc)
        ap->apply_abort(pr->conn);
    return rc;
}

static GwResult
finish_schema(Preflight *p)
{
    Probe *pr = probe_of(p);
    const TargetOps *to = pr->conn->ops->target;
    GwResult rc = to->finish_schema(pr->conn, &p->cat);
    if (rc == GW_OK && to->advance_sequences)
        rc = to->advance_sequences(pr->conn, &p->cat);
    return rc;
}

/*
 * Closes the probe's sessions and drops what it made: the database, then the
 * applier's replication origin, which its session holds until it has ended
 * (dropping the database waits for that).
 */
static GwResult
drop_database(Preflight *p)
{
    Probe *pr = probe_of(p);
    engine_close(pr->conn);
    pr->conn = NULL;
    GwResult rc = p->target->ops->scratch_database(p->target, pr->db, false);
    if (rc)
        log_error("target %s: drop the scratch database %s by hand", p->target_ep.redacted, pr->db);
    const ApplyOps *ap = p->target->ops->apply;
    if (rc == GW_OK && ap && ap->drop_origin)
        rc = ap->drop_origin(p->target, pr->stream);
    return rc;
}

/* ---------------------------------------------------------------- the run */

typedef struct ProbeStep {
    const char *check;
    CheckFn run;
    const char *ok;
} ProbeStep;

static const ProbeStep steps[] = {
    {"probe: godwit's state tables", state_tables, "made, written and read"},
    {"probe: the tables, every column type", make_tables, "made as fetch makes them"},
    {"probe: COPY in a transaction", copy_rows, "the first row of each table, its shard marked done"},
    {"probe: keys, constraints, indexes", finish_tables, "made on the loaded rows, and described back"},
    {"probe: reads at one snapshot", snapshot_read, "every table read from a second session"},
    {"probe: applied update, delete, insert, truncate", apply_changes, "committed with their checkpoint"},
    {"probe: foreign keys, sequences", finish_schema, "made"},
};

static void
probe_init(Probe *pr, const Catalog *cat)
{
    memset(pr, 0, sizeof *pr);
    /* Distinct for two probes at once on one server: the database and the replication origin are its. */
    unsigned seed = (unsigned) getpid() * 2654435761u ^ (unsigned) time(NULL) ^ (unsigned) clock();
    snprintf(pr->id, sizeof pr->id, "%08x", seed);
    phase_names_init(&pr->mp, pr->id, PROBE_PHASE);
    pr->stream = phase_names_stream(&pr->mp, false);
    pr->db = gw_asprintf("godwit_probe_%s", pr->id);
    catalog_init(&pr->made);
    pr->ntables = cat->ntables;
    pr->tables = gw_calloc(cat->ntables + 1, sizeof *pr->tables);
    for (size_t i = 0; i < cat->ntables; i++) {
        ProbeTable *t = &pr->tables[i];
        t->src = &cat->tables[i];
        t->shard = (ShardProgress){.schema = t->src->schema, .table = t->src->name, .shard = 0, .nshards = 1};
    }
}

static void
probe_free(Probe *pr)
{
    for (size_t i = 0; i < pr->ntables; i++) {
        ProbeTable *t = &pr->tables[i];
        for (size_t c = 0; t->vals && c < t->src->ncolumns; c++)
            free(t->vals[c]);
        free(t->vals);
        free(t->lens);
        free(t->line);
        free(t->rel.cols);
        free(t->values);
    }
    free(pr->tables);
    catalog_free(&pr->made);
    engine_close(pr->conn);
    endpoint_free(&pr->ep);
    free(pr->stream);
    free(pr->db);
}

/* Whether the target is probed: asked for, or by default where godwit's tests cannot reach it. */
static bool
probe_wanted(Preflight *p)
{
    if (p->opts->probe == PROBE_OFF) {
        preflight_not_run(p, "target probe", "--no-probe", false);
        return false;
    }
    if (p->opts->probe == PROBE_AUTO && (!p->target || p->target->kind != ENGINE_COCKROACH)) {
        preflight_not_run(p, "target probe", "run on CockroachDB targets, or with --probe", false);
        return false;
    }
    if (p->problems) {
        preflight_not_run(p, "target probe", "fix the problems above first", false);
        return false;
    }
    if (!p->target->ops->scratch_database || !p->target->ops->target || !p->target->ops->apply) {
        log_error("target %s (%s) cannot be probed", p->target_ep.redacted, p->target->ops->name);
        p->problems++;
        return false;
    }
    return true;
}

void
preflight_probe(Preflight *p)
{
    if (!probe_wanted(p))
        return;
    Probe pr;
    probe_init(&pr, &p->cat);
    p->probe = &pr;
    /* A first Ctrl-C stops after the step that runs, and drops the database; a second leaves it, and says so. */
    char *last_words = gw_asprintf("preflight interrupted: on the target, DROP DATABASE %s%s\n", pr.db,
                                   p->target->kind == ENGINE_COCKROACH ? " CASCADE" : "");
    signals_set_last_words(last_words);
    bool ok = preflight_check(p, "probe: scratch database", make_database, gw_asprintf("%s made", pr.db));
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        if (ok && signals_stop_requested()) {
            preflight_not_run(p, steps[i].check, "interrupted", true);
            ok = false;
        } else if (!ok) {
            preflight_not_run(p, steps[i].check, "a step before it failed", false);
        } else {
            ok = preflight_check(p, steps[i].check, steps[i].run, gw_strdup(steps[i].ok));
        }
    }
    if (pr.created)
        (void) preflight_check(p, "probe: scratch database dropped", drop_database, gw_strdup("nothing left"));
    signals_set_last_words(NULL);
    free(last_words);
    p->probe = NULL;
    probe_free(&pr);
}
