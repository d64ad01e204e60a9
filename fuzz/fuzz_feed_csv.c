/* fuzz_feed_csv — libFuzzer target for the CSV feed reader (feed_open and
 * feed_next on a file whose name ends in ".csv"): the input is written as
 * such a file, its first record read as the header of column names, every
 * later row turned into a message (entities/tickers columns split into
 * arrays) and decoded. Checked: a file without a header row is refused
 * with a one-line error; every bad row reaches the dead-letter callback
 * with a reason and a one-line detail on a line that exists; every event
 * has an id and text, belongs to the default input's stream (a row is
 * never an envelope routed to another input, even with columns named
 * topic and payload) and carries no Kafka origin; the counts add up (the
 * header is no event, so events + dead letters < lines). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_scratch.h"
#include "ingest/feed_file.h"
#include "util/xalloc.h"

static ingest_options opts;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_scratch_init_ext("feedcsv", ".csv");
    ingest_options_add_input(&opts, "news", "news");
    ingest_options_add_input(&opts, "comments", "comments");
    ingest_options_add_watch(&opts, "Apple", "AAPL");
    opts.max_text_bytes = 256;
    return 0;
}

static void on_dead(long line, const char *reason, const char *detail, void *ud) {
    long *max_line = ud;
    if (line < 1 || line > *max_line || !reason || !reason[0] || !detail || !detail[0] || strpbrk(detail, "\r\n"))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    long max_line = 1; /* a record starts on a line: one per '\n' or '\r', plus the first */
    for (size_t i = 0; i < size; i++) max_line += data[i] == '\n' || data[i] == '\r';
    char err[256] = "";
    feed_file *f = feed_open(fuzz_scratch_write(data, size), &opts, NULL, 0, on_dead, &max_line, err, sizeof err);
    fuzz_scratch_remove(); /* the open file stays readable */
    if (!f) {
        if (!err[0] || strpbrk(err, "\r\n")) abort();
        return 0;
    }
    int io_error;
    event *e;
    while ((e = feed_next(f, &io_error))) {
        if (!e->id || !e->id[0] || !e->stream || strcmp(e->stream, "news") != 0 || !e->text || e->origin_topic)
            abort();
        event_free(e);
    }
    feed_counts c = feed_get_counts(f);
    if (io_error || c.lines > max_line || (c.lines > 0 && c.events + c.dead >= c.lines)) abort();
    long by_reason = 0;
    for (int i = 0; i < FEED_N_REASONS; i++) by_reason += c.dead_by_reason[i];
    if (by_reason != c.dead) abort();
    feed_close(f);
    return 0;
}
