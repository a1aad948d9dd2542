/*
 * verify_internal.h: what the parts of verify share: the tables compared,
 * with the columns matched by name on both sides, and what was found.
 */
#ifndef GW_VERIFY_INTERNAL_H
#define GW_VERIFY_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/catalog.h"
#include "core/phase.h"
#include "core/value_compare.h"
#include "engine/engine.h"
#include "flow/row_reader.h"
#include "flow/verify.h"
#include "util/metrics.h"
#include "util/progress.h"

/* Row differences kept per table, for the report, the live recheck and the repair SQL. */
#define VERIFY_KEPT_DIFFS 10000

typedef enum DiffKind { DIFF_MISSING, DIFF_EXTRA, DIFF_MISMATCH } DiffKind;

typedef struct RowDiff {
    DiffKind kind;
    char **key;             /* npk values */
    TextRow src;               /* empty (n == 0) when extra */
    TextRow tgt;               /* empty when missing */
} RowDiff;

typedef struct SchemaDiff {
    const char *kind;       /* table_missing, column_extra, type, ... (JSON "kind") */
    char *column;           /* NULL for the table */
    const char *side;       /* "source", "target" or NULL */
    char *detail;           /* one line for the text report */
} SchemaDiff;

typedef enum VerifyMethod {
    VERIFY_MERGE,           /* both sides ordered alike: one merge of two ordered reads */
    VERIFY_LOOKUP,          /* orders differ (collations): pages of one side looked up in the other */
    VERIFY_UNKEYED,         /* no primary key: counts and an order-free hash of the rows */
    VERIFY_NONE,            /* schema differences prevent a row comparison */
} VerifyMethod;

typedef struct VTable {
    char *display;          /* schema.table */
    const TableDef *src;    /* NULL when only on the target */
    const TableDef *tgt;    /* NULL when only on the source */
    char *src_pred;         /* the row filter in each side's dialect, or NULL */
    char *tgt_pred;
    VerifyMethod method;
    bool not_sampled;       /* --sample: a table without a key, not compared */
    /* Columns on both sides: positions in each side's rows, how they compare, their target name. */
    size_t ncols;
    size_t *src_col;
    size_t *tgt_col;
    ValueClass *cls;
    bool same_columns;      /* both sides have the same columns in the same order: equal lines are equal rows */
    bool *key_numeric;      /* per key column: merge order by value, not bytes */
    ValueClass *key_cls;    /* per key column: its class, by which keys are matched (value_canonical) */
    SchemaDiff *schema;
    size_t nschema;
    /* Results, under mu (shards of one table run in parallel). */
    pthread_mutex_t mu;
    int64_t compared, missing, extra, mismatched;
    RowDiff *diffs;
    size_t ndiffs, cap_diffs;
    bool diffs_truncated;
    uint64_t src_hash, tgt_hash;    /* VERIFY_UNKEYED */
    int64_t src_rows, tgt_rows;
    ProgressItem *progress;
    Metric *m_rows, *m_diffs;
} VTable;

typedef struct Verifier {
    VerifyOptions *opts;
    Endpoint source_ep, target_ep;
    EngineConn *source, *target;
    Catalog src_cat, tgt_cat;
    Phase phase;                /* its tables and row filters, when a fetch recorded it on the target */
    VTable *tables;
    size_t ntables;
    bool phase_found;
    char *src_options;          /* the phase's source options (JSON), for every source session */
    bool *user_tables;          /* with a phase: per source table, whether --tables/--exclude keep it */
    double started;             /* progress_now() when the run began */
    uint64_t seed;              /* --sample: where the windows' random starts come from */
} Verifier;

/* verify_schema.c: matches the tables and columns of both catalogs and records their differences. */
void verify_match_schema(Verifier *v);
void vtable_free(VTable *t);
void vtable_add_schema(VTable *t, const char *kind, const char *column, const char *side, char *detail);

/* verify_rows.c */
typedef enum WorkKind {
    WORK_MERGE, WORK_SOURCE_PAGES, WORK_TARGET_PAGES, WORK_UNKEYED,
    WORK_SAMPLE,            /* --sample: a table's windows, one after the other (verify_sample.c) */
} WorkKind;
typedef struct WorkItem {
    VTable *table;
    WorkKind kind;
    KeyRange range;         /* of the side that drives it; open for a whole table */
    long limit;             /* pages: at most this many rows of the driving side (0: all);
                               WORK_SAMPLE: the rows to sample */
    uint64_t seed;          /* WORK_SAMPLE: of its random window starts */
} WorkItem;
GwResult verify_work(VTable *t, const WorkItem *w, EngineConn *src, EngineConn *tgt, double tolerance) GW_MUST_CHECK;
/*
 * A sample's window of a merged table: the source's first `rows` rows from
 * key `lower` (NULL: the start) and the target's up to the same end key,
 * which is handed back in *next (the source's next key; NULL at its end;
 * caller frees, npk values).
 */
GwResult verify_window(VTable *t, char **lower, long rows, EngineConn *src, EngineConn *tgt, double tolerance,
                       char ***next) GW_MUST_CHECK;
/* Reads the kept differences again on both sides now (no snapshot); drops those that match. */
GwResult verify_recheck(VTable *t, EngineConn *src, EngineConn *tgt, double tolerance) GW_MUST_CHECK;
void vrow_free(TextRow *r);
/* Adds delta to the table's count of differences of one kind. */
void vtable_count_diff(VTable *t, DiffKind kind, int64_t delta);
void row_diff_free(RowDiff *d);

/* verify_sample.c: compares the windows of one table (a WORK_SAMPLE item). */
GwResult verify_sample_table(VTable *t, const WorkItem *w, EngineConn *src, EngineConn *tgt,
                             double tolerance) GW_MUST_CHECK;

/* verify_report.c */
void verify_report(const Verifier *v, bool json);
/* What the run found, seconds excepted. */
void verify_result_compute(const Verifier *v, VerifyResult *r);
/* The detail of the "verify" event in the target's _godwit.events (JSON text; caller frees). */
char *verify_result_json(const VerifyResult *r);
GwResult verify_write_repair(const Verifier *v, const char *path) GW_MUST_CHECK;
/* "(id, k)=(5, x)" for a key of t's target (or source) side. */
char *verify_key_text(const VTable *t, char *const *key);

#endif
