/* replay_file — a feed file as an event source, for `finsent replay --file`
 * and `finsent backtest`.
 *
 * JSONL: one message per line, decoded exactly as a live Kafka message of
 * the given input (decode_message with topic NULL), so a replayed event is
 * the live event except for its origin (origin_topic NULL, origin_offset =
 * line number). Messages without ts have no Kafka timestamp to fall back
 * on: they are bad records ("missing_timestamp"). Blank lines are skipped.
 * Events come out in file order, paced by event time (replay.h). */
#ifndef FINSENT_REPLAY_FILE_H
#define FINSENT_REPLAY_FILE_H

#include "ingest/decode.h"
#include "ingest/ingest.h"
#include "util/event.h"

typedef struct replay_file replay_file;

/* Opens path ("-" for stdin) as JSONL. opt and in (the field mapping and
 * stream; NULL: defaults, stream "file") must outlive the reader. speed is
 * a replay_speed_parse factor. Returns NULL with a one-line reason in err. */
replay_file *replay_file_open(const char *path, const ingest_options *opt, const ingest_input *in, double speed,
                              char *err, size_t errlen);

/* Reads the next record: returns 1 and sets *out (caller frees) for an
 * event; 0 for a bad record (res says why, replay_file_line where); -1 at
 * end of input; -2 on a read error (replay_file_error). */
int replay_file_next(replay_file *r, event **out, decode_result *res);

/* The 1-based line of the last record returned. */
long replay_file_line(const replay_file *r);
const char *replay_file_error(const replay_file *r);

void replay_file_close(replay_file *r);

#endif
