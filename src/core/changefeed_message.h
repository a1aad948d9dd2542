/*
 * changefeed_message.h: one request body of a CockroachDB changefeed's
 * webhook sink (DESIGN.md, "CockroachDB specifics"), checked for shape.
 *
 * Row batches: {"payload": [{"after": {...} | null, "before": {...} | null,
 * "key": [...], "topic": "...", "updated": "<hlc>"}, ...], "length": N}, as
 * sent by CREATE CHANGEFEED ... WITH updated (envelope wrapped, format json;
 * "before" only WITH diff).  Resolved timestamps: {"resolved": "<hlc>"}.
 */
#ifndef GW_CHANGEFEED_MESSAGE_H
#define GW_CHANGEFEED_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/hlc.h"
#include "core/jsonv.h"

typedef struct ChangefeedRow {
    const char *topic;          /* the table, as the changefeed names it */
    const JsonvNode *key;       /* array: the primary key's values */
    Hlc updated;
    const JsonvNode *after;     /* object, or JV_NULL for a delete */
    const JsonvNode *before;    /* object, JV_NULL (no row before), or NULL: not sent (no diff option) */
} ChangefeedRow;

typedef struct ChangefeedMessage {
    bool is_resolved;
    Hlc resolved;
    ChangefeedRow *rows;
    size_t nrows;
    JsonvDoc doc;               /* owns every node the rows point to */
} ChangefeedMessage;

/*
 * Parses and checks a body: malformed JSON, a missing or mistyped field, an
 * invalid timestamp or a "length" that does not match is refused with a
 * message (false).  On success free the message with changefeed_message_free.
 */
bool changefeed_message_parse(const char *body, size_t len, ChangefeedMessage *out, char *err, size_t errlen);
void changefeed_message_free(ChangefeedMessage *m);

/*
 * A topic's name parts, unquoted: CockroachDB names a topic after the table
 * as SQL writes it, "table" or with full_table_name "db.schema.table", each
 * part double-quoted when it needs it (db.public."Order", "my db".s."a.b").
 * Returns how many parts (at most max, each malloc'd), or -1 when the topic
 * is not such a name.
 */
int changefeed_topic_parts(const char *topic, char **parts, int max);

#endif
