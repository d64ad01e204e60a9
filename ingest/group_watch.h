/* group_watch — another consumer group's progress on some partitions,
 * watched from outside the group.
 *
 * The aggregate role reads what the classify role produced, so a classify
 * process that is down shows up in the aggregates only as silence, and
 * silence longer than idle_timeout lets the watermark pass records that
 * are merely not scored yet (they come late when classify is back). The
 * watcher tells silence apart from an outage: it polls, on its own thread,
 * the classify group's committed offset and the high watermark of every
 * input partition, and calls a partition stalled while the group is
 * behind on it (committed < high watermark) and its committed offset has
 * not moved for stall_ms. A healthy classify commits about every second
 * (auto.commit.interval.ms), so a partition it is working through is not
 * stalled; one whose records wait for a consumer that is dead, restarting
 * or still waiting out a dead member's session is.
 *
 * A partition without a committed offset counts from its low watermark
 * (the group starts there: auto.offset.reset earliest). When the cluster
 * does not answer, the last answer stands and its age counts toward the
 * stall: an outage of the cluster is an outage of classify too. */
#ifndef FINSENT_GROUP_WATCH_H
#define FINSENT_GROUP_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/consumer.h"

typedef struct group_watch group_watch;

/* A watcher of group_id on the cluster of opt (its Kafka properties;
 * opt must outlive the watcher), polling every interval_ms. Nothing is
 * watched until group_watch_add; the thread starts with the first add.
 * NULL with err on a bad property. */
group_watch *group_watch_new(const ingest_options *opt, const char *group_id, int interval_ms, int64_t stall_ms,
                             char *err, size_t errlen);

/* Watches one more partition (any thread). */
void group_watch_add(group_watch *g, const char *topic, int32_t partition);

/* Calls fn for every watched partition stalled as of the last poll (any
 * thread; fn runs under the watcher's lock and must not call it). Returns
 * how many. */
int group_watch_stalled(group_watch *g, void (*fn)(void *ud, const char *topic, int32_t partition), void *ud);

/* Polls once now, on the calling thread (tests; the thread does this
 * every interval_ms). Returns the number of partitions it got an answer
 * for. */
int group_watch_poll(group_watch *g, int timeout_ms);

/* Stops the thread and frees (NULL: nothing). A thread stuck in a query
 * the cluster does not answer (librdkafka before 2.3 does not bound
 * rd_kafka_query_watermark_offsets) is waited for up to 10 s, then left
 * behind with its handle (logged): for the end of a process. */
void group_watch_free(group_watch *g);

#endif
