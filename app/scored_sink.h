/* scored_sink — the classify role's output: every scored event becomes one
 * record per aggregation key on the scored topic (ingest/scored.h), keyed
 * by that key, through an idempotent producer. The input message is
 * acknowledged to the consumer only once every one of its records is
 * delivered, so a crash produces them again (at-least-once; the aggregate
 * role drops the copies).
 *
 * Single-threaded: scored_sink_emit and scored_sink_poll run on the
 * pipeline's caller thread; delivery reports arrive inside them. */
#ifndef FINSENT_SCORED_SINK_H
#define FINSENT_SCORED_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/consumer.h"
#include "util/event.h"

typedef struct scored_sink scored_sink;

/* A producer to topic with the librdkafka properties kv (n pairs, e.g.
 * bootstrap.servers, security), counting each event under the key scopes
 * (enum win_scope bits); acknowledgements go to ic (borrowed). NULL with a
 * one-line reason in err. */
scored_sink *scored_sink_open(const char *const *keys, const char *const *vals, int n, const char *topic,
                              unsigned scopes, ingest_consumer *ic, char *err, size_t errlen);

/* Produces e's records and frees e (the pipeline's emit callback: ud is
 * the sink). Waits, serving delivery reports, while the producer queue is
 * full (back-pressure). */
void scored_sink_emit(void *ud, event *e);

/* Serves delivery reports (the pipeline's emit_poll callback). */
void scored_sink_poll(void *ud);

typedef struct scored_sink_stats {
    int64_t events, records, delivered, failed;
} scored_sink_stats;
scored_sink_stats scored_sink_get_stats(const scored_sink *s);

/* Waits up to timeout_ms for outstanding deliveries (acknowledging what
 * is delivered), then frees. Returns records still undelivered (their
 * input offsets stay uncommitted). */
int scored_sink_close(scored_sink *s, int timeout_ms);

#endif
