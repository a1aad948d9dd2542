/*
 * http_server.h: godwit's HTTP endpoint (libmicrohttpd): /metrics in the
 * Prometheus text format and /healthz, and the address parser listeners share.
 */
#ifndef GW_HTTP_SERVER_H
#define GW_HTTP_SERVER_H

#include <stdbool.h>
#include <sys/socket.h>

#include "util/result.h"

typedef struct HttpServer HttpServer;

/* addr is "HOST:PORT" (see http_parse_addr); GW_ERR_USAGE if malformed or not bindable. */
GwResult http_server_start(const char *addr, HttpServer **out) GW_MUST_CHECK;
void http_server_stop(HttpServer *s);

/*
 * Parses "HOST:PORT" for a listener: HOST an IPv4 address, a name, or an
 * IPv6 address in brackets ("[::1]:9187"); *ipv6 tells which family ss
 * holds.  Errors name the option it came from.
 */
GwResult http_parse_addr(const char *option, const char *addr, struct sockaddr_storage *ss,
                         bool *ipv6) GW_MUST_CHECK;

#endif
