/* consumer — the live Kafka source: a librdkafka consumer group over the
 * configured input topics, decoding each message to an event, dead-lettering
 * the bad ones, committing offsets only for acknowledged work.
 *
 * Threads: one thread calls ingest_poll (and finally ingest_close); any
 * thread may call ingest_ack and ingest_metrics_get. Decoding runs ahead
 * of ingest_poll on opt->decode_threads workers (ingest/decode_pool.h);
 * events still come out in poll order, and a message counts as in flight
 * only once ingest_poll hands it out (or dead-letters it).
 *
 * At-least-once: every message handed out (or dead-lettered) is in flight
 * until it is acknowledged (ingest_ack, ingest_ack_range, or the
 * dead-letter producer's delivery confirmation). Per partition, the stored
 * offset only advances past a contiguous prefix of acknowledged messages (stored from the
 * polling thread every 100 ms; enable.auto.commit with
 * enable.auto.offset.store=false; commits also on revoke and close), so a
 * crash redelivers whatever was not durable and nothing else is skipped.
 *
 * Once per assignment: librdkafka may fetch a partition again from its
 * committed offset after broker failures (seen with every broker down for
 * two seconds); messages below the position already handed out are
 * dropped (counted in rewind_skipped), so each is handed out once.
 *
 * Back-pressure: at most queue_capacity messages are in flight (plus up to
 * a few hundred polled and decoding ahead). When full,
 * all assigned partitions are paused and ingest_poll keeps polling (so the
 * group session and max.poll.interval.ms stay alive); they are resumed when
 * in-flight falls to half the capacity. (librdkafka 2.0 fetches again
 * about 1 s after a resume: size the capacity so that pauses are rare.)
 *
 * Rebalances: on revoke, the consumer waits (up to 2 s) for the revoked
 * partitions' in-flight messages to be acknowledged, commits, then forgets
 * them: later acks for them are ignored (counted). On assign, consumption
 * resumes from the committed offsets (or, with opt->rebuild, from the
 * beginning: see ingest_rebuilding).
 *
 * Memory: the uncommitted offsets of a partition are kept as runs of
 * consecutive offsets in the same state (ingest/offset_runs.h), so events
 * held by open windows cost per run (a window boundary, a dead letter),
 * not per message. */
#ifndef FINSENT_CONSUMER_H
#define FINSENT_CONSUMER_H

#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "ingest/decode.h"
#include "ingest/ingest.h"
#include "util/event.h"

typedef struct ingest_consumer ingest_consumer;

/* Counters, copied out by ingest_metrics_get. */
typedef struct ingest_metrics {
    uint64_t messages_in;     /* messages received from Kafka */
    uint64_t events_out;      /* decoded events handed out */
    uint64_t dead_lettered;   /* messages dead-lettered (all reasons) */
    uint64_t dead_letter_by_reason[DECODE_N_REASONS];
    uint64_t dead_letter_retries; /* dead-letter produce attempts that failed and were retried */
    uint64_t dead_letters_given_up; /* dead letters given up after ingest.dead_letter_give_up_after */
    uint64_t truncated;       /* events whose text was cut to max_text_bytes */
    uint64_t acked;           /* acknowledgements applied */
    uint64_t acks_ignored;    /* acks for partitions no longer assigned or unknown offsets */
    uint64_t pauses;          /* times the partitions were paused for back-pressure */
    uint64_t rewind_skipped;  /* messages fetched again after a pause/resume and skipped */
    uint64_t rebalances;      /* assign + revoke callbacks */
    uint64_t rebuilt;         /* rebuild messages handed out (opt->rebuild) */
    int in_flight;            /* polled (or dead-lettering) and not yet acknowledged */
    int in_flight_max;        /* the highest in_flight seen */
    int paused;               /* 1 while paused for back-pressure */
    int assigned_partitions;
    int64_t lag;              /* sum of the partitions' lags (ingest_partition_lags), -1 when one is unknown */
} ingest_metrics;

/* One assigned partition's lag: messages between the next offset to hand
 * out and the high watermark (as of the last fetch), -1 when unknown. */
typedef struct ingest_partition_lag {
    char *topic;
    int32_t partition;
    int64_t lag;
    int64_t in_flight; /* handed out and not yet released (still in the pipeline's queues) */
} ingest_partition_lag;

typedef void (*ingest_lag_fn)(const ingest_partition_lag *l, void *ud);

/* A librdkafka config for another handle on the same cluster: our log and
 * error callbacks, then `defaults` (NULL-terminated key, value pairs;
 * NULL: none) that the user's properties (opt->kafka) may override, then
 * those properties. NULL with err naming the bad property. */
rd_kafka_conf_t *ingest_kafka_conf(const ingest_options *opt, const char *const *defaults, char *err, size_t errlen);

/* Creates the consumer and (when dead_letter_topic is set) the idempotent
 * dead-letter producer from opt (which must outlive the consumer), and
 * subscribes to the input topics. Returns NULL with a one-line reason in
 * err (naming the bad property or topic) on failure. */
ingest_consumer *ingest_open(const ingest_options *opt, char *err, size_t errlen);

/* Called on every assignment, before any message of it is handed out, on
 * the thread in ingest_poll, with the partitions' ids (of every input
 * topic; the aggregate role has one): with opt->rebuild (eager), the
 * whole new assignment; a static one (opt->assign_count) once, by the
 * first ingest_poll. */
typedef void (*ingest_assign_fn)(void *ud, const int32_t *partitions, int n);

/* Sets the assignment hook (NULL: none); call before the first
 * ingest_poll. */
void ingest_set_on_assign(ingest_consumer *c, ingest_assign_fn fn, void *ud);

/* Waits up to timeout_ms for the next good event. Returns it (the caller
 * owns it and must eventually ingest_ack it, then event_free it) or NULL
 * when none came in time. Dead letters are produced inside and never
 * returned. Must be called regularly (at least every few seconds) even when
 * the caller has nothing to do, so that the group stays alive. */
event *ingest_poll(ingest_consumer *c, int timeout_ms);

/* 1 when e is a rebuild message (ingest_options.rebuild): read again
 * below its partition's committed offset at assignment. Its acks,
 * releases and dead letters are ignored. Thread-safe. */
int ingest_rebuilding(ingest_consumer *c, const event *e);

/* Acknowledges that e's effects are durable: its offset may be committed
 * once every earlier message of its partition is acknowledged too. Reads
 * only e's origin fields, so e may be freed right after. Thread-safe;
 * acks for revoked partitions or repeated acks are ignored (counted). */
void ingest_ack(ingest_consumer *c, const event *e);

/* Says that e has left the bounded part of the pipeline (it is counted in
 * its windows) while its offset must still wait for ingest_ack (until the
 * windows close): it stops counting towards queue_capacity, so that events
 * held by open windows never stall consumption. Reads only e's origin;
 * thread-safe; unknown or repeated releases are ignored. */
void ingest_release(ingest_consumer *c, const event *e);

/* Dead-letters an event the pipeline cannot count (reason, e.g.
 * DECODE_LATE_EVENT, and a one-line detail) with payload as the message
 * body and the usual headers; its offset is acknowledged once the dead
 * letter is delivered (at once when there is no dead-letter topic), so the
 * caller must not ingest_ack it. Counted like decode's dead letters.
 * Thread-safe. */
void ingest_dead_letter_event(ingest_consumer *c, const event *e, enum decode_reason reason, const char *detail,
                              const char *payload, size_t len);

/* The same by origin. */
void ingest_ack_origin(ingest_consumer *c, const char *topic, int32_t partition, int64_t offset);

/* Acknowledges every released event (ingest_release) of the partition
 * with an offset in [first, last]: the pipeline's acknowledgement of a run
 * of events whose windows closed. Offsets in the range that are not
 * released (dead letters on their way, messages not handed out) are left
 * as they are, so the committed offset never passes them. Thread-safe;
 * a range with nothing to acknowledge is counted in acks_ignored. */
void ingest_ack_range(ingest_consumer *c, const char *topic, int32_t partition, int64_t first, int64_t last);

/* Calls fn for every partition of every input topic, from the cluster's
 * metadata (waiting up to timeout_ms per topic); returns how many. A topic
 * whose metadata cannot be had is logged and skipped. */
int ingest_list_partitions(ingest_consumer *c, void (*fn)(const char *topic, int32_t partition, void *ud), void *ud,
                           int timeout_ms);

/* Calls fn for every assigned partition with its lag (outside the
 * consumer's lock; l is valid during the call only); returns how many.
 * Thread-safe; never waits for the broker. */
int ingest_partition_lags(ingest_consumer *c, ingest_lag_fn fn, void *ud);

/* The same for one topic, input or not. */
int ingest_list_topic_partitions(ingest_consumer *c, const char *topic,
                                 void (*fn)(const char *topic, int32_t partition, void *ud), void *ud, int timeout_ms);

/* 1 when a dead letter of the partition for an offset below `below` is
 * not delivered yet (its offset then must not be passed by a checkpoint),
 * else 0. Thread-safe. */
int ingest_dead_letters_pending(ingest_consumer *c, const char *topic, int32_t partition, int64_t below);

/* How many assignments have taken effect so far (each counted once its
 * partitions are tracked, so ingest_partition_lags reports them).
 * Thread-safe. */
uint64_t ingest_assignments(ingest_consumer *c);

/* Serves the dead-letter producer's delivery reports for up to
 * timeout_ms (or until none is outstanding). For shutdown, once no thread
 * calls ingest_poll any more. */
void ingest_flush_dead_letters(ingest_consumer *c, int timeout_ms);

/* Where a partition starts when it is assigned: an offset, or -1 for the
 * committed offset (auto.offset.reset when none). Called on the polling
 * thread, inside ingest_poll, before the assignment takes effect. */
typedef int64_t (*ingest_start_fn)(void *ud, const char *topic, int32_t partition);

/* Sets the start-offset hook (NULL: committed offsets); call before the
 * first ingest_poll. With opt->rebuild, a partition starts at the lower of
 * the hook's offset and the committed one (the rebuild floor: records
 * from the hook's offset up to it are rebuild records; with no committed
 * offset, where it would have started). */
void ingest_set_start(ingest_consumer *c, ingest_start_fn fn, void *ud);

/* Copies the counters. Thread-safe. */
void ingest_metrics_get(ingest_consumer *c, ingest_metrics *out);

/* Stops consuming: pauses, waits up to timeout_ms for in-flight messages to
 * be acknowledged and dead letters delivered, commits what is acknowledged,
 * leaves the group and frees everything. Call from the polling thread.
 * Returns 0 when everything drained, 1 when the bound was hit (the rest is
 * redelivered to the next owner). NULL is a no-op returning 0. */
int ingest_close(ingest_consumer *c, int timeout_ms);

#endif
