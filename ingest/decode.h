/* decode — one input message (bytes + Kafka origin) to an event, or the
 * reason it must go to the dead-letter topic.
 *
 * The rules (DESIGN.md "Input messages"):
 *   - the payload must be at most max_message_bytes ("oversize"), valid
 *     UTF-8 ("invalid_utf8") and one JSON object;
 *   - fields are found by JSON pointers per input (ingest_fields): id, ts,
 *     title, body or text, source, entities (or tickers);
 *   - text is title + ". " + body when both are present, else whichever is;
 *     text longer than max_text_bytes is cut at the last UTF-8 character
 *     boundary at or before the limit (never mid-character) and the result
 *     says so (truncated = 1) so that the caller counts it;
 *   - ts is RFC 3339 or epoch milliseconds (string or number); absent or
 *     null: the Kafka timestamp;
 *   - id is a string or an integer; absent or null: "topic-partition-offset"
 *     (for files, whose topic is NULL: "stream-offset", offset = line);
 *   - entities: the entities field (array of strings), cashtags in the text
 *     ($AAPL, $BRK.B: 1-6 letters and an optional .X of 1-2 letters, not
 *     $100), Shanghai / Shenzhen / Hong Kong tickers ($600519, SH600519,
 *     0700.HK, $贵州茅台(SH600519)$: ingest/ticker.h) and watch-list names
 *     (after NFKC and case folding, whole words only in scripts written
 *     with spaces: ingest/entity_match.h); keys are upper-cased and
 *     deduplicated, in that order (names in the order they end in the text).
 * decode never crashes on any input: every failure is a reason. */
#ifndef FINSENT_DECODE_H
#define FINSENT_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/ingest.h"
#include "util/event.h"

/* Why a message was dead-lettered. The strings (decode_reason_name) are
 * stable: they go into the dead-letter header "reason" and metric names. */
enum decode_reason {
    DECODE_OK = 0,
    DECODE_EMPTY_MESSAGE,     /* "empty_message": zero-length payload */
    DECODE_OVERSIZE,          /* "oversize": payload > max_message_bytes */
    DECODE_INVALID_UTF8,      /* "invalid_utf8": payload or a decoded string is not UTF-8 */
    DECODE_INVALID_JSON,      /* "invalid_json": not parseable, or trailing bytes / NUL */
    DECODE_NOT_AN_OBJECT,     /* "not_an_object": valid JSON but not an object */
    DECODE_BAD_FIELD_TYPE,    /* "bad_field_type": a mapped field has the wrong JSON type */
    DECODE_BAD_TIMESTAMP,     /* "bad_timestamp": ts present but not RFC 3339 / epoch ms */
    DECODE_MISSING_TIMESTAMP, /* "missing_timestamp": no ts and no Kafka timestamp */
    DECODE_MISSING_TEXT,      /* "missing_text": none of title, body, text */
    DECODE_EMPTY_TEXT,        /* "empty_text": text present but only whitespace */
    DECODE_ID_TOO_LONG,       /* "id_too_long": id longer than INGEST_DEFAULT_MAX_ID_BYTES */
    DECODE_EMPTY_ID,          /* "empty_id": id present but "" */
    DECODE_TOO_MANY_ENTITIES, /* "too_many_entities": more than INGEST_DEFAULT_MAX_ENTITIES keys */
    DECODE_BAD_ENTITY,        /* "bad_entity": an entity string empty or over 64 bytes */
    DECODE_LATE_EVENT,        /* "late_event": never from decode; the pipeline's reason for an
                                 event whose every window had closed (the payload is then the
                                 scored event, not the original bytes) */
    DECODE_N_REASONS
};

/* The stable name of a reason ("ok" for DECODE_OK); never NULL. */
const char *decode_reason_name(enum decode_reason r);

/* One message as it arrives. */
typedef struct decode_msg {
    const void *payload;
    size_t len;
    const char *topic;    /* NULL for feed files */
    int32_t partition;
    int64_t offset;       /* Kafka offset, or the line number of a file */
    int64_t timestamp_ms; /* Kafka message timestamp, -1 when none */
} decode_msg;

typedef struct decode_result {
    enum decode_reason reason;
    char detail[160]; /* one line for logs and the dead-letter "error" header */
    int truncated;    /* 1 when the text was cut to max_text_bytes */
} decode_result;

/* Decodes m with the mapping of `in` (NULL: the default mapping, stream =
 * topic, or "file" when the topic is NULL) and the limits and watch list of
 * opt. Returns a new event (caller frees with event_free) with the origin
 * fields set and res->reason DECODE_OK, or NULL with res->reason and
 * res->detail saying why. Thread-safe (no shared state). */
event *decode_message(const ingest_options *opt, const ingest_input *in, const decode_msg *m, decode_result *res);

/* Resolves an RFC 6901 JSON pointer ("" is the whole document, "/a/0/b~1c"
 * is key "a", element 0, key "b/c") in root. Returns the item or NULL. */
struct cJSON;
struct cJSON *decode_pointer(struct cJSON *root, const char *pointer);

#endif
