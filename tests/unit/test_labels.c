/* Tests of what sentiment labels mean (issue 15): util/labelmap (built-in
 * synonyms in any case, config entries first, unmapped labels none, the
 * check and its one-line message), the /readyz failure when too many
 * recent events are not counted (app/uncounted over a real HTTP endpoint),
 * and checkpoints made from the default model (tests/support/relabel_model):
 * one whose sentiment labels are bearish, bullish, neutral, other classifies
 * and alerts exactly as the default model does on the demo feed; one whose
 * "other" wins leaves those events not counted; one with no label meaning
 * negative is refused at load unless mapped. The model tests need
 * FINSENT_TEST_MODEL or models/default (skipped without). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/http_endpoint.h"
#include "app/replay_common.h"
#include "app/uncounted.h"
#include "classify/classifier.h"
#include "util/labelmap.h"
#include "util/xalloc.h"
#include "tests/support/relabel_model.h"
#include "tests/support/http_get.h"

#define FEED "app/demo/feed.jsonl"

static const char *model; /* NULL: no model, the model tests skip */
static char dir[64];

static void test_builtins_and_map(void **state) {
    (void)state;
    assert_int_equal(lm_class(NULL, "negative"), LM_NEGATIVE);
    assert_int_equal(lm_class(NULL, "Bearish"), LM_NEGATIVE);
    assert_int_equal(lm_class(NULL, "NEG"), LM_NEGATIVE);
    assert_int_equal(lm_class(NULL, "Neutral"), LM_NEUTRAL);
    assert_int_equal(lm_class(NULL, "neu"), LM_NEUTRAL);
    assert_int_equal(lm_class(NULL, "BULLISH"), LM_POSITIVE);
    assert_int_equal(lm_class(NULL, "pos"), LM_POSITIVE);
    assert_int_equal(lm_class(NULL, "other"), LM_NONE);
    assert_int_equal(lm_class(NULL, "LABEL_0"), LM_NONE);
    labelmap *m = lm_create();
    char err[256];
    assert_int_equal(lm_parse(m, "LABEL_0=negative,label_1=neutral,LABEL_2=positive,neu=none", err, sizeof err), 0);
    assert_int_equal(lm_class(m, "LABEL_0"), LM_NEGATIVE);
    assert_int_equal(lm_class(m, "LABEL_1"), LM_NEUTRAL);
    assert_int_equal(lm_class(m, "label_2"), LM_POSITIVE);
    assert_int_equal(lm_class(m, "neu"), LM_NONE);       /* an entry overrides a synonym */
    assert_int_equal(lm_class(m, "bearish"), LM_NEGATIVE); /* the rest still apply */
    assert_int_equal(lm_set(m, "LABEL_0", "positive"), 0); /* a later entry replaces */
    assert_int_equal(lm_class(m, "label_0"), LM_POSITIVE);
    assert_int_equal(lm_set(m, "x", "bearish"), -1);
    assert_int_equal(lm_parse(m, "LABEL_3", err, sizeof err), -1);
    assert_string_equal(err, "\"LABEL_3\" is not LABEL=CLASS");
    assert_int_equal(lm_parse(m, "a=negative,b=bad", err, sizeof err), -1);
    assert_string_equal(err, "\"b\": expected negative, neutral, positive or none, got \"bad\"");
    const char *labels[] = {"bearish", "bullish", "neutral", "other"};
    char *d = lm_describe(m, labels, 4);
    assert_string_equal(d, "bearish=negative, bullish=positive, neutral=neutral, other=none");
    free(d);
    assert_int_equal(lm_check_head(m, labels, 4, err, sizeof err), 0);
    const char *blind[] = {"up", "down", "other"};
    assert_int_equal(lm_check_head(m, blind, 3, err, sizeof err), -1);
    assert_string_equal(err, "sentiment head has no label that means negative (labels: up, down, other); map one "
                             "with model.sentiment_labels (e.g. {\"up\": \"negative\"})");
    assert_string_equal(lm_class_name(LM_NONE), "none");
    assert_int_equal(lm_class_parse("neutral"), LM_NEUTRAL);
    lm_free(m);
}

/* /readyz fails while more than the set share of recent events was not
 * counted, and recovers once labels are counted again. */
static void test_readyz_uncounted(void **state) {
    (void)state;
    uncounted u;
    unc_init(&u, 0.2);
    char err[256];
    http_endpoint *h = http_endpoint_start("127.0.0.1:0", err, sizeof err);
    assert_non_null(h);
    http_endpoint_set_ready_check(h, unc_ready, &u);
    http_endpoint_set_ready(h, 1);
    int port = http_endpoint_port(h);
    for (int i = 0; i < UNC_MIN - 1; i++) unc_note(&u, 0);
    char *body = NULL;
    assert_int_equal(http_get(port, "/readyz", &body), 200); /* too few events to judge */
    free(body), body = NULL;
    for (int i = 0; i < 200; i++) unc_note(&u, i % 3 == 0); /* 2 in 3 not counted */
    assert_true(unc_share(&u) > 0.7);
    assert_int_equal(http_get(port, "/readyz", &body), 503);
    assert_non_null(strstr(body, "not ready: "));
    assert_non_null(strstr(body, "% of recent events not counted (more than model.max_uncounted_share 20%)"));
    free(body), body = NULL;
    for (int i = 0; i < 2 * UNC_SPAN; i++) unc_note(&u, 1);
    assert_true(unc_share(&u) == 0.0);
    assert_int_equal(http_get(port, "/readyz", &body), 200);
    free(body);
    http_endpoint_stop(h);
    unc_destroy(&u);
}

/* Makes dir/NAME from the model with the given labels; the path is returned (caller frees). */
static char *make_model(const char *name, const char *const labels[4], float extra_bias) {
    char *dst = xasprintf("%s/%s", dir, name);
    mkdir(dst, 0700);
    char err[512];
    if (relabel_model(model, dst, labels, extra_bias, err, sizeof err) < 0) fail_msg("relabel_model: %s", err);
    return dst;
}

typedef struct seen {
    char ids[64][40];
    int n_firing;
} seen;

static void on_alert(const alert *a, void *ud) {
    seen *s = ud;
    if (a->status == ALERT_FIRING && s->n_firing < 64) snprintf(s->ids[s->n_firing++], 40, "%s", a->id);
}

/* Replays the demo feed with configs/demo.json through model m. */
static replay_result replay(const char *m, seen *s) {
    char *ob = xasprintf("%s/outbox-%d", dir, rand());
    alerts_observer obs = {NULL, on_alert, s};
    replay_args a = {.config = "configs/demo.json", .file = FEED, .model = m, .outbox = ob, .dry_run = 1};
    replay_result res = {0};
    fflush(stdout);
    int saved = dup(1);
    FILE *null = fopen("/dev/null", "w");
    dup2(fileno(null), 1); /* the replay prints its alerts on stdout: keep them out of the TAP output */
    int rc = replay_run("test_labels", &a, &obs, &res);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    fclose(null);
    free(ob);
    assert_int_equal(rc, 0);
    return res;
}

/* The checkpoint: labels bearish, bullish, neutral, other. The
 * same predictions as the default model, so the same alerts on the demo
 * feed; before the shared mapping the windows counted none of them. */
static void test_bearish_model_alerts(void **state) {
    (void)state;
    if (!model) skip();
    const char *labels[] = {"bearish", "bullish", "neutral", "other"};
    char *m = make_model("bearish", labels, 0);
    char err[512];
    cls_options o = {.check_sentiment = 1};
    classifier *c = cls_open(m, &o, err, sizeof err);
    assert_non_null(c);
    event e = {.text = "Harbor Bancorp shares plunge 8% as regulator opens probe into loan book"};
    event *ev = &e;
    assert_int_equal(cls_score_events(c, &ev, 1, err, sizeof err), 0);
    assert_string_equal(e.sentiment.label, "bearish");
    assert_true(e.p_negative > 0.5f);
    cls_close(c);

    seen ref = {0}, got = {0};
    replay_result r0 = replay(model, &ref), r1 = replay(m, &got);
    assert_int_equal(r1.alerts.bad_labels, 0);
    assert_int_equal(r1.alerts.events, r0.alerts.events);
    assert_int_equal(r1.alerts.fired, 4);
    assert_int_equal(got.n_firing, ref.n_firing);
    for (int i = 0; i < ref.n_firing; i++) assert_string_equal(got.ids[i], ref.ids[i]);
    assert_string_equal(r1.sentiment_labels, "bearish=negative, bullish=positive, neutral=neutral, other=none");
    free(r0.sentiment_labels);
    free(r1.sentiment_labels);
    free(m);
}

/* A checkpoint whose "other" wins over neutral: those events are counted
 * as neither (not in the windows, in bad_labels), the rest as before. */
static void test_other_not_counted(void **state) {
    (void)state;
    if (!model) skip();
    const char *labels[] = {"bearish", "bullish", "neutral", "other"};
    char *m = make_model("other", labels, 0.01f);
    seen ref = {0}, got = {0};
    replay_result r0 = replay(model, &ref), r1 = replay(m, &got);
    assert_true(r1.alerts.bad_labels > 0);
    assert_int_equal(r1.alerts.events + r1.alerts.bad_labels, r0.alerts.events);
    free(r0.sentiment_labels);
    free(r1.sentiment_labels);
    free(m);
}

/* No label means negative: refused at load with one line naming the
 * labels, unless the map says which one does. */
static void test_blind_model_refused(void **state) {
    (void)state;
    if (!model) skip();
    const char *labels[] = {"LABEL_0", "LABEL_1", "LABEL_2", "LABEL_3"};
    char *m = make_model("blind", labels, 0);
    char err[512], want[512];
    cls_options o = {.check_sentiment = 1};
    assert_null(cls_open(m, &o, err, sizeof err));
    snprintf(want, sizeof want,
             "%s/config.json: sentiment head has no label that means negative (labels: LABEL_0, LABEL_1, LABEL_2, "
             "LABEL_3); map one with model.sentiment_labels (e.g. {\"LABEL_0\": \"negative\"})",
             m);
    assert_string_equal(err, want);
    labelmap *lm = lm_create();
    assert_int_equal(lm_parse(lm, "LABEL_0=negative,LABEL_1=positive,LABEL_2=neutral", err, sizeof err), 0);
    o.labels = lm;
    classifier *c = cls_open(m, &o, err, sizeof err);
    assert_non_null(c);
    event e = {.text = "Harbor Bancorp shares plunge 8% as regulator opens probe into loan book"};
    event *ev = &e;
    assert_int_equal(cls_score_events(c, &ev, 1, err, sizeof err), 0);
    assert_string_equal(e.sentiment.label, "LABEL_0");
    assert_true(e.p_negative > 0.5f);
    cls_close(c);
    lm_free(lm);
    free(m);
}

static int group_setup(void **state) {
    (void)state;
    const char *m = getenv("FINSENT_TEST_MODEL");
    model = m && *m ? m : "models/default";
    char *cfg = xasprintf("%s/config.json", model);
    if (access(cfg, R_OK) != 0) model = NULL;
    free(cfg);
    setenv("FINSENT_DEMO_SECRET", "test", 1);
    snprintf(dir, sizeof dir, "/tmp/finsent-labels-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    char *rm = xasprintf("rm -rf '%s'", dir);
    int rc = system(rm);
    free(rm);
    return rc == 0 ? 0 : -1;
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtins_and_map),     cmocka_unit_test(test_readyz_uncounted),
        cmocka_unit_test(test_bearish_model_alerts), cmocka_unit_test(test_other_not_counted),
        cmocka_unit_test(test_blind_model_refused),
    };
    int rc = cmocka_run_group_tests_name("labels", tests, group_setup, group_teardown);
    curl_global_cleanup();
    return rc;
}
