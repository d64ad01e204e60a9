/* Unit tests for alerts/window: tumbling and hopping windows, boundaries,
 * out-of-order and late events, watermark across sources, idle sources,
 * key scopes, samples and deterministic emission order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/window.h"
#include "util/xalloc.h"

#define MAXR 64

typedef struct rec {
    char key[80];
    int64_t start, end;
    win_stats st;
    char top[WIN_TOPK_MAX][WIN_SAMPLE_ID_MAX];
    int n_samples;
    size_t text_len;
} rec;

typedef struct sink {
    rec r[MAXR];
    int n;
    int batches;
    int late_calls, late_missed, late_total;
    char late_id[32];
} sink;

static void on_emit(const win_result *res, int n, void *ud) {
    sink *s = ud;
    s->batches++;
    for (int i = 0; i < n && s->n < MAXR; i++) {
        rec *r = &s->r[s->n++];
        snprintf(r->key, sizeof r->key, "%s", res[i].key->name);
        r->start = res[i].start_ms;
        r->end = res[i].end_ms;
        r->st = res[i].stats;
        r->n_samples = res[i].n_samples;
        for (int j = 0; j < res[i].n_samples; j++) snprintf(r->top[j], sizeof r->top[j], "%s", res[i].samples[j].id);
        r->text_len = res[i].n_samples ? strlen(res[i].samples[0].text) : 0;
    }
}

static void on_late(const event *e, int missed, int total, void *ud) {
    sink *s = ud;
    s->late_calls++;
    s->late_missed = missed;
    s->late_total = total;
    snprintf(s->late_id, sizeof s->late_id, "%s", e->id);
}

/* An event on the stack; entities point at a static array. */
static event ev(const char *id, int64_t ts, const char *label, float score, float pneg, const char *topic,
                char **ents, int n_ents) {
    event e;
    memset(&e, 0, sizeof e);
    e.id = (char *)id;
    e.ts_ms = ts;
    e.text = (char *)id;
    e.source = (char *)"wire";
    snprintf(e.sentiment.label, sizeof e.sentiment.label, "%s", label);
    e.sentiment.score = score;
    e.p_negative = pneg;
    if (topic) snprintf(e.topic.label, sizeof e.topic.label, "%s", topic);
    e.entities = ents;
    e.n_entities = n_ents;
    return e;
}

static win_config tumbling(int64_t size, int64_t lateness, unsigned scopes) {
    return (win_config){size, size, lateness, 0, scopes, 3, NULL};
}

static void add(win_engine *w, int src, const char *id, int64_t ts, const char *label, float pneg) {
    event e = ev(id, ts, label, 0.5f, pneg, NULL, NULL, 0);
    assert_int_equal(win_add(w, src, &e, 0), 0);
}

static void test_tumbling_boundaries(void **state) {
    (void)state;
    sink s = {0};
    win_config c = tumbling(1000, 0, WIN_SCOPE_GLOBAL);
    win_engine *w = win_create(&c, on_emit, on_late, &s);
    add(w, 0, "a", 0, "negative", 0.9f);
    add(w, 0, "b", 999, "positive", 0.1f);
    assert_int_equal(s.n, 0); /* watermark 999 < end 1000 */
    add(w, 0, "c", 1000, "neutral", 0.2f); /* exactly at end: next window, and closes [0,1000) */
    assert_int_equal(s.n, 1);
    assert_int_equal(s.r[0].start, 0);
    assert_int_equal(s.r[0].end, 1000);
    assert_int_equal(s.r[0].st.count, 2);
    assert_int_equal(s.r[0].st.negatives, 1);
    assert_int_equal(s.r[0].st.positives, 1);
    assert_int_equal(s.r[0].st.neutrals, 0);
    /* signed scores: -0.5 + 0.5 = 0 */
    assert_int_equal(s.r[0].st.score_micro, 0);
    win_flush(w);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.r[1].start, 1000);
    assert_int_equal(s.r[1].st.count, 1);
    assert_int_equal(s.r[1].st.neutrals, 1);
    assert_int_equal(win_late_count(w), 0);
    win_destroy(w);
}

static void test_out_of_order_within_lateness(void **state) {
    (void)state;
    sink s = {0};
    win_config c = tumbling(1000, 500, WIN_SCOPE_GLOBAL);
    win_engine *w = win_create(&c, on_emit, on_late, &s);
    add(w, 0, "a", 900, "negative", 0.9f);
    add(w, 0, "b", 1400, "negative", 0.8f); /* watermark 900 */
    add(w, 0, "c", 950, "positive", 0.1f);  /* out of order, window [0,1000) still open */
    assert_int_equal(s.n, 0);
    add(w, 0, "d", 1500, "neutral", 0.1f);  /* watermark 1000: closes [0,1000) */
    assert_int_equal(s.n, 1);
    assert_int_equal(s.r[0].st.count, 2);
    assert_int_equal(s.r[0].st.negatives, 1);
    assert_int_equal(win_watermark(w), 1000);
    add(w, 0, "late", 999, "negative", 0.99f); /* its only window closed */
    assert_int_equal(win_late_count(w), 1);
    assert_int_equal(s.late_calls, 1);
    assert_string_equal(s.late_id, "late");
    assert_int_equal(s.late_missed, 1);
    assert_int_equal(s.late_total, 1);
    win_flush(w);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.r[1].st.count, 2); /* b and d; the late one counted nowhere */
    win_destroy(w);
}

static void test_hopping_overlap(void **state) {
    (void)state;
    sink s = {0};
    /* size 1000, advance 500: ts 1200 is in [500,1500) and [1000,2000) */
    win_config c = {1000, 500, 0, 0, WIN_SCOPE_GLOBAL, 3, NULL};
    win_engine *w = win_create(&c, on_emit, on_late, &s);
    add(w, 0, "a", 1200, "negative", 0.9f);
    add(w, 0, "b", 1600, "positive", 0.1f); /* [1000,2000) and [1500,2500); watermark 1600 closes [500,1500) */
    assert_int_equal(s.n, 1);
    assert_int_equal(s.r[0].start, 500);
    assert_int_equal(s.r[0].st.count, 1);
    add(w, 0, "c", 1499, "negative", 0.5f); /* [500,1500) closed, [1000,2000) open: partly late */
    assert_int_equal(win_late_count(w), 1);
    assert_int_equal(s.late_missed, 1);
    assert_int_equal(s.late_total, 2);
    win_flush(w);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.r[1].start, 1000);
    assert_int_equal(s.r[1].st.count, 3); /* a, b, c */
    assert_int_equal(s.r[1].st.negatives, 2);
    assert_int_equal(s.r[2].start, 1500);
    assert_int_equal(s.r[2].st.count, 1);
    win_destroy(w);
}

static void test_negative_timestamps_align(void **state) {
    (void)state;
    sink s = {0};
    win_config c = tumbling(1000, 0, WIN_SCOPE_GLOBAL);
    win_engine *w = win_create(&c, on_emit, NULL, &s);
    add(w, 0, "a", -1, "neutral", 0.1f);
    win_flush(w);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.r[0].start, -1000);
    assert_int_equal(s.r[0].end, 0);
    win_destroy(w);
}

static void test_watermark_min_across_sources(void **state) {
    (void)state;
    sink s = {0};
    win_config c = tumbling(1000, 0, WIN_SCOPE_GLOBAL);
    win_engine *w = win_create(&c, on_emit, on_late, &s);
    add(w, 0, "a", 100, "neutral", 0.1f);
    add(w, 1, "b", 200, "neutral", 0.1f);
    add(w, 0, "c", 5000, "neutral", 0.1f); /* source 1 holds the watermark at 200 */
    assert_int_equal(win_watermark(w), 200);
    assert_int_equal(s.n, 0);
    add(w, 1, "d", 900, "negative", 0.1f); /* still in time for [0,1000) */
    win_observe(w, 1, 1000, 0);             /* source 1 reaches 1000: watermark 1000 */
    assert_int_equal(win_watermark(w), 1000);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.r[0].st.count, 3);
    assert_int_equal(win_late_count(w), 0);
    win_destroy(w);
}

static void test_idle_source_released(void **state) {
    (void)state;
    sink s = {0};
    win_config c = {1000, 1000, 0, 10000, WIN_SCOPE_GLOBAL, 3, NULL};
    win_engine *w = win_create(&c, on_emit, on_late, &s);
    add(w, 1, "b", 200, "neutral", 0.1f); /* source 1 seen at processing time 0 */
    event e = ev("c", 3000, "neutral", 0.1f, 0.1f, NULL, NULL, 0);
    win_add(w, 0, &e, 5000);
    assert_int_equal(win_watermark(w), 200); /* source 1 not idle yet (5 s) */
    win_tick(w, 10001);                       /* 10.001 s without source 1: idle */
    assert_int_equal(win_watermark(w), 3000);
    assert_int_equal(s.n, 1);
    /* every source idle: the watermark is the largest mark */
    win_tick(w, 100000);
    assert_int_equal(win_watermark(w), 3000);
    win_destroy(w);
}

static void test_keys_and_order(void **state) {
    (void)state;
    sink s = {0};
    win_config c = tumbling(1000, 0, WIN_SCOPE_ALL);
    win_engine *w = win_create(&c, on_emit, NULL, &s);
    char *e1[] = {"TSLA", "AAPL"};
    event a = ev("a", 10, "negative", 0.8f, 0.8f, "Earnings", e1, 2);
    event b = ev("b", 20, "positive", 0.6f, 0.1f, "Macro", e1 + 1, 1);
    assert_int_equal(win_add(w, 0, &a, 0), 0);
    assert_int_equal(win_add(w, 0, &b, 0), 0);
    win_flush(w);
    assert_int_equal(s.batches, 1);
    const char *want[] = {"*", "entity=AAPL", "entity=AAPL,topic=Earnings", "entity=AAPL,topic=Macro",
                          "entity=TSLA", "entity=TSLA,topic=Earnings", "topic=Earnings", "topic=Macro"};
    assert_int_equal(s.n, 8);
    for (int i = 0; i < 8; i++) assert_string_equal(s.r[i].key, want[i]);
    assert_int_equal(s.r[0].st.count, 2);
    assert_int_equal(s.r[0].st.score_micro, -800000 + 600000);
    assert_int_equal(s.r[1].st.count, 2);
    assert_int_equal(s.r[4].st.count, 1);
    assert_int_equal(win_n_keys(w), 8);
    win_destroy(w);
}

/* Counting each event once per key name (the aggregate role's records)
 * gives the windows of counting it once under all keys. */
static void test_add_per_key_equals_add(void **state) {
    (void)state;
    sink whole = {0}, split = {0};
    win_config c = {1000, 500, 0, 0, WIN_SCOPE_ALL, 3, NULL};
    win_engine *w1 = win_create(&c, on_emit, NULL, &whole), *w2 = win_create(&c, on_emit, NULL, &split);
    char *ents[] = {"TSLA", "AAPL"};
    event evs[] = {ev("a", 10, "negative", 0.8f, 0.8f, "Earnings", ents, 2),
                   ev("b", 700, "positive", 0.6f, 0.1f, NULL, ents + 1, 1),
                   ev("c", 900, "negative", 0.9f, 0.9f, "Macro", ents, 1),
                   ev("d", 1600, "neutral", 0.5f, 0.2f, "Macro", NULL, 0)};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(win_add(w1, 0, &evs[i], 0), 0);
        char **names;
        int n = win_key_names(c.scopes, &evs[i], &names);
        assert_true(n >= 1);
        for (int k = n - 1; k >= 0; k--) { /* any order of the records */
            assert_int_equal(win_add_key(w2, 0, &evs[i], names[k], 0), 0);
            free(names[k]);
        }
        free(names);
    }
    event d = evs[3];
    assert_int_equal(win_add_key(w2, 0, &d, "entity=NOPE", 0), 0); /* not one of its keys: counted nowhere */
    win_flush(w1);
    win_flush(w2);
    assert_int_equal(split.n, whole.n);
    assert_true(whole.n > 8);
    for (int i = 0; i < whole.n; i++) {
        assert_string_equal(split.r[i].key, whole.r[i].key);
        assert_int_equal(split.r[i].start, whole.r[i].start);
        assert_memory_equal(&split.r[i].st, &whole.r[i].st, sizeof whole.r[i].st);
        assert_int_equal(split.r[i].n_samples, whole.r[i].n_samples);
        for (int j = 0; j < whole.r[i].n_samples; j++) assert_string_equal(split.r[i].top[j], whole.r[i].top[j]);
    }
    win_destroy(w1);
    win_destroy(w2);
}

/* Labels mean what util/labelmap says: built-in synonyms in any case, the
 * config's entries first, and an unmapped label ("other") is not counted. */
static void test_labels_mapped(void **state) {
    (void)state;
    sink s = {0};
    labelmap *m = lm_create();
    assert_int_equal(lm_set(m, "LABEL_0", "negative"), 0);
    assert_int_equal(lm_set(m, "neu", "none"), 0);
    win_config c = tumbling(1000, 0, WIN_SCOPE_GLOBAL);
    c.labels = m;
    win_engine *w = win_create(&c, on_emit, NULL, &s);
    const char *counted[] = {"Bearish", "bullish", "NEUTRAL", "neg", "label_0", "pos"};
    for (int i = 0; i < 6; i++) {
        event e = ev("x", 1, counted[i], 0.5f, 0.5f, NULL, NULL, 0);
        assert_int_equal(win_add(w, 0, &e, 0), 0);
    }
    const char *not_counted[] = {"other", "neu", "LABEL_1", ""};
    for (int i = 0; i < 4; i++) {
        event e = ev("y", 1, not_counted[i], 0.5f, 0.5f, NULL, NULL, 0);
        assert_int_equal(win_add(w, 0, &e, 0), -1);
    }
    win_flush(w);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.r[0].st.count, 6);
    assert_int_equal(s.r[0].st.negatives, 3);
    assert_int_equal(s.r[0].st.neutrals, 1);
    assert_int_equal(s.r[0].st.positives, 2);
    win_destroy(w);
    lm_free(m);
}

static void test_top_k_samples(void **state) {
    (void)state;
    sink s = {0};
    win_config c = tumbling(1000, 0, WIN_SCOPE_GLOBAL);
    win_engine *w = win_create(&c, on_emit, NULL, &s);
    float p[] = {0.2f, 0.9f, 0.5f, 0.95f, 0.1f, 0.9f};
    const char *ids[] = {"p2", "p9a", "p5", "p95", "p1", "p9b"};
    for (int i = 0; i < 6; i++) add(w, 0, ids[i], 100 + i, "negative", p[i]);
    win_flush(w);
    assert_int_equal(s.r[0].n_samples, 3);
    assert_string_equal(s.r[0].top[0], "p95");
    assert_string_equal(s.r[0].top[1], "p9a"); /* tie at 0.9: the earlier one */
    assert_string_equal(s.r[0].top[2], "p9b");
    win_destroy(w);
}

static void test_long_text_truncated(void **state) {
    (void)state;
    sink s = {0};
    win_config c = tumbling(1000, 0, WIN_SCOPE_GLOBAL);
    win_engine *w = win_create(&c, on_emit, NULL, &s);
    char *text = xmalloc(1001);
    for (int i = 0; i < 500; i++) memcpy(text + 2 * i, "\xC3\xA9", 2); /* é × 500 */
    text[1000] = 0;
    event e = ev("t", 5, "negative", 0.9f, 0.9f, NULL, NULL, 0);
    e.text = text;
    win_add(w, 0, &e, 0);
    win_flush(w);
    assert_int_equal(s.r[0].text_len, WIN_SAMPLE_TEXT_MAX + 3); /* 140 é, then "…" */
    free(text);
    win_destroy(w);
}

static void test_config_check(void **state) {
    (void)state;
    win_config ok = {1000, 500, 0, 0, WIN_SCOPE_GLOBAL, 3, NULL};
    assert_null(win_config_check(&ok));
    win_config bad = ok;
    bad.advance_ms = 2000;
    assert_non_null(win_config_check(&bad));
    bad = ok;
    bad.scopes = 0;
    assert_non_null(win_config_check(&bad));
    bad = ok;
    bad.top_k = 9;
    assert_non_null(win_config_check(&bad));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tumbling_boundaries),    cmocka_unit_test(test_out_of_order_within_lateness),
        cmocka_unit_test(test_hopping_overlap),        cmocka_unit_test(test_negative_timestamps_align),
        cmocka_unit_test(test_watermark_min_across_sources), cmocka_unit_test(test_idle_source_released),
        cmocka_unit_test(test_keys_and_order),         cmocka_unit_test(test_labels_mapped),
        cmocka_unit_test(test_top_k_samples),          cmocka_unit_test(test_long_text_truncated),
        cmocka_unit_test(test_config_check),           cmocka_unit_test(test_add_per_key_equals_add),
    };
    return cmocka_run_group_tests_name("window", tests, NULL, NULL);
}
