/* kernels_simd — the SIMD kernel set's body, written once over a vector of
 * VW floats and compiled by kernels_avx2.c (VW 8) and kernels_avx512.c
 * (VW 16), which define the vector types and the operations below before
 * including it, and KSUF(name) to give each copy its own names.
 *
 * Float vectors (vf): VF_LOAD/VF_STORE, VF_LOADN/VF_STOREN (the first
 * n < VW lanes; loads fill the rest with 0), VF_SET1, VF_ADD, VF_SUB,
 * VF_MUL, VF_MAX, VF_MIN, VF_FMA(a, b, c) = a*b + c, VF_ABS,
 * VF_COPYSIGN(magnitude, sign), VF_ROUND (to nearest even), VF_POW2I(n) = 2^n for integral n in
 * -126..127, VF_HSUM, VF_HMAX.
 * Int32 vectors (vi): VI_ZERO, VI_SET1, VI_SUB, VI_MULLO, VI_LOAD32(N),
 * VI_TO_VF, VF_TO_VI (of an integral vf), VI_STORE_U8N(p, v, n) (low byte
 * of the first n lanes), VI_LOADW(p) (VW * 4 packed int8 weights),
 * VI_BCAST4(p) (4 bytes to every lane), VI_PAIRS(a, w) (int16 lanes: the
 * sums of 2 products of unsigned a and signed w bytes: vpmaddubsw),
 * VI_ADD16 (int16 lanes), VI_WIDEN (int32 lanes: sums of 2 int16 lanes),
 * VI_ADD (int32 lanes).
 *
 * Q8_MR: rows of an int8 micro-tile.
 *
 * The files are compiled with -ffp-contract=off: products and sums are
 * rounded where the code says, as in kernels_plain.c, so the two agree
 * but for the FMAs written here (a few ulp). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "classify/kernels.h"
#include "classify/kernels_math.h"

/* micro-tiles: one 16-channel panel is NV vectors wide; fp32 takes MRF
 * rows (12 accumulators), int8 Q8_MR rows (Q8_MR * NV accumulators, set by
 * the includer: the int8 step needs more registers) */
#define NV (WP_NR / VW)
#define MRF (12 / NV)
/* fp32 blocking (f32_gemm): inputs per slice, rows per block */
#define F32_KC 256
#define F32_MC 128

/* exp and GELU work on IL vectors at once, step by step across the IL:
 * their chains of ~30 dependent operations would otherwise run one at a
 * time (measured on Zen 1, whose FP scheduler holds ~18 256-bit ops: 79
 * cycles a vector for GELU alone, against ~25 interleaved). */
#define IL 4

static inline void KSUF(exp_il)(vf *x) {
    vf n[IL], r[IL], p[IL];
    for (int j = 0; j < IL; j++) {
        x[j] = VF_MIN(VF_MAX(x[j], VF_SET1(EXP_LO)), VF_SET1(EXP_HI));
        n[j] = VF_ROUND(VF_MUL(x[j], VF_SET1(EXP_LOG2E)));
    }
    for (int j = 0; j < IL; j++) r[j] = VF_FMA(n[j], VF_SET1(-EXP_LN2_HI), x[j]);
    for (int j = 0; j < IL; j++) r[j] = VF_FMA(n[j], VF_SET1(-EXP_LN2_LO), r[j]);
    for (int j = 0; j < IL; j++) p[j] = VF_FMA(VF_SET1(EXP_P0), r[j], VF_SET1(EXP_P1));
    for (int j = 0; j < IL; j++) p[j] = VF_FMA(p[j], r[j], VF_SET1(EXP_P2));
    for (int j = 0; j < IL; j++) p[j] = VF_FMA(p[j], r[j], VF_SET1(EXP_P3));
    for (int j = 0; j < IL; j++) p[j] = VF_FMA(p[j], r[j], VF_SET1(EXP_P4));
    for (int j = 0; j < IL; j++) p[j] = VF_FMA(p[j], r[j], VF_SET1(EXP_P5));
    for (int j = 0; j < IL; j++) p[j] = VF_FMA(p[j], VF_MUL(r[j], r[j]), r[j]);
    for (int j = 0; j < IL; j++) x[j] = VF_MUL(VF_ADD(p[j], VF_SET1(1.0f)), VF_POW2I(n[j]));
}

/* x = 0.5 x (1 + erf(x / sqrt 2)), erf as kernels_math.h says */
static inline void KSUF(gelu_il)(vf *x) {
    vf a[IL], q[IL];
    for (int j = 0; j < IL; j++) a[j] = VF_MIN(VF_ABS(VF_MUL(x[j], VF_SET1((float)M_SQRT1_2))), VF_SET1(ERF_ONE));
    for (int j = 0; j < IL; j++) q[j] = VF_FMA(VF_SET1(ERF_Q0), a[j], VF_SET1(ERF_Q1));
    for (int j = 0; j < IL; j++) q[j] = VF_FMA(q[j], a[j], VF_SET1(ERF_Q2));
    for (int j = 0; j < IL; j++) q[j] = VF_FMA(q[j], a[j], VF_SET1(ERF_Q3));
    for (int j = 0; j < IL; j++) q[j] = VF_FMA(q[j], a[j], VF_SET1(ERF_Q4));
    for (int j = 0; j < IL; j++) q[j] = VF_FMA(q[j], a[j], VF_SET1(ERF_Q5));
    for (int j = 0; j < IL; j++) q[j] = VF_FMA(q[j], a[j], VF_SET1(ERF_Q6));
    for (int j = 0; j < IL; j++) q[j] = VF_FMA(q[j], a[j], VF_SET1(ERF_Q7));
    for (int j = 0; j < IL; j++) q[j] = VF_FMA(q[j], a[j], VF_SET1(ERF_Q8));
    for (int j = 0; j < IL; j++) q[j] = VF_MUL(q[j], a[j]);
    KSUF(exp_il)(q);
    for (int j = 0; j < IL; j++) {
        vf e = VF_COPYSIGN(VF_SUB(VF_SET1(1.0f), q[j]), x[j]);
        x[j] = VF_MUL(VF_MUL(VF_SET1(0.5f), x[j]), VF_ADD(VF_SET1(1.0f), e));
    }
}

/* GELU on the n results of a micro-tile (f padded to a multiple of IL),
 * IL at a time */
static inline void KSUF(epilogue)(vf *f, int n, int gelu) {
    for (int j = 0; gelu && j < n; j += IL) KSUF(gelu_il)(f + j);
}

/* MRF rows (row pointers; a tail block repeats its last row) by one panel
 * of 16 channels over kc inputs: 12 accumulators, each B vector loaded
 * serves MRF rows and each broadcast row value NV vectors. Unless first,
 * out already holds the sums over the inputs before; when last, the
 * epilogue (bias, GELU) runs on the registers. Only the nr rows and nc
 * channels that are real are read and written. */
static void KSUF(f32_tile)(float *out, int ldo, const float *const *a, int nr, const float *wp, const float *next,
                           int kc, const float *bias, int n0, int nc, int gelu, int first, int last) {
    vf acc[MRF][NV];
    for (int r = 0; r < MRF; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = VF_SET1(0.0f);
    for (int i = 0; i < kc; i++) {
        vf b[NV];
        __builtin_prefetch(next + (size_t)i * WP_NR, 0, 2);
        for (int v = 0; v < NV; v++) b[v] = VF_LOAD(wp + (size_t)i * WP_NR + (size_t)v * VW);
        for (int r = 0; r < MRF; r++) {
            vf x = VF_SET1(a[r][i]);
            for (int v = 0; v < NV; v++) acc[r][v] = VF_FMA(x, b[v], acc[r][v]);
        }
    }
    vf f[(MRF * NV + IL - 1) / IL * IL];
    for (int v = 0; v < NV; v++) {
        int c0 = v * VW, n = nc - c0 < VW ? nc - c0 : VW;
        vf bv = VF_SET1(0.0f);
        if (last && bias && n > 0) bv = n == VW ? VF_LOAD(bias + n0 + c0) : VF_LOADN(bias + n0 + c0, n);
        for (int r = 0; r < MRF; r++) {
            f[r * NV + v] = VF_ADD(acc[r][v], bv);
            if (!first && r < nr && n > 0) {
                const float *o = out + (size_t)r * ldo + n0 + c0;
                f[r * NV + v] = VF_ADD(f[r * NV + v], n == VW ? VF_LOAD(o) : VF_LOADN(o, n));
            }
        }
    }
    for (int j = MRF * NV; j < (int)(sizeof f / sizeof f[0]); j++) f[j] = VF_SET1(0.0f);
    KSUF(epilogue)(f, MRF * NV, last && gelu);
    for (int v = 0; v < NV; v++) {
        int c0 = v * VW, n = nc - c0 < VW ? nc - c0 : VW;
        for (int r = 0; n > 0 && r < nr; r++) {
            float *o = out + (size_t)r * ldo + n0 + c0;
            if (n == VW) VF_STORE(o, f[r * NV + v]);
            else VF_STOREN(o, f[r * NV + v], n);
        }
    }
}

/* Blocked for the caches: a block of up to F32_MC rows at a time, and for
 * it one panel after the other, each in slices of F32_KC inputs (16 KB,
 * L1) that every micro-tile of the block runs through before the next
 * slice. A weight matrix is read once a row block, the block's rows once a
 * panel (L2, or L3 for long rows), partial sums of a tile stay in L1. */
static void KSUF(f32_gemm)(float *out, int ldo, const float *a, int lda, int rows, const wp_f32 *w,
                           const float *bias, int gelu) {
    int np = (w->n + WP_NR - 1) / WP_NR;
    for (int m0 = 0; m0 < rows; m0 += F32_MC) {
        int m1 = rows - m0 < F32_MC ? rows : m0 + F32_MC;
        for (int p = 0; p < np; p++) {
            int n0 = p * WP_NR, nc = w->n - n0 < WP_NR ? w->n - n0 : WP_NR;
            for (int i0 = 0; i0 < w->k; i0 += F32_KC) {
                int n_in = w->k - i0 < F32_KC ? w->k - i0 : F32_KC;
                const float *wp = wp_f32_panel(w, p) + (size_t)i0 * WP_NR;
                /* the slice after this one, fetched into L2 meanwhile (a slice
                 * is one 64-byte line an input, as the loop reads) */
                const float *next = i0 + n_in < w->k ? wp + (size_t)n_in * WP_NR
                                    : p + 1 < np     ? wp_f32_panel(w, p + 1)
                                                     : wp;
                for (int r0 = m0; r0 < m1; r0 += MRF) {
                    int nr = m1 - r0 < MRF ? m1 - r0 : MRF;
                    const float *ar[MRF];
                    for (int r = 0; r < MRF; r++) ar[r] = a + (size_t)(r0 + (r < nr ? r : nr - 1)) * lda + i0;
                    KSUF(f32_tile)(out + (size_t)r0 * ldo, ldo, ar, nr, wp, next, n_in, bias, n0, nc, gelu, i0 == 0,
                                   i0 + n_in >= w->k);
                }
            }
        }
    }
}

static void KSUF(res_ln)(float *x, const float *res, const float *w, const float *b, int rows, int C, float eps) {
    for (size_t r = 0; r < (size_t)rows; r++) {
        float *row = x + r * (size_t)C;
        const float *rr = res ? res + r * (size_t)C : NULL;
        vf acc = VF_SET1(0.0f);
        int c = 0;
        for (; c + VW <= C; c += VW) {
            vf v = VF_LOAD(row + c);
            if (rr) v = VF_ADD(v, VF_LOAD(rr + c));
            VF_STORE(row + c, v);
            acc = VF_ADD(acc, v);
        }
        float sum = VF_HSUM(acc);
        for (; c < C; c++) {
            if (rr) row[c] += rr[c];
            sum += row[c];
        }
        float mean = sum / (float)C;
        vf m = VF_SET1(mean);
        acc = VF_SET1(0.0f);
        for (c = 0; c + VW <= C; c += VW) {
            vf d = VF_SUB(VF_LOAD(row + c), m);
            acc = VF_FMA(d, d, acc);
        }
        float var = VF_HSUM(acc);
        for (; c < C; c++) var += (row[c] - mean) * (row[c] - mean);
        float rstd = 1.0f / sqrtf(var / (float)C + eps);
        vf rs = VF_SET1(rstd);
        for (c = 0; c + VW <= C; c += VW)
            VF_STORE(row + c, VF_ADD(VF_MUL(VF_MUL(VF_SUB(VF_LOAD(row + c), m), rs), VF_LOAD(w + c)),
                                     VF_LOAD(b + c)));
        for (; c < C; c++) row[c] = (row[c] - mean) * rstd * w[c] + b[c];
    }
}

/* scores (L, Lp) = q (L, HS) kt (HS, Lp) * scale, 4 query rows at a time:
 * each kt vector loaded serves 4 rows. */
static void KSUF(attn_scores)(float *s, int Lp, const float *q, int ld, const float *kt, int L, int HS,
                              float scale) {
    vf sc = VF_SET1(scale);
    int i = 0;
    for (; i + 4 <= L; i += 4) {
        const float *q0 = q + (size_t)i * ld, *q1 = q0 + ld, *q2 = q1 + ld, *q3 = q2 + ld;
        for (int j = 0; j < Lp; j += VW) {
            vf a0 = VF_SET1(0.0f), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0; d < HS; d++) {
                vf k = VF_LOAD(kt + (size_t)d * Lp + j);
                a0 = VF_FMA(VF_SET1(q0[d]), k, a0);
                a1 = VF_FMA(VF_SET1(q1[d]), k, a1);
                a2 = VF_FMA(VF_SET1(q2[d]), k, a2);
                a3 = VF_FMA(VF_SET1(q3[d]), k, a3);
            }
            VF_STORE(s + (size_t)i * Lp + j, VF_MUL(a0, sc));
            VF_STORE(s + (size_t)(i + 1) * Lp + j, VF_MUL(a1, sc));
            VF_STORE(s + (size_t)(i + 2) * Lp + j, VF_MUL(a2, sc));
            VF_STORE(s + (size_t)(i + 3) * Lp + j, VF_MUL(a3, sc));
        }
    }
    for (; i < L; i++) {
        const float *q0 = q + (size_t)i * ld;
        for (int j = 0; j < Lp; j += VW) {
            vf a0 = VF_SET1(0.0f);
            for (int d = 0; d < HS; d++) a0 = VF_FMA(VF_SET1(q0[d]), VF_LOAD(kt + (size_t)d * Lp + j), a0);
            VF_STORE(s + (size_t)i * Lp + j, VF_MUL(a0, sc));
        }
    }
}

/* p (L, Lp) = exp(s - row max); writes 1 / row sum to inv. Lp is a
 * multiple of 16, so of IL * VW for AVX2 and of VW for AVX-512. */
static void KSUF(attn_softmax)(float *s, int Lp, int L, float *inv) {
    for (int i = 0; i < L; i++) {
        float *row = s + (size_t)i * Lp;
        for (int j = L; j < Lp; j++) row[j] = -INFINITY;
        vf mx = VF_LOAD(row);
        for (int j = VW; j < Lp; j += VW) mx = VF_MAX(mx, VF_LOAD(row + j));
        vf m = VF_SET1(VF_HMAX(mx)), sum = VF_SET1(0.0f);
        for (int j = 0; j < Lp; j += IL * VW) {
            vf e[IL];
            for (int t = 0; t < IL; t++) e[t] = j + t * VW < Lp ? VF_SUB(VF_LOAD(row + j + t * VW), m) : VF_SET1(0.0f);
            KSUF(exp_il)(e);
            for (int t = 0; t < IL && j + t * VW < Lp; t++) VF_STORE(row + j + t * VW, e[t]);
        }
        for (int j = L; j < Lp; j++) row[j] = 0.0f; /* exp(-inf) is tiny, not 0 */
        for (int j = 0; j < Lp; j += VW) sum = VF_ADD(sum, VF_LOAD(row + j));
        inv[i] = 1.0f / VF_HSUM(sum);
    }
}

/* out (L, HS) = p (L, Lp) v (L, HS) * inv per row, 4 rows by one vector of
 * head dimensions at a time (the last one partial when VW does not divide
 * HS). */
static void KSUF(attn_values)(float *out, int ldo, const float *p, int Lp, const float *v, int ld, int L, int HS,
                              const float *inv) {
    for (int d = 0; d < HS; d += VW) {
        int n = HS - d < VW ? HS - d : VW;
        int i = 0;
        for (; i + 4 <= L; i += 4) {
            const float *p0 = p + (size_t)i * Lp, *p1 = p0 + Lp, *p2 = p1 + Lp, *p3 = p2 + Lp;
            vf a0 = VF_SET1(0.0f), a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < L; j++) {
                vf x = n == VW ? VF_LOAD(v + (size_t)j * ld + d) : VF_LOADN(v + (size_t)j * ld + d, n);
                a0 = VF_FMA(VF_SET1(p0[j]), x, a0);
                a1 = VF_FMA(VF_SET1(p1[j]), x, a1);
                a2 = VF_FMA(VF_SET1(p2[j]), x, a2);
                a3 = VF_FMA(VF_SET1(p3[j]), x, a3);
            }
            vf r[4] = {VF_MUL(a0, VF_SET1(inv[i])), VF_MUL(a1, VF_SET1(inv[i + 1])), VF_MUL(a2, VF_SET1(inv[i + 2])),
                       VF_MUL(a3, VF_SET1(inv[i + 3]))};
            for (int t = 0; t < 4; t++) {
                float *o = out + (size_t)(i + t) * ldo + d;
                if (n == VW) VF_STORE(o, r[t]);
                else VF_STOREN(o, r[t], n);
            }
        }
        for (; i < L; i++) {
            const float *p0 = p + (size_t)i * Lp;
            vf a0 = VF_SET1(0.0f);
            for (int j = 0; j < L; j++) {
                vf x = n == VW ? VF_LOAD(v + (size_t)j * ld + d) : VF_LOADN(v + (size_t)j * ld + d, n);
                a0 = VF_FMA(VF_SET1(p0[j]), x, a0);
            }
            float *o = out + (size_t)i * ldo + d;
            if (n == VW) VF_STORE(o, VF_MUL(a0, VF_SET1(inv[i])));
            else VF_STOREN(o, VF_MUL(a0, VF_SET1(inv[i])), n);
        }
    }
}

static void KSUF(attn_head)(float *out, int ldo, const float *q, const float *k, const float *v, int ld, int L, int HS,
                            float *scratch) {
    int Lp = (L + 15) & ~15;
    float *kt = scratch, *s = kt + (size_t)HS * Lp, *inv = s + (size_t)L * Lp;
    for (int d = 0; d < HS; d++) {
        float *row = kt + (size_t)d * Lp;
        for (int j = 0; j < L; j++) row[j] = k[(size_t)j * ld + d];
        for (int j = L; j < Lp; j++) row[j] = 0.0f;
    }
    KSUF(attn_scores)(s, Lp, q, ld, kt, L, HS, 1.0f / sqrtf((float)HS));
    KSUF(attn_softmax)(s, Lp, L, inv);
    KSUF(attn_values)(out, ldo, s, Lp, v, ld, L, HS, inv);
}

static void KSUF(q8_rows)(uint8_t *q, float *scale, int32_t *zp, const float *x, int rows, int k, int kp) {
    for (size_t r = 0; r < (size_t)rows; r++) {
        const float *row = x + r * (size_t)k;
        uint8_t *qr = q + r * (size_t)kp;
        vf vmn = VF_SET1(0.0f), vmx = vmn;
        int c = 0;
        for (; c + VW <= k; c += VW) {
            vf v = VF_LOAD(row + c);
            vmn = VF_MIN(vmn, v);
            vmx = VF_MAX(vmx, v);
        }
        float mn = -VF_HMAX(VF_SUB(VF_SET1(0.0f), vmn)), mx = VF_HMAX(vmx);
        for (; c < k; c++) {
            mn = row[c] < mn ? row[c] : mn;
            mx = row[c] > mx ? row[c] : mx;
        }
        float inv = q8_row_params(mn, mx, &scale[r], &zp[r]);
        vf vi_ = VF_SET1(inv), z = VF_SET1((float)zp[r]), lo = VF_SET1(0.0f), hi = VF_SET1(127.0f);
        for (c = 0; c < k; c += VW) {
            int n = k - c < VW ? k - c : VW;
            vf v = n == VW ? VF_LOAD(row + c) : VF_LOADN(row + c, n);
            v = VF_MIN(VF_MAX(VF_ADD(VF_ROUND(VF_MUL(v, vi_)), z), lo), hi);
            VI_STORE_U8N(qr + c, VF_TO_VI(v), n);
        }
        memset(qr + k, 0, (size_t)(kp - k));
    }
}

/* Q8_MR rows (row pointers; a tail block repeats its last row) by one panel
 * of 16 channels, then the epilogue for the nr rows and nc channels that
 * are real. */
static void KSUF(q8_tile)(float *out, int ldo, const uint8_t *const *a, const float *sa, const int32_t *za, int nr,
                          const int8_t *wp, int kp, const wp_q8 *w, int n0, int nc, const float *bias, int gelu) {
    vi acc[Q8_MR][NV];
    for (int r = 0; r < Q8_MR; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = VI_ZERO();
    for (int g = 0; g < kp / 4; g += 2) { /* two groups of 4 inputs: wpack.h says why */
        vi w0[NV], w1[NV];
        for (int v = 0; v < NV; v++) {
            w0[v] = VI_LOADW(wp + ((size_t)g * WP_NR + (size_t)v * VW) * 4);
            w1[v] = VI_LOADW(wp + ((size_t)(g + 1) * WP_NR + (size_t)v * VW) * 4);
        }
        for (int r = 0; r < Q8_MR; r++) {
            vi x0 = VI_BCAST4(a[r] + 4 * g), x1 = VI_BCAST4(a[r] + 4 * g + 4);
            for (int v = 0; v < NV; v++)
                acc[r][v] = VI_ADD(acc[r][v], VI_WIDEN(VI_ADD16(VI_PAIRS(x0, w0[v]), VI_PAIRS(x1, w1[v]))));
        }
    }
    vf f[(Q8_MR * NV + IL - 1) / IL * IL];
    for (int v = 0; v < NV; v++) {
        int c0 = v * VW, n = nc - c0 < VW ? nc - c0 : VW;
        vi cs = VI_ZERO();
        vf sw = VF_SET1(0.0f), b = sw;
        if (n > 0) {
            cs = n == VW ? VI_LOAD32(w->colsum + n0 + c0) : VI_LOAD32N(w->colsum + n0 + c0, n);
            sw = n == VW ? VF_LOAD(w->scale + n0 + c0) : VF_LOADN(w->scale + n0 + c0, n);
            if (bias) b = n == VW ? VF_LOAD(bias + n0 + c0) : VF_LOADN(bias + n0 + c0, n);
        }
        for (int r = 0; r < Q8_MR; r++) {
            int rr = r < nr ? r : nr - 1;
            vi t = VI_SUB(acc[r][v], VI_MULLO(VI_SET1(za[rr]), cs));
            f[r * NV + v] = VF_ADD(VF_MUL(VI_TO_VF(t), VF_MUL(VF_SET1(sa[rr]), sw)), b);
        }
    }
    for (int j = Q8_MR * NV; j < (int)(sizeof f / sizeof f[0]); j++) f[j] = VF_SET1(0.0f);
    KSUF(epilogue)(f, Q8_MR * NV, gelu);
    for (int v = 0; v < NV; v++) {
        int c0 = v * VW, n = nc - c0 < VW ? nc - c0 : VW;
        for (int r = 0; n > 0 && r < nr; r++) {
            float *o = out + (size_t)r * ldo + n0 + c0;
            if (n == VW) VF_STORE(o, f[r * NV + v]);
            else VF_STOREN(o, f[r * NV + v], n);
        }
    }
}

static void KSUF(q8_gemm)(float *out, int ldo, const uint8_t *q, const float *scale, const int32_t *zp, int rows,
                          const wp_q8 *w, const float *bias, int gelu) {
    int np = (w->n + WP_NR - 1) / WP_NR;
    for (int p = 0; p < np; p++) {
        const int8_t *wp = wp_q8_panel(w, p);
        int n0 = p * WP_NR, nc = w->n - n0 < WP_NR ? w->n - n0 : WP_NR;
        for (int r0 = 0; r0 < rows; r0 += Q8_MR) {
            int nr = rows - r0 < Q8_MR ? rows - r0 : Q8_MR;
            const uint8_t *a[Q8_MR];
            for (int r = 0; r < Q8_MR; r++) a[r] = q + (size_t)(r0 + (r < nr ? r : nr - 1)) * w->kp;
            KSUF(q8_tile)(out + (size_t)r0 * ldo, ldo, a, scale + r0, zp + r0, nr, wp, w->kp, w, n0, nc, bias, gelu);
        }
    }
}

const kern_ops KSUF(kern) = {
    .name = KSUF_NAME,
    .f32_gemm = KSUF(f32_gemm),
    .q8_rows = KSUF(q8_rows),
    .q8_gemm = KSUF(q8_gemm),
    .res_ln = KSUF(res_ln),
    .attn_head = KSUF(attn_head),
};
