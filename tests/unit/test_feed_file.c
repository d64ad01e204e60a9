/* Unit tests for ingest/feed_file: envelopes and bare messages, CSV feeds,
 * dead letters with their reasons, and the envelope numbers fuzz_feed found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest/feed_file.h"

typedef struct deads { int n; char reason[4][32]; char detail[4][160]; } deads;

static void on_dead(long line, const char *reason, const char *detail, void *ud) {
    (void)line;
    deads *d = ud;
    if (d->n < 4) {
        snprintf(d->reason[d->n], sizeof d->reason[0], "%s", reason);
        snprintf(d->detail[d->n], sizeof d->detail[0], "%s", detail);
    }
    d->n++;
}

/* Replays text as a feed with one input "news"; returns the events read
 * and fills d with the dead letters. */
static int replay(const char *text, deads *d) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/test_feed_file-%d.jsonl", (int)getpid());
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    ingest_options opt = {0};
    ingest_options_add_input(&opt, "news", NULL);
    char err[256];
    memset(d, 0, sizeof *d);
    feed_file *f = feed_open(path, &opt, NULL, 0, on_dead, d, err, sizeof err);
    assert_non_null(f);
    int n = 0, io;
    event *e;
    while ((e = feed_next(f, &io))) {
        n++;
        event_free(e);
    }
    assert_int_equal(io, 0);
    feed_close(f);
    ingest_options_free(&opt);
    unlink(path);
    return n;
}

static void test_envelopes_and_bare_lines(void **state) {
    (void)state;
    deads d;
    assert_int_equal(replay("{\"topic\":\"news\",\"partition\":2,\"offset\":9,\"ts\":1714566600000,"
                            "\"payload\":\"{\\\"text\\\":\\\"a\\\"}\"}\n"
                            "{\"text\":\"bare\",\"ts\":\"2024-05-01T12:30:00Z\"}\n"
                            "\n"
                            "{\"topic\":\"other\",\"payload\":\"{}\"}\n",
                            &d),
                     2);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.reason[0], "unknown_topic");
}

/* Found by fuzz_feed: envelope numbers beyond the integer types were
 * converted anyway (undefined), and a topic with a newline split the
 * one-line detail. */
static void test_envelope_out_of_range(void **state) {
    (void)state;
    deads d;
    assert_int_equal(replay("{\"topic\":\"news\",\"partition\":1e300,\"payload\":\"{\\\"text\\\":\\\"a\\\"}\"}\n"
                            "{\"topic\":\"news\",\"offset\":-1e30,\"payload\":\"{\\\"text\\\":\\\"a\\\"}\"}\n"
                            "{\"topic\":\"news\",\"ts\":1e19,\"payload\":\"{\\\"text\\\":\\\"a\\\"}\"}\n"
                            "{\"topic\":\"wi\\nre\",\"payload\":\"{}\"}\n",
                            &d),
                     0);
    assert_int_equal(d.n, 4);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(d.reason[i], "not_an_envelope");
        assert_string_equal(d.detail[i], "envelope partition, offset or ts out of range");
    }
    assert_string_equal(d.detail[3], "topic \"wi?re\" is not an input");
}

/* A .csv feed: header row, quoted commas, a ticker list, an empty title,
 * a short record, epoch-ms time. */
static void test_csv_feed(void **state) {
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/test_feed_file-%d.csv", (int)getpid());
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("id,ts,title,source,tickers\r\n"
          "c1,2026-03-02T10:00:00Z,\"Harbor Bancorp plunges, regulator probe\",Wirewatch,\"hrbk, XYZ\"\r\n"
          "c2,2026-03-02T10:01:00Z,,Wirewatch,\r\n"
          "c3,2026-03-02T10:02:00Z,\"Only, two\"\r\n"
          "c4,1772445780000,\"Oil \"\"tumbles\"\"\",Street Desk,\r\n",
          fp);
    fclose(fp);
    ingest_options opt = {0};
    ingest_options_add_input(&opt, "news", NULL);
    char err[256];
    deads d = {0};
    feed_file *f = feed_open(path, &opt, NULL, 0, on_dead, &d, err, sizeof err);
    assert_non_null(f);
    int io;
    event *e = feed_next(f, &io);
    assert_non_null(e);
    assert_string_equal(e->id, "c1");
    assert_string_equal(e->text, "Harbor Bancorp plunges, regulator probe");
    assert_string_equal(e->source, "Wirewatch");
    assert_string_equal(e->stream, "news");
    assert_int_equal(e->n_entities, 2);
    assert_string_equal(e->entities[0], "HRBK");
    assert_string_equal(e->entities[1], "XYZ");
    assert_int_equal(e->ts_ms, 1772445600000LL);
    event_free(e);
    e = feed_next(f, &io);
    assert_non_null(e);
    assert_string_equal(e->id, "c4");
    assert_string_equal(e->text, "Oil \"tumbles\"");
    assert_int_equal(e->ts_ms, 1772445780000LL);
    event_free(e);
    assert_null(feed_next(f, &io));
    assert_int_equal(io, 0);
    assert_int_equal(d.n, 2);
    assert_string_equal(d.reason[0], "missing_text");
    assert_string_equal(d.reason[1], "bad_csv");
    assert_string_equal(d.detail[1], "3 fields where the header has 5");
    feed_counts c = feed_get_counts(f);
    assert_int_equal(c.events, 2);
    assert_int_equal(c.dead_by_reason[FEED_BAD_CSV], 1);
    feed_close(f);
    ingest_options_free(&opt);
    unlink(path);
}

static void test_csv_without_header(void **state) {
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/test_feed_file-%d-empty.csv", (int)getpid());
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
    ingest_options opt = {0};
    ingest_options_add_input(&opt, "news", NULL);
    char err[256];
    assert_null(feed_open(path, &opt, NULL, 0, NULL, NULL, err, sizeof err));
    assert_non_null(strstr(err, "expected a header row of column names"));
    ingest_options_free(&opt);
    unlink(path);
}

/* A CSV row with columns named topic and payload is still a bare message of
 * the default input, not an envelope routed to another input (found by
 * fuzz_feed_csv once it checked the stream). */
static void test_csv_row_is_never_an_envelope(void **state) {
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/test_feed_file-%d-env.csv", (int)getpid());
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("id,ts,topic,payload,text\n"
          "r1,1772445600000,comments,"
          "\"{\"\"id\"\":\"\"x\"\",\"\"ts\"\":1772445600000,\"\"text\"\":\"\"other\"\"}\","
          "Harbor Bancorp plunges\n",
          fp);
    fclose(fp);
    ingest_options opt = {0};
    ingest_options_add_input(&opt, "news", NULL);
    ingest_options_add_input(&opt, "comments", NULL);
    char err[256];
    deads d = {0};
    feed_file *f = feed_open(path, &opt, NULL, 0, on_dead, &d, err, sizeof err);
    assert_non_null(f);
    int io;
    event *e = feed_next(f, &io);
    assert_non_null(e);
    assert_string_equal(e->id, "r1");
    assert_string_equal(e->stream, "news");
    assert_string_equal(e->text, "Harbor Bancorp plunges");
    event_free(e);
    assert_null(feed_next(f, &io));
    assert_int_equal(d.n, 0);
    feed_close(f);
    ingest_options_free(&opt);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_envelopes_and_bare_lines),
        cmocka_unit_test(test_envelope_out_of_range),
        cmocka_unit_test(test_csv_feed),
        cmocka_unit_test(test_csv_without_header),
        cmocka_unit_test(test_csv_row_is_never_an_envelope),
    };
    return cmocka_run_group_tests_name("feed_file", tests, NULL, NULL);
}
