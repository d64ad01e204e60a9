/* feed_file — a recorded feed as a replay source.
 *
 * A feed is JSON lines. Each line is either
 *   - an envelope as `kcat -C -J` writes it: {"topic": "news",
 *     "partition": 0, "offset": 42, "ts": 1700000000000, "payload": "…"}
 *     (only "topic" and "payload" are needed; "ts" is the Kafka timestamp,
 *     used when the message has none), or
 *   - a bare input message object, which belongs to the default input.
 * The payload is decoded by decode_message exactly as a live message from
 * that topic would be, so an event replayed is the same event as live.
 * A file whose name ends in ".csv" is instead an RFC 4180 table with a
 * header row: each row becomes a message of the default input whose keys
 * are the column names (id, ts, title, body, text, source, …; a column
 * named entities or tickers is split on commas, semicolons and spaces
 * into an array), decoded like a bare message (never as an envelope,
 * even with columns named topic and payload).
 * Bad lines (not JSON, an envelope whose topic is no input, a payload that
 * does not decode, a malformed CSV record) are reported one by one to the
 * caller as dead letters with their reason; replay goes on.
 *
 * Pacing: speed 0 reads as fast as possible; speed s > 0 sleeps so that
 * event time advances s times faster than the wall clock (1 = real time). */
#ifndef FINSENT_FEED_FILE_H
#define FINSENT_FEED_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/decode.h"
#include "ingest/ingest.h"
#include "util/event.h"

typedef struct feed_file feed_file;

/* Reasons beyond decode's own: indexes DECODE_N_REASONS and up. */
enum { FEED_NOT_ENVELOPE = DECODE_N_REASONS, FEED_UNKNOWN_TOPIC, FEED_BAD_CSV, FEED_N_REASONS };

/* The stable name of reason r < FEED_N_REASONS: decode_reason_name, or
 * "not_an_envelope", "unknown_topic", "bad_csv". */
const char *feed_reason_name(int r);

/* A bad line: its number, the reason name (feed_reason_name) and a
 * one-line detail. */
typedef void (*feed_dead_fn)(long line, const char *reason, const char *detail, void *ud);

/* Opens path ("-" = stdin). default_input names the input that bare
 * messages belong to (NULL: the first input, or stream "file" when the
 * options have none). opt must outlive the feed. NULL with a one-line
 * message in err when the file cannot be opened or the default input is
 * unknown. */
feed_file *feed_open(const char *path, const ingest_options *opt, const char *default_input, double speed,
                     feed_dead_fn on_dead, void *ud, char *err, size_t errlen);

/* The next good event (caller frees), or NULL at end of file. Bad lines
 * go to on_dead on the way. Blocks for pacing when speed > 0. Returns NULL
 * with *io_error set when reading fails. */
event *feed_next(feed_file *f, int *io_error);

/* Lines read, events returned, dead letters so far. */
typedef struct feed_counts {
    long lines, events, dead;
    long dead_by_reason[FEED_N_REASONS];
} feed_counts;
feed_counts feed_get_counts(const feed_file *f);

void feed_close(feed_file *f);

#endif
