/* Tests of the replay sources: speed parsing and pacing, JSONL feed files
 * decoding to the same events as live messages, and Kafka time-range and
 * offset replays over the mock cluster (whose offsets_for_times answers -1,
 * so the binary search over timestamps is what runs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest/mock_cluster.h"
#include "ingest/replay.h"
#include "ingest/replay_file.h"
#include "ingest/replay_kafka.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static void test_speed_parse(void **state) {
    (void)state;
    double f;
    assert_int_equal(replay_speed_parse("max", &f), 0);
    assert_true(f == 0);
    assert_int_equal(replay_speed_parse("1x", &f), 0);
    assert_true(f == 1);
    assert_int_equal(replay_speed_parse("12.5x", &f), 0);
    assert_true(f == 12.5);
    const char *bad[] = {"", "x", "0x", "-2x", "fast", "10", "1xx", "nanx"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_int_equal(replay_speed_parse(bad[i], &f), -1);
}

static void assert_same_event(const event *a, const event *b) {
    assert_string_equal(a->id, b->id);
    assert_string_equal(a->stream, b->stream);
    assert_int_equal(a->ts_ms, b->ts_ms);
    assert_string_equal(a->text, b->text);
    if (a->source || b->source) assert_string_equal(a->source, b->source);
    assert_int_equal(a->n_entities, b->n_entities);
    for (int i = 0; i < a->n_entities; i++) assert_string_equal(a->entities[i], b->entities[i]);
}

static const char *const feed_lines[] = {
    "{\"id\":\"a\",\"ts\":\"2024-05-01T12:30:00Z\",\"title\":\"Apple\",\"body\":\"$AAPL up\",\"source\":\"r\"}",
    "",
    "{\"id\":\"b\",\"ts\":1714566601000,\"text\":\"Goldman Sachs cut\",\"entities\":[\"gs\"]}",
    "not json",
    "{\"id\":\"c\",\"text\":\"no time\"}",
    "{\"id\":\"d\",\"ts\":1714566602000,\"text\":\"last\"}",
};

static void test_file_jsonl_same_as_live(void **state) {
    (void)state;
    char path[] = "/tmp/finsent-feed-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    size_t n = sizeof feed_lines / sizeof feed_lines[0];
    for (size_t i = 0; i < n; i++) fprintf(f, "%s\r\n", feed_lines[i]);
    fclose(f);

    ingest_options o = {0};
    ingest_input *in = ingest_options_add_input(&o, "news", "news");
    ingest_options_add_watch(&o, "Goldman Sachs", "GS");
    char err[256];
    replay_file *r = replay_file_open(path, &o, in, 10.0, err, sizeof err);
    assert_non_null(r);
    int64_t t0 = time_mono_ns();
    event *e;
    decode_result res;
    int got = 0, bad = 0, rc;
    long bad_lines[4];
    while ((rc = replay_file_next(r, &e, &res)) != -1) {
        assert_true(rc >= 0);
        if (rc == 0) {
            bad_lines[bad++] = replay_file_line(r);
            continue;
        }
        /* the same line as a live Kafka message of the same input */
        const char *line = feed_lines[replay_file_line(r) - 1];
        decode_msg m = {.payload = line, .len = strlen(line), .topic = "news", .partition = 0, .offset = 9,
                        .timestamp_ms = 5};
        decode_result lres;
        event *live = decode_message(&o, in, &m, &lres);
        assert_non_null(live);
        assert_same_event(e, live);
        assert_null(e->origin_topic);
        event_free(live);
        event_free(e);
        got++;
    }
    int64_t elapsed_ms = (time_mono_ns() - t0) / 1000000;
    assert_int_equal(got, 3);
    assert_int_equal(bad, 2);
    assert_int_equal(bad_lines[0], 4); /* not json */
    assert_int_equal(bad_lines[1], 5); /* no ts, no Kafka timestamp */
    /* 2 s of event time at 10x: at least 200 ms (a lower bound, not a timing target) */
    assert_true(elapsed_ms >= 190);
    replay_file_close(r);
    assert_null(replay_file_open("/nonexistent/feed", &o, in, 0, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/feed"));
    ingest_options_free(&o);
    unlink(path);
}

#define RK_PARTS 3
#define RK_PER 100
#define RK_BASE 1714566600000LL

static void produce_timed(const char *bootstrap) {
    char e[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, e, sizeof e);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    assert_non_null(p);
    for (int part = 0; part < RK_PARTS; part++) {
        for (int i = 0; i < RK_PER; i++) {
            int64_t ts = RK_BASE + (int64_t)i * 10 + part;
            char *v = xasprintf("{\"id\":\"p%d-%d\",\"text\":\"message %d\"}", part, i, i);
            assert_int_equal(rd_kafka_producev(p, RD_KAFKA_V_TOPIC("hist"), RD_KAFKA_V_PARTITION(part),
                                               RD_KAFKA_V_VALUE(v, strlen(v)), RD_KAFKA_V_TIMESTAMP(ts),
                                               RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                             0);
            free(v);
        }
    }
    assert_int_equal(rd_kafka_flush(p, 10000), 0);
    rd_kafka_destroy(p);
}

static void test_kafka_time_range_and_offsets(void **state) {
    (void)state;
    char err[256];
    ingest_mock *m = ingest_mock_new(1, err, sizeof err);
    assert_non_null(m);
    const char *bs = ingest_mock_bootstraps(m);
    assert_int_equal(ingest_mock_topic(m, "hist", RK_PARTS), 0);
    produce_timed(bs);
    ingest_options o = {0};
    ingest_options_set_kafka(&o, "bootstrap.servers", bs);
    ingest_options_add_input(&o, "hist", "news");

    /* [base+300, base+700): i in 30..69 for partition 0; for partitions 1, 2
     * (ts = base + 10 i + part) i in 30..69 too */
    int64_t from = RK_BASE + 300, to = RK_BASE + 700;
    replay_kafka *r = replay_kafka_open_time(&o, from, to, 0, err, sizeof err);
    if (!r) fail_msg("open_time: %s", err);
    assert_true(replay_kafka_searched(r) > 0);
    char seen[RK_PARTS][RK_PER] = {{0}};
    event *e;
    decode_result res;
    int rc, got = 0;
    while ((rc = replay_kafka_next(r, &e, &res, 10000)) == 1) {
        assert_true(e->ts_ms >= from && e->ts_ms < to); /* Kafka timestamp: no ts in the payload */
        int part, i;
        assert_int_equal(sscanf(e->id, "p%d-%d", &part, &i), 2);
        assert_int_equal(part, e->origin_partition);
        seen[part][i]++;
        got++;
        event_free(e);
    }
    if (rc != -1) fail_msg("replay ended with %d: %s", rc, replay_kafka_error(r));
    replay_kafka_close(r);
    for (int p = 0; p < RK_PARTS; p++)
        for (int i = 0; i < RK_PER; i++) {
            int64_t ts = RK_BASE + (int64_t)i * 10 + p;
            assert_int_equal(seen[p][i], ts >= from && ts < to);
        }
    assert_int_equal(got, RK_PARTS * 40);

    /* open-ended: from base+950 to the end: i in 95..99 (and 95 for p0 is base+950) */
    r = replay_kafka_open_time(&o, RK_BASE + 950, -1, 0, err, sizeof err);
    assert_non_null(r);
    got = 0;
    while ((rc = replay_kafka_next(r, &e, &res, 10000)) == 1) {
        got++;
        event_free(e);
    }
    assert_int_equal(rc, -1);
    assert_int_equal(got, RK_PARTS * 5);
    replay_kafka_close(r);

    /* explicit offsets */
    r = replay_kafka_open_offsets(&o, "hist:1:90,hist:2:99", 0, err, sizeof err);
    if (!r) fail_msg("open_offsets: %s", err);
    got = 0;
    while ((rc = replay_kafka_next(r, &e, &res, 10000)) == 1) {
        int part, i;
        sscanf(e->id, "p%d-%d", &part, &i);
        assert_true((part == 1 && i >= 90) || (part == 2 && i == 99));
        got++;
        event_free(e);
    }
    assert_int_equal(rc, -1);
    assert_int_equal(got, 11);
    replay_kafka_close(r);
    assert_null(replay_kafka_open_offsets(&o, "hist:x:1", 0, err, sizeof err));
    assert_non_null(strstr(err, "hist:x:1"));

    ingest_options_free(&o);
    ingest_mock_free(m);
}

int main(void) {
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_speed_parse),
        cmocka_unit_test(test_file_jsonl_same_as_live),
        cmocka_unit_test(test_kafka_time_range_and_offsets),
    };
    return cmocka_run_group_tests_name("replay", tests, NULL, NULL);
}
