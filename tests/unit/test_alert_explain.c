/* Unit tests for alerts/alert_explain, the words in alerts/payload's
 * bodies and app/alert_words: "why" sums over the samples (case folded,
 * capped, ordered), marking spans in a text, the generic body's "words"
 * and "why" and how the Slack and PagerDuty views show them, and the
 * words the default model gives a demo headline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alert_explain.h"
#include "alerts/payload.h"
#include "app/alert_words.h"

static void test_why_sums(void **state) {
    (void)state;
    alert_explain x;
    memset(&x, 0, sizeof x);
    x.words[0][0] = (ax_word){"Junk", 10, 14, 3.0f};
    x.words[0][1] = (ax_word){"probe", 20, 25, 1.0f};
    x.words[1][0] = (ax_word){"junk", 0, 4, 2.5f};
    x.words[1][1] = (ax_word){"crash", 5, 10, 2.0f};
    x.words[2][0] = (ax_word){"a", 0, 1, 0.5f};
    x.words[2][1] = (ax_word){"b", 2, 3, 0.4f};
    x.words[2][2] = (ax_word){"c", 4, 5, 0.3f};
    x.words[3][0] = (ax_word){"d", 6, 7, 0.2f};
    x.n_words[0] = x.n_words[1] = 2;
    x.n_words[2] = 3;
    x.n_words[3] = 1;
    ax_build_why(&x, 4);
    assert_int_equal(x.n_why, AX_WHY_MAX);
    assert_string_equal(x.why[0].word, "junk");
    assert_float_equal(x.why[0].weight, 5.5, 1e-6);
    assert_int_equal(x.why[0].messages, 2);
    assert_string_equal(x.why[1].word, "crash");
    assert_string_equal(x.why[2].word, "probe");
    assert_string_equal(x.why[3].word, "a");
    assert_string_equal(x.why[4].word, "b");
    ax_build_why(&x, 0);
    assert_int_equal(x.n_why, 0);
}

static void test_mark(void **state) {
    (void)state;
    const char *t = "Bank downgraded to junk";
    ax_span s[] = {{19, 23}, {5, 15}, {6, 9}, {20, 40}, {3, 3}};
    char *m = ax_mark(t, s, 5, "*", "*");
    assert_string_equal(m, "Bank *downgraded* to *junk*");
    free(m);
    m = ax_mark(t, NULL, 0, "[", "]");
    assert_string_equal(m, t);
    free(m);
}

/* A firing alert with two samples and its words. */
static char *explained_body(alert_explain *x) {
    static win_key key = {WIN_SCOPE_ENTITY, "HRBK", NULL, "entity=HRBK", 0};
    static alert_rule rule = {.name = "spike", .scope = WIN_SCOPE_ENTITY, .severity = ALERT_CRITICAL};
    alert a;
    memset(&a, 0, sizeof a);
    a.version = ALERT_VERSION;
    a.rule = &rule;
    a.key = &key;
    a.severity = ALERT_CRITICAL;
    a.window_start_ms = 1772445600000LL;
    a.window_end_ms = a.window_start_ms + 900000;
    a.counts = (win_stats){8, 5, 2, 1, -4000000};
    a.stats = (rule_eval){0.62, 0.16, 4.0, 5.6};
    a.n_samples = 2;
    snprintf(a.samples[0].text, sizeof a.samples[0].text, "Harbor Bancorp downgraded to junk");
    snprintf(a.samples[1].text, sizeof a.samples[1].text, "Regulator opens probe into loan book");
    memset(x, 0, sizeof *x);
    x->words[0][0] = (ax_word){"downgraded", 15, 25, 2.41234f};
    x->words[0][1] = (ax_word){"junk", 29, 33, 1.5f};
    x->words[1][0] = (ax_word){"probe", 16, 21, 3.0f};
    x->n_words[0] = 2;
    x->n_words[1] = 1;
    ax_build_why(x, 2);
    a.explain = x;
    return payload_alert_json(&a);
}

static void test_bodies_show_words(void **state) {
    (void)state;
    alert_explain x;
    char *g = explained_body(&x);
    cJSON *j = cJSON_Parse(g);
    cJSON *w = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "samples"), 0), "words"), 0);
    assert_string_equal(cJSON_GetObjectItem(w, "word")->valuestring, "downgraded");
    assert_int_equal(cJSON_GetObjectItem(w, "start")->valueint, 15);
    assert_int_equal(cJSON_GetObjectItem(w, "end")->valueint, 25);
    assert_non_null(strstr(g, "\"weight\":2.4123,")); /* 4 decimals, no float noise */
    cJSON *why = cJSON_GetObjectItem(j, "why");
    assert_int_equal(cJSON_GetArraySize(why), 3);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(why, 0), "word")->valuestring, "probe");
    cJSON_Delete(j);

    char *sum = payload_summary(g);
    assert_non_null(strstr(sum, "; why: probe, downgraded, junk"));
    char *sl = payload_slack(g);
    assert_non_null(strstr(sl, "Harbor Bancorp *downgraded* to *junk*"));
    assert_non_null(strstr(sl, "Regulator opens *probe* into loan book"));
    assert_non_null(strstr(sl, "why: probe, downgraded, junk"));
    char *pd = payload_pagerduty(g, "K");
    cJSON *p = cJSON_Parse(pd), *pl = cJSON_GetObjectItem(p, "payload"), *cd = cJSON_GetObjectItem(pl, "custom_details");
    assert_non_null(strstr(cJSON_GetObjectItem(pl, "summary")->valuestring, "; why: probe, downgraded, junk"));
    assert_string_equal(cJSON_GetObjectItem(cd, "why")->valuestring, "probe, downgraded, junk");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(cd, "samples"), 0)->valuestring,
                        "Harbor Bancorp downgraded to junk (words: downgraded, junk)");
    assert_non_null(cJSON_GetObjectItem(cd, "negative_share"));
    cJSON_Delete(p);
    free(pd);
    free(sl);
    free(sum);
    free(g);
}

/* The default model on two demo headlines: words of the text, positive,
 * highest first, punctuation left out; "downgraded" leads, "plunge" is among them. */
static void test_default_model_words(void **state) {
    (void)state;
    char err[512];
    cls_options o = {.threads = 1};
    classifier *c = cls_open("models/default", &o, err, sizeof err);
    if (!c) fail_msg("%s", err);
    alert_words *aw = aw_new(c);
    assert_non_null(aw);
    const char *texts[2] = {"Harbor Bancorp downgraded to junk by Ridgeline Capital, shares crash",
                            "Harbor Bancorp shares plunge 8% as regulator opens probe into loan book"};
    ax_word words[2][AX_WORDS_MAX];
    int n[2];
    assert_int_equal(aw_explain(texts, 2, words, n, aw), 0);
    for (int i = 0; i < 2; i++) {
        assert_true(n[i] >= 2);
        for (int k = 0; k < n[i]; k++) {
            const ax_word *w = &words[i][k];
            assert_true(w->weight > 0);
            if (k) assert_true(w->weight <= words[i][k - 1].weight);
            assert_int_equal(strlen(w->word), (size_t)(w->end - w->start));
            assert_memory_equal(texts[i] + w->start, w->word, strlen(w->word));
            assert_null(strpbrk(w->word, ",%"));
        }
    }
    assert_string_equal(words[0][0].word, "downgraded");
    int plunge = 0;
    for (int k = 0; k < n[1]; k++) plunge |= strcmp(words[1][k].word, "plunge") == 0;
    assert_true(plunge);
    aw_stats st = aw_get_stats(aw);
    assert_int_equal(st.calls, 1);
    assert_int_equal(st.texts, 2);
    assert_true(st.seconds > 0);
    aw_free(aw);
    cls_close(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_why_sums),
        cmocka_unit_test(test_mark),
        cmocka_unit_test(test_bodies_show_words),
        cmocka_unit_test(test_default_model_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
