/* kafka_sink — alerts produced to a Kafka topic.
 *
 * Each alert's generic body is produced to the sink's topic keyed by the
 * alert key name (so one key's alerts stay in order on one partition) with
 * an "idempotency-key" header carrying the alert id, by an idempotent
 * producer (enable.idempotence=true, acks=all). The delivery report says
 * delivered or failed; librdkafka retries inside message.timeout.ms, after
 * which the entry is failed (logged at error level). Not thread-safe. */
#ifndef FINSENT_KAFKA_SINK_H
#define FINSENT_KAFKA_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "alerts/outbox.h"

typedef struct ks_config {
    const char *name;    /* sink name, as rules refer to it */
    const char *brokers; /* bootstrap.servers */
    const char *topic;
    const char *const *props; /* extra librdkafka properties: name, value, name, value, … */
    int n_props;              /* number of pairs */
    int message_timeout_ms;   /* 0 = librdkafka's default */
} ks_config;

typedef void (*ks_done_fn)(uint64_t seq, const char *sink, enum outbox_state st, const char *reason, void *ud);

typedef struct kafka_sink kafka_sink;

/* Creates the producer. NULL with a one-line reason in err (a property
 * librdkafka rejects, a missing name or topic). */
kafka_sink *ks_create(const ks_config *cfg, ks_done_fn done, void *ud, char *err, size_t errlen);
/* Waits up to timeout_ms for outstanding deliveries, then frees; those not
 * reported stay pending in the outbox. */
void ks_destroy(kafka_sink *k, int timeout_ms);
const char *ks_name(const kafka_sink *k);

/* Queues one alert. 0, or -1 when the local queue refused it (it stays
 * pending and is offered again by the caller). */
int ks_submit(kafka_sink *k, uint64_t seq, const char *key, const char *alert_id, const char *body);
/* Serves delivery reports for up to timeout_ms; returns how many. */
int ks_poll(kafka_sink *k, int timeout_ms);
/* Messages produced whose report has not arrived. */
int ks_pending(const kafka_sink *k);

#endif
