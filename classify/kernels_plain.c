/* kernels_plain — the portable kernel set: plain loops, one element at a
 * time, written to be read against kernels.h. It runs on any CPU and is
 * what the SIMD sets are tested against. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "classify/kernels.h"
#include "classify/kernels_math.h"

static float exp_plain(float x) {
    x = x > EXP_HI ? EXP_HI : x < EXP_LO ? EXP_LO : x;
    float n = nearbyintf(x * EXP_LOG2E);
    float r = x - n * EXP_LN2_HI;
    r = r - n * EXP_LN2_LO;
    float p = ((((EXP_P0 * r + EXP_P1) * r + EXP_P2) * r + EXP_P3) * r + EXP_P4) * r + EXP_P5;
    p = p * (r * r) + r + 1.0f;
    return ldexpf(p, (int)n);
}

static float erf_plain(float x) {
    float a = fabsf(x) < ERF_ONE ? fabsf(x) : ERF_ONE;
    float q = ERF_Q0;
    q = q * a + ERF_Q1;
    q = q * a + ERF_Q2;
    q = q * a + ERF_Q3;
    q = q * a + ERF_Q4;
    q = q * a + ERF_Q5;
    q = q * a + ERF_Q6;
    q = q * a + ERF_Q7;
    q = q * a + ERF_Q8;
    return copysignf(1.0f - exp_plain(q * a), x);
}

static float gelu_plain(float x) { return 0.5f * x * (1.0f + erf_plain(x * (float)M_SQRT1_2)); }

static void f32_gemm_plain(float *out, int ldo, const float *a, int lda, int rows, const wp_f32 *w,
                           const float *bias, int gelu) {
    for (size_t r = 0; r < (size_t)rows; r++) {
        const float *ar = a + r * (size_t)lda;
        for (int n = 0; n < w->n; n++) {
            float acc = 0;
            for (int i = 0; i < w->k; i++) acc += ar[i] * wp_f32_at(w, n, i);
            if (bias) acc += bias[n];
            out[r * (size_t)ldo + (size_t)n] = gelu ? gelu_plain(acc) : acc;
        }
    }
}

static void res_ln_plain(float *x, const float *res, const float *w, const float *b, int rows, int C, float eps) {
    for (size_t r = 0; r < (size_t)rows; r++) {
        float *row = x + r * (size_t)C;
        float mean = 0, var = 0;
        for (int c = 0; c < C; c++) {
            if (res) row[c] += res[r * (size_t)C + (size_t)c];
            mean += row[c];
        }
        mean /= (float)C;
        for (int c = 0; c < C; c++) var += (row[c] - mean) * (row[c] - mean);
        float rstd = 1.0f / sqrtf(var / (float)C + eps);
        for (int c = 0; c < C; c++) row[c] = (row[c] - mean) * rstd * w[c] + b[c];
    }
}

static void attn_head_plain(float *out, int ldo, const float *q, const float *k, const float *v, int ld, int L,
                            int HS, float *scratch) {
    float scale = 1.0f / sqrtf((float)HS), *p = scratch;
    for (int i = 0; i < L; i++) {
        const float *qi = q + (size_t)i * ld;
        float mx = -INFINITY, sum = 0;
        for (int j = 0; j < L; j++) {
            const float *kj = k + (size_t)j * ld;
            float s = 0;
            for (int d = 0; d < HS; d++) s += qi[d] * kj[d];
            p[j] = s * scale;
            mx = p[j] > mx ? p[j] : mx;
        }
        for (int j = 0; j < L; j++) sum += (p[j] = exp_plain(p[j] - mx));
        float inv = 1.0f / sum;
        float *o = out + (size_t)i * ldo;
        for (int d = 0; d < HS; d++) o[d] = 0;
        for (int j = 0; j < L; j++) {
            const float *vj = v + (size_t)j * ld;
            float pj = p[j] * inv;
            for (int d = 0; d < HS; d++) o[d] += pj * vj[d];
        }
    }
}

static void q8_rows_plain(uint8_t *q, float *scale, int32_t *zp, const float *x, int rows, int k, int kp) {
    for (size_t r = 0; r < (size_t)rows; r++) {
        const float *row = x + r * (size_t)k;
        uint8_t *qr = q + r * (size_t)kp;
        float mn = 0, mx = 0; /* the range holds 0, so zp is a code */
        for (int c = 0; c < k; c++) {
            mn = row[c] < mn ? row[c] : mn;
            mx = row[c] > mx ? row[c] : mx;
        }
        float inv = q8_row_params(mn, mx, &scale[r], &zp[r]);
        for (int c = 0; c < k; c++) {
            int32_t v = (int32_t)nearbyintf(row[c] * inv) + zp[r];
            qr[c] = (uint8_t)(v < 0 ? 0 : v > 127 ? 127 : v);
        }
        memset(qr + k, 0, (size_t)(kp - k));
    }
}

static void q8_gemm_plain(float *out, int ldo, const uint8_t *q, const float *scale, const int32_t *zp, int rows,
                          const wp_q8 *w, const float *bias, int gelu) {
    for (size_t r = 0; r < (size_t)rows; r++) {
        const uint8_t *qr = q + r * (size_t)w->kp;
        for (int n = 0; n < w->n; n++) {
            int32_t acc = 0;
            for (int i = 0; i < w->k; i++) acc += (int32_t)qr[i] * wp_q8_at(w, n, i);
            float v = (float)(acc - zp[r] * w->colsum[n]) * (scale[r] * w->scale[n]);
            if (bias) v += bias[n];
            out[r * (size_t)ldo + (size_t)n] = gelu ? gelu_plain(v) : v;
        }
    }
}

const kern_ops kern_plain = {
    .name = "plain",
    .f32_gemm = f32_gemm_plain,
    .q8_rows = q8_rows_plain,
    .q8_gemm = q8_gemm_plain,
    .res_ln = res_ln_plain,
    .attn_head = attn_head_plain,
};
