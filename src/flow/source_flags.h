/*
 * source_flags.h: the flags that tell a MySQL/MariaDB source how to
 * convert its values (--zero-dates, --unsigned-bigint, --type-map), as the
 * one JSON object a source connection takes (SourceOps.set_source_options)
 * and a phase keeps:
 *
 *   {"type_map": {"db.table.column": "postgresql type", ...},
 *    "unsigned_bigint": "numeric" | "int8", "zero_dates": "error" | "null"}
 *
 * The type map file's content is stored, not its path.
 */
#ifndef GW_SOURCE_FLAGS_H
#define GW_SOURCE_FLAGS_H

#include "engine/engine.h"
#include "util/result.h"

typedef struct SourceFlags {
    const char *zero_dates;         /* "error" or "null"; NULL: not given */
    const char *unsigned_bigint;    /* "numeric" or "int8" */
    const char *type_map_file;      /* JSON file {"db.table.column": "postgresql type"} */
} SourceFlags;

/* The options the flags give (caller frees), or *out NULL when none was given; a bad type map file is GW_ERR_USAGE. */
GwResult source_flags_json(const SourceFlags *f, char **out) GW_MUST_CHECK;

/* Sets options (NULL: none) on a source connection; refused for an engine that takes none. */
GwResult source_flags_apply(EngineConn *conn, const char *options) GW_MUST_CHECK;

#endif
