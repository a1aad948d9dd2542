/*
 * verify.h: `godwit verify`: compare source and target row by row, each side
 * read from one consistent snapshot, and name every difference; or compare
 * a sample of each table's rows, cheaply enough to run while a cutover holds
 * the phase's writes.
 *
 * flow_verify() may run inside another command (cutover), any number of
 * times in one process: it keeps no state between calls.  The caller builds
 * the options (a Selection of its own phase's tables and filters, say), sets
 * `embedded`, and reads the outcome from `result` as well as from the return
 * code.  The options' selection is the caller's: flow_verify only marks its
 * patterns' matches (reset at each call) and never frees it.
 */
#ifndef GW_VERIFY_H
#define GW_VERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/selection.h"
#include "util/result.h"

/* What a verify run found, for a caller that runs it in-process (cutover). */
typedef struct VerifyResult {
    bool sampled;               /* sample_rows > 0 */
    int tables;                 /* tables compared (or named by a schema difference) */
    int tables_different;       /* of which some differ: schema or rows */
    int tables_not_sampled;     /* sample mode: tables without a primary key, not compared */
    int64_t rows_compared;
    bool equal;
    double seconds;             /* wall time of the run, connections included */
} VerifyResult;

typedef struct VerifyOptions {
    const char *source_url;
    const char *target_url;
    const char *phase;
    const char *migration_id;   /* checked by the caller (cutover); NULL: verify checks the target's migration */
    Selection selection;        /* --tables, --exclude, --where */
    int jobs;
    int live_seconds;           /* 0: report what the snapshots show */
    bool json_output;
    const char *repair_file;    /* NULL: no repair SQL */
    double float_tolerance;     /* < 0: floats bit-exact */
    int max_report;             /* rows listed per table */
    const char *metrics_addr;   /* NULL: no /metrics server of its own (always NULL when embedded) */
    /*
     * --sample N: compare about N rows of each table with a primary key, in
     * up to 16 windows of consecutive keys spread over the table, instead of
     * every row; no table is read in full and no row counted.  Tables
     * without a key are not compared (reported as "not sampled: no key").
     * 0: full verify.
     */
    int sample_rows;
    /* The phase's rows are fenced (cutover): a MySQL source needs no global read lock for one instant. */
    bool fenced;
    /* The report lists only the tables that differ (or were not sampled), then the summary. */
    bool summary_only;
    /* The report as log records (on stderr) instead of on stdout (cutover --format json keeps stdout for its own object). */
    bool report_to_log;
    /*
     * Run inside another command: verify's metrics series join the process's
     * registry and are left there for the caller (its own /metrics shows
     * them; it resets the registry when it ends), instead of being cleared.
     */
    bool embedded;
    VerifyResult result;        /* out: filled when flow_verify returns GW_OK or GW_DIFFERENT */
} VerifyOptions;

/*
 * GW_OK when equal, GW_DIFFERENT when differences were found, else an error.
 * When the target holds godwit state for the phase (a `_godwit.phases` row
 * written by fetch), each completed run is recorded in `_godwit.events` as
 * kind "verify" with detail {"mode": "full"|"sample", "tables", "tables_different",
 * "rows_compared", "equal", "seconds"}; a target without that state is
 * never written to.
 */
GwResult flow_verify(VerifyOptions *opts) GW_MUST_CHECK;

#endif
