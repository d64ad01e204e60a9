/* hook_server — a real HTTP server on 127.0.0.1 for tests and the demo's
 * built-in alert receiver (libmicrohttpd, a thread per connection).
 *
 * It listens on an ephemeral port, records every request (method, path,
 * body, the idempotency and signature headers, and whether the signature
 * verified against the configured secret) and answers 200 — or, on
 * command, misbehaves: answers 500, 429 with Retry-After, 400, closes the
 * connection without an answer, stalls before answering, or stops
 * listening altogether (connections refused) until resumed. Thread-safe. */
#ifndef FINSENT_HOOK_SERVER_H
#define FINSENT_HOOK_SERVER_H

#include <stddef.h>
#include <stdint.h>

enum hs_mode {
    HS_OK = 0,    /* 200 {"ok":true} */
    HS_500,       /* 500 */
    HS_429,       /* 429 with Retry-After: <retry_after_s> */
    HS_400,       /* 400 */
    HS_CLOSE,     /* close the connection without an answer */
    HS_STALL,     /* wait stall_ms, then 200 */
};

typedef struct hs_request {
    char *method, *path, *body;
    size_t body_len;
    char *idempotency_key; /* NULL when absent */
    char *signature;       /* Finsent-Signature value, NULL when absent */
    char *content_type;
    int sig_valid;         /* 1 when a secret is set and the signature verified */
    int status;            /* what the server answered, 0 when it closed */
    int64_t at_ms;         /* wall clock at arrival */
} hs_request;

typedef struct http_server http_server;

/* Called (from a server thread) for every recorded request. */
typedef void (*hs_request_fn)(const hs_request *r, void *ud);

/* Starts a server on 127.0.0.1 and an ephemeral port; secret (may be NULL)
 * verifies signatures. Returns NULL when it cannot listen. */
http_server *hs_start(const char *secret);
/* Stops the server and frees its records; NULL is a no-op. */
void hs_stop(http_server *s);

int hs_port(const http_server *s);
/* "http://127.0.0.1:<port>" + path; caller frees. */
char *hs_url(const http_server *s, const char *path);

/* The next `count` requests (-1: all, until changed) get `mode`; then 200. */
void hs_set_mode(http_server *s, enum hs_mode mode, int count);
void hs_set_retry_after(http_server *s, int seconds);
void hs_set_stall_ms(http_server *s, int ms);
void hs_set_on_request(http_server *s, hs_request_fn fn, void *ud);

/* Stops listening (new connections are refused) / listens again on the
 * same port. 0 on success, -1 when the port cannot be bound again. */
int hs_pause(http_server *s);
int hs_resume(http_server *s);

/* Requests recorded so far. */
int hs_count(http_server *s);
/* Copies request i into *out (caller frees with hs_request_clear); -1 when out of range. */
int hs_get(http_server *s, int i, hs_request *out);
void hs_request_clear(hs_request *r);
/* Requests answered 2xx carrying idempotency key id. */
int hs_count_ok_id(http_server *s, const char *id);
/* Requests answered 2xx. */
int hs_count_ok(http_server *s);

#endif
