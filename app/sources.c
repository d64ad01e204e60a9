/* sources — pl_source adapters; see sources.h. */
#include "app/sources.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"

static int kafka_next(void *ctx, event **out, int max, int timeout_ms) {
    ingest_consumer *c = ctx;
    int n = 0;
    event *e = ingest_poll(c, timeout_ms);
    while (e) {
        out[n++] = e;
        if (n == max) break;
        e = ingest_poll(c, 0);
    }
    return n;
}

static void kafka_release(void *ctx, const event *e) { ingest_release(ctx, e); }

static void kafka_ack(void *ctx, const char *topic, int32_t partition, int64_t first, int64_t last) {
    ingest_ack_range(ctx, topic, partition, first, last);
}

/* A late event goes to the dead-letter topic as its scored JSON; the
 * consumer acknowledges its offset once that is delivered. */
static void late_to_dlq(ingest_consumer *c, const event *e, const char *detail) {
    char *json = event_scored_json(e);
    ingest_dead_letter_event(c, e, DECODE_LATE_EVENT, detail, json, strlen(json));
    free(json);
}

static void kafka_dead_letter(void *ctx, const event *e, const char *detail) { late_to_dlq(ctx, e, detail); }

/* Checkpoints restore each partition's offset: the consumer asks the
 * pipeline where an assigned partition starts. */
static void kafka_attach(void *ctx, pipeline *p) {
    ingest_set_start(ctx, p ? pipeline_resume_offset : NULL, p);
}

typedef struct lag_relay {
    pl_lag_fn fn;
    void *ud;
} lag_relay;

static void relay_lag(const ingest_partition_lag *l, void *ud) {
    lag_relay *r = ud;
    r->fn(r->ud, l->topic, l->partition, l->lag != 0 || l->in_flight > 0);
}

void source_consumer_lags(ingest_consumer *c, pl_lag_fn fn, void *ud) {
    lag_relay r = {fn, ud};
    ingest_partition_lags(c, relay_lag, &r);
}

static void kafka_lags(void *ctx, pl_lag_fn fn, void *ud) { source_consumer_lags(ctx, fn, ud); }

static int kafka_effects_pending(void *ctx, const char *topic, int32_t partition, int64_t below) {
    return ingest_dead_letters_pending(ctx, topic, partition, below);
}

static void kafka_flush_effects(void *ctx, int timeout_ms) { ingest_flush_dead_letters(ctx, timeout_ms); }

static uint64_t kafka_assignments(void *ctx) { return ingest_assignments(ctx); }

pl_source source_kafka(ingest_consumer *c) {
    return (pl_source){.next = kafka_next,
                       .release = kafka_release,
                       .ack = kafka_ack,
                       .dead_letter = kafka_dead_letter,
                       .attach = kafka_attach,
                       .lags = kafka_lags,
                       .assignments = kafka_assignments,
                       .effects_pending = kafka_effects_pending,
                       .flush_effects = kafka_flush_effects,
                       .ctx = c};
}

static int bounded_next(void *ctx, event **out, int max, int timeout_ms) {
    kafka_bounded *kb = ctx;
    ingest_metrics m;
    ingest_metrics_get(kb->c, &m);
    if ((long)m.messages_in >= kb->limit) return -1;
    return kafka_next(kb->c, out, max, timeout_ms);
}

static void bounded_release(void *ctx, const event *e) { ingest_release(((kafka_bounded *)ctx)->c, e); }

static void bounded_ack(void *ctx, const char *topic, int32_t partition, int64_t first, int64_t last) {
    ingest_ack_range(((kafka_bounded *)ctx)->c, topic, partition, first, last);
}

static void bounded_dead_letter(void *ctx, const event *e, const char *detail) {
    late_to_dlq(((kafka_bounded *)ctx)->c, e, detail);
}

static void bounded_lags(void *ctx, pl_lag_fn fn, void *ud) { kafka_lags(((kafka_bounded *)ctx)->c, fn, ud); }

static uint64_t bounded_assignments(void *ctx) { return ingest_assignments(((kafka_bounded *)ctx)->c); }

pl_source source_kafka_bounded(kafka_bounded *kb) {
    return (pl_source){.next = bounded_next,
                       .release = bounded_release,
                       .ack = bounded_ack,
                       .dead_letter = bounded_dead_letter,
                       .lags = bounded_lags,
                       .assignments = bounded_assignments,
                       .ctx = kb};
}

static int feed_next_batch(void *ctx, event **out, int max, int timeout_ms) {
    (void)timeout_ms;
    feed_source *fs = ctx;
    int n = 0;
    while (n < max) {
        event *e = feed_next(fs->f, &fs->io_error);
        if (!e) return n > 0 ? n : -1;
        out[n++] = e;
    }
    return n;
}

pl_source source_feed(feed_source *fs) { return (pl_source){.next = feed_next_batch, .ctx = fs}; }

static int kafka_replay_next(void *ctx, event **out, int max, int timeout_ms) {
    kafka_replay_source *ks = ctx;
    int n = 0;
    while (n < max) {
        event *e = NULL;
        decode_result res;
        int rc = replay_kafka_next(ks->r, &e, &res, n == 0 ? timeout_ms + 5000 : timeout_ms);
        if (rc == 1) {
            out[n++] = e;
        } else if (rc == 0) {
            ks->dead++;
            ks->dead_by_reason[res.reason]++;
            log_warn("replay", "bad record (%s): %s", decode_reason_name(res.reason), res.detail);
        } else {
            if (rc == -2) {
                ks->error = 1;
                log_error("replay", "kafka: %s", replay_kafka_error(ks->r));
            }
            return n > 0 ? n : -1;
        }
    }
    return n;
}

static void kafka_replay_release(void *ctx, const event *e) {
    if (e->origin_topic) replay_kafka_release(((kafka_replay_source *)ctx)->r, e->origin_topic, e->origin_partition);
}

typedef struct replay_lag_relay {
    pl_lag_fn fn;
    void *ud;
} replay_lag_relay;

static void relay_replay_lag(const char *topic, int32_t partition, int held, void *ud) {
    replay_lag_relay *r = ud;
    r->fn(r->ud, topic, partition, held);
}

static void kafka_replay_lags(void *ctx, pl_lag_fn fn, void *ud) {
    replay_lag_relay r = {fn, ud};
    replay_kafka_lags(((kafka_replay_source *)ctx)->r, relay_replay_lag, &r);
}

pl_source source_kafka_replay(kafka_replay_source *ks) {
    return (pl_source){.next = kafka_replay_next, .release = kafka_replay_release, .lags = kafka_replay_lags, .ctx = ks};
}
