/* kafka_sink — idempotent producer of alerts; see kafka_sink.h. */
#include "alerts/kafka_sink.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/errmsg.h"
#include "util/log.h"
#include "util/xalloc.h"

struct kafka_sink {
    char *name;
    rd_kafka_t *rk;
    rd_kafka_topic_t *topic;
    ks_done_fn done;
    void *ud;
    int pending;
    int served; /* reports served by the current ks_poll */
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    kafka_sink *k = opaque;
    uint64_t seq = (uint64_t)(uintptr_t)m->_private;
    k->pending--;
    k->served++;
    if (m->err) {
        log_error("kafka_sink", "sink %s: alert not delivered: %s", k->name, rd_kafka_err2str(m->err));
        k->done(seq, k->name, OUTBOX_FAILED, rd_kafka_err2str(m->err), k->ud);
    } else {
        k->done(seq, k->name, OUTBOX_DELIVERED, NULL, k->ud);
    }
}

static int set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err, size_t errlen) {
    char e[256];
    if (rd_kafka_conf_set(conf, name, value, e, sizeof e) != RD_KAFKA_CONF_OK) {
        return err_set(err, errlen, "kafka sink: property %s: %s", name, e);
    }
    return 0;
}

kafka_sink *ks_create(const ks_config *cfg, ks_done_fn done, void *ud, char *err, size_t errlen) {
    if (!cfg->name || !cfg->name[0] || !cfg->topic || !cfg->topic[0] || !cfg->brokers) {
        err_set(err, errlen, "kafka sink: name, brokers and topic are required");
        return NULL;
    }
    kafka_sink *k = xcalloc(1, sizeof *k);
    k->name = xstrdup(cfg->name);
    k->done = done;
    k->ud = ud;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char tmo[32];
    snprintf(tmo, sizeof tmo, "%d", cfg->message_timeout_ms);
    int bad = set(conf, "bootstrap.servers", cfg->brokers, err, errlen) < 0 ||
              set(conf, "enable.idempotence", "true", err, errlen) < 0 ||
              set(conf, "acks", "all", err, errlen) < 0 ||
              (cfg->message_timeout_ms > 0 && set(conf, "message.timeout.ms", tmo, err, errlen) < 0);
    for (int i = 0; !bad && i < cfg->n_props; i++)
        bad = set(conf, cfg->props[2 * i], cfg->props[2 * i + 1], err, errlen) < 0;
    if (bad) {
        rd_kafka_conf_destroy(conf);
        free(k->name);
        free(k);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, k);
    char e[512];
    k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    if (!k->rk) {
        err_set(err, errlen, "kafka sink %s: %s", cfg->name, e);
        free(k->name);
        free(k);
        return NULL;
    }
    k->topic = rd_kafka_topic_new(k->rk, cfg->topic, NULL);
    return k;
}

void ks_destroy(kafka_sink *k, int timeout_ms) {
    if (!k) return;
    rd_kafka_flush(k->rk, timeout_ms);
    rd_kafka_topic_destroy(k->topic);
    rd_kafka_destroy(k->rk);
    free(k->name);
    free(k);
}

const char *ks_name(const kafka_sink *k) { return k->name; }

int ks_submit(kafka_sink *k, uint64_t seq, const char *key, const char *alert_id, const char *body) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        k->rk, RD_KAFKA_V_RKT(k->topic), RD_KAFKA_V_KEY(key, strlen(key)),
        RD_KAFKA_V_VALUE((void *)body, strlen(body)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_HEADER("idempotency-key", alert_id, (ssize_t)strlen(alert_id)),
        RD_KAFKA_V_OPAQUE((void *)(uintptr_t)seq), RD_KAFKA_V_END);
    if (err) {
        log_warn("kafka_sink", "sink %s: produce refused: %s", k->name, rd_kafka_err2str(err));
        return -1;
    }
    k->pending++;
    return 0;
}

int ks_poll(kafka_sink *k, int timeout_ms) {
    k->served = 0;
    rd_kafka_poll(k->rk, timeout_ms);
    return k->served;
}

int ks_pending(const kafka_sink *k) { return k->pending; }
