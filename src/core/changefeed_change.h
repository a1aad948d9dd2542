/*
 * changefeed_change.h: a row change of a CockroachDB changefeed (key, after,
 * before) as a Change of the source's table, for the phase filter and the
 * source's applier (DESIGN.md, "How data flows").
 *
 * What the changefeed's envelope says becomes a change kind:
 *   after {...}, no "before" (changefeed without diff)  update without the old row (an upsert)
 *   after {...}, before null                            insert
 *   after {...}, before {...}                           update with the whole old row
 *   after null,  before {...}                           delete with the whole old row
 *   after null,  before null or not sent                delete by the key's values
 * Every column of the source table that takes values must be in a row, and
 * every column of a row must be one of them (the source's generated columns
 * and CockroachDB's hidden "rowid" of a table without a primary key aside):
 * a difference is a schema change the operator resolves.
 */
#ifndef GW_CHANGEFEED_CHANGE_H
#define GW_CHANGEFEED_CHANGE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/catalog.h"
#include "core/change.h"
#include "core/changefeed_value.h"
#include "core/jsonv.h"
#include "util/strbuf.h"

/* A source table as changefeed rows fill it. */
typedef struct ChangefeedTable {
    const TableDef *def;
    RelationInfo rel;           /* its columns that take values (stored generated ones excluded) */
    ChangefeedType *types;      /* per rel column */
    ssize_t *rel_of_def;        /* TableDef column -> rel column, -1 when generated */
} ChangefeedTable;

void changefeed_table_init(ChangefeedTable *t, const Catalog *cat, const TableDef *def, uint32_t id);
void changefeed_table_free(ChangefeedTable *t);

/* A change built from one row; its values live in its own buffers until the next build or free. */
typedef struct ChangefeedChange {
    Change change;
    ChangeValue *new_values;
    ChangeValue *old_values;
    size_t *new_offsets;
    size_t *old_offsets;
    size_t cap;
    StrBuf text;
} ChangefeedChange;

void changefeed_change_init(ChangefeedChange *c);
/* Builds c->change (see the table above); false with a message naming the column when a row does not fit. */
bool changefeed_change_build(ChangefeedChange *c, const ChangefeedTable *t, const JsonvNode *key,
                             const JsonvNode *after, const JsonvNode *before, char *err, size_t errlen);
void changefeed_change_free(ChangefeedChange *c);

#endif
