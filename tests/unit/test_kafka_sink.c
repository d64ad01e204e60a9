/* Tests for alerts/kafka_sink through the deliverer: alerts from the outbox
 * are produced to an alerts topic on librdkafka's mock cluster, keyed by
 * alert key with the id in a header, and marked delivered; a property
 * librdkafka rejects is a clear error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts/deliver.h"
#include "util/timeutil.h"
#include "tests/support/curl_group.h"
#include "tests/support/outbox_dir.h"

static char dir[64], path[128];

static int setup(void **state) {
    (void)state;
    if (outbox_dir_make("ks", dir, sizeof dir, path, sizeof path) < 0) return -1;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    outbox_dir_remove(dir, path);
    return 0;
}

static void test_produce_keyed_and_marked(void **state) {
    (void)state;
    char err[512];
    rd_kafka_conf_t *mc_conf = rd_kafka_conf_new();
    rd_kafka_conf_set(mc_conf, "log_level", "0", err, sizeof err);
    rd_kafka_t *mrk = rd_kafka_new(RD_KAFKA_PRODUCER, mc_conf, err, sizeof err);
    assert_non_null(mrk);
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(mrk, 1);
    assert_non_null(mc);
    const char *bs = rd_kafka_mock_cluster_bootstraps(mc);
    assert_int_equal(rd_kafka_mock_topic_create(mc, "alerts", 1, 1), 0);

    outbox *ob = outbox_open(path, err, sizeof err);
    assert_non_null(ob);
    const char *sinks[] = {"bus"};
    assert_int_equal(outbox_put(ob, "id-a", "entity=ACME", "{\"id\":\"id-a\"}", sinks, 1, time_now_ms(), NULL), 0);
    assert_int_equal(outbox_put(ob, "id-b", "entity=BETA", "{\"id\":\"id-b\"}", sinks, 1, time_now_ms(), NULL), 0);
    deliverer *d = dlv_create(ob);
    ks_config kc = {.name = "bus", .brokers = bs, .topic = "alerts", .message_timeout_ms = 10000};
    assert_int_equal(dlv_add_kafka(d, &kc, err, sizeof err), 0);
    int64_t end = time_now_ms() + 15000;
    while (dlv_pending(d) > 0 && time_now_ms() < end) dlv_poll(d, 50);
    assert_int_equal(dlv_pending(d), 0);
    assert_int_equal(dlv_get_counts(d).delivered, 2);
    dlv_destroy(d, 1000);
    outbox_close(ob);

    rd_kafka_conf_t *cc = rd_kafka_conf_new();
    rd_kafka_conf_set(cc, "bootstrap.servers", bs, err, sizeof err);
    rd_kafka_conf_set(cc, "group.id", "t", err, sizeof err);
    rd_kafka_t *cons = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof err);
    assert_non_null(cons);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, "alerts", 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(cons, parts), 0);
    rd_kafka_topic_partition_list_destroy(parts);
    int got = 0;
    end = time_now_ms() + 15000;
    while (got < 2 && time_now_ms() < end) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(cons, 100);
        if (!m) continue;
        if (!m->err) {
            char key[32] = "";
            snprintf(key, sizeof key, "%.*s", (int)m->key_len, (const char *)m->key);
            rd_kafka_headers_t *h = NULL;
            const void *hv = NULL;
            size_t hl = 0;
            assert_int_equal(rd_kafka_message_headers(m, &h), 0);
            assert_int_equal(rd_kafka_header_get_last(h, "idempotency-key", &hv, &hl), 0);
            if (got == 0) {
                assert_string_equal(key, "entity=ACME");
                assert_memory_equal(hv, "id-a", 4);
            } else {
                assert_string_equal(key, "entity=BETA");
                assert_memory_equal(hv, "id-b", 4);
            }
            got++;
        }
        rd_kafka_message_destroy(m);
    }
    assert_int_equal(got, 2);
    rd_kafka_consumer_close(cons);
    rd_kafka_destroy(cons);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(mrk);
}

static void test_bad_property(void **state) {
    (void)state;
    char err[512] = "";
    const char *props[] = {"no.such.property", "1"};
    ks_config kc = {.name = "bus", .brokers = "127.0.0.1:1", .topic = "alerts", .props = props, .n_props = 1};
    assert_null(ks_create(&kc, NULL, NULL, err, sizeof err));
    assert_non_null(strstr(err, "no.such.property"));
    ks_config nameless = {.brokers = "127.0.0.1:1", .topic = "alerts"};
    assert_null(ks_create(&nameless, NULL, NULL, err, sizeof err));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_produce_keyed_and_marked, setup, teardown),
        cmocka_unit_test(test_bad_property),
    };
    return cmocka_run_group_tests_name("kafka_sink", tests, curl_group_setup, curl_group_teardown);
}
