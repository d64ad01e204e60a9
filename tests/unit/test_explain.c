/* Unit tests for classify/explain and bench/explain_faith: on the
 * multi-head encoder fixture with a random n-gram part
 * (tests/support/ngram_fixture.h), the words and their byte offsets, the
 * n-gram part exact (the words' parts plus the bias give the n-gram
 * logit, which with the encoder's gives the classifier's), the encoder
 * part equal to the drop of the encoder-only classifier's logit on the
 * text without the word, words past max_len at 0, a batch equal to one
 * text at a time, label checks; then faithfulness on the project's dev
 * texts with the default model (skipped without ../shared/data). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/explain_faith.h"
#include "classify/explain.h"
#include "tests/support/ngram_fixture.h"
#include "util/xalloc.h"

#define SENT 1 /* the fixture's sentiment head; 3 labels, its n-gram part mixed at 1.5 */
#define H 2

static char dir[64];

static int setup(void **state) {
    (void)state;
    char err[512];
    if (ngram_fixture_dir(dir, sizeof dir) < 0) return -1;
    ngram_model *m = ngram_fixture_part(97);
    int rc = ngram_save(m, NGRAM_FIXTURE_BASE, dir, err, sizeof err);
    ngram_free(m);
    return rc;
}

static int teardown(void **state) {
    (void)state;
    ngram_fixture_remove(dir);
    return 0;
}

static classifier *open_dir(const char *d, int encoder_only, int max_len) {
    char err[512];
    cls_options o = {.threads = 1, .part = encoder_only ? CLS_PART_ENCODER : CLS_PART_ALL, .max_len = max_len};
    classifier *c = cls_open(d, &o, err, sizeof err);
    if (!c) fail_msg("%s", err);
    return c;
}

/* z[y] minus the mean of the head's logits, from a classifier's output. */
static float centred_logit(const cls_output *o, const classifier *c, int i, int h, int y) {
    const float *z = o->logits + (size_t)i * o->n_out + cls_get_model(c)->head_off[h];
    int nl = cls_head_n_labels(c, h);
    double s = 0;
    for (int j = 0; j < nl; j++) s += z[j];
    return (float)(z[y] - s / nl);
}

/* Explains texts[0..n) toward label y of both heads into out (n * H). */
static void explain(classifier *c, const char *const *texts, int n, int y, xp_result *out) {
    explainer *x = xp_new(c);
    int labels[16 * H];
    for (int i = 0; i < n * H; i++) labels[i] = y;
    char err[256];
    assert_int_equal(xp_explain(x, texts, NULL, n, labels, out, err, sizeof err), 0);
    xp_free(x);
}

static void free_results(xp_result *r, int n) {
    for (int i = 0; i < n; i++) xp_result_free(&r[i]);
}

static void test_words_and_offsets(void **state) {
    (void)state;
    const char *text = "  Shares of ACME rose 5% after earnings.";
    classifier *c = open_dir(dir, 0, 0);
    xp_result r[H] = {0};
    explain(c, &text, 1, 2, r);
    /* every word once, each span holding it, sorted by weight */
    static const char *const want[] = {"Shares", "of", "ACME", "rose", "5", "%", "after", "earnings", "."};
    assert_int_equal(r[SENT].n, 9);
    int seen[9] = {0};
    for (int k = 0; k < r[SENT].n; k++) {
        const xp_word *w = &r[SENT].words[k];
        if (k) assert_true(w->weight <= r[SENT].words[k - 1].weight);
        assert_float_equal(w->weight, w->encoder + w->ngram, 1e-5);
        for (int j = 0; j < 9; j++)
            if ((size_t)(w->end - w->start) == strlen(want[j]) && memcmp(text + w->start, want[j], strlen(want[j])) == 0)
                seen[j]++;
    }
    for (int j = 0; j < 9; j++) assert_int_equal(seen[j], 1);
    /* the topic head has no n-gram part: encoder only */
    assert_int_equal(r[0].n, 9);
    for (int k = 0; k < r[0].n; k++) assert_true(r[0].words[k].ngram == 0.0f);
    assert_true(r[0].ngram_logit == 0.0f);
    free_results(r, H);
    cls_close(c);
}

/* The words' n-gram parts and the bias sum to the n-gram logit; with the
 * encoder's it is the classifier's centred logit; every label of the head. */
static void test_ngram_part_exact(void **state) {
    (void)state;
    const char *texts[3] = {"Shares of ACME rose 5% after earnings, beat guidance.", "bank bank bank cut", "fed"};
    classifier *c = open_dir(dir, 0, 0);
    cls_output o;
    char err[256];
    assert_int_equal(cls_classify(c, texts, NULL, 3, 0, &o, err, sizeof err), 0);
    int nonzero = 0;
    for (int y = 0; y < 3; y++) {
        xp_result r[3 * H] = {0};
        explain(c, texts, 3, y, r);
        for (int i = 0; i < 3; i++) {
            const xp_result *x = &r[i * H + SENT];
            double sum = x->ngram_bias;
            for (int k = 0; k < x->n; k++) sum += x->words[k].ngram;
            assert_float_equal(sum, x->ngram_logit, 1e-4);
            assert_float_equal(x->enc_logit + x->ngram_logit, centred_logit(&o, c, i, SENT, y), 1e-4);
            nonzero += fabsf(x->ngram_logit - x->ngram_bias) > 1e-2f;
        }
        free_results(r, 3 * H);
    }
    assert_true(nonzero >= 6);
    cls_output_free(&o);
    cls_close(c);
}

/* A word's encoder part is the drop of the encoder-only centred logit
 * when the word's bytes become a space. */
static void test_encoder_part_is_occlusion(void **state) {
    (void)state;
    const char *text = "the market fell after weak earnings; tsla crash";
    classifier *c = open_dir(dir, 0, 0), *enc = open_dir(dir, 1, 0);
    xp_result r[H] = {0};
    explain(c, &text, 1, 0, r);
    const char *texts[16];
    size_t lens[16];
    char *bufs[16] = {0};
    size_t caps[16] = {0};
    int n = r[SENT].n;
    assert_true(n > 3 && n < 15);
    texts[0] = text;
    lens[0] = strlen(text);
    for (int k = 0; k < n; k++) {
        lens[k + 1] = xp_delete_words(text, strlen(text), r[SENT].words, &k, 1, &bufs[k], &caps[k]);
        texts[k + 1] = bufs[k];
    }
    cls_output o;
    char err[256];
    assert_int_equal(cls_classify(enc, texts, lens, n + 1, 0, &o, err, sizeof err), 0);
    float full = centred_logit(&o, enc, 0, SENT, 0);
    assert_float_equal(r[SENT].enc_logit, full, 1e-4);
    int moved = 0;
    for (int k = 0; k < n; k++) {
        assert_float_equal(r[SENT].words[k].encoder, full - centred_logit(&o, enc, k + 1, SENT, 0), 1e-4);
        moved += fabsf(r[SENT].words[k].encoder) > 1e-3f;
        free(bufs[k]);
    }
    assert_true(moved > n / 2);
    cls_output_free(&o);
    free_results(r, H);
    cls_close(enc);
    cls_close(c);
}

/* With max_len 6 the encoder reads 4 word pieces: later words get 0. */
static void test_past_max_len(void **state) {
    (void)state;
    const char *text = "bank cut market fell after weak earnings";
    classifier *c = open_dir(dir, 0, 6);
    xp_result r[H] = {0};
    explain(c, &text, 1, 0, r);
    assert_int_equal(r[SENT].n, 7);
    for (int k = 0; k < r[SENT].n; k++) {
        const xp_word *w = &r[SENT].words[k];
        if (w->start >= (int32_t)strlen("bank cut market fell"))
            assert_true(w->encoder == 0.0f);
        else
            assert_true(w->encoder != 0.0f);
        assert_true(w->ngram != 0.0f);
    }
    free_results(r, H);
    cls_close(c);
}

/* Three texts together give what each gives alone; a label a head lacks
 * is an error; -1 explains nothing. */
static void test_batch_and_labels(void **state) {
    (void)state;
    const char *texts[3] = {"stock rose on record profit", "", "warns of loss, shares fell"};
    classifier *c = open_dir(dir, 0, 0);
    xp_result all[3 * H] = {0};
    explain(c, texts, 3, 1, all);
    assert_int_equal(all[1 * H + SENT].n, 0);
    for (int i = 0; i < 3; i++) {
        xp_result one[H] = {0};
        explain(c, &texts[i], 1, 1, one);
        for (int h = 0; h < H; h++) {
            assert_int_equal(one[h].n, all[i * H + h].n);
            for (int k = 0; k < one[h].n; k++) {
                assert_int_equal(one[h].words[k].start, all[i * H + h].words[k].start);
                assert_float_equal(one[h].words[k].weight, all[i * H + h].words[k].weight, 1e-4);
            }
        }
        free_results(one, H);
    }
    free_results(all, 3 * H);
    explainer *x = xp_new(c);
    xp_result r[H] = {0};
    char err[256];
    assert_int_equal(xp_explain(x, texts, NULL, 1, (const int[]){-1, 3}, r, err, sizeof err), -1);
    assert_non_null(strstr(err, "head sentiment has no label 3"));
    assert_int_equal(xp_explain(x, texts, NULL, 1, (const int[]){-1, 0}, r, err, sizeof err), 0);
    assert_int_equal(r[0].n, 0);
    assert_int_equal(r[0].label, -1);
    assert_int_equal(r[SENT].n, 5);
    free_results(r, H);
    xp_free(x);
    cls_close(c);
}

/* Deleting words: spans in any order become one space each. */
static void test_delete_words(void **state) {
    (void)state;
    const char *text = "ab cd, ef";
    xp_word w[3] = {{.start = 7, .end = 9}, {.start = 0, .end = 2}, {.start = 5, .end = 6}};
    char *buf = NULL;
    size_t cap = 0;
    assert_int_equal(xp_delete_words(text, strlen(text), w, (const int[]){0, 1, 2}, 3, &buf, &cap), 7);
    assert_string_equal(buf, "  cd   ");
    assert_int_equal(xp_delete_words(text, strlen(text), w, (const int[]){2}, 1, &buf, &cap), 9);
    assert_string_equal(buf, "ab cd  ef");
    free(buf);
}

/* Floor on ERASER comprehensiveness on the dev split, on a sample: the
 * top-3 words must cost p(negative) more than 3 random words for at
 * least 85% of the texts (the bench measures 0.99 on 200, see docs/explain.md). */
static void test_faithful_on_dev(void **state) {
    (void)state;
    const char *data = getenv("FINSENT_DATA");
    xf_texts dev;
    char err[512];
    int rc = xf_dev_texts("configs/train-default.json", data ? data : "../shared/data", &dev, err, sizeof err);
    if (rc == 1) {
        printf("# skipped: %s (the labelled data is not here)\n", err);
        skip();
    }
    if (rc) fail_msg("%s", err);
    classifier *c = open_dir("models/default", 0, 0);
    xf_result r;
    assert_int_equal(xf_measure(c, (const char *const *)dev.v, dev.n, 60, 7, &r, err, sizeof err), 0);
    printf("# %d texts: share %.3f, mean drop top %.3f random %.3f\n", r.texts, r.share, r.mean_drop_top,
           r.mean_drop_random);
    assert_int_equal(r.texts, 60);
    assert_true(r.share >= 0.85);
    assert_true(r.mean_drop_top > 2 * r.mean_drop_random);
    cls_close(c);
    xf_texts_free(&dev);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words_and_offsets),   cmocka_unit_test(test_ngram_part_exact),
        cmocka_unit_test(test_encoder_part_is_occlusion), cmocka_unit_test(test_past_max_len),
        cmocka_unit_test(test_batch_and_labels),    cmocka_unit_test(test_delete_words),
        cmocka_unit_test(test_faithful_on_dev),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
