/* sources — the pipeline's pl_source over the live Kafka consumer and over
 * a recorded feed file. */
#ifndef FINSENT_SOURCES_H
#define FINSENT_SOURCES_H

#include "app/pipeline.h"
#include "ingest/consumer.h"
#include "ingest/feed_file.h"

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

#endif
