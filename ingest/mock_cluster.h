/* mock_cluster — librdkafka's in-process Kafka-protocol cluster on
 * loopback, for `finsent mock-broker`, the demo and the tests.
 *
 * The brokers listen on 127.0.0.1 ephemeral ports and speak the real
 * protocol over TCP, so any client (kcat, another process) can use them.
 * Faults (broker down/up, latency, request errors) are injected through
 * the wrappers below or rd_kafka_mock_* on ingest_mock_raw(). */
#ifndef FINSENT_MOCK_CLUSTER_H
#define FINSENT_MOCK_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

typedef struct ingest_mock ingest_mock;
struct rd_kafka_mock_cluster_s;

/* Starts a cluster of `brokers` (1..16) brokers (ids 1..N). Returns NULL
 * with a reason in err on failure. */
ingest_mock *ingest_mock_new(int brokers, char *err, size_t errlen);

/* "127.0.0.1:PORT,..." — owned by the cluster. */
const char *ingest_mock_bootstraps(const ingest_mock *m);

/* Creates a topic with `partitions` partitions replicated on every broker
 * (at most 3). Returns 0, or -1 when it exists or the arguments are bad. */
int ingest_mock_topic(ingest_mock *m, const char *topic, int partitions);

/* Takes broker `id` down (connections closed, refused) or back up. 0 / -1. */
int ingest_mock_broker_down(ingest_mock *m, int32_t id);
int ingest_mock_broker_up(ingest_mock *m, int32_t id);

/* Adds rtt_ms of latency to every response of broker `id`. 0 / -1. */
int ingest_mock_broker_rtt(ingest_mock *m, int32_t id, int rtt_ms);

/* The underlying rd_kafka_mock_cluster_t, for other rd_kafka_mock_* calls. */
struct rd_kafka_mock_cluster_s *ingest_mock_raw(ingest_mock *m);

/* Stops the cluster (all its data is lost); NULL is a no-op. */
void ingest_mock_free(ingest_mock *m);

#endif
