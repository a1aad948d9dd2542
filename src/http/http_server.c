/*
 * http_server.c: /metrics and /healthz on libmicrohttpd's own thread.
 * Read-only: it never touches a database, only the metrics registry.
 */
#include "http/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/mem.h"
#include "util/metrics.h"

struct HttpServer {
    struct MHD_Daemon *daemon;
};

static enum MHD_Result
respond(struct MHD_Connection *conn, unsigned status, const char *type, char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method, const char *version,
       const char *upload_data, size_t *upload_size, void **req_cls)
{
    (void) cls;
    (void) version;
    (void) upload_data;
    (void) upload_size;
    (void) req_cls;
    if (strcmp(method, "GET") != 0)
        return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", gw_strdup("method not allowed\n"));
    if (!strcmp(url, "/metrics"))
        return respond(conn, MHD_HTTP_OK, "text/plain; version=0.0.4", metrics_render());
    if (!strcmp(url, "/healthz"))
        return respond(conn, MHD_HTTP_OK, "text/plain", gw_strdup("ok\n"));
    return respond(conn, MHD_HTTP_NOT_FOUND, "text/plain", gw_strdup("not found\n"));
}

GwResult
http_parse_addr(const char *option, const char *addr, struct sockaddr_storage *ss, bool *ipv6)
{
    const char *colon = strrchr(addr, ':');
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == addr || *end != '\0' || port < 1 || port > 65535) {
        log_error("%s '%s' is not HOST:PORT (an IPv6 address in brackets: [::1]:PORT)", option, addr);
        return GW_ERR_USAGE;
    }
    const char *host_start = addr, *host_end = colon;
    if (*addr == '[' && colon[-1] == ']') {
        host_start++;
        host_end--;
    }
    char *host = gw_strndup(host_start, (size_t) (host_end - host_start));
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int err = getaddrinfo(host, NULL, &hints, &ai);
    free(host);
    if (err != 0 || !ai) {
        log_error("%s '%s': cannot resolve the host: %s", option, addr, gai_strerror(err));
        return GW_ERR_USAGE;
    }
    memset(ss, 0, sizeof *ss);
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *ipv6 = ai->ai_family == AF_INET6;
    if (*ipv6)
        ((struct sockaddr_in6 *) ss)->sin6_port = htons((uint16_t) port);
    else
        ((struct sockaddr_in *) ss)->sin_port = htons((uint16_t) port);
    freeaddrinfo(ai);
    return GW_OK;
}

GwResult
http_server_start(const char *addr, HttpServer **out)
{
    struct sockaddr_storage ss;
    bool ipv6 = false;
    GwResult rc = http_parse_addr("--metrics-addr", addr, &ss, &ipv6);
    if (rc)
        return rc;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | (ipv6 ? MHD_USE_IPv6 : 0);
    struct MHD_Daemon *d = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL,
                                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &ss,
                                            MHD_OPTION_CONNECTION_LIMIT, (unsigned) 16,
                                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 10, MHD_OPTION_END);
    if (!d) {
        log_error("--metrics-addr '%s': cannot listen there (in use, or not a local address)", addr);
        return GW_ERR_USAGE;
    }
    HttpServer *s = gw_calloc(1, sizeof *s);
    s->daemon = d;
    log_info("serving /metrics and /healthz on http://%s", addr);
    *out = s;
    return GW_OK;
}

void
http_server_stop(HttpServer *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    free(s);
}
