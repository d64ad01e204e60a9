/* wpack — the encoder's dense-layer weights, packed once for its kernels
 * (kernels.h), in fp32 or in int8.
 *
 * Both forms keep output channels in panels of WP_NR = 16 (n padded with
 * zero channels to a multiple of 16), so that a kernel's inner loop reads
 * one contiguous run of memory per input position for 16 channels at once
 * (two AVX2 vectors, one AVX-512 vector), and no weight is copied again at
 * run time:
 *  - fp32: float (p * k + i) * 16 + j is w[16p + j][i].
 *  - int8: weights quantised symmetric per output channel, w8[n][i] =
 *    round(w[n][i] / scale[n]), scale[n] = max_i |w[n][i]| / WP_Q8_MAX;
 *    inputs in groups of 4, byte ((p * kp/4 + g) * 16 + j) * 4 + t is
 *    w8[16p + j][4g + t] (kp: k rounded up to 8, zeros after k), so that
 *    an AVX2 vpmaddubsw multiplies 4 inputs of a row, broadcast, by 8
 *    channels at a time. Activations are quantised per row at run time to
 *    0..127 (kernels.h, q8_rows).
 *
 * Why weights in -63..63 (7 bits, as ONNX Runtime's reduce_range): x86
 * without VNNI multiplies bytes with vpmaddubsw, which adds two products
 * into a saturating int16, then widens pairs to int32 with vpmaddwd. Both
 * run on one 128-bit multiply pipe on the Zen 1 cores this was measured
 * on, which makes the pair an fp32 FMA's speed. With activations <= 127
 * and |w| <= 63, two vpmaddubsw results (4 products each, |sum| <= 32004)
 * add in int16 without overflow before one vpmaddwd: 3 multiplies per 8
 * inputs instead of 4, and no saturation anywhere, so every kernel set
 * gets the exact int32 sums of the plain one. */
#ifndef FINSENT_WPACK_H
#define FINSENT_WPACK_H

#include <stddef.h>
#include <stdint.h>

#define WP_NR 16
#define WP_Q8_MAX 63

typedef struct wp_f32 {
    int n, k;
    float *w; /* (n rounded up to 16) * k floats */
} wp_f32;

typedef struct wp_q8 {
    int n, k, kp;    /* output channels, inputs, inputs rounded up to 8 */
    int8_t *w;       /* (n rounded up to 16) * kp bytes */
    float *scale;    /* (n) */
    int32_t *colsum; /* (n) sum over i of w8[n][i], for the zero-point term */
} wp_q8;

/* One dense layer packed for enc_forward: f32.w set, or q8.w set (int8). */
typedef struct wp_dense {
    wp_f32 f32;
    wp_q8 q8;
} wp_dense;

/* Pack w (n, k) row-major, PyTorch's (out, in), into out. Can't fail. */
void wp_pack_f32(wp_f32 *out, const float *w, int n, int k);
void wp_pack_q8(wp_q8 *out, const float *w, int n, int k);
/* Free what out holds; a zeroed one is a no-op. */
void wp_f32_free(wp_f32 *w);
void wp_q8_free(wp_q8 *w);

/* w[n][i] and w8[n][i] read from the packed forms. */
static inline float wp_f32_at(const wp_f32 *w, int n, int i) {
    return w->w[((size_t)(n / WP_NR) * (size_t)w->k + (size_t)i) * WP_NR + (size_t)(n % WP_NR)];
}
static inline int8_t wp_q8_at(const wp_q8 *w, int n, int i) {
    return w->w[(((size_t)(n / WP_NR) * (size_t)(w->kp / 4) + (size_t)(i / 4)) * WP_NR + (size_t)(n % WP_NR)) * 4 +
                (size_t)(i % 4)];
}

/* Start of panel p (channels 16p..16p+15). */
static inline const float *wp_f32_panel(const wp_f32 *w, int p) { return w->w + (size_t)p * (size_t)w->k * WP_NR; }
static inline const int8_t *wp_q8_panel(const wp_q8 *w, int p) { return w->w + (size_t)p * (size_t)w->kp * WP_NR; }

#endif
