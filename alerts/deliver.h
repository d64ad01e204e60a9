/* deliver — moves outbox entries to their sinks and records the results.
 *
 * The deliverer owns the webhook client, the Kafka sinks and the file sinks. Every entry of
 * the outbox with a sink still pending is handed to that sink once per
 * process (entries already in the log when it was opened included: that is
 * the restart path); results are appended to the outbox, which is then
 * compacted as finished entries pile up. A sink name that no sink has is
 * marked failed ("unknown sink") and logged. Driven from the caller's loop
 * with dlv_poll; not thread-safe. */
#ifndef FINSENT_DELIVER_H
#define FINSENT_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "alerts/file_sink.h"
#include "alerts/kafka_sink.h"
#include "alerts/outbox.h"
#include "alerts/webhook.h"

typedef struct dlv_counts {
    int64_t delivered, failed, mark_errors;
} dlv_counts;

typedef struct deliverer deliverer;

/* ob is borrowed and must outlive the deliverer. */
deliverer *dlv_create(outbox *ob);
/* Flushes Kafka sinks for up to timeout_ms, stops webhooks (what is
 * unfinished stays pending in the outbox) and frees. */
void dlv_destroy(deliverer *d, int timeout_ms);

/* Adds a webhook or Kafka sink; 0, or -1 with a one-line reason in err. */
int dlv_add_webhook(deliverer *d, const wh_config *cfg, char *err, size_t errlen);
int dlv_add_kafka(deliverer *d, const ks_config *cfg, char *err, size_t errlen);
/* Adds a file sink appending to path (file_sink.h); 0, or -1 with a
 * one-line reason in err (a name already taken, a path it cannot open). */
int dlv_add_file(deliverer *d, const char *name, const char *path, char *err, size_t errlen);

/* Webhook attempts are timed into l from now on (borrowed; see wh_set_latency). */
void dlv_set_latency(deliverer *d, wh_latency *l);

/* Hands every outbox entry not yet handed out to its sinks, then drives
 * the sinks for up to timeout_ms. Returns deliveries finished. */
int dlv_poll(deliverer *d, int timeout_ms);
/* Waits up to timeout_ms for the Kafka sinks' outstanding messages to be
 * acknowledged (recording the results), without handing out anything new.
 * Returns the messages still outstanding. */
int dlv_flush_kafka(deliverer *d, int timeout_ms);
/* Outbox entries with a sink still pending. */
int dlv_pending(const deliverer *d);
dlv_counts dlv_get_counts(const deliverer *d);
wh_counts dlv_webhook_counts(const deliverer *d);

#endif
