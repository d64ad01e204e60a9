/* One model, one forward: a two-head model trained and saved by `finsent
 * train` (cmd_train on a tiny config: MLM pre-training steps, then eight
 * epochs, seconds) gives the same logits through the inference path
 * (cls_model_load + tokenizer + enc_forward: packed sequences, sgemm with
 * fused q/k/v) as through training's forward (tm_load_safetensors +
 * tm_forward, dropout off), on texts of several lengths, two cut at
 * max_len. Both forwards are float32 with different summation orders, so
 * the tolerance is |inference - training| <= 1e-5 + 1e-5 |training| per
 * logit; the largest difference seen is printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify/encoder.h"
#include "classify/model.h"
#include "classify/tokenizer.h"
#include "train/train_model.h"

int cmd_train(int argc, char **argv);

#define MAX_LEN 16
#define VOCAB "tests/fixtures/tokenizer/vocab.txt"

static const char *const texts[] = {
    "shares rally",
    "the stock plunges after weak guidance and the company cuts its dividend", /* cut */
    "board names new chief executive",
    "profit up",
    "analysts expect strong earnings growth for the bank this quarter while rates stay high and "
    "investors watch the market closely", /* longer than MAX_LEN tokens: cut */
};
#define N_TEXTS ((int)(sizeof texts / sizeof texts[0]))

static char dir[64];

static void write_file(const char *name, const char *body) {
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(body, f);
    fclose(f);
}

/* Trains dir/out with `finsent train --config`. */
static void train_tiny(void) {
    FILE *f;
    char path[128];
    snprintf(path, sizeof path, "%s/sent.csv", dir);
    f = fopen(path, "w");
    fputs("text,label\n", f);
    for (int i = 0; i < 12; i++) {
        fprintf(f, "shares rally on strong earnings %d,1\n", i);
        fprintf(f, "stock plunges after weak guidance %d,0\n", i);
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/topic.jsonl", dir);
    f = fopen(path, "w");
    for (int i = 0; i < 12; i++) {
        fprintf(f, "{\"text\": \"dividend raised by board %d\", \"label\": \"dividend\"}\n", i);
        fprintf(f, "{\"text\": \"company names new chief executive %d\", \"label\": \"personnel\"}\n", i);
    }
    fclose(f);
    char cfg[2048];
    snprintf(cfg, sizeof cfg,
             "{\"out\": \"%s/out\", \"vocab\": \"%s\", \"max_len\": %d,\n"
             " \"model\": {\"hidden\": 16, \"layers\": 2, \"heads\": 2, \"intermediate\": 32},\n"
             " \"heads\": [{\"name\": \"sentiment\", \"labels\": [\"negative\", \"positive\"]},\n"
             "           {\"name\": \"topic\", \"labels\": [\"dividend\", \"personnel\", \"other\"]}],\n"
             " \"data\": [{\"path\": \"%s/sent.csv\", \"head\": \"sentiment\"},\n"
             "          {\"path\": \"%s/topic.jsonl\", \"head\": \"topic\"}],\n"
             " \"pretrain_steps\": 3, \"batch_tokens\": 128, \"epochs\": 8, \"lr\": 2e-2, \"warmup\": 0,\n"
             " \"dev_fraction\": 0.2}\n",
             dir, VOCAB, MAX_LEN, dir, dir);
    write_file("train.json", cfg);
    snprintf(path, sizeof path, "%s/train.json", dir);
    char *argv[] = {"train", "--config", path, NULL};
    optind = 0; /* glibc: re-initialise getopt, as main does */
    assert_int_equal(cmd_train(3, argv), 0);
}

/* The training model of the saved directory: its shape and heads, its
 * tensors loaded strictly (every one must be in the file). */
static tm_model *training_model(const cls_model *cm, const char *out) {
    const model_config *c = &cm->cfg;
    tm_config tc = {.vocab_size = c->vocab_size, .hidden = c->hidden_size, .layers = c->num_layers,
                    .heads = c->num_heads, .intermediate = c->intermediate_size, .max_pos = c->max_position,
                    .type_vocab = c->type_vocab_size, .ln_eps = c->layer_norm_eps, .n_heads = c->n_heads};
    for (int h = 0; h < c->n_heads; h++) {
        snprintf(tc.head[h].name, sizeof tc.head[h].name, "%s", c->heads[h].name);
        tc.head[h].n_labels = c->heads[h].n_labels;
        tc.head[h].labels = c->heads[h].labels;
    }
    char err[512], path[160];
    tm_model *m = tm_new(&tc, err, sizeof err);
    assert_non_null(m);
    snprintf(path, sizeof path, "%s/model.safetensors", out);
    if (tm_load_safetensors(m, path, 1, NULL, err, sizeof err)) {
        print_error("%s\n", err);
        fail();
    }
    return m;
}

static void compare_forwards(void) {
    char out[96], err[512], path[160];
    snprintf(out, sizeof out, "%s/out", dir);
    cls_model *cm = cls_model_load(out, NULL, err, sizeof err);
    if (!cm) {
        print_error("%s\n", err);
        fail();
    }
    assert_int_equal(cm->cfg.n_heads, 2);
    snprintf(path, sizeof path, "%s/vocab.txt", out);
    tok_vocab *v = tok_vocab_load(path, err, sizeof err);
    assert_non_null(v);
    tokenizer *tok = tok_new(v, cm->do_lower_case);

    /* the same ids for both: packed, [CLS] first */
    int32_t ids[N_TEXTS * MAX_LEN];
    int lens[N_TEXTS], off[N_TEXTS + 1], N = 0, cut = 0;
    off[0] = 0;
    for (int s = 0; s < N_TEXTS; s++) {
        tok_stats st = {0};
        lens[s] = tok_encode(tok, texts[s], strlen(texts[s]), MAX_LEN, ids + N, &st);
        cut += (int)st.truncated;
        N += lens[s];
        off[s + 1] = N;
    }
    assert_int_equal(cut, 2); /* texts 1 and 4 fill max_len */

    int K = cm->n_out;
    float *inf = calloc((size_t)N_TEXTS * K, sizeof *inf);
    enc_prepare(cm, ENC_FP32); /* the inference path's packed weights */
    enc_ws *ws = enc_ws_new(cm, N, MAX_LEN);
    enc_forward(cm, ws, ids, lens, N_TEXTS, inf);

    tm_model *tm = training_model(cm, out);
    int32_t pos[N_TEXTS * MAX_LEN], types[N_TEXTS * MAX_LEN], none[N_TEXTS];
    for (int s = 0; s < N_TEXTS; s++) {
        none[s] = -1;
        for (int t = 0; t < lens[s]; t++) pos[off[s] + t] = t, types[off[s] + t] = 0;
    }
    tm_batch b = {.S = N_TEXTS, .N = N, .off = off, .ids = ids, .pos = pos, .types = types};
    b.labels[0] = b.labels[1] = none;
    tm_forward(tm, &b, 0, NULL);

    double worst = 0, largest = 0;
    for (int h = 0; h < 2; h++) {
        int C = cm->cfg.heads[h].n_labels;
        assert_int_equal(C, tm->cfg.head[h].n_labels);
        assert_non_null(tm->logits[h]);
        for (int s = 0; s < N_TEXTS; s++)
            for (int k = 0; k < C; k++) {
                double a = inf[(size_t)s * K + cm->head_off[h] + k], t = tm->logits[h][(size_t)s * C + k];
                double d = fabs(a - t);
                if (d > 1e-5 + 1e-5 * fabs(t)) {
                    print_error("head %d text %d logit %d: inference %.7g training %.7g\n", h, s, k, a, t);
                    fail();
                }
                if (d > worst) worst = d;
                if (fabs(t) > largest) largest = fabs(t);
            }
    }
    print_message("# %d texts, %d logits each (|logit| up to %.3f): largest |inference - training| %.2e\n", N_TEXTS,
                  K, largest, worst);
    tm_free(tm);
    enc_ws_free(ws);
    free(inf);
    tok_free(tok);
    tok_vocab_free(v);
    cls_model_free(cm);
}

static void test_same_logits(void **state) {
    (void)state;
    train_tiny();
    compare_forwards();
}

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/finsent-forward-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_logits),
    };
    return cmocka_run_group_tests_name("one_forward", tests, setup, teardown);
}
