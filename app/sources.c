/* sources — pl_source adapters; see sources.h. */
#include "app/sources.h"

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

static void kafka_ack(void *ctx, const char *topic, int32_t partition, int64_t offset) {
    ingest_ack_origin(ctx, topic, partition, offset);
}

pl_source source_kafka(ingest_consumer *c) {
    return (pl_source){.next = kafka_next, .release = kafka_release, .ack = kafka_ack, .ctx = c};
}

static int bounded_next(void *ctx, event **out, int max, int timeout_ms) {
    kafka_bounded *kb = ctx;
    ingest_metrics m;
    ingest_metrics_get(kb->c, &m);
    if ((long)m.messages_in >= kb->limit) return -1;
    return kafka_next(kb->c, out, max, timeout_ms);
}

static void bounded_release(void *ctx, const event *e) { ingest_release(((kafka_bounded *)ctx)->c, e); }

static void bounded_ack(void *ctx, const char *topic, int32_t partition, int64_t offset) {
    ingest_ack_origin(((kafka_bounded *)ctx)->c, topic, partition, offset);
}

pl_source source_kafka_bounded(kafka_bounded *kb) {
    return (pl_source){.next = bounded_next, .release = bounded_release, .ack = bounded_ack, .ctx = kb};
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
