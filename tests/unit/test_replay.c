/* Tests of the Kafka replay source over the mock cluster: a time range
 * returns exactly the messages in it (the 2.0 mock answers offsets_for_times
 * with -1, so the binary search over timestamps is what runs), explicit
 * offsets, event-time pacing, and replayed events equal to live ones. */
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
#include "ingest/replay_kafka.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static void test_pacing(void **state) {
    (void)state;
    replay_pacer p = {.factor = 10};
    int64_t t0 = time_mono_ns();
    replay_pace(&p, 1000); /* the first event is due at once */
    replay_pace(&p, 500);  /* earlier than the first: at once */
    replay_pace(&p, 3000); /* 2 s of event time at 10x: 200 ms after the first */
    int64_t elapsed_ms = (time_mono_ns() - t0) / 1000000;
    assert_true(elapsed_ms >= 199); /* a lower bound, not a timing target */
}

/* e equals the live decode of its payload at its origin */
static void assert_same_as_live(const ingest_options *o, const event *e, int part, int i) {
    char *v = xasprintf("{\"id\":\"p%d-%d\",\"text\":\"message %d\"}", part, i, i);
    decode_msg m = {.payload = v, .len = strlen(v), .topic = "hist", .partition = part, .offset = e->origin_offset,
                    .timestamp_ms = e->ts_ms};
    decode_result res;
    event *live = decode_message(o, ingest_options_input(o, "hist"), &m, &res);
    assert_non_null(live);
    assert_string_equal(e->id, live->id);
    assert_string_equal(e->stream, live->stream);
    assert_string_equal(e->text, live->text);
    assert_int_equal(e->ts_ms, live->ts_ms);
    assert_int_equal(e->n_entities, live->n_entities);
    assert_string_equal(e->origin_topic, live->origin_topic);
    assert_int_equal(e->origin_partition, live->origin_partition);
    assert_int_equal(e->origin_offset, i); /* one producer per partition: offset = index */
    event_free(live);
    free(v);
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
        assert_same_as_live(&o, e, part, i);
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
        cmocka_unit_test(test_pacing),
        cmocka_unit_test(test_kafka_time_range_and_offsets),
    };
    return cmocka_run_group_tests_name("replay", tests, NULL, NULL);
}
