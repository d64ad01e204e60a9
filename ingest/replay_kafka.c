/* replay_kafka — time-range and offset replays from Kafka; see replay_kafka.h. */
#include "ingest/replay_kafka.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/replay.h"
#include "util/errmsg.h"
#include "util/log.h"
#include "util/xalloc.h"

#define META_TIMEOUT_MS 5000
#define PROBE_TIMEOUT_MS 5000

typedef struct rpart {
    char *topic;
    int32_t partition;
    int64_t start, end; /* [start, end) */
    _Atomic int done;                /* read to its end (the reading thread sets it) */
    _Atomic int64_t handed, counted; /* events handed out, and of them released (replay_kafka_release) */
} rpart;

struct replay_kafka {
    const ingest_options *opt;
    rd_kafka_t *rk;
    rpart *parts;
    int n_parts, n_done;
    int64_t from_ms, to_ms; /* filter; to < 0: none */
    int searched;
    replay_pacer pacer;
    char err[256];
};

static replay_kafka *rk_new(const ingest_options *opt, double speed, char *err, size_t errlen) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char e[256];
    for (int i = 0; i < opt->n_kafka; i++) {
        if (rd_kafka_conf_set(conf, opt->kafka[i].key, opt->kafka[i].value, e, sizeof e) != RD_KAFKA_CONF_OK) {
            err_set(err, errlen, "kafka property %s: %s", opt->kafka[i].key, e);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    rd_kafka_conf_set(conf, "group.id", "finsent-replay", e, sizeof e);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", e, sizeof e);
    rd_kafka_conf_set(conf, "enable.partition.eof", "false", e, sizeof e);
    rd_kafka_conf_set(conf, "fetch.wait.max.ms", "10", e, sizeof e);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    if (!rk) {
        err_set(err, errlen, "kafka consumer: %s", e);
        return NULL;
    }
    replay_kafka *r = xcalloc(1, sizeof *r);
    r->opt = opt;
    r->rk = rk;
    r->to_ms = -1;
    r->from_ms = INT64_MIN;
    r->pacer.factor = speed;
    return r;
}

static void add_part(replay_kafka *r, const char *topic, int32_t partition, int64_t start, int64_t end) {
    r->parts = xrealloc(r->parts, sizeof *r->parts * (size_t)(r->n_parts + 1));
    r->parts[r->n_parts++] = (rpart){.topic = xstrdup(topic), .partition = partition, .start = start, .end = end,
                                     .done = start >= end};
    if (start >= end) r->n_done++;
}

/* Timestamp of the message at offset (which must exist) in *ts. */
static int probe_ts(replay_kafka *r, const char *topic, int32_t partition, int64_t offset, int64_t *ts) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset = offset;
    rd_kafka_assign(r->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    int rc = -1;
    for (int waited = 0; waited < PROBE_TIMEOUT_MS && rc < 0; waited += 100) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(r->rk, 100);
        if (!m) continue;
        if (!m->err && m->partition == partition && m->offset == offset &&
            strcmp(rd_kafka_topic_name(m->rkt), topic) == 0) {
            *ts = rd_kafka_message_timestamp(m, NULL);
            rc = 0;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_assign(r->rk, NULL);
    return rc;
}

/* The first offset in [lo, hi) whose timestamp is >= t (hi when none). */
static int search_offset(replay_kafka *r, const char *topic, int32_t partition, int64_t lo, int64_t hi, int64_t t,
                         int64_t *out) {
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2, ts;
        if (probe_ts(r, topic, partition, mid, &ts)) {
            return err_set(r->err, sizeof r->err, "%s[%d]: no message at offset %lld within %d ms", topic,
                           (int)partition, (long long)mid, PROBE_TIMEOUT_MS);
        }
        if (ts < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    *out = lo;
    return 0;
}

/* Offsets for time t per partition: offsets_for_times, else binary search. */
static int offset_for_time(replay_kafka *r, const char *topic, int32_t partition, int64_t lo, int64_t hi, int64_t t,
                           int64_t *out) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset = t;
    rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(r->rk, l, META_TIMEOUT_MS);
    int64_t off = err ? -1 : l->elems[0].offset;
    rd_kafka_resp_err_t perr = err ? err : l->elems[0].err;
    rd_kafka_topic_partition_list_destroy(l);
    if (!perr && off >= lo && off <= hi) {
        *out = off;
        return 0;
    }
    /* -1 means "no message at or after t" on a real broker, but the 2.0
     * mock cluster answers -1 always: search to tell the two apart */
    r->searched++;
    return search_offset(r, topic, partition, lo, hi, t, out);
}

static int start_assign(replay_kafka *r, char *err, size_t errlen) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(r->n_parts);
    for (int i = 0; i < r->n_parts; i++)
        if (!r->parts[i].done) rd_kafka_topic_partition_list_add(l, r->parts[i].topic, r->parts[i].partition)->offset = r->parts[i].start;
    rd_kafka_resp_err_t e = rd_kafka_assign(r->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        return err_set(err, errlen, "assign: %s", rd_kafka_err2str(e));
    }
    return 0;
}

replay_kafka *replay_kafka_open_time(const ingest_options *opt, int64_t from_ms, int64_t to_ms, double speed,
                                     char *err, size_t errlen) {
    replay_kafka *r = rk_new(opt, speed, err, errlen);
    if (!r) return NULL;
    r->from_ms = from_ms;
    r->to_ms = to_ms;
    for (int i = 0; i < opt->n_inputs; i++) {
        const char *topic = opt->inputs[i].topic;
        rd_kafka_topic_t *t = rd_kafka_topic_new(r->rk, topic, NULL);
        const rd_kafka_metadata_t *md = NULL;
        rd_kafka_resp_err_t e = rd_kafka_metadata(r->rk, 0, t, &md, META_TIMEOUT_MS);
        rd_kafka_topic_destroy(t);
        if (e || md->topic_cnt != 1 || md->topics[0].err) {
            err_set(err, errlen, "topic %s: %s", topic,
                    rd_kafka_err2str(e ? e : md->topic_cnt ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
            if (md) rd_kafka_metadata_destroy(md);
            replay_kafka_close(r);
            return NULL;
        }
        for (int p = 0; p < md->topics[0].partition_cnt; p++) {
            int32_t pid = md->topics[0].partitions[p].id;
            int64_t lo, hi, start, end;
            if ((e = rd_kafka_query_watermark_offsets(r->rk, topic, pid, &lo, &hi, META_TIMEOUT_MS))) {
                err_set(err, errlen, "%s[%d] watermarks: %s", topic, (int)pid, rd_kafka_err2str(e));
                rd_kafka_metadata_destroy(md);
                replay_kafka_close(r);
                return NULL;
            }
            if (offset_for_time(r, topic, pid, lo, hi, from_ms, &start) ||
                (to_ms >= 0 ? offset_for_time(r, topic, pid, start, hi, to_ms, &end) : (end = hi, 0))) {
                err_set(err, errlen, "%s", r->err);
                rd_kafka_metadata_destroy(md);
                replay_kafka_close(r);
                return NULL;
            }
            add_part(r, topic, pid, start, end);
        }
        rd_kafka_metadata_destroy(md);
    }
    if (start_assign(r, err, errlen)) {
        replay_kafka_close(r);
        return NULL;
    }
    return r;
}

replay_kafka *replay_kafka_open_offsets(const ingest_options *opt, const char *spec, double speed, char *err,
                                        size_t errlen) {
    replay_kafka *r = rk_new(opt, speed, err, errlen);
    if (!r) return NULL;
    char *copy = xstrdup(spec), *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *c2 = strrchr(item, ':');
        char *c1 = c2 ? memrchr(item, ':', (size_t)(c2 - item)) : NULL;
        char *e1, *e2;
        long part = c1 ? strtol(c1 + 1, &e1, 10) : -1;
        long long off = c2 ? strtoll(c2 + 1, &e2, 10) : -1;
        if (!c1 || c1 == item || e1 != c2 || *e2 || part < 0 || off < 0) {
            err_set(err, errlen, "--from-offsets: expected topic:partition:offset, got \"%s\"", item);
            goto fail;
        }
        *c1 = '\0';
        int64_t lo, hi;
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(r->rk, item, (int32_t)part, &lo, &hi, META_TIMEOUT_MS);
        if (e) {
            err_set(err, errlen, "%s[%ld]: %s", item, part, rd_kafka_err2str(e));
            goto fail;
        }
        add_part(r, item, (int32_t)part, off < lo ? lo : off, hi);
    }
    free(copy);
    if (r->n_parts == 0) {
        err_set(err, errlen, "--from-offsets: no partitions given");
        replay_kafka_close(r);
        return NULL;
    }
    if (start_assign(r, err, errlen)) {
        replay_kafka_close(r);
        return NULL;
    }
    return r;
fail:
    free(copy);
    replay_kafka_close(r);
    return NULL;
}

static rpart *find(replay_kafka *r, const char *topic, int32_t partition) {
    for (int i = 0; i < r->n_parts; i++)
        if (r->parts[i].partition == partition && strcmp(r->parts[i].topic, topic) == 0) return &r->parts[i];
    return NULL;
}

int replay_kafka_next(replay_kafka *r, event **out, decode_result *res, int timeout_ms) {
    *out = NULL;
    for (int waited = 0; r->n_done < r->n_parts;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(r->rk, 100);
        if (!m) {
            if ((waited += 100) >= timeout_ms) {
                err_set(r->err, sizeof r->err, "timed out: %d of %d partitions not read to their end",
                        r->n_parts - r->n_done, r->n_parts);
                return -2;
            }
            continue;
        }
        if (m->err) {
            log_warn("replay", "%s", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        const char *topic = rd_kafka_topic_name(m->rkt);
        rpart *p = find(r, topic, m->partition);
        if (!p || p->done || m->offset < p->start) {
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->offset >= p->end) { /* past the end: this partition is finished */
            p->done = 1;
            r->n_done++;
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->offset == p->end - 1) {
            p->done = 1;
            r->n_done++;
        }
        int64_t ts = rd_kafka_message_timestamp(m, NULL);
        if (ts < r->from_ms || (r->to_ms >= 0 && ts >= r->to_ms)) {
            rd_kafka_message_destroy(m);
            continue;
        }
        decode_msg dm = {.payload = m->payload, .len = m->len, .topic = topic, .partition = m->partition,
                         .offset = m->offset, .timestamp_ms = ts};
        event *e = decode_message(r->opt, ingest_options_input(r->opt, topic), &dm, res);
        rd_kafka_message_destroy(m);
        if (!e) return 0;
        replay_pace(&r->pacer, e->ts_ms);
        p->handed++;
        *out = e;
        return 1;
    }
    return -1;
}

const char *replay_kafka_error(const replay_kafka *r) { return r->err; }

int replay_kafka_searched(const replay_kafka *r) { return r->searched; }

void replay_kafka_close(replay_kafka *r) {
    if (!r) return;
    rd_kafka_consumer_close(r->rk);
    rd_kafka_destroy(r->rk);
    for (int i = 0; i < r->n_parts; i++) free(r->parts[i].topic);
    free(r->parts);
    free(r);
}

void replay_kafka_release(replay_kafka *r, const char *topic, int32_t partition) {
    rpart *p = find(r, topic, partition);
    if (p) p->counted++;
}

void replay_kafka_lags(replay_kafka *r, void (*fn)(const char *topic, int32_t partition, int held, void *ud),
                       void *ud) {
    for (int i = 0; i < r->n_parts; i++) {
        rpart *p = &r->parts[i];
        fn(p->topic, p->partition, !p->done || p->handed != p->counted, ud);
    }
}

int replay_kafka_partitions(const replay_kafka *r, void (*fn)(const char *topic, int32_t partition, void *ud),
                            void *ud) {
    for (int i = 0; i < r->n_parts; i++) fn(r->parts[i].topic, r->parts[i].partition, ud);
    return r->n_parts;
}
