/* mock_cluster — wrapper over rdkafka_mock.h; see mock_cluster.h. */
#include "ingest/mock_cluster.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/errmsg.h"
#include "util/xalloc.h"

struct ingest_mock {
    rd_kafka_t *rk; /* the handle that owns the cluster's thread */
    rd_kafka_mock_cluster_t *mc;
    int brokers;
};

ingest_mock *ingest_mock_new(int brokers, char *err, size_t errlen) {
    if (brokers < 1 || brokers > 16) {
        err_set(err, errlen, "brokers must be 1..16, got %d", brokers);
        return NULL;
    }
    char e[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", e, sizeof e);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    if (!rk) {
        err_set(err, errlen, "mock cluster handle: %s", e);
        return NULL;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        err_set(err, errlen, "could not start the mock cluster");
        rd_kafka_destroy(rk);
        return NULL;
    }
    ingest_mock *m = xcalloc(1, sizeof *m);
    m->rk = rk;
    m->mc = mc;
    m->brokers = brokers;
    return m;
}

const char *ingest_mock_bootstraps(const ingest_mock *m) { return rd_kafka_mock_cluster_bootstraps(m->mc); }

int ingest_mock_topic(ingest_mock *m, const char *topic, int partitions) {
    if (partitions < 1) return -1;
    int rf = m->brokers < 3 ? m->brokers : 3;
    return rd_kafka_mock_topic_create(m->mc, topic, partitions, rf) ? -1 : 0;
}

int ingest_mock_broker_down(ingest_mock *m, int32_t id) { return rd_kafka_mock_broker_set_down(m->mc, id) ? -1 : 0; }

int ingest_mock_broker_up(ingest_mock *m, int32_t id) { return rd_kafka_mock_broker_set_up(m->mc, id) ? -1 : 0; }

int ingest_mock_broker_rtt(ingest_mock *m, int32_t id, int rtt_ms) {
    return rd_kafka_mock_broker_set_rtt(m->mc, id, rtt_ms) ? -1 : 0;
}

struct rd_kafka_mock_cluster_s *ingest_mock_raw(ingest_mock *m) { return m->mc; }

void ingest_mock_free(ingest_mock *m) {
    if (!m) return;
    rd_kafka_mock_cluster_destroy(m->mc);
    rd_kafka_destroy(m->rk);
    free(m);
}
