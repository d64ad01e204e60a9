/* Unit tests for train/train_layers: every backward against central
 * finite differences of a scalar loss L = sum(out * R) (R random, so
 * dout = R), L accumulated in double. Step eps = 1e-2 on float inputs;
 * tolerance |analytic - numeric| <= 2e-4 + 2e-3 * |numeric| per element.
 * Also: sgemm path against the plain-loop reference, the
 * head mask of the cross-entropy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/train_layers.h"

#define EPS 1e-2f
#define ATOL 2e-4
#define RTOL 2e-3

static rng_pcg rng;

static float *randv(size_t n, float scale) {
    float *v = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++) v[i] = (rng_uniform(&rng) * 2 - 1) * scale;
    return v;
}

static double dotd(const float *a, const float *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* Checks analytic gradient g of every element of x against the central
 * difference of loss(); returns the worst relative-style error seen. */
static void check_grad(const char *name, float *x, const float *g, size_t n, double (*loss)(void)) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        float keep = x[i];
        x[i] = keep + EPS;
        double lp = loss();
        x[i] = keep - EPS;
        double lm = loss();
        x[i] = keep;
        double num = (lp - lm) / (2.0 * EPS);
        double err = fabs(g[i] - num);
        if (err > ATOL + RTOL * fabs(num)) {
            print_error("%s[%zu]: analytic %g numeric %g\n", name, i, (double)g[i], num);
            fail();
        }
        if (err > worst) worst = err;
    }
    print_message("# %s: %zu elements, max abs error %.2e\n", name, n, worst);
}

/* ---- embeddings ---- */
enum { EN = 7, EH = 6, EV = 5, EP = 4, ET = 2 };
static int32_t e_ids[EN] = {0, 3, 3, 1, 4, 2, 0}, e_pos[EN] = {0, 1, 2, 3, 0, 1, 2}, e_typ[EN] = {0, 0, 0, 0, 1, 1, 0};
static float *e_wte, *e_wpe, *e_wtt, *e_R, e_out[EN * EH];
static double e_loss(void) {
    tl_embed_forward(e_out, e_ids, e_pos, e_typ, e_wte, e_wpe, e_wtt, EN, EH);
    return dotd(e_out, e_R, EN * EH);
}
static void test_embed(void **state) {
    (void)state;
    e_wte = randv(EV * EH, 1);
    e_wpe = randv(EP * EH, 1);
    e_wtt = randv(ET * EH, 1);
    e_R = randv(EN * EH, 1);
    float *g1 = calloc(EV * EH, 4), *g2 = calloc(EP * EH, 4), *g3 = calloc(ET * EH, 4);
    tl_embed_backward(g1, g2, g3, e_R, e_ids, e_pos, e_typ, EN, EH);
    check_grad("embed.wte", e_wte, g1, EV * EH, e_loss);
    check_grad("embed.wpe", e_wpe, g2, EP * EH, e_loss);
    check_grad("embed.wtt", e_wtt, g3, ET * EH, e_loss);
    free(e_wte), free(e_wpe), free(e_wtt), free(e_R), free(g1), free(g2), free(g3);
}

/* ---- layernorm ---- */
enum { LN = 5, LH = 8 };
static float *l_x, *l_w, *l_b, *l_R, l_out[LN * LH], l_mean[LN], l_rstd[LN];
static double l_loss(void) {
    tl_layernorm_forward(l_out, l_mean, l_rstd, l_x, l_w, l_b, LN, LH, 1e-12f);
    return dotd(l_out, l_R, LN * LH);
}
static void test_layernorm(void **state) {
    (void)state;
    l_x = randv(LN * LH, 2);
    l_w = randv(LH, 1);
    l_b = randv(LH, 1);
    l_R = randv(LN * LH, 1);
    float *dx = calloc(LN * LH, 4), *dw = calloc(LH, 4), *db = calloc(LH, 4);
    l_loss();
    tl_layernorm_backward(dx, dw, db, l_R, l_x, l_w, l_mean, l_rstd, LN, LH);
    check_grad("layernorm.inp", l_x, dx, LN * LH, l_loss);
    check_grad("layernorm.w", l_w, dw, LH, l_loss);
    check_grad("layernorm.b", l_b, db, LH, l_loss);
    free(l_x), free(l_w), free(l_b), free(l_R), free(dx), free(dw), free(db);
}

/* ---- matmul ---- */
enum { MN = 6, MI = 5, MO = 7 };
static float *m_x, *m_w, *m_b, *m_R, m_out[MN * MO];
static double m_loss(void) {
    tl_matmul_forward(m_out, m_x, m_w, m_b, MN, MI, MO);
    return dotd(m_out, m_R, MN * MO);
}
static void test_matmul(void **state) {
    (void)state;
    m_x = randv(MN * MI, 1);
    m_w = randv(MO * MI, 1);
    m_b = randv(MO, 1);
    m_R = randv(MN * MO, 1);
    float ref[MN * MO];
    m_loss();
    tl_matmul_forward_ref(ref, m_x, m_w, m_b, MN, MI, MO);
    for (int i = 0; i < MN * MO; i++) assert_true(fabsf(ref[i] - m_out[i]) < 1e-5f);
    tl_matmul_forward(m_out, m_x, m_w, NULL, MN, MI, MO);
    tl_matmul_forward_ref(ref, m_x, m_w, NULL, MN, MI, MO);
    for (int i = 0; i < MN * MO; i++) assert_true(fabsf(ref[i] - m_out[i]) < 1e-5f);
    float *dx = calloc(MN * MI, 4), *dw = calloc(MO * MI, 4), *db = calloc(MO, 4);
    tl_matmul_backward(dx, dw, db, m_R, m_x, m_w, MN, MI, MO);
    check_grad("matmul.inp", m_x, dx, MN * MI, m_loss);
    check_grad("matmul.w", m_w, dw, MO * MI, m_loss);
    check_grad("matmul.bias", m_b, db, MO, m_loss);
    free(m_x), free(m_w), free(m_b), free(m_R), free(dx), free(dw), free(db);
}

/* ---- attention: two packed sequences of 3 and 5 tokens ---- */
enum { AS = 2, AN = 8, AH = 8, ANH = 2 };
static const int a_off[AS + 1] = {0, 3, 8};
static float *a_q, *a_k, *a_v, *a_R, a_out[AN * AH], *a_att;
static double a_loss(void) {
    tl_attention_forward(a_out, a_att, a_q, a_k, a_v, a_off, AS, AH, ANH);
    return dotd(a_out, a_R, AN * AH);
}
static void test_attention(void **state) {
    (void)state;
    assert_int_equal(tl_attention_size(a_off, AS, ANH), (size_t)ANH * (9 + 25));
    a_att = malloc(sizeof(float) * tl_attention_size(a_off, AS, ANH));
    a_q = randv(AN * AH, 1.5f);
    a_k = randv(AN * AH, 1.5f);
    a_v = randv(AN * AH, 1);
    a_R = randv(AN * AH, 1);
    a_loss();
    /* packing: sequence 0's output depends only on its own tokens */
    float keep[AN * AH];
    memcpy(keep, a_out, sizeof keep);
    a_v[5 * AH] += 1.0f;
    a_loss();
    for (int i = 0; i < 3 * AH; i++) assert_true(keep[i] == a_out[i]);
    a_v[5 * AH] -= 1.0f;
    a_loss();
    float *dq = calloc(AN * AH, 4), *dk = calloc(AN * AH, 4), *dv = calloc(AN * AH, 4);
    tl_attention_backward(dq, dk, dv, a_R, a_att, a_q, a_k, a_v, a_off, AS, AH, ANH);
    check_grad("attention.q", a_q, dq, AN * AH, a_loss);
    check_grad("attention.k", a_k, dk, AN * AH, a_loss);
    check_grad("attention.v", a_v, dv, AN * AH, a_loss);
    free(a_q), free(a_k), free(a_v), free(a_R), free(a_att), free(dq), free(dk), free(dv);
}

/* ---- elementwise ---- */
enum { GN = 40 };
static float *g_x, *g_R, g_out[GN];
static uint8_t g_mask[GN];
static int g_kind;
static double g_loss(void) {
    if (g_kind == 0) tl_gelu_forward(g_out, g_x, GN);
    else if (g_kind == 1) tl_tanh_forward(g_out, g_x, GN);
    else {
        rng_pcg r;
        rng_seed(&r, 7, 1);
        tl_dropout_forward(g_out, g_mask, g_x, GN, 0.3f, &r);
    }
    return dotd(g_out, g_R, GN);
}
static void test_elementwise(void **state) {
    (void)state;
    g_x = randv(GN, 3);
    g_R = randv(GN, 1);
    const char *names[] = {"gelu", "tanh", "dropout"};
    for (g_kind = 0; g_kind < 3; g_kind++) {
        float *dx = calloc(GN, 4);
        g_loss();
        if (g_kind == 0) tl_gelu_backward(dx, g_R, g_x, GN);
        else if (g_kind == 1) tl_tanh_backward(dx, g_R, g_out, GN);
        else tl_dropout_backward(dx, g_R, g_mask, GN, 0.3f);
        check_grad(names[g_kind], g_x, dx, GN, g_loss);
        free(dx);
    }
    /* exact erf GELU, not the tanh approximation: gelu(1) = 0.841345 */
    float one = 1.0f, o;
    tl_gelu_forward(&o, &one, 1);
    assert_true(fabsf(o - 0.8413447f) < 1e-6f);
    /* dropout keeps about 1-p and p = 0 is the identity */
    int kept = 0;
    for (int i = 0; i < GN; i++) kept += g_mask[i];
    assert_true(kept > 15 && kept < 40);
    tl_dropout_forward(g_out, g_mask, g_x, GN, 0.0f, &rng);
    assert_memory_equal(g_out, g_x, sizeof g_out);
    free(g_x), free(g_R);
}

/* ---- cross-entropy with a head mask ---- */
enum { XB = 5, XC = 4 };
static float *x_z, x_p[XB * XC];
static int32_t x_lab[XB] = {2, -1, 0, 3, -1};
static double x_loss(void) { return tl_xent_forward(x_p, x_z, x_lab, XB, XC, NULL); }
static void test_xent(void **state) {
    (void)state;
    x_z = randv(XB * XC, 2);
    int n;
    float loss = tl_xent_forward(x_p, x_z, x_lab, XB, XC, &n);
    assert_int_equal(n, 3);
    double want = 0;
    for (int b = 0; b < XB; b++) {
        if (x_lab[b] < 0) continue;
        double s = 0;
        for (int c = 0; c < XC; c++) s += exp(x_z[b * XC + c]);
        want += log(s) - x_z[b * XC + x_lab[b]];
    }
    assert_true(fabs(loss - want / 3) < 1e-5);
    float *dz = calloc(XB * XC, 4);
    tl_xent_backward(dz, x_p, x_lab, XB, XC, 1.0f);
    for (int c = 0; c < XC; c++) assert_true(dz[1 * XC + c] == 0.0f && dz[4 * XC + c] == 0.0f);
    check_grad("xent.logits", x_z, dz, XB * XC, x_loss);
    int32_t none[XB] = {-1, -1, -1, -1, -1};
    assert_true(tl_xent_forward(x_p, x_z, none, XB, XC, &n) == 0.0f);
    assert_int_equal(n, 0);
    free(x_z), free(dz);
}

int main(void) {
    rng_seed(&rng, 1234, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embed),     cmocka_unit_test(test_layernorm),
        cmocka_unit_test(test_matmul),     cmocka_unit_test(test_attention), cmocka_unit_test(test_elementwise),
        cmocka_unit_test(test_xent),
    };
    return cmocka_run_group_tests_name("train_layers", tests, NULL, NULL);
}
