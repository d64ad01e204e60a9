/* sources — the pipeline's pl_source over the live Kafka consumer and over
 * a recorded feed file. */
#ifndef FINSENT_SOURCES_H
#define FINSENT_SOURCES_H

#include "app/pipeline.h"
#include "ingest/consumer.h"
#include "ingest/feed_file.h"
#include "ingest/replay_kafka.h"

/* The pl_source lags callback over a live consumer: every assigned
 * partition, held while it has lag or messages still in the pipeline. */
void source_consumer_lags(ingest_consumer *c, pl_lag_fn fn, void *ud);

/* A source reading c (borrowed; the caller closes it after the pipeline). */
pl_source source_kafka(ingest_consumer *c);

/* A source reading c that ends (next returns -1) once `limit` messages
 * (events and dead letters) have been read: for the demo's known feed. */
typedef struct kafka_bounded {
    ingest_consumer *c;
    long limit;
} kafka_bounded;
pl_source source_kafka_bounded(kafka_bounded *kb);

/* A source reading f (borrowed); next returns -1 at the end of the file or
 * on a read error (then *io_error is set). */
typedef struct feed_source {
    feed_file *f;
    int io_error;
} feed_source;
pl_source source_feed(feed_source *fs);

/* A source reading a Kafka history range (borrowed); next returns -1 at
 * its end or on a Kafka error (then error is set). Bad records are
 * counted, by reason, and logged. */
typedef struct kafka_replay_source {
    replay_kafka *r;
    int error;
    long dead;
    long dead_by_reason[DECODE_N_REASONS];
} kafka_replay_source;
pl_source source_kafka_replay(kafka_replay_source *ks);

#endif
