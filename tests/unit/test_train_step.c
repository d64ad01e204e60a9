/* Unit test for train/train_model + train/optim against PyTorch: a
 * tiny two-head BERT with the MLM head (tools/make_optim_fixture.py made
 * tests/fixtures/train/step.{json,bin}); dropout off. Checks the loss and
 * its parts, every gradient, the global gradient norm, and every weight
 * after one and after two clipped AdamW steps.
 * Tolerances: loss 1e-5 relative; gradients |c - t| <= 1e-5 + 1e-3 |t|;
 * weights after a step |c - t| <= 2e-5 + 1e-4 |t| (lr is 1e-2), all but
 * the attention key biases (see compare_all). */
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

#include "train/optim.h"
#include "train/train_model.h"

#define FIX "tests/fixtures/train/step"

static cJSON *idx, *tens;
static char *bin;

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    size_t got = fread(b, 1, (size_t)n, f);
    fclose(f);
    b[got] = 0;
    if (len) *len = got;
    return b;
}

/* Pointer to fixture tensor `name` (float or int32 data); *numel its size. */
static void *fx(const char *name, size_t *numel) {
    cJSON *t = cJSON_GetObjectItemCaseSensitive(tens, name);
    if (!t) {
        print_error("fixture lacks %s\n", name);
        fail();
    }
    if (numel) *numel = (size_t)cJSON_GetObjectItem(t, "numel")->valuedouble;
    return bin + (size_t)cJSON_GetObjectItem(t, "offset")->valuedouble;
}

static double cfgnum(const char *k) { return cJSON_GetObjectItem(cJSON_GetObjectItem(idx, "config"), k)->valuedouble; }

/* Compares every tensor of the model (params or grads) with "<prefix><name>".
 * skip_key_bias: the attention key bias has an exactly zero gradient in
 * theory (a constant added to every score of a softmax row), so both sides
 * hold rounding noise ~1e-9 there and Adam's normalised update of that
 * noise is +-lr of random sign; after a step it is not comparable. */
static void compare_all(tm_model *m, const float *base, const char *prefix, double atol, double rtol,
                        int skip_key_bias) {
    double worst = 0;
    const char *wname = "";
    for (int i = 0; i < m->ntensors; i++) {
        char key[160];
        if (skip_key_bias && strstr(m->tensors[i].name, "attention.self.key.bias")) continue;
        snprintf(key, sizeof key, "%s%s", prefix, m->tensors[i].name);
        size_t n;
        const float *want = fx(key, &n);
        assert_int_equal(n, m->tensors[i].numel);
        const float *got = base + m->tensors[i].off;
        for (size_t j = 0; j < n; j++) {
            double err = fabs((double)got[j] - want[j]);
            if (err > atol + rtol * fabs(want[j])) {
                print_error("%s[%zu]: C %.8g torch %.8g\n", key, j, (double)got[j], (double)want[j]);
                fail();
            }
            if (err > worst) worst = err, wname = m->tensors[i].name;
        }
    }
    print_message("# %s*: %d tensors, max abs error %.2e (%s)\n", prefix, m->ntensors, worst, wname);
}

static void test_step_matches_torch(void **state) {
    (void)state;
    char *js = slurp(FIX ".json", NULL);
    size_t blen;
    bin = slurp(FIX ".bin", &blen);
    assert_non_null(js);
    assert_non_null(bin);
    idx = cJSON_Parse(js);
    assert_non_null(idx);
    tens = cJSON_GetObjectItem(idx, "tensors");

    tm_config c = {0};
    c.vocab_size = (int)cfgnum("vocab_size");
    c.hidden = (int)cfgnum("hidden");
    c.layers = (int)cfgnum("layers");
    c.heads = (int)cfgnum("heads");
    c.intermediate = (int)cfgnum("intermediate");
    c.max_pos = (int)cfgnum("max_pos");
    c.type_vocab = (int)cfgnum("type_vocab");
    c.ln_eps = (float)cfgnum("ln_eps");
    c.dropout = 0.1f; /* ignored: the forward runs with train = 0 */
    c.mlm = 1;
    cJSON *hs = cJSON_GetObjectItem(cJSON_GetObjectItem(idx, "config"), "heads_spec");
    c.n_heads = cJSON_GetArraySize(hs);
    char *labs[8] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    for (int h = 0; h < c.n_heads; h++) {
        cJSON *e = cJSON_GetArrayItem(hs, h);
        snprintf(c.head[h].name, sizeof c.head[h].name, "%s", cJSON_GetArrayItem(e, 0)->valuestring);
        c.head[h].n_labels = cJSON_GetArrayItem(e, 1)->valueint;
        c.head[h].labels = labs;
    }
    char err[256];
    tm_model *m = tm_new(&c, err, sizeof err);
    assert_non_null(m);

    /* the C tensor table lists the same names in the same order */
    cJSON *order = cJSON_GetObjectItem(idx, "tensor_order");
    assert_int_equal(cJSON_GetArraySize(order), m->ntensors);
    for (int i = 0; i < m->ntensors; i++) {
        char key[160];
        assert_string_equal(cJSON_GetArrayItem(order, i)->valuestring, m->tensors[i].name);
        snprintf(key, sizeof key, "param.%s", m->tensors[i].name);
        size_t n;
        const float *p = fx(key, &n);
        assert_int_equal(n, m->tensors[i].numel);
        memcpy(m->params + m->tensors[i].off, p, n * sizeof(float));
    }

    size_t noff, N;
    tm_batch b = {0};
    b.off = fx("in.off", &noff);
    b.S = (int)noff - 1;
    b.ids = fx("in.ids", &N);
    b.N = (int)N;
    b.pos = fx("in.pos", NULL);
    b.types = fx("in.types", NULL);
    b.mlm_labels = fx("in.mlm_labels", NULL);
    for (int h = 0; h < c.n_heads; h++) {
        char key[64];
        snprintf(key, sizeof key, "in.labels.%s", c.head[h].name);
        b.labels[h] = fx(key, NULL);
    }

    tm_zero_grad(m);
    tm_forward(m, &b, 0, NULL);
    float want = *(float *)fx("loss", NULL);
    print_message("# loss C %.7f torch %.7f\n", (double)m->loss, (double)want);
    assert_true(fabsf(m->loss - want) <= 1e-5f * fabsf(want));
    assert_true(fabsf(m->head_loss[0] - *(float *)fx("loss.topic", NULL)) < 1e-5f);
    assert_true(fabsf(m->head_loss[1] - *(float *)fx("loss.sentiment", NULL)) < 1e-5f);
    assert_true(fabsf(m->mlm_loss - *(float *)fx("loss.mlm", NULL)) < 1e-4f);
    assert_int_equal(m->head_count[0], 2);
    assert_int_equal(m->mlm_count, 5);
    tm_backward(m);
    compare_all(m, m->grads, "grad.", 1e-5, 1e-3, 0);

    int nr;
    optim_range *ranges = tm_optim_ranges(m, &nr);
    optim_adamw opt;
    optim_adamw_init(&opt, m->nparams, (float)cfgnum("beta1"), (float)cfgnum("beta2"), (float)cfgnum("eps"),
                     (float)cfgnum("weight_decay"));
    float norm = optim_clip_grad_norm(m->grads, m->nparams, (float)cfgnum("max_norm"));
    float wnorm = *(float *)fx("grad_norm", NULL);
    assert_true(fabsf(norm - wnorm) <= 1e-4f * wnorm);
    optim_adamw_step(&opt, m->params, m->grads, ranges, nr, (float)cfgnum("lr"));
    compare_all(m, m->params, "step1.", 2e-5, 1e-4, 1);

    tm_zero_grad(m);
    tm_forward(m, &b, 0, NULL);
    want = *(float *)fx("loss2", NULL);
    assert_true(fabsf(m->loss - want) <= 1e-5f * fabsf(want));
    tm_backward(m);
    optim_clip_grad_norm(m->grads, m->nparams, (float)cfgnum("max_norm"));
    optim_adamw_step(&opt, m->params, m->grads, ranges, nr, (float)cfgnum("lr"));
    compare_all(m, m->params, "step2.", 2e-5, 1e-4, 1);

    optim_adamw_free(&opt);
    free(ranges);
    tm_free(m);
    cJSON_Delete(idx);
    free(js);
    free(bin);
}

static void test_schedule(void **state) {
    (void)state;
    optim_schedule s = {.peak_lr = 1e-3f, .warmup_steps = 10, .total_steps = 110, .decay = OPTIM_DECAY_LINEAR};
    assert_true(optim_lr_at(&s, 0) == 0.0f);
    assert_true(fabsf(optim_lr_at(&s, 5) - 5e-4f) < 1e-9f);
    assert_true(fabsf(optim_lr_at(&s, 10) - 1e-3f) < 1e-9f);
    assert_true(fabsf(optim_lr_at(&s, 60) - 5e-4f) < 1e-9f);
    assert_true(optim_lr_at(&s, 110) == 0.0f);
    assert_true(optim_lr_at(&s, 500) == 0.0f);
    s.decay = OPTIM_DECAY_COSINE;
    assert_true(fabsf(optim_lr_at(&s, 60) - 5e-4f) < 1e-8f);
    assert_true(fabsf(optim_lr_at(&s, 35) - 1e-3f * 0.5f * (1.0f + cosf((float)M_PI * 0.25f))) < 1e-8f);
    s.decay = OPTIM_DECAY_CONSTANT;
    assert_true(fabsf(optim_lr_at(&s, 100) - 1e-3f) < 1e-9f);
}

static void test_clip(void **state) {
    (void)state;
    float g[2] = {3, 4};
    assert_true(fabsf(optim_clip_grad_norm(g, 2, 10.0f) - 5.0f) < 1e-6f);
    assert_true(g[0] == 3 && g[1] == 4);
    optim_clip_grad_norm(g, 2, 1.0f);
    assert_true(fabsf(g[0] - 0.6f) < 1e-6f && fabsf(g[1] - 0.8f) < 1e-6f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_matches_torch),
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_clip),
    };
    return cmocka_run_group_tests_name("train_step", tests, NULL, NULL);
}
