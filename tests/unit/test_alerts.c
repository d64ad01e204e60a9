/* End-to-end tests of alerts/alerts: events → windows → rules → outbox →
 * webhook on a local server; a replay of the same events gives the same
 * alert bodies and ids; late events reach the callback; an outbox that
 * cannot be written keeps the alert until it can; bad options are named;
 * the explain callback runs once per alert sent with samples (never per
 * event) and its words reach the body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "alerts/alerts.h"
#include "app/hook_server.h"
#include "util/xalloc.h"
#include "tests/support/alerts_fixture.h"
#include "tests/support/curl_group.h"
#include "tests/support/outbox_dir.h"

static char dir[64], path[128];

static int setup(void **state) {
    (void)state;
    if (outbox_dir_make("alerts", dir, sizeof dir, path, sizeof path) < 0) return -1;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    outbox_dir_remove(dir, path);
    return 0;
}

typedef struct late_log {
    int n;
} late_log;

static void on_late(const event *e, int missed, int total, void *ud) {
    (void)e;
    (void)missed;
    (void)total;
    ((late_log *)ud)->n++;
}

static alerts *make_explained(http_server *s, const alert_rule *rule, late_log *ll, char **url,
                              alerts_explain_fn explain, void *explain_ud) {
    *url = hs_url(s, "/hook");
    alerts_sink sink;
    alerts_options o = alerts_fixture_options(*url, &sink, rule, 1, WIN_SCOPE_ENTITY | WIN_SCOPE_GLOBAL, path);
    o.on_late = on_late;
    o.late_ud = ll;
    o.explain = explain;
    o.explain_ud = explain_ud;
    char err[256];
    alerts *a = alerts_create(&o, err, sizeof err);
    if (!a) fail_msg("alerts_create: %s", err);
    return a;
}

static alerts *make(http_server *s, const alert_rule *rule, late_log *ll, char **url) {
    return make_explained(s, rule, ll, url, NULL, NULL);
}

/* Ten events per second for ACME; negatives per window from neg[]. */
static void feed(alerts *a, const int *neg, int n_windows) {
    char *ents[] = {"ACME"};
    for (int w = 0; w < n_windows; w++)
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
            int is_neg = i < neg[w];
            snprintf(e.sentiment.label, sizeof e.sentiment.label, "%s", is_neg ? "negative" : "neutral");
            e.sentiment.score = 0.9f;
            e.p_negative = is_neg ? 0.5f + 0.04f * (float)i : 0.05f;
            assert_int_equal(alerts_add(a, 0, &e, 0), 0);
        }
}

static const int pattern[] = {1, 1, 1, 1, 8, 1, 1};

static void test_spike_fires_and_resolves(void **state) {
    (void)state;
    http_server *s = hs_start("k");
    late_log ll = {0};
    char *url;
    alert_rule r = alerts_fixture_spike_rule();
    alerts *a = make(s, &r, &ll, &url);
    feed(a, pattern, 7);
    assert_int_equal(alerts_flush(a), 0);
    assert_int_equal(alerts_drain(a, 10000), 0);
    alerts_metrics m = alerts_get_metrics(a);
    assert_int_equal(m.events, 70);
    assert_int_equal(m.fired, 1);
    assert_int_equal(m.resolved, 1);
    assert_int_equal(m.delivered, 2);
    assert_int_equal(hs_count(s), 2);
    hs_request fire, res;
    hs_get(s, 0, &fire);
    hs_get(s, 1, &res);
    assert_true(fire.sig_valid);
    cJSON *f = cJSON_Parse(fire.body), *rv = cJSON_Parse(res.body);
    assert_string_equal(cJSON_GetObjectItem(f, "status")->valuestring, "firing");
    assert_string_equal(cJSON_GetObjectItem(rv, "status")->valuestring, "resolved");
    assert_string_equal(cJSON_GetObjectItem(f, "id")->valuestring, cJSON_GetObjectItem(rv, "id")->valuestring);
    char id[ALERT_ID_LEN + 1];
    as_alert_id("neg-spike", "entity=ACME", 4000, id);
    assert_string_equal(fire.idempotency_key, id);
    cJSON *st = cJSON_GetObjectItem(f, "stats");
    assert_int_equal(cJSON_GetObjectItem(st, "negatives")->valueint, 8);
    assert_float_equal(cJSON_GetObjectItem(st, "negative_share")->valuedouble, 0.8, 1e-9);
    assert_float_equal(cJSON_GetObjectItem(st, "baseline_share")->valuedouble, 0.1, 1e-9);
    cJSON *samples = cJSON_GetObjectItem(f, "samples");
    assert_int_equal(cJSON_GetArraySize(samples), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(samples, 0), "id")->valuestring, "w4-7");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(samples, 0), "text")->valuestring, "ACME news 4/7");
    cJSON_Delete(f);
    cJSON_Delete(rv);
    hs_request_clear(&fire);
    hs_request_clear(&res);
    alerts_destroy(a, 0);
    free(url);
    hs_stop(s);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void test_replay_gives_same_alerts(void **state) {
    (void)state;
    char *bodies[2][4] = {{0}};
    for (int run = 0; run < 2; run++) {
        http_server *s = hs_start("k");
        late_log ll = {0};
        char *url;
        alert_rule r = alerts_fixture_spike_rule();
        r.zscore = 0;
        r.min_negative_share = 0.5;
        r.repeat_interval_ms = 1000;
        alerts *a = make(s, &r, &ll, &url);
        static const int p2[] = {1, 1, 1, 1, 8, 9, 1, 1, 7};
        feed(a, p2, 9);
        alerts_flush(a);
        assert_int_equal(alerts_drain(a, 10000), 0);
        assert_int_equal(hs_count(s), 4); /* fire, repeat, resolve, fire */
        for (int i = 0; i < 4; i++) {
            hs_request q;
            hs_get(s, i, &q);
            bodies[run][i] = xstrdup(q.body);
            hs_request_clear(&q);
        }
        alerts_destroy(a, 0);
        free(url);
        hs_stop(s);
        unlink(path);
    }
    /* the same alerts; different alerts may reach the server in either order */
    qsort(bodies[0], 4, sizeof bodies[0][0], cmp_str);
    qsort(bodies[1], 4, sizeof bodies[1][0], cmp_str);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(bodies[0][i], bodies[1][i]);
        free(bodies[0][i]);
        free(bodies[1][i]);
    }
}

static void test_late_event_reported(void **state) {
    (void)state;
    http_server *s = hs_start("k");
    late_log ll = {0};
    char *url;
    alert_rule r = alerts_fixture_spike_rule();
    alerts *a = make(s, &r, &ll, &url);
    feed(a, pattern, 3); /* watermark 2900: windows [0,1000) and [1000,2000) closed */
    event e;
    memset(&e, 0, sizeof e);
    e.id = (char *)"late";
    e.text = (char *)"late";
    e.ts_ms = 1500;
    snprintf(e.sentiment.label, sizeof e.sentiment.label, "negative");
    assert_int_equal(alerts_add(a, 0, &e, 0), 0);
    assert_int_equal(ll.n, 1);
    assert_int_equal(alerts_get_metrics(a).late_events, 1);
    snprintf(e.sentiment.label, sizeof e.sentiment.label, "other"); /* means none of the three (util/labelmap.h) */
    assert_int_equal(alerts_add(a, 0, &e, 0), -1);
    assert_int_equal(alerts_get_metrics(a).bad_labels, 1);
    alerts_destroy(a, 0);
    free(url);
    hs_stop(s);
}

static void test_outbox_full_keeps_alert(void **state) {
    (void)state;
    http_server *s = hs_start("k");
    late_log ll = {0};
    char *url;
    alert_rule r = alerts_fixture_spike_rule();
    alerts *a = make(s, &r, &ll, &url);
    feed(a, pattern, 4);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = 16; /* the outbox is empty: no record fits */
    setrlimit(RLIMIT_FSIZE, &lim);
    static const int spike[] = {8, 1};
    char *ents[] = {"ACME"};
    int rc = 0;
    for (int w = 0; w < 2; w++)
        for (int i = 0; i < 10; i++) {
            event e;
            memset(&e, 0, sizeof e);
            char id[16];
            snprintf(id, sizeof id, "x%d-%d", w, i);
            e.id = id;
            e.text = id;
            e.ts_ms = 4000 + 1000LL * w + 100 * i;
            e.entities = ents;
            e.n_entities = 1;
            snprintf(e.sentiment.label, sizeof e.sentiment.label, "%s", i < spike[w] ? "negative" : "neutral");
            e.sentiment.score = 0.9f;
            int k = alerts_add(a, 0, &e, 0);
            if (k != 0) rc = k;
        }
    assert_int_equal(rc, -2);
    assert_false(alerts_durable(a));
    assert_non_null(strstr(alerts_error(a), "File too large"));
    alerts_poll(a, 0); /* still full */
    assert_false(alerts_durable(a));
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    assert_int_equal(alerts_drain(a, 10000), 0);
    assert_true(alerts_durable(a));
    assert_int_equal(hs_count_ok(s), 1);
    assert_true(alerts_get_metrics(a).outbox_errors >= 2);
    alerts_destroy(a, 0);
    free(url);
    hs_stop(s);
}

/* The explain callback of test_alert_words: "ACME" (weight 2) and "news"
 * (weight 1) of every "ACME news w/i" text; fails when *ud says so. */
typedef struct explain_log {
    int calls, texts, fail;
} explain_log;

static int fake_explain(const char *const *texts, int n, ax_word (*words)[AX_WORDS_MAX], int *n_words, void *ud) {
    explain_log *l = ud;
    l->calls++;
    l->texts += n;
    if (l->fail) return -1;
    for (int i = 0; i < n; i++) {
        assert_memory_equal(texts[i], "ACME news ", 10);
        words[i][0] = (ax_word){"ACME", 0, 4, 2.0f};
        words[i][1] = (ax_word){"news", 5, 9, 1.0f};
        n_words[i] = 2;
    }
    return 0;
}

static void test_alert_words(void **state) {
    (void)state;
    for (int fail = 0; fail < 2; fail++) {
        http_server *s = hs_start("k");
        late_log ll = {0};
        explain_log xl = {.fail = fail};
        char *url;
        alert_rule r = alerts_fixture_spike_rule();
        r.zscore = 0;
        r.min_negative_share = 0.5;
        r.repeat_interval_ms = 1000;
        alerts *a = make_explained(s, &r, &ll, &url, fake_explain, &xl);
        static const int p2[] = {1, 1, 1, 1, 8, 9, 1, 1, 7};
        feed(a, p2, 9);
        alerts_flush(a);
        assert_int_equal(alerts_drain(a, 10000), 0);
        assert_int_equal(hs_count(s), 4); /* fire, repeat, resolve, fire */
        assert_int_equal(xl.calls, 3);    /* the three sent with samples; 90 events, no call per event */
        assert_int_equal(xl.texts, 6);
        int with_words = 0;
        for (int i = 0; i < 4; i++) {
            hs_request q;
            hs_get(s, i, &q);
            cJSON *b = cJSON_Parse(q.body), *why = cJSON_GetObjectItem(b, "why");
            cJSON *sample = cJSON_GetArrayItem(cJSON_GetObjectItem(b, "samples"), 0);
            if (why) {
                with_words++;
                assert_int_equal(cJSON_GetArraySize(why), 2);
                assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(why, 0), "word")->valuestring, "acme");
                assert_float_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(why, 0), "weight")->valuedouble, 4, 1e-9);
                assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(why, 0), "messages")->valueint, 2);
                cJSON *w0 = cJSON_GetArrayItem(cJSON_GetObjectItem(sample, "words"), 0);
                assert_string_equal(cJSON_GetObjectItem(w0, "word")->valuestring, "ACME");
                assert_int_equal(cJSON_GetObjectItem(w0, "start")->valueint, 0);
                assert_int_equal(cJSON_GetObjectItem(w0, "end")->valueint, 4);
            } else {
                assert_null(cJSON_GetObjectItem(sample, "words"));
            }
            cJSON_Delete(b);
            hs_request_clear(&q);
        }
        assert_int_equal(with_words, fail ? 0 : 3); /* a failed explanation sends the alert without words */
        alerts_destroy(a, 0);
        free(url);
        hs_stop(s);
        unlink(path);
    }
}

static void test_bad_options_named(void **state) {
    (void)state;
    alert_rule r = alerts_fixture_spike_rule();
    static const char *nosuch[] = {"pager"};
    r.sinks = nosuch;
    alerts_options o = {.window = {1000, 1000, 0, 0, WIN_SCOPE_ENTITY, 2},
                        .baseline = {0.3, 3, 0.05},
                        .rules = &r,
                        .n_rules = 1,
                        .outbox_path = path};
    char err[256] = "";
    assert_null(alerts_create(&o, err, sizeof err));
    assert_non_null(strstr(err, "sink \"pager\" is not defined"));
    r.sinks = NULL;
    r.n_sinks = 0;
    r.scope = WIN_SCOPE_TOPIC;
    assert_null(alerts_create(&o, err, sizeof err));
    assert_non_null(strstr(err, "scope topic"));
    o.window.advance_ms = 0;
    assert_null(alerts_create(&o, err, sizeof err));
    assert_non_null(strstr(err, "window"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_spike_fires_and_resolves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_gives_same_alerts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_event_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_full_keeps_alert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_options_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alert_words, setup, teardown),
    };
    return cmocka_run_group_tests_name("alerts", tests, curl_group_setup, curl_group_teardown);
}
