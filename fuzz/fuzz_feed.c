/* fuzz_feed — libFuzzer target for the feed replay reader (feed_open,
 * feed_next): the input is written as a JSON-lines feed file and replayed
 * at full speed. Checked: every bad line reaches the dead-letter callback
 * with a reason and a one-line detail, every event has an id, a stream
 * and text and carries no Kafka origin, and the counts add up (events +
 * dead letters never exceed lines, lines never exceed the input's). */
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
    fuzz_scratch_init("feed");
    ingest_options_add_input(&opts, "news", "news");
    ingest_input *c = ingest_options_add_input(&opts, "comments", NULL);
    c->fields.text = xstrdup("/message");
    c->fields.title = xstrdup("");
    c->fields.body = xstrdup("");
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
    long max_line = 1; /* lines getline can return: one per '\n', plus a last unterminated one */
    for (size_t i = 0; i < size; i++) max_line += data[i] == '\n';
    char err[256] = "";
    feed_file *f = feed_open(fuzz_scratch_write(data, size), &opts, NULL, 0, on_dead, &max_line, err, sizeof err);
    fuzz_scratch_remove(); /* the open file stays readable */
    if (!f) abort();
    int io_error;
    event *e;
    while ((e = feed_next(f, &io_error))) {
        if (!e->id || !e->id[0] || !e->stream || !e->text || e->origin_topic) abort();
        event_free(e);
    }
    feed_counts c = feed_get_counts(f);
    if (io_error || c.lines > max_line || c.events + c.dead > c.lines) abort();
    long by_reason = 0;
    for (int i = 0; i < FEED_N_REASONS; i++) by_reason += c.dead_by_reason[i];
    if (by_reason != c.dead) abort();
    feed_close(f);
    return 0;
}
