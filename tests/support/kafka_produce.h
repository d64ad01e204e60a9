/* kafka_produce — numbered test messages into a topic with kcat, for the
 * Kafka tests. */
#ifndef FINSENT_TEST_KAFKA_PRODUCE_H
#define FINSENT_TEST_KAFKA_PRODUCE_H

/* Produces n messages to topic on bootstrap with kcat, message i keyed and
 * identified "<prefix><i>" with the text "<text> <i>":
 *   <prefix><i>:{"id":"<prefix><i>","text":"<text> <i>"}
 * into partition `partition`, or partitioned by key when partition < 0.
 * Returns kcat's exit status (0 on success), -1 when the scratch file
 * cannot be written. */
int kafka_produce_numbered(const char *bootstrap, const char *topic, int partition, int n, const char *prefix,
                           const char *text);

#endif
