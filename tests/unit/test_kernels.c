/* Unit tests for classify/kernels*: every kernel set this CPU runs (avx2,
 * avx512; the others are named on stderr and skipped) against the plain
 * set on random inputs with odd shapes and strides (tails of rows,
 * channels and vectors), the plain set against double-precision sums,
 * GELU against libm's erf, the int8 kernels against exact integer sums
 * (including the largest sums the 7-bit scheme allows), and dispatch.
 * FINSENT_KERNELS=plain|avx2|avx512 picks the set the encoder runs on;
 * these tests reach every set by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/kernels.h"
#include "classify/wpack.h"
#include "util/xalloc.h"

static uint64_t rng = 12345;

static float frand(float lo, float hi) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (hi - lo) * (float)((rng >> 40) & 0xffffff) / (float)0x1000000;
}

static float *rand_vec(size_t n, float lo, float hi) {
    float *v = xmalloc(sizeof *v * (n ? n : 1));
    for (size_t i = 0; i < n; i++) v[i] = frand(lo, hi);
    return v;
}

/* The SIMD sets to test here: those this CPU runs. */
static int simd_sets(const kern_ops **out) {
    static const char *const names[] = {"avx2", "avx512"};
    static int told;
    int n = 0;
    for (int i = 0; i < 2; i++) {
        const kern_ops *k = kern_by_name(names[i]);
        if (k) out[n++] = k;
        else if (!told) fprintf(stderr, "test_kernels: this CPU does not run the %s kernels: not tested here\n", names[i]);
    }
    told = 1;
    return n;
}

static double gelu_ref(double x) { return 0.5 * x * (1.0 + erf(x / sqrt(2.0))); }

typedef struct gshape {
    int rows, n, k;
} gshape;

/* rows not a multiple of the micro-tiles, channels not of 16, inputs not
 * of the vector width or of 8 */
static const gshape shapes[] = {{1, 1, 1},     {1, 16, 8},     {5, 20, 7},    {13, 48, 33},
                                {7, 3, 5},     {37, 144, 96},  {4, 17, 300},  {9, 20, 1100}};
#define N_SHAPES (int)(sizeof shapes / sizeof shapes[0])

static void test_dispatch(void **state) {
    (void)state;
    assert_ptr_equal(kern_by_name("plain"), &kern_plain);
    assert_null(kern_by_name("nope"));
    const kern_ops *k = kern_get();
    assert_non_null(k);
    assert_ptr_equal(kern_by_name(k->name), k);
    const char *want = getenv("FINSENT_KERNELS");
    if (want && kern_by_name(want)) assert_string_equal(k->name, want);
}

/* plain f32_gemm against double sums; every SIMD set against plain */
static void test_f32_gemm(void **state) {
    (void)state;
    const kern_ops *sets[2];
    int ns = simd_sets(sets);
    for (int s = 0; s < N_SHAPES; s++) {
        gshape g = shapes[s];
        int lda = g.k + 3, ldo = g.n + 5;
        float *a = rand_vec((size_t)g.rows * lda, -2, 2), *w = rand_vec((size_t)g.n * g.k, -1, 1);
        float *bias = rand_vec((size_t)g.n, -1, 1);
        wp_f32 pw;
        wp_pack_f32(&pw, w, g.n, g.k);
        for (int variant = 0; variant < 3; variant++) { /* no bias; bias; bias + GELU */
            const float *b = variant ? bias : NULL;
            int gelu = variant == 2;
            float *ref = xcalloc((size_t)g.rows * ldo, sizeof *ref), *got = xcalloc((size_t)g.rows * ldo, sizeof *got);
            kern_plain.f32_gemm(ref, ldo, a, lda, g.rows, &pw, b, gelu);
            for (int r = 0; r < g.rows; r++)
                for (int n = 0; n < g.n; n++) {
                    double acc = b ? b[n] : 0, mag = fabs(acc);
                    for (int i = 0; i < g.k; i++) {
                        acc += (double)a[(size_t)r * lda + i] * w[(size_t)n * g.k + i];
                        mag += fabs((double)a[(size_t)r * lda + i] * w[(size_t)n * g.k + i]);
                    }
                    double want = gelu ? gelu_ref(acc) : acc, tol = 1e-6 * mag + 1e-6;
                    if (fabs(ref[(size_t)r * ldo + n] - want) > tol)
                        fail_msg("plain f32_gemm %dx%dx%d v%d [%d,%d]: %g, want %g", g.rows, g.n, g.k, variant, r, n,
                                 ref[(size_t)r * ldo + n], want);
                }
            for (int k = 0; k < ns; k++) {
                memset(got, 0, sizeof *got * (size_t)g.rows * ldo);
                sets[k]->f32_gemm(got, ldo, a, lda, g.rows, &pw, b, gelu);
                for (int r = 0; r < g.rows; r++)
                    for (int c = 0; c < ldo; c++) {
                        float x = ref[(size_t)r * ldo + c], y = got[(size_t)r * ldo + c];
                        if (c >= g.n) assert_true(y == 0.0f); /* nothing past the row written */
                        else if (fabsf(x - y) > 2e-5f * (1 + fabsf(x)))
                            fail_msg("%s f32_gemm %dx%dx%d v%d [%d,%d]: %g, plain %g", sets[k]->name, g.rows, g.n,
                                     g.k, variant, r, c, y, x);
                    }
            }
            free(ref);
            free(got);
        }
        wp_f32_free(&pw);
        free(a);
        free(w);
        free(bias);
    }
}

/* GELU of every set, through a 1x1 identity weight: within 1.5e-7 of the
 * exact form (erf within 1.3e-7, times |x| / 2, plus float rounding). */
static void test_gelu_accuracy(void **state) {
    (void)state;
    const kern_ops *sets[3] = {&kern_plain};
    int ns = 1 + simd_sets(sets + 1);
    enum { N = 16001 };
    float *x = xmalloc(sizeof *x * N), *y = xmalloc(sizeof *y * N), one = 1.0f, zero = 0.0f;
    for (int i = 0; i < N; i++) x[i] = -8.0f + 16.0f * (float)i / (N - 1);
    wp_f32 id;
    wp_pack_f32(&id, &one, 1, 1);
    for (int k = 0; k < ns; k++) {
        sets[k]->f32_gemm(y, 1, x, 1, N, &id, &zero, 1);
        double worst = 0;
        for (int i = 0; i < N; i++) {
            double want = gelu_ref(x[i]), err = fabs(y[i] - want) / fmax(1.0, fabs(x[i]));
            worst = fmax(worst, err);
        }
        if (worst > 1.5e-7) fail_msg("%s GELU: error %g (relative to max(1, |x|))", sets[k]->name, worst);
    }
    wp_f32_free(&id);
    free(x);
    free(y);
}

static void test_res_ln(void **state) {
    (void)state;
    const kern_ops *sets[2];
    int ns = simd_sets(sets);
    static const int Cs[] = {1, 7, 8, 33, 128, 130};
    for (int ci = 0; ci < 6; ci++) {
        int C = Cs[ci], rows = 5;
        float *x = rand_vec((size_t)rows * C, -3, 3), *res = rand_vec((size_t)rows * C, -1, 1);
        float *w = rand_vec((size_t)C, 0.5f, 1.5f), *b = rand_vec((size_t)C, -0.5f, 0.5f);
        for (int with_res = 0; with_res < 2; with_res++) {
            float *ref = xmalloc(sizeof *ref * (size_t)rows * C);
            memcpy(ref, x, sizeof *ref * (size_t)rows * C);
            kern_plain.res_ln(ref, with_res ? res : NULL, w, b, rows, C, 1e-12f);
            for (int r = 0; r < rows; r++) { /* plain against double */
                double mean = 0, var = 0;
                for (int c = 0; c < C; c++) mean += x[r * C + c] + (with_res ? res[r * C + c] : 0);
                mean /= C;
                for (int c = 0; c < C; c++) {
                    double d = x[r * C + c] + (with_res ? res[r * C + c] : 0) - mean;
                    var += d * d;
                }
                var /= C;
                for (int c = 0; c < C; c++) {
                    double d = x[r * C + c] + (with_res ? res[r * C + c] : 0) - mean;
                    double want = C == 1 ? b[c] : d / sqrt(var + 1e-12) * w[c] + b[c];
                    if (fabs(ref[r * C + c] - want) > 1e-4) fail_msg("plain res_ln C %d: %g, want %g", C, ref[r * C + c], want);
                }
            }
            for (int k = 0; k < ns; k++) {
                float *got = xmalloc(sizeof *got * (size_t)rows * C);
                memcpy(got, x, sizeof *got * (size_t)rows * C);
                sets[k]->res_ln(got, with_res ? res : NULL, w, b, rows, C, 1e-12f);
                for (int i = 0; i < rows * C; i++)
                    if (fabsf(got[i] - ref[i]) > 1e-5f * (1 + fabsf(ref[i])))
                        fail_msg("%s res_ln C %d: %g, plain %g", sets[k]->name, C, got[i], ref[i]);
                free(got);
            }
            free(ref);
        }
        free(x);
        free(res);
        free(w);
        free(b);
    }
}

static void test_attn_head(void **state) {
    (void)state;
    const kern_ops *sets[2];
    int ns = simd_sets(sets);
    static const int Ls[] = {1, 2, 3, 5, 16, 17, 33, 64};
    static const int HSs[] = {8, 16, 24, 32, 64, 12};
    for (int li = 0; li < 8; li++)
        for (int hi = 0; hi < 6; hi++) {
            int L = Ls[li], HS = HSs[hi], ld = 3 * HS + 5, ldo = HS + 3;
            float *qkv = rand_vec((size_t)L * ld, -2, 2);
            float *scratch = xmalloc(sizeof(float) * kern_attn_scratch(L, HS));
            float *ref = xcalloc((size_t)L * ldo, sizeof *ref), *got = xcalloc((size_t)L * ldo, sizeof *got);
            kern_plain.attn_head(ref, ldo, qkv, qkv + HS, qkv + 2 * HS, ld, L, HS, scratch);
            /* plain against double */
            for (int i = 0; i < L; i++) {
                double p[64], mx = -INFINITY, sum = 0;
                for (int j = 0; j < L; j++) {
                    double s = 0;
                    for (int d = 0; d < HS; d++) s += (double)qkv[i * ld + d] * qkv[j * ld + HS + d];
                    p[j] = s / sqrt((double)HS);
                    mx = fmax(mx, p[j]);
                }
                for (int j = 0; j < L; j++) sum += (p[j] = exp(p[j] - mx));
                for (int d = 0; d < HS; d++) {
                    double o = 0;
                    for (int j = 0; j < L; j++) o += p[j] / sum * qkv[j * ld + 2 * HS + d];
                    if (fabs(ref[i * ldo + d] - o) > 1e-5)
                        fail_msg("plain attn L %d HS %d [%d,%d]: %g, want %g", L, HS, i, d, ref[i * ldo + d], o);
                }
            }
            for (int k = 0; k < ns; k++) {
                memset(got, 0, sizeof *got * (size_t)L * ldo);
                sets[k]->attn_head(got, ldo, qkv, qkv + HS, qkv + 2 * HS, ld, L, HS, scratch);
                for (int i = 0; i < L; i++)
                    for (int c = 0; c < ldo; c++) {
                        float x = ref[i * ldo + c], y = got[i * ldo + c];
                        if (c >= HS) assert_true(y == 0.0f);
                        else if (fabsf(x - y) > 1e-5f * (1 + fabsf(x)))
                            fail_msg("%s attn L %d HS %d [%d,%d]: %g, plain %g", sets[k]->name, L, HS, i, c, y, x);
                    }
            }
            free(qkv);
            free(scratch);
            free(ref);
            free(got);
        }
}

/* q8_rows: every set gives the plain set's codes, scales and zero points
 * exactly; plain's round trip is within half a step. */
static void test_q8_rows(void **state) {
    (void)state;
    const kern_ops *sets[2];
    int ns = simd_sets(sets);
    static const int ks[] = {1, 7, 8, 9, 33, 256};
    for (int ki = 0; ki < 6; ki++) {
        int k = ks[ki], kp = (k + 7) & ~7, rows = 6;
        float *x = rand_vec((size_t)rows * k, -3, 5);
        for (int i = 0; i < k; i++) {
            x[1 * k + i] = -fabsf(x[1 * k + i]); /* all negative */
            x[2 * k + i] = 0.0f;                 /* all zero */
            x[3 * k + i] = 0.75f;                /* constant */
        }
        uint8_t *q = xmalloc((size_t)rows * kp), *q2 = xmalloc((size_t)rows * kp);
        float sc[6], sc2[6];
        int32_t zp[6], zp2[6];
        memset(q, 0xee, (size_t)rows * kp);
        kern_plain.q8_rows(q, sc, zp, x, rows, k, kp);
        for (int r = 0; r < rows; r++) {
            assert_true(zp[r] >= 0 && zp[r] <= 127);
            for (int i = 0; i < kp; i++) {
                uint8_t v = q[r * kp + i];
                assert_true(v <= 127);
                if (i >= k) assert_int_equal(v, 0);
                else if (fabsf(((float)v - (float)zp[r]) * sc[r] - x[r * k + i]) > 0.5f * sc[r] * 1.0001f)
                    fail_msg("q8_rows k %d row %d: %g coded %d (scale %g, zp %d)", k, r, x[r * k + i], v, sc[r], zp[r]);
            }
        }
        for (int s = 0; s < ns; s++) {
            memset(q2, 0xee, (size_t)rows * kp);
            sets[s]->q8_rows(q2, sc2, zp2, x, rows, k, kp);
            assert_memory_equal(q, q2, (size_t)rows * kp);
            assert_memory_equal(sc, sc2, sizeof sc);
            assert_memory_equal(zp, zp2, sizeof zp);
        }
        free(x);
        free(q);
        free(q2);
    }
}

/* q8_gemm on codes: plain against exact integer sums, every set against
 * plain; the codes of a float matrix near the float product. */
static void check_q8_gemm(const uint8_t *q, const float *sa, const int32_t *za, int rows, const wp_q8 *pw,
                          const float *bias, int gelu, const kern_ops *const *sets, int ns) {
    int ldo = pw->n + 2;
    float *ref = xcalloc((size_t)rows * ldo, sizeof *ref), *got = xcalloc((size_t)rows * ldo, sizeof *got);
    kern_plain.q8_gemm(ref, ldo, q, sa, za, rows, pw, bias, gelu);
    for (int r = 0; r < rows; r++)
        for (int n = 0; n < pw->n; n++) {
            int64_t acc = 0;
            for (int i = 0; i < pw->k; i++) acc += (int64_t)q[r * pw->kp + i] * wp_q8_at(pw, n, i);
            acc -= (int64_t)za[r] * pw->colsum[n];
            double want = (double)acc * sa[r] * pw->scale[n] + (bias ? bias[n] : 0);
            want = gelu ? gelu_ref(want) : want;
            if (fabs(ref[r * ldo + n] - want) > 1e-5 * (1 + fabs(want)))
                fail_msg("plain q8_gemm %dx%dx%d [%d,%d]: %g, want %g", rows, pw->n, pw->k, r, n, ref[r * ldo + n], want);
        }
    for (int s = 0; s < ns; s++) {
        memset(got, 0, sizeof *got * (size_t)rows * ldo);
        sets[s]->q8_gemm(got, ldo, q, sa, za, rows, pw, bias, gelu);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < ldo; c++) {
                float x = ref[r * ldo + c], y = got[r * ldo + c];
                if (c >= pw->n) assert_true(y == 0.0f);
                else if (fabsf(x - y) > 1e-5f * (1 + fabsf(x)))
                    fail_msg("%s q8_gemm %dx%dx%d [%d,%d]: %g, plain %g", sets[s]->name, rows, pw->n, pw->k, r, c, y, x);
            }
    }
    free(ref);
    free(got);
}

static void test_q8_gemm(void **state) {
    (void)state;
    const kern_ops *sets[2];
    int ns = simd_sets(sets);
    for (int s = 0; s < N_SHAPES; s++) {
        gshape g = shapes[s];
        float *a = rand_vec((size_t)g.rows * g.k, -2, 3), *w = rand_vec((size_t)g.n * g.k, -1, 1);
        float *bias = rand_vec((size_t)g.n, -1, 1);
        wp_q8 pw;
        wp_pack_q8(&pw, w, g.n, g.k);
        for (int n = 0; n < g.n; n++)
            for (int i = 0; i < g.k; i++) assert_true(abs(wp_q8_at(&pw, n, i)) <= WP_Q8_MAX);
        uint8_t *q = xmalloc((size_t)g.rows * pw.kp);
        float *sa = xmalloc(sizeof *sa * (size_t)g.rows);
        int32_t *za = xmalloc(sizeof *za * (size_t)g.rows);
        kern_plain.q8_rows(q, sa, za, a, g.rows, g.k, pw.kp);
        check_q8_gemm(q, sa, za, g.rows, &pw, NULL, 0, sets, ns);
        check_q8_gemm(q, sa, za, g.rows, &pw, bias, 1, sets, ns);
        /* near the float product: within the two quantisation steps */
        float *out = xmalloc(sizeof *out * (size_t)g.rows * g.n);
        kern_plain.q8_gemm(out, g.n, q, sa, za, g.rows, &pw, NULL, 0);
        for (int r = 0; r < g.rows; r++)
            for (int n = 0; n < g.n; n++) {
                double exact = 0, bound = 0;
                for (int i = 0; i < g.k; i++) {
                    exact += (double)a[r * g.k + i] * w[n * g.k + i];
                    bound += 0.5 * sa[r] * fabs(w[n * g.k + i]) + 0.5 * pw.scale[n] * fabs(a[r * g.k + i]);
                }
                if (fabs(out[r * g.n + n] - exact) > bound * 1.01 + 1e-6)
                    fail_msg("q8 %dx%dx%d [%d,%d]: %g, float %g, bound %g", g.rows, g.n, g.k, r, n, out[r * g.n + n],
                             exact, bound);
            }
        free(out);
        wp_q8_free(&pw);
        free(q);
        free(sa);
        free(za);
        free(a);
        free(w);
        free(bias);
    }
}

/* The largest sums: activations 0 or 127, weights +-63 in long runs of one
 * sign; every int16 step of the SIMD kernels stays exact. */
static void test_q8_extremes(void **state) {
    (void)state;
    const kern_ops *sets[2];
    int ns = simd_sets(sets);
    int rows = 5, n = 32, k = 1000;
    float *a = xmalloc(sizeof *a * (size_t)rows * k), *w = xmalloc(sizeof *w * (size_t)n * k);
    for (int r = 0; r < rows; r++)
        for (int i = 0; i < k; i++) a[r * k + i] = r == 0 ? 1.0f : (i + r) % 3 ? 1.0f : 0.0f;
    for (int c = 0; c < n; c++)
        for (int i = 0; i < k; i++) w[c * k + i] = c % 2 ? 1.0f : (i / 8 + c) % 2 ? 1.0f : -1.0f;
    wp_q8 pw;
    wp_pack_q8(&pw, w, n, k);
    assert_int_equal(wp_q8_at(&pw, 1, 0), WP_Q8_MAX);
    uint8_t *q = xmalloc((size_t)rows * pw.kp);
    float sa[5];
    int32_t za[5];
    kern_plain.q8_rows(q, sa, za, a, rows, k, pw.kp);
    assert_int_equal(q[0], 127);
    check_q8_gemm(q, sa, za, rows, &pw, NULL, 0, sets, ns);
    wp_q8_free(&pw);
    free(q);
    free(a);
    free(w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dispatch),   cmocka_unit_test(test_f32_gemm), cmocka_unit_test(test_gelu_accuracy),
        cmocka_unit_test(test_res_ln),     cmocka_unit_test(test_attn_head), cmocka_unit_test(test_q8_rows),
        cmocka_unit_test(test_q8_gemm),    cmocka_unit_test(test_q8_extremes),
    };
    return cmocka_run_group_tests_name("kernels", tests, NULL, NULL);
}
