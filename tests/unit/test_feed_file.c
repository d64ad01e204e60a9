/* Unit tests for ingest/feed_file: envelopes and bare messages, dead
 * letters with their reasons, and the envelope numbers fuzz_feed found. */
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_envelopes_and_bare_lines),
        cmocka_unit_test(test_envelope_out_of_range),
    };
    return cmocka_run_group_tests_name("feed_file", tests, NULL, NULL);
}
