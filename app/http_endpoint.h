/* http_endpoint — the operations endpoint: /metrics (Prometheus text),
 * /healthz (process alive) and /readyz (partitions assigned and model
 * loaded), served by libmicrohttpd on its own thread. */
#ifndef FINSENT_HTTP_ENDPOINT_H
#define FINSENT_HTTP_ENDPOINT_H

#include <stddef.h>

#include "util/metrics.h"

typedef struct http_endpoint http_endpoint;

/* Parses "host:port" (IPv4 literal or "localhost"; port 0 picks a free one)
 * and starts serving. Returns NULL with a one-line message in err when the
 * address is malformed or cannot be bound. */
http_endpoint *http_endpoint_start(const char *listen, char *err, size_t errlen);

/* Adds a collector run on every /metrics scrape. Call before traffic;
 * at most 15 (the endpoint's own, finsent_ready — 1 while /readyz would
 * answer 200 — is the sixteenth). */
void http_endpoint_add_collector(http_endpoint *h, metrics_collect_fn fn, void *arg);

/* /readyz answers 200 once set to 1, 503 before. Thread-safe. */
void http_endpoint_set_ready(http_endpoint *h, int ready);

/* A condition /readyz checks on every request once ready is set: check(arg,
 * buf, len) returns 1 when ready, else 0 with one line in buf, which the
 * 503 answer carries ("not ready: …"). Runs on the server's thread. Call
 * before traffic; NULL removes it. */
typedef int (*http_ready_fn)(void *arg, char *buf, size_t len);
void http_endpoint_set_ready_check(http_endpoint *h, http_ready_fn check, void *arg);

/* The bound port (useful when 0 was asked for). */
int http_endpoint_port(const http_endpoint *h);

/* Stops the server and frees it; NULL is a no-op. */
void http_endpoint_stop(http_endpoint *h);

#endif
