/* ops_metrics — Prometheus collectors for the ingest side of a running
 * service (consumer counters, dead letters by reason, lag per partition). */
#ifndef FINSENT_OPS_METRICS_H
#define FINSENT_OPS_METRICS_H

#include "ingest/consumer.h"
#include "util/metrics.h"

/* Collector (arg: the ingest_consumer) for the consumer's counters. */
void ops_collect_ingest(metrics_writer *w, void *arg);

#endif
