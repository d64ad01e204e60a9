/* scored_sink — the classify role's producer; see scored_sink.h. */
#include "app/scored_sink.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/window.h"
#include "ingest/scored.h"
#include "util/errmsg.h"
#include "util/log.h"
#include "util/xalloc.h"

/* One input message whose records are in flight. */
typedef struct pending_msg {
    char *topic;
    int32_t partition;
    int64_t offset;
    int left, failed;
} pending_msg;

struct scored_sink {
    rd_kafka_t *rk;
    rd_kafka_topic_t *topic;
    unsigned scopes;
    ingest_consumer *ic;
    scored_sink_stats st;
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    scored_sink *s = opaque;
    pending_msg *pm = m->_private;
    if (m->err) {
        s->st.failed++;
        pm->failed = 1;
        if (m->err != RD_KAFKA_RESP_ERR__PURGE_QUEUE && m->err != RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
            log_error("scored", "record of %s[%d]@%lld not delivered: %s; its offset stays uncommitted", pm->topic,
                  (int)pm->partition, (long long)pm->offset, rd_kafka_err2str(m->err));
    } else {
        s->st.delivered++;
    }
    if (--pm->left > 0) return;
    if (!pm->failed) ingest_ack_origin(s->ic, pm->topic, pm->partition, pm->offset);
    free(pm->topic);
    free(pm);
}

scored_sink *scored_sink_open(const char *const *keys, const char *const *vals, int n, const char *topic,
                              unsigned scopes, ingest_consumer *ic, char *err, size_t errlen) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char e[256];
    for (int i = 0; i < n + 2; i++) {
        const char *k = i < n ? keys[i] : i == n ? "enable.idempotence" : "linger.ms";
        const char *v = i < n ? vals[i] : i == n ? "true" : "5";
        if (rd_kafka_conf_set(conf, k, v, e, sizeof e) != RD_KAFKA_CONF_OK) {
            err_set(err, errlen, "scored topic producer: property %s: %s", k, e);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    scored_sink *s = xcalloc(1, sizeof *s);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, s);
    s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    if (!s->rk) {
        err_set(err, errlen, "scored topic producer: %s", e);
        rd_kafka_conf_destroy(conf);
        free(s);
        return NULL;
    }
    s->topic = rd_kafka_topic_new(s->rk, topic, NULL);
    s->scopes = scopes;
    s->ic = ic;
    return s;
}

void scored_sink_emit(void *ud, event *e) {
    scored_sink *s = ud;
    char **keys;
    int n = win_key_names(s->scopes, e, &keys);
    s->st.events++;
    if (n == 0 || !e->origin_topic) {
        if (e->origin_topic) ingest_ack_origin(s->ic, e->origin_topic, e->origin_partition, e->origin_offset);
    } else {
        pending_msg *pm = xcalloc(1, sizeof *pm);
        pm->topic = xstrdup(e->origin_topic);
        pm->partition = e->origin_partition;
        pm->offset = e->origin_offset;
        pm->left = n;
        for (int i = 0; i < n; i++) {
            char *json = scored_record_json(e, keys[i]);
            while (rd_kafka_produce(s->topic, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_FREE, json, strlen(json), keys[i],
                                    strlen(keys[i]), pm) != 0) {
                if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                    /* cannot be queued at all: count it as a failed delivery */
                    log_error("scored", "produce: %s", rd_kafka_err2str(rd_kafka_last_error()));
                    free(json);
                    rd_kafka_message_t m = {.err = rd_kafka_last_error(), ._private = pm};
                    on_delivery(s->rk, &m, s);
                    break;
                }
                rd_kafka_poll(s->rk, 50);
            }
            s->st.records++;
        }
    }
    for (int i = 0; i < n; i++) free(keys[i]);
    free(keys);
    event_free(e);
}

void scored_sink_poll(void *ud) { rd_kafka_poll(((scored_sink *)ud)->rk, 0); }

scored_sink_stats scored_sink_get_stats(const scored_sink *s) { return s->st; }

int scored_sink_close(scored_sink *s, int timeout_ms) {
    if (!s) return 0;
    rd_kafka_flush(s->rk, timeout_ms);
    int left = rd_kafka_outq_len(s->rk);
    if (left > 0) {
        log_warn("scored", "%d record(s) undelivered at close; their input is read again", left);
        /* purged records report back (unacknowledged), freeing their bookkeeping */
        rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(s->rk, 1000);
    }
    rd_kafka_topic_destroy(s->topic);
    rd_kafka_destroy(s->rk);
    free(s);
    return left;
}
