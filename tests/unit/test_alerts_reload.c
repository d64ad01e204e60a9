/* Tests of alerts_reload (the SIGHUP path at the alerts level): an open
 * alert of a rule kept by name keeps its state and id and its pending
 * delivery goes to the new sink; an alert whose rule is removed is
 * resolved; a rule added fires at once on the kept baselines; an invalid
 * reload changes nothing. Also the webhook latency histogram and its
 * collector (ops_collect_webhook). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts.h"
#include "app/hook_server.h"
#include "app/ops_metrics.h"
#include "tests/support/alerts_fixture.h"
#include "tests/support/curl_group.h"
#include "tests/support/outbox_dir.h"

static char dir[64], path[128];

static int setup(void **state) {
    (void)state;
    return outbox_dir_make("reload", dir, sizeof dir, path, sizeof path);
}

static int teardown(void **state) {
    (void)state;
    outbox_dir_remove(dir, path);
    return 0;
}

/* Options with one webhook sink "hook" at url, entity windows and the
 * given rules. */
static alerts_options options(const char *url, alerts_sink *sink, const alert_rule *rules, int n_rules) {
    return alerts_fixture_options(url, sink, rules, n_rules, WIN_SCOPE_ENTITY, path);
}

/* Ten events per second for ACME in windows first..first+n-1; negatives
 * per window from neg[]. */
static void feed(alerts *a, int first, const int *neg, int n) {
    char *ents[] = {"ACME"};
    for (int w = first; w < first + n; w++)
        for (int i = 0; i < 10; i++) {
            char id[32], text[64];
            snprintf(id, sizeof id, "w%d-%d", w, i);
            snprintf(text, sizeof text, "ACME news %d/%d", w, i);
            event e;
            memset(&e, 0, sizeof e);
            e.id = id;
            e.text = text;
            e.ts_ms = 1000LL * w + 100 * i;
            e.entities = ents;
            e.n_entities = 1;
            int is_neg = i < neg[w - first];
            snprintf(e.sentiment.label, sizeof e.sentiment.label, "%s", is_neg ? "negative" : "neutral");
            e.sentiment.score = 0.9f;
            e.p_negative = is_neg ? 0.9f : 0.05f;
            assert_int_equal(alerts_add(a, 0, &e, 0), 0);
        }
}

/* Status and id of request i. */
static void request(http_server *s, int i, char *status, char *id) {
    hs_request r;
    assert_int_equal(hs_get(s, i, &r), 0);
    cJSON *b = cJSON_Parse(r.body);
    assert_non_null(b);
    snprintf(status, 16, "%s", cJSON_GetObjectItem(b, "status")->valuestring);
    snprintf(id, ALERT_ID_LEN + 1, "%s", cJSON_GetObjectItem(b, "id")->valuestring);
    assert_string_equal(r.idempotency_key, id);
    cJSON_Delete(b);
    hs_request_clear(&r);
}

/* The rule is kept and the sink moves to another URL while the alert is
 * firing and its delivery still pending: the new receiver gets the firing
 * and, later, the resolve, both with the id of the first firing window. */
static void test_kept_rule_keeps_alert_and_pending(void **state) {
    (void)state;
    http_server *s1 = hs_start("k"), *s2 = hs_start("k");
    char *u1 = hs_url(s1, "/hook"), *u2 = hs_url(s2, "/hook");
    alert_rule r = alerts_fixture_spike_rule();
    alerts_sink sink;
    alerts_options o = options(u1, &sink, &r, 1);
    char err[256];
    alerts *a = alerts_create(&o, err, sizeof err);
    assert_non_null(a);
    static const int before[] = {1, 1, 1, 1, 8, 8}; /* window 4 closes (fires) when window 5 starts */
    feed(a, 0, before, 6);
    assert_int_equal(alerts_get_metrics(a).fired, 1);

    alert_rule r2 = alerts_fixture_spike_rule();
    r2.severity = ALERT_WARNING;
    alerts_sink sink2;
    alerts_options o2 = options(u2, &sink2, &r2, 1);
    assert_int_equal(alerts_reload(a, &o2, err, sizeof err), 0);
    static const int after[] = {8, 1};
    feed(a, 6, after, 2); /* window 5 still holds, window 6 holds, window 7 resolves at flush */
    assert_int_equal(alerts_flush(a), 0);
    assert_int_equal(alerts_drain(a, 10000), 0);

    alerts_metrics m = alerts_get_metrics(a);
    assert_int_equal(m.fired, 1);
    assert_int_equal(m.resolved, 1);
    assert_int_equal(m.delivered, 2);
    assert_int_equal(hs_count(s1), 0);
    assert_int_equal(hs_count(s2), 2);
    char want[ALERT_ID_LEN + 1], id[ALERT_ID_LEN + 1], status[16];
    as_alert_id("neg-spike", "entity=ACME", 4000, want);
    request(s2, 0, status, id);
    assert_string_equal(status, "firing");
    assert_string_equal(id, want);
    request(s2, 1, status, id);
    assert_string_equal(status, "resolved");
    assert_string_equal(id, want);

    /* every attempt was timed, and the collector shows them */
    const wh_latency *l = alerts_webhook_latency(a);
    uint64_t ok = 0;
    for (int i = 0; i <= l->ok.n_bounds; i++) ok += l->ok.counts[i];
    assert_int_equal(ok, 2);
    metrics_collect_fn fns[] = {ops_collect_webhook};
    void *args[] = {a};
    char *text = metrics_render(fns, args, 1);
    assert_non_null(strstr(text, "# TYPE finsent_webhook_latency_seconds histogram"));
    assert_non_null(strstr(text, "finsent_webhook_latency_seconds_count{outcome=\"ok\"} 2\n"));
    assert_non_null(strstr(text, "finsent_webhook_latency_seconds_bucket{outcome=\"ok\",le=\"+Inf\"} 2\n"));
    assert_non_null(strstr(text, "finsent_webhook_latency_seconds_count{outcome=\"rejected\"} 0\n"));
    free(text);

    alerts_destroy(a, 0);
    free(u1);
    free(u2);
    hs_stop(s1);
    hs_stop(s2);
}

/* A firing alert whose rule the reload removes is resolved at once. */
static void test_removed_rule_resolves(void **state) {
    (void)state;
    http_server *s = hs_start("k");
    char *u = hs_url(s, "/hook");
    alert_rule r = alerts_fixture_spike_rule();
    alerts_sink sink;
    alerts_options o = options(u, &sink, &r, 1);
    char err[256];
    alerts *a = alerts_create(&o, err, sizeof err);
    assert_non_null(a);
    static const int before[] = {1, 1, 1, 1, 8, 8};
    feed(a, 0, before, 6);
    assert_int_equal(alerts_drain(a, 10000), 0);
    assert_int_equal(hs_count(s), 1);

    alerts_sink sink2;
    alerts_options o2 = options(u, &sink2, NULL, 0);
    assert_int_equal(alerts_reload(a, &o2, err, sizeof err), 0);
    assert_int_equal(alerts_drain(a, 10000), 0);
    assert_int_equal(alerts_get_metrics(a).resolved, 1);
    assert_int_equal(hs_count(s), 2);
    char id0[ALERT_ID_LEN + 1], id1[ALERT_ID_LEN + 1], status[16];
    request(s, 0, status, id0);
    request(s, 1, status, id1);
    assert_string_equal(status, "resolved");
    assert_string_equal(id0, id1);

    /* with no rule left, more spikes fire nothing */
    static const int more[] = {9, 9, 1};
    feed(a, 6, more, 3);
    assert_int_equal(alerts_flush(a), 0);
    assert_int_equal(alerts_drain(a, 10000), 0);
    assert_int_equal(alerts_get_metrics(a).fired, 1);
    assert_int_equal(hs_count(s), 2);
    alerts_destroy(a, 0);
    free(u);
    hs_stop(s);
}

/* A rule added by a reload sees the baselines built before it: no new
 * warm-up, the next spike fires. */
static void test_added_rule_uses_kept_baseline(void **state) {
    (void)state;
    http_server *s = hs_start("k");
    char *u = hs_url(s, "/hook");
    alerts_sink sink;
    alerts_options o = options(u, &sink, NULL, 0);
    char err[256];
    alerts *a = alerts_create(&o, err, sizeof err);
    assert_non_null(a);
    static const int quiet[] = {1, 1, 1, 1, 1};
    feed(a, 0, quiet, 5);

    alert_rule r = alerts_fixture_spike_rule();
    alerts_sink sink2;
    alerts_options o2 = options(u, &sink2, &r, 1);
    assert_int_equal(alerts_reload(a, &o2, err, sizeof err), 0);
    static const int spike[] = {8, 1};
    feed(a, 5, spike, 2);
    assert_int_equal(alerts_flush(a), 0);
    assert_int_equal(alerts_drain(a, 10000), 0);
    assert_int_equal(alerts_get_metrics(a).fired, 1);
    char want[ALERT_ID_LEN + 1], id[ALERT_ID_LEN + 1], status[16];
    as_alert_id("neg-spike", "entity=ACME", 5000, want);
    request(s, 0, status, id);
    assert_string_equal(status, "firing");
    assert_string_equal(id, want);
    alerts_destroy(a, 0);
    free(u);
    hs_stop(s);
}

/* An invalid reload is refused with the reason and the old rules go on. */
static void test_invalid_reload_changes_nothing(void **state) {
    (void)state;
    http_server *s = hs_start("k");
    char *u = hs_url(s, "/hook");
    alert_rule r = alerts_fixture_spike_rule();
    alerts_sink sink;
    alerts_options o = options(u, &sink, &r, 1);
    char err[256];
    alerts *a = alerts_create(&o, err, sizeof err);
    assert_non_null(a);

    alert_rule topic = alerts_fixture_spike_rule();
    topic.scope = WIN_SCOPE_TOPIC; /* the windows aggregate entities only */
    alerts_sink sink2;
    alerts_options o2 = options(u, &sink2, &topic, 1);
    assert_int_equal(alerts_reload(a, &o2, err, sizeof err), -1);
    assert_non_null(strstr(err, "scope topic is not aggregated"));

    static const char *nowhere[] = {"nowhere"};
    alert_rule lost = alerts_fixture_spike_rule();
    lost.sinks = nowhere;
    o2 = options(u, &sink2, &lost, 1);
    assert_int_equal(alerts_reload(a, &o2, err, sizeof err), -1);
    assert_non_null(strstr(err, "sink \"nowhere\" is not defined"));

    o2 = options("ftp://127.0.0.1/x", &sink2, &r, 1);
    assert_int_equal(alerts_reload(a, &o2, err, sizeof err), -1);
    assert_non_null(strstr(err, "url must start with http"));

    static const int pattern[] = {1, 1, 1, 1, 8, 1};
    feed(a, 0, pattern, 6);
    assert_int_equal(alerts_flush(a), 0);
    assert_int_equal(alerts_drain(a, 10000), 0);
    assert_int_equal(alerts_get_metrics(a).fired, 1);
    assert_int_equal(hs_count_ok(s), 2);
    alerts_destroy(a, 0);
    free(u);
    hs_stop(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kept_rule_keeps_alert_and_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removed_rule_resolves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_added_rule_uses_kept_baseline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_reload_changes_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, curl_group_setup, curl_group_teardown);
}
