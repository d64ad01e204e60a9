/* webhook — alert delivery over HTTP on libcurl's multi interface.
 *
 * One client drives every webhook sink from the caller's loop (wh_poll):
 * non-blocking, at most max_in_flight requests per sink at once. A request
 * is a POST of the sink's view of the alert (generic, Slack or PagerDuty;
 * see payload.h) with the headers
 *   Content-Type: application/json
 *   Idempotency-Key: <alert id>
 *   Finsent-Signature: t=…,v1=…   (when the sink has a secret; see sign.h)
 * 2xx is delivered. Connection errors, timeouts, 408, 429 and 5xx are
 * retried with exponential back-off and jitter (the delay drawn uniformly
 * from [d/2, d], d = backoff_initial·2^(attempt-1) capped at backoff_max),
 * never sooner than a 429/503's Retry-After seconds. Deliveries of one
 * alert id to one sink go one at a time, in order (a resolve never
 * overtakes its firing; alerts/send_queue keeps that order in O(log n) per
 * delivery, so an outage backlog drains in O(n log n)). Other statuses are not
 * retried: the alert is appended to the failed-alerts file (JSON lines) and
 * counted. A retried alert still failing give_up_after_ms after it was
 * first accepted is given up: logged at error level, counted, written to
 * the failed file. Only http:// and https:// URLs are accepted; TLS
 * certificates are verified unless tls_verify is 0. Every libcurl multi
 * call is checked: a request libcurl cannot start counts as a failed
 * attempt, other errors are logged. curl_global_init must have been
 * called once before the first client is made (main does; so must a test
 * program). Not thread-safe. */
#ifndef FINSENT_WEBHOOK_H
#define FINSENT_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "alerts/outbox.h"
#include "util/metrics.h"

enum wh_format { WH_GENERIC = 0, WH_SLACK, WH_PAGERDUTY };

typedef struct wh_config {
    const char *name;        /* sink name, as rules refer to it */
    const char *url;
    enum wh_format format;
    const char *secret;      /* NULL or "": no signature */
    const char *routing_key; /* PagerDuty */
    int timeout_ms;          /* whole request; 0 = 10000 */
    int max_in_flight;       /* 0 = 4 */
    int64_t backoff_initial_ms; /* 0 = 500 */
    int64_t backoff_max_ms;     /* 0 = 60000 */
    int64_t give_up_after_ms;   /* 0 = 24 h */
    const char *failed_file;    /* JSON lines of alerts not delivered; NULL = none */
    int tls_verify;             /* 1 = verify (the default to use) */
} wh_config;

typedef struct wh_counts {
    int64_t delivered, retries, rejected, gave_up;
} wh_counts;

/* Request durations of delivery attempts (libcurl's total time, seconds),
 * by outcome: ok (2xx), retryable (connection error, timeout, 408, 429,
 * 5xx) and rejected (any other status). Lock-free: readable from a metrics
 * thread while the client records. */
typedef struct wh_latency {
    metrics_hist ok, retryable, rejected;
} wh_latency;

/* Sets up the buckets (1 ms .. 10 s). Can't fail. */
void wh_latency_init(wh_latency *l);

/* Called when a delivery finished: st is OUTBOX_DELIVERED or OUTBOX_FAILED
 * (reason says why). */
typedef void (*wh_done_fn)(uint64_t seq, const char *sink, enum outbox_state st, const char *reason, void *ud);

typedef struct wh_client wh_client;

/* A client without sinks. Never NULL (out of memory aborts). */
wh_client *wh_create(wh_done_fn done, void *ud);
/* Stops in-flight requests (they stay pending in the outbox) and frees all. */
void wh_destroy(wh_client *c);

/* Adds a sink (copies cfg). Returns 0, or -1 with a one-line reason in err
 * (bad URL scheme, missing name, duplicate name). */
int wh_add_sink(wh_client *c, const wh_config *cfg, char *err, size_t errlen);
/* 1 when a sink of that name exists. */
int wh_has_sink(const wh_client *c, const char *name);

/* From now on every attempt's duration is recorded in l (borrowed; it
 * must outlive the client; NULL stops recording). */
void wh_set_latency(wh_client *c, wh_latency *l);

/* Queues delivery of the generic body of entry seq to the named sink.
 * created_ms starts the give-up horizon. Returns 0, or -1 when the sink is
 * unknown or the body is not a valid generic alert for the sink's view. */
int wh_submit(wh_client *c, const char *sink, uint64_t seq, const char *alert_id, const char *body,
              int64_t created_ms);

/* Starts what is due, waits up to timeout_ms for network activity, and
 * reports finished deliveries through the done callback. Returns the
 * number finished. */
int wh_poll(wh_client *c, int timeout_ms);
/* Deliveries queued, waiting for a retry or in flight. */
int wh_pending(const wh_client *c);
/* Totals over every sink. */
wh_counts wh_get_counts(const wh_client *c);

#endif
