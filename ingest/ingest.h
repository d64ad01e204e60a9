/* ingest — the options of the ingest module, shared by the live consumer,
 * the replay sources and the config loader.
 *
 * The config engineer's loader fills an ingest_options from the config file
 * (keys: kafka{...}, group_id, inputs[] {topic, stream, fields{id, ts,
 * title, body, text, source, entities}}, dead_letter_topic, queue_capacity,
 * max_message_bytes, max_text_bytes, decode_threads, watchlist[] {name, entity}); the
 * consumer and the replay sources read it and never change it. Every string
 * is owned by the options (ingest_options_free frees them). */
#ifndef FINSENT_INGEST_H
#define FINSENT_INGEST_H

#include <stddef.h>
#include <stdint.h>

struct event;
struct em_matcher;
struct decode_msg;
struct decode_result;

#define INGEST_DEFAULT_QUEUE_CAPACITY 10000
#define INGEST_DEFAULT_MAX_MESSAGE_BYTES (1024 * 1024)
#define INGEST_DEFAULT_MAX_TEXT_BYTES 8192
#define INGEST_DEFAULT_MAX_ID_BYTES 256
#define INGEST_DEFAULT_MAX_ENTITIES 64
#define INGEST_DEFAULT_DECODE_THREADS 1

/* JSON pointers (RFC 6901, "~0" "~1" escapes) into an input message. NULL
 * means the default: "/id", "/ts", "/title", "/body", "/text", "/source",
 * and "/entities" falling back to "/tickers". */
typedef struct ingest_fields {
    char *id;
    char *ts;
    char *title;
    char *body;
    char *text;
    char *source;
    char *entities;
} ingest_fields;

/* One input topic: where it comes from and what its events are called. */
typedef struct ingest_input {
    char *topic;  /* Kafka topic name */
    char *stream; /* stream name put on events, e.g. "news"; NULL: the topic */
    ingest_fields fields;
} ingest_input;

/* A watch-list entry: a name in the text that adds an entity key, e.g.
 * {"Goldman Sachs", "GS"}, {"贵州茅台", "600519"}; found after Unicode
 * normalisation, case-insensitively, whole words where the script writes
 * spaces (ingest/entity_match.h). */
typedef struct ingest_watch {
    char *name;
    char *entity;
} ingest_watch;

/* A librdkafka property passed through unchanged (security, SASL, TLS,
 * bootstrap.servers, ...). */
typedef struct ingest_kv {
    char *key;
    char *value;
} ingest_kv;

/* Default of ingest_options.dead_letter_give_up_ms: ten minutes. */
#define INGEST_DEFAULT_DLQ_GIVE_UP_MS (10 * 60 * 1000)

typedef struct ingest_options {
    ingest_kv *kafka;
    int n_kafka;
    char *group_id;            /* consumer group; NULL: "finsent" */
    ingest_input *inputs;
    int n_inputs;
    char *dead_letter_topic;   /* NULL: dead letters are counted and logged only */
    int queue_capacity;        /* in-flight messages (polled, not yet acked); <= 0: default */
    int decode_threads;        /* threads decoding ahead of the polling thread; 0: default; < 0: none */
    size_t max_message_bytes;  /* larger messages are dead-lettered "oversize"; 0: default */
    size_t max_text_bytes;     /* longer text is truncated at a UTF-8 boundary; 0: default */
    ingest_watch *watchlist;
    int n_watchlist;
    struct ingest_watch_index *watch_index; /* the watch list's matcher, built on first use */
    /* The decoder of the input messages; NULL: decode_message (the scored
     * topic's records use scored_decode, ingest/scored.h). Its signature is
     * decode_message's. */
    struct event *(*decode)(const struct ingest_options *opt, const ingest_input *in, const struct decode_msg *m,
                            struct decode_result *res);
    /* > 0: no consumer-group membership; the consumer is assigned the
     * partitions p of the input topics with p % assign_count == assign_index
     * (the aggregate role's instances) and commits to group_id. */
    int assign_count, assign_index;
    /* 1: on every assignment, each partition is read again from its
     * beginning (and the group's assignment is eager, range: every
     * rebalance revokes every partition, whatever the config says); the messages below its committed offset then are rebuild
     * messages (ingest_rebuilding): handed out once so that the caller
     * can rebuild its state, never tracked, acknowledged, committed or
     * dead-lettered (their effects were durable before the commit). */
    int rebuild;
    /* A dead letter not delivered (or not even queued) this long after it
     * was first queued is given up: logged as an error, counted, and its
     * offset acknowledged; 0: INGEST_DEFAULT_DLQ_GIVE_UP_MS. */
    int64_t dead_letter_give_up_ms;
} ingest_options;

/* Frees every string and array the options own (not the struct itself) and
 * zeroes it; a zeroed struct is a no-op. */
void ingest_options_free(ingest_options *o);

/* Appends a kafka pass-through property (copied). Can't fail. */
void ingest_options_set_kafka(ingest_options *o, const char *key, const char *value);

/* Appends an input with the default field mapping (strings copied); returns
 * it so that the caller may set field pointers (owned, xstrdup'ed). */
ingest_input *ingest_options_add_input(ingest_options *o, const char *topic, const char *stream);

/* Appends a watch-list entry (strings copied). Not while messages are
 * decoded with o: it drops the matcher built from the list so far. */
void ingest_options_add_watch(ingest_options *o, const char *name, const char *entity);

/* The matcher of o's watch list (entity_match.h; a match's id is the index
 * of its entry in o->watchlist), built at the first call after the last
 * ingest_options_add_watch; NULL when the list is empty. Thread-safe; the
 * matcher belongs to o. Names that normalise to nothing are left out
 * (the config check rejects them). */
const struct em_matcher *ingest_options_matcher(const ingest_options *o);

/* The number of decode worker threads o asks for: decode_threads, the
 * default when 0, and 0 (decode on the polling thread) when negative. */
int ingest_options_decode_threads(const ingest_options *o);

/* The input whose topic is `topic`, or NULL. */
const ingest_input *ingest_options_input(const ingest_options *o, const char *topic);

#endif
