/* event — the one struct that flows ingest → classify → alerts.
 *
 * ingest fills the message part (decode_message), classify fills the
 * scores (cls_score_events), alerts reads both. Strings are owned by the
 * event and freed by event_free: either each on its own (an event built
 * field by field from xcalloc) or in the event's own allocation (a packed
 * event, event_new_packed: one malloc and one free per event, which is
 * what the decoder makes). Code that replaces a string of an event uses
 * event_set_string, never free(). The origin fields say where the message
 * came from so that offsets can be committed once its effects are durable. */
#ifndef FINSENT_EVENT_H
#define FINSENT_EVENT_H

#include <stddef.h>
#include <stdint.h>

#define EVENT_LABEL_MAX 48

typedef struct event_score {
    char label[EVENT_LABEL_MAX]; /* e.g. "negative", "Earnings" */
    float score;                 /* probability of label, 0..1 */
    int index;                   /* label index in the head, -1 when unscored */
} event_score;

typedef struct event {
    char *id;            /* message id (from the payload, or topic-partition-offset) */
    char *stream;        /* input stream name from the config, e.g. "news" */
    int64_t ts_ms;       /* event time, epoch milliseconds UTC */
    char *source;        /* publisher / author, may be NULL */
    char *text;          /* title and body joined, valid UTF-8, never NULL */
    char **entities;     /* upper-cased entity keys, deduplicated */
    int n_entities;

    /* origin: for offset commits and dead letters; topic NULL for files */
    char *origin_topic;
    int32_t origin_partition;
    int64_t origin_offset;

    /* scored records (the aggregate role, ingest/scored.h): the one
     * aggregation key the record feeds (NULL: every key of the event) and
     * the input message it was scored from (in_topic NULL otherwise) */
    char *agg_key;
    char *in_topic;
    int32_t in_partition;
    int64_t in_offset;

    /* filled by classify */
    event_score topic;
    event_score sentiment;
    float p_negative;    /* probability of the negative sentiment class */

    /* bytes of the allocation the event heads (event_new_packed); a string
     * or the entities array inside it is not freed on its own. 0: none */
    size_t packed_bytes;
} event;

/* The strings of a packed event, borrowed (event_new_packed copies them). */
typedef struct event_strings {
    const char *id;           /* never NULL */
    const char *stream;       /* may be NULL */
    const char *source;       /* may be NULL */
    const char *origin_topic; /* may be NULL */
    const char *text;         /* text_len bytes, need not end in NUL */
    size_t text_len;
    const char *const *entities;
    int n_entities;
} event_strings;

/* A new event whose strings and entities array are copies of s's, laid out
 * in the same allocation as the event itself; ts, origin partition and
 * offset are 0, scores unset (index -1). event_free, event_add_entity and
 * event_set_string treat it as any other event. Can't fail (aborts on out
 * of memory). */
event *event_new_packed(const event_strings *s);

/* Replaces the string *field of e (one of its char * members) with a copy
 * of s (NULL: none), freeing the old one unless it lives in e's packed
 * allocation. */
void event_set_string(event *e, char **field, const char *s);

/* Frees everything the event owns and the event itself; NULL is a no-op. */
void event_free(event *e);

/* The scored event as one JSON object (DESIGN.md "Scored event"): id,
 * stream, ts (RFC 3339), source, text, entities, topic {label, score},
 * sentiment {label, score}. Caller frees. */
char *event_scored_json(const event *e);

/* The same object as a cJSON tree, for formats that extend it
 * (ingest/scored.h); caller frees with cJSON_Delete. */
struct cJSON *event_scored_cjson(const event *e);

/* Adds an entity key unless present; the string is copied. */
void event_add_entity(event *e, const char *key);

#endif
