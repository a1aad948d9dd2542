/*
 * changefeed_webhook.h: the HTTPS endpoint a CockroachDB changefeed's
 * webhook sink posts to (failback from CockroachDB; DESIGN.md, "CockroachDB
 * specifics"), on libmicrohttpd with TLS.
 *
 * Each request is checked in this order, and refused with nothing handed
 * on: a client certificate when a client CA is configured (403), the bearer
 * token when one is configured (401), the method (405 unless POST), the
 * body's size as it arrives (413 over the cap; a declared Content-Length
 * over it is refused before any of the body is read), the JSON and its
 * shape (400).  A well-formed message goes to the deliver callback, on the
 * server's own thread, one request at a time; its verdict is the answer:
 * 200 only once the message is durably stored.
 */
#ifndef GW_CHANGEFEED_WEBHOOK_H
#define GW_CHANGEFEED_WEBHOOK_H

#include <stddef.h>

#include "core/changefeed_message.h"
#include "util/result.h"

typedef enum WebhookVerdict {
    WEBHOOK_STAGED,         /* durably stored: 200 */
    WEBHOOK_REFUSED,        /* it can never be stored (a table not in the phase): 400 */
    WEBHOOK_UNAVAILABLE,    /* storing failed for now; the changefeed retries: 503 */
} WebhookVerdict;

typedef struct WebhookConfig {
    const char *listen;         /* HOST:PORT */
    const char *path;           /* the one path requests may name ("/godwit/<phase>"); others get 404 */
    const char *cert_file;      /* PEM: the server's certificate (and chain) */
    const char *key_file;       /* PEM: its private key */
    const char *client_ca_file; /* PEM: CA client certificates must be signed by; NULL: none asked */
    const char *token;          /* the bearer token requests must carry; NULL: none */
    size_t max_body;            /* largest body accepted, in bytes */
    /* why: for WEBHOOK_REFUSED, what the 400 says. */
    WebhookVerdict (*deliver)(void *ctx, const ChangefeedMessage *msg, char *why, size_t whylen);
    void *ctx;
} WebhookConfig;

typedef struct Webhook Webhook;

/* Reads the PEM files and listens; GW_ERR_USAGE with a message for a bad file, address or a TLS-less libmicrohttpd. */
GwResult webhook_start(const WebhookConfig *cfg, Webhook **out) GW_MUST_CHECK;
/* Stops listening; a request being delivered is finished first. */
void webhook_stop(Webhook *w);

#endif
