/* Tests of part_mute (alerts/part_mute.h) and of the alerts engine's
 * rebuild mute (alerts_set_mute): transitions are muted per scored
 * partition up to its rebuild end while other partitions stay live, and
 * forgotten at a new assignment (pm_reset). */
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
#include "alerts/part_mute.h"
#include "app/hook_server.h"
#include "tests/support/alerts_fixture.h"
#include "tests/support/curl_group.h"
#include "tests/support/outbox_dir.h"

static char dir[64], path[128];

static int setup(void **state) {
    (void)state;
    return outbox_dir_make("mute", dir, sizeof dir, path, sizeof path);
}

static int teardown(void **state) {
    (void)state;
    outbox_dir_remove(dir, path);
    return 0;
}

static void test_mute_is_per_partition_up_to_the_rebuild_end(void **state) {
    (void)state;
    part_mute *m = pm_new();
    pm_own(m, "entity=A", 0);
    pm_own(m, "entity=B", 1);
    assert_false(pm_muted(m, "entity=A", 1000)); /* not rebuilding */
    pm_rebuilt(m, 0, 3000);
    pm_rebuilt(m, 0, 5000);
    pm_rebuilt(m, 0, 4000); /* never goes back */
    assert_true(pm_muted(m, "entity=A", 1000));
    assert_true(pm_muted(m, "entity=A", 5000));
    assert_false(pm_muted(m, "entity=A", 6000));
    assert_false(pm_muted(m, "entity=B", 1000)); /* partition 1 is live */
    assert_false(pm_muted(m, "entity=C", 1000)); /* unknown key */
    pm_own(m, "entity=B", 0);                    /* the latest owner wins */
    assert_true(pm_muted(m, "entity=B", 1000));
    pm_free(m);
}

static void test_reset_forgets_keys_and_rebuilds(void **state) {
    (void)state;
    part_mute *m = pm_new();
    pm_own(m, "entity=A", 0);
    pm_rebuilt(m, 0, 5000);
    assert_true(pm_muted(m, "entity=A", 1000));
    pm_reset(m);
    assert_false(pm_muted(m, "entity=A", 1000)); /* key and rebuild forgotten */
    pm_own(m, "entity=A", 1);
    assert_false(pm_muted(m, "entity=A", 1000)); /* partition 0's old end is gone too */
    pm_rebuilt(m, 0, 5000);
    assert_false(pm_muted(m, "entity=A", 1000)); /* A now comes from partition 1 */
    pm_rebuilt(m, 1, 2000);
    assert_true(pm_muted(m, "entity=A", 2000));
    pm_free(m);
}

static void test_many_keys_keep_their_partition(void **state) {
    (void)state;
    part_mute *m = pm_new();
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "entity=K%d", i);
        pm_own(m, key, i % 4);
    }
    pm_rebuilt(m, 2, 9000);
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "entity=K%d", i);
        assert_int_equal(pm_muted(m, key, 9000), i % 4 == 2);
    }
    pm_free(m);
}

/* Ten events per second for the key's entity in windows 0..n-1 (1 s
 * windows); negatives per window from neg[]; counted under that key only,
 * as scored records are. */
static void feed(alerts *a, int source, const char *entity, const int *neg, int n) {
    char *ents[] = {(char *)entity};
    char key[64];
    snprintf(key, sizeof key, "entity=%s", entity);
    for (int w = 0; w < n; w++)
        for (int i = 0; i < 10; i++) {
            char id[32], text[64];
            snprintf(id, sizeof id, "%s-%d-%d", entity, w, i);
            snprintf(text, sizeof text, "%s news %d/%d", entity, w, i);
            event e;
            memset(&e, 0, sizeof e);
            e.id = id;
            e.text = text;
            e.ts_ms = 1000LL * w + 100 * i;
            e.entities = ents;
            e.n_entities = 1;
            e.agg_key = key;
            int is_neg = i < neg[w];
            snprintf(e.sentiment.label, sizeof e.sentiment.label, "%s", is_neg ? "negative" : "neutral");
            e.sentiment.score = 0.9f;
            e.p_negative = is_neg ? 0.9f : 0.05f;
            assert_int_equal(alerts_add(a, source, &e, 0), 0);
        }
}

/* Two keys spike in window 4 (end 5000): ACME's partition rebuilds up to
 * 5000, so its firing was sent before and is muted, while BETA's (a live
 * partition) is delivered; ACME's resolve at 7000 is past the rebuild end
 * and is delivered, with the id of the muted firing. */
static void test_alerts_mute_rebuilt_partition_only(void **state) {
    (void)state;
    http_server *s = hs_start("k");
    char *url = hs_url(s, "/hook");
    alert_rule r = alerts_fixture_spike_rule();
    alerts_sink sink;
    alerts_options o = alerts_fixture_options(url, &sink, &r, 1, WIN_SCOPE_ENTITY, path);
    char err[256];
    alerts *a = alerts_create(&o, err, sizeof err);
    assert_non_null(a);
    part_mute *m = pm_new();
    alerts_set_mute(a, m);
    pm_own(m, "entity=ACME", 0);
    pm_own(m, "entity=BETA", 1);
    pm_rebuilt(m, 0, 5000);
    static const int neg[] = {1, 1, 1, 1, 8, 1, 1};
    /* both partitions hold the watermark from the start (pipeline_expect_scored) */
    alerts_observe(a, 0, INT64_MIN / 2, 0);
    alerts_observe(a, 1, INT64_MIN / 2, 0);
    feed(a, 0, "ACME", neg, 7);
    feed(a, 1, "BETA", neg, 7);
    assert_int_equal(alerts_flush(a), 0);
    assert_int_equal(alerts_drain(a, 10000), 0);

    alerts_metrics mt = alerts_get_metrics(a);
    assert_int_equal(mt.fired, 2);
    assert_int_equal(mt.resolved, 2);
    assert_int_equal(mt.muted, 1);
    assert_int_equal(mt.delivered, 3);
    assert_int_equal(hs_count(s), 3);
    char acme[ALERT_ID_LEN + 1], beta[ALERT_ID_LEN + 1];
    as_alert_id("neg-spike", "entity=ACME", 4000, acme);
    as_alert_id("neg-spike", "entity=BETA", 4000, beta);
    int acme_firing = 0, acme_resolved = 0, beta_firing = 0;
    for (int i = 0; i < 3; i++) {
        hs_request q;
        assert_int_equal(hs_get(s, i, &q), 0);
        cJSON *b = cJSON_Parse(q.body);
        assert_non_null(b);
        const char *id = cJSON_GetObjectItem(b, "id")->valuestring;
        int firing = strcmp(cJSON_GetObjectItem(b, "status")->valuestring, "firing") == 0;
        if (strcmp(id, acme) == 0) firing ? acme_firing++ : acme_resolved++;
        if (strcmp(id, beta) == 0 && firing) beta_firing++;
        cJSON_Delete(b);
        hs_request_clear(&q);
    }
    assert_int_equal(acme_firing, 0);
    assert_int_equal(acme_resolved, 1);
    assert_int_equal(beta_firing, 1);
    alerts_set_mute(a, NULL);
    pm_free(m);
    alerts_destroy(a, 0);
    free(url);
    hs_stop(s);
}

/* alerts_reset (a rebalance of the aggregate role): the same records fed
 * again after a reset are counted in fresh windows (not late, as they
 * would be behind the old watermark) and fire the same alert again from
 * fresh baselines; the counters go on. */
static void test_alerts_reset_starts_the_state_again(void **state) {
    (void)state;
    alert_rule r = {.name = "neg-spike", .scope = WIN_SCOPE_ENTITY, .min_count = 5, .min_negatives = 3,
                    .zscore = 3, .severity = ALERT_CRITICAL, .resolve_after = 1};
    alerts_options o = {.window = {1000, 1000, 0, 0, WIN_SCOPE_ENTITY, 2},
                        .baseline = {0.3, 3, 0.05},
                        .rules = &r,
                        .n_rules = 1,
                        .outbox_path = path};
    char err[256];
    alerts *a = alerts_create(&o, err, sizeof err);
    assert_non_null(a);
    static const int neg[] = {1, 1, 1, 1, 8, 1, 1};
    alerts_observe(a, 0, INT64_MIN / 2, 0);
    feed(a, 0, "ACME", neg, 7);
    alerts_metrics m1 = alerts_get_metrics(a);
    assert_int_equal(m1.fired, 1);
    assert_int_equal(m1.late_events, 0);
    alerts_reset(a);
    assert_true(alerts_get_metrics(a).watermark_ms < 0);
    alerts_observe(a, 0, INT64_MIN / 2, 0);
    feed(a, 0, "ACME", neg, 7);
    alerts_metrics m2 = alerts_get_metrics(a);
    assert_int_equal(m2.late_events, 0);
    assert_int_equal(m2.fired, 2);
    assert_int_equal(m2.events, 2 * m1.events);
    alerts_destroy(a, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mute_is_per_partition_up_to_the_rebuild_end),
        cmocka_unit_test(test_reset_forgets_keys_and_rebuilds),
        cmocka_unit_test(test_many_keys_keep_their_partition),
        cmocka_unit_test_setup_teardown(test_alerts_mute_rebuilt_partition_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alerts_reset_starts_the_state_again, setup, teardown),
    };
    return cmocka_run_group_tests(tests, curl_group_setup, curl_group_teardown);
}
