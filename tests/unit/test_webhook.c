/* Tests for alert delivery (alerts/webhook, alerts/deliver, alerts/sign,
 * alerts/payload) against a real HTTP server on 127.0.0.1: a valid
 * signature, retries on 500 and on 429 with Retry-After, a 400 recorded in
 * the failed-alerts file, an outage after which every alert arrives, an
 * outage backlog whose deliveries of one alert id arrive in order, the
 * give-up horizon, the Slack and PagerDuty views, and kill -9 of a
 * delivering process followed by a restart. */
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alerts/deliver.h"
#include "alerts/payload.h"
#include "alerts/sign.h"
#include "app/hook_server.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "tests/support/curl_group.h"
#include "tests/support/outbox_dir.h"

#define SECRET "whsec_test"

static char dir[64], path[128], failed[128];

static int setup(void **state) {
    (void)state;
    if (outbox_dir_make("webhook", dir, sizeof dir, path, sizeof path) < 0) return -1;
    snprintf(failed, sizeof failed, "%s/failed.jsonl", dir);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    outbox_dir_remove(dir, path);
    return 0;
}

/* A generic alert body for alert number i. */
static char *body_for(int i, char *id) {
    static win_key key = {WIN_SCOPE_ENTITY, "ACME", NULL, "entity=ACME", 0};
    static alert_rule rule = {.name = "spike", .scope = WIN_SCOPE_ENTITY, .severity = ALERT_WARNING,
                              .resolve_after = 1};
    alert a;
    memset(&a, 0, sizeof a);
    a.version = ALERT_VERSION;
    a.rule = &rule;
    a.key = &key;
    a.severity = ALERT_WARNING;
    a.window_start_ms = 1714566600000LL + i * 60000LL;
    a.window_end_ms = a.window_start_ms + 60000;
    a.counts = (win_stats){20, 12, 6, 2, -5000000};
    a.stats = (rule_eval){0.6, 0.1, 5.0, 4.0};
    as_alert_id(rule.name, key.name, a.window_start_ms, a.id);
    a.n_samples = 1;
    snprintf(a.samples[0].id, sizeof a.samples[0].id, "m%d", i);
    snprintf(a.samples[0].source, sizeof a.samples[0].source, "wire");
    snprintf(a.samples[0].text, sizeof a.samples[0].text, "ACME misses estimates, \"guidance cut\"");
    a.samples[0].p_negative = 0.97f;
    a.samples[0].ts_ms = a.window_start_ms + 5;
    if (id) strcpy(id, a.id);
    return payload_alert_json(&a);
}

static outbox *open_ob(void) {
    char err[256];
    outbox *ob = outbox_open(path, err, sizeof err);
    if (!ob) fail_msg("%s", err);
    return ob;
}

static void put_alerts(outbox *ob, int from, int to, const char *sink, char ids[][ALERT_ID_LEN + 1]) {
    const char *sinks[] = {sink};
    for (int i = from; i < to; i++) {
        char *b = body_for(i, ids ? ids[i] : NULL);
        char id[ALERT_ID_LEN + 1];
        cJSON *j = cJSON_Parse(b);
        snprintf(id, sizeof id, "%s", cJSON_GetObjectItem(j, "id")->valuestring);
        cJSON_Delete(j);
        assert_int_equal(outbox_put(ob, id, "entity=ACME", b, sinks, 1, time_now_ms(), NULL), 0);
        free(b);
    }
}

static wh_config hook(http_server *s, const char *name) {
    static char *url;
    free(url);
    url = hs_url(s, "/hook");
    return (wh_config){.name = name, .url = url, .secret = SECRET, .timeout_ms = 3000, .max_in_flight = 4,
                       .backoff_initial_ms = 50, .backoff_max_ms = 400, .give_up_after_ms = 600000,
                       .failed_file = failed, .tls_verify = 1};
}

/* Polls until nothing is pending or max_ms passed; returns pending left. */
static int drive(deliverer *d, int64_t max_ms) {
    int64_t end = time_now_ms() + max_ms;
    while (dlv_pending(d) > 0 && time_now_ms() < end) dlv_poll(d, 50);
    return dlv_pending(d);
}

static void test_signed_delivery(void **state) {
    (void)state;
    http_server *s = hs_start(SECRET);
    assert_non_null(s);
    outbox *ob = open_ob();
    char ids[3][ALERT_ID_LEN + 1];
    put_alerts(ob, 0, 3, "hook", ids);
    deliverer *d = dlv_create(ob);
    char err[256];
    wh_config c = hook(s, "hook");
    assert_int_equal(dlv_add_webhook(d, &c, err, sizeof err), 0);
    assert_int_equal(drive(d, 10000), 0);
    assert_int_equal(hs_count(s), 3);
    for (int i = 0; i < 3; i++) {
        hs_request r;
        assert_int_equal(hs_get(s, i, &r), 0);
        assert_string_equal(r.method, "POST");
        assert_string_equal(r.path, "/hook");
        assert_string_equal(r.content_type, "application/json");
        assert_true(r.sig_valid);
        assert_int_equal(hs_count_ok_id(s, ids[i]), 1);
        cJSON *j = cJSON_Parse(r.body);
        assert_non_null(j);
        assert_string_equal(cJSON_GetObjectItem(j, "id")->valuestring, r.idempotency_key);
        assert_string_equal(cJSON_GetObjectItem(j, "status")->valuestring, "firing");
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "samples")), 1);
        /* a tampered body does not verify */
        assert_int_equal(sign_verify(SECRET, r.signature, "{}", 2, time(NULL), 300), -1);
        cJSON_Delete(j);
        hs_request_clear(&r);
    }
    assert_int_equal(dlv_get_counts(d).delivered, 3);
    dlv_destroy(d, 0);
    outbox_close(ob);
    hs_stop(s);
}

static void test_500_then_ok_retried(void **state) {
    (void)state;
    http_server *s = hs_start(SECRET);
    hs_set_mode(s, HS_500, 2);
    outbox *ob = open_ob();
    char ids[1][ALERT_ID_LEN + 1];
    put_alerts(ob, 0, 1, "hook", ids);
    deliverer *d = dlv_create(ob);
    char err[256];
    wh_config c = hook(s, "hook");
    dlv_add_webhook(d, &c, err, sizeof err);
    assert_int_equal(drive(d, 10000), 0);
    assert_int_equal(hs_count(s), 3);
    assert_int_equal(hs_count_ok_id(s, ids[0]), 1);
    assert_int_equal(dlv_webhook_counts(d).retries, 2);
    dlv_destroy(d, 0);
    outbox_close(ob);
    hs_stop(s);
}

static void test_429_retry_after_honoured(void **state) {
    (void)state;
    http_server *s = hs_start(SECRET);
    hs_set_mode(s, HS_429, 1);
    hs_set_retry_after(s, 1);
    outbox *ob = open_ob();
    put_alerts(ob, 0, 1, "hook", NULL);
    deliverer *d = dlv_create(ob);
    char err[256];
    wh_config c = hook(s, "hook"); /* back-off alone would retry within 50 ms */
    dlv_add_webhook(d, &c, err, sizeof err);
    assert_int_equal(drive(d, 10000), 0);
    assert_int_equal(hs_count(s), 2);
    hs_request a, b;
    hs_get(s, 0, &a);
    hs_get(s, 1, &b);
    assert_int_equal(a.status, 429);
    assert_int_equal(b.status, 200);
    assert_true(b.at_ms - a.at_ms >= 950);
    hs_request_clear(&a);
    hs_request_clear(&b);
    dlv_destroy(d, 0);
    outbox_close(ob);
    hs_stop(s);
}

static int count_lines(const char *file, const char *needle) {
    FILE *f = fopen(file, "r");
    if (!f) return 0;
    char line[8192];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, needle)) n++;
    fclose(f);
    return n;
}

static void test_400_recorded_not_retried(void **state) {
    (void)state;
    http_server *s = hs_start(SECRET);
    hs_set_mode(s, HS_400, 1);
    outbox *ob = open_ob();
    char ids[2][ALERT_ID_LEN + 1];
    put_alerts(ob, 0, 2, "hook", ids);
    deliverer *d = dlv_create(ob);
    char err[256];
    wh_config c = hook(s, "hook");
    c.max_in_flight = 1; /* the first alert meets the 400 */
    dlv_add_webhook(d, &c, err, sizeof err);
    assert_int_equal(drive(d, 10000), 0);
    assert_int_equal(hs_count(s), 2);
    assert_int_equal(dlv_webhook_counts(d).rejected, 1);
    assert_int_equal(dlv_get_counts(d).failed, 1);
    assert_int_equal(count_lines(failed, ids[0]), 1);
    assert_int_equal(count_lines(failed, "HTTP 400"), 1);
    assert_int_equal(hs_count_ok_id(s, ids[1]), 1);
    dlv_destroy(d, 0);
    outbox_close(ob);
    /* failed is finished: nothing pending after a restart */
    ob = open_ob();
    assert_int_equal(outbox_n_pending(ob), 0);
    outbox_close(ob);
    hs_stop(s);
}

static void test_outage_then_all_delivered(void **state) {
    (void)state;
    int outage_ms = getenv("SANITIZED") ? 8000 : 30000;
    http_server *s = hs_start(SECRET);
    assert_int_equal(hs_pause(s), 0); /* connections refused */
    outbox *ob = open_ob();
    enum { N = 20 };
    char ids[N][ALERT_ID_LEN + 1];
    put_alerts(ob, 0, N, "hook", ids);
    deliverer *d = dlv_create(ob);
    char err[256];
    wh_config c = hook(s, "hook");
    c.backoff_max_ms = 1000;
    dlv_add_webhook(d, &c, err, sizeof err);
    int64_t end = time_now_ms() + outage_ms;
    while (time_now_ms() < end) dlv_poll(d, 100);
    assert_int_equal(dlv_pending(d), N);
    assert_true(dlv_webhook_counts(d).retries >= N);
    assert_int_equal(hs_resume(s), 0);
    assert_int_equal(drive(d, 15000), 0);
    for (int i = 0; i < N; i++) assert_int_equal(hs_count_ok_id(s, ids[i]), 1);
    assert_int_equal(dlv_get_counts(d).failed, 0);
    dlv_destroy(d, 0);
    outbox_close(ob);
    hs_stop(s);
}

static void test_stall_and_close_retried(void **state) {
    (void)state;
    http_server *s = hs_start(SECRET);
    hs_set_stall_ms(s, 1500);
    hs_set_mode(s, HS_STALL, 1);
    outbox *ob = open_ob();
    char ids[2][ALERT_ID_LEN + 1];
    put_alerts(ob, 0, 1, "hook", ids);
    deliverer *d = dlv_create(ob);
    char err[256];
    wh_config c = hook(s, "hook");
    c.timeout_ms = 300; /* the stalled answer comes too late */
    dlv_add_webhook(d, &c, err, sizeof err);
    assert_int_equal(drive(d, 10000), 0);
    assert_int_equal(hs_count_ok_id(s, ids[0]), 1);
    assert_true(dlv_webhook_counts(d).retries >= 1);
    hs_set_mode(s, HS_CLOSE, 1); /* the connection closed without an answer */
    put_alerts(ob, 1, 2, "hook", ids);
    assert_int_equal(drive(d, 10000), 0);
    assert_int_equal(hs_count_ok_id(s, ids[1]), 1);
    int closed = 0; /* libcurl itself may retry on a reused connection: look at the server */
    for (int i = 0; i < hs_count(s); i++) {
        hs_request r;
        hs_get(s, i, &r);
        closed += r.status == 0 && strcmp(r.idempotency_key, ids[1]) == 0;
        hs_request_clear(&r);
    }
    assert_int_equal(closed, 1);
    dlv_destroy(d, 0);
    outbox_close(ob);
    hs_stop(s);
}

static void test_delivered_entries_compacted(void **state) {
    (void)state;
    http_server *s = hs_start(SECRET);
    outbox *ob = open_ob();
    put_alerts(ob, 0, 150, "hook", NULL);
    int64_t full = outbox_file_size(ob);
    deliverer *d = dlv_create(ob);
    char err[256];
    wh_config c = hook(s, "hook");
    dlv_add_webhook(d, &c, err, sizeof err);
    assert_int_equal(drive(d, 20000), 0);
    assert_int_equal(hs_count_ok(s), 150);
    assert_true(outbox_count(ob) < 150);         /* finished entries were compacted away */
    assert_true(outbox_file_size(ob) < full / 2);
    dlv_destroy(d, 0);
    outbox_close(ob);
    hs_stop(s);
}

static void test_give_up_horizon(void **state) {
    (void)state;
    http_server *s = hs_start(SECRET);
    hs_set_mode(s, HS_500, -1);
    outbox *ob = open_ob();
    char ids[1][ALERT_ID_LEN + 1];
    put_alerts(ob, 0, 1, "hook", ids);
    deliverer *d = dlv_create(ob);
    char err[256];
    wh_config c = hook(s, "hook");
    c.give_up_after_ms = 1000;
    dlv_add_webhook(d, &c, err, sizeof err);
    assert_int_equal(drive(d, 10000), 0);
    assert_true(hs_count(s) >= 2);
    assert_int_equal(dlv_webhook_counts(d).gave_up, 1);
    assert_int_equal(dlv_get_counts(d).failed, 1);
    assert_int_equal(count_lines(failed, "gave up after"), 1);
    dlv_destroy(d, 0);
    outbox_close(ob);
    hs_stop(s);
}

static void test_views_and_several_sinks(void **state) {
    (void)state;
    http_server *s = hs_start(NULL);
    outbox *ob = open_ob();
    char id[ALERT_ID_LEN + 1];
    char *b = body_for(7, id);
    const char *sinks[] = {"slack", "pd", "generic"};
    assert_int_equal(outbox_put(ob, id, "entity=ACME", b, sinks, 3, time_now_ms(), NULL), 0);
    free(b);
    deliverer *d = dlv_create(ob);
    char err[256];
    char *u1 = hs_url(s, "/slack"), *u2 = hs_url(s, "/pd"), *u3 = hs_url(s, "/generic");
    wh_config cs = {.name = "slack", .url = u1, .format = WH_SLACK, .tls_verify = 1};
    wh_config cp = {.name = "pd", .url = u2, .format = WH_PAGERDUTY, .routing_key = "R0UT1NG", .tls_verify = 1};
    wh_config cg = {.name = "generic", .url = u3, .tls_verify = 1};
    assert_int_equal(dlv_add_webhook(d, &cs, err, sizeof err), 0);
    assert_int_equal(dlv_add_webhook(d, &cp, err, sizeof err), 0);
    assert_int_equal(dlv_add_webhook(d, &cg, err, sizeof err), 0);
    assert_int_equal(drive(d, 10000), 0);
    assert_int_equal(hs_count(s), 3);
    int seen = 0;
    for (int i = 0; i < 3; i++) {
        hs_request r;
        hs_get(s, i, &r);
        cJSON *j = cJSON_Parse(r.body);
        assert_non_null(j);
        assert_null(r.signature); /* no secret configured */
        assert_string_equal(r.idempotency_key, id);
        if (strcmp(r.path, "/pd") == 0) {
            assert_string_equal(cJSON_GetObjectItem(j, "dedup_key")->valuestring, id);
            assert_string_equal(cJSON_GetObjectItem(j, "event_action")->valuestring, "trigger");
            assert_string_equal(cJSON_GetObjectItem(j, "routing_key")->valuestring, "R0UT1NG");
            cJSON *p = cJSON_GetObjectItem(j, "payload");
            assert_string_equal(cJSON_GetObjectItem(p, "severity")->valuestring, "warning");
            assert_non_null(strstr(cJSON_GetObjectItem(p, "summary")->valuestring, "entity=ACME"));
            seen |= 1;
        } else if (strcmp(r.path, "/slack") == 0) {
            assert_non_null(strstr(cJSON_GetObjectItem(j, "text")->valuestring, "[FIRING:warning] spike"));
            assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "blocks")), 2);
            seen |= 2;
        } else {
            assert_string_equal(cJSON_GetObjectItem(j, "rule")->valuestring, "spike");
            seen |= 4;
        }
        cJSON_Delete(j);
        hs_request_clear(&r);
    }
    assert_int_equal(seen, 7);
    free(u1);
    free(u2);
    free(u3);
    dlv_destroy(d, 0);
    outbox_close(ob);
    hs_stop(s);
}

/* A resolve in every view: the clearing window's figures and the first
 * firing window's (issue 15). */
static void test_resolve_views(void **state) {
    (void)state;
    static win_key key = {WIN_SCOPE_ENTITY, "ACME", NULL, "entity=ACME", 0};
    static alert_rule rule = {.name = "spike", .scope = WIN_SCOPE_ENTITY, .severity = ALERT_WARNING,
                              .resolve_after = 1};
    alert a;
    memset(&a, 0, sizeof a);
    a.version = ALERT_VERSION;
    a.status = ALERT_RESOLVED;
    a.rule = &rule;
    a.key = &key;
    a.severity = ALERT_WARNING;
    a.first_start_ms = 1714566600000LL;
    a.first_end_ms = a.first_start_ms + 300000;
    a.first_counts = (win_stats){8, 6, 2, 0, -5000000};
    a.first_stats = (rule_eval){0.75, 0.26, 4.0, 3.0};
    a.window_start_ms = a.first_start_ms + 1800000;
    a.window_end_ms = a.window_start_ms + 300000;
    a.counts = (win_stats){30, 3, 20, 7, 0};
    a.stats = (rule_eval){0.1, 0.26, -2.0, 0.5};
    as_alert_id(rule.name, key.name, a.first_start_ms, a.id);
    char *b = payload_alert_json(&a);
    cJSON *j = cJSON_Parse(b);
    cJSON *first = cJSON_GetObjectItem(j, "first");
    assert_float_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(first, "window"), "start_ms")->valuedouble,
                       (double)a.first_start_ms, 0);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(first, "stats"), "negatives")->valueint, 6);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "stats"), "negatives")->valueint, 3);
    assert_int_equal(cJSON_GetObjectItem(j, "version")->valueint, 1);

    char *pd = payload_pagerduty(b, "K");
    cJSON *p = cJSON_Parse(pd);
    assert_string_equal(cJSON_GetObjectItem(p, "event_action")->valuestring, "resolve");
    assert_string_equal(cJSON_GetObjectItem(p, "dedup_key")->valuestring, a.id);
    cJSON *details = cJSON_GetObjectItem(cJSON_GetObjectItem(p, "payload"), "custom_details");
    assert_int_equal(cJSON_GetObjectItem(details, "count")->valueint, 30);
    assert_non_null(cJSON_GetObjectItem(details, "first"));
    char *slack = payload_slack(b);
    cJSON *sl = cJSON_Parse(slack);
    const char *text = cJSON_GetObjectItem(sl, "text")->valuestring;
    assert_non_null(strstr(text, "[RESOLVED] spike on entity=ACME: negative share back to 10% (3 of 30), baseline 26%"));
    assert_non_null(strstr(text, "fired at 75% (6 of 8) in window 2024-05-01T12:30:00"));
    assert_null(payload_pagerduty("not json", "K"));
    assert_null(payload_slack("{\"id\":1}"));
    cJSON_Delete(sl);
    free(slack);
    cJSON_Delete(p);
    cJSON_Delete(j);
    free(pd);
    free(b);
}

static void test_bad_sinks_rejected(void **state) {
    (void)state;
    outbox *ob = open_ob();
    deliverer *d = dlv_create(ob);
    char err[256] = "";
    wh_config c = {.name = "x", .url = "ftp://127.0.0.1/a", .tls_verify = 1};
    assert_int_equal(dlv_add_webhook(d, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "http:// or https://"));
    c.url = "http://127.0.0.1:1/a";
    assert_int_equal(dlv_add_webhook(d, &c, err, sizeof err), 0);
    assert_int_equal(dlv_add_webhook(d, &c, err, sizeof err), -1);
    /* an entry for a sink nobody defined is failed, not stuck */
    put_alerts(ob, 0, 1, "nosuch", NULL);
    dlv_poll(d, 0);
    assert_int_equal(dlv_pending(d), 0);
    assert_int_equal(dlv_get_counts(d).failed, 1);
    dlv_destroy(d, 0);
    outbox_close(ob);
}

/* The child of the kill -9 test: delivers the outbox until empty, exit 0. */
static void deliver_child(const char *url) {
    char err[256];
    outbox *ob = outbox_open(path, err, sizeof err);
    if (!ob) _exit(3);
    deliverer *d = dlv_create(ob);
    wh_config c = {.name = "hook", .url = url, .secret = SECRET, .timeout_ms = 5000, .max_in_flight = 2,
                   .backoff_initial_ms = 50, .backoff_max_ms = 200, .tls_verify = 1};
    if (dlv_add_webhook(d, &c, err, sizeof err) < 0) _exit(4);
    int64_t end = time_now_ms() + 60000;
    while (dlv_pending(d) > 0 && time_now_ms() < end) dlv_poll(d, 50);
    int left = dlv_pending(d);
    dlv_destroy(d, 0);
    outbox_close(ob);
    _exit(left == 0 ? 0 : 5);
}

static void test_kill9_then_restart(void **state) {
    (void)state;
    enum { N = 40 };
    http_server *s = hs_start(SECRET);
    hs_set_stall_ms(s, 40);
    hs_set_mode(s, HS_STALL, -1);
    outbox *ob = open_ob();
    char ids[N][ALERT_ID_LEN + 1];
    put_alerts(ob, 0, N, "hook", ids);
    outbox_close(ob);
    char *url = hs_url(s, "/hook");

    pid_t a = fork();
    assert_true(a >= 0);
    if (a == 0) deliver_child(url);
    int64_t end = time_now_ms() + 30000;
    while (hs_count_ok(s) < N / 3 && time_now_ms() < end) usleep(5000);
    kill(a, SIGKILL);
    int st;
    waitpid(a, &st, 0);
    assert_true(WIFSIGNALED(st));
    int before = hs_count_ok(s);
    assert_true(before >= N / 3 && before < N);

    pid_t b = fork();
    assert_true(b >= 0);
    if (b == 0) deliver_child(url);
    end = time_now_ms() + 60000;
    pid_t w = 0;
    while ((w = waitpid(b, &st, WNOHANG)) == 0 && time_now_ms() < end) usleep(10000);
    if (w == 0) {
        kill(b, SIGKILL);
        waitpid(b, &st, 0);
        fail_msg("restarted deliverer did not finish");
    }
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);

    /* every alert delivered; repeats only ever carry one of the known ids */
    for (int i = 0; i < N; i++) assert_true(hs_count_ok_id(s, ids[i]) >= 1);
    int total = hs_count(s);
    for (int i = 0; i < total; i++) {
        hs_request r;
        hs_get(s, i, &r);
        int known = 0;
        for (int k = 0; k < N; k++) known |= r.idempotency_key && strcmp(r.idempotency_key, ids[k]) == 0;
        assert_true(known);
        assert_true(r.sig_valid);
        hs_request_clear(&r);
    }
    free(url);
    hs_stop(s);
}

static void count_done(uint64_t seq, const char *sink, enum outbox_state st, const char *reason, void *ud) {
    (void)seq, (void)sink, (void)reason;
    if (st == OUTBOX_DELIVERED) (*(int *)ud)++;
}

/* An outage backlog through the real receiver: N alerts, each with a
 * firing, a repeat and a resolve (three deliveries of one id), submitted
 * while connections are refused and retried meanwhile; once the receiver
 * is back every delivery arrives exactly once and, per id, in submission
 * order, though 4 requests run at once. */
static void test_backlog_keeps_order_per_id(void **state) {
    (void)state;
    enum { N = 60, PER = 3 };
    http_server *s = hs_start(NULL);
    assert_int_equal(hs_pause(s), 0);
    int delivered = 0;
    wh_client *c = wh_create(count_done, &delivered);
    char *url = hs_url(s, "/hook"), err[256];
    wh_config cfg = {.name = "hook", .url = url, .timeout_ms = 3000, .max_in_flight = 4, .backoff_initial_ms = 20,
                     .backoff_max_ms = 200, .give_up_after_ms = 600000, .tls_verify = 1};
    assert_int_equal(wh_add_sink(c, &cfg, err, sizeof err), 0);
    static const char *const status[PER] = {"firing", "firing", "resolved"};
    char id[32], body[128];
    for (int k = 0; k < PER; k++)
        for (int i = 0; i < N; i++) {
            snprintf(id, sizeof id, "alert-%02d", i);
            snprintf(body, sizeof body, "{\"id\":\"%s\",\"status\":\"%s\",\"n\":%d}", id, status[k], k);
            assert_int_equal(wh_submit(c, "hook", (uint64_t)(k * N + i), id, body, time_now_ms()), 0);
        }
    int64_t end = time_now_ms() + 1000;
    while (time_now_ms() < end) wh_poll(c, 50);
    assert_int_equal(wh_pending(c), N * PER);
    assert_true(wh_get_counts(c).retries >= 4);
    assert_int_equal(hs_resume(s), 0);
    end = time_now_ms() + 20000;
    while (wh_pending(c) && time_now_ms() < end) wh_poll(c, 50);
    assert_int_equal(wh_pending(c), 0);
    assert_int_equal(delivered, N * PER);
    int next[N] = {0};
    assert_int_equal(hs_count(s), N * PER);
    for (int r = 0; r < hs_count(s); r++) {
        hs_request q;
        assert_int_equal(hs_get(s, r, &q), 0);
        cJSON *j = cJSON_Parse(q.body);
        int i = atoi(cJSON_GetObjectItem(j, "id")->valuestring + 6), n = cJSON_GetObjectItem(j, "n")->valueint;
        assert_int_equal(n, next[i]); /* this id's deliveries in order, none twice */
        next[i]++;
        cJSON_Delete(j);
        hs_request_clear(&q);
    }
    for (int i = 0; i < N; i++) assert_int_equal(next[i], PER);
    wh_destroy(c);
    free(url);
    hs_stop(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_signed_delivery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_500_then_ok_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_429_retry_after_honoured, setup, teardown),
        cmocka_unit_test_setup_teardown(test_400_recorded_not_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stall_and_close_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delivered_entries_compacted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_give_up_horizon, setup, teardown),
        cmocka_unit_test_setup_teardown(test_views_and_several_sinks, setup, teardown),
        cmocka_unit_test(test_resolve_views),
        cmocka_unit_test_setup_teardown(test_bad_sinks_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill9_then_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outage_then_all_delivered, setup, teardown),
        cmocka_unit_test(test_backlog_keeps_order_per_id),
    };
    return cmocka_run_group_tests_name("webhook", tests, curl_group_setup, curl_group_teardown);
}
