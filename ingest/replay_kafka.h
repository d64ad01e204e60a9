/* replay_kafka — history from Kafka as an event source, for `finsent
 * replay --from TIME [--to TIME]` and `--from-offsets SPEC`.
 *
 * A plain assigned consumer (no group, no commits) reads every partition of
 * the input topics over a fixed range decided at open:
 *   - by time: the messages whose Kafka timestamp is in [from, to). Start
 *     and end offsets come from rd_kafka_offsets_for_times; where the broker
 *     cannot answer (librdkafka 2.0's mock cluster says -1), they are found
 *     by binary search over message timestamps, which assumes timestamps
 *     that do not decrease within a partition (CreateTime from one
 *     producer, or LogAppendTime). Messages outside the range are skipped
 *     either way, so the result is exact when that assumption holds;
 *   - by offsets: "topic:partition:offset,..." starting points, each read
 *     up to the high watermark at open; partitions not named are not read.
 * Messages decode exactly as live (same event, same origin). */
#ifndef FINSENT_REPLAY_KAFKA_H
#define FINSENT_REPLAY_KAFKA_H

#include <stdint.h>

#include "ingest/decode.h"
#include "ingest/ingest.h"
#include "util/event.h"

typedef struct replay_kafka replay_kafka;

/* Opens a time-range replay over opt's inputs: [from_ms, to_ms), to_ms < 0
 * meaning up to the high watermark at open. Returns NULL with a reason in
 * err. opt must outlive the reader. */
replay_kafka *replay_kafka_open_time(const ingest_options *opt, int64_t from_ms, int64_t to_ms, double speed,
                                     char *err, size_t errlen);

/* Opens an offsets replay from "topic:partition:offset[,...]". Returns NULL
 * with a reason (naming the bad item) in err. */
replay_kafka *replay_kafka_open_offsets(const ingest_options *opt, const char *spec, double speed, char *err,
                                        size_t errlen);

/* Same codes as replay_file_next: 1 event, 0 bad record (res), -1 done,
 * -2 Kafka error (replay_kafka_error). Waits at most timeout_ms per call
 * for the next message before returning -2 with "timed out". */
int replay_kafka_next(replay_kafka *r, event **out, decode_result *res, int timeout_ms);

const char *replay_kafka_error(const replay_kafka *r);

/* How many start/end offsets were found by binary search (the broker could
 * not answer offsets_for_times). */
int replay_kafka_searched(const replay_kafka *r);

/* Calls fn for every partition the replay reads (so that each can hold
 * the watermark from the start); returns how many. */
int replay_kafka_partitions(const replay_kafka *r, void (*fn)(const char *topic, int32_t partition, void *ud),
                            void *ud);
/* The event of (topic, partition) that replay_kafka_next handed out is
 * counted; from the thread that counts. */
void replay_kafka_release(replay_kafka *r, const char *topic, int32_t partition);

/* Calls fn for every partition read with held 1 while it has lag: not
 * read to its end yet, or an event of it handed out and not yet counted.
 * Thread-safe with replay_kafka_next. */
void replay_kafka_lags(replay_kafka *r, void (*fn)(const char *topic, int32_t partition, int held, void *ud),
                       void *ud);

void replay_kafka_close(replay_kafka *r);

#endif
