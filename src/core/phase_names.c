/*
 * phase_names.c: the names of a migration's phase outside its target's
 * phase row (see phase_names.h).  Every name derived from a phase is built
 * here and nowhere else.
 */
#include "core/phase_names.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/change.h"
#include "core/plan.h"
#include "util/mem.h"
#include "util/strbuf.h"

void
phase_names_init(MigrationPhase *mp, const char *id, const char *phase)
{
    snprintf(mp->id, sizeof mp->id, "%s", id ? id : "");
    mp->phase = phase;
}

/* "<id>_" when there is an id, else nothing. */
static void
append_id(StrBuf *sb, const MigrationPhase *mp, char sep)
{
    if (mp->id[0])
        strbuf_appendf(sb, "%s%c", mp->id, sep);
}

char *
phase_names_slot(const MigrationPhase *mp, bool failback)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, "godwit_");
    append_id(&sb, mp, '_');
    size_t n = 0;
    for (const char *p = mp->phase; *p && n < PLAN_PHASE_NAME_MAX; p++, n++)
        strbuf_append_char(&sb, isalnum((unsigned char) *p) ? (char) tolower((unsigned char) *p) : '_');
    if (failback)
        strbuf_append(&sb, "_failback");
    return strbuf_take(&sb);
}

bool
phase_names_slot_is_migrations(const char *slot, const char *id)
{
    static const char prefix[] = "godwit_";
    if (strncmp(slot, prefix, sizeof prefix - 1) != 0)
        return false;
    if (!id || !*id)
        return true;
    size_t n = strlen(id);
    return !strncmp(slot + sizeof prefix - 1, id, n) && slot[sizeof prefix - 1 + n] == '_';
}

char *
phase_names_stream(const MigrationPhase *mp, bool failback)
{
    StrBuf sb;
    strbuf_init(&sb);
    append_id(&sb, mp, ':');
    strbuf_appendf(&sb, "%s:%s", mp->phase, failback ? "failback" : "forward");
    return strbuf_take(&sb);
}

bool
phase_names_stream_is_failback(const char *stream)
{
    size_t n = strlen(stream), s = strlen(":failback");
    return n >= s && !strcmp(stream + n - s, ":failback");
}

const char *
phase_names_stream_direction(const char *stream)
{
    const char *dir = strrchr(stream, ':');
    return dir ? dir + 1 : "forward";
}

char *
phase_names_origin(const char *stream)
{
    return gw_asprintf("godwit:%s", stream);
}

bool
phase_names_origin_is_migrations(const char *origin, const char *id)
{
    size_t g = strlen(CHANGE_ORIGIN_GODWIT);
    /* skip_replication (MySQL/MariaDB) names no migration: see phase_names.h for why it is not an echo. */
    if (!origin || strncmp(origin, CHANGE_ORIGIN_GODWIT, g) != 0 || !strcmp(origin, CHANGE_ORIGIN_SKIP))
        return false;
    if (!id || !*id)
        return true;
    /* phase_names_origin of phase_names_stream: "godwit:<id>:<phase>:<direction>". */
    size_t n = strlen(id);
    return !strncmp(origin + g, id, n) && origin[g + n] == ':';
}

char *
phase_names_app(const MigrationPhase *mp, const char *command)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_appendf(&sb, "godwit %s:", command);
    append_id(&sb, mp, ':');
    strbuf_append(&sb, mp->phase);
    return strbuf_take(&sb);
}

char *
phase_names_command_app(const char *command)
{
    return gw_asprintf("godwit %s", command);
}

char *
phase_names_fence(const MigrationPhase *mp)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, PHASE_NAMES_FENCE_PREFIX);
    append_id(&sb, mp, '_');
    strbuf_append(&sb, mp->phase);
    return strbuf_take(&sb);
}

char *
phase_names_staging(const MigrationPhase *mp)
{
    StrBuf sb;
    strbuf_init(&sb);
    append_id(&sb, mp, ':');
    strbuf_append(&sb, mp->phase);
    return strbuf_take(&sb);
}

uint32_t
phase_names_server_id(const MigrationPhase *mp)
{
    /* FNV-1a over "<id>:<phase>" */
    char *key = phase_names_staging(mp);
    uint32_t h = 2166136261u;
    for (const char *p = key; *p; p++)
        h = (h ^ (uint8_t) *p) * 16777619u;
    free(key);
    return 0x80000000u | (h & 0x7fffffffu);
}
