/* Unit tests for classify/ngram, ngram_io and ngram_lr: basic words,
 * hashed n-gram TF-IDF on a tiny corpus against values computed by hand
 * (FNV-1a 64 of "a", "b", "a b", ... modulo 1000) and character n-grams
 * likewise, the LR gradient against
 * finite differences, a fit that separates a toy corpus, the save/load
 * round trip, load errors, and the classifier's sum of encoder and mixed
 * n-gram logits (and unchanged logits without the n-gram part). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify/classifier.h"
#include "classify/ngram.h"
#include "train/ngram_lr.h"
#include "classify/safetensors.h"
#include "tests/support/ngram_fixture.h"
#include "util/xalloc.h"

#define FIX "tests/fixtures/encoder/multihead"

static tok_vocab *fixture_vocab(void) {
    char err[256];
    tok_vocab *v = tok_vocab_load(FIX "/vocab.txt", err, sizeof err);
    if (!v) fail_msg("%s", err);
    return v;
}

typedef struct words {
    char w[16][16];
    int n;
} words;

static void take_word(const char *w, size_t n, void *arg) {
    words *ws = arg;
    assert_true(ws->n < 16 && n < 16);
    memcpy(ws->w[ws->n], w, n);
    ws->w[ws->n++][n] = 0;
}

/* The basic tokens: lower-cased words and punctuation, special tokens whole. */
static void test_words(void **state) {
    (void)state;
    tok_vocab *v = fixture_vocab();
    tokenizer *t = tok_new(v, 1);
    words ws = {0};
    const char *text = "Apple's Q3: BEATS![SEP]x";
    tok_words(t, text, strlen(text), take_word, &ws);
    const char *want[] = {"apple", "'", "s", "q3", ":", "beats", "!", "[SEP]", "x"};
    assert_int_equal(ws.n, 9);
    for (int i = 0; i < 9; i++) assert_string_equal(ws.w[i], want[i]);
    tok_free(t);
    tok_vocab_free(v);
}

/* Buckets (FNV-1a 64 mod 1000): a 366, b 155, c 944, "a b" 776, "b a" 800,
 * "b c" 222. Corpus {"A b a", "b c"}: df(b) = 2, the rest 1, so idf(b) =
 * ln(3/3) + 1 = 1, others ln(3/2) + 1. "A b a": a twice (tf 1 + ln 2). */
static void test_features_by_hand(void **state) {
    (void)state;
    tok_vocab *v = fixture_vocab();
    tokenizer *t = tok_new(v, 1);
    ngram_settings s = {.buckets = 1000, .n_orders = 2, .orders = {1, 2}};
    ngram_vec x = {0};
    float *idf = xcalloc(1000, sizeof *idf);
    long df[1000] = {0};
    const char *docs[2] = {"A b a", "b c"};
    for (int d = 0; d < 2; d++) {
        ngram_count(t, &s, docs[d], strlen(docs[d]), &x);
        for (int i = 0; i < x.n; i++) df[x.idx[i]]++;
    }
    assert_int_equal(x.n, 3);
    assert_int_equal(x.idx[0], 155);
    assert_int_equal(x.idx[1], 222);
    assert_int_equal(x.idx[2], 944);
    for (int b = 0; b < 1000; b++) idf[b] = ngram_idf(df[b], 2);
    assert_float_equal(idf[155], 1.0, 1e-6);
    assert_float_equal(idf[366], 1.4054651, 1e-6);
    ngram_features(t, &s, idf, docs[0], strlen(docs[0]), &x);
    const int32_t want_idx[] = {155, 366, 776, 800};
    const double want_val[] = {0.3069529850534798, 0.7304435209927678, 0.4314117103223128, 0.4314117103223128};
    assert_int_equal(x.n, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(x.idx[i], want_idx[i]);
        assert_float_equal(x.val[i], want_val[i], 1e-6);
    }
    /* unigrams only; an empty text has no features */
    s.n_orders = 1;
    ngram_count(t, &s, docs[0], strlen(docs[0]), &x);
    assert_int_equal(x.n, 2);
    assert_float_equal(x.val[1], 2.0, 0);
    ngram_features(t, &s, idf, "", 0, &x);
    assert_int_equal(x.n, 0);
    ngram_vec_free(&x);
    free(idf);
    tok_free(t);
    tok_vocab_free(v);
}

/* Character n-grams inside " word " (code points), hashed after a 0x01
 * byte, modulo 1000 (util/fnv.h's offset basis): " ab" 625, "ab " 255,
 * " ß" 732, "ßx" 592, "x " 358, " ßx" 500, "ßx " 360; the word "ab" 876. */
static void test_char_ngrams_by_hand(void **state) {
    (void)state;
    tok_vocab *v = fixture_vocab();
    tokenizer *t = tok_new(v, 1);
    ngram_settings s = {.buckets = 1000, .n_orders = 1, .orders = {1}, .n_char_orders = 1, .char_orders = {3}};
    ngram_vec x = {0};
    ngram_count(t, &s, "ab AB", 5, &x);
    const int32_t want3[] = {255, 625, 876};
    assert_int_equal(x.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(x.idx[i], want3[i]);
        assert_float_equal(x.val[i], 2.0, 0);
    }
    /* a two-byte code point counts as one character: 3 bigrams, 2 trigrams */
    s.n_orders = 0;
    s.n_char_orders = 2;
    s.char_orders[0] = 2;
    s.char_orders[1] = 3;
    ngram_count(t, &s, "\xc3\x9fx", 3, &x);
    const int32_t want23[] = {358, 360, 500, 592, 732};
    assert_int_equal(x.n, 5);
    for (int i = 0; i < 5; i++) assert_int_equal(x.idx[i], want23[i]);
    /* longer than the padded word: nothing */
    s.char_orders[0] = 8;
    s.n_char_orders = 1;
    ngram_count(t, &s, "ab", 2, &x);
    assert_int_equal(x.n, 0);
    ngram_vec_free(&x);
    tok_free(t);
    tok_vocab_free(v);
}

static uint64_t rng = 88172645463325252ull;
static float urand(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((rng >> 11) * (1.0 / 9007199254740992.0));
}

/* Every partial derivative of the weighted, regularised loss matches a
 * central difference. */
static void test_lr_gradient(void **state) {
    (void)state;
    enum { N = 6, D = 5, K = 3 };
    int rowptr[N + 1] = {0, 2, 3, 5, 5, 8, 10}, y[N] = {0, 2, 1, 1, 0, 2};
    int32_t col[10] = {0, 3, 1, 2, 4, 0, 1, 3, 2, 4};
    float val[10], cw[K] = {0.5f, 2.0f, 1.25f};
    for (int i = 0; i < 10; i++) val[i] = urand() * 2 - 1;
    ngram_lr_data d = {.n = N, .dim = D, .k = K, .rowptr = rowptr, .col = col, .val = val, .y = y, .cw = cw,
                       .lambda = 0.3};
    long np = ngram_lr_size(&d);
    assert_int_equal(np, K * D + K);
    float theta[K * D + K], grad[K * D + K];
    for (long j = 0; j < np; j++) theta[j] = urand() * 2 - 1;
    ngram_lr_loss(&d, theta, grad);
    for (long j = 0; j < np; j++) {
        float keep = theta[j], h = 1e-2f;
        theta[j] = keep + h;
        double fp = ngram_lr_loss(&d, theta, NULL);
        theta[j] = keep - h;
        double fm = ngram_lr_loss(&d, theta, NULL);
        theta[j] = keep;
        double num = (fp - fm) / (2.0 * h);
        if (fabs(num - grad[j]) > 1e-4 + 1e-3 * fabs(num)) fail_msg("d/dtheta[%ld]: analytic %g, numeric %g", j, grad[j], num);
    }
}

/* A fit on hashed features separates a toy corpus and classifies unseen
 * texts by the words that tell the classes apart. */
static void test_lr_separates(void **state) {
    (void)state;
    tok_vocab *v = fixture_vocab();
    tokenizer *t = tok_new(v, 1);
    ngram_settings s = {.buckets = 4096, .n_orders = 2, .orders = {1, 2}};
    const char *texts[8] = {"shares soar on record profit", "stock jumps after strong results",
                            "profit soars and shares jump", "record results lift the stock",
                            "shares plunge on heavy loss", "stock slumps after weak results",
                            "loss widens and shares plunge", "weak outlook sinks the stock"};
    int y[8] = {1, 1, 1, 1, 0, 0, 0, 0}, rowptr[9] = {0};
    int32_t col[256];
    float val[256], *idf = xmalloc(4096 * sizeof *idf);
    for (int b = 0; b < 4096; b++) idf[b] = 1.0f;
    ngram_vec x = {0};
    for (int i = 0; i < 8; i++) {
        ngram_features(t, &s, idf, texts[i], strlen(texts[i]), &x);
        memcpy(col + rowptr[i], x.idx, sizeof(int32_t) * (size_t)x.n);
        memcpy(val + rowptr[i], x.val, sizeof(float) * (size_t)x.n);
        rowptr[i + 1] = rowptr[i] + x.n;
    }
    ngram_lr_data d = {.n = 8, .dim = 4096, .k = 2, .rowptr = rowptr, .col = col, .val = val, .y = y,
                       .lambda = 1e-3};
    float *theta = xcalloc((size_t)ngram_lr_size(&d), sizeof *theta);
    double f0 = ngram_lr_loss(&d, theta, NULL);
    int it = ngram_lr_fit(&d, theta, 200, 1e-9);
    double f1 = ngram_lr_loss(&d, theta, NULL);
    assert_true(it > 1);
    assert_true(f1 < 0.25 * f0);
    ngram_model *m = ngram_new(&s, 1, (const char *const[]){"sentiment"}, (const int[]){2});
    memcpy(m->heads[0].w, theta, sizeof(float) * 2 * 4096);
    memcpy(m->heads[0].b, theta + 2 * 4096, sizeof(float) * 2);
    memcpy(m->idf, idf, 4096 * sizeof *idf);
    const char *unseen[2] = {"weak results plunge", "record profit soars"};
    for (int i = 0; i < 2; i++) {
        float z[2];
        ngram_features(t, &s, m->idf, unseen[i], strlen(unseen[i]), &x);
        ngram_head_logits(m, 0, &x, z);
        assert_int_equal(z[1] > z[0], i);
    }
    for (int i = 0; i < 8; i++) {
        float z[2];
        ngram_features(t, &s, m->idf, texts[i], strlen(texts[i]), &x);
        ngram_head_logits(m, 0, &x, z);
        assert_int_equal(z[1] > z[0], y[i]);
    }
    ngram_free(m);
    ngram_vec_free(&x);
    free(theta);
    free(idf);
    tok_free(t);
    tok_vocab_free(v);
}

static void test_save_load(void **state) {
    (void)state;
    char dir[64], err[512];
    assert_int_equal(ngram_fixture_dir(dir, sizeof dir), 0);
    ngram_model *m = ngram_fixture_part(64);
    assert_int_equal(ngram_save(m, FIX, dir, err, sizeof err), 0);
    classifier *c = cls_open(dir, NULL, err, sizeof err);
    if (!c) fail_msg("%s", err);
    const ngram_model *g = cls_get_ngram(c);
    assert_non_null(g);
    assert_int_equal(g->s.buckets, 64);
    assert_int_equal(g->s.n_orders, 2);
    assert_int_equal(g->s.orders[1], 2);
    assert_int_equal(g->s.n_char_orders, 2);
    assert_int_equal(g->s.char_orders[0], 3);
    assert_int_equal(g->s.char_orders[1], 4);
    assert_int_equal(g->n_heads, 1);
    assert_int_equal(g->heads[0].head, 1);
    assert_string_equal(g->heads[0].name, "sentiment");
    assert_float_equal(g->heads[0].mix, 1.5, 0);
    assert_memory_equal(g->idf, m->idf, 64 * sizeof(float));
    assert_memory_equal(g->heads[0].w, m->heads[0].w, 3 * 64 * sizeof(float));
    assert_memory_equal(g->heads[0].b, m->heads[0].b, 3 * sizeof(float));
    cls_close(c);
    /* saving again in place replaces the part */
    m->heads[0].mix = 0.5f;
    assert_int_equal(ngram_save(m, dir, dir, err, sizeof err), 0);
    ngram_model *back = NULL;
    const cls_model *enc;
    c = cls_open(dir, &(cls_options){.part = CLS_PART_ENCODER}, err, sizeof err);
    assert_non_null(c);
    assert_null(cls_get_ngram(c));
    enc = cls_get_model(c);
    assert_int_equal(ngram_load(dir, &enc->cfg, &back, err, sizeof err), 0);
    assert_float_equal(back->heads[0].mix, 0.5, 0);
    ngram_free(back);
    /* a plain model has none */
    assert_int_equal(ngram_load(FIX, &enc->cfg, &back, err, sizeof err), 0);
    assert_null(back);
    cls_close(c);
    ngram_free(m);
    ngram_fixture_remove(dir);
}

/* Rewrites the first from after "finsent_ngram" in dir/config.json to to. */
static void edit_config(const char *dir, const char *from, const char *to) {
    char p[512], buf[8192];
    snprintf(p, sizeof p, "%s/config.json", dir);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *at = strstr(buf, "finsent_ngram");
    assert_non_null(at);
    at = strstr(at, from);
    assert_non_null(at);
    char out[8300];
    snprintf(out, sizeof out, "%.*s%s%s", (int)(at - buf), buf, to, at + strlen(from));
    f = fopen(p, "wb");
    fputs(out, f);
    fclose(f);
}

static void expect_error(const char *dir, const char *needle) {
    char err[512] = "";
    classifier *c = cls_open(dir, NULL, err, sizeof err);
    assert_null(c);
    if (!strstr(err, needle)) fail_msg("error \"%s\" lacks \"%s\"", err, needle);
}

static void test_load_errors(void **state) {
    (void)state;
    char dir[64], err[512];
    assert_int_equal(ngram_fixture_dir(dir, sizeof dir), 0);
    ngram_model *m = ngram_fixture_part(64);
    assert_int_equal(ngram_save(m, FIX, dir, err, sizeof err), 0);
    edit_config(dir, "\"buckets\":\t64", "\"buckets\":\t65");
    expect_error(dir, "tensor 'finsent.ngram.idf': expected shape [65]");
    edit_config(dir, "\"buckets\":\t65", "\"buckets\":\t0");
    expect_error(dir, "\"finsent_ngram\".buckets");
    edit_config(dir, "\"buckets\":\t0", "\"buckets\":\t64");
    edit_config(dir, "\"name\":\t\"sentiment\"", "\"name\":\t\"other\"");
    expect_error(dir, "\"finsent_ngram\".heads[0].name");
    edit_config(dir, "\"name\":\t\"other\"", "\"name\":\t\"topic\"");
    expect_error(dir, "tensor 'finsent.ngram.topic.weight': missing");
    edit_config(dir, "\"name\":\t\"topic\"", "\"name\":\t\"sentiment\"");
    edit_config(dir, "[1, 2]", "[1, 1]");
    expect_error(dir, "\"finsent_ngram\".orders");
    edit_config(dir, "[1, 1]", "[1, 2]");
    edit_config(dir, "[3, 4]", "[3, 9]");
    expect_error(dir, "\"finsent_ngram\".char_orders: expected distinct integers 1 to 8");
    edit_config(dir, "[3, 9]", "{}");
    expect_error(dir, "\"finsent_ngram\".char_orders: expected 0 to 8");
    ngram_free(m);
    ngram_fixture_remove(dir);
}

/* With the part, each text's logits are the encoder's plus mix times the
 * n-gram logits; with a zero part or CLS_PART_ENCODER, exactly the encoder's. */
static void test_classifier_sum(void **state) {
    (void)state;
    char dir[64], err[512];
    assert_int_equal(ngram_fixture_dir(dir, sizeof dir), 0);
    const char *texts[3] = {"Shares of ACME rose 5% after earnings.", "fed holds rates", ""};
    classifier *plain = cls_open(FIX, NULL, err, sizeof err);
    assert_non_null(plain);
    assert_null(cls_get_ngram(plain));
    cls_output o0, o1;
    assert_int_equal(cls_classify(plain, texts, NULL, 3, 0, &o0, err, sizeof err), 0);
    ngram_model *m = ngram_fixture_part(97);
    assert_int_equal(ngram_save(m, FIX, dir, err, sizeof err), 0);
    classifier *c = cls_open(dir, NULL, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(cls_classify(c, texts, NULL, 3, 0, &o1, err, sizeof err), 0);
    tok_vocab *v = fixture_vocab();
    tokenizer *t = tok_new(v, 1);
    ngram_vec x = {0};
    int K = o0.n_out, off = cls_get_model(c)->head_off[1], changed = 0;
    for (int i = 0; i < 3; i++) {
        float z[3];
        ngram_features(t, &m->s, m->idf, texts[i], strlen(texts[i]), &x);
        ngram_head_logits(m, 0, &x, z);
        for (int j = 0; j < K; j++) {
            int in = j >= off && j < off + 3;
            float want = o0.logits[i * K + j] + (in ? 1.5f * z[j - off] : 0.0f);
            assert_float_equal(o1.logits[i * K + j], want, 1e-5);
            changed |= in && fabsf(z[j - off]) > 1e-3f;
        }
        int best = 0;
        for (int j = 1; j < 3; j++) best = o1.logits[i * K + off + j] > o1.logits[i * K + off + best] ? j : best;
        assert_int_equal(o1.index[i * 2 + 1], best);
    }
    assert_true(changed);
    cls_output_free(&o1);
    cls_close(c);
    /* a zero part leaves the logits bit for bit */
    memset(m->heads[0].w, 0, 3 * 97 * sizeof(float));
    memset(m->heads[0].b, 0, 3 * sizeof(float));
    assert_int_equal(ngram_save(m, FIX, dir, err, sizeof err), 0);
    c = cls_open(dir, NULL, err, sizeof err);
    assert_non_null(c);
    assert_non_null(cls_get_ngram(c));
    assert_int_equal(cls_classify(c, texts, NULL, 3, 0, &o1, err, sizeof err), 0);
    assert_memory_equal(o1.logits, o0.logits, sizeof(float) * 3 * (size_t)K);
    cls_output_free(&o1);
    cls_close(c);
    ngram_vec_free(&x);
    tok_free(t);
    tok_vocab_free(v);
    ngram_free(m);
    cls_output_free(&o0);
    cls_close(plain);
    ngram_fixture_remove(dir);
}

/* --part: the encoder part's logits are the plain encoder's, the n-gram
 * part's are mix times the n-gram logits (zero for a head without one),
 * and the two add up to the whole model's; a model without an n-gram part
 * cannot be asked for it. */
static void test_parts(void **state) {
    (void)state;
    char dir[64], err[512];
    assert_int_equal(ngram_fixture_dir(dir, sizeof dir), 0);
    const char *texts[3] = {"Shares of ACME rose 5% after earnings.", "fed holds rates", ""};
    ngram_model *m = ngram_fixture_part(97);
    assert_int_equal(ngram_save(m, FIX, dir, err, sizeof err), 0);
    classifier *all = cls_open(dir, NULL, err, sizeof err), *plain = cls_open(FIX, NULL, err, sizeof err);
    classifier *enc = cls_open(dir, &(cls_options){.part = CLS_PART_ENCODER}, err, sizeof err);
    classifier *ng = cls_open(dir, &(cls_options){.part = CLS_PART_NGRAM}, err, sizeof err);
    assert_non_null(all);
    assert_non_null(plain);
    assert_non_null(enc);
    assert_non_null(ng);
    cls_output oa, op, oe, on;
    assert_int_equal(cls_classify(all, texts, NULL, 3, 0, &oa, err, sizeof err), 0);
    assert_int_equal(cls_classify(plain, texts, NULL, 3, 0, &op, err, sizeof err), 0);
    assert_int_equal(cls_classify(enc, texts, NULL, 3, 0, &oe, err, sizeof err), 0);
    assert_int_equal(cls_classify(ng, texts, NULL, 3, 0, &on, err, sizeof err), 0);
    int K = oa.n_out, off = cls_get_model(all)->head_off[1];
    assert_memory_equal(oe.logits, op.logits, sizeof(float) * 3 * (size_t)K);
    tok_vocab *v = fixture_vocab();
    tokenizer *t = tok_new(v, 1);
    ngram_vec x = {0};
    for (int i = 0; i < 3; i++) {
        float z[3];
        ngram_features(t, &m->s, m->idf, texts[i], strlen(texts[i]), &x);
        ngram_head_logits(m, 0, &x, z);
        for (int j = 0; j < K; j++) {
            int in = j >= off && j < off + 3;
            assert_float_equal(on.logits[i * K + j], in ? 1.5f * z[j - off] : 0.0f, 1e-5);
            assert_float_equal(oa.logits[i * K + j], oe.logits[i * K + j] + on.logits[i * K + j], 1e-5);
        }
        /* the topic head has no n-gram head: zero logits, uniform probabilities */
        assert_float_equal(cls_output_probs(&on, ng, i, 0)[0], 1.0 / cls_head_n_labels(ng, 0), 1e-6);
    }
    assert_int_equal(cls_part_parse("all"), CLS_PART_ALL);
    assert_int_equal(cls_part_parse("encoder"), CLS_PART_ENCODER);
    assert_int_equal(cls_part_parse("ngram"), CLS_PART_NGRAM);
    assert_int_equal(cls_part_parse("wide"), -1);
    assert_null(cls_open(FIX, &(cls_options){.part = CLS_PART_NGRAM}, err, sizeof err));
    assert_non_null(strstr(err, "no n-gram part"));
    cls_output_free(&oa), cls_output_free(&op), cls_output_free(&oe), cls_output_free(&on);
    ngram_vec_free(&x);
    tok_free(t);
    tok_vocab_free(v);
    cls_close(all), cls_close(plain), cls_close(enc), cls_close(ng);
    ngram_free(m);
    ngram_fixture_remove(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_features_by_hand),
        cmocka_unit_test(test_char_ngrams_by_hand),
        cmocka_unit_test(test_lr_gradient),
        cmocka_unit_test(test_lr_separates),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_classifier_sum),
        cmocka_unit_test(test_parts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
