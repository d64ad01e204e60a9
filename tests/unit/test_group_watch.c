/* Tests of ingest/group_watch over TCP against librdkafka's mock cluster:
 * a group behind on a partition and not moving is stalled after stall_ms;
 * a commit makes it move (not stalled) until it stands still again; a group
 * caught up, or a partition with nothing in it, is never stalled; new
 * records on a partition the group has finished make it stalled again. The
 * group's commits come from a separate handle that assigns the partitions
 * itself (as a consumer of the group would commit). Every wait is
 * bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "ingest/consumer.h"
#include "ingest/group_watch.h"
#include "ingest/mock_cluster.h"
#include "tests/support/kafka_produce.h"
#include "util/log.h"
#include "util/timeutil.h"

#define STALL_MS 600

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Bit p set when partition p of "in" is stalled. */
static void mark(void *ud, const char *topic, int32_t partition) {
    assert_string_equal(topic, "in");
    *(int *)ud |= 1 << partition;
}

static int stalled_set(group_watch *g) {
    int set = 0;
    group_watch_stalled(g, mark, &set);
    return set;
}

/* Waits up to 10 s for the stalled set to become want; returns it. */
static int wait_for(group_watch *g, int want) {
    int set = -1;
    for (int i = 0; i < 200 && (set = stalled_set(g)) != want; i++) sleep_ms(50);
    return set;
}

/* Commits offset for in[partition] as group "cls". */
static void commit(const char *bootstraps, int32_t partition, int64_t offset) {
    char e[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, e, sizeof e), RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(conf, "group.id", "cls", e, sizeof e), RD_KAFKA_CONF_OK);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    assert_non_null(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, "in", partition)->offset = offset;
    assert_int_equal(rd_kafka_assign(rk, l), 0);
    assert_int_equal(rd_kafka_commit(rk, l, 0), 0);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

static void test_stall_and_progress(void **state) {
    (void)state;
    char err[256];
    ingest_mock *m = ingest_mock_new(1, err, sizeof err);
    assert_non_null(m);
    const char *bs = ingest_mock_bootstraps(m);
    assert_int_equal(ingest_mock_topic(m, "in", 3), 0);
    assert_int_equal(kafka_produce_numbered(bs, "in", 0, 20, "a", "waiting"), 0);
    assert_int_equal(kafka_produce_numbered(bs, "in", 2, 5, "c", "done"), 0);
    commit(bs, 2, 5); /* in[2]: the group has read everything */

    ingest_options o = {0};
    ingest_options_set_kafka(&o, "bootstrap.servers", bs);
    group_watch *g = group_watch_new(&o, "cls", 100, STALL_MS, err, sizeof err);
    if (!g) fail_msg("group_watch_new: %s", err);
    group_watch_add(g, "in", 0);
    group_watch_add(g, "in", 1);
    group_watch_add(g, "in", 2);
    int64_t t0 = time_mono_ns();
    /* in[0]: 20 records, no commit: stalled, and not before stall_ms */
    assert_int_equal(wait_for(g, 1 << 0), 1 << 0);
    assert_true(time_mono_ns() - t0 >= (int64_t)STALL_MS * 1000000);

    /* a commit is progress: not stalled, then stalled again once it stands still */
    commit(bs, 0, 10);
    assert_int_equal(wait_for(g, 0), 0);
    assert_int_equal(wait_for(g, 1 << 0), 1 << 0);

    /* caught up: never stalled, however long it waits */
    commit(bs, 0, 20);
    assert_int_equal(wait_for(g, 0), 0);
    for (int i = 0; i < 4; i++) {
        sleep_ms(STALL_MS / 2);
        assert_int_equal(stalled_set(g), 0);
    }

    /* new records on the empty in[1], which the group does not read */
    assert_int_equal(kafka_produce_numbered(bs, "in", 1, 3, "b", "new"), 0);
    assert_int_equal(wait_for(g, 1 << 1), 1 << 1);
    assert_int_equal(group_watch_poll(g, 5000), 3); /* every partition answers */

    group_watch_free(g);
    ingest_options_free(&o);
    ingest_mock_free(m);
}

/* With the broker down the watcher's queries wait, but freeing it returns
 * in bounded time (and the last answers stand meanwhile: still stalled). */
static void test_broker_down(void **state) {
    (void)state;
    char err[256];
    ingest_mock *m = ingest_mock_new(1, err, sizeof err);
    assert_non_null(m);
    const char *bs = ingest_mock_bootstraps(m);
    assert_int_equal(ingest_mock_topic(m, "in", 1), 0);
    assert_int_equal(kafka_produce_numbered(bs, "in", 0, 5, "a", "waiting"), 0);
    ingest_options o = {0};
    ingest_options_set_kafka(&o, "bootstrap.servers", bs);
    group_watch *g = group_watch_new(&o, "cls", 100, STALL_MS, err, sizeof err);
    assert_non_null(g);
    group_watch_add(g, "in", 0);
    assert_int_equal(wait_for(g, 1 << 0), 1 << 0);
    assert_int_equal(ingest_mock_broker_down(m, 1), 0);
    sleep_ms(1000);
    assert_int_equal(stalled_set(g), 1 << 0);
    int64_t t0 = time_mono_ns();
    group_watch_free(g);
    double s = (double)(time_mono_ns() - t0) / 1e9;
    fprintf(stderr, "# freed in %.1f s with the broker down\n", s);
    assert_true(s < 15);
    ingest_options_free(&o);
    ingest_mock_free(m);
}

/* A bad Kafka property is an error, not a watcher that never answers. */
static void test_bad_property(void **state) {
    (void)state;
    char err[256] = "";
    ingest_options o = {0};
    ingest_options_set_kafka(&o, "no.such.property", "1");
    assert_null(group_watch_new(&o, "cls", 100, STALL_MS, err, sizeof err));
    assert_non_null(strstr(err, "no.such.property"));
    ingest_options_free(&o);
}

int main(void) {
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stall_and_progress),
        cmocka_unit_test(test_broker_down),
        cmocka_unit_test(test_bad_property),
    };
    return cmocka_run_group_tests_name("group_watch", tests, NULL, NULL);
}
