/*
 * verify.h: `godwit verify`: compare source and target row by row, each side
 * read from one consistent snapshot, and name every difference.
 */
#ifndef GW_VERIFY_H
#define GW_VERIFY_H

#include <stdbool.h>

#include "core/selection.h"
#include "util/result.h"

typedef struct VerifyOptions {
    const char *source_url;
    const char *target_url;
    const char *phase;
    Selection selection;        /* --tables, --exclude, --where */
    int jobs;
    int live_seconds;           /* 0: report what the snapshots show */
    bool json_output;
    const char *repair_file;    /* NULL: no repair SQL */
    double float_tolerance;     /* < 0: floats bit-exact */
    int max_report;             /* rows listed per table */
    const char *metrics_addr;
} VerifyOptions;

/* GW_OK when equal, GW_DIFFERENT when differences were found, else an error. */
GwResult flow_verify(VerifyOptions *opts) GW_MUST_CHECK;

#endif
