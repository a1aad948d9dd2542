/*
 * http_server.h: godwit's HTTP endpoint (libmicrohttpd): /metrics in the
 * Prometheus text format and /healthz, and the address parser listeners share.
 */
#ifndef GW_HTTP_SERVER_H
#define GW_HTTP_SERVER_H

#include <netinet/in.h>

#include "util/result.h"

typedef struct HttpServer HttpServer;

/* addr is "HOST:PORT" (IPv4 or a name); GW_ERR_USAGE if malformed or not bindable. */
GwResult http_server_start(const char *addr, HttpServer **out) GW_MUST_CHECK;
void http_server_stop(HttpServer *s);

/* Parses "HOST:PORT" (IPv4 or a name) for a listener; errors name the option it came from. */
GwResult http_parse_addr(const char *option, const char *addr, struct sockaddr_in *sin) GW_MUST_CHECK;

#endif
