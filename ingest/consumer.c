/* consumer — librdkafka consumer group with acknowledged, in-order offset
 * commits, back-pressure by pausing, and a dead-letter producer; see
 * consumer.h for the contract. */
#include "ingest/consumer.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/decode_pool.h"
#include "ingest/offset_runs.h"
#include "util/errmsg.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define REVOKE_WAIT_MS 2000
#define POLL_SLICE_MS 100
#define STORE_INTERVAL_MS 100
/* messages moved from librdkafka into the decode pool ahead of ingest_poll:
 * topped up to DECODE_AHEAD when under half of it */
#define DECODE_AHEAD 512

/* States counted in in_flight: polled and in the bounded pipeline, or on
 * their way to the dead-letter topic. */
#define IN_FLIGHT_MASK (ORUNS_MASK(ORUNS_IN_FLIGHT) | ORUNS_MASK(ORUNS_DEAD_LETTER))

/* Bookkeeping of one assigned partition: its polled, uncommitted offsets
 * as runs (ingest/offset_runs.h), so that messages waiting for their
 * windows cost memory per run, not per message. */
typedef struct part {
    char *topic;
    int32_t partition;
    oruns runs;
    int64_t next_offset; /* the offset after the last one polled, -1 before the first */
    int64_t stored;      /* the last committable offset handed to rd_kafka_offsets_store */
    int64_t floor;       /* opt->rebuild: the committed offset at assignment, -1 when none */
    int64_t committed;   /* the committed offset at assignment, -1 when none or unknown */
} part;

/* A dead letter on its way: everything needed to produce it again. */
typedef struct dlq_item {
    char *payload;
    size_t len;
    char *key;
    size_t keylen;
    char *topic;
    int32_t partition;
    int64_t offset;
    enum decode_reason reason;
    char detail[160];
    int drop_payload; /* the payload was too large for the dead-letter topic */
    rd_kafka_headers_t *orig; /* the original message's headers, or NULL */
    int64_t first_ms;         /* when it was first queued: the give-up horizon counts from here */
} dlq_item;

struct ingest_consumer {
    const ingest_options *opt;
    rd_kafka_t *rk;
    rd_kafka_t *dlq;
    int capacity;
    int closing;
    pthread_mutex_t mu; /* guards parts, n_parts, m */
    part **parts;
    int n_parts;
    ingest_metrics m;
    int64_t stored_at_ns; /* when store_offsets last ran (poll thread only) */
    decode_pool *pool; /* polled, not yet taken: decoded ahead, in poll order (poll thread only) */
    decode_job *jobs;  /* DECODE_AHEAD, for fill (poll thread only) */
    int assign_gen; /* rebalance callbacks so far (poll thread only) */
    ingest_assign_fn on_assign; /* ingest_set_on_assign */
    void *assign_ud;
    ingest_start_fn start_fn; /* ingest_set_start */
    void *start_ud;
    _Atomic uint64_t assignments; /* assignments that took effect (ingest_assignments) */
    /* the static assignment (made in ingest_open), told to on_assign by
     * the first ingest_poll; NULL once told or without one */
    rd_kafka_topic_partition_list_t *static_parts;
};

/* librdkafka logs connection failures at level 3; they are transient
 * (it reconnects), so they are warnings here, not errors. */
static void kafka_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk;
    enum log_level lv = level <= 4 ? LOG_WARN : level <= 6 ? LOG_INFO : LOG_DEBUG;
    log_msg(lv, "kafka", "%s: %s", fac, buf);
}

static void kafka_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[256];
        rd_kafka_fatal_error(rk, buf, sizeof buf);
        log_error("kafka", "fatal: %s", buf);
    } else {
        log_warn("kafka", "%s: %s", rd_kafka_err2name(err), reason);
    }
}

static part *part_find(ingest_consumer *c, const char *topic, int32_t partition) {
    for (int i = 0; i < c->n_parts; i++)
        if (c->parts[i]->partition == partition && strcmp(c->parts[i]->topic, topic) == 0) return c->parts[i];
    return NULL;
}

static void part_push(part *p, int64_t offset) {
    oruns_push(&p->runs, offset);
    p->next_offset = offset + 1;
}

static void part_free(part *p) {
    free(p->topic);
    oruns_free(&p->runs);
    free(p);
}

/* Under mu: moves the offsets of [first, last] in a state of from_mask to
 * `to`, keeping in_flight and the counters; returns how many moved (0:
 * counted as an ignored ack when `to` is ORUNS_ACKED). */
static int64_t set_locked(ingest_consumer *c, const char *topic, int32_t partition, int64_t first, int64_t last,
                          unsigned from_mask, int to) {
    part *p = part_find(c, topic, partition);
    int64_t left[ORUNS_N_STATES] = {0};
    int64_t n = p ? oruns_set(&p->runs, first, last, from_mask, to, left) : 0;
    int was_in = (int)(left[ORUNS_IN_FLIGHT] + left[ORUNS_DEAD_LETTER]);
    c->m.in_flight += (IN_FLIGHT_MASK & ORUNS_MASK(to)) ? (int)n - was_in : -was_in;
    if (to == ORUNS_ACKED) {
        c->m.acked += (uint64_t)n;
        if (n == 0) c->m.acks_ignored++;
    }
    return n;
}

/* Under mu: one offset acknowledged, whatever it was waiting for. */
static void ack_locked(ingest_consumer *c, const char *topic, int32_t partition, int64_t offset) {
    set_locked(c, topic, partition, offset, offset,
               ORUNS_MASK(ORUNS_IN_FLIGHT) | ORUNS_MASK(ORUNS_RELEASED) | ORUNS_MASK(ORUNS_DEAD_LETTER), ORUNS_ACKED);
}

/* Hands the acknowledged offsets that moved to librdkafka (which commits
 * them: auto-commit, revoke, close). Batched here, from the polling thread
 * at most every STORE_INTERVAL_MS, rather than once per ack. */
static void store_offsets(ingest_consumer *c) {
    pthread_mutex_lock(&c->mu);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(c->n_parts ? c->n_parts : 1);
    for (int i = 0; i < c->n_parts; i++) {
        part *p = c->parts[i];
        int64_t committable = oruns_committable(&p->runs);
        if (committable > p->stored) {
            rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = committable;
            p->stored = committable;
        }
    }
    if (l->cnt) {
        rd_kafka_resp_err_t err = rd_kafka_offsets_store(c->rk, l);
        if (err) log_debug("ingest", "offset store: %s", rd_kafka_err2str(err));
    }
    pthread_mutex_unlock(&c->mu);
    rd_kafka_topic_partition_list_destroy(l);
}

void ingest_release(ingest_consumer *c, const event *e) {
    if (!e->origin_topic) return;
    pthread_mutex_lock(&c->mu);
    set_locked(c, e->origin_topic, e->origin_partition, e->origin_offset, e->origin_offset,
               ORUNS_MASK(ORUNS_IN_FLIGHT), ORUNS_RELEASED);
    pthread_mutex_unlock(&c->mu);
}

void ingest_ack_origin(ingest_consumer *c, const char *topic, int32_t partition, int64_t offset) {
    if (!topic) return;
    pthread_mutex_lock(&c->mu);
    ack_locked(c, topic, partition, offset);
    pthread_mutex_unlock(&c->mu);
}

void ingest_ack_range(ingest_consumer *c, const char *topic, int32_t partition, int64_t first, int64_t last) {
    if (!topic) return;
    pthread_mutex_lock(&c->mu);
    set_locked(c, topic, partition, first, last, ORUNS_MASK(ORUNS_RELEASED), ORUNS_ACKED);
    pthread_mutex_unlock(&c->mu);
}

void ingest_ack(ingest_consumer *c, const event *e) {
    ingest_ack_origin(c, e->origin_topic, e->origin_partition, e->origin_offset);
}

/* Under mu: p's lag, the high watermark (cached from the last fetch) minus
 * the next offset to hand out; before the first message, 0 for an empty
 * partition, else from librdkafka's position or the committed offset at
 * assignment (a restarted consumer that is caught up gets no message, so
 * no position); -1 when unknown. */
static int64_t part_lag(ingest_consumer *c, const part *p) {
    int64_t lo, hi, pos = p->next_offset;
    if (rd_kafka_get_watermark_offsets(c->rk, p->topic, p->partition, &lo, &hi) || hi < 0) return -1;
    if (pos < 0 && lo == hi) return 0;
    if (pos < 0 && p->floor < 0 && p->committed >= lo) pos = p->committed;
    if (pos < 0) {
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, p->topic, p->partition);
        if (rd_kafka_position(c->rk, l) == RD_KAFKA_RESP_ERR_NO_ERROR) pos = l->elems[0].offset;
        rd_kafka_topic_partition_list_destroy(l);
        if (pos < 0) return -1;
    }
    return hi > pos ? hi - pos : 0;
}

void ingest_metrics_get(ingest_consumer *c, ingest_metrics *out) {
    pthread_mutex_lock(&c->mu);
    *out = c->m;
    int64_t lag = 0;
    for (int i = 0; i < c->n_parts && lag >= 0; i++) {
        int64_t l = part_lag(c, c->parts[i]);
        lag = l < 0 ? -1 : lag + l;
    }
    out->lag = lag;
    out->assigned_partitions = c->n_parts;
    pthread_mutex_unlock(&c->mu);
}

int ingest_partition_lags(ingest_consumer *c, ingest_lag_fn fn, void *ud) {
    pthread_mutex_lock(&c->mu);
    int n = c->n_parts;
    ingest_partition_lag *v = xcalloc(n ? (size_t)n : 1, sizeof *v);
    for (int i = 0; i < n; i++)
        v[i] = (ingest_partition_lag){.topic = xstrdup(c->parts[i]->topic),
                                      .partition = c->parts[i]->partition,
                                      .lag = part_lag(c, c->parts[i]),
                                      .in_flight = oruns_count(&c->parts[i]->runs, ORUNS_MASK(ORUNS_IN_FLIGHT))};
    pthread_mutex_unlock(&c->mu);
    for (int i = 0; i < n; i++) {
        fn(&v[i], ud);
        free(v[i].topic);
    }
    free(v);
    return n;
}

/* ---- dead letters ---- */

static void dlq_item_free(dlq_item *it) {
    if (it->orig) rd_kafka_headers_destroy(it->orig);
    free(it->payload);
    free(it->key);
    free(it->topic);
    free(it);
}

/* 1 when the dead letter has been retried for longer than the give-up
 * horizon (ingest_options.dead_letter_give_up_ms). */
static int dlq_expired(const ingest_consumer *c, const dlq_item *it) {
    int64_t horizon = c->opt->dead_letter_give_up_ms > 0 ? c->opt->dead_letter_give_up_ms : INGEST_DEFAULT_DLQ_GIVE_UP_MS;
    return time_now_ms() - it->first_ms > horizon;
}

/* Gives a dead letter up, visibly: an error naming the message and why,
 * counted; its offset is acknowledged so that the partition's commits go
 * on (the message itself stays in its topic at that offset). */
static void dlq_give_up(ingest_consumer *c, dlq_item *it, const char *why) {
    log_error("ingest", "dead letter for %s[%d]@%lld (%s: %s) given up after %lld s of retries: %s; its offset is "
              "acknowledged, the message stays in %s at that offset", it->topic, (int)it->partition,
              (long long)it->offset, decode_reason_name(it->reason), it->detail,
              (long long)((time_now_ms() - it->first_ms) / 1000), why, it->topic);
    pthread_mutex_lock(&c->mu);
    c->m.dead_letters_given_up++;
    pthread_mutex_unlock(&c->mu);
    ingest_ack_origin(c, it->topic, it->partition, it->offset);
    dlq_item_free(it);
}

/* Produces the dead letter, retrying while the local queue is full, up to
 * the give-up horizon. */
static void dlq_send(ingest_consumer *c, dlq_item *it) {
    char part_s[16], off_s[24];
    snprintf(part_s, sizeof part_s, "%d", (int)it->partition);
    snprintf(off_s, sizeof off_s, "%lld", (long long)it->offset);
    for (int attempt = 0;; attempt++) {
        /* the original headers first, then ours: a reader taking the last
         * header of a name (Kafka's lastHeader) gets ours */
        rd_kafka_headers_t *h = it->orig ? rd_kafka_headers_copy(it->orig) : rd_kafka_headers_new(6);
        rd_kafka_header_add(h, "reason", -1, decode_reason_name(it->reason), -1);
        rd_kafka_header_add(h, "source_topic", -1, it->topic, -1);
        rd_kafka_header_add(h, "source_partition", -1, part_s, -1);
        rd_kafka_header_add(h, "source_offset", -1, off_s, -1);
        rd_kafka_header_add(h, "error", -1, it->detail, -1);
        if (it->drop_payload) rd_kafka_header_add(h, "payload_dropped", -1, "too large for the dead-letter topic", -1);
        rd_kafka_resp_err_t err = rd_kafka_producev(
            c->dlq, RD_KAFKA_V_TOPIC(c->opt->dead_letter_topic),
            RD_KAFKA_V_VALUE((it->drop_payload ? NULL : it->payload), it->drop_payload ? 0 : it->len),
            RD_KAFKA_V_KEY(it->key, it->keylen), RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE(it), RD_KAFKA_V_END);
        if (!err) return;
        rd_kafka_headers_destroy(h);
        if (dlq_expired(c, it)) {
            dlq_give_up(c, it, rd_kafka_err2str(err));
            return;
        }
        if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
            it->drop_payload = 1;
        } else {
            if (attempt % 50 == 0)
                log_warn("ingest", "dead letter for %s[%d]@%s not queued: %s; retrying", it->topic, (int)it->partition,
                         off_s, rd_kafka_err2str(err));
            rd_kafka_poll(c->dlq, POLL_SLICE_MS);
        }
        pthread_mutex_lock(&c->mu);
        c->m.dead_letter_retries++;
        pthread_mutex_unlock(&c->mu);
    }
}

static void dlq_delivered(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque) {
    (void)rk;
    ingest_consumer *c = opaque;
    dlq_item *it = msg->_private;
    if (c->closing) { /* purged at close: unacknowledged, so redelivered to the next owner */
        dlq_item_free(it);
        return;
    }
    if (msg->err && dlq_expired(c, it)) {
        dlq_give_up(c, it, rd_kafka_err2str(msg->err));
        return;
    }
    if (msg->err) {
        log_warn("ingest", "dead letter for %s[%d]@%lld not delivered: %s; retrying", it->topic, (int)it->partition,
                 (long long)it->offset, rd_kafka_err2str(msg->err));
        if (msg->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) it->drop_payload = 1;
        pthread_mutex_lock(&c->mu);
        c->m.dead_letter_retries++;
        pthread_mutex_unlock(&c->mu);
        dlq_send(c, it);
        return;
    }
    ingest_ack_origin(c, it->topic, it->partition, it->offset);
    dlq_item_free(it);
}

/* The offset waits for its dead letter: no longer acknowledged by a range
 * ack (ingest_ack_range), only by the delivery (or ingest_ack). */
static void mark_dead_letter(ingest_consumer *c, const char *topic, int32_t partition, int64_t offset) {
    pthread_mutex_lock(&c->mu);
    set_locked(c, topic, partition, offset, offset, ORUNS_MASK(ORUNS_IN_FLIGHT) | ORUNS_MASK(ORUNS_RELEASED),
               ORUNS_DEAD_LETTER);
    pthread_mutex_unlock(&c->mu);
}

/* A message of (topic, partition, offset) goes to the dead-letter topic
 * with payload and key (copied; either may be empty) and the original
 * headers (copied; may be NULL), counted by reason; without a dead-letter
 * topic it is logged and acknowledged at once. */
static void dlq_enqueue(ingest_consumer *c, const char *topic, int32_t partition, int64_t offset,
                        enum decode_reason reason, const char *detail, const void *payload, size_t len,
                        const void *key, size_t keylen, const rd_kafka_headers_t *orig) {
    pthread_mutex_lock(&c->mu);
    c->m.dead_lettered++;
    c->m.dead_letter_by_reason[reason]++;
    pthread_mutex_unlock(&c->mu);
    log_debug("ingest", "dead letter %s[%d]@%lld: %s: %s", topic, (int)partition, (long long)offset,
              decode_reason_name(reason), detail);
    mark_dead_letter(c, topic, partition, offset);
    if (!c->dlq) {
        log_warn("ingest", "dropping %s[%d]@%lld (no dead_letter_topic): %s: %s", topic, (int)partition,
                 (long long)offset, decode_reason_name(reason), detail);
        ingest_ack_origin(c, topic, partition, offset);
        return;
    }
    dlq_item *it = xcalloc(1, sizeof *it);
    it->payload = xmalloc(len ? len : 1);
    if (len) memcpy(it->payload, payload, len);
    it->len = len;
    if (keylen) {
        it->key = xmalloc(keylen);
        memcpy(it->key, key, keylen);
        it->keylen = keylen;
    }
    if (orig) it->orig = rd_kafka_headers_copy(orig);
    it->topic = xstrdup(topic);
    it->partition = partition;
    it->offset = offset;
    it->reason = reason;
    it->first_ms = time_now_ms();
    snprintf(it->detail, sizeof it->detail, "%s", detail);
    dlq_send(c, it);
}

/* The message is bad: count it and send it to the dead-letter topic. */
static void dead_letter(ingest_consumer *c, const rd_kafka_message_t *msg, const decode_result *r) {
    rd_kafka_headers_t *orig = NULL;
    if (rd_kafka_message_headers(msg, &orig) != RD_KAFKA_RESP_ERR_NO_ERROR) orig = NULL;
    dlq_enqueue(c, rd_kafka_topic_name(msg->rkt), msg->partition, msg->offset, r->reason, r->detail, msg->payload,
                msg->len, msg->key, msg->key_len, orig);
}

void ingest_dead_letter_event(ingest_consumer *c, const event *e, enum decode_reason reason, const char *detail,
                              const char *payload, size_t len) {
    if (!e->origin_topic) return;
    dlq_enqueue(c, e->origin_topic, e->origin_partition, e->origin_offset, reason, detail, payload, len, NULL, 0,
                NULL);
}

/* ---- pausing and rebalancing ---- */

static void set_paused(ingest_consumer *c, int on) {
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(c->rk, &a) == RD_KAFKA_RESP_ERR_NO_ERROR && a) {
        if (on)
            rd_kafka_pause_partitions(c->rk, a);
        else
            rd_kafka_resume_partitions(c->rk, a);
        rd_kafka_topic_partition_list_destroy(a);
    }
    pthread_mutex_lock(&c->mu);
    c->m.paused = on;
    if (on) c->m.pauses++;
    int n = c->m.in_flight;
    pthread_mutex_unlock(&c->mu);
    log_debug("ingest", "%s partitions (in flight %d)", on ? "paused" : "resumed", n);
}

/* In-flight messages of the listed partitions. */
static int inflight_of(ingest_consumer *c, const rd_kafka_topic_partition_list_t *parts) {
    int n = 0;
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < parts->cnt; i++) {
        part *p = part_find(c, parts->elems[i].topic, parts->elems[i].partition);
        if (!p) continue;
        n += (int)oruns_count(&p->runs, IN_FLIGHT_MASK);
    }
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* decode_pool_drop_if predicate: the message is of one of the partitions. */
static int revoked_tag(void *tag, void *ud) {
    const rd_kafka_message_t *m = tag;
    const rd_kafka_topic_partition_list_t *parts = ud;
    for (int k = 0; k < parts->cnt; k++)
        if (m->partition == parts->elems[k].partition && strcmp(rd_kafka_topic_name(m->rkt), parts->elems[k].topic) == 0)
            return 1;
    return 0;
}

static void on_revoke(ingest_consumer *c, rd_kafka_topic_partition_list_t *parts) {
    int64_t deadline = time_mono_ns() + (int64_t)(c->closing ? 0 : REVOKE_WAIT_MS) * 1000000;
    while (inflight_of(c, parts) > 0 && time_mono_ns() < deadline) {
        if (c->dlq) rd_kafka_poll(c->dlq, 10);
        else {
            struct timespec ts = {0, 10 * 1000000};
            nanosleep(&ts, NULL);
        }
    }
    store_offsets(c);
    rd_kafka_resp_err_t err = rd_kafka_commit(c->rk, NULL, 0);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) log_warn("ingest", "commit on revoke: %s", rd_kafka_err2str(err));
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < parts->cnt; i++) {
        for (int k = 0; k < c->n_parts; k++) {
            part *p = c->parts[k];
            if (p->partition != parts->elems[i].partition || strcmp(p->topic, parts->elems[i].topic) != 0) continue;
            c->m.in_flight -= (int)oruns_count(&p->runs, IN_FLIGHT_MASK);
            part_free(p);
            c->parts[k] = c->parts[--c->n_parts];
            break;
        }
    }
    pthread_mutex_unlock(&c->mu);
    /* polled, not yet taken messages of revoked partitions go back to
     * Kafka: the next owner reads them */
    decode_pool_drop_if(c->pool, revoked_tag, parts);
}

/* Starts the bookkeeping of newly assigned partitions; returns whether
 * consumption is paused. */
static int track_parts(ingest_consumer *c, const rd_kafka_topic_partition_list_t *parts) {
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < parts->cnt; i++) {
        if (part_find(c, parts->elems[i].topic, parts->elems[i].partition)) continue;
        part *p = xcalloc(1, sizeof *p);
        p->topic = xstrdup(parts->elems[i].topic);
        p->partition = parts->elems[i].partition;
        oruns_init(&p->runs);
        p->next_offset = -1;
        p->stored = -1;
        p->floor = -1;
        p->committed = -1;
        c->parts = xrealloc(c->parts, sizeof *c->parts * (size_t)(c->n_parts + 1));
        c->parts[c->n_parts++] = p;
    }
    int paused = c->m.paused;
    pthread_mutex_unlock(&c->mu);
    return paused;
}

/* Remembers the committed offsets of newly assigned (and tracked)
 * partitions, for their lag until the first message. With opt->rebuild
 * they are also the floors, and partitions that have one start from their
 * beginning instead (the list's offsets are what assign uses). */
static void note_committed(ingest_consumer *c, rd_kafka_topic_partition_list_t *parts) {
    if (parts->cnt == 0) return;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_copy(parts);
    rd_kafka_resp_err_t err = rd_kafka_committed(c->rk, l, 10000);
    if (err && c->opt->rebuild)
        log_warn("ingest", "committed offsets for the rebuild: %s; partitions start there", rd_kafka_err2str(err));
    pthread_mutex_lock(&c->mu);
    for (int i = 0; !err && i < l->cnt; i++) {
        part *p = part_find(c, l->elems[i].topic, l->elems[i].partition);
        if (!p || l->elems[i].err || l->elems[i].offset < 0) continue;
        p->committed = l->elems[i].offset;
        if (!c->opt->rebuild || l->elems[i].offset == 0) continue;
        p->floor = l->elems[i].offset;
        parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
        log_info("ingest", "%s[%d]: rebuilding from the beginning up to the committed offset %lld", p->topic,
                 (int)p->partition, (long long)p->floor);
    }
    pthread_mutex_unlock(&c->mu);
    rd_kafka_topic_partition_list_destroy(l);
}

int ingest_rebuilding(ingest_consumer *c, const event *e) {
    if (!e->origin_topic) return 0;
    pthread_mutex_lock(&c->mu);
    part *p = part_find(c, e->origin_topic, e->origin_partition);
    int r = p && e->origin_offset < p->floor;
    pthread_mutex_unlock(&c->mu);
    return r;
}

void ingest_set_start(ingest_consumer *c, ingest_start_fn fn, void *ud) {
    c->start_fn = fn;
    c->start_ud = ud;
}

/* Applies the start-offset hook to an assignment's list. */
static void apply_start(ingest_consumer *c, rd_kafka_topic_partition_list_t *parts) {
    if (!c->start_fn) return;
    for (int i = 0; i < parts->cnt; i++) {
        int64_t off = c->start_fn(c->start_ud, parts->elems[i].topic, parts->elems[i].partition);
        if (off < 0) continue;
        int64_t ckpt = off;
        pthread_mutex_lock(&c->mu);
        part *p = part_find(c, parts->elems[i].topic, parts->elems[i].partition);
        if (c->opt->rebuild && p && (p->floor < 0 || p->floor < off)) {
            /* rebuild: never past the committed offset (or the beginning
             * when none): what lies between is read again, so that it is
             * acknowledged (and committed) once its windows close */
            if (p->floor >= 0) off = p->floor;
            else off = parts->elems[i].offset >= 0 ? parts->elems[i].offset : RD_KAFKA_OFFSET_BEGINNING;
        }
        parts->elems[i].offset = off;
        if (p && off >= 0) p->committed = off; /* where it starts: its lag before the first message counts from here */
        pthread_mutex_unlock(&c->mu);
        if (off == ckpt)
            log_info("ingest", "%s[%d]: starting at offset %lld (the restored checkpoint's)", parts->elems[i].topic,
                     (int)parts->elems[i].partition, (long long)off);
        else
            log_info("ingest", "%s[%d]: starting at offset %lld, below the restored checkpoint's %lld (read again, not "
                     "counted again)", parts->elems[i].topic, (int)parts->elems[i].partition, (long long)off,
                     (long long)ckpt);
    }
}

uint64_t ingest_assignments(ingest_consumer *c) { return c->assignments; }

void ingest_flush_dead_letters(ingest_consumer *c, int timeout_ms) {
    if (c->dlq) rd_kafka_flush(c->dlq, timeout_ms);
}

int ingest_dead_letters_pending(ingest_consumer *c, const char *topic, int32_t partition, int64_t below) {
    pthread_mutex_lock(&c->mu);
    part *p = part_find(c, topic, partition);
    int64_t first = p ? oruns_first(&p->runs, ORUNS_MASK(ORUNS_DEAD_LETTER)) : -1;
    pthread_mutex_unlock(&c->mu);
    return first >= 0 && first < below;
}

void ingest_set_on_assign(ingest_consumer *c, ingest_assign_fn fn, void *ud) {
    c->on_assign = fn;
    c->assign_ud = ud;
}

static void call_on_assign(ingest_consumer *c, const rd_kafka_topic_partition_list_t *parts) {
    if (!c->on_assign) return;
    int32_t *ids = xcalloc(parts->cnt ? (size_t)parts->cnt : 1, sizeof *ids);
    for (int i = 0; i < parts->cnt; i++) ids[i] = parts->elems[i].partition;
    c->on_assign(c->assign_ud, ids, parts->cnt);
    free(ids);
}

/* The partition ids of topic from the cluster's metadata (waiting up to
 * timeout_ms): 0 with *ids (the caller frees) and *n; an error code with
 * *n 0 when the topic is unknown or the metadata cannot be had. */
static rd_kafka_resp_err_t topic_partition_ids(rd_kafka_t *rk, const char *topic, int timeout_ms, int32_t **ids,
                                               int *n) {
    *ids = NULL;
    *n = 0;
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, t, &md, timeout_ms);
    if (!err && md->topic_cnt != 1) err = RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC; /* topics[0] exists only then */
    if (!err) err = md->topics[0].err;
    if (!err) {
        *n = md->topics[0].partition_cnt;
        *ids = xcalloc(*n ? (size_t)*n : 1, sizeof **ids);
        for (int k = 0; k < *n; k++) (*ids)[k] = md->topics[0].partitions[k].id;
    }
    if (md) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
    return err;
}

/* Static assignment (opt->assign_count > 0): every partition p of the input
 * topics with p % assign_count == assign_index. The list is made here; it
 * takes effect in the first ingest_poll (static_assign_now), so that the
 * caller's hooks (on_assign, the start offsets of a restored checkpoint)
 * are set by then. */
static int assign_static(ingest_consumer *c, char *err, size_t errlen) {
    const ingest_options *opt = c->opt;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
    for (int i = 0; i < opt->n_inputs; i++) {
        int32_t *ids = NULL;
        int n = 0;
        rd_kafka_resp_err_t e = topic_partition_ids(c->rk, opt->inputs[i].topic, 10000, &ids, &n);
        for (int k = 0; k < n; k++)
            if (ids[k] % opt->assign_count == opt->assign_index)
                rd_kafka_topic_partition_list_add(l, opt->inputs[i].topic, ids[k]);
        free(ids);
        if (e) {
            err_set(err, errlen, "topic %s: no partition list: %s", opt->inputs[i].topic, rd_kafka_err2str(e));
            rd_kafka_topic_partition_list_destroy(l);
            return -1;
        }
    }
    track_parts(c, l);
    c->static_parts = l;
    return 0;
}

/* The first ingest_poll with a static assignment: on_assign, then from
 * the committed offsets (or the start hook's), as a group's assignment. */
static void static_assign_now(ingest_consumer *c) {
    rd_kafka_topic_partition_list_t *l = c->static_parts;
    c->static_parts = NULL;
    call_on_assign(c, l);
    note_committed(c, l);
    apply_start(c, l);
    log_info("ingest", "assigned %d partitions statically (instance %d of %d)", l->cnt, c->opt->assign_index,
             c->opt->assign_count);
    rd_kafka_resp_err_t e = rd_kafka_assign(c->rk, l);
    if (e) log_error("ingest", "assign: %s", rd_kafka_err2str(e));
    c->assignments++;
    rd_kafka_topic_partition_list_destroy(l);
}

static void rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts, void *opaque) {
    ingest_consumer *c = opaque;
    int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    pthread_mutex_lock(&c->mu);
    c->m.rebalances++;
    pthread_mutex_unlock(&c->mu);
    c->assign_gen++;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        call_on_assign(c, parts);
        int paused = track_parts(c, parts);
        note_committed(c, parts);
        apply_start(c, parts);
        log_info("ingest", "assigned %d partitions", parts->cnt);
        if (coop)
            rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
        else
            rd_kafka_assign(rk, parts);
        /* librdkafka keeps a partition's pause across a revoke: one paused
         * by back-pressure before it was revoked comes back paused */
        if (paused) rd_kafka_pause_partitions(rk, parts);
        else rd_kafka_resume_partitions(rk, parts);
        c->assignments++;
    } else {
        if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
            log_error("ingest", "rebalance error: %s", rd_kafka_err2str(err));
        log_info("ingest", "revoking %d partitions", parts->cnt);
        on_revoke(c, parts);
        if (coop)
            rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
        else
            rd_kafka_assign(rk, NULL);
    }
}

/* ---- opening ---- */

static void release_message(void *tag) { rd_kafka_message_destroy(tag); }

static int conf_set(rd_kafka_conf_t *conf, const char *k, const char *v, char *err, size_t errlen) {
    char e[256];
    if (rd_kafka_conf_set(conf, k, v, e, sizeof e) != RD_KAFKA_CONF_OK) {
        err_set(err, errlen, "kafka property %s: %s", k, e);
        return -1;
    }
    return 0;
}

rd_kafka_conf_t *ingest_kafka_conf(const ingest_options *opt, const char *const *defaults, char *err, size_t errlen) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, kafka_log);
    rd_kafka_conf_set_error_cb(conf, kafka_error);
    for (int i = 0; defaults && defaults[i]; i += 2)
        if (conf_set(conf, defaults[i], defaults[i + 1], err, errlen)) goto fail;
    for (int i = 0; i < opt->n_kafka; i++)
        if (conf_set(conf, opt->kafka[i].key, opt->kafka[i].value, err, errlen)) goto fail;
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

ingest_consumer *ingest_open(const ingest_options *opt, char *err, size_t errlen) {
    if (opt->n_inputs == 0) {
        err_set(err, errlen, "no input topics");
        return NULL;
    }
    ingest_consumer *c = xcalloc(1, sizeof *c);
    c->opt = opt;
    c->capacity = opt->queue_capacity > 0 ? opt->queue_capacity : INGEST_DEFAULT_QUEUE_CAPACITY;
    c->pool = decode_pool_new(opt, ingest_options_decode_threads(opt), release_message);
    c->jobs = xcalloc(DECODE_AHEAD, sizeof *c->jobs);
    pthread_mutex_init(&c->mu, NULL);

    /* defaults the config may override ... (queued.min.messages: with
     * librdkafka 2.0's 100000, a consumer a little slower than the fetcher
     * fills the local queue past it and fetching then stalls for up to
     * ~0.5 s, starving the consumer; the queue stays bounded by
     * queued.max.messages.kbytes) */
    static const char *const consumer_defaults[] = {"auto.offset.reset",   "earliest", "auto.commit.interval.ms", "1000",
                                                    "queued.min.messages", "1000000",  NULL};
    rd_kafka_conf_t *conf = ingest_kafka_conf(opt, consumer_defaults, err, errlen);
    if (!conf) goto fail;
    /* ... and what at-least-once needs, which it may not */
    if (conf_set(conf, "group.id", opt->group_id ? opt->group_id : "finsent", err, errlen) ||
        conf_set(conf, "enable.auto.commit", "true", err, errlen) ||
        conf_set(conf, "enable.auto.offset.store", "false", err, errlen) ||
        conf_set(conf, "enable.partition.eof", "false", err, errlen))
        goto fail_conf;
    if (opt->rebuild && conf_set(conf, "partition.assignment.strategy", "range", err, errlen)) goto fail_conf;
    rd_kafka_conf_set_rebalance_cb(conf, rebalance);
    rd_kafka_conf_set_opaque(conf, c);
    char e[512];
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    if (!c->rk) {
        err_set(err, errlen, "kafka consumer: %s", e);
        goto fail_conf;
    }
    rd_kafka_poll_set_consumer(c->rk);

    if (opt->dead_letter_topic) {
        rd_kafka_conf_t *pconf = ingest_kafka_conf(opt, NULL, err, errlen);
        if (!pconf) goto fail;
        if (conf_set(pconf, "enable.idempotence", "true", err, errlen) ||
            conf_set(pconf, "linger.ms", "5", err, errlen)) {
            rd_kafka_conf_destroy(pconf);
            goto fail;
        }
        rd_kafka_conf_set_dr_msg_cb(pconf, dlq_delivered);
        rd_kafka_conf_set_opaque(pconf, c);
        c->dlq = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, e, sizeof e);
        if (!c->dlq) {
            err_set(err, errlen, "kafka dead-letter producer: %s", e);
            goto fail;
        }
    }

    if (opt->assign_count > 0) {
        if (assign_static(c, err, errlen) < 0) goto fail;
        return c;
    }
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(opt->n_inputs);
    for (int i = 0; i < opt->n_inputs; i++)
        rd_kafka_topic_partition_list_add(topics, opt->inputs[i].topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t rerr = rd_kafka_subscribe(c->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (rerr) {
        err_set(err, errlen, "subscribe: %s", rd_kafka_err2str(rerr));
        goto fail;
    }
    return c;

fail_conf:
    rd_kafka_conf_destroy(conf);
fail:
    if (c->static_parts) rd_kafka_topic_partition_list_destroy(c->static_parts);
    if (c->dlq) rd_kafka_destroy(c->dlq);
    if (c->rk) {
        rd_kafka_consumer_close(c->rk);
        rd_kafka_destroy(c->rk);
    }
    decode_pool_free(c->pool);
    free(c->jobs);
    pthread_mutex_destroy(&c->mu);
    free(c);
    return NULL;
}

/* ---- polling ---- */

/* Tracks a decoded message in poll order and either returns its event or
 * dead-letters it; *n_in_flight gets the in-flight count after it. */
static event *take(ingest_consumer *c, decode_job *j, int *n_in_flight) {
    rd_kafka_message_t *msg = j->tag;
    const char *topic = j->m.topic;
    pthread_mutex_lock(&c->mu);
    part *p = part_find(c, topic, msg->partition);
    int fresh = p && msg->offset >= p->next_offset;
    int rebuild = fresh && msg->offset < p->floor;
    if (rebuild) {
        /* read again to rebuild state: its effects are durable already */
        p->next_offset = msg->offset + 1;
        c->m.rebuilt++;
    } else if (p && !fresh) {
        /* fetched again (a seek or a fetcher rewind): this member already
         * has it in flight or done */
        c->m.rewind_skipped++;
    } else if (p) {
        part_push(p, msg->offset);
        c->m.messages_in++;
        if (++c->m.in_flight > c->m.in_flight_max) c->m.in_flight_max = c->m.in_flight;
        if (j->e) {
            c->m.events_out++;
            c->m.truncated += (uint64_t)j->r.truncated;
        }
    }
    *n_in_flight = c->m.in_flight;
    pthread_mutex_unlock(&c->mu);
    if (!p) /* a straggler from a revoked partition: its next owner reads it */
        log_debug("ingest", "dropping %s[%d]@%lld: not assigned", topic, (int)msg->partition, (long long)msg->offset);
    if (!fresh) {
        event_free(j->e);
        return NULL;
    }
    if (!j->e && !rebuild) dead_letter(c, msg, &j->r);
    return j->e;
}

/* Fills job with a polled message for the decode pool; errors are logged
 * and dropped. Returns 1 when job is filled. */
static int job_of(ingest_consumer *c, rd_kafka_message_t *msg, decode_job *job) {
    if (msg->err) {
        log_warn("ingest", "consumer: %s", rd_kafka_message_errstr(msg));
        rd_kafka_message_destroy(msg);
        return 0;
    }
    const char *topic = rd_kafka_topic_name(msg->rkt);
    *job = (decode_job){.tag = msg,
                        .m = {.payload = msg->payload, .len = msg->len, .topic = topic, .partition = msg->partition,
                              .offset = msg->offset, .timestamp_ms = rd_kafka_message_timestamp(msg, NULL)},
                        .in = ingest_options_input(c->opt, topic)};
    return 1;
}

/* Hands first (a message just polled, or NULL) to the decode pool and,
 * when more is set and the pool is under half of DECODE_AHEAD, tops it up
 * from what librdkafka already holds, without waiting. */
static void fill(ingest_consumer *c, rd_kafka_message_t *first, int more) {
    decode_job *jobs = c->jobs;
    size_t n = 0, queued = decode_pool_count(c->pool);
    if (first) n += (size_t)job_of(c, first, &jobs[n]);
    if (more && queued + n < DECODE_AHEAD / 2) {
        int gen = c->assign_gen;
        while (queued + n < DECODE_AHEAD) {
            rd_kafka_message_t *msg = rd_kafka_consumer_poll(c->rk, 0);
            if (c->assign_gen != gen) {
                /* a rebalance ran inside that poll: what this loop polled
                 * before it belongs to the old assignment (the revoke
                 * dropped only what was in the pool); the next owner, or
                 * this one from the new position, reads it */
                for (size_t k = 0; k < n; k++) rd_kafka_message_destroy(jobs[k].tag);
                n = 0;
                gen = c->assign_gen;
            }
            if (!msg) break;
            n += (size_t)job_of(c, msg, &jobs[n]);
        }
    }
    decode_pool_push(c->pool, jobs, n);
}

static int in_flight(ingest_consumer *c) {
    pthread_mutex_lock(&c->mu);
    int n = c->m.in_flight;
    pthread_mutex_unlock(&c->mu);
    return n;
}

event *ingest_poll(ingest_consumer *c, int timeout_ms) {
    if (c->static_parts) static_assign_now(c);
    int64_t now = time_mono_ns();
    int64_t deadline = now + (int64_t)timeout_ms * 1000000;
    for (int first = 1;; first = 0) {
        if (c->dlq) rd_kafka_poll(c->dlq, 0);
        if (!first) now = time_mono_ns();
        if (now - c->stored_at_ns >= (int64_t)STORE_INTERVAL_MS * 1000000) {
            store_offsets(c);
            c->stored_at_ns = now;
        }
        int n = in_flight(c);
        if (c->m.paused && n <= c->capacity / 2) set_paused(c, 0);
        int full = n >= c->capacity;
        decode_job j;
        if (!full && decode_pool_count(c->pool) > 0) {
            fill(c, NULL, 1);
            if (decode_pool_take(c->pool, &j)) {
                int now_in_flight;
                event *e = take(c, &j, &now_in_flight);
                rd_kafka_message_destroy(j.tag);
                if (!c->m.paused && now_in_flight >= c->capacity) set_paused(c, 1);
                if (e) return e;
            }
        } else {
            /* nothing to hand out (or full): wait for Kafka, still polling
             * so that the group stays alive; while full, what arrives
             * before the pause takes hold waits in the pool */
            int64_t left = (deadline - now) / 1000000;
            int wait = left < 0 ? 0 : (int)left;
            if ((full || c->dlq) && wait > POLL_SLICE_MS) wait = POLL_SLICE_MS;
            rd_kafka_message_t *msg = rd_kafka_consumer_poll(c->rk, wait);
            if (msg) fill(c, msg, !full);
            if (msg && full && !c->m.paused) set_paused(c, 1);
        }
        if (time_mono_ns() >= deadline) return NULL;
    }
}

int ingest_close(ingest_consumer *c, int timeout_ms) {
    if (!c) return 0;
    int64_t deadline = time_mono_ns() + (int64_t)timeout_ms * 1000000;
    if (!c->m.paused) set_paused(c, 1);
    while (in_flight(c) > 0 && time_mono_ns() < deadline) {
        if (c->dlq) rd_kafka_poll(c->dlq, 0);
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(c->rk, 20);
        if (msg) rd_kafka_message_destroy(msg); /* not tracked: redelivered to the next owner */
    }
    if (c->dlq) {
        int64_t left = (deadline - time_mono_ns()) / 1000000;
        rd_kafka_flush(c->dlq, left > 0 ? (int)left : 0);
        rd_kafka_poll(c->dlq, 0);
    }
    int drained = in_flight(c) == 0;
    if (!drained) log_warn("ingest", "closing with %d messages in flight; they will be redelivered", in_flight(c));
    c->closing = 1;
    store_offsets(c);
    rd_kafka_resp_err_t err = rd_kafka_commit(c->rk, NULL, 0);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) log_warn("ingest", "final commit: %s", rd_kafka_err2str(err));
    rd_kafka_consumer_close(c->rk);
    decode_pool_free(c->pool);
    free(c->jobs);
    rd_kafka_destroy(c->rk);
    if (c->dlq) {
        rd_kafka_purge(c->dlq, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(c->dlq, 0);
        rd_kafka_destroy(c->dlq);
    }
    if (c->static_parts) rd_kafka_topic_partition_list_destroy(c->static_parts);
    for (int i = 0; i < c->n_parts; i++) part_free(c->parts[i]);
    free(c->parts);
    pthread_mutex_destroy(&c->mu);
    free(c);
    return drained ? 0 : 1;
}

int ingest_list_topic_partitions(ingest_consumer *c, const char *topic,
                                 void (*fn)(const char *topic, int32_t partition, void *ud), void *ud, int timeout_ms) {
    int32_t *ids = NULL;
    int n = 0;
    rd_kafka_resp_err_t err = topic_partition_ids(c->rk, topic, timeout_ms, &ids, &n);
    if (err) log_warn("ingest", "no partition list for topic %s: %s", topic, rd_kafka_err2str(err));
    for (int k = 0; k < n; k++) fn(topic, ids[k], ud);
    free(ids);
    return n;
}

int ingest_list_partitions(ingest_consumer *c, void (*fn)(const char *topic, int32_t partition, void *ud), void *ud,
                           int timeout_ms) {
    int total = 0;
    for (int i = 0; i < c->opt->n_inputs; i++)
        total += ingest_list_topic_partitions(c, c->opt->inputs[i].topic, fn, ud, timeout_ms);
    return total;
}
