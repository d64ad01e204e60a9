/* Unit tests for classify/classifier: texts through tokenizer, batcher and
 * encoder give the token ids and logits PyTorch computed for the fixture
 * (tests/fixtures/encoder/, see tools/make_encoder_fixture.py); results in
 * input order; events filled per head. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/classifier.h"
#include "util/xalloc.h"

#define FIX "tests/fixtures/encoder"

static cJSON *load_json(const char *path) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    cJSON *j = cJSON_Parse(buf);
    assert_non_null(j);
    return j;
}

static classifier *open_ok(const char *variant, const char *head) {
    char dir[256], err[512];
    snprintf(dir, sizeof dir, FIX "/%s", variant);
    cls_options o = {.head_name = head, .threads = 1};
    classifier *c = cls_open(dir, &o, err, sizeof err);
    if (!c) fail_msg("%s", err);
    return c;
}

/* The fixture's texts, classified together, give its ids and logits. */
static void check_texts(const char *variant) {
    char path[256];
    snprintf(path, sizeof path, FIX "/%s/expected.json", variant);
    cJSON *root = load_json(path);
    const cJSON *seqs = cJSON_GetObjectItem(root, "sequences"), *q;
    const char *texts[32];
    const cJSON *want[32];
    int n = 0;
    cJSON_ArrayForEach(q, seqs) {
        const cJSON *t = cJSON_GetObjectItem(q, "text");
        if (!t) continue;
        texts[n] = t->valuestring;
        want[n++] = q;
    }
    assert_true(n >= 5);
    classifier *c = open_ok(variant, NULL);
    cls_output out;
    char err[256];
    assert_int_equal(cls_classify(c, texts, NULL, n, CLS_TOKENS, &out, err, sizeof err), 0);
    for (int i = 0; i < n; i++) {
        const cJSON *ids = cJSON_GetObjectItem(want[i], "ids"), *lg = cJSON_GetObjectItem(want[i], "logits");
        assert_int_equal(out.n_ids[i], cJSON_GetArraySize(ids));
        for (int t = 0; t < out.n_ids[i]; t++) assert_int_equal(out.ids[i][t], cJSON_GetArrayItem(ids, t)->valueint);
        for (int k = 0; k < out.n_out; k++) {
            float d = fabsf(out.logits[(size_t)i * out.n_out + k] - (float)cJSON_GetArrayItem(lg, k)->valuedouble);
            if (d > 1e-4f) fail_msg("%s: text %d logit %d off by %g", variant, i, k, d);
        }
        for (int h = 0; h < out.n_heads; h++) {
            const float *p = cls_output_probs(&out, c, i, h);
            float sum = 0;
            for (int k = 0; k < cls_head_n_labels(c, h); k++) sum += p[k];
            assert_true(fabsf(sum - 1.0f) < 1e-5f);
            assert_true(cls_output_score(&out, c, i, h) == p[out.index[i * out.n_heads + h]]);
        }
    }
    cls_output_free(&out);
    cls_close(c);
    cJSON_Delete(root);
}

static void test_texts_base(void **s) { (void)s; check_texts("base"); }
static void test_texts_multihead(void **s) { (void)s; check_texts("multihead"); }

static void test_fill_events(void **state) {
    (void)state;
    classifier *c = open_ok("multihead", NULL);
    classifier *k = cls_clone(c);
    event e1 = {.text = "The stock fell after earnings miss."}, e2 = {.text = "Shares rose on strong guidance!"};
    event *evs[2] = {&e1, &e2};
    char err[256];
    assert_int_equal(cls_score_events(k, evs, 2, err, sizeof err), 0);
    cls_output out;
    const char *texts[2] = {e1.text, e2.text};
    assert_int_equal(cls_classify(c, texts, NULL, 2, 0, &out, err, sizeof err), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(evs[i]->topic.index, out.index[i * 2 + 0]);
        assert_string_equal(evs[i]->topic.label, cls_head_label(c, 0, out.index[i * 2]));
        assert_int_equal(evs[i]->sentiment.index, out.index[i * 2 + 1]);
        assert_true(evs[i]->p_negative == cls_output_probs(&out, c, i, 1)[0]); /* label 0 is "negative" */
        assert_true(evs[i]->sentiment.score == cls_output_score(&out, c, i, 1));
    }
    cls_output_free(&out);
    cls_close(k);
    cls_close(c);

    /* a one-head model named "topic" leaves sentiment unscored */
    c = open_ok("base", "topic");
    assert_int_equal(cls_score_events(c, evs, 1, err, sizeof err), 0);
    assert_int_equal(e1.sentiment.index, -1);
    assert_true(e1.topic.index >= 0);
    assert_true(e1.p_negative == 0.0f);
    cls_close(c);
}

static void test_open_errors(void **state) {
    (void)state;
    char err[512];
    assert_null(cls_open(FIX "/missing-dir", NULL, err, sizeof err));
    assert_string_equal(err, FIX "/missing-dir/config.json: No such file or directory");
}

static void test_empty_and_invalid_texts(void **state) {
    (void)state;
    classifier *c = open_ok("base", NULL);
    const char *texts[3] = {"", "\xff\xfe bank", "a"};
    size_t lens[3] = {0, 7, 1};
    cls_output out;
    char err[256];
    assert_int_equal(cls_classify(c, texts, lens, 3, CLS_TOKENS, &out, err, sizeof err), 0);
    assert_int_equal(out.n_ids[0], 2); /* [CLS] [SEP] */
    assert_int_equal(cls_tok_stats(c).invalid_utf8, 2);
    cls_output_free(&out);
    assert_int_equal(cls_classify(c, texts, lens, 0, 0, &out, err, sizeof err), 0);
    assert_int_equal(out.n, 0);
    cls_output_free(&out);
    cls_close(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_texts_base),       cmocka_unit_test(test_texts_multihead),
        cmocka_unit_test(test_fill_events),      cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_empty_and_invalid_texts),
    };
    return cmocka_run_group_tests_name("classifier", tests, NULL, NULL);
}
