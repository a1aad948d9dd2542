/*
 * source_flags.c: a MySQL/MariaDB source's conversion flags as its options
 * (source_flags.h), for fetch and preflight alike.
 */
#include "flow/source_flags.h"

#include <jansson.h>
#include <stdlib.h>

#include "util/log.h"
#include "util/mem.h"

/* The type map file: a JSON object whose values are all strings. */
static GwResult
load_type_map(const char *path, json_t **out)
{
    json_error_t err;
    json_t *map = json_load_file(path, 0, &err);
    if (!map) {
        if (err.line > 0)
            log_error("--type-map %s: %s (line %d)", path, err.text, err.line);
        else
            log_error("--type-map %s: %s", path, err.text);
        return GW_ERR_USAGE;
    }
    if (!json_is_object(map)) {
        log_error("--type-map %s: expected a JSON object {\"database.table.column\": \"postgresql type\"}", path);
        json_decref(map);
        return GW_ERR_USAGE;
    }
    const char *key;
    json_t *value;
    json_object_foreach(map, key, value) {
        if (!json_is_string(value) || !*json_string_value(value)) {
            log_error("--type-map %s: the value of \"%s\" must be a PostgreSQL type name", path, key);
            json_decref(map);
            return GW_ERR_USAGE;
        }
    }
    *out = map;
    return GW_OK;
}

GwResult
source_flags_json(const SourceFlags *o, char **out)
{
    *out = NULL;
    if (!o->zero_dates && !o->unsigned_bigint && !o->type_map_file)
        return GW_OK;
    json_t *map = NULL;
    if (o->type_map_file) {
        GwResult rc = load_type_map(o->type_map_file, &map);
        if (rc)
            return rc;
    }
    json_t *obj = json_object();
    json_object_set_new(obj, "zero_dates", json_string(o->zero_dates ? o->zero_dates : "error"));
    json_object_set_new(obj, "unsigned_bigint", json_string(o->unsigned_bigint ? o->unsigned_bigint : "numeric"));
    json_object_set_new(obj, "type_map", map ? map : json_object());
    *out = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(obj);
    return GW_OK;
}

GwResult
source_flags_apply(EngineConn *conn, const char *options)
{
    if (!options)
        return GW_OK;
    if (!(conn->ops->source && conn->ops->source->set_source_options)) {
        log_error("--zero-dates, --unsigned-bigint and --type-map apply to MySQL/MariaDB sources only, not to %s",
                  conn->endpoint->redacted);
        return GW_ERR_USAGE;
    }
    return conn->ops->source->set_source_options(conn, options);
}
