/* demo_publish — produces a feed of kcat -J style envelopes to Kafka, one
 * message per line to the envelope's topic, in file order (so every
 * partition receives its messages in event-time order when the feed is). */
#ifndef FINSENT_DEMO_PUBLISH_H
#define FINSENT_DEMO_PUBLISH_H

#include <stddef.h>

/* Produces every envelope of feed[0..len) to the cluster at brokers and
 * waits for all deliveries. Returns the number delivered, or -1 with one
 * line in err (a line that is no envelope, a failed delivery). */
long demo_publish(const char *brokers, const char *feed, size_t len, char *err, size_t errlen);

#endif
