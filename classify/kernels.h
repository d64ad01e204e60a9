/* kernels — the encoder's inner loops, one set per instruction set, picked
 * once at run time.
 *
 * Three sets: "plain" (portable C, the reference every other set is tested
 * against), "avx2" (AVX2 + FMA) and "avx512" (AVX-512 F + BW). The SIMD
 * sets are one source, kernels_simd.h, compiled twice with the vector
 * width and intrinsics of each (kernels_avx2.c, kernels_avx512.c), so the
 * AVX2 run on any machine also checks the logic of the AVX-512 one.
 * kern_get() returns the widest set the CPU runs, or the one named by the
 * environment variable FINSENT_KERNELS (plain | avx2 | avx512).
 *
 * What they compute (shapes in floats unless said):
 *  - f32_gemm:    out (rows, N) = a (rows, K) W^T (+ bias) (then GELU, the
 *                 exact-erf form with erf by a polynomial within 8e-8,
 *                 when gelu is set); W packed by wp_pack_f32, bias NULL
 *                 for none; a rows lda floats apart, out rows ldo apart.
 *  - q8_rows:     dynamic quantisation of activations, one scale and zero
 *                 point per row: q = clamp(round(x / scale) + zp, 0, 127),
 *                 7 bits, so that no int16 step of the SIMD kernels can
 *                 overflow (wpack.h); q rows are kp bytes, the pad k..kp 0.
 *  - q8_gemm:     out (rows, N) = scale_row * scale_w[n] * (q . w8[n] -
 *                 zp_row * colsum[n]) (+ bias) (then GELU), with int32
 *                 accumulation; W by wp_pack_q8.
 *  - res_ln:      x (rows, C) = LayerNorm(x + res) * w + b, res (rows, C)
 *                 or NULL. Biased variance, eps inside the sqrt.
 *  - attn_head:   one attention head of one sequence of L tokens:
 *                 out (L, HS) = softmax(q k^T / sqrt(HS)) v, with q, k, v
 *                 (L, HS) rows ld floats apart and out rows ldo apart.
 *                 scratch holds kern_attn_scratch(L, HS) floats.
 * All are deterministic and keep no state; rows can be split across
 * threads freely. */
#ifndef FINSENT_KERNELS_H
#define FINSENT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "classify/wpack.h"

typedef struct kern_ops {
    const char *name;
    void (*f32_gemm)(float *out, int ldo, const float *a, int lda, int rows, const wp_f32 *w, const float *bias,
                     int gelu);
    void (*q8_rows)(uint8_t *q, float *scale, int32_t *zp, const float *x, int rows, int k, int kp);
    void (*q8_gemm)(float *out, int ldo, const uint8_t *q, const float *scale, const int32_t *zp, int rows,
                    const wp_q8 *w, const float *bias, int gelu);
    void (*res_ln)(float *x, const float *res, const float *w, const float *b, int rows, int C, float eps);
    void (*attn_head)(float *out, int ldo, const float *q, const float *k, const float *v, int ld, int L, int HS,
                      float *scratch);
} kern_ops;

/* The set in use: FINSENT_KERNELS when set (an unknown name or one this CPU
 * cannot run is reported once on stderr and ignored), else the widest the
 * CPU runs. Chosen at the first call; never NULL. */
const kern_ops *kern_get(void);

/* The set named name ("plain", "avx2", "avx512"), or NULL when the name is
 * unknown or this CPU cannot run it: how tests reach every runnable set. */
const kern_ops *kern_by_name(const char *name);

/* Floats of scratch attn_head needs for L tokens and head size HS. */
size_t kern_attn_scratch(int L, int HS);

/* The sets themselves (kernels_plain.c, kernels_avx2.c, kernels_avx512.c). */
extern const kern_ops kern_plain, kern_avx2, kern_avx512;

#endif
