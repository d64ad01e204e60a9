/* ops_metrics — Prometheus collectors of a running service that the
 * pipeline's own collector does not cover: the ingest side (consumer
 * counters, dead letters by reason, lag per partition) and webhook request
 * latency. */
#ifndef FINSENT_OPS_METRICS_H
#define FINSENT_OPS_METRICS_H

#include "alerts/alerts.h"
#include "ingest/consumer.h"
#include "util/metrics.h"

/* Collector (arg: the ingest_consumer) for the consumer's counters. */
void ops_collect_ingest(metrics_writer *w, void *arg);
/* Collector (arg: the alerts engine): finsent_webhook_latency_seconds, the
 * duration of each webhook delivery attempt by outcome (ok, retryable,
 * rejected). Reads only lock-free histograms: safe beside the engine's
 * thread. */
void ops_collect_webhook(metrics_writer *w, void *arg);

#endif
