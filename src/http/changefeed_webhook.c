/*
 * changefeed_webhook.c: the changefeed webhook endpoint (see
 * changefeed_webhook.h).
 *
 * Everything a request carries is untrusted: the body is buffered only up
 * to the cap, the token is compared in constant time and never logged, and
 * nothing reaches the deliver callback unless every check passed.  This file
 * never touches a database; the callback does.
 */
#include "http/changefeed_webhook.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_server.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/metrics.h"

/* Largest PEM file read (a certificate chain or a key). */
#define WEBHOOK_MAX_PEM (1024 * 1024)
/* Past the cap, a body is read and dropped up to this many times the cap, then the connection is cut. */
#define WEBHOOK_DISCARD_FACTOR 4

enum {
    HTTP_OK = 200,
    HTTP_BAD_REQUEST = 400,
    HTTP_UNAUTHORIZED = 401,
    HTTP_FORBIDDEN = 403,
    HTTP_NOT_FOUND = 404,
    HTTP_METHOD_NOT_ALLOWED = 405,
    HTTP_TOO_LARGE = 413,
    HTTP_UNAVAILABLE = 503,
};

struct Webhook {
    struct MHD_Daemon *daemon;
    WebhookConfig cfg;
    char *cert_pem;
    char *key_pem;
    char *ca_pem;
    char *token;
    char *path;
};

/* One request's state between libmicrohttpd's calls. */
typedef struct Request {
    char *body;
    size_t len, cap;
    size_t received;        /* bytes of body seen, kept or not */
    bool too_large;
} Request;

static char *
read_pem(const char *path, const char *option)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        log_error("%s %s: %s", option, path, strerror(errno));
        return NULL;
    }
    char *buf = gw_malloc(WEBHOOK_MAX_PEM + 1);
    size_t n = fread(buf, 1, WEBHOOK_MAX_PEM + 1, f);
    bool err = ferror(f);
    fclose(f);
    if (err || n == 0 || n > WEBHOOK_MAX_PEM || !strstr(buf, "-----BEGIN ")) {
        log_error("%s %s: %s", option, path,
                  err ? "cannot be read" : n > WEBHOOK_MAX_PEM ? "is larger than 1 MiB" : "is not a PEM file");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void) cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_debug("webhook: %s", msg);
}

/* The client's address, for the log of a refusal: "203.0.113.7:53312", "[2001:db8::1]:443". */
static void
peer_text(struct MHD_Connection *conn, char *out, size_t outlen)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    char addr[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *) sa;
        inet_ntop(AF_INET, &in->sin_addr, addr, sizeof addr);
        port = ntohs(in->sin_port);
        snprintf(out, outlen, "%s:%d", addr, port);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof addr);
        port = ntohs(in6->sin6_port);
        snprintf(out, outlen, "[%s]:%d", addr, port);
    } else {
        snprintf(out, outlen, "an unknown address");
    }
}

static enum MHD_Result
respond(struct MHD_Connection *conn, unsigned status, const char *text)
{
    char body[600];
    snprintf(body, sizeof body, "%s\n", text);
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    if (status == HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, "Allow", "POST");
    if (status == HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    char code[8];
    snprintf(code, sizeof code, "%u", status);
    metrics_add(metrics_series("godwit_webhook_requests_total", "Changefeed webhook requests, per response status",
                               METRIC_COUNTER, "status", code),
                1);
    if (status != HTTP_OK) {
        char peer[INET6_ADDRSTRLEN + 16];
        peer_text(conn, peer, sizeof peer);
        log_warn("webhook: refused a request from %s with %u: %s", peer, status, text);
    }
    return ret;
}

/* Same answer time for any token of a given length: a wrong guess tells nothing about the right one. */
static bool
token_matches(const char *given, size_t given_len, const char *expected)
{
    size_t n = strlen(expected);
    unsigned char diff = given_len != n;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char) (expected[i] ^ (i < given_len ? given[i] : 0));
    return diff == 0;
}

static bool
authorized(const Webhook *w, struct MHD_Connection *conn)
{
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return false;
    h += 7;
    while (*h == ' ')
        h++;
    size_t len = strlen(h);
    while (len > 0 && h[len - 1] == ' ')
        len--;
    return token_matches(h, len, w->token);
}

/* The client's certificate chains to the configured CA (libmicrohttpd asks for it, GnuTLS checks it). */
static bool
client_certified(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!ci || !ci->tls_session)
        return false;
    gnutls_session_t session = (gnutls_session_t) ci->tls_session;
    unsigned int n = 0;
    if (!gnutls_certificate_get_peers(session, &n) || n == 0)
        return false;
    unsigned int status = 0;
    return gnutls_certificate_verify_peers2(session, &status) == GNUTLS_E_SUCCESS && status == 0;
}

/* The first call for a request: everything decided from its headers. */
static enum MHD_Result
check_headers(const Webhook *w, struct MHD_Connection *conn, const char *url, const char *method, Request *rq)
{
    if (w->ca_pem && !client_certified(conn))
        return respond(conn, HTTP_FORBIDDEN, "a client certificate signed by the configured CA is required");
    if (w->token && !authorized(w, conn))
        return respond(conn, HTTP_UNAUTHORIZED, "missing or wrong bearer token");
    /* Another path is another phase's changefeed, or none: its rows must not be staged into this one. */
    if (w->path && strcmp(url, w->path) != 0)
        return respond(conn, HTTP_NOT_FOUND, "no such endpoint: this one is the phase's path only");
    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
        return respond(conn, HTTP_METHOD_NOT_ALLOWED, "only POST is accepted");
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long declared = strtoull(cl, &end, 10);
        if (errno == 0 && end != cl && *end == '\0' && declared > w->cfg.max_body) {
            /*
             * A body the client is already sending is read and dropped, and
             * refused once in: answering now and closing with it unread
             * resets the connection, and the client may never see the 413.
             * Only one too large to be worth reading is refused at once.
             */
            if (declared / WEBHOOK_DISCARD_FACTOR <= w->cfg.max_body) {
                rq->too_large = true;
                return MHD_YES;
            }
            char msg[120];
            snprintf(msg, sizeof msg, "the body (%llu bytes) is larger than %zu bytes", declared, w->cfg.max_body);
            return respond(conn, HTTP_TOO_LARGE, msg);
        }
    }
    return MHD_YES;
}

/* A chunk of body: kept while under the cap, dropped after. */
static enum MHD_Result
take_body(const Webhook *w, Request *rq, const char *data, size_t n)
{
    rq->received += n;
    if (!rq->too_large && rq->len + n > w->cfg.max_body) {
        rq->too_large = true;
        free(rq->body);
        rq->body = NULL;
        rq->len = rq->cap = 0;
    }
    if (rq->too_large)
        return rq->received / WEBHOOK_DISCARD_FACTOR > w->cfg.max_body ? MHD_NO : MHD_YES;
    gw_grow((void **) &rq->body, &rq->cap, rq->len + n + 1, 1);
    memcpy(rq->body + rq->len, data, n);
    rq->len += n;
    return MHD_YES;
}

/* The whole body is in: parse it, hand it on, answer with the verdict. */
static enum MHD_Result
finish(const Webhook *w, struct MHD_Connection *conn, Request *rq)
{
    if (rq->too_large) {
        char msg[120];
        snprintf(msg, sizeof msg, "the body is larger than %zu bytes", w->cfg.max_body);
        return respond(conn, HTTP_TOO_LARGE, msg);
    }
    ChangefeedMessage m;
    char why[400];
    if (!changefeed_message_parse(rq->body ? rq->body : "", rq->len, &m, why, sizeof why))
        return respond(conn, HTTP_BAD_REQUEST, why);
    why[0] = '\0';
    WebhookVerdict v = w->cfg.deliver(w->cfg.ctx, &m, why, sizeof why);
    changefeed_message_free(&m);
    switch (v) {
    case WEBHOOK_STAGED: return respond(conn, HTTP_OK, "ok");
    case WEBHOOK_REFUSED: return respond(conn, HTTP_BAD_REQUEST, why[0] ? why : "refused");
    default: return respond(conn, HTTP_UNAVAILABLE, "not stored; retry later");
    }
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method, const char *version,
       const char *upload_data, size_t *upload_size, void **req_cls)
{
    (void) version;
    const Webhook *w = cls;
    Request *rq = *req_cls;
    if (!rq) {
        rq = gw_calloc(1, sizeof *rq);
        *req_cls = rq;
        return check_headers(w, conn, url, method, rq);
    }
    if (*upload_size > 0) {
        enum MHD_Result r = take_body(w, rq, upload_data, *upload_size);
        *upload_size = 0;
        return r;
    }
    return finish(w, conn, rq);
}

static void
request_done(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode code)
{
    (void) cls;
    (void) conn;
    (void) code;
    Request *rq = *req_cls;
    if (rq)
        free(rq->body);
    free(rq);
    *req_cls = NULL;
}

static void
webhook_free(Webhook *w)
{
    free(w->cert_pem);
    free(w->key_pem);
    free(w->ca_pem);
    free(w->token);
    free(w->path);
    free(w);
}

GwResult
webhook_start(const WebhookConfig *cfg, Webhook **out)
{
    *out = NULL;
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        log_error("this libmicrohttpd was built without TLS (GnuTLS): the changefeed webhook needs HTTPS");
        return GW_ERR_USAGE;
    }
    struct sockaddr_storage ss;
    bool ipv6 = false;
    GwResult rc = http_parse_addr("--listen", cfg->listen, &ss, &ipv6);
    if (rc)
        return rc;
    Webhook *w = gw_calloc(1, sizeof *w);
    w->cfg = *cfg;
    w->token = cfg->token ? gw_strdup(cfg->token) : NULL;
    w->path = cfg->path ? gw_strdup(cfg->path) : NULL;
    w->cfg.path = w->path;
    w->cert_pem = read_pem(cfg->cert_file, "--tls-cert");
    w->key_pem = w->cert_pem ? read_pem(cfg->key_file, "--tls-key") : NULL;
    w->ca_pem = cfg->client_ca_file && w->key_pem ? read_pem(cfg->client_ca_file, "--tls-client-ca") : NULL;
    if (!w->cert_pem || !w->key_pem || (cfg->client_ca_file && !w->ca_pem)) {
        webhook_free(w);
        return GW_ERR_USAGE;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG | (ipv6 ? MHD_USE_IPv6 : 0);
    /* Options after a NULL trust store are not read: the client CA goes last. */
    w->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, w, MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &ss,
                                 MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                                 MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned) 32,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 60,
                                 MHD_OPTION_HTTPS_MEM_CERT, w->cert_pem,
                                 MHD_OPTION_HTTPS_MEM_KEY, w->key_pem,
                                 w->ca_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, w->ca_pem,
                                 MHD_OPTION_END);
    if (!w->daemon) {
        log_error("--listen '%s': cannot serve HTTPS there (address in use or not local, or the certificate and"
                  " key do not match)", cfg->listen);
        webhook_free(w);
        return GW_ERR_USAGE;
    }
    log_info("changefeed webhook listening on https://%s%s%s", cfg->listen, w->token ? ", bearer token required" : "",
             w->ca_pem ? ", client certificate required" : "");
    *out = w;
    return GW_OK;
}

void
webhook_stop(Webhook *w)
{
    if (!w)
        return;
    MHD_stop_daemon(w->daemon);
    webhook_free(w);
}
