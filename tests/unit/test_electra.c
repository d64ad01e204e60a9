/* Unit tests for train/masking and train/electra: token-level and
 * whole-word masking (rates, whole words, special tokens, labels); the
 * discriminator loss's gradient — token head and the whole encoder
 * through tm_backward_hidden, dropout on with re-seeded masks — against
 * central finite differences (eps 3e-3, tolerance 1e-3 + 1e-2 relative, as
 * test_train_model); the joint step (shared embeddings stay equal, the
 * discriminator learns a fixed batch); and the checkpoint round trip
 * (a step after electra_load equals the step it replays, bit for bit). */
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

#include "train/electra.h"
#include "train/masking.h"

static char *labels2[] = {"a", "b"};

/* 16 tokens: 0-4 special, 5-9 word starts, 10-15 "##" continuations. */
static const uint8_t cont16[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1};

static tm_model *tiny_disc(float dropout) {
    tm_config c = {.vocab_size = 16, .hidden = 8, .layers = 2, .heads = 2, .intermediate = 16, .max_pos = 8,
                   .type_vocab = 2, .ln_eps = 1e-12f, .dropout = dropout, .mlm = 0, .n_heads = 1};
    snprintf(c.head[0].name, sizeof c.head[0].name, "sentiment");
    c.head[0].n_labels = 2;
    c.head[0].labels = labels2;
    char err[200];
    tm_model *m = tm_new(&c, err, sizeof err);
    assert_non_null(m);
    rng_pcg r;
    rng_seed(&r, 7, 3);
    tm_init_weights(m, &r);
    for (size_t i = 0; i < m->nparams; i++) m->params[i] += 0.3f * rng_normal(&r);
    return m;
}

static electra *tiny_electra(tm_model *disc, double p) {
    electra_cfg ec = {.gen_layers = 1, .gen_intermediate = 8, .disc_weight = 50,
                      .mask = {.p = p, .mask_id = 4, .vocab = 16, .cont = cont16}};
    rng_pcg r;
    rng_seed(&r, 11, 2);
    char err[200];
    electra *e = electra_new(disc, &ec, &r, err, sizeof err);
    assert_non_null(e);
    return e;
}

static const int b_off[3] = {0, 5, 10};
static const int32_t b_ids[10] = {2, 7, 10, 6, 3, 2, 9, 12, 13, 3}, b_pos[10] = {0, 1, 2, 3, 4, 0, 1, 2, 3, 4},
                     b_types[10] = {0};

static tm_batch batch(const int32_t *ids) {
    return (tm_batch){.S = 2, .N = 10, .off = b_off, .ids = ids, .pos = b_pos, .types = b_types};
}

static void test_masking(void **state) {
    (void)state;
    enum { N = 20000 };
    int32_t *ids = malloc(sizeof(int32_t) * N), *lab = malloc(sizeof(int32_t) * N), *orig = malloc(sizeof(int32_t) * N);
    rng_pcg r;
    rng_seed(&r, 1, 1);
    /* words of 1-3 tokens between [CLS] and [SEP] runs */
    for (int t = 0; t < N; t++) {
        int u = (int)(rng_u32(&r) % 10);
        ids[t] = t % 50 == 0 ? 2 : t % 50 == 49 ? 3 : u < 5 ? 5 + u : 10 + u - 5;
    }
    memcpy(orig, ids, sizeof(int32_t) * N);
    for (int whole = 0; whole < 2; whole++) {
        memcpy(ids, orig, sizeof(int32_t) * N);
        mask_spec s = {.p = 0.15, .mask_id = 4, .vocab = 16, .cont = whole ? cont16 : NULL};
        mask_apply(ids, lab, N, &s, &r);
        int chosen = 0, special = 0, masked = 0, kept = 0, eligible = 0;
        for (int t = 0; t < N; t++) {
            eligible += orig[t] >= 5;
            if (lab[t] < 0) {
                assert_int_equal(ids[t], orig[t]); /* not chosen: untouched */
                continue;
            }
            chosen++;
            special += orig[t] < 5;
            assert_int_equal(lab[t], orig[t]);
            masked += ids[t] == 4;
            kept += ids[t] == orig[t];
            assert_true(ids[t] == 4 || ids[t] >= 5);
        }
        assert_int_equal(special, 0);
        double rate = (double)chosen / eligible;
        print_message("# %s masking: %.4f of %d tokens chosen, %.3f [MASK], %.3f kept\n", whole ? "whole-word" : "token",
                      rate, eligible, (double)masked / chosen, (double)kept / chosen);
        assert_true(rate > 0.13 && rate < 0.17);
        assert_true((double)masked / chosen > 0.75 && (double)masked / chosen < 0.85);
        if (whole) /* a continuation is chosen exactly when the token before it is */
            for (int t = 1; t < N; t++)
                if (orig[t] >= 5 && cont16[orig[t]] && orig[t - 1] >= 5) assert_int_equal(lab[t] >= 0, lab[t - 1] >= 0);
    }
    /* token-level masking splits some words */
    memcpy(ids, orig, sizeof(int32_t) * N);
    mask_spec s = {.p = 0.5, .mask_id = 4, .vocab = 16};
    mask_apply(ids, lab, N, &s, &r);
    int split = 0;
    for (int t = 1; t < N; t++) split += orig[t] >= 5 && cont16[orig[t]] && orig[t - 1] >= 5 && (lab[t] >= 0) != (lab[t - 1] >= 0);
    assert_true(split > 0);
    free(ids), free(lab), free(orig);
}

/* y: tokens 2 and 7 replaced */
static const float y_rep[10] = {0, 0, 1, 0, 0, 0, 0, 1, 0, 0};

static double disc_loss_at(electra *e, tm_model *d) {
    rng_pcg r;
    rng_seed(&r, 5, 5);
    tm_batch b = batch(b_ids);
    return electra_disc_loss(e, d, &b, y_rep, 1, &r, 0);
}

static void check_grads(const char *name, float *p, const float *g, size_t n, size_t stride, electra *e, tm_model *d) {
    const float eps = 3e-3f;
    double worst = 0;
    int checked = 0;
    for (size_t i = 0; i < n; i += stride) {
        float keep = p[i];
        p[i] = keep + eps;
        double lp = disc_loss_at(e, d);
        p[i] = keep - eps;
        double lm = disc_loss_at(e, d);
        p[i] = keep;
        double num = (lp - lm) / (2 * eps), err = fabs(num - g[i]);
        if (err > 1e-3 + 1e-2 * fabs(num)) {
            print_error("%s[%zu]: analytic %g numeric %g\n", name, i, (double)g[i], num);
            fail();
        }
        worst = err > worst ? err : worst;
        checked++;
    }
    print_message("# %s: %d of %zu checked, max abs error %.2e\n", name, checked, n, worst);
}

static void test_disc_gradient(void **state) {
    (void)state;
    tm_model *d = tiny_disc(0.1f);
    electra *e = tiny_electra(d, 0.15);
    for (size_t i = 0; i < e->nhead; i++) e->params[i] += 0.3f * (float)sin((double)i);
    tm_zero_grad(d);
    memset(e->grads, 0, sizeof(float) * e->nhead);
    rng_pcg r;
    rng_seed(&r, 5, 5);
    tm_batch b = batch(b_ids);
    float loss = electra_disc_loss(e, d, &b, y_rep, 1, &r, 1);
    assert_true(loss > 0);
    float *gd = malloc(sizeof(float) * d->nparams), *gh = malloc(sizeof(float) * e->nhead);
    memcpy(gd, d->grads, sizeof(float) * d->nparams);
    memcpy(gh, e->grads, sizeof(float) * e->nhead);
    check_grads("token head", e->params, gh, e->nhead, 1, e, d);
    check_grads("discriminator", d->params, gd, d->nparams, 3, e, d);
    /* the sentiment head (not in this loss) gets no gradient */
    const tm_tensor *hw = tm_find(d, "classifier.sentiment.weight");
    for (size_t i = 0; i < hw->numel; i++) assert_float_equal(gd[hw->off + i], 0, 0);
    free(gd), free(gh);
    electra_free(e);
    tm_free(d);
}

static int emb_equal(electra *e, tm_model *d) {
    static const char *const names[3] = {"bert.embeddings.word_embeddings.weight",
                                         "bert.embeddings.position_embeddings.weight",
                                         "bert.embeddings.token_type_embeddings.weight"};
    for (int i = 0; i < 3; i++) {
        tm_tensor *a = tm_find(d, names[i]), *b = tm_find(e->gen, names[i]);
        if (memcmp(d->params + a->off, e->gen->params + b->off, sizeof(float) * a->numel)) return 0;
    }
    return 1;
}

static void test_step_learns(void **state) {
    (void)state;
    tm_model *d = tiny_disc(0.0f);
    electra *e = tiny_electra(d, 0.3);
    assert_true(emb_equal(e, d));
    int n;
    optim_range *rg = tm_optim_ranges(d, &n);
    optim_adamw o;
    optim_adamw_init(&o, d->nparams, 0.9f, 0.999f, 1e-8f, 0.01f);
    tm_batch b = batch(b_ids);
    float first = 0, last = 0;
    int replaced = 0;
    for (int k = 0; k < 300; k++) {
        rng_pcg r;
        rng_seed(&r, 42, (uint64_t)k);
        float l = electra_step(e, d, &o, rg, n, &b, 3e-3f, 1.0f, &r);
        assert_true(isfinite(l));
        replaced += e->n_replaced;
        if (k < 20) first += e->disc_loss;
        if (k >= 280) last += e->disc_loss;
    }
    print_message("# discriminator loss %.4f over the first 20 steps, %.4f over the last 20; %d replacements\n",
                  first / 20, last / 20, replaced);
    assert_true(replaced > 100);
    assert_true(last < 0.7f * first);
    assert_true(emb_equal(e, d));
    optim_adamw_free(&o);
    free(rg);
    electra_free(e);
    tm_free(d);
}

static void test_checkpoint_round_trip(void **state) {
    (void)state;
    char path[] = "/tmp/test_electra_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    tm_model *d = tiny_disc(0.1f);
    electra *e = tiny_electra(d, 0.3);
    int n;
    optim_range *rg = tm_optim_ranges(d, &n);
    optim_adamw o;
    optim_adamw_init(&o, d->nparams, 0.9f, 0.999f, 1e-8f, 0.01f);
    tm_batch b = batch(b_ids);
    rng_pcg r;
    for (int k = 0; k < 3; k++) {
        rng_seed(&r, 42, (uint64_t)k);
        electra_step(e, d, &o, rg, n, &b, 1e-3f, 1.0f, &r);
    }
    char err[300];
    assert_int_equal(electra_save(e, path, err, sizeof err), 0);
    float *dp = malloc(sizeof(float) * d->nparams), *dm = malloc(sizeof(float) * d->nparams),
          *dv = malloc(sizeof(float) * d->nparams);
    memcpy(dp, d->params, sizeof(float) * d->nparams);
    memcpy(dm, o.m, sizeof(float) * d->nparams);
    memcpy(dv, o.v, sizeof(float) * d->nparams);
    long t = o.t;
    rng_seed(&r, 42, 3);
    electra_step(e, d, &o, rg, n, &b, 1e-3f, 1.0f, &r);
    float *want = malloc(sizeof(float) * e->gen->nparams);
    memcpy(want, e->gen->params, sizeof(float) * e->gen->nparams);
    /* a fresh objective loaded from the file, on the discriminator as it was */
    electra *e2 = tiny_electra(d, 0.3);
    assert_int_equal(electra_load(e2, path, err, sizeof err), 0);
    memcpy(d->params, dp, sizeof(float) * d->nparams);
    memcpy(o.m, dm, sizeof(float) * d->nparams);
    memcpy(o.v, dv, sizeof(float) * d->nparams);
    o.t = t;
    rng_seed(&r, 42, 3);
    electra_step(e2, d, &o, rg, n, &b, 1e-3f, 1.0f, &r);
    assert_memory_equal(e2->gen->params, want, sizeof(float) * e->gen->nparams);
    assert_memory_equal(e2->params, e->params, sizeof(float) * e->nhead);
    /* a truncated file is refused */
    assert_int_equal(truncate(path, 100), 0);
    assert_int_equal(electra_load(e2, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "truncated"));
    remove(path);
    free(dp), free(dm), free(dv), free(want), free(rg);
    optim_adamw_free(&o);
    electra_free(e);
    electra_free(e2);
    tm_free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_masking),
        cmocka_unit_test(test_disc_gradient),
        cmocka_unit_test(test_step_learns),
        cmocka_unit_test(test_checkpoint_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
