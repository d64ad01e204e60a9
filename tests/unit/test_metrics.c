/* Tests for util/metrics (Prometheus text) and app/http_endpoint (served
 * over a real socket on 127.0.0.1, fetched with libcurl). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "app/http_endpoint.h"
#include "util/metrics.h"
#include "util/xalloc.h"
#include "tests/support/http_get.h"

static void collect_two(metrics_writer *w, void *arg) {
    const double *v = arg;
    mw_counter(w, "finsent_messages_in_total", "Messages read.", "stream=\"news\"", v[0]);
    mw_counter(w, "finsent_messages_in_total", "Messages read.", "stream=\"comments\"", v[1]);
    mw_gauge(w, "finsent_queue_depth", "Events queued.", "", 7);
}

static void test_render_text_format(void **state) {
    (void)state;
    double v[2] = {3, 4};
    metrics_collect_fn fns[1] = {collect_two};
    void *args[1] = {v};
    char *s = metrics_render(fns, args, 1);
    assert_string_equal(s,
                        "# HELP finsent_messages_in_total Messages read.\n"
                        "# TYPE finsent_messages_in_total counter\n"
                        "finsent_messages_in_total{stream=\"news\"} 3\n"
                        "finsent_messages_in_total{stream=\"comments\"} 4\n"
                        "# HELP finsent_queue_depth Events queued.\n"
                        "# TYPE finsent_queue_depth gauge\n"
                        "finsent_queue_depth 7\n");
    free(s);
}

static void collect_hist(metrics_writer *w, void *arg) { mw_hist(w, "lat_seconds", "Latency.", "", arg); }

static void test_histogram_cumulative(void **state) {
    (void)state;
    metrics_hist h;
    double b[] = {0.1, 1};
    metrics_hist_init(&h, b, 2);
    metrics_hist_observe(&h, 0.05);
    metrics_hist_observe(&h, 0.1); /* on the bound: le is inclusive */
    metrics_hist_observe(&h, 0.5);
    metrics_hist_observe(&h, 3);
    metrics_collect_fn fns[1] = {collect_hist};
    void *args[1] = {&h};
    char *s = metrics_render(fns, args, 1);
    assert_non_null(strstr(s, "lat_seconds_bucket{le=\"0.1\"} 2\n"));
    assert_non_null(strstr(s, "lat_seconds_bucket{le=\"1\"} 3\n"));
    assert_non_null(strstr(s, "lat_seconds_bucket{le=\"+Inf\"} 4\n"));
    assert_non_null(strstr(s, "lat_seconds_sum 3.6499999999999999\n"));
    assert_non_null(strstr(s, "lat_seconds_count 4\n"));
    free(s);
}

static void test_escape(void **state) {
    (void)state;
    char out[64];
    metrics_escape("a\"b\\c\nd", out, sizeof out);
    assert_string_equal(out, "a\\\"b\\\\c\\nd");
}

static void test_endpoint_serves(void **state) {
    (void)state;
    char err[256];
    http_endpoint *h = http_endpoint_start("127.0.0.1:0", err, sizeof err);
    assert_non_null(h);
    double v[2] = {1, 2};
    http_endpoint_add_collector(h, collect_two, v);
    int port = http_endpoint_port(h);
    assert_true(port > 0);
    char *body = NULL;
    assert_int_equal(http_get(port, "/metrics", &body), 200);
    assert_non_null(strstr(body, "finsent_messages_in_total{stream=\"comments\"} 2"));
    free(body), body = NULL;
    assert_int_equal(http_get(port, "/healthz", &body), 200);
    free(body), body = NULL;
    assert_int_equal(http_get(port, "/readyz", &body), 503);
    free(body), body = NULL;
    http_endpoint_set_ready(h, 1);
    assert_int_equal(http_get(port, "/readyz", &body), 200);
    free(body), body = NULL;
    assert_int_equal(http_get(port, "/nope", &body), 404);
    free(body);
    http_endpoint_stop(h);
}

static void test_endpoint_bad_listen(void **state) {
    (void)state;
    char err[256];
    assert_null(http_endpoint_start("9464", err, sizeof err));
    assert_string_equal(err, "metrics.listen: expected host:port, got \"9464\"");
    assert_null(http_endpoint_start("127.0.0.1:99999", err, sizeof err));
    assert_string_equal(err, "metrics.listen: expected a port 0-65535, got \"99999\"");
    assert_null(http_endpoint_start("example.com:80", err, sizeof err));
    assert_string_equal(err, "metrics.listen: expected an IPv4 address or localhost, got \"example.com\"");
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_text_format), cmocka_unit_test(test_histogram_cumulative),
        cmocka_unit_test(test_escape),             cmocka_unit_test(test_endpoint_serves),
        cmocka_unit_test(test_endpoint_bad_listen),
    };
    int rc = cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
