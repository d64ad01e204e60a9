/* demo_publish — feed envelopes to Kafka with an idempotent producer; see
 * demo_publish.h. */
#include "app/demo_publish.h"
#include "util/errmsg.h"

#include <cJSON.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>

typedef struct publish_state {
    long delivered, failed;
    char first_error[256];
} publish_state;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    publish_state *st = opaque;
    if (m->err) {
        if (st->failed++ == 0) snprintf(st->first_error, sizeof st->first_error, "%s", rd_kafka_err2str(m->err));
    } else {
        st->delivered++;
    }
}

long demo_publish(const char *brokers, const char *feed, size_t len, char *err, size_t errlen) {
    publish_state st = {0};
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char kerr[256];
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, kerr, sizeof kerr) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "enable.idempotence", "true", kerr, sizeof kerr) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "linger.ms", "5", kerr, sizeof kerr) != RD_KAFKA_CONF_OK) {
        err_set(err, errlen, "producer: %s", kerr);
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &st);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, kerr, sizeof kerr);
    if (!rk) {
        return err_set(err, errlen, "producer: %s", kerr);
    }
    long line = 0, produced = 0;
    const char *p = feed, *end = feed + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        line++;
        cJSON *env = n ? cJSON_ParseWithLength(p, n) : NULL;
        const cJSON *topic = cJSON_GetObjectItemCaseSensitive(env, "topic");
        const cJSON *payload = cJSON_GetObjectItemCaseSensitive(env, "payload");
        if (n && (!cJSON_IsString(topic) || !cJSON_IsString(payload))) {
            err_set(err, errlen, "feed line %ld: expected {\"topic\": ..., \"payload\": ...}", line);
            cJSON_Delete(env);
            rd_kafka_destroy(rk);
            return -1;
        }
        if (n) {
            rd_kafka_resp_err_t e;
            while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic->valuestring),
                                         RD_KAFKA_V_VALUE(payload->valuestring, strlen(payload->valuestring)),
                                         RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
                   RD_KAFKA_RESP_ERR__QUEUE_FULL)
                rd_kafka_poll(rk, 50);
            if (e) {
                err_set(err, errlen, "feed line %ld: produce to %s: %s", line, topic->valuestring,
                        rd_kafka_err2str(e));
                cJSON_Delete(env);
                rd_kafka_destroy(rk);
                return -1;
            }
            produced++;
            rd_kafka_poll(rk, 0);
        }
        cJSON_Delete(env);
        p += n + 1;
    }
    rd_kafka_flush(rk, 30000);
    rd_kafka_destroy(rk);
    if (st.failed || st.delivered != produced) {
        return err_set(err, errlen, "%ld of %ld messages not delivered: %s", produced - st.delivered, produced,
                       st.failed ? st.first_error : "timed out");
    }
    return st.delivered;
}
