/* Unit tests for train/train_model: the whole model's gradient with
 * dropout ON against central finite differences (same dropout masks on every
 * forward: the RNG is re-seeded; eps 3e-3, tolerance 1e-3 + 1e-2 relative),
 * the head mask at model level, and the
 * model directory round trip: the header as written (8-byte aligned,
 * __metadata__, the tensors and dtypes), the data read back through the
 * one codec (classify/safetensors: F32 exact, F16 within half precision). */
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
#include <sys/stat.h>
#include <unistd.h>

#include "classify/safetensors.h"
#include "train/train_model.h"

static char *labels3[] = {"negative", "positive", "neutral"};
static char *labels4[] = {"a", "b", "c", "d"};

static tm_model *tiny(int mlm) {
    tm_config c = {.vocab_size = 12, .hidden = 8, .layers = 2, .heads = 2, .intermediate = 16, .max_pos = 8,
                   .type_vocab = 2, .ln_eps = 1e-12f, .dropout = 0.1f, .mlm = mlm, .n_heads = 2};
    snprintf(c.head[0].name, sizeof c.head[0].name, "sentiment");
    c.head[0].n_labels = 3;
    c.head[0].labels = labels3;
    snprintf(c.head[1].name, sizeof c.head[1].name, "topic");
    c.head[1].n_labels = 4;
    c.head[1].labels = labels4;
    char err[200];
    tm_model *m = tm_new(&c, err, sizeof err);
    assert_non_null(m);
    rng_pcg r;
    rng_seed(&r, 99, 3);
    tm_init_weights(m, &r);
    /* larger weights than the 0.02 init so every path carries gradient */
    for (size_t i = 0; i < m->nparams; i++) m->params[i] += 0.3f * rng_normal(&r);
    return m;
}

static const int b_off[3] = {0, 4, 9};
static const int32_t b_ids[9] = {2, 7, 4, 3, 2, 5, 8, 11, 3}, b_pos[9] = {0, 1, 2, 3, 0, 1, 2, 3, 4},
                     b_types[9] = {0, 0, 0, 0, 0, 0, 1, 1, 1}, b_mlm[9] = {-1, -1, 9, -1, -1, 6, -1, -1, -1},
                     b_sent[2] = {1, -1}, b_topic[2] = {-1, 3};

static tm_batch batch(void) {
    tm_batch b = {.S = 2, .N = 9, .off = b_off, .ids = b_ids, .pos = b_pos, .types = b_types, .mlm_labels = b_mlm};
    b.labels[0] = b_sent;
    b.labels[1] = b_topic;
    return b;
}

static double loss_at(tm_model *m, const tm_batch *b) {
    rng_pcg r;
    rng_seed(&r, 5, 5);
    tm_forward(m, b, 1, &r);
    return m->loss;
}

static void test_model_gradient_with_dropout(void **state) {
    (void)state;
    tm_model *m = tiny(1);
    tm_batch b = batch();
    tm_zero_grad(m);
    loss_at(m, &b);
    assert_int_equal(m->head_count[0], 1);
    assert_int_equal(m->head_count[1], 1);
    assert_int_equal(m->mlm_count, 2);
    tm_backward(m);
    float *g = malloc(sizeof(float) * m->nparams);
    memcpy(g, m->grads, sizeof(float) * m->nparams);
    const float eps = 3e-3f;
    double worst = 0;
    int checked = 0;
    for (size_t i = 0; i < m->nparams; i += 5) {
        float keep = m->params[i];
        m->params[i] = keep + eps;
        double lp = loss_at(m, &b);
        m->params[i] = keep - eps;
        double lm = loss_at(m, &b);
        m->params[i] = keep;
        double num = (lp - lm) / (2 * eps), err = fabs(num - g[i]);
        if (err > 1e-3 + 1e-2 * fabs(num)) {
            print_error("param %zu: analytic %g numeric %g\n", i, (double)g[i], num);
            fail();
        }
        worst = err > worst ? err : worst;
        checked++;
    }
    print_message("# %d of %zu parameters checked, max abs error %.2e\n", checked, m->nparams, worst);
    free(g);
    tm_free(m);
}

static void test_head_mask(void **state) {
    (void)state;
    /* a batch labelled only for sentiment leaves the topic head untouched */
    tm_model *m = tiny(0);
    tm_batch b = batch();
    int32_t none[2] = {-1, -1};
    b.labels[1] = none;
    b.mlm_labels = NULL;
    tm_zero_grad(m);
    tm_forward(m, &b, 0, NULL);
    assert_int_equal(m->head_count[1], 0);
    assert_true(m->head_loss[1] == 0.0f);
    tm_backward(m);
    tm_tensor *tw = tm_find(m, "classifier.topic.weight"), *sw = tm_find(m, "classifier.sentiment.weight");
    assert_non_null(tw);
    for (size_t i = 0; i < tw->numel; i++) assert_true(m->grads[tw->off + i] == 0.0f);
    double s = 0;
    for (size_t i = 0; i < sw->numel; i++) s += fabs(m->grads[sw->off + i]);
    assert_true(s > 0);
    assert_null(tm_find(m, "cls.predictions.bias"));
    tm_free(m);
}

/* ---- model directory ---- */

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    b[*len] = 0;
    fclose(f);
    return b;
}

static void check_safetensors(tm_model *m, const char *path, int f16, int with_mlm) {
    size_t len;
    char *buf = slurp(path, &len);
    assert_non_null(buf);
    uint64_t hl = 0;
    for (int i = 0; i < 8; i++) hl |= (uint64_t)(uint8_t)buf[i] << (8 * i);
    assert_true((8 + hl) % 8 == 0);
    char *js = strndup(buf + 8, hl);
    cJSON *h = cJSON_Parse(js);
    assert_non_null(h);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(h, "__metadata__"), "format")->valuestring, "pt");
    char err[300];
    st_file *sf = st_open(path, err, sizeof err);
    assert_non_null(sf);
    int seen = 0;
    for (int i = 0; i < m->ntensors; i++) {
        tm_tensor *t = &m->tensors[i];
        cJSON *o = cJSON_GetObjectItemCaseSensitive(h, t->name);
        if (!with_mlm && strncmp(t->name, "cls.", 4) == 0) {
            assert_null(o);
            continue;
        }
        assert_non_null(o);
        seen++;
        assert_string_equal(cJSON_GetObjectItem(o, "dtype")->valuestring, f16 ? "F16" : "F32");
        const st_tensor *st = st_find(sf, t->name);
        assert_non_null(st);
        assert_int_equal(st->ndim, t->ndim);
        for (int d = 0; d < t->ndim; d++) assert_int_equal(st->shape[d], t->shape[d]);
        float *got = malloc(sizeof(float) * t->numel);
        assert_int_equal(st_to_f32(st, got), 0);
        for (size_t j = 0; j < t->numel; j++) {
            float want = m->params[t->off + j];
            if (f16) assert_true(fabsf(got[j] - want) <= 1e-3f * fabsf(want) + 1e-7f);
            else assert_true(got[j] == want);
        }
        free(got);
    }
    st_close(sf);
    assert_int_equal(cJSON_GetArraySize(h), seen + 1);
    cJSON_Delete(h);
    free(js);
    free(buf);
}

static void test_save_round_trip(void **state) {
    (void)state;
    tm_model *m = tiny(1);
    char dir[] = "/tmp/finsent-tm-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char vocab[300], path[300], err[300];
    snprintf(vocab, sizeof vocab, "%s/in-vocab.txt", dir);
    FILE *f = fopen(vocab, "w");
    for (int i = 0; i < 12; i++) fprintf(f, "%s\n", i < 5 ? (const char *[]){"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}[i] : "tok");
    fclose(f);
    snprintf(path, sizeof path, "%s/model", dir);
    for (int f16 = 0; f16 <= 1; f16++) {
        assert_int_equal(tm_save_dir(m, path, vocab, 1, f16, !f16, err, sizeof err), 0);
        char st[400];
        snprintf(st, sizeof st, "%s/model.safetensors", path);
        check_safetensors(m, st, f16, !f16);
    }
    /* read back by tm_load_safetensors: F32 exact, F16 close, strictness */
    char st[400];
    snprintf(st, sizeof st, "%s/model.safetensors", path);
    for (int f16 = 0; f16 <= 1; f16++) {
        assert_int_equal(tm_save_dir(m, path, vocab, 1, f16, 1, err, sizeof err), 0);
        tm_model *m2 = tiny(1);
        memset(m2->params, 0, sizeof(float) * m2->nparams);
        int loaded;
        assert_int_equal(tm_load_safetensors(m2, st, 1, &loaded, err, sizeof err), 0);
        assert_int_equal(loaded, m->ntensors);
        for (size_t i = 0; i < m->nparams; i++)
            assert_true(f16 ? fabsf(m2->params[i] - m->params[i]) <= 1e-3f * fabsf(m->params[i]) + 1e-7f
                            : m2->params[i] == m->params[i]);
        tm_free(m2);
    }
    assert_int_equal(tm_save_dir(m, path, vocab, 1, 0, 0, err, sizeof err), 0);
    tm_model *m3 = tiny(1);
    assert_int_equal(tm_load_safetensors(m3, st, 1, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "cls.predictions"));
    int loaded;
    assert_int_equal(tm_load_safetensors(m3, st, 0, &loaded, err, sizeof err), 0);
    assert_int_equal(loaded, m3->ntensors - 5);
    tm_free(m3);
    /* a truncated file is an error naming a tensor */
    struct stat sb;
    assert_int_equal(stat(st, &sb), 0);
    assert_int_equal(truncate(st, sb.st_size - 64), 0);
    m3 = tiny(1);
    assert_int_equal(tm_load_safetensors(m3, st, 0, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "truncated"));
    assert_non_null(strstr(err, "tensor '"));
    tm_free(m3);
    size_t len;
    snprintf(path, sizeof path, "%s/model/config.json", dir);
    char *cj = slurp(path, &len);
    cJSON *c = cJSON_Parse(cj);
    assert_int_equal(cJSON_GetObjectItem(c, "hidden_size")->valueint, 8);
    assert_int_equal(cJSON_GetObjectItem(c, "num_hidden_layers")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItem(c, "vocab_size")->valueint, 12);
    assert_string_equal(cJSON_GetObjectItem(c, "model_type")->valuestring, "bert");
    cJSON *hs = cJSON_GetObjectItem(c, "finsent_heads");
    assert_int_equal(cJSON_GetArraySize(hs), 2);
    cJSON *h0 = cJSON_GetArrayItem(hs, 0);
    assert_string_equal(cJSON_GetObjectItem(h0, "name")->valuestring, "sentiment");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(h0, "id2label"), "2")->valuestring, "neutral");
    cJSON_Delete(c);
    free(cj);
    snprintf(path, sizeof path, "%s/model/tokenizer_config.json", dir);
    cj = slurp(path, &len);
    c = cJSON_Parse(cj);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(c, "do_lower_case")));
    cJSON_Delete(c);
    free(cj);
    snprintf(path, sizeof path, "%s/model/vocab.txt", dir);
    cj = slurp(path, &len);
    assert_int_equal(strncmp(cj, "[PAD]\n[UNK]\n", 12), 0);
    free(cj);
    /* a missing vocab names the file and leaves no temporary behind */
    snprintf(vocab, sizeof vocab, "%s/absent.txt", dir);
    snprintf(path, sizeof path, "%s/model", dir);
    assert_int_equal(tm_save_dir(m, path, vocab, 1, 0, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "absent.txt"));
    char cmd[400];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s/model | grep tmp)\" && rm -rf %s", dir, dir);
    assert_int_equal(system(cmd), 0);
    tm_free(m);
}

static void test_bad_config(void **state) {
    (void)state;
    tm_config c = {.vocab_size = 12, .hidden = 9, .layers = 1, .heads = 2, .intermediate = 16, .max_pos = 8,
                   .type_vocab = 2, .mlm = 1};
    char err[200];
    assert_null(tm_new(&c, err, sizeof err));
    assert_non_null(strstr(err, "multiple of heads"));
    c.hidden = 8;
    c.mlm = 0;
    assert_null(tm_new(&c, err, sizeof err));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_gradient_with_dropout),
        cmocka_unit_test(test_head_mask),
        cmocka_unit_test(test_save_round_trip),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests_name("train_model", tests, NULL, NULL);
}
