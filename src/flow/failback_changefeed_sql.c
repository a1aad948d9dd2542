/*
 * failback_changefeed_sql.c: the CREATE CHANGEFEED statement that sends a
 * phase's changes on a CockroachDB target to godwit's webhook (see
 * failback_changefeed.h).
 *
 * Each option is there for the applier: updated (every row's timestamp),
 * resolved and min_checkpoint_frequency (resolved timestamps every second),
 * diff (the row before, so that a phase predicate can see where a row came
 * from), envelope wrapped and format json (the documented webhook body),
 * full_table_name (topics that name the schema), encode_json_value_null_as_object
 * (a JSON null is {"__crdb_json_null__": true}, not null: CockroachDB leaves
 * it out before v24.2, crdb_target.c), cursor (changes after the
 * failback position or the checkpoint), and webhook_sink_config (batches
 * under the body cap, retried without end).  The secret token is written
 * only when the caller passes it, to run the statement, never to print it.
 */
#include "flow/failback_changefeed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/strbuf.h"

static const char base64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 of s, percent-encoded for a URI query: '+', '/' and '=' would otherwise change meaning. */
static void
append_base64_query(StrBuf *sb, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned) s[i] << 16 | (i + 1 < n ? (unsigned) s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
        for (int k = 0; k < 4; k++) {
            char c = (size_t) k <= (n - i) ? base64_chars[(v >> (18 - 6 * k)) & 63] : '=';
            if (c == '+')
                strbuf_append(sb, "%2B");
            else if (c == '/')
                strbuf_append(sb, "%2F");
            else if (c == '=')
                strbuf_append(sb, "%3D");
            else
                strbuf_append_char(sb, c);
        }
    }
}

static void
append_path_segment(StrBuf *sb, const char *s)
{
    for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '_' || *p == '.')
            strbuf_append_char(sb, (char) *p);
        else
            strbuf_appendf(sb, "%%%02X", *p);
    }
}

static void
append_literal(StrBuf *sb, const char *s)
{
    char *q = str_quote(s, '\'');
    strbuf_append(sb, q);
    free(q);
}

char *
failback_changefeed_sql(const ChangefeedSpec *spec)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, "CREATE CHANGEFEED FOR TABLE ");
    for (size_t i = 0; i < spec->ntables; i++) {
        char *schema = str_quote(spec->tables[i]->schema, '"'), *name = str_quote(spec->tables[i]->name, '"');
        strbuf_appendf(&sb, "%s%s.%s", i ? ", " : "", schema, name);
        free(schema);
        free(name);
    }
    StrBuf uri;
    strbuf_init(&uri);
    strbuf_appendf(&uri, "webhook-https://%s:%d/godwit/", spec->host, spec->port);
    append_path_segment(&uri, spec->phase);
    char sep = '?';
    if (spec->ca_cert_pem) {
        strbuf_append(&uri, "?ca_cert=");
        append_base64_query(&uri, (const unsigned char *) spec->ca_cert_pem, strlen(spec->ca_cert_pem));
        sep = '&';
    }
    if (spec->client_cert)
        strbuf_appendf(&uri, "%cclient_cert=<base64 of the client certificate>&client_key=<base64 of its key>", sep);
    strbuf_append(&sb, "\n  INTO ");
    append_literal(&sb, uri.data);
    strbuf_free(&uri);

    char cursor[HLC_TEXT_LEN];
    hlc_format(spec->cursor, cursor, sizeof cursor);
    strbuf_appendf(&sb, "\n  WITH updated, resolved = '1s', min_checkpoint_frequency = '1s', diff,"
                        " envelope = 'wrapped', format = 'json', full_table_name,\n"
                        "       encode_json_value_null_as_object, cursor = '%s'", cursor);
    if (spec->token) {
        char *header = gw_asprintf("Bearer %s", spec->token);
        strbuf_append(&sb, ",\n       webhook_auth_header = ");
        append_literal(&sb, header);
        free(header);
    } else if (spec->token_source) {
        strbuf_appendf(&sb, ",\n       webhook_auth_header = 'Bearer <token from %s>'", spec->token_source);
    }
    /*
     * godwit answers once a batch is committed on the source, one request at a
     * time: the sink's default client timeout (3 s) would resend batches that
     * are being applied (docs "CREATE CHANGEFEED", webhook_client_timeout).
     */
    strbuf_append(&sb, ",\n       webhook_client_timeout = '60s'");
    size_t flush = spec->flush_bytes < 65536 ? 65536 : spec->flush_bytes;
    strbuf_appendf(&sb, ",\n       webhook_sink_config = '{\"Flush\": {\"Messages\": 1000, \"Bytes\": %zu,"
                        " \"Frequency\": \"200ms\"}, \"Retry\": {\"Max\": \"inf\", \"Backoff\": \"500ms\"}}';", flush);
    return strbuf_take(&sb);
}
